"""lstmLayer: a long short-term memory layer with every option of MATLAB's reference page.

Equations (reference §3), per time step t, with h_0 = HiddenState and c_0 = CellState
(zeros when empty)::

    i_t = sg(W_i x_t + R_i h_{t-1} + b_i)      input gate
    f_t = sg(W_f x_t + R_f h_{t-1} + b_f)      forget gate
    g_t = ss(W_g x_t + R_g h_{t-1} + b_g)      cell candidate
    o_t = sg(W_o x_t + R_o h_{t-1} + b_o)      output gate
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * ss(c_t)

sg is GateActivationFunction ('sigmoid', 'hard-sigmoid'), ss is StateActivationFunction
('tanh', 'softsign'). Gate blocks are stacked in MATLAB's order input, forget, cell
candidate, output (i, f, g, o) in InputWeights (4H-by-D), RecurrentWeights (4H-by-H) and
Bias (4H-by-1): PyTorch uses the same order (weight_ih_l0 = InputWeights, weight_hh_l0 =
RecurrentWeights, bias_ih_l0 + bias_hh_l0 = Bias); Keras stores the transposes in the
same order (i, f, c, o); ONNX uses i, o, f, c. The default BiasInitializer
'unit-forget-gate' sets the forget-gate block to ones and the rest to zeros.
"""

from .. import initializers
from ..recurrent import lstm as cell
from ._recurrent import RecurrentLayer, constructor, recurrent_options

BIAS_INITIALIZERS = ("unit-forget-gate", "narrow-normal", "ones", "zeros")
STATES = ("HiddenState", "CellState")


def lstmLayer(numHiddenUnits, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create an LSTM layer (MATLAB ``lstmLayer``).

    ``lstmLayer(numHiddenUnits, Name, Value, ...)``; names and values as on MATLAB's
    reference page, as pairs or Python keywords, case-insensitive.

    >>> layer = lstmLayer(100, 'OutputMode', 'last', 'Name', 'lstm1')
    >>> layer.NumHiddenUnits, layer.OutputMode, layer.BiasInitializer
    (100, 'last', 'unit-forget-gate')
    >>> print(layer.description())
    LSTM with 100 hidden units
    """
    return constructor(LSTMLayer, "lstmLayer", numHiddenUnits, args, kwargs)


def unit_forget_gate(rows, num_hidden, directions, func, dtype):
    """The 'unit-forget-gate' bias: ones in each direction's forget block (rows H+1..2H
    of every 4H), zeros elsewhere."""
    b = initializers.initialize("zeros", (rows, 1), num_hidden, rows, func, "Bias", dtype)
    for k in range(directions):
        start = 4 * num_hidden * k + num_hidden
        b[start:start + num_hidden] = 1
    return b


class LSTMLayer(RecurrentLayer):
    """An LSTM layer; see :func:`lstmLayer` and the module docstring for the equations."""

    _func = "lstmLayer"
    _type = "LSTM"
    _default_name = "lstm"
    _options = recurrent_options(4, STATES, BIAS_INITIALIZERS, "unit-forget-gate")
    _cell = cell.CELL
    _gates = 4
    _states = STATES

    def _initial_bias(self, dtype):
        if self.BiasInitializer == "unit-forget-gate":
            return unit_forget_gate(self._bias_rows(), self.NumHiddenUnits, self._directions,
                                    self._func, dtype)
        return super()._initial_bias(dtype)
