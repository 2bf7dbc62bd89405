"""assembleNetwork, predict and classify: shapes, names, options and bad input."""

import warnings

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    categorical,
    classificationLayer,
    classify,
    dropoutLayer,
    fullyConnectedLayer,
    gruLayer,
    predict,
    regressionLayer,
    sequenceInputLayer,
    softmaxLayer,
)


def layers(rs, d=3, h=4, k=2, output_mode="last", classes=("a", "b"), dtype=np.float32):
    return [sequenceInputLayer(d),
            gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)).astype(dtype),
                     RecurrentWeights=rs.standard_normal((3 * h, h)).astype(dtype),
                     Bias=rs.standard_normal((3 * h, 1)).astype(dtype), OutputMode=output_mode),
            fullyConnectedLayer(k, Weights=rs.standard_normal((k, h)).astype(dtype),
                                Bias=np.zeros((k, 1), dtype)),
            softmaxLayer(), classificationLayer(Classes=list(classes))]


def test_default_names_and_suffixes(rs):
    h = 4
    fc1 = fullyConnectedLayer(h, Weights=np.eye(h), Bias=np.zeros((h, 1)))
    fc2 = fullyConnectedLayer(2, Weights=np.ones((2, h)), Bias=np.zeros((2, 1)))
    arr = layers(rs)
    net = assembleNetwork(arr[:2] + [fc1, dropoutLayer(), fc2] + arr[3:])
    assert [layer.Name for layer in net.Layers] == [
        "sequenceinput", "gru", "fc_1", "dropout", "fc_2", "softmax", "classoutput"]
    assert arr[0].Name == ""            # the array passed in is not modified


def test_input_size_inferred_and_float32_kept(rs):
    net = assembleNetwork(layers(rs, d=5))
    assert net.Layers[1].InputSize == 5
    assert predict(net, [np.zeros((5, 3))]).dtype == np.float32


def test_predict_shapes(rs):
    X = [rs.standard_normal((3, n)) for n in (4, 7, 2)]
    net = assembleNetwork(layers(rs))
    scores = predict(net, X, 'MiniBatchSize', 2)
    assert scores.shape == (3, 2)
    np.testing.assert_allclose(scores.sum(axis=1), 1, rtol=1e-6)
    seq = assembleNetwork(layers(rs, output_mode="sequence"))
    Y = predict(seq, X, MiniBatchSize=2)
    assert [y.shape for y in Y] == [(2, 4), (2, 7), (2, 2)]
    assert predict(seq, X[1]).shape == (2, 7)          # one C-by-T array -> one array back
    labels, s = classify(seq, X[1], nargout=2)
    assert labels.shape == (1, 7) and s.shape == (2, 7)


def test_minibatch_and_sequence_length_options(rs):
    X = [rs.standard_normal((3, n)) for n in (4, 7, 2, 9, 5)]
    seq = assembleNetwork(layers(rs, output_mode="sequence"))
    ref = predict(seq, X, MiniBatchSize=1)
    for opts in ({"MiniBatchSize": 2}, {"MiniBatchSize": 27, "SequenceLength": 3},
                 {"SequenceLength": 'longest', "SequencePaddingValue": 5.0}):
        out = predict(seq, X, **opts)
        for a, b in zip(out, ref):   # right padding never reaches the real steps
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    short = predict(seq, X, 'SequenceLength', 'shortest', 'MiniBatchSize', 5)
    assert all(y.shape == (2, 2) for y in short)
    left = predict(seq, X, SequencePaddingDirection='left', MiniBatchSize=5)
    assert [y.shape[1] for y in left] == [4, 7, 2, 9, 5]


def test_padding_is_not_masked_for_last_output(rs):
    net = assembleNetwork(layers(rs))
    X = [rs.standard_normal((3, 3)), rs.standard_normal((3, 8))]
    together = predict(net, X, MiniBatchSize=2)
    alone = predict(net, X[:1], MiniBatchSize=1)
    assert not np.allclose(together[0], alone[0])   # MATLAB behaviour: depends on batch


def test_classify_labels(rs):
    net = assembleNetwork(layers(rs))
    X = [rs.standard_normal((3, 5)) for _ in range(4)]
    labels, scores = classify(net, X, nargout=2)
    assert labels.categories == ["a", "b"]
    assert labels.tolist() == [["a", "b"][i] for i in scores.argmax(axis=1)]
    assert classify(net, X).tolist() == labels.tolist()


def test_classes_auto_get_numbers_with_warning(rs):
    arr = layers(rs)
    arr[-1] = classificationLayer()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net = assembleNetwork(arr)
    assert net.Layers[-1].Classes == ["1", "2"]
    assert any("Classes 'auto'" in str(x.message) for x in w)


