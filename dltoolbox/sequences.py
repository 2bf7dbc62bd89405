"""Sequence data at the boundary: cell arrays of C-by-T arrays <-> padded (T, B, C) batches.

The only module that knows about padding, truncation and chunking (reference §15):
'longest' pads to the longest sequence of the mini-batch, 'shortest' truncates to the
shortest, an integer L pads to a multiple of L and splits into chunks of L steps.
'right' direction: sequences start at step 1; 'left': sequences end at the last step.
Padding is never masked. GPU (CuPy) sequences stay on the device: they are checked by
shape and dtype only, padded on the device, and the outputs unpadded there.
"""

import numpy as np

from ._nameval import Option
from ._validate import check_one_of, check_positive_integer, check_scalar, describe, is_real_number
from .backend import get_xp, is_device_array, to_host
from .errors import raise_error


def _check_sequence_length(value, func, name):
    if isinstance(value, str):
        return check_one_of("longest", "shortest")(value, func, name)
    return check_positive_integer()(value, func, name)


SEQUENCE_OPTIONS = (
    Option("SequenceLength", "longest", _check_sequence_length),
    Option("SequencePaddingDirection", "right", check_one_of("right", "left")),
    Option("SequencePaddingValue", 0.0, check_scalar()),
)


def _what(arg, index):
    return f"'{arg}'" if index is None else f"Sequence {index} of '{arg}'"


def as_observation(x, channels, func, arg="X", index=None):
    """A scalar or 1-D array as one C-by-T observation of a ``channels``-channel network.

    What forecasting loops pass: ``YTrain[-1]`` (MATLAB ``YTrain(end)``) to a 1-channel
    network is one time step; a 1-D array of C values to a C-channel network (C > 1) is one
    time step (MATLAB's ``X(:, i)`` is C-by-1); a 1-D array to a 1-channel network is a
    1-by-T sequence. Anything else that is 1-D or scalar is an error that says how to
    reshape; other values are returned unchanged.

    >>> import numpy as np
    >>> as_observation(0.5, 1, "predict").shape, as_observation(np.ones(3), 3, "predict").shape
    ((1, 1), (3, 1))
    >>> as_observation(np.ones(7), 1, "predict").shape
    (1, 7)
    """
    if is_real_number(x):
        if channels in (None, 1):
            return np.array([[x]], dtype=np.asarray(x).dtype if hasattr(x, "dtype") else None)
        what = _what(arg, index)
        raise_error(func, "ScalarInput",
                    f"{what} is a scalar, but the network has {channels} input channels. "
                    f"Pass one time step as a {channels}-by-1 array "
                    f"(x.reshape({channels}, 1)).")
    if getattr(x, "ndim", None) == 1 and hasattr(x, "dtype"):
        n = x.shape[0]
        if channels in (None, 1):
            return x.reshape(1, -1)
        if n == channels:
            return x.reshape(-1, 1)
        what = _what(arg, index)
        raise_error(func, "AmbiguousVector",
                    f"{what} is a 1-D array of {n} values, but the network has {channels} "
                    f"input channels. Pass a {channels}-by-T array: x.reshape({channels}, -1) "
                    f"if the values are channels first, or x.reshape(-1, {channels}).T if "
                    f"they are time steps first.")
    return x


def to_sequences(X, func, arg="X", channels=None):
    """Return (list of C-by-T float arrays, single) from a cell-array-like X.

    ``single`` is True when X was one C-by-T array (one observation). With ``channels``
    (the input layer's InputSize) scalars and 1-D arrays are read as ``as_observation``
    reads them.
    """
    single = False
    if is_real_number(X) or (isinstance(X, np.ndarray) and X.ndim <= 1):
        X = as_observation(X, channels, func, arg)
    if hasattr(X, "shape") and hasattr(X, "dtype"):
        if X.ndim == 1:
            X = as_observation(X, channels, func, arg)
        if X.ndim != 2:
            raise_error(func, "InvalidSequenceData",
                        f"'{arg}' must be a C-by-T array (channels by time steps) or a list "
                        f"of them, got a {'×'.join(map(str, X.shape))} array. For several "
                        f"observations pass a list of C-by-T arrays.")
        seqs, single = [X], True
    elif isinstance(X, (list, tuple)):
        seqs = list(X)
    else:
        raise_error(func, "InvalidSequenceData",
                    f"'{arg}' must be a list of C-by-T arrays or one C-by-T array, got "
                    f"{describe(X)}.", "type")
    if not seqs:
        raise_error(func, "EmptySequenceData", f"'{arg}' holds no sequences.")
    out = []
    for i, s in enumerate(seqs, start=1):
        a = numeric_array(as_observation(s, channels, func, arg, i), func, arg, i)
        if a.ndim != 2:
            raise_error(func, "InvalidSequenceData",
                        f"Sequence {i} of '{arg}' must be a C-by-T array, got a "
                        f"{'×'.join(map(str, a.shape))} array.")
        if a.shape[1] == 0:
            raise_error(func, "EmptySequence", f"Sequence {i} of '{arg}' has no time steps.")
        out.append(a)
    return out, single


