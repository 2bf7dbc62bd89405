"""GRU forward and backward over a whole (T, B, D) sequence batch, array-module agnostic.

Layout: X (T, B, D); hidden states hs (T+1, B, H) with hs[0] = h_0; gate outputs
``gates`` (T, B, 3H) holding r | z | n per step. Weight matrices keep MATLAB's layout
(3H-by-D, 3H-by-H, gate blocks r, z, h). See layers/gru.py for the equations.

Work per call: one GEMM for the input projections of all steps; per step one recurrent
GEMM (against a contiguous copy of R^T, the orientation BLAS prefers) and the gate math on
preallocated buffers; backward: one GEMM per step for dh_{t-1}, then one GEMM each for
dW, dR and dX over all steps.

The per-step gate math has two implementations with the same equations: plain array
operations (NumPy or CuPy; always available, the reference) and, for NumPy arrays when
numba is installed, fused kernels from gru_numba (one pass over the gates per step). In
'after'/'rbias' mode, with NumPy's bundled OpenBLAS, the whole time loop (GEMM and gate
kernel of every step) is one numba call (``fast.LOOPS``); otherwise Python calls the numba
kernel between NumPy's matrix products, step by step.
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
    from . import gru_numba as fused
else:
    fused = None

GRUParams = namedtuple("GRUParams", "W R b mode gate state r_t b_rec one")


def make_params(W, R, b, mode, gate, state):
    """GRUParams with the derived forms the time loop needs, computed once.

    r_t: contiguous R^T (or (R_rz^T, R_h^T) for 'before-multiplication'); b_rec: the
    recurrent bias of 'recurrent-bias-after-multiplication' (zeros in the other modes);
    one: a slot for the single-observation kernel with these weights bound, filled by
    :func:`one_observation` on first use (training never needs it).
    """
    xp = get_xp(W)
    b = b.reshape(-1)
    H = R.shape[1]
    if mode == BEFORE:
        r_t = (xp.ascontiguousarray(R[:2 * H].T), xp.ascontiguousarray(R[2 * H:].T))
    else:
        r_t = xp.ascontiguousarray(R.T)
    b_rec = b[3 * H:] if mode == RBIAS else xp.zeros(3 * H, dtype=R.dtype)
    return GRUParams(W, R, b, mode, gate, state, r_t, b_rec, [None])


def _bind_one(kernel, w_t, r_pair, b, b_rec, gate, state, before):
    r_a, r_b = r_pair

    def one(x, hs):
        kernel(w_t, r_a, r_b, b, b_rec, x, hs, gate, state, before)
    return one


AFTER, BEFORE, RBIAS = ("after-multiplication", "before-multiplication",
                        "recurrent-bias-after-multiplication")


def _codes(p):
    return fast.codes(p.gate, p.state)


def _kernels(p, dtype):
    return fast.kernel_set(fused, p.gate, p.state, dtype)


def one_observation_ready(x):
    """True when :func:`one_observation` can run on x (NumPy, numba available)."""
    return fast.use_fused(np) and type(x) is np.ndarray


def one_observation(p, x, hs):
    """Inference for one observation with the numba kernel: x (T, D), hs (T+1, H) with
    hs[0] = h_0 set; fills hs[1:]. The kernel is bound to p's weights once, in p.one."""
    if p.one[0] is None:
        p.one[0] = _bind_one(
            _kernels(p, p.W.dtype)["one_observation"], np.ascontiguousarray(p.W.T),
            p.r_t if p.mode == BEFORE else (p.r_t, p.r_t), p.b, p.b_rec, *_codes(p),
            p.mode == BEFORE)
    p.one[0](x, hs)


