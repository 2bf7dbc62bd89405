"""concatenationLayer: concatenates its inputs along a dimension (MATLAB's
``concatenationLayer(dim, numInputs)``).

``dim`` counts the dimensions of the layer's input in MATLAB's formatted order (S, C, B,
T: reference r2 §7.1): for sequence data "CBT", 1 is the channels and 3 the time steps;
for data without time ("CB", after OutputMode 'last' or global pooling) 1 is the
channels. Dimension 2, the observations, and dimensions past 3 are named errors
(NotSupported / InvalidDim). That numbering is the reading of MATLAB's rule for sequences
(UNCONFIRMED: the page's examples concatenate images along "C").

Channel concatenation: the inputs agree in every dimension but the channels, the output
has the sum of their channels. Time concatenation: the inputs have time steps and the same
channels (and observations); the output has the sum of their time steps, in port order
(in1's steps first). Padding is not masked: a padded mini-batch keeps each input's
padding in place (as everywhere, reference §15).
"""

from .._nameval import Option
from .._validate import check_positive_integer
from ..backend import get_xp
from ..errors import raise_error
from ._combine import CombineLayer, combine_options

CHANNEL, TIME = 1, 3


def concatenationLayer(dim, numInputs=2, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a concatenation layer (MATLAB ``concatenationLayer(dim, numInputs)``):
    ``dim`` 1 concatenates channels, 3 time steps (sequence data, "CBT").

    >>> import numpy as np
    >>> layer = concatenationLayer(1, 2, Name='cat')
    >>> layer.forward([np.ones((1, 2)), np.zeros((1, 1))])[0].tolist()
    [[1.0, 1.0, 0.0]]
    >>> Y = concatenationLayer(3, 2).forward([np.ones((2, 1, 3)), np.zeros((4, 1, 3))])[0]
    >>> Y.shape                                  # (time, observations, channels)
    (6, 1, 3)
    """
    values = ConcatenationLayer._parse_positional(("Dim", "NumInputs"),
                                                  (dim, numInputs) + args, kwargs)
    return ConcatenationLayer(values)


class ConcatenationLayer(CombineLayer):
    _func = "concatenationLayer"
    _type = "Concatenation"
    _default_name = "concat"
    _options = combine_options(Option("Dim", 1, check_positive_integer()))

    def __init__(self, values):
        dim = values.get("Dim", 1)
        if dim == 2:
            raise_error("concatenationLayer", "NotSupported",
                        "Concatenation along dimension 2 (the observations, \"B\" of sequence "
                        "data \"CBT\") is not supported; use dimension 1 (the channels) or 3 "
                        "(the time steps).")
        if dim > TIME:
            raise_error("concatenationLayer", "InvalidDim",
                        f"Invalid value for 'Dim'. Sequence data has the dimensions C (1), "
                        f"B (2) and T (3); expected 1 or 3, got {dim}.")
        super().__init__(values)

    def description(self):
        return f"Concatenation of {self.NumInputs} inputs along dimension {self.Dim}"

    def display_groups(self):
        return [(None, [("Name", self.Name), ("Dim", self.Dim),
                        ("NumInputs", self.NumInputs), ("InputNames", tuple(self.InputNames))])]

    def combine_sizes(self, sizes, names, func):
        self.check_sources(sizes, names, func)
        if self.Dim == TIME:
            return self.same_sizes(sizes, names, func)
        return sum(sizes)

    def check_time_inputs(self, has_time, names, func):
        """Time concatenation needs inputs with time steps (the network's size pass)."""
        if self.Dim == TIME and not all(has_time):
            bad = [n for n, t in zip(names, has_time) if not t]
            raise_error(func, "NoTimeDimension",
                        f"Layer '{self.Name}' concatenates along dimension 3 (time), but its "
                        f"input from '{bad[0]}' has no time dimension (OutputMode 'last' or "
                        f"pooling over time dropped it).")

    def output_length(self, t):
        """Time steps out: the sum of the inputs' for time concatenation (``t``: a list,
        one length per input, or one length shared by all)."""
        ts = list(t) if isinstance(t, (list, tuple)) else [t] * self.NumInputs
        return sum(ts) if self.Dim == TIME else ts[0]

    def forward(self, Xs, training=False, state=None):
        xp = get_xp(Xs[0])
        if self.Dim == TIME:
            return self._forward_time(xp, Xs)
        if len({X.ndim for X in Xs}) != 1 or len({X.shape[:-1] for X in Xs}) != 1:
            raise_error("concatenationLayer", "SizeMismatch",
                        f"The inputs of layer '{self.Name}' must agree in all dimensions "
                        f"but the channels; got "
                        f"{', '.join('×'.join(map(str, X.shape)) for X in Xs)}.")
        widths = [X.shape[-1] for X in Xs]
        Y = xp.concatenate(Xs, axis=-1)

        def backprop(dY, out=None):
            parts, start = [], 0
            for w in widths:
                parts.append(dY[..., start:start + w])
                start += w
            return parts, {}

        return Y, backprop, None

    def _forward_time(self, xp, Xs):
        """(T_k, B, C) inputs -> (sum T_k, B, C)."""
        if any(X.ndim != 3 for X in Xs):
            raise_error("concatenationLayer", "NoTimeDimension",
                        f"Layer '{self.Name}' concatenates along dimension 3 (time), but an "
                        f"input has no time dimension (shapes "
                        f"{', '.join('×'.join(map(str, X.shape)) for X in Xs)}).")
        if len({X.shape[1:] for X in Xs}) != 1:
            raise_error("concatenationLayer", "SizeMismatch",
                        f"The inputs of layer '{self.Name}' must agree in the observations and "
                        f"channels to be concatenated in time; got (time×batch×channels) "
                        f"{', '.join('×'.join(map(str, X.shape)) for X in Xs)}.")
        lengths = [X.shape[0] for X in Xs]
        Y = xp.concatenate(Xs, axis=0)

        def backprop(dY, out=None):
            parts, start = [], 0
            for t in lengths:
                parts.append(dY[start:start + t])
                start += t
            return parts, {}

        return Y, backprop, None
