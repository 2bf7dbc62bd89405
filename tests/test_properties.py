"""Property-based tests (hypothesis): rules that must hold for any size or spelling."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dltoolbox import (
    assembleNetwork,
    fullyConnectedLayer,
    gruLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    sequenceInputLayer,
)
from dltoolbox.layers.gru import _OPTIONS as GRU_OPTIONS

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 5), h=st.integers(1, 6), t=st.integers(1, 7), b=st.integers(1, 3),
       mode=st.sampled_from(MODES), seed=st.integers(0, 2 ** 16))
def test_step_by_step_equals_whole_for_any_size(d, h, t, b, mode, seed):
    rs = np.random.default_rng(seed)
    f = np.float32
    nb = 6 * h if mode == MODES[2] else 3 * h
    net = assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(f),
                 RecurrentWeights=rs.standard_normal((3 * h, h)).astype(f),
                 Bias=rs.standard_normal((nb, 1)).astype(f), ResetGateMode=mode),
        fullyConnectedLayer(2, Weights=rs.standard_normal((2, h)).astype(f),
                            Bias=np.zeros((2, 1), f)),
        regressionLayer()])
    X = [rs.standard_normal((d, t)).astype(f) for _ in range(b)]
    whole = predict(net, X)
    state, steps = net, []
    for k in range(t):
        state, y = predictAndUpdateState(state, [x[:, k:k + 1] for x in X], nargout=2)
        steps.append(y)
    for i in range(b):
        np.testing.assert_allclose(np.hstack([s[i] for s in steps]), whole[i], rtol=2e-5,
                                   atol=2e-6)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_capitalisation_of_names_and_values(data):
    name = data.draw(st.sampled_from(["OutputMode", "ResetGateMode", "GateActivationFunction"]))
    value = {"OutputMode": "last", "ResetGateMode": "before-multiplication",
             "GateActivationFunction": "hard-sigmoid"}[name]

    def scramble(s):
        flips = data.draw(st.lists(st.booleans(), min_size=len(s), max_size=len(s)))
        return "".join(c.upper() if u else c.lower() for c, u in zip(s, flips))

    layer = gruLayer(3, scramble(name), scramble(value))
    assert getattr(layer, name) == value
    assert GRU_OPTIONS[name.lower()].name == name
