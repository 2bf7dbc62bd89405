"""globalMaxPooling1dLayer: the maximum over all time steps, per observation and
channel; removes the time dimension (a sequence-to-one network)."""

from ..backend import get_xp
from ._pooling import GlobalPooling1DLayer


def globalMaxPooling1dLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a 1-D global max pooling layer (MATLAB ``globalMaxPooling1dLayer``).

    >>> import numpy as np
    >>> x = np.array([1., 4., 2.]).reshape(3, 1, 1)             # (T, B, C)
    >>> globalMaxPooling1dLayer().forward(x)[0].tolist()         # (B, C)
    [[4.0]]
    """
    return GlobalMaxPooling1DLayer(GlobalMaxPooling1DLayer._parse(args, kwargs))


class GlobalMaxPooling1DLayer(GlobalPooling1DLayer):
    """The layer :func:`globalMaxPooling1dLayer` creates.

    >>> type(globalMaxPooling1dLayer()).__name__
    'GlobalMaxPooling1DLayer'
    """

    _func = "globalMaxPooling1dLayer"
    _type = "1-D Global Max Pooling"
    _description = "1-D global max pooling"
    _default_name = "gmpool1d"

    def forward(self, X, training=False, state=None):
        self._check_time(X)
        xp = get_xp(X)
        arg = X.argmax(axis=0)
        Y = X.max(axis=0)

        def backprop(dY, out=None):
            first = xp.arange(X.shape[0]).reshape(-1, 1, 1) == arg[None]
            return first * dY[None], {}

        return Y, backprop, None
