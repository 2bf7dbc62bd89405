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


class Kernels(dict):
    """A cell's kernel set, by name. Numba compiles a kernel at its first call (or loads
    it from the disk cache, which is quick); a first call that takes longer than
    ``NOTICE_AFTER`` prints one line to standard error, once per cell and process, so that
    a first training iteration that waits for the compiler says why. Only the kernels a
    network calls are compiled."""

    def __init__(self, label, kernels):
        super().__init__(kernels)
        self.label = label

    def __getitem__(self, name):
        kernel = dict.__getitem__(self, name)
        if kernel.signatures or self.label in _announced:
            return kernel
        return _announcing(kernel, self.label)


def _announcing(kernel, label):
    def call(*args):
        timer = threading.Timer(NOTICE_AFTER, _announce, (label,))
        timer.daemon = True
        timer.start()
        try:
            return kernel(*args)
        finally:
            timer.cancel()
    return call


def _announce(label):
    if label not in _announced:
        _announced.add(label)
        print(f"dltoolbox: compiling the {label} kernels for this machine (first use; "
              f"cached for later runs)...", file=sys.stderr, flush=True)
