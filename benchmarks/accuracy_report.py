"""Largest errors of the recurrent layers against their references (closing notes).

GRU: forward (float32) vs ONNX Runtime's GRU over every ResetGateMode x activation pair
and the sizes of tests/test_gru_onnx.py. LSTM and BiLSTM: forward (float32, outputs and
final states) vs ONNX Runtime's LSTM (forward and bidirectional) over every activation
pair, both output modes and initial states. Gradients (float64) of every learnable, the
input and the initial states vs central finite differences along random directions and,
where torch is installed, vs torch autograd. Run from the repository root:
python benchmarks/accuracy_report.py
"""

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dltoolbox import bilstmLayer, gruLayer, lstmLayer  # noqa: E402
from dltoolbox.recurrent import fast  # noqa: E402
from tests.reference.onnx_rnn import onnx_gru, onnx_lstm  # noqa: E402

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))


def layer_for(rs, d, h, mode, gate, state, dtype):
    nb = 6 * h if mode == MODES[2] else 3 * h
    return gruLayer(h, InputWeights=(rs.standard_normal((3 * h, d)) * 0.6).astype(dtype),
                    RecurrentWeights=(rs.standard_normal((3 * h, h)) * 1.2 / np.sqrt(h))
                    .astype(dtype), Bias=(rs.standard_normal((nb, 1)) * 0.5).astype(dtype),
                    ResetGateMode=mode, GateActivationFunction=gate,
                    StateActivationFunction=state)


def forward_errors():
    worst = (0.0, 0.0)
    for mode, (gate, state), (d, h, t) in itertools.product(
            MODES, PAIRS, [(3, 4, 5), (12, 16, 9), (7, 33, 2), (12, 100, 29)]):
        rs = np.random.default_rng(0)
        layer = layer_for(rs, d, h, mode, gate, state, np.float32)
        x = rs.standard_normal((t, 3, d)).astype(np.float32)
        h0 = (rs.standard_normal((3, h)) * 0.5).astype(np.float32)
        y = layer.forward(x, state=h0)[0]
        ref, _ = onnx_gru(x, layer.InputWeights, layer.RecurrentWeights, layer.Bias, h0, mode,
                          gate, state)
        err = np.abs(y - ref)
        worst = (max(worst[0], err.max()),
                 max(worst[1], (err / np.maximum(np.abs(ref), 1e-3)).max()))
    return worst


def gradient_errors():
    worst = 0.0
    for mode, (gate, state) in itertools.product(MODES, PAIRS):
        rs = np.random.default_rng(1)
        layer = layer_for(rs, 3, 4, mode, gate, state, np.float64)
        x = rs.standard_normal((5, 2, 3))
        h0 = rs.standard_normal((2, 4)) * 0.5
        y, back, _ = layer.forward(x, training=True, state=h0)
        c = rs.standard_normal(y.shape)
        dx, grads = back(c)

        def loss(layer=layer, x=x, h0=h0, c=c):
            return float((layer.forward(x, state=h0)[0] * c).sum())

        targets = [(x, dx), (h0, grads["HiddenState"])]
        worst = max(worst, directional_worst(layer, loss, targets, grads, rs))
    return worst


def directional_worst(layer, loss, targets, grads, rs, eps=1e-6):
    """The largest relative error of the analytic gradients along a random direction:
    ``targets`` are (array perturbed in place, its gradient); every learnable of
    ``layer`` is perturbed as a new array."""
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        targets.append((name, grads[name]))
    worst = 0.0
    for arr, g in targets:
        v = rs.standard_normal(g.shape)
        if isinstance(arr, str):
            base = getattr(layer, arr).copy()
            setattr(layer, arr, base + eps * v)
            fp = loss()
            setattr(layer, arr, base - eps * v)
            fm = loss()
            setattr(layer, arr, base)
        else:
            base = arr.copy()
            arr[...] = base + eps * v
            fp = loss()
            arr[...] = base - eps * v
            fm = loss()
            arr[...] = base
        num = (fp - fm) / (2 * eps)
        worst = max(worst, abs(num - float((g * v).sum())) / max(1.0, abs(num)))
    return worst


