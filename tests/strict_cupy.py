"""A strict stand-in for CuPy, so that the GPU path's logic runs on the CPU in CI.

``StrictArray`` wraps a NumPy array and behaves like ``cupy.ndarray`` where dltoolbox uses
it, but refuses everything that on a GPU would be a hidden device-to-host round trip:
``__array__`` (so ``np.asarray``, NumPy functions and ufuncs), ``float()``/``int()``/
``bool()``, ``.tolist()``, ``.item()``, and arithmetic or module calls that mix it with
NumPy arrays (``TypeError`` in CuPy). The only way to the host is the explicit one:
``.get()`` / ``asnumpy``, which are counted in ``HOST_READS`` so that tests can assert how
many synchronising reads a call makes.

``MODULE`` stands in for the ``cupy`` module. It provides only the functions listed in
``_FUNCTIONS`` (all of which CuPy has); any other name raises ``AttributeError``, as a
function CuPy lacks would on a GPU.

The ``strict_cupy`` fixture (conftest.py) makes ``dltoolbox.backend`` return ``MODULE`` as
its GPU module; nothing here imports cupy.
"""

import types

import numpy as np

HOST_READS = [0]          # explicit device-to-host reads (get/asnumpy) since the last reset
OPS = [0]                 # array operations (about one CuPy kernel launch each), likewise


class HostConversionError(TypeError):
    """An implicit conversion of a device array to the host."""


def _refuse(what):
    raise HostConversionError(
        f"strict CuPy stand-in: {what} would copy a device array to the host implicitly; "
        f"use backend.to_host (an explicit .get()) where a host value is really needed.")


def _mix(x):
    raise TypeError(
        f"strict CuPy stand-in: a device array cannot be mixed with a NumPy array "
        f"({x.dtype}, shape {x.shape}); move one side explicitly (xp.asarray / to_host).")


def _unwrap(x):
    """Operand of an operator or a module function: StrictArray -> its NumPy array."""
    if isinstance(x, StrictArray):
        return x._a
    if isinstance(x, np.ndarray):
        _mix(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


def _unwrap_index(key):
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k) for k in key)
    if isinstance(key, StrictArray):
        return key._a
    return key        # ints, slices, None, Ellipsis, host index arrays (CuPy uploads them)


