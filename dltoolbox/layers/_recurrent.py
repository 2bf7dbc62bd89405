"""RecurrentLayer: what gruLayer, lstmLayer and bilstmLayer share, driven by data.

A subclass states its cell (recurrent.gru.CELL, recurrent.lstm.CELL), its gate count, its
state properties (('HiddenState',) or ('HiddenState', 'CellState')) and its number of
directions (1, or 2 for bilstmLayer). From these follow every size (parameters
gates x directions x H rows, states directions x H rows, output directions x H
channels), the factor expansion, the initialization, the checks, the property display,
the initial and stored states, and the forward pass through recurrent.directions.
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
from ..recurrent import directions
from ._base import Layer, as_matrix, expand_factor, general_rows, size_mismatch

WEIGHT_INITIALIZERS = ("glorot", "he", "orthogonal", "narrow-normal", "zeros", "ones")
FACTORS = ("InputWeightsLearnRateFactor", "RecurrentWeightsLearnRateFactor",
           "BiasLearnRateFactor", "InputWeightsL2Factor", "RecurrentWeightsL2Factor",
           "BiasL2Factor")
LEARNABLES = ("InputWeights", "RecurrentWeights", "Bias")


def _not_supported_yet(value, func, name):
    value = check_logical(value, func, name)
    if value:
        raise_error(func, "NotSupported",
                    f"'{name}' true is not supported yet; the layer keeps its state "
                    f"internally (use predictAndUpdateState / resetState).")
    return value


def recurrent_options(blocks, states, bias_initializers, bias_default, extra=()):
    """The name-value table of a recurrent layer: factors per ``blocks`` gate blocks,
    one option per state property, the bias initializers it accepts, and ``extra``
    options (GRU's ResetGateMode) after OutputMode."""
    return options_table(
        Option("Name", "", check_text),
        Option("InputSize", "auto", check_positive_integer(allow_auto=True)),
        Option("OutputMode", "sequence", check_one_of("sequence", "last")),
        *extra,
        Option("StateActivationFunction", "tanh", check_one_of("tanh", "softsign")),
        Option("GateActivationFunction", "sigmoid", check_one_of("sigmoid", "hard-sigmoid")),
        Option("HasStateInputs", False, _not_supported_yet),
        Option("HasStateOutputs", False, _not_supported_yet),
        *(Option(name, None, check_numeric_array) for name in states),
        Option("InputWeightsInitializer", "glorot", check_initializer(*WEIGHT_INITIALIZERS)),
        Option("RecurrentWeightsInitializer", "orthogonal",
               check_initializer(*WEIGHT_INITIALIZERS)),
        Option("BiasInitializer", bias_default, check_initializer(*bias_initializers)),
        *(Option(name, None, check_numeric_array) for name in LEARNABLES),
        *(Option(name, 0.0 if name == "BiasL2Factor" else 1.0, check_factor(blocks))
          for name in FACTORS),
    )


def constructor(cls, func, num_hidden, args, kwargs):
    """The body of gruLayer/lstmLayer/bilstmLayer: check H, parse, build."""
    h = check_positive_integer()(num_hidden, func, "NumHiddenUnits")
    return cls(h, cls._parse(args, kwargs))


class RecurrentLayer(Layer):
    """Base of the recurrent layers; see the module docstring."""

    _cell = None            # a recurrent.directions.Cell
    _gates = 0              # gate blocks per direction
    _directions = 1
    _states = ("HiddenState",)
    _hyperparameters = ("InputSize", "NumHiddenUnits", "OutputMode",
                        "StateActivationFunction", "GateActivationFunction")
    _readonly = ("NumHiddenUnits",)
    _learnables = LEARNABLES
    _sized = LEARNABLES + ("HiddenState", "CellState")   # set after the other options

    def __init__(self, num_hidden, values):
        init = {"NumHiddenUnits": num_hidden, "InputSize": "auto", "_initial": {}}
        init.update({name: None for name in self._learnables + self._states})
        init.update(self._early_values(values))
        super().__init__(init)
        for name, value in values.items():
            if name not in self._sized:
                setattr(self, name, value)
        for name in self._sized:
            if name in values:
                setattr(self, name, values[name])

    def _early_values(self, values):
        """Options that the size checks of other options read (GRU: ResetGateMode)."""
        return {}

    # -- sizes -----------------------------------------------------------------------
    def _rows(self):
        """Rows of the weight matrices: gates x directions x H."""
        return self._gates * self._directions * self.NumHiddenUnits

    def _bias_rows(self):
        return self._rows()

    def _state_rows(self):
        return self._directions * self.NumHiddenUnits

    def _check_property(self, name, value):
        cls, rows = type(self).__name__, self._rows()
        h = self.NumHiddenUnits
        if name == "InputWeights" and value is not None:
            value = as_matrix(value)
            d = self.InputSize
            if value.ndim != 2 or value.shape[0] != rows or (d != "auto" and value.shape[1] != d):
                size_mismatch(cls, name, f"{rows}×{'InputSize' if d == 'auto' else d}",
                              value.shape)
            object.__setattr__(self, "InputSize", value.shape[1])
        elif name == "RecurrentWeights" and value is not None:
            value = as_matrix(value)
            if value.shape != (rows, h):
                size_mismatch(cls, name, f"{rows}×{h}", value.shape)
        elif name == "Bias" and value is not None:
            value = as_matrix(value)
            if value.shape != (self._bias_rows(), 1):
                size_mismatch(cls, name, f"{self._bias_rows()}×1{self._bias_note()}",
                              value.shape)
        elif name in self._states and value is not None:
            value = as_matrix(value)
            if value.ndim != 2 or value.shape[0] != self._state_rows():
                size_mismatch(cls, name, f"{self._state_rows()}×1", value.shape)
            self._initial = {**self._initial, name: value}   # what resetState restores
        elif name in self._states:
            self._initial = {**self._initial, name: None}
        elif name == "InputSize" and self.InputWeights is not None and \
                value != self.InputWeights.shape[1]:
            raise_error(cls, "InvalidInputSize",
                        f"Invalid value for 'InputSize'. InputWeights has "
                        f"{self.InputWeights.shape[1]} columns, got {value}.")
        return value

    def _bias_note(self):
        return ""

    def output_size(self, input_size):
        return self._state_rows()

    def factor(self, kind, name):
        """LearnRateFactor/L2Factor of a learnable: scalar, or one value per row for a
        1-by-(gates x directions) factor; a factor of the GRU's 6H bias acts on both its
        halves."""
        rows = self._rows()
        f = expand_factor(getattr(self, f"{name}{kind}"), rows, self._gates * self._directions)
        if name == "Bias" and np.ndim(f) and self._bias_rows() != rows:
            f = np.concatenate([f, f])
        return f

    def initialize(self, input_size, dtype):
        """Fill the empty learnables: Glorot's fan-out is all gate rows (3H, 4H; 8H for
        BiLSTM as MATLAB's page words it, UNCONFIRMED), the recurrent fan-in H."""
        h, rows, func = self.NumHiddenUnits, self._rows(), self._func
        if self.InputSize == "auto":
            object.__setattr__(self, "InputSize", input_size)
        d = self.InputSize
        if self.InputWeights is None:
            object.__setattr__(self, "InputWeights", initializers.initialize(
                self.InputWeightsInitializer, (rows, d), d, rows, func, "InputWeights", dtype))
        if self.RecurrentWeights is None:
            object.__setattr__(self, "RecurrentWeights", initializers.initialize(
                self.RecurrentWeightsInitializer, (rows, h), h, rows, func,
                "RecurrentWeights", dtype))
        if self.Bias is None:
            object.__setattr__(self, "Bias", self._initial_bias(dtype))

    def _initial_bias(self, dtype):
        return initializers.initialize(self.BiasInitializer, (self._bias_rows(), 1),
                                       self.NumHiddenUnits, self._rows(), self._func, "Bias",
                                       dtype)

    def assembled_shapes(self, input_size):
        return (("InputWeights", (self._rows(), input_size)),
                ("RecurrentWeights", (self._rows(), self.NumHiddenUnits)),
                ("Bias", (self._bias_rows(), 1)))

    # -- state -----------------------------------------------------------------------
    def keeps_time(self):
        return self.OutputMode != "last"

    def state_names(self):
        return self._states

    def reset_state(self):
        for name in self._states:
            object.__setattr__(self, name, self._initial.get(name))

    def with_state(self, state):
        """A copy storing ``state`` (a tuple of fresh (B, rows) arrays from forward) as
        its H-by-B state properties; no copies."""
        layer = self.copy()
        for name, value in zip(self._states, state):
            object.__setattr__(layer, name, value.T)
        return layer

    def initial_state(self, batch, xp, dtype):
        """The initial states as (B, rows) arrays: the stored ones (rows-by-1 broadcast, or
        rows-by-B), else zeros."""
        out = []
        for name in self._states:
            s = getattr(self, name)
            if s is None:
                out.append(xp.zeros((batch, self._state_rows()), dtype=dtype))
                continue
            if s.shape[1] not in (1, batch):
                raise_error(self._func, "IncorrectNetworkState",
                            f"Layer '{self.Name}' holds a recurrent state for {s.shape[1]} "
                            f"observations, but the mini-batch has {batch}. Call resetState "
                            f"or use MiniBatchSize {s.shape[1]}.")
            a = xp.empty((batch, self._state_rows()), dtype=dtype)
            a[...] = xp.asarray(s).T
            out.append(a)
        return tuple(out)

    # -- display ---------------------------------------------------------------------
    def description(self):
        return f"{self._type} with {self.NumHiddenUnits} hidden units"

    def display_groups(self):
        return [(None, general_rows(self)),
                ("Hyperparameters", [(n, getattr(self, n)) for n in self._hyperparameters]),
                ("Learnable Parameters", [(n, getattr(self, n)) for n in self._learnables]),
                ("State Parameters", [(n, getattr(self, n)) for n in self._states])]

    # -- computation -----------------------------------------------------------------
    def _cell_options(self):
        return {"gate": self.GateActivationFunction, "state": self.StateActivationFunction}

    def _params(self, xp, dtype):
        """The cell's parameters per direction in ``dtype`` on ``xp``, cached while the
        learnables are the same arrays (replacing one drops the cache; the trainer calls
        learnables_changed after updating them in place)."""
        w, r, b = self.InputWeights, self.RecurrentWeights, self.Bias
        cache = self.__dict__.get("_cache")
        if cache is not None and cache[0] is xp and cache[1] == dtype and cache[2] is w \
                and cache[3] is r and cache[4] is b:
            return cache[5]
        w, r, b = (xp.asarray(a, dtype=dtype) for a in (w, r, b))
        n, nb = w.shape[0] // self._directions, b.shape[0] // self._directions
        options = self._cell_options()
        params = [self._cell.make_params(w[k * n:(k + 1) * n], r[k * n:(k + 1) * n],
                                         b[k * nb:(k + 1) * nb], **options)
                  for k in range(self._directions)]
        self._cache = (xp, dtype, self.InputWeights, self.RecurrentWeights, self.Bias, params)
        return params

    def forward(self, X, training=False, state=None):
        """X: (T, B, D). Returns (Y, backprop, final states) with Y (T, B, rows) or
        (B, rows) for OutputMode 'last'; rows = directions x H.

        ``state``: the initial states, a tuple of (B, rows) arrays in state_names() order
        (one array is taken as the HiddenState of a one-state layer); None uses the stored
        states. ``backprop(dY, out=None)`` returns ``(dX, grads)``: the learnables'
        gradients (written into ``out``'s arrays when given) and those of the initial
        states, keyed by state name.
        """
        xp = get_xp(X)
        dtype = X.dtype
        if state is None:
            state = self.initial_state(X.shape[1], xp, dtype)
        elif not isinstance(state, tuple):
            state = (state,)
        return directions.run(self._cell, self._params(xp, dtype), X, state, training,
                              self.OutputMode == "last")


__all__ = ["RecurrentLayer", "recurrent_options", "constructor", "WEIGHT_INITIALIZERS"]
