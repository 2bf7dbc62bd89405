"""The GEMM orientation choice: ``a @ b`` as it is or as ``(b^T @ a^T)^T``, timed once per
shape on this machine and kept (shared by every cell's time loop)."""

import time

import numpy as np

from ..backend import get_xp
from .buffers import scratch

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
        out_t = scratch("product_t", out.shape[::-1], out.dtype, np)
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