def forward(p, X, h0, need_cache=True):
    """Run the GRU; returns (hs, cache). hs[1:] are the outputs, hs[-1] the final state."""
    xp = get_xp(X)
    T, B, D = X.shape
    H = p.R.shape[1]
    H2 = 2 * H
    dtype = X.dtype
    if B == 1 and not need_cache and fast.use_fused(xp):
        hs = np.empty((T + 1, 1, H), dtype=dtype)
        hs[0] = h0
        one_observation(p, X.reshape(T, D), hs.reshape(T + 1, H))
        return hs, None

    gx = scratch("gx", (T, B, 3 * H), dtype, xp)
    xp.matmul(X.reshape(T * B, D), p.W.T, out=gx.reshape(T * B, 3 * H))
    fused_path = fast.use_fused(xp)
    if not fused_path:
        gx += p.b[:3 * H]      # the fused kernels add the input bias as they go
    hs = recycled("hs", (T + 1, B, H), dtype, xp)
    hs[0] = h0
    steps = T if need_cache else 1
    gates = recycled("gates", (steps, B, 3 * H), dtype, xp)
    # 'after'/'rbias': keep R_h h_{t-1} (+ b_Rh) for dr; 'before': keep r * h_{t-1} for dR_h.
    aux = recycled("aux", (steps, B, H), dtype, xp)
    b_rec = p.b_rec
    if p.mode == BEFORE:
        r_rz_t, r_n_t = p.r_t
        gh = xp.empty((B, H2), dtype=dtype)
        ghn = xp.empty((B, H), dtype=dtype)
    else:
        r_t = p.r_t
        gh = xp.empty((B, 3 * H), dtype=dtype)

    if fused_path:
        k_ = _kernels(p, dtype)
        gate, state = _codes(p)
        b_in = p.b[:3 * H]
        b_rz = b_in[:H2] + b_rec[:H2]      # r and z take both biases, summed once here
        if p.mode != BEFORE and fast.use_loops():    # the whole loop in one call
            way = orientation(gh, hs[0], r_t, p.R)
            gh_t = np.empty((3 * H, B), dtype=dtype)
            k_["forward_after_loop"](gx, hs, gates, aux, r_t, p.R, b_rz, b_in, b_rec, gh, gh_t,
                                     way, need_cache, gate, state)
            return hs, (gates, aux)
        for t in range(T):
            k = t if need_cache else 0
            if p.mode == BEFORE:
                np.matmul(hs[t], r_rz_t, out=gh)
                k_["forward_before_rz"](gx[t], gh, b_in, hs[t], gates[k], aux[k], gate)
                np.matmul(aux[k], r_n_t, out=ghn)
                k_["forward_before_n"](gx[t], ghn, b_in, hs[t], gates[k], hs[t + 1], state)
            elif not need_cache:
                product_into(gh, hs[t], r_t, p.R)
                k_["forward_after_infer"](gx[t], gh, b_rz, b_in, b_rec, hs[t], hs[t + 1],
                                          gate, state)
            else:
                product_into(gh, hs[t], r_t, p.R)
                k_["forward_after"](gx[t], gh, b_rz, b_in, b_rec, hs[t], gates[k], aux[k],
                                    hs[t + 1], gate, state)
        return hs, (gates, aux)

    gate_fn, _ = ACTIVATIONS[p.gate]
    state_fn, _ = ACTIVATIONS[p.state]
    for t in range(T):
        k = t if need_cache else 0
        g, a, h_prev = gates[k], aux[k], hs[t]
        if p.mode == BEFORE:
            xp.matmul(h_prev, r_rz_t, out=gh)
        else:
            product_into(gh, h_prev, r_t, p.R)
            gh += b_rec
        xp.add(gx[t, :, :H2], gh[:, :H2], out=g[:, :H2])
        gate_fn(g[:, :H2])
        r, z, n = g[:, :H], g[:, H:H2], g[:, H2:]
        if p.mode == BEFORE:
            xp.multiply(r, h_prev, out=a)
            xp.matmul(a, r_n_t, out=n)
        else:
            a[...] = gh[:, H2:]
            xp.multiply(r, a, out=n)
        n += gx[t, :, H2:]
        state_fn(n)
        h = hs[t + 1]
        xp.subtract(h_prev, n, out=h)   # h_t = n + z (h_{t-1} - n)
        h *= z
        h += n
    return hs, (gates, aux)


