"""batchNormalizationLayer for sequence data: per channel, statistics over batch and time.

Training: xhat = (x - mu_B) / sqrt(var_B + Epsilon) with the mini-batch's mean and
(biased, 1/N) variance over every observation and time step of each channel;
y = Scale xhat + Offset. After each iteration the trainer calls ``commit_statistics``,
which updates the moving estimates as MATLAB's page states:
TrainedMean <- MeanDecay mu_B + (1 - MeanDecay) TrainedMean, and the same for
TrainedVariance with VarianceDecay (the biased var_B: **UNCONFIRMED**, as ONNX's
BatchNormalization does). trainNetwork with BatchNormalizationStatistics 'population'
(the default) then replaces them by the statistics of one more pass over the training
data (training/statistics.py). Prediction uses TrainedMean and TrainedVariance.
Padding is never masked, here as everywhere (reference §15).
"""

import numpy as np

from .._nameval import Option, options_table
from .._validate import check_numeric_array, check_scalar
from ..backend import get_xp, to_host
from ._normalization import ChannelAffineLayer, affine_grads, affine_options

_OPTIONS = options_table(
    *affine_options(check_scalar(1e-5)),   # MATLAB: Epsilon >= 1e-5
    Option("TrainedMean", None, check_numeric_array),
    Option("TrainedVariance", None, check_numeric_array),
    Option("MeanDecay", 0.1, check_scalar(0, 1)),
    Option("VarianceDecay", 0.1, check_scalar(0, 1)),
)


def batchNormalizationLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a batch normalization layer (MATLAB ``batchNormalizationLayer``).

    >>> import numpy as np
    >>> layer = batchNormalizationLayer('Name', 'bn', 'MeanDecay', 0.2)
    >>> layer.MeanDecay, layer.Epsilon, layer.description()
    (0.2, 1e-05, 'Batch normalization')
    >>> X = np.arange(12, dtype=np.float32).reshape(3, 2, 2)      # (T, B, C)
    >>> layer.initialize(2, np.float32)
    >>> Y = layer.forward(X, training=True)[0]
    >>> np.round(Y.mean(axis=(0, 1)), 6).tolist(), layer.description()
    ([0.0, 0.0], 'Batch normalization with 2 channels')
    """
    return BatchNormalizationLayer(BatchNormalizationLayer._parse(args, kwargs))


class BatchNormalizationLayer(ChannelAffineLayer):
    """The layer :func:`batchNormalizationLayer` creates.

    >>> type(batchNormalizationLayer()).__name__
    'BatchNormalizationLayer'
    """

    _func = "batchNormalizationLayer"
    _type = "Batch Normalization"
    _description = "Batch normalization"
    _default_name = "batchnorm"
    _options = _OPTIONS
    _per_channel = ("Offset", "Scale", "TrainedMean", "TrainedVariance")

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_pending", None)
        return state

    def display_groups(self):
        return [(None, [("Name", self.Name), ("NumChannels", self.NumChannels),
                        ("TrainedMean", self.TrainedMean),
                        ("TrainedVariance", self.TrainedVariance)]),
                ("Hyperparameters", [("MeanDecay", self.MeanDecay),
                                     ("VarianceDecay", self.VarianceDecay),
                                     ("Epsilon", self.Epsilon)]),
                ("Learnable Parameters", [("Offset", self.Offset), ("Scale", self.Scale)])]

    def initialize(self, input_size, dtype):
        super().initialize(input_size, dtype)
        c = self.NumChannels
        if self.TrainedMean is None:
            self.set_statistics(np.zeros(c), self.TrainedVariance)
        if self.TrainedVariance is None:
            self.set_statistics(self.TrainedMean, np.ones(c))

    def set_statistics(self, mean, variance):
        """Store TrainedMean and TrainedVariance (host float32, C-by-1, read-only)."""
        for name, value in (("TrainedMean", mean), ("TrainedVariance", variance)):
            if value is not None:
                value = np.array(to_host(value), dtype=np.float32).reshape(-1, 1)
                value.setflags(write=False)
            object.__setattr__(self, name, value)

    def state_parameters(self):
        return ("TrainedMean", "TrainedVariance")

    def updated_statistics(self):
        """TrainedMean and TrainedVariance after the last ``forward(training=True)``
        (taken: a second call gives {}): MeanDecay mu_B + (1 - MeanDecay) TrainedMean and
        the same with VarianceDecay, host float32 C-by-1; {} when no training forward ran."""
        pending = self.__dict__.pop("_pending", None)
        if pending is None:
            return {}
        mu, var = (to_host(a).astype(np.float64).reshape(-1, 1) for a in pending)
        lm, lv = self.MeanDecay, self.VarianceDecay
        return {"TrainedMean": (lm * mu + (1 - lm) * self.TrainedMean).astype(np.float32),
                "TrainedVariance": (lv * var + (1 - lv) * self.TrainedVariance).astype(
                    np.float32)}

    def commit_statistics(self):
        new = self.updated_statistics()
        if new:
            self.set_statistics(new["TrainedMean"], new["TrainedVariance"])

    def forward(self, X, training=False, state=None):
        """X: (T, B, C) or (B, C); statistics over every axis but the last."""
        xp = get_xp(X)
        offset, scale = self._vectors(xp, X.dtype, "Offset", "Scale")
        axes = tuple(range(X.ndim - 1))
        if training:
            mu = X.mean(axis=axes)
            xc = X - mu
            var = (xc * xc).mean(axis=axes)
            self._pending = (mu, var)
        else:
            mu, var = self._vectors(xp, X.dtype, "TrainedMean", "TrainedVariance")
            xc = X - mu
        inv = 1.0 / xp.sqrt(var + self.Epsilon)
        xhat = xc * inv
        Y = xhat * scale + offset

        def backprop(dY, out=None):
            grads = affine_grads(dY, xhat, axes, out)
            g = dY * scale
            if training:
                dX = inv * (g - g.mean(axis=axes) - xhat * (g * xhat).mean(axis=axes))
            else:
                dX = g * inv
            return dX, grads

        return Y, backprop, None
