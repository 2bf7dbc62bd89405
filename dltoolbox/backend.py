"""The one place that knows about NumPy and CuPy.

Layer code asks ``get_xp(array)`` for the array module of its input and never imports
cupy. ``resolve_environment`` maps MATLAB's ExecutionEnvironment to a module.
"""

import math
import warnings

import numpy as np

from .errors import raise_error

__all__ = ["get_xp", "to_host", "host_scalars", "cupy_or_none", "resolve_environment", "erf",
           "gather", "gpuArray", "is_device_array", "ops", "Ops", "DeclinedError"]

_cupy = None
_cupy_checked = False
_probe_error = None       # why CuPy imported but the GPU was not usable (one line), or None


def _probe(cupy):
    """Raise unless ``cupy`` can run a kernel and a matrix product on device 0.

    Counting devices is not enough: CuPy 14 wheels without the ``[ctk]`` extra import
    and see the device on a driver-only host, then fail at the first kernel (no NVRTC)
    or matrix product (no cuBLAS).
    """
    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no CUDA device")
    x = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    y = x * 2 + 1                               # an elementwise kernel (compiled by NVRTC)
    z = cupy.matmul(y, x.T)                     # cuBLAS
    got = cupy.asnumpy(z)
    ref = (np.arange(6, dtype=np.float32).reshape(2, 3) * 2 + 1) @ \
        np.arange(6, dtype=np.float32).reshape(2, 3).T
    if not np.allclose(got, ref):
        raise RuntimeError("the probe computed wrong numbers")


def cupy_or_none():
    """Return the cupy module when it imports and a CUDA device passes a probe, else None.

    The probe runs a tiny elementwise kernel and a small matrix product; when CuPy
    imports but the probe fails, ``probe_error()`` says why.
    """
    global _cupy, _cupy_checked, _probe_error
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported lazily
        except Exception:  # ImportError and broken installs: no GPU support, silently
            _cupy = None
            return None
        try:
            _probe(cupy)
            _cupy = cupy
        except Exception as err:  # CUDA driver/runtime/library errors: no usable GPU
            _cupy = None
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            _probe_error = f"{type(err).__name__}: {first}"[:300]
    return _cupy


def probe_error():
    """Why the installed CuPy could not use the GPU (one line), or None."""
    cupy_or_none()
    return _probe_error


def is_device_array(a):
    """True for a GPU (CuPy) array.

    >>> import numpy as np
    >>> is_device_array(np.zeros(2))
    False
    """
    return type(a) is not np.ndarray and type(a).__module__.startswith("cupy")


def get_xp(*arrays):
    """Return numpy or cupy, whichever holds the given arrays.

    >>> import numpy as np
    >>> get_xp(np.zeros(3)).__name__
    'numpy'
    """
    for a in arrays:
        if type(a) is not np.ndarray and type(a).__module__.startswith("cupy"):
            return cupy_or_none() or _module_of(a)
    return np


def _module_of(a):
    """The array module of a device array when no GPU module was chosen (a CuPy array
    made by the caller, or the test suite's stand-in)."""
    import sys  # noqa: PLC0415

    return sys.modules.get(type(a).__module__.split(".")[0])


_ERF = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    """The error function elementwise, in x's dtype, on x's device.

    NumPy has no erf: on the host this is math.erf per element (exact in double precision,
    about 0.1 us an element; SciPy is not a dependency); on the GPU cupyx's erf.

    >>> import numpy as np
    >>> erf(np.array([0.0, 1.0])).round(6).tolist()
    [0.0, 0.842701]
    """
    xp = get_xp(x)
    if xp is not np:
        own = getattr(xp, "_dltoolbox_erf", None)      # the test suite's CuPy stand-in
        if own is not None:
            return own(x)
        from cupyx.scipy.special import erf as cupy_erf  # noqa: PLC0415 - optional

        return cupy_erf(x)
    return _ERF(x).astype(x.dtype)


def to_host(a):
    """Return a NumPy array (copies from the GPU when needed).

    >>> import numpy as np
    >>> to_host(np.ones(2)).tolist()
    [1.0, 1.0]
    """
    if a is None or isinstance(a, np.ndarray):
        return a
    if is_device_array(a):
        return a.get()
    return np.asarray(a)


def host_scalars(*values):
    """Python floats of device or host scalars, read from the GPU in one transfer.

    >>> import numpy as np
    >>> host_scalars(np.float32(0.5), 2.0)
    (0.5, 2.0)
    """
    device = [v for v in values if is_device_array(v)]
    if not device:
        return tuple(float(v) for v in values)
    xp = get_xp(device[0])
    read = iter(xp.stack([xp.asarray(v, dtype=xp.float64).reshape(()) for v in device])
                .get().tolist())
    return tuple(next(read) if is_device_array(v) else float(v) for v in values)


def gather(*arrays, nargout=1):
    """MATLAB's ``gather``: GPU arrays copied to the host as NumPy arrays.

    Host arrays and other values come back unchanged; a list (a cell array of sequences)
    is gathered element by element. Several inputs give a tuple, as MATLAB's
    ``[X1, X2] = gather(A1, A2)``.

    >>> import numpy as np
    >>> gather(np.ones(2)).tolist()
    [1.0, 1.0]
    >>> [a.shape for a in gather(np.ones(2), np.zeros((1, 3)), nargout=2)]
    [(2,), (1, 3)]
    """
    def one(a):
        if isinstance(a, list):
            return [one(v) for v in a]
        return to_host(a) if is_device_array(a) else a
    if len(arrays) != nargout:
        raise_error("gather", "WrongNumberOfOutputs",
                    f"gather returns one output per input: {len(arrays)} input"
                    f"{'s' if len(arrays) != 1 else ''} but nargout={nargout}.")
    out = tuple(one(a) for a in arrays)
    return out[0] if nargout == 1 else out


