"""``dlarray``: a NumPy or CuPy array with MATLAB's data format labels, traced in dlfeval.

Storage: the data's axes are MATLAB's dimensions in MATLAB's order (``X(c, b, t)`` is
``data[c, b, t]``, 0-based in Python). A formatted array is permuted to the order
S, C, B, T, U when it is made (``dlarray(A, "TCB")`` with A T-by-C-by-B stores C-by-B-by-T
and ``dims`` is ``'CBT'``); the permutation is a view, no copy. Layers compute on the
reversed order ((T, B, C), row-major), which is again a view: a C-by-B-by-T dlarray over a
C-contiguous (T, B, C) array has exactly MATLAB's column-major bytes.

Elementwise operations follow MATLAB's implicit expansion (missing trailing dimensions
are singleton; NumPy would align from the end). NumPy's ufuncs (``np.exp(X)``,
``np.tanh(X)``, ``abs(X)``) work on dlarrays and are traced. A dlarray wrapping a CuPy
array stays on the GPU (gpuArray semantics).
"""

import operator

import numpy as np

from .._validate import describe
from ..backend import get_xp, to_host
from ..errors import raise_error
from . import tape as _tape

_RANK = {"S": 0, "C": 1, "B": 2, "T": 3, "U": 4}


def _check_format(fmt, ndim, func="dlarray"):
    if not isinstance(fmt, str):
        raise_error(func, "InvalidFormat",
                    f"Expected the data format as a character vector such as 'CBT', got "
                    f"{type(fmt).__name__}.", "type")
    fmt = fmt.upper()
    bad = [c for c in fmt if c not in _RANK]
    if bad:
        raise_error(func, "InvalidFormat",
                    f"Invalid data format '{fmt}': labels are S (spatial), C (channel), "
                    f"B (batch), T (time) and U (unspecified), got '{bad[0]}'.")
    for c in "CBT":
        if fmt.count(c) > 1:
            raise_error(func, "InvalidFormat",
                        f"Invalid data format '{fmt}': '{c}' may appear at most once.")
    if ndim > len(fmt):
        raise_error(func, "FormatMismatch",
                    f"The data format '{fmt}' has {len(fmt)} labels, but the data has "
                    f"{ndim} non-singleton dimensions.")
    return fmt


_LAYOUTS = {}     # (format, ndim) -> _layout's answer, for the formats seen so far


def _layout(fmt, ndim):
    """(the checked format, the permutation to the order S, C, B, T, U or None when it is
    already in that order, the stored format) of labels ``fmt`` for ``ndim`` dimensions."""
    hit = _LAYOUTS.get((fmt, ndim))
    if hit is None:
        checked = _check_format(fmt, ndim)
        perm = sorted(range(len(checked)), key=lambda i: _RANK[checked[i]])
        hit = (checked, None if perm == list(range(len(checked))) else tuple(perm),
               "".join(checked[i] for i in perm))
        if len(_LAYOUTS) < 512:
            _LAYOUTS[(fmt, ndim)] = hit
    return hit


def _as_data(A, func="dlarray", name="X"):
    """The array of a dlarray, or numeric data as an array (integers as single); anything
    else is ``dltoolbox:<func>:InvalidData`` naming the argument ``name``."""
    if isinstance(A, dlarray):
        return A._data
    if type(A).__module__.startswith("cupy"):
        data = A
    else:
        try:
            data = np.asarray(A)
        except (TypeError, ValueError):    # ragged nested lists and the like
            data = None
        if data is None or data.dtype.kind == "O":
            raise_error(func, "InvalidData",
                        f"Expected '{name}' as a numeric or logical array, got "
                        f"{describe(A)}.", "type")
    if data.dtype.kind in "iu":
        data = data.astype(np.float32)
    elif data.dtype.kind not in "fb":
        raise_error(func, "InvalidData",
                    f"Expected '{name}' as numeric or logical data, got an array of "
                    f"{data.dtype}.", "type")
    return data


