"""layerNormalizationLayer: normalize each observation and time step over its channels.

xhat = (x - mu) / sqrt(var + Epsilon), mu and the biased variance over the channels of
one observation at one time step (OperationDimension 'auto' / 'channel-only' for sequence
data) or over the channels and time steps of one observation ('batch-excluded');
y = Scale xhat + Offset per channel. The same in training and prediction.
"""

from .._nameval import Option, options_table
from .._validate import check_one_of, check_scalar
from ..backend import get_xp
from ._normalization import ChannelAffineLayer, affine_grads, affine_options

_OPTIONS = options_table(
    *affine_options(check_scalar(0, lo_open=True)),
    Option("OperationDimension", "auto", check_one_of("auto", "channel-only",
                                                       "batch-excluded")),
)


def layerNormalizationLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a layer normalization layer (MATLAB ``layerNormalizationLayer``).

    >>> import numpy as np
    >>> layer = layerNormalizationLayer('Epsilon', 1e-6)
    >>> layer.initialize(3, np.float32)
    >>> Y = layer.forward(np.arange(6, dtype=np.float32).reshape(1, 2, 3))[0]
    >>> np.round(Y[0].astype(float), 4).tolist()
    [[-1.2247, 0.0, 1.2247], [-1.2247, 0.0, 1.2247]]
    """
    return LayerNormalizationLayer(LayerNormalizationLayer._parse(args, kwargs))


class LayerNormalizationLayer(ChannelAffineLayer):
    """The layer :func:`layerNormalizationLayer` creates.

    >>> type(layerNormalizationLayer()).__name__
    'LayerNormalizationLayer'
    """

    _func = "layerNormalizationLayer"
    _type = "Layer Normalization"
    _description = "Layer normalization"
    _default_name = "layernorm"
    _options = _OPTIONS

    def display_groups(self):
        return [(None, [("Name", self.Name), ("NumChannels", self.NumChannels)]),
                ("Hyperparameters", [("Epsilon", self.Epsilon),
                                     ("OperationDimension", self.OperationDimension)]),
                ("Learnable Parameters", [("Offset", self.Offset), ("Scale", self.Scale)])]

    def forward(self, X, training=False, state=None):
        """X: (T, B, C) or (B, C)."""
        xp = get_xp(X)
        offset, scale = self._vectors(xp, X.dtype, "Offset", "Scale")
        axes = (0, 2) if self.OperationDimension == "batch-excluded" and X.ndim == 3 \
            else (X.ndim - 1,)
        mu = X.mean(axis=axes, keepdims=True)
        xc = X - mu
        inv = 1.0 / xp.sqrt((xc * xc).mean(axis=axes, keepdims=True) + self.Epsilon)
        xhat = xc * inv
        Y = xhat * scale + offset
        sum_axes = tuple(range(X.ndim - 1))

        def backprop(dY, out=None):
            grads = affine_grads(dY, xhat, sum_axes, out)
            g = dY * scale
            dX = inv * (g - g.mean(axis=axes, keepdims=True) -
                        xhat * (g * xhat).mean(axis=axes, keepdims=True))
            return dX, grads

        return Y, backprop, None
