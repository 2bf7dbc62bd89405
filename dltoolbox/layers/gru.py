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

The sizes, checks, display and state handling are RecurrentLayer's (layers/_recurrent.py);
the maths is the GRU cell of the recurrent core (recurrent/gru.py): one GEMM computes the
input projections of all time steps; only the recurrent product and the gate math run
inside the time loop, on preallocated buffers; the weight gradients are one GEMM each
over all time steps.
"""

import numpy as np

from .._nameval import Option
from .._validate import check_one_of
from ..errors import raise_error
from ..recurrent import gru as kernels
from ._recurrent import RecurrentLayer, constructor, recurrent_options

_RESET_MODES = ("after-multiplication", "before-multiplication",
                "recurrent-bias-after-multiplication")

_OPTIONS = recurrent_options(
    3, ("HiddenState",), ("zeros", "narrow-normal", "ones"), "zeros",
    extra=(Option("ResetGateMode", "after-multiplication", check_one_of(*_RESET_MODES)),))


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
    return constructor(GRULayer, "gruLayer", numHiddenUnits, args, kwargs)


class GRULayer(RecurrentLayer):
    """A GRU layer; see :func:`gruLayer` and the module docstring for the equations."""

    _func = "gruLayer"
    _type = "GRU"
    _default_name = "gru"
    _options = _OPTIONS
    _cell = kernels.CELL
    _gates = 3
    _hyperparameters = ("InputSize", "NumHiddenUnits", "OutputMode", "ResetGateMode",
                        "StateActivationFunction", "GateActivationFunction")

    def _early_values(self, values):
        return {"ResetGateMode": values["ResetGateMode"]}

    def _bias_rows(self, mode=None):
        mode = mode or self.ResetGateMode
        return 2 * self._rows() if mode == _RESET_MODES[2] else self._rows()

    def _bias_note(self):
        return f" (ResetGateMode '{self.ResetGateMode}')"

    def _check_property(self, name, value):
        if name == "ResetGateMode" and self.Bias is not None and \
                self.Bias.shape[0] != self._bias_rows(value):
            raise_error("GRULayer", "InvalidResetGateMode",
                        f"ResetGateMode '{value}' needs a {self._bias_rows(value)}×1 Bias, "
                        f"but Bias is {self.Bias.shape[0]}×1; set Bias to [] first.")
        return super()._check_property(name, value)

    def _cell_options(self):
        return {"mode": self.ResetGateMode, **super()._cell_options()}

    def predict_one(self, x, state=None):
        """One observation, x (T, D): the whole sequence in one kernel call when possible."""
        if not kernels.one_observation_ready(x):
            return super().predict_one(x, state)
        T = x.shape[0]
        hs = np.empty((T + 1, self.NumHiddenUnits), dtype=x.dtype)
        h0 = self.HiddenState if state is None else state[0].T
        if h0 is None:
            hs[0] = 0
        elif h0.shape[1] == 1:
            hs[0] = h0.T
        else:
            self.initial_state(1, np, x.dtype)    # raises IncorrectNetworkState
        kernels.one_observation(self._params(np, x.dtype)[0], x, hs)
        return (hs[T:] if self.OutputMode == "last" else hs[1:]), (hs[T:],)
