"""trainnet with trainingOptions("lbfgs") (reference r2 §2.1, §4.1): the optimum of convex
problems against independent references (closed-form least squares, scipy's L-BFGS-B),
the verbose table and TrainingInfo of a full-batch solver, stops, bad options."""

import io

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    categorical,
    classificationLayer,
    fullyConnectedLayer,
    globalAveragePooling1dLayer,
    lstmLayer,
    minibatchpredict,
    rng,
    scores2label,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainnet,
    trainNetwork,
)

METHODS = ["weak-wolfe", "strong-wolfe", "backtracking"]


def regression_data(n=30, t=6, c=3, r=2, seed=0):
    g = np.random.default_rng(seed)
    X = [g.standard_normal((t, c)) for _ in range(n)]        # equal lengths: no padding
    W, b = g.standard_normal((r, c)), g.standard_normal(r)
    Y = [x @ W.T + b + 0.1 * g.standard_normal((t, r)) for x in X]
    return X, Y


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method", METHODS)
def test_mse_regression_reaches_the_least_squares_solution(method, seed):
    X, Y = regression_data()
    c = X[0].shape[1]
    opts = trainingOptions("lbfgs", LineSearchMethod=method, GradientTolerance=1e-7,
                           StepTolerance=1e-10, Verbose=False)
    rng(seed)
    net, info = trainnet(X, Y, [sequenceInputLayer(c), fullyConnectedLayer(2)], "mse", opts,
                         nargout=2)
    A = np.hstack([np.vstack(X), np.ones((sum(len(x) for x in X), 1))])
    sol = np.linalg.lstsq(A, np.vstack(Y), rcond=None)[0]            # float64, closed form
    W, b = net.Learnables.Value[0], net.Learnables.Value[1]
    # float32 parameters: the optimum to about 1e-7 (the approximate Wolfe test lets the
    # search go on where float32 losses no longer resolve the decrease)
    np.testing.assert_allclose(W, sol[:c].T, atol=5e-7)
    np.testing.assert_allclose(b.ravel(), sol[c], atol=5e-7)
    best = np.mean((A @ sol - np.vstack(Y)) ** 2)
    assert info.TrainingHistory.Loss[-1] == pytest.approx(best, rel=1e-6)
    assert len(info.TrainingHistory) < 15          # quasi-Newton: a handful of iterations
    assert info.StopReason == "Met gradient tolerance"
    assert info.TrainingHistory.GradientNorm[-1] <= 1e-7


@pytest.mark.parametrize("method", METHODS)
def test_softmax_classification_matches_scipy_lbfgsb(method):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    g = np.random.default_rng(3)
    n, c, k = 60, 3, 3
    F = g.standard_normal((n, c))
    labels = g.integers(0, k, n)                 # random labels: not separable, finite optimum
    X = [f.reshape(1, c) for f in F]             # one time step: the pooling is the identity
    T = categorical(np.array(["a", "b", "c"])[labels])
    layers = [sequenceInputLayer(c), globalAveragePooling1dLayer(), fullyConnectedLayer(k),
              softmaxLayer()]
    rng(0)
    net, info = trainnet(X, T, layers, "crossentropy",
                         trainingOptions("lbfgs", LineSearchMethod=method,
                                         GradientTolerance=1e-6, Verbose=False), nargout=2)
    assert info.StopReason == "Met gradient tolerance"

    def objective(v):                            # mean cross-entropy of softmax(W f + b)
        W, b = v[:k * c].reshape(k, c), v[k * c:]
        z = F @ W.T + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        p = np.exp(logp)
        p[np.arange(n), labels] -= 1
        return -logp[np.arange(n), labels].mean(), np.concatenate(
            [(p.T @ F).ravel() / n, p.sum(axis=0) / n])

    ref = scipy_optimize.minimize(objective, np.zeros(k * c + k), jac=True,
                                  method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15})
    W, b = net.Learnables.Value[0], net.Learnables.Value[1]
    assert info.TrainingHistory.Loss[-1] == pytest.approx(ref.fun, rel=2e-7)
    # softmax weights are defined up to a common shift per input: compare the differences
    ours = np.hstack([W, b.reshape(-1, 1)])
    theirs = np.hstack([ref.x[:k * c].reshape(k, c), ref.x[k * c:].reshape(-1, 1)])
    np.testing.assert_allclose(ours - ours[0], theirs - theirs[0], atol=1e-5)


