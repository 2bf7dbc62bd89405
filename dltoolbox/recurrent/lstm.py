"""LSTM forward and backward over a whole (T, B, D) sequence batch, array-module agnostic.

Equations (MATLAB's lstmLayer; gate blocks in MATLAB's order i, f, g, o)::

    i_t = sg(W_i x_t + R_i h_{t-1} + b_i)      input gate
    f_t = sg(W_f x_t + R_f h_{t-1} + b_f)      forget gate
    g_t = ss(W_g x_t + R_g h_{t-1} + b_g)      cell candidate
    o_t = sg(W_o x_t + R_o h_{t-1} + b_o)      output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * ss(c_t)

Layout: X (T, B, D); hs and cs (T+1, B, H) with hs[0] = h_0, cs[0] = c_0; the activated
gates (T, B, 4H) as i | f | g | o and ss(c_t) (T, B, H) are kept for backward. Weights
keep MATLAB's layout (4H-by-D, 4H-by-H, 4H-by-1), so the per-step pre-activation
gradients d (T, B, 4H) are in the same order and the weight gradients are plain GEMMs:
dW = d^T X, dR = d^T h_{t-1}, db = 1^T d, dX = d W, dh_{t-1} = d_t R.

Work per call, as for the GRU: one GEMM for the input projections of all steps; per step
one recurrent GEMM and one pass of gate maths (plain array operations, or a fused numba
kernel; with NumPy's bundled OpenBLAS the whole time loop is one numba call).
"""

from collections import namedtuple

import numpy as np

from ..backend import get_xp
from . import fast
from .activations import ACTIVATIONS
from .blas import orientation, product_into
from .buffers import recycled, scratch
from .directions import Cell

if fast.numba_common is not None:
    from . import lstm_numba as fused
else:
    fused = None

LSTMParams = namedtuple("LSTMParams", "W R b gate state r_t")


def make_params(W, R, b, gate="sigmoid", state="tanh"):
    """LSTMParams with the contiguous R^T the time loop multiplies by, computed once."""
    xp = get_xp(W)
    return LSTMParams(W, R, b.reshape(-1), gate, state, xp.ascontiguousarray(R.T))


def _kernels(p, dtype):
    return fast.kernel_set(fused, p.gate, p.state, dtype)


def forward(p, X, state0, need_cache=True):
    """Run the LSTM from state0 = (h_0, c_0), each (B, H). Returns (hs, (h_T, c_T), cache):
    hs[1:] are the outputs; cache is what :func:`backward` needs (None-free either way)."""
    xp = get_xp(X)
    T, B, D = X.shape
    H = p.R.shape[1]
    H4 = 4 * H
    dtype = X.dtype
    h0, c0 = state0
    gx = scratch("lstm_gx", (T, B, H4), dtype, xp)
    xp.matmul(X.reshape(T * B, D), p.W.T, out=gx.reshape(T * B, H4))
    hs = recycled("lstm_hs", (T + 1, B, H), dtype, xp)
    cs = recycled("lstm_cs", (T + 1, B, H), dtype, xp)
    hs[0] = h0
    cs[0] = c0
    steps = T if need_cache else 1
    gates = recycled("lstm_gates", (steps, B, H4), dtype, xp)
    tcs = recycled("lstm_tc", (steps, B, H), dtype, xp)
    gh = xp.empty((B, H4), dtype=dtype)
    if fast.use_fused(xp):
        k_ = _kernels(p, dtype)
        gate, state = fast.codes(p.gate, p.state)
        if fast.use_loops():
            way = orientation(gh, hs[0], p.r_t, p.R)
            k_["forward_loop"](gx, hs, cs, gates, tcs, p.r_t, p.R, p.b, gh,
                               np.empty((H4, B), dtype=dtype), way, need_cache, gate, state)
        else:
            for t in range(T):
                k = t if need_cache else 0
                product_into(gh, hs[t], p.r_t, p.R)
                k_["forward_step"](gx[t], gh, p.b, cs[t], hs[t + 1], cs[t + 1], gates[k],
                                   tcs[k], need_cache, gate, state)
        return hs, (hs[T], cs[T]), (gates, cs, tcs)

    gate_fn, _ = ACTIVATIONS[p.gate]
    state_fn, _ = ACTIVATIONS[p.state]
    gx += p.b
    for t in range(T):
        k = t if need_cache else 0
        a = gates[k]
        product_into(a, hs[t], p.r_t, p.R)
        a += gx[t]
        gate_fn(a[:, :2 * H])
        state_fn(a[:, 2 * H:3 * H])
        gate_fn(a[:, 3 * H:])
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = cs[t + 1]
        xp.multiply(f, cs[t], out=c)
        c += i * g
        tc = tcs[k]
        tc[...] = c
        state_fn(tc)
        xp.multiply(o, tc, out=hs[t + 1])
    return hs, (hs[T], cs[T]), (gates, cs, tcs)


