"""MathWorks' "Sequence Classification Using Deep Learning", ported line by line.

The MATLAB page trains a BiLSTM on the Japanese Vowels data; this port uses
gruLayer(100, 'OutputMode', 'last') in its place (the page's own bilstmLayer runs with
``--layer bilstm`` or examples/sequence_classification_bilstm.py). MATLAB lines are kept
as comments.

Run:  python examples/sequence_classification.py [--seed N] [--epochs N] [--quiet]
                                                 [--layer gru|lstm|bilstm]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare

LAYERS = {"gru": gruLayer, "lstm": lstmLayer, "bilstm": bilstmLayer}


def main(seed=0, max_epochs=50, verbose=True, layer="gru"):
    rng(seed)                                                 # rng(seed)

    # [XTrain,YTrain] = japaneseVowelsTrainData;
    XTrain, YTrain = japaneseVowelsTrainData(nargout=2)

    # numObservations = numel(XTrain);
    # for i=1:numObservations, sequence = XTrain{i}; sequenceLengths(i) = size(sequence,2); end
    # [sequenceLengths,idx] = sort(sequenceLengths);
    # XTrain = XTrain(idx); YTrain = YTrain(idx);
    sequence_lengths = [x.shape[1] for x in XTrain]
    idx = np.argsort(sequence_lengths, kind="stable")
    XTrain = [XTrain[i] for i in idx]
    YTrain = YTrain[idx]

    # miniBatchSize = 27;
    miniBatchSize = 27

    # inputSize = 12; numHiddenUnits = 100; numClasses = 9;
    inputSize, numHiddenUnits, numClasses = 12, 100, 9
    # layers = [ sequenceInputLayer(inputSize)
    #            bilstmLayer(numHiddenUnits,'OutputMode','last')   <- gruLayer by default
    #            fullyConnectedLayer(numClasses)
    #            softmaxLayer
    #            classificationLayer]
    layers = LayerArray([
        sequenceInputLayer(inputSize),
        LAYERS[layer](numHiddenUnits, 'OutputMode', 'last'),
        fullyConnectedLayer(numClasses),
        softmaxLayer(),
        classificationLayer()])
    if verbose:
        print("layers = \n")
        print(layers)

    # options = trainingOptions('adam', 'ExecutionEnvironment','cpu', 'GradientThreshold',1,
    #     'MaxEpochs',maxEpochs, 'MiniBatchSize',miniBatchSize, 'SequenceLength','longest',
    #     'Shuffle','never', 'Verbose',0, 'Plots','training-progress');
    # (Verbose is on here so that the table prints; Plots is left 'none' for a console run.)
    options = trainingOptions('adam',
                              'ExecutionEnvironment', 'cpu',
                              'GradientThreshold', 1,
                              'MaxEpochs', max_epochs,
                              'MiniBatchSize', miniBatchSize,
                              'SequenceLength', 'longest',
                              'Shuffle', 'never',
                              'VerboseFrequency', 10,
                              'Verbose', verbose)

    # net = trainNetwork(XTrain,YTrain,layers,options);
    net = trainNetwork(XTrain, YTrain, layers, options)

    # [XTest,YTest] = japaneseVowelsTestData;
    XTest, YTest = japaneseVowelsTestData(nargout=2)
    # sort the test data by sequence length, as for training
    idx = np.argsort([x.shape[1] for x in XTest], kind="stable")
    XTest = [XTest[i] for i in idx]
    YTest = YTest[idx]

    # YPred = classify(net,XTest, 'MiniBatchSize',miniBatchSize, 'SequenceLength','longest');
    YPred = classify(net, XTest, 'MiniBatchSize', miniBatchSize, 'SequenceLength', 'longest')

    # acc = sum(YPred == YTest)./numel(YTest)
    acc = np.sum(YPred == YTest) / len(YTest)
    return net, acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--layer", choices=sorted(LAYERS), default="gru")
    a = parser.parse_args()
    t0 = time.perf_counter()
    net, acc = main(a.seed, a.epochs, not a.quiet, a.layer)
    print(f"\nacc = {acc:.4f}   (test accuracy, {time.perf_counter() - t0:.1f} s)")
