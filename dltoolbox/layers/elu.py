"""eluLayer: f(x) = x for x >= 0, Alpha (exp(x) - 1) for x < 0 (Alpha 1 by default).

The derivative for x < 0 is Alpha exp(x) = f(x) + Alpha.
"""

from .._nameval import Option, options_table
from .._validate import check_scalar, check_text
from ._base import num_text
from ._elementwise import ElementwiseLayer, with_positional

_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Alpha", 1.0, check_scalar()))


def eluLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create an exponential linear unit layer (MATLAB ``eluLayer(alpha, 'Name', name)``).

    >>> import numpy as np
    >>> layer = eluLayer(2)
    >>> layer.description(), np.round(layer.forward(np.array([[-1.0, 2.0]]))[0], 4).tolist()
    ('ELU with Alpha 2', [[-1.2642, 2.0]])
    """
    return with_positional(ELULayer, "Alpha", args, kwargs)


class ELULayer(ElementwiseLayer):
    """The layer :func:`eluLayer` creates.

    >>> type(eluLayer()).__name__
    'ELULayer'
    """

    _func = "eluLayer"
    _type = "ELU"
    _default_name = "elu"
    _options = _OPTIONS
    _hyper = ("Alpha",)

    def description(self):
        return f"ELU with Alpha {num_text(self.Alpha)}"   # UNCONFIRMED wording

    def _apply(self, xp, X):
        pos = X >= 0
        neg = self.Alpha * xp.expm1(xp.minimum(X, 0))
        Y = xp.where(pos, X, neg).astype(X.dtype, copy=False)
        slope = xp.where(pos, 1.0, neg + self.Alpha).astype(X.dtype, copy=False)
        return Y, lambda dY: dY * slope

