"""trainnet (reference r2 §2-§4): same engine as trainNetwork, losses, metrics, the
verbose table of §4 (layout checked against MathWorks' own tables), TrainingInfo."""

import io
import re

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    categorical,
    classificationLayer,
    dlnetwork,
    fullyConnectedLayer,
    lstmLayer,
    predict,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainnet,
    trainNetwork,
    warmupLearnRate,
)
from dltoolbox.metrics import (
    auc,
    binary_crossentropy,
    crossentropy,
    fscore,
    huber,
    mean_absolute_error,
    mean_squared_error,
)
from dltoolbox.training.trainnet import format_value, table_lines, table_row


def data(n=20, c=3, seed=1):
    g = np.random.default_rng(seed)
    X = [g.standard_normal((int(g.integers(4, 9)), c)) for _ in range(n)]   # T-by-C
    return X, categorical(["a", "b", "c", "d"] * (n // 4))


def layers(c=3, h=6, k=4):
    return [sequenceInputLayer(c), lstmLayer(h, OutputMode="last"), fullyConnectedLayer(k),
            softmaxLayer()]


# -- the verbose table against MathWorks' tables (§4.1) ---------------------------------
ADAM = """\
    Iteration    Epoch    TimeElapsed    LearnRate    TrainingLoss
    _________    _____    ___________    _________    ____________
            1        1       00:00:00        0.001          2.2743
          100      100       00:00:05        0.001         0.97882
         1200     1200       00:01:29   0.00082116       0.0034911"""

VALIDATION = """\
    Iteration    Epoch    TimeElapsed    LearnRate    TrainingLoss    ValidationLoss
    _________    _____    ___________    _________    ____________    ______________
            0        0       00:00:08       0.0001                            4.3566
            1        1       00:00:08       0.0001          6.4292                  """

ACCURACY_ROWS = """\
            1        1       00:00:03         0.01          2.7615              3.9062
          200        3       00:00:29         0.01        0.056833                 100"""


def test_layout_reproduces_the_matlab_tables():
    cols = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
    rows = [table_row(cols, [str(i), str(e), t, format_value(r), format_value(v)])
            for i, e, t, r, v in ((1, 1, "00:00:00", 0.001, 2.2743),
                                  (100, 100, "00:00:05", 0.001, 0.97882),
                                  (1200, 1200, "00:01:29", 0.00082116, 0.0034911))]
    assert "\n".join([*table_lines(cols), *rows]) == ADAM
    cols.append("ValidationLoss")
    rows = [table_row(cols, ["0", "0", "00:00:08", format_value(1e-4), "",
                             format_value(4.3566)]),
            table_row(cols, ["1", "1", "00:00:08", format_value(1e-4), format_value(6.4292),
                             format_value(np.nan)])]
    assert "\n".join([*table_lines(cols), *rows]) == VALIDATION
    cols = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss",
            "TrainingAccuracy"]
    rows = [table_row(cols, [str(i), str(e), t, format_value(r), format_value(v),
                             format_value(a)])
            for i, e, t, r, v, a in ((1, 1, "00:00:03", 0.01, 2.7615, 3.90625),
                                     (200, 3, "00:00:29", 0.01, 0.056833, 100.0))]
    assert "\n".join(rows) == ACCURACY_ROWS
    assert [format_value(x) for x in (6.464e-05, 2765.5, 0.0009124, 0.045)] == \
        ["6.464e-05", "2765.5", "0.0009124", "0.045"]


def _run_table(**kw):
    X, T = data()
    out = io.StringIO()
    rng(3)
    opts = trainingOptions("adam", MaxEpochs=3, MiniBatchSize=5, VerboseFrequency=5,
                           **kw)
    net, info = trainnet(X, T, layers(), "crossentropy", opts, nargout=2, stream=out)
    return out.getvalue(), net, info


def test_verbose_rows_and_closing_line():
    text, _, info = _run_table(Metrics="accuracy", ValidationData=(data(8, seed=2)),
                               ValidationFrequency=4)
    lines = text.splitlines()
    assert lines[0] == ("    Iteration    Epoch    TimeElapsed    LearnRate    TrainingLoss"
                        "    ValidationLoss    TrainingAccuracy    ValidationAccuracy")
    assert set(lines[1]) == {" ", "_"}
    assert lines[-1] == "Training stopped: Max epochs completed"
    iterations = [int(row[:13]) for row in lines[2:-1]]
    # iteration 0 (validation), 1, every VerboseFrequency, validations (4, 8), the last
    assert iterations == [0, 1, 4, 5, 8, 10, 12]
    widths = [4 + len(h) for h in ("Iteration", "Epoch", "TimeElapsed", "LearnRate",
                                   "TrainingLoss", "ValidationLoss", "TrainingAccuracy",
                                   "ValidationAccuracy")]
    for row in lines[2:-1]:
        assert len(row) == sum(widths)          # missing values are blanks
        assert re.fullmatch(r"\s+\d\d:\d\d:\d\d", row[sum(widths[:2]):sum(widths[:3])])
    masked = [row[:sum(widths[:2])] + row[sum(widths[:3]):] for row in lines[2:-1]]
    assert masked[0].split() == ["0", "0", "0.001", format_value(info.ValidationHistory.Loss[0]),
                                 format_value(info.ValidationHistory.Accuracy[0])]
    assert "Training on single" not in text
    assert len(info.TrainingHistory) == 12 and info.ValidationHistory.Iteration == [0, 1, 4,
                                                                                    8, 12]


def test_trainnet_and_trainNetwork_give_the_same_weights():
    X, T = data()
    common = dict(MaxEpochs=3, MiniBatchSize=5, Verbose=False, Shuffle="every-epoch",
                  GradientThreshold=1, L2Regularization=1e-3)
    rng(7)
    legacy = trainNetwork([x.T for x in X], T, layers() + [classificationLayer()],
                          trainingOptions("adam", **common))
    rng(7)
    net = trainnet(X, T, layers(), "crossentropy", trainingOptions("adam", **common))
    w1 = [getattr(layer, n) for layer in legacy.Layers for n in layer.learnable_names()]
    w2 = list(net.Learnables.Value)
    assert len(w1) == len(w2) == 5
    diff = max(float(np.abs(a - b).max()) for a, b in zip(w1, w2))
    assert diff <= 1e-6
    Xt = X[0]
    np.testing.assert_allclose(predict(net, Xt), predict(legacy, Xt.T), atol=1e-6)


def test_input_network_is_not_changed_and_output_is_a_dlnetwork():
    X, T = data()
    rng(1)
    net0 = dlnetwork(layers())
    before = [v.copy() for v in net0.Learnables.Value]
    net = trainnet(X, T, net0, "crossentropy",
                   trainingOptions("sgdm", MaxEpochs=1, MiniBatchSize=5, Verbose=False))
    assert isinstance(net, dlnetwork)
    for a, b in zip(before, net0.Learnables.Value):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(before, net.Learnables.Value))


