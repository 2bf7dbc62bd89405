"""MATLAB's functional deep learning operations on dlarrays (``fullyconnect``, ``lstm``,
``gru``, ``softmax``, ``relu``, ``dlconv``, ``batchnorm``, ...).

Each op that has a layer counterpart runs that layer's ``forward`` with the given
weights and records one tape node whose backward is the layer's own ``backprop``: the
numbers and gradients are those of gruLayer, lstmLayer, fullyConnectedLayer, ... Weight
layouts are MATLAB's: ``fullyconnect`` K-by-C, ``lstm`` 4H-by-C (gates i, f, g, o),
``gru`` 3H-by-C (gates r, z, h), ``dlconv`` (1-D) FilterSize-by-C-by-K.
"""

import numpy as np

from .. import initializers
from .._nameval import Option, options_table, parse_name_value
from .._validate import check_one_of, check_scalar
from ..backend import get_xp
from ..errors import raise_error
from ..layers import (
    batchNormalizationLayer,
    convolution1dLayer,
    geluLayer,
    gruLayer,
    layerNormalizationLayer,
    leakyReluLayer,
    lstmLayer,
)
from ..layers.fully_connected import FullyConnectedLayer
from ..layers.softmax import SoftmaxLayer
from ..network import outputs
from . import tape as _tape
from .dlarray import _as_data, dlarray, stripdims
from .layer_node import run_layer


def _format_option(value, func, name):
    if not isinstance(value, str):
        raise_error(func, "InvalidDataFormat", "Expected 'DataFormat' as text such as 'CBT'.",
                    "type")
    return value.upper()


def _dl_input(X, func):
    """X as a dlarray of floating-point data (numeric input wrapped, logical as single);
    anything else is ``dltoolbox:<func>:InvalidData``."""
    if not isinstance(X, dlarray):
        X = dlarray._wrap(_as_data(X, func, "X"), "")
    if X._data.dtype.kind == "b":
        X = dlarray._wrap(X._data.astype(np.float32), X._fmt)
    return X


def _labelled(X, data_format, func):
    """X as a formatted dlarray; (X, was_unformatted)."""
    X = _dl_input(X, func)
    if X._fmt:
        if data_format:
            raise_error(func, "DataFormatOfFormatted",
                        "'DataFormat' is only for unformatted input; this dlarray is "
                        f"already formatted ('{X._fmt}').")
        return X, False
    if not data_format:
        return X, False
    return dlarray(X, data_format), True


def _value(a, func, name):
    if a is None:
        raise_error(func, "MissingInput", f"'{name}' is required.")
    return a._data if isinstance(a, dlarray) else _as_data(a, func, name)


def _node(a):
    return a._node if isinstance(a, dlarray) else None


def _shell(layer, **arrays):
    for name, value in arrays.items():
        object.__setattr__(layer, name, value)
    layer.__dict__.pop("_cache", None)
    return layer


def _finish(Y, unformatted):
    return stripdims(Y) if unformatted else Y


# -- fullyconnect ---------------------------------------------------------------------
_DF = options_table(Option("DataFormat", "", _format_option))


