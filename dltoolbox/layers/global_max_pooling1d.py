"""globalMaxPooling1dLayer: the maximum over all time steps, per observation and
channel; removes the time dimension (a sequence-to-one network)."""

from ..backend import get_xp
from ..errors import raise_error
from ._base import Layer
from ._elementwise import NAME_ONLY


def globalMaxPooling1dLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a 1-D global max pooling layer (MATLAB ``globalMaxPooling1dLayer``).

    >>> import numpy as np
    >>> x = np.array([1., 4., 2.]).reshape(3, 1, 1)             # (T, B, C)
    >>> globalMaxPooling1dLayer().forward(x)[0].tolist()         # (B, C)
    [[4.0]]
    """
    return GlobalMaxPooling1DLayer(GlobalMaxPooling1DLayer._parse(args, kwargs))


def needs_time(layer, X):
    if X.ndim != 3:
        raise_error(layer._func, "NoTimeDimension",
                    f"Layer '{layer.Name}' needs sequence input (a time dimension); the "
                    f"layer before it removed time.")


class GlobalMaxPooling1DLayer(Layer):
    _func = "globalMaxPooling1dLayer"
    _type = "1-D Global Max Pooling"
    _default_name = "gmpool1d"
    _options = NAME_ONLY
    _footer = False

    def description(self):
        return "1-D global max pooling"          # UNCONFIRMED wording

    def display_groups(self):
        return [(None, [("Name", self.Name)])]

    def keeps_time(self):
        return False

    def forward(self, X, training=False, state=None):
        needs_time(self, X)
        xp = get_xp(X)
        arg = X.argmax(axis=0)
        Y = xp.take_along_axis(X, arg[None], axis=0)[0]

        def backprop(dY, out=None):
            dX = xp.zeros_like(X)
            xp.put_along_axis(dX, arg[None], dY[None], axis=0)
            return dX, {}

        return Y, backprop, None
