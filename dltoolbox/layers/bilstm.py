"""bilstmLayer: a bidirectional LSTM layer (MATLAB ``bilstmLayer``, reference §4).

Two LSTMs (the equations of lstm.py) share the input: the forward one runs over
x_1..x_T, the backward one over x_T..x_1, and the output at time t is
[h_fwd(t); h_bwd(t)] (2H channels, forward first), where h_bwd(t) has seen x_t..x_T.
InputWeights (8H-by-D), RecurrentWeights (8H-by-H) and Bias (8H-by-1) stack the forward
direction's rows (i, f, g, o) and then the backward direction's; HiddenState and
CellState are 2H-by-1, [forward; backward]; factors are scalars or 1-by-8 (forward
i, f, g, o, then backward).

OutputMode 'last' is the last time step of the sequence output, as MATLAB computes it:
[h_fwd(T); h_bwd(T)], whose backward half has seen only x_T (it is the backward LSTM's
first step). Padding is not masked: with right padding both halves at the last step
come after the padding (MATLAB's documented behaviour; pad on the left for 'last').
predictAndUpdateState stores [h_fwd(T); the backward LSTM's state after the whole
reversed sequence (its output at time 1)], and the next call starts both directions
from there, as MATLAB does (reference §4).

PyTorch's ``nn.LSTM(bidirectional=True)`` holds the same numbers: weight_ih_l0 and
weight_ih_l0_reverse are the two 4H-row halves.
"""

from ._recurrent import constructor, recurrent_options
from .lstm import BIAS_INITIALIZERS, STATES, LSTMLayer


def bilstmLayer(numHiddenUnits, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a bidirectional LSTM layer (MATLAB ``bilstmLayer``).

    >>> layer = bilstmLayer(100, 'OutputMode', 'last')
    >>> print(layer.description())
    BiLSTM with 100 hidden units
    >>> import numpy as np
    >>> layer.initialize(12, np.float32)
    >>> layer.InputWeights.shape, layer.RecurrentWeights.shape, layer.Bias.shape
    ((800, 12), (800, 100), (800, 1))
    >>> layer.output_size(12)
    200
    """
    return constructor(BiLSTMLayer, "bilstmLayer", numHiddenUnits, args, kwargs)


class BiLSTMLayer(LSTMLayer):
    """A bidirectional LSTM layer; see :func:`bilstmLayer` and the module docstring."""

    _func = "bilstmLayer"
    _type = "BiLSTM"
    _default_name = "bilstm"
    _options = recurrent_options(8, STATES, BIAS_INITIALIZERS, "unit-forget-gate")
    _directions = 2
