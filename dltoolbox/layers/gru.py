"""gruLayer: a gated recurrent unit layer with every option of MATLAB's reference page.

Equations (reference §2.3), per time step t, with h_0 = HiddenState (or zeros)::

    r_t = sg(W_r x_t + R_r h_{t-1} + b_r)
    z_t = sg(W_z x_t + R_z h_{t-1} + b_z)
    'after-multiplication' (default, cuDNN compatible):
        n_t = ss(W_h x_t + r_t * (R_h h_{t-1}) + b_h)
    'before-multiplication':
        n_t = ss(W_h x_t + R_h (r_t * h_{t-1}) + b_h)
    'recurrent-bias-after-multiplication' (Bias is 6H: [b_Wr b_Wz b_Wh b_Rr b_Rz b_Rh]):
        r_t, z_t as above with both biases; n_t = ss(W_h x_t + b_Wh + r_t * (R_h h_{t-1} + b_Rh))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

Gate blocks are stacked in the order reset, update, candidate (r, z, h) in InputWeights
(3H-by-D), RecurrentWeights (3H-by-H) and Bias. Unlike PyTorch (r|z|n) and Keras/ONNX
(z|r|h), MATLAB puts the reset gate first. sg is GateActivationFunction, ss is
StateActivationFunction.

The implementation is built the way fast RNN code is: one GEMM computes the input
projections of all time steps; only the recurrent product and the gate math run inside
the time loop, on preallocated buffers; the weight gradients are one GEMM each over all
time steps.
"""

import numpy as np

from .. import initializers
from .._nameval import Option, options_table
from .._validate import (
    check_factor,
    check_initializer,
    check_logical,
    check_numeric_array,
    check_one_of,
    check_positive_integer,
    check_text,
)
from ..backend import get_xp
from ..errors import raise_error
from . import _gru_kernels as kernels
from ._base import Layer, as_matrix, expand_factor, general_rows, size_mismatch

_WEIGHT_INITS = ("glorot", "he", "orthogonal", "narrow-normal", "zeros", "ones")
_RESET_MODES = ("after-multiplication", "before-multiplication",
                "recurrent-bias-after-multiplication")
_FACTORS = ("InputWeightsLearnRateFactor", "RecurrentWeightsLearnRateFactor",
            "BiasLearnRateFactor", "InputWeightsL2Factor", "RecurrentWeightsL2Factor",
            "BiasL2Factor")


def _not_supported_yet(value, func, name):
    value = check_logical(value, func, name)
    if value:
        raise_error(func, "NotSupported",
                    f"'{name}' true is not supported yet; the layer keeps its state "
                    f"internally (use predictAndUpdateState / resetState).")
    return value


_OPTIONS = options_table(
    Option("Name", "", check_text),
    Option("InputSize", "auto", check_positive_integer(allow_auto=True)),
    Option("OutputMode", "sequence", check_one_of("sequence", "last")),
    Option("ResetGateMode", "after-multiplication", check_one_of(*_RESET_MODES)),
    Option("StateActivationFunction", "tanh", check_one_of("tanh", "softsign")),
    Option("GateActivationFunction", "sigmoid", check_one_of("sigmoid", "hard-sigmoid")),
    Option("HasStateInputs", False, _not_supported_yet),
    Option("HasStateOutputs", False, _not_supported_yet),
    Option("HiddenState", None, check_numeric_array),
    Option("InputWeightsInitializer", "glorot", check_initializer(*_WEIGHT_INITS)),
    Option("RecurrentWeightsInitializer", "orthogonal", check_initializer(*_WEIGHT_INITS)),
    Option("BiasInitializer", "zeros", check_initializer("zeros", "narrow-normal", "ones")),
    Option("InputWeights", None, check_numeric_array),
    Option("RecurrentWeights", None, check_numeric_array),
    Option("Bias", None, check_numeric_array),
    Option("InputWeightsLearnRateFactor", 1.0, check_factor(3)),
    Option("RecurrentWeightsLearnRateFactor", 1.0, check_factor(3)),
    Option("BiasLearnRateFactor", 1.0, check_factor(3)),
    Option("InputWeightsL2Factor", 1.0, check_factor(3)),
    Option("RecurrentWeightsL2Factor", 1.0, check_factor(3)),
    Option("BiasL2Factor", 0.0, check_factor(3)),
)


