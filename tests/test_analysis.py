"""activations and analyzeNetwork (issue 14 item 2 and 3)."""

import io

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    activations,
    analyzeNetwork,
    assembleNetwork,
    classificationLayer,
    convolution1dLayer,
    fullyConnectedLayer,
    gruLayer,
    lstmLayer,
    predict,
    regressionLayer,
    reluLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
)
from dltoolbox.initializers import generator
from tests.reference.onnx_rnn import onnx_gru


def gru_net(rs, d=3, h=5, k=2, last=False):
    f32 = np.float32
    W = rs.standard_normal((3 * h, d)).astype(f32)
    R = (rs.standard_normal((3 * h, h)) * 0.5).astype(f32)
    b = (rs.standard_normal((3 * h, 1)) * 0.3).astype(f32)
    net = assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=W, RecurrentWeights=R, Bias=b,
                 OutputMode="last" if last else "sequence"),
        fullyConnectedLayer(k, Weights=rs.standard_normal((k, h)).astype(f32),
                            Bias=np.zeros((k, 1), f32)),
        softmaxLayer(), classificationLayer(Classes=["a", "b"])])
    return net, (W, R, b)


def test_activations_of_a_gru_match_onnx_runtime(rs):
    net, (W, R, b) = gru_net(rs)
    x = rs.standard_normal((3, 7)).astype(np.float32)
    act = activations(net, x, "gru")
    ref, _ = onnx_gru(x.T[:, None, :], W, R, b, np.zeros((1, 5)), "after-multiplication",
                      "sigmoid", "tanh")
    assert act.shape == (5, 7)
    np.testing.assert_allclose(act, ref[:, 0, :].T, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(activations(net, x, 2), act)     # by 1-based index
    # several sequences: a list of C-by-T_i arrays, each trimmed to its length
    xs = [x, x[:, :4]]
    acts = activations(net, xs, "gru", "MiniBatchSize", 1)
    assert [a.shape for a in acts] == [(5, 7), (5, 4)]
    np.testing.assert_allclose(acts[1], act[:, :4], rtol=1e-5, atol=1e-6)
    # the last layer's activations are predict's output
    np.testing.assert_allclose(activations(net, x, "classoutput"), predict(net, x), rtol=1e-6)


def test_activations_without_time_dimension(rs):
    net, _ = gru_net(rs, last=True)
    X = [rs.standard_normal((3, 6)).astype(np.float32) for _ in range(4)]
    act = activations(net, X, "gru", SequencePaddingDirection="left")
    assert act.shape == (5, 4)                                   # C-by-N
    assert activations(net, X, "gru", "OutputAs", "rows").shape == (4, 5)
    assert activations(net, X, "gru", "OutputAs", "columns").shape == (5, 4)
    scores = activations(net, X, "softmax", "OutputAs", "rows")
    np.testing.assert_allclose(scores, predict(net, X), rtol=1e-6)
    # the network's state is not changed
    assert net.Layers[1].HiddenState is None


def test_activations_bad_input(rs):
    net, _ = gru_net(rs)
    x = rs.standard_normal((3, 4)).astype(np.float32)
    for layer, ident in (("lstm", "UnknownLayer"), (0, "InvalidLayer"), (6, "InvalidLayer"),
                         (1.5, "InvalidLayer")):
        with pytest.raises(DLToolboxError) as err:
            activations(net, x, layer)
        assert err.value.identifier == f"dltoolbox:activations:{ident}"
    with pytest.raises(DLToolboxError) as err:
        activations(net, x, "gru", OutputAs="rows")
    assert err.value.identifier == "dltoolbox:activations:OutputAsNotSupported"
    with pytest.raises(DLToolboxError) as err:
        activations(net, x, "gru", OutputAs="pixels")
    assert err.value.identifier == "dltoolbox:activations:InvalidOutputAs"
    with pytest.raises(DLToolboxError) as err:
        activations([], x, "gru")
    assert err.value.identifier == "dltoolbox:activations:InvalidNetwork"
    with pytest.raises(DLToolboxError) as err:
        activations(net, x, "gru", Verbose=True)
    assert err.value.identifier == "dltoolbox:activations:UnknownNameValueArgument"


def page_layers():
    return [sequenceInputLayer(12), gruLayer(100, OutputMode="last"), fullyConnectedLayer(9),
            softmaxLayer(), classificationLayer()]


def test_analyze_layer_array():
    rng(3)
    before = generator().bit_generator.state
    layers = page_layers()
    out = io.StringIO()
    info = analyzeNetwork(layers, stream=out)
    # GRU 3*100*(12+100+1), FC 9*100+9: the learnables of reference §8.3 with 3 gates
    assert info.TotalLearnables == 3 * 100 * (12 + 100 + 1) + 9 * 100 + 9 == 34809
    assert info.Issues == []
    names = [r.Name for r in info.LayerInfo]
    assert names == ["sequenceinput", "gru", "fc", "softmax", "classoutput"]
    assert [r.ActivationSizes for r in info.LayerInfo] == [
        "12(C) × 1(B) × 1(T)", "100(C) × 1(B)", "9(C) × 1(B)", "9(C) × 1(B)", "9(C) × 1(B)"]
    assert [r.ActivationFormats for r in info.LayerInfo] == ["CBT", "CB", "CB", "CB", "CB"]
    assert info.LayerInfo[1].LearnableSizes == {"InputWeights": "300×12",
                                                "RecurrentWeights": "300×100",
                                                "Bias": "300×1"}
    assert info.LayerInfo[1].StateSizes == {"HiddenState": "100×1"}
    assert info.LayerInfo[2].NumLearnables == 909
    text = out.getvalue()
    assert text.splitlines()[0] == \
        "  Network analysis: 5 layers, 34809 learnables, 0 warnings, 0 errors"
    assert "   2   'gru'             GRU                     100(C) × 1(B)         " \
           "InputWeights 300×12, RecurrentWeights 300×100, Bias 300×1" in text
    assert repr(info) == text
    # nothing changed: the layers, their names, the random stream
    assert layers[1].InputWeights is None and layers[1].Name == ""
    assert generator().bit_generator.state == before


def test_analyze_lstm_classifier_total_of_the_reference():
    """Reference §8.3: the LSTM classifier of §1.2 has 46 109 learnables."""
    info = analyzeNetwork([sequenceInputLayer(12), lstmLayer(100, OutputMode="last"),
                           fullyConnectedLayer(9), softmaxLayer(), classificationLayer()],
                          Plots="none")
    assert info.TotalLearnables == 46109
    assert info.LayerInfo[1].StateSizes == {"HiddenState": "100×1", "CellState": "100×1"}


def test_analyze_trained_network(rs):
    net, _ = gru_net(rs)
    info = analyzeNetwork(net, Plots="none")
    assert info.TotalLearnables == 3 * 5 * (3 + 5 + 1) + 2 * 5 + 2
    assert info.LayerInfo[1].ActivationSizes == "5(C) × 1(B) × 1(T)"


def issue_ids(info):
    return [(i.LayerName, i.Identifier.rsplit(":", 1)[-1]) for i in info.Issues]


def test_analyze_reports_problems_as_issues(rs):
    info = analyzeNetwork([sequenceInputLayer(3), fullyConnectedLayer(4, Name="x"),
                           reluLayer(Name="x"), softmaxLayer()], Plots="none")
    assert issue_ids(info) == [("softmax", "MissingOutputLayer"), ("x", "DuplicateLayerName")]
    assert np.isnan(info.TotalLearnables)
    info = analyzeNetwork([fullyConnectedLayer(4), regressionLayer()], Plots="none")
    assert issue_ids(info)[0] == ("fc", "MissingInputLayer")
    info = analyzeNetwork([sequenceInputLayer(3), regressionLayer(), fullyConnectedLayer(2),
                           regressionLayer()], Plots="none")
    assert ("regressionoutput_1", "MisplacedLayer") in issue_ids(info)
    info = analyzeNetwork([sequenceInputLayer(3), fullyConnectedLayer(4, Weights=np.ones((4, 2))),
                           regressionLayer()], Plots="none")
    assert issue_ids(info) == [("fc", "InvalidLearnable")]
    assert info.LayerInfo[1].ActivationSizes == "" and info.LayerInfo[2].ActivationSizes == ""
    info = analyzeNetwork([sequenceInputLayer(3), fullyConnectedLayer(3), softmaxLayer(),
                           classificationLayer(Classes=["a", "b"])], Plots="none")
    assert issue_ids(info) == [("classoutput", "ClassesMismatch")]
    info = analyzeNetwork([sequenceInputLayer(3, MinLength=4), convolution1dLayer(5, 2),
                           regressionLayer()], Plots="none")
    assert issue_ids(info) == [("conv1d", "SequenceTooShort")]
    ok = analyzeNetwork([sequenceInputLayer(3, MinLength=5), convolution1dLayer(5, 2),
                         regressionLayer()], Plots="none")
    assert ok.Issues == [] and ok.LayerInfo[1].ActivationSizes == "2(C) × 1(B) × 1(T)"
    text = repr(info)
    assert "  Issues:\n    Error: layer 'conv1d': " in text
    with pytest.raises(DLToolboxError) as err:
        analyzeNetwork("net")
    assert err.value.identifier == "dltoolbox:analyzeNetwork:InvalidNetwork"
    with pytest.raises(DLToolboxError) as err:
        analyzeNetwork(page_layers(), Plots="gui")
    assert err.value.identifier == "dltoolbox:analyzeNetwork:InvalidPlots"
