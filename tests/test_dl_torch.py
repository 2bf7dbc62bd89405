"""Functional ops, losses and a small model: values and dlgradient against torch autograd
(float64)."""

import numpy as np
import pytest

from dltoolbox import dl
from dltoolbox.dl import dlarray, dlfeval, dlgradient, extractdata

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

R = np.random.default_rng(11)
H, C, B, T = 4, 3, 2, 6


def _t(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def _compare(dl_fn, torch_fn, inputs, fmts):
    """Largest relative error of the loss and every input gradient."""
    def model(*xs):
        y = dl_fn(*xs)
        return y, dlgradient(y, list(xs))

    y, grads = dlfeval(model, *[dlarray(a, f) if f else dlarray(a)
                                for a, f in zip(inputs, fmts)])
    ts = [_t(a) for a in inputs]
    ty = torch_fn(*ts)
    ty.backward()
    errs = [abs(float(y) - ty.item()) / max(abs(ty.item()), 1e-12)]
    for g, t, f in zip(grads, ts, fmts):
        ref = t.grad.numpy()
        if f:   # the dlarray gradient is in the permuted (S, C, B, T) order
            ref = extractdata(dlarray(ref, f))
        got = np.asarray(extractdata(g)).reshape(ref.shape)
        errs.append(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12))
    return max(errs)


