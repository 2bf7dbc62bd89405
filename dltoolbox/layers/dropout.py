"""dropoutLayer: inverted dropout in training, identity at prediction."""

from .. import initializers
from .._nameval import Option, options_table
from .._validate import check_scalar, check_text
from ..backend import get_xp
from ._base import Layer, num_text

_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Probability", 0.5, check_scalar(0, 1, hi_open=True)))


def dropoutLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a dropout layer (MATLAB ``dropoutLayer(probability, Name, Value)``).

    >>> dropoutLayer(0.2).Probability
    0.2
    """
    if args and not isinstance(args[0], str):
        kwargs = dict(kwargs)
        if "Probability" in kwargs:
            DropoutLayer._parse(("Probability", args[0]), kwargs)  # raises: given twice
        args = ("Probability", args[0]) + tuple(args[1:])
    return DropoutLayer(DropoutLayer._parse(args, kwargs))


class DropoutLayer(Layer):
    _func = "dropoutLayer"
    _type = "Dropout"
    _default_name = "dropout"
    _options = _OPTIONS
    _footer = False

    def description(self):
        return f"{num_text(100 * self.Probability)}% dropout"

    def display_groups(self):
        return [(None, [("Name", self.Name)]),
                ("Hyperparameters", [("Probability", self.Probability)])]

    def passes_through(self):
        return True

    def forward(self, X, training=False, state=None):
        p = self.Probability
        if not training or p == 0:
            return X, (lambda dY, out=None: (dY, {})), None
        xp = get_xp(X)
        keep = initializers.generator().random(X.shape) >= p
        mask = xp.asarray(keep, dtype=X.dtype) / (1.0 - p)
        return X * mask, (lambda dY, out=None: (dY * mask, {})), None
