"""dlnetwork: construction, displays (reference r2 §1.2-§1.4), predict / forward in the
T-by-C layout, InputDataFormats, stateful inference through net.State (§5.4-§5.5)."""

from pathlib import Path

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    Table,
    classificationLayer,
    dlnetwork,
    dropoutLayer,
    forward,
    fullyConnectedLayer,
    initialize,
    lstmLayer,
    predict,
    resetState,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    summary,
)

GOLDEN = Path(__file__).with_name("golden")


def golden(name):
    return (GOLDEN / name).read_text(encoding="utf-8")


def classifier(c=12, h=100, k=9, mode="last"):
    return [sequenceInputLayer(c), lstmLayer(h, OutputMode=mode), fullyConnectedLayer(k),
            softmaxLayer()]


def test_display_of_the_lstm_classifier_spec_1_2():
    rng(0)
    net = dlnetwork(classifier())
    assert repr(net) == (
        "  dlnetwork with properties:\n\n"
        "         Layers: [4×1 nnet.cnn.layer.Layer]\n"
        "    Connections: [3×2 table]\n"
        "     Learnables: [5×3 table]\n"
        "          State: [2×3 table]\n"
        "     InputNames: {'sequenceinput'}\n"
        "    OutputNames: {'softmax'}\n"
        "    Initialized: 1\n\n"
        "  View summary with summary.\n\n")


def test_uninitialized_display_and_initialize():
    net = dlnetwork(classifier(), Initialize=False)
    assert "    Initialized: 0\n" in repr(net)
    assert all(v is None for v in net.Learnables.Value)
    assert len(net.Learnables) == 5           # the rows exist before initialization
    with pytest.raises(DLToolboxError) as err:
        predict(net, np.zeros((3, 12)))
    assert err.value.identifier == "dltoolbox:predict:UninitializedNetwork"
    net2 = initialize(net)
    assert net2.Initialized and not net.Initialized
    assert [v.shape for v in net2.Learnables.Value] == [(400, 12), (400, 100), (400, 1),
                                                        (9, 100), (9, 1)]
    assert all(v.dtype == np.float32 for v in net2.Learnables.Value)


def test_learnables_table_display_golden():
    net = dlnetwork(classifier())
    assert repr(net.Learnables) == golden("dlnetwork_learnables_table.txt")
    assert net.Learnables.Layer == ["lstm"] * 3 + ["fc"] * 2
    assert net.Learnables.Parameter == ["InputWeights", "RecurrentWeights", "Bias", "Weights",
                                        "Bias"]
    state = net.State
    assert state.Parameter == ["HiddenState", "CellState"]
    assert [v.shape for v in state.Value] == [(100, 1), (100, 1)]


def test_layers_display_golden_and_connections():
    net = dlnetwork(classifier())
    assert repr(net.Layers) == golden("dlnetwork_layers_japanese_vowels.txt")
    c = net.Connections
    assert c.Source == ["sequenceinput", "lstm", "fc"]
    assert c.Destination == ["lstm", "fc", "softmax"]
    assert net.InputNames == ("sequenceinput",) and net.OutputNames == ("softmax",)


def test_output_layer_is_rejected():
    with pytest.raises(DLToolboxError) as err:
        dlnetwork(classifier() + [classificationLayer()])
    assert err.value.identifier == "dltoolbox:dlnetwork:OutputLayerNotSupported"


def test_summary_text(capsys):
    summary(dlnetwork(classifier()))
    out = capsys.readouterr().out
    assert "   Number of learnables: 46.1k\n" in out   # 46 109 learnables
    assert "      1   'sequenceinput'   Sequence input with 12 dimensions" in out


