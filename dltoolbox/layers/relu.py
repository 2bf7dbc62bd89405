"""reluLayer: f(x) = max(x, 0); the derivative is 1 where x > 0, else 0."""

from ._elementwise import ElementwiseLayer


def reluLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a rectified linear unit layer (MATLAB ``reluLayer``).

    >>> import numpy as np
    >>> layer = reluLayer('Name', 'relu1')
    >>> layer.Name, layer.forward(np.array([[-1.0, 2.0]]))[0].tolist()
    ('relu1', [[0.0, 2.0]])
    """
    return ReLULayer(ReLULayer._parse(args, kwargs))


class ReLULayer(ElementwiseLayer):
    """The layer :func:`reluLayer` creates.

    >>> type(reluLayer()).__name__
    'ReLULayer'
    """

    _func = "reluLayer"
    _type = "ReLU"
    _default_name = "relu"

    def description(self):
        return "ReLU"

    def _apply(self, xp, X):
        mask = X > 0
        return xp.maximum(X, 0), lambda dY: dY * mask
