"""One tape node per layer: a layer's ``forward``/``backprop`` on formatted dlarrays.

The layers compute on (T, B, C) or (B, C) row-major arrays; a "CBT" dlarray stores
C-by-B-by-T, so the conversion is a transpose view in both directions. Learnables are
either the layer's own arrays (a network's: traced through the tape's leaves for those
arrays) or dlarrays given to a functional op (their nodes).
"""

import numpy as np

from ..backend import get_xp
from ..errors import raise_error
from ..layers._recurrent import RecurrentLayer
from . import tape as _tape
from .dlarray import _as_data, dlarray

# format -> (axes of the stored data that give the layer layout, layer ndim)
_TO_LAYER = {"CB": (1, 0), "CBT": (2, 1, 0), "SCB": (0, 2, 1)}
_SEQ = ("CBT", "CT", "SCB")


def to_layer(X, func, formats=("CB", "CBT", "CT")):
    """(layer-layout data, format) of a formatted dlarray (or a numeric array with
    ``fmt``)."""
    fmt = X._fmt if isinstance(X, dlarray) else ""
    data = X._data if isinstance(X, dlarray) else _as_data(X, func, "X")
    if fmt not in formats:
        raise_error(func, "InvalidDataFormat",
                    f"Expected a dlarray with format {' or '.join(repr(f) for f in formats)}"
                    f", got {repr(fmt) if fmt else 'an unformatted array'} (size "
                    f"{'×'.join(map(str, data.shape))}); label the data with dlarray(X, fmt) "
                    f"or give 'DataFormat'.")
    xp = get_xp(data)
    if fmt == "CT":   # the layers' kernels want C-contiguous (T, B, C): a copy if need be
        return xp.ascontiguousarray(data.T[:, None, :]), fmt
    return xp.ascontiguousarray(data.transpose(_TO_LAYER[fmt])), fmt


def from_layer(Y, fmt):
    """(stored data, format) of a layer-layout output for input format ``fmt``."""
    if Y.ndim == 2:
        return Y.T, "CB"
    if fmt == "CT":
        return Y[:, 0, :].T, "CT"
    return Y.transpose(_TO_LAYER[fmt]), fmt   # each permutation here is its own inverse


def grad_to_layer(g, fmt_out, fmt_in):
    if fmt_out == "CB":
        return g.T
    if fmt_in == "CT":
        return g.T[:, None, :]
    return g.transpose(_TO_LAYER[fmt_in])


def run_layer(layer, X, training=False, state=None, params=None, state_nodes=(),
              func=None, formats=("CB", "CBT", "CT"), grad_shapes=None, state_out=False):
    """Run ``layer`` on the dlarray ``X`` (a list of dlarrays, one per input port, for a
    multi-input layer); one node on the tape when tracing.

    ``params``: {learnable name: node or None} for a functional op (None: look up the
    layer's own arrays on the tape); ``state``/``state_nodes``: initial states in layer
    layout and their nodes; ``grad_shapes``: {name: shape} for gradients reshaped to the
    caller's arrays (a functional op's vectors). Returns (Y dlarray, final states in layer
    layout); with ``state_out`` the final states are unformatted H-by-B dlarrays, traced
    like Y: the layer's node then has one child node per output (tape.Parts), and the
    layer's backprop takes the final states' gradients as well.
    """
    func = func or type(layer).__name__
    multi = isinstance(X, list)        # a multi-input layer's inputs, in port order
    Xs = X if multi else [X]
    converted = [to_layer(x, func, formats) for x in Xs]
    fmt = converted[0][1]
    if any(f != fmt for _, f in converted):
        raise_error(func, "FormatMismatch",
                    f"The inputs of layer '{getattr(layer, 'Name', func)}' must have one "
                    f"format; got {', '.join(repr(f) for _, f in converted)}.")
    Xl = [a for a, _ in converted] if multi else converted[0][0]
    tape = _tape.current()
    if tape is not None and isinstance(layer, RecurrentLayer):
        training = True    # a recurrent layer's flag only keeps the backward cache
    Y, back, new_state = layer.forward(Xl, training, state)
    data, fmt_out = from_layer(Y, fmt)
    finals = ()
    if state_out:
        finals = new_state if isinstance(new_state, tuple) else (new_state,)
    if tape is None:
        if state_out:
            return dlarray._wrap(data, fmt_out), [dlarray._wrap(s.T, "") for s in finals]
        return dlarray._wrap(data, fmt_out), new_state
    names = list(layer.learnable_names())
    if params is None:
        nodes = [tape.leaf_for(getattr(layer, n)) if getattr(layer, n, None) is not None
                 else None for n in names]
    else:
        nodes = [params.get(n) for n in names]
    xnodes = [x._node if isinstance(x, dlarray) else None for x in Xs]
    state_names = list(layer.state_names()) if state_nodes else []
    parents = [*xnodes, *nodes, *state_nodes]
    shapes = grad_shapes or {}

    def shaped(grads, name):
        g = grads.get(name)
        if name in shapes and g is not None:
            g = g.T if name in state_names else g   # states: (B, H) -> H-by-B
            if g.size == int(np.prod(shapes[name])):
                return g.reshape(shapes[name])
            return g.sum(axis=1, keepdims=True).reshape(shapes[name])  # H-by-1 state in
        return g

    def backward(g):
        if state_out:     # g: Parts (dY, then one gradient per final state, H-by-B)
            dY = g.parts[0]
            dY = get_xp(Y).zeros_like(Y) if dY is None else grad_to_layer(dY, fmt_out, fmt)
            dX, grads = back(dY, None, tuple(None if d is None else d.T
                                             for d in g.parts[1:]))
        else:
            dX, grads = back(grad_to_layer(g, fmt_out, fmt))
        dXs = dX if multi else [dX]
        dxs = [None if node is None or d is None else
               d[:, 0, :].T if fmt == "CT" else from_layer(d, fmt)[0]
               for node, d in zip(xnodes, dXs)]
        return (*dxs, *[shaped(grads, n) for n in names],
                *[shaped(grads, n) for n in state_names])

    node = _tape.record(parents, backward)
    if not state_out:
        return dlarray._wrap(data, fmt_out, node), new_state
    n = 1 + len(finals)

    def part(k):
        return None if node is None else _tape.record([node], lambda g: (
            _tape.Parts.one(k, n, g),))

    return (dlarray._wrap(data, fmt_out, part(0)),
            [dlarray._wrap(s.T, "", part(k)) for k, s in enumerate(finals, start=1)])


__all__ = ["run_layer", "to_layer", "from_layer"]
