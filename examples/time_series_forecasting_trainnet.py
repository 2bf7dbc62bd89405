"""MathWorks' "Time Series Forecasting Using Deep Learning" (R2024a+ form: trainnet,
minibatchpredict, and open- and closed-loop forecasting through ``net.State``), ported
line by line (reference r2 §5.6).

The page loads WaveformData (2000 synthetic three-channel waveforms of varying length),
which is not available here; ``waveform_data`` below generates a set of the same kind
(sums of sine, square, sawtooth and triangle waves with random periods, amplitudes and
phases, plus noise; T_i-by-3 sequences), 100 of them by default so that the example
trains in minutes on a CPU. MATLAB lines are kept as comments; plots are optional.

Run:  python examples/time_series_forecasting_trainnet.py [--epochs N] [--plot f.png]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare


def waveform_data(n=300, seed=0):
    """n T_i-by-3 waveforms, T_i from 100 to 160 (a stand-in for WaveformData)."""
    g = np.random.default_rng(seed)
    shapes = [np.sin,
              lambda x: np.sign(np.sin(x)),
              lambda x: 2 * ((x / (2 * np.pi)) % 1) - 1,
              lambda x: 2 * np.abs(2 * ((x / (2 * np.pi)) % 1) - 1) - 1]
    data = []
    for _ in range(n):
        t = np.arange(int(g.integers(100, 161)))
        kind = int(g.integers(0, 4))
        period = g.uniform(15, 40)
        channels = []
        for _c in range(3):
            x = 2 * np.pi * t / period + g.uniform(0, 2 * np.pi)
            channels.append(g.uniform(0.5, 2.0) * shapes[kind](x) +
                            0.05 * g.standard_normal(t.size))
        data.append(np.stack(channels, axis=1))
    return data


def main(max_epochs=200, n=100, plot_path=None, verbose=False):
    rng(0)
    # load WaveformData
    data = waveform_data(n)
    # numChannels = size(data{1},2);
    numChannels = data[0].shape[1]

    # numObservations = numel(data);
    # idxTrain = 1:floor(0.9*numObservations);
    # idxTest = floor(0.9*numObservations)+1:numObservations;
    numObservations = len(data)
    idxTrain = range(0, int(np.floor(0.9 * numObservations)))
    idxTest = range(int(np.floor(0.9 * numObservations)), numObservations)
    dataTrain = [data[i] for i in idxTrain]
    dataTest = [data[i] for i in idxTest]

    # for n = 1:numel(dataTrain)
    #     X = dataTrain{n};
    #     XTrain{n} = X(1:end-1,:);
    #     TTrain{n} = X(2:end,:);
    # end
    XTrain = [X[:-1, :] for X in dataTrain]
    TTrain = [X[1:, :] for X in dataTrain]

    # muX = mean(cat(1,XTrain{:}),1); sigmaX = std(cat(1,XTrain{:}),0,1);
    # muT = mean(cat(1,TTrain{:}),1); sigmaT = std(cat(1,TTrain{:}),0,1);
    muX = np.concatenate(XTrain, axis=0).mean(axis=0)
    sigmaX = np.concatenate(XTrain, axis=0).std(axis=0, ddof=1)
    muT = np.concatenate(TTrain, axis=0).mean(axis=0)
    sigmaT = np.concatenate(TTrain, axis=0).std(axis=0, ddof=1)
    # XTrain{n} = (XTrain{n} - muX) ./ sigmaX; TTrain{n} = (TTrain{n} - muT) ./ sigmaT;
    XTrain = [(X - muX) / sigmaX for X in XTrain]
    TTrain = [(T - muT) / sigmaT for T in TTrain]

    # layers = [sequenceInputLayer(numChannels); lstmLayer(128); fullyConnectedLayer(numChannels)];
    layers = [sequenceInputLayer(numChannels),
              lstmLayer(128),
              fullyConnectedLayer(numChannels)]

    # options = trainingOptions("adam", MaxEpochs=200, SequencePaddingDirection="left",
    #     Shuffle="every-epoch", Plots="training-progress", Verbose=false);
    options = trainingOptions("adam",
                              MaxEpochs=max_epochs,
                              SequencePaddingDirection="left",
                              Shuffle="every-epoch",
                              Verbose=verbose)

    # net = trainnet(XTrain,TTrain,layers,"mse",options);
    net = trainnet(XTrain, TTrain, layers, "mse", options)

    # for n = 1:size(dataTest,1)
    #     X = dataTest{n};
    #     XTest{n} = (X(1:end-1,:) - muX) ./ sigmaX;
    #     TTest{n} = (X(2:end,:) - muT) ./ sigmaT;
    # end
    XTest = [(X[:-1, :] - muX) / sigmaX for X in dataTest]
    TTest = [(X[1:, :] - muT) / sigmaT for X in dataTest]

    # YTest = minibatchpredict(net,XTest,SequencePaddingDirection="left",UniformOutput=false);
    YTest = minibatchpredict(net, XTest, SequencePaddingDirection="left", UniformOutput=False)

    # for n = 1:numObservations
    #     T = TTest{n};
    #     sequenceLength = size(T,1);
    #     Y = YTest{n}(end-sequenceLength+1:end,:);
    #     err(n) = rmse(Y,T,"all");
    # end
    err = []
    for n_ in range(len(TTest)):
        T = TTest[n_]
        sequenceLength = T.shape[0]
        Y = YTest[n_][-sequenceLength:, :]
        err.append(float(np.sqrt(np.mean((Y - T) ** 2))))
    # mean(err,"all")
    mean_rmse = float(np.mean(err))

    # idx = 2; X = XTest{idx}; T = TTest{idx};
    idx = 1                                   # MATLAB's 2 is Python's 1
    X = XTest[idx]

    # Open loop forecasting
    # net = resetState(net);
    # offset = 75;
    # [Z,state] = predict(net,X(1:offset,:));
    # net.State = state;
    net = resetState(net)
    offset = 75
    Z, state = predict(net, X[:offset, :], nargout=2)
    net.State = state
    # numTimeSteps = size(X,1); numPredictionTimeSteps = numTimeSteps - offset;
    numTimeSteps = X.shape[0]
    numPredictionTimeSteps = numTimeSteps - offset
    # Y = zeros(numPredictionTimeSteps,numChannels); Y(1,:) = Z(end,:);
    Y = np.zeros((numPredictionTimeSteps, numChannels))
    Y[0, :] = Z[-1, :]
    # for t = 1:numPredictionTimeSteps-1
    #     Xt = X(offset+t,:);
    #     [Y(t+1,:),state] = predict(net,Xt);
    #     net.State = state;
    # end
    for t in range(1, numPredictionTimeSteps):
        Xt = X[offset + t - 1, :]
        Yt, state = predict(net, Xt, nargout=2)
        Y[t, :] = Yt[0]
        net.State = state
    open_rmse = float(np.sqrt(np.mean((Y - TTest[idx][offset - 1:numTimeSteps - 1, :]) ** 2)))
    open_loop = Y

    # Closed loop forecasting
    # net = resetState(net);
    # offset = size(X,1);
    # [Z,state] = predict(net,X(1:offset,:));
    # net.State = state;
    net = resetState(net)
    offset = X.shape[0]
    Z, state = predict(net, X[:offset, :], nargout=2)
    net.State = state
    # numPredictionTimeSteps = 200;
    # Y = zeros(numPredictionTimeSteps,numChannels); Y(1,:) = Z(end,:);
    numPredictionTimeSteps = 200
    Y = np.zeros((numPredictionTimeSteps, numChannels))
    Y[0, :] = Z[-1, :]
    # for t = 2:numPredictionTimeSteps
    #     [Y(t,:),state] = predict(net,Y(t-1,:));
    #     net.State = state;
    # end
    for t in range(1, numPredictionTimeSteps):
        Yt, state = predict(net, Y[t - 1, :], nargout=2)
        Y[t, :] = Yt[0]
        net.State = state
    closed_loop = Y

    if plot_path:
        _plot(X, open_loop, closed_loop, plot_path)
    return {"mean_rmse": mean_rmse, "open_rmse": open_rmse, "open_loop": open_loop,
            "closed_loop": closed_loop, "net": resetState(net), "X": X}


def _plot(X, open_loop, closed_loop, path):
    import matplotlib  # noqa: PLC0415 - optional
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    fig, axes = plt.subplots(X.shape[1], 2, figsize=(10, 6), sharex="col")
    for i in range(X.shape[1]):
        axes[i, 0].plot(X[:, i], label="Input")
        axes[i, 0].plot(np.arange(75, 75 + open_loop.shape[0]) - 1, open_loop[:, i], "--",
                        label="Forecasted (open loop)")
        axes[i, 1].plot(X[:, i], label="Input")
        axes[i, 1].plot(np.arange(X.shape[0] - 1, X.shape[0] - 1 + closed_loop.shape[0]),
                        closed_loop[:, i], "--", label="Forecasted (closed loop)")
    axes[0, 0].legend()
    axes[0, 1].legend()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--plot", default=None)
    parser.add_argument("--verbose", action="store_true")
    a = parser.parse_args()
    t0 = time.perf_counter()
    out = main(a.epochs, plot_path=a.plot, verbose=a.verbose)
    print(f"mean test RMSE (one step ahead, normalized) = {out['mean_rmse']:.4f}")
    print(f"open-loop RMSE (test observation 2) = {out['open_rmse']:.4f}   "
          f"({time.perf_counter() - t0:.1f} s)")
