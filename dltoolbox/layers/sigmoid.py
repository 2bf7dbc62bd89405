"""sigmoidLayer: f(x) = 1 / (1 + exp(-x)); the derivative is f(x) (1 - f(x))."""

from ..recurrent.activations import d_sigmoid, sigmoid_
from ._elementwise import ElementwiseLayer


def sigmoidLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a sigmoid layer (MATLAB ``sigmoidLayer``).

    >>> import numpy as np
    >>> sigmoidLayer().forward(np.zeros((1, 2)))[0].tolist()
    [[0.5, 0.5]]
    """
    return SigmoidLayer(SigmoidLayer._parse(args, kwargs))


class SigmoidLayer(ElementwiseLayer):
    """The layer :func:`sigmoidLayer` creates.

    >>> type(sigmoidLayer()).__name__
    'SigmoidLayer'
    """

    _func = "sigmoidLayer"
    _type = "Sigmoid"
    _default_name = "sigmoid"

    def description(self):
        return "sigmoid"

    def _apply(self, xp, X):
        Y = sigmoid_(X.copy())
        return Y, lambda dY: dY * d_sigmoid(Y)
