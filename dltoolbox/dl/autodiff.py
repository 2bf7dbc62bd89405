"""``dlfeval`` and ``dlgradient`` (MATLAB's automatic differentiation entry points)."""

from .._nameval import Option, options_table, parse_name_value
from .._validate import check_logical
from ..backend import get_xp
from ..errors import raise_error
from . import tape as _tape
from .dlarray import dlarray

_GRAD_OPTIONS = options_table(
    Option("RetainData", False, check_logical),
    Option("EnableHigherDerivatives", False, check_logical),
)


def _network_learnables(obj):
    """The raw learnable arrays of a network-like object (SeriesNetwork, dlnetwork, a
    layer list), or None for anything else."""
    rows = getattr(obj, "learnable_rows", None)    # a dlnetwork: no LayerArray built
    if rows is not None:
        return [getattr(layer, n) for layer, n in rows() if getattr(layer, n) is not None]
    layers = getattr(obj, "Layers", None)
    if layers is None and isinstance(obj, (list, tuple)) and obj and \
            all(hasattr(x, "learnable_names") for x in obj):
        layers = obj
    if layers is None:
        return None
    return [getattr(layer, n) for layer in layers for n in layer.learnable_names()
            if getattr(layer, n, None) is not None]


def _is_table(obj):
    """A Learnables/State table (dltoolbox.table.Table): its Value column holds arrays."""
    return "Value" in (getattr(obj, "VariableNames", None) or ())


def _map_table(table, fn):
    new = table.copy()
    new.Value = [fn(v) for v in table.Value]
    return new


def _trace_inputs(obj, tape):
    if isinstance(obj, dlarray):
        return dlarray._wrap(obj._data, obj._fmt, _tape.Node(tape, (), None))
    if _is_table(obj):
        for a in obj.Value:
            if a is not None and not isinstance(a, dlarray):
                tape.leaf_for(a)
        return _map_table(obj, lambda v: _trace_inputs(v, tape) if isinstance(v, dlarray)
                          else v)
    arrays = _network_learnables(obj)
    if arrays is not None:
        for a in arrays:
            tape.leaf_for(a)
        return obj
    if isinstance(obj, dict):
        return {k: _trace_inputs(v, tape) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) and type(obj) in (list, tuple):
        return type(obj)(_trace_inputs(v, tape) for v in obj)
    if hasattr(obj, "_dl_map"):
        return obj._dl_map(lambda v: _trace_inputs(v, tape))
    return obj


def _untrace(obj):
    if isinstance(obj, dlarray):
        return dlarray._wrap(obj._data, obj._fmt) if obj._node is not None else obj
    if isinstance(obj, dict):
        return {k: _untrace(v) for k, v in obj.items()}
    if type(obj) in (list, tuple):
        return type(obj)(_untrace(v) for v in obj)
    return obj


def dlfeval(fun, *args, **kwargs):
    """Evaluate ``fun(*args)`` with automatic differentiation (MATLAB ``dlfeval``).

    The dlarrays among the arguments (also inside dicts, lists and tuples) and the
    learnables of network arguments are traced; ``dlgradient`` inside ``fun``
    differentiates with respect to them. Returns ``fun``'s outputs, untraced.

    >>> import numpy as np
    >>> def f(x):
    ...     y = (x * x).sum("all")
    ...     return y, dlgradient(y, x)
    >>> y, g = dlfeval(f, dlarray(np.array([1.0, 2.0, 3.0])))
    >>> float(y), extractdata(g).tolist()
    (14.0, [2.0, 4.0, 6.0])
    """
    if not callable(fun):
        raise_error("dlfeval", "InvalidFunction",
                    f"Expected a function to evaluate, got {type(fun).__name__}.", "type")
    tape = _tape.Tape()
    saved = _tape._CURRENT[0]
    _tape._CURRENT[0] = tape
    try:
        traced = [_trace_inputs(a, tape) for a in args]
        out = fun(*traced, **kwargs)
    finally:
        _tape._CURRENT[0] = saved
        tape.by_id.clear()      # the leaves refer to the tape: no cycle left for gc
    return _untrace(out)


def _target(x, tape):
    if isinstance(x, dlarray):
        node = x._node if x._node is not None and x._node.tape is tape else None
        return node if node is not None else tape.lookup(x._data)
    return tape.lookup(x)


