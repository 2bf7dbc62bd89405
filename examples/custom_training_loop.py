"""Japanese Vowels sequence classification trained with a custom training loop.

The same network and settings as examples/sequence_classification.py (the trainNetwork
job: sequences sorted by length, mini-batches of 27, Adam at 0.001, L2 regularization
1e-4, gradient threshold 1, 50 epochs, no shuffling), written as MathWorks' custom-loop
examples write it: a dlnetwork without the output layer, minibatchqueue,
dlfeval(@modelLoss, ...) with dlgradient, and adamupdate. MATLAB lines are kept as
comments. After one epoch its weights equal the trainNetwork job's to 1e-7.

Run:  python examples/custom_training_loop.py [--seed N] [--epochs N] [--layer lstm|gru]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare


def preprocessMiniBatch(XCell, YCell):
    # X = padsequences(XCell,2);
    X = padsequences(XCell, 2)
    # T = onehotencode(cat(2,YCell{:}),1);
    T = onehotencode(labels_row(YCell), 1)
    return X, T


def preprocessMiniBatchPredictors(XCell):
    return padsequences(XCell, 2)


def modelLoss(net, X, T):
    # [Y,state] = forward(net,X);
    Y, state = forward(net, X, nargout=2)
    # loss = crossentropy(Y,T);
    loss = crossentropy(Y, T)
    # gradients = dlgradient(loss,net.Learnables);
    gradients = dlgradient(loss, net.Learnables)
    return loss, gradients, state


def thresholdL2Norm(gradients, gradientThreshold):
    # gradientNorm = sqrt(sum(gradients(:).^2));
    # if gradientNorm > gradientThreshold
    #     gradients = gradients * (gradientThreshold / gradientNorm);
    # end
    gradientNorm = float(np.sqrt((gradients * gradients).sum("all")))
    if gradientNorm > gradientThreshold:
        gradients = gradients * (gradientThreshold / gradientNorm)
    return gradients


def sorted_by_length(X, Y):
    idx = np.argsort([x.shape[1] for x in X], kind="stable")
    return [X[i] for i in idx], Y[idx]


def main(seed=0, num_epochs=50, layer="lstm", verbose=True, learn_rate=0.001):
    rng(seed)                                                         # rng(seed)
    XTrain, TTrain = japaneseVowelsTrainData(nargout=2)
    XTrain, TTrain = sorted_by_length(XTrain, TTrain)
    classNames = categories(TTrain)                      # classNames = categories(TTrain);
    numClasses = len(classNames)

    # layers = [sequenceInputLayer(12) lstmLayer(100,OutputMode="last")
    #           fullyConnectedLayer(numClasses) softmaxLayer];
    recurrent = lstmLayer if layer == "lstm" else gruLayer
    layers = [sequenceInputLayer(12), recurrent(100, OutputMode="last"),
              fullyConnectedLayer(numClasses), softmaxLayer()]
    net = dlnetwork(layers)                                           # net = dlnetwork(layers);

    miniBatchSize, learnRate, gradientThreshold, l2Regularization = 27, learn_rate, 1, 1e-4

    # adsX = arrayDatastore(XTrain,OutputType="same"); adsT = arrayDatastore(TTrain);
    # cds = combine(adsX,adsT);
    cds = combine(arrayDatastore(XTrain, OutputType="same"), arrayDatastore(TTrain))
    # mbq = minibatchqueue(cds,2,MiniBatchSize=miniBatchSize, ...
    #     MiniBatchFcn=@preprocessMiniBatch,MiniBatchFormat=["CTB" ""]);
    mbq = minibatchqueue(cds, 2, MiniBatchSize=miniBatchSize,
                         MiniBatchFcn=preprocessMiniBatch, MiniBatchFormat=["CTB", "CB"],
                         OutputEnvironment="cpu")

    averageGrad, averageSqGrad = [], []
    iteration = 0
    # monitor = trainingProgressMonitor(Metrics="Loss",Info="Epoch",XLabel="Iteration");
    monitor = trainingProgressMonitor(Metrics="Loss", Info="Epoch", XLabel="Iteration",
                                      Visible=verbose, PrintFrequency=100)
    numIterations = num_epochs * (len(XTrain) // miniBatchSize)
    for epoch in range(1, num_epochs + 1):
        reset(mbq)                                 # the trainNetwork job shuffles 'never'
        while hasdata(mbq) and not monitor.Stop:
            iteration += 1
            X, T = next(mbq)                                          # [X,T] = next(mbq);
            # [loss,gradients] = dlfeval(@modelLoss,net,X,T);
            loss, gradients, _ = dlfeval(modelLoss, net, X, T)
            # L2 regularization as trainNetwork's default L2Regularization 1e-4 (weights
            # only: the biases' L2Factor is 0), then the per-parameter gradient threshold:
            # idx = net.Learnables.Parameter ~= "Bias";
            # gradients(idx,:) = dlupdate(@(g,w) g + l2Regularization*w, ...
            #     gradients(idx,:), net.Learnables(idx,:));
            gradients.Value = [g + l2Regularization * w if p != "Bias" else g
                               for g, w, p in zip(gradients.Value, net.Learnables.Value,
                                                  gradients.Parameter)]
            # gradients = dlupdate(@(g) thresholdL2Norm(g,gradientThreshold),gradients);
            gradients = dlupdate(lambda g: thresholdL2Norm(g, gradientThreshold), gradients)
            # [net,averageGrad,averageSqGrad] = adamupdate(net,gradients, ...
            #     averageGrad,averageSqGrad,iteration,learnRate);
            net, averageGrad, averageSqGrad = adamupdate(net, gradients, averageGrad,
                                                         averageSqGrad, iteration, learnRate)
            monitor.recordMetrics(iteration, Loss=loss)
            monitor.updateInfo(Epoch=epoch)
            monitor.Progress = 100 * iteration / numIterations

    # Test: sorted as for training, predicted in mini-batches of the same size
    XTest, TTest = japaneseVowelsTestData(nargout=2)
    XTest, TTest = sorted_by_length(XTest, TTest)
    mbqTest = minibatchqueue(arrayDatastore(XTest, OutputType="same"), 1,
                             MiniBatchSize=miniBatchSize,
                             MiniBatchFcn=preprocessMiniBatchPredictors,
                             MiniBatchFormat="CTB", OutputEnvironment="cpu")
    YTest = []
    while hasdata(mbqTest):
        X = next(mbqTest)
        Y = predict(net, X)                                           # Y = predict(net,X);
        YTest += onehotdecode(Y, classNames, 1).tolist()              # onehotdecode(Y,classNames,1)
    accuracy = float(np.mean(np.array(YTest) == np.array(TTest.tolist())))
    return net, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--layer", choices=["lstm", "gru"], default="lstm")
    a = parser.parse_args()
    t0 = time.perf_counter()
    net, acc = main(a.seed, a.epochs, a.layer)
    print(f"\naccuracy = {acc:.4f}   (test, {time.perf_counter() - t0:.1f} s)")