def test_sequence_to_sequence_mse_reduces_the_loss():
    g = np.random.default_rng(0)
    X = [g.standard_normal((12, 2)) for _ in range(8)]
    T = [np.cumsum(x, axis=0)[:, :1] * 0.3 for x in X]
    rng(0)
    net, info = trainnet(X, T, [sequenceInputLayer(2), lstmLayer(8), fullyConnectedLayer(1)],
                         "mse", trainingOptions("adam", MaxEpochs=60, MiniBatchSize=8,
                                                InitialLearnRate=0.02, Verbose=False,
                                                Metrics="rmse"), nargout=2)
    loss = info.TrainingHistory.Loss
    assert loss[-1] < 0.3 * loss[0]
    np.testing.assert_allclose(info.TrainingHistory.RMSE[-1] ** 2, loss[-1], rtol=1e-4)


def test_warmup_schedule_and_stop_reason():
    X, T = data()
    sched = warmupLearnRate(NumSteps=3)
    _, info = trainnet(X, T, layers(), "crossentropy",
                       trainingOptions("adam", MaxEpochs=1, MiniBatchSize=5, Verbose=False,
                                       LearnRateSchedule=sched), nargout=2)
    np.testing.assert_allclose(info.TrainingHistory.LearnRate,
                               [1e-4, 5.5e-4, 1e-3, 1e-3])
    _, info = trainnet(X, T, layers(), "crossentropy",
                       trainingOptions("adam", MaxEpochs=2, MiniBatchSize=5, Verbose=False,
                                       LearnRateSchedule="cosine"), nargout=2)
    assert info.StopReason == "Max epochs completed"


@pytest.mark.parametrize("bad, ident", [
    ({"loss": "hinge"}, "trainnet:UnknownLoss"),
    ({"Metrics": "bogus"}, "trainingOptions:InvalidMetrics"),
    ({"ObjectiveMetricName": "accuracy"}, "trainnet:InvalidObjectiveMetricName"),
    ({"OutputNetwork": "best-validation"}, "trainnet:OutputNetworkNeedsValidation"),
])
def test_bad_input(bad, ident):
    X, T = data()
    loss = bad.pop("loss", "crossentropy")
    with pytest.raises(DLToolboxError) as err:
        trainnet(X, T, layers(), loss, trainingOptions("adam", Verbose=False, **bad))
    assert err.value.identifier == f"dltoolbox:{ident}"


