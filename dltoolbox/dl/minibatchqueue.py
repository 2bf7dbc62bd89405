"""What sits around a custom training loop: ``arrayDatastore``/``combine`` (in-memory
datastores), ``minibatchqueue``, ``padsequences``, ``onehotencode``/``onehotdecode`` and a
text ``trainingProgressMonitor`` (reference part 2, §7.5-7.6)."""

import sys
import time

import numpy as np

from .._nameval import Option, options_table, parse_name_value
from .._validate import (
    check_logical,
    check_one_of,
    check_positive_integer,
    check_text,
    describe,
)
from ..backend import resolve_environment, to_host
from ..categorical import Categorical, categorical
from ..errors import DLToolboxError, as_called_from, raise_error
from ..network import outputs
from .dlarray import _as_data, dlarray


# -- in-memory datastores ---------------------------------------------------------------
class ArrayDatastore:
    """An in-memory datastore (MATLAB ``arrayDatastore``): one observation per element of
    a list (a cell array) or per slice along IterationDimension of an array."""

    def __init__(self, items):
        self._items = items

    def __len__(self):
        return len(self._items)

    def observation(self, i):
        return (self._items[i],)

    def columns(self, ids):
        """The observations ``ids`` (ints) as one list per output."""
        items = self._items
        return [[items[i] for i in ids]]

    @property
    def NumOutputs(self):  # noqa: N802 - MATLAB-like
        return 1


_ADS = options_table(Option("IterationDimension", 1, check_positive_integer()),
                     Option("OutputType", "cell", check_one_of("cell", "same")),
                     Option("ReadSize", 1, check_positive_integer()))


def arrayDatastore(A, *args, **kwargs):  # noqa: N802 - MATLAB name
    """Datastore over in-memory data (MATLAB ``arrayDatastore``): a list is read one
    element at a time; an array or categorical one slice along 'IterationDimension'.

    >>> len(arrayDatastore([np.zeros((3, 5)), np.zeros((3, 7))], OutputType="same"))
    2
    """
    opts = parse_name_value("arrayDatastore", args, kwargs, _ADS)
    if isinstance(A, Categorical):     # scalars sharing one category list
        items = [Categorical.trusted(A.codes[i:i + 1], A.categories, (1, 1), A.ordinal)
                 for i in range(len(A))]
    elif isinstance(A, (list, tuple)):
        items = list(A)
    else:
        a = np.asarray(A)
        d = opts["IterationDimension"] - 1
        if d >= a.ndim:
            raise_error("arrayDatastore", "InvalidIterationDimension",
                        f"IterationDimension {d + 1} exceeds the data's {a.ndim} dimensions.")
        items = [np.take(a, [i], axis=d) for i in range(a.shape[d])]
    return ArrayDatastore(items)


class CombinedDatastore(ArrayDatastore):
    """Datastores read side by side (MATLAB ``combine``)."""

    def __init__(self, stores):
        for k, store in enumerate(stores, start=1):
            if not isinstance(store, ArrayDatastore):
                raise_error("combine", "InvalidDatastore",
                            f"Argument {k} must be a datastore (arrayDatastore or combine), "
                            f"got {describe(store)}.", "type")
        n = {len(s) for s in stores}
        if len(n) != 1:
            raise_error("combine", "SizeMismatch",
                        f"The datastores have different numbers of observations: {sorted(n)}.")
        super().__init__(stores)

    def __len__(self):
        return len(self._items[0])

    def observation(self, i):
        return tuple(o for s in self._items for o in s.observation(i))

    def columns(self, ids):
        return [c for s in self._items for c in s.columns(ids)]

    @property
    def NumOutputs(self):  # noqa: N802
        return sum(s.NumOutputs for s in self._items)


def combine(*stores):
    """Combine datastores so that each read returns their observations side by side.

    >>> ds = combine(arrayDatastore([1, 2]), arrayDatastore(["a", "b"]))
    >>> ds.observation(1)
    (2, 'b')
    """
    return CombinedDatastore(stores)


# -- padsequences ---------------------------------------------------------------------
def _length(value, func, name):
    if isinstance(value, str) and value.lower() in ("longest", "shortest"):
        return value.lower()
    if isinstance(value, str):
        check_one_of("longest", "shortest")(value, func, name)
    return check_positive_integer()(value, func, name)