def fullyconnect(X, weights, bias, *args, **kwargs):
    """Fully connect (MATLAB ``fullyconnect``): Y = weights*X + bias over the channels
    (and spatial dimensions), at every batch and time step.

    >>> import numpy as np
    >>> X = dlarray(np.ones((3, 2), np.float32), "CB")
    >>> Y = fullyconnect(X, np.ones((4, 3), np.float32), np.zeros(4, np.float32))
    >>> dims(Y), Y.size()
    ('CB', (4, 2))
    """
    opts = parse_name_value("fullyconnect", args, kwargs, _DF)
    X, unf = _labelled(X, opts["DataFormat"], "fullyconnect")
    W = _value(weights, "fullyconnect", "weights")
    b = _value(bias, "fullyconnect", "bias")
    fmt = X._fmt if isinstance(X, dlarray) else ""
    if fmt.startswith("S"):
        raise_error("fullyconnect", "NotSupported",
                    "Spatial dimensions are not supported yet; flatten them into C first.")
    if W.ndim != 2 or b.size != W.shape[0]:
        raise_error("fullyconnect", "InvalidWeights",
                    f"Expected weights K-by-C and a bias of K elements, got "
                    f"{'×'.join(map(str, W.shape))} and {b.size}.")
    layer = _shell(object.__new__(FullyConnectedLayer), Weights=W, Bias=b.reshape(-1, 1),
                   Name="fullyconnect", OutputSize=W.shape[0])
    c = X.size(1) if isinstance(X, dlarray) and X._fmt else None
    if c is not None and c != W.shape[1]:
        raise_error("fullyconnect", "SizeMismatch",
                    f"The weights have {W.shape[1]} columns but the input has {c} channels.")
    Y, _ = run_layer(layer, X, params={"Weights": _node(weights), "Bias": _node(bias)},
                     func="fullyconnect", grad_shapes={"Bias": b.shape})
    return _finish(Y, unf)


# -- recurrent ops -------------------------------------------------------------------
_LSTM = options_table(Option("DataFormat", "", _format_option),
                      Option("StateActivationFunction", "tanh", check_one_of("tanh", "softsign")),
                      Option("GateActivationFunction", "sigmoid",
                             check_one_of("sigmoid", "hard-sigmoid")))
_GRU = options_table(*_LSTM.values(),
                     Option("ResetGateMode", "after-multiplication",
                            check_one_of("after-multiplication", "before-multiplication",
                                         "recurrent-bias-after-multiplication")))


def _state_in(S, batch, func, name, rows):
    data = _value(S, func, name)
    if data.ndim > 2 or data.size == 0:
        raise_error(func, "InvalidState",
                    f"Expected '{name}' {rows}-by-{batch} (or {rows}-by-1), got "
                    f"{'×'.join(map(str, data.shape)) or 'a scalar'}.")
    data = data.reshape(data.shape[0] if data.ndim else 1, -1)
    if data.shape[0] != rows or data.shape[1] not in (1, batch):
        raise_error(func, "InvalidState",
                    f"Expected '{name}' {rows}-by-{batch} (or {rows}-by-1), got "
                    f"{'×'.join(map(str, data.shape))}.")
    xp = get_xp(data)
    return xp.ascontiguousarray(xp.broadcast_to(data.T, (batch, rows)))


def _recurrent(func, layer, X, states, arrays, nodes, nargout, unf):
    Xd = X if isinstance(X, dlarray) else None
    if Xd is None or Xd._fmt not in ("CBT", "CT"):
        raise_error(func, "InvalidDataFormat",
                    f"Expected a dlarray with format 'CBT' or 'CT' (or 'DataFormat'), got "
                    f"{repr(Xd._fmt) if Xd is not None and Xd._fmt else 'an unformatted array'}.")
    batch = Xd.size(2) if Xd._fmt == "CBT" else 1
    h = layer.NumHiddenUnits
    init = tuple(_state_in(s, batch, func, n, h) for s, n in zip(states, ("H0", "C0")))
    state_nodes = [_node(s) for s in states]
    _shell(layer, **arrays)
    Y, finals = run_layer(layer, Xd, state=init, params=nodes, state_nodes=state_nodes,
                          func=func, formats=("CBT", "CT"), state_out=True,
                          grad_shapes={n: _value(s, func, n).shape
                                       for s, n in zip(states, layer.state_names())})
    # hiddenState (h_T, the last step of Y) and cellState (c_T): H-by-B, unformatted,
    # differentiable like Y (their gradients enter the layer's backward as those of the
    # final states)
    return outputs([_finish(Y, unf), *finals], nargout, func)


