"""lstmLayer and bilstmLayer forward vs ONNX Runtime's LSTM operator (forward and
bidirectional), float32: every activation pair, both output modes, initial states,
ragged mini-batches, and the states stored by predictAndUpdateState."""

import itertools

import numpy as np
import pytest

from dltoolbox import (
    assembleNetwork,
    bilstmLayer,
    fullyConnectedLayer,
    lstmLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    resetState,
    sequenceInputLayer,
)
from tests.reference.onnx_rnn import onnx_lstm

# every test here runs on the plain NumPy path and on the numba paths
pytestmark = pytest.mark.usefixtures("kernel_path")

PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))
CELLS = {"lstm": (lstmLayer, 1), "bilstm": (bilstmLayer, 2)}
RTOL, ATOL = 1e-5, 2e-6


def make_params(rs, d, h, dirs, scale=0.6):
    W = (rs.standard_normal((4 * h * dirs, d)) * scale).astype(np.float32)
    R = (rs.standard_normal((4 * h * dirs, h)) * scale / np.sqrt(h) * 2).astype(np.float32)
    b = (rs.standard_normal((4 * h * dirs, 1)) * 0.5).astype(np.float32)
    h0 = (rs.standard_normal((h * dirs, 1)) * 0.5).astype(np.float32)
    c0 = (rs.standard_normal((h * dirs, 1)) * 0.5).astype(np.float32)
    return W, R, b, h0, c0


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("gate,state", PAIRS)
@pytest.mark.parametrize("d,h,t", [(3, 4, 5), (12, 16, 9), (7, 33, 2)])
def test_layer_forward_matches_onnx(cell, gate, state, d, h, t, rs):
    make, dirs = CELLS[cell]
    W, R, b, _, _ = make_params(rs, d, h, dirs)
    batch = 3
    x = rs.standard_normal((t, batch, d)).astype(np.float32)
    h0 = (rs.standard_normal((batch, dirs * h)) * 0.5).astype(np.float32)
    c0 = (rs.standard_normal((batch, dirs * h)) * 0.5).astype(np.float32)
    layer = make(h, InputWeights=W, RecurrentWeights=R, Bias=b,
                 GateActivationFunction=gate, StateActivationFunction=state)
    y, _, (hT, cT) = layer.forward(x, state=(h0, c0))
    y_ref, yh_ref, yc_ref = onnx_lstm(x, W, R, b, h0, c0, gate, state)
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(hT, yh_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(cT, yc_ref, rtol=RTOL, atol=ATOL)
    last = make(h, InputWeights=W, RecurrentWeights=R, Bias=b, OutputMode="last",
                GateActivationFunction=gate, StateActivationFunction=state)
    y_last, _, _ = last.forward(x, state=(h0, c0))
    # 'last' is the last time step of the sequence output (bilstm: the backward half has
    # seen only x_T, MATLAB's definition)
    np.testing.assert_allclose(y_last, y_ref[-1], rtol=RTOL, atol=ATOL)


def _net(W, R, b, h0, c0, cell, output_mode):
    make, dirs = CELLS[cell]
    h = R.shape[1]
    return assembleNetwork([
        sequenceInputLayer(W.shape[1]),
        make(h, InputWeights=W, RecurrentWeights=R, Bias=b, HiddenState=h0, CellState=c0,
             OutputMode=output_mode),
        fullyConnectedLayer(dirs * h, Weights=np.eye(dirs * h, dtype=np.float32),
                            Bias=np.zeros((dirs * h, 1), np.float32)),
        regressionLayer()])


@pytest.mark.parametrize("cell", CELLS)
def test_ragged_sequences_through_predict_match_onnx(cell, rs):
    """Sequences of different lengths: one per mini-batch (no padding) equals ONNX on each
    sequence; a padded mini-batch equals ONNX on the right-padded batch (no masking)."""
    _, dirs = CELLS[cell]
    d, h = 4, 6
    W, R, b, h0, c0 = make_params(rs, d, h, dirs)
    net = _net(W, R, b, h0, c0, cell, "sequence")
    seqs = [rs.standard_normal((d, t)).astype(np.float32) for t in (5, 2, 8)]
    alone = predict(net, seqs, MiniBatchSize=1)
    padded = predict(net, seqs, MiniBatchSize=3)
    X = np.zeros((8, 3, d), np.float32)
    for i, s in enumerate(seqs):
        X[:s.shape[1], i] = s.T
    y_pad, _, _ = onnx_lstm(X, W, R, b, np.repeat(h0.T, 3, 0), np.repeat(c0.T, 3, 0),
                            "sigmoid", "tanh")
    for i, s in enumerate(seqs):
        t = s.shape[1]
        y_one, _, _ = onnx_lstm(s.T[:, None], W, R, b, h0.T, c0.T, "sigmoid", "tanh")
        np.testing.assert_allclose(alone[i], y_one[:, 0].T, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(padded[i], y_pad[:t, i].T, rtol=RTOL, atol=ATOL)
    if dirs == 2:   # the backward half of a right-padded batch starts in the padding
        assert not np.allclose(padded[1], alone[1], atol=1e-3)


@pytest.mark.parametrize("cell", CELLS)
def test_predict_and_update_state_stores_hidden_and_cell_states(cell, rs):
    _, dirs = CELLS[cell]
    d, h, t = 3, 5, 7
    W, R, b, h0, c0 = make_params(rs, d, h, dirs)
    net = _net(W, R, b, h0, c0, cell, "sequence")
    x = rs.standard_normal((d, t)).astype(np.float32)
    updated, y = predictAndUpdateState(net, x, nargout=2)
    _, yh, yc = onnx_lstm(x.T[:, None], W, R, b, h0.T, c0.T, "sigmoid", "tanh")
    layer = updated.Layers[1]
    np.testing.assert_allclose(layer.HiddenState, yh.T, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.CellState, yc.T, rtol=RTOL, atol=ATOL)
    assert layer.HiddenState.shape == layer.CellState.shape == (dirs * h, 1)
    np.testing.assert_array_equal(net.Layers[1].CellState, c0)   # the input is unchanged
    if dirs == 1:
        # two calls with the state carried equal one call over the whole sequence
        first = predictAndUpdateState(net, x[:, :3])
        _, y2 = predictAndUpdateState(first, x[:, 3:], nargout=2)
        np.testing.assert_allclose(y2, y[:, 3:], rtol=RTOL, atol=ATOL)
    # the next call starts from the stored states
    x2 = rs.standard_normal((d, 4)).astype(np.float32)
    y_next = predict(updated, x2)
    y_ref, _, _ = onnx_lstm(x2.T[:, None], W, R, b, yh, yc, "sigmoid", "tanh")
    np.testing.assert_allclose(y_next, y_ref[:, 0].T, rtol=RTOL, atol=ATOL)
    reset = resetState(updated)
    np.testing.assert_array_equal(reset.Layers[1].HiddenState, h0)
    np.testing.assert_array_equal(reset.Layers[1].CellState, c0)


def test_states_of_a_mini_batch_and_the_size_check(rs):
    d, h = 3, 4
    W, R, b, _, _ = make_params(rs, d, h, 1)
    net = _net(W, R, b, None, None, "lstm", "last")
    seqs = [rs.standard_normal((d, 6)).astype(np.float32) for _ in range(4)]
    updated = predictAndUpdateState(net, seqs)
    assert updated.Layers[1].HiddenState.shape == (h, 4)
    assert updated.Layers[1].CellState.shape == (h, 4)
    with pytest.raises(Exception) as err:
        predict(updated, seqs[:3])
    assert err.value.identifier == "dltoolbox:predict:IncorrectNetworkState"
    zero = resetState(updated)
    assert zero.Layers[1].HiddenState is None and zero.Layers[1].CellState is None
