"""The one place that knows about NumPy and CuPy.

Layer code asks ``get_xp(array)`` for the array module of its input and never imports
cupy. ``resolve_environment`` maps MATLAB's ExecutionEnvironment to a module.
"""

import math

import numpy as np

from .errors import raise_error

__all__ = ["get_xp", "to_host", "cupy_or_none", "resolve_environment", "erf"]

_cupy = None
_cupy_checked = False


def cupy_or_none():
    """Return the cupy module when it imports and a CUDA device is present, else None."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported lazily

            if cupy.cuda.runtime.getDeviceCount() > 0:
                _cupy = cupy
        except Exception:  # ImportError, CUDA driver errors: no usable GPU
            _cupy = None
    return _cupy


def get_xp(*arrays):
    """Return numpy or cupy, whichever holds the given arrays.

    >>> import numpy as np
    >>> get_xp(np.zeros(3)).__name__
    'numpy'
    """
    for a in arrays:
        if type(a) is not np.ndarray and type(a).__module__.startswith("cupy"):
            return cupy_or_none()
    return np


_ERF = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    """The error function elementwise, in x's dtype, on x's device.

    NumPy has no erf: on the host this is math.erf per element (exact in double precision,
    about 0.1 us an element; SciPy is not a dependency); on the GPU cupyx's erf.

    >>> import numpy as np
    >>> erf(np.array([0.0, 1.0])).round(6).tolist()
    [0.0, 0.842701]
    """
    if get_xp(x) is not np:
        from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - optional

        return cupy_erf(x)
    return _ERF(x).astype(x.dtype)


def to_host(a):
    """Return a NumPy array (copies from the GPU when needed)."""
    if a is None or isinstance(a, np.ndarray):
        return a
    if type(a).__module__.startswith("cupy"):
        return a.get()
    return np.asarray(a)


def resolve_environment(env, func):
    """Map ExecutionEnvironment 'auto'|'cpu'|'gpu'|'parallel'|'multi-gpu' to (xp, label).

    'auto' uses the GPU when CuPy and a device are present; 'gpu' without them is an error.
    """
    cp = cupy_or_none()
    if env == "cpu":
        return np, "CPU"
    if env in ("gpu", "multi-gpu"):    # 'multi-gpu': one GPU per process (parallel.py)
        if cp is None:
            raise_error(func, "GPUNotAvailable",
                        f"ExecutionEnvironment '{env}' needs CuPy (pip install dltoolbox[gpu]) "
                        f"and an NVIDIA GPU, but none was found.")
        return cp, "GPU"
    if env == "auto":
        return (cp, "GPU") if cp is not None else (np, "CPU")
    if env == "parallel":      # CPU worker processes (training/parallel.py)
        return np, "CPU"
    raise_error(func, "NotSupported",
                f"ExecutionEnvironment '{env}' is not supported yet; use 'auto', 'cpu' or 'gpu'.")