def _recurrent_weights(func, weights, recurrentWeights, bias):
    """(W, R, b, H, the layer's arrays, their nodes) of a functional recurrent op."""
    W = _value(weights, func, "weights")
    R = _value(recurrentWeights, func, "recurrentWeights")
    b = _value(bias, func, "bias")
    h = R.shape[1] if R.ndim == 2 else 0
    arrays = {"InputWeights": W, "RecurrentWeights": R, "Bias": b.reshape(-1, 1)}
    nodes = {"InputWeights": _node(weights), "RecurrentWeights": _node(recurrentWeights),
             "Bias": _node(bias)}
    return W, R, b, h, arrays, nodes


def lstm(X, H0, C0, weights, recurrentWeights, bias, *args, nargout=1, **kwargs):
    """Long short-term memory (MATLAB ``lstm``): ``[Y, hiddenState, cellState] =
    lstm(X, H0, C0, weights, recurrentWeights, bias)`` with weights 4H-by-C, recurrent
    weights 4H-by-H and bias 4H-by-1 in gate order input, forget, cell candidate, output
    (lstmLayer's layout). X is "CBT" or "CT"; H0, C0 H-by-B (or H-by-1).

    >>> import numpy as np
    >>> X = dlarray(np.ones((2, 3, 4), np.float32), "CBT")
    >>> z = np.zeros
    >>> Y = lstm(X, z((5, 1)), z((5, 1)), z((20, 2)), z((20, 5)), z((20, 1)))
    >>> dims(Y), Y.size()
    ('CBT', (5, 3, 4))
    """
    opts = parse_name_value("lstm", args, kwargs, _LSTM)
    X, unf = _labelled(X, opts["DataFormat"], "lstm")
    W, R, b, h, arrays, nodes = _recurrent_weights("lstm", weights, recurrentWeights, bias)
    if R.shape != (4 * h, h) or W.ndim != 2 or W.shape[0] != 4 * h or b.size != 4 * h:
        raise_error("lstm", "InvalidWeights",
                    f"Expected weights 4H-by-C, recurrentWeights 4H-by-H and bias 4H-by-1; "
                    f"got {'×'.join(map(str, W.shape))}, {'×'.join(map(str, R.shape))} and "
                    f"{b.size} elements.")
    layer = lstmLayer(h, "StateActivationFunction", opts["StateActivationFunction"],
                      "GateActivationFunction", opts["GateActivationFunction"])
    return _recurrent("lstm", layer, X, (H0, C0), arrays, nodes, nargout, unf)


def gru(X, H0, weights, recurrentWeights, bias, *args, nargout=1, **kwargs):
    """Gated recurrent unit (MATLAB ``gru``): ``[Y, hiddenState] = gru(X, H0, weights,
    recurrentWeights, bias)`` with weights 3H-by-C, recurrent weights 3H-by-H, bias 3H-by-1
    (6H-by-1 for 'recurrent-bias-after-multiplication'), gate order reset, update,
    candidate (gruLayer's layout and ResetGateMode).

    >>> import numpy as np
    >>> X = dlarray(np.ones((2, 4), np.float32), "CT")
    >>> z = np.zeros
    >>> Y, h = gru(X, z((5, 1)), z((15, 2)), z((15, 5)), z((15, 1)), nargout=2)
    >>> dims(Y), h.size()
    ('CT', (5, 1))
    """
    opts = parse_name_value("gru", args, kwargs, _GRU)
    X, unf = _labelled(X, opts["DataFormat"], "gru")
    W, R, b, h, arrays, nodes = _recurrent_weights("gru", weights, recurrentWeights, bias)
    nb = 6 * h if opts["ResetGateMode"] == "recurrent-bias-after-multiplication" else 3 * h
    if R.shape != (3 * h, h) or W.ndim != 2 or W.shape[0] != 3 * h or b.size != nb:
        raise_error("gru", "InvalidWeights",
                    f"Expected weights 3H-by-C, recurrentWeights 3H-by-H and bias "
                    f"{nb // h if h else 3}H-by-1; got {'×'.join(map(str, W.shape))}, "
                    f"{'×'.join(map(str, R.shape))} and {b.size} elements.")
    layer = gruLayer(h, "StateActivationFunction", opts["StateActivationFunction"],
                     "GateActivationFunction", opts["GateActivationFunction"],
                     "ResetGateMode", opts["ResetGateMode"])
    return _recurrent("gru", layer, X, (H0,), arrays, nodes, nargout, unf)


