"""minibatchpredict, scores2label, testnet (reference r2 §5.1-§5.3)."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    categorical,
    categories,
    dlnetwork,
    fullyConnectedLayer,
    lstmLayer,
    minibatchpredict,
    predict,
    rng,
    scores2label,
    sequenceInputLayer,
    softmaxLayer,
    testnet,
)


def seqs(n=5, c=3, seed=0):
    g = np.random.default_rng(seed)
    return [g.standard_normal((int(g.integers(3, 9)), c)) for _ in range(n)]


def test_sequence_to_sequence_cells_are_trimmed_right_padding_exact():
    rng(0)
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(5), fullyConnectedLayer(2)])
    X = seqs()
    out = minibatchpredict(net, X, UniformOutput=False, MiniBatchSize=3)
    assert [o.shape for o in out] == [(x.shape[0], 2) for x in X]
    for o, x in zip(out, X):       # right padding comes after the data: no effect on it
        np.testing.assert_allclose(o, predict(net, x), atol=1e-6)
    left = minibatchpredict(net, X, UniformOutput=False, SequencePaddingDirection="left")
    assert [o.shape for o in left] == [o.shape for o in out]
    longest = int(np.argmax([x.shape[0] for x in X]))
    np.testing.assert_allclose(left[longest], out[longest], atol=1e-6)
    full = minibatchpredict(net, X)                   # UniformOutput=True: T-by-K-by-N
    t = max(x.shape[0] for x in X)
    assert full.shape == (t, 2, len(X))
    for n, o in enumerate(out):
        np.testing.assert_allclose(full[:o.shape[0], :, n], o, atol=1e-6)
        assert (full[o.shape[0]:, :, n] == 0).all()


def test_sequence_to_label_is_n_by_k_and_independent_of_batch_size():
    rng(1)
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(4, OutputMode="last"),
                     fullyConnectedLayer(3), softmaxLayer()])
    X = [np.random.default_rng(k).standard_normal((6, 3)) for k in range(7)]
    a = minibatchpredict(net, X, MiniBatchSize=2)
    b = minibatchpredict(net, X)
    assert a.shape == (7, 3)
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a[3], predict(net, X[3])[0], atol=1e-6)
    # a T-by-C-by-N array and C-by-T cells with InputDataFormats give the same
    np.testing.assert_allclose(minibatchpredict(net, np.stack(X, axis=2)), b, atol=1e-6)
    np.testing.assert_allclose(minibatchpredict(net, [x.T for x in X], InputDataFormats="CTB"),
                               b, atol=1e-6)
    with pytest.raises(DLToolboxError) as err:
        minibatchpredict(net, [x.T for x in X])
    assert err.value.identifier == "dltoolbox:minibatchpredict:InvalidDataLayout"


def test_scores2label():
    scores = np.array([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.1, 0.1, 0.8]])
    names = categories(categorical(["x", "y", "z"]))
    labels, top = scores2label(scores, names, nargout=2)
    assert labels.tolist() == ["y", "x", "z"]        # a tie goes to the first maximum
    assert list(labels.categories) == ["x", "y", "z"]
    np.testing.assert_array_equal(top.ravel(), [0.5, 0.4, 0.8])
    assert scores2label(scores.T, ["x", "y", "z"], 1).tolist() == ["y", "x", "z"]
    with pytest.raises(DLToolboxError) as err:
        scores2label(scores, ["x", "y"])
    assert err.value.identifier == "dltoolbox:scores2label:SizeMismatch"


def test_testnet_metrics_by_hand():
    rng(2)
    net = dlnetwork([sequenceInputLayer(3), lstmLayer(4, OutputMode="last"),
                     fullyConnectedLayer(2), softmaxLayer()])
    X = seqs(8)
    T = categorical(["a", "b"] * 4)
    scores = minibatchpredict(net, X)
    expected = 100 * np.mean(np.array(scores2label(scores, ["a", "b"]).tolist()) ==
                             np.array(T.tolist()))
    assert testnet(net, X, T, "accuracy") == pytest.approx(expected)
    ce = -np.mean(np.log(scores[np.arange(8), [0, 1] * 4]))
    acc, loss = testnet(net, X, T, ["accuracy", "crossentropy"])
    assert loss == pytest.approx(ce, rel=1e-5)
    reg = dlnetwork([sequenceInputLayer(3), lstmLayer(4, OutputMode="last"),
                     fullyConnectedLayer(1)])
    R = np.arange(8.0).reshape(8, 1)
    y = minibatchpredict(reg, X)
    assert testnet(reg, X, R, "rmse") == pytest.approx(float(np.sqrt(np.mean((y - R) ** 2))),
                                                       rel=1e-6)
    with pytest.raises(DLToolboxError) as err:
        testnet(reg, X, R, "bogus")
    assert err.value.identifier == "dltoolbox:testnet:UnknownMetric"
