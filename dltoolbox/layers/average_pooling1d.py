"""averagePooling1dLayer: the mean over windows of PoolSize time steps. PaddingValue 0
counts padded steps as zeros (the divisor is always PoolSize); 'mean' leaves them out
(the divisor is the number of real steps in the window)."""

from .._nameval import Option
from .._validate import check_one_of
from ..backend import get_xp
from ._pooling import Pooling1DLayer, make_pooling, pooling_options
from ._time_window import pad_time, windows


def _check_value(value, func, name):
    if not isinstance(value, str) and value == 0:
        return 0.0
    return check_one_of("mean")(value, func, name)


def averagePooling1dLayer(poolSize, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a 1-D average pooling layer (MATLAB ``averagePooling1dLayer``).

    >>> import numpy as np
    >>> layer = averagePooling1dLayer(3, 'Padding', 'same')
    >>> x = np.array([3., 3., 3.]).reshape(3, 1, 1)
    >>> layer.forward(x)[0].ravel().tolist()
    [2.0, 3.0, 2.0]
    >>> averagePooling1dLayer(3, Padding='same', PaddingValue='mean').forward(x)[0].ravel().tolist()
    [3.0, 3.0, 3.0]
    """
    return make_pooling(AveragePooling1DLayer, poolSize, args, kwargs)


class AveragePooling1DLayer(Pooling1DLayer):
    """The layer :func:`averagePooling1dLayer` creates.

    >>> type(averagePooling1dLayer(2)).__name__
    'AveragePooling1DLayer'
    """

    _func = "averagePooling1dLayer"
    _type = "1-D Average Pooling"
    _default_name = "avgpool1d"
    _options = pooling_options(Option("PaddingValue", 0.0, _check_value))
    _what = "average"

    def _hyper_rows(self):
        return super()._hyper_rows() + [("PaddingValue", self.PaddingValue)]

    def forward(self, X, training=False, state=None):
        xp = get_xp(X)
        left, right, to = self._prepare(X)
        Xp, unpad = pad_time(X, left, right, 0.0)
        p, s = self.PoolSize, self.Stride
        taps = windows(Xp, p, s, 1, to)
        Y = sum(taps[1:], taps[0].copy())
        if self.PaddingValue == "mean" and (left or right):
            ones = xp.zeros((Xp.shape[0], 1, 1), dtype=X.dtype)
            ones[left:left + X.shape[0]] = 1
            count = sum(windows(ones, p, s, 1, to))
        else:
            count = float(p)
        Y = Y / count

        def backprop(dY, out=None):
            g = dY / count
            dXp = xp.zeros_like(Xp)
            last = (to - 1) * s + 1
            for i in range(p):
                dXp[i:i + last:s] += g
            return unpad(dXp), {}

        return Y, backprop, None