def _padding_value(value, func, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise_error(func, f"Invalid{name}", f"Invalid value for '{name}'. Expected a numeric "
                    f"scalar, got {describe(value)}.", "type")
    return value


_PAD = options_table(Option("PaddingValue", 0.0, _padding_value),
                     Option("Direction", "right", check_one_of("right", "left")),
                     Option("Length", "longest", _length),
                     Option("UniformOutput", True, check_logical))


def _sequence(x, k):
    """Sequence ``k`` of padsequences' X as a host array, its class kept."""
    if type(x) is np.ndarray and x.ndim and x.dtype.kind in "biuf":
        return x
    try:
        a = np.asarray(to_host(x._data if isinstance(x, dlarray) else x))
    except (TypeError, ValueError):
        a = None
    if a is None or a.dtype.kind not in "biuf" or a.ndim == 0:
        raise_error("padsequences", "InvalidInput",
                    f"Expected X{{{k}}} as a numeric or logical array, got {describe(x)}.",
                    "type")
    return a


def _same_channels(seqs):
    """True when every sequence is a C-by-T matrix of the first one's C and dtype."""
    first = seqs[0]
    c, dtype = first.shape[0], first.dtype
    for s in seqs:
        if s.ndim != 2 or s.shape[0] != c or s.dtype != dtype:
            return False
    return True


def padsequences(X, paddingDim, *args, nargout=1, **kwargs):
    """Pad a list of sequences to one length along ``paddingDim`` (1-based) and
    concatenate them along a new last dimension (MATLAB ``padsequences``); with nargout=2
    also the mask (true on data, false on padding).

    >>> P, M = padsequences([np.ones((2, 3)), np.ones((2, 1))], 2, nargout=2)
    >>> P.shape, M[0].astype(int).tolist()
    ((2, 3, 2), [[1, 1], [1, 0], [1, 0]])
    """
    func = "padsequences"
    opts = parse_name_value(func, args, kwargs, _PAD)
    if not isinstance(X, (list, tuple)):
        raise_error(func, "InvalidInput", f"Expected X as a cell array (list) of sequences, "
                    f"got {describe(X)}.", "type")
    seqs = [_sequence(x, k) for k, x in enumerate(X, start=1)]
    if not seqs:
        raise_error(func, "EmptyInput", "X must hold at least one sequence.")
    d = 1 if type(paddingDim) is int and paddingDim == 2 else \
        check_positive_integer()(paddingDim, func, "paddingDim") - 1
    lengths = [s.shape[d] if d < s.ndim else 1 for s in seqs]
    target = opts["Length"]
    n = max(lengths) if target == "longest" else min(lengths) if target == "shortest" \
        else target
    if d == 1 and opts["Direction"] == "right" and _same_channels(seqs):
        # C-by-T sequences of one class and channel count: the common case
        P = np.full((seqs[0].shape[0], n, len(seqs)), opts["PaddingValue"],
                    dtype=seqs[0].dtype)
        for k, s in enumerate(seqs):
            P[:, :s.shape[1], k] = s if s.shape[1] <= n else s[:, :n]
        if nargout < 2:
            return outputs([P], nargout, "padsequences")
        M = np.zeros(P.shape, dtype=bool)
        for k, s in enumerate(seqs):
            M[:, :s.shape[1], k] = True
        return outputs([P, M], nargout, "padsequences")
    nd = max(max(s.ndim for s in seqs), d + 1)
    out_shape = list(seqs[0].shape) + [1] * (nd - seqs[0].ndim)
    out_shape[d] = n
    dtype = np.result_type(*seqs)
    P = np.full(out_shape + [len(seqs)], opts["PaddingValue"], dtype=dtype)
    M = np.zeros(out_shape + [len(seqs)], dtype=bool)
    for k, s in enumerate(seqs):
        s = s.reshape(s.shape + (1,) * (nd - s.ndim))
        m = min(s.shape[d], n)
        src = [slice(None)] * nd
        src[d] = slice(0, m) if opts["Direction"] == "right" else slice(s.shape[d] - m, None)
        dst = [slice(None)] * nd
        dst[d] = slice(0, m) if opts["Direction"] == "right" else slice(n - m, n)
        if s.shape[:d] + s.shape[d + 1:] != tuple(out_shape[:d] + out_shape[d + 1:]):
            raise_error("padsequences", "SizeMismatch",
                        "The sequences must agree in every dimension but the padding one.")
        P[tuple(dst) + (k,)] = s[tuple(src)]
        M[tuple(dst) + (k,)] = True
    return outputs([P, M], nargout, "padsequences")


# -- one-hot --------------------------------------------------------------------------
_OH = options_table(Option("ClassNames", None), Option("DataType", "single",
                                                       check_one_of("single", "double")))


def onehotencode(A, featureDim, *args, **kwargs):
    """One-hot encode categorical labels (MATLAB ``onehotencode``): the classes run along
    ``featureDim`` (1-based), which must be a singleton dimension of A (a categorical is
    N-by-1 here).

    >>> onehotencode(categorical(["b", "a", "b"]), 2).tolist()
    [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    """
    opts = parse_name_value("onehotencode", args, kwargs, _OH)
    if not isinstance(A, Categorical):
        try:
            A = categorical(A)
        except DLToolboxError as err:
            raise as_called_from(err, "onehotencode") from None
    classes = A.categories if opts["ClassNames"] is None else \
        _class_names(opts["ClassNames"], "onehotencode", "ClassNames")
    if classes is A.categories:
        idx = A.codes                   # the codes index the categories, in order
    else:
        lookup = {c: i for i, c in enumerate(classes)}
        try:
            idx = np.array([lookup[A.categories[c]] for c in A.codes], dtype=np.int64)
        except KeyError as err:
            raise_error("onehotencode", "UnknownClass",
                        f"The label {err.args[0]!r} is not one of ClassNames.")
    shape = list(A.shape)
    d = featureDim - 1 if type(featureDim) is int and featureDim >= 1 else \
        check_positive_integer()(featureDim, "onehotencode", "featureDim") - 1
    shape += [1] * (d + 1 - len(shape))
    if shape[d] != 1:
        raise_error("onehotencode", "InvalidFeatureDim",
                    f"featureDim {d + 1} must be a singleton dimension of the labels (size "
                    f"{'×'.join(map(str, shape))}).")
    eye = np.eye(len(classes), dtype=np.float32 if opts["DataType"] == "single"
                 else np.float64)
    out = eye[idx]                                  # numel-by-K
    others = shape[:d] + shape[d + 1:]
    if len(others) == 1:                            # labels in a row or a column
        return out.T if d == 0 else out
    out = out.reshape(others + [len(classes)], order="F")
    return np.moveaxis(out, -1, d)


def onehotdecode(B, classes, featureDim):
    """Labels of the largest entries along ``featureDim`` (MATLAB ``onehotdecode``), as a
    categorical over ``classes``.

    >>> onehotdecode(np.array([[0.1, 0.7], [0.9, 0.3]]), ["x", "y"], 1).tolist()
    ['y', 'x']
    """
    func = "onehotdecode"
    data = np.asarray(to_host(_as_data(B, func, "B")))
    classes = _class_names(classes, func, "classes")
    d = check_positive_integer()(featureDim, func, "featureDim") - 1
    if data.size == 0:
        raise_error(func, "EmptyInput", "B is empty: there are no scores to decode.")
    if d >= data.ndim and len(classes) != 1 or d < data.ndim and \
            data.shape[d] != len(classes):
        raise_error("onehotdecode", "SizeMismatch",
                    f"Dimension {d + 1} has {data.shape[d] if d < data.ndim else 1} entries "
                    f"but there are {len(classes)} classes.")
    if d >= data.ndim:
        data = data.reshape(data.shape + (1,) * (d + 1 - data.ndim))
    idx = np.argmax(data, axis=d).reshape(-1, order="F")
    return categorical([classes[i] for i in idx], classes)


def _class_names(value, func, name):
    """Class names: a categorical's categories, or a list/array of text (or numbers)."""
    if isinstance(value, Categorical):
        return list(value.categories)
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) and all(
            isinstance(c, (str, np.str_, int, np.integer)) and not isinstance(c, bool)
            for c in np.asarray(value, dtype=object).reshape(-1)):
        return list(np.asarray(value, dtype=object).reshape(-1))
    raise_error(func, f"Invalid{name[0].upper()}{name[1:]}",
                f"Expected '{name}' as a non-empty list of class names (text) or a "
                f"categorical, got {describe(value)}.", "type")


