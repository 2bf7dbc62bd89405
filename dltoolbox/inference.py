"""minibatchpredict, scores2label and testnet (reference r2 §5.1-§5.3) and the reading
of sequence data in the current layout, shared with trainnet.

Sequences are time by channel by default: a list of T_i-by-C arrays, one T-by-C array, or
a T-by-C-by-N array. ``InputDataFormats`` declares another layout ("CTB": a list of
C-by-T arrays or a C-by-T-by-N array). Outputs come back time by channel too: N-by-K for
sequence-to-label networks, a list of T_i-by-K arrays (``UniformOutput=False``) or a
padded T-by-K-by-N array (``UniformOutput=True``) for sequence-to-sequence ones.
"""

import numpy as np

from . import metrics as metricmod
from . import sequences as seqmod
from ._nameval import Option, options_table, parse_name_value
from ._validate import check_logical, check_one_of, check_positive_integer, describe
from .backend import get_xp, is_device_array, resolve_environment, to_host
from .categorical import Categorical, categorical
from .dlnetwork import dlnetwork
from .errors import DLToolboxError, as_called_from, raise_error
from .training.options import _check_formats

_OPTIONS = options_table(
    Option("MiniBatchSize", 128, check_positive_integer()),
    Option("InputDataFormats", "auto", _check_formats),
    Option("OutputDataFormats", "auto", _check_formats),
    Option("UniformOutput", True, check_logical),
    Option("ExecutionEnvironment", "auto", check_one_of("auto", "cpu", "gpu")),
    Option("Acceleration", "auto", check_one_of("auto", "none")),
    Option("Outputs", None, None),
    *seqmod.SEQUENCE_OPTIONS,
)


# -- reading sequences ------------------------------------------------------------------
def read_sequences(X, fmt, channels, func, arg="X"):
    """(list of C-by-T float arrays, single) from data in the current layout.

    >>> s, single = read_sequences([np.zeros((5, 3)), np.zeros((7, 3))], "auto", 3, "f")
    >>> [a.shape for a in s], single
    ([(3, 5), (3, 7)], False)
    """
    fmt = fmt or "auto"
    if isinstance(X, (list, tuple)):
        elem = "TC" if fmt == "auto" else fmt.replace("B", "")
        if sorted(elem) != ["C", "T"]:
            raise_error(func, "InvalidInputDataFormats",
                        f"For a list of sequences InputDataFormats must name C, T and B "
                        f"(\"TCB\", \"CTB\"), got '{fmt}'.")
        out = []
        for i, x in enumerate(X, start=1):
            a = seqmod.numeric_array(x, func, arg, i)
            if a.ndim == 1:
                a = a.reshape(-1, 1) if channels == 1 else a.reshape(1, -1)
            if a.ndim != 2:
                raise_error(func, "InvalidSequenceData",
                            f"Sequence {i} of '{arg}' must be a 2-D {elem[0]}-by-{elem[1]} "
                            f"array, got {describe(a)}.")
            if elem == "TC":
                if fmt == "auto" and a.shape[1] != channels and a.shape[0] == channels:
                    _layout_error(func, arg, a.shape, channels, "CTB", i)
                a = a.T
            out.append(a)
        if not out:
            raise_error(func, "EmptySequenceData", f"'{arg}' holds no sequences.")
        return out, False
    a = seqmod.numeric_array(X, func, arg)
    if fmt == "auto":
        if a.ndim == 1:
            a = a.reshape(1, -1) if a.size == channels else a.reshape(-1, 1)
        fmt = {2: "TC", 3: "TCB"}.get(a.ndim)
        if fmt is None:
            raise_error(func, "InvalidSequenceData",
                        f"'{arg}' must be T-by-C, T-by-C-by-N or a list of T-by-C arrays, "
                        f"got a {'×'.join(map(str, a.shape))} array.")
        if a.shape[1] != channels and a.shape[0] == channels:
            _layout_error(func, arg, a.shape, channels, "CT" if a.ndim == 2 else "CTB")
    if a.ndim != len(fmt):
        raise_error(func, "InvalidInputDataFormats",
                    f"InputDataFormats '{fmt}' has {len(fmt)} letters but '{arg}' has "
                    f"{a.ndim} dimensions.")
    letters = fmt
    single = "B" not in letters
    for d in "TB":
        if d not in letters:
            a, letters = a[..., None], letters + d
    a = a.transpose([letters.index(d) for d in "BCT"])
    xp = get_xp(a)
    return [xp.ascontiguousarray(a[n]) for n in range(a.shape[0])], single


