"""MathWorks' "Visualize Activations of LSTM Network", ported line by line.

The MATLAB page loads a pretrained Japanese Vowels classifier (JapaneseVowelsNet,
lstmLayer(100, 'OutputMode', 'last')) and looks at the hidden units of its LSTM over the
time steps of one observation. This port first trains that classifier (dltoolbox ships
no pretrained network), then asks for the LSTM's activations at every time step through
a copy of the layer with OutputMode 'sequence' (dltoolbox's activations return what a
layer outputs: 100-by-1 for a 'last' layer). The last column of those activations is
the 'last' layer's output. MATLAB lines are kept as comments.

Run:  python examples/visualize_activations.py [--epochs N] [--plot activations.png]
"""

import argparse
import time

import numpy as np

from dltoolbox import *  # noqa: F403 - a ported script uses the MATLAB names bare


def train_japanese_vowels_net(max_epochs):
    """Stands in for `load JapaneseVowelsNet`."""
    rng(0)
    XTrain, YTrain = japaneseVowelsTrainData(nargout=2)
    layers = [sequenceInputLayer(12), lstmLayer(100, 'OutputMode', 'last'),
              fullyConnectedLayer(9), softmaxLayer(), classificationLayer()]
    options = trainingOptions('adam', 'GradientThreshold', 1, 'MaxEpochs', max_epochs,
                              'MiniBatchSize', 27, 'Shuffle', 'never', 'Verbose', False)
    return trainNetwork(XTrain, YTrain, layers, options)


def main(max_epochs=30, plot_path=None, verbose=True):
    # load JapaneseVowelsNet
    net = train_japanese_vowels_net(max_epochs)
    # net.Layers
    if verbose:
        print(net.Layers)

    # [XTrain,YTrain] = japaneseVowelsTrainData;
    XTrain, YTrain = japaneseVowelsTrainData(nargout=2)
    # X = XTrain{1};
    X = XTrain[0]

    # act = activations(net,X,"lstm");      <- the LSTM's output: 100-by-1 ('last')
    act_last = activations(net, X, 'lstm')

    # the same LSTM, outputting every time step
    lstm = net.Layers[1].copy()
    lstm.OutputMode = 'sequence'
    netSeq = assembleNetwork([net.Layers[0], lstm, regressionLayer()])
    act = activations(netSeq, X, 'lstm')      # 100-by-T
    if verbose:
        print(f"size(act) = {act.shape[0]}×{act.shape[1]}; the last column equals the "
              f"'last' output: {np.allclose(act[:, -1:], act_last, atol=1e-6)}")

    # info = analyzeNetwork(net)
    info = analyzeNetwork(net, 'Plots', 'analyzer' if verbose else 'none')

    if plot_path:
        _plot(X, act, plot_path)
    return act, act_last, info


def _plot(X, act, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'dltoolbox[plot]').")
        return
    fig, axes = plt.subplots(3, 1, figsize=(8, 9))
    # figure; plot(X'); xlabel("Time Step"); title("Training Observation 1")
    axes[0].plot(X.T)
    axes[0].set_xlabel("Time Step")
    axes[0].set_title("Training Observation 1")
    axes[0].legend([f"Feature {i}" for i in range(1, X.shape[0] + 1)], fontsize=6, ncol=2)
    # figure; heatmap(act(1:10,:)); xlabel("Time Step"); ylabel("Hidden Unit")
    im = axes[1].imshow(act[:10], aspect="auto", cmap="viridis")
    axes[1].set_xlabel("Time Step")
    axes[1].set_ylabel("Hidden Unit")
    axes[1].set_title("LSTM Activations")
    fig.colorbar(im, ax=axes[1])
    # channel = 3; figure; plot(act(channel,:)); title("Hidden Unit " + channel)
    channel = 3
    axes[2].plot(act[channel - 1])
    axes[2].set_xlabel("Time Step")
    axes[2].set_ylabel("Activation")
    axes[2].set_title(f"Hidden Unit {channel}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"Activation plots saved to {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--plot", default="activations.png")
    a = parser.parse_args()
    t0 = time.perf_counter()
    main(a.epochs, a.plot)
    print(f"({time.perf_counter() - t0:.1f} s)")
