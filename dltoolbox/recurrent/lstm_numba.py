"""Optional numba kernels: the LSTM gate math of one time step fused into one pass.

Used by recurrent.lstm for NumPy arrays when numba imports; the plain array path computes
the same equations and stays the reference. As for the GRU (gru_numba), each kernel loops
over contiguous 1-D slices of one observation, the matrix products stay in BLAS, and
with NumPy's bundled OpenBLAS whole time loops run here (``forward_loop``,
``backward_loop``), calling the GEMM between the steps. The GEMM, the typed constants
and the activations are numba_common's.

Layout (see recurrent/lstm.py): per step the pre-activations of the gates i | f | g | o
(MATLAB's order), the activated gates kept for backward in the same order, the cell state
c and sigma_s(c).
"""

from functools import lru_cache

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
def _forward(gx, gh, bias, c_prev, h_out, c_out, gates, tc_out, keep, gate, state, c):
    """One step: gx = x W^T, gh = h_prev R^T (both without bias, (B, 4H)). Writes h_t, c_t
    and, when ``keep``, the activated gates and sigma_s(c_t) for backward."""
    nb, h4 = gh.shape
    hh = h4 // 4
    bi, bf, bg, bo = bias[:hh], bias[hh:2 * hh], bias[2 * hh:3 * hh], bias[3 * hh:]
    for b in range(nb):
        x, r = gx[b], gh[b]
        xi, xf, xg, xo = x[:hh], x[hh:2 * hh], x[2 * hh:3 * hh], x[3 * hh:]
        ri, rf, rg, ro = r[:hh], r[hh:2 * hh], r[2 * hh:3 * hh], r[3 * hh:]
        cp, co, ho = c_prev[b], c_out[b], h_out[b]
        if keep:
            g_ = gates[b]
            gi, gf, gg, go = g_[:hh], g_[hh:2 * hh], g_[2 * hh:3 * hh], g_[3 * hh:]
            tc = tc_out[b]
            for j in range(hh):
                i = gate_fn(xi[j] + ri[j] + bi[j], gate, c)
                f = gate_fn(xf[j] + rf[j] + bf[j], gate, c)
                g = state_fn(xg[j] + rg[j] + bg[j], state, c)
                o = gate_fn(xo[j] + ro[j] + bo[j], gate, c)
                cn = f * cp[j] + i * g
                t = state_fn(cn, state, c)
                gi[j] = i
                gf[j] = f
                gg[j] = g
                go[j] = o
                tc[j] = t
                co[j] = cn
                ho[j] = o * t
        else:
            for j in range(hh):
                i = gate_fn(xi[j] + ri[j] + bi[j], gate, c)
                f = gate_fn(xf[j] + rf[j] + bf[j], gate, c)
                g = state_fn(xg[j] + rg[j] + bg[j], state, c)
                o = gate_fn(xo[j] + ro[j] + bo[j], gate, c)
                cn = f * cp[j] + i * g
                co[j] = cn
                ho[j] = o * state_fn(cn, state, c)


@njit(**STEP)
def _backward(mm, dy, dc, gates, tcs, c_prev, d, gate, state, c):
    """One step back. dh = mm + dy (the matrix path from the step after, d_{t+1} R, and this
    step's output gradient); dc holds dL/dc_t from the step after and is replaced by
    dL/dc_{t-1}. Writes the pre-activation gradients d = [di | df | dg | do]."""
    nb, h4 = gates.shape
    hh = h4 // 4
    for b in range(nb):
        g_, dd = gates[b], d[b]
        gi, gf, gg, go = g_[:hh], g_[hh:2 * hh], g_[2 * hh:3 * hh], g_[3 * hh:]
        di, df, dg, do = dd[:hh], dd[hh:2 * hh], dd[2 * hh:3 * hh], dd[3 * hh:]
        m, y, dcb, tc, cp = mm[b], dy[b], dc[b], tcs[b], c_prev[b]
        for j in range(hh):
            dh = m[j] + y[j]
            i = gi[j]
            f = gf[j]
            g = gg[j]
            o = go[j]
            t = tc[j]
            do[j] = dh * t * d_gate(o, gate, c)
            dct = dcb[j] + dh * o * d_state(t, state, c)
            di[j] = dct * g * d_gate(i, gate, c)
            df[j] = dct * cp[j] * d_gate(f, gate, c)
            dg[j] = dct * i * d_state(g, state, c)
            dcb[j] = dct * f


@lru_cache(maxsize=4)
def kernels(dtype, fixed=(-1, -1)):
    """The LSTM kernel set for ``dtype``, compiled on first use of each kernel and loaded
    from numba's on-disk cache in later processes; ``fixed`` as in gru_numba.kernels."""
    c = constants(dtype)
    single = bool(c[0])
    fixed_gate, fixed_state = fixed

    @njit(**JIT)
    def forward_step(gx, gh, bias, c_prev, h_out, c_out, gates, tc_out, keep, gate, state):
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        _forward(gx, gh, bias, c_prev, h_out, c_out, gates, tc_out, keep, gate, state, c)

    @njit(**JIT)
    def backward_step(mm, dy, dc, gates, tcs, c_prev, d, gate, state):
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        _backward(mm, dy, dc, gates, tcs, c_prev, d, gate, state, c)

    @njit(**JIT)
    def forward_loop(gx, hs, cs, gates, tcs, r_t, R, bias, gh, gh_t, way, keep, gate, state):
        """All steps, each after its recurrent GEMM; gates and tcs hold one step when not
        ``keep`` (prediction)."""
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        for t in range(gx.shape[0]):
            gemm(hs[t], r_t, R, gh, gh_t, way, single)
            k = t if keep else 0
            _forward(gx[t], gh, bias, cs[t], hs[t + 1], cs[t + 1], gates[k], tcs[k], keep,
                     gate, state, c)

    @njit(**JIT)
    def backward_loop(mm, mm_t, dc, dY, dy_last, no_dy, last, gates, tcs, cs, d, R, r_t,
                      way, gate, state):
        """All steps back from the last; each step's d_t R is the next one's matrix path,
        and the last GEMM leaves dL/dh_0 in mm. dY (T, B, H), or dy_last (B, H) when only
        h_T was output."""
        gate, state = pick(gate, fixed_gate), pick(state, fixed_state)
        steps = gates.shape[0]
        for t in range(steps - 1, -1, -1):
            if last:
                dy = dy_last if t == steps - 1 else no_dy
            else:
                dy = dY[t]
            _backward(mm, dy, dc, gates[t], tcs[t], cs[t], d[t], gate, state, c)
            gemm(d[t], R, r_t, mm, mm_t, way, single)

    loops = {"forward_loop": forward_loop, "backward_loop": backward_loop} if HAS_GEMM else {}
    return Kernels("LSTM", {**loops, "forward_step": forward_step,
                            "backward_step": backward_step})
