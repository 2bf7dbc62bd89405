"""dlgradient of every dlarray operation, functional op and loss against float64 central
differences (one random direction per input, every input)."""

import numpy as np
import pytest

from dltoolbox import dl
from dltoolbox.dl import dlarray, stripdims
from dltoolbox.initializers import rng

from .dl_checks import directional_errors

TOL = 1e-6
R = np.random.default_rng(7)


def proj(Y, seed=3):
    """A fixed random projection to a scalar, so every output element matters."""
    w = np.random.default_rng(seed).standard_normal(Y._data.shape)
    return (stripdims(Y) * w).sum("all")


def rand(*shape):
    return R.standard_normal(shape)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


ARITH = {
    "add": (lambda a, b: proj(a + b), [rand(3, 4), rand(3, 1)]),
    "sub": (lambda a, b: proj(a - b), [rand(3, 4), rand(1, 4)]),
    "mul": (lambda a, b: proj(a * b), [rand(3, 4, 2), rand(3, 1)]),
    "div": (lambda a, b: proj(a / b), [rand(3, 4), pos(3, 4)]),
    "pow": (lambda a, b: proj(a ** b), [pos(3, 4), rand(3, 4)]),
    "pow_const": (lambda a: proj(a ** 3), [rand(3, 4)]),
    "exp_log": (lambda a: proj(np.exp(a) + np.log(a * a + 1)), [rand(3, 4)]),
    "sqrt_abs": (lambda a: proj(np.sqrt(abs(a) + 1)), [rand(3, 4)]),
    "tanh_sin_cos": (lambda a: proj(np.tanh(a) + np.sin(a) * np.cos(a)), [rand(3, 4)]),
    "max_min": (lambda a, b: proj(np.maximum(a, b) - np.minimum(a, b)), [rand(3, 4), rand(3, 4)]),
    "neg_rsub": (lambda a: proj(2.0 - (-a) / 3.0), [rand(3, 4)]),
    "index": (lambda a: proj(a[1:, ::2] * 2), [rand(3, 4)]),
    "fancy_index": (lambda a: proj(a[[0, 2, 0], :]), [rand(3, 4)]),
    "setitem": (lambda a, b: proj(_setitem(a, b)), [rand(3, 4), rand(3, 1)]),
    "sum_mean": (lambda a: proj(a.sum(1)) + proj(a.mean(2), 4), [rand(3, 4)]),
    "max_dim": (lambda a: proj(a.max(2)), [rand(3, 4)]),
    "reshape": (lambda a: proj(dl.reshape(a, 2, 6)), [rand(3, 4)]),
    "permute": (lambda a: proj(dl.permute(a, [3, 1, 2])), [rand(3, 4, 2)]),
    "cat": (lambda a, b: proj(dl.cat(2, a, b)), [rand(3, 4), rand(3, 2)]),
    "matmul": (lambda a, b: proj(a @ b), [rand(3, 4), rand(4, 2)]),
    "transpose": (lambda a: proj(a.T * 1.0), [rand(3, 4)]),
}


def _setitem(a, b):
    c = a * 1.0
    c[:, 1:2] = b * 2
    return c


@pytest.mark.parametrize("name", sorted(ARITH))
def test_arithmetic_gradients(name):
    fn, inputs = ARITH[name]
    assert max(directional_errors(fn, inputs)) < TOL


def test_formatted_input_gradient_in_permuted_order():
    fn = lambda x: proj(x * x)   # noqa: E731
    assert max(directional_errors(fn, [rand(5, 3, 2)], ["TCB"])) < TOL


H, C, B, T = 3, 2, 4, 5


def _fc(x, w, b):
    return proj(dl.fullyconnect(x, w, b))


def _lstm(x, h0, c0, w, r, b):
    Y, h = dl.lstm(x, h0, c0, w, r, b, nargout=2)
    return proj(Y) + proj(h, 5)


def _lstm_cell_only(x, h0, c0, w, r, b):
    _, _, c = dl.lstm(x, h0, c0, w, r, b, nargout=3)
    return proj(c, 6)


def _lstm_all_outputs(x, h0, c0, w, r, b):
    Y, h, c = dl.lstm(x, h0, c0, w, r, b, "StateActivationFunction", "softsign",
                      nargout=3)
    return proj(Y) + proj(h, 5) + proj(c * c, 6)   # c twice: two paths into one output


def _lstm_states_chained(x, h0, c0, w, r, b):
    """The final states of one call as the initial states of the next (truncated BPTT)."""
    _, h, c = dl.lstm(x, h0, c0, w, r, b, nargout=3)
    Y, _, c2 = dl.lstm(x, h, c, w, r, b, nargout=3)
    return proj(Y) + proj(c2, 6)


