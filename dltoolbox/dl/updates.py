"""The update functions of custom training loops (reference part 2, §7.4): ``adamupdate``,
``sgdmupdate``, ``rmspropupdate`` and ``dlupdate``.

Parameters may be a dlnetwork (with a gradient table as ``dlgradient(loss,
net.Learnables)`` returns; each layer's LearnRateFactor scales its rate), a Learnables
table, a dlarray or numeric array, or a dict/list/tuple of them; the gradients and solver
states have the same structure (``None`` or ``[]`` for the first call's states: zeros).
The updated parameters come back in the input's structure and class, the solver states
as tables for network and table inputs. Arithmetic in the parameters' dtype; no L2, no
clipping (add them to the gradients yourself, as MATLAB's examples do with dlupdate).

* adam:    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
           p = p - lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps)
* sgdm:    vel = mom vel - lr g;  p = p + vel
* rmsprop: s = rho s + (1-rho) g^2;  p = p - lr g / (sqrt(s) + eps)
"""

import os

import numpy as np

from .._validate import describe
from ..backend import get_xp
from ..errors import raise_error
from ..network import outputs
from ..table import Table
from .dlarray import _as_data, dlarray

try:
    if os.environ.get("DLTOOLBOX_KERNELS", "").lower() == "numpy":
        raise ImportError("numba kernels disabled by DLTOOLBOX_KERNELS=numpy")
    from . import _update_numba as fused
except ImportError:
    fused = None

FAST = fused is not None   # one numba pass per learnable for NumPy arrays (tests switch it)


def _fused(factor, *arrays):
    """True when a numba kernel takes these operands: numba, a scalar learn rate factor,
    and C-contiguous NumPy arrays of one float dtype and shape (else the NumPy rule
    runs)."""
    if not FAST or (type(factor) not in (float, int) and np.ndim(factor)):
        return False
    p = arrays[0]
    dtype, shape = p.dtype, p.shape
    if dtype != np.float32 and dtype != np.float64:
        return False
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != dtype or a.shape != shape or \
                not a.flags.c_contiguous:
            return False
    return True


def _bulk(step, values, g_rows, s_rows, factors):
    """``step(p, g, *states, factor)`` (a numba kernel call) for every learnable of a
    network or table, when each operand is a C-contiguous NumPy array (or a dlarray of
    one) of its parameter's dtype and shape, an empty state meaning zeros, and each
    factor a scalar: the usual case, without each learnable's trip through ``leaf``. None
    when any is not (then ``leaf`` runs, with its checks and named errors)."""
    if not FAST:
        return None
    calls = []
    for i, p in enumerate(values):
        p = p._data if type(p) is dlarray else p
        f = factors[i]
        if type(p) is not np.ndarray or type(f) not in (float, int) or \
                (p.dtype != np.float32 and p.dtype != np.float64) or \
                not p.flags.c_contiguous:
            return None
        ops = [p]
        for k, x in enumerate((g_rows[i], *[s[i] for s in s_rows])):
            if k and _empty(x):
                ops.append(np.zeros_like(p))
                continue
            x = x._data if type(x) is dlarray else x
            if type(x) is not np.ndarray or x.dtype != p.dtype or x.shape != p.shape or \
                    not x.flags.c_contiguous:
                return None
            ops.append(x)
        calls.append(ops)
    return [[_like(v, a) for a in step(*ops, f)]
            for v, ops, f in zip(values, calls, factors)]


def _is_table(x):
    return "Value" in (getattr(x, "VariableNames", None) or ())


def _is_network(x):
    # the class, not the instance: reading x.Learnables builds the whole table
    return hasattr(x, "_graph") and hasattr(type(x), "Learnables")


def _empty(x):
    return x is None or (isinstance(x, (list, tuple)) and len(x) == 0) or \
        (isinstance(x, np.ndarray) and x.size == 0)


def _data(x, func="dlupdate", name="X"):
    if x is None:
        return None
    if type(x) is dlarray:
        return x._data
    if type(x) is np.ndarray and x.dtype.kind in "fb":
        return x
    return x._data if isinstance(x, dlarray) else _as_data(x, func, name)


