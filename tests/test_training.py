"""trainNetwork and trainingOptions: update rules, order of operations, chunks, output."""

import io
import os
import re
import warnings

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
    load,
    predict,
    regressionLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.training import progress


# -- a tiny problem whose gradient is written by hand ------------------------------------
def fc_problem():
    rs = np.random.default_rng(5)
    x = rs.standard_normal((2, 4))
    t = rs.standard_normal((1, 4))
    w = rs.standard_normal((1, 2)).astype(np.float32)
    b = rs.standard_normal((1, 1)).astype(np.float32)
    return x, t, w, b


def fc_layers(w, b, **fc_opts):
    return [sequenceInputLayer(2), fullyConnectedLayer(1, Weights=w, Bias=b, **fc_opts),
            regressionLayer()]


def hand_grads(x, t, w, b):
    """MATLAB's gradient for seq-to-seq MSE with N = 1: dY = Y - T (no 1/S)."""
    dy = (w @ x + b) - t
    return dy @ x.T, dy.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("solver", ["sgdm", "adam", "rmsprop"])
def test_solver_steps_match_hand_computed(solver, solver_path):
    x, t, w0, b0 = fc_problem()
    lam, lr = 1e-2, 0.05
    opts = trainingOptions(solver, InitialLearnRate=lr, MaxEpochs=3, MiniBatchSize=1,
                           L2Regularization=lam, Verbose=False)
    net = trainNetwork([x], [t], fc_layers(w0, b0), opts)
    w, b = w0.astype(np.float64), b0.astype(np.float64)
    state = {"w": [0, 0], "b": [0, 0]}
    for it in range(1, 4):
        gw, gb = hand_grads(x, t, w, b)
        gw = gw + lam * w                    # L2 on weights; bias L2 factor is 0
        for key, theta, g in (("w", w, gw), ("b", b, gb)):
            s = state[key]
            if solver == "sgdm":
                s[0] = 0.9 * s[0] - lr * g
                theta += s[0]
            elif solver == "rmsprop":
                s[0] = 0.9 * s[0] + 0.1 * g * g
                theta -= lr * g / (np.sqrt(s[0]) + 1e-8)
            else:
                s[0] = 0.9 * s[0] + 0.1 * g
                s[1] = 0.999 * s[1] + 0.001 * g * g
                theta -= lr * np.sqrt(1 - 0.999 ** it) / (1 - 0.9 ** it) * s[0] / (
                    np.sqrt(s[1]) + 1e-8)
    np.testing.assert_allclose(net.Layers[1].Weights, w, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(net.Layers[1].Bias, b, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("method", ["l2norm", "global-l2norm", "absolute-value"])
def test_l2_then_clipping_then_learn_rate_factor(method, solver_path):
    x, t, w0, b0 = fc_problem()
    lam, lr, thr, f = 0.3, 0.1, 0.05, 2.5
    opts = trainingOptions('sgdm', Momentum=0, InitialLearnRate=lr, MaxEpochs=1,
                           MiniBatchSize=1, L2Regularization=lam, GradientThreshold=thr,
                           GradientThresholdMethod=method, Verbose=False)
    net = trainNetwork([x], [t], fc_layers(w0, b0, WeightLearnRateFactor=f,
                                           BiasL2Factor=1), opts)
    w, b = w0.astype(np.float64), b0.astype(np.float64)
    gw, gb = hand_grads(x, t, w, b)
    gw, gb = gw + lam * w, gb + lam * b
    if method == "l2norm":
        gw = gw * min(1, thr / np.linalg.norm(gw))
        gb = gb * min(1, thr / np.linalg.norm(gb))
    elif method == "global-l2norm":
        total = np.sqrt((gw ** 2).sum() + (gb ** 2).sum())
        gw, gb = gw * min(1, thr / total), gb * min(1, thr / total)
    else:
        gw, gb = np.clip(gw, -thr, thr), np.clip(gb, -thr, thr)
    np.testing.assert_allclose(net.Layers[1].Weights, w - lr * f * gw, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(net.Layers[1].Bias, b - lr * gb, rtol=1e-5, atol=1e-7)


def gru_regression_layers(h=4, d=2, **gru_opts):
    return [sequenceInputLayer(d), gruLayer(h, **gru_opts), fullyConnectedLayer(1),
            regressionLayer()]


def seq_regression_data(n=6, d=2, seed=0):
    rs = np.random.default_rng(seed)
    X = [rs.standard_normal((d, int(k))) for k in rs.integers(5, 12, size=n)]
    Y = [np.cumsum(x[:1], axis=1) * 0.3 for x in X]
    return X, Y


def test_per_gate_learn_rate_factors_act_per_gate(solver_path):
    rng(0)
    X, Y = seq_regression_data()
    layers = gru_regression_layers(InputWeightsLearnRateFactor=[0, 1, 0],
                                   RecurrentWeightsLearnRateFactor=[1, 0, 0],
                                   BiasLearnRateFactor=0)
    rng(0)
    start = trainNetwork(X, Y, layers, trainingOptions('adam', MaxEpochs=1, MiniBatchSize=6,
                                                       Verbose=False, InitialLearnRate=1e-9))
    rng(0)
    net = trainNetwork(X, Y, layers, trainingOptions('adam', MaxEpochs=3, MiniBatchSize=3,
                                                     Verbose=False, InitialLearnRate=0.05))
    h = 4
    w0, w = start.Layers[1].InputWeights, net.Layers[1].InputWeights
    r0, r = start.Layers[1].RecurrentWeights, net.Layers[1].RecurrentWeights
    np.testing.assert_allclose(w[:h], w0[:h], atol=1e-6)            # reset: factor 0
    assert np.abs(w[h:2 * h] - w0[h:2 * h]).max() > 1e-3            # update: factor 1
    np.testing.assert_allclose(w[2 * h:], w0[2 * h:], atol=1e-6)    # candidate: factor 0
    assert np.abs(r[:h] - r0[:h]).max() > 1e-3
    np.testing.assert_allclose(r[h:], r0[h:], atol=1e-6)
    np.testing.assert_array_equal(net.Layers[1].Bias, start.Layers[1].Bias)


def test_sequence_length_chunks_carry_state():
    """With every learn rate factor 0 the chunk losses equal slices of the unchunked run."""
    rng(1)
    X, Y = seq_regression_data(n=3, seed=2)
    layers = [sequenceInputLayer(2),
              gruLayer(5, InputWeightsLearnRateFactor=0, RecurrentWeightsLearnRateFactor=0,
                       BiasLearnRateFactor=0),
              fullyConnectedLayer(1, WeightLearnRateFactor=0, BiasLearnRateFactor=0),
              regressionLayer()]
    L = 3
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'sgdm', MaxEpochs=1, MiniBatchSize=3, SequenceLength=L, Shuffle='never',
        Verbose=False), nargout=2)
    s = -(-max(x.shape[1] for x in X) // L) * L
    assert len(info.TrainingLoss) == s // L          # each chunk is an iteration
    # unchunked forward on the padded batch
    pad = [np.hstack([x, np.zeros((2, s - x.shape[1]))]) for x in X]
    full = predict(net, pad, MiniBatchSize=3)
    tpad = [np.hstack([y, np.zeros((1, s - y.shape[1]))]) for y in Y]
    for k in range(s // L):
        sl = slice(k * L, (k + 1) * L)
        sq = sum(((f[:, sl] - t[:, sl]) ** 2).sum() for f, t in zip(full, tpad))
        assert info.TrainingLoss[k] == pytest.approx(0.5 * sq / (3 * L), rel=1e-5)
    # predict with chunks gives the same as without
    for a, b in zip(predict(net, X, SequenceLength=L), predict(net, X)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_iterations_per_epoch_floor_and_piecewise_schedule():
    X, Y = seq_regression_data(n=7)
    opts = trainingOptions('sgdm', MaxEpochs=5, MiniBatchSize=3, InitialLearnRate=0.01,
                           LearnRateSchedule='piecewise', LearnRateDropPeriod=2,
                           LearnRateDropFactor=0.5, Verbose=False)
    _, info = trainNetwork(X, Y, gru_regression_layers(), opts, nargout=2)
    assert len(info.TrainingLoss) == 5 * 2               # floor(7 / 3) = 2 per epoch
    np.testing.assert_allclose(info.BaseLearnRate,
                               np.repeat([0.01, 0.01, 0.005, 0.005, 0.0025], 2))
    np.testing.assert_allclose(info.TrainingRMSE ** 2, 2 * info.TrainingLoss, rtol=1e-6)
    assert np.isnan(info.ValidationLoss).all() and np.isnan(info.FinalValidationLoss)


# -- verbose output -----------------------------------------------------------------------
def test_table_rows_character_exact():
    assert progress.table_row(1, 1, 11.7, 14.0625, 1.9668, 0.01, False, False) == \
        "|       1 |           1 |       00:00:11 |       14.06% |       1.9668 |          0.0100 |"
    assert progress.table_row(1, 451, 897, 80.0, 0.5647, 0.0005, False, True) == (
        "|       1 |         451 |       00:14:57 |       80.00% |              |       0.5647 |"
        "              |          0.0005 |")
    assert progress.table_row(1, 1, 56, 44.29, 1.2143, 0.0005, False, True, 50.15, 1.9437) == (
        "|       1 |           1 |       00:00:56 |       44.29% |       50.15% |       1.2143 |"
        "       1.9437 |          0.0005 |")
    assert progress.format_rate(1e-4) == "1.0000e-04"
    assert progress.format_loss(2.9452e-05, False) == "2.9452e-05"
    assert progress.format_loss(120.01274, False) == "120.0127"
    assert len(progress.rule(False)) == 90 and len(progress.rule(True)) == 120


def test_verbose_table_golden_time_masked():
    rng(0)
    X, Y = seq_regression_data(n=6)
    out = io.StringIO()
    xv, yv = seq_regression_data(n=3, seed=9)
    trainNetwork(X, Y, gru_regression_layers(), trainingOptions(
        'adam', MaxEpochs=4, MiniBatchSize=2, VerboseFrequency=5, ValidationFrequency=4,
        ValidationData=(xv, yv), Shuffle='never'), stream=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Training on single CPU."
    assert lines[1:5] == progress.table_header(True, True).splitlines()
    assert "|     RMSE     |     RMSE     |" in lines[3]
    rows = [re.sub(r"\d\d:\d\d:\d\d", "hh:mm:ss", line) for line in lines[5:-2]]
    iters = [int(r.split("|")[2]) for r in rows]
    assert iters == [1, 4, 5, 8, 10, 12]          # 1, every 5, every validation, the last
    for r in rows:
        assert re.fullmatch(r"\|\s+\d+ \|\s+\d+ \|       hh:mm:ss \|[ \d.]{14}\|[ \d.]{14}\|"
                            r"[ \d.]{14}\|[ \d.]{14}\|\s+0\.0010 \|", r), r
    validated = [r.split("|")[5].strip() != "" for r in rows]
    assert validated == [True, True, False, True, False, True]
    assert lines[-2] == progress.rule(True)
    assert lines[-1] == "Training finished: Max epochs completed."


def test_explicit_cpu_prints_no_device_line_and_normalization_message():
    X, Y = seq_regression_data()
    out = io.StringIO()
    layers = gru_regression_layers()
    layers[0] = sequenceInputLayer(2, Normalization='zscore')
    net = trainNetwork(X, Y, layers, trainingOptions('adam', MaxEpochs=1, MiniBatchSize=3,
                                                     ExecutionEnvironment='cpu'), stream=out)
    first = out.getvalue().splitlines()[0]
    assert first == "Initializing input data normalization."
    allx = np.hstack(X)
    np.testing.assert_allclose(net.Layers[0].Mean.ravel(), allx.mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(net.Layers[0].StandardDeviation.ravel(), allx.std(axis=1),
                               rtol=1e-5)


# -- classification end to end -----------------------------------------------------------
def synthetic_classification(n, seed):
    rs = np.random.default_rng(seed)
    X, labels = [], []
    for _ in range(n):
        k = int(rs.integers(0, 3))
        t = int(rs.integers(6, 14))
        x = rs.standard_normal((3, t)) * 0.5
        x[k] += 1.0
        X.append(x)
        labels.append("abc"[k])
    return X, categorical(labels)


def test_end_to_end_classification_reaches_accuracy():
    rng(0)
    X, Y = synthetic_classification(120, 0)
    XT, YT = synthetic_classification(60, 1)
    layers = [sequenceInputLayer(3), gruLayer(16, OutputMode='last'), fullyConnectedLayer(3),
              softmaxLayer(), classificationLayer()]
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'adam', MaxEpochs=15, MiniBatchSize=20, InitialLearnRate=0.01, Verbose=False,
        SequencePaddingDirection='left'), nargout=2)
    acc = np.mean(classify(net, XT, SequencePaddingDirection='left') == YT)
    assert acc >= 0.95
    assert net.Layers[-1].Classes == ["a", "b", "c"]
    assert net.Layers[-1].description() == "crossentropyex with 'a' and 2 other classes"
    assert [layer.Name for layer in net.Layers] == ["sequenceinput", "gru", "fc", "softmax",
                                                    "classoutput"]
    assert info.TrainingLoss[-1] < info.TrainingLoss[0]
    assert layers[1].InputWeights is None        # the layers passed in are not modified


def test_sequence_to_sequence_classification():
    rng(0)
    rs = np.random.default_rng(3)
    X = [rs.standard_normal((2, int(t))) for t in rs.integers(5, 10, size=20)]
    Y = [categorical(np.where(x[0] > 0, "up", "down")) for x in X]
    layers = [sequenceInputLayer(2), gruLayer(8), fullyConnectedLayer(2), softmaxLayer(),
              classificationLayer()]
    net = trainNetwork(X, Y, layers, trainingOptions('adam', MaxEpochs=30, MiniBatchSize=5,
                                                     InitialLearnRate=0.02, Verbose=False))
    pred = classify(net, X)
    acc = np.mean(np.concatenate([p == y for p, y in zip(pred, Y)]))
    assert acc > 0.9


# -- validation, early stopping, output functions, checkpoints ----------------------------
def test_validation_patience_and_best_network():
    rng(0)
    X, Y = synthetic_classification(60, 0)
    XV, YV = synthetic_classification(30, 1)
    layers = [sequenceInputLayer(3), gruLayer(8, OutputMode='last'), fullyConnectedLayer(3),
              softmaxLayer(), classificationLayer()]
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'sgdm', MaxEpochs=40, MiniBatchSize=10, InitialLearnRate=0.5, Verbose=False,
        ValidationData=(XV, YV), ValidationFrequency=2, ValidationPatience=3,
        OutputNetwork='best-validation-loss'), nargout=2)
    vl = info.ValidationLoss
    assert len(info.TrainingLoss) < 40 * 6          # stopped early
    best = int(np.nanargmin(vl)) + 1
    assert info.OutputNetworkIteration == best
    assert info.FinalValidationLoss == pytest.approx(np.nanmin(vl))
    assert 0 <= info.FinalValidationAccuracy <= 100


def test_output_fcn_stops_training():
    seen = []

    def stop_at_three(info):
        seen.append(info.State)
        return info.State == "iteration" and info.Iteration == 3

    X, Y = seq_regression_data()
    out = io.StringIO()
    _, info = trainNetwork(X, Y, gru_regression_layers(), trainingOptions(
        'adam', MaxEpochs=10, MiniBatchSize=2, OutputFcn=stop_at_three), nargout=2,
        stream=out)
    assert len(info.TrainingLoss) == 3
    assert seen[0] == "start" and seen[-1] == "done"
    assert out.getvalue().splitlines()[-1] == "Training finished: Stopped by OutputFcn."


def test_checkpoints_are_written_and_training_continues(tmp_path):
    rng(0)
    X, Y = seq_regression_data()
    opts = trainingOptions('adam', MaxEpochs=2, MiniBatchSize=3, Verbose=False,
                           CheckpointPath=str(tmp_path))
    trainNetwork(X, Y, gru_regression_layers(), opts)
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 2 and all(f.startswith("net_checkpoint__") for f in files)
    assert not any(f.startswith(".tmp") for f in files)
    net = load(os.path.join(tmp_path, files[-1]))["net"]
    net2, info = trainNetwork(X, Y, net.Layers, trainingOptions(
        'adam', MaxEpochs=1, MiniBatchSize=3, Verbose=False), nargout=2)
    # the checkpoint's weights were the starting point
    assert np.abs(net2.Layers[1].InputWeights - net.Layers[1].InputWeights).max() < 0.05
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, gru_regression_layers(), trainingOptions(
            'adam', CheckpointPath=str(tmp_path / "missing")))
    assert e.value.identifier == "dltoolbox:trainNetwork:InvalidCheckpointPath"


def test_training_progress_plot_saved(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    X, Y = seq_regression_data()
    out = io.StringIO()
    trainNetwork(X, Y, gru_regression_layers(), trainingOptions(
        'adam', MaxEpochs=1, MiniBatchSize=3, Verbose=False, Plots='training-progress'),
        stream=out)
    path = out.getvalue().strip().split(" saved to ")[-1]
    assert path.endswith(".png") and os.path.getsize(path) > 1000


# -- bad input ----------------------------------------------------------------------------
def class_layers():
    return [sequenceInputLayer(3), gruLayer(4, OutputMode='last'), fullyConnectedLayer(3),
            softmaxLayer(), classificationLayer()]


@pytest.mark.parametrize("case,ident,fragment", [
    ("labels", "InvalidResponses", "for the 10 predictor sequences, got 9"),
    ("features", "InvalidInputSize", "sequence 2 of 'X' has 4"),
    ("nan", "NonFiniteData", "NaN or Inf"),
    ("no_output", "MissingOutputLayer", "output layer"),
    ("fc_size", "OutputSizeMismatch", "has 3 classes"),
    ("options", "InvalidOptions", "trainingOptions"),
    ("numeric_labels", "InvalidResponses", "categorical"),
])
def test_train_network_bad_input(case, ident, fragment):
    X, Y = synthetic_classification(10, 0)
    layers = class_layers()
    opts = trainingOptions('adam', Verbose=False, MaxEpochs=1)
    if case == "labels":
        Y = Y[np.arange(9)]
    elif case == "features":
        X[1] = np.zeros((4, 5))
    elif case == "nan":
        X[3][0, 2] = np.nan
    elif case == "no_output":
        layers = layers[:-1]
    elif case == "fc_size":
        layers[2] = fullyConnectedLayer(5)
    elif case == "options":
        opts = {"MaxEpochs": 1}
    elif case == "numeric_labels":
        Y = np.ones((10, 1)) * 0.5
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, layers, opts)
    assert e.value.identifier == f"dltoolbox:trainNetwork:{ident}"
    assert fragment in str(e.value)


def test_labels_for_a_sequence_output_network_explain_output_mode():
    X, Y = synthetic_classification(6, 0)
    layers = [sequenceInputLayer(3), gruLayer(4), fullyConnectedLayer(3), softmaxLayer(),
              classificationLayer()]
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, layers, trainingOptions('adam', Verbose=False))
    assert "OutputMode" in str(e.value)


