"""lstmLayer and bilstmLayer backward vs float64 central finite differences (every
learnable, the input and both initial states) and vs PyTorch autograd where installed."""

import itertools

import numpy as np
import pytest

from dltoolbox import bilstmLayer, fullyConnectedLayer, lstmLayer
from tests.test_gradients import fd_check

# every test here runs on the plain NumPy path and on the numba paths
pytestmark = pytest.mark.usefixtures("kernel_path")

PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))
CELLS = {"lstm": (lstmLayer, 1), "bilstm": (bilstmLayer, 2)}


def lstm64(rs, cell, d, h, gate="sigmoid", state="tanh", output_mode="sequence"):
    make, dirs = CELLS[cell]
    rows = 4 * h * dirs
    return make(h, InputWeights=rs.standard_normal((rows, d)) * 0.7,
                RecurrentWeights=rs.standard_normal((rows, h)) * 0.5,
                Bias=rs.standard_normal((rows, 1)) * 0.4, GateActivationFunction=gate,
                StateActivationFunction=state, OutputMode=output_mode)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("gate,state", PAIRS)
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
def test_lstm_gradients_finite_differences(cell, gate, state, output_mode, rs):
    d, h, t, b = 3, 4, 5, 2
    _, dirs = CELLS[cell]
    layer = lstm64(rs, cell, d, h, gate, state, output_mode)
    x = rs.standard_normal((t, b, d))
    h0 = rs.standard_normal((b, dirs * h)) * 0.5
    c0 = rs.standard_normal((b, dirs * h)) * 0.5
    y, back, _ = layer.forward(x, training=True, state=(h0, c0))
    c = rs.standard_normal(y.shape)

    def loss():
        return float((layer.forward(x, state=(h0, c0))[0] * c).sum())

    dx, grads = back(c)
    fd_check(loss, x, dx, rs)
    fd_check(loss, h0, grads["HiddenState"], rs)
    fd_check(loss, c0, grads["CellState"], rs)
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        fd_check(loss, (layer, name), grads[name], rs)


@pytest.mark.parametrize("cell", CELLS)
def test_backprop_writes_into_the_given_arrays(cell, rs):
    """backprop(dY, out): the trainer's flat-buffer views (for bilstm, row halves per
    direction) receive the same gradients a plain backprop returns."""
    from dltoolbox.network import backprop_layers, run_layers
    layer = lstm64(rs, cell, 3, 4, output_mode="last")
    fc = fullyConnectedLayer(2, Weights=rs.standard_normal((2, layer.output_size(3))),
                             Bias=rs.standard_normal((2, 1)))
    layers = [layer, fc]
    x = rs.standard_normal((5, 2, 3))
    c = rs.standard_normal((2, 2))
    _, plain = backprop_layers(run_layers(layers, x, True)[1], c)
    out = {i: {name: np.full(getattr(lay, name).shape, np.nan)
               for name in lay.learnable_names()} for i, lay in enumerate(layers)}
    _, written = backprop_layers(run_layers(layers, x, True)[1], c, out)
    for i, names in out.items():
        for name, array in names.items():
            assert written[i][name] is array
            np.testing.assert_allclose(array, plain[i][name], rtol=1e-12, atol=1e-14)


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
def test_lstm_matches_torch_forward_and_gradients(cell, output_mode, rs):
    torch = pytest.importorskip("torch")
    d, h, t, b = 4, 5, 7, 3
    _, dirs = CELLS[cell]
    layer = lstm64(rs, cell, d, h, output_mode=output_mode)
    x = rs.standard_normal((t, b, d))
    h0 = rs.standard_normal((b, dirs * h))
    c0 = rs.standard_normal((b, dirs * h))
    y, back, (hT, cT) = layer.forward(x, training=True, state=(h0, c0))
    dy = rs.standard_normal(y.shape)
    dx, grads = back(dy)

    net = torch.nn.LSTM(d, h, bidirectional=dirs == 2, dtype=torch.float64)
    suffixes = ["", "_reverse"][:dirs]
    rows = 4 * h
    with torch.no_grad():    # torch's gate order i|f|g|o is MATLAB's
        for k, sfx in enumerate(suffixes):
            sl = slice(k * rows, (k + 1) * rows)
            getattr(net, "weight_ih_l0" + sfx).copy_(torch.tensor(layer.InputWeights[sl]))
            getattr(net, "weight_hh_l0" + sfx).copy_(torch.tensor(layer.RecurrentWeights[sl]))
            getattr(net, "bias_ih_l0" + sfx).copy_(torch.tensor(layer.Bias[sl, 0]))
            getattr(net, "bias_hh_l0" + sfx).zero_()
    xt = torch.tensor(x, requires_grad=True)
    split = [np.stack([s[:, k * h:(k + 1) * h] for k in range(dirs)]) for s in (h0, c0)]
    ht, ct = (torch.tensor(s, requires_grad=True) for s in split)
    yt, (hn, cn) = net(xt, (ht, ct))
    y_ref = yt[-1] if output_mode == "last" else yt
    (y_ref * torch.tensor(dy)).sum().backward()
    tol = {"rtol": 1e-9, "atol": 1e-12}
    np.testing.assert_allclose(y, y_ref.detach().numpy(), **tol)
    np.testing.assert_allclose(hT, np.concatenate(list(hn.detach().numpy()), 1), **tol)
    np.testing.assert_allclose(cT, np.concatenate(list(cn.detach().numpy()), 1), **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["HiddenState"], np.concatenate(list(ht.grad.numpy()), 1),
                               **tol)
    np.testing.assert_allclose(grads["CellState"], np.concatenate(list(ct.grad.numpy()), 1),
                               **tol)
    for k, sfx in enumerate(suffixes):
        sl = slice(k * rows, (k + 1) * rows)
        np.testing.assert_allclose(grads["InputWeights"][sl],
                                   getattr(net, "weight_ih_l0" + sfx).grad.numpy(), **tol)
        np.testing.assert_allclose(grads["RecurrentWeights"][sl],
                                   getattr(net, "weight_hh_l0" + sfx).grad.numpy(), **tol)
        np.testing.assert_allclose(grads["Bias"][sl, 0],
                                   getattr(net, "bias_ih_l0" + sfx).grad.numpy(), **tol)