def _layout_error(func, arg, shape, channels, fmt, i=None):
    which = f"Sequence {i} of '{arg}'" if i else f"'{arg}'"
    raise_error(func, "InvalidDataLayout",
                f"{which} is {'×'.join(map(str, shape))} but the network has {channels} "
                f"input channels: the data looks channel-by-time. Sequences are "
                f"time-by-channel (T-by-C) by default; transpose them or pass "
                f"InputDataFormats=\"{fmt}\".")


# -- batched prediction -------------------------------------------------------------------
def predict_batches(graph, seqs, opts, func):
    """Run ``graph`` (prediction mode) on C-by-T sequences in mini-batches, on the device
    of ``opts["ExecutionEnvironment"]`` ("auto": the GPU when there is one).

    Returns (outputs, time output?): a list of (T_i, K) arrays trimmed to each sequence's
    own length, or an (N, K) array. GPU (CuPy) sequences give GPU outputs (MATLAB:
    gpuArray in, gpuArray out), host sequences host outputs.
    """
    layer = graph.layers[graph.inputs[0]]
    seqmod.check_features(seqs, layer.InputSize, func, layer.Name,
                          min_length=layer.MinLength)
    xp, _ = resolve_environment(opts.get("ExecutionEnvironment", "auto"), func)
    device_in = next((q for q in seqs if is_device_array(q)), None)
    out_xp = np if device_in is None else get_xp(device_in)

    def result(a):
        return to_host(a) if out_xp is np else out_xp.asarray(a)

    mode, direction = opts["SequenceLength"], opts["SequencePaddingDirection"]
    time_out = graph.keeps_time()
    results = []
    for idx in seqmod.mini_batches(len(seqs), opts["MiniBatchSize"], keep_last=True):
        batch = [seqs[i] for i in idx]
        lengths = [s.shape[1] for s in batch]
        s = seqmod.padded_length(lengths, mode)
        Xb = xp.asarray(seqmod.pad(batch, s, direction, opts["SequencePaddingValue"],
                                   np.float32, xp))
        step = s if isinstance(mode, str) else mode
        states, parts = None, []
        for start in range(0, s, step):
            try:
                ys, _, states = graph.forward([Xb[start:start + step]], False, states)
            except DLToolboxError as err:
                if err.identifier.endswith(":IncorrectNetworkState"):
                    raise as_called_from(err, func) from None
                raise
            parts.append(ys[0])
        if time_out:
            Y = result(xp.concatenate(parts, axis=0) if len(parts) > 1 else parts[0])
            if mode == "shortest":
                lengths = [s] * len(lengths)
            if Y.shape[0] != s:
                lengths = [_output_length(graph, t) for t in lengths]
            results.extend(a.T for a in seqmod.unpad(Y, lengths, direction))
        else:
            results.append(result(parts[-1]))
    return (results if time_out else out_xp.concatenate(results, axis=0)), time_out


def _output_length(graph, t):
    """Time steps of the first output for ``t`` steps in, through the graph (a layer
    with several inputs gets their lengths as a list)."""
    lengths = {}
    for i in graph.order:
        src = graph.sources[i]
        t_in = t if src is None else lengths[src[0]] if len(src) == 1 else \
            [lengths[k] for k in src]
        lengths[i] = graph.layers[i].output_length(t_in)
    return lengths[graph.outputs[0]]


def _check_dlnetwork(net, func):
    if not isinstance(net, dlnetwork):
        raise_error(func, "InvalidNetwork",
                    f"The first argument must be a dlnetwork (trainnet returns one), got "
                    f"{describe(net)}. For a SeriesNetwork use predict or classify.", "type")
    if not net.Initialized:
        raise_error(func, "UninitializedNetwork",
                    "The network is not initialized; call net = initialize(net) first.")
    if len(net._graph.inputs) != 1 or len(net._graph.outputs) != 1:
        raise_error(func, "NotSupported",
                    f"{func} supports networks with one input and one output so far.")


def _predict_all(net, X, args, kwargs, func):
    """Check, parse the options, read X and predict: (outputs, time output?, options,
    C-by-T sequences)."""
    _check_dlnetwork(net, func)
    opts = parse_name_value(func, args, kwargs, _OPTIONS)
    graph = net._graph
    if opts["Outputs"] is not None:
        if not isinstance(opts["Outputs"], str) and len(opts["Outputs"]) != 1:
            raise_error(func, "NotSupported", "Outputs takes one layer name so far.")
        graph = graph.with_outputs(opts["Outputs"], func)
    layer = graph.layers[graph.inputs[0]]
    seqs, _ = read_sequences(X, opts["InputDataFormats"], layer.InputSize, func)
    out, time_out = predict_batches(graph, seqs, opts, func)
    return out, time_out, opts, seqs


