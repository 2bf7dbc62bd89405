"""Optional numba kernels: L2, clipping and one solver step fused into two passes.

Used by training.solvers when numba imports and the buffers are NumPy arrays; the
NumPy rules in solvers.py stay the reference. Per iteration the NumPy form makes about
twenty passes over the parameter buffer (each a few microseconds for the 35 k
parameters of a GRU 100 network); here pass 1 adds L2 and sums the squared gradient of
each learnable, and pass 2 clips, keeps the previous parameters and updates. The
arithmetic is the NumPy form's, operation for operation in float32 (no fast-math), so
both give the same numbers; only the sums of squares are accumulated in another order.

``bounds`` holds the start of each learnable in the flat buffer and, last, its length;
``scales`` the clipping factor of each learnable (1 when not clipped); ``limit`` the
'absolute-value' threshold (inf otherwise); ``lr`` the rate of each element. The loops
run over per-learnable slices with a plain index: that is the form LLVM vectorizes (an
index offset by a run-time start, or a gather through a stride, kept them scalar and
made them 5-8x slower than NumPy). The factors are computed in float64 and applied as
float32, as in the NumPy form.
"""

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(fastmath={"reassoc", "nsz"}, **_JIT)
def l2_and_clip_scales(g, theta, l2, bounds, threshold, each, scales):
    """g += l2 * theta (when l2 has elements); then the clipping factor of each learnable:
    threshold / norm where the norm exceeds threshold, else 1. The norm is that of the
    learnable (``each``, 'l2norm') or of all of them ('global-l2norm')."""
    n = bounds.size - 1
    sums = np.zeros(n)
    for s in range(n):
        a, b = bounds[s], bounds[s + 1]
        gs = g[a:b]
        acc = 0.0
        if l2.size:
            ts, ls = theta[a:b], l2[a:b]
            for i in range(b - a):
                gi = gs[i] + ls[i] * ts[i]
                gs[i] = gi
                acc += gi * gi
        else:
            for i in range(b - a):
                acc += gs[i] * gs[i]
        sums[s] = acc
    total = sums.sum()
    for s in range(n):
        norm = np.sqrt(sums[s] if each else total)
        scales[s] = threshold / norm if norm > threshold else 1.0


@njit(inline="always", **_JIT)
def _clipped(g, scale, limit):
    g = g * scale
    return limit if g > limit else (-limit if g < -limit else g)


@njit(**_JIT)
def sgdm(theta, previous, g, vel, bounds, scales, limit, lr, momentum):
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, vs, ls = theta[a:b], previous[a:b], g[a:b], vel[a:b], lr[a:b]
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            v = vs[i] * momentum - gi * ls[i]
            vs[i] = v
            pr[i] = th[i]
            th[i] = th[i] + v


@njit(**_JIT)
def rmsprop(theta, previous, g, sq, bounds, scales, limit, lr, b2, c2, eps):
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, ss, ls = theta[a:b], previous[a:b], g[a:b], sq[a:b], lr[a:b]
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            si = ss[i] * b2 + gi * gi * c2
            ss[i] = si
            pr[i] = th[i]
            th[i] = th[i] - gi / (np.sqrt(si) + eps) * ls[i]


@njit(**_JIT)
def adam(theta, previous, g, m, v, bounds, scales, limit, lr, b1, c1, b2, c2, eps, corr):
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, ms, vs, ls = theta[a:b], previous[a:b], g[a:b], m[a:b], v[a:b], lr[a:b]
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            mi = ms[i] * b1 + gi * c1
            vi = vs[i] * b2 + gi * gi * c2
            ms[i] = mi
            vs[i] = vi
            pr[i] = th[i]
            th[i] = th[i] - mi / (np.sqrt(vi) + eps) * corr * ls[i]
