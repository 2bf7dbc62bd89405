"""sequenceInputLayer: the input of a sequence network, with optional normalization.

Normalization (reference §5), per channel at every time step:
zerocenter x - Mean; zscore (x - Mean) / StandardDeviation;
rescale-symmetric 2 (x - Min) / (Max - Min) - 1; rescale-zero-one (x - Min) / (Max - Min);
a function handle is called as f(X) on the (T, B, C) mini-batch and returns the same shape.
Statistics are computed by trainNetwork over all training time steps (population
standard deviation, N, documented choice). For vector sequences 'auto', 'channel' and
'element' all mean one statistic per channel; 'all' means one scalar.
"""

import numpy as np

from .._nameval import Option, options_table
from .._validate import (
    check_logical,
    check_numeric_array,
    check_one_of,
    check_positive_integer,
    check_text,
)
from ..backend import get_xp, to_host
from ..errors import raise_error
from ._base import Layer

_NORMS = ("none", "zerocenter", "zscore", "rescale-symmetric", "rescale-zero-one")


def _check_normalization(value, func, name):
    if callable(value):
        return value
    return check_one_of(*_NORMS)(value, func, name)


def _no_complex(value, func, name):
    value = check_logical(value, func, name)
    if value:
        raise_error(func, "NotSupported", "'SplitComplexInputs' true is not supported yet.")
    return value


_OPTIONS = options_table(
    Option("Name", "", check_text),
    Option("MinLength", 1, check_positive_integer()),
    Option("Normalization", "none", _check_normalization),
    Option("NormalizationDimension", "auto",
           check_one_of("auto", "channel", "element", "all")),
    Option("Mean", None, check_numeric_array),
    Option("StandardDeviation", None, check_numeric_array),
    Option("Min", None, check_numeric_array),
    Option("Max", None, check_numeric_array),
    Option("SplitComplexInputs", False, _no_complex),
)


