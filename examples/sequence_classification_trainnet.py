"""MathWorks' "Sequence Classification Using Deep Learning" (R2024a+ form: dlnetwork,
trainnet, testnet, minibatchpredict, scores2label), ported line by line.

The current MATLAB page uses the Waveform data set (``load WaveformData``), which is not
available here: this port uses the Japanese Vowels data set instead (270 training and
370 test sequences, 12 channels, 9 speakers; the data of the page's earlier version),
so numChannels is 12 and numClasses 9 where the page has 3 and 4. The Japanese Vowels
files hold channel-by-time (12-by-T) sequences; they are transposed to the time-by-channel
layout the current API expects (reference r2 §0), so that the rest reads as the page.
The page's test split comes from trainingPartitions; Japanese Vowels has its own test
set. MATLAB lines are kept as comments.

Run:  python examples/sequence_classification_trainnet.py [--seed N] [--epochs N] [--quiet]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare


def main(seed=0, max_epochs=200, verbose=True):
    rng(seed)

    # load WaveformData      <- Japanese Vowels here, transposed to T-by-C
    XTrain, TTrain = japaneseVowelsTrainData(nargout=2)
    XTest, TTest = japaneseVowelsTestData(nargout=2)
    XTrain = [x.T for x in XTrain]
    XTest = [x.T for x in XTest]

    # numChannels = size(data{1},2);
    numChannels = XTrain[0].shape[1]
    # classNames = categories(labels)
    classNames = categories(TTrain)

    # numObservations = numel(XTrain);
    # for i=1:numObservations
    #     sequence = XTrain{i};
    #     sequenceLengths(i) = size(sequence,1);
    # end
    numObservations = len(XTrain)
    sequenceLengths = np.array([XTrain[i].shape[0] for i in range(numObservations)])
    # [sequenceLengths,idx] = sort(sequenceLengths);
    idx = np.argsort(sequenceLengths, kind="stable")
    sequenceLengths = sequenceLengths[idx]
    # XTrain = XTrain(idx); TTrain = TTrain(idx);
    XTrain = [XTrain[i] for i in idx]
    TTrain = TTrain[idx]

    # numHiddenUnits = 120;
    # numClasses = 4;        <- 9 speakers here
    numHiddenUnits = 120
    numClasses = len(classNames)

    # layers = [
    #     sequenceInputLayer(numChannels)
    #     bilstmLayer(numHiddenUnits,OutputMode="last")
    #     fullyConnectedLayer(numClasses)
    #     softmaxLayer]
    layers = LayerArray([
        sequenceInputLayer(numChannels),
        bilstmLayer(numHiddenUnits, OutputMode="last"),
        fullyConnectedLayer(numClasses),
        softmaxLayer()])
    if verbose:
        print("layers = \n")
        print(layers)

    # options = trainingOptions("adam", MaxEpochs=200, InitialLearnRate=0.002,
    #     GradientThreshold=1, Shuffle="never", Plots="training-progress",
    #     Metrics="accuracy", Verbose=false);
    # (Verbose is on here so that the table prints; Plots is left "none" for a console run.)
    options = trainingOptions("adam",
                              MaxEpochs=max_epochs,
                              InitialLearnRate=0.002,
                              GradientThreshold=1,
                              Shuffle="never",
                              Metrics="accuracy",
                              VerboseFrequency=50,
                              Verbose=verbose)

    # net = trainnet(XTrain,TTrain,layers,"crossentropy",options);
    net = trainnet(XTrain, TTrain, layers, "crossentropy", options)

    # acc = testnet(net,XTest,TTest,"accuracy")
    acc = testnet(net, XTest, TTest, "accuracy")

    # scores = minibatchpredict(net,XTest);
    scores = minibatchpredict(net, XTest)
    # YTest = scores2label(scores,classNames);
    YTest = scores2label(scores, classNames)
    # (confusionchart(TTest,YTest) is a plot; the same count by hand:)
    agree = float(np.mean(np.array(YTest.tolist()) == np.array(TTest.tolist())))
    return net, acc, agree


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--quiet", action="store_true")
    a = parser.parse_args()
    t0 = time.perf_counter()
    net, acc, _ = main(a.seed, a.epochs, not a.quiet)
    print(f"\nacc = {acc:.4f}   (test accuracy in percent, {time.perf_counter() - t0:.1f} s)")
