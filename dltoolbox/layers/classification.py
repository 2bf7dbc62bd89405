"""classificationLayer: cross-entropy output for mutually exclusive classes (§8).

Reported loss: -(1/(N S)) sum w_k T ln Y over observations, time steps (padded ones
counted) and classes; S = 1 without a time dimension. Back-propagated gradient, as MATLAB
computes it: -w_k T / Y / N (no 1/S). Y is bounded below by eps('single') before the log
and the division.
"""

import numpy as np

from .._nameval import Option, options_table
from .._validate import check_text, describe
from ..backend import get_xp
from ..categorical import Categorical
from ..errors import raise_error
from ._base import Layer

EPS_SINGLE = float(np.finfo(np.float32).eps)


def _check_classes(value, func, name):
    if isinstance(value, str) and value.lower() == "auto":
        return "auto"
    if isinstance(value, Categorical):
        return list(value.categories)
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0:
        names = [str(v) for v in value]
        if len(set(names)) == len(names):
            return names
    raise_error(func, "InvalidClasses",
                f"Invalid value for 'Classes'. Expected 'auto', a categorical array or a list "
                f"of unique class names, got {describe(value)}.")


def _check_weights(value, func, name):
    if isinstance(value, str) and value.lower() == "none":
        return "none"
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.size == 0 or not np.isfinite(arr).all() or (arr < 0).any():
        raise_error(func, "InvalidClassWeights",
                    f"Invalid value for 'ClassWeights'. Expected 'none' or a vector of "
                    f"nonnegative weights, got {describe(value)}.")
    return arr


_OPTIONS = options_table(Option("Name", "", check_text),
                         Option("Classes", "auto", _check_classes),
                         Option("ClassWeights", "none", _check_weights))


def classificationLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a classification output layer (MATLAB ``classificationLayer``).

    >>> classificationLayer().description()
    'crossentropyex'
    """
    return ClassificationOutputLayer(ClassificationOutputLayer._parse(args, kwargs))


class ClassificationOutputLayer(Layer):
    _func = "classificationLayer"
    _type = "Classification Output"
    _default_name = "classoutput"
    _options = _OPTIONS
    _readonly = ("OutputSize", "LossFunction")
    _footer = False
    LossFunction = "crossentropyex"
    is_output = True

    def __init__(self, values):
        super().__init__({"OutputSize": "auto", "Classes": "auto"})
        for name, value in values.items():
            setattr(self, name, value)

    def _check_property(self, name, value):
        if name == "Classes" and value != "auto":
            object.__setattr__(self, "OutputSize", len(value))
        if name == "ClassWeights" and not isinstance(value, str) and self.Classes == "auto":
            raise_error("classificationLayer", "ClassesRequired",
                        "To specify 'ClassWeights', also specify 'Classes' (one weight per "
                        "class, in the order of Classes).")
        if name == "Classes" and not isinstance(getattr(self, "ClassWeights", "none"), str) \
                and (value == "auto" or len(value) != self.ClassWeights.size):
            raise_error("ClassificationOutputLayer", "InvalidClasses",
                        f"'Classes' must list one class per element of ClassWeights "
                        f"({self.ClassWeights.size}).")
        if name == "ClassWeights" and not isinstance(value, str) and self.Classes != "auto" \
                and value.size != len(self.Classes):
            raise_error("ClassificationOutputLayer", "InvalidClassWeights",
                        f"'ClassWeights' has {value.size} elements but there are "
                        f"{len(self.Classes)} classes.")
        return value

    def description(self):
        c = self.Classes
        if c == "auto":
            return "crossentropyex"
        if len(c) == 1:
            return f"crossentropyex with class '{c[0]}'"
        if len(c) == 2:
            return f"crossentropyex with classes '{c[0]}' and '{c[1]}'"
        return f"crossentropyex with '{c[0]}' and {len(c) - 1} other classes"

    def display_groups(self):
        classes = self.Classes if self.Classes == "auto" else \
            Categorical(range(len(self.Classes)), self.Classes)
        return [(None, [("Name", self.Name), ("Classes", classes),
                        ("ClassWeights", self.ClassWeights), ("OutputSize", self.OutputSize)]),
                ("Hyperparameters", [("LossFunction", self.LossFunction)])]

    def set_classes(self, names):
        object.__setattr__(self, "Classes", list(names))
        object.__setattr__(self, "OutputSize", len(names))

    def passes_through(self):
        return True

    def forward(self, X, training=False, state=None):
        return X, (lambda dY, out=None: (dY, {})), None

    def loss(self, Y, T):
        """(reported loss, dL/dY, accuracy in %) for scores Y and one-hot targets T.

        On the GPU loss and accuracy are 0-d device arrays (``backend.host_scalars``
        reads them), so that computing them does not wait for the device."""
        xp = get_xp(Y)
        n = Y.shape[-2]
        s = Y.shape[0] if Y.ndim == 3 else 1
        Yc = xp.maximum(Y, EPS_SINGLE)
        wT = T
        if not isinstance(self.ClassWeights, str):
            wT = T * xp.asarray(self.ClassWeights, dtype=Y.dtype)
        total = (wT * xp.log(Yc)).sum()
        dY = -wT / Yc / n
        hit = (Y.argmax(axis=-1) == T.argmax(axis=-1)).sum()
        if xp is not np:        # device scalars: the loop reads them in one transfer
            return total.astype(xp.float64) * (-1.0 / (n * s)), dY, \
                hit.astype(xp.float64) * (100.0 / (n * s))
        return -float(total) / (n * s), dY, 100.0 * float(hit) / (n * s)
