"""lstmLayer / bilstmLayer: options, sizes, display, initializers, named errors, and
training through trainNetwork (solvers, per-gate factors, chunks with state carry)."""

from pathlib import Path

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    LayerArray,
    bilstmLayer,
    categorical,
    classificationLayer,
    classify,
    dropoutLayer,
    fullyConnectedLayer,
    lstmLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)

GOLDEN = Path(__file__).with_name("golden")


def golden(name):
    return (GOLDEN / name).read_text(encoding="utf-8")


def test_lstm_display_as_matlab_prints_it():
    assert repr(lstmLayer(150, 'OutputMode', 'last')) == golden("lstm_layer.txt")


def test_bilstm_page_layer_array_and_display():
    layers = [sequenceInputLayer(12), bilstmLayer(100, 'OutputMode', 'last'),
              fullyConnectedLayer(9), softmaxLayer(), classificationLayer()]
    assert repr(LayerArray(layers)) == golden("layer_array_bilstm_page.txt")
    text = repr(bilstmLayer(100))
    assert text.startswith("  BiLSTMLayer with properties:\n")
    assert "                  CellState: []" in text


def test_defaults_and_name_value_forms():
    layer = lstmLayer(8)
    assert (layer.OutputMode, layer.StateActivationFunction, layer.GateActivationFunction,
            layer.InputWeightsInitializer, layer.RecurrentWeightsInitializer,
            layer.BiasInitializer, layer.BiasL2Factor, layer.InputWeightsL2Factor) == \
        ("sequence", "tanh", "sigmoid", "glorot", "orthogonal", "unit-forget-gate", 0.0, 1.0)
    assert lstmLayer(8, outputmode='LAST').OutputMode == "last"
    assert lstmLayer(8, 'GateActivationFunction', 'hard-sigmoid').GateActivationFunction == \
        "hard-sigmoid"
    assert layer.state_names() == ("HiddenState", "CellState")
    assert layer.description() == "LSTM with 8 hidden units"


@pytest.mark.parametrize("make,dirs", [(lstmLayer, 1), (bilstmLayer, 2)])
def test_initializers_sizes_and_unit_forget_gate(make, dirs):
    rng(0)
    h, d = 5, 3
    layer = make(h)
    layer.initialize(d, np.float32)
    rows = 4 * h * dirs
    assert layer.InputWeights.shape == (rows, d) and layer.InputWeights.dtype == np.float32
    assert layer.RecurrentWeights.shape == (rows, h)
    bias = layer.Bias.reshape(dirs, 4, h)
    np.testing.assert_array_equal(bias[:, 1], 1)      # forget blocks of every direction
    np.testing.assert_array_equal(bias[:, [0, 2, 3]], 0)
    bound = np.sqrt(6 / (d + rows))                    # glorot, fan-out = all gate rows
    assert np.abs(layer.InputWeights).max() <= bound
    assert np.abs(layer.InputWeights).max() > 0.8 * bound
    q = layer.RecurrentWeights.astype(np.float64)      # orthogonal columns
    np.testing.assert_allclose(q.T @ q, np.eye(h), atol=1e-5)
    assert layer.output_size(d) == dirs * h
    ones = make(h, BiasInitializer='ones', InputWeightsInitializer='zeros')
    ones.initialize(d, np.float32)
    np.testing.assert_array_equal(ones.Bias, 1)
    np.testing.assert_array_equal(ones.InputWeights, 0)
    handle = make(h, RecurrentWeightsInitializer=lambda sz: np.full(sz, 0.5))
    handle.initialize(d, np.float32)
    np.testing.assert_array_equal(handle.RecurrentWeights, 0.5)
    assert handle.RecurrentWeights.shape == (rows, h)


def test_preset_weights_fix_input_size():
    h, d = 4, 6
    layer = lstmLayer(h, InputWeights=np.zeros((16, d)), RecurrentWeights=np.zeros((16, h)),
                      Bias=np.zeros((16, 1)), HiddenState=np.ones((h, 1)),
                      CellState=np.ones((h, 1)))
    assert layer.InputSize == d
    assert layer.CellState.shape == (h, 1)


