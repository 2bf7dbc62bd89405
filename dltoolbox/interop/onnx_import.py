"""importNetworkFromONNX / importONNXNetwork: ONNX models of sequence networks as a
SeriesNetwork (reference part 2, §8.2).

An ONNX file is data (a protobuf), never code. The importer follows the data path from the
graph input through the operators dltoolbox has layers for, and reads the side
computations that only make zero initial states (``Shape``, ``Gather``, ``Concat``,
``ConstantOfShape``, ``Expand``, as ``torch.onnx.export`` writes them):

* ``GRU`` (forward) -> gruLayer: ``linear_before_reset=1`` -> 'after-multiplication', or
  'recurrent-bias-after-multiplication' when the recurrent bias of the candidate is not 0
  (PyTorch's nn.GRU); ``linear_before_reset=0`` -> 'before-multiplication' (the two biases
  add). ``LSTM`` -> lstmLayer (forward) or bilstmLayer (bidirectional); the two biases add.
* ``Squeeze`` of ``Y`` / ``Y_h``, ``Transpose`` + ``Reshape`` of a bidirectional ``Y``,
  and ``Gather``/``Slice`` of the last time step (OutputMode 'last').
* ``MatMul`` + ``Add`` and ``Gemm`` -> fullyConnectedLayer; ``Softmax`` (last axis) ->
  softmaxLayer; ``Relu``, ``LeakyRelu``, ``Clip`` (from 0), ``Elu``, ``Tanh``,
  ``Sigmoid``, ``Gelu`` and ``Mul(x, Sigmoid(x))`` -> the activation layers;
  ``Dropout``/``Identity``/``Cast`` pass through; ``Sub``/``Mul``/``Div``/``Add`` with
  constants on the input -> the input layer's normalization.

Any other operator on the data path is a named error that names it. The input is
``[T, N, C]`` (ONNX's layout 0); a ``Transpose`` to batch-first and back is followed.
"""

import os

import numpy as np

from .._nameval import Option, options_table, parse_name_value
from .._validate import check_one_of, check_text, describe
from ..errors import DLToolboxError, raise_error
from .gate_order import reorder
from .onnx_export import onnx_modules

_ACTIVATION_OPS = ("Relu", "LeakyRelu", "Elu", "Tanh", "Sigmoid", "Gelu")
_ACT = {"Sigmoid": "sigmoid", "HardSigmoid": "hard-sigmoid", "Tanh": "tanh",
        "Softsign": "softsign"}


def _check_classes(value, func, name):
    from ..layers.classification import _check_classes as check
    return check(value, func, name)


_NEW_OPTIONS = options_table(
    Option("OutputLayerType", "auto", check_one_of("auto", "classification", "regression")),
    Option("Classes", "auto", _check_classes),
)
_LEGACY_OPTIONS = options_table(
    Option("OutputLayerType", None, check_one_of("classification", "regression")),
    Option("Classes", "auto", _check_classes),
    Option("InputDataFormats", "", check_text),
)


