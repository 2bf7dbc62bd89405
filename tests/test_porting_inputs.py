"""What real porting loops pass in (issue 14 item 4): scalars and 1-D arrays to the
inference functions, rng forms, categorical with catnames and 'Ordinal', MinLength and
image-sequence input sizes."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    categorical,
    classificationLayer,
    classify,
    fullyConnectedLayer,
    gruLayer,
    isordinal,
    predict,
    predictAndUpdateState,
    regressionLayer,
    resetState,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.initializers import generator


def net_for(rs, d, h=4, r=1, last=False, min_length=1):
    f32 = np.float32
    return assembleNetwork([
        sequenceInputLayer(d, MinLength=min_length),
        gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(f32),
                 RecurrentWeights=(rs.standard_normal((3 * h, h)) * 0.5).astype(f32),
                 Bias=(rs.standard_normal((3 * h, 1)) * 0.3).astype(f32),
                 OutputMode="last" if last else "sequence"),
        fullyConnectedLayer(r, Weights=rs.standard_normal((r, h)).astype(f32),
                            Bias=np.zeros((r, 1), f32)),
        regressionLayer()])


def test_scalar_to_one_channel_network_is_one_time_step(rs):
    net = net_for(rs, 1)
    YTrain = rs.standard_normal(20)
    ref_net, ref = predictAndUpdateState(net, YTrain[-1:].reshape(1, 1), nargout=2)
    for value in (YTrain[-1], float(YTrain[-1]), np.float32(YTrain[-1]), np.array(YTrain[-1])):
        got_net, got = predictAndUpdateState(net, value, nargout=2)
        assert got.shape == (1, 1)
        np.testing.assert_allclose(got, ref, rtol=1e-6)
        np.testing.assert_allclose(got_net.Layers[1].HiddenState,
                                   ref_net.Layers[1].HiddenState, rtol=1e-6)
    # an integer scalar too (MATLAB doubles)
    assert predict(net, 2).shape == (1, 1)


def test_closed_loop_with_scalars_equals_whole_sequence(rs):
    net = net_for(rs, 1)
    x = rs.standard_normal(8).astype(np.float32)
    whole = predict(net, x)                     # 1-D to a 1-channel network: 1-by-T
    assert whole.shape == (1, 8)
    state = resetState(net)
    steps = []
    for v in x:
        state, y = predictAndUpdateState(state, v, nargout=2)
        steps.append(y[0, 0])
    np.testing.assert_allclose(steps, whole[0], rtol=1e-5, atol=1e-6)


def test_vector_to_many_channel_network_is_one_time_step(rs):
    net = net_for(rs, 3, r=3)
    X = rs.standard_normal((3, 6)).astype(np.float32)
    ref = predict(net, X[:, 2:3])
    got = predict(net, X[:, 2])                 # MATLAB X(:, 3) is 3-by-1
    assert got.shape == (3, 1)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    # in a list as well
    got_list = predict(net, [X[:, 0], X[:, 1:4]])
    assert got_list[0].shape == (3, 1) and got_list[1].shape == (3, 3)


def test_ambiguous_inputs_are_named_errors(rs):
    net = net_for(rs, 3, r=3)
    with pytest.raises(DLToolboxError) as err:
        predict(net, np.ones(5))
    assert err.value.identifier == "dltoolbox:predict:AmbiguousVector"
    assert "reshape(3, -1)" in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        predictAndUpdateState(net, 0.5)
    assert err.value.identifier == "dltoolbox:predictAndUpdateState:ScalarInput"
    assert "3-by-1" in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        predict(net, [np.ones((3, 2)), np.ones(4)])
    assert err.value.identifier == "dltoolbox:predict:AmbiguousVector"
    assert "Sequence 2" in str(err.value)


def test_classify_with_a_scalar(rs):
    f32 = np.float32
    net = assembleNetwork([
        sequenceInputLayer(1),
        fullyConnectedLayer(2, Weights=np.array([[1.0], [-1.0]], f32), Bias=np.zeros((2, 1), f32)),
        softmaxLayer(), classificationLayer(Classes=["neg", "pos"])])
    assert classify(net, 2.0).tolist() == ["neg"]
    assert classify(net, np.array([-1.0, 3.0])).tolist() == ["pos", "neg"]


def test_min_length_is_enforced(rs):
    net = net_for(rs, 2, min_length=4)
    with pytest.raises(DLToolboxError) as err:
        predict(net, np.ones((2, 3)))
    assert err.value.identifier == "dltoolbox:predict:SequenceTooShort"
    assert "MinLength 4" in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        predict(net, [np.ones((2, 5)), np.ones((2, 2))])
    assert err.value.identifier == "dltoolbox:predict:SequenceTooShort"
    assert predict(net, np.ones((2, 4))).shape == (1, 4)
    layers = [sequenceInputLayer(2, MinLength=3), fullyConnectedLayer(1), regressionLayer()]
    opts = trainingOptions("adam", MaxEpochs=1, Verbose=False)
    with pytest.raises(DLToolboxError) as err:
        trainNetwork([np.ones((2, 2))], [np.ones((1, 2))], layers, opts)
    assert err.value.identifier == "dltoolbox:trainNetwork:SequenceTooShort"


def test_image_sequence_input_sizes_are_refused():
    for size in ([28, 28, 1], (28, 28, 3), np.array([8, 8, 8, 1])):
        with pytest.raises(DLToolboxError) as err:
            sequenceInputLayer(size)
        assert err.value.identifier == \
            "dltoolbox:sequenceInputLayer:ImageSequencesNotSupported"
    assert sequenceInputLayer([12]).InputSize == 12


def test_rng_forms():
    rng(5, "twister")
    s = rng()
    assert s.Type == "twister" and s.Seed == 5
    a = generator().random(3)
    rng(s)
    np.testing.assert_array_equal(generator().random(3), a)
    # the same seed and type give the same numbers; the Mersenne Twister differs from PCG64
    rng(5, "twister")
    np.testing.assert_array_equal(generator().random(3), a)
    assert isinstance(generator().bit_generator, np.random.MT19937)
    rng(7)                                  # keeps the current type
    assert rng().Type == "twister"
    rng("default")
    assert rng().Type == "default" and rng().Seed == 0
    np.testing.assert_array_equal(generator().random(2), np.random.default_rng(0).random(2))
    rng("shuffle")
    s1 = rng()
    assert 0 <= s1.Seed < 2 ** 32
    prev = rng(3, "philox", nargout=1)
    assert prev.Seed == s1.Seed and rng().Type == "philox"
    for bad, ident in ((-1, "InvalidSeed"), (1.5, "InvalidSeed"), ("fast", "InvalidSeed")):
        with pytest.raises(DLToolboxError) as err:
            rng(bad)
        assert err.value.identifier == f"dltoolbox:rng:{ident}"
    with pytest.raises(DLToolboxError) as err:
        rng(1, "combRecursive")
    assert err.value.identifier == "dltoolbox:rng:NotSupported"
    rng(0)
    rng("default")


def test_categorical_valueset_catnames_and_ordinal():
    c = categorical([1, 3, 2, 3], [1, 2, 3], ["low", "mid", "high"])
    assert c.categories == ["low", "mid", "high"]
    assert c.tolist() == ["low", "high", "mid", "high"]
    assert not isordinal(c)
    with pytest.raises(DLToolboxError) as err:
        c < "mid"  # noqa: B015
    assert err.value.identifier == "dltoolbox:categorical:NotOrdinal"
    o = categorical(["S", "L", "M"], ["S", "M", "L"], "Ordinal", True)
    assert isordinal(o) and o.categories == ["S", "M", "L"]
    assert (o >= "M").tolist() == [False, True, True]
    assert (o < o[2]).tolist() == [True, False, False]
    assert isordinal(o[0:2])
    # float values against an integer valueset
    assert categorical(np.array([1.0, 2.0]), [1, 2]).tolist() == ["1", "2"]
    assert isordinal(categorical(["a", "b"], Ordinal=True))
    with pytest.raises(DLToolboxError) as err:
        categorical([1, 2], [1, 2], ["x"])
    assert err.value.identifier == "dltoolbox:categorical:CatNamesSize"
    with pytest.raises(DLToolboxError) as err:
        categorical([1, 5], [1, 2])
    assert err.value.identifier == "dltoolbox:categorical:ValueNotInValueSet"