def test_network_without_learnables_trains():
    X = [np.random.default_rng(i).standard_normal((3, 4)) for i in range(6)]
    Y = [categorical(["a", "b", "c", "a"]) for _ in X]
    net = trainNetwork(X, Y, [sequenceInputLayer(3), softmaxLayer(), classificationLayer()],
                       trainingOptions('adam', MaxEpochs=1, MiniBatchSize=3, Verbose=False))
    assert net.Layers[-1].Classes == ["a", "b", "c"]


def test_nan_responses_rejected():
    X, Y = seq_regression_data()
    Y[2][0, 1] = np.inf
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, gru_regression_layers(), trainingOptions('adam', Verbose=False))
    assert e.value.identifier == "dltoolbox:trainNetwork:NonFiniteData"


def test_diverging_loss_stops_and_returns_last_finite_network():
    rng(0)
    X, Y = seq_regression_data()
    Y = [y * 1e30 for y in Y]
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net, info = trainNetwork(X, Y, gru_regression_layers(), trainingOptions(
            'sgdm', InitialLearnRate=10.0, MaxEpochs=20, MiniBatchSize=3), nargout=2,
            stream=out)
    assert any("training loss became" in str(x.message) for x in w)
    assert out.getvalue().splitlines()[-1] == "Training finished: Training loss is NaN or Inf."
    assert np.isfinite(info.TrainingLoss).all()
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        assert np.isfinite(getattr(net.Layers[1], name)).all()


