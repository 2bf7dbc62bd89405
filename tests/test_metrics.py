"""Metric objects (reference r2 §2.3): accuracyMetric, precisionMetric, recallMetric,
fScoreMetric, aucMetric, rmseMetric, mapeMetric, rSquaredMetric — values against
references written here from first principles (confusion counts by loops, AUC by counting
pairs), their options, and their use in trainingOptions(Metrics=...) and testnet."""

import io

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    accuracyMetric,
    aucMetric,
    categorical,
    dlnetwork,
    fScoreMetric,
    fullyConnectedLayer,
    lstmLayer,
    mapeMetric,
    minibatchpredict,
    precisionMetric,
    recallMetric,
    rmseMetric,
    rng,
    rSquaredMetric,
    sequenceInputLayer,
    softmaxLayer,
    testnet,
    trainingOptions,
    trainnet,
)


def scores_and_targets(n=40, k=4, seed=0):
    g = np.random.default_rng(seed)
    s = g.random((n, k))
    s /= s.sum(axis=1, keepdims=True)
    labels = np.where(g.random(n) < 0.6, s.argmax(axis=1), g.integers(0, k, n))
    return s, np.eye(k)[labels]


def confusion(pred, true, k):
    tp, fp, fn = [0] * k, [0] * k, [0] * k
    for p, t in zip(pred, true):
        for c in range(k):
            tp[c] += p == c and t == c
            fp[c] += p == c and t != c
            fn[c] += p != c and t == c
    return np.array(tp, float), np.array(fp, float), np.array(fn, float)


def test_single_label_metrics_micro_and_macro():
    Y, T = scores_and_targets()
    k = Y.shape[1]
    pred, true = [int(np.argmax(r)) for r in Y], [int(np.argmax(r)) for r in T]
    tp, fp, fn = confusion(pred, true, k)
    assert accuracyMetric().compute(Y, T) == pytest.approx(
        100 * sum(p == t for p, t in zip(pred, true)) / len(pred))
    macro_p = np.mean([tp[c] / (tp[c] + fp[c]) for c in range(k)])
    macro_r = np.mean([tp[c] / (tp[c] + fn[c]) for c in range(k)])
    assert precisionMetric(AverageType="macro").compute(Y, T) == pytest.approx(macro_p)
    assert recallMetric(AverageType="macro").compute(Y, T) == pytest.approx(macro_r)
    assert precisionMetric().compute(Y, T) == pytest.approx(tp.sum() / (tp.sum() + fp.sum()))
    assert recallMetric().compute(Y, T) == pytest.approx(tp.sum() / (tp.sum() + fn.sum()))
    for beta in (1.0, 2.0, 0.5):
        per_class = []
        for c in range(k):
            p, r = tp[c] / (tp[c] + fp[c]), tp[c] / (tp[c] + fn[c])
            per_class.append((1 + beta ** 2) * p * r / (beta ** 2 * p + r))
        assert fScoreMetric(Beta=beta, AverageType="macro").compute(Y, T) == \
            pytest.approx(np.mean(per_class))
        P, R = tp.sum() / (tp.sum() + fp.sum()), tp.sum() / (tp.sum() + fn.sum())
        assert fScoreMetric(Beta=beta).compute(Y, T) == \
            pytest.approx((1 + beta ** 2) * P * R / (beta ** 2 * P + R))


def test_multilabel_mode_thresholds_every_output():
    g = np.random.default_rng(1)
    Y = g.random((30, 3))
    T = (g.random((30, 3)) < 0.4).astype(float)
    thr = 0.6
    dec = Y >= thr
    assert accuracyMetric(ClassificationMode="multilabel", Threshold=thr).compute(Y, T) == \
        pytest.approx(100 * np.mean(dec == (T > 0.5)))
    tp = sum(int(d and t) for d, t in zip(dec.ravel(), T.ravel() > 0.5))
    fp = sum(int(d and not t) for d, t in zip(dec.ravel(), T.ravel() > 0.5))
    assert precisionMetric(ClassificationMode="multilabel", Threshold=thr).compute(Y, T) == \
        pytest.approx(tp / (tp + fp))


def pair_auc(score, positive):
    pos, neg = score[positive], score[~positive]
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def test_auc_macro_and_micro_by_counting_pairs():
    Y, T = scores_and_targets(n=30, k=3, seed=4)
    Y = np.round(Y, 1)                                     # ties count one half
    macro = np.mean([pair_auc(Y[:, c], T[:, c] > 0.5) for c in range(3)])
    assert aucMetric(AverageType="macro").compute(Y, T) == pytest.approx(macro)
    assert aucMetric().compute(Y, T) == pytest.approx(pair_auc(Y.ravel(), T.ravel() > 0.5))


def test_regression_metrics():
    g = np.random.default_rng(2)
    T = g.random((25, 2)) + 0.5
    Y = T + 0.1 * g.standard_normal((25, 2))
    d = (Y - T).ravel()
    assert rmseMetric().compute(Y, T) == pytest.approx(np.sqrt(np.mean(d ** 2)))
    assert mapeMetric().compute(Y, T) == pytest.approx(100 * np.mean(np.abs(d / T.ravel())))
    ss_tot = sum((T[i, j] - T[:, j].mean()) ** 2 for i in range(25) for j in range(2))
    assert rSquaredMetric().compute(Y, T) == pytest.approx(1 - np.sum(d ** 2) / ss_tot)
    assert rmseMetric().Maximize is False and rSquaredMetric().Maximize is True