# -- activations ---------------------------------------------------------------------
def _elementwise(layer, X, func):
    """An elementwise layer's _apply on any dlarray (format kept)."""
    X = _dl_input(X, func)
    data = X._data
    Y, grad = layer._apply(get_xp(data), data.reshape(1) if data.ndim == 0 else data)
    return X._result(Y.reshape(data.shape), X._fmt, (X._node,),
                     lambda g: (grad(g.reshape(Y.shape)).reshape(data.shape),))


_GELU = options_table(Option("Approximation", "none", check_one_of("none", "tanh")))


def relu(X):
    """Rectified linear unit, max(X, 0), elementwise (MATLAB ``relu``).

    >>> extractdata(relu(dlarray(np.array([-1.0, 2.0])))).tolist()
    [0.0, 2.0]
    """
    X = _dl_input(X, "relu")
    xp = get_xp(X._data)
    pos = X._data > 0
    return X._result(xp.where(pos, X._data, 0).astype(X.dtype, copy=False), X._fmt,
                     (X._node,), lambda g: (g * pos,))


def leakyrelu(X, scaleFactor=0.01):
    """Leaky ReLU (MATLAB ``leakyrelu``; default scale 0.01).

    >>> extractdata(leakyrelu(dlarray(np.array([-1.0, 2.0])), 0.1)).tolist()
    [-0.1, 2.0]
    """
    check_scalar(0)(scaleFactor, "leakyrelu", "scaleFactor")
    return _elementwise(leakyReluLayer(float(scaleFactor)), X, "leakyrelu")


def gelu(X, *args, **kwargs):
    """Gaussian error linear unit (MATLAB ``gelu``; 'Approximation' 'none' or 'tanh').

    >>> round(float(gelu(dlarray(np.array(1.0)))), 4)
    0.8413
    """
    opts = parse_name_value("gelu", args, kwargs, _GELU)
    return _elementwise(geluLayer("Approximation", opts["Approximation"]), X, "gelu")


def sigmoid(X):
    """Logistic sigmoid, 1/(1+exp(-X)) (MATLAB ``sigmoid``).

    >>> float(sigmoid(dlarray(np.array(0.0))))
    0.5
    """
    X = _dl_input(X, "sigmoid")
    xp = get_xp(X._data)
    Y = 1.0 / (1.0 + xp.exp(-X._data))
    return X._result(Y.astype(X.dtype, copy=False), X._fmt, (X._node,),
                     lambda g: (g * Y * (1 - Y),))


def tanh(X):
    """Hyperbolic tangent (MATLAB ``tanh`` on a dlarray; np.tanh(X) does the same).

    >>> float(tanh(dlarray(np.array(0.0))))
    0.0
    """
    X = _dl_input(X, "tanh")
    return np.tanh(X)


