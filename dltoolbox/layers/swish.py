"""swishLayer: f(x) = x sigmoid(x); the derivative is s + x s (1 - s), s = sigmoid(x)."""

from ..recurrent.activations import sigmoid_
from ._elementwise import ElementwiseLayer


def swishLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a swish layer (MATLAB ``swishLayer``).

    >>> import numpy as np
    >>> swishLayer().forward(np.array([[0.0, 1.0]]))[0].round(4).tolist()
    [[0.0, 0.7311]]
    """
    return SwishLayer(SwishLayer._parse(args, kwargs))


class SwishLayer(ElementwiseLayer):
    """The layer :func:`swishLayer` creates.

    >>> type(swishLayer()).__name__
    'SwishLayer'
    """

    _func = "swishLayer"
    _type = "Swish"
    _default_name = "swish"

    def description(self):
        return "swish"

    def _apply(self, xp, X):
        s = sigmoid_(X.copy())
        return X * s, lambda dY: dY * (s * (1.0 + X * (1.0 - s)))
