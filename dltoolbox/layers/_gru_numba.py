"""Optional numba kernels: the GRU gate math of one time step fused into one pass.

Used by _gru_kernels when numba imports (the ``fast`` extra) and the arrays are NumPy
arrays; the plain NumPy path computes the same equations and stays the reference. Each
kernel loops over contiguous 1-D slices (one gate block of one observation), the shape
LLVM vectorizes; the matrix products stay in BLAS. In 'after'/'rbias' mode the time loops
themselves run here too (``*_loop``), calling the GEMM of NumPy's bundled OpenBLAS for
each step, so that no Python runs between steps. ``kernels(dtype)`` returns the set
compiled for float32 or float64, with that type's constants (typed constants and a
compile-time choice of tanh keep float32 loops in float32 lanes); compiled code is cached
on disk.

Scalar libm calls (math.tanh) keep loops from vectorizing, so the float32 kernels use a
rational approximation of tanh made of arithmetic only: odd degree-13 numerator over even
degree-6 denominator on [-7.9053, 7.9053] (the minimax fit used by Eigen's fast float
tanh). Its largest error against float64 tanh is 3.4e-7 (about three float32 ulp),
measured on 2,000,001 points of [-12, 12]. The float64 kernels use math.tanh.
Activation codes: gate 0 sigmoid, 1 hard-sigmoid; state 0 tanh, 1 softsign.
"""

import ctypes
import glob
import math
import os
from functools import lru_cache

import numpy as np
from numba import njit, types

_TANH_NUM = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
             5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
             -2.76076847742355e-16)
_TANH_DEN = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
             1.19825839466702e-06)
_JIT = {"fastmath": True, "error_model": "numpy", "cache": True}
_STEP = {"inline": "always", "fastmath": True, "error_model": "numpy"}


def _bundled_gemm():
    """(sgemm, dgemm): the CBLAS GEMMs of the OpenBLAS that NumPy's wheels bundle (64-bit
    integers; ``*cblas_?gemm64_``), as numba external functions, or None where NumPy links
    another BLAS. The time loops call them directly, with no Python between the steps."""
    import llvmlite.binding as llvm  # noqa: PLC0415 - numba's own dependency

    base = os.path.dirname(np.__file__)
    for pattern in (base + ".libs/*openblas*", os.path.join(base, ".dylibs", "*openblas*"),
                    os.path.join(base, ".libs", "*openblas*")):
        for path in sorted(glob.glob(pattern)):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix in ("scipy_cblas_", "cblas_"):
                found = [getattr(lib, f"{prefix}{t}gemm64_", None) for t in "sd"]
                if all(found):
                    out = []
                    for t, fn, real in zip("sd", found, (types.float32, types.float64)):
                        name = f"dltoolbox_cblas_{t}gemm64"     # the name cached code calls
                        llvm.add_symbol(name, ctypes.cast(fn, ctypes.c_void_p).value)
                        i32, i64, ptr = types.int32, types.int64, types.uintp
                        out.append(types.ExternalFunction(name, types.void(
                            i32, i32, i32, i64, i64, i64, real, ptr, i64, ptr, i64, real, ptr,
                            i64)))
                    return tuple(out)
    return None


_SGEMM, _DGEMM = _bundled_gemm() or (None, None)
HAS_GEMM = _SGEMM is not None
_ROW, _NO, _TRANS = 101, 111, 112     # CblasRowMajor, CblasNoTrans, CblasTrans


@njit(inline="always", error_model="numpy")
def _gemm(a, b, b_t, out, out_t, way, single):
    """out = a @ b. a: (m, k) with unit column stride; b (k, n) and b_t = b^T contiguous.
    way 0 calls GEMM on (a, b); way 1 computes out_t = b_t @ a^T (n, m) and copies it
    transposed, the orientation _gru_kernels.product_into found faster for the shape."""
    m, k = a.shape
    n = b.shape[1]
    lda = a.strides[0] // a.itemsize
    one, zero = 1.0, 0.0
    if way == 0:
        if single:
            _SGEMM(_ROW, _NO, _NO, m, n, k, one, a.ctypes.data, lda, b.ctypes.data, n, zero,
                   out.ctypes.data, n)
        else:
            _DGEMM(_ROW, _NO, _NO, m, n, k, one, a.ctypes.data, lda, b.ctypes.data, n, zero,
                   out.ctypes.data, n)
        return
    if single:
        _SGEMM(_ROW, _NO, _TRANS, n, m, k, one, b_t.ctypes.data, k, a.ctypes.data, lda, zero,
               out_t.ctypes.data, m)
    else:
        _DGEMM(_ROW, _NO, _TRANS, n, m, k, one, b_t.ctypes.data, k, a.ctypes.data, lda, zero,
               out_t.ctypes.data, m)
    for i in range(m):
        row = out[i]
        for j in range(n):
            row[j] = out_t[j, i]