_TRACED = object()     # _plain_operand's answer when the general path must run


def _plain_operand(x, o):
    """The raw operand for ``x <op> o`` when nothing is traced and no expansion is due (o
    a Python number, or an array or dlarray of x's shape on x's device); else _TRACED."""
    if x._node is not None:
        return _TRACED
    t = type(o)
    if t is float or t is int:
        return o
    if t is dlarray:
        return o._data if o._node is None and o._data.shape == x._data.shape and \
            type(o._data) is type(x._data) else _TRACED
    if t is np.ndarray and type(x._data) is np.ndarray and o.shape == x._data.shape:
        return o
    return _TRACED


def _fmt_of(a, b):
    """The format of an elementwise result: the first operand's that has one."""
    fa = a._fmt if type(a) is dlarray else ""
    return fa or (b._fmt if type(b) is dlarray else "")


def _plain_result(out, fmt):
    return dlarray._wrap(out, fmt if not fmt or out.ndim == len(fmt) else "")


def _binary(op, ufunc, reflected=False):
    """A dlarray operator method: ``op`` on the arrays when nothing is traced and no
    expansion is due, else ``ufunc`` through :func:`apply_ufunc` (``reflected``: the
    dlarray is the right operand)."""
    if reflected:
        def method(self, o):
            d = _plain_operand(self, o)
            if d is not _TRACED:
                return _plain_result(op(d, self._data), _fmt_of(o, self))
            return apply_ufunc(ufunc, o, self)
    else:
        def method(self, o):
            d = _plain_operand(self, o)
            if d is not _TRACED:
                return _plain_result(op(self._data, d), _fmt_of(self, o))
            return apply_ufunc(ufunc, self, o)
    return method