def minibatchpredict(net, X, *args, **kwargs):
    """Predict in mini-batches (MATLAB ``minibatchpredict``).

    X: a list of T_i-by-C sequences, a T-by-C-by-N array, or another layout named by
    ``InputDataFormats``. Returns N-by-K scores for sequence-to-label networks; for
    sequence-to-sequence ones a padded T-by-K-by-N array (``UniformOutput=True``, the
    default; padding as SequencePaddingDirection) or a list of T_i-by-K arrays
    (``UniformOutput=False``). Options: MiniBatchSize (128), SequenceLength,
    SequencePaddingValue, SequencePaddingDirection, InputDataFormats, UniformOutput,
    Outputs (one layer name: that layer's activations, what ``activations`` gave).

    >>> import numpy as np
    >>> from dltoolbox import dlnetwork, sequenceInputLayer, lstmLayer, fullyConnectedLayer
    >>> net = dlnetwork([sequenceInputLayer(3), lstmLayer(4, OutputMode='last'),
    ...                  fullyConnectedLayer(2)])
    >>> minibatchpredict(net, [np.zeros((5, 3)), np.ones((7, 3))], MiniBatchSize=1).shape
    (2, 2)
    """
    out, time_out, opts, _ = _predict_all(net, X, args, kwargs, "minibatchpredict")
    if not time_out:
        return out
    if not opts["UniformOutput"]:
        return out
    t = max(o.shape[0] for o in out)
    full = get_xp(out[0]).full((t, out[0].shape[1], len(out)), opts["SequencePaddingValue"],
                               dtype=out[0].dtype)
    for n, o in enumerate(out):
        if opts["SequencePaddingDirection"] == "right":
            full[:o.shape[0], :, n] = o
        else:
            full[t - o.shape[0]:, :, n] = o
    return full


def scores2label(scores, classNames, dim=None, *, nargout=1):  # noqa: N803 - MATLAB name
    """Labels of the highest scores (MATLAB ``scores2label``); with ``nargout=2`` also the
    top scores (the score of the chosen label, not the score matrix).

    ``dim`` is the class dimension, by default the last one whose size is the number of
    classes (2 for N-by-K scores; UNCONFIRMED); ties go to the first maximum.

    >>> import numpy as np
    >>> labels, top = scores2label(np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]),
    ...                            ["a", "b", "c"], nargout=2)
    >>> labels.tolist(), top.ravel().tolist()
    (['b', 'a'], [0.7, 0.5])
    """
    func = "scores2label"
    if isinstance(classNames, Categorical):
        names = list(classNames.categories) if len(classNames) == len(
            classNames.categories) else [str(v) for v in classNames.tolist()]
    elif isinstance(classNames, str):
        names = [classNames]
    else:
        try:
            names = [str(v) for v in np.asarray(classNames, dtype=object).ravel()]
        except TypeError:
            names = None
    if not names or len(set(names)) != len(names):
        raise_error(func, "InvalidClassNames",
                    f"classNames must be unique class names (string array, cellstr or "
                    f"categorical), got {describe(classNames)}.")
    try:
        s = np.asarray(scores.extractdata() if hasattr(scores, "extractdata") else scores)
    except ValueError:        # ragged nested lists
        s = np.asarray(0)
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))
                            or not 1 <= dim <= max(s.ndim, 1)):
        raise_error(func, "InvalidDimension", f"dim must be a dimension of the scores "
                    f"(1-based), got {describe(dim)}.")
    if s.ndim == 0 or s.dtype.kind not in "iuf":
        raise_error(func, "InvalidScores", f"scores must be a numeric array, got "
                    f"{describe(scores)}.", "type")
    s = s.reshape(1, -1) if s.ndim == 1 else s
    k = len(names)
    if dim is None:
        cands = [d for d in range(s.ndim) if s.shape[d] == k]
        if not cands:
            raise_error(func, "SizeMismatch",
                        f"No dimension of the {'×'.join(map(str, s.shape))} scores has "
                        f"{k} elements (one per class name).")
        axis = 1 if 1 in cands else cands[-1]
    else:
        axis = int(dim) - 1
        if not 0 <= axis < s.ndim or s.shape[axis] != k:
            raise_error(func, "SizeMismatch",
                        f"Dimension {dim} of the scores must have {k} elements (one per "
                        f"class name), got {s.shape[axis] if 0 <= axis < s.ndim else 1}.")
    idx = s.argmax(axis=axis)
    top = np.take_along_axis(s, np.expand_dims(idx, axis), axis=axis)
    shape = list(s.shape)
    shape[axis] = 1
    labels = Categorical(idx.ravel(), names, tuple(shape) if len(shape) == 2 else None)
    if nargout == 1:
        return labels
    if nargout == 2:
        return labels, top.reshape(shape) if len(shape) == 2 else top
    raise_error(func, "TooManyOutputs", f"nargout must be 1 or 2, got {nargout!r}.")


