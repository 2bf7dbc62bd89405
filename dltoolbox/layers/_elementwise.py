"""ElementwiseLayer: the shared base of the activation layers (relu.py, elu.py, ...).

Each activation layer file holds its constructor and a small subclass that states its
MATLAB strings and its maths as ``_apply(xp, X) -> (Y, dY -> dX)``; this module holds what
they share: the display, the positional first argument (``leakyReluLayer(0.2)``) and
the forward/backward protocol. No learnables, no state; the data shape is unchanged.
"""

from .._nameval import Option, options_table
from .._validate import check_text
from ..backend import get_xp
from ._base import Layer

NAME_ONLY = options_table(Option("Name", "", check_text))


def with_positional(cls, prop, args, kwargs):
    """Parse ``f(value, 'Name', v, ...)`` and ``f('Name', v, ...)`` for layers whose first
    positional argument sets property ``prop`` (Scale, Ceiling, Alpha)."""
    if args and not isinstance(args[0], str):
        if any(k.lower() == prop.lower() for k in kwargs):
            cls._parse((prop, args[0]), kwargs)            # raises: given twice
        args = (prop, args[0]) + tuple(args[1:])
    return cls(cls._parse(args, kwargs))


class ElementwiseLayer(Layer):
    """An activation applied to every element; subclasses define ``_apply``."""

    _options = NAME_ONLY
    _footer = False
    _hyper = ()          # hyperparameter names, shown under 'Hyperparameters'

    def description(self):
        return self._type

    def display_groups(self):
        groups = [(None, [("Name", self.Name)])]
        if self._hyper:
            groups.append(("Hyperparameters", [(n, getattr(self, n)) for n in self._hyper]))
        return groups

    def _apply(self, xp, X):
        raise NotImplementedError

    def forward(self, X, training=False, state=None):
        Y, grad = self._apply(get_xp(X), X)
        return Y, (lambda dY, out=None: (grad(dY), {})), None

    def predict_one(self, x, state=None):
        return self._apply(get_xp(x), x)[0], None
