"""The examples run end to end (the main job is README command 1)."""

import importlib.util
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_japanese_vowels_gru_reaches_matlab_accuracy():
    net, acc = load("sequence_classification").main(seed=0, verbose=False)
    assert acc >= 0.94
    assert net.Layers[-1].description() == "crossentropyex with '1' and 8 other classes"


def test_time_series_forecasting_runs(tmp_path):
    closed, opened = load("time_series_forecasting").main(max_epochs=40,
                                                          plot_path=str(tmp_path / "f.png"))
    # the test segment swings over about +-600 around its level
    assert np.isfinite(closed) and np.isfinite(opened)
    assert opened < 300


def test_visualize_activations_runs(tmp_path):
    act, act_last, info = load("visualize_activations").main(
        max_epochs=2, plot_path=str(tmp_path / "a.png"), verbose=False)
    assert act.shape == (100, 20) and act_last.shape == (100, 1)   # XTrain{1} has 20 steps
    np.testing.assert_allclose(act[:, -1:], act_last, atol=1e-6)
    assert info.TotalLearnables == 46109            # reference §8.3
    assert (tmp_path / "a.png").exists()


def test_japanese_vowels_bilstm_as_the_page_has_it():
    (seed, acc, _), = load("sequence_classification_bilstm").main(seeds=(0,))
    assert seed == 0 and acc >= 0.92


def test_time_series_forecasting_with_lstm_layer(tmp_path):
    closed, opened = load("time_series_forecasting").main(max_epochs=40, layer="lstm")
    assert np.isfinite(closed) and np.isfinite(opened)
    assert opened < 300
