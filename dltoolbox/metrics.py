"""Losses and metrics of trainnet and testnet (reference r2 §3.3, §2.3, §5.3).

Arrays are in the internal layout: (T, B, K) for sequences, (B, K) without time; targets
are one-hot for classification. A loss returns (value, dL/dY); every built-in loss is
divided by the number of non-channel elements of the output (N, or N·T for sequences),
except the element-wise regression losses, divided by all elements — the reading of the
spec (its normalisations are UNCONFIRMED). trainnet's "mse" has no ½ (legacy
regressionLayer has one).
"""

import numpy as np

from ._display import property_block
from ._nameval import Option, options_table, parse_name_value
from ._validate import check_one_of, check_scalar, describe
from .backend import get_xp, host_scalars
from .errors import raise_error

EPS_SINGLE = float(np.finfo(np.float32).eps)


def _positions(Y):
    """Number of non-channel elements (observations x time steps)."""
    return int(np.prod(Y.shape[:-1]))


def _value(total, m, sign=1.0):
    """A loss value ``sign * total / m``: a float on the host; on the GPU a device scalar,
    read by the training engine in its one transfer per iteration (loop.py)."""
    if get_xp(total) is np:
        return sign * float(total) / m
    return total.astype(np.float64) * (sign / m)


def crossentropy(Y, T):
    xp = get_xp(Y)
    m = _positions(Y)
    Yc = xp.maximum(Y, EPS_SINGLE)
    return _value((T * xp.log(Yc)).sum(), m, -1.0), -T / Yc / m


def binary_crossentropy(Y, T):
    xp = get_xp(Y)
    m = Y.size
    Yc = xp.clip(Y, EPS_SINGLE, 1 - EPS_SINGLE)
    loss = _value((T * xp.log(Yc) + (1 - T) * xp.log(1 - Yc)).sum(), m, -1.0)
    return loss, (-(T / Yc) + (1 - T) / (1 - Yc)) / m


def mean_squared_error(Y, T):
    d = Y - T
    return _value((d * d).sum(), Y.size), 2 * d / Y.size


def mean_absolute_error(Y, T):
    xp = get_xp(Y)
    d = Y - T
    return _value(xp.abs(d).sum(), Y.size), xp.sign(d) / Y.size


def huber(Y, T, delta=1.0):
    xp = get_xp(Y)
    d = Y - T
    a = xp.abs(d)
    small = a <= delta
    loss = xp.where(small, 0.5 * d * d, delta * (a - 0.5 * delta))
    grad = xp.where(small, d, delta * xp.sign(d))
    return _value(loss.sum(), Y.size), grad / Y.size


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
            return host_scalars(value)[0], xp.asarray(grad, dtype=Y.dtype).reshape(Y.shape)
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


def _decisions(Y, T, mode, threshold):
    """(predicted, true) 0/1 matrices, one column per class: the top class per row
    ("single-label") or every output at or above ``threshold`` ("multilabel")."""
    if mode == "multilabel":
        return (_rows(Y) >= threshold).astype(int), (_rows(T) > 0.5).astype(int)
    p, t, k = _labels(Y, T)
    return np.eye(k, dtype=int)[p], np.eye(k, dtype=int)[t]


def accuracy(Y, T, mode="single-label", threshold=0.5):
    """Percent of positions whose top class is the target's (reference r2 §4.3); with
    ``mode="multilabel"`` the percent of outputs whose thresholded decision is right."""
    if mode == "multilabel":
        p, t = _decisions(Y, T, mode, threshold)
        return 100.0 * float((p == t).mean())
    p, t, _ = _labels(Y, T)
    return 100.0 * float((p == t).mean())


def _counts(Y, T, mode, threshold):
    p, t = _decisions(Y, T, mode, threshold)
    tp = ((p == 1) & (t == 1)).sum(axis=0).astype(float)
    fp = ((p == 1) & (t == 0)).sum(axis=0).astype(float)
    fn = ((p == 0) & (t == 1)).sum(axis=0).astype(float)
    return tp, fp, fn


