"""The numba fast path as a whole: its compiled kernels are reused across processes."""

import os
import subprocess
import sys

import pytest

from dltoolbox.layers import _gru_kernels

pytestmark = pytest.mark.skipif(_gru_kernels.fused is None, reason="numba is not installed")

# Every kernel, in both dtypes: training (forward and backward) in two reset-gate modes,
# prediction of a batch, and the one-observation path.
_USE_ALL_KERNELS = """
import numpy as np
from dltoolbox import gruLayer
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
    assert len(files) >= 8
    assert "data saved" not in second, second
    assert "data loaded" in second
    assert sorted(p.name for p in tmp_path.rglob("*.nbc")) == files