@pytest.mark.parametrize("mutate,ident,fragment", [
    (lambda a: a[1].__setattr__("Bias", None), "InvalidLearnable", "'Bias' must be 12×1"),
    (lambda a: a.__setitem__(2, fullyConnectedLayer(2, Weights=np.ones((2, 5)),
                                                    Bias=np.zeros((2, 1)))),
     "InvalidLearnable", "'Weights' must be 2×4, but it is 2×5"),
    (lambda a: a.pop(), "MissingOutputLayer", "output layer"),
    (lambda a: a.pop(0), "MissingInputLayer", "sequenceInputLayer"),
    (lambda a: a.__setitem__(4, classificationLayer(Classes=['a', 'b', 'c'])),
     "InvalidClasses", "3 classes"),
    (lambda a: a.__setitem__(3, softmaxLayer(Name='x')) or a[2].__setattr__('Name', 'x'),
     "DuplicateLayerName", "'x'"),
])
def test_assemble_network_errors(rs, mutate, ident, fragment):
    arr = layers(rs)
    mutate(arr)
    with pytest.raises(DLToolboxError) as e:
        assembleNetwork(arr)
    assert e.value.identifier == f"dltoolbox:assembleNetwork:{ident}"
    assert fragment in str(e.value)


def test_assemble_network_rejects_non_layers():
    with pytest.raises(DLToolboxError) as e:
        assembleNetwork([])
    assert isinstance(e.value, TypeError)
    with pytest.raises(DLToolboxError):
        assembleNetwork([sequenceInputLayer(3), "gru"])


@pytest.mark.parametrize("X,ident,fragment", [
    ([np.zeros((4, 5))], "InvalidInputSize", "expects sequences with 3 features"),
    ([], "EmptySequenceData", "holds no sequences"),
    (np.zeros((3, 5, 2)), "InvalidSequenceData", "3×5×2"),
    ([np.zeros((3, 5, 2))], "InvalidSequenceData", "must be a C-by-T array"),
    ("abc", "InvalidSequenceData", "list of C-by-T arrays"),
    ([np.zeros((3, 0))], "EmptySequence", "no time steps"),
    ([np.array([["a", "b"]])], "InvalidSequenceData", "not a numeric array"),
])
def test_predict_bad_input(rs, X, ident, fragment):
    net = assembleNetwork(layers(rs))
    with pytest.raises(DLToolboxError) as e:
        predict(net, X)
    assert e.value.identifier == f"dltoolbox:predict:{ident}"
    assert fragment in str(e.value)


def test_predict_other_errors(rs):
    net = assembleNetwork(layers(rs))
    with pytest.raises(DLToolboxError) as e:
        predict("net", [np.zeros((3, 2))])
    assert e.value.identifier == "dltoolbox:predict:InvalidNetwork"
    with pytest.raises(DLToolboxError) as e:
        predict(net, [np.zeros((3, 2))], MiniBatchSize=0)
    assert e.value.identifier == "dltoolbox:predict:InvalidMiniBatchSize"
    with pytest.raises(DLToolboxError) as e:
        classify(net, [np.zeros((3, 2))], nargout=3)
    assert e.value.identifier == "dltoolbox:classify:TooManyOutputs"
    reg = assembleNetwork(layers(rs)[:3] + [regressionLayer()])
    with pytest.raises(DLToolboxError) as e:
        classify(reg, [np.zeros((3, 2))])
    assert e.value.identifier == "dltoolbox:classify:NotAClassifier"
    with pytest.raises(DLToolboxError) as e:
        predict(net, [np.zeros((3, 2))], ExecutionEnvironment='gpu') if \
            __import__("dltoolbox").backend.cupy_or_none() is None else \
            predict(net, [np.zeros((3, 2))], Acceleration='mex')
    assert "dltoolbox:predict:" in e.value.identifier


def test_network_is_read_only(rs):
    net = assembleNetwork(layers(rs))
    with pytest.raises(DLToolboxError):
        net.Layers = []


def test_categorical_basics():
    c = categorical(['b', 'a', 'c', 'a'])
    assert c.categories == ['a', 'b', 'c']
    assert (c == 'a').tolist() == [False, True, False, True]
    assert (c == categorical(['b', 'b', 'c', 'c'])).tolist() == [True, False, True, False]
    sub = c[np.array([3, 0])]
    assert sub.tolist() == ['a', 'b'] and sub.categories == c.categories
    assert repr(c[1:3]).startswith("  2×1 categorical array")
    assert categorical([10, 9, 1]).categories == ['1', '9', '10']


def test_learnables_are_values(rs):
    """Properties hold copies (MATLAB value semantics) stored read-only."""
    w = np.ones((12, 3), np.float32)
    layer = gruLayer(4, InputWeights=w)
    w[0, 0] = 5
    assert layer.InputWeights[0, 0] == 1
    with pytest.raises(ValueError):
        layer.InputWeights[0, 0] = 7
    net = assembleNetwork(layers(rs))
    x = [rs.standard_normal((3, 4))]
    before = predict(net, x)
    fc = net.Layers[2]
    fc.Weights = fc.Weights * 2          # a new array: derived forms are rebuilt
    assert not np.allclose(predict(net, x), before)
