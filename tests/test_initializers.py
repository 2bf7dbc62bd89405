"""Initializer statistics (reference §2.4) and the rule that set learnables are kept."""

import numpy as np
import pytest

from dltoolbox import fullyConnectedLayer, gruLayer, initializers, rng


@pytest.mark.parametrize("d,h", [(12, 100), (40, 30)])
def test_gru_glorot_and_he_variances(d, h):
    rng(0)
    layer = gruLayer(h, InputWeightsInitializer='glorot', RecurrentWeightsInitializer='glorot')
    layer.initialize(d, np.float64)
    w, r = layer.InputWeights, layer.RecurrentWeights
    for a, var in ((w, 2 / (d + 3 * h)), (r, 2 / (h + 3 * h))):
        n = a.size
        assert abs(a.mean()) < 4 * np.sqrt(var / n)
        # variance of a sample variance of uniforms: (9/5 - 1) var^2 / n
        assert abs(a.var() - var) < 4 * np.sqrt(0.8 * var ** 2 / n)
        assert np.abs(a).max() <= np.sqrt(3 * var) + 1e-12
    layer = gruLayer(h, InputWeightsInitializer='he', RecurrentWeightsInitializer='he')
    layer.initialize(d, np.float64)
    for a, var in ((layer.InputWeights, 2 / d), (layer.RecurrentWeights, 2 / h)):
        assert abs(a.var() - var) < 4 * np.sqrt(2 * var ** 2 / a.size)


def test_narrow_normal_zeros_ones():
    rng(1)
    a = initializers.initialize('narrow-normal', (300, 200), 1, 1, "f", "p", np.float64)
    assert abs(a.std() - 0.01) < 4 * 0.01 / np.sqrt(2 * a.size)
    assert (initializers.initialize('zeros', (2, 3), 1, 1, "f", "p") == 0).all()
    assert (initializers.initialize('ones', (2, 3), 1, 1, "f", "p") == 1).all()


@pytest.mark.parametrize("shape", [(300, 100), (60, 20), (20, 60), (50, 50)])
def test_orthogonal(shape):
    rng(2)
    q = initializers.orthogonal(shape, 0, 0)
    rows, cols = shape
    gram = q.T @ q if rows >= cols else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-10)


def test_default_gru_initializers_and_dtype():
    rng(3)
    layer = gruLayer(10)
    layer.initialize(4, np.float32)
    assert layer.InputWeights.dtype == np.float32
    np.testing.assert_allclose(layer.RecurrentWeights.T @ layer.RecurrentWeights,
                               np.eye(10), atol=1e-5)
    assert (layer.Bias == 0).all() and layer.Bias.shape == (30, 1)
    rb = gruLayer(10, ResetGateMode='recurrent-bias-after-multiplication', BiasInitializer='ones')
    rb.initialize(4, np.float32)
    assert rb.Bias.shape == (60, 1) and (rb.Bias == 1).all()


def test_function_handle_and_set_values_kept():
    calls = []

    def init(sz):
        calls.append(tuple(sz))
        return np.full(sz, 0.5)

    w = np.ones((30, 4))
    layer = gruLayer(10, InputWeights=w, RecurrentWeightsInitializer=init)
    layer.initialize(4, np.float32)
    assert calls == [(30, 10)]
    assert (layer.RecurrentWeights == 0.5).all()
    assert (layer.InputWeights == 1).all()          # set learnables are used as they are
    bad = fullyConnectedLayer(3, WeightsInitializer=lambda sz: np.zeros((1, 1)))
    with pytest.raises(Exception) as e:
        bad.initialize(4, np.float32)
    assert "returned a 1×1 array; expected 3×4" in str(e.value)
