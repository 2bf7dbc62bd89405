"""geluLayer: the Gaussian error linear unit, f(x) = x Phi(x) (Hendrycks & Gimpel, 2016).

Approximation 'none': Phi(x) = (1 + erf(x / sqrt 2)) / 2, derivative Phi(x) + x phi(x);
'tanh': f(x) = x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3), derivative
(1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 0.044715 x^2) / 2.
"""

import math

from .._nameval import Option, options_table
from .._validate import check_one_of, check_text
from ..backend import erf
from ._elementwise import ElementwiseLayer

_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Approximation", "none", check_one_of("none", "tanh")))
_K = math.sqrt(2.0 / math.pi)
_C = 0.044715


def geluLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a GELU layer (MATLAB ``geluLayer('Approximation', 'none' | 'tanh')``).

    >>> import numpy as np
    >>> geluLayer().forward(np.array([[1.0]]))[0].round(4).tolist()
    [[0.8413]]
    >>> geluLayer(Approximation='tanh').forward(np.array([[1.0]]))[0].round(4).tolist()
    [[0.8412]]
    """
    return GELULayer(GELULayer._parse(args, kwargs))


class GELULayer(ElementwiseLayer):
    """The layer :func:`geluLayer` creates.

    >>> type(geluLayer()).__name__
    'GELULayer'
    """

    _func = "geluLayer"
    _type = "GELU"
    _default_name = "gelu"
    _options = _OPTIONS
    _hyper = ("Approximation",)

    def description(self):
        return "GELU"

    def _apply(self, xp, X):
        if self.Approximation == "tanh":
            t = xp.tanh(_K * (X + _C * X ** 3))
            Y = 0.5 * X * (1.0 + t)

            def grad(dY):
                return dY * (0.5 * (1.0 + t) + 0.5 * X * (1.0 - t * t) * _K *
                             (1.0 + 3.0 * _C * X * X))
        else:
            cdf = 0.5 * (1.0 + erf(X * (1.0 / math.sqrt(2.0))))
            Y = X * cdf

            def grad(dY):
                pdf = xp.exp(-0.5 * X * X) * (1.0 / math.sqrt(2.0 * math.pi))
                return dY * (cdf + X * pdf)
        return Y.astype(X.dtype, copy=False), grad