class dlarray:  # noqa: N801 - MATLAB name
    """Deep learning array (MATLAB ``dlarray``): data, an optional format, a trace.

    >>> import numpy as np
    >>> X = dlarray(np.zeros((10, 3, 5), np.float32), "TCB")
    >>> dims(X), X.size()
    ('CBT', (3, 5, 10))
    >>> print(dlarray(np.float32(5.2061)))
      1×1 dlarray
    <BLANKLINE>
        5.2061
    """

    __slots__ = ("_data", "_fmt", "_node", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, A, fmt=None):
        data = _as_data(A)
        node = A._node if isinstance(A, dlarray) else None
        if fmt is not None and not isinstance(fmt, str):
            _check_format(fmt, data.ndim)          # a named InvalidFormat
        if fmt is None or fmt == "":
            self._data, self._fmt = data, (A._fmt if isinstance(A, dlarray) else "")
        else:
            if isinstance(A, dlarray) and A._fmt:
                raise_error("dlarray", "AlreadyFormatted",
                            f"The input already has the format '{A._fmt}'; call stripdims "
                            f"first to label its dimensions anew.")
            ndim = data.ndim
            while ndim > 0 and data.shape[ndim - 1] == 1 and ndim > len(fmt):
                ndim -= 1
            fmt, perm, stored = _layout(fmt, ndim)
            if data.ndim != len(fmt):
                data = data.reshape(data.shape[:ndim] + (1,) * (len(fmt) - ndim))
            if perm is not None:
                data = data.transpose(perm)
                if node is not None:
                    inv = np.argsort(perm)
                    node = _tape.record((node,), lambda g: (g.transpose(inv),))
            self._data, self._fmt = data, stored
        self._node = node if node is not None else _tape.leaf()

    @classmethod
    def _wrap(cls, data, fmt, node=None):
        out = object.__new__(cls)
        out._data, out._fmt, out._node = data, fmt, node
        return out

    # -- basic properties -----------------------------------------------------------
    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return max(self._data.ndim, 2)

    @property
    def shape(self):
        return self.size()

    def size(self, dim=None):
        """MATLAB ``size``: at least two dimensions; ``dim`` 1-based (an int, or a
        one-element list as ``finddim`` returns)."""
        s = self._data.shape + (1,) * max(0, 2 - self._data.ndim)
        if dim is None:
            return s
        if isinstance(dim, (list, tuple)):
            if len(dim) != 1:
                return tuple(self.size(d) for d in dim)
            dim = dim[0]
        d = int(dim)
        return s[d - 1] if d <= len(s) else 1

    def numel(self):
        return int(self._data.size)

    def __len__(self):
        return self.size()[0]

    def __float__(self):
        return float(to_host(self._data).reshape(-1)[0]) if self._data.size == 1 else \
            _not_scalar("float")

    def __bool__(self):
        if self._data.size != 1:
            _not_scalar("bool")
        return bool(to_host(self._data).reshape(-1)[0])

    def __array__(self, dtype=None, copy=None):
        a = to_host(self._data)
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        s = self.size()
        labels = self._fmt + "U" * (len(s) - len(self._fmt)) if self._fmt else ""
        head = " × ".join(f"{n}({labels[i]})" if labels else str(n) for i, n in enumerate(s))
        if not self._fmt:
            head = "×".join(map(str, s))
        body = np.array2string(np.asarray(to_host(self._data)).squeeze() if self._data.size > 1
                               else to_host(self._data).reshape(()), precision=4)
        return f"  {head} dlarray\n\n    {body}"

    __str__ = __repr__

    # -- the trace ------------------------------------------------------------------
    def _result(self, data, fmt, parents, backward):
        return dlarray._wrap(data, fmt, _tape.record(parents, backward))

    # -- arithmetic via NumPy's ufunc protocol --------------------------------------
    # An operation that nothing traces, between same-sized operands or with a scalar (no
    # MATLAB expansion to do), runs the array operation directly: the clipping and L2
    # arithmetic of a custom loop is such code, a few microseconds an operation less.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs.get("out") is not None:
            return NotImplemented
        if len(inputs) == 1 and self._node is None and type(self._data) is np.ndarray:
            return _plain_result(ufunc(self._data), self._fmt)
        return apply_ufunc(ufunc, *inputs)

    __add__ = _binary(operator.add, np.add)
    __radd__ = _binary(operator.add, np.add, reflected=True)
    __sub__ = _binary(operator.sub, np.subtract)
    __rsub__ = _binary(operator.sub, np.subtract, reflected=True)
    __mul__ = _binary(operator.mul, np.multiply)
    __rmul__ = _binary(operator.mul, np.multiply, reflected=True)
    __truediv__ = _binary(operator.truediv, np.divide)
    __rtruediv__ = _binary(operator.truediv, np.divide, reflected=True)

    def __pow__(self, o):
        return apply_ufunc(np.power, self, o)

    def __rpow__(self, o):
        return apply_ufunc(np.power, o, self)

    def __neg__(self):
        return apply_ufunc(np.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return apply_ufunc(np.absolute, self)

    __lt__ = _binary(operator.lt, np.less)
    __le__ = _binary(operator.le, np.less_equal)
    __gt__ = _binary(operator.gt, np.greater)
    __ge__ = _binary(operator.ge, np.greater_equal)
    __eq__ = _binary(operator.eq, np.equal)
    __ne__ = _binary(operator.ne, np.not_equal)

    __hash__ = object.__hash__

    def __matmul__(self, o):
        return mtimes(self, o)

    def __rmatmul__(self, o):
        return mtimes(o, self)

    @property
    def T(self):
        """Transpose of a matrix (the result is unformatted)."""
        return permute(stripdims(self), (2, 1))

    # -- indexing -------------------------------------------------------------------
    def __getitem__(self, idx):
        data = self._data[idx]
        fmt = self._fmt if data.ndim == self._data.ndim else ""
        shape, xp = self._data.shape, get_xp(self._data)
        basic = _is_basic(idx)

        def backward(g):
            out = xp.zeros(shape, dtype=g.dtype)
            if basic:
                out[idx] += g
            else:
                xp.add.at(out, idx, g)
            return (out,)

        return self._result(data, fmt, (self._node,), backward)

    def __setitem__(self, idx, value):
        v = value._data if isinstance(value, dlarray) else value
        data = self._data.copy()
        data[idx] = v
        vnode = value._node if isinstance(value, dlarray) else None
        vshape = np.shape(v)

        def backward(g):
            gx = g.copy()
            gx[idx] = 0
            gv = None
            if vnode is not None:
                gv = _unbroadcast(g[idx], vshape)
            return gx, gv

        self._node = _tape.record((self._node, vnode), backward)
        self._data = data

    # -- reductions and shape (methods; module functions below) ---------------------
    def sum(self, dim=None):
        return reduce_sum(self, dim)

    def mean(self, dim=None):
        return reduce_mean(self, dim)

    def max(self, dim=None):
        return reduce_max(self, dim)

    def reshape(self, *shape):
        return reshape(self, *shape)


def _not_scalar(what):
    raise_error("dlarray", "NotScalar", f"Only a one-element dlarray converts to {what}.")


def _is_basic(idx):
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice)) or i is Ellipsis or i is None
               for i in items)