# -- minibatchqueue ------------------------------------------------------------------
_MBQ = options_table(
    Option("MiniBatchSize", 128, check_positive_integer()),
    Option("MiniBatchFcn", "collate"),
    Option("MiniBatchFormat", None),
    Option("PartialMiniBatch", "return", check_one_of("return", "discard")),
    Option("OutputAsDlarray", None),
    Option("OutputCast", None),
    Option("OutputEnvironment", None),
    Option("PreprocessingEnvironment", "serial", check_one_of("serial")),
)


def _per_output(value, n, default, func, name):
    if value is None:
        return [default] * n
    if isinstance(value, (str, bool, int, float)) or value is None:
        return [value] * n
    value = list(value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise_error(func, f"Invalid{name}", f"'{name}' needs one value per output ({n}), got "
                    f"{len(value)}.")
    return value


def labels_row(labels):
    """One 1-by-N categorical from a list of scalar categoricals (MATLAB ``cat(2,
    YCell{:})``), the layout ``onehotencode(T, 1)`` takes.

    >>> labels_row([categorical(["b"], ["a", "b"]), categorical(["a"], ["a", "b"])]).shape
    (1, 2)
    """
    if not isinstance(labels, (list, tuple)) or not labels or \
            not isinstance(labels[0], Categorical):
        raise_error("labels_row", "InvalidLabels",
                    f"Expected a non-empty list of categorical labels, got "
                    f"{describe(labels)}.", "type")
    first = labels[0]
    cats, same = first.categories, True
    for x in labels:
        if not isinstance(x, Categorical):
            raise_error("labels_row", "InvalidLabels",
                        f"Expected a non-empty list of categorical labels, got "
                        f"{describe(labels)}.", "type")
        if x.categories is not cats and x.categories != cats:
            same = False
    if same:   # the usual case (one datastore): the codes as they are
        codes = np.concatenate([x.codes for x in labels])
        return Categorical.trusted(codes, cats, (1, codes.size), first.ordinal)
    c = categorical([x.tolist()[0] for x in labels], first.categories)
    return Categorical(c.codes, c.categories, (1, len(labels)), c.ordinal)


def _collate(*columns):
    out = []
    for col in columns:
        if isinstance(col[0], Categorical):
            out.append(labels_row(col))
            continue
        a = [np.asarray(c) for c in col]
        nd = max(x.ndim for x in a)
        out.append(np.stack([x.reshape(x.shape + (1,) * (nd - x.ndim)) for x in a], axis=nd))
    return tuple(out)


class minibatchqueue:  # noqa: N801 - MATLAB name
    """Mini-batches of a datastore for custom training loops (MATLAB ``minibatchqueue``).

    ``mbq = minibatchqueue(ds, numOutputs, MiniBatchSize=..., MiniBatchFcn=f,
    MiniBatchFormat=["CTB", ""])``; ``while hasdata(mbq): X, T = next(mbq)``;
    ``shuffle(mbq)``, ``reset(mbq)``. ``ds`` is a datastore (``arrayDatastore``,
    ``combine``) or a list of observations. MiniBatchFcn gets one list per datastore output
    (the observations of the mini-batch) and returns the outputs; the default 'collate'
    stacks them along a new last dimension. Outputs are cast (OutputCast 'single'), made
    dlarrays with MiniBatchFormat (OutputAsDlarray) and moved by OutputEnvironment.

    >>> ds = arrayDatastore([np.ones((2, 3)) * i for i in range(5)], OutputType="same")
    >>> mbq = minibatchqueue(ds, MiniBatchSize=2, MiniBatchFormat="CTB")
    >>> X = next(mbq)
    >>> dims(X), X.size(), hasdata(mbq)
    ('CBT', (2, 2, 3), True)
    """

    def __init__(self, ds, *args, **kwargs):
        num = None
        if args and not isinstance(args[0], str):
            num, args = args[0], args[1:]
        opts = parse_name_value("minibatchqueue", args, kwargs, _MBQ)
        if isinstance(ds, (list, tuple)):
            ds = ArrayDatastore(list(ds))
        if not isinstance(ds, ArrayDatastore):
            raise_error("minibatchqueue", "InvalidDatastore",
                        f"Expected a datastore (arrayDatastore, combine) or a list of "
                        f"observations, got {describe(ds)}.", "type")
        n = ds.NumOutputs if num is None else check_positive_integer()(
            num, "minibatchqueue", "numOutputs")
        fcn = opts["MiniBatchFcn"]
        if fcn != "collate" and not callable(fcn):
            raise_error("minibatchqueue", "InvalidMiniBatchFcn",
                        "'MiniBatchFcn' must be a function or 'collate'.", "type")
        self._ds = ds
        self.NumOutputs = n
        self.MiniBatchSize = opts["MiniBatchSize"]
        self.PartialMiniBatch = opts["PartialMiniBatch"]
        self.MiniBatchFcn = fcn
        self.MiniBatchFormat = _per_output(opts["MiniBatchFormat"], n, "", "minibatchqueue",
                                           "MiniBatchFormat")
        self.OutputAsDlarray = [bool(v) for v in _per_output(
            opts["OutputAsDlarray"], n, True, "minibatchqueue", "OutputAsDlarray")]
        self.OutputCast = _per_output(opts["OutputCast"], n, "single", "minibatchqueue",
                                      "OutputCast")
        self.OutputEnvironment = _per_output(opts["OutputEnvironment"], n, "auto",
                                             "minibatchqueue", "OutputEnvironment")
        self._xps = [resolve_environment(e, "minibatchqueue")[0]
                     for e in self.OutputEnvironment]
        self._order = np.arange(len(ds))
        self._pos = 0

    def __repr__(self):
        def cell(values):
            return "{" + " ".join(f"'{v}'" for v in values) + "}"
        fcn = self.MiniBatchFcn if isinstance(self.MiniBatchFcn, str) else \
            getattr(self.MiniBatchFcn, "__name__", "function")
        flags = " ".join(str(int(v)) for v in self.OutputAsDlarray)
        outs = "output" if self.NumOutputs == 1 else "outputs"
        return (f"minibatchqueue with {self.NumOutputs} {outs} and properties:\n\n"
                f"   Mini-batch creation:\n"
                f"               MiniBatchSize: {self.MiniBatchSize}\n"
                f"            PartialMiniBatch: '{self.PartialMiniBatch}'\n"
                f"                MiniBatchFcn: '{fcn}'\n"
                f"    PreprocessingEnvironment: 'serial'\n\n"
                f"   Outputs:\n"
                f"                  OutputCast: {cell(self.OutputCast)}\n"
                f"             OutputAsDlarray: {flags}\n"
                f"             MiniBatchFormat: {cell(self.MiniBatchFormat)}\n"
                f"           OutputEnvironment: {cell(self.OutputEnvironment)}\n")

    def _remaining(self):
        return len(self._order) - self._pos

    def hasdata(self):
        left = self._remaining()
        return left >= self.MiniBatchSize or (left > 0 and self.PartialMiniBatch == "return")

    def reset(self):
        self._pos = 0

    def shuffle(self):
        from ..initializers import generator  # noqa: PLC0415 - the package's rng

        self._order = generator().permutation(len(self._ds))
        self._pos = 0

    def __next__(self):
        if not self.hasdata():
            raise_error("minibatchqueue", "EndOfData",
                        "Unable to provide a mini-batch because end of data reached. Use "
                        "reset or shuffle to continue generating mini-batches from the data "
                        "set.")
        ids = self._order[self._pos:self._pos + self.MiniBatchSize].tolist()
        self._pos += len(ids)
        columns = self._ds.columns(ids)
        fcn = _collate if self.MiniBatchFcn == "collate" else self.MiniBatchFcn
        out = fcn(*columns)
        out = out if isinstance(out, tuple) else (out,)
        if len(out) < self.NumOutputs:
            raise_error("minibatchqueue", "TooFewOutputs",
                        f"MiniBatchFcn returned {len(out)} outputs; the queue has "
                        f"{self.NumOutputs}.")
        result = [self._finish(k, out[k]) for k in range(self.NumOutputs)]
        return result[0] if self.NumOutputs == 1 else tuple(result)

    def _finish(self, k, value):
        if isinstance(value, Categorical):
            return value
        a = np.asarray(value)
        cast = self.OutputCast[k]
        if cast in ("single", "double") and a.dtype.kind in "fiub":
            a = a.astype(np.float32 if cast == "single" else np.float64, copy=False)
        a = self._xps[k].asarray(a)
        if not self.OutputAsDlarray[k]:
            return a
        fmt = self.MiniBatchFormat[k]
        return dlarray(a, fmt) if fmt else dlarray(a)


def _queue(mbq, func):
    if not isinstance(mbq, minibatchqueue):
        raise_error(func, "InvalidQueue",
                    f"Expected a minibatchqueue, got {describe(mbq)}.", "type")
    return mbq


def hasdata(mbq):
    """True while the queue can give another mini-batch.

    >>> hasdata(minibatchqueue(arrayDatastore([np.ones(2)]), MiniBatchSize=1))
    True
    """
    return _queue(mbq, "hasdata").hasdata()


def reset(mbq):
    """Back to the start of the data (order kept).

    >>> q = minibatchqueue(arrayDatastore([np.ones(2)]), MiniBatchSize=1)
    >>> _ = next(q); hasdata(reset(q))
    True
    """
    _queue(mbq, "reset").reset()
    return mbq


def shuffle(mbq):
    """Reset the queue and shuffle its observations (the package generator, ``rng``).

    >>> q = minibatchqueue(arrayDatastore([np.ones(2), np.zeros(2)]), MiniBatchSize=2)
    >>> X = next(shuffle(q)); X.size()
    (2, 2)
    """
    _queue(mbq, "shuffle").shuffle()
    return mbq


# -- trainingProgressMonitor ----------------------------------------------------------
def _names(value, func, name):
    """A string array of names: one text, or a list/tuple of texts."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise_error(func, f"Invalid{name}", f"Invalid value for '{name}'. Expected text or a "
                f"list of texts, got {describe(value)}.", "type")


class trainingProgressMonitor:  # noqa: N801 - MATLAB name
    """Training progress of a custom loop (MATLAB ``trainingProgressMonitor``), in text:
    ``recordMetrics`` stores values (and prints a line every ``PrintFrequency`` steps when
    Visible), ``updateInfo`` stores information values; ``Progress``, ``Status`` and
    ``Stop`` (never set by a button here) are plain properties. No plots yet.

    >>> m = trainingProgressMonitor(Metrics=["TrainingLoss"], Info=["Epoch"], Visible=False)
    >>> m.recordMetrics(1, TrainingLoss=0.5); m.updateInfo(Epoch=1)
    >>> m.MetricData["TrainingLoss"], m.InfoData["Epoch"], m.Stop
    ([(1, 0.5)], 1, False)
    """

    def __init__(self, Metrics=(), Info=(), XLabel="Iteration", Visible=True,
                 PrintFrequency=50, stream=None):
        func = "trainingProgressMonitor"
        self.Metrics = _names(Metrics, func, "Metrics")
        self.Info = _names(Info, func, "Info")
        self.XLabel = check_text(XLabel, func, "XLabel")
        self.Visible = check_logical(Visible, func, "Visible")
        self.Status = "Running"
        self.Progress = 0
        self.Stop = False
        self.MetricData = {m: [] for m in self.Metrics}
        self.InfoData = {i: None for i in self.Info}
        self.PrintFrequency = check_positive_integer()(PrintFrequency, func, "PrintFrequency")
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise_error(func, "InvalidStream", f"Expected a stream with a write method, got "
                        f"{describe(stream)}.", "type")
        self._stream = stream
        self._start = time.perf_counter()

    def recordMetrics(self, step, **values):  # noqa: N802 - MATLAB name
        for name, v in values.items():
            if name not in self.MetricData:
                raise_error("recordMetrics", "UnknownMetric",
                            f"'{name}' is not one of the monitor's Metrics "
                            f"({', '.join(self.Metrics)}).")
            self.MetricData[name].append((step, float(v)))
        if self.Visible and (step == 1 or step % self.PrintFrequency == 0):
            info = "  ".join(f"{k} {v}" for k, v in self.InfoData.items() if v is not None)
            mets = "  ".join(f"{k} {float(v):.5g}" for k, v in values.items())
            elapsed = time.perf_counter() - self._start
            print(f"{self.XLabel} {step}  {mets}  {info}  ({elapsed:.1f} s)".rstrip(),
                  file=self._stream or sys.stdout)

    def updateInfo(self, **values):  # noqa: N802 - MATLAB name
        for name, v in values.items():
            if name not in self.InfoData:
                raise_error("updateInfo", "UnknownInfo",
                            f"'{name}' is not one of the monitor's Info fields "
                            f"({', '.join(self.Info)}).")
            self.InfoData[name] = v


__all__ = ["labels_row", "arrayDatastore", "combine", "padsequences", "onehotencode",
           "onehotdecode", "minibatchqueue", "hasdata", "reset", "shuffle",
           "trainingProgressMonitor"]
