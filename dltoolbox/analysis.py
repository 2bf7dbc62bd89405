"""activations and analyzeNetwork: looking inside a network.

``activations(net, X, layer)`` runs the network up to ``layer`` with the prediction
options of ``predict``. ``analyzeNetwork(net_or_layers)`` checks a layer array or a
network the way MATLAB's analyzer does (structure, names, sizes, sequence lengths) by
initializing copies of the layers and passing a MinLength-step probe sequence through
them, prints a table of layers, activation sizes and learnables, and returns a
NetworkAnalysis with MATLAB's property names.
"""

import math
import sys

import numpy as np

from . import initializers
from ._display import TIMES
from ._nameval import Option, options_table, parse_name_value
from ._validate import as_integer, check_one_of, describe
from .errors import DLToolboxError, raise_error
from .layers import ClassificationOutputLayer, Layer, SequenceInputLayer
from .network import PREDICT_OPTIONS, SeriesNetwork, assign_default_names, infer

ACTIVATION_OPTIONS = options_table(
    Option("OutputAs", "channels", check_one_of("channels", "rows", "columns")),
    *PREDICT_OPTIONS.values())


def _layer_index(layers, layer, func):
    names = [lay.Name for lay in layers]
    if isinstance(layer, str):
        if layer in names:
            return names.index(layer)
        raise_error(func, "UnknownLayer",
                    f"The network has no layer named '{layer}'. Its layers are: "
                    f"{', '.join(repr(n) for n in names)}.")
    i = as_integer(layer)
    if i is None or not 1 <= i <= len(layers):
        raise_error(func, "InvalidLayer",
                    f"'layer' must be a layer name or an index from 1 to {len(layers)}, got "
                    f"{describe(layer)}.", "value" if i is not None else "type")
    return i - 1


def activations(net, X, layer, *args, **kwargs):
    """Network activations of one layer (MATLAB ``act = activations(net, X, layer)``).

    ``layer`` is a name or a 1-based index. For a layer whose output keeps the time
    dimension the result is like ``predict``'s: one C-by-T array for one C-by-T input, a
    list of C-by-T_i arrays for a list. For a layer after which time is gone (a recurrent
    layer with OutputMode 'last', global pooling) it is C-by-N (``OutputAs`` 'channels'
    or 'columns') or N-by-C ('rows'). Options: ``OutputAs``, ``MiniBatchSize``,
    ``SequenceLength``, ``SequencePaddingValue``, ``SequencePaddingDirection``,
    ``ExecutionEnvironment``, ``Acceleration``. The network's state is not changed.

    >>> import numpy as np
    >>> from dltoolbox import (assembleNetwork, sequenceInputLayer, fullyConnectedLayer,
    ...                        reluLayer, regressionLayer)
    >>> net = assembleNetwork([sequenceInputLayer(2),
    ...     fullyConnectedLayer(3, Weights=np.ones((3, 2)), Bias=-np.ones((3, 1))),
    ...     reluLayer(), regressionLayer()])
    >>> activations(net, np.array([[1.0, 0.0], [2.0, 0.0]]), 'relu').tolist()
    [[2.0, 0.0], [2.0, 0.0], [2.0, 0.0]]
    """
    func = "activations"
    if not isinstance(net, SeriesNetwork):
        raise_error(func, "InvalidNetwork",
                    f"The first argument must be a SeriesNetwork, got {describe(net)}.", "type")
    opts = parse_name_value(func, args, kwargs, ACTIVATION_OPTIONS)
    i = _layer_index(net.Layers, layer, func)
    sub = SeriesNetwork(net.Layers[:i + 1])
    out, _, _ = infer(sub, X, opts, func)
    if sub.has_time_output():
        if opts["OutputAs"] != "channels":
            raise_error(func, "OutputAsNotSupported",
                        f"Layer '{net.Layers[i].Name}' outputs sequences; OutputAs "
                        f"'{opts['OutputAs']}' applies only to outputs without a time "
                        f"dimension. Use 'channels' (C-by-T arrays).")
        return out
    return out if opts["OutputAs"] == "rows" else np.ascontiguousarray(out.T)


