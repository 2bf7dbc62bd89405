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
