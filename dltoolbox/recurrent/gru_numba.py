"""Optional numba kernels: the GRU gate math of one time step fused into one pass.

Used by recurrent.gru when numba imports (the ``fast`` extra) and the arrays are NumPy
arrays; the plain NumPy path computes the same equations and stays the reference. Each
kernel loops over contiguous 1-D slices (one gate block of one observation), the shape
LLVM vectorizes; the matrix products stay in BLAS. In 'after'/'rbias' mode the time loops
themselves run here too (``*_loop``), calling the GEMM of NumPy's bundled OpenBLAS for
each step, so that no Python runs between steps. ``kernels(dtype)`` returns the set
compiled for float32 or float64, with that type's constants (typed constants and a
compile-time choice of tanh keep float32 loops in float32 lanes); compiled code is cached
on disk. The GEMM, the constants and the activations are numba_common's, shared with the
other cells.
"""

from functools import lru_cache

import numpy as np
from numba import njit

from .fast import Kernels
from .numba_common import (
    HAS_GEMM,
    JIT,
    STEP,
    constants,
    d_gate,
    d_state,
    gate_fn,
    gemm,
    pick,
    state_fn,
)


@njit(**STEP)
def _forward_after(gx, gh, b_rz, b_in, b_rec, h_prev, gates, aux, h_out, gate, state, c):
    """'after' and 'recurrent-bias' modes: gx = x W^T, gh = h_prev R^T; the biases are
    added here: b_rz, the summed input and recurrent biases of r and z (2H, summed once
    per call by the caller, not per step), and the candidate's input and recurrent bias
    from b_in and b_rec (zeros in 'after' mode)."""
    nb, h3 = gh.shape
    hh = h3 // 3
    br, bz = b_rz[:hh], b_rz[hh:]
    bx, bn = b_in[2 * hh:], b_rec[2 * hh:]
    for b in range(nb):
        xr, xz, xn = gx[b, :hh], gx[b, hh:2 * hh], gx[b, 2 * hh:]
        hr, hz, hn = gh[b, :hh], gh[b, hh:2 * hh], gh[b, 2 * hh:]
        gr, gz, gn = gates[b, :hh], gates[b, hh:2 * hh], gates[b, 2 * hh:]
        ab, hp, ho = aux[b], h_prev[b], h_out[b]
        for j in range(hh):
            r = gate_fn(xr[j] + hr[j] + br[j], gate, c)
            z = gate_fn(xz[j] + hz[j] + bz[j], gate, c)
            a = hn[j] + bn[j]
            n = state_fn(xn[j] + bx[j] + r * a, state, c)
            gr[j] = r
            gz[j] = z
            gn[j] = n
            ab[j] = a
            ho[j] = n + z * (hp[j] - n)


@njit(**STEP)
def _forward_after_infer(gx, gh, b_rz, b_in, b_rec, h_prev, h_out, gate, state, c):
    """forward_after without the values kept for backward (prediction): fewer stores."""
    nb, h3 = gh.shape
    hh = h3 // 3
    br, bz = b_rz[:hh], b_rz[hh:]
    bx, bn = b_in[2 * hh:], b_rec[2 * hh:]
    for b in range(nb):
        xr, xz, xn = gx[b, :hh], gx[b, hh:2 * hh], gx[b, 2 * hh:]
        hr, hz, hn = gh[b, :hh], gh[b, hh:2 * hh], gh[b, 2 * hh:]
        hp, ho = h_prev[b], h_out[b]
        for j in range(hh):
            r = gate_fn(xr[j] + hr[j] + br[j], gate, c)
            z = gate_fn(xz[j] + hz[j] + bz[j], gate, c)
            n = state_fn(xn[j] + bx[j] + r * (hn[j] + bn[j]), state, c)
            ho[j] = n + z * (hp[j] - n)


@njit(**STEP)
def _backward_after(dhz, mm, dy, gates, aux, h_prev, d, gate, state, c):
    """One step back. dh = dhz + mm + dy: the direct and the matrix path from the step
    after, and this step's output gradient. Writes the pre-activation gradients into
    d = [dn | dr | dz | dn * r] and replaces dhz by dh * z (the direct path to
    h_{t-1})."""
    nb, h3 = gates.shape
    hh = h3 // 3
    for b in range(nb):
        gr, gz, gn = gates[b, :hh], gates[b, hh:2 * hh], gates[b, 2 * hh:]
        xn, xr, xz, hn = d[b, :hh], d[b, hh:2 * hh], d[b, 2 * hh:3 * hh], d[b, 3 * hh:]
        dd, m, dyb = dhz[b], mm[b], dy[b]
        ab, hp = aux[b], h_prev[b]
        for j in range(hh):
            g = dd[j] + m[j] + dyb[j]
            r = gr[j]
            z = gz[j]
            n = gn[j]
            dan = g * (c[3] - z) * d_state(n, state, c)
            xn[j] = dan
            xr[j] = dan * ab[j] * d_gate(r, gate, c)
            xz[j] = g * (hp[j] - n) * d_gate(z, gate, c)
            hn[j] = dan * r
            dd[j] = g * z