# -- analyzeNetwork ---------------------------------------------------------------------
class NetworkAnalysis:
    """What ``analyzeNetwork`` returns (MATLAB's ``NetworkAnalysis``): ``TotalLearnables``
    (NaN when there are errors), ``LayerInfo`` (one row per layer: Name, Type,
    ActivationSizes, ActivationFormats, LearnableSizes, NumLearnables, StateSizes) and
    ``Issues`` (rows of Severity, LayerName, Identifier, Message).

    >>> from dltoolbox import sequenceInputLayer, fullyConnectedLayer, regressionLayer
    >>> info = analyzeNetwork([sequenceInputLayer(3), fullyConnectedLayer(2),
    ...                        regressionLayer()], Plots='none')
    >>> type(info).__name__, info.TotalLearnables, info.LayerInfo[1].LearnableSizes
    ('NetworkAnalysis', 8, {'Weights': '2×3', 'Bias': '2×1'})
    """

    def __init__(self, layer_info, issues, total):
        self.LayerInfo = layer_info
        self.Issues = issues
        self.TotalLearnables = total

    def __repr__(self):
        return analysis_text(self)

    __str__ = __repr__


class _Row(dict):
    __getattr__ = dict.__getitem__


def _size_text(c, t):
    return f"{c}(C) {TIMES} 1(B) {TIMES} {t}(T)" if t is not None else f"{c}(C) {TIMES} 1(B)"


def _issue(issues, severity, name, ident, message):
    issues.append(_Row(Severity=severity, LayerName=name,
                       Identifier=f"dltoolbox:analyzeNetwork:{ident}", Message=message))


def _structure_issues(layers, issues):
    """Input layer first, output layer last, no other of either, unique names."""
    if not isinstance(layers[0], SequenceInputLayer):
        _issue(issues, "Error", layers[0].Name, "MissingInputLayer",
               "The network must start with a sequenceInputLayer.")
    if not getattr(layers[-1], "is_output", False):
        _issue(issues, "Error", layers[-1].Name, "MissingOutputLayer",
               "Missing output layer: the network must end with a classificationLayer or "
               "regressionLayer to be trained with trainNetwork.")
    for layer in layers[1:-1]:
        if getattr(layer, "is_output", False) or isinstance(layer, SequenceInputLayer):
            _issue(issues, "Error", layer.Name, "MisplacedLayer",
                   f"A {layer.type_name()} layer may only be the first or the last layer.")
    names = [layer.Name for layer in layers]
    for n in sorted({n for n in names if names.count(n) > 1}):
        _issue(issues, "Error", n, "DuplicateLayerName",
               f"Layer names must be unique; '{n}' is used {names.count(n)} times.")


def _probe(layers, issues):
    """Initialize copies and pass a probe through; returns the LayerInfo rows."""
    rows = []
    size = t = None
    X = None
    first = layers[0]
    if isinstance(first, SequenceInputLayer):
        size, t = first.InputSize, first.MinLength
        X = np.zeros((t, 1, size), dtype=np.float32)
    saved = initializers.rng()
    try:
        for k, layer in enumerate(layers):
            learn, n_learn, states = {}, 0, {}
            if k > 0 and X is not None:
                try:
                    layer.initialize(size, np.float32)
                    layer.check_assembled(size)
                    if isinstance(layer, ClassificationOutputLayer) and \
                            layer.Classes != "auto" and len(layer.Classes) != size:
                        raise_error("analyzeNetwork", "ClassesMismatch",
                                    f"Layer '{layer.Name}' has {len(layer.Classes)} classes "
                                    f"but its input has {size} channels.")
                    X = layer.forward(X)[0]
                    size = X.shape[-1]
                    t = X.shape[0] if X.ndim == 3 else None
                except DLToolboxError as err:
                    _issue(issues, "Error", layer.Name, err.identifier.rsplit(":", 1)[-1],
                           err.message.split(": ", 1)[-1])
                    X = size = t = None
            for name in layer.learnable_names():
                value = getattr(layer, name)
                if value is not None:
                    learn[name] = TIMES.join(map(str, value.shape))
                    n_learn += value.size
            for name in ("TrainedMean", "TrainedVariance"):     # batch normalization
                value = getattr(layer, name, None)
                if value is not None:
                    states[name] = TIMES.join(map(str, value.shape))
            for name in layer.state_names():
                value = getattr(layer, name)
                h = getattr(layer, "NumHiddenUnits", None)
                states[name] = TIMES.join(map(str, value.shape)) if value is not None else \
                    (f"{h}{TIMES}1" if h else "")
            ok = X is not None and (k == 0 or size is not None)
            rows.append(_Row(Name=layer.Name, Type=layer.type_name(),
                             ActivationSizes=_size_text(size, t) if ok else "",
                             ActivationFormats=("CBT" if t is not None else "CB") if ok else "",
                             LearnableSizes=learn, NumLearnables=n_learn, StateSizes=states))
    finally:
        initializers.rng(saved)
    return rows


