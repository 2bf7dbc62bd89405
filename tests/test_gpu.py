"""CuPy parity: the same code on the GPU gives the CPU's numbers (on the strict CuPy stand-in
without a GPU, see tests/strict_cupy.py)."""

import numpy as np
import pytest

from dltoolbox import (
    assembleNetwork,
    categorical,
    classificationLayer,
    fullyConnectedLayer,
    gruLayer,
    predict,
    regressionLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.backend import cupy_or_none, to_host

pytestmark = pytest.mark.gpu
MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]


@pytest.mark.parametrize("mode", MODES)
def test_gru_forward_backward_parity(mode, rs):
    cp = cupy_or_none()
    d, h, t, b = 5, 8, 6, 3
    nb = 6 * h if mode == MODES[2] else 3 * h
    f = np.float32
    layer = gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(f),
                     RecurrentWeights=rs.standard_normal((3 * h, h)).astype(f),
                     Bias=rs.standard_normal((nb, 1)).astype(f), ResetGateMode=mode)
    x = rs.standard_normal((t, b, d)).astype(f)
    dy = rs.standard_normal((t, b, h)).astype(f)
    y_cpu, back_cpu, _ = layer.forward(x, training=True)
    y_gpu, back_gpu, _ = layer.forward(cp.asarray(x), training=True)
    np.testing.assert_allclose(to_host(y_gpu), y_cpu, rtol=1e-5, atol=1e-5)
    dx_cpu, g_cpu = back_cpu(dy)
    dx_gpu, g_gpu = back_gpu(cp.asarray(dy))
    np.testing.assert_allclose(to_host(dx_gpu), dx_cpu, rtol=1e-4, atol=1e-5)
    for k in ("InputWeights", "RecurrentWeights", "Bias", "HiddenState"):
        np.testing.assert_allclose(to_host(g_gpu[k]), g_cpu[k], rtol=1e-4, atol=1e-4)


def test_predict_on_gpu_equals_cpu(rs):
    f = np.float32
    net = assembleNetwork([
        sequenceInputLayer(3),
        gruLayer(6, InputWeights=rs.standard_normal((18, 3)).astype(f),
                 RecurrentWeights=rs.standard_normal((18, 6)).astype(f),
                 Bias=np.zeros((18, 1), f)),
        fullyConnectedLayer(2, Weights=rs.standard_normal((2, 6)).astype(f),
                            Bias=np.zeros((2, 1), f)),
        regressionLayer()])
    X = [rs.standard_normal((3, n)).astype(f) for n in (4, 9, 2)]
    cpu = predict(net, X, ExecutionEnvironment='cpu')
    gpu = predict(net, X, ExecutionEnvironment='gpu')
    for a, b in zip(cpu, gpu):
        assert isinstance(b, np.ndarray)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def test_train_on_gpu_matches_cpu():
    rs = np.random.default_rng(0)
    X = [rs.standard_normal((3, int(t))) for t in rs.integers(5, 9, size=24)]
    Y = categorical(["ab"[int(x[0].mean() > 0)] for x in X])

    def layers():
        return [sequenceInputLayer(3), gruLayer(8, OutputMode='last'), fullyConnectedLayer(2),
                softmaxLayer(), classificationLayer()]

    nets = {}
    for env in ("cpu", "gpu"):
        rng(0)
        nets[env] = trainNetwork(X, Y, layers(), trainingOptions(
            'adam', MaxEpochs=3, MiniBatchSize=8, Verbose=False, Shuffle='never',
            ExecutionEnvironment=env))
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        np.testing.assert_allclose(getattr(nets["gpu"].Layers[1], name),
                                   getattr(nets["cpu"].Layers[1], name), rtol=1e-3, atol=1e-4)
