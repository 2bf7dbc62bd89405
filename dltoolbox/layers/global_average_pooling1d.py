"""globalAveragePooling1dLayer: the mean over all time steps (padded steps included),
per observation and channel; removes the time dimension (a sequence-to-one network)."""

from ..backend import get_xp
from ._pooling import GlobalPooling1DLayer


def globalAveragePooling1dLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a 1-D global average pooling layer (MATLAB ``globalAveragePooling1dLayer``).

    >>> import numpy as np
    >>> x = np.array([1., 4., 4.]).reshape(3, 1, 1)             # (T, B, C)
    >>> globalAveragePooling1dLayer().forward(x)[0].tolist()     # (B, C)
    [[3.0]]
    """
    return GlobalAveragePooling1DLayer(GlobalAveragePooling1DLayer._parse(args, kwargs))


class GlobalAveragePooling1DLayer(GlobalPooling1DLayer):
    """The layer :func:`globalAveragePooling1dLayer` creates.

    >>> type(globalAveragePooling1dLayer()).__name__
    'GlobalAveragePooling1DLayer'
    """

    _func = "globalAveragePooling1dLayer"
    _type = "1-D Global Average Pooling"
    _description = "1-D global average pooling"
    _default_name = "gapool1d"

    def forward(self, X, training=False, state=None):
        self._check_time(X)
        xp = get_xp(X)
        t = X.shape[0]

        def backprop(dY, out=None):
            return xp.broadcast_to(dY / t, X.shape).copy(), {}

        return X.mean(axis=0), backprop, None