def _lstm_softsign(x, h0, c0, w, r, b):
    return proj(dl.lstm(x, h0, c0, w, r, b, "StateActivationFunction", "softsign"))


def _gru_hidden_only(x, h0, w, r, b):
    _, h = dl.gru(x, h0, w, r, b, nargout=2)
    return proj(h * h, 5)


def _gru(mode, nb):
    def f(x, h0, w, r, b):
        Y, h = dl.gru(x, h0, w, r, b, "ResetGateMode", mode, nargout=2)
        return proj(Y) + proj(h, 5)
    return f, [rand(C, B, T), rand(H, B), rand(3 * H, C), rand(3 * H, H), rand(nb * H, 1)]


R2 = np.random.default_rng(17)   # the state-output cases' own draws (R's stream unchanged)


def rand2(*shape):
    return R2.standard_normal(shape)


LSTM_IN = [rand2(C, B, T), rand2(H, B), rand2(H, B), rand2(4 * H, C), rand2(4 * H, H),
           rand2(4 * H, 1)]

OPS = {
    "fullyconnect_CB": (_fc, [rand(C, B), rand(3, C), rand(3)], ["CB", "", ""]),
    "fullyconnect_CBT": (_fc, [rand(C, B, T), rand(3, C), rand(3, 1)], ["CBT", "", ""]),
    "fullyconnect_TCB": (_fc, [rand(T, C, B), rand(3, C), rand(3, 1)], ["TCB", "", ""]),
    "lstm": (_lstm, [rand(C, B, T), rand(H, B), rand(H, B), rand(4 * H, C), rand(4 * H, H),
                     rand(4 * H, 1)], ["CBT"] + [""] * 5),
    "lstm_cell_state": (_lstm_cell_only, LSTM_IN, ["CBT"] + [""] * 5),
    "lstm_all_outputs": (_lstm_all_outputs, LSTM_IN, ["CBT"] + [""] * 5),
    "lstm_states_chained": (_lstm_states_chained, LSTM_IN, ["CBT"] + [""] * 5),
    "lstm_CT_cell_state": (_lstm_cell_only, [rand2(C, T), rand2(H, 1), rand2(H, 1),
                                             rand2(4 * H, C), rand2(4 * H, H), rand2(4 * H, 1)],
                           ["CT"] + [""] * 5),
    "gru_hidden_state": (_gru_hidden_only, [rand2(C, B, T), rand2(H, 1), rand2(3 * H, C),
                                            rand2(3 * H, H), rand2(3 * H, 1)],
                         ["CBT"] + [""] * 4),
    "lstm_CT_softsign": (_lstm_softsign, [rand(C, T), rand(H, 1), rand(H, 1), rand(4 * H, C),
                                          rand(4 * H, H), rand(4 * H, 1)], ["CT"] + [""] * 5),
    "gru_after": (*_gru("after-multiplication", 3), ["CBT"] + [""] * 4),
    "gru_before": (*_gru("before-multiplication", 3), ["CBT"] + [""] * 4),
    "gru_rbias": (*_gru("recurrent-bias-after-multiplication", 6), ["CBT"] + [""] * 4),
    "softmax": (lambda x: proj(dl.softmax(x)), [rand(C + 2, B, T)], ["CBT"]),
    "sigmoid": (lambda x: proj(dl.sigmoid(x)), [rand(C, B)], ["CB"]),
    "relu": (lambda x: proj(dl.relu(x)), [rand(C, B)], ["CB"]),
    "leakyrelu": (lambda x: proj(dl.leakyrelu(x, 0.2)), [rand(C, B)], ["CB"]),
    "gelu": (lambda x: proj(dl.gelu(x)), [rand(C, B)], ["CB"]),
    "gelu_tanh": (lambda x: proj(dl.gelu(x, "Approximation", "tanh")), [rand(C, B)], ["CB"]),
    "tanh": (lambda x: proj(dl.tanh(x)), [rand(C, B)], ["CB"]),
    "batchnorm": (lambda x, o, s: proj(dl.batchnorm(x, o, s)),
                  [rand(C, B, T), rand(C), pos(C)], ["CBT", "", ""]),
    "batchnorm_trained": (lambda x, o, s: proj(dl.batchnorm(x, o, s, np.zeros(C),
                                                            np.ones(C) * 2)),
                          [rand(C, B), rand(C), pos(C)], ["CB", "", ""]),
    "layernorm": (lambda x, o, s: proj(dl.layernorm(x, o, s)),
                  [rand(C + 1, B, T), rand(C + 1), pos(C + 1)], ["CBT", "", ""]),
    "dlconv": (lambda x, w, b: proj(dl.dlconv(x, w, b, "Padding", "same", "DilationFactor", 2)),
               [rand(C, B, T + 2), rand(3, C, 4), rand(4)], ["CBT", "", ""]),
    "dlconv_stride": (lambda x, w, b: proj(dl.dlconv(x, w, b, "Stride", 2)),
                      [rand(C, B, T + 2), rand(2, C, 3), rand(3)], ["CBT", "", ""]),
    "embed": (lambda w: proj(dl.embed(dlarray(np.array([[1, 3], [2, 3]]), "BT"), w)),
              [rand(4, 3)], [""]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_functional_op_gradients(name):
    fn, inputs, fmts = OPS[name]
    assert max(directional_errors(fn, inputs, fmts)) < TOL


def test_dropout_gradient_is_the_mask():
    fn = lambda x: proj(dl.dropout(x, 0.3, "DropoutMode", "training"))   # noqa: E731
    assert max(directional_errors(fn, [rand(C, B)], ["CB"], before=lambda: rng(1))) < TOL


def _probs(*shape):
    p = R.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=0, keepdims=True)


def _onehot(k, *shape):
    t = np.zeros((k,) + shape)
    idx = R.integers(0, k, shape)
    np.put_along_axis(t, idx[None], 1.0, axis=0)
    return t


LOSSES = {
    "crossentropy": (lambda y: dl.crossentropy(y, _T1), [_probs(3, 4)], ["CB"]),
    "crossentropy_seq_mask": (lambda y: dl.crossentropy(y, _T2, "Mask", _M2,
                                                        "NormalizationFactor", "mask-included"),
                              [_probs(3, 2, 5)], ["CBT"]),
    "crossentropy_weights": (lambda y: dl.crossentropy(y, _T1, "Weights", [1.0, 2.0, 0.5]),
                             [_probs(3, 4)], ["CB"]),
    "binarycrossentropy": (lambda y: dl.binarycrossentropy(y, _TB), [R.uniform(.1, .9, (2, 4))],
                           ["CB"]),
    "mse": (lambda y: dl.mse(y, _TR), [rand(2, 4)], ["CB"]),
    "l1loss": (lambda y: dl.l1loss(y, _TR), [rand(2, 4)], ["CB"]),
    "l2loss": (lambda y: dl.l2loss(y, _TR, "NormalizationFactor", "all-elements"), [rand(2, 4)],
               ["CB"]),
    "huber": (lambda y: dl.huber(y, _TR, "TransitionPoint", 0.5), [rand(2, 4)], ["CB"]),
}
LOSSES.update({
    "indexcrossentropy": (lambda y: dl.indexcrossentropy(y, _IDX), [R2.uniform(.1, 1, (4, 3, 5))],
                          ["CBT"]),
    "indexcrossentropy_weights_mask": (
        lambda y: dl.indexcrossentropy(y, _IDX, [1.0, 2.0, 0.5, 3.0], "Mask", _IMASK,
                                       "NormalizationFactor", "mask-included"),
        [R2.uniform(.1, 1, (4, 3, 5))], ["CBT"]),
    "softmax_indexcrossentropy_unformatted": (
        lambda z: dl.indexcrossentropy(dl.softmax(z, DataFormat="CBT"), _IDX,
                                       DataFormat="CBT"),
        [R2.standard_normal((4, 3, 5))], [""]),
})
_IDX = R2.integers(1, 5, (3, 5))
_IMASK = R2.uniform(size=(3, 5)) > 0.3
_T1 = _onehot(3, 4)
_T2 = _onehot(3, 2, 5)
_M2 = (R.uniform(size=(1, 2, 5)) > 0.3).astype(float)
_TB = (R.uniform(size=(2, 4)) > 0.5).astype(float)
_TR = rand(2, 4)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradients(name):
    fn, inputs, fmts = LOSSES[name]
    assert max(directional_errors(fn, inputs, fmts)) < TOL


@pytest.mark.parametrize("norm", ["batch-size", "all-elements", "mask-included", "none"])
def test_crossentropy_one_node_path_matches_the_general_path(norm):
    """crossentropy's one-node form (single-label, no weights, no mask) against the
    general node-per-operation path (reached here with weights of one): the same loss and
    gradient bits, probabilities below eps included (soft targets: every rounding
    shows)."""
    y = R.uniform(0, 1, (4, 3, 5)).astype(np.float32)
    y[0, 0, 0] = 0.0
    y[1, 2, 3] = 1e-12
    t = R.uniform(0, 1, (4, 3, 5)).astype(np.float32)

    def run(extra):
        def f(Y):
            loss = dl.crossentropy(Y, t, "NormalizationFactor", norm, *extra)
            return loss, dl.dlgradient(loss, Y)
        loss, g = dl.dlfeval(f, dl.dlarray(y, "CBT"))
        return dl.extractdata(loss), dl.extractdata(g)

    one, general = run(()), run(("Weights", np.ones(4, np.float32)))
    for a, b in zip(one, general):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(one[1]).all() and one[1][0, 0, 0] == 0.0
