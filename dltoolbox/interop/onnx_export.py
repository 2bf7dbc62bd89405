"""exportONNXNetwork: a SeriesNetwork as an ONNX model (reference part 2, §8.1).

The graph input ``X`` is ``[T, N, C]`` (ONNX's recurrent layout 0: time, batch,
channels), T symbolic and N symbolic unless ``BatchSize`` is given; the output ``Y`` is
``[T, N, K]`` for sequence-to-sequence networks and ``[N, K]`` otherwise. Mapping:

* sequenceInputLayer: the Normalization as ``Sub``/``Mul``/``Add`` with constants (a
  function handle has no ONNX form: a named error).
* gruLayer -> ``GRU`` (gate blocks permuted by :mod:`gate_order`): ResetGateMode
  'after-multiplication' -> ``linear_before_reset=1``, recurrent bias 0;
  'recurrent-bias-after-multiplication' -> ``linear_before_reset=1``, recurrent bias the
  second half of Bias; 'before-multiplication' -> ``linear_before_reset=0``. A stored
  HiddenState becomes ``initial_h``. OutputMode 'last' -> ``Y_h``.
* lstmLayer -> ``LSTM`` (forward), bilstmLayer -> ``LSTM`` (bidirectional; ``Y``
  transposed and reshaped into MATLAB's [forward; backward] 2H channels; 'last' is the
  output of the last time step); CellState becomes ``initial_c``.
* fullyConnectedLayer -> ``MatMul`` + ``Add``; softmaxLayer -> ``Softmax`` (last axis);
  dropoutLayer -> ``Identity`` (prediction); output layers add nothing.
* reluLayer, leakyReluLayer, clippedReluLayer, eluLayer, tanhLayer, sigmoidLayer ->
  ``Relu``, ``LeakyRelu``, ``Clip``, ``Elu``, ``Tanh``, ``Sigmoid``; swishLayer ->
  ``Mul(x, Sigmoid(x))``; geluLayer -> ``Gelu`` (opset 20 on), else its formula with
  ``Erf`` (or ``Tanh`` for Approximation 'tanh').
"""

import os
import tempfile

import numpy as np

from .._nameval import Option, options_table, parse_name_value
from .._validate import check_positive_integer, check_text, describe
from ..errors import raise_error
from .gate_order import reorder

MIN_OPSET, MAX_OPSET, DEFAULT_OPSET = 9, 21, 14
_ACT = {"sigmoid": "Sigmoid", "hard-sigmoid": "HardSigmoid", "tanh": "Tanh",
        "softsign": "Softsign"}


def _check_opset(value, func, name):
    n = check_positive_integer()(value, func, name)
    if not MIN_OPSET <= n <= MAX_OPSET:
        raise_error(func, "InvalidOpsetVersion",
                    f"Invalid value for 'OpsetVersion'. Expected an integer from {MIN_OPSET} "
                    f"to {MAX_OPSET}, got {n}.")
    return n


def _check_batch(value, func, name):
    if value is None or (isinstance(value, (list, tuple, np.ndarray)) and len(value) == 0):
        return None
    return check_positive_integer()(value, func, name)


_OPTIONS = options_table(
    Option("NetworkName", "Network", check_text),
    Option("OpsetVersion", DEFAULT_OPSET, _check_opset),
    Option("BatchSize", None, _check_batch),
)


