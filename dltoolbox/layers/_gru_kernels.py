"""GRU forward and backward over a whole (T, B, D) sequence batch, array-module agnostic.

Layout: X (T, B, D); hidden states hs (T+1, B, H) with hs[0] = h_0; gate outputs
``gates`` (T, B, 3H) holding r | z | n per step. Weight matrices keep MATLAB's layout
(3H-by-D, 3H-by-H, gate blocks r, z, h). See gru.py for the equations.

Work per call: one GEMM for the input projections of all steps; per step one recurrent
GEMM (against a contiguous copy of R^T, the orientation BLAS prefers) and the gate math on
preallocated buffers; backward: one GEMM per step for dh_{t-1}, then one GEMM each for
dW, dR and dX over all steps.

The per-step gate math has two implementations with the same equations: plain array
operations (NumPy or CuPy; always available, the reference) and, for NumPy arrays when
numba is installed, fused kernels from _gru_numba (one pass over the gates per step). In
'after'/'rbias' mode, with NumPy's bundled OpenBLAS, the whole time loop (GEMM and gate
kernel of every step) is one numba call (``LOOPS``); otherwise Python calls the numba
kernel between NumPy's matrix products, step by step.
"""

import os
import sys
import threading
import time
from collections import namedtuple

import numpy as np

from ..backend import get_xp
from ._activations import ACTIVATIONS

try:
    if os.environ.get("DLTOOLBOX_KERNELS", "").lower() == "numpy":
        raise ImportError("numba kernels disabled by DLTOOLBOX_KERNELS=numpy")
    from . import _gru_numba as fused
except ImportError:
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


FAST = fused is not None   # use the numba kernels for NumPy arrays (tests switch it)
LOOPS = True               # ... and run whole time loops in numba where they can call BLAS

AFTER, BEFORE, RBIAS = ("after-multiplication", "before-multiplication",
                        "recurrent-bias-after-multiplication")


_SCRATCH = threading.local()


