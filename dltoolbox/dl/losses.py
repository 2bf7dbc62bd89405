"""Loss functions on dlarrays (reference part 2, §7.3): each returns an unformatted scalar
dlarray, traced through the dlarray operations it is made of.

Normalization ('NormalizationFactor'): "batch-size" divides the total by the number of
observations N (the size of the "B" dimension, 1 without one; sequences are summed over
time first), "all-elements" by the number of elements (for crossentropy without the
channel dimension), "mask-included" by the number of true mask elements (for
crossentropy: of the mask over one channel), "none" not at all. Defaults: "batch-size"
for crossentropy, l1loss, l2loss, huber (UNCONFIRMED for the last three); ``mse`` is half
the sum of squares over N (verified: the page's 5.2061). log(0) is guarded by clipping
the predictions at eps('single') as the classification layer does (UNCONFIRMED).
"""

import numpy as np

from .._nameval import Option, options_table, parse_name_value
from .._validate import check_one_of, check_scalar
from ..backend import get_xp
from ..errors import raise_error
from ..layers.classification import EPS_SINGLE
from . import tape as _tape
from .dlarray import _as_data, dlarray, reduce_sum

_NORMS = ("batch-size", "all-elements", "mask-included", "none")


def _format_option(value, func, name):
    if not isinstance(value, str):
        raise_error(func, "InvalidDataFormat", "Expected 'DataFormat' as text such as 'CB'.",
                    "type")
    return value.upper()


def _common(*extra):
    return options_table(Option("DataFormat", "", _format_option),
                         Option("Mask", None), Option("Weights", None),
                         Option("WeightsFormat", ""),
                         Option("NormalizationFactor", "batch-size", check_one_of(*_NORMS)),
                         *extra)


_CE = _common(Option("TargetCategories", "exclusive", check_one_of("exclusive", "independent")),
              Option("ClassificationMode", "single-label",
                     check_one_of("single-label", "multilabel")))
_REG = _common()
_HUBER = _common(Option("TransitionPoint", 1.0, check_scalar(0, lo_open=True)))


def _inputs(Y, T, opts, func, targets=True):
    """(Y dlarray with a format, T data aligned to it, format); without ``targets`` T
    is not read."""
    fmt = opts["DataFormat"]
    if not isinstance(Y, dlarray):
        Y = dlarray._wrap(_as_data(Y, func, "Y"), "")
    if Y._fmt:
        if fmt:
            raise_error(func, "DataFormatOfFormatted",
                        f"'DataFormat' is only for unformatted input; the predictions are "
                        f"formatted ('{Y._fmt}').")
        fmt = Y._fmt
    elif fmt:
        Y = dlarray(Y, fmt)
        fmt = Y._fmt
    else:
        raise_error(func, "UnformattedInput",
                    "The predictions are an unformatted dlarray: give 'DataFormat' (for "
                    "example 'CB') or use a formatted dlarray.")
    if not targets:
        return Y, None, fmt
    if isinstance(T, dlarray) and T._fmt:
        if T._fmt != fmt:
            raise_error(func, "FormatMismatch",
                        f"The targets have format '{T._fmt}' but the predictions '{fmt}'.")
        t = T._data
    else:
        t = _as_data(T, func, "T")
        if opts["DataFormat"] and not (isinstance(T, dlarray) and T._fmt):
            t = dlarray(t, opts["DataFormat"])._data
    t = get_xp(Y._data).asarray(t)
    if t.shape != Y._data.shape:
        raise_error(func, "SizeMismatch",
                    f"The targets ({'×'.join(map(str, t.shape))}) and predictions "
                    f"({'×'.join(map(str, Y._data.shape))}, format '{fmt}') must have the "
                    f"same size.")
    return Y, t.astype(Y.dtype, copy=False), fmt


def _observations(Y, fmt):
    return int(np.prod([Y._data.shape[i] for i, c in enumerate(fmt) if c == "B"]))


def _mask(opts, Y, func):
    m = opts["Mask"]
    if m is None:
        return None
    m = get_xp(Y._data).asarray(_as_data(m, func, "Mask"))
    try:
        np.broadcast_shapes(m.shape + (1,) * (Y._data.ndim - m.ndim), Y._data.shape)
    except ValueError:
        raise_error(func, "SizeMismatch",
                    f"The mask ({'×'.join(map(str, m.shape))}) must have the predictions' "
                    f"size ({'×'.join(map(str, Y._data.shape))}) or be expandable to it.")
    return m.reshape(m.shape + (1,) * (Y._data.ndim - m.ndim)).astype(Y.dtype)