@pytest.mark.parametrize("call,ident,fragment", [
    (lambda: lstmLayer(4, InputWeights=np.zeros((12, 3))), "LSTMLayer:InvalidInputWeights",
     "16×InputSize"),
    (lambda: bilstmLayer(4, InputWeights=np.zeros((16, 3))),
     "BiLSTMLayer:InvalidInputWeights", "32×InputSize"),
    (lambda: bilstmLayer(4, RecurrentWeights=np.zeros((16, 4))),
     "BiLSTMLayer:InvalidRecurrentWeights", "32×4"),
    (lambda: lstmLayer(4, Bias=np.zeros((32, 1))), "LSTMLayer:InvalidBias", "16×1"),
    (lambda: lstmLayer(4, InputWeightsLearnRateFactor=[1, 1, 1]), "lstmLayer:Invalid",
     "1-by-4"),
    (lambda: bilstmLayer(4, BiasL2Factor=[1, 1, 1, 1]), "bilstmLayer:Invalid", "1-by-8"),
    (lambda: lstmLayer(4, InputWeightsInitializer='unit-forget-gate'), "lstmLayer:Invalid",
     "'glorot'"),
    (lambda: lstmLayer(4, CellState=np.zeros((5, 1))), "LSTMLayer:InvalidCellState", "4×1"),
    (lambda: bilstmLayer(4, HiddenState=np.zeros((4, 1))), "BiLSTMLayer:InvalidHiddenState",
     "8×1"),
    (lambda: lstmLayer(4, StateActivationFunction='relu'), "lstmLayer:Invalid", "'softsign'"),
    (lambda: lstmLayer(4, HasStateOutputs=True), "lstmLayer:NotSupported", "HasStateOutputs"),
    (lambda: lstmLayer(0), "lstmLayer:Invalid", "NumHiddenUnits"),
    (lambda: lstmLayer(4, ResetGateMode='after-multiplication'),
     "lstmLayer:UnknownNameValueArgument", "ResetGateMode"),
])
def test_bad_input_named_errors(call, ident, fragment):
    with pytest.raises(DLToolboxError) as err:
        call()
    assert err.value.identifier.startswith("dltoolbox:" + ident)
    assert fragment in str(err.value)


def test_factors_expand_per_gate_block():
    layer = bilstmLayer(2, InputWeightsLearnRateFactor=[1, 2, 3, 4, 5, 6, 7, 8])
    f = layer.factor("LearnRateFactor", "InputWeights")
    np.testing.assert_array_equal(f.ravel(), np.repeat(np.arange(1, 9), 2))
    assert lstmLayer(2).factor("L2Factor", "Bias") == 0.0


def sequences(n, seed, d=3):
    rs = np.random.default_rng(seed)
    X, Y = [], []
    for i in range(n):
        k = i % 3
        t = int(rs.integers(6, 10))
        x = rs.standard_normal((d, t)) * 0.3
        x[k] += 1.0       # the class is the channel with the raised mean
        X.append(x)
        Y.append("abc"[k])
    return X, categorical(Y)


@pytest.mark.parametrize("solver", ["adam", "sgdm", "rmsprop"])
def test_stacked_lstm_classifier_trains(solver):
    """[input, lstm('sequence'), dropout, lstm('last'), fc, softmax, classification]."""
    rng(0)
    X, Y = sequences(90, 0)
    XT, YT = sequences(45, 1)
    layers = [sequenceInputLayer(3), lstmLayer(12), dropoutLayer(0.1),
              lstmLayer(12, OutputMode='last'), fullyConnectedLayer(3), softmaxLayer(),
              classificationLayer()]
    rate = {"adam": 0.02, "sgdm": 0.1, "rmsprop": 0.01}[solver]
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        solver, MaxEpochs=12, MiniBatchSize=15, InitialLearnRate=rate, Verbose=False,
        GradientThreshold=1, SequencePaddingDirection='left'), nargout=2)
    acc = np.mean(classify(net, XT, SequencePaddingDirection='left') == YT)
    assert acc >= 0.9, acc
    assert [lay.Name for lay in net.Layers][1:4] == ["lstm_1", "dropout", "lstm_2"]
    assert info.TrainingLoss[-1] < info.TrainingLoss[0]


