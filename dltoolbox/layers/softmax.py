"""softmaxLayer: softmax over the channels, per observation and time step."""

from .._nameval import Option, options_table
from .._validate import check_text
from ..backend import get_xp
from ._base import Layer

_OPTIONS = options_table(Option("Name", "", check_text))


def softmaxLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a softmax layer (MATLAB ``softmaxLayer``).

    >>> softmaxLayer('Name', 'sm').Name
    'sm'
    """
    return SoftmaxLayer(SoftmaxLayer._parse(args, kwargs))


class SoftmaxLayer(Layer):
    _func = "softmaxLayer"
    _type = "Softmax"
    _default_name = "softmax"
    _options = _OPTIONS
    _footer = False

    def description(self):
        return "softmax"

    def display_groups(self):
        return [(None, [("Name", self.Name)])]

    def forward(self, X, training=False, state=None):
        xp = get_xp(X)
        Y = X - X.max(axis=-1, keepdims=True)
        xp.exp(Y, out=Y)
        Y /= Y.sum(axis=-1, keepdims=True)

        def backprop(dY, out=None):
            return Y * (dY - (dY * Y).sum(axis=-1, keepdims=True)), {}

        return Y, backprop, None
