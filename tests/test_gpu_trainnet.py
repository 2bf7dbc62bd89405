"""trainnet, minibatchpredict, predict and testnet on a dlnetwork with ExecutionEnvironment
"gpu" (on the strict CuPy stand-in without a GPU, tests/strict_cupy.py): the CPU's numbers,
data kept on the device, CuPy out for CuPy in, one host read per training iteration."""

import numpy as np
import pytest

from dltoolbox import (
    categorical,
    dlnetwork,
    fullyConnectedLayer,
    lstmLayer,
    minibatchpredict,
    predict,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    testnet,
    trainingOptions,
    trainnet,
)
from dltoolbox.backend import cupy_or_none, is_device_array, to_host

pytestmark = pytest.mark.gpu


def data(n=16, seed=0):
    g = np.random.default_rng(seed)
    X = [g.standard_normal((int(g.integers(4, 8)), 3)).astype(np.float32) for _ in range(n)]
    T = categorical(["p" if x[:, 0].mean() > 0 else "q" for x in X])
    return X, T


def layers():
    return [sequenceInputLayer(3), lstmLayer(5, OutputMode="last"), fullyConnectedLayer(2),
            softmaxLayer()]


def reads():
    from tests import strict_cupy as sc
    return sc.HOST_READS[0] if cupy_or_none() is sc.MODULE else None


def train(env, epochs, solver="adam", **kw):
    X, T = data()
    rng(0)
    opts = dict(MaxEpochs=epochs, MiniBatchSize=4, Shuffle="never") if solver == "adam" \
        else dict(MaxIterations=epochs)
    return trainnet(X, T, layers(), "crossentropy", trainingOptions(
        solver, Verbose=False, ExecutionEnvironment=env, **opts, **kw), nargout=2)


def test_trainnet_on_gpu_matches_cpu_with_one_read_per_iteration():
    cpu, info_cpu = train("cpu", 2)
    before = reads()
    gpu, info_gpu = train("gpu", 2)
    after_two = reads()
    _, info_four = train("gpu", 4)
    after_four = reads()
    for a, b in zip(cpu.Learnables.Value, gpu.Learnables.Value):
        assert isinstance(b, np.ndarray)            # the returned network lives on the host
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(info_gpu.TrainingHistory.Loss, info_cpu.TrainingHistory.Loss,
                               rtol=1e-5)
    if before is not None:      # the stand-in counts explicit reads: 8 more iterations
        more = len(info_four.TrainingHistory) - len(info_gpu.TrainingHistory)
        assert more == 8
        assert (after_four - after_two) - (after_two - before) == more


def test_trainnet_on_gpu_with_validation_metrics_and_lbfgs():
    X, T = data()
    kw = dict(ValidationData=(X[:4], T[:4]), Metrics="accuracy")
    cpu, ic = train("cpu", 2, **kw)
    gpu, ig = train("gpu", 2, **kw)
    np.testing.assert_allclose(ig.ValidationHistory.Loss, ic.ValidationHistory.Loss,
                               rtol=1e-4)
    assert ig.TrainingHistory.Accuracy == ic.TrainingHistory.Accuracy
    cpu, ic = train("cpu", 8, solver="lbfgs")
    gpu, ig = train("gpu", 8, solver="lbfgs")
    np.testing.assert_allclose(ig.TrainingHistory.Loss, ic.TrainingHistory.Loss, rtol=1e-3)


def test_inference_on_the_device():
    cp = cupy_or_none()
    rng(1)
    net = dlnetwork(layers())
    X, T = data(6, seed=2)
    host = minibatchpredict(net, X, MiniBatchSize=4)
    dev = minibatchpredict(net, [cp.asarray(x) for x in X], MiniBatchSize=4)
    assert is_device_array(dev)                     # CuPy in, CuPy out
    np.testing.assert_allclose(to_host(dev), host, rtol=1e-5, atol=1e-6)
    out = minibatchpredict(net, X, MiniBatchSize=4, ExecutionEnvironment="gpu")
    assert isinstance(out, np.ndarray)              # host in, host out (computed on the GPU)
    np.testing.assert_allclose(out, host, rtol=1e-5, atol=1e-6)
    Xb = np.stack([x[:4] for x in X], axis=2)       # T-by-C-by-N
    y = predict(net, cp.asarray(Xb))
    assert is_device_array(y)
    np.testing.assert_allclose(to_host(y), predict(net, Xb), rtol=1e-5, atol=1e-6)
    acc = testnet(net, [cp.asarray(x) for x in X], T, ["accuracy", "crossentropy"])
    assert acc == pytest.approx(testnet(net, X, T, ["accuracy", "crossentropy"]), rel=1e-5)
    seq = dlnetwork([sequenceInputLayer(3), lstmLayer(4), fullyConnectedLayer(2)])
    full = minibatchpredict(seq, [cp.asarray(x) for x in X])
    assert is_device_array(full) and full.shape == (7, 2, 6)
    np.testing.assert_allclose(to_host(full), minibatchpredict(seq, X), rtol=1e-5,
                               atol=1e-6)
