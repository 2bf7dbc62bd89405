"""The Layer base class: MATLAB-named properties, validated assignment, display.

A layer computes with ``forward(X, training=False, state=None)`` which returns ``(Y,
backprop, new_state)``; ``backprop(dY, out=None)`` returns ``(dX, grads)`` with
``grads`` keyed by the learnable property names (written into the arrays that ``out``
gives by name, when it does: the trainer's flat gradient buffer). Layers never update
their own learnables; the solver does. Data layout inside: ``(T, B, C)`` for sequences
(row-major, so its bytes are MATLAB's C-by-B-by-T array) and ``(B, C)`` once the time
dimension is gone.
"""

import numpy as np

from .._display import TIMES, matlab_value, property_block
from .._nameval import parse_name_value
from ..errors import raise_error


class Layer:
    """Base class of every layer. Subclasses fill in the class attributes below."""

    _func = ""            # constructor name used in messages, e.g. 'gruLayer'
    _type = ""            # Type column of the layer-array display
    _default_name = ""    # name given at assembly/training when Name is ''
    _options = {}         # name-value table (settable properties)
    _readonly = ()        # read-only property names (besides the general ones)
    _learnables = ()      # learnable property names, in display order
    _footer = True        # 'Show all properties' line

    NumInputs = 1
    NumOutputs = 1
    InputNames = ("in",)
    OutputNames = ("out",)

    def __init__(self, values):
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def _parse(cls, args, kwargs):
        return parse_name_value(cls._func, args, kwargs, cls._options)

    # -- properties ------------------------------------------------------------------
    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        cls = type(self).__name__
        if name in self._readonly or name in ("NumInputs", "NumOutputs", "InputNames",
                                              "OutputNames"):
            raise_error(cls, "ReadOnlyProperty",
                        f"The property '{name}' is read-only; create a new layer with "
                        f"{self._func} instead.")
        opt = self._options.get(name.lower())
        if opt is None or opt.name != name:
            hint = f" Did you mean '{opt.name}'?" if opt is not None else ""
            raise_error(cls, "UnknownProperty",
                        f"'{name}' is not a property of {cls}.{hint}")
        value = opt.check(value, cls, name) if opt.check else value
        if value is not None and name in self.state_names() and \
                np.ndim(value) == 2 and np.shape(value)[1] != 1:
            raise_error(cls, f"Invalid{name}",
                        f"Invalid value for '{name}'. Expected a column vector (one value "
                        f"per hidden unit), got a {'×'.join(map(str, np.shape(value)))} array; "
                        f"the state of a mini-batch is set by predictAndUpdateState.")
        value = self._check_property(name, value)
        object.__setattr__(self, name, value)
        self.__dict__.pop("_cache", None)   # forms derived from the old values

    def _check_property(self, name, value):
        """Hook for checks that involve other properties (sizes); returns the value."""
        return value

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)          # derived forms are rebuilt after loading
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def copy(self):
        """A shallow copy: learnable arrays are shared until replaced."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    # -- display ---------------------------------------------------------------------
    def type_name(self):
        return self._type

    def description(self):
        raise NotImplementedError

    def display_groups(self):
        raise NotImplementedError

    def __repr__(self):
        return property_block(type(self).__name__, self.display_groups(), self._footer)

    __str__ = __repr__

    # -- learning --------------------------------------------------------------------
    def learnable_names(self):
        return self._learnables

    def factor(self, kind, name):
        """LearnRateFactor or L2Factor of learnable ``name`` (scalar or per-row array)."""
        return 1.0

    def output_size(self, input_size):
        """Channels out for ``input_size`` channels in (None when unknown)."""
        return input_size

    def output_length(self, t):
        """Time steps out for ``t`` time steps in (convolution and pooling change it)."""
        return t

    def initialize(self, input_size, dtype):
        """Fill empty learnables for ``input_size`` input channels (training)."""

    def check_assembled(self, input_size):
        """Raise when a learnable is missing or wrongly sized (assembleNetwork)."""
        for name, shape in self.assembled_shapes(input_size):
            value = getattr(self, name)
            if value is None or value.shape != shape:
                got = "empty" if value is None else TIMES.join(map(str, value.shape))
                raise_error("assembleNetwork", "InvalidLearnable",
                            f"Layer '{self.Name}' ({self._type}): '{name}' must be "
                            f"{TIMES.join(map(str, shape))}, but it is {got}.")

    def assembled_shapes(self, input_size):
        """(learnable name, required shape) pairs that check_assembled enforces."""
        return ()

    def passes_through(self):
        """True when prediction leaves the data unchanged (output layers, dropout, ...)."""
        return False

    def keeps_time(self):
        """False when the layer's output has no time dimension (a recurrent layer with
        OutputMode 'last', global pooling, ...): the network is then sequence-to-one."""
        return True

    def state_names(self):
        """The names of the recurrent state properties the layer carries between calls
        (('HiddenState',) for GRU, ('HiddenState', 'CellState') for LSTM); () when the
        layer holds no state. predictAndUpdateState stores a layer's final state, one
        H-by-B array per name, and resetState restores the initial values."""
        return ()

    def state_parameters(self):
        """The layer's rows in a dlnetwork's ``State`` table: its recurrent states
        (``state_names()``) and, for batch normalization, TrainedMean and TrainedVariance
        (MATLAB lists both kinds in net.State)."""
        return self.state_names()

    def updated_statistics(self):
        """{name: value} of the statistics that the last ``forward(training=True)``
        gathered, applied to the stored ones (batch normalization's moving mean and
        variance), without storing them; {} for other layers or when none ran."""
        return {}

    def with_state(self, state):
        """A copy holding ``state`` (the final state returned by ``forward``) as its
        recurrent state properties; only stateful layers override this."""
        return self

    def predict_one(self, x, state=None):
        """Prediction for one observation: x (T, C) -> (y (T, K), final state or None).

        The batched ``forward`` does the work here; layers on the closed-loop forecasting
        path (one time step per call) override this with a leaner version.
        """
        Y, _, new_state = self.forward(x[:, None, :], False, state)
        return (Y[:, 0, :] if Y.ndim == 3 else Y), new_state

    def reset_state(self):
        """Restore the initial recurrent state (stateless layers: nothing)."""

    def commit_statistics(self):
        """Apply the statistics gathered by the last ``forward(training=True)`` (batch
        normalization's moving mean and variance). The trainer calls it once per iteration,
        after the solver step; layers without such statistics do nothing."""

    def learnables_changed(self):
        """Drop forms derived from the learnables (the solver updated them in place)."""
        self.__dict__.pop("_cache", None)


def general_rows(layer):
    """The newer (R2020b+) general group: Name, InputNames, ... HasStateOutputs."""
    return [("Name", layer.Name), ("InputNames", tuple(layer.InputNames)),
            ("OutputNames", tuple(layer.OutputNames)), ("NumInputs", layer.NumInputs),
            ("NumOutputs", layer.NumOutputs), ("HasStateInputs", layer.HasStateInputs),
            ("HasStateOutputs", layer.HasStateOutputs)]


def expand_factor(factor, rows, blocks):
    """A scalar stays scalar; a 1-by-blocks factor becomes one value per row (repelem)."""
    if np.ndim(factor) == 0:
        return float(factor)
    reps = rows // blocks
    return np.repeat(np.asarray(factor, dtype=np.float64), reps)[:, None]


def size_mismatch(cls, prop, expected, got):
    raise_error(cls, f"Invalid{prop}",
                f"Invalid value for '{prop}'. Expected a {expected} matrix, got a "
                f"{'×'.join(map(str, got))} array.")


def as_matrix(value):
    """A numeric property as a 2-D array (vectors become columns)."""
    if value is None:
        return None
    return value.reshape(-1, 1) if value.ndim < 2 else value


def num_text(x):
    """MATLAB num2str for layer descriptions (integers without decimals)."""
    return str(int(x)) if float(x) == int(x) else f"{x:.4g}"


__all__ = ["Layer", "general_rows", "expand_factor", "size_mismatch", "as_matrix",
           "num_text", "matlab_value"]