def sequenceInputLayer(inputSize, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a sequence input layer (MATLAB ``sequenceInputLayer``).

    >>> layer = sequenceInputLayer(12, 'Normalization', 'zscore')
    >>> layer.InputSize, layer.Normalization
    (12, 'zscore')
    """
    if isinstance(inputSize, (list, tuple)):
        try:
            inputSize = np.asarray(inputSize)    # noqa: N806 - MATLAB name
        except (ValueError, TypeError):
            raise_error("sequenceInputLayer", "InvalidInputSize",
                        f"Invalid value for 'InputSize'. Expected a positive integer, got "
                        f"{str(inputSize)[:60]}.", "type")
    if isinstance(inputSize, np.ndarray) and np.size(inputSize) > 1:
        raise_error("sequenceInputLayer", "ImageSequencesNotSupported",
                    f"InputSize {np.ravel(inputSize).tolist()} describes image sequences "
                    f"([h w c] or [h w d c]); dltoolbox supports vector sequences only. "
                    f"Pass the number of channels C (a positive integer), or flatten each "
                    f"frame into a C-by-T sequence with C = h*w*c.")
    if isinstance(inputSize, np.ndarray) and np.size(inputSize) == 1:
        inputSize = np.ravel(inputSize)[0]
    d = check_positive_integer()(inputSize, "sequenceInputLayer", "InputSize")
    return SequenceInputLayer(d, SequenceInputLayer._parse(args, kwargs))


class SequenceInputLayer(Layer):
    _func = "sequenceInputLayer"
    _type = "Sequence Input"
    _default_name = "sequenceinput"
    _options = _OPTIONS
    _readonly = ("InputSize",)
    _footer = False

    def __init__(self, input_size, values):
        super().__init__({"InputSize": input_size})
        for name, value in values.items():
            setattr(self, name, value)

    def _check_property(self, name, value):
        if name in ("Mean", "StandardDeviation", "Min", "Max") and value is not None:
            if value.size not in (1, self.InputSize):
                raise_error("SequenceInputLayer", f"Invalid{name}",
                            f"Invalid value for '{name}'. Expected a scalar or a "
                            f"{self.InputSize}×1 vector, got {value.size} elements.")
            value = value.reshape(-1, 1) if value.size > 1 else value.reshape(1, 1)
        return value

    def description(self):
        return f"Sequence input with {self.InputSize} dimensions"

    def check_assembled(self, input_size):
        missing = [n for n in self._stat_names() if getattr(self, n) is None]
        if missing:
            raise_error("assembleNetwork", "MissingNormalizationStatistics",
                        f"Layer '{self.Name}' has Normalization '{self.Normalization}' but no "
                        f"{' or '.join(missing)}; set {', '.join(missing)} (or train the "
                        f"network, which computes them).")

    def _stat_names(self):
        n = self.Normalization
        return {"zerocenter": ("Mean",), "zscore": ("Mean", "StandardDeviation"),
                "rescale-symmetric": ("Max", "Min"),
                "rescale-zero-one": ("Max", "Min")}.get(n if isinstance(n, str) else "", ())

    def display_groups(self):
        hyper = [("Normalization", self.Normalization),
                 ("NormalizationDimension", self.NormalizationDimension)]
        hyper += [(n, getattr(self, n)) for n in self._stat_names()]
        return [(None, [("Name", self.Name), ("InputSize", self.InputSize),
                        ("MinLength", self.MinLength),
                        ("SplitComplexInputs", self.SplitComplexInputs)]),
                ("Hyperparameters", hyper)]

    # -- normalization -----------------------------------------------------------------
    def needs_statistics(self, reset):
        names = self._stat_names()
        return bool(names) and (reset or any(getattr(self, n) is None for n in names))

    def compute_statistics(self, sequences):
        """Set Mean/StandardDeviation/Min/Max from a list of C-by-T training sequences."""
        data = np.concatenate([np.asarray(to_host(s), dtype=np.float64) for s in sequences],
                              axis=1)
        if self.NormalizationDimension == "all":
            data = data.reshape(1, -1)
        stats = {"Mean": data.mean(axis=1), "StandardDeviation": data.std(axis=1),
                 "Min": data.min(axis=1), "Max": data.max(axis=1)}
        for name in self._stat_names():
            object.__setattr__(self, name, stats[name].astype(np.float32).reshape(-1, 1))

    def _affine(self, xp, dtype):
        """Normalization as y = (x - shift) * scale + offset, per channel."""
        n = self.Normalization

        def vec(a):
            return xp.asarray(a, dtype=dtype).reshape(-1)

        if n == "zerocenter":
            return vec(self.Mean), 1.0, 0.0
        if n == "zscore":
            sd = np.where(self.StandardDeviation == 0, 1, self.StandardDeviation)
            return vec(self.Mean), 1.0 / vec(sd), 0.0
        if n in ("rescale-symmetric", "rescale-zero-one"):
            span = np.where(self.Max == self.Min, 1, self.Max - self.Min)
            k = 2.0 if n == "rescale-symmetric" else 1.0
            return vec(self.Min), k / vec(span), (-1.0 if k == 2.0 else 0.0)
        return None

    def passes_through(self):
        return isinstance(self.Normalization, str) and self.Normalization == "none"

    def forward(self, X, training=False, state=None):
        xp = get_xp(X)
        if callable(self.Normalization):
            Y = xp.asarray(self.Normalization(X), dtype=X.dtype)
            if Y.shape != X.shape:
                raise_error("sequenceInputLayer", "InvalidNormalizationOutput",
                            f"The Normalization function of layer '{self.Name}' returned "
                            f"an array of size {Y.shape} for input of size {X.shape} "
                            f"(time, batch, channels); it must return the same size.")
            # nothing learnable comes before the input layer: its dX is never used
            return Y, (lambda dY, out=None: (dY, {})), None
        affine = self._affine(xp, X.dtype)
        if affine is None:
            return X, (lambda dY, out=None: (dY, {})), None
        shift, scale, offset = affine
        Y = (X - shift) * scale + offset
        return Y, (lambda dY, out=None: (dY * scale, {})), None