def importNetworkFromONNX(modelfile, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Import an ONNX model of a sequence network (MATLAB ``importNetworkFromONNX``).

    MATLAB returns a dlnetwork, which dltoolbox does not have yet: this returns a
    SeriesNetwork ending in a classificationLayer when the graph ends in ``Softmax`` and a
    regressionLayer otherwise (``'OutputLayerType'`` chooses), so that ``predict`` gives
    the graph's output. ``'Classes'`` names the classes.

    >>> import os, tempfile, numpy as np
    >>> from dltoolbox import *
    >>> net = assembleNetwork([sequenceInputLayer(2),
    ...     fullyConnectedLayer(1, Weights=np.ones((1, 2)), Bias=np.zeros((1, 1))),
    ...     regressionLayer()])
    >>> path = os.path.join(tempfile.mkdtemp(), 'net.onnx')
    >>> exportONNXNetwork(net, path)
    >>> importNetworkFromONNX(path).Layers[1].Weights.tolist()
    [[1.0, 1.0]]
    """
    opts = parse_name_value("importNetworkFromONNX", args, kwargs, _NEW_OPTIONS)
    return read_network(modelfile, opts["OutputLayerType"], opts["Classes"],
                        "importNetworkFromONNX")


def importONNXNetwork(modelfile, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Import an ONNX model as a SeriesNetwork (MATLAB's legacy ``importONNXNetwork``).

    ``'OutputLayerType'`` ('classification' or 'regression') is required, as in MATLAB;
    ``'Classes'`` names the classes of a classification network.
    """
    func = "importONNXNetwork"
    opts = parse_name_value(func, args, kwargs, _LEGACY_OPTIONS)
    if opts["OutputLayerType"] is None:
        raise_error(func, "MissingOutputLayerType",
                    "Specify 'OutputLayerType' as 'classification' or 'regression' (the "
                    "ONNX model has no output layer).")
    return read_network(modelfile, opts["OutputLayerType"], opts["Classes"], func)


def read_network(modelfile, output_type, classes, func):
    onnx, _, _, nh = onnx_modules(func)
    if isinstance(modelfile, os.PathLike):
        modelfile = os.fspath(modelfile)
    if not isinstance(modelfile, str) or not modelfile.strip():
        raise_error(func, "InvalidFileName",
                    f"The model file name must be text, got {describe(modelfile)}.", "type")
    if not os.path.isfile(modelfile):
        raise_error(func, "FileNotFound", f"Unable to find file '{modelfile}'.")
    try:
        model = onnx.load(modelfile)
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - protobuf and checker errors vary
        raise_error(func, "InvalidONNXFile",
                    f"'{modelfile}' is not a valid ONNX model ({type(exc).__name__}: "
                    f"{str(exc)[:200]}).")
    return _Importer(model, nh, func).network(output_type, classes)


class _Importer:
    def __init__(self, model, nh, func):
        self.func = func
        self.graph = model.graph
        self.nh = nh
        self.consts = {t.name: nh.to_array(t) for t in self.graph.initializer}
        self.zeros = set()          # tensors known to be all zeros (of any shape)
        self.layers = []
        self.norm = []              # (op, constant) on the input, in order
        self.pending_fc = None      # the fullyConnectedLayer a MatMul just made
        self.sigmoid_of = {}        # Sigmoid output -> (its input, its layer): swish

    # -- helpers ---------------------------------------------------------------------
    def fail(self, node, why):
        raise_error(self.func, "UnsupportedOperator",
                    f"Node '{node.name or node.output[0]}' ({node.op_type}) {why}; dltoolbox "
                    f"imports GRU, LSTM, MatMul/Add/Gemm, Softmax, Dropout and the ops around "
                    f"them.")

    def attr(self, node, name, default=None):
        from onnx import helper
        for a in node.attribute:
            if a.name == name:
                v = helper.get_attribute_value(a)
                if isinstance(v, list):
                    v = [e.decode() if isinstance(e, bytes) else e for e in v]
                return v.decode() if isinstance(v, bytes) else v
        return default

    def const(self, name):
        return self.consts.get(name)

    def side(self, node):
        """Evaluate a node off the data path where its inputs are constants."""
        op = node.op_type
        ins = [self.const(i) if i else None for i in node.input]
        out = node.output[0] if node.output else None
        if op == "Constant":
            t = self.attr(node, "value")
            if t is not None:
                self.consts[out] = self.nh.to_array(t)
            else:
                for key in ("value_float", "value_int", "value_floats", "value_ints"):
                    v = self.attr(node, key)
                    if v is not None:
                        self.consts[out] = np.asarray(v)
            return
        if op == "ConstantOfShape":
            t = self.attr(node, "value")
            value = 0.0 if t is None else float(self.nh.to_array(t).reshape(-1)[0])
            if value == 0.0:
                self.zeros.add(out)
            if ins[0] is not None:
                self.consts[out] = np.full(tuple(ins[0]), value, np.float32)
            return
        if op in ("Expand", "Identity", "Cast", "Unsqueeze", "Reshape", "Tile") and \
                node.input and node.input[0] in self.zeros:
            self.zeros.add(out)
            return
        if op == "Expand" and ins[0] is not None:
            # a constant broadcast over the batch: kept as the constant (batch 1)
            self.consts[out] = ins[0] if ins[1] is None else \
                ins[0] * np.ones(tuple(int(n) for n in ins[1]), ins[0].dtype)
            return
        if all(v is not None for v in ins) and ins:
            try:
                self.consts[out] = _evaluate(op, ins, node, self)
            except (KeyError, ValueError, TypeError, IndexError):
                pass

    # -- the walk --------------------------------------------------------------------
    def network(self, output_type, classes):
        from ..layers import (
            classificationLayer,
            regressionLayer,
            sequenceInputLayer,
        )
        from ..network import assembleNetwork
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise_error(self.func, "UnsupportedInputs",
                        f"The model has {len(inputs)} data inputs; dltoolbox imports networks "
                        f"with one sequence input [T, N, C].")
        dims = inputs[0].type.tensor_type.shape.dim
        if len(dims) != 3:
            raise_error(self.func, "UnsupportedInputs",
                        f"The input '{inputs[0].name}' has {len(dims)} dimensions; a sequence "
                        f"input has 3 ([T, N, C], or [N, T, C] followed by a Transpose).")
        kinds = {inputs[0].name: "seq"}     # tensor -> 'seq', 'seq_bt', 'vec', 'rnn...'
        channels = dims[2].dim_value or None
        for node in self.graph.node:
            on_path = [i for i in node.input if i in kinds]
            if not on_path:
                self.side(node)
                continue
            self.step(node, kinds, on_path[0])
        outputs = [o.name for o in self.graph.output]
        if len(outputs) < 1 or outputs[0] not in kinds or kinds[outputs[0]] not in ("seq", "vec"):
            raise_error(self.func, "UnsupportedOutputs",
                        "The model's first output is not the result of the sequence path "
                        "(a [T, N, K] or [N, K] tensor).")
        first = next((la for la in self.layers if hasattr(la, "InputWeights")), None)
        if channels is None:
            channels = first.InputWeights.shape[1] if first is not None else \
                next(la.Weights.shape[1] for la in self.layers if hasattr(la, "Weights"))
        input_layer = sequenceInputLayer(int(channels), **self.normalization(int(channels)))
        ends_softmax = bool(self.layers) and type(self.layers[-1]).__name__ == "SoftmaxLayer"
        kind = output_type if output_type != "auto" else \
            ("classification" if ends_softmax else "regression")
        out = classificationLayer(Classes=classes) if kind == "classification" \
            else regressionLayer()
        import warnings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # Classes 'auto' -> '1'..'K', expected
                return assembleNetwork([input_layer] + self.layers + [out])
        except DLToolboxError as err:
            raise_error(self.func, "InvalidNetwork",
                        f"The imported layers do not form a valid network: {err.message}")

    def normalization(self, c):
        if not self.norm:
            return {}
        shift, scale, offset = np.zeros(c), np.ones(c), 0.0
        for op, v in self.norm:
            v = np.broadcast_to(np.asarray(v, np.float64).reshape(-1), (c,))
            if op == "Sub" and np.all(scale == 1) and offset == 0:
                shift = shift + v
            elif op in ("Mul", "Div") and offset == 0:
                scale = scale * (v if op == "Mul" else 1 / v)
            elif op == "Add" and np.all(v == v[0]):
                offset += float(v[0])
            else:
                raise_error(self.func, "UnsupportedOperator",
                            f"The input is transformed by {op} in an order that dltoolbox's "
                            f"input normalization cannot express.")
        f32 = np.float32
        if offset == 0 and np.all(scale == 1):
            return {"Normalization": "zerocenter", "Mean": shift.astype(f32)}
        if offset == 0:
            return {"Normalization": "zscore", "Mean": shift.astype(f32),
                    "StandardDeviation": (1 / scale).astype(f32)}
        if offset == -1.0:
            return {"Normalization": "rescale-symmetric", "Min": shift.astype(f32),
                    "Max": (shift + 2 / scale).astype(f32)}
        raise_error(self.func, "UnsupportedOperator",
                    f"The input normalization adds {offset}, which no Normalization does.")

    def step(self, node, kinds, x):
        op = node.op_type
        kind = kinds[x]
        out = node.output[0]
        others = [i for i in node.input if i and i != x]
        if op == "Shape":       # shape arithmetic for zero initial states: off the path
            return
        if op in ("Identity", "Cast", "Dropout"):
            kinds[out] = kind
            return
        if op == "Mul" and len(others) == 1 and others[0] in self.sigmoid_of and \
                self.sigmoid_of[others[0]][0] == x and \
                self.layers and self.layers[-1] is self.sigmoid_of[others[0]][1]:
            from ..layers import swishLayer
            self.layers[-1] = swishLayer()              # x * sigmoid(x)
            kinds[out] = kind
            return
        if op in ("GRU", "LSTM"):
            if kind != "seq":
                self.fail(node, "takes a tensor that is not a [T, N, C] sequence")
            layer, dirs = (self._gru(node) if op == "GRU" else self._lstm(node))
            self.layers.append(layer)
            self.pending_fc = None
            if len(node.output) > 0 and node.output[0]:
                kinds[node.output[0]] = f"rnnY{dirs}"
            if len(node.output) > 1 and node.output[1]:
                kinds[node.output[1]] = f"rnnYh{dirs}"
            return
        if op == "Squeeze":
            axes = self.attr(node, "axes") or (list(self.const(others[0])) if others else None)
            if kind == "rnnY1" and axes is not None and list(axes) == [1]:
                kinds[out] = "seq"
                return
            if kind == "rnnYh1" and axes is not None and list(axes) == [0]:
                self._set_last(node)
                kinds[out] = "vec"
                return
            if kind == "lastslice" and axes is not None and list(axes) == [0]:
                kinds[out] = "vec"
                return
            self.fail(node, f"squeezes axes {axes} of a {kind} tensor")
        if op == "Transpose":
            perm = list(self.attr(node, "perm") or [])
            if kind == "rnnY2" and perm == [0, 2, 1, 3]:
                kinds[out] = "rnnYt"
                return
            if kind == "seq" and perm == [1, 0, 2]:
                kinds[out] = "seq"          # batch-first <-> time-first: same data
                return
            self.fail(node, f"transposes a {kind} tensor with perm {perm}")
        if op == "Reshape":
            shape = self.const(others[0]) if others else None
            if kind == "rnnYt" and shape is not None and len(shape) == 3:
                kinds[out] = "seq"
                return
            self.fail(node, f"reshapes a {kind} tensor")
        if op == "Gather" and kind == "seq" and self.attr(node, "axis", 0) == 0:
            idx = self.const(others[0]) if others else None
            if idx is not None and np.ndim(idx) == 0 and int(idx) == -1:
                self._set_last(node)
                kinds[out] = "vec"
                return
            self.fail(node, "selects time steps other than the last")
        if op == "Gather" and kind == "lastslice" and self.attr(node, "axis", 0) == 0:
            idx = self.const(others[0]) if others else None
            if idx is not None and np.ndim(idx) == 0 and int(idx) in (0, -1):
                kinds[out] = "vec"
                return
            self.fail(node, "selects from the last time step in an unexpected way")
        if op == "Slice" and kind == "seq":
            starts = self.attr(node, "starts") or self.const(node.input[1])
            axes = self.attr(node, "axes") or (self.const(node.input[3])
                                               if len(node.input) > 3 and node.input[3] else [0])
            if starts is not None and list(np.ravel(starts)) == [-1] and \
                    list(np.ravel(axes)) == [0]:
                self._set_last(node)
                kinds[out] = "lastslice"
                return
            self.fail(node, "slices time steps other than the last")
        if op == "MatMul" and kind in ("seq", "vec"):
            w = self.const(others[0]) if others else None
            if w is None or w.ndim != 2 or node.input[0] != x:
                self.fail(node, "multiplies by something other than a constant matrix")
            from ..layers import fullyConnectedLayer
            layer = fullyConnectedLayer(w.shape[1], Weights=w.T.astype(np.float32),
                                        Bias=np.zeros((w.shape[1], 1), np.float32))
            self.layers.append(layer)
            self.pending_fc = (out, layer)
            kinds[out] = kind
            return
        if op == "Gemm" and kind == "vec":
            w = self.const(node.input[1])
            b = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if w is None or (len(node.input) > 2 and node.input[2] and b is None) or \
                    self.attr(node, "transA", 0):
                self.fail(node, "has weights that are not constants")
            alpha, beta = self.attr(node, "alpha", 1.0), self.attr(node, "beta", 1.0)
            w = alpha * (w if self.attr(node, "transB", 0) else w.T)
            k = w.shape[0]
            b = np.zeros(k) if b is None else beta * np.broadcast_to(b.reshape(-1), (k,))
            from ..layers import fullyConnectedLayer
            self.layers.append(fullyConnectedLayer(
                k, Weights=w.astype(np.float32), Bias=b.reshape(-1, 1).astype(np.float32)))
            self.pending_fc = None
            kinds[out] = kind
            return
        if op in ("Add", "Sub", "Mul", "Div") and kind in ("seq", "vec") and len(others) == 1:
            c = self.const(others[0])
            if c is None:
                self.fail(node, "combines the data with a non-constant tensor")
            if op == "Add" and self.pending_fc and self.pending_fc[0] == x:
                layer = self.pending_fc[1]
                k = layer.Weights.shape[0]
                object.__setattr__(layer, "Bias", (layer.Bias + np.broadcast_to(
                    c.reshape(-1), (k,)).reshape(-1, 1)).astype(np.float32))
                self.pending_fc = (out, layer)
                kinds[out] = kind
                return
            if not self.layers and (op != "Div" or node.input[0] == x) and \
                    (op != "Sub" or node.input[0] == x):
                self.norm.append((op, c))
                kinds[out] = kind
                return
            self.fail(node, "is an elementwise operation with no dltoolbox layer")
        if op in _ACTIVATION_OPS and kind in ("seq", "vec") and not others:
            layer = self._activation_layer(node)
            self.layers.append(layer)
            self.pending_fc = None
            if op == "Sigmoid":
                self.sigmoid_of[out] = (x, layer)
            kinds[out] = kind
            return
        if op == "Clip" and kind in ("seq", "vec"):
            lo = self.attr(node, "min") if len(node.input) < 2 else \
                (self.const(node.input[1]) if node.input[1] else None)
            hi = self.attr(node, "max") if len(node.input) < 2 else \
                (self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None)
            if lo is None or float(lo) != 0.0:
                self.fail(node, "clips at a lower bound other than 0")
            from ..layers import clippedReluLayer, reluLayer
            self.layers.append(reluLayer() if hi is None else clippedReluLayer(float(hi)))
            self.pending_fc = None
            kinds[out] = kind
            return
        if op == "Softmax":
            axis = self.attr(node, "axis", -1)
            rank = 3 if kind == "seq" else 2
            if axis in (-1, rank - 1):
                from ..layers import softmaxLayer
                self.layers.append(softmaxLayer())
                self.pending_fc = None
                kinds[out] = kind
                return
            self.fail(node, f"normalizes over axis {axis}, not the channels")
        self.fail(node, f"on a {kind} tensor has no dltoolbox layer")

    def _activation_layer(self, node):
        from .. import layers
        op = node.op_type
        if op == "LeakyRelu":
            return layers.leakyReluLayer(float(self.attr(node, "alpha", 0.01)))
        if op == "Elu":
            return layers.eluLayer(float(self.attr(node, "alpha", 1.0)))
        if op == "Gelu":
            return layers.geluLayer('Approximation', self.attr(node, "approximate", "none"))
        return {"Relu": layers.reluLayer, "Tanh": layers.tanhLayer,
                "Sigmoid": layers.sigmoidLayer}[op]()

    def _set_last(self, node):
        rnn = [la for la in self.layers if la.state_names()]
        if not rnn:
            self.fail(node, "takes the last time step, but no recurrent layer precedes it")
        if rnn[-1] is not self.layers[-1] and not all(
                type(la).__name__ in ("FullyConnectedLayer", "SoftmaxLayer", "DropoutLayer")
                for la in self.layers[self.layers.index(rnn[-1]) + 1:]):
            self.fail(node, "takes the last time step after layers that mix time steps")
        object.__setattr__(rnn[-1], "OutputMode", "last")

    def _rnn_common(self, node, gates):
        w, r = self.const(node.input[1]), self.const(node.input[2])
        b = self.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        if w is None or r is None or (len(node.input) > 3 and node.input[3] and b is None):
            self.fail(node, "has weights that are not constants")
        if len(node.input) > 4 and node.input[4]:
            self.fail(node, "has sequence_lens (variable lengths inside one batch)")
        if self.attr(node, "clip") is not None or self.attr(node, "layout", 0):
            self.fail(node, "uses 'clip' or 'layout' 1")
        dirs = w.shape[0]
        h = self.attr(node, "hidden_size") or r.shape[-1]
        if b is None:
            b = np.zeros((dirs, 2 * gates * h), np.float32)
        states = []
        for k in (5, 6)[: 1 if gates == 3 else 2]:
            name = node.input[k] if len(node.input) > k else ""
            if not name or name in self.zeros:
                states.append(None)
                continue
            v = self.const(name)
            if v is None:
                self.fail(node, f"has an initial state '{name}' that is computed, not zeros "
                          f"or a constant")
            if np.all(v == 0):
                states.append(None)
            elif v.shape[1] == 1:
                states.append(np.concatenate([v[d, 0][:, None] for d in range(dirs)]))
            else:
                self.fail(node, "has an initial state of more than one observation")
        return w.astype(np.float64), r.astype(np.float64), b.astype(np.float64), h, dirs, states

    def _activations(self, node, n_per_dir, dirs):
        acts = self.attr(node, "activations")
        alpha = self.attr(node, "activation_alpha")
        beta = self.attr(node, "activation_beta")
        if not acts:
            return "sigmoid", "tanh"
        names = []
        k = 0       # ONNX Runtime: the k-th HardSigmoid takes the k-th alpha and beta
        for a in acts:
            if a not in _ACT:
                self.fail(node, f"uses the activation {a}")
            if a == "HardSigmoid":
                al = alpha[k] if alpha and k < len(alpha) else 0.2
                be = beta[k] if beta and k < len(beta) else 0.5
                k += 1
                if abs(al - 0.2) > 1e-6 or abs(be - 0.5) > 1e-6:
                    self.fail(node, f"uses HardSigmoid with alpha {al}, beta {be} (MATLAB's "
                              f"hard-sigmoid is 0.2, 0.5)")
            names.append(_ACT[a])
        gate, state = names[0], names[1]
        if any(names[d * n_per_dir:(d + 1) * n_per_dir] != [gate] + [state] * (n_per_dir - 1)
               for d in range(dirs)):
            self.fail(node, f"uses activations {acts} that MATLAB's layer cannot express")
        return gate, state

    def _gru(self, node):
        from ..layers import gruLayer
        w, r, b, h, dirs, (h0,) = self._rnn_common(node, 3)
        if dirs != 1 or self.attr(node, "direction", "forward") != "forward":
            self.fail(node, "is a reverse or bidirectional GRU (dltoolbox has no bigruLayer)")
        gate, state = self._activations(node, 2, 1)
        wb = reorder(b[0, :3 * h], "gru", "onnx", "matlab")
        rb = reorder(b[0, 3 * h:], "gru", "onnx", "matlab")
        lbr = self.attr(node, "linear_before_reset", 0)
        if not lbr:
            mode, bias = "before-multiplication", wb + rb
        elif np.all(rb[2 * h:] == 0):
            mode, bias = "after-multiplication", wb + rb
        else:
            mode, bias = "recurrent-bias-after-multiplication", np.concatenate([wb, rb])
        f32 = np.float32
        layer = gruLayer(h, ResetGateMode=mode, GateActivationFunction=gate,
                         StateActivationFunction=state,
                         InputWeights=reorder(w[0], "gru", "onnx", "matlab").astype(f32),
                         RecurrentWeights=reorder(r[0], "gru", "onnx", "matlab").astype(f32),
                         Bias=bias.reshape(-1, 1).astype(f32),
                         HiddenState=None if h0 is None else h0.astype(f32))
        return layer, 1

    def _lstm(self, node):
        w, r, b, h, dirs, (h0, c0) = self._rnn_common(node, 4)
        p = self.const(node.input[7]) if len(node.input) > 7 and node.input[7] else None
        if (len(node.input) > 7 and node.input[7] and p is None) or \
                (p is not None and np.any(p != 0)) or self.attr(node, "input_forget", 0):
            self.fail(node, "uses peepholes or input_forget (no MATLAB lstmLayer form)")
        direction = self.attr(node, "direction", "forward")
        if direction == "reverse":
            self.fail(node, "runs in reverse only")
        gate, state = self._activations(node, 3, dirs)
        from ..layers import bilstmLayer, lstmLayer
        ctor = bilstmLayer if dirs == 2 else lstmLayer
        rows = 4 * h

        def per_dir(a):
            return np.concatenate([reorder(a[d], "lstm", "onnx", "matlab") for d in range(dirs)])

        bias = np.stack([b[d, :rows] + b[d, rows:] for d in range(dirs)])
        f32 = np.float32
        opts = dict(GateActivationFunction=gate, StateActivationFunction=state,
                    InputWeights=per_dir(w).astype(f32), RecurrentWeights=per_dir(r).astype(f32),
                    Bias=per_dir(bias).reshape(-1, 1).astype(f32))
        if h0 is not None:
            opts["HiddenState"] = h0.astype(f32)
        if c0 is not None:
            opts["CellState"] = c0.astype(f32)
        return ctor(h, **opts), dirs


def _evaluate(op, ins, node, imp):
    """Constant folding of the shape arithmetic around recurrent nodes."""
    if op == "Unsqueeze":
        axes = imp.attr(node, "axes") or list(ins[1])
        out = ins[0]
        for a in sorted(axes):
            out = np.expand_dims(out, a)
        return out
    if op == "Concat":
        return np.concatenate([np.atleast_1d(v) for v in ins], axis=imp.attr(node, "axis", 0))
    if op == "Gather":
        return np.take(ins[0], ins[1], axis=imp.attr(node, "axis", 0))
    if op in ("Identity", "Cast"):
        return ins[0]
    if op == "Squeeze":
        axes = imp.attr(node, "axes") or (list(ins[1]) if len(ins) > 1 else None)
        return np.squeeze(ins[0], axis=tuple(axes) if axes else None)
    if op == "Reshape":
        return ins[0].reshape(tuple(int(s) for s in ins[1]))
    raise KeyError(op)


__all__ = ["importNetworkFromONNX", "importONNXNetwork"]
