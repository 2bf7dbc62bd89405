"""SeriesNetwork and the functions that use one without training.

``assembleNetwork`` builds a network from layers whose learnables are set; ``predict``,
``classify``, ``predictAndUpdateState``, ``classifyAndUpdateState`` and ``resetState``
follow reference §16. Networks have MATLAB value semantics: a function that "updates" a
network returns a new one and leaves the one passed in unchanged (learnable arrays are
shared, never copied).
"""

import warnings

import numpy as np

from . import sequences as seqmod
from ._display import series_network_text
from ._nameval import Option, options_table, parse_name_value
from ._validate import check_one_of, check_positive_integer, describe
from .backend import cupy_or_none, get_xp, is_device_array, resolve_environment, to_host
from .categorical import Categorical
from .errors import DLToolboxError, as_called_from, raise_error
from .graph import backprop_layers, run_layers  # noqa: F401 - re-exported
from .layer_array import LayerArray
from .layers import (
    ClassificationOutputLayer,
    Layer,
    SequenceInputLayer,
)


def _check_acceleration(value, func, name):
    value = check_one_of("auto", "mex", "none")(value, func, name)
    if value == "mex":
        raise_error(func, "NotSupported", "Acceleration 'mex' is not supported yet; use "
                    "'auto' or 'none'.")
    return value


PREDICT_OPTIONS = options_table(
    Option("MiniBatchSize", 128, check_positive_integer()),
    Option("ExecutionEnvironment", "auto", check_one_of("auto", "cpu", "gpu")),
    Option("Acceleration", "auto", _check_acceleration),
    *seqmod.SEQUENCE_OPTIONS,
)


def outputs(values, nargout, func):
    """MATLAB Engine convention: the first output, or a tuple of the first ``nargout``."""
    if type(nargout) is int and 1 <= nargout <= len(values):
        return values[0] if nargout == 1 else tuple(values[:nargout])
    raise_error(func, "TooManyOutputs",
                f"nargout must be an integer from 1 to {len(values)}, got {nargout!r}.")


# -- running layers: the executor (graph.py) ---------------------------------------


def output_length(layers, t):
    """Time steps of the network's output for t time steps in."""
    for layer in layers:
        t = layer.output_length(t)
    return t


def time_output(layers):
    """True when a network's output keeps the time dimension (no 'last' recurrent layer)."""
    return all(layer.keeps_time() for layer in layers)


def assign_default_names(layers):
    """Give unnamed layers MATLAB's default names (§1.3), suffixing duplicate groups."""
    taken = {layer.Name for layer in layers if layer.Name}
    groups = {}
    for layer in layers:
        if not layer.Name:
            groups.setdefault(layer._default_name, []).append(layer)
    for base, members in groups.items():
        if len(members) == 1 and base not in taken:
            object.__setattr__(members[0], "Name", base)
            continue
        k = 1
        for layer in members:
            while f"{base}_{k}" in taken:
                k += 1
            object.__setattr__(layer, "Name", f"{base}_{k}")
            taken.add(f"{base}_{k}")
            k += 1


def layer_list(layers, func):
    """``layers`` as a non-empty list of Layer objects (one layer counts as a list)."""
    if isinstance(layers, Layer):
        layers = [layers]
    if not isinstance(layers, (list, tuple)) or not layers:
        raise_error(func, "InvalidLayers",
                    f"'layers' must be a non-empty list of layers, got {describe(layers)}.",
                    "type")
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, Layer):
            raise_error(func, "InvalidLayers",
                        f"Element {i} of 'layers' is {describe(layer)}, not a layer.", "type")
    return list(layers)


