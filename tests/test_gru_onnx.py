"""GRU forward vs ONNX Runtime's GRU operator, every ResetGateMode x activation pair."""

import itertools

import numpy as np
import pytest

from dltoolbox import (
    assembleNetwork,
    fullyConnectedLayer,
    gruLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    sequenceInputLayer,
)
from tests.reference.onnx_rnn import onnx_gru

# every test here runs on the plain NumPy path and on the numba path
pytestmark = pytest.mark.usefixtures("kernel_path")

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))
SIZES = [(3, 4, 5), (12, 16, 9), (7, 33, 2)]   # (D, H, T)

# Largest relative errors seen, reported in the closing note: see test output with -s.
RTOL, ATOL = 1e-5, 2e-6


def make_params(rs, d, h, mode, scale=0.6):
    nb = 6 * h if mode == MODES[2] else 3 * h
    W = (rs.standard_normal((3 * h, d)) * scale).astype(np.float32)
    R = (rs.standard_normal((3 * h, h)) * scale / np.sqrt(h) * 2).astype(np.float32)
    b = (rs.standard_normal((nb, 1)) * 0.5).astype(np.float32)
    h0 = (rs.standard_normal((h, 1)) * 0.5).astype(np.float32)
    return W, R, b, h0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("gate,state", PAIRS)
@pytest.mark.parametrize("d,h,t", SIZES)
def test_layer_forward_matches_onnx(mode, gate, state, d, h, t, rs):
    W, R, b, _ = make_params(rs, d, h, mode)
    batch = 3
    x = rs.standard_normal((t, batch, d)).astype(np.float32)
    h0 = (rs.standard_normal((batch, h)) * 0.5).astype(np.float32)
    layer = gruLayer(h, InputWeights=W, RecurrentWeights=R, Bias=b, ResetGateMode=mode,
                     GateActivationFunction=gate, StateActivationFunction=state)
    y, _, (hT,) = layer.forward(x, state=h0)
    y_ref, yh_ref = onnx_gru(x, W, R, b, h0, mode, gate, state)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(hT, yh_ref, rtol=RTOL, atol=ATOL)


def _net(W, R, b, h0, mode, gate, state, output_mode):
    h = R.shape[1]
    return assembleNetwork([
        sequenceInputLayer(W.shape[1]),
        gruLayer(h, InputWeights=W, RecurrentWeights=R, Bias=b, HiddenState=h0,
                 ResetGateMode=mode, GateActivationFunction=gate,
                 StateActivationFunction=state, OutputMode=output_mode),
        fullyConnectedLayer(h, Weights=np.eye(h, dtype=np.float32),
                            Bias=np.zeros((h, 1), np.float32)),
        regressionLayer()])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("gate,state", PAIRS)
def test_predict_batches_of_different_lengths_match_onnx(mode, gate, state, rs):
    """Sequences of different lengths in one mini-batch, nonzero HiddenState, both modes."""
    d, h = 5, 6
    W, R, b, h0 = make_params(rs, d, h, mode)
    lengths = [4, 9, 6, 1, 7]
    X = [rs.standard_normal((d, n)).astype(np.float32) for n in lengths]
    seq_net = _net(W, R, b, h0, mode, gate, state, "sequence")
    Y = predict(seq_net, X, MiniBatchSize=3)
    for x, y in zip(X, Y):
        y_ref, _ = onnx_gru(x.T[:, None, :], W, R, b, h0.T, mode, gate, state)
        assert y.shape == (h, x.shape[1])
        np.testing.assert_allclose(y, y_ref[:, 0, :].T, rtol=RTOL, atol=ATOL)
    # 'last' with right padding: the output is h at the padded length (no masking).
    last_net = _net(W, R, b, h0, mode, gate, state, "last")
    Y = predict(last_net, X, MiniBatchSize=3)
    assert Y.shape == (len(X), h)
    for i, x in enumerate(X):
        s = max(lengths[:3]) if i < 3 else max(lengths[3:])
        xp = np.zeros((d, s), np.float32)
        xp[:, :x.shape[1]] = x
        _, yh = onnx_gru(xp.T[:, None, :], W, R, b, h0.T, mode, gate, state)
        np.testing.assert_allclose(Y[i], yh[0], rtol=RTOL, atol=ATOL)


def test_left_padding_last_output_matches_unpadded(rs):
    mode, gate, state = MODES[0], "sigmoid", "tanh"
    d, h = 4, 5
    W, R, b, h0 = make_params(rs, d, h, mode)
    h0[:] = 0
    X = [rs.standard_normal((d, n)).astype(np.float32) for n in (3, 8)]
    net = _net(W, R, b, h0, mode, gate, state, "last")
    Y = predict(net, X, SequencePaddingDirection="left")
    # left zero padding with a zero state is not a no-op for a GRU with biases, so compare
    # with ONNX on the left-padded sequence
    xp = np.zeros((d, 8), np.float32)
    xp[:, 5:] = X[0]
    _, yh = onnx_gru(xp.T[:, None, :], W, R, b, h0.T, mode, gate, state)
    np.testing.assert_allclose(Y[0], yh[0], rtol=RTOL, atol=ATOL)
    _, yh = onnx_gru(X[1].T[:, None, :], W, R, b, h0.T, mode, gate, state)
    np.testing.assert_allclose(Y[1], yh[0], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("gate,state", PAIRS)
def test_one_observation_path_matches_onnx(mode, gate, state, rs):
    """One C-by-T array takes the single-observation path (one kernel call)."""
    d, h = 4, 7
    W, R, b, h0 = make_params(rs, d, h, mode)
    x = rs.standard_normal((d, 6)).astype(np.float32)
    y = predict(_net(W, R, b, h0, mode, gate, state, "sequence"), x)
    y_ref, _ = onnx_gru(x.T[:, None, :], W, R, b, h0.T, mode, gate, state)
    np.testing.assert_allclose(y, y_ref[:, 0].T, rtol=RTOL, atol=ATOL)


def test_stateful_prediction_matches_onnx(rs):
    d, h = 3, 4
    W, R, b, h0 = make_params(rs, d, h, MODES[0])
    net = _net(W, R, b, h0, MODES[0], "sigmoid", "tanh", "sequence")
    x = rs.standard_normal((d, 10)).astype(np.float32)
    net2, y1 = predictAndUpdateState(net, x[:, :6], nargout=2)
    y2 = predict(net2, x[:, 6:])
    y_ref, _ = onnx_gru(x.T[:, None, :], W, R, b, h0.T, MODES[0], "sigmoid", "tanh")
    np.testing.assert_allclose(np.hstack([y1, y2]), y_ref[:, 0].T, rtol=RTOL, atol=ATOL)