def backward(p, X, hs, cache, dY, last, out=None, d_cell=None):
    """Gradients of the LSTM; dY is (T, B, H), or (B, H) when only h_T was output.

    Returns (dX, grads) with grads for InputWeights, RecurrentWeights, Bias, HiddenState
    and CellState (the gradients with respect to h_0 and c_0, (B, H)); ``out`` may give
    arrays of the learnables' shapes that receive their gradients. ``d_cell``: the
    gradient with respect to the final cell state c_T, (B, H) (zeros when None), which
    starts the recursion dL/dc_t.
    """
    xp = get_xp(X)
    gates, cs, tcs = cache
    T, B, _ = X.shape
    H = p.R.shape[1]
    dtype = X.dtype
    d = scratch("lstm_d", (T, B, 4 * H), dtype, xp)
    dc = xp.zeros((B, H), dtype=dtype) if d_cell is None else \
        xp.array(d_cell, dtype=dtype, order="C")     # a copy: the loop updates it in place
    if fast.use_fused(xp):
        dh = _backward_steps_fused(p, gates, cs, tcs, dY, last, d, dc)
    else:
        dh = _backward_steps(p, xp, gates, cs, tcs, dY, last, d, dc)
    dX, grads = weight_grads(xp, X, hs, d, p.W, out)
    grads["HiddenState"] = dh
    grads["CellState"] = dc
    return dX, grads


def _backward_steps(p, xp, gates, cs, tcs, dY, last, d_all, dc):
    T, B, _ = d_all.shape
    H = p.R.shape[1]
    _, d_gate = ACTIVATIONS[p.gate]
    _, d_state = ACTIVATIONS[p.state]
    dh = xp.zeros((B, H), dtype=d_all.dtype)
    for t in range(T - 1, -1, -1):
        if not last:
            dh += dY[t]
        elif t == T - 1:
            dh += dY
        g_ = gates[t]
        i, f, g, o = g_[:, :H], g_[:, H:2 * H], g_[:, 2 * H:3 * H], g_[:, 3 * H:]
        tc = tcs[t]
        d = d_all[t]
        di, df, dg, do = d[:, :H], d[:, H:2 * H], d[:, 2 * H:3 * H], d[:, 3 * H:]
        xp.multiply(dh, tc, out=do)
        do *= d_gate(o)
        dc += dh * o * d_state(tc)
        xp.multiply(dc, g, out=di)
        di *= d_gate(i)
        xp.multiply(dc, cs[t], out=df)
        df *= d_gate(f)
        xp.multiply(dc, i, out=dg)
        dg *= d_state(g)
        dc *= f
        dh = xp.matmul(d, p.R)
    return dh


def _backward_steps_fused(p, gates, cs, tcs, dY, last, d, dc):
    T, B, _ = d.shape
    H = p.R.shape[1]
    dtype = d.dtype
    gate, state = fast.codes(p.gate, p.state)
    k_ = _kernels(p, dtype)
    mm = np.zeros((B, H), dtype=dtype)
    no_dy = np.zeros((B, H), dtype=dtype)
    if fast.use_loops():
        way = orientation(mm, d[0], p.R, p.r_t, unset=True)
        dY3 = dY[None] if last else dY
        k_["backward_loop"](mm, np.empty((H, B), dtype=dtype), dc, dY3, dY3[0], no_dy, last,
                            gates, tcs, cs, d, p.R, p.r_t, way, gate, state)
        return mm
    for t in range(T - 1, -1, -1):
        dy = (dY if t == T - 1 else no_dy) if last else dY[t]
        k_["backward_step"](mm, dy, dc, gates[t], tcs[t], cs[t], d[t], gate, state)
        product_into(mm, d[t], p.R, p.r_t)
    return mm


def weight_grads(xp, X, hs, d, W, out=None):
    """dW, dR, db and dX from the per-step pre-activation gradients d (T, B, G) whose
    columns are in the weights' row order: one GEMM each over all time steps, the bias
    sum as a product with a vector of ones (BLAS, faster than a reduction here). ``out``:
    arrays that receive the learnables' gradients (a trainer's flat buffer)."""
    T, B, D = X.shape
    G = d.shape[-1]
    H = hs.shape[-1]
    dtype = d.dtype
    out = out or {}
    d2 = d.reshape(T * B, G)
    dW = out.get("InputWeights")
    dW = xp.empty((G, D), dtype=dtype) if dW is None else dW
    dR = out.get("RecurrentWeights")
    dR = xp.empty((G, H), dtype=dtype) if dR is None else dR
    db = out.get("Bias")
    db = xp.empty((G, 1), dtype=dtype) if db is None else db
    ones = scratch("ones", (T * B,), dtype, xp)
    ones.fill(1)
    xp.matmul(d2.T, X.reshape(T * B, D), out=dW)
    xp.matmul(d2.T, hs[:T].reshape(T * B, H), out=dR)
    xp.matmul(ones, d2, out=db.reshape(-1))
    dX = xp.matmul(d2, W).reshape(T, B, D)
    return dX, {"InputWeights": dW, "RecurrentWeights": dR, "Bias": db}


CELL = Cell("LSTM", 2, make_params, forward, backward)
