"""maxPooling1dLayer: the maximum over windows of PoolSize time steps (padding never
wins: it is -Inf); the gradient goes to the first maximum of each window."""

import numpy as np

from ..backend import get_xp
from ._pooling import Pooling1DLayer, make_pooling, pooling_options
from ._time_window import pad_time, windows


def maxPooling1dLayer(poolSize, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a 1-D max pooling layer (MATLAB ``maxPooling1dLayer``).

    >>> import numpy as np
    >>> layer = maxPooling1dLayer(2, 'Stride', 2)
    >>> layer.description()
    '2 max pooling with stride 2 and padding [0  0]'
    >>> x = np.array([1., 3., 2., 0., 5.]).reshape(5, 1, 1)
    >>> layer.forward(x)[0].ravel().tolist()
    [3.0, 2.0]
    """
    return make_pooling(MaxPooling1DLayer, poolSize, args, kwargs)


class MaxPooling1DLayer(Pooling1DLayer):
    """The layer :func:`maxPooling1dLayer` creates.

    >>> type(maxPooling1dLayer(2)).__name__
    'MaxPooling1DLayer'
    """

    _func = "maxPooling1dLayer"
    _type = "1-D Max Pooling"
    _default_name = "maxpool1d"
    _options = pooling_options()
    _what = "max"

    def forward(self, X, training=False, state=None):
        xp = get_xp(X)
        left, right, to = self._prepare(X)
        Xp, unpad = pad_time(X, left, right, -np.inf)
        taps = windows(Xp, self.PoolSize, self.Stride, 1, to)
        stack = xp.stack(taps)
        arg = stack.argmax(axis=0)
        Y = stack.max(axis=0)
        s = self.Stride

        def backprop(dY, out=None):
            dXp = xp.zeros_like(Xp)
            last = (to - 1) * s + 1
            for i in range(self.PoolSize):
                dXp[i:i + last:s] += dY * (arg == i)
            return unpad(dXp), {}

        return Y, backprop, None