def _weights(opts, Y, fmt, func):
    w = opts["Weights"]
    if w is None:
        return None
    w = get_xp(Y._data).asarray(_as_data(w, func, "Weights")).astype(Y.dtype)
    c = fmt.find("C")
    if w.ndim <= 1 or (w.ndim == 2 and 1 in w.shape):
        w = w.reshape(-1)
        if c >= 0 and w.size == Y._data.shape[c]:
            shape = [1] * Y._data.ndim
            shape[c] = w.size
            return w.reshape(shape)
    if w.shape != Y._data.shape:
        raise_error(func, "SizeMismatch", "The weights must have one value per class or the "
                    "predictions' size.")
    return w


def _count(Y, fmt, opts, mask, per_channel):
    """What 'NormalizationFactor' divides the summed loss by (1 for 'none')."""
    norm = opts["NormalizationFactor"]
    if norm == "none":
        return 1
    if norm == "batch-size":
        n = _observations(Y, fmt)
    elif norm == "all-elements":
        n = Y.numel()
        if per_channel and "C" in fmt:
            n //= Y._data.shape[fmt.index("C")]
    else:
        if mask is None:
            n = Y.numel()
        else:
            n = float(get_xp(mask).broadcast_to(mask, Y._data.shape).sum())
        if per_channel and "C" in fmt:
            n /= Y._data.shape[fmt.index("C")]
    return max(n, 1)


def _normalize(total, Y, fmt, opts, mask, per_channel):
    n = _count(Y, fmt, opts, mask, per_channel)
    return total if opts["NormalizationFactor"] == "none" else total / n


def _weighted_total(terms, Y, fmt, opts, func, per_channel):
    """The loss's terms times 'Weights' and 'Mask', summed and normalized: a scalar."""
    w = _weights(opts, Y, fmt, func)
    if w is not None:
        terms = terms * w
    mask = _mask(opts, Y, func)
    if mask is not None:
        terms = terms * mask
    return _scalar(_normalize(reduce_sum(terms, "all"), Y, fmt, opts, mask, per_channel))


def _scalar(x):
    return dlarray._wrap(x._data.reshape(()), "", x._node)


def crossentropy(Y, T, *args, **kwargs):
    """Cross-entropy loss (MATLAB ``crossentropy``) of predicted probabilities Y (e.g. the
    output of ``softmax``) and targets T of the same size: single-label (the default)
    -sum(T .* log(Y)); 'TargetCategories' 'independent' or 'ClassificationMode'
    'multilabel': -sum(T log Y + (1-T) log(1-Y)); divided by the batch size (see the
    module notes). 'Mask', 'Weights' (one per class), 'NormalizationFactor', 'DataFormat'.

    >>> Y = dlarray(np.array([[0.5, 0.25], [0.5, 0.75]]), "CB")
    >>> round(float(crossentropy(Y, np.array([[1.0, 0.0], [0.0, 1.0]]))), 4)
    0.4904
    """
    return _crossentropy_call("crossentropy", Y, T, args, kwargs)


def _crossentropy_call(func, Y, T, args, kwargs, multilabel=False):
    opts = parse_name_value(func, args, kwargs, _CE)
    Y, t, fmt = _inputs(Y, T, opts, func)
    multi = multilabel or opts["TargetCategories"] == "independent" or \
        opts["ClassificationMode"] == "multilabel"
    return _crossentropy(Y, t, fmt, opts, multi, func)


def _crossentropy(Y, t, fmt, opts, multi, func):
    """The cross-entropy of the formatted Y and targets t (Y's size and order)."""
    if not multi and opts["Weights"] is None and opts["Mask"] is None:
        return _exclusive(Y, t, _count(Y, fmt, opts, None, True))
    Yc = np.maximum(Y, EPS_SINGLE)
    if multi:
        Yc1 = np.maximum(1.0 - Y, EPS_SINGLE)
        terms = -(t * np.log(Yc) + (1.0 - t) * np.log(Yc1))
    else:
        terms = -(t * np.log(Yc))
    return _weighted_total(terms, Y, fmt, opts, func, not multi)


def _exclusive(Y, t, n):
    """-sum(t log max(Y, eps)) / n, the common case of a custom loop's loss, as one node:
    the operations of the general path above in its order (so the same bits), without its
    five nodes' bookkeeping."""
    y = Y._data
    xp = get_xp(y)
    yc = xp.maximum(y, EPS_SINGLE)
    total = -(t * xp.log(yc))
    total = total.sum(axis=tuple(range(total.ndim)), keepdims=True) / n

    def backward(g):
        d = -(g / n) * t
        d /= yc
        return (d * (y >= EPS_SINGLE),)

    return dlarray._wrap(total.reshape(()), "", _tape.record((Y._node,), backward))