def numeric_array(x, func, arg, i=None):
    """``x`` as a numeric array (sequence ``i`` of argument ``arg``, or the argument
    itself); a GPU (CuPy) array stays on the device, checked by dtype only.

    >>> numeric_array([[1, 2]], "predict", "X").shape
    (1, 2)
    """
    if is_device_array(x):
        a = x
    else:
        try:
            a = np.asarray(x)
        except (TypeError, ValueError):
            a = None
    if a is None or a.dtype.kind not in "iuf":
        what = f"Sequence {i} of '{arg}'" if i else f"'{arg}'"
        raise_error(func, "InvalidSequenceData", f"{what} is not a numeric array "
                    f"({describe(x)}).", "type")
    return a


def check_features(seqs, size, func, layer_name, arg="X", min_length=1):
    """Every sequence must have ``size`` channels (the input layer's InputSize) and at
    least ``min_length`` time steps (its MinLength)."""
    for i, s in enumerate(seqs, start=1):
        if s.shape[0] != size:
            raise_error(func, "InvalidInputSize",
                        f"Layer '{layer_name}' expects sequences with {size} features "
                        f"(InputSize), but sequence {i} of '{arg}' has {s.shape[0]}.")
        if s.shape[1] < min_length:
            raise_error(func, "SequenceTooShort",
                        f"Layer '{layer_name}' has MinLength {min_length}, but sequence {i} "
                        f"of '{arg}' has {s.shape[1]} time step"
                        f"{'s' if s.shape[1] != 1 else ''}. Pad the sequence or lower "
                        f"MinLength.")


def check_finite(seqs, func, arg):
    device = [k for k, s in enumerate(seqs) if is_device_array(s)]
    bad = set()
    if device:      # one read for all GPU sequences
        xp = get_xp(seqs[device[0]])
        flags = to_host(xp.stack([xp.isfinite(seqs[k]).all() for k in device]))
        bad = {device[j] for j in np.flatnonzero(~flags)}
    for i, s in enumerate(seqs, start=1):
        if (i - 1 in bad) if is_device_array(s) else not np.isfinite(s).all():
            raise_error(func, "NonFiniteData",
                        f"Sequence {i} of '{arg}' contains NaN or Inf values.")


def padded_length(lengths, mode):
    """Time steps S of a mini-batch for SequenceLength ``mode`` (int L: multiple of L)."""
    if mode == "longest":
        return max(lengths)
    if mode == "shortest":
        return min(lengths)
    return -(-max(lengths) // mode) * mode


def pad(seqs, length, direction, value, dtype, xp=np):
    """Stack C-by-T_i sequences into a (length, B, C) array, padding or truncating.

    With GPU sequences and a GPU ``xp`` the batch is built on the device; with a GPU
    ``xp`` and host sequences it is built on the host (the caller uploads it once); with
    ``xp`` NumPy, GPU sequences are copied to the host first.
    """
    c = seqs[0].shape[0]
    if xp is np or not any(is_device_array(s) for s in seqs):
        xp = np
        seqs = [to_host(s) for s in seqs]
    else:
        seqs = [xp.asarray(s) for s in seqs]
    out = xp.full((length, len(seqs), c), value, dtype=dtype)
    for b, s in enumerate(seqs):
        t = min(s.shape[1], length)
        if direction == "right":
            out[:t, b, :] = s[:, :t].T
        else:
            out[length - t:, b, :] = s[:, s.shape[1] - t:].T
    return out


def unpad(Y, lengths, direction):
    """Split (S, B, K) outputs into K-by-T_i arrays, each trimmed to its own length."""
    s = Y.shape[0]
    out = []
    for b, t in enumerate(lengths):
        t = min(t, s)
        part = Y[:t, b, :] if direction == "right" else Y[s - t:, b, :]
        out.append(get_xp(Y).ascontiguousarray(part.T))
    return out


def mini_batches(n, size, keep_last):
    """Consecutive index blocks of ``size``; the incomplete last one only if keep_last."""
    stop = n if keep_last else (n // size) * size
    return [np.arange(i, min(i + size, n)) for i in range(0, stop, size)]
