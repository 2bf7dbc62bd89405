"""convolution1dLayer: 1-D convolution over time (cross-correlation, as MATLAB and ONNX).

Y[t, b, k] = Bias[k] + sum_f sum_c Xp[t Stride + f DilationFactor, b, c] Weights[f, c, k]
with Xp the input padded along time (Padding, PaddingValue; see _time_window.py) and
Weights stored FilterSize-by-NumChannels-by-NumFilters, Bias 1-by-NumFilters, as MATLAB
stores them. It runs as FilterSize matrix products (To B)-by-C times C-by-K per tap, on
NumPy or CuPy; the backward pass is the same products transposed.
"""

import numpy as np

from .. import initializers
from .._display import TIMES
from .._nameval import Option, options_table
from .._validate import (
    check_initializer,
    check_numeric_array,
    check_positive_integer,
    check_scalar,
    check_text,
    describe,
    is_real_number,
)
from ..backend import get_xp
from ..errors import raise_error
from ._base import Layer, num_text, size_mismatch
from ._time_window import (
    WindowedLayer,
    check_length,
    check_padding,
    output_length,
    pad_time,
    padding_sizes,
    windows,
)

_PAD_VALUES = ("replicate", "symmetric-include-edge", "symmetric-exclude-edge")


def check_padding_value(value, func, name):
    if isinstance(value, str):
        low = value.lower()
        if low in _PAD_VALUES:
            return low
    elif is_real_number(value) and np.isfinite(float(value)):
        return float(value)
    raise_error(func, f"Invalid{name}",
                f"Invalid value for '{name}'. Expected a finite scalar or one of "
                f"{', '.join(repr(v) for v in _PAD_VALUES)}, got {describe(value)}.")


_OPTIONS = options_table(
    Option("Name", "", check_text),
    Option("Stride", 1, check_positive_integer()),
    Option("DilationFactor", 1, check_positive_integer()),
    Option("Padding", (0, 0), check_padding(allow_causal=True)),
    Option("PaddingValue", 0.0, check_padding_value),
    Option("NumChannels", "auto", check_positive_integer(allow_auto=True)),
    Option("WeightsInitializer", "glorot",
           check_initializer("glorot", "he", "narrow-normal", "zeros", "ones")),
    Option("BiasInitializer", "zeros", check_initializer("zeros", "narrow-normal", "ones")),
    Option("Weights", None, check_numeric_array),
    Option("Bias", None, check_numeric_array),
    Option("WeightLearnRateFactor", 1.0, check_scalar(0)),
    Option("BiasLearnRateFactor", 1.0, check_scalar(0)),
    Option("WeightL2Factor", 1.0, check_scalar(0)),
    Option("BiasL2Factor", 0.0, check_scalar(0)),
)


def convolution1dLayer(filterSize, numFilters, *args, **kwargs):  # noqa: N802, N803
    """Create a 1-D convolutional layer (MATLAB ``convolution1dLayer``).

    >>> import numpy as np
    >>> layer = convolution1dLayer(3, 8, 'Padding', 'causal', 'DilationFactor', 2)
    >>> layer.PaddingMode, layer.description()
    ('causal', "8 3 convolutions with stride 1 and padding 'causal'")
    >>> layer.initialize(2, np.float32)
    >>> layer.Weights.shape, layer.Bias.shape
    ((3, 2, 8), (1, 8))
    >>> layer.forward(np.ones((10, 4, 2), np.float32))[0].shape     # (T, B, NumFilters)
    (10, 4, 8)
    """
    f = check_positive_integer()(filterSize, "convolution1dLayer", "FilterSize")
    k = check_positive_integer()(numFilters, "convolution1dLayer", "NumFilters")
    return Convolution1DLayer(f, k, Convolution1DLayer._parse(args, kwargs))