def test_channel_by_time_cells_need_input_data_formats():
    X, T = data()
    Xct = [x.T for x in X]
    opts = dict(MaxEpochs=1, MiniBatchSize=5, Verbose=False)
    with pytest.raises(DLToolboxError) as err:
        trainnet(Xct, T, layers(), "crossentropy", trainingOptions("adam", **opts))
    assert err.value.identifier == "dltoolbox:trainnet:InvalidDataLayout"
    trainnet(Xct, T, layers(), "crossentropy",
             trainingOptions("adam", InputDataFormats="CTB", **opts))


def test_metrics_are_trainnet_only():
    X, T = data()
    for kw, ident in (({"Metrics": "accuracy"}, "MetricsNotSupported"),
                      ({"OutputNetwork": "auto"}, "OutputNetworkNotSupported"),
                      ({"LearnRateSchedule": "warmup"}, "LearnRateScheduleNotSupported")):
        with pytest.raises(DLToolboxError) as err:
            trainNetwork([x.T for x in X], T, layers() + [classificationLayer()],
                         trainingOptions("adam", Verbose=False, **kw))
        assert err.value.identifier == f"dltoolbox:trainNetwork:{ident}"


# -- losses and metrics against finite differences and hand formulas -------------------
@pytest.mark.parametrize("fn", [crossentropy, binary_crossentropy, mean_squared_error,
                                mean_absolute_error, huber])
def test_loss_gradients_by_finite_differences(fn):
    g = np.random.default_rng(0)
    Y = g.uniform(0.1, 0.9, (3, 2, 4))
    T = g.uniform(0, 1, (3, 2, 4)) if fn is not crossentropy else np.eye(4)[g.integers(0, 4,
                                                                                      (3, 2))]
    if fn is huber:
        Y = Y * 4 - 2
    _, dY = fn(Y, T)
    num = np.zeros_like(Y)
    h = 1e-6
    for idx in np.ndindex(Y.shape):
        a, b = Y.copy(), Y.copy()
        a[idx] += h
        b[idx] -= h
        num[idx] = (fn(a, T)[0] - fn(b, T)[0]) / (2 * h)
    np.testing.assert_allclose(dY, num, atol=1e-6)


def test_mse_has_no_half_and_metrics_by_hand():
    Y, T = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    assert mean_squared_error(Y, T)[0] == 2.5
    onehot = np.eye(3)[[0, 1, 2, 2]]
    scores = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.6, 0.3], [0.1, 0.2, 0.7]])
    # per class F1: 1, 2/3, 2/3; micro (MATLAB's default AverageType): 3 of 4 right
    assert fscore(scores, onehot, "macro") == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert fscore(scores, onehot) == pytest.approx(0.75)
    assert auc(scores, onehot) == pytest.approx(1.0)


def test_sequence_labels_index_and_binary_targets():
    from dltoolbox import sigmoidLayer, testnet
    g = np.random.default_rng(0)
    X = [g.standard_normal((int(g.integers(5, 9)), 2)) for _ in range(12)]
    T = [categorical(np.where(x[:, 0] > 0, "p", "n")) for x in X]
    rng(0)
    net, info = trainnet(X, T, [sequenceInputLayer(2), lstmLayer(5), fullyConnectedLayer(2),
                                softmaxLayer()], "crossentropy",
                         trainingOptions("adam", MaxEpochs=30, MiniBatchSize=4,
                                         InitialLearnRate=0.05, Verbose=False,
                                         Metrics="accuracy", ValidationData=(X[:4], T[:4])),
                         nargout=2)
    assert testnet(net, X, T, "accuracy") >= 90
    # OutputNetwork "auto" with validation data: the best validation iteration
    best = int(np.argmin(info.ValidationHistory.Loss))
    assert info.OutputNetworkIteration == info.ValidationHistory.Iteration[best]
    Xs = [g.standard_normal((6, 2)) for _ in range(12)]
    net = trainnet(Xs, np.array([1, 2, 3] * 4), layers(c=2, h=4, k=3), "index-crossentropy",
                   trainingOptions("adam", MaxEpochs=1, MiniBatchSize=4, Verbose=False))
    assert net.Learnables.Value[-1].shape == (3, 1)
    with pytest.raises(DLToolboxError) as err:
        trainnet(Xs, np.array([1, 2, 4] * 4), layers(c=2, h=4, k=3), "index-crossentropy",
                 trainingOptions("adam", MaxEpochs=1, Verbose=False))
    assert err.value.identifier == "dltoolbox:trainnet:InvalidTargets"
    tb = np.array([x[:, 0].mean() > 0 for x in Xs], dtype=float).reshape(-1, 1)
    _, info = trainnet(Xs, tb, [sequenceInputLayer(2), lstmLayer(4, OutputMode="last"),
                                fullyConnectedLayer(1), sigmoidLayer()], "binary-crossentropy",
                       trainingOptions("adam", MaxEpochs=20, MiniBatchSize=4, Verbose=False,
                                       Metrics=["accuracy", "auc"]), nargout=2)
    assert info.TrainingHistory.Loss[-1] < info.TrainingHistory.Loss[0]


