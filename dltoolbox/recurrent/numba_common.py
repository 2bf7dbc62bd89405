"""What every cell's numba kernels share: the GEMM of NumPy's bundled OpenBLAS, callable
from compiled time loops, the typed constants, and the activations with their
derivatives (from the outputs).

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

import numpy as np
from numba import njit, types

TANH_NUM = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
             5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
             -2.76076847742355e-16)
TANH_DEN = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
             1.19825839466702e-06)
JIT = {"fastmath": True, "error_model": "numpy", "cache": True}
STEP = {"inline": "always", "fastmath": True, "error_model": "numpy"}


def bundledgemm():
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


SGEMM, DGEMM = bundledgemm() or (None, None)
HAS_GEMM = SGEMM is not None
_ROW, _NO, _TRANS = 101, 111, 112     # CblasRowMajor, CblasNoTrans, CblasTrans


@njit(inline="always", error_model="numpy")
def gemm(a, b, b_t, out, out_t, way, single):
    """out = a @ b. a: (m, k) with unit column stride; b (k, n) and b_t = b^T contiguous.
    way 0 calls GEMM on (a, b); way 1 computes out_t = b_t @ a^T (n, m) and copies it
    transposed, the orientation _gru_kernels.product_into found faster for the shape."""
    m, k = a.shape
    n = b.shape[1]
    lda = a.strides[0] // a.itemsize
    one, zero = 1.0, 0.0
    if way == 0:
        if single:
            SGEMM(_ROW, _NO, _NO, m, n, k, one, a.ctypes.data, lda, b.ctypes.data, n, zero,
                   out.ctypes.data, n)
        else:
            DGEMM(_ROW, _NO, _NO, m, n, k, one, a.ctypes.data, lda, b.ctypes.data, n, zero,
                   out.ctypes.data, n)
        return
    if single:
        SGEMM(_ROW, _NO, _TRANS, n, m, k, one, b_t.ctypes.data, k, a.ctypes.data, lda, zero,
               out_t.ctypes.data, m)
    else:
        DGEMM(_ROW, _NO, _TRANS, n, m, k, one, b_t.ctypes.data, k, a.ctypes.data, lda, zero,
               out_t.ctypes.data, m)
    for i in range(m):
        row = out[i]
        for j in range(n):
            row[j] = out_t[j, i]


def constants(dtype):
    """The typed constants of the kernels for ``dtype``: (approx, zero, half, one, fifth,
    clamp, tanh numerator a1..a13, tanh denominator b0..b6). The kernels close over this
    tuple only: numba keys its on-disk cache on a closure's pickled contents, which are
    stable for scalars (a closure over jitted helpers pickles differently in every process
    and missed the cache every time)."""
    f = np.dtype(dtype).type
    return ((f is np.float32, f(0), f(0.5), f(1), f(0.2), f(7.90531110763549805))
            + tuple(f(v) for v in TANH_NUM) + tuple(f(v) for v in TANH_DEN))


@njit(inline="always", fastmath=True, error_model="numpy")
def tanh_(x, c):
    approx, _, _, _, _, clamp, a1, a3, a5, a7, a9, a11, a13, b0, b2, b4, b6 = c
    if not approx:
        return math.tanh(x)
    x = min(max(x, -clamp), clamp)
    x2 = x * x
    p = (((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1
    q = ((b6 * x2 + b4) * x2 + b2) * x2 + b0
    return x * p / q


@njit(inline="always", fastmath=True, error_model="numpy")
def gate_fn(a, code, c):
    zero, half, one, fifth = c[1], c[2], c[3], c[4]
    if code == 0:
        return half * tanh_(half * a, c) + half
    return min(max(fifth * a + half, zero), one)


@njit(inline="always", fastmath=True, error_model="numpy")
def d_gate(y, code, c):
    zero, one, fifth = c[1], c[3], c[4]
    if code == 0:
        return y * (one - y)
    return fifth if (y > zero and y < one) else zero


@njit(inline="always", fastmath=True, error_model="numpy")
def state_fn(a, code, c):
    if code == 0:
        return tanh_(a, c)
    return a / (c[3] + abs(a))


@njit(inline="always", fastmath=True, error_model="numpy")
def d_state(y, code, c):
    one = c[3]
    if code == 0:
        return one - y * y
    t = one - abs(y)
    return t * t


@njit(inline="always")
def pick(code, fixed):
    """The activation code to use: ``fixed`` (a compile-time constant) unless it is -1."""
    return fixed if fixed >= 0 else code