def _average(num, den, average):
    """micro: pooled counts; macro: the mean of the per-class ratios (classes whose
    ratio is 0/0 left out)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if average == "micro":
            return float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")
        return float(np.nanmean(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)))


def precision(Y, T, average="micro", mode="single-label", threshold=0.5):
    """Precision TP / (TP + FP), a fraction; ``average`` "micro" (pooled counts, MATLAB's
    default AverageType) or "macro" (mean over classes)."""
    tp, fp, _ = _counts(Y, T, mode, threshold)
    return _average(tp, tp + fp, average)


def recall(Y, T, average="micro", mode="single-label", threshold=0.5):
    """Recall TP / (TP + FN), a fraction; ``average`` as :func:`precision`."""
    tp, _, fn = _counts(Y, T, mode, threshold)
    return _average(tp, tp + fn, average)


def fscore(Y, T, average="micro", beta=1.0, mode="single-label", threshold=0.5):
    """F-beta score (1 + b^2) TP / ((1 + b^2) TP + b^2 FN + FP), a fraction; ``average``
    as :func:`precision`."""
    tp, fp, fn = _counts(Y, T, mode, threshold)
    b2 = beta * beta
    return _average((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, average)


def _auc_binary(score, positive):
    """Area under the ROC curve: the Mann-Whitney statistic (ties count one half)."""
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    for v in np.unique(score):                       # average ranks of ties
        tie = score == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return (ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def auc(Y, T, average="macro"):
    """One-vs-rest area under the ROC curve: "macro" the mean over classes, "micro" one
    curve of every (score, target) pair of every class."""
    y, t = _rows(Y), _rows(T)
    if y.shape[1] == 1:
        y, t = np.hstack([1 - y, y]), np.hstack([1 - t, t])
    if average == "micro":
        return float(_auc_binary(y.ravel(), t.ravel() > 0.5))
    values = [_auc_binary(y[:, c], t[:, c] > 0.5) for c in range(y.shape[1])]
    return float(np.nanmean(values)) if not np.isnan(values).all() else float("nan")


def rmse(Y, T):
    d = _rows(Y) - _rows(T)
    return float(np.sqrt(np.mean(d * d)))


def mape(Y, T):
    """Mean absolute percentage error, percent."""
    t = _rows(T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * float(np.mean(np.abs((_rows(Y) - t) / t)))


def rsquared(Y, T):
    """Coefficient of determination 1 - SS_res / SS_tot, SS_tot about each response's
    mean (sums pooled over the responses; UNCONFIRMED for several responses)."""
    y, t = _rows(Y), _rows(T)
    res = ((y - t) ** 2).sum()
    tot = ((t - t.mean(axis=0)) ** 2).sum()
    return float(1.0 - res / tot) if tot > 0 else float("nan")


# -- metric objects (reference r2 §2.3) ---------------------------------------------------
def _check_name(value, func, name):
    if isinstance(value, str) and value.strip():
        return value
    raise_error(func, f"Invalid{name}", f"Invalid value for '{name}'. Expected a nonempty "
                f"text, got {describe(value)}.", "type")


def _check_network_output(value, func, name):
    if value is None or (isinstance(value, (list, tuple)) and not value):
        return None
    if isinstance(value, str) and value:
        return value
    raise_error(func, f"Invalid{name}", f"Invalid value for '{name}'. Expected [] (the "
                f"network's only output) or the name of an output layer, got "
                f"{describe(value)}.", "type")


class Metric:
    """Base of the metric objects (MATLAB's ``deep.Metric``): ``Name`` (the table's
    column is ``Training<Name>`` / ``Validation<Name>``), ``NetworkOutput``,
    ``Maximize`` (read-only: higher is better) and ``compute(Y, T)`` on the internal
    layout (rows of scores or responses, one-hot targets)."""

    _func = ""
    _options = {}
    Maximize = True
    target_kind = "classification"

    def __init__(self, *args, **kwargs):
        values = parse_name_value(self._func, args, kwargs, self._options)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        opt = self._options.get(name.lower())
        if opt is None or opt.name != name:
            raise_error(self._func, "UnknownProperty",
                        f"'{name}' is not a settable property of {self._func} (properties: "
                        f"{', '.join(o.name for o in self._options.values())}).")
        object.__setattr__(self, name, opt.check(value, self._func, name))

    def __repr__(self):
        rows = [(o.name, _Text(getattr(self, o.name))
                 if isinstance(getattr(self, o.name), str) else getattr(self, o.name))
                for o in self._options.values()]
        rows.append(("Maximize", bool(self.Maximize)))
        return property_block(self._func, [(None, rows)], footer=False)

    def compute(self, Y, T):
        raise NotImplementedError


class _Text:
    """A string property shown in double quotes (MATLAB string)."""

    def __init__(self, text):
        self.text = text

    def matlab_summary(self):
        return f'"{self.text}"'


_MODE = Option("ClassificationMode", "single-label", check_one_of("single-label", "multilabel"))
_THRESHOLD = Option("Threshold", 0.5, check_scalar(0, 1))
_AVERAGE = Option("AverageType", "micro", check_one_of("micro", "macro"))


def _output(default_name):
    return (Option("Name", default_name, _check_name),
            Option("NetworkOutput", None, _check_network_output))


class accuracyMetric(Metric):  # noqa: N801 - MATLAB name
    """Accuracy metric (MATLAB ``accuracyMetric``), in percent.

    >>> import numpy as np
    >>> m = accuracyMetric(Name="Acc")
    >>> m.Name, m.compute(np.array([[0.9, 0.1], [0.3, 0.7]]), np.eye(2)[[0, 0]])
    ('Acc', 50.0)
    """

    _func = "accuracyMetric"
    _options = options_table(*_output("Accuracy"), _MODE, _THRESHOLD)

    def compute(self, Y, T):
        return accuracy(Y, T, self.ClassificationMode, self.Threshold)


class precisionMetric(Metric):  # noqa: N801 - MATLAB name
    """Precision metric (MATLAB ``precisionMetric``), a fraction; AverageType "micro"
    (default) or "macro".

    >>> import numpy as np
    >>> Y, T = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), np.eye(2)[[0, 1, 1]]
    >>> precisionMetric(AverageType="macro").compute(Y, T)
    0.75
    """

    _func = "precisionMetric"
    _options = options_table(*_output("Precision"), _AVERAGE, _MODE, _THRESHOLD)

    def compute(self, Y, T):
        return precision(Y, T, self.AverageType, self.ClassificationMode, self.Threshold)


class recallMetric(Metric):  # noqa: N801 - MATLAB name
    """Recall metric (MATLAB ``recallMetric``), a fraction; AverageType as
    precisionMetric.

    >>> import numpy as np
    >>> Y, T = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), np.eye(2)[[0, 1, 1]]
    >>> recallMetric(AverageType="macro").compute(Y, T)
    0.75
    """

    _func = "recallMetric"
    _options = options_table(*_output("Recall"), _AVERAGE, _MODE, _THRESHOLD)

    def compute(self, Y, T):
        return recall(Y, T, self.AverageType, self.ClassificationMode, self.Threshold)


class fScoreMetric(Metric):  # noqa: N801 - MATLAB name
    """F-score metric (MATLAB ``fScoreMetric``), a fraction; ``Beta`` (1) weighs recall
    against precision, AverageType as precisionMetric.

    >>> import numpy as np
    >>> Y, T = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]), np.eye(2)[[0, 1, 1]]
    >>> round(fScoreMetric(AverageType="macro").compute(Y, T), 4)
    0.6667
    """

    _func = "fScoreMetric"
    _options = options_table(*_output("FScore"), Option("Beta", 1.0, check_scalar(
        0, lo_open=True)), _AVERAGE, _MODE, _THRESHOLD)

    def compute(self, Y, T):
        return fscore(Y, T, self.AverageType, self.Beta, self.ClassificationMode,
                      self.Threshold)


class aucMetric(Metric):  # noqa: N801 - MATLAB name
    """Area under the ROC curve (MATLAB ``aucMetric``), one-vs-rest; AverageType
    "micro" (default: one curve over all classes' pairs) or "macro" (mean over classes).

    >>> import numpy as np
    >>> aucMetric().compute(np.array([[0.9, 0.1], [0.2, 0.8]]), np.eye(2))
    1.0
    """

    _func = "aucMetric"
    _options = options_table(*_output("AUC"), _AVERAGE)

    def compute(self, Y, T):
        return auc(Y, T, self.AverageType)


class rmseMetric(Metric):  # noqa: N801 - MATLAB name
    """Root mean squared error (MATLAB ``rmseMetric``).

    >>> import numpy as np
    >>> rmseMetric().compute(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))
    2.23606797749979
    """

    _func = "rmseMetric"
    _options = options_table(*_output("RMSE"))
    Maximize = False
    target_kind = "regression"

    def compute(self, Y, T):
        return rmse(Y, T)


class mapeMetric(Metric):  # noqa: N801 - MATLAB name
    """Mean absolute percentage error, percent (MATLAB ``mapeMetric``).

    >>> import numpy as np
    >>> round(mapeMetric().compute(np.array([[1.1], [1.8]]), np.array([[1.0], [2.0]])), 10)
    10.0
    """

    _func = "mapeMetric"
    _options = options_table(*_output("MAPE"))
    Maximize = False
    target_kind = "regression"

    def compute(self, Y, T):
        return mape(Y, T)


class rSquaredMetric(Metric):  # noqa: N801 - MATLAB name
    """Coefficient of determination R² (MATLAB ``rSquaredMetric``).

    >>> import numpy as np
    >>> Y, T = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [4.0]])
    >>> round(rSquaredMetric().compute(Y, T), 6)      # 1 - 1 / (42 / 9)
    0.785714
    """

    _func = "rSquaredMetric"
    _options = options_table(*_output("RSquared"))
    target_kind = "regression"

    def compute(self, Y, T):
        return rsquared(Y, T)


# a name in Metrics / testnet means the metric object with its defaults
METRIC_OBJECTS = {"accuracy": accuracyMetric, "auc": aucMetric, "fscore": fScoreMetric,
                  "precision": precisionMetric, "recall": recallMetric, "rmse": rmseMetric,
                  "mape": mapeMetric, "rsquared": rSquaredMetric}
# name -> (column name, higher is better)
METRICS = {k: (cls._options["name"].default, cls.Maximize) for k, cls in METRIC_OBJECTS.items()}


def metric_kind(m):
    """"classification" or "regression": the targets a metric (name, object) compares."""
    if isinstance(m, str):
        return METRIC_OBJECTS[m.lower()].target_kind if m.lower() in METRIC_OBJECTS \
            else None
    return getattr(m, "target_kind", None)


def _scalar_metric(value, name, func):
    """A metric handle's value as a float; anything else is a named error."""
    try:
        return float(np.asarray(value, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise_error(func, "InvalidMetricOutput",
                    f"The metric function '{name}' must return a real scalar, got "
                    f"{type(value).__name__}.", "type")


def metric_table(metrics, func, output_names=None):
    """[(column name, function, higher is better)] for the Metrics option's values: names
    (the metric objects with their defaults), metric objects, function handles."""
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            key = m.lower()
            if key not in METRIC_OBJECTS:
                raise_error(func, "UnknownMetric",
                            f"Unknown metric '{m}'. Use one of {', '.join(METRIC_OBJECTS)}, "
                            f"a metric object (accuracyMetric, ...) or a function handle.")
            m = METRIC_OBJECTS[key]()
        if isinstance(m, Metric):
            if m.NetworkOutput is not None and output_names is not None and \
                    m.NetworkOutput not in output_names:
                raise_error(func, "InvalidNetworkOutput",
                            f"The metric '{m.Name}' reads NetworkOutput '{m.NetworkOutput}', "
                            f"which is not an output of the network (outputs: "
                            f"{', '.join(output_names)}).")
            out.append((m.Name, m.compute, bool(m.Maximize)))
        elif callable(m):
            name = getattr(m, "__name__", "metric")
            out.append((name if name != "<lambda>" else "Metric",
                        lambda Y, T, m=m, name=name: _scalar_metric(
                            m(np.asarray(Y), np.asarray(T)), name, func),
                        bool(getattr(m, "higher_is_better", False))))
        else:
            raise_error(func, "InvalidMetrics", f"Metrics must be names, metric objects or "
                        f"function handles, got {type(m).__name__}.", "type")
    names = [o[0] for o in out]
    for name in names:
        if names.count(name) > 1:
            raise_error(func, "DuplicateMetricName",
                        f"Two metrics are named '{name}'; their table columns would clash. "
                        f"Give one another Name (e.g. fScoreMetric(Name=\"MacroFScore\")).")
    return out


__all__ = ["LOSSES", "METRICS", "METRIC_OBJECTS", "loss_function", "metric_table",
           "metric_kind", "crossentropy", "binary_crossentropy", "mean_squared_error",
           "mean_absolute_error", "huber", "accuracy", "precision", "recall", "fscore", "auc",
           "rmse", "mape", "rsquared", "Metric", "accuracyMetric", "aucMetric", "fScoreMetric",
           "precisionMetric", "recallMetric", "rmseMetric", "mapeMetric", "rSquaredMetric"]