# -- the dlarray functions -----------------------------------------------------------
def dims(X):
    """Data format of a dlarray (MATLAB ``dims``): '' when unformatted.

    >>> dims(dlarray(np.zeros((4, 2)), "BC"))
    'CB'
    """
    return X._fmt if isinstance(X, dlarray) else ""


def stripdims(X):
    """The dlarray without its format, data kept in the permuted order (``stripdims``).

    >>> stripdims(dlarray(np.zeros((4, 2)), "BC")).size()
    (2, 4)
    """
    if not isinstance(X, dlarray):
        return X
    return dlarray._wrap(X._data, "", X._node)


def extractdata(X):
    """The underlying NumPy or CuPy array (``extractdata``); dtype and device kept.

    >>> extractdata(dlarray(np.ones((2, 3), np.float32))).dtype
    dtype('float32')
    """
    return X._data if isinstance(X, dlarray) else X


def finddim(X, label):
    """1-based dimensions of ``X`` labelled ``label`` (``finddim``); [] when none.

    >>> finddim(dlarray(np.zeros((7, 3, 5)), "TCB"), "T")
    [3]
    """
    if not isinstance(label, str) or len(label) != 1 or label.upper() not in _RANK:
        raise_error("finddim", "InvalidLabel",
                    f"Expected 'label' as one of the letters S, C, B, T, U, got "
                    f"{describe(label)}.", "type" if not isinstance(label, str) else "value")
    label = label.upper()
    return [i + 1 for i, c in enumerate(dims(X)) if c == label]


def isdlarray(X):
    """True for a dlarray.

    >>> isdlarray(dlarray(1.0)), isdlarray(1.0)
    (True, False)
    """
    return isinstance(X, dlarray)


def _parts(x):
    if isinstance(x, dlarray):
        return x._data, x._fmt, x._node
    return x, "", None


def _align(a, nd):
    """MATLAB implicit expansion: pad trailing singleton dimensions up to ``nd``."""
    s = np.shape(a)
    if len(s) >= nd or len(s) == 0:
        return a
    return a.reshape(s + (1,) * (nd - len(s)))