def test_gpu_without_cupy_is_a_clear_error():
    from dltoolbox.backend import cupy_or_none
    if cupy_or_none() is not None:
        pytest.skip("a GPU is present")
    X, Y = seq_regression_data()
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, gru_regression_layers(),
                     trainingOptions('adam', ExecutionEnvironment='gpu', Verbose=False))
    assert e.value.identifier == "dltoolbox:trainNetwork:GPUNotAvailable"


def test_assembled_network_can_be_retrained():
    x, t, w, b = fc_problem()
    net = assembleNetwork(fc_layers(w, b))
    net2 = trainNetwork([x], [t], net.Layers, trainingOptions('sgdm', MaxEpochs=1,
                                                              MiniBatchSize=1, Verbose=False))
    assert not np.allclose(net2.Layers[1].Weights, w)
    np.testing.assert_array_equal(net.Layers[1].Weights, w)


def test_two_epochs_equal_one_plus_one():
    """Parameters updated in place during training are seen by the next forward pass."""
    X, Y = seq_regression_data()
    opts = dict(Momentum=0, MiniBatchSize=3, Shuffle='never', Verbose=False,
                InitialLearnRate=0.05)
    rng(0)
    two = trainNetwork(X, Y, gru_regression_layers(), trainingOptions('sgdm', MaxEpochs=2,
                                                                      **opts))
    rng(0)
    one = trainNetwork(X, Y, gru_regression_layers(), trainingOptions('sgdm', MaxEpochs=1,
                                                                      **opts))
    again = trainNetwork(X, Y, one.Layers, trainingOptions('sgdm', MaxEpochs=1, **opts))
    for name in ("InputWeights", "RecurrentWeights", "Bias"):
        np.testing.assert_allclose(getattr(again.Layers[1], name),
                                   getattr(two.Layers[1], name), rtol=1e-5, atol=1e-6)


