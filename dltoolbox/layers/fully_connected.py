"""fullyConnectedLayer: y = W x + b, applied at every time step of a sequence."""

import numpy as np

from .. import initializers
from .._nameval import Option, options_table
from .._validate import (
    check_initializer,
    check_numeric_array,
    check_positive_integer,
    check_scalar,
    check_text,
)
from ..backend import get_xp
from ..errors import raise_error
from ._base import Layer, as_matrix, num_text, size_mismatch

_OPTIONS = options_table(
    Option("Name", "", check_text),
    Option("InputSize", "auto", check_positive_integer(allow_auto=True)),
    Option("WeightsInitializer", "glorot",
           check_initializer("glorot", "he", "orthogonal", "narrow-normal", "zeros", "ones")),
    Option("BiasInitializer", "zeros", check_initializer("zeros", "narrow-normal", "ones")),
    Option("Weights", None, check_numeric_array),
    Option("Bias", None, check_numeric_array),
    Option("WeightLearnRateFactor", 1.0, check_scalar(0, allow_inf=False)),
    Option("BiasLearnRateFactor", 1.0, check_scalar(0)),
    Option("WeightL2Factor", 1.0, check_scalar(0)),
    Option("BiasL2Factor", 0.0, check_scalar(0)),
)


def fullyConnectedLayer(outputSize, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a fully connected layer (MATLAB ``fullyConnectedLayer``).

    >>> fullyConnectedLayer(9).OutputSize
    9
    """
    k = check_positive_integer()(outputSize, "fullyConnectedLayer", "OutputSize")
    values = FullyConnectedLayer._parse(args, kwargs)
    return FullyConnectedLayer(k, values)


class FullyConnectedLayer(Layer):
    _func = "fullyConnectedLayer"
    _type = "Fully Connected"
    _default_name = "fc"
    _options = _OPTIONS
    _readonly = ("OutputSize",)
    _learnables = ("Weights", "Bias")

    def __init__(self, output_size, values):
        super().__init__({"OutputSize": output_size, "InputSize": "auto", "Weights": None,
                          "Bias": None})
        for name, value in values.items():
            if name not in ("Weights", "Bias"):
                setattr(self, name, value)
        self.Weights = values["Weights"]
        self.Bias = values["Bias"]

    def _check_property(self, name, value):
        k, d = self.OutputSize, self.InputSize
        if name == "Weights" and value is not None:
            value = as_matrix(value)
            if value.shape[0] != k or (d != "auto" and value.shape[1] != d):
                size_mismatch("FullyConnectedLayer", name,
                              f"{k}×{'InputSize' if d == 'auto' else d}", value.shape)
            object.__setattr__(self, "InputSize", value.shape[1])
        elif name == "Bias" and value is not None:
            value = as_matrix(value)
            if value.shape != (k, 1):
                size_mismatch("FullyConnectedLayer", name, f"{k}×1", value.shape)
        elif name == "InputSize" and self.Weights is not None and \
                value != self.Weights.shape[1]:
            raise_error("FullyConnectedLayer", "InvalidInputSize",
                        f"Invalid value for 'InputSize'. Weights has {self.Weights.shape[1]} "
                        f"columns, got {value}.")
        return value

    def description(self):
        return f"{num_text(self.OutputSize)} fully connected layer"

    def display_groups(self):
        return [(None, [("Name", self.Name)]),
                ("Hyperparameters", [("InputSize", self.InputSize),
                                     ("OutputSize", self.OutputSize)]),
                ("Learnable Parameters", [("Weights", self.Weights), ("Bias", self.Bias)])]

    def output_size(self, input_size):
        return self.OutputSize

    def factor(self, kind, name):
        key = {"Weights": "Weight", "Bias": "Bias"}[name]
        return float(getattr(self, f"{key}{kind}"))

    def initialize(self, input_size, dtype):
        k = self.OutputSize
        if self.InputSize == "auto":
            object.__setattr__(self, "InputSize", input_size)
        d = self.InputSize
        if self.Weights is None:
            object.__setattr__(self, "Weights", initializers.initialize(
                self.WeightsInitializer, (k, d), d, k, "fullyConnectedLayer", "Weights", dtype))
        if self.Bias is None:
            object.__setattr__(self, "Bias", initializers.initialize(
                self.BiasInitializer, (k, 1), d, k, "fullyConnectedLayer", "Bias", dtype))

    def assembled_shapes(self, input_size):
        return (("Weights", (self.OutputSize, input_size)), ("Bias", (self.OutputSize, 1)))

    def predict_one(self, x, state=None):
        cache = self.__dict__.get("_cache")
        if cache is None or cache[0] != x.dtype:
            cache = self._cache = (x.dtype, np.ascontiguousarray(self.Weights.T, x.dtype),
                                   self.Bias.reshape(-1).astype(x.dtype))
        y = x @ cache[1]
        y += cache[2]
        return y, None

    def forward(self, X, training=False, state=None):
        """X: (..., InputSize) -> (..., OutputSize), on the last axis."""
        xp = get_xp(X)
        W = xp.asarray(self.Weights, dtype=X.dtype)
        b = xp.asarray(self.Bias, dtype=X.dtype).reshape(-1)
        shape = X.shape
        X2 = X.reshape(-1, shape[-1])
        Y = xp.matmul(X2, W.T)
        Y += b

        def backprop(dY, out=None):
            dY2 = dY.reshape(-1, dY.shape[-1])
            out = out or {}
            dW = xp.matmul(dY2.T, X2, out=out.get("Weights"))
            db = out.get("Bias")
            db = xp.empty((W.shape[0], 1), dtype=dY2.dtype) if db is None else db
            dY2.sum(axis=0, out=db.reshape(-1))
            return xp.matmul(dY2, W).reshape(shape), {"Weights": dW, "Bias": db}

        return Y.reshape(shape[:-1] + (W.shape[0],)), backprop, None
