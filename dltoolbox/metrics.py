"""Losses and metrics of trainnet and testnet (reference r2 §3.3, §2.3, §5.3).

Arrays are in the internal layout: (T, B, K) for sequences, (B, K) without time; targets
are one-hot for classification. A loss returns (value, dL/dY); every built-in loss is
divided by the number of non-channel elements of the output (N, or N·T for sequences),
except the element-wise regression losses, divided by all elements — the reading of the
spec (its normalisations are UNCONFIRMED). trainnet's "mse" has no ½ (legacy
regressionLayer has one).
"""

import numpy as np

from .backend import get_xp
from .errors import raise_error

EPS_SINGLE = float(np.finfo(np.float32).eps)


def _positions(Y):
    """Number of non-channel elements (observations x time steps)."""
    return int(np.prod(Y.shape[:-1]))


def crossentropy(Y, T):
    xp = get_xp(Y)
    m = _positions(Y)
    Yc = xp.maximum(Y, EPS_SINGLE)
    return -float((T * xp.log(Yc)).sum()) / m, -T / Yc / m


def binary_crossentropy(Y, T):
    xp = get_xp(Y)
    m = Y.size
    Yc = xp.clip(Y, EPS_SINGLE, 1 - EPS_SINGLE)
    loss = -float((T * xp.log(Yc) + (1 - T) * xp.log(1 - Yc)).sum()) / m
    return loss, (-(T / Yc) + (1 - T) / (1 - Yc)) / m


def mean_squared_error(Y, T):
    d = Y - T
    return float((d * d).sum()) / Y.size, 2 * d / Y.size


def mean_absolute_error(Y, T):
    xp = get_xp(Y)
    d = Y - T
    return float(xp.abs(d).sum()) / Y.size, xp.sign(d) / Y.size


def huber(Y, T, delta=1.0):
    xp = get_xp(Y)
    d = Y - T
    a = xp.abs(d)
    small = a <= delta
    loss = xp.where(small, 0.5 * d * d, delta * (a - 0.5 * delta))
    grad = xp.where(small, d, delta * xp.sign(d))
    return float(loss.sum()) / Y.size, grad / Y.size


# name -> (function, target kind)
LOSSES = {
    "crossentropy": (crossentropy, "classification"),
    "index-crossentropy": (crossentropy, "index"),
    "binary-crossentropy": (binary_crossentropy, "regression"),
    "mse": (mean_squared_error, "regression"),
    "mean-squared-error": (mean_squared_error, "regression"),
    "l2loss": (mean_squared_error, "regression"),
    "mae": (mean_absolute_error, "regression"),
    "mean-absolute-error": (mean_absolute_error, "regression"),
    "l1loss": (mean_absolute_error, "regression"),
    "huber": (huber, "regression"),
}


def loss_function(loss, func):
    """(function (Y, T) -> (loss, dL/dY), target kind, name) for a loss name or handle.

    A function handle either returns only the loss, computed from formatted dlarrays as
    in MATLAB (then differentiated with dlfeval/dlgradient), or gets plain arrays in the
    internal layout and returns ``(loss, dLdY)``; its first call decides which.

    >>> loss_function("MSE", "trainnet")[1:]
    ('regression', 'mse')
    """
    if isinstance(loss, str):
        key = loss.lower()
        if key not in LOSSES:
            raise_error(func, "UnknownLoss",
                        f"Unknown lossFcn '{loss}'. Use one of {', '.join(LOSSES)} or a "
                        f"function handle.")
        fn, kind = LOSSES[key]
        return fn, kind, key
    if callable(loss):
        mode = []       # decided at the first call: "explicit" or "autodiff"

        def handle(Y, T):
            if not mode:
                try:
                    out = loss(Y, T)
                except Exception:  # noqa: BLE001 - e.g. needs formatted dlarrays
                    out = None
                mode.append("explicit" if isinstance(out, tuple) and len(out) == 2
                            else "autodiff")
            if mode[0] == "autodiff":
                return _differentiated(loss, Y, T, func)
            out = loss(Y, T)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise_error(func, "InvalidLossOutput",
                            f"The lossFcn handle returned (loss, dLdY) at its first call "
                            f"but {type(out).__name__} now.")
            value, grad = out
            xp = get_xp(Y)
            return float(value), xp.asarray(grad, dtype=Y.dtype).reshape(Y.shape)
        kind = getattr(loss, "target_kind", "regression")
        return handle, kind, getattr(loss, "__name__", "function")
    raise_error(func, "InvalidLoss", f"lossFcn must be a loss name or a function handle, "
                f"got {type(loss).__name__}.", "type")


