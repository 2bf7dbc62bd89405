"""forward/predict of networks on dlarrays inside dlfeval: gradients of whole networks
against float64 central differences, training vs inference behaviour, state, Outputs."""

import numpy as np
import pytest

from dltoolbox import (
    batchNormalizationLayer,
    dlnetwork,
    dropoutLayer,
    forward,
    fullyConnectedLayer,
    gruLayer,
    layerNormalizationLayer,
    lstmLayer,
    predict,
    reluLayer,
    sequenceInputLayer,
    softmaxLayer,
)
from dltoolbox.dl import crossentropy, dims, dlarray, dlfeval, dlgradient, extractdata
from dltoolbox.dl.network_ops import dlforward
from dltoolbox.errors import DLToolboxError
from dltoolbox.initializers import rng

R = np.random.default_rng(5)
C, H, K, B, T = 3, 4, 2, 3, 5


def _w(*shape):
    return R.standard_normal(shape) * 0.5


SHAPES = [(4 * H, C), (4 * H, H), (4 * H, 1), (H, 1), (H, 1), (3 * H, H), (3 * H, H),
          (3 * H, 1), (K, H), (K, 1)]


def _net(last=True, extra=None, arrays=None):
    """LSTM, layer norm + ReLU (``extra``), GRU, FC, softmax; float64 learnables."""
    a = arrays or [_w(*s) + (1.0 if i == 4 else 0.0) for i, s in enumerate(SHAPES)]
    middle = [] if extra is False else [layerNormalizationLayer(Offset=a[3], Scale=a[4]),
                                        reluLayer()]
    return dlnetwork([
        sequenceInputLayer(C),
        lstmLayer(H, InputWeights=a[0], RecurrentWeights=a[1], Bias=a[2]),
        *middle,
        gruLayer(H, InputWeights=a[5], RecurrentWeights=a[6], Bias=a[7],
                 OutputMode="last" if last else "sequence"),
        fullyConnectedLayer(K, Weights=a[8], Bias=a[9]),
        softmaxLayer()])


TGT = np.eye(K)[R.integers(0, K, B)].T          # K-by-B one-hot


def _loss(net, X):
    Y, state = forward(net, X, nargout=2)
    loss = crossentropy(Y, TGT)
    return loss, dlgradient(loss, net.Learnables, X), state


def test_network_gradients_against_finite_differences():
    arrays = [_w(*s) + (1.0 if i == 4 else 0.0) for i, s in enumerate(SHAPES)]
    x = R.standard_normal((C, B, T))
    net = _net(arrays=arrays)
    loss, (g_learn, g_x), _ = dlfeval(_loss, net, dlarray(x, "CBT"))
    assert len(g_learn) == len(SHAPES) and list(g_learn.Parameter) == list(
        net.Learnables.Parameter)

    def value(arrays, x):
        return float(crossentropy(forward(_net(arrays=arrays), dlarray(x, "CBT")), TGT))

    h, errors = 1e-6, []
    for i, g in enumerate([*g_learn.Value, g_x]):
        base = arrays[i] if i < len(arrays) else x
        v = R.standard_normal(base.shape)
        up = [a.copy() for a in arrays] + [x.copy()]
        down = [a.copy() for a in arrays] + [x.copy()]
        up[i] = base + h * v
        down[i] = base - h * v
        fd = (value(up[:-1], up[-1]) - value(down[:-1], down[-1])) / (2 * h)
        an = float((np.asarray(extractdata(g)).reshape(v.shape) * v).sum())
        errors.append(abs(fd - an) / max(abs(fd), 1e-8))
    assert len(errors) == len(SHAPES) + 1 and max(errors) < 1e-6


def test_forward_value_matches_numeric_predict_and_state_table():
    net = _net(extra=False)
    x = R.standard_normal((T, C, B)).astype(np.float32)
    ref = predict(net, x)                       # numeric T-by-C-by-B in, B-by-K out
    Y, state = dlfeval(lambda n, X: forward(n, X, nargout=2), net, dlarray(x, "TCB"))
    assert dims(Y) == "CB"
    np.testing.assert_allclose(extractdata(Y).T, ref, rtol=1e-5, atol=1e-6)
    assert list(state.Parameter) == ["HiddenState", "CellState", "HiddenState"]
    assert state.Value[0].shape == (H, B)
    net.State = state