def named_copies(layers, func):
    """Copies of the layers with MATLAB's default names; duplicate names raise."""
    out = LayerArray(layer.copy() for layer in layers)
    assign_default_names(out)
    names = [layer.Name for layer in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise_error(func, "DuplicateLayerName", f"Layer names must be unique; '{dup[0]}' is "
                    f"used more than once.")
    return out


def check_layer_array(layers, func):
    """Validate the structure of a layer array; returns a LayerArray of copies."""
    layers = layer_list(layers, func)
    if not isinstance(layers[0], SequenceInputLayer):
        raise_error(func, "MissingInputLayer",
                    "The first layer must be a sequenceInputLayer; got a "
                    f"{layers[0].type_name()} layer.")
    if not getattr(layers[-1], "is_output", False):
        raise_error(func, "MissingOutputLayer",
                    "The last layer must be an output layer (classificationLayer or "
                    f"regressionLayer); got a {layers[-1].type_name()} layer.")
    for i, layer in enumerate(layers[1:-1], start=2):
        if getattr(layer, "is_output", False) or isinstance(layer, SequenceInputLayer):
            raise_error(func, "InvalidLayers",
                        f"Layer {i} ({layer.type_name()}) may only be the first or last layer.")
    for i, layer in enumerate(layers[1:-1], start=2):
        if layer.state_names() and not time_output(layers[1:i - 1]):
            last = next(k for k in range(2, i) if not layers[k - 1].keeps_time())
            raise_error(func, "SequenceInputExpected",
                        f"Layer {i} ({layer.type_name()}) needs sequences, but layer {last} "
                        f"({layers[last - 1].type_name()}) outputs no time dimension "
                        f"(OutputMode 'last'). Use OutputMode 'sequence' for layer {last}.")
    return named_copies(layers, func)


class SeriesNetwork:
    """A network of layers in series (MATLAB ``SeriesNetwork``)."""

    def __init__(self, layers):
        layers = LayerArray(layers)
        if not layers:
            raise_error("SeriesNetwork", "InvalidLayers", "A network needs at least one layer.")
        object.__setattr__(self, "Layers", layers)

    @property
    def InputNames(self):  # noqa: N802 - MATLAB name
        return (self.Layers[0].Name,)

    @property
    def OutputNames(self):  # noqa: N802 - MATLAB name
        return (self.Layers[-1].Name,)

    def __setattr__(self, name, value):
        raise_error("SeriesNetwork", "ReadOnlyProperty",
                    f"SeriesNetwork properties are read-only ('{name}'); build a new network "
                    f"with assembleNetwork or trainNetwork.")

    def __repr__(self):
        return series_network_text(self)

    __str__ = __repr__

    # -- internals used by the public functions -------------------------------------
    @property
    def output_layer(self):
        return self.Layers[-1]

    @property
    def is_classifier(self):
        return isinstance(self.Layers[-1], ClassificationOutputLayer)

    def has_time_output(self):
        return time_output(self.Layers)

    def dtype(self):
        """The compute type: that of the first learnable (float32 unless set otherwise)."""
        for layer in self.Layers:
            for name in layer.learnable_names():
                value = getattr(layer, name)
                if value is not None:
                    return value.dtype
        return np.dtype(np.float32)

    def recurrent_indices(self):
        return [i for i, layer in enumerate(self.Layers) if layer.state_names()]

    def with_states(self, states):
        """A new network whose recurrent layers store ``states`` ((B, H) per index).

        Only the recurrent layers are copied; learnable arrays are shared.
        """
        layers = LayerArray.__new__(LayerArray)
        list.extend(layers, self.Layers)
        for i, state in states.items():
            if isinstance(state, tuple):
                state = tuple(s if type(s) is np.ndarray else to_host(s) for s in state)
            elif type(state) is not np.ndarray:
                state = to_host(state)
            list.__setitem__(layers, i, list.__getitem__(layers, i).with_state(state))
        net = object.__new__(SeriesNetwork)
        object.__setattr__(net, "Layers", layers)
        object.__setattr__(net, "_plan", self.__dict__.get("_plan") or self.inference_plan())
        return net

    def inference_plan(self):
        """(dtype, time output?, indices of the layers that change data in prediction);
        computed once per network and passed on to the networks derived from it."""
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = (self.dtype(), self.has_time_output(),
                    tuple(i for i, layer in enumerate(self.Layers) if not layer.passes_through()))
            object.__setattr__(self, "_plan", plan)
        return plan


def assembleNetwork(layers):  # noqa: N802 - MATLAB name
    """Build a prediction-ready SeriesNetwork from layers whose learnables are set.

    >>> import numpy as np
    >>> from dltoolbox import (sequenceInputLayer, gruLayer, fullyConnectedLayer,
    ...                        softmaxLayer, classificationLayer)
    >>> H, D, K = 4, 3, 2
    >>> net = assembleNetwork([sequenceInputLayer(D),
    ...     gruLayer(H, InputWeights=np.ones((3*H, D)), RecurrentWeights=np.ones((3*H, H)),
    ...              Bias=np.zeros((3*H, 1))),
    ...     fullyConnectedLayer(K, Weights=np.ones((K, H)), Bias=np.zeros((K, 1))),
    ...     softmaxLayer(), classificationLayer(Classes=['a', 'b'])])
    >>> net.OutputNames
    ('classoutput',)
    """
    arr = check_layer_array(layers, "assembleNetwork")
    size = arr[0].InputSize
    arr[0].check_assembled(size)
    for layer in arr[1:]:
        layer.check_assembled(size)
        size = layer.output_size(size)
    out = arr[-1]
    if isinstance(out, ClassificationOutputLayer):
        if out.Classes == "auto":
            warnings.warn(f"assembleNetwork: layer '{out.Name}' has Classes 'auto'; using "
                          f"classes '1'..'{size}'.", stacklevel=2)
            out.set_classes([str(k) for k in range(1, size + 1)])
        elif len(out.Classes) != size:
            raise_error("assembleNetwork", "InvalidClasses",
                        f"Layer '{out.Name}' has {len(out.Classes)} classes but its input has "
                        f"{size} channels.")
    return SeriesNetwork(arr)


# -- inference --------------------------------------------------------------------------
def _check_net(net, func):
    if not isinstance(net, SeriesNetwork):
        raise_error(func, "InvalidNetwork",
                    f"The first argument must be a SeriesNetwork, got {describe(net)}.", "type")


def infer(net, X, opts, func):
    """Run ``net`` on X with the options of PREDICT_OPTIONS.

    Returns (outputs in MATLAB's shape, single-input flag, final recurrent states of the
    last mini-batch as {layer index: (B, H)}). A stored state that does not fit the
    mini-batch raises IncorrectNetworkState under ``func``'s name.
    """
    try:
        return _infer(net, X, opts, func)
    except DLToolboxError as err:
        if err.identifier.endswith(":IncorrectNetworkState"):
            raise as_called_from(err, func) from None
        raise


def _infer(net, X, opts, func):
    _check_net(net, func)
    input_layer = list.__getitem__(net.Layers, 0)
    if type(X) is not list and not (type(X) is np.ndarray and X.ndim == 2):
        # a scalar or a 1-D array: one time step or one sequence (a C-by-T array, the
        # closed-loop step's input, skips the call: as_observation returns it unchanged)
        X = seqmod.as_observation(X, input_layer.InputSize, func)
    if _one_sequence_on_cpu(X, opts):
        return _infer_one(net, X, func)
    seqs, single = seqmod.to_sequences(X, func, channels=input_layer.InputSize)
    seqmod.check_features(seqs, input_layer.InputSize, func, input_layer.Name,
                          min_length=input_layer.MinLength)
    xp, _ = resolve_environment(opts["ExecutionEnvironment"], func)
    # GPU input gives GPU output (MATLAB: gpuArray in, gpuArray out), on any environment
    device_in = next((s for s in seqs if is_device_array(s)), None)
    out_xp = np if device_in is None else get_xp(device_in)

    def result(a):
        return to_host(a) if out_xp is np else out_xp.asarray(a)
    dtype = net.dtype()
    mode = opts["SequenceLength"]
    direction = opts["SequencePaddingDirection"]
    time_out = net.has_time_output()
    results = []
    states = {}
    for idx in seqmod.mini_batches(len(seqs), opts["MiniBatchSize"], keep_last=True):
        batch = [seqs[i] for i in idx]
        lengths = [s.shape[1] for s in batch]
        s = seqmod.padded_length(lengths, mode)
        Xb = xp.asarray(seqmod.pad(batch, s, direction, opts["SequencePaddingValue"], dtype,
                                   xp))
        step = s if isinstance(mode, str) else mode
        states = {}
        parts = []
        for start in range(0, s, step):
            Y, _, states = run_layers(net.Layers, Xb[start:start + step], False,
                                      states or None)
            parts.append(Y)
        if time_out:
            Y = result(xp.concatenate(parts, axis=0) if len(parts) > 1 else parts[0])
            if mode == "shortest":
                lengths = [s] * len(lengths)
            if Y.shape[0] != s:         # convolution or pooling changed the length
                lengths = [output_length(net.Layers, t) for t in lengths]
            results.extend(seqmod.unpad(Y, lengths, direction))
        else:
            results.append(result(parts[-1]))
    if time_out:
        out = results[0] if single else results
    else:
        out = out_xp.concatenate(results, axis=0)
    return out, single, states


def _one_sequence_on_cpu(X, opts):
    """One C-by-T NumPy array whose result cannot depend on padding or chunks."""
    return (type(X) is np.ndarray and X.ndim == 2 and X.dtype.kind == "f" and X.shape[1] > 0
            and opts["ExecutionEnvironment"] != "gpu" and isinstance(opts["SequenceLength"], str)
            and (opts["ExecutionEnvironment"] == "cpu" or cupy_or_none() is None))


def _infer_one(net, X, func):
    """infer() for one observation: no batching, padding or trimming to do.

    This is the path of closed-loop forecasting, one time step per call; it does only
    the checks that this input needs and runs ``predict_one`` of the layers that act.
    """
    layers = net.Layers
    input_layer = list.__getitem__(layers, 0)
    if X.shape[0] != input_layer.InputSize or X.shape[1] < input_layer.MinLength:
        seqmod.check_features([X], input_layer.InputSize, func, input_layer.Name,
                              min_length=input_layer.MinLength)
    dtype, time_out, acting = net.__dict__.get("_plan") or net.inference_plan()
    x = np.ascontiguousarray(X.T, dtype=dtype)
    states = {}
    for i in acting:
        x, state = list.__getitem__(layers, i).predict_one(x)
        if state is not None:
            states[i] = state
    return (x.T.copy() if time_out else x.copy()), True, states


def predict(net, X, *args, nargout=1, **kwargs):
    """Predict responses or class scores (MATLAB ``predict``).

    On a dlnetwork (dlnetwork.py) X is time by channel by default and
    ``Y, state = predict(net, X, nargout=2)`` also returns the updated state table.

    X is a list of C-by-T arrays (a cell array) or one C-by-T array. Returns N-by-K
    scores / N-by-R responses for sequence-to-one networks, a list of K-by-T_i arrays for
    sequence-to-sequence networks (one array for one C-by-T input).

    >>> import numpy as np
    >>> from dltoolbox import (sequenceInputLayer, gruLayer, fullyConnectedLayer,
    ...                        regressionLayer, assembleNetwork)
    >>> net = assembleNetwork([sequenceInputLayer(2),
    ...     gruLayer(3, InputWeights=np.zeros((9, 2)), RecurrentWeights=np.zeros((9, 3)),
    ...              Bias=np.zeros((9, 1))),
    ...     fullyConnectedLayer(1, Weights=np.ones((1, 3)), Bias=np.ones((1, 1))),
    ...     regressionLayer()])
    >>> predict(net, np.zeros((2, 5)), 'MiniBatchSize', 1).shape
    (1, 5)
    """
    if hasattr(net, "_dl_run"):
        return net._dl_run(X, args, kwargs, False, "predict", nargout)
    if nargout != 1:
        raise_error("predict", "TooManyOutputs", "predict on a SeriesNetwork has one "
                    "output; use predictAndUpdateState for the state.")
    opts = parse_name_value("predict", args, kwargs, PREDICT_OPTIONS)
    return infer(net, X, opts, "predict")[0]


def _labels(net, scores, single):
    classes = net.output_layer.Classes
    if isinstance(scores, list):
        labels = [Categorical(to_host(s.argmax(axis=0)), classes, (1, s.shape[1]))
                  for s in scores]
        return labels
    if scores.ndim == 2 and single and net.has_time_output():
        return Categorical(to_host(scores.argmax(axis=0)), classes, (1, scores.shape[1]))
    return Categorical(to_host(scores.argmax(axis=1)), classes)


def _check_classifier(net, func):
    _check_net(net, func)
    if not net.is_classifier:
        raise_error(func, "NotAClassifier",
                    f"{func} needs a network that ends in a classificationLayer; this one "
                    f"ends in a {net.output_layer.type_name()} layer. Use predict instead.")


def classify(net, X, *args, nargout=1, **kwargs):
    """Classify data (MATLAB ``classify``): labels, and scores with ``nargout=2``.

    >>> # YPred = classify(net, XTest, 'MiniBatchSize', 27)
    >>> # YPred, scores = classify(net, XTest, nargout=2)
    """
    _check_classifier(net, "classify")
    opts = parse_name_value("classify", args, kwargs, PREDICT_OPTIONS)
    scores, single, _ = infer(net, X, opts, "classify")
    return outputs((_labels(net, scores, single), scores), nargout, "classify")


def predictAndUpdateState(net, X, *args, nargout=1, **kwargs):  # noqa: N802
    """Predict and update the network state (MATLAB ``predictAndUpdateState``).

    Returns the updated network first: ``net = predictAndUpdateState(net, X)`` or
    ``net, Y = predictAndUpdateState(net, X, nargout=2)``. The returned network stores
    each GRU's state after the last time step of the last mini-batch (its HiddenState);
    the network passed in is not changed.
    """
    opts = parse_name_value("predictAndUpdateState", args, kwargs, PREDICT_OPTIONS)
    Y, _, states = infer(net, X, opts, "predictAndUpdateState")
    return outputs((net.with_states(states), Y), nargout, "predictAndUpdateState")


def classifyAndUpdateState(net, X, *args, nargout=1, **kwargs):  # noqa: N802
    """Classify and update the network state (MATLAB ``classifyAndUpdateState``).

    ``net, YPred, scores = classifyAndUpdateState(net, X, nargout=3)``.
    """
    _check_classifier(net, "classifyAndUpdateState")
    opts = parse_name_value("classifyAndUpdateState", args, kwargs, PREDICT_OPTIONS)
    scores, single, states = infer(net, X, opts, "classifyAndUpdateState")
    return outputs((net.with_states(states), _labels(net, scores, single), scores), nargout,
                   "classifyAndUpdateState")


def resetState(net):  # noqa: N802 - MATLAB name
    """Return a network whose recurrent states are their initial values (or zeros).

    >>> # net = resetState(net)
    """
    if hasattr(net, "_dl_reset"):
        return net._dl_reset()
    _check_net(net, "resetState")
    layers = list(net.Layers)
    for i in net.recurrent_indices():
        layers[i] = layers[i].copy()
        layers[i].reset_state()
    return SeriesNetwork(layers)


__all__ = ["SeriesNetwork", "assembleNetwork", "predict", "classify", "predictAndUpdateState",
           "classifyAndUpdateState", "resetState"]
