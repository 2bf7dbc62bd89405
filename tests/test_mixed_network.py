"""A sequence-to-sequence network mixing convolution1dLayer, batchNormalizationLayer,
reluLayer and a gruLayer trains through trainNetwork to a fixed accuracy (issue 14)."""

import numpy as np

from dltoolbox import (
    batchNormalizationLayer,
    categorical,
    classificationLayer,
    classify,
    convolution1dLayer,
    fullyConnectedLayer,
    gruLayer,
    load,
    predict,
    reluLayer,
    rng,
    save,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)


def task(rs, n, t=24):
    """Label at step t: 'up' when x[t] + x[t-1] + x[t-2] > 0 (zeros before the start)."""
    X, Y = [], []
    for _ in range(n):
        x = rs.standard_normal((1, t)) + 0.5 * rs.standard_normal()
        s = np.convolve(x[0], np.ones(3))[:t]
        X.append(x)
        Y.append(categorical(np.where(s > 0, "up", "down"), ["down", "up"]))
    return X, Y


def test_conv_batchnorm_relu_gru_sequence_to_sequence(rs, tmp_path):
    rng(0)
    XTrain, YTrain = task(rs, 64)
    XTest, YTest = task(rs, 32)
    layers = [sequenceInputLayer(1),
              convolution1dLayer(3, 8, Padding="causal"),
              batchNormalizationLayer(),
              reluLayer(),
              gruLayer(8),
              fullyConnectedLayer(2),
              softmaxLayer(),
              classificationLayer()]
    opts = trainingOptions("adam", MaxEpochs=25, MiniBatchSize=16, InitialLearnRate=0.02,
                           Shuffle="every-epoch", Verbose=False)
    net = trainNetwork(XTrain, YTrain, layers, opts)
    assert [layer.type_name() for layer in net.Layers][1:5] == [
        "1-D Convolution", "Batch Normalization", "ReLU", "GRU"]
    assert net.Layers[2].TrainedMean.shape == (8, 1)
    pred = classify(net, XTest)
    acc = np.mean(np.concatenate([(p == y) for p, y in zip(pred, YTest)]))
    print(f"test accuracy {acc:.3f}")
    assert acc >= 0.9, acc
    # the trained network saves and loads with its statistics
    path = tmp_path / "net.pkl"
    save(str(path), net=net)
    loaded = load(str(path))["net"]
    np.testing.assert_array_equal(loaded.Layers[2].TrainedVariance, net.Layers[2].TrainedVariance)
    np.testing.assert_array_equal(predict(loaded, XTest[0]), predict(net, XTest[0]))
