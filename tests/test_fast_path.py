"""The numba fast path as a whole: its compiled kernels are reused across processes."""

import os
import subprocess
import sys

import pytest

from dltoolbox.recurrent import fast, gru

pytestmark = pytest.mark.skipif(fast.numba_common is None, reason="numba is not installed")

# Every kernel, in both dtypes: training (forward and backward) in two reset-gate modes,
# prediction of a batch, and the one-observation path.
_USE_ALL_KERNELS = """
import numpy as np
from dltoolbox import bilstmLayer, gruLayer, lstmLayer
for make in (lstmLayer, bilstmLayer):
    layer = make(4)
    layer.initialize(3, np.float32)
    x = np.ones((5, 2, 3), np.float32)
    y, back, _ = layer.forward(x, training=True)
    back(np.ones_like(y))
    layer.forward(x)
for mode in ("after-multiplication", "before-multiplication"):
    for dtype in (np.float32, np.float64):
        layer = gruLayer(4, ResetGateMode=mode)
        layer.initialize(3, dtype)
        x = np.ones((5, 2, 3), dtype)
        y, back, _ = layer.forward(x, training=True)
        back(np.ones_like(y))
        layer.forward(x)
        layer.predict_one(np.ones((5, 3), dtype))
"""


def test_numba_kernels_load_from_the_disk_cache_in_a_new_process(tmp_path):
    # A kernel that closed over jitted helpers got a new cache key in every process: it was
    # compiled again each time (seconds) and its cache folder grew by one file per run.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_DEBUG_CACHE": "1"}

    def run():
        done = subprocess.run([sys.executable, "-c", _USE_ALL_KERNELS], env=env,
                              capture_output=True, text=True, check=True)
        return done.stdout + done.stderr

    first = run()
    files = sorted(p.name for p in tmp_path.rglob("*.nbc"))
    second = run()
    assert "data saved" in first
    assert len(files) >= 10
    assert any("lstm_numba" in name for name in files)
    assert "data saved" not in second, second
    assert "data loaded" in second
    assert sorted(p.name for p in tmp_path.rglob("*.nbc")) == files


@pytest.mark.parametrize("way", [0, 1])
@pytest.mark.parametrize("mode", ["after-multiplication", "recurrent-bias-after-multiplication"])
@pytest.mark.parametrize("last", [False, True])
def test_whole_loop_kernels_match_the_numpy_path_in_both_product_orientations(
        way, mode, last, monkeypatch):
    import numpy as np

    from dltoolbox import gruLayer
    if not fast.numba_common.HAS_GEMM:
        pytest.skip("NumPy does not bundle OpenBLAS here")
    rs = np.random.default_rng(7)
    d, h, t, b = 5, 6, 7, 4
    layer = gruLayer(h, ResetGateMode=mode, OutputMode="last" if last else "sequence",
                     InputWeights=rs.standard_normal((3 * h, d)) * 0.5,
                     RecurrentWeights=rs.standard_normal((3 * h, h)) * 0.5,
                     Bias=rs.standard_normal((6 * h if "bias" in mode else 3 * h, 1)) * 0.5,
                     HiddenState=rs.standard_normal((h, 1)))
    x = rs.standard_normal((t, b, d))
    dy = rs.standard_normal((b, h) if last else (t, b, h))

    def run(loops):
        monkeypatch.setattr(fast, "FAST", loops)
        monkeypatch.setattr(fast, "LOOPS", loops)
        layer._cache = None
        y, back, _ = layer.forward(x, training=True)
        dx, grads = back(dy)
        return [y, layer.forward(x)[0], dx] + [grads[k] for k in sorted(grads)]

    monkeypatch.setattr(gru, "orientation", lambda *args, **kwargs: way)
    for got, want in zip(run(True), run(False)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("way", [0, 1])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("last", [False, True])
def test_lstm_whole_loop_kernels_match_the_numpy_path_in_both_orientations(
        way, bidirectional, last, monkeypatch):
    import numpy as np

    from dltoolbox import bilstmLayer, lstmLayer
    from dltoolbox.recurrent import lstm
    if not fast.numba_common.HAS_GEMM:
        pytest.skip("NumPy does not bundle OpenBLAS here")
    rs = np.random.default_rng(7)
    d, h, t, b = 5, 6, 7, 4
    dirs = 2 if bidirectional else 1
    make = bilstmLayer if bidirectional else lstmLayer
    layer = make(h, OutputMode="last" if last else "sequence",
                 InputWeights=rs.standard_normal((4 * h * dirs, d)) * 0.5,
                 RecurrentWeights=rs.standard_normal((4 * h * dirs, h)) * 0.5,
                 Bias=rs.standard_normal((4 * h * dirs, 1)) * 0.5,
                 HiddenState=rs.standard_normal((h * dirs, 1)),
                 CellState=rs.standard_normal((h * dirs, 1)))
    x = rs.standard_normal((t, b, d))
    dy = rs.standard_normal((b, dirs * h) if last else (t, b, dirs * h))

    def run(loops):
        monkeypatch.setattr(fast, "FAST", loops)
        monkeypatch.setattr(fast, "LOOPS", loops)
        y, back, states = layer.forward(x, training=True)
        dx, grads = back(dy)
        return [y, *states, layer.forward(x)[0], dx] + [grads[k] for k in sorted(grads)]

    monkeypatch.setattr(lstm, "orientation", lambda *args, **kwargs: way)
    for got, want in zip(run(True), run(False)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