@lru_cache(maxsize=4)
def kernels(dtype, fixed=(-1, -1)):
    """The kernel set for ``dtype`` (numpy.float32 or numpy.float64), compiled on first use
    and loaded from numba's on-disk cache in later processes.

    ``fixed``: (gate, state) codes compiled in as constants, which lets LLVM drop the
    other activations' branches (the kernels ignore their gate and state arguments
    then); (-1, -1) reads them from the arguments. _gru_kernels fixes float32's default
    pair (sigmoid, tanh) only: prediction ran 3-5 % faster at four of the five benchmark
    configurations (no change in training), and every fixed pair is one more kernel set
    to compile.

    (Splitting the batch over numba threads was measured: 2x faster alone, but 3-10x
    slower between BLAS calls, whose threads still spin on the same two cores.)
    """
    c = constants(dtype)
    one = c[3]
    single = bool(c[0])
    fixed_gate, fixed_state = fixed

    @njit(**JIT)
    def forward_after(gx, gh, b_rz, b_in, b_rec, h_prev, gates, aux, h_out, gate, state):
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        _forward_after(gx, gh, b_rz, b_in, b_rec, h_prev, gates, aux, h_out, gate, state, c)

    @njit(**JIT)
    def forward_after_infer(gx, gh, b_rz, b_in, b_rec, h_prev, h_out, gate, state):
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        _forward_after_infer(gx, gh, b_rz, b_in, b_rec, h_prev, h_out, gate, state, c)

    @njit(**JIT)
    def backward_after(dhz, mm, dy, gates, aux, h_prev, d, gate, state):
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        _backward_after(dhz, mm, dy, gates, aux, h_prev, d, gate, state, c)

    @njit(**JIT)
    def forward_after_loop(gx, hs, gates, aux, r_t, R, b_rz, b_in, b_rec, gh, gh_t, way,
                           keep, gate, state):
        """All steps of forward_after (``keep``) or forward_after_infer, each after its
        recurrent GEMM. gates and aux hold one step when not ``keep``."""
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        for t in range(gx.shape[0]):
            gemm(hs[t], r_t, R, gh, gh_t, way, single)
            if keep:
                _forward_after(gx[t], gh, b_rz, b_in, b_rec, hs[t], gates[t], aux[t],
                               hs[t + 1], gate, state, c)
            else:
                _forward_after_infer(gx[t], gh, b_rz, b_in, b_rec, hs[t], hs[t + 1], gate,
                                     state, c)

    @njit(**JIT)
    def backward_after_loop(dhz, mm, mm_t, dY, dy_last, no_dy, last, gates, aux, hs, d, R,
                            r_t, way, gate, state):
        """All steps of backward_after, from the last; each step's d[:, :, H:] @ R is the
        next one's matrix path. dY (T, B, H) when not ``last``, else dy_last (B, H)."""
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        hh = R.shape[1]
        for t in range(gates.shape[0] - 1, -1, -1):
            if last:
                dy = dy_last if t == gates.shape[0] - 1 else no_dy
            else:
                dy = dY[t]
            _backward_after(dhz, mm, dy, gates[t], aux[t], hs[t], d[t], gate, state, c)
            gemm(d[t, :, hh:], R, r_t, mm, mm_t, way, single)

    @njit(**JIT)
    def forward_before_rz(gx, gh, b_in, h_prev, gates, rh, gate):
        """'before' mode, first half: r, z and r * h_prev (the input of R_h)."""
        gate = pick(gate, fixed_gate)
        nb, h3 = gx.shape
        hh = h3 // 3
        br, bz = b_in[:hh], b_in[hh:2 * hh]
        for b in range(nb):
            xr, xz = gx[b, :hh], gx[b, hh:2 * hh]
            hr, hz = gh[b, :hh], gh[b, hh:2 * hh]
            gr, gz = gates[b, :hh], gates[b, hh:2 * hh]
            hp, out = h_prev[b], rh[b]
            for j in range(hh):
                r = gate_fn(xr[j] + br[j] + hr[j], gate, c)
                gr[j] = r
                gz[j] = gate_fn(xz[j] + bz[j] + hz[j], gate, c)
                out[j] = r * hp[j]

    @njit(**JIT)
    def forward_before_n(gx, ghn, b_in, h_prev, gates, h_out, state):
        """'before' mode, second half: n = ss(W_h x + R_h (r h_prev) + b_h) and h_t."""
        state = pick(state, fixed_state)
        nb, hh = ghn.shape
        bn = b_in[2 * hh:]
        for b in range(nb):
            xn, hn = gx[b, 2 * hh:], ghn[b]
            gz, gn = gates[b, hh:2 * hh], gates[b, 2 * hh:]
            hp, ho = h_prev[b], h_out[b]
            for j in range(hh):
                n = state_fn(xn[j] + bn[j] + hn[j], state, c)
                gn[j] = n
                ho[j] = n + gz[j] * (hp[j] - n)

    @njit(**JIT)
    def backward_before_n(dh, dy, gates, h_prev, d, dhz, gate, state):
        """'before' mode, first half: dn, dz pre-activations (d = [dn | dr | dz]) and
        dh * z."""
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        nb, h3 = gates.shape
        hh = h3 // 3
        for b in range(nb):
            gz, gn = gates[b, hh:2 * hh], gates[b, 2 * hh:]
            xn, xz = d[b, :hh], d[b, 2 * hh:]
            dd, dyb, hp, out = dh[b], dy[b], h_prev[b], dhz[b]
            for j in range(hh):
                g = dd[j] + dyb[j]
                z = gz[j]
                n = gn[j]
                xn[j] = g * (one - z) * d_state(n, state, c)
                xz[j] = g * (hp[j] - n) * d_gate(z, gate, c)
                out[j] = g * z

    @njit(**JIT)
    def backward_before_r(d_rh, gates, h_prev, d, dhz, gate):
        """'before' mode, second half: dr from d(r * h_prev); dh_prev gets d(r h) * r."""
        gate = pick(gate, fixed_gate)
        nb, h3 = gates.shape
        hh = h3 // 3
        for b in range(nb):
            gr, xr = gates[b, :hh], d[b, hh:2 * hh]
            dr, hp, out = d_rh[b], h_prev[b], dhz[b]
            for j in range(hh):
                r = gr[j]
                xr[j] = dr[j] * hp[j] * d_gate(r, gate, c)
                out[j] += dr[j] * r

    @njit(**JIT)
    def one_observation(w_t, r_t, r_n_t, b, b_rec, X, hs, gate, state, before):
        """Inference for one observation (B = 1): the whole time loop in one call.

        X (T, D); hs (T+1, H) with hs[0] = h_0 is filled with h_1..h_T. w_t = W^T (D, 3H);
        r_t = R^T (H, 3H), or R_rz^T (H, 2H) with r_n_t = R_h^T (H, H) when ``before``.
        The matrix-vector products run here as row updates (contiguous, vectorized),
        which removes the per-step calls that dominate closed-loop forecasting.
        """
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        T, D = X.shape
        hh = hs.shape[1]
        ga = np.empty(3 * hh, dtype=X.dtype)
        gr = np.empty(3 * hh, dtype=X.dtype)
        rh = np.empty(hh, dtype=X.dtype)
        rows = r_t.shape[1]
        for t in range(T):
            x, hp, ho = X[t], hs[t], hs[t + 1]
            for j in range(3 * hh):
                ga[j] = b[j]
            for k in range(D):
                xk = x[k]
                w = w_t[k]
                for j in range(3 * hh):
                    ga[j] += w[j] * xk
            for j in range(rows):
                gr[j] = b_rec[j]
            for k in range(hh):
                hk = hp[k]
                r_ = r_t[k]
                for j in range(rows):
                    gr[j] += r_[j] * hk
            for j in range(hh):
                r = gate_fn(ga[j] + gr[j], gate, c)
                ga[j] = r
                ga[hh + j] = gate_fn(ga[hh + j] + gr[hh + j], gate, c)
                rh[j] = r * hp[j]
            if before:
                for j in range(hh):
                    gr[2 * hh + j] = ga[2 * hh + j]
                for k in range(hh):
                    rk = rh[k]
                    r_ = r_n_t[k]
                    for j in range(hh):
                        gr[2 * hh + j] += r_[j] * rk
                for j in range(hh):
                    gr[2 * hh + j] = state_fn(gr[2 * hh + j], state, c)
            else:
                for j in range(hh):
                    gr[2 * hh + j] = state_fn(ga[2 * hh + j] + ga[j] * gr[2 * hh + j], state, c)
            for j in range(hh):
                n = gr[2 * hh + j]
                ho[j] = n + ga[hh + j] * (hp[j] - n)

    loops = {"forward_after_loop": forward_after_loop,
             "backward_after_loop": backward_after_loop} if HAS_GEMM else {}
    return Kernels("GRU", {
        **loops, "one_observation": one_observation, "forward_after": forward_after,
        "forward_after_infer": forward_after_infer, "forward_before_rz": forward_before_rz,
        "forward_before_n": forward_before_n, "backward_after": backward_after,
        "backward_before_n": backward_before_n, "backward_before_r": backward_before_r})
