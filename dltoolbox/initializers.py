"""Weight initializers (reference §2.4), drawn on the host from one seeded generator.

All draws come from a NumPy ``Generator`` on the host, so one seed gives the same weights
whether training then runs on NumPy or CuPy. ``rng(seed)`` reseeds it, as MATLAB's ``rng``.
"""

import time

import numpy as np

from ._validate import as_integer
from .errors import raise_error

_generator = np.random.default_rng(0)
_settings = {"Type": "default", "Seed": 0}

# MATLAB generator names -> NumPy bit generators. 'default' is NumPy's PCG64 (what
# rng('default') and rng(seed) give); 'twister' is the Mersenne Twister (MT19937) and
# 'philox' Philox 4x64: the same algorithms as MATLAB's, not MATLAB's number streams.
_BIT_GENERATORS = {"default": np.random.PCG64, "twister": np.random.MT19937,
                   "philox": np.random.Philox}
_MATLAB_ONLY = ("simdTwister", "combRecursive", "multFibonacci", "threefry", "v4",
                "v5uniform", "v5normal")


class RandomSettings(dict):
    """What ``s = rng()`` returns (MATLAB's struct with Type, Seed and State); ``rng(s)``
    restores it. Fields read as attributes: ``s.Seed``."""

    __getattr__ = dict.__getitem__

    def __repr__(self):
        return (f"  struct with fields:\n\n     Type: '{self['Type']}'\n     Seed: "
                f"{self['Seed']}\n    State: [{self['Type']} state]\n")


def _current():
    return RandomSettings(Type=_settings["Type"], Seed=_settings["Seed"],
                          State=_generator.bit_generator.state)


def _check_type(name):
    if isinstance(name, str):
        for key in _BIT_GENERATORS:
            if key.lower() == name.lower():
                return key
        if name.lower() in (m.lower() for m in _MATLAB_ONLY):
            raise_error("rng", "NotSupported",
                        f"Generator '{name}' is not available; use 'twister', 'philox' or "
                        f"'default'.")
    raise_error("rng", "InvalidGenerator",
                f"Expected a generator name ('twister', 'philox', 'default'), got {name!r}.")


def rng(*args, nargout=None):
    """Control the generator used by initializers, shuffling and dropout (MATLAB ``rng``).

    ``rng(seed)``, ``rng(seed, 'twister')``, ``rng('default')`` (seed 0),
    ``rng('shuffle')`` (a seed from the clock), ``s = rng()`` (the current settings) and
    ``rng(s)`` (restore them). ``rng(seed)`` keeps the current generator type.
    ``sprev = rng(seed, nargout=1)`` returns the settings from before the call.

    >>> rng(42)
    >>> s = rng()
    >>> a = generator().random()
    >>> rng(s)
    >>> generator().random() == a, s.Seed
    (True, 42)
    >>> rng(1, 'twister'); rng().Type
    'twister'
    """
    global _generator
    previous = _current()
    if not args:
        return previous
    if len(args) > 2:
        raise_error("rng", "TooManyInputs", f"rng takes at most 2 arguments, got {len(args)}.")
    seed = args[0]
    kind = _check_type(args[1]) if len(args) == 2 else None
    if isinstance(seed, dict) and {"Type", "State"} <= set(seed):
        if kind is not None:
            raise_error("rng", "TooManyInputs", "rng(s) takes no generator name.")
        bit = _BIT_GENERATORS[_check_type(seed["Type"])]()
        bit.state = seed["State"]
        _generator = np.random.Generator(bit)
        _settings.update(Type=seed["Type"], Seed=seed.get("Seed", 0))
    else:
        if isinstance(seed, str) and seed.lower() == "default":
            seed, kind = 0, kind or "default"
        elif isinstance(seed, str) and seed.lower() == "shuffle":
            seed = time.time_ns() % 2 ** 32
        n = as_integer(seed)
        if n is None or not 0 <= n < 2 ** 32:
            raise_error("rng", "InvalidSeed",
                        f"Expected a nonnegative integer seed below 2^32, 'default', "
                        f"'shuffle' or a settings struct from rng(), got {seed!r}.")
        kind = kind or _settings["Type"]
        _generator = np.random.Generator(_BIT_GENERATORS[kind](n))
        _settings.update(Type=kind, Seed=n)
    if nargout is not None:
        if nargout != 1:
            raise_error("rng", "TooManyOutputs", f"rng has one output, got nargout={nargout}.")
        return previous
    return None


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