def _proj(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


P_SEQ = _proj(1, (H, B, T))      # C-by-B-by-T projections of the outputs


def _lstm_dl(x, h0, c0, w, r, b):
    return (dl.stripdims(dl.lstm(x, h0, c0, w, r, b)) * P_SEQ).sum("all")


def _lstm_torch(x, h0, c0, w, r, b):
    m = torch.nn.LSTM(C, H, dtype=torch.float64)
    # x: C-by-B-by-T -> (T, B, C)
    y, _ = torch.func.functional_call(
        m, {"weight_ih_l0": w, "weight_hh_l0": r, "bias_ih_l0": b.reshape(-1),
            "bias_hh_l0": torch.zeros(4 * H, dtype=torch.float64)},
        (x.permute(2, 1, 0), (h0.T[None].contiguous(), c0.T[None].contiguous())))
    return (y.permute(2, 1, 0) * torch.tensor(P_SEQ)).sum()


P_H = _proj(5, (H, B))           # projections of the final hidden and cell states
P_CELL = _proj(6, (H, B))


def _lstm_states_dl(x, h0, c0, w, r, b):
    Y, h, c = dl.lstm(x, h0, c0, w, r, b, nargout=3)
    return ((dl.stripdims(Y) * P_SEQ).sum("all") + (h * P_H).sum("all")
            + (c * c * P_CELL).sum("all"))


def _lstm_states_torch(x, h0, c0, w, r, b):
    m = torch.nn.LSTM(C, H, dtype=torch.float64)
    y, (h, c) = torch.func.functional_call(
        m, {"weight_ih_l0": w, "weight_hh_l0": r, "bias_ih_l0": b.reshape(-1),
            "bias_hh_l0": torch.zeros(4 * H, dtype=torch.float64)},
        (x.permute(2, 1, 0), (h0.T[None].contiguous(), c0.T[None].contiguous())))
    return ((y.permute(2, 1, 0) * torch.tensor(P_SEQ)).sum() + (h[0].T * torch.tensor(P_H)).sum()
            + (c[0].T ** 2 * torch.tensor(P_CELL)).sum())


def _gru_hidden_dl(x, h0, w, r, b):
    _, h = dl.gru(x, h0, w, r, b, "ResetGateMode", "recurrent-bias-after-multiplication",
                  nargout=2)
    return (h * h * P_H).sum("all")


def _torch_gru(x, h0, w, r, b):
    """torch's GRU (float64) with MATLAB's weights: (y, h_n) for x C-by-B-by-T."""
    m = torch.nn.GRU(C, H, dtype=torch.float64)
    b = b.reshape(-1)
    return torch.func.functional_call(
        m, {"weight_ih_l0": w, "weight_hh_l0": r, "bias_ih_l0": b[:3 * H],
            "bias_hh_l0": b[3 * H:]}, (x.permute(2, 1, 0), h0.T[None].contiguous()))


def _gru_hidden_torch(x, h0, w, r, b):
    _, h = _torch_gru(x, h0, w, r, b)
    return (h[0].T ** 2 * torch.tensor(P_H)).sum()


def _gru_dl(x, h0, w, r, b):
    y = dl.gru(x, h0, w, r, b, "ResetGateMode", "recurrent-bias-after-multiplication")
    return (dl.stripdims(y) * P_SEQ).sum("all")


def _gru_torch(x, h0, w, r, b):
    y, _ = _torch_gru(x, h0, w, r, b)
    return (y.permute(2, 1, 0) * torch.tensor(P_SEQ)).sum()


P_FC = _proj(2, (5, B, T))


def _fc_dl(x, w, b):
    return (dl.stripdims(dl.fullyconnect(x, w, b)) * P_FC).sum("all")


def _fc_torch(x, w, b):
    y = torch.einsum("kc,cbt->kbt", w, x) + b.reshape(-1, 1, 1)
    return (y * torch.tensor(P_FC)).sum()


P_C = _proj(3, (C, B, T))


def _softmax_ce_dl(x):
    return dl.crossentropy(dl.softmax(x), _TGT)


def _softmax_ce_torch(x):
    logp = torch.log_softmax(x, dim=0)
    return -(torch.tensor(_TGT) * logp).sum() / B


_TGT = np.eye(C)[R.integers(0, C, (B, T))].transpose(2, 0, 1)
_IDX = np.random.default_rng(12).integers(1, C + 1, (B, T))      # 1-based class indices
_CW = np.array([0.5, 2.0, 1.5])


def _index_ce_dl(x):
    return dl.indexcrossentropy(dl.softmax(x), _IDX, _CW)


def _index_ce_torch(x):
    # torch: (N, C, d1) logits, 0-based targets; weighted sum, then over the batch size
    return torch.nn.functional.cross_entropy(x.permute(1, 0, 2), torch.tensor(_IDX - 1),
                                             weight=torch.tensor(_CW), reduction="sum") / B


def _ln_dl(x, o, s):
    return (dl.stripdims(dl.layernorm(x, o, s, OperationDimension="channel-only")) * P_C).sum(
        "all")


def _ln_torch(x, o, s):
    y = torch.nn.functional.layer_norm(x.permute(1, 2, 0), (C,), s.reshape(-1), o.reshape(-1),
                                       eps=1e-5).permute(2, 0, 1)
    return (y * torch.tensor(P_C)).sum()


def _bn_dl(x, o, s):
    return (dl.stripdims(dl.batchnorm(x, o, s)) * P_C).sum("all")


def _bn_torch(x, o, s):
    xt = x.permute(1, 0, 2)          # (B, C, T)
    y = torch.nn.functional.batch_norm(xt, None, None, s.reshape(-1), o.reshape(-1),
                                       training=True, eps=1e-5).permute(1, 0, 2)
    return (y * torch.tensor(P_C)).sum()


P_CONV = _proj(4, (5, B, T - 2))


def _conv_dl(x, w, b):
    return (dl.stripdims(dl.dlconv(x, w, b)) * P_CONV).sum("all")


def _conv_torch(x, w, b):
    y = torch.nn.functional.conv1d(x.permute(1, 0, 2), w.permute(2, 1, 0), b.reshape(-1))
    return (y.permute(1, 0, 2) * torch.tensor(P_CONV)).sum()


def _act_dl(x):
    return (dl.stripdims(dl.gelu(x) + dl.sigmoid(x) * dl.leakyrelu(x, 0.1) + dl.tanh(x))
            * P_C).sum("all")


def _act_torch(x):
    F = torch.nn.functional
    y = F.gelu(x) + torch.sigmoid(x) * F.leaky_relu(x, 0.1) + torch.tanh(x)
    return (y * torch.tensor(P_C)).sum()


CASES = {
    "lstm": (_lstm_dl, _lstm_torch,
             [R.standard_normal(s) for s in [(C, B, T), (H, B), (H, B), (4 * H, C),
                                             (4 * H, H), (4 * H, 1)]], ["CBT"] + [""] * 5),
    "gru": (_gru_dl, _gru_torch,
            [R.standard_normal(s) for s in [(C, B, T), (H, B), (3 * H, C), (3 * H, H),
                                            (6 * H, 1)]], ["CBT"] + [""] * 4),
    "lstm_hidden_and_cell_state": (
        _lstm_states_dl, _lstm_states_torch,
        [R.standard_normal(s) for s in [(C, B, T), (H, B), (H, B), (4 * H, C), (4 * H, H),
                                        (4 * H, 1)]], ["CBT"] + [""] * 5),
    "gru_hidden_state": (_gru_hidden_dl, _gru_hidden_torch,
                         [R.standard_normal(s) for s in [(C, B, T), (H, B), (3 * H, C),
                                                         (3 * H, H), (6 * H, 1)]],
                         ["CBT"] + [""] * 4),
    "fullyconnect": (_fc_dl, _fc_torch, [R.standard_normal(s) for s in [(C, B, T), (5, C),
                                                                        (5, 1)]],
                     ["CBT", "", ""]),
    "softmax_crossentropy": (_softmax_ce_dl, _softmax_ce_torch, [R.standard_normal((C, B, T))],
                             ["CBT"]),
    "softmax_indexcrossentropy": (_index_ce_dl, _index_ce_torch, [R.standard_normal((C, B, T))],
                                  ["CBT"]),
    "layernorm": (_ln_dl, _ln_torch, [R.standard_normal(s) for s in [(C, B, T), (C,), (C,)]],
                  ["CBT", "", ""]),
    "batchnorm": (_bn_dl, _bn_torch, [R.standard_normal(s) for s in [(C, B, T), (C,), (C,)]],
                  ["CBT", "", ""]),
    "dlconv": (_conv_dl, _conv_torch, [R.standard_normal(s) for s in [(C, B, T), (3, C, 5),
                                                                      (5,)]], ["CBT", "", ""]),
    "activations": (_act_dl, _act_torch, [R.standard_normal((C, B, T))], ["CBT"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name):
    dl_fn, torch_fn, inputs, fmts = CASES[name]
    assert _compare(dl_fn, torch_fn, inputs, fmts) < 1e-10