_PLOTS = options_table(Option("Plots", "analyzer", check_one_of("analyzer", "none")))


def analyzeNetwork(net_or_layers, *args, stream=None, **kwargs):  # noqa: N802
    """Analyze a layer array or a network (MATLAB ``info = analyzeNetwork(net)``).

    Prints the table of layers, activation sizes and learnables (to ``stream``, standard
    output by default; ``'Plots', 'none'`` prints nothing) and returns a
    :class:`NetworkAnalysis`. Problems are listed in ``info.Issues`` as errors, never
    raised: a missing input or output layer, a layer in the wrong place, duplicate names,
    learnables or classes of the wrong size, sequences too short for a convolution.
    The layers passed in are not changed.

    >>> from dltoolbox import sequenceInputLayer, gruLayer, fullyConnectedLayer, softmaxLayer
    >>> from dltoolbox import classificationLayer
    >>> info = analyzeNetwork([sequenceInputLayer(12), gruLayer(100, OutputMode='last'),
    ...                        fullyConnectedLayer(9), softmaxLayer(), classificationLayer()],
    ...                       'Plots', 'none')
    >>> info.TotalLearnables, info.LayerInfo[1].ActivationSizes, len(info.Issues)
    (34809, '100(C) × 1(B)', 0)
    """
    opts = parse_name_value("analyzeNetwork", args, kwargs, _PLOTS)
    layers = net_or_layers.Layers if isinstance(net_or_layers, SeriesNetwork) else net_or_layers
    if isinstance(layers, Layer):
        layers = [layers]
    if not isinstance(layers, (list, tuple)) or not layers or \
            not all(isinstance(layer, Layer) for layer in layers):
        raise_error("analyzeNetwork", "InvalidNetwork",
                    f"Expected a SeriesNetwork or a non-empty list of layers, got "
                    f"{describe(net_or_layers)}.", "type")
    copies = [layer.copy() for layer in layers]
    assign_default_names(copies)
    issues = []
    _structure_issues(copies, issues)
    rows = _probe(copies, issues)
    errors = any(i.Severity == "Error" for i in issues)
    total = math.nan if errors else int(sum(r.NumLearnables for r in rows))
    info = NetworkAnalysis(rows, issues, total)
    if opts["Plots"] == "analyzer":
        print(analysis_text(info), end="", file=stream or sys.stdout)
    return info


def analysis_text(info):
    """The analyzer's table as plain text."""
    head = ["", "Name", "Type", "Activations", "Learnable Sizes"]
    body = []
    for i, r in enumerate(info.LayerInfo, start=1):
        learn = ", ".join(f"{n} {s}" for n, s in r.LearnableSizes.items())
        body.append([str(i), f"'{r.Name}'", r.Type, r.ActivationSizes or "?", learn or "-"])
    widths = [max(len(row[j]) for row in [head] + body) for j in range(len(head))]

    def line(cells):
        return ("   " + "   ".join(c.rjust(widths[0]) if j == 0 else c.ljust(widths[j])
                                    for j, c in enumerate(cells))).rstrip()

    n_err = sum(1 for i in info.Issues if i.Severity == "Error")
    n_warn = len(info.Issues) - n_err
    total = "NaN" if isinstance(info.TotalLearnables, float) else f"{info.TotalLearnables}"
    out = [f"  Network analysis: {len(info.LayerInfo)} layers, {total} learnables, "
           f"{n_warn} warning{'s' if n_warn != 1 else ''}, {n_err} "
           f"error{'s' if n_err != 1 else ''}", "", line(head)]
    out += [line(row) for row in body]
    if info.Issues:
        out += ["", "  Issues:"]
        out += [f"    {i.Severity}: layer '{i.LayerName}': {i.Message}" for i in info.Issues]
    return "\n".join(out) + "\n\n"


__all__ = ["activations", "analyzeNetwork", "NetworkAnalysis"]
