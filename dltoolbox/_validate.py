"""Small value checks shared by every public function.

Each ``check_*`` factory returns a checker ``check(value, func, name)`` that returns the
canonical value or raises a dltoolbox error naming the function, the option, what was
expected and what was given. The name-value parser and the layers' property setters both
use them, so a value is validated the same way whichever route it takes.
"""

import numbers

import numpy as np

from .errors import raise_error


def describe(value):
    """A short, user-facing rendering of a given value for messages."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return f"logical {bool(value)}"
    if isinstance(value, numbers.Number):
        return repr(value.item() if hasattr(value, "item") else value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        shape = "×".join(str(s) for s in value.shape) or "scalar"
        return f"a {shape} {value.dtype} array"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    if callable(value):
        return f"function {getattr(value, '__name__', repr(value))}"
    return f"a value of type {type(value).__name__}"


def _bad(func, name, expected, value, kind="value"):
    raise_error(func, f"Invalid{name}",
                f"Invalid value for '{name}'. Expected {expected}, got {describe(value)}.", kind)


def is_real_number(value):
    """True for int/float/NumPy scalars and 0-d arrays, False for bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real)


def as_integer(value):
    """Return int(value) when value is an integer-valued real number, else None."""
    if not is_real_number(value):
        return None
    f = float(value)
    if not np.isfinite(f) or f != int(f):
        return None
    return int(f)


def check_positive_integer(allow_auto=False, allow_inf=False):
    expected = "a positive integer" + (" or 'auto'" if allow_auto else "") + \
        (" or Inf" if allow_inf else "")

    def check(value, func, name):
        if allow_auto and isinstance(value, str) and value.lower() == "auto":
            return "auto"
        if allow_inf and is_real_number(value) and float(value) == np.inf:
            return np.inf
        n = as_integer(value)
        if n is None or n < 1:
            _bad(func, name, expected, value, "value" if is_real_number(value) else "type")
        return n
    return check


def check_one_of(*choices):
    lower = {c.lower(): c for c in choices}
    expected = "one of " + ", ".join(f"'{c}'" for c in choices)

    def check(value, func, name):
        if isinstance(value, str) and value.lower() in lower:
            return lower[value.lower()]
        _bad(func, name, expected, value, "value" if isinstance(value, str) else "type")
    return check


def check_text(value, func, name):
    if isinstance(value, str):
        return value
    _bad(func, name, "a character vector or string", value, "type")


def check_logical(value, func, name):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if is_real_number(value) and float(value) in (0.0, 1.0):
        return bool(value)
    _bad(func, name, "a logical value (true/false or 1/0)", value)


def check_scalar(lo=-np.inf, hi=np.inf, lo_open=False, hi_open=False, allow_inf=False):
    lo_b = "(" if lo_open else "["
    hi_b = ")" if hi_open else "]"
    expected = f"a real scalar in {lo_b}{lo:g}, {hi:g}{hi_b}"

    def check(value, func, name):
        if not is_real_number(value):
            _bad(func, name, expected, value, "type")
        v = float(value)
        if np.isnan(v) or (np.isinf(v) and not allow_inf):
            _bad(func, name, expected, value)
        if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
            _bad(func, name, expected, value)
        return v
    return check


def check_factor(n_blocks):
    """Nonnegative finite scalar or 1-by-n vector (one value per gate block)."""
    expected = f"a nonnegative scalar or a 1-by-{n_blocks} vector of nonnegative values"

    def check(value, func, name):
        if is_real_number(value):
            v = float(value)
            if np.isfinite(v) and v >= 0:
                return v
            _bad(func, name, expected, value)
        if isinstance(value, (list, tuple, np.ndarray)) and not isinstance(value, str):
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                _bad(func, name, expected, value, "type")
            if arr.size == 1 and np.isfinite(arr).all() and (arr >= 0).all():
                return float(arr.ravel()[0])
            if arr.size == n_blocks and arr.ndim <= 2 and max(arr.shape) == n_blocks \
                    and np.isfinite(arr).all() and (arr >= 0).all():
                return arr.reshape(n_blocks)
        _bad(func, name, expected, value)
    return check


def check_initializer(*names):
    expected = "one of " + ", ".join(f"'{c}'" for c in names) + " or a function handle"
    lower = {c.lower(): c for c in names}

    def check(value, func, name):
        if callable(value):
            return value
        if isinstance(value, str) and value.lower() in lower:
            return lower[value.lower()]
        _bad(func, name, expected, value, "value" if isinstance(value, str) else "type")
    return check


def check_function_or_empty(value, func, name):
    """A callable, a list of callables, or [] / None (no function)."""
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return None
    if callable(value):
        return value
    if isinstance(value, (list, tuple)) and all(callable(v) for v in value):
        return list(value)
    _bad(func, name, "a function handle, a list of function handles, or []", value, "type")


def check_numeric_array(value, func, name):
    """Any real numeric array (or []); returned as a read-only float copy, or None when empty.

    The copy gives MATLAB's value semantics (changing the caller's array later does not
    change the property), and read-only storage keeps forms derived from it valid: assign
    a new array to change a property.
    """
    if value is None:
        return None
    if isinstance(value, (str, bool)) or callable(value):
        _bad(func, name, "a numeric array", value, "type")
    if type(value).__module__.startswith("cupy"):
        value = value.get()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        _bad(func, name, "a numeric array", value, "type")
    if arr.size == 0:
        return None
    if arr.dtype.kind not in "iuf":
        _bad(func, name, "a real numeric array", value, "type")
    if not np.isfinite(arr).all():
        _bad(func, name, "finite values", value)
    arr = np.array(arr, dtype=arr.dtype if arr.dtype.kind == "f" else np.float32)
    arr.setflags(write=False)
    return arr