def softmax(X, *args, **kwargs):
    """Softmax over the channel dimension (MATLAB ``softmax``).

    >>> Y = softmax(dlarray(np.zeros((4, 2)), "CB"))
    >>> extractdata(Y)[:, 0].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    opts = parse_name_value("softmax", args, kwargs, _DF)
    X, unf = _labelled(X, opts["DataFormat"], "softmax")
    Y, _ = run_layer(object.__new__(SoftmaxLayer), X, params={}, func="softmax")
    return _finish(Y, unf)


_DROPOUT = options_table(Option("DropoutMode", "auto",
                                check_one_of("auto", "training", "inference")))


def dropout(X, probability=0.5, *args, **kwargs):
    """Dropout (MATLAB ``dropout``): inside ``dlfeval`` (DropoutMode 'auto') or with
    DropoutMode 'training', elements are zeroed with the given probability and the rest
    scaled by 1/(1-p); otherwise X is returned unchanged (UNCONFIRMED: MATLAB's 'auto'
    rule). The mask comes from the package generator (``rng``).

    >>> float(dropout(dlarray(np.array(2.0))))
    2.0
    """
    opts = parse_name_value("dropout", args, kwargs, _DROPOUT)
    p = check_scalar(0, 1, hi_open=True)(probability, "dropout", "probability")
    mode = opts["DropoutMode"]
    training = mode == "training" or (mode == "auto" and _tape.current() is not None)
    X = _dl_input(X, "dropout")
    if not training or p == 0:
        return X
    xp = get_xp(X._data)
    keep = initializers.generator().random(X._data.shape) >= p
    mask = xp.asarray(keep, dtype=X.dtype) / (1.0 - p)
    return X._result(X._data * mask, X._fmt, (X._node,), lambda g: (g * mask,))


# -- normalization ------------------------------------------------------------------
def _channel_vector(a, X, func, name):
    """A per-channel parameter (offset, scale, statistics): C elements for X's C."""
    data = _value(a, func, name)
    c = X.size(X._fmt.index("C") + 1) if "C" in X._fmt else None
    if c is None:
        raise_error(func, "InvalidDataFormat",
                    f"Expected a dlarray with a channel ('C') dimension, got format "
                    f"{X._fmt!r}.")
    if data.size != c or (data.ndim == 2 and 1 not in data.shape) or data.ndim > 2:
        raise_error(func, "SizeMismatch",
                    f"Expected '{name}' with one value per channel ({c}), got "
                    f"{'×'.join(map(str, data.shape)) or 'a scalar'}.")
    return data.astype(X.dtype, copy=False)


_BN = options_table(Option("DataFormat", "", _format_option),
                    Option("Epsilon", 1e-5, check_scalar(1e-5)),
                    Option("MeanDecay", 0.1, check_scalar(0, 1)),
                    Option("VarianceDecay", 0.1, check_scalar(0, 1)))


def batchnorm(X, offset, scaleFactor, *args, nargout=1, **kwargs):
    """Batch normalization (MATLAB ``batchnorm``), per channel over every other dimension.

    * ``batchnorm(X, offset, scale)``: batch statistics; nargout=3 also returns them.
    * ``batchnorm(X, offset, scale, mu, sigmaSq)`` with nargout=1: the given (trained)
      statistics (inference); with nargout=3: batch statistics, returning the running
      statistics updated as decay*batch + (1-decay)*running (MeanDecay, VarianceDecay
      0.1; the batch variance is the biased one, as batchNormalizationLayer's).

    >>> X = dlarray(np.array([[1.0, 3.0]]), "CB")
    >>> extractdata(batchnorm(X, np.zeros(1), np.ones(1))).round(3).tolist()
    [[-1.0, 1.0]]
    """
    stats = [a for a in args[:2] if not isinstance(a, str)]
    args = args[len(stats):]
    opts = parse_name_value("batchnorm", args, kwargs, _BN)
    X, unf = _labelled(X, opts["DataFormat"], "batchnorm")
    off = _channel_vector(offset, X, "batchnorm", "offset")
    sc = _channel_vector(scaleFactor, X, "batchnorm", "scaleFactor")
    training = not (len(stats) == 2 and nargout == 1)
    layer = batchNormalizationLayer("Epsilon", opts["Epsilon"])
    arrays = {"Offset": off.reshape(-1, 1), "Scale": sc.reshape(-1, 1)}
    if len(stats) == 2:
        arrays["TrainedMean"] = _channel_vector(stats[0], X, "batchnorm", "mu").reshape(-1, 1)
        arrays["TrainedVariance"] = _channel_vector(stats[1], X, "batchnorm",
                                                    "sigmaSq").reshape(-1, 1)
    _shell(layer, **arrays)
    Y, _ = run_layer(layer, X, training=training, func="batchnorm",
                     params={"Offset": _node(offset), "Scale": _node(scaleFactor)},
                     grad_shapes={"Offset": off.shape, "Scale": sc.shape},
                     formats=("CB", "CBT", "CT", "SCB"))
    Y = _finish(Y, unf)
    if nargout == 1:
        return Y
    mu, var = (a.reshape(-1, 1) for a in layer._pending)
    if len(stats) == 2:
        mu = opts["MeanDecay"] * mu + (1 - opts["MeanDecay"]) * arrays["TrainedMean"]
        var = opts["VarianceDecay"] * var + (1 - opts["VarianceDecay"]) * \
            arrays["TrainedVariance"]
    return outputs([Y, mu, var], nargout, "batchnorm")