def testnet(net, X, T, metrics, *args, **kwargs):
    """Evaluate a network (MATLAB ``testnet``): one value per metric.

    ``metrics``: a name ("accuracy" (percent), "rmse", "mape", "rsquared", "precision",
    "recall", "fscore", "auc" — the metric objects with their defaults — or a loss name
    such as "crossentropy" / "mse"), a metric object (``fScoreMetric(AverageType="macro")``,
    ...), a function handle ``f(Y, T)``, or a list of them. Targets as trainnet takes
    them (categorical labels, N-by-R responses, a list of T_i-by-R responses). Mini-batch
    options as minibatchpredict.

    >>> import numpy as np
    >>> from dltoolbox import (dlnetwork, sequenceInputLayer, fullyConnectedLayer,
    ...                        softmaxLayer, categorical)
    >>> from dltoolbox import globalAveragePooling1dLayer
    >>> net = dlnetwork([sequenceInputLayer(2), globalAveragePooling1dLayer(),
    ...                  fullyConnectedLayer(2), softmaxLayer()])
    >>> round(testnet(net, [np.zeros((4, 2))] * 3, categorical(["a", "a", "b"]),
    ...               "accuracy"), 2) in (0.0, 33.33, 66.67, 100.0)
    True
    """
    func = "testnet"
    single_metric = isinstance(metrics, (str, metricmod.Metric)) or callable(metrics)
    items = [metrics] if single_metric else metrics
    if not isinstance(items, (list, tuple)) or not items or not all(
            isinstance(m, (str, metricmod.Metric)) or callable(m) for m in items):
        raise_error(func, "InvalidMetrics",
                    f"metrics must be a metric name, a metric object, a function handle or a "
                    f"list of them, got {describe(metrics)}.", "type")
    if isinstance(net, dlnetwork) and net._graph is not None:
        names = [net._graph.layers[i].Name for i in net._graph.outputs]
    else:
        names = None
    for m in items:       # unknown names are named before any prediction runs
        if not (isinstance(m, str) and m.lower() in metricmod.LOSSES):
            metricmod.metric_table([m], func, names)
    out, time_out, _, seqs = _predict_all(net, X, args, kwargs, func)
    # metrics on the host: one read of the outputs
    Y = to_host(get_xp(out[0]).concatenate(out, axis=0)) if time_out else to_host(out)
    k = Y.shape[-1]
    values = []
    for m in items:
        kind = metricmod.metric_kind(m)
        if isinstance(m, str) and m.lower() in ("crossentropy", "index-crossentropy"):
            kind = "classification"
        elif kind is None:      # a handle or a regression loss: as the targets are
            kind = "classification" if callable(m) and isinstance(T, Categorical) \
                else "regression"
        Tm = target_matrix(T, len(seqs), kind, k, time_out, func, [s.shape[1] for s in seqs])
        if np.shape(Tm)[0] != Y.shape[0]:
            raise_error(func, "SizeMismatch",
                        f"The targets have {np.shape(Tm)[0]} rows for {Y.shape[0]} "
                        f"predictions.")
        if isinstance(m, str) and m.lower() in metricmod.LOSSES:
            fn = metricmod.LOSSES[m.lower()][0]
            values.append(fn(Y.astype(np.float64), Tm)[0])
        else:
            (_, fn, _), = metricmod.metric_table([m], func)
            values.append(fn(Y, Tm))
    return values[0] if single_metric else values


testnet.__test__ = False     # a MATLAB name, not a pytest test


def target_matrix(T, n, kind, k, time_out, func, lengths, classes=None):
    """Targets as rows matching the network outputs stacked over observations (and time
    steps): one-hot rows for classification, response rows for regression."""
    if kind == "classification":
        if time_out:
            parts = T if isinstance(T, list) else [T]
            cats = [c if isinstance(c, Categorical) else categorical(c) for c in parts]
            names = classes or sorted({x for c in cats for x in c.categories})
            codes = np.concatenate([[names.index(v) for v in c.tolist()] for c in cats])
        else:
            c = T if isinstance(T, Categorical) else categorical(T)
            names = classes or list(c.categories)
            codes = np.array([names.index(v) for v in c.tolist()])
        if len(names) != k:
            raise_error(func, "ClassesMismatch",
                        f"The targets have {len(names)} classes but the network outputs "
                        f"{k} channels.")
        return np.eye(k)[codes]
    if time_out:
        parts = T if isinstance(T, list) else [T]
        rows = [np.asarray(p, dtype=np.float64).reshape(len_, -1)
                for p, len_ in zip(parts, lengths)]
        return np.concatenate(rows, axis=0)
    a = np.asarray(T, dtype=np.float64)
    return a.reshape(n, -1)


__all__ = ["minibatchpredict", "scores2label", "testnet", "read_sequences",
           "predict_batches", "target_matrix"]