def test_lstm_classifier_trains_and_table_has_the_lbfgs_columns():
    g = np.random.default_rng(5)
    X = [g.standard_normal((int(g.integers(5, 9)), 2)) for _ in range(24)]
    T = categorical(["up" if x[:, 0].mean() > 0 else "down" for x in X])
    rng(0)
    out = io.StringIO()
    net, info = trainnet(X, T, [sequenceInputLayer(2), lstmLayer(6, OutputMode="last"),
                                fullyConnectedLayer(2), softmaxLayer()], "crossentropy",
                         trainingOptions("lbfgs", MaxIterations=60, VerboseFrequency=20,
                                         Metrics="accuracy"), nargout=2, stream=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("    Iteration    TimeElapsed    TrainingLoss    GradientNorm"
                        "    StepNorm    TrainingAccuracy")
    assert lines[1].split() == ["_" * 9, "_" * 11, "_" * 12, "_" * 12, "_" * 8, "_" * 16]
    hist = info.TrainingHistory
    n = len(hist)
    assert [ln.split()[0] for ln in lines[2:-1]] == ["1", "20", str(n)]
    # separable data: the loss goes to ~0 and the gradient under its tolerance (1e-5)
    assert lines[-1] == "Training stopped: Met gradient tolerance"
    assert hist.GradientNorm[-1] <= 1e-5 < hist.GradientNorm[-2]
    assert list(hist.VariableNames) == ["Iteration", "Loss", "GradientNorm",
                                                   "StepNorm", "Accuracy"]
    assert n < 60 and hist.Loss[-1] < 1e-3 * hist.Loss[0]
    assert np.all(np.diff(hist.Loss) <= 1e-6)          # a line search never goes uphill
    pred = scores2label(minibatchpredict(net, X), ["down", "up"])
    assert np.mean(np.array(pred.tolist()) == np.array(T.tolist())) >= 0.9


def test_output_fcn_stops_and_validation_columns():
    X, Y = regression_data(n=12)
    seen = []

    def fcn(info):
        seen.append(sorted(k for k in info if info.State == "iteration"))
        return info.Iteration == 3

    out = io.StringIO()
    net, info = trainnet(X, Y, [sequenceInputLayer(3), fullyConnectedLayer(2)], "mse",
                         trainingOptions("lbfgs", OutputFcn=fcn, ValidationData=(X[:4], Y[:4]),
                                         ValidationFrequency=2, Metrics="rmse"),
                         nargout=2, stream=out)
    assert info.StopReason == "Stopped by OutputFcn"
    assert len(info.TrainingHistory) == 3
    assert "GradientNorm" in seen[1] and "Epoch" not in seen[1] and "LearnRate" not in seen[1]
    head = out.getvalue().splitlines()[0].split()
    assert head == ["Iteration", "TimeElapsed", "TrainingLoss", "GradientNorm", "StepNorm",
                    "ValidationLoss", "TrainingRMSE", "ValidationRMSE"]
    assert list(info.ValidationHistory.Iteration) == [0, 1, 2, 3]


@pytest.mark.parametrize("call, ident", [
    (lambda: trainingOptions("lbfgs", MaxEpochs=3), "trainingOptions:InvalidOptionForSolver"),
    (lambda: trainingOptions("lbfgs", InitialLearnRate=0.1),
     "trainingOptions:InvalidOptionForSolver"),
    (lambda: trainingOptions("adam", HistorySize=5), "trainingOptions:InvalidOptionForSolver"),
    (lambda: trainingOptions("lbfgs", LineSearchMethod="wolfe"),
     "trainingOptions:InvalidLineSearchMethod"),
    (lambda: trainingOptions("lbfgs", HistorySize=0), "trainingOptions:InvalidHistorySize"),
    (lambda: trainingOptions("lbfgs", MaxIterations=2.5), "trainingOptions:InvalidMaxIterations"),
    (lambda: trainingOptions("lbfgs", GradientTolerance=-1),
     "trainingOptions:InvalidGradientTolerance"),
    (lambda: trainingOptions("lbfgs", InitialInverseHessianFactor=0),
     "trainingOptions:InvalidInitialInverseHessianFactor"),
    (lambda: trainingOptions("lm"), "trainingOptions:SolverNotSupported"),
])
def test_bad_lbfgs_options(call, ident):
    with pytest.raises(DLToolboxError) as err:
        call()
    assert err.value.identifier == f"dltoolbox:{ident}"


def test_lbfgs_is_trainnet_only_and_takes_whole_sequences():
    X = [np.zeros((2, 4))] * 4
    with pytest.raises(DLToolboxError) as err:
        trainNetwork(X, categorical(["a", "b"] * 2),
                     [sequenceInputLayer(2), lstmLayer(3, OutputMode="last"),
                      fullyConnectedLayer(2), softmaxLayer(), classificationLayer()],
                     trainingOptions("lbfgs", Verbose=False))
    assert err.value.identifier == "dltoolbox:trainNetwork:SolverNotSupported"
    assert "trainnet" in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        trainnet([np.zeros((4, 2))] * 4, categorical(["a", "b"] * 2),
                 [sequenceInputLayer(2), lstmLayer(3, OutputMode="last"),
                  fullyConnectedLayer(2), softmaxLayer()], "crossentropy",
                 trainingOptions("lbfgs", SequenceLength=2, Verbose=False))
    assert err.value.identifier == "dltoolbox:trainnet:SequenceLengthNotSupported"
