"""ChannelAffineLayer: the shared part of batchNormalizationLayer and
layerNormalizationLayer: NumChannels, the per-channel Offset and Scale learnables (C-by-1,
as MATLAB stores them for sequence input) with their initializers and factors.
"""


from .. import initializers
from .._nameval import Option
from .._validate import (
    check_initializer,
    check_numeric_array,
    check_positive_integer,
    check_scalar,
    check_text,
)
from ..errors import raise_error
from ._base import Layer, as_matrix, size_mismatch


def affine_options(epsilon_check):
    """The options both normalization layers take (Epsilon checked by ``epsilon_check``)."""
    return (
        Option("Name", "", check_text),
        Option("NumChannels", "auto", check_positive_integer(allow_auto=True)),
        Option("Epsilon", 1e-5, epsilon_check),
        Option("ScaleInitializer", "ones", check_initializer("ones", "zeros", "narrow-normal")),
        Option("OffsetInitializer", "zeros",
               check_initializer("zeros", "ones", "narrow-normal")),
        Option("Scale", None, check_numeric_array),
        Option("Offset", None, check_numeric_array),
        Option("ScaleLearnRateFactor", 1.0, check_scalar(0)),
        Option("OffsetLearnRateFactor", 1.0, check_scalar(0)),
        Option("ScaleL2Factor", 1.0, check_scalar(0)),
        Option("OffsetL2Factor", 1.0, check_scalar(0)),
    )


class ChannelAffineLayer(Layer):
    """Per-channel y = Scale * xhat + Offset after a normalization the subclass defines."""

    _learnables = ("Offset", "Scale")
    _per_channel = ("Offset", "Scale")      # C-by-1 properties checked against NumChannels

    def __init__(self, values):
        super().__init__({"NumChannels": "auto", **{n: None for n in self._per_channel}})
        for name, value in values.items():
            if name not in self._per_channel:
                setattr(self, name, value)
        for name in self._per_channel:
            setattr(self, name, values[name])

    def _check_property(self, name, value):
        cls = type(self).__name__
        c = self.NumChannels
        if name in self._per_channel and value is not None:
            if value.ndim > 2 or (value.ndim == 2 and min(value.shape) != 1):
                size_mismatch(cls, name, f"{'NumChannels' if c == 'auto' else c}×1",
                              value.shape)
            value = as_matrix(value.reshape(-1))
            if c != "auto" and value.shape[0] != c:
                size_mismatch(cls, name, f"{'NumChannels' if c == 'auto' else c}×1",
                              value.shape)
            others = [getattr(self, n) for n in self._per_channel if n != name]
            known = [o.shape[0] for o in others if o is not None]
            if known and known[0] != value.shape[0]:
                size_mismatch(cls, name, f"{known[0]}×1", value.shape)
            if c == "auto":
                object.__setattr__(self, "NumChannels", value.shape[0])
        elif name == "NumChannels" and value != "auto":
            for n in self._per_channel:
                v = getattr(self, n, None)
                if v is not None and v.shape[0] != value:
                    raise_error(cls, "InvalidNumChannels",
                                f"Invalid value for 'NumChannels'. '{n}' has {v.shape[0]} "
                                f"channels, got {value}.")
        return value

    def description(self):
        base = self._description
        return base if self.NumChannels == "auto" else \
            f"{base} with {self.NumChannels} channels"

    def factor(self, kind, name):
        return float(getattr(self, f"{name}{kind}"))

    def initialize(self, input_size, dtype):
        if self.NumChannels == "auto":
            object.__setattr__(self, "NumChannels", input_size)
        c = self.NumChannels
        for name in ("Scale", "Offset"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, initializers.initialize(
                    getattr(self, f"{name}Initializer"), (c, 1), c, c, self._func, name,
                    dtype))

    def assembled_shapes(self, input_size):
        return tuple((name, (input_size, 1)) for name in self._per_channel)

    def _vectors(self, xp, dtype, *names):
        return [xp.asarray(getattr(self, n), dtype=dtype).reshape(-1) for n in names]




def affine_grads(dY, xhat, axes, out):
    """Gradients of Offset and Scale (C-by-1): sums of dY and dY * xhat over ``axes``,
    written into the trainer's buffers ``out`` when it gives them."""
    out = out or {}
    grads = {}
    for name, value in (("Offset", dY), ("Scale", dY * xhat)):
        buf = out.get(name)
        if buf is None:
            grads[name] = value.sum(axis=axes).reshape(-1, 1)
        else:
            value.sum(axis=axes, out=buf.reshape(-1))
            grads[name] = buf
    return grads