def test_training_progress_plot(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    X, T = data(8)
    out = io.StringIO()
    trainnet(X, T, layers(), "crossentropy",
             trainingOptions("adam", MaxEpochs=1, MiniBatchSize=4, Verbose=False,
                             Plots="training-progress", Metrics="accuracy"), stream=out)
    path = out.getvalue().strip().rsplit(" ", 1)[-1]
    assert out.getvalue().startswith("Training progress plot saved to ") and \
        path.endswith(".png")


def test_training_progress_plot_updates_live(monkeypatch):
    """Plots="training-progress" redraws at every iteration (headless here: LIVE forces
    the live path on Agg): one panel for the loss and one per metric, validation too."""
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from dltoolbox.training import progress
    monkeypatch.setattr(progress, "LIVE", True)
    import matplotlib.pyplot as plt
    X, T = data(8)
    seen = []

    def look(info):
        if info.State != "iteration":
            return
        fig = plt.figure(plt.get_fignums()[-1])
        panels = [(ax.get_ylabel(), [len(line.get_xdata()) for line in ax.get_lines()])
                  for ax in fig.axes]
        seen.append((info.Iteration, panels))

    out = io.StringIO()
    trainnet(X, T, layers(), "crossentropy",
             trainingOptions("adam", MaxEpochs=3, MiniBatchSize=4, Verbose=False,
                             Plots="training-progress", Metrics=["accuracy", "fscore"],
                             ValidationData=(X[:4], T[:4]), ValidationFrequency=2,
                             OutputFcn=look), stream=out)
    # 6 iterations; validation at 1 and every 2nd
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 6]
    for it, panels in seen:
        assert [p[0] for p in panels] == ["Loss", "Accuracy (%)", "FScore"]
        n_val = len([k for k in (1, 2, 4, 6) if k <= it])
        assert all(p[1] == [it, n_val] for p in panels), (it, panels)
    assert "Training progress plot saved to " in out.getvalue()


def _trained_weights(loss, regression=False):
    from dltoolbox import (
        categorical,
        fullyConnectedLayer,
        gruLayer,
        lstmLayer,
        rng,
        sequenceInputLayer,
        softmaxLayer,
        trainingOptions,
        trainnet,
    )
    X = [np.random.default_rng(i).standard_normal((3, 4 + i % 3)) for i in range(12)]
    if regression:
        T = [np.cumsum(x[:2], axis=1) for x in X]
        layers = [sequenceInputLayer(3), gruLayer(5), fullyConnectedLayer(2)]
        opts = trainingOptions('sgdm', MaxEpochs=2, MiniBatchSize=6, InputDataFormats='CTB',
                               TargetDataFormats='CTB', Verbose=False)
    else:
        T = categorical(['a', 'b', 'c'] * 4)
        layers = [sequenceInputLayer(3), lstmLayer(5, OutputMode='last'),
                  fullyConnectedLayer(3), softmaxLayer()]
        opts = trainingOptions('adam', MaxEpochs=3, MiniBatchSize=6, InputDataFormats='CTB',
                               InitialLearnRate=0.05, Verbose=False)
    rng(0)
    net = trainnet(X, T, layers, loss, opts)
    return np.concatenate([np.ravel(getattr(layer, name)) for layer in net.Layers
                           for name in layer.learnable_names()])


def test_loss_handle_returning_only_the_loss_is_differentiated():
    # MATLAB's form: lossFcn(Y, T) on formatted dlarrays returns a scalar dlarray; trainnet
    # differentiates it (dlfeval/dlgradient) -- the built-in losses' hand-written
    # gradients are the reference
    from dltoolbox.dl import crossentropy

    a = _trained_weights("crossentropy")
    b = _trained_weights(lambda Y, T: crossentropy(Y, T))
    assert np.abs(a - b).max() <= 1e-6 * np.abs(a).max()
    a = _trained_weights("mse", regression=True)
    b = _trained_weights(lambda Y, T: ((Y - T) ** 2).mean("all"), regression=True)
    assert np.abs(a - b).max() <= 1e-6 * np.abs(a).max()
    assert np.abs(a - _trained_weights("l1loss", regression=True)).max() > 1e-3


def test_loss_handle_with_a_non_scalar_result_is_a_named_error():
    from dltoolbox import DLToolboxError

    with pytest.raises(DLToolboxError) as err:
        _trained_weights(lambda Y, T: ((Y - T) ** 2).mean(), regression=True)
    assert err.value.identifier == "dltoolbox:trainnet:InvalidLossOutput"
    assert "scalar dlarray" in str(err.value)