_LN = options_table(Option("DataFormat", "", _format_option),
                    Option("Epsilon", 1e-5, check_scalar(1e-5)),
                    Option("OperationDimension", "auto",
                           check_one_of("auto", "channel-only", "batch-excluded")))


def layernorm(X, offset, scaleFactor, *args, **kwargs):
    """Layer normalization (MATLAB ``layernorm``): per observation over the channels
    ('channel-only'), or channels and time ('batch-excluded'); 'auto' as
    layerNormalizationLayer.

    >>> X = dlarray(np.array([[1.0], [3.0]]), "CB")
    >>> extractdata(layernorm(X, np.zeros(2), np.ones(2))).round(3).ravel().tolist()
    [-1.0, 1.0]
    """
    opts = parse_name_value("layernorm", args, kwargs, _LN)
    X, unf = _labelled(X, opts["DataFormat"], "layernorm")
    off = _channel_vector(offset, X, "layernorm", "offset")
    sc = _channel_vector(scaleFactor, X, "layernorm", "scaleFactor")
    layer = layerNormalizationLayer("Epsilon", opts["Epsilon"], "OperationDimension",
                                    opts["OperationDimension"])
    _shell(layer, Offset=off.reshape(-1, 1), Scale=sc.reshape(-1, 1))
    Y, _ = run_layer(layer, X, func="layernorm",
                     params={"Offset": _node(offset), "Scale": _node(scaleFactor)},
                     grad_shapes={"Offset": off.shape, "Scale": sc.shape})
    return _finish(Y, unf)


# -- convolution and embedding -------------------------------------------------------
_CONV = options_table(Option("DataFormat", "", _format_option),
                      Option("Stride", 1), Option("DilationFactor", 1),
                      Option("Padding", 0), Option("PaddingValue", 0))


def dlconv(X, weights, bias, *args, **kwargs):
    """1-D convolution (MATLAB ``dlconv``) over the time dimension of a "CBT" array (or
    the spatial one of "SCB"): weights FilterSize-by-C-by-K, bias K elements; 'Stride',
    'DilationFactor', 'Padding' (0, 'same', 'causal' or [left right]; default 0),
    'PaddingValue'. The numbers are convolution1dLayer's (cross-correlation).

    >>> X = dlarray(np.ones((1, 1, 5)), "CBT")
    >>> Y = dlconv(X, np.ones((3, 1, 1)), 0.0)
    >>> extractdata(Y).ravel().tolist()
    [3.0, 3.0, 3.0]
    """
    opts = parse_name_value("dlconv", args, kwargs, _CONV)
    X, unf = _labelled(X, opts["DataFormat"], "dlconv")
    W = _value(weights, "dlconv", "weights")
    if W.ndim == 2:
        W = W.reshape(W.shape + (1,))
    b = _value(bias, "dlconv", "bias")
    if W.ndim != 3:
        raise_error("dlconv", "NotSupported",
                    "Only 1-D convolution (weights FilterSize-by-C-by-K) is supported yet.")
    f, c, k = W.shape
    channels = X.size(X._fmt.index("C") + 1) if isinstance(X, dlarray) and "C" in X._fmt \
        else None
    if channels is not None and c != channels:
        raise_error("dlconv", "SizeMismatch",
                    f"The weights are for {c} channels (FilterSize-by-C-by-K, "
                    f"{'×'.join(map(str, W.shape))}) but the input has {channels}.")
    if b.size not in (1, k) or b.ndim > 2:
        raise_error("dlconv", "InvalidBias",
                    f"Expected a bias of 1 or K = {k} elements, got "
                    f"{'×'.join(map(str, b.shape)) or 'a scalar'}.")
    if b.size == 1 and k > 1:
        b = get_xp(W).full(k, float(b.reshape(-1)[0]), dtype=W.dtype)
    pad = opts["Padding"]
    pad = pad if isinstance(pad, str) else np.broadcast_to(np.asarray(pad), (2,)).tolist()
    layer = convolution1dLayer(f, k, "Stride", opts["Stride"], "DilationFactor",
                               opts["DilationFactor"], "Padding", pad, "PaddingValue",
                               opts["PaddingValue"])
    _shell(layer, Weights=W, Bias=b.reshape(1, -1), NumChannels=W.shape[1])
    Y, _ = run_layer(layer, X, func="dlconv", formats=("CBT", "SCB"),
                     params={"Weights": _node(weights), "Bias": _node(bias)},
                     grad_shapes={"Weights": _value(weights, "dlconv", "w").shape,
                                  "Bias": np.shape(_value(bias, "dlconv", "b"))})
    return _finish(Y, unf)