def torch_errors():
    try:
        import torch
    except ImportError:
        return None
    worst = 0.0
    for mode in (MODES[0], MODES[2]):
        rs = np.random.default_rng(2)
        d, h = 4, 5
        layer = layer_for(rs, d, h, mode, "sigmoid", "tanh", np.float64)
        x = rs.standard_normal((7, 3, d))
        y, back, _ = layer.forward(x, training=True)
        c = rs.standard_normal(y.shape)
        dx, grads = back(c)
        gru = torch.nn.GRU(d, h, dtype=torch.float64)
        b = layer.Bias.reshape(-1)
        with torch.no_grad():
            gru.weight_ih_l0.copy_(torch.tensor(layer.InputWeights))
            gru.weight_hh_l0.copy_(torch.tensor(layer.RecurrentWeights))
            gru.bias_ih_l0.copy_(torch.tensor(b[:3 * h]))
            gru.bias_hh_l0.copy_(torch.tensor(b[3 * h:] if b.size == 6 * h else np.zeros(3 * h)))
        xt = torch.tensor(x, requires_grad=True)
        yt, _ = gru(xt)
        (yt * torch.tensor(c)).sum().backward()
        for ours, theirs in ((dx, xt.grad), (grads["InputWeights"], gru.weight_ih_l0.grad),
                             (grads["RecurrentWeights"], gru.weight_hh_l0.grad)):
            theirs = theirs.numpy()
            worst = max(worst, np.abs(ours - theirs).max() / max(1.0, np.abs(theirs).max()))
    return worst


CELLS = {"LSTM": (lstmLayer, 1), "BiLSTM": (bilstmLayer, 2)}


def lstm_for(rs, cell, d, h, gate, state, dtype, output_mode="sequence"):
    make, dirs = CELLS[cell]
    rows = 4 * h * dirs
    return make(h, InputWeights=(rs.standard_normal((rows, d)) * 0.6).astype(dtype),
                RecurrentWeights=(rs.standard_normal((rows, h)) * 1.2 / np.sqrt(h))
                .astype(dtype), Bias=(rs.standard_normal((rows, 1)) * 0.5).astype(dtype),
                GateActivationFunction=gate, StateActivationFunction=state,
                OutputMode=output_mode)


def lstm_forward_errors(cell):
    """Outputs of both modes and the final states vs ONNX Runtime: (max abs, max rel)."""
    worst = (0.0, 0.0)
    dirs = CELLS[cell][1]
    for (gate, state), (d, h, t) in itertools.product(
            PAIRS, [(3, 4, 5), (12, 16, 9), (7, 33, 2), (12, 100, 29)]):
        rs = np.random.default_rng(0)
        layer = lstm_for(rs, cell, d, h, gate, state, np.float32)
        x = rs.standard_normal((t, 3, d)).astype(np.float32)
        s0 = tuple((rs.standard_normal((3, dirs * h)) * 0.5).astype(np.float32)
                   for _ in range(2))
        y, _, (hT, cT) = layer.forward(x, state=s0)
        layer.OutputMode = "last"
        y_last = layer.forward(x, state=s0)[0]
        ref, rh, rc = onnx_lstm(x, layer.InputWeights, layer.RecurrentWeights, layer.Bias,
                                *s0, gate, state)
        for ours, theirs in ((y, ref), (hT, rh), (cT, rc), (y_last, ref[-1])):
            err = np.abs(ours - theirs)
            worst = (max(worst[0], err.max()),
                     max(worst[1], (err / np.maximum(np.abs(theirs), 1e-3)).max()))
    return worst