def backward(p, X, hs, cache, dY, last, out=None):
    """Gradients of the GRU; dY is (T, B, H), or (B, H) when only h_T was output.

    The time loop writes the pre-activation gradients of each step into one array ``d``
    (T, B, 3H or 4H) in gate order n | r | z, plus, in 'after'/'rbias' mode, a fourth
    block with the recurrent-side candidate gradient (dn * r). Its columns [0, 3H) are
    then the input-side gradient and [H, 4H) the recurrent-side one (r, z, n: R's order),
    so the per-step product with R and the weight gradients are one GEMM each without
    writing the r and z blocks twice.
    """
    xp = get_xp(X)
    gates, aux = cache
    T, B, _ = X.shape
    H = p.R.shape[1]
    width = 3 * H if p.mode == BEFORE else 4 * H
    d = scratch("d_gates", (T, B, width), X.dtype, xp)
    if fast.use_fused(xp):
        dh = _backward_steps_fused(p, hs, gates, aux, dY, last, d)
    else:
        dh = _backward_steps(p, xp, hs, gates, aux, dY, last, d)
    return d_to_grads(p, xp, X, hs, aux, d, dh, out)


def _backward_steps(p, xp, hs, gates, aux, dY, last, d_all):
    T, B, _ = d_all.shape
    H = p.R.shape[1]
    H2 = 2 * H
    _, d_gate = ACTIVATIONS[p.gate]
    _, d_state = ACTIVATIONS[p.state]
    dh = xp.zeros((B, H), dtype=d_all.dtype)
    R_rz, R_n = p.R[:H2], p.R[H2:]
    for t in range(T - 1, -1, -1):
        if not last:
            dh += dY[t]
        elif t == T - 1:
            dh += dY
        g = gates[t]
        r, z, n = g[:, :H], g[:, H:H2], g[:, H2:]
        h_prev = hs[t]
        d = d_all[t]
        dan, dar, daz = d[:, :H], d[:, H:H2], d[:, H2:3 * H]
        xp.subtract(h_prev, n, out=daz)
        daz *= dh
        daz *= d_gate(z)                                # dz * sg'(.)
        xp.subtract(1.0, z, out=dan)
        dan *= dh
        dan *= d_state(n)                               # dn * ss'(.)
        dh_prev = dh * z
        if p.mode == BEFORE:
            d_rh = xp.matmul(dan, R_n)                  # d(r * h_prev)
            xp.multiply(d_rh, h_prev, out=dar)
            dar *= d_gate(r)
            dh_prev += d_rh * r
            dh_prev += xp.matmul(d[:, H:], R_rz)
        else:
            xp.multiply(dan, aux[t], out=dar)          # dr = dan * (R_h h_prev [+ b_Rh])
            dar *= d_gate(r)
            xp.multiply(dan, r, out=d[:, 3 * H:])
            dh_prev += xp.matmul(d[:, H:], p.R)
        dh = dh_prev
    return dh


