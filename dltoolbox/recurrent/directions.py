"""One or two directions of a recurrent cell over a (T, B, D) batch.

A cell (recurrent.gru, recurrent.lstm) is described by a :class:`Cell`: its forward runs
the whole time loop from a tuple of initial states and returns all hidden states, the
final states and its backward cache; its backward returns the input gradient and the
gradients of the learnables and of the initial states. This module adds what does not
depend on the cell:

* ``OutputMode 'last'``: the output is h_T and the backward takes a (B, H) gradient;
* two directions (MATLAB's bilstmLayer): the parameters are two stacks of rows (forward
  then backward direction), the states two column halves (forward then backward), the
  backward direction is the same cell run over the time-reversed input, and its outputs
  are flipped back, so the output at time t is [h_fwd(t); h_bwd(t)], where h_bwd(t) has
  seen x_t..x_T. 'last' is the last time step of that sequence output: the backward half
  is then the backward direction's first step, which has seen only x_T (as MATLAB does).
"""

from collections import namedtuple

from ..backend import get_xp, ops

Cell = namedtuple("Cell", "name num_states make_params forward backward")
Cell.__doc__ = """A recurrent cell: ``forward(p, X, states0, need_cache) -> (hs, finals,
cache)``; ``backward(p, X, hs, cache, dY, last, out) -> (dX, grads)``."""


def run(cell, params, X, states0, need_cache, last):
    """Forward over all directions; returns (Y, backprop, final states).

    params: one parameter set per direction; states0: the initial states, each
    (B, directions * H). Y is (T, B, directions * H), or (B, directions * H) when
    ``last``; ``backprop(dY, out=None)`` returns (dX, grads), grads keyed by learnable and
    state name (learnables stacked by direction along rows, states along columns); with
    one direction ``backprop(dY, out, d_final)`` also takes gradients of the final states
    (a tuple, one (B, H) array or None per state).
    """
    T = X.shape[0]
    # a fused implementation of this cell for X's backend (a CuPy kernel set), or the cell
    cell = ops(get_xp(X)).choose(("cell", cell.name), cell, params, X, need_cache)
    if len(params) == 1:
        p = params[0]
        hs, finals, cache = cell.forward(p, X, states0, need_cache)

        def backprop(dY, out=None, d_final=None):
            if d_final is None:
                return cell.backward(p, X, hs, cache, dY, last, out)
            return _backward_with_finals(cell, p, X, hs, cache, dY, last, out, d_final)

        return (hs[T] if last else hs[1:]), backprop, finals
    return _bidirectional(cell, params, X, states0, need_cache, last)


def _backward_with_finals(cell, p, X, hs, cache, dY, last, out, d_final):
    """Backward when the loss also depends on the final states (a functional op's
    hiddenState/cellState outputs): ``d_final`` holds one (B, H) gradient or None per
    state. h_T is the last output step, so its gradient joins dY; the other states' (the
    LSTM's c_T) seed the cell's backward recursion."""
    dh, *rest = d_final
    if dh is not None:
        dY = dY + dh if last else dY.copy()
        if not last:
            dY[-1] += dh
    if any(g is not None for g in rest):
        return cell.backward(p, X, hs, cache, dY, last, out, d_cell=rest[0])
    return cell.backward(p, X, hs, cache, dY, last, out)


def _halves(arrays, H):
    return tuple(a[:, :H] for a in arrays), tuple(a[:, H:] for a in arrays)


def _bidirectional(cell, params, X, states0, need_cache, last):
    xp = get_xp(X)
    T, B, _ = X.shape
    H = params[0].R.shape[1]
    s_f, s_b = _halves(states0, H)
    Xr = xp.ascontiguousarray(X[::-1])
    hs_f, fin_f, cache_f = cell.forward(params[0], X, s_f, need_cache)
    hs_b, fin_b, cache_b = cell.forward(params[1], Xr, s_b, need_cache)
    if last:
        Y = xp.concatenate([hs_f[T], hs_b[1]], axis=1)
    else:
        Y = xp.empty((T, B, 2 * H), dtype=X.dtype)
        Y[:, :, :H] = hs_f[1:]
        Y[:, :, H:] = hs_b[:0:-1]
    finals = tuple(xp.concatenate([a, b], axis=1) for a, b in zip(fin_f, fin_b))

    def backprop(dY, out=None):
        out_f, out_b = {}, {}
        for name, array in (out or {}).items():
            rows = array.shape[0] // 2
            out_f[name], out_b[name] = array[:rows], array[rows:]
        if last:
            dY_f = xp.ascontiguousarray(dY[:, :H])
            dY_b = xp.zeros((T, B, H), dtype=dY.dtype)   # only the first reversed step
            dY_b[0] = dY[:, H:]
        else:
            dY_f = xp.ascontiguousarray(dY[:, :, :H])
            dY_b = xp.ascontiguousarray(dY[::-1, :, H:])
        dX, g_f = cell.backward(params[0], X, hs_f, cache_f, dY_f, last, out_f)
        dXr, g_b = cell.backward(params[1], Xr, hs_b, cache_b, dY_b, False, out_b)
        dX = dX + dXr[::-1]
        grads = {}
        for name, a in g_f.items():
            b = g_b[name]
            if name in out_f:
                grads[name] = out[name]
            elif a.shape[0] == B and name.endswith("State"):
                grads[name] = xp.concatenate([a, b], axis=1)
            else:
                grads[name] = xp.concatenate([a, b], axis=0)
        return dX, grads

    return Y, backprop, finals