def _operands(func, p, g, *states):
    """The parameter's array, and the gradient's and each state's (None for an empty
    state) in the parameter's shape; another size is ``<func>:SizeMismatch``."""
    pd = _data(p, func, "parameters")
    if g is None:
        raise_error(func, "MissingGradient", "No gradient for a parameter.")
    out = [pd, _matched(func, "grad", g, pd)]
    for x in states:
        out.append(None if _empty(x) else _matched(func, "state", x, pd))
    return out


def _matched(func, name, x, pd):
    xd = _data(x, func, name)
    if xd.shape == pd.shape:
        return xd
    if xd.size != pd.size:
        raise_error(func, "SizeMismatch",
                    f"A '{name}' value has size {'×'.join(map(str, xd.shape)) or '1×1'}"
                    f" but its parameter {'×'.join(map(str, pd.shape)) or '1×1'}.")
    return xd.reshape(pd.shape)


def _pick(func, what, value, key):
    """``value[key]`` of a struct (dict) argument that must match the parameters'."""
    if not isinstance(value, dict) or key not in value:
        raise_error(func, "StructureMismatch",
                    f"The parameters are a struct (dict) with field {key!r}; '{what}' must "
                    f"have the same fields, got {describe(value)}.", "type")
    return value[key]


def _like(template, data):
    if isinstance(template, dlarray):
        return dlarray._wrap(data, template._fmt)
    return data


def _rows(values, n, func, what):
    if _empty(values):
        return [None] * n
    if _is_table(values):
        values = values.Value
    if not isinstance(values, (list, tuple)) or len(values) != n:
        raise_error(func, "SizeMismatch",
                    f"'{what}' must have one value per learnable ({n}), got {describe(values)}.")
    return list(values)


def _apply(func, params, grads, states, leaf, n_states, step=None):
    """Run ``leaf(p, g, states..., factor) -> (p', states'...)`` over the structure of
    ``params`` (a network's or table's learnables all at once through ``step`` where
    :func:`_bulk` can); returns (new params, new states...) in that structure."""
    if _is_network(params) or _is_table(params):
        if _is_network(params):
            rows = params.learnable_rows()
            if params._graph is None or any(getattr(layer, name) is None
                                            for layer, name in rows):
                raise_error(func, "UninitializedNetwork",
                            "The network has learnables that are not set: call "
                            "initialize(net) first.")
            values = [getattr(layer, name) for layer, name in rows]
            factors = [layer.factor("LearnRateFactor", name) for layer, name in rows]
        else:
            values, factors = params.Value, [1.0] * len(params)
        n = len(values)
        g_rows = _rows(grads, n, func, "grad")
        s_rows = [_rows(s, n, func, "state") for s in states]
        outs = None if step is None else _bulk(step, values, g_rows, s_rows, factors)
        if outs is None:
            outs = [leaf(values[i], g_rows[i], *[s[i] for s in s_rows], factors[i])
                    for i in range(n)]
        if _is_network(params):
            names = [[layer.Name for layer, _ in rows], [name for _, name in rows]]
            return (params.with_learnables([o[0] for o in outs]),
                    *[Table.of(("Layer", "Parameter", "Value"),
                               [*names, [o[k] for o in outs]], {"Value": "cell"})
                      for k in range(1, n_states + 1)])
        tables = []
        for k in range(n_states + 1):
            t = params.copy()
            t.Value = [o[k] for o in outs]
            tables.append(t)
        return tuple(tables)
    if isinstance(params, dict):
        keys = list(params)
        outs = {k: _apply(func, params[k], _pick(func, "grad", grads, k),
                          [None if _empty(s) else _pick(func, "state", s, k) for s in states],
                          leaf, n_states)
                for k in keys}
        return tuple([{k: outs[k][j] for k in keys} for j in range(n_states + 1)])
    if type(params) in (list, tuple):
        n = len(params)
        g_rows = _rows(grads, n, func, "grad")
        s_rows = [_rows(s, n, func, "state") for s in states]
        outs = [_apply(func, params[i], g_rows[i], [s[i] for s in s_rows], leaf, n_states)
                for i in range(n)]
        return tuple(type(params)(o[j] for o in outs) for j in range(n_states + 1))
    if grads is None:
        raise_error(func, "MissingGradient", "No gradient for a parameter.")
    return leaf(params, grads, *states, 1.0)


