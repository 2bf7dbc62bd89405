"""Backward passes vs float64 central finite differences (and PyTorch autograd).

For every learnable, the input and the initial state: the analytic gradient of
L = sum(C * Y) (C random) must match central differences, coordinate by coordinate on a
random subset and along a random direction.
"""

import itertools

import numpy as np
import pytest

from dltoolbox import (
    classificationLayer,
    dropoutLayer,
    fullyConnectedLayer,
    gruLayer,
    regressionLayer,
    sequenceInputLayer,
    softmaxLayer,
)

# every test here runs on the plain NumPy path and on the numba path
pytestmark = pytest.mark.usefixtures("kernel_path")

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))
EPS = 1e-6
RTOL = 1e-6


def fd_check(f, x, g, rs, n_coords=12):
    """Compare g with central differences of scalar f at x.

    x is an array perturbed in place, or (layer, property name): learnables are stored
    read-only, so the perturbed values are assigned as new arrays.
    """
    if isinstance(x, tuple):
        layer, name = x
        base = getattr(layer, name).copy()

        def put(values):
            setattr(layer, name, values.reshape(shape))
    else:
        base = x.copy()

        def put(values):
            x[...] = values.reshape(shape)
    shape = base.shape
    base = base.reshape(-1)
    gflat = np.asarray(g).reshape(-1)

    def at(values):
        put(values)
        return f()

    idx = rs.choice(base.size, size=min(n_coords, base.size), replace=False)
    worst = 0.0
    for i in idx:
        e = np.zeros_like(base)
        e[i] = EPS
        num = (at(base + e) - at(base - e)) / (2 * EPS)
        err = abs(num - gflat[i]) / max(1.0, abs(num))
        worst = max(worst, err)
        assert err < RTOL * 10, (i, num, gflat[i])
    v = rs.standard_normal(base.size)
    num = (at(base + EPS * v) - at(base - EPS * v)) / (2 * EPS)
    put(base)
    ana = float(gflat @ v)
    err = abs(num - ana) / max(1.0, abs(num))
    assert err < RTOL * 10, (num, ana)
    return max(worst, err)


def gru64(rs, d, h, mode, gate, state, output_mode="sequence"):
    nb = 6 * h if mode == MODES[2] else 3 * h
    return gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)) * 0.7,
                    RecurrentWeights=rs.standard_normal((3 * h, h)) * 0.5,
                    Bias=rs.standard_normal((nb, 1)) * 0.4, ResetGateMode=mode,
                    GateActivationFunction=gate, StateActivationFunction=state,
                    OutputMode=output_mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("gate,state", PAIRS)
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
def test_gru_gradients_finite_differences(mode, gate, state, output_mode, rs):
    d, h, t, b = 3, 4, 5, 2
    layer = gru64(rs, d, h, mode, gate, state, output_mode)
    x = rs.standard_normal((t, b, d))
    h0 = rs.standard_normal((b, h)) * 0.5
    y, back, _ = layer.forward(x, training=True, state=h0)
    c = rs.standard_normal(y.shape)

    def loss():
        return float((layer.forward(x, state=h0)[0] * c).sum())

    dx, grads = back(c)
    fd_check(loss, x, dx, rs)
    fd_check(loss, h0, grads["HiddenState"], rs)
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        fd_check(loss, (layer, name), grads[name], rs)


def test_gru_backprop_twice_agrees(rs):
    layer = gru64(rs, 3, 4, MODES[0], "sigmoid", "tanh")
    x = rs.standard_normal((6, 2, 3))
    y, back, _ = layer.forward(x, training=True)
    c = rs.standard_normal(y.shape)
    a = back(c)
    b = back(c)
    np.testing.assert_array_equal(a[0], b[0])
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k])


def _chain(layers, x, training=True):
    backs = []
    for layer in layers:
        x, back, _ = layer.forward(x, training)
        backs.append(back)
    return x, backs


def _backprop(backs, dy):
    grads = []
    for back in reversed(backs):
        dy, g = back(dy)
        grads.append(g)
    return dy, grads[::-1]


@pytest.mark.parametrize("seq", [True, False])
def test_fc_softmax_classification_gradients(seq, rs):
    k, d, b, t = 4, 5, 3, 6
    fc = fullyConnectedLayer(k, Weights=rs.standard_normal((k, d)), Bias=rs.standard_normal(k))
    sm, out = softmaxLayer(), classificationLayer()
    x = rs.standard_normal((t, b, d) if seq else (b, d))
    labels = rs.integers(0, k, size=x.shape[:-1])
    target = np.eye(k)[labels]

    def loss():
        y, _ = _chain([fc, sm], x)
        # MATLAB's back-propagated gradient is that of -(1/N) sum T ln Y (no 1/S)
        return float(-(target * np.log(y)).sum() / b)

    y, backs = _chain([fc, sm], x)
    _, dY, _ = out.loss(y, target)
    dx, grads = _backprop(backs, dY)
    fd_check(loss, x, dx, rs)
    fd_check(loss, (fc, "Weights"), grads[0]["Weights"], rs)
    fd_check(loss, (fc, "Bias"), grads[0]["Bias"], rs)


