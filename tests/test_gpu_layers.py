"""CuPy parity for the issue-14 layers: forward and backward on the GPU give the CPU's
numbers, and a mixed network trains with ExecutionEnvironment 'gpu' (on the strict CuPy
stand-in without a GPU, see tests/strict_cupy.py)."""

import numpy as np
import pytest

from dltoolbox import (
    averagePooling1dLayer,
    batchNormalizationLayer,
    categorical,
    classificationLayer,
    clippedReluLayer,
    convolution1dLayer,
    eluLayer,
    fullyConnectedLayer,
    geluLayer,
    globalAveragePooling1dLayer,
    globalMaxPooling1dLayer,
    gruLayer,
    layerNormalizationLayer,
    leakyReluLayer,
    maxPooling1dLayer,
    reluLayer,
    rng,
    sequenceInputLayer,
    sigmoidLayer,
    softmaxLayer,
    swishLayer,
    tanhLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.backend import cupy_or_none, to_host

pytestmark = pytest.mark.gpu


def layers(rs):
    f = np.float32
    c = 4
    affine = dict(Scale=rs.random((c, 1)).astype(f) + 0.5, Offset=rs.standard_normal((c, 1))
                  .astype(f))
    return [reluLayer(), leakyReluLayer(0.2), clippedReluLayer(1.0), eluLayer(), tanhLayer(),
            sigmoidLayer(), swishLayer(), geluLayer(), geluLayer(Approximation="tanh"),
            batchNormalizationLayer(TrainedMean=np.zeros((c, 1), f),
                                    TrainedVariance=np.ones((c, 1), f), **affine),
            layerNormalizationLayer(**affine),
            convolution1dLayer(3, 5, Weights=rs.standard_normal((3, c, 5)).astype(f),
                               Bias=rs.standard_normal((1, 5)).astype(f), Padding="same",
                               Stride=2, DilationFactor=2),
            convolution1dLayer(3, 5, Weights=rs.standard_normal((3, c, 5)).astype(f),
                               Bias=rs.standard_normal((1, 5)).astype(f), Padding=[2, 1],
                               PaddingValue="symmetric-exclude-edge"),
            maxPooling1dLayer(3, Padding="same", Stride=2),
            averagePooling1dLayer(3, Padding=[1, 2], PaddingValue="mean"),
            globalMaxPooling1dLayer(), globalAveragePooling1dLayer()]


@pytest.mark.parametrize("k", range(17))
@pytest.mark.parametrize("training", [False, True])
def test_layer_parity(rs, k, training):
    cp = cupy_or_none()
    layer = layers(rs)[k]
    x = (rs.standard_normal((9, 3, 4)) * 2).astype(np.float32)
    y_cpu, back_cpu, _ = layer.forward(x, training)
    y_gpu, back_gpu, _ = layer.forward(cp.asarray(x), training)
    assert type(y_gpu) is not np.ndarray
    np.testing.assert_allclose(to_host(y_gpu), y_cpu, rtol=1e-5, atol=1e-5)
    dy = rs.standard_normal(y_cpu.shape).astype(np.float32)
    dx_cpu, g_cpu = back_cpu(dy)
    dx_gpu, g_gpu = back_gpu(cp.asarray(dy))
    np.testing.assert_allclose(to_host(dx_gpu), dx_cpu, rtol=1e-4, atol=1e-4)
    for name in g_cpu:
        np.testing.assert_allclose(to_host(g_gpu[name]), g_cpu[name], rtol=1e-4, atol=1e-4)


def test_mixed_network_trains_on_the_gpu(rs):
    rng(0)
    X = [rs.standard_normal((1, 16)) for _ in range(16)]
    Y = [categorical(np.where(np.convolve(x[0], np.ones(3))[:16] > 0, "up", "down"),
                     ["down", "up"]) for x in X]
    net_layers = [sequenceInputLayer(1), convolution1dLayer(3, 8, Padding="causal"),
                  batchNormalizationLayer(), reluLayer(), gruLayer(8), fullyConnectedLayer(2),
                  softmaxLayer(), classificationLayer()]
    opts = trainingOptions("adam", MaxEpochs=3, MiniBatchSize=8, Verbose=False,
                           ExecutionEnvironment="gpu")
    net, info = trainNetwork(X, Y, net_layers, opts, nargout=2)
    assert np.isfinite(info.TrainingLoss).all()
    bn = net.Layers[2]
    assert type(bn.TrainedMean) is np.ndarray and type(net.Layers[1].Weights) is np.ndarray
