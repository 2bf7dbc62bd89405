"""examples/custom_training_loop.py runs end to end. The full run (the trainNetwork job's
settings: 50 epochs at 0.001, L2 1e-4, gradient threshold 1) reaches 0.946 with GRU, as
the trainNetwork job does (seed 0); here 8 epochs at 0.005 keep the test short."""

from .test_examples import load


def test_custom_training_loop_learns_japanese_vowels():
    net, acc = load("custom_training_loop").main(seed=0, num_epochs=8, verbose=False,
                                                  learn_rate=0.005)
    assert acc >= 0.85
    assert list(net.Learnables.Parameter) == ["InputWeights", "RecurrentWeights", "Bias",
                                              "Weights", "Bias"]