def test_bilstm_classifier_trains_with_validation():
    rng(0)
    X, Y = sequences(90, 2)
    XT, YT = sequences(45, 3)
    layers = [sequenceInputLayer(3), bilstmLayer(10, OutputMode='last'),
              fullyConnectedLayer(3), softmaxLayer(), classificationLayer()]
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'adam', MaxEpochs=10, MiniBatchSize=15, InitialLearnRate=0.02, Verbose=False,
        ValidationData=(XT, YT), ValidationFrequency=6), nargout=2)
    assert np.mean(classify(net, XT) == YT) >= 0.9
    assert info.FinalValidationAccuracy >= 90
    assert net.Layers[1].InputWeights.shape == (80, 3)


def test_per_gate_factors_freeze_lstm_gate_blocks():
    rng(0)
    rs = np.random.default_rng(0)
    X = [rs.standard_normal((2, 6)) for _ in range(6)]
    Y = [x.sum(axis=0, keepdims=True) for x in X]
    h = 3
    layers = [sequenceInputLayer(2),
              lstmLayer(h, InputWeightsLearnRateFactor=[0, 1, 0, 1], BiasLearnRateFactor=0,
                        RecurrentWeightsLearnRateFactor=[1, 0, 0, 0]),
              fullyConnectedLayer(1), regressionLayer()]
    rng(0)
    start = trainNetwork(X, Y, layers, trainingOptions(
        'adam', MaxEpochs=1, MiniBatchSize=6, Verbose=False, InitialLearnRate=1e-12))
    rng(0)
    net = trainNetwork(X, Y, layers, trainingOptions(
        'adam', MaxEpochs=4, MiniBatchSize=3, Verbose=False, InitialLearnRate=0.05))
    w0, w = start.Layers[1].InputWeights, net.Layers[1].InputWeights
    blocks = [np.abs(w[k * h:(k + 1) * h] - w0[k * h:(k + 1) * h]).max() for k in range(4)]
    assert blocks[0] < 1e-6 and blocks[2] < 1e-6
    assert blocks[1] > 1e-3 and blocks[3] > 1e-3
    r0, r = start.Layers[1].RecurrentWeights, net.Layers[1].RecurrentWeights
    assert np.abs(r[:h] - r0[:h]).max() > 1e-3
    np.testing.assert_allclose(r[h:], r0[h:], atol=1e-6)
    np.testing.assert_array_equal(net.Layers[1].Bias, start.Layers[1].Bias)


@pytest.mark.parametrize("make", [lstmLayer, bilstmLayer])
def test_sequence_length_chunks_carry_hidden_and_cell_state(make):
    """With learning switched off, the chunked losses equal slices of one unchunked pass:
    both states travel from chunk to chunk (bilstm: each chunk's backward direction
    starts from the carried state, as MATLAB's chunking does)."""
    rng(1)
    rs = np.random.default_rng(2)
    X = [rs.standard_normal((2, t)) for t in (7, 5, 9)]
    Y = [x[:1] * 0.5 for x in X]
    layers = [sequenceInputLayer(2),
              make(4, InputWeightsLearnRateFactor=0, RecurrentWeightsLearnRateFactor=0,
                   BiasLearnRateFactor=0),
              fullyConnectedLayer(1, WeightLearnRateFactor=0, BiasLearnRateFactor=0),
              regressionLayer()]
    L = 3
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'sgdm', MaxEpochs=1, MiniBatchSize=3, SequenceLength=L, Shuffle='never',
        Verbose=False), nargout=2)
    s = 9
    assert len(info.TrainingLoss) == s // L
    pad = [np.hstack([x, np.zeros((2, s - x.shape[1]))]) for x in X]
    tpad = [np.hstack([y, np.zeros((1, s - y.shape[1]))]) for y in Y]
    # the stateful chunks, replayed with predictAndUpdateState on the padded batch
    state = net
    for k in range(s // L):
        sl = slice(k * L, (k + 1) * L)
        state, out = predictAndUpdateState(state, [p[:, sl] for p in pad], MiniBatchSize=3,
                                           nargout=2)
        sq = sum(((o - t[:, sl]) ** 2).sum() for o, t in zip(out, tpad))
        assert info.TrainingLoss[k] == pytest.approx(0.5 * sq / (3 * L), rel=1e-5)
    if make is lstmLayer:   # one direction: chunked prediction equals unchunked
        for a, b in zip(predict(net, X, SequenceLength=L), predict(net, X)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