def gruLayer(numHiddenUnits, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a GRU layer (MATLAB ``gruLayer``).

    ``gruLayer(numHiddenUnits, Name, Value, ...)``; names and values as on MATLAB's
    reference page, as pairs or Python keywords, case-insensitive.

    >>> layer = gruLayer(100, 'Name', 'gru1', 'OutputMode', 'last')
    >>> layer.NumHiddenUnits, layer.OutputMode
    (100, 'last')
    >>> gruLayer(100, Name='gru1', OutputMode='LAST').OutputMode
    'last'
    """
    h = check_positive_integer()(numHiddenUnits, "gruLayer", "NumHiddenUnits")
    values = GRULayer._parse(args, kwargs)
    return GRULayer(h, values)


class GRULayer(Layer):
    """A GRU layer; see :func:`gruLayer` and the module docstring for the equations."""

    _func = "gruLayer"
    _type = "GRU"
    _default_name = "gru"
    _options = _OPTIONS
    _readonly = ("NumHiddenUnits",)
    _learnables = ("InputWeights", "RecurrentWeights", "Bias")

    def __init__(self, num_hidden, values):
        super().__init__({"NumHiddenUnits": num_hidden, "InputSize": "auto",
                          "ResetGateMode": values["ResetGateMode"], "InputWeights": None,
                          "RecurrentWeights": None, "Bias": None, "HiddenState": None})
        self._initial_state = None
        # Set every property through the validating setter, sizes last.
        for name, value in values.items():
            if name not in ("InputWeights", "RecurrentWeights", "Bias", "HiddenState"):
                setattr(self, name, value)
        for name in ("InputWeights", "RecurrentWeights", "Bias", "HiddenState"):
            setattr(self, name, values[name])

    # -- sizes -----------------------------------------------------------------------
    def _bias_rows(self, mode=None):
        mode = mode or self.ResetGateMode
        return 6 * self.NumHiddenUnits if mode == _RESET_MODES[2] else 3 * self.NumHiddenUnits

    def _check_property(self, name, value):
        h, cls = self.NumHiddenUnits, "GRULayer"
        if name == "InputWeights" and value is not None:
            value = as_matrix(value)
            d = self.InputSize
            if value.shape[0] != 3 * h or (d != "auto" and value.shape[1] != d):
                size_mismatch(cls, name, f"{3 * h}×{'InputSize' if d == 'auto' else d}",
                              value.shape)
            object.__setattr__(self, "InputSize", value.shape[1])
        elif name == "RecurrentWeights" and value is not None:
            value = as_matrix(value)
            if value.shape != (3 * h, h):
                size_mismatch(cls, name, f"{3 * h}×{h}", value.shape)
        elif name == "Bias" and value is not None:
            value = as_matrix(value)
            if value.shape != (self._bias_rows(), 1):
                size_mismatch(cls, name, f"{self._bias_rows()}×1 (ResetGateMode "
                              f"'{self.ResetGateMode}')", value.shape)
        elif name == "HiddenState" and value is not None:
            value = as_matrix(value)
            if value.ndim != 2 or value.shape[0] != h:
                size_mismatch(cls, name, f"{h}×1", value.shape)
            self._initial_state = value if value.shape[1] == 1 else None
        elif name == "InputSize" and self.InputWeights is not None and \
                value != self.InputWeights.shape[1]:
            raise_error(cls, "InvalidInputSize",
                        f"Invalid value for 'InputSize'. InputWeights has "
                        f"{self.InputWeights.shape[1]} columns, got {value}.")
        elif name == "ResetGateMode" and self.Bias is not None and \
                self.Bias.shape[0] != self._bias_rows(value):
            raise_error(cls, "InvalidResetGateMode",
                        f"ResetGateMode '{value}' needs a {self._bias_rows(value)}×1 Bias, "
                        f"but Bias is {self.Bias.shape[0]}×1; set Bias to [] first.")
        return value

    def output_size(self, input_size):
        return self.NumHiddenUnits

    def factor(self, kind, name):
        value = getattr(self, f"{name}{kind}")
        rows = {"InputWeights": 3, "RecurrentWeights": 3, "Bias": 3}[name] * self.NumHiddenUnits
        f = expand_factor(value, rows, 3)
        if name == "Bias" and np.ndim(f) and self._bias_rows() != rows:
            f = np.concatenate([f, f])  # 1-by-3 bias factor acts on both 6H halves
        return f

    def initialize(self, input_size, dtype):
        h = self.NumHiddenUnits
        if self.InputSize == "auto":
            object.__setattr__(self, "InputSize", input_size)
        d = self.InputSize
        if self.InputWeights is None:
            object.__setattr__(self, "InputWeights", initializers.initialize(
                self.InputWeightsInitializer, (3 * h, d), d, 3 * h, "gruLayer",
                "InputWeights", dtype))
        if self.RecurrentWeights is None:
            object.__setattr__(self, "RecurrentWeights", initializers.initialize(
                self.RecurrentWeightsInitializer, (3 * h, h), h, 3 * h, "gruLayer",
                "RecurrentWeights", dtype))
        if self.Bias is None:
            object.__setattr__(self, "Bias", initializers.initialize(
                self.BiasInitializer, (self._bias_rows(), 1), h, 3 * h, "gruLayer", "Bias",
                dtype))

    def check_assembled(self, input_size):
        h = self.NumHiddenUnits
        expected = {"InputWeights": (3 * h, input_size), "RecurrentWeights": (3 * h, h),
                    "Bias": (self._bias_rows(), 1)}
        for name, shape in expected.items():
            value = getattr(self, name)
            if value is None or value.shape != shape:
                got = "empty" if value is None else "×".join(map(str, value.shape))
                raise_error("assembleNetwork", "InvalidLearnable",
                            f"Layer '{self.Name}' (GRU): '{name}' must be "
                            f"{shape[0]}×{shape[1]}, but it is {got}.")

    def reset_state(self):
        object.__setattr__(self, "HiddenState", self._initial_state)

    def keeps_time(self):
        return self.OutputMode != "last"

    def state_names(self):
        return ("HiddenState",)

    def with_state(self, state):
        layer = self.copy()
        # state is a fresh (B, H) array made by forward: stored as it is, no copy
        object.__setattr__(layer, "HiddenState", state.T)
        return layer

    # -- display ---------------------------------------------------------------------
    def description(self):
        return f"GRU with {self.NumHiddenUnits} hidden units"

    def display_groups(self):
        return [(None, general_rows(self)),
                ("Hyperparameters", [("InputSize", self.InputSize),
                                     ("NumHiddenUnits", self.NumHiddenUnits),
                                     ("OutputMode", self.OutputMode),
                                     ("ResetGateMode", self.ResetGateMode),
                                     ("StateActivationFunction", self.StateActivationFunction),
                                     ("GateActivationFunction", self.GateActivationFunction)]),
                ("Learnable Parameters", [(n, getattr(self, n)) for n in self._learnables]),
                ("State Parameters", [("HiddenState", self.HiddenState)])]

    # -- computation -----------------------------------------------------------------
    def initial_state(self, batch, xp, dtype):
        """h_0 as a (B, H) array: the stored HiddenState (H-by-1 broadcast, or H-by-B)."""
        hs = self.HiddenState
        if hs is None:
            return xp.zeros((batch, self.NumHiddenUnits), dtype=dtype)
        if hs.shape[1] not in (1, batch):
            raise_error("gruLayer", "IncorrectNetworkState",
                        f"Layer '{self.Name}' holds a recurrent state for {hs.shape[1]} "
                        f"observations, but the mini-batch has {batch}. Call resetState or "
                        f"use MiniBatchSize {hs.shape[1]}.")
        h0 = xp.empty((batch, self.NumHiddenUnits), dtype=dtype)
        h0[...] = xp.asarray(hs).T
        return h0

    def _params(self, xp, dtype):
        """Kernel parameters in ``dtype`` on ``xp``, cached while the learnables are the same
        arrays (replacing one drops the cache; the solver calls learnables_changed)."""
        w, r, b = self.InputWeights, self.RecurrentWeights, self.Bias
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] is xp and cache[1] == dtype and cache[2] is w \
                and cache[3] is r and cache[4] is b:
            return cache[5]
        p = kernels.make_params(xp.asarray(w, dtype=dtype), xp.asarray(r, dtype=dtype),
                                xp.asarray(b, dtype=dtype), self.ResetGateMode,
                                self.GateActivationFunction, self.StateActivationFunction)
        self._cache = (xp, dtype, w, r, b, p)
        return p

    def predict_one(self, x, state=None):
        """One observation, x (T, D): the whole sequence in one kernel call when possible."""
        if not kernels.one_observation_ready(x):
            return super().predict_one(x, state)
        T = x.shape[0]
        hs = np.empty((T + 1, self.NumHiddenUnits), dtype=x.dtype)
        h0 = self.HiddenState if state is None else state.T
        if h0 is None:
            hs[0] = 0
        elif h0.shape[1] == 1:
            hs[0] = h0.T
        else:
            self.initial_state(1, np, x.dtype)    # raises IncorrectNetworkState
        kernels.one_observation(self._params(np, x.dtype), x, hs)
        return (hs[T:] if self.OutputMode == "last" else hs[1:]), hs[T:]

    def forward(self, X, training=False, state=None):
        """X: (T, B, D). Returns (Y, backprop, h_T) with Y (T, B, H) or (B, H) for 'last'.

        ``state`` is h_0 as (B, H); None uses HiddenState. ``backprop(dY, out=None)``
        returns ``(dX, grads)`` with grads for InputWeights, RecurrentWeights, Bias and
        'HiddenState' (the gradient with respect to the h_0 used, (B, H)); ``out`` may
        give arrays that receive the learnables' gradients.
        """
        xp = get_xp(X)
        dtype = X.dtype
        T, B, _ = X.shape
        h0 = state if state is not None else self.initial_state(B, xp, dtype)
        params = self._params(xp, dtype)
        hs, cache = kernels.forward(params, X, h0, need_cache=training)
        last = self.OutputMode == "last"
        Y = hs[T] if last else hs[1:]

        def backprop(dY, out=None):
            return kernels.backward(params, X, hs, cache, dY, last, out)

        return Y, backprop, hs[T]