def _collect(x, tape, found):
    """Map the structure ``x`` to target nodes (appending (node, template) to found)."""
    if isinstance(x, dlarray) or type(x).__module__.startswith(("numpy", "cupy")):
        node = _target(x, tape)
        if node is None:
            raise_error("dlgradient", "NotTraced",
                        "Cannot compute the gradient with respect to an input that is not "
                        "traced: pass it to dlfeval (as an argument, or inside a struct, "
                        "table or network argument) or create it inside the function that "
                        "dlfeval evaluates.")
        found.append((node, x))
        return len(found) - 1
    if _is_table(x):
        return _map_table(x, lambda v: _collect(v, tape, found))
    if isinstance(x, dict):
        return {k: _collect(v, tape, found) for k, v in x.items()}
    if type(x) in (list, tuple):
        return type(x)(_collect(v, tape, found) for v in x)
    if hasattr(x, "_dl_map"):
        return x._dl_map(lambda v: _collect(v, tape, found))
    raise_error("dlgradient", "InvalidInput",
                f"Expected dlarrays, a Learnables table, or a struct (dict) or cell (list) "
                f"of dlarrays to differentiate with respect to, got {type(x).__name__}.",
                "type")


def _fill(plan, grads):
    if isinstance(plan, int):
        return grads[plan]
    if isinstance(plan, dict):
        return {k: _fill(v, grads) for k, v in plan.items()}
    if type(plan) in (list, tuple):
        return type(plan)(_fill(v, grads) for v in plan)
    if _is_table(plan):
        return _map_table(plan, lambda v: _fill(v, grads))
    return plan._dl_map(lambda v: _fill(v, grads))


def dlgradient(y, *xs, **kwargs):
    """Gradients of the scalar ``y`` with respect to ``xs`` (MATLAB ``dlgradient``).

    Each x may be a dlarray, a network's Learnables, or a dict/list/tuple of dlarrays; its
    gradient comes back in the same structure (dlarrays keep their format). Call it only
    inside ``dlfeval``. ``RetainData`` is accepted (the trace is always kept until
    dlfeval returns); ``EnableHigherDerivatives=True`` is not supported yet.

    >>> import numpy as np
    >>> def f(p):
    ...     return dlgradient((p["w"] * 3.0).sum(), p)
    >>> g = dlfeval(f, {"w": dlarray(np.ones(2))})
    >>> extractdata(g["w"]).tolist()
    [3.0, 3.0]
    """
    k = next((i for i, a in enumerate(xs) if isinstance(a, str)), len(xs))
    xs, pairs = xs[:k], xs[k:]          # trailing 'Name', value pairs
    opts = parse_name_value("dlgradient", pairs, kwargs, _GRAD_OPTIONS)
    if opts["EnableHigherDerivatives"]:
        raise_error("dlgradient", "NotSupported",
                    "'EnableHigherDerivatives' true is not supported yet: gradients are not "
                    "traced, so they cannot be differentiated again.")
    tape = _tape.current()
    if tape is None:
        _tape.not_in_dlfeval("dlgradient")
    if not xs:
        raise_error("dlgradient", "NotEnoughInputs",
                    "Give at least one input to differentiate with respect to.")
    if not isinstance(y, dlarray):
        raise_error("dlgradient", "NotDlarray",
                    f"The value to differentiate must be a traced dlarray, got "
                    f"{type(y).__name__}.", "type")
    if y.numel() != 1:
        raise_error("dlgradient", "NonScalar",
                    f"The value to differentiate must be a real scalar, but it has "
                    f"{'×'.join(map(str, y.size()))} elements; reduce it first (sum, mean).")
    if y._data.dtype.kind != "f":
        raise_error("dlgradient", "NonScalar", "The value to differentiate must be real "
                    "floating point.", "type")
    if y._node is None or y._node.tape is not tape:
        raise_error("dlgradient", "NotTraced",
                    "The value to differentiate is not traced: compute it inside dlfeval "
                    "from traced dlarrays.")
    found = []
    plans = [_collect(x, tape, found) for x in xs]
    xp = get_xp(y._data)
    seed = xp.ones_like(y._data)
    raw = _tape.backpropagate(y._node, seed, [n for n, _ in found])
    grads = []
    for g, (_, template) in zip(raw, found):
        data = template._data if isinstance(template, dlarray) else template
        g = xp.zeros_like(data) if g is None else g.reshape(data.shape).astype(data.dtype,
                                                                              copy=False)
        grads.append(dlarray._wrap(g, template._fmt) if isinstance(template, dlarray)
                     else dlarray._wrap(g, ""))
    out = [_fill(p, grads) for p in plans]
    return out[0] if len(out) == 1 else tuple(out)


__all__ = ["dlfeval", "dlgradient"]