def _single_label(value, func, name):
    if isinstance(value, str) and value.lower() == "single-label":
        return "single-label"
    raise_error(func, f"Invalid{name}",
                f"Invalid value for '{name}'. Expected 'single-label' (one class index per "
                f"observation cannot mark several classes; use crossentropy with "
                f"'multilabel'), got {value!r}.", "value" if isinstance(value, str) else "type")


_ICE = _common(Option("ClassificationMode", "single-label", _single_label))


def _index_targets(Y, T, fmt, opts, func):
    """The 1-based class indices T as a 0-based integer array of Y's size with a
    channel dimension of 1 (Y's stored order)."""
    c = fmt.index("C")
    shape = Y._data.shape
    want = shape[:c] + (1,) + shape[c + 1:]
    no_c = fmt.replace("C", "")
    if isinstance(T, dlarray) and T._fmt:
        if T._fmt not in (fmt, no_c):
            raise_error(func, "FormatMismatch",
                        f"The targets have format '{T._fmt}' but the predictions '{fmt}': "
                        f"give the targets Y's labels with or without 'C'.")
        t = T._data
    else:
        t = T._data if isinstance(T, dlarray) else T
        try:
            t = np.asarray(t.get() if type(t).__module__.startswith("cupy") else t)
        except (TypeError, ValueError):
            t = np.asarray(None)
        if opts["DataFormat"] and t.ndim in (len(opts["DataFormat"]),
                                             len(opts["DataFormat"]) - 1) \
                and t.dtype.kind in "iufb":
            raw = opts["DataFormat"]
            t = dlarray(t.astype(np.float64), raw if t.ndim == len(raw)
                        else raw.replace("C", ""))._data
    t = t.get() if type(t).__module__.startswith("cupy") else np.asarray(t)
    if t.dtype.kind not in "iufb":
        raise_error(func, "InvalidTargets",
                    f"Expected the targets as integer class indices, got an array of "
                    f"{t.dtype}.", "type")
    no_c_shape = shape[:c] + shape[c + 1:]
    if t.shape not in (want, no_c_shape) and (
            t.size != int(np.prod(want)) or
            t.squeeze().shape != tuple(n for n in want if n != 1)):
        raise_error(func, "SizeMismatch",
                    f"The targets ({'×'.join(map(str, t.shape))}) must have the predictions' "
                    f"size ({'×'.join(map(str, shape))}, format '{fmt}') without the "
                    f"channel dimension, or with a channel dimension of 1.")
    k = shape[c]
    t = t.astype(np.float64).reshape(want)
    if not np.all((t == np.round(t)) & (t >= 1) & (t <= k)):
        bad = t[~((t == np.round(t)) & (t >= 1) & (t <= k))].ravel()[0]
        raise_error(func, "InvalidTargets",
                    f"The targets must be integer class indices from 1 to {k} (the size of "
                    f"the channel dimension), got {bad:g}.")
    return t.astype(np.int64) - 1


def indexcrossentropy(Y, T, *args, **kwargs):
    """Cross-entropy with class-index targets (MATLAB ``indexcrossentropy``, R2024b):
    -sum(log Y(T(i), i)) over the observations (and time steps) i, the same value as
    ``crossentropy(Y, onehotencode(T))``; predicted probabilities Y (e.g. ``softmax``
    output) with K channels, and T integer class indices 1..K, of Y's size without the
    "C" dimension (or with a "C" dimension of 1), numeric or a dlarray labelled like Y
    without "C". ``indexcrossentropy(Y, T, weights)`` (or 'Weights') weights class k by
    weights(k); 'Mask' (the targets' size, or Y's) drops elements; 'NormalizationFactor'
    "batch-size" (default), "all-elements" (the number of targets), "mask-included",
    "none"; 'DataFormat' labels unformatted Y (and numeric T in the same order, with or
    without the C letter's dimension); 'ClassificationMode' 'single-label' only.
    UNCONFIRMED (the reference does not cover the page): these options and defaults are
    crossentropy's; out-of-range indices are an error even where the mask is false.

    >>> Y = dlarray(np.array([[0.5, 0.25], [0.5, 0.75]]), "CB")
    >>> round(float(indexcrossentropy(Y, [1, 2])), 4)
    0.4904
    """
    weights = ()
    if args and not isinstance(args[0], str):
        weights, args = (args[0],), args[1:]
    opts = parse_name_value("indexcrossentropy", args, kwargs, _ICE)
    if weights:
        if opts["Weights"] is not None:
            raise_error("indexcrossentropy", "DuplicateWeights",
                        "Give the class weights once: as the third argument or as 'Weights'.")
        opts = {**opts, "Weights": weights[0]}
    Y, _, fmt = _inputs(Y, None, opts, "indexcrossentropy", targets=False)
    if "C" not in fmt:
        raise_error("indexcrossentropy", "InvalidDataFormat",
                    f"The predictions need a channel ('C') dimension, got format '{fmt}'.")
    idx = _index_targets(Y, T, fmt, opts, "indexcrossentropy")
    m = opts["Mask"]
    if m is not None and np.ndim(m) == idx.ndim - 1 and not isinstance(m, dlarray):
        m = np.asarray(m.get() if type(m).__module__.startswith("cupy") else m)
        if m.size == idx.size:      # a mask of the targets' size without C
            opts = {**opts, "Mask": m.reshape(idx.shape)}
    xp = get_xp(Y._data)
    c = fmt.index("C")
    k = Y._data.shape[c]
    classes = np.arange(k).reshape([k if i == c else 1 for i in range(Y._data.ndim)])
    onehot = xp.asarray(idx == classes, dtype=Y.dtype)
    return _crossentropy(Y, onehot, fmt, opts, False, "indexcrossentropy")


