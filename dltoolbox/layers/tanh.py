"""tanhLayer: f(x) = tanh(x); the derivative is 1 - f(x)^2."""

from ..recurrent.activations import d_tanh
from ._elementwise import ElementwiseLayer


def tanhLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a hyperbolic tangent layer (MATLAB ``tanhLayer``).

    >>> tanhLayer().description()
    'Hyperbolic tangent'
    """
    return TanhLayer(TanhLayer._parse(args, kwargs))


class TanhLayer(ElementwiseLayer):
    """The layer :func:`tanhLayer` creates.

    >>> type(tanhLayer()).__name__
    'TanhLayer'
    """

    _func = "tanhLayer"
    _type = "Tanh"
    _default_name = "tanh"

    def description(self):
        return "Hyperbolic tangent"

    def _apply(self, xp, X):
        Y = xp.tanh(X)
        return Y, lambda dY: dY * d_tanh(Y)