def _constants(dtype):
    """The typed constants of the kernels for ``dtype``: (approx, zero, half, one, fifth,
    clamp, tanh numerator a1..a13, tanh denominator b0..b6). The kernels close over this
    tuple only: numba keys its on-disk cache on a closure's pickled contents, which are
    stable for scalars (a closure over jitted helpers pickles differently in every process
    and missed the cache every time)."""
    f = np.dtype(dtype).type
    return ((f is np.float32, f(0), f(0.5), f(1), f(0.2), f(7.90531110763549805))
            + tuple(f(v) for v in _TANH_NUM) + tuple(f(v) for v in _TANH_DEN))


@njit(inline="always", fastmath=True, error_model="numpy")
def _tanh(x, c):
    approx, _, _, _, _, clamp, a1, a3, a5, a7, a9, a11, a13, b0, b2, b4, b6 = c
    if not approx:
        return math.tanh(x)
    x = min(max(x, -clamp), clamp)
    x2 = x * x
    p = (((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1
    q = ((b6 * x2 + b4) * x2 + b2) * x2 + b0
    return x * p / q


@njit(inline="always", fastmath=True, error_model="numpy")
def _gate_fn(a, code, c):
    zero, half, one, fifth = c[1], c[2], c[3], c[4]
    if code == 0:
        return half * _tanh(half * a, c) + half
    return min(max(fifth * a + half, zero), one)


@njit(inline="always", fastmath=True, error_model="numpy")
def _d_gate(y, code, c):
    zero, one, fifth = c[1], c[3], c[4]
    if code == 0:
        return y * (one - y)
    return fifth if (y > zero and y < one) else zero


@njit(inline="always", fastmath=True, error_model="numpy")
def _state_fn(a, code, c):
    if code == 0:
        return _tanh(a, c)
    return a / (c[3] + abs(a))


@njit(inline="always", fastmath=True, error_model="numpy")
def _d_state(y, code, c):
    one = c[3]
    if code == 0:
        return one - y * y
    t = one - abs(y)
    return t * t


@njit(**_STEP)
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
            r = _gate_fn(xr[j] + hr[j] + br[j], gate, c)
            z = _gate_fn(xz[j] + hz[j] + bz[j], gate, c)
            a = hn[j] + bn[j]
            n = _state_fn(xn[j] + bx[j] + r * a, state, c)
            gr[j] = r
            gz[j] = z
            gn[j] = n
            ab[j] = a
            ho[j] = n + z * (hp[j] - n)


@njit(**_STEP)
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
            r = _gate_fn(xr[j] + hr[j] + br[j], gate, c)
            z = _gate_fn(xz[j] + hz[j] + bz[j], gate, c)
            n = _state_fn(xn[j] + bx[j] + r * (hn[j] + bn[j]), state, c)
            ho[j] = n + z * (hp[j] - n)


@njit(**_STEP)
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
            dan = g * (c[3] - z) * _d_state(n, state, c)
            xn[j] = dan
            xr[j] = dan * ab[j] * _d_gate(r, gate, c)
            xz[j] = g * (hp[j] - n) * _d_gate(z, gate, c)
            hn[j] = dan * r
            dd[j] = g * z


@njit(inline="always")
def _pick(code, fixed):
    """The activation code to use: ``fixed`` (a compile-time constant) unless it is -1."""
    return fixed if fixed >= 0 else code


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
    c = _constants(dtype)
    one = c[3]
    single = bool(c[0])
    fixed_gate, fixed_state = fixed

    @njit(**_JIT)
    def forward_after(gx, gh, b_rz, b_in, b_rec, h_prev, gates, aux, h_out, gate, state):
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
        _forward_after(gx, gh, b_rz, b_in, b_rec, h_prev, gates, aux, h_out, gate, state, c)

    @njit(**_JIT)
    def forward_after_infer(gx, gh, b_rz, b_in, b_rec, h_prev, h_out, gate, state):
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
        _forward_after_infer(gx, gh, b_rz, b_in, b_rec, h_prev, h_out, gate, state, c)

    @njit(**_JIT)
    def backward_after(dhz, mm, dy, gates, aux, h_prev, d, gate, state):
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
        _backward_after(dhz, mm, dy, gates, aux, h_prev, d, gate, state, c)

    @njit(**_JIT)
    def forward_after_loop(gx, hs, gates, aux, r_t, R, b_rz, b_in, b_rec, gh, gh_t, way,
                           keep, gate, state):
        """All steps of forward_after (``keep``) or forward_after_infer, each after its
        recurrent GEMM. gates and aux hold one step when not ``keep``."""
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
        for t in range(gx.shape[0]):
            _gemm(hs[t], r_t, R, gh, gh_t, way, single)
            if keep:
                _forward_after(gx[t], gh, b_rz, b_in, b_rec, hs[t], gates[t], aux[t],
                               hs[t + 1], gate, state, c)
            else:
                _forward_after_infer(gx[t], gh, b_rz, b_in, b_rec, hs[t], hs[t + 1], gate,
                                     state, c)

    @njit(**_JIT)
    def backward_after_loop(dhz, mm, mm_t, dY, dy_last, no_dy, last, gates, aux, hs, d, R,
                            r_t, way, gate, state):
        """All steps of backward_after, from the last; each step's d[:, :, H:] @ R is the
        next one's matrix path. dY (T, B, H) when not ``last``, else dy_last (B, H)."""
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
        hh = R.shape[1]
        for t in range(gates.shape[0] - 1, -1, -1):
            if last:
                dy = dy_last if t == gates.shape[0] - 1 else no_dy
            else:
                dy = dY[t]
            _backward_after(dhz, mm, dy, gates[t], aux[t], hs[t], d[t], gate, state, c)
            _gemm(d[t, :, hh:], R, r_t, mm, mm_t, way, single)

    @njit(**_JIT)
    def forward_before_rz(gx, gh, b_in, h_prev, gates, rh, gate):
        """'before' mode, first half: r, z and r * h_prev (the input of R_h)."""
        gate = _pick(gate, fixed_gate)
        nb, h3 = gx.shape
        hh = h3 // 3
        br, bz = b_in[:hh], b_in[hh:2 * hh]
        for b in range(nb):
            xr, xz = gx[b, :hh], gx[b, hh:2 * hh]
            hr, hz = gh[b, :hh], gh[b, hh:2 * hh]
            gr, gz = gates[b, :hh], gates[b, hh:2 * hh]
            hp, out = h_prev[b], rh[b]
            for j in range(hh):
                r = _gate_fn(xr[j] + br[j] + hr[j], gate, c)
                gr[j] = r
                gz[j] = _gate_fn(xz[j] + bz[j] + hz[j], gate, c)
                out[j] = r * hp[j]

    @njit(**_JIT)
    def forward_before_n(gx, ghn, b_in, h_prev, gates, h_out, state):
        """'before' mode, second half: n = ss(W_h x + R_h (r h_prev) + b_h) and h_t."""
        state = _pick(state, fixed_state)
        nb, hh = ghn.shape
        bn = b_in[2 * hh:]
        for b in range(nb):
            xn, hn = gx[b, 2 * hh:], ghn[b]
            gz, gn = gates[b, hh:2 * hh], gates[b, 2 * hh:]
            hp, ho = h_prev[b], h_out[b]
            for j in range(hh):
                n = _state_fn(xn[j] + bn[j] + hn[j], state, c)
                gn[j] = n
                ho[j] = n + gz[j] * (hp[j] - n)

    @njit(**_JIT)
    def backward_before_n(dh, dy, gates, h_prev, d, dhz, gate, state):
        """'before' mode, first half: dn, dz pre-activations (d = [dn | dr | dz]) and
        dh * z."""
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
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
                xn[j] = g * (one - z) * _d_state(n, state, c)
                xz[j] = g * (hp[j] - n) * _d_gate(z, gate, c)
                out[j] = g * z

    @njit(**_JIT)
    def backward_before_r(d_rh, gates, h_prev, d, dhz, gate):
        """'before' mode, second half: dr from d(r * h_prev); dh_prev gets d(r h) * r."""
        gate = _pick(gate, fixed_gate)
        nb, h3 = gates.shape
        hh = h3 // 3
        for b in range(nb):
            gr, xr = gates[b, :hh], d[b, hh:2 * hh]
            dr, hp, out = d_rh[b], h_prev[b], dhz[b]
            for j in range(hh):
                r = gr[j]
                xr[j] = dr[j] * hp[j] * _d_gate(r, gate, c)
                out[j] += dr[j] * r

    @njit(**_JIT)
    def one_observation(w_t, r_t, r_n_t, b, b_rec, X, hs, gate, state, before):
        """Inference for one observation (B = 1): the whole time loop in one call.

        X (T, D); hs (T+1, H) with hs[0] = h_0 is filled with h_1..h_T. w_t = W^T (D, 3H);
        r_t = R^T (H, 3H), or R_rz^T (H, 2H) with r_n_t = R_h^T (H, H) when ``before``.
        The matrix-vector products run here as row updates (contiguous, vectorized),
        which removes the per-step calls that dominate closed-loop forecasting.
        """
        gate, state = _pick(gate, fixed_gate), _pick(state, fixed_state)
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
                r = _gate_fn(ga[j] + gr[j], gate, c)
                ga[j] = r
                ga[hh + j] = _gate_fn(ga[hh + j] + gr[hh + j], gate, c)
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
                    gr[2 * hh + j] = _state_fn(gr[2 * hh + j], state, c)
            else:
                for j in range(hh):
                    gr[2 * hh + j] = _state_fn(ga[2 * hh + j] + ga[j] * gr[2 * hh + j], state, c)
            for j in range(hh):
                n = gr[2 * hh + j]
                ho[j] = n + ga[hh + j] * (hp[j] - n)

    loops = {"forward_after_loop": forward_after_loop,
             "backward_after_loop": backward_after_loop} if HAS_GEMM else {}
    return {**loops, "one_observation": one_observation, "forward_after": forward_after,
            "forward_after_infer": forward_after_infer,
            "forward_before_rz": forward_before_rz,
            "forward_before_n": forward_before_n, "backward_after": backward_after,
            "backward_before_n": backward_before_n, "backward_before_r": backward_before_r}