def _scratch(name, shape, dtype, xp):
    """A work array that never leaves one call of forward or backward, reused by the next
    call in the same thread: large fresh arrays are page-faulted in again on every call,
    which cost up to a third of a training step. Arrays that outlive the call (outputs,
    the backward cache) are always fresh."""
    size = 1
    for n in shape:
        size *= n
    pool = _SCRATCH.__dict__
    buf = pool.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype or get_xp(buf) is not xp:
        buf = pool[name] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def _recycled(name, shape, dtype, xp):
    """A fresh-looking array for a result that outlives the call (the outputs and the
    backward cache), taken from the arrays of earlier calls that nothing refers to any
    more: a training loop gets the previous iteration's arrays back instead of new memory
    (page-faulting 100 MB in again cost about 15 ms at H = 512). An array still in use,
    even through a view, is never handed out; at most two are kept per name."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    size = 1
    for n in shape:
        size *= n
    kept = _SCRATCH.__dict__.setdefault("recycled", {}).setdefault(name, [])
    for i in range(len(kept)):
        # references: the list, this frame's argument to getrefcount, and nothing else
        if sys.getrefcount(kept[i]) == _FREE_REFS and kept[i].dtype == dtype \
                and kept[i].size >= size:
            return kept[i][:size].reshape(shape)
    buf = np.empty(size, dtype=dtype)
    if len(kept) < 2:
        kept.append(buf)
    else:   # replace the smallest free one, if any is free
        free = [i for i in range(len(kept)) if sys.getrefcount(kept[i]) == _FREE_REFS]
        if free:
            kept[min(free, key=lambda i: kept[i].size)] = buf
    return buf[:size].reshape(shape)


def _free_refs():
    kept = [np.empty(1)]
    return sys.getrefcount(kept[0])


_FREE_REFS = _free_refs()   # the count of an array held by a list only, measured as used


_ORIENTATION = {}


def product_into(out, a, b, b_t):
    """out = a @ b, with b_t = b^T contiguous (both given): computed either directly or as
    (b_t @ a^T)^T, whichever BLAS runs faster for these shapes on this machine (timed once
    per shape; the transposed form was 1.4x faster for the (32, 1024) step here)."""
    if type(out) is not np.ndarray:
        return get_xp(out).matmul(a, b, out=out)
    if orientation(out, a, b, b_t) == 0:
        np.matmul(a, b, out=out)
    else:
        out_t = _scratch("product_t", out.shape[::-1], out.dtype, np)
        np.matmul(b_t, a.T, out=out_t)
        out[...] = out_t.T
    return out


def orientation(out, a, b, b_t, unset=False):
    """0 when ``a @ b`` runs faster as it is, 1 when as (b_t @ a^T)^T: timed once per
    shape and kept. ``unset``: a holds no values yet, so time on zeros of its layout."""
    key = (a.shape, b.shape, a.dtype.char)
    way = _ORIENTATION.get(key)
    if way is None:
        if unset:
            rows = np.zeros((a.shape[0], a.strides[0] // a.itemsize), dtype=a.dtype)
            a = rows[:, :a.shape[1]]
        way = _ORIENTATION[key] = _faster_orientation(out, a, b, b_t)
    return way


def _faster_orientation(out, a, b, b_t):
    """Time both forms, alternating, and keep the faster one's best time: this machine's
    speed drifts, and a pick from a few back-to-back runs once cost 25 % at H = 1024."""
    key = (a.shape, b.shape, a.dtype.char)
    best = [float("inf"), float("inf")]
    for _ in range(6):
        for way in (0, 1):
            _ORIENTATION[key] = way
            t0 = time.perf_counter()
            product_into(out, a, b, b_t)
            best[way] = min(best[way], time.perf_counter() - t0)
    return 0 if best[0] <= best[1] else 1


def _use_fused(xp):
    return FAST and fused is not None and xp is np


def _codes(p):
    return int(p.gate == "hard-sigmoid"), int(p.state == "softsign")


def _kernels(p, dtype):
    """The numba kernel set for p: float32 with the default activations has its own set,
    with their codes compiled in (see _gru_numba.kernels)."""
    single = np.dtype(dtype) == np.float32
    return fused.kernels(dtype, (0, 0) if single and _codes(p) == (0, 0) else (-1, -1))


def one_observation_ready(x):
    """True when :func:`one_observation` can run on x (NumPy, numba available)."""
    return FAST and fused is not None and type(x) is np.ndarray


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
    if B == 1 and not need_cache and _use_fused(xp):
        hs = np.empty((T + 1, 1, H), dtype=dtype)
        hs[0] = h0
        one_observation(p, X.reshape(T, D), hs.reshape(T + 1, H))
        return hs, None

    gx = _scratch("gx", (T, B, 3 * H), dtype, xp)
    xp.matmul(X.reshape(T * B, D), p.W.T, out=gx.reshape(T * B, 3 * H))
    fast = _use_fused(xp)
    if not fast:
        gx += p.b[:3 * H]      # the fused kernels add the input bias as they go
    hs = _recycled("hs", (T + 1, B, H), dtype, xp)
    hs[0] = h0
    steps = T if need_cache else 1
    gates = _recycled("gates", (steps, B, 3 * H), dtype, xp)
    # 'after'/'rbias': keep R_h h_{t-1} (+ b_Rh) for dr; 'before': keep r * h_{t-1} for dR_h.
    aux = _recycled("aux", (steps, B, H), dtype, xp)
    b_rec = p.b_rec
    if p.mode == BEFORE:
        r_rz_t, r_n_t = p.r_t
        gh = xp.empty((B, H2), dtype=dtype)
        ghn = xp.empty((B, H), dtype=dtype)
    else:
        r_t = p.r_t
        gh = xp.empty((B, 3 * H), dtype=dtype)

    if fast:
        k_ = _kernels(p, dtype)
        gate, state = _codes(p)
        b_in = p.b[:3 * H]
        b_rz = b_in[:H2] + b_rec[:H2]      # r and z take both biases, summed once here
        if p.mode != BEFORE and LOOPS and fused.HAS_GEMM:    # the whole loop in one call
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
    d = _scratch("d_gates", (T, B, width), X.dtype, xp)
    if _use_fused(xp):
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
    elif LOOPS and fused.HAS_GEMM:     # the whole loop in one call
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
    ones = _scratch("ones", (T * B,), dtype, xp)
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
