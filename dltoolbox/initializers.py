"""Weight initializers (reference §2.4), drawn on the host from one seeded generator.

All draws come from a NumPy ``Generator`` on the host, so one seed gives the same weights
whether training then runs on NumPy or CuPy. ``rng(seed)`` reseeds it, as MATLAB's ``rng``.
"""

import numpy as np

from ._validate import as_integer
from .errors import raise_error

_generator = np.random.default_rng(0)


def rng(seed="default"):
    """Seed the generator used by initializers, shuffling and dropout (MATLAB's ``rng``).

    ``rng('default')`` is ``rng(0)``.

    >>> rng(42)
    """
    global _generator
    if isinstance(seed, str) and seed.lower() == "default":
        seed = 0
    n = as_integer(seed)
    if n is None or n < 0:
        raise_error("rng", "InvalidSeed", f"Expected a nonnegative integer seed or 'default', "
                    f"got {seed!r}.")
    _generator = np.random.default_rng(n)


def generator():
    """The package's host random generator."""
    return _generator


def glorot(shape, fan_in, fan_out):
    """Uniform, zero mean, variance 2/(fan_in + fan_out) (Glorot & Bengio, 2010)."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return _generator.uniform(-bound, bound, size=shape)


def he(shape, fan_in, fan_out):
    """Normal, zero mean, variance 2/fan_in (He et al., 2015)."""
    return _generator.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def orthogonal(shape, fan_in, fan_out):
    """Q of the QR decomposition of a unit-normal matrix (Saxe et al., 2013).

    Reduced QR of the taller orientation, columns multiplied by sign(diag(R)) so the
    distribution is uniform over orthogonal matrices; rows (wide) or columns (tall) are
    orthonormal.
    """
    rows, cols = shape
    z = _generator.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(z)
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


def narrow_normal(shape, fan_in, fan_out):
    """Normal, zero mean, standard deviation 0.01."""
    return _generator.normal(0.0, 0.01, size=shape)


def zeros(shape, fan_in, fan_out):
    return np.zeros(shape)


def ones(shape, fan_in, fan_out):
    return np.ones(shape)


BY_NAME = {"glorot": glorot, "he": he, "orthogonal": orthogonal,
           "narrow-normal": narrow_normal, "zeros": zeros, "ones": ones}


def initialize(init, shape, fan_in, fan_out, func, prop, dtype=np.float32):
    """Run initializer ``init`` (a name or a function of the size) for property ``prop``."""
    if callable(init):
        value = np.asarray(init(list(shape)))
        if value.shape != tuple(shape):
            got = "×".join(map(str, value.shape))
            raise_error(func, f"Invalid{prop}Initializer",
                        f"The function given for '{prop}Initializer' returned a {got} array; "
                        f"expected {'×'.join(map(str, shape))}.")
    else:
        value = BY_NAME[init](shape, fan_in, fan_out)
    return value.astype(dtype)