def onnx_modules(func):
    """(onnx, onnx.helper, onnx.TensorProto, onnx.numpy_helper) or a named error."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise_error(func, "MissingONNX", "ONNX exchange needs the onnx package: "
                    "pip install 'dltoolbox[onnx]' (or pip install onnx).")
    return onnx, helper, TensorProto, numpy_helper


class _Graph:
    """Nodes and constants of the graph being built."""

    def __init__(self, helper, numpy_helper, opset, batch):
        self.helper, self.nh = helper, numpy_helper
        self.opset, self.batch = opset, batch
        self.nodes, self.inits = [], []
        self.count = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, value, dtype=np.float32):
        name = self.name(base)
        value = np.array(value, dtype=dtype)      # keeps a scalar 0-d (a Gather index)
        self.inits.append(self.nh.from_array(value, name))
        return name

    def node(self, op, inputs, base, n_out=1, **attrs):
        outs = [self.name(f"{base}_{op}") for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op, inputs, outs, name=self.name(base),
                                                **attrs))
        return outs if n_out > 1 else outs[0]

    def squeeze(self, x, axis, base):
        if self.opset >= 13:
            return self.node("Squeeze", [x, self.const("axes", [axis], np.int64)], base)
        return self.node("Squeeze", [x], base, axes=[axis])

    def batch_of(self, x, base):
        """The 1-element int64 tensor [N] of the data input ``x`` ([T, N, C])."""
        shape = self.node("Shape", [x], base)
        return self.node("Gather", [shape, self.const("one", [1], np.int64)], base, axis=0)

    def initial_state(self, value, x, h, dirs, base):
        """A stored state (H-by-1 or H-by-B per direction) as [dirs, N, H], or '' (zeros)."""
        if value is None:
            return ""
        v = np.asarray(value, dtype=np.float32)
        blocks = [v[d * h:(d + 1) * h] for d in range(dirs)]     # each (H, B)
        b = v.shape[1]
        if b == 1 and self.batch is None:
            h0 = self.const("h0", np.stack([blk.T for blk in blocks]))      # [dirs, 1, H]
            shape = self.node("Concat", [self.const("d", [dirs], np.int64),
                                         self.batch_of(x, base),
                                         self.const("h", [h], np.int64)], base, axis=0)
            return self.node("Expand", [h0, shape], base)
        n = self.batch
        if b != 1 and b != n:
            raise_error("exportONNXNetwork", "IncorrectNetworkState",
                        f"Layer '{base}' holds a recurrent state for {b} observations; export "
                        f"with 'BatchSize', {b} or call resetState first.")
        return self.const("h0", np.stack([np.broadcast_to(blk.T, (n, h)) for blk in blocks]))


def exportONNXNetwork(net, filename, *args, **kwargs):  # noqa: N802 - MATLAB name
    """Export a network to an ONNX model file (MATLAB ``exportONNXNetwork``).

    Options: ``'NetworkName'`` (graph name), ``'OpsetVersion'`` (9 to 21, default 14: the
    default of MATLAB is UNCONFIRMED), ``'BatchSize'`` (fixes the batch dimension, else
    symbolic). The file is written atomically and passes ``onnx.checker``.

    >>> import os, tempfile, numpy as np
    >>> from dltoolbox import *
    >>> net = assembleNetwork([sequenceInputLayer(2),
    ...     fullyConnectedLayer(1, Weights=np.ones((1, 2)), Bias=np.zeros((1, 1))),
    ...     regressionLayer()])
    >>> exportONNXNetwork(net, os.path.join(tempfile.mkdtemp(), 'net.onnx'))
    """
    func = "exportONNXNetwork"
    from ..network import SeriesNetwork
    if not isinstance(net, SeriesNetwork):
        raise_error(func, "InvalidNetwork",
                    f"First argument must be a SeriesNetwork, DAGNetwork, dlnetwork, or "
                    f"layerGraph; got {describe(net)}.", "type")
    if isinstance(filename, os.PathLike):
        filename = os.fspath(filename)
    if not isinstance(filename, str) or not filename.strip():
        raise_error(func, "InvalidFileName",
                    f"The file name must be text, got {describe(filename)}.", "type")
    opts = parse_name_value(func, args, kwargs, _OPTIONS)
    model = build_model(net, opts)
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        raise_error(func, "FolderNotFound", f"Unable to write file '{filename}': the folder "
                    f"'{folder}' does not exist.")
    data = model.SerializeToString()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".onnx")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, filename)
    except OSError as exc:
        raise_error(func, "WriteFailed", f"Unable to write file '{filename}': {exc}.")


def build_model(net, opts):
    """The onnx.ModelProto of ``net`` (opts: the parsed options of exportONNXNetwork)."""
    func = "exportONNXNetwork"
    onnx, helper, tp, nh = onnx_modules(func)
    g = _Graph(helper, nh, opts["OpsetVersion"], opts["BatchSize"])
    layers = list(net.Layers)
    c = layers[0].InputSize
    n_dim = opts["BatchSize"] if opts["BatchSize"] is not None else "N"
    x = "X"
    time = True
    size = c
    for layer in layers:
        kind = type(layer).__name__
        writer = _WRITERS.get(kind)
        if writer is None:
            raise_error(func, "UnsupportedLayer",
                        f"Layer '{layer.Name}' ({layer.type_name()}, class {kind}) has no ONNX "
                        f"form in dltoolbox's exporter; supported: {', '.join(sorted(_WRITERS))}.")
        x, time, size = writer(g, layer, x, time, size)
    if x == "X":
        raise_error(func, "UnsupportedLayer", "The network computes nothing (no layer acts in "
                    "prediction); ONNX needs at least one operator.")
    out_shape = ["T", n_dim, size] if time else [n_dim, size]
    graph = helper.make_graph(
        g.nodes, opts["NetworkName"],
        [helper.make_tensor_value_info("X", tp.FLOAT, ["T", n_dim, c])],
        [helper.make_tensor_value_info(x, tp.FLOAT, out_shape)], g.inits)
    model = helper.make_model(graph, producer_name="dltoolbox",
                              opset_imports=[helper.make_opsetid("", g.opset)])
    model.ir_version = min(helper.find_min_ir_version_for([helper.make_opsetid("", g.opset)]),
                           onnx.IR_VERSION)
    onnx.checker.check_model(model)
    return model


# -- one writer per layer class: (graph, layer, x, time?, channels) -> (y, time?, channels)
def _input(g, layer, x, time, size):
    n = layer.Normalization
    if callable(n):
        raise_error("exportONNXNetwork", "UnsupportedNormalization",
                    f"Layer '{layer.Name}' normalizes with a function, which has no ONNX "
                    f"form; use a named Normalization or export without it.")
    affine = layer._affine(np, np.float32)
    if affine is None:
        return x, time, size
    shift, scale, offset = affine
    x = g.node("Sub", [x, g.const("shift", shift)], layer.Name)
    if not (np.ndim(scale) == 0 and scale == 1.0):
        x = g.node("Mul", [x, g.const("scale", np.broadcast_to(scale, (size,)))], layer.Name)
    if offset:
        x = g.node("Add", [x, g.const("offset", np.full(size, offset))], layer.Name)
    return x, time, size


def _gru(g, layer, x, time, size):
    h = layer.NumHiddenUnits
    w = np.asarray(layer.InputWeights, np.float32)
    r = np.asarray(layer.RecurrentWeights, np.float32)
    b = np.asarray(layer.Bias, np.float32).reshape(-1)
    mode = layer.ResetGateMode
    wb, rb = b[:3 * h], (b[3 * h:] if mode == "recurrent-bias-after-multiplication"
                         else np.zeros(3 * h, np.float32))
    bias = np.concatenate([reorder(wb, "gru", "matlab", "onnx"),
                           reorder(rb, "gru", "matlab", "onnx")])[None]
    h0 = g.initial_state(layer.HiddenState, x, h, 1, layer.Name)
    y, yh = g.node("GRU", [x, g.const("W", reorder(w, "gru", "matlab", "onnx")[None]),
                           g.const("R", reorder(r, "gru", "matlab", "onnx")[None]),
                           g.const("B", bias), "", h0], layer.Name, n_out=2, hidden_size=h,
                   linear_before_reset=0 if mode == "before-multiplication" else 1,
                   **_activations(layer, 2))
    if layer.OutputMode == "last":
        return g.squeeze(yh, 0, layer.Name), False, h
    return g.squeeze(y, 1, layer.Name), True, h


def _activations(layer, n_per_dir, dirs=1):
    gate, state = layer.GateActivationFunction, layer.StateActivationFunction
    acts = [gate] + [state] * (n_per_dir - 1)
    acts = acts * dirs
    out = {"activations": [_ACT[a] for a in acts]}
    if "hard-sigmoid" in acts:
        # ONNX Runtime hands the values in turn to the activations that take parameters;
        # the spec can be read as one value per activation: equal values suit both
        out.update(activation_alpha=[0.2] * len(acts), activation_beta=[0.5] * len(acts))
    return out


def _lstm(g, layer, x, time, size, dirs=1):
    h = layer.NumHiddenUnits
    w = np.asarray(layer.InputWeights, np.float32)
    r = np.asarray(layer.RecurrentWeights, np.float32)
    b = np.asarray(layer.Bias, np.float32).reshape(-1)
    rows = 4 * h

    def per_dir(a):
        return np.stack([reorder(a[d * rows:(d + 1) * rows], "lstm", "matlab", "onnx")
                         for d in range(dirs)])

    bias = np.concatenate([per_dir(b), np.zeros((dirs, rows), np.float32)], axis=1)
    h0 = g.initial_state(getattr(layer, "HiddenState", None), x, h, dirs, layer.Name)
    c0 = g.initial_state(getattr(layer, "CellState", None), x, h, dirs, layer.Name)
    y, yh = g.node("LSTM", [x, g.const("W", per_dir(w)), g.const("R", per_dir(r)),
                            g.const("B", bias), "", h0, c0], layer.Name, n_out=2,
                   hidden_size=h, direction="bidirectional" if dirs == 2 else "forward",
                   **_activations(layer, 3, dirs))
    last = layer.OutputMode == "last"
    if dirs == 1:
        return (g.squeeze(yh, 0, layer.Name), False, h) if last else \
            (g.squeeze(y, 1, layer.Name), True, h)
    y = g.node("Transpose", [y], layer.Name, perm=[0, 2, 1, 3])          # [T, N, 2, H]
    y = g.node("Reshape", [y, g.const("shape", [0, 0, 2 * h], np.int64)], layer.Name)
    if last:        # the output of the last time step: [forward h_T; backward at T]
        y = g.node("Gather", [y, g.const("last", -1, np.int64)], layer.Name, axis=0)
        return y, False, 2 * h
    return y, True, 2 * h


def _bilstm(g, layer, x, time, size):
    return _lstm(g, layer, x, time, size, dirs=2)


def _fc(g, layer, x, time, size):
    w = np.asarray(layer.Weights, np.float32)
    b = np.asarray(layer.Bias, np.float32).reshape(-1)
    y = g.node("MatMul", [x, g.const("W", w.T)], layer.Name)
    return g.node("Add", [y, g.const("b", b)], layer.Name), time, w.shape[0]


def _softmax(g, layer, x, time, size):
    return g.node("Softmax", [x], layer.Name, axis=-1 if g.opset >= 13 else (2 if time else 1)), \
        time, size


def _identity(g, layer, x, time, size):
    return x, time, size


def _unary(op, **attrs):
    def write(g, layer, x, time, size):
        extra = {k: float(getattr(layer, v)) for k, v in attrs.items()}
        return g.node(op, [x], layer.Name, **extra), time, size
    return write


def _clipped_relu(g, layer, x, time, size):
    if g.opset >= 11:
        y = g.node("Clip", [x, g.const("lo", 0.0), g.const("hi", layer.Ceiling)], layer.Name)
    else:
        y = g.node("Clip", [x], layer.Name, min=0.0, max=float(layer.Ceiling))
    return y, time, size


def _swish(g, layer, x, time, size):
    return g.node("Mul", [x, g.node("Sigmoid", [x], layer.Name)], layer.Name), time, size


def _gelu(g, layer, x, time, size):
    """GELU: the Gelu operator from opset 20, else its formula from Erf or Tanh."""
    tanh = layer.Approximation == "tanh"
    if g.opset >= 20:
        return g.node("Gelu", [x], layer.Name, approximate="tanh" if tanh else "none"), \
            time, size
    if tanh:        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [x, g.node("Mul", [x, x], layer.Name)], layer.Name)
        inner = g.node("Add", [x, g.node("Mul", [cube, g.const("k", 0.044715)], layer.Name)],
                       layer.Name)
        t = g.node("Tanh", [g.node("Mul", [inner, g.const("s", np.sqrt(2 / np.pi))],
                                   layer.Name)], layer.Name)
    else:           # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.node("Erf", [g.node("Mul", [x, g.const("s", 1 / np.sqrt(2))], layer.Name)],
                   layer.Name)
    half = g.node("Mul", [x, g.const("half", 0.5)], layer.Name)
    return g.node("Mul", [half, g.node("Add", [t, g.const("one", 1.0)], layer.Name)],
                  layer.Name), time, size


_WRITERS = {"SequenceInputLayer": _input, "GRULayer": _gru, "LSTMLayer": _lstm,
            "BiLSTMLayer": _bilstm, "FullyConnectedLayer": _fc, "SoftmaxLayer": _softmax,
            "DropoutLayer": _identity, "ClassificationOutputLayer": _identity,
            "RegressionOutputLayer": _identity, "ReLULayer": _unary("Relu"),
            "LeakyReLULayer": _unary("LeakyRelu", alpha="Scale"),
            "ClippedReLULayer": _clipped_relu, "ELULayer": _unary("Elu", alpha="Alpha"),
            "TanhLayer": _unary("Tanh"), "SigmoidLayer": _unary("Sigmoid"),
            "SwishLayer": _swish, "GELULayer": _gelu}

__all__ = ["exportONNXNetwork"]
