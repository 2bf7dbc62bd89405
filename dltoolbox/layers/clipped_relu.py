"""clippedReluLayer: f(x) = min(max(x, 0), Ceiling); the derivative is 1 on [0, Ceiling)."""

from .._nameval import Option, options_table
from .._validate import check_scalar, check_text
from ..errors import raise_error
from ._base import num_text
from ._elementwise import ElementwiseLayer

_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Ceiling", 10.0, check_scalar(0, lo_open=True)))


def clippedReluLayer(ceiling=None, *args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a clipped ReLU layer (MATLAB ``clippedReluLayer(ceiling, 'Name', name)``).

    ``ceiling`` is required, as in MATLAB.

    >>> import numpy as np
    >>> layer = clippedReluLayer(1.5)
    >>> layer.description(), layer.forward(np.array([[-1.0, 0.5, 2.0]]))[0].tolist()
    ('Clipped ReLU with ceiling 1.5', [[0.0, 0.5, 1.5]])
    """
    if ceiling is None or isinstance(ceiling, str):
        raise_error("clippedReluLayer", "MissingCeiling",
                    "The clipping ceiling is required: clippedReluLayer(ceiling), e.g. "
                    "clippedReluLayer(10).")
    values = ClippedReLULayer._parse(("Ceiling", ceiling) + tuple(args), kwargs)
    return ClippedReLULayer(values)


class ClippedReLULayer(ElementwiseLayer):
    """The layer :func:`clippedReluLayer` creates.

    >>> type(clippedReluLayer(6)).__name__
    'ClippedReLULayer'
    """

    _func = "clippedReluLayer"
    _type = "Clipped ReLU"
    _default_name = "clippedrelu"
    _options = _OPTIONS
    _hyper = ("Ceiling",)

    def description(self):
        return f"Clipped ReLU with ceiling {num_text(self.Ceiling)}"

    def _apply(self, xp, X):
        mask = (X >= 0) & (X < self.Ceiling)
        return xp.clip(X, 0, self.Ceiling), lambda dY: dY * mask
