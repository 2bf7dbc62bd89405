"""concatenationLayer: concatenates its inputs along a dimension; for sequence data the
channel dimension is 1 (MATLAB's ``concatenationLayer(1, numInputs)``)."""

from .._nameval import Option
from .._validate import check_positive_integer
from ..backend import get_xp
from ..errors import raise_error
from ._combine import CombineLayer, combine_options


def concatenationLayer(dim, numInputs=2, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a concatenation layer (MATLAB ``concatenationLayer(dim, numInputs)``).

    >>> import numpy as np
    >>> layer = concatenationLayer(1, 2, Name='cat')
    >>> layer.forward([np.ones((1, 2)), np.zeros((1, 1))])[0].tolist()
    [[1.0, 1.0, 0.0]]
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
        if values.get("Dim", 1) != 1:
            raise_error("concatenationLayer", "NotSupported",
                        f"Concatenation along dimension {values['Dim']} is not supported "
                        f"yet; for sequence data use dimension 1 (the channels).")
        super().__init__(values)

    def description(self):
        return f"Concatenation of {self.NumInputs} inputs along dimension {self.Dim}"

    def display_groups(self):
        return [(None, [("Name", self.Name), ("Dim", self.Dim),
                        ("NumInputs", self.NumInputs), ("InputNames", tuple(self.InputNames))])]

    def combine_sizes(self, sizes, names, func):
        self.check_sources(sizes, names, func)
        return sum(sizes)

    def forward(self, Xs, training=False, state=None):
        xp = get_xp(Xs[0])
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
