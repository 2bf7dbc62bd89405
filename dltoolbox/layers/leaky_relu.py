"""leakyReluLayer: f(x) = x for x >= 0, Scale * x for x < 0 (Scale 0.01 by default)."""

from .._nameval import Option, options_table
from .._validate import check_scalar, check_text
from ._base import num_text
from ._elementwise import ElementwiseLayer, with_positional

_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Scale", 0.01, check_scalar()))


def leakyReluLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a leaky ReLU layer (MATLAB ``leakyReluLayer(scale, 'Name', name)``).

    >>> import numpy as np
    >>> layer = leakyReluLayer(0.1)
    >>> layer.description(), layer.forward(np.array([[-1.0, 2.0]]))[0].tolist()
    ('Leaky ReLU with scale 0.1', [[-0.1, 2.0]])
    """
    return with_positional(LeakyReLULayer, "Scale", args, kwargs)


class LeakyReLULayer(ElementwiseLayer):
    """The layer :func:`leakyReluLayer` creates.

    >>> type(leakyReluLayer(0.2)).__name__
    'LeakyReLULayer'
    """

    _func = "leakyReluLayer"
    _type = "Leaky ReLU"
    _default_name = "leakyrelu"
    _options = _OPTIONS
    _hyper = ("Scale",)

    def description(self):
        return f"Leaky ReLU with scale {num_text(self.Scale)}"

    def _apply(self, xp, X):
        slope = xp.where(X >= 0, 1.0, self.Scale).astype(X.dtype)
        return X * slope, lambda dY: dY * slope