def test_classification_reported_loss_and_accuracy():
    y = np.array([[[0.7, 0.3], [0.2, 0.8]], [[0.6, 0.4], [0.5, 0.5]]])   # (S=2, N=2, K=2)
    t = np.array([[[1, 0], [0, 1]], [[0, 1], [0, 0]]], dtype=float)      # last step padded
    loss, dY, acc = classificationLayer().loss(y, t)
    expected = -(np.log(0.7) + np.log(0.8) + np.log(0.4)) / (2 * 2)
    assert loss == pytest.approx(expected)
    np.testing.assert_allclose(dY, -t / y / 2)
    assert acc == pytest.approx(100 * 3 / 4)   # padded step: argmax of zeros = class 1, hit


def test_regression_loss_gradient_and_rmse(rs):
    y = rs.standard_normal((5, 3, 2))
    t = rs.standard_normal((5, 3, 2))
    loss, dY, rmse = regressionLayer().loss(y, t)
    assert loss == pytest.approx(0.5 * ((y - t) ** 2).sum() / (3 * 5))
    np.testing.assert_allclose(dY, (y - t) / 3)
    assert rmse ** 2 == pytest.approx(2 * loss)


def test_fc_regression_gradients_finite_differences(rs):
    fc = fullyConnectedLayer(2, Weights=rs.standard_normal((2, 4)), Bias=rs.standard_normal(2))
    x = rs.standard_normal((3, 4))
    t = rs.standard_normal((3, 2))

    def loss():
        y, _, _ = fc.forward(x)
        return 0.5 * float(((y - t) ** 2).sum()) / 3

    y, back, _ = fc.forward(x, True)
    dx, g = back(regressionLayer().loss(y, t)[1])
    fd_check(loss, x, dx, rs)
    fd_check(loss, (fc, "Weights"), g["Weights"], rs)


@pytest.mark.parametrize("norm", ["zscore", "zerocenter", "rescale-symmetric",
                                  "rescale-zero-one"])
def test_sequence_input_normalization_gradient(norm, rs):
    layer = sequenceInputLayer(3, Normalization=norm, Mean=[1.0, 2, 3],
                               StandardDeviation=[2.0, 0.5, 1], Min=[-1.0, 0, 1],
                               Max=[1.0, 4, 2])
    x = rs.standard_normal((4, 2, 3))
    c = rs.standard_normal((4, 2, 3))
    y, back, _ = layer.forward(x, True)
    dx, _ = back(c)
    fd_check(lambda: float((layer.forward(x)[0] * c).sum()), x, dx, rs)
    if norm == "zscore":
        np.testing.assert_allclose(y, (x - [1, 2, 3]) / [2, 0.5, 1])
    if norm == "rescale-symmetric":
        np.testing.assert_allclose(y, 2 * (x - [-1, 0, 1]) / [2, 4, 1] - 1)


def test_dropout_train_and_predict(rs):
    layer = dropoutLayer(0.25)
    x = np.ones((200, 50, 4))
    y, back, _ = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    dx, _ = back(np.ones_like(x))
    np.testing.assert_array_equal(dx, y)
    assert layer.forward(x, training=False)[0] is x