def embed(X, weights, *args, **kwargs):
    """Embed word indices (MATLAB ``embed``): X holds 1-based indices ("BT", "CBT" with one
    channel, or "CB"), weights EmbeddingDimension-by-NumWords; the output gains a "C"
    dimension of the embedding size.

    >>> X = dlarray(np.array([[1, 2, 2]]), "BT")
    >>> Y = embed(X, np.array([[0.0, 1.0], [5.0, 6.0]]))
    >>> dims(Y), extractdata(Y)[:, 0, :].tolist()
    ('CBT', [[0.0, 1.0, 1.0], [5.0, 6.0, 6.0]])
    """
    opts = parse_name_value("embed", args, kwargs, _DF)
    X, unf = _labelled(X, opts["DataFormat"], "embed")
    W = _value(weights, "embed", "weights")
    if W.ndim != 2 or W.size == 0:
        raise_error("embed", "InvalidWeights",
                    f"Expected weights EmbeddingDimension-by-NumWords, got "
                    f"{'×'.join(map(str, W.shape)) or 'a scalar'}.")
    fmt = X._fmt if isinstance(X, dlarray) else ""
    idx = X._data if isinstance(X, dlarray) else _as_data(X, "embed", "X")
    if fmt.startswith("C"):
        if idx.shape[0] != 1:
            raise_error("embed", "InvalidInput", "X must have a single channel of indices.")
        idx, fmt = idx[0], fmt[1:]
    if fmt not in ("B", "BT", "T"):
        raise_error("embed", "InvalidDataFormat",
                    f"Expected indices labelled 'BT', 'CBT' (one channel) or 'CB', got "
                    f"{fmt!r}.")
    xp = get_xp(W)
    ii = xp.asarray(idx).astype(np.int64) - 1
    if ii.size and (int(ii.min()) < 0 or int(ii.max()) >= W.shape[1]):
        raise_error("embed", "IndexOutOfRange",
                    f"Indices must be integers from 1 to {W.shape[1]} (the number of words).")
    Y = W[:, ii]
    shape = W.shape

    def backward(g):
        dW = xp.zeros(shape, dtype=g.dtype)
        gm = xp.moveaxis(g, 0, -1).reshape(-1, shape[0])
        xp.add.at(dW.T, ii.reshape(-1), gm)
        return (dW,)

    out = dlarray._wrap(Y, "C" + fmt, _tape.record((_node(weights),), backward))
    return _finish(out, unf)


__all__ = ["fullyconnect", "lstm", "gru", "relu", "leakyrelu", "gelu", "sigmoid", "tanh",
           "softmax", "dropout", "batchnorm", "layernorm", "dlconv", "embed"]