@pytest.mark.torch
def test_predict_matches_torch_lstm():
    torch = pytest.importorskip("torch")
    rng(1)
    net = dlnetwork(classifier(c=3, h=5, k=4, mode="sequence"))
    W, R, b, Wf, bf = net.Learnables.Value
    lstm = torch.nn.LSTM(3, 5)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(W, dtype=torch.float64))
        lstm.weight_hh_l0.copy_(torch.tensor(R, dtype=torch.float64))
        lstm.bias_ih_l0.copy_(torch.tensor(b[:, 0], dtype=torch.float64))
        lstm.bias_hh_l0.zero_()
    lstm = lstm.double()
    X = np.random.default_rng(2).standard_normal((7, 3, 2))          # T-by-C-by-N
    Y = predict(net, X)
    assert Y.shape == (7, 4, 2) and Y.dtype == np.float32
    h, _ = lstm(torch.tensor(X.transpose(0, 2, 1)))                  # (T, N, H)
    z = h.detach().numpy() @ Wf.T.astype(np.float64) + bf[:, 0]
    ref = np.exp(z - z.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(Y, ref.transpose(0, 2, 1), atol=2e-6)
    # one T-by-C sequence gives T-by-K; C-by-T needs InputDataFormats="CT"
    y0 = predict(net, X[:, :, 0])
    np.testing.assert_allclose(y0, Y[:, :, 0], atol=1e-6)
    np.testing.assert_allclose(predict(net, X[:, :, 0].T, InputDataFormats="CT"), y0.T,
                               atol=1e-6)


def test_channel_by_time_without_formats_is_a_named_error():
    net = dlnetwork(classifier(c=3, h=4, k=2))
    with pytest.raises(DLToolboxError) as err:
        predict(net, np.zeros((3, 8)))
    assert err.value.identifier == "dltoolbox:predict:InvalidDataLayout"
    assert 'InputDataFormats="CT"' in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        predict(net, np.zeros((8, 5)))
    assert err.value.identifier == "dltoolbox:predict:InvalidInputSize"


def test_sequence_to_label_scores_are_n_by_k():
    net = dlnetwork(classifier(c=3, h=4, k=2))
    X = np.random.default_rng(0).standard_normal((6, 3, 5))
    Y = predict(net, X)
    assert Y.shape == (5, 2)
    np.testing.assert_allclose(Y.sum(axis=1), 1, rtol=1e-6)
    assert predict(net, X[:, :, 0]).shape == (1, 2)


def test_state_round_trip_equals_one_call():
    """[Y,state] = predict(net,X(1:k,:)); net.State = state; predict(net,X(k+1:end,:))
    continues exactly where the whole sequence would be."""
    rng(3)
    net = dlnetwork([sequenceInputLayer(2), lstmLayer(6), fullyConnectedLayer(2)])
    X = np.random.default_rng(4).standard_normal((10, 2))
    whole = predict(net, X)
    a, state = predict(net, X[:4], nargout=2)
    assert isinstance(state, Table) and state.Value[0].shape == (6, 1)
    net.State = state
    b = predict(net, X[4:])
    np.testing.assert_allclose(np.vstack([a, b]), whole, atol=1e-6)
    # one 1-by-C row per step (closed-loop form), also as a 1-D row
    net = resetState(net)
    rows = []
    for t in range(10):
        y, state = predict(net, X[t], nargout=2)
        net.State = state
        rows.append(y[0])
    np.testing.assert_allclose(np.array(rows), whole, atol=1e-6)
    # resetState returns a new network; the old one keeps its state
    fresh = resetState(net)
    np.testing.assert_allclose(predict(fresh, X), whole, atol=1e-6)
    assert not np.allclose(predict(net, X), whole, atol=1e-3)


def test_predict_does_not_change_the_network():
    net = dlnetwork([sequenceInputLayer(2), lstmLayer(3), fullyConnectedLayer(1)])
    X = np.ones((5, 2))
    y1 = predict(net, X)
    predict(net, X, nargout=2)
    np.testing.assert_array_equal(predict(net, X), y1)


def test_forward_uses_dropout_predict_does_not():
    rng(5)
    net = dlnetwork([sequenceInputLayer(4), dropoutLayer(0.5), fullyConnectedLayer(4)])
    X = np.ones((3, 4, 2))
    p1, p2 = predict(net, X), predict(net, X)
    np.testing.assert_array_equal(p1, p2)
    f = forward(net, X)
    assert f.shape == p1.shape and not np.allclose(f, p1)


def test_learnables_assignment():
    net = dlnetwork([sequenceInputLayer(2), fullyConnectedLayer(1)])
    tbl = net.Learnables
    tbl.Value = [np.array([[1.0, 2.0]]), np.array([[0.5]])]
    net.Learnables = tbl
    np.testing.assert_allclose(predict(net, np.array([[1.0, 1.0]])), [[3.5]])
    tbl.Value = [np.ones((3, 3)), np.array([[0.5]])]
    with pytest.raises(DLToolboxError) as err:
        net.Learnables = tbl
    assert err.value.identifier == "dltoolbox:dlnetwork:InvalidLearnables"
    with pytest.raises(DLToolboxError) as err:
        net.Layers = []
    assert err.value.identifier == "dltoolbox:dlnetwork:ReadOnlyProperty"


def test_the_input_layers_are_not_shared():
    layers = [sequenceInputLayer(2), fullyConnectedLayer(1)]
    dlnetwork(layers)
    assert layers[1].Weights is None and layers[1].Name == ""
