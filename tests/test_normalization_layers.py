"""batchNormalizationLayer and layerNormalizationLayer: forward vs ONNX Runtime's
BatchNormalization (training and inference mode, with the running statistics) and
LayerNormalization, backward vs float64 finite differences, the moving statistics and
the population statistics through trainNetwork, displays and bad sizes."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    LayerArray,
    assembleNetwork,
    batchNormalizationLayer,
    fullyConnectedLayer,
    layerNormalizationLayer,
    predict,
    regressionLayer,
    sequenceInputLayer,
    trainingOptions,
    trainNetwork,
)
from tests.layer_checks import check_layer_gradients
from tests.reference.onnx_ops import run_op


def bn_with(rs, c, dtype=np.float32, **kw):
    return batchNormalizationLayer(
        Scale=(rs.standard_normal((c, 1)) + 1).astype(dtype),
        Offset=rs.standard_normal((c, 1)).astype(dtype),
        TrainedMean=rs.standard_normal((c, 1)).astype(dtype),
        TrainedVariance=(rs.random((c, 1)) + 0.5).astype(dtype), **kw)


def to_ncl(x):           # (T, B, C) -> ONNX (N, C, L)
    return np.ascontiguousarray(x.transpose(1, 2, 0))


def test_batchnorm_training_forward_and_running_stats_match_onnx(rs):
    c = 4
    layer = bn_with(rs, c, MeanDecay=0.3, VarianceDecay=0.2)
    x = (rs.standard_normal((6, 3, c)) * 2 + 1).astype(np.float32)
    y, _, _ = layer.forward(x, training=True)
    onnx_args = [to_ncl(x)] + [getattr(layer, n).reshape(-1).astype(np.float32) for n in
                               ("Scale", "Offset", "TrainedMean", "TrainedVariance")]
    ref, mean_ref, _ = run_op("BatchNormalization", onnx_args, opset=15, n_out=3,
                              training_mode=1, momentum=0.7, epsilon=1e-5)
    np.testing.assert_allclose(to_ncl(y), ref, rtol=1e-5, atol=1e-5)
    _, _, var_ref = run_op("BatchNormalization", onnx_args, opset=15, n_out=3,
                           training_mode=1, momentum=0.8, epsilon=1e-5)
    layer.commit_statistics()
    np.testing.assert_allclose(layer.TrainedMean.ravel(), mean_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.TrainedVariance.ravel(), var_ref, rtol=1e-5, atol=1e-6)
    layer.commit_statistics()             # nothing pending: no change
    np.testing.assert_allclose(layer.TrainedMean.ravel(), mean_ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(5, 3, 4), (7, 4)])
def test_batchnorm_prediction_forward_matches_onnx(rs, shape):
    c = shape[-1]
    layer = bn_with(rs, c)
    x = rs.standard_normal(shape).astype(np.float32)
    y = layer.forward(x)[0]
    xin = to_ncl(x) if x.ndim == 3 else x
    ref = run_op("BatchNormalization", [xin] + [
        getattr(layer, n).reshape(-1) for n in ("Scale", "Offset", "TrainedMean",
                                                 "TrainedVariance")], opset=15, epsilon=1e-5)
    np.testing.assert_allclose(to_ncl(y) if y.ndim == 3 else y, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3, 3), (6, 3)])
def test_batchnorm_backward_matches_finite_differences(rs, training, shape):
    layer = bn_with(rs, shape[-1], np.float64)
    assert check_layer_gradients(layer, rs.standard_normal(shape), rs, training) < 1e-6


@pytest.mark.parametrize("dim", ["auto", "batch-excluded"])
def test_layernorm_matches_onnx_and_finite_differences(rs, dim):
    c = 5
    layer = layerNormalizationLayer(OperationDimension=dim, Epsilon=1e-4,
                                    Scale=rs.standard_normal((c, 1)) + 1,
                                    Offset=rs.standard_normal((c, 1)))
    x = (rs.standard_normal((6, 3, c)) * 3).astype(np.float32)
    y = layer.forward(x)[0]
    s = layer.Scale.ravel().astype(np.float32)
    b = layer.Offset.ravel().astype(np.float32)
    if dim == "auto":
        ref = run_op("LayerNormalization", [x, s, b], opset=17, axis=-1, epsilon=1e-4)
        got = y
    else:                              # per observation over time and channels: (B, T, C)
        xb = np.ascontiguousarray(x.transpose(1, 0, 2))
        t = x.shape[0]
        ref = run_op("LayerNormalization", [xb, np.tile(s, (t, 1)), np.tile(b, (t, 1))],
                     opset=17, axis=1, epsilon=1e-4)
        got = y.transpose(1, 0, 2)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert check_layer_gradients(layer, rs.standard_normal((4, 3, c)), rs) < 1e-6
    assert check_layer_gradients(layer, rs.standard_normal((4, c)), rs) < 1e-6


@pytest.mark.torch
def test_batchnorm_and_layernorm_match_torch(rs):
    torch = pytest.importorskip("torch")
    c = 3
    x = rs.standard_normal((5, 4, c))
    bn = bn_with(rs, c, np.float64)
    y = bn.forward(x, training=True)[0]
    ref = torch.nn.functional.batch_norm(torch.tensor(x.reshape(-1, c)), None, None,
                                         torch.tensor(bn.Scale.ravel()),
                                         torch.tensor(bn.Offset.ravel()), training=True,
                                         eps=1e-5)
    np.testing.assert_allclose(y.reshape(-1, c), ref.numpy(), rtol=1e-10, atol=1e-10)
    ln = layerNormalizationLayer(Scale=bn.Scale, Offset=bn.Offset)
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (c,), torch.tensor(bn.Scale.ravel()),
                                         torch.tensor(bn.Offset.ravel()), eps=1e-5)
    np.testing.assert_allclose(ln.forward(x)[0], ref.numpy(), rtol=1e-10, atol=1e-10)


def bn_net_data(rs):
    X = [(rs.standard_normal((2, 5)) * [[2.0], [0.5]] + [[3.0], [-1.0]]) for _ in range(4)]
    Y = [rs.standard_normal((1, 5)) for _ in range(4)]
    return X, Y


def test_moving_statistics_are_updated_during_training(rs):
    X, Y = bn_net_data(rs)
    layers = [sequenceInputLayer(2), batchNormalizationLayer(), fullyConnectedLayer(1),
              regressionLayer()]
    opts = trainingOptions("sgdm", MaxEpochs=2, MiniBatchSize=4, Shuffle="never",
                           Verbose=False, BatchNormalizationStatistics="moving")
    net = trainNetwork(X, Y, layers, opts)
    data = np.concatenate(X, axis=1)
    m, v = data.mean(axis=1), data.var(axis=1)
    # two iterations on the same mini-batch from mean 0, variance 1
    np.testing.assert_allclose(net.Layers[1].TrainedMean.ravel(), 0.1 * m + 0.09 * m,
                               rtol=1e-5)
    np.testing.assert_allclose(net.Layers[1].TrainedVariance.ravel(),
                               0.19 * v + 0.81, rtol=1e-5)
    assert layers[1].TrainedMean is None          # the caller's layer is unchanged
    # predict uses the trained statistics
    bn = net.Layers[1]
    fc = net.Layers[2]
    xhat = (X[0] - bn.TrainedMean) / np.sqrt(bn.TrainedVariance + 1e-5)
    expected = fc.Weights @ (bn.Scale * xhat + bn.Offset) + fc.Bias
    np.testing.assert_allclose(predict(net, X[0]), expected, rtol=1e-5, atol=1e-5)


def test_population_statistics_after_training(rs):
    X, Y = bn_net_data(rs)
    X.append(rs.standard_normal((2, 3)) + 2)     # a shorter one: padded in its mini-batch
    Y.append(rs.standard_normal((1, 3)))
    layers = [sequenceInputLayer(2), batchNormalizationLayer(), fullyConnectedLayer(3),
              batchNormalizationLayer(), fullyConnectedLayer(1), regressionLayer()]
    opts = trainingOptions("adam", MaxEpochs=3, MiniBatchSize=2, Verbose=False,
                           ValidationData=(X[:2], Y[:2]))
    net, info = trainNetwork(X, Y, layers, opts, nargout=2)
    # the final validation metrics are the final network's
    pred = predict(net, X[:2])
    sq = sum(((p - y) ** 2).sum() for p, y in zip(pred, Y[:2]))
    np.testing.assert_allclose(info.FinalValidationRMSE, np.sqrt(sq / 10), rtol=1e-4)
    padded = [np.pad(x, ((0, 0), (0, 5 - x.shape[1]))) for x in X]   # mini-batches: 2,2,1
    padded[4] = X[4]                                                # alone: no padding
    data = np.concatenate(padded, axis=1)
    bn1 = net.Layers[1]
    np.testing.assert_allclose(bn1.TrainedMean.ravel(), data.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(bn1.TrainedVariance.ravel(), data.var(axis=1), rtol=1e-4)
    # the second sees the first's finalized output
    fc = net.Layers[2]
    h = fc.Weights @ (bn1.Scale * (data - bn1.TrainedMean) /
                      np.sqrt(bn1.TrainedVariance + 1e-5) + bn1.Offset) + fc.Bias
    np.testing.assert_allclose(net.Layers[3].TrainedMean.ravel(), h.mean(axis=1),
                               rtol=1e-4, atol=1e-5)
    assert net.Layers[3].description() == "Batch normalization with 3 channels"


def test_displays():
    assert repr(batchNormalizationLayer('Name', 'BN1')) == (
        "  BatchNormalizationLayer with properties:\n\n"
        "               Name: 'BN1'\n"
        "        NumChannels: 'auto'\n"
        "        TrainedMean: []\n"
        "    TrainedVariance: []\n\n"
        "   Hyperparameters\n"
        "          MeanDecay: 0.1000\n"
        "      VarianceDecay: 0.1000\n"
        "            Epsilon: 1.0000e-05\n\n"
        "   Learnable Parameters\n"
        "             Offset: []\n"
        "              Scale: []\n\n"
        "  Show all properties\n\n")
    layers = LayerArray([sequenceInputLayer(3), batchNormalizationLayer(),
                         layerNormalizationLayer()])
    assert repr(layers).splitlines()[3:5] == [
        "     2   ''   Batch Normalization   Batch normalization",
        "     3   ''   Layer Normalization   Layer normalization"]


def test_bad_sizes_are_named_errors(rs):
    with pytest.raises(DLToolboxError) as err:
        batchNormalizationLayer(NumChannels=3, TrainedMean=np.zeros(4))
    assert err.value.identifier == "dltoolbox:BatchNormalizationLayer:InvalidTrainedMean"
    with pytest.raises(DLToolboxError) as err:
        batchNormalizationLayer(Scale=np.ones(3), Offset=np.zeros(2))
    assert err.value.identifier == "dltoolbox:BatchNormalizationLayer:InvalidScale"
    with pytest.raises(DLToolboxError) as err:
        batchNormalizationLayer(TrainedVariance=np.ones((2, 2)))
    assert err.value.identifier == "dltoolbox:BatchNormalizationLayer:InvalidTrainedVariance"
    with pytest.raises(DLToolboxError) as err:
        batchNormalizationLayer(Epsilon=1e-6)
    assert err.value.identifier == "dltoolbox:batchNormalizationLayer:InvalidEpsilon"
    with pytest.raises(DLToolboxError) as err:
        batchNormalizationLayer(MeanDecay=2)
    assert err.value.identifier == "dltoolbox:batchNormalizationLayer:InvalidMeanDecay"
    layer = bn_with(rs, 3)
    with pytest.raises(DLToolboxError) as err:
        layer.NumChannels = 4
    assert err.value.identifier == "dltoolbox:BatchNormalizationLayer:InvalidNumChannels"
    # assembleNetwork needs all four arrays, sized for the input
    with pytest.raises(DLToolboxError) as err:
        assembleNetwork([sequenceInputLayer(2), bn_with(rs, 3), regressionLayer()])
    assert err.value.identifier == "dltoolbox:assembleNetwork:InvalidLearnable"
    with pytest.raises(DLToolboxError) as err:
        assembleNetwork([sequenceInputLayer(3), batchNormalizationLayer(
            Scale=np.ones(3), Offset=np.zeros(3)), regressionLayer()])
    assert "TrainedMean" in str(err.value)
    net = assembleNetwork([sequenceInputLayer(3), bn_with(rs, 3), regressionLayer()])
    assert predict(net, np.ones((3, 4))).shape == (3, 4)