def lstm_gradient_errors(cell):
    worst = 0.0
    dirs = CELLS[cell][1]
    for (gate, state), mode in itertools.product(PAIRS, ("sequence", "last")):
        rs = np.random.default_rng(1)
        layer = lstm_for(rs, cell, 3, 4, gate, state, np.float64, mode)
        x = rs.standard_normal((5, 2, 3))
        s0 = tuple(rs.standard_normal((2, dirs * 4)) * 0.5 for _ in range(2))
        y, back, _ = layer.forward(x, training=True, state=s0)
        c = rs.standard_normal(y.shape)
        dx, grads = back(c)

        def loss(layer=layer, x=x, s0=s0, c=c):
            return float((layer.forward(x, state=s0)[0] * c).sum())

        targets = [(x, dx), (s0[0], grads["HiddenState"]), (s0[1], grads["CellState"])]
        worst = max(worst, directional_worst(layer, loss, targets, grads, rs))
    return worst


def lstm_torch_errors(cell):
    try:
        import torch
    except ImportError:
        return None
    dirs = CELLS[cell][1]
    rs = np.random.default_rng(2)
    d, h = 4, 5
    layer = lstm_for(rs, cell, d, h, "sigmoid", "tanh", np.float64)
    x = rs.standard_normal((7, 3, d))
    y, back, _ = layer.forward(x, training=True)
    c = rs.standard_normal(y.shape)
    dx, grads = back(c)
    net = torch.nn.LSTM(d, h, bidirectional=dirs == 2, dtype=torch.float64)
    params = []
    with torch.no_grad():
        for k, sfx in enumerate(["", "_reverse"][:dirs]):
            rows = slice(4 * h * k, 4 * h * (k + 1))
            for name, value in (("weight_ih_l0", layer.InputWeights[rows]),
                                ("weight_hh_l0", layer.RecurrentWeights[rows]),
                                ("bias_ih_l0", layer.Bias[rows, 0])):
                getattr(net, name + sfx).copy_(torch.tensor(value))
            getattr(net, "bias_hh_l0" + sfx).zero_()
            params.append((rows, sfx))
    xt = torch.tensor(x, requires_grad=True)
    yt, _ = net(xt)
    (yt * torch.tensor(c)).sum().backward()
    pairs = [(y, yt.detach()), (dx, xt.grad)]
    for rows, sfx in params:
        pairs += [(grads["InputWeights"][rows], getattr(net, "weight_ih_l0" + sfx).grad),
                  (grads["RecurrentWeights"][rows], getattr(net, "weight_hh_l0" + sfx).grad),
                  (grads["Bias"][rows, 0], getattr(net, "bias_ih_l0" + sfx).grad)]
    return max(np.abs(ours - theirs.numpy()).max() / max(1.0, np.abs(theirs.numpy()).max())
               for ours, theirs in pairs)


if __name__ == "__main__":
    for path in ("numpy", "numba"):
        if path == "numba" and fast.numba_common is None:
            continue
        fast.FAST = path == "numba"
        fa, fr = forward_errors()
        print(f"[{path} path] forward vs ONNX Runtime (float32): max abs {fa:.2e}, "
              f"max rel {fr:.2e}")
        print(f"[{path} path] gradients vs central differences (float64): max rel "
              f"{gradient_errors():.2e}")
        te = torch_errors()
        print(f"[{path} path] gradients vs torch autograd (float64): "
              f"{'torch not installed' if te is None else f'max rel {te:.2e}'}")
        for cell in CELLS:
            fa, fr = lstm_forward_errors(cell)
            print(f"[{path} path] {cell} forward and states vs ONNX Runtime (float32): max abs "
                  f"{fa:.2e}, max rel {fr:.2e}")
            print(f"[{path} path] {cell} gradients vs central differences (float64): max rel "
                  f"{lstm_gradient_errors(cell):.2e}")
            te = lstm_torch_errors(cell)
            print(f"[{path} path] {cell} outputs and gradients vs torch (float64): "
                  f"{'torch not installed' if te is None else f'max rel {te:.2e}'}")
