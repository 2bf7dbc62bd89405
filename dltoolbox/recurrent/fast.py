"""The switch between the plain array path and the numba kernels, for every cell.

The plain path (NumPy or CuPy array operations) always works and is the reference; the
numba kernels run for NumPy arrays when numba imports (the ``fast`` extra) and
``DLTOOLBOX_KERNELS`` is not ``numpy``. ``FAST`` and ``LOOPS`` are read at every call,
so tests switch paths by setting them: ``FAST`` uses the fused step kernels, ``LOOPS``
also runs whole time loops in numba where NumPy's bundled OpenBLAS can be called from
there (``numba_common.HAS_GEMM``).
"""

import os
import sys
import threading

import numpy as np

try:
    if os.environ.get("DLTOOLBOX_KERNELS", "").lower() == "numpy":
        raise ImportError("numba kernels disabled by DLTOOLBOX_KERNELS=numpy")
    from . import numba_common
except ImportError:
    numba_common = None

FAST = numba_common is not None
LOOPS = True

NOTICE_AFTER = 1.0   # seconds a first call may take before its compilation is announced
_announced = set()


def use_fused(xp):
    """True when the numba kernels run for arrays of ``xp``."""
    return FAST and numba_common is not None and xp is np


def use_loops():
    """True when whole time loops run in numba (calling BLAS from there)."""
    return LOOPS and numba_common is not None and numba_common.HAS_GEMM


def codes(gate, state):
    """The kernels' activation codes: gate 0 sigmoid, 1 hard-sigmoid; state 0 tanh,
    1 softsign."""
    return int(gate == "hard-sigmoid"), int(state == "softsign")


def kernel_set(module, gate, state, dtype):
    """A cell's numba kernel set (``module.kernels``) for these activations and dtype:
    float32 with the default activations has its own set, with their codes compiled in
    (prediction 3-5 % faster, see gru_numba.kernels); every other case reads the codes
    from the arguments."""
    single = np.dtype(dtype) == np.float32
    return module.kernels(dtype, (0, 0) if single and codes(gate, state) == (0, 0)
                          else (-1, -1))


class CompileNotice:
    """Prints one line to standard error when numba spends more than ``NOTICE_AFTER``
    seconds compiling one of dltoolbox's kernels (once per kind and process), so that a
    first training iteration that waits for the compiler says why. It listens to numba's
    compile events, which fire only on a real compilation (not on a load from the disk
    cache) and cost nothing when a kernel is called. Only the kernels that a network
    calls are compiled: numba compiles at the first call."""

    def __init__(self):
        self.depth = 0
        self.timer = None

    def on_start(self, event):
        self.depth += 1
        module = getattr(getattr(event.data.get("dispatcher"), "py_func", None),
                         "__module__", "")
        if self.depth == 1 and module.startswith("dltoolbox."):
            label = {"gru_numba": "GRU", "lstm_numba": "LSTM"}.get(
                module.rsplit(".", 1)[-1], "training")
            if label not in _announced:
                self.timer = threading.Timer(NOTICE_AFTER, _announce, (label,))
                self.timer.daemon = True
                self.timer.start()

    def on_end(self, event):
        self.depth -= 1
        if self.depth == 0 and self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _announce(label):
    if label not in _announced:
        _announced.add(label)
        print(f"dltoolbox: compiling the {label} kernels for this machine (first use; "
              f"cached for later runs)...", file=sys.stderr, flush=True)


if numba_common is not None:
    from numba.core import event as _event

    class _Listener(_event.Listener, CompileNotice):
        def __init__(self):
            CompileNotice.__init__(self)

        def on_start(self, event):
            CompileNotice.on_start(self, event)

        def on_end(self, event):
            CompileNotice.on_end(self, event)

    _event.register("numba:compile", _Listener())