class Convolution1DLayer(WindowedLayer, Layer):
    """The layer :func:`convolution1dLayer` creates.

    >>> type(convolution1dLayer(3, 8)).__name__
    'Convolution1DLayer'
    """

    _func = "convolution1dLayer"
    _type = "1-D Convolution"
    _default_name = "conv1d"
    _options = _OPTIONS
    _readonly = ("FilterSize", "NumFilters", "PaddingMode", "PaddingSize")
    _learnables = ("Weights", "Bias")

    def __init__(self, filter_size, num_filters, values):
        super().__init__({"FilterSize": filter_size, "NumFilters": num_filters,
                          "NumChannels": "auto", "Weights": None, "Bias": None})
        for name, value in values.items():
            if name not in ("Weights", "Bias"):
                setattr(self, name, value)
        self.Weights = values["Weights"]
        self.Bias = values["Bias"]

    def _window(self):
        return self.FilterSize, self.Stride, self.DilationFactor

    def _check_property(self, name, value):
        f, k, c = self.FilterSize, self.NumFilters, self.NumChannels
        if name == "Weights" and value is not None:
            w = value.reshape(value.shape + (1,) * (3 - value.ndim)) if value.ndim < 3 \
                else value
            if w.ndim != 3 or w.shape[0] != f or w.shape[2] != k or \
                    (c != "auto" and w.shape[1] != c):
                size_mismatch("Convolution1DLayer", name,
                              f"{f}{TIMES}{'NumChannels' if c == 'auto' else c}{TIMES}{k}",
                              value.shape)
            object.__setattr__(self, "NumChannels", w.shape[1])
            return w
        if name == "Bias" and value is not None:
            if value.size != k:
                size_mismatch("Convolution1DLayer", name, f"1{TIMES}{k}", value.shape)
            return value.reshape(1, k)
        if name == "NumChannels" and self.Weights is not None and \
                value != self.Weights.shape[1]:
            raise_error("Convolution1DLayer", "InvalidNumChannels",
                        f"Invalid value for 'NumChannels'. Weights has "
                        f"{self.Weights.shape[1]} channels, got {value}.")
        return value

    # -- display ---------------------------------------------------------------------
    def description(self):
        size = str(self.FilterSize) if self.NumChannels == "auto" else \
            f"{self.FilterSize}{TIMES}{self.NumChannels}"
        return (f"{num_text(self.NumFilters)} {size} convolutions with stride "
                f"{self.Stride} and padding {self._padding_text()}")

    def display_groups(self):
        return [(None, [("Name", self.Name)]),
                ("Hyperparameters", [("FilterSize", self.FilterSize),
                                     ("NumChannels", self.NumChannels),
                                     ("NumFilters", self.NumFilters),
                                     ("Stride", self.Stride),
                                     ("DilationFactor", self.DilationFactor),
                                     ("PaddingMode", self.PaddingMode),
                                     ("PaddingSize", self.PaddingSize),
                                     ("PaddingValue", self.PaddingValue)]),
                ("Learnable Parameters", [("Weights", self.Weights), ("Bias", self.Bias)])]

    # -- learning --------------------------------------------------------------------
    def output_size(self, input_size):
        return self.NumFilters

    def output_length(self, t):
        return output_length(t, self.Padding, self.FilterSize, self.Stride,
                             self.DilationFactor)

    def factor(self, kind, name):
        return float(getattr(self, f"{'Weight' if name == 'Weights' else 'Bias'}{kind}"))

    def initialize(self, input_size, dtype):
        if self.NumChannels == "auto":
            object.__setattr__(self, "NumChannels", input_size)
        f, c, k = self.FilterSize, self.NumChannels, self.NumFilters
        if self.Weights is None:
            object.__setattr__(self, "Weights", initializers.initialize(
                self.WeightsInitializer, (f, c, k), f * c, f * k, self._func, "Weights",
                dtype))
        if self.Bias is None:
            object.__setattr__(self, "Bias", initializers.initialize(
                self.BiasInitializer, (1, k), f * c, f * k, self._func, "Bias", dtype))

    def assembled_shapes(self, input_size):
        f, k = self.FilterSize, self.NumFilters
        return (("Weights", (f, input_size, k)), ("Bias", (1, k)))

    def forward(self, X, training=False, state=None):
        """X: (T, B, C) -> (To, B, NumFilters)."""
        if X.ndim != 3:
            raise_error(self._func, "NoTimeDimension",
                        f"Layer '{self.Name}' needs sequence input (a time dimension); the "
                        f"layer before it removed time.")
        xp = get_xp(X)
        f, s, d = self.FilterSize, self.Stride, self.DilationFactor
        t = X.shape[0]
        check_length(self._func, self.Name, t, self.Padding, f, s, d, "filter")
        left, right = padding_sizes(self.Padding, t, f, s, d)
        Xp, unpad = pad_time(X, left, right, self.PaddingValue)
        to = self.output_length(t)
        W = xp.asarray(self.Weights, dtype=X.dtype)
        b = xp.asarray(self.Bias, dtype=X.dtype).reshape(-1)
        taps = windows(Xp, f, s, d, to)
        bsz, c, k = X.shape[1], X.shape[2], W.shape[2]
        Y = xp.matmul(taps[0].reshape(-1, c), W[0])
        for i in range(1, f):
            Y += xp.matmul(taps[i].reshape(-1, c), W[i])
        Y += b

        def backprop(dY, out=None):
            out = out or {}
            dY2 = dY.reshape(-1, k)
            dW = out.get("Weights")
            dW = xp.empty(W.shape, dtype=dY.dtype) if dW is None else dW
            dXp = xp.zeros_like(Xp)
            last = (to - 1) * s + 1
            for i in range(f):
                xp.matmul(taps[i].reshape(-1, c).T, dY2, out=dW[i])
                dXp[i * d:i * d + last:s] += xp.matmul(dY2, W[i].T).reshape(to, bsz, c)
            db = out.get("Bias")
            db = xp.empty((1, k), dtype=dY.dtype) if db is None else db
            dY2.sum(axis=0, out=db.reshape(-1))
            return unpad(dXp), {"Weights": dW, "Bias": db}

        return Y.reshape(to, bsz, k), backprop, None
