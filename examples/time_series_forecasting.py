"""MathWorks' "Time Series Forecasting Using Deep Learning", ported line by line.

The MATLAB page uses the chickenpox data set (498 monthly counts) and lstmLayer(200); this
port generates a monthly seasonal series of the same length (no download) and uses
gruLayer(200) by default, or the page's lstmLayer(200) with ``--layer lstm``. MATLAB lines
are kept as comments.

Run:  python examples/time_series_forecasting.py [--epochs N] [--plot forecast.png]
                                                 [--layer gru|lstm]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare


def seasonal_series(n=498, seed=0):
    """A chickenpox-like monthly series: yearly season, slow trend, noise (1-by-n)."""
    g = np.random.default_rng(seed)
    t = np.arange(n)
    season = 600 * np.sin(2 * np.pi * t / 12) + 250 * np.sin(4 * np.pi * t / 12 + 1)
    trend = 1500 - 1.2 * t
    return (trend + season + 80 * g.standard_normal(n)).reshape(1, -1)


LAYERS = {"gru": gruLayer, "lstm": lstmLayer}


def main(max_epochs=250, plot_path=None, verbose=False, layer="gru"):
    rng(0)
    # data = chickenpox_dataset; data = [data{:}];
    data = seasonal_series()

    # numTimeStepsTrain = floor(0.9*numel(data));
    numTimeStepsTrain = int(np.floor(0.9 * data.size))
    # dataTrain = data(1:numTimeStepsTrain+1); dataTest = data(numTimeStepsTrain+1:end);
    dataTrain = data[:, :numTimeStepsTrain + 1]
    dataTest = data[:, numTimeStepsTrain:]

    # mu = mean(dataTrain); sig = std(dataTrain);
    mu, sig = dataTrain.mean(), dataTrain.std(ddof=1)
    # dataTrainStandardized = (dataTrain - mu) / sig;
    dataTrainStandardized = (dataTrain - mu) / sig

    # XTrain = dataTrainStandardized(1:end-1); YTrain = dataTrainStandardized(2:end);
    XTrain = dataTrainStandardized[:, :-1]
    YTrain = dataTrainStandardized[:, 1:]

    # numFeatures = 1; numResponses = 1; numHiddenUnits = 200;
    numFeatures, numResponses, numHiddenUnits = 1, 1, 200
    # layers = [sequenceInputLayer(numFeatures) lstmLayer(numHiddenUnits)  <- gruLayer by default
    #           fullyConnectedLayer(numResponses) regressionLayer];
    layers = [sequenceInputLayer(numFeatures),
              LAYERS[layer](numHiddenUnits),
              fullyConnectedLayer(numResponses),
              regressionLayer()]

    # options = trainingOptions('adam', 'MaxEpochs',250, 'GradientThreshold',1,
    #     'InitialLearnRate',0.005, 'LearnRateSchedule','piecewise', 'LearnRateDropPeriod',125,
    #     'LearnRateDropFactor',0.2, 'Verbose',0, 'Plots','training-progress');
    options = trainingOptions('adam',
                              'MaxEpochs', max_epochs,
                              'GradientThreshold', 1,
                              'InitialLearnRate', 0.005,
                              'LearnRateSchedule', 'piecewise',
                              'LearnRateDropPeriod', 125,
                              'LearnRateDropFactor', 0.2,
                              'Verbose', verbose)

    # net = trainNetwork(XTrain,YTrain,layers,options);
    net = trainNetwork(XTrain, YTrain, layers, options)

    # dataTestStandardized = (dataTest - mu) / sig; XTest = dataTestStandardized(1:end-1);
    dataTestStandardized = (dataTest - mu) / sig
    XTest = dataTestStandardized[:, :-1]

    # Closed loop: net = predictAndUpdateState(net,XTrain);
    # [net,YPred] = predictAndUpdateState(net,YTrain(end));
    # for i = 2:numTimeStepsTest, [net,YPred(:,i)] = predictAndUpdateState(net,YPred(:,i-1), ...
    #     'ExecutionEnvironment','cpu'); end
    net = predictAndUpdateState(net, XTrain)
    numTimeStepsTest = XTest.shape[1]
    YPred = np.zeros((1, numTimeStepsTest), dtype=np.float32)
    net, YPred[:, 0:1] = predictAndUpdateState(net, YTrain[:, -1:], nargout=2)
    for i in range(1, numTimeStepsTest):
        net, YPred[:, i:i + 1] = predictAndUpdateState(net, YPred[:, i - 1:i],
                                                       'ExecutionEnvironment', 'cpu', nargout=2)

    # YPred = sig*YPred + mu; YTest = dataTest(2:end);
    YPredClosed = sig * YPred + mu
    YTest = dataTest[:, 1:]
    # rmse = sqrt(mean((YPred-YTest).^2))
    rmse_closed = float(np.sqrt(np.mean((YPredClosed - YTest) ** 2)))

    # Open loop: net = resetState(net); net = predictAndUpdateState(net,XTrain);
    # for i = 1:numTimeStepsTest, [net,YPred(:,i)] = predictAndUpdateState(net,XTest(:,i), ...
    #     'ExecutionEnvironment','cpu'); end
    net = resetState(net)
    net = predictAndUpdateState(net, XTrain)
    YPred = np.zeros((1, numTimeStepsTest), dtype=np.float32)
    for i in range(numTimeStepsTest):
        net, YPred[:, i:i + 1] = predictAndUpdateState(net, XTest[:, i:i + 1],
                                                       'ExecutionEnvironment', 'cpu', nargout=2)
    YPredOpen = sig * YPred + mu
    rmse_open = float(np.sqrt(np.mean((YPredOpen - YTest) ** 2)))

    if plot_path:
        _plot(data, numTimeStepsTrain, YPredClosed, YPredOpen, plot_path)
    return rmse_closed, rmse_open


def _plot(data, n_train, closed, opened, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'dltoolbox[plot]').")
        return
    t = np.arange(data.size)
    tt = t[n_train + 1:]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(t[:n_train + 1], data[0, :n_train + 1], label="Observed (training)")
    ax.plot(tt, data[0, n_train + 1:], label="Observed (test)")
    ax.plot(tt, closed[0], "--", label="Forecast, closed loop")
    ax.plot(tt, opened[0], ":", label="Forecast, open loop")
    ax.set_xlabel("Month")
    ax.set_ylabel("Cases")
    ax.legend()
    fig.savefig(path, dpi=100)
    print(f"Forecast plot saved to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=250)
    parser.add_argument("--plot", default="forecast.png")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="gru")
    a = parser.parse_args()
    t0 = time.perf_counter()
    closed, opened = main(a.epochs, a.plot, layer=a.layer)
    print(f"RMSE closed loop = {closed:.1f}, open loop = {opened:.1f} "
          f"({time.perf_counter() - t0:.1f} s)")
