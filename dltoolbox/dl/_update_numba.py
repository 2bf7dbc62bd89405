"""Optional numba kernels for adamupdate, sgdmupdate and rmspropupdate: one pass per
learnable instead of about ten NumPy passes (each with a fresh temporary).

Used by :mod:`.updates` for contiguous NumPy float32/float64 arrays with a scalar learn
rate factor when numba imports; the NumPy rules there stay the reference. The arithmetic
is theirs, operation for operation, in the arrays' precision (no fast-math: no fused
multiply-add, no reordering), so both paths give the same bits (a test checks it). The
results are new arrays of the parameter's shape, made here: the caller's parameters and
states are never changed, as MATLAB's value semantics require. ``k`` holds the rule's
constants in the arrays' dtype (a NumPy scalar argument costs numba more than a small
array).
"""

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **_JIT)
def _flat(a):
    return a.reshape(a.size)


@njit(**_JIT)
def adam(p, g, m, v, k):
    """m = b1 m + (1-b1) g; v = b2 v + (g g)(1-b2); p - m / (sqrt(v) + eps) * rate, with
    k = (b1, 1-b1, b2, 1-b2, eps, rate). Returns the new (p, m, v)."""
    b1, c1, b2, c2, eps, rate = k[0], k[1], k[2], k[3], k[4], k[5]
    new_p, new_m, new_v = np.empty_like(p), np.empty_like(p), np.empty_like(p)
    p_out, m_out, v_out = _flat(new_p), _flat(new_m), _flat(new_v)
    p, g, m, v = _flat(p), _flat(g), _flat(m), _flat(v)
    for i in range(p.size):
        gi = g[i]
        mi = b1 * m[i] + c1 * gi
        vi = b2 * v[i] + gi * gi * c2
        m_out[i] = mi
        v_out[i] = vi
        p_out[i] = p[i] - mi / (np.sqrt(vi) + eps) * rate
    return new_p, new_m, new_v


@njit(**_JIT)
def sgdm(p, g, vel, k):
    """vel = mom vel - rate g; p + vel, with k = (mom, rate). Returns the new (p, vel)."""
    mom, rate = k[0], k[1]
    new_p, new_vel = np.empty_like(p), np.empty_like(p)
    p_out, vel_out = _flat(new_p), _flat(new_vel)
    p, g, vel = _flat(p), _flat(g), _flat(vel)
    for i in range(p.size):
        vi = mom * vel[i] - rate * g[i]
        vel_out[i] = vi
        p_out[i] = p[i] + vi
    return new_p, new_vel


@njit(**_JIT)
def rmsprop(p, g, s, k):
    """s = rho s + (1-rho) g g; p - rate g / (sqrt(s) + eps), with k = (rho, 1-rho, eps,
    rate). Returns the new (p, s)."""
    rho, c, eps, rate = k[0], k[1], k[2], k[3]
    new_p, new_s = np.empty_like(p), np.empty_like(p)
    p_out, s_out = _flat(new_p), _flat(new_s)
    p, g, s = _flat(p), _flat(g), _flat(s)
    for i in range(p.size):
        gi = g[i]
        si = rho * s[i] + c * gi * gi
        s_out[i] = si
        p_out[i] = p[i] - rate * gi / (np.sqrt(si) + eps)
    return new_p, new_s
