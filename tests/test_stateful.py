"""predictAndUpdateState, classifyAndUpdateState, resetState (reference §16)."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    classificationLayer,
    classify,
    classifyAndUpdateState,
    fullyConnectedLayer,
    gruLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    resetState,
    sequenceInputLayer,
    softmaxLayer,
)

# every test here runs on the plain NumPy path and on the numba path
pytestmark = pytest.mark.usefixtures("kernel_path")

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]


def net_for(mode, rs, d=3, h=5, r=2, h0=None, output_mode="sequence"):
    nb = 6 * h if mode == MODES[2] else 3 * h
    f32 = np.float32
    return assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(f32),
                 RecurrentWeights=(rs.standard_normal((3 * h, h)) * 0.5).astype(f32),
                 Bias=(rs.standard_normal((nb, 1)) * 0.3).astype(f32), ResetGateMode=mode,
                 HiddenState=h0, OutputMode=output_mode),
        fullyConnectedLayer(r, Weights=rs.standard_normal((r, h)).astype(f32),
                            Bias=np.zeros((r, 1), f32)),
        regressionLayer()])


@pytest.mark.parametrize("mode", MODES)
def test_step_by_step_equals_whole_sequence_single(mode, rs):
    net = net_for(mode, rs, h0=rs.standard_normal((5, 1)))
    x = rs.standard_normal((3, 12)).astype(np.float32)
    whole = predict(net, x)
    steps = []
    state = net
    for t in range(x.shape[1]):
        state, y = predictAndUpdateState(state, x[:, t:t + 1], nargout=2)
        steps.append(y)
    np.testing.assert_allclose(np.hstack(steps), whole, rtol=1e-5, atol=1e-6)
    assert state.Layers[1].HiddenState.shape == (5, 1)


@pytest.mark.parametrize("mode", MODES)
def test_step_by_step_equals_whole_sequence_batch(mode, rs):
    net = net_for(mode, rs)
    X = [rs.standard_normal((3, 9)).astype(np.float32) for _ in range(4)]
    whole = predict(net, X)
    state = net
    outs = []
    for t in range(9):
        state, y = predictAndUpdateState(state, [x[:, t:t + 1] for x in X], nargout=2)
        outs.append(y)
    for b in range(4):
        np.testing.assert_allclose(np.hstack([o[b] for o in outs]), whole[b], rtol=1e-5,
                                   atol=1e-6)
    assert state.Layers[1].HiddenState.shape == (5, 4)
    # a later call with a number of observations that does not fit the stored state
    with pytest.raises(DLToolboxError) as e:
        predict(state, X[:3])
    assert e.value.identifier == "dltoolbox:predict:IncorrectNetworkState"
    assert "4 observations" in str(e.value)
    # each public function reports the error under its own name
    with pytest.raises(DLToolboxError) as e:
        predictAndUpdateState(state, X[:3])
    assert e.value.identifier == "dltoolbox:predictAndUpdateState:IncorrectNetworkState"
    assert str(e.value).startswith("predictAndUpdateState: Layer ")


def test_chunks_of_several_steps_and_last_mode(rs):
    net = net_for(MODES[0], rs, output_mode="last")
    x = rs.standard_normal((3, 10)).astype(np.float32)
    whole = predict(net, x)
    state = predictAndUpdateState(net, x[:, :4])
    state, y = predictAndUpdateState(state, x[:, 4:], nargout=2)
    np.testing.assert_allclose(y, whole, rtol=1e-5, atol=1e-6)
    assert y.shape == (1, 2)


def test_value_semantics_and_reset(rs):
    h0 = rs.standard_normal((5, 1)).astype(np.float32)
    net = net_for(MODES[0], rs, h0=h0)
    x = rs.standard_normal((3, 6)).astype(np.float32)
    before = net.Layers[1].HiddenState.copy()
    updated = predictAndUpdateState(net, x)
    np.testing.assert_array_equal(net.Layers[1].HiddenState, before)   # not mutated
    assert not np.allclose(updated.Layers[1].HiddenState, before)
    assert updated.Layers[1].InputWeights is net.Layers[1].InputWeights  # no weight copies
    # predict uses the stored state and does not change it
    y1 = predict(updated, x)
    y2 = predict(updated, x)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, predict(net, x))
    reset = resetState(updated)
    np.testing.assert_array_equal(reset.Layers[1].HiddenState, h0)
    np.testing.assert_allclose(predict(reset, x), predict(net, x), rtol=1e-6)
    zero = resetState(predictAndUpdateState(net_for(MODES[0], rs), x))
    assert zero.Layers[1].HiddenState is None


def test_classify_and_update_state(rs):
    f32 = np.float32
    h, d = 4, 3
    net = assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(f32),
                 RecurrentWeights=rs.standard_normal((3 * h, h)).astype(f32),
                 Bias=np.zeros((3 * h, 1), f32)),
        fullyConnectedLayer(3, Weights=rs.standard_normal((3, h)).astype(f32),
                            Bias=np.zeros((3, 1), f32)),
        softmaxLayer(), classificationLayer(Classes=['x', 'y', 'z'])])
    x = rs.standard_normal((d, 8)).astype(f32)
    labels_whole, scores_whole = classify(net, x, nargout=2)
    state = net
    labels = []
    for t in range(8):
        state, lab, sc = classifyAndUpdateState(state, x[:, t:t + 1], nargout=3)
        np.testing.assert_allclose(sc[:, 0], scores_whole[:, t], rtol=1e-5, atol=1e-6)
        labels += lab.tolist()
    assert labels == labels_whole.tolist()
    assert isinstance(classifyAndUpdateState(net, x), type(net))


def test_stateful_errors(rs):
    net = net_for(MODES[0], rs)
    with pytest.raises(DLToolboxError) as e:
        predictAndUpdateState(net, np.zeros((2, 3)))
    assert e.value.identifier == "dltoolbox:predictAndUpdateState:InvalidInputSize"
    with pytest.raises(DLToolboxError) as e:
        resetState([1, 2])
    assert e.value.identifier == "dltoolbox:resetState:InvalidNetwork"
    with pytest.raises(DLToolboxError) as e:
        predictAndUpdateState(net, np.zeros((3, 3)), nargout=3)
    assert e.value.identifier == "dltoolbox:predictAndUpdateState:TooManyOutputs"


def test_single_observation_path_equals_batched_path(rs):
    """One C-by-T array (single-observation path) equals the same data as a list."""
    for mode in MODES:
        net = net_for(mode, rs, h0=rs.standard_normal((5, 1)))
        x = rs.standard_normal((3, 7)).astype(np.float32)
        np.testing.assert_allclose(predict(net, x), predict(net, [x, x], MiniBatchSize=2)[0],
                                   rtol=1e-5, atol=1e-6)
        last = net_for(mode, rs, output_mode="last")
        np.testing.assert_allclose(predict(last, x), predict(last, [x, x])[:1], rtol=1e-5,
                                   atol=1e-6)
