"""Optional numba kernels: L2, clipping and one solver step fused into two passes.

Used by training.solvers when numba imports and the buffers are NumPy arrays; the
NumPy rules in solvers.py stay the reference. Per iteration the NumPy form makes about
twenty passes over the parameter buffer (each a few microseconds for the 35 k
parameters of a GRU 100 network); here pass 1 adds L2 and sums the squared gradient of
each learnable, and pass 2 clips, keeps the previous parameters and updates. The
arithmetic is the NumPy form's, operation for operation in float32 (no fast-math), so
both give the same numbers; only the sums of squares are accumulated in another order.

Both passes are one call, :func:`update`, with the scalar settings in one float64 array
``k`` (typing a NumPy float32 scalar argument costs numba about 0.6 us). ``bounds``
holds the start of each learnable in the flat buffer and, last, its length; ``scales``
receives the clipping factor of each learnable (1 when not clipped); ``lr`` holds the
rate of each element, or one rate for all (one array less to read). Measured on 35 k
parameters with the arrays out of cache, as they are after the layers' work: adam
145 us as two calls with per-element rates, 114 us as now. The loops run over
per-learnable slices with a plain index: that is the form LLVM vectorizes (an index
offset by a run-time start, or a gather through a stride, kept them scalar and made them
5-8x slower than NumPy). The factors are computed in float64 and applied as float32, as
in the NumPy form.
"""

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


SGDM, RMSPROP, ADAM = 0, 1, 2
# k: threshold, 1 for 'l2norm' (each learnable) else 0, the 'absolute-value' limit (inf
# otherwise), the solver's constants (sgdm: momentum; rmsprop: b2, 1 - b2, eps; adam:
# b1, 1 - b1, b2, 1 - b2, eps) and, last, adam's bias correction of this iteration
K_SIZE = 9


@njit(**_JIT)
def update(kind, theta, previous, g, first, second, lr, l2, bounds, scales, k):
    """L2 and clipping (pass 1), then the step of solver ``kind`` (pass 2), in place;
    ``previous`` receives theta's values before the step. ``second`` is adam's v (unused
    by the others)."""
    l2_and_clip_scales(g, theta, l2, bounds, k[0], k[1] != 0.0, scales)
    f = np.float32
    limit = f(k[2])
    if kind == SGDM:
        sgdm(theta, previous, g, first, bounds, scales, limit, lr, f(k[3]))
    elif kind == RMSPROP:
        rmsprop(theta, previous, g, first, bounds, scales, limit, lr, f(k[3]), f(k[4]),
                f(k[5]))
    else:
        adam(theta, previous, g, first, second, bounds, scales, limit, lr, f(k[3]), f(k[4]),
             f(k[5]), f(k[6]), f(k[7]), f(k[8]))


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
    per, rate = lr.size > 1, lr[0]
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, vs = theta[a:b], previous[a:b], g[a:b], vel[a:b]
        ls = lr[a:b] if per else lr
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            v = vs[i] * momentum - gi * (ls[i] if per else rate)
            vs[i] = v
            pr[i] = th[i]
            th[i] = th[i] + v


@njit(**_JIT)
def rmsprop(theta, previous, g, sq, bounds, scales, limit, lr, b2, c2, eps):
    per, rate = lr.size > 1, lr[0]
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, ss = theta[a:b], previous[a:b], g[a:b], sq[a:b]
        ls = lr[a:b] if per else lr
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            si = ss[i] * b2 + gi * gi * c2
            ss[i] = si
            pr[i] = th[i]
            th[i] = th[i] - gi / (np.sqrt(si) + eps) * (ls[i] if per else rate)


@njit(**_JIT)
def adam(theta, previous, g, m, v, bounds, scales, limit, lr, b1, c1, b2, c2, eps, corr):
    per, rate = lr.size > 1, lr[0]
    for s in range(bounds.size - 1):
        a, b = bounds[s], bounds[s + 1]
        sc = scales[s]
        th, pr, gs, ms, vs = theta[a:b], previous[a:b], g[a:b], m[a:b], v[a:b]
        ls = lr[a:b] if per else lr
        for i in range(b - a):
            gi = _clipped(gs[i], sc, limit)
            mi = ms[i] * b1 + gi * c1
            vi = vs[i] * b2 + gi * gi * c2
            ms[i] = mi
            vs[i] = vi
            pr[i] = th[i]
            th[i] = th[i] - mi / (np.sqrt(vi) + eps) * corr * (ls[i] if per else rate)
