"""The R2024a+ examples (dlnetwork / trainnet) run end to end."""

import numpy as np

from dltoolbox import predict

from .test_examples import load


def test_sequence_classification_trainnet_japanese_vowels():
    net, acc, agree = load("sequence_classification_trainnet").main(
        seed=0, max_epochs=40, verbose=False)
    assert acc >= 80.0                       # percent, testnet's unit (82.4 measured)
    assert abs(agree * 100 - acc) < 1e-9     # scores2label agrees with testnet
    assert sum(v.size for v in net.Learnables.Value) == 8 * 120 * (12 + 120 + 1) + 9 * 240 + 9


def test_time_series_forecasting_trainnet_open_and_closed_loop(tmp_path):
    out = load("time_series_forecasting_trainnet").main(max_epochs=30, n=40,
                                                        plot_path=str(tmp_path / "f.png"))
    assert out["mean_rmse"] < 0.6            # normalized units; an untrained net is ~1
    assert out["closed_loop"].shape == (200, 3) and np.isfinite(out["closed_loop"]).all()
    # the open loop, one row per call through net.State, is the whole-sequence prediction
    X, Y = out["X"], out["open_loop"]
    full = predict(out["net"], X)
    np.testing.assert_allclose(Y, full[74:X.shape[0] - 1], atol=1e-5)
    assert (tmp_path / "f.png").exists()