def test_dropout_training_vs_inference_and_outputs():
    net = dlnetwork([sequenceInputLayer(C), dropoutLayer(0.5),
                     fullyConnectedLayer(K, Weights=np.ones((K, C)), Bias=np.zeros((K, 1)))])
    X = dlarray(np.ones((C, B, T)), "CBT")
    rng(0)
    train = extractdata(forward(net, X))
    infer = extractdata(predict(net, X))
    assert np.allclose(infer, C) and not np.allclose(train, C)
    drop = forward(net, X, Outputs="dropout")
    assert set(np.unique(extractdata(drop))) <= {0.0, 2.0}
    both = predict(net, X, "Outputs", ["dropout", "fc"], nargout=2)
    assert extractdata(both[0]).shape == (C, B, T) and dims(both[1]) == "CBT"


def test_batchnorm_uses_batch_statistics_in_forward_only():
    bn = batchNormalizationLayer(TrainedMean=np.zeros((C, 1)), TrainedVariance=np.ones((C, 1)),
                                 Offset=np.zeros((C, 1)), Scale=np.ones((C, 1)))
    net = dlnetwork([sequenceInputLayer(C), bn])
    X = dlarray(R.standard_normal((C, B, T)) + 3, "CBT")
    y_train = extractdata(forward(net, X))
    y_infer = extractdata(predict(net, X))
    assert abs(y_train.mean()) < 1e-6 and y_infer.mean() > 2


def test_layer_list_and_errors():
    fc = fullyConnectedLayer(K, Weights=np.ones((K, C)), Bias=np.zeros((K, 1)))
    Y, state = dlforward([fc], dlarray(np.ones((C, B)), "CB"), nargout=2)
    assert extractdata(Y).shape == (K, B) and state == {}
    with pytest.raises(DLToolboxError) as info:
        forward(_net(), dlarray(np.ones((C, B))))
    assert info.value.identifier == "dltoolbox:forward:UnformattedInput"
    with pytest.raises(DLToolboxError) as info:
        forward(_net(), dlarray(np.ones((C, B, T)), "CBT"), Outputs="nope")
    assert info.value.identifier == "dltoolbox:forward:InvalidOutputs"


def _bn_net(mean0, var0, offset, scale):
    """sequenceInput -> LSTM -> batch normalization (MeanDecay 0.3, VarianceDecay 0.2)."""
    return dlnetwork([
        sequenceInputLayer(C),
        lstmLayer(H, InputWeights=_w(4 * H, C), RecurrentWeights=_w(4 * H, H),
                  Bias=_w(4 * H, 1), Name="lstm"),
        batchNormalizationLayer(TrainedMean=mean0, TrainedVariance=var0, Offset=offset,
                                Scale=scale, MeanDecay=0.3, VarianceDecay=0.2, Name="bn")])


