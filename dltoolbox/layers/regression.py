"""regressionLayer: half mean squared error output (§9).

Reported loss: (1/N)(1/S) sum 1/2 (t - y)^2 (not divided by the number of responses R);
back-propagated gradient, as MATLAB computes it: (Y - T) / N (no 1/S).
RMSE metric: sqrt(sum (Y - T)^2 / (N S)), so RMSE^2 = 2 loss.
"""

import numpy as np

from .._nameval import Option, options_table
from .._validate import check_text, describe
from ..backend import get_xp
from ..errors import raise_error
from ._base import Layer


def _check_names(value, func, name):
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise_error(func, "InvalidResponseNames",
                f"Invalid value for 'ResponseNames'. Expected a list of names, got "
                f"{describe(value)}.", "type")


_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("ResponseNames", (), _check_names))


def regressionLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a regression output layer (MATLAB ``regressionLayer``).

    >>> regressionLayer().LossFunction
    'mean-squared-error'
    """
    return RegressionOutputLayer(RegressionOutputLayer._parse(args, kwargs))


class RegressionOutputLayer(Layer):
    _func = "regressionLayer"
    _type = "Regression Output"
    _default_name = "regressionoutput"
    _options = _OPTIONS
    _readonly = ("LossFunction",)
    _footer = False
    LossFunction = "mean-squared-error"
    is_output = True

    def description(self):
        if len(self.ResponseNames) == 1:
            return f"mean-squared-error with response '{self.ResponseNames[0]}'"
        if len(self.ResponseNames) > 1:
            return f"mean-squared-error with {len(self.ResponseNames)} responses"
        return "mean-squared-error"

    def display_groups(self):
        return [(None, [("Name", self.Name), ("ResponseNames", self.ResponseNames)]),
                ("Hyperparameters", [("LossFunction", self.LossFunction)])]

    def passes_through(self):
        return True

    def forward(self, X, training=False, state=None):
        return X, (lambda dY, out=None: (dY, {})), None

    def loss(self, Y, T):
        """(reported loss, dL/dY, RMSE) for responses Y and targets T (0-d device arrays
        for loss and RMSE on the GPU)."""
        n = Y.shape[-2]
        s = Y.shape[0] if Y.ndim == 3 else 1
        diff = Y - T
        sq = (diff * diff).sum()
        xp = get_xp(Y)
        if xp is not np:        # device scalars: the loop reads them in one transfer
            mse = sq.astype(xp.float64) * (1.0 / (n * s))
            return mse * 0.5, diff / n, xp.sqrt(mse)
        sq = float(sq)
        return 0.5 * sq / (n * s), diff / n, (sq / (n * s)) ** 0.5