def data(n=16):
    g = np.random.default_rng(7)
    X = [g.standard_normal((int(g.integers(4, 8)), 3)) for _ in range(n)]
    T = categorical(["p" if x[:, 0].mean() > 0 else "q" for x in X])
    return X, T


def test_metric_objects_in_trainnet_name_the_columns_and_match_testnet():
    X, T = data()
    rng(0)
    metrics = [accuracyMetric(), fScoreMetric(AverageType="macro", Name="MacroF"), "auc"]
    out = io.StringIO()
    net, info = trainnet(
        X, T, [sequenceInputLayer(3), lstmLayer(5, OutputMode="last"), fullyConnectedLayer(2),
               softmaxLayer()], "crossentropy",
        trainingOptions("adam", MaxEpochs=4, MiniBatchSize=8, Metrics=metrics,
                        ValidationData=(X[:8], T[:8]), ObjectiveMetricName="MacroF",
                        OutputNetwork="last-iteration"), nargout=2, stream=out)
    head = out.getvalue().splitlines()[0].split()
    assert head[5:] == ["ValidationLoss", "TrainingAccuracy", "ValidationAccuracy",
                        "TrainingMacroF", "ValidationMacroF", "TrainingAUC", "ValidationAUC"]
    assert info.TrainingHistory.VariableNames[-3:] == ["Accuracy", "MacroF", "AUC"]
    # the final iteration is validated on the returned network: testnet agrees
    acc, f, a = testnet(net, X[:8], T[:8], metrics)
    assert info.ValidationHistory.Accuracy[-1] == pytest.approx(acc)
    assert info.ValidationHistory.MacroF[-1] == pytest.approx(f)
    assert info.ValidationHistory.AUC[-1] == pytest.approx(a)
    scores = minibatchpredict(net, X[:8])
    onehot = np.eye(2)[[0 if t == "p" else 1 for t in T[:8].tolist()]]
    assert f == pytest.approx(fScoreMetric(AverageType="macro").compute(scores, onehot))


def test_rsquared_by_name_and_function_handles():
    rng(1)
    g = np.random.default_rng(3)
    X = [g.standard_normal((5, 2)) for _ in range(12)]
    R = np.array([[x[:, 0].sum()] for x in X])
    net = dlnetwork([sequenceInputLayer(2), lstmLayer(4, OutputMode="last"),
                     fullyConnectedLayer(1)])
    y = minibatchpredict(net, X)
    r2 = 1 - np.sum((y - R) ** 2) / np.sum((R - R.mean()) ** 2)
    for name in ("rsquared", "rSquared", rSquaredMetric()):
        assert testnet(net, X, R, name) == pytest.approx(r2, rel=1e-6)

    def maxerr(Y, T):
        return np.abs(Y - T).max()

    _, info = trainnet(X, R, net, "mse", trainingOptions(
        "adam", MaxEpochs=2, MiniBatchSize=6, Verbose=False, Metrics=["rSquared", maxerr]),
        nargout=2)
    assert info.TrainingHistory.VariableNames[-2:] == ["RSquared", "maxerr"]


@pytest.mark.parametrize("call, ident", [
    (lambda: fScoreMetric(Beta=0), "fScoreMetric:InvalidBeta"),
    (lambda: fScoreMetric(AverageType="weighted"), "fScoreMetric:InvalidAverageType"),
    (lambda: accuracyMetric(AverageType="micro"), "accuracyMetric:UnknownNameValueArgument"),
    (lambda: precisionMetric(ClassificationMode="multi"),
     "precisionMetric:InvalidClassificationMode"),
    (lambda: recallMetric(Threshold=2), "recallMetric:InvalidThreshold"),
    (lambda: rmseMetric(Name=""), "rmseMetric:InvalidName"),
    (lambda: aucMetric(NetworkOutput=3), "aucMetric:InvalidNetworkOutput"),
    (lambda: trainingOptions("adam", Metrics=[5]), "trainingOptions:InvalidMetrics"),
    (lambda: trainingOptions("adam", Metrics="r2"), "trainingOptions:InvalidMetrics"),
])
def test_bad_metric_options(call, ident):
    with pytest.raises(DLToolboxError) as err:
        call()
    assert err.value.identifier == f"dltoolbox:{ident}"


def test_duplicate_names_and_unknown_network_output_are_named_errors():
    X, T = data(8)
    layers = [sequenceInputLayer(3), lstmLayer(3, OutputMode="last"), fullyConnectedLayer(2),
              softmaxLayer()]
    with pytest.raises(DLToolboxError) as err:
        trainnet(X, T, layers, "crossentropy", trainingOptions(
            "adam", MaxEpochs=1, Verbose=False, Metrics=["fscore", fScoreMetric(Beta=2)]))
    assert err.value.identifier == "dltoolbox:trainnet:DuplicateMetricName"
    with pytest.raises(DLToolboxError) as err:
        testnet(dlnetwork(layers), X, T, accuracyMetric(NetworkOutput="fc"))
    assert err.value.identifier == "dltoolbox:testnet:InvalidNetworkOutput"
    assert testnet(dlnetwork(layers), X, T, accuracyMetric(NetworkOutput="softmax")) >= 0


def test_display_and_properties():
    m = fScoreMetric(AverageType="macro")
    text = repr(m)
    assert text.startswith("  fScoreMetric with properties:")
    assert '         Name: "FScore"' in text and '  AverageType: "macro"' in text
    m.Beta = 2
    assert m.Beta == 2
    with pytest.raises(DLToolboxError) as err:
        m.Maximize = False
    assert err.value.identifier == "dltoolbox:fScoreMetric:UnknownProperty"