@pytest.mark.parametrize("as_dlarray", [False, True], ids=["numeric", "dlarray_in_dlfeval"])
def test_forward_returns_batchnorm_running_statistics_in_state(as_dlarray):
    mean0, var0 = R.uniform(-1, 1, (H, 1)), R.uniform(0.5, 2, (H, 1))
    offset, scale = R.standard_normal((H, 1)), R.uniform(0.5, 2, (H, 1))
    net = _bn_net(mean0, var0, offset, scale)
    x = R.standard_normal((T, C, B)).astype(np.float32)               # T-by-C-by-N
    assert list(net.State.Parameter) == ["HiddenState", "CellState", "TrainedMean",
                                         "TrainedVariance"]
    assert list(net.State.Layer) == ["lstm", "lstm", "bn", "bn"]
    # the BN layer's input, from the LSTM alone (independent of the network code)
    lstm_out = net.Layers[1].forward(np.ascontiguousarray(x.transpose(0, 2, 1)))[0]
    mu = lstm_out.astype(np.float64).mean(axis=(0, 1)).reshape(-1, 1)
    var = lstm_out.astype(np.float64).var(axis=(0, 1)).reshape(-1, 1)   # biased (1/N)
    mean1 = 0.3 * mu + 0.7 * mean0
    var1 = 0.2 * var + 0.8 * var0
    if as_dlarray:
        _, state = dlfeval(lambda n, X: forward(n, X, nargout=2), net, dlarray(x, "TCB"))
    else:
        _, state = forward(net, x, nargout=2)
    rows = {(a, b): v for a, b, v in zip(state.Layer, state.Parameter, state.Value)}
    np.testing.assert_allclose(rows["bn", "TrainedMean"], mean1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rows["bn", "TrainedVariance"], var1, rtol=1e-5, atol=1e-6)
    assert rows["lstm", "HiddenState"].shape == (H, B)
    # predict reports the stored statistics, unchanged, and leaves none behind
    _, same = predict(net, x, nargout=2)
    np.testing.assert_allclose(same.Value[2], mean0, rtol=1e-6)
    # committing the state: predict then normalizes with the new statistics (and starts
    # from the committed recurrent state)
    net.State = state
    np.testing.assert_allclose(net.State.Value[3], var1, rtol=1e-5)
    h0, c0 = rows["lstm", "HiddenState"], rows["lstm", "CellState"]
    lstm2 = net.Layers[1].forward(np.ascontiguousarray(x.transpose(0, 2, 1)), False,
                                  (h0.T.copy(), c0.T.copy()))[0]
    expect = (lstm2 - mean1.ravel()) / np.sqrt(var1.ravel() + 1e-5) * scale.ravel() + \
        offset.ravel()
    np.testing.assert_allclose(predict(net, x), expect.transpose(0, 2, 1), rtol=1e-4,
                               atol=1e-5)


def test_forward_without_state_leaves_no_statistics_behind():
    net = _bn_net(np.zeros((H, 1)), np.ones((H, 1)), np.zeros((H, 1)), np.ones((H, 1)))
    x = R.standard_normal((T, C, B)).astype(np.float32)
    forward(net, x)                                  # statistics gathered, not asked for
    _, state = predict(net, x, nargout=2)
    np.testing.assert_array_equal(state.Value[2], np.zeros((H, 1)))
    _, state = forward(net, dlarray(x, "TCB"), nargout=2)
    assert not np.allclose(state.Value[2], 0)


@pytest.mark.parametrize("fmt", ["CBT", "CT"])
def test_one_node_path_matches_the_per_layer_path(fmt):
    """forward on a one-input, one-output network runs trainNetwork's executor as one
    tape node; 'Outputs' naming the same last layer takes the per-layer path (a node per
    layer). Both give the same outputs, states and gradients, bit for bit, and the input's
    gradient reaches an input traced in either layout."""
    net = _net(last=False)
    x = R.standard_normal((C, B, T) if fmt == "CBT" else (C, T))
    tgt = R.uniform(0, 1, (K, B, T) if fmt == "CBT" else (K, T))

    def run(*extra):
        def f(n, X):
            Y, state = forward(n, X, *extra, nargout=2)
            loss = crossentropy(Y, tgt)
            return Y, state, dlgradient(loss, n.Learnables, X)
        return dlfeval(f, net, dlarray(x, fmt))

    one, per_layer = run(), run("Outputs", net.Layers[-1].Name)
    assert dims(one[0]) == dims(per_layer[0]) == fmt
    np.testing.assert_array_equal(extractdata(one[0]), extractdata(per_layer[0]))
    for a, b in zip(one[1].Value, per_layer[1].Value):
        np.testing.assert_array_equal(a, b)
    (g1, gx1), (g2, gx2) = one[2], per_layer[2]
    assert gx1.size() == gx2.size() == dlarray(x, fmt).size()
    np.testing.assert_array_equal(extractdata(gx1), extractdata(gx2))
    for a, b in zip(g1.Value, g2.Value):
        assert np.abs(extractdata(a)).sum() > 0
        np.testing.assert_array_equal(extractdata(a), extractdata(b))