@pytest.mark.torch
@pytest.mark.parametrize("mode", ["after-multiplication", "recurrent-bias-after-multiplication"])
def test_gru_gradients_match_torch(mode, rs):
    torch_mod = pytest.importorskip("torch")
    d, h, t, b = 4, 5, 7, 3
    layer = gru64(rs, d, h, mode, "sigmoid", "tanh")
    x = rs.standard_normal((t, b, d))
    h0 = rs.standard_normal((b, h))
    y, back, _ = layer.forward(x, training=True, state=h0)
    c = rs.standard_normal(y.shape)
    dx, grads = back(c)

    gru = torch_mod.nn.GRU(d, h, dtype=torch_mod.float64)
    bias = layer.Bias.reshape(-1)
    with torch_mod.no_grad():   # torch's gate order r|z|n is MATLAB's r|z|h
        gru.weight_ih_l0.copy_(torch_mod.tensor(layer.InputWeights))
        gru.weight_hh_l0.copy_(torch_mod.tensor(layer.RecurrentWeights))
        gru.bias_ih_l0.copy_(torch_mod.tensor(bias[:3 * h]))
        gru.bias_hh_l0.copy_(torch_mod.tensor(bias[3 * h:] if bias.size == 6 * h
                                              else np.zeros(3 * h)))
    xt = torch_mod.tensor(x, requires_grad=True)
    ht = torch_mod.tensor(h0[None], requires_grad=True)
    yt, _ = gru(xt, ht)
    (yt * torch_mod.tensor(c)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads["HiddenState"], ht.grad.numpy()[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads["InputWeights"], gru.weight_ih_l0.grad.numpy(), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(grads["RecurrentWeights"], gru.weight_hh_l0.grad.numpy(),
                               rtol=1e-9, atol=1e-12)
    db = grads["Bias"].reshape(-1)
    np.testing.assert_allclose(db[:3 * h], gru.bias_ih_l0.grad.numpy(), rtol=1e-9, atol=1e-12)
    if mode.startswith("recurrent"):
        np.testing.assert_allclose(db[3 * h:], gru.bias_hh_l0.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)


def test_two_stacked_gru_layers_gradients(rs):
    """Each GRU keeps its own forward cache: gradients through two stacked layers."""
    from dltoolbox.network import backprop_layers, run_layers
    g1 = gru64(rs, 3, 4, MODES[0], "sigmoid", "tanh")
    g2 = gru64(rs, 4, 5, MODES[1], "hard-sigmoid", "softsign")
    x = rs.standard_normal((6, 2, 3))
    y, backs, _ = run_layers([g1, g2], x, True)
    c = rs.standard_normal(y.shape)
    dx, grads = backprop_layers(backs, c)

    def loss():
        return float((run_layers([g1, g2], x)[0] * c).sum())

    fd_check(loss, x, dx, rs)
    fd_check(loss, (g1, "RecurrentWeights"), grads[0]["RecurrentWeights"], rs)
    fd_check(loss, (g2, "InputWeights"), grads[1]["InputWeights"], rs)


def test_results_kept_by_the_caller_survive_later_calls(kernel_path, rs):
    # Output and cache arrays are recycled between calls once nothing refers to them; a
    # caller that keeps an output or an unfinished backward must see them unchanged.
    layer = gruLayer(6, InputWeights=rs.standard_normal((18, 4)),
                     RecurrentWeights=rs.standard_normal((18, 6)) * 0.5,
                     Bias=rs.standard_normal((18, 1)))
    x1, x2 = rs.standard_normal((2, 5, 3, 4))
    dy = rs.standard_normal((5, 3, 6))
    y1, back1, _ = layer.forward(x1, training=True)
    y1_seen, (dx1_seen, g1_seen) = y1.copy(), back1(dy)
    tail = layer.forward(x1)[0][2:]          # only a view of an output is kept
    tail_seen = tail.copy()
    for _ in range(3):                        # later calls of all kinds, same shapes
        y2, back2, _ = layer.forward(x2, training=True)
        back2(dy)
        layer.forward(x2)
    np.testing.assert_array_equal(y1, y1_seen)
    np.testing.assert_array_equal(tail, tail_seen)
    dx1, g1 = back1(dy)
    np.testing.assert_array_equal(dx1, dx1_seen)
    for key in g1:
        np.testing.assert_array_equal(g1[key], g1_seen[key])
    assert not np.array_equal(y2, y1)


@pytest.mark.parametrize("mode", MODES)
def test_backprop_writes_gradients_into_the_given_arrays(mode, rs):
    """backprop(dY, out): the trainer's flat-buffer views receive the gradients (the very
    arrays come back) with the values a plain backprop(dY) returns."""
    from dltoolbox.network import backprop_layers, run_layers
    gru = gru64(rs, 3, 4, mode, "sigmoid", "tanh", "last")
    fc = fullyConnectedLayer(2, Weights=rs.standard_normal((2, 4)), Bias=rs.standard_normal((2, 1)))
    layers = [gru, fc]
    x = rs.standard_normal((5, 2, 3))
    c = rs.standard_normal((2, 2))
    _, plain = backprop_layers(run_layers(layers, x, True)[1], c)
    out = {i: {name: np.full(getattr(layer, name).shape, np.nan)
               for name in layer.learnable_names()} for i, layer in enumerate(layers)}
    _, written = backprop_layers(run_layers(layers, x, True)[1], c, out)
    for i, names in out.items():
        for name, array in names.items():
            assert written[i][name] is array
            np.testing.assert_array_equal(array, plain[i][name])