def _check_scalar(func, name, value, lo, hi=np.inf, lo_open=False, hi_open=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise_error(func, f"Invalid{name}", f"'{name}' must be a real scalar, got "
                    f"{describe(value)}.", "type")
    if not (v > lo if lo_open else v >= lo) or not (v < hi if hi_open else v <= hi) or \
            np.isnan(v):
        raise_error(func, f"Invalid{name}", f"'{name}' must be in "
                    f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}, got {v}.")
    return v


def adamupdate(net, grad, averageGrad, averageSqGrad, iteration, learnRate=0.001,
               gradDecay=0.9, sqGradDecay=0.999, epsilon=1e-8, *, nargout=3):
    """Adam update (MATLAB ``adamupdate``): returns ``(net, averageGrad, averageSqGrad)``.

    >>> p, m, v = adamupdate(np.array([1.0]), np.array([0.5]), None, None, 1)
    >>> p.round(6).tolist()
    [0.999]
    """
    func = "adamupdate"
    if isinstance(iteration, bool) or not isinstance(iteration, (int, float, np.number)) \
            or not float(iteration).is_integer() or iteration < 1:
        raise_error(func, "InvalidIteration",
                    f"'iteration' must be a positive integer (1 on the first call), got "
                    f"{iteration!r}.")
    lr = _check_scalar(func, "LearnRate", learnRate, 0)
    b1 = _check_scalar(func, "GradientDecayFactor", gradDecay, 0, 1, hi_open=True)
    b2 = _check_scalar(func, "SquaredGradientDecayFactor", sqGradDecay, 0, 1, hi_open=True)
    eps = _check_scalar(func, "Epsilon", epsilon, 0, lo_open=True)
    t = int(iteration)
    # a Python float, as every constant here: NumPy then computes in the arrays' precision
    # (MATLAB: a double scalar times a single array is single arithmetic)
    correction = float(np.sqrt(1 - b2 ** t) / (1 - b1 ** t))

    def step(p, g, m, v, factor):
        return fused.adam(p, g, m, v, np.array([b1, 1 - b1, b2, 1 - b2, eps,
                                                lr * correction * factor], p.dtype))

    def leaf(p, g, m, v, factor):
        pd, gd, m, v = _operands(func, p, g, m, v)
        xp = get_xp(pd)
        m = xp.zeros_like(pd) if m is None else m
        v = xp.zeros_like(pd) if v is None else v
        if _fused(factor, pd, gd, m, v):
            return [_like(p, a) for a in step(pd, gd, m, v, factor)]
        m = b1 * m                      # new arrays: the caller's states stay as they were
        m += (1 - b1) * gd
        v = b2 * v
        tmp = gd * gd
        tmp *= 1 - b2
        v += tmp
        xp.sqrt(v, out=tmp)
        tmp += eps
        delta = xp.divide(m, tmp, out=tmp)
        delta *= lr * correction * (1.0 if np.ndim(factor) else factor)
        if np.ndim(factor):
            delta *= xp.asarray(factor, dtype=pd.dtype)
        new = (pd - delta).astype(pd.dtype, copy=False)
        return _like(p, new), _like(p, m.astype(pd.dtype, copy=False)), \
            _like(p, v.astype(pd.dtype, copy=False))

    out = _apply(func, net, grad, [averageGrad, averageSqGrad], leaf, 2, step)
    return outputs(list(out), nargout, func)


def sgdmupdate(net, grad, vel, learnRate=0.01, momentum=0.9, *, nargout=2):
    """SGD with momentum (MATLAB ``sgdmupdate``): returns ``(net, vel)``; defaults 0.01 and
    0.9 (UNCONFIRMED).

    >>> p, vel = sgdmupdate(np.array([1.0]), np.array([0.5]), None)
    >>> p.tolist(), vel.tolist()
    ([0.995], [-0.005])
    """
    func = "sgdmupdate"
    lr = _check_scalar(func, "LearnRate", learnRate, 0)
    mom = _check_scalar(func, "Momentum", momentum, 0, 1)

    def step(p, g, v, factor):
        return fused.sgdm(p, g, v, np.array([mom, lr * factor], p.dtype))

    def leaf(p, g, v, factor):
        pd, gd, v = _operands(func, p, g, v)
        xp = get_xp(pd)
        v = xp.zeros_like(pd) if v is None else v
        if _fused(factor, pd, gd, v):
            return [_like(p, a) for a in step(pd, gd, v, factor)]
        rate = lr * (xp.asarray(factor, dtype=pd.dtype) if np.ndim(factor) else factor)
        v = (mom * v - rate * gd).astype(pd.dtype, copy=False)
        return _like(p, (pd + v).astype(pd.dtype, copy=False)), _like(p, v)

    out = _apply(func, net, grad, [vel], leaf, 1, step)
    return outputs(list(out), nargout, func)


def rmspropupdate(net, grad, averageSqGrad, learnRate=0.001, sqGradDecay=0.9, epsilon=1e-8,
                  *, nargout=2):
    """RMSProp (MATLAB ``rmspropupdate``): returns ``(net, averageSqGrad)``; defaults
    0.001, 0.9, 1e-8 (UNCONFIRMED).

    >>> p, s = rmspropupdate(np.array([1.0]), np.array([0.5]), None)
    >>> p.round(6).tolist()
    [0.996838]
    """
    func = "rmspropupdate"
    lr = _check_scalar(func, "LearnRate", learnRate, 0)
    rho = _check_scalar(func, "SquaredGradientDecayFactor", sqGradDecay, 0, 1, hi_open=True)
    eps = _check_scalar(func, "Epsilon", epsilon, 0, lo_open=True)

    def step(p, g, s, factor):
        return fused.rmsprop(p, g, s, np.array([rho, 1 - rho, eps, lr * factor], p.dtype))

    def leaf(p, g, s, factor):
        pd, gd, s = _operands(func, p, g, s)
        xp = get_xp(pd)
        s = xp.zeros_like(pd) if s is None else s
        if _fused(factor, pd, gd, s):
            return [_like(p, a) for a in step(pd, gd, s, factor)]
        s = rho * s + (1 - rho) * gd * gd
        rate = lr * (xp.asarray(factor, dtype=pd.dtype) if np.ndim(factor) else factor)
        new = pd - rate * gd / (xp.sqrt(s) + eps)
        return _like(p, new.astype(pd.dtype, copy=False)), _like(p, s.astype(pd.dtype,
                                                                             copy=False))

    out = _apply(func, net, grad, [averageSqGrad], leaf, 1, step)
    return outputs(list(out), nargout, func)


def dlupdate(fun, net, *others, nargout=1):
    """Apply ``fun`` to every learnable (MATLAB ``dlupdate``): ``dlupdate(fun, net)``, or
    elementwise over several tables/structs ``dlupdate(fun, A, B)`` (fun(a, b)); returns
    the structure of the first.

    >>> extractdata(dlupdate(lambda w: w * 2, {"w": dlarray(np.ones(2))})["w"]).tolist()
    [2.0, 2.0]
    """
    if not callable(fun):
        raise_error("dlupdate", "InvalidFunction", f"Expected a function, got "
                    f"{describe(fun)}.", "type")
    return outputs([_map(fun, net, list(others))], nargout, "dlupdate")


def _map(fun, first, others):
    if type(first) is dlarray:              # the leaves first: most calls are leaves
        return fun(first, *others)
    if _is_network(first) or _is_table(first):
        table = first.Learnables if _is_network(first) else first
        rows = [_rows(o, len(table), "dlupdate", "input") for o in others]
        new = table.copy()
        new.Value = [_map(fun, v, [r[i] for r in rows]) for i, v in enumerate(table.Value)]
        if _is_network(first):
            net = first.with_graph(first._graph, first.Initialized)
            net.Learnables = new
            return net
        return new
    if isinstance(first, dict):
        return {k: _map(fun, v, [_pick("dlupdate", "input", o, k) for o in others])
                for k, v in first.items()}
    if type(first) in (list, tuple):
        rows = [_rows(o, len(first), "dlupdate", "input") for o in others]
        return type(first)(_map(fun, v, [r[i] for r in rows]) for i, v in enumerate(first))
    arg = first if isinstance(first, dlarray) else dlarray._wrap(_data(first, "dlupdate",
                                                                       "net"), "")
    y = fun(arg, *others)
    return y if isinstance(first, dlarray) or not isinstance(y, dlarray) else y._data


__all__ = ["adamupdate", "sgdmupdate", "rmspropupdate", "dlupdate"]