def _backward_steps_fused(p, hs, gates, aux, dY, last, d):
    T, B, _ = d.shape
    H = p.R.shape[1]
    H2 = 2 * H
    gate, state = _codes(p)
    dtype = d.dtype
    k_ = _kernels(p, dtype)
    dh = np.zeros((B, H), dtype=dtype)
    dhz = np.zeros((B, H), dtype=dtype)
    mm = np.zeros((B, H), dtype=dtype)
    no_dy = np.zeros((B, H), dtype=dtype)
    if p.mode == BEFORE:
        R_rz, R_n = np.ascontiguousarray(p.R[:H2]), np.ascontiguousarray(p.R[H2:])
        d_rh = np.empty((B, H), dtype=dtype)
    elif fast.use_loops():     # the whole loop in one call
        way = orientation(mm, d[0, :, H:], p.R, p.r_t, unset=True)
        dY3 = dY[None] if last else dY
        k_["backward_after_loop"](dhz, mm, np.empty((H, B), dtype=dtype), dY3, dY3[0], no_dy,
                                  last, gates, aux, hs, d, p.R, p.r_t, way, gate, state)
        np.add(dhz, mm, out=dh)
        return dh
    for t in range(T - 1, -1, -1):
        dy = (dY if t == T - 1 else no_dy) if last else dY[t]
        if p.mode == BEFORE:
            k_["backward_before_n"](dh, dy, gates[t], hs[t], d[t], dhz, gate, state)
            np.matmul(d[t, :, :H], R_n, out=d_rh)
            k_["backward_before_r"](d_rh, gates[t], hs[t], d[t], dhz, gate)
            np.matmul(d[t, :, H:], R_rz, out=mm)
            np.add(dhz, mm, out=dh)
        else:   # dh = dhz + mm is formed inside the next step's kernel
            k_["backward_after"](dhz, mm, dy, gates[t], aux[t], hs[t], d[t], gate, state)
            product_into(mm, d[t, :, H:], p.R, p.r_t)
    if p.mode != BEFORE:
        np.add(dhz, mm, out=dh)
    return dh


def d_to_grads(p, xp, X, hs, aux, d, dh, out=None):
    """Weight, bias and input gradients from the per-step gradients ``d`` (layout in
    :func:`backward`): one GEMM each over all time steps (two for dW and the input bias:
    one per block of MATLAB's gate order), the bias sums as products with a vector of
    ones (BLAS, faster than a reduction here). ``out``: arrays of the learnables' shapes
    that receive the gradients (a trainer's flat buffer); new arrays when None."""
    T, B, D = X.shape
    H = p.R.shape[1]
    H2, H3 = 2 * H, 3 * H
    dtype = d.dtype
    out = out or {}
    dW = out.get("InputWeights")
    dW = xp.empty((H3, D), dtype=dtype) if dW is None else dW
    dR = out.get("RecurrentWeights")
    dR = xp.empty((H3, H), dtype=dtype) if dR is None else dR
    db = out.get("Bias")
    db = xp.empty((p.b.size, 1), dtype=dtype) if db is None else db
    d2 = d.reshape(T * B, d.shape[-1])
    ones = scratch("ones", (T * B,), dtype, xp)
    ones.fill(1)
    X2 = X.reshape(T * B, D)
    b = db.reshape(-1)
    # d2's first 3H columns are the input side in the order n | r | z; MATLAB's is r | z | n
    for rows, cols in ((slice(0, H2), slice(H, H3)), (slice(H2, H3), slice(0, H))):
        xp.matmul(d2[:, cols].T, X2, out=dW[rows])
        xp.matmul(ones, d2[:, cols], out=b[rows])
    dX = xp.matmul(d2[:, :H3], xp.concatenate([p.W[H2:], p.W[:H2]])).reshape(T, B, D)
    h_prev_all = hs[:T].reshape(T * B, H)
    if p.mode == BEFORE:
        xp.matmul(d2[:, H:H3].T, h_prev_all, out=dR[:H2])
        xp.matmul(d2[:, :H].T, aux.reshape(T * B, H), out=dR[H2:])
    else:
        xp.matmul(d2[:, H:].T, h_prev_all, out=dR)
    if p.mode == RBIAS:
        b[H3:H3 + H2] = b[:H2]
        xp.matmul(ones, d2[:, H3:], out=b[H3 + H2:])
    grads = {"InputWeights": dW, "RecurrentWeights": dR, "Bias": db, "HiddenState": dh}
    return dX, grads


def forward_states(p, X, states0, need_cache=True):
    """:func:`forward` in the cells' common form: states0 = (h_0,); returns (hs, (h_T,),
    cache)."""
    hs, cache = forward(p, X, states0[0], need_cache)
    return hs, (hs[-1],), cache


CELL = Cell("GRU", 1, make_params, forward_states, backward)