def _differentiated(loss, Y, T, func):
    """(loss, dL/dY) of a handle that returns only the loss, as MATLAB's trainnet calls it:
    on formatted dlarrays ("CB" or "CBT": the internal (B, K) / (T, B, K) layouts read as
    "BC" / "TBC"), differentiated with dlfeval and dlgradient."""
    from .dl import dlarray, dlfeval, dlgradient, extractdata  # noqa: PLC0415 - dl is above

    fmt = "BC" if Y.ndim == 2 else "TBC"

    def evaluate(y):
        value = loss(y, dlarray(T, fmt))
        if not isinstance(value, dlarray) or value.numel() != 1:
            raise_error(func, "InvalidLossOutput",
                        f"A lossFcn function handle must return a scalar dlarray (computed "
                        f"from its inputs, which are formatted dlarrays), or a tuple "
                        f"(loss, dLdY) of arrays; it returned {type(value).__name__}"
                        f"{'' if not hasattr(value, 'shape') else ' of size ' + str(value.shape)}.")
        return value, dlgradient(value, y)

    value, grad = dlfeval(evaluate, dlarray(Y, fmt))
    g = extractdata(grad)             # "CB" (K, B) or "CBT" (K, B, T)
    g = g.T if g.ndim == 2 else g.transpose(2, 1, 0)
    xp = get_xp(Y)
    return extractdata(value).reshape(()), xp.ascontiguousarray(xp.asarray(g, dtype=Y.dtype))


# -- metrics ----------------------------------------------------------------------------
def _rows(A):
    A = np.asarray(A, dtype=np.float64)
    return A.reshape(-1, A.shape[-1])


def _labels(Y, T):
    y, t = _rows(Y), _rows(T)
    if y.shape[1] == 1:                  # one sigmoid output: threshold 0.5
        return (y[:, 0] > 0.5).astype(int), (t[:, 0] > 0.5).astype(int), 2
    return y.argmax(axis=1), t.argmax(axis=1), y.shape[1]


def accuracy(Y, T):
    """Percent of positions whose top class is the target's (reference r2 §4.3)."""
    p, t, _ = _labels(Y, T)
    return 100.0 * float((p == t).mean())


def _per_class(Y, T):
    p, t, k = _labels(Y, T)
    tp = np.array([np.sum((p == c) & (t == c)) for c in range(k)], dtype=float)
    fp = np.array([np.sum((p == c) & (t != c)) for c in range(k)], dtype=float)
    fn = np.array([np.sum((p != c) & (t == c)) for c in range(k)], dtype=float)
    return tp, fp, fn


def precision(Y, T):
    """Macro-averaged precision, a fraction (averaging UNCONFIRMED)."""
    tp, fp, _ = _per_class(Y, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmean(np.where(tp + fp > 0, tp / (tp + fp), np.nan)))


def recall(Y, T):
    """Macro-averaged recall, a fraction (averaging UNCONFIRMED)."""
    tp, _, fn = _per_class(Y, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmean(np.where(tp + fn > 0, tp / (tp + fn), np.nan)))


def fscore(Y, T):
    """Macro-averaged F1 score, a fraction (averaging UNCONFIRMED)."""
    tp, fp, fn = _per_class(Y, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmean(np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn),
                                         np.nan)))


def auc(Y, T):
    """Macro one-vs-rest area under the ROC curve (Mann-Whitney statistic)."""
    y, t = _rows(Y), _rows(T)
    if y.shape[1] == 1:
        y, t = np.hstack([1 - y, y]), np.hstack([1 - t, t])
    values = []
    for c in range(y.shape[1]):
        pos = t[:, c] > 0.5
        n1, n0 = int(pos.sum()), int((~pos).sum())
        if n1 == 0 or n0 == 0:
            continue
        order = np.argsort(y[:, c], kind="mergesort")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(1, len(order) + 1)
        values.append((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
    return float(np.mean(values)) if values else float("nan")


def rmse(Y, T):
    d = _rows(Y) - _rows(T)
    return float(np.sqrt(np.mean(d * d)))


def mape(Y, T):
    """Mean absolute percentage error, percent."""
    t = _rows(T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * float(np.mean(np.abs((_rows(Y) - t) / t)))


METRICS = {"accuracy": ("Accuracy", accuracy, True), "auc": ("AUC", auc, True),
           "fscore": ("FScore", fscore, True), "precision": ("Precision", precision, True),
           "recall": ("Recall", recall, True), "rmse": ("RMSE", rmse, False),
           "mape": ("MAPE", mape, False)}


def _scalar_metric(value, name, func):
    """A metric handle's value as a float; anything else is a named error."""
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise_error(func, "InvalidMetricOutput",
                    f"The metric function '{name}' must return a real scalar, got "
                    f"{type(value).__name__}.", "type")


def metric_table(metrics, func):
    """[(column name, function, higher is better)] for the Metrics option's values."""
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            key = m.lower()
            if key not in METRICS:
                raise_error(func, "UnknownMetric",
                            f"Unknown metric '{m}'. Use one of {', '.join(METRICS)} or a "
                            f"function handle.")
            out.append(METRICS[key])
        elif callable(m):
            name = getattr(m, "__name__", "metric")
            out.append((name if name != "<lambda>" else "Metric",
                        lambda Y, T, m=m, name=name: _scalar_metric(
                            m(np.asarray(Y), np.asarray(T)), name, func),
                        bool(getattr(m, "higher_is_better", False))))
        else:
            raise_error(func, "InvalidMetrics", f"Metrics must be names or function "
                        f"handles, got {type(m).__name__}.", "type")
    return out


__all__ = ["LOSSES", "METRICS", "loss_function", "metric_table", "crossentropy",
           "binary_crossentropy", "mean_squared_error", "mean_absolute_error", "huber",
           "accuracy", "precision", "recall", "fscore", "auc", "rmse", "mape"]