def _wrap(r):
    if isinstance(r, np.ndarray):
        return StrictArray(r)
    if isinstance(r, np.generic):       # CuPy reductions return 0-d device arrays
        return StrictArray(np.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


_METHODS = {
    "reshape", "transpose", "astype", "copy", "sum", "mean", "max", "min", "argmax",
    "argmin", "any", "all", "dot", "ravel", "fill", "swapaxes", "squeeze", "clip",
    "cumsum", "std", "var", "prod", "view", "flatten", "repeat", "take", "nonzero",
    "argsort", "sort", "round", "conj", "diagonal", "trace",
}


class StrictArray:
    """A device array of the stand-in (see the module docstring)."""

    __array_ufunc__ = None          # NumPy ufuncs and `ndarray op StrictArray` refuse it
    __array_priority__ = 1000

    def __init__(self, a):
        self._a = a

    # -- the explicit way to the host -----------------------------------------------------
    def get(self, stream=None, order="C", out=None):
        HOST_READS[0] += 1
        return np.array(self._a, order=order)

    # -- implicit conversions: refused -----------------------------------------------------
    def __array__(self, *args, **kwargs):
        _refuse("np.asarray / a NumPy function")

    def __array_function__(self, func, types_, args, kwargs):
        _refuse(f"numpy.{func.__name__}")

    def __float__(self):
        _refuse("float()")

    def __int__(self):
        _refuse("int()")

    def __index__(self):
        _refuse("operator.index()")

    def __complex__(self):
        _refuse("complex()")

    def __bool__(self):
        _refuse("bool() (an `if` on a device value)")

    def tolist(self):
        _refuse(".tolist()")

    def item(self, *args):
        _refuse(".item()")

    def __repr__(self):
        return f"StrictArray(shape={self._a.shape}, dtype={self._a.dtype})"

    # -- attributes --------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))
    real = property(lambda self: StrictArray(self._a.real))

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (StrictArray(np.asarray(v)) for v in self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        OPS[0] += 1
        self._a[_unwrap_index(key)] = _unwrap(value)

    def __getattr__(self, name):
        if name not in _METHODS:
            raise AttributeError(f"strict CuPy stand-in: ndarray has no method {name!r}")
        method = getattr(self._a, name)

        def call(*args, **kwargs):
            OPS[0] += name not in ("reshape", "view", "transpose", "swapaxes", "squeeze",
                                   "ravel")
            return _wrap(method(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
        return call


def _binary(name):
    op = getattr(np.ndarray, name)

    def f(self, other):
        OPS[0] += 1
        if isinstance(other, (list, tuple)):
            raise TypeError(f"strict CuPy stand-in: {name} with a {type(other).__name__}")
        return _wrap(op(self._a, _unwrap(other)))
    return f


def _inplace(name):
    op = getattr(np.ndarray, name)

    def f(self, other):
        OPS[0] += 1
        op(self._a, _unwrap(other))
        return self
    return f


for _n in ("add", "sub", "mul", "truediv", "floordiv", "pow", "mod", "matmul", "and", "or",
           "xor"):
    setattr(StrictArray, f"__{_n}__", _binary(f"__{_n}__"))
    setattr(StrictArray, f"__r{_n}__", _binary(f"__r{_n}__"))
    setattr(StrictArray, f"__i{_n}__", _inplace(f"__i{_n}__"))
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(StrictArray, f"__{_n}__", _binary(f"__{_n}__"))
for _n in ("neg", "pos", "abs", "invert"):
    setattr(StrictArray, f"__{_n}__",
            (lambda op: lambda self: StrictArray(op(self._a)))(getattr(np.ndarray, f"__{_n}__")))
StrictArray.__hash__ = None


def _function(name):
    fn = getattr(np, name)

    def call(*args, **kwargs):
        OPS[0] += name not in _VIEWS
        return _wrap(fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))
    call.__name__ = name
    return call


def asarray(a, dtype=None, order=None):
    """Host data is uploaded (a copy, as cupy.asarray); device data is returned as is."""
    if isinstance(a, StrictArray):
        return a if dtype is None or a.dtype == dtype else StrictArray(a._a.astype(dtype))
    return StrictArray(np.array(a, dtype=dtype, order=order or "K"))


def array(a, dtype=None, copy=True, order="K"):
    if isinstance(a, StrictArray):
        return StrictArray(np.array(a._a, dtype=dtype, copy=copy, order=order))
    return StrictArray(np.array(a, dtype=dtype, order=order))


def asnumpy(a, stream=None):
    return a.get() if isinstance(a, StrictArray) else np.asarray(a)


def get_array_module(*args):
    return MODULE if any(isinstance(a, StrictArray) for a in args) else np


def _erf(x):
    import math  # noqa: PLC0415

    return StrictArray(np.frompyfunc(math.erf, 1, 1)(x._a).astype(x.dtype))


_VIEWS = {"reshape", "ravel", "squeeze", "swapaxes", "transpose", "moveaxis", "expand_dims",
          "broadcast_to", "atleast_2d"}

# Functions CuPy provides with NumPy's signatures (a subset: what dltoolbox may use).
_FUNCTIONS = (
    "abs", "absolute", "add", "all", "any", "arange", "argmax", "argmin", "argsort",
    "ascontiguousarray", "broadcast_to", "ceil", "clip", "concatenate", "copyto", "cos",
    "cumsum", "diag", "divide", "dot", "einsum", "empty", "empty_like", "equal", "exp",
    "expm1", "eye", "floor", "full", "full_like", "isfinite", "isnan", "linspace", "log",
    "log1p", "logical_and", "logical_not", "logical_or", "matmul", "max", "maximum", "mean",
    "min", "minimum", "moveaxis", "multiply", "negative", "ones", "ones_like", "outer", "pad",
    "power", "prod", "ravel", "reciprocal", "repeat", "reshape", "round", "sign", "sin",
    "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "swapaxes", "take",
    "take_along_axis", "tanh", "tile", "transpose", "tril", "triu", "var", "vstack",
    "hstack", "where", "zeros", "zeros_like", "exp2", "greater", "less", "sort", "flip",
    "expand_dims", "atleast_2d", "split", "array_split", "cumprod", "amax", "amin",
    "count_nonzero", "nan_to_num", "fmax", "fmin", "heaviside", "signbit", "float_power",
    "true_divide", "tensordot", "kron", "cbrt", "arctan", "arctanh", "sinh", "cosh", "tan",
    "logaddexp", "isinf", "roll",
)
_CONSTANTS = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
              "bool_", "newaxis", "inf", "nan", "pi", "e", "dtype", "complex64")

MODULE = types.ModuleType("cupy_strict", "strict CuPy stand-in (tests/strict_cupy.py)")
for _n in _FUNCTIONS:
    setattr(MODULE, _n, _function(_n))
for _n in _CONSTANTS:
    setattr(MODULE, _n, getattr(np, _n))
MODULE.ndarray = StrictArray
MODULE.asarray = asarray
MODULE.array = array
MODULE.asnumpy = asnumpy
MODULE.get_array_module = get_array_module
MODULE._dltoolbox_erf = _erf        # what backend.erf uses instead of cupyx.scipy.special
StrictArray.__module__ = "cupy_strict"   # backend.get_xp recognises device arrays by module
