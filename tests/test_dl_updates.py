"""adamupdate/sgdmupdate/rmspropupdate/dlupdate: formulas, containers, and a custom loop
that matches trainNetwork's Adam training weight for weight."""

import numpy as np
import pytest

from dltoolbox import (
    categorical,
    classificationLayer,
    dlnetwork,
    forward,
    fullyConnectedLayer,
    lstmLayer,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.dl import (
    adamupdate,
    crossentropy,
    dlarray,
    dlfeval,
    dlgradient,
    dlupdate,
    extractdata,
    rmspropupdate,
    sgdmupdate,
)
from dltoolbox.errors import DLToolboxError

R = np.random.default_rng(3)


def test_adam_formula_by_hand():
    p, g = R.standard_normal(5), R.standard_normal(5)
    m = v = None
    q = p.copy()
    mm, vv = np.zeros(5), np.zeros(5)
    for t in (1, 2, 3):
        p, m, v = adamupdate(p, g * t, m, v, t, 0.01, 0.8, 0.99, 1e-6)
        mm = 0.8 * mm + 0.2 * g * t
        vv = 0.99 * vv + 0.01 * (g * t) ** 2
        q = q - 0.01 * np.sqrt(1 - 0.99 ** t) / (1 - 0.8 ** t) * mm / (np.sqrt(vv) + 1e-6)
    np.testing.assert_allclose(p, q, rtol=1e-12)
    np.testing.assert_allclose(m, mm) and np.testing.assert_allclose(v, vv)


def test_sgdm_and_rmsprop_formulas_and_structures():
    params = {"w": dlarray(np.ones((2, 2))), "b": [np.zeros(2)]}
    grads = {"w": dlarray(np.full((2, 2), 0.5)), "b": [np.ones(2)]}
    new, vel = sgdmupdate(params, grads, [], 0.1, 0.5)
    assert isinstance(new["w"], dlarray) and isinstance(new["b"][0], np.ndarray)
    np.testing.assert_allclose(extractdata(new["w"]), 0.95)
    new2, vel2 = sgdmupdate(new, grads, vel, 0.1, 0.5)
    np.testing.assert_allclose(extractdata(vel2["w"]), 0.5 * -0.05 - 0.05)
    p, s = rmspropupdate(np.array([1.0]), np.array([2.0]), np.array([1.0]), 0.1, 0.5, 1e-8)
    np.testing.assert_allclose(s, [0.5 + 0.5 * 4])
    np.testing.assert_allclose(p, [1.0 - 0.1 * 2 / np.sqrt(2.5)])


def test_network_update_applies_learn_rate_factors_and_keeps_net():
    net = dlnetwork([sequenceInputLayer(2), fullyConnectedLayer(3, WeightLearnRateFactor=0,
                                                                 BiasLearnRateFactor=2)])
    grads = net.Learnables.copy()
    grads.Value = [np.ones_like(v) for v in net.Learnables.Value]
    w0, b0 = (v.copy() for v in net.Learnables.Value)
    new, vel = sgdmupdate(net, grads, None, 0.1, 0.0)
    np.testing.assert_array_equal(new.Learnables.Value[0], w0)             # factor 0
    np.testing.assert_allclose(new.Learnables.Value[1], b0 - 0.2)         # factor 2
    np.testing.assert_array_equal(net.Learnables.Value[1], b0)            # unchanged
    assert list(vel.Parameter) == ["Weights", "Bias"]
    half = dlupdate(lambda w: w * 0.5, new)
    np.testing.assert_allclose(half.Learnables.Value[1], (b0 - 0.2) * 0.5, rtol=1e-6)
    summed = dlupdate(lambda g, w: g + 0.1 * w, grads, net.Learnables)
    np.testing.assert_allclose(extractdata(summed.Value[1]), 1 + 0.1 * b0, rtol=1e-6)


def test_update_errors():
    for call, ident in [
        (lambda: adamupdate(np.ones(2), np.ones(2), None, None, 0), "InvalidIteration"),
        (lambda: adamupdate(np.ones(2), np.ones(2), None, None, 1, -1.0), "InvalidLearnRate"),
        (lambda: adamupdate(np.ones(2), np.ones(2), None, None, 1, 0.1, 1.0),
         "InvalidGradientDecayFactor"),
        (lambda: sgdmupdate([np.ones(2)], [np.ones(2), np.ones(2)], None), "SizeMismatch"),
        (lambda: dlupdate(3, [np.ones(2)]), "InvalidFunction"),
    ]:
        with pytest.raises(DLToolboxError) as info:
            call()
        assert info.value.identifier.endswith(":" + ident)


C, H, K, B, T, N = 3, 5, 3, 4, 6, 12


def _layers():
    r = np.random.default_rng(0)
    return [sequenceInputLayer(C),
            lstmLayer(H, OutputMode="last",
                      InputWeights=(r.standard_normal((4 * H, C)) * 0.3).astype(np.float32),
                      RecurrentWeights=(r.standard_normal((4 * H, H)) * 0.3).astype(np.float32),
                      Bias=np.zeros((4 * H, 1), np.float32)),
            fullyConnectedLayer(K, Weights=(r.standard_normal((K, H)) * 0.3).astype(np.float32),
                                Bias=np.zeros((K, 1), np.float32)),
            softmaxLayer()]


def test_custom_adam_loop_matches_trainNetwork():
    X = [R.standard_normal((C, T)).astype(np.float32) for _ in range(N)]
    labels = R.integers(0, K, N)
    opts = trainingOptions("adam", MaxEpochs=2, MiniBatchSize=B, Shuffle="never",
                           InitialLearnRate=0.01, L2Regularization=0, Verbose=False)
    ref = trainNetwork(X, categorical(labels), [*_layers(), classificationLayer()], opts)

    net = dlnetwork(_layers())

    def model_loss(net, X, T):
        Y = forward(net, X)
        loss = crossentropy(Y, T)
        return loss, dlgradient(loss, net.Learnables)

    m = v = None
    iteration = 0
    for _epoch in range(2):
        for start in range(0, N, B):
            iteration += 1
            Xb = dlarray(np.stack(X[start:start + B], axis=1), "CBT")   # C x B x T
            Tb = np.eye(K, dtype=np.float32)[labels[start:start + B]].T
            loss, grads = dlfeval(model_loss, net, Xb, Tb)
            net, m, v = adamupdate(net, grads, m, v, iteration, 0.01)
    got = {(r["Layer"], r["Parameter"]): r["Value"] for r in net.Learnables}
    for layer in ref.Layers:
        for name in layer.learnable_names():
            np.testing.assert_allclose(got[(layer.Name, name)], getattr(layer, name),
                                       rtol=2e-4, atol=2e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_update_kernels_give_the_numpy_rules_bits(monkeypatch, dtype):
    """The one-pass numba kernels (dl/_update_numba.py) against the NumPy rules: the same
    bits for each solver, and the caller's parameters and states left as they were."""
    from dltoolbox.dl import updates

    if updates.fused is None:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(5)
    p, g = (rng.standard_normal((40, 7)).astype(dtype) for _ in range(2))
    m, v = rng.standard_normal((40, 7)).astype(dtype), rng.random((40, 7)).astype(dtype)
    calls = [lambda: adamupdate(p, g, m, v, 3, 0.01, 0.8, 0.99, 1e-6),
             lambda: adamupdate(p, g, None, None, 1),
             lambda: sgdmupdate(p, g, m, 0.05, 0.7),
             lambda: rmspropupdate(p, g, v, 0.02, 0.95, 1e-7)]
    kept = [a.copy() for a in (p, g, m, v)]
    for call in calls:
        monkeypatch.setattr(updates, "FAST", True)
        fast = call()
        monkeypatch.setattr(updates, "FAST", False)
        plain = call()
        for a, b in zip(fast, plain):
            assert a.dtype == dtype and a.shape == (40, 7)
            np.testing.assert_array_equal(a, b)
        for a, b in zip((p, g, m, v), kept):
            np.testing.assert_array_equal(a, b)


def test_numba_network_updates_match_the_numpy_rules(monkeypatch):
    """A dlnetwork's learnables go through the kernels all at once (updates._bulk) with
    tables of states from the previous call; the NumPy rules give the same networks and
    states, bit for bit, and the learn rate factors apply in both."""
    from dltoolbox.dl import updates

    if updates.fused is None:
        pytest.skip("numba is not installed")
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(4, InputWeightsLearnRateFactor=0.5),
                     fullyConnectedLayer(2, BiasLearnRateFactor=3)])
    rng = np.random.default_rng(2)
    grads = net.Learnables.copy()
    grads.Value = [dlarray(rng.standard_normal(v.shape).astype(np.float32))
                   for v in net.Learnables.Value]
    runs = {}
    for fast in (True, False):
        monkeypatch.setattr(updates, "FAST", fast)
        new, m, v = adamupdate(net, grads, None, None, 1)
        new, m, v = adamupdate(new, grads, m, v, 2, 0.01)
        n2, vel = sgdmupdate(new, grads, None, 0.1)
        n3, s = rmspropupdate(n2, grads, None)
        runs[fast] = [*new.Learnables.Value, *m.Value, *v.Value, *n2.Learnables.Value,
                      *vel.Value, *n3.Learnables.Value, *s.Value]
    assert len(runs[True]) == 7 * 5
    for a, b in zip(runs[True], runs[False]):
        np.testing.assert_array_equal(a, b)
    moved = [np.abs(a - b).max() for a, b in zip(runs[True][:5], net.Learnables.Value)]
    assert min(moved) > 0