def test_sequence_to_one_regression_and_every_epoch_shuffle():
    rng(0)
    rs = np.random.default_rng(4)
    X = [rs.standard_normal((2, int(t))) for t in rs.integers(4, 9, size=40)]
    Y = np.array([[x[0].mean(), x[1].sum() * 0.1] for x in X])
    layers = [sequenceInputLayer(2), gruLayer(12, OutputMode='last'), fullyConnectedLayer(2),
              regressionLayer()]
    net, info = trainNetwork(X, Y, layers, trainingOptions(
        'adam', MaxEpochs=40, MiniBatchSize=8, InitialLearnRate=0.02, Verbose=False,
        Shuffle='every-epoch', SequencePaddingDirection='left'), nargout=2)
    pred = predict(net, X, SequencePaddingDirection='left')
    assert pred.shape == (40, 2)
    rmse = np.sqrt(((pred - Y) ** 2).sum(axis=1).mean())
    assert rmse < 0.5 * np.sqrt(((Y - Y.mean(axis=0)) ** 2).sum(axis=1).mean())
    assert net.Layers[-1].ResponseNames == ("Response1", "Response2")
    assert len(info.TrainingRMSE) == 40 * 5


@pytest.mark.parametrize("solver", ["sgdm", "rmsprop", "adam"])
@pytest.mark.parametrize("method", ["l2norm", "global-l2norm", "absolute-value", "none"])
@pytest.mark.parametrize("with_l2, per_element_rate", [(True, False), (False, True)])
def test_fused_solver_matches_numpy_rules(solver, method, with_l2, per_element_rate):
    from dltoolbox.training import solvers
    if solvers.fused is None:
        pytest.skip("numba is not installed")
    clip = {} if method == "none" else {"GradientThreshold": 0.5,
                                        "GradientThresholdMethod": method}
    opts = trainingOptions(solver, **clip)
    rs = np.random.default_rng(3)
    segments = [(0, 7), (7, 40), (40, 41), (41, 100)]
    theta0 = rs.standard_normal(100).astype(np.float32)
    l2 = (rs.random(100) * 1e-2).astype(np.float32) if with_l2 else None
    lr = (rs.random(100) * 0.1).astype(np.float32) if per_element_rate else 0.05
    grads = [rs.standard_normal(100).astype(np.float32) * s for s in (0.01, 1, 3, 0.2)]
    results = []
    for fast in (False, True):
        solvers.FAST = fast
        try:
            theta, previous = theta0.copy(), np.empty(100, np.float32)
            s = solvers.Solver(opts, theta, segments, l2)
            assert s.fast is fast
            for g in grads:
                kept = theta.copy()
                s.update(theta, g.copy(), lr, previous)
                np.testing.assert_array_equal(previous, kept)
            results.append(theta)
        finally:
            solvers.FAST = solvers.fused is not None
    assert np.abs(results[0] - theta0).max() > 1e-3
    # the same float32 operations: equal, but for the clipping norms, which are summed in
    # another order (a last-bit difference in a factor)
    if method in ("none", "absolute-value"):
        np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-7)