def _unbroadcast(g, shape):
    """Sum ``g`` down to ``shape`` (the operand's shape before expansion)."""
    if g.shape == tuple(shape):
        return g
    if len(shape) == 0:
        return g.sum().reshape(())
    full = tuple(shape) + (1,) * (g.ndim - len(shape))
    axes = tuple(i for i, (n, m) in enumerate(zip(full, g.shape)) if n == 1 and m != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _d_power(g, a, b, out, which):
    xp = get_xp(g)
    if which == 0:
        return g * b * a ** (b - 1)
    return g * out * xp.log(xp.where(a > 0, a, 1))


# ufunc -> backward(g, inputs, out) returning one gradient per input
_GRADS = {
    np.add: lambda g, a, o: (g, g),
    np.subtract: lambda g, a, o: (g, -g),
    np.multiply: lambda g, a, o: (g * a[1], g * a[0]),
    np.divide: lambda g, a, o: (g / a[1], -g * o / a[1]),
    np.power: lambda g, a, o: (_d_power(g, a[0], a[1], o, 0), _d_power(g, a[0], a[1], o, 1)),
    np.negative: lambda g, a, o: (-g,),
    np.exp: lambda g, a, o: (g * o,),
    np.log: lambda g, a, o: (g / a[0],),
    np.sqrt: lambda g, a, o: (g / (2 * o),),
    np.tanh: lambda g, a, o: (g * (1 - o * o),),
    np.absolute: lambda g, a, o: (g * get_xp(g).sign(a[0]),),
    np.square: lambda g, a, o: (2 * g * a[0],),
    np.sin: lambda g, a, o: (g * get_xp(g).cos(a[0]),),
    np.cos: lambda g, a, o: (-g * get_xp(g).sin(a[0]),),
    np.maximum: lambda g, a, o: (g * (a[0] >= a[1]), g * (a[0] < a[1])),
    np.minimum: lambda g, a, o: (g * (a[0] <= a[1]), g * (a[0] > a[1])),
    np.reciprocal: lambda g, a, o: (-g * o * o,),
}
_NO_GRAD = {np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
            np.logical_and, np.logical_or, np.logical_not, np.sign, np.floor, np.ceil,
            np.round, np.isnan, np.isinf, np.isfinite}


def apply_ufunc(ufunc, *inputs):
    """A NumPy ufunc on dlarrays (and constants) with MATLAB's implicit expansion."""
    parts = [_parts(x) for x in inputs]
    datas = [p[0] for p in parts]
    fmt = next((p[1] for p in parts if p[1]), "")
    nds = [np.ndim(d) for d in datas]
    nd = max(nds)
    aligned = [_align(d, nd) if 0 < k < nd else d for d, k in zip(datas, nds)]
    xp = get_xp(*[d for d, k in zip(aligned, nds) if k or hasattr(d, "shape")])
    try:
        out = getattr(xp, ufunc.__name__)(*aligned)
    except ValueError as err:
        shapes = " and ".join("×".join(map(str, np.shape(d))) or "scalar" for d in datas)
        raise_error(ufunc.__name__, "SizeMismatch",
                    f"Arrays have incompatible sizes for this operation: {shapes} ({err}).")
    if fmt and out.ndim != len(fmt):
        fmt = ""
    nodes = [p[2] for p in parts]
    if ufunc in _NO_GRAD or out.dtype.kind == "b":
        return dlarray._wrap(out, fmt)
    rule = _GRADS.get(ufunc)
    if rule is None:
        if any(n is not None for n in nodes):
            raise_error("dlgradient", "NotSupported",
                        f"The function '{ufunc.__name__}' has no derivative here yet.")
        return dlarray._wrap(out, fmt)
    shapes = [np.shape(d) for d in datas]

    def backward(g):
        gs = rule(g, aligned, out)
        return tuple(None if n is None else _unbroadcast(gi, s)
                     for gi, n, s in zip(gs, nodes, shapes))

    return dlarray._wrap(out, fmt, _tape.record(nodes, backward))


def _axes(X, dim, func):
    """0-based axes of the stored data for MATLAB dimension(s) ``dim`` (1-based int, list,
    a label such as 'T', or 'all')."""
    data, fmt = X._data, X._fmt
    if type(dim) is str and dim == "all":
        return tuple(range(data.ndim))
    if dim is None:   # MATLAB: the first non-singleton dimension
        s = X.size()
        first = next((i for i, n in enumerate(s) if n != 1), 0)
        return (first,) if first < data.ndim else ()
    if isinstance(dim, str):
        if dim.lower() == "all":
            return tuple(range(data.ndim))
        found = [i for i, c in enumerate(fmt) if c in dim.upper()]
        if not found:
            raise_error(func, "InvalidDimension",
                        f"The array (format '{fmt}') has no dimension labelled '{dim}'.")
        return tuple(found)
    dims_ = dim if isinstance(dim, (list, tuple)) else [dim]
    axes = []
    for d in dims_:
        if not float(d).is_integer() or d < 1:
            raise_error(func, "InvalidDimension",
                        f"Dimensions are positive integers (1-based), got {d!r}.")
        if d - 1 < data.ndim:
            axes.append(int(d) - 1)
    return tuple(axes)


def _as_dl(X):
    return X if isinstance(X, dlarray) else dlarray._wrap(_as_data(X), "")


def reduce_sum(X, dim=None):
    """``sum(X, dim)``: dimensions kept as singletons (format kept).

    >>> reduce_sum(dlarray(np.ones((3, 4)), "CB"), 1).size()
    (1, 4)
    """
    X = _as_dl(X)
    axes = _axes(X, dim, "sum")
    out = X._data.sum(axis=axes, keepdims=True) if axes else X._data.copy()
    if X._node is None:
        return dlarray._wrap(out, X._fmt)
    shape, xp = X._data.shape, get_xp(X._data)
    return X._result(out, X._fmt, (X._node,),
                     lambda g: (xp.broadcast_to(g, shape).copy(),))


def reduce_mean(X, dim=None):
    """``mean(X, dim)``.

    >>> float(reduce_mean(dlarray(np.arange(4.0)), "all"))
    1.5
    """
    X = _as_dl(X)
    axes = _axes(X, dim, "mean")
    n = int(np.prod([X._data.shape[a] for a in axes])) if axes else 1
    return reduce_sum(X, dim) / n if axes else reduce_sum(X, dim)


def reduce_max(X, dim=None, nargout=1):
    """``max(X, [], dim)``: values (and 1-based indices with nargout=2); the gradient goes
    to the first maximum.

    >>> extractdata(reduce_max(dlarray(np.array([[1.0, 5.0], [3.0, 2.0]])), 1)).tolist()
    [[3.0, 5.0]]
    """
    X = _as_dl(X)
    axes = _axes(X, dim, "max")
    data, xp = X._data, get_xp(X._data)
    if len(axes) != 1:
        flat = data.reshape(-1) if axes else data
        axis, moved = 0, flat
        shape_keep = (1,) * data.ndim
    else:
        axis = axes[0]
        moved = data
        shape_keep = None
    idx = xp.argmax(moved, axis=axis)
    idx_k = xp.expand_dims(idx, axis)
    vals = xp.take_along_axis(moved, idx_k, axis=axis)
    if shape_keep is not None:
        vals = vals.reshape(shape_keep)
    shape = data.shape

    def backward(g):   # a one-hot mask of the maxima (no scatter: both backends)
        pos = xp.arange(moved.shape[axis]).reshape(
            [-1 if a == axis else 1 for a in range(moved.ndim)])
        out = (pos == idx_k) * g.reshape(idx_k.shape)
        return (out.astype(g.dtype, copy=False).reshape(shape),)

    Y = X._result(vals, X._fmt, (X._node,), backward)
    if nargout == 2:
        return Y, idx_k.reshape(vals.shape) + 1
    return Y


def reshape(X, *shape):
    """MATLAB ``reshape`` (column-major element order); the result is unformatted.

    >>> reshape(dlarray(np.arange(6.0).reshape(2, 3)), 3, 2).size()
    (3, 2)
    """
    X = _as_dl(X)
    if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
        shape = tuple(shape[0])
    shape = tuple(-1 if s is None or (isinstance(s, list) and not s) else int(s)
                  for s in shape)
    if np.prod([s for s in shape if s != -1]) and X._data.size % int(
            np.prod([s for s in shape if s != -1])):
        raise_error("reshape", "SizeMismatch",
                    f"Cannot reshape {X.numel()} elements into {shape}.")
    old = X._data.shape
    out = X._data.reshape(shape, order="F")
    return X._result(out, "", (X._node,), lambda g: (g.reshape(old, order="F"),))


def permute(X, order):
    """MATLAB ``permute`` with a 1-based dimension order; the result is unformatted.

    >>> permute(dlarray(np.zeros((2, 3, 4))), [3, 1, 2]).size()
    (4, 2, 3)
    """
    X = _as_dl(X)
    order = [int(o) - 1 for o in order]
    data = X._data
    if data.ndim < len(order):
        data = data.reshape(data.shape + (1,) * (len(order) - data.ndim))
    if sorted(order) != list(range(data.ndim)):
        raise_error("permute", "InvalidOrder",
                    f"The order must be a permutation of 1..{data.ndim}, got "
                    f"{[o + 1 for o in order]}.")
    inv = np.argsort(order)
    old = X._data.shape
    return X._result(data.transpose(order), "", (X._node,),
                     lambda g: (g.transpose(inv).reshape(old),))


def cat(dim, *arrays):
    """MATLAB ``cat(dim, A, B, ...)``; ``dim`` 1-based or a format label. The format of
    formatted inputs (all the same) is kept.

    >>> cat(1, dlarray(np.ones((2, 3)), "CB"), dlarray(np.zeros((1, 3)), "CB")).size()
    (3, 3)
    """
    arrays = [_as_dl(a) for a in arrays]
    fmts = {a._fmt for a in arrays if a._fmt}
    if len(fmts) > 1:
        raise_error("cat", "FormatMismatch",
                    f"Cannot concatenate arrays of different formats: {sorted(fmts)}.")
    fmt = fmts.pop() if fmts else ""
    if isinstance(dim, str):
        if dim.upper() not in fmt:
            raise_error("cat", "InvalidDimension", f"No dimension labelled '{dim}' in '{fmt}'.")
        axis = fmt.index(dim.upper())
    else:
        axis = int(dim) - 1
    nd = max(axis + 1, max(a._data.ndim for a in arrays))
    datas = [_align(a._data, nd) for a in arrays]
    xp = get_xp(*datas)
    try:
        out = xp.concatenate(datas, axis=axis)
    except ValueError:
        sizes = ", ".join("×".join(map(str, d.shape)) for d in datas)
        raise_error("cat", "SizeMismatch",
                    f"Dimensions of arrays being concatenated are not consistent: {sizes}.")
    bounds = np.cumsum([0] + [d.shape[axis] for d in datas])
    shapes = [a._data.shape for a in arrays]

    def backward(g):
        return tuple(g.take(xp.arange(int(bounds[i]), int(bounds[i + 1])), axis=axis)
                     .reshape(shapes[i]) for i in range(len(arrays)))

    node = _tape.record([a._node for a in arrays], backward)
    return dlarray._wrap(out, fmt if out.ndim == len(fmt) else "", node)


def mtimes(A, B):
    """Matrix product ``A*B`` of two matrices (unformatted result).

    >>> (dlarray(np.ones((2, 3))) @ dlarray(np.ones((3, 4)))).size()
    (2, 4)
    """
    a, _, na = _parts(A)
    b, _, nb = _parts(B)
    a2 = a.reshape(a.shape[0], -1) if np.ndim(a) != 2 else a
    b2 = b.reshape(b.shape[0], -1) if np.ndim(b) != 2 else b
    if a2.shape[1] != b2.shape[0]:
        raise_error("mtimes", "SizeMismatch",
                    f"Inner matrix dimensions must agree: {a2.shape} * {b2.shape}.")
    xp = get_xp(a2, b2)
    out = xp.matmul(a2, b2)
    sa, sb = np.shape(a), np.shape(b)
    return dlarray._wrap(out, "", _tape.record(
        (na, nb), lambda g: ((g @ b2.T).reshape(sa), (a2.T @ g).reshape(sb))))


__all__ = ["dlarray", "dims", "stripdims", "extractdata", "finddim", "isdlarray",
           "reduce_sum", "reduce_mean", "reduce_max", "reshape", "permute", "cat", "mtimes",
           "apply_ufunc"]