def binarycrossentropy(Y, T, *args, **kwargs):
    """Binary cross-entropy: ``crossentropy`` with 'ClassificationMode' 'multilabel'
    (trainnet's "binary-crossentropy"; the standalone function name is UNCONFIRMED).

    >>> round(float(binarycrossentropy(dlarray(np.array([[0.8]]), "CB"), [[1.0]])), 4)
    0.2231
    """
    return _crossentropy_call("binarycrossentropy", Y, T, args, kwargs, multilabel=True)


def _regression(func, table, Y, T, args, kwargs, per_element):
    opts = parse_name_value(func, args, kwargs, table)
    Y, t, fmt = _inputs(Y, T, opts, func)
    return _weighted_total(per_element(Y - t, opts), Y, fmt, opts, func, False)


def l2loss(Y, T, *args, **kwargs):
    """L2 loss (MATLAB ``l2loss``): sum of squared differences (no 1/2), over the batch
    size by default (UNCONFIRMED).

    >>> float(l2loss(dlarray(np.array([[1.0, 3.0]]), "CB"), [[0.0, 0.0]]))
    5.0
    """
    return _regression("l2loss", _REG, Y, T, args, kwargs, lambda r, o: r * r)


def l1loss(Y, T, *args, **kwargs):
    """L1 loss (MATLAB ``l1loss``): sum of absolute differences over the batch size.

    >>> float(l1loss(dlarray(np.array([[1.0, -3.0]]), "CB"), [[0.0, 0.0]]))
    2.0
    """
    return _regression("l1loss", _REG, Y, T, args, kwargs, lambda r, o: abs(r))


def huber(Y, T, *args, **kwargs):
    """Huber loss (MATLAB ``huber``): r^2/2 where |r| <= delta, else delta(|r| - delta/2)
    ('TransitionPoint' delta = 1), over the batch size.

    >>> float(huber(dlarray(np.array([[0.5, 3.0]]), "CB"), [[0.0, 0.0]]))
    1.3125
    """
    def per_element(r, o):
        d = o["TransitionPoint"]
        a = abs(r)
        return _select(a._data <= d, 0.5 * r * r, d * (a - 0.5 * d))

    return _regression("huber", _HUBER, Y, T, args, kwargs, per_element)


def _select(cond, a, b):
    """cond ? a : b elementwise, traced (cond is constant)."""
    c = cond.astype(a.dtype)
    return a * c + b * (1 - c)


_MSE = options_table(Option("DataFormat", "", _format_option))


def mse(X, T, *args, **kwargs):
    """Half mean squared error (MATLAB ``mse``): sum((X - T).^2) / (2N), N the number of
    observations (the "B" dimension; 1 without one).

    >>> X = dlarray(np.full((2, 3), 2.0), "CB")
    >>> float(mse(X, np.zeros((2, 3))))
    4.0
    """
    opts = parse_name_value("mse", args, kwargs, _MSE)
    opts = {**opts, "Mask": None, "Weights": None, "NormalizationFactor": "batch-size"}
    Y, t, fmt = _inputs(X, T, opts, "mse")
    r = Y - t
    return _scalar(reduce_sum(r * r, "all") / (2 * _observations(Y, fmt)))


__all__ = ["crossentropy", "indexcrossentropy", "binarycrossentropy", "l2loss", "l1loss",
           "huber", "mse"]