def gpuArray(X):  # noqa: N802 - MATLAB name
    """MATLAB's ``gpuArray``: X copied to the GPU (a CuPy array).

    A list (a cell array of sequences) is copied element by element. Without CuPy and a
    working NVIDIA GPU this is the error ``dltoolbox:gpuArray:GPUNotAvailable``.

    >>> import numpy as np
    >>> x = gpuArray(np.ones(2)) if cupy_or_none() is not None else np.ones(2)
    >>> gather(x).tolist()
    [1.0, 1.0]
    """
    cp = _device_module("gpuArray")
    if isinstance(X, list):
        return [gpuArray(v) for v in X]
    if is_device_array(X):
        return X
    try:
        host = np.asarray(X)
    except (TypeError, ValueError):
        host = None
    if host is None or host.dtype.kind not in "biuf":
        raise_error("gpuArray", "InvalidInput",
                    f"gpuArray needs a numeric or logical array (or a list of them), got "
                    f"{type(X).__name__}"
                    f"{'' if host is None else ' of dtype ' + str(host.dtype)}.", "type")
    return cp.asarray(host)


def _device_module(func):
    cp = cupy_or_none()
    if cp is None:
        why = f" CuPy could not use the GPU: {_probe_error}" if _probe_error else \
            " No usable CuPy installation was found."
        ident = "GPUProbeFailed" if _probe_error else "GPUNotAvailable"
        raise_error(func, ident,
                    "ExecutionEnvironment 'gpu' (and gpuArray) need CuPy with the CUDA "
                    "libraries (pip install 'dltoolbox[gpu]') and a working NVIDIA GPU." + why)
    return cp


_warned_fallback = [False]


def resolve_environment(env, func):
    """Map ExecutionEnvironment 'auto'|'cpu'|'gpu'|'parallel'|'multi-gpu' to (xp, label), as
    MATLAB documents ('parallel': CPU worker processes, 'multi-gpu': one GPU per process;
    training/parallel.py).

    'auto' uses the GPU when CuPy passes the probe, else the CPU (with a one-line warning,
    once, when CuPy is installed but the probe failed); 'gpu' without a usable GPU is the
    error GPUNotAvailable (no CuPy) or GPUProbeFailed (CuPy installed, probe failed);
    'cpu' always the CPU.

    >>> resolve_environment('cpu', 'predict')[1]
    'CPU'
    """
    if env == "cpu":
        return np, "CPU"
    if env in ("gpu", "multi-gpu"):    # 'multi-gpu': one GPU per process (parallel.py)
        return _device_module(func), "GPU"
    if env == "auto":
        cp = cupy_or_none()
        if cp is None and _probe_error and not _warned_fallback[0]:
            _warned_fallback[0] = True
            warnings.warn(f"{func}: CuPy is installed but cannot use the GPU "
                          f"({_probe_error}); running on the CPU.", stacklevel=3)
        return (cp, "GPU") if cp is not None else (np, "CPU")
    if env == "parallel":      # CPU worker processes (training/parallel.py)
        return np, "CPU"
    raise_error(func, "NotSupported",
                f"ExecutionEnvironment '{env}' is not supported yet; use 'auto', 'cpu' or 'gpu'.")


# -- backend ops, chosen once per array module (DESIGN.md change 3) -------------------------
class DeclinedError(Exception):
    """Raised by a fused implementation for a case it does not handle: the plain path runs."""


class Ops:
    """The operations of one array module (NumPy or CuPy), made once per module.

    A fused implementation (a CuPy kernel set, say) registers under a kind, e.g.
    ``("cell", "gru")``; ``choose(kind, plain, *context)`` returns the first registered
    implementation that accepts the case, or ``plain``. An implementation is a factory:
    called with ``(plain, *context)`` it returns its replacement for ``plain`` or raises
    ``DeclinedError``, so it can decline by dtype, activation, size or anything else, and the
    plain path, which handles everything, runs.

    >>> import numpy as np
    >>> o = ops(np)
    >>> o.name, o.choose(("cell", "gru"), "plain") == "plain"
    ('numpy', True)
    """

    def __init__(self, xp):
        self.xp = xp
        self.name = getattr(xp, "__name__", "device")
        self._impls = {}

    def register(self, kind, factory):
        """Add a fused implementation of ``kind`` (tried before earlier ones)."""
        self._impls.setdefault(kind, []).insert(0, factory)

    def unregister(self, kind, factory):
        self._impls.get(kind, []).remove(factory)

    def choose(self, kind, plain, *context):
        for factory in self._impls.get(kind, ()):
            try:
                return factory(plain, *context)
            except DeclinedError:
                continue
        return plain


_OPS = {}


def ops(xp):
    """The ``Ops`` of array module ``xp`` (one object per module, made on first use)."""
    key = id(xp)
    found = _OPS.get(key)
    if found is None or found.xp is not xp:
        found = _OPS[key] = Ops(xp)
    return found
