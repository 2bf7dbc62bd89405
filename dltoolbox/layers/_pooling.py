"""Pooling1DLayer: what maxPooling1dLayer and averagePooling1dLayer share (PoolSize,
Stride, Padding, the display and the time lengths)."""

from .._nameval import Option, options_table
from .._validate import check_positive_integer, check_text
from ..errors import raise_error
from ._base import Layer
from ._time_window import (
    WindowedLayer,
    check_length,
    check_padding,
    output_length,
    padding_sizes,
)


def pooling_options(*extra):
    return options_table(Option("Name", "", check_text),
                         Option("Stride", 1, check_positive_integer()),
                         Option("Padding", (0, 0), check_padding(allow_causal=False)),
                         *extra)


def make_pooling(cls, pool_size, args, kwargs):
    p = check_positive_integer()(pool_size, cls._func, "PoolSize")
    values = cls._parse(args, kwargs)
    pad = values["Padding"]
    if not isinstance(pad, str) and max(pad) >= p:
        raise_error(cls._func, "InvalidPadding",
                    f"Invalid value for 'Padding'. Each padding size must be smaller than "
                    f"the pool size {p}, got [{pad[0]} {pad[1]}].")
    return cls(p, values)


class Pooling1DLayer(WindowedLayer, Layer):
    _readonly = ("PoolSize", "PaddingMode", "PaddingSize")
    _footer = False
    _what = ""            # 'max' / 'average'

    def __init__(self, pool_size, values):
        super().__init__({"PoolSize": pool_size})
        for name, value in values.items():
            setattr(self, name, value)

    def _window(self):
        return self.PoolSize, self.Stride, 1

    def description(self):
        return (f"{self.PoolSize} {self._what} pooling with stride {self.Stride} and "
                f"padding {self._padding_text()}")

    def _hyper_rows(self):
        return [("PoolSize", self.PoolSize), ("Stride", self.Stride),
                ("PaddingMode", self.PaddingMode), ("PaddingSize", self.PaddingSize)]

    def display_groups(self):
        return [(None, [("Name", self.Name)]), ("Hyperparameters", self._hyper_rows())]

    def output_length(self, t):
        return output_length(t, self.Padding, self.PoolSize, self.Stride, 1)

    def _prepare(self, X):
        if X.ndim != 3:
            raise_error(self._func, "NoTimeDimension",
                        f"Layer '{self.Name}' needs sequence input (a time dimension); the "
                        f"layer before it removed time.")
        t = X.shape[0]
        check_length(self._func, self.Name, t, self.Padding, self.PoolSize, self.Stride, 1,
                     "pool")
        left, right = padding_sizes(self.Padding, t, self.PoolSize, self.Stride, 1)
        return left, right, self.output_length(t)


class GlobalPooling1DLayer(Layer):
    """What globalMaxPooling1dLayer and globalAveragePooling1dLayer share: a Name, a
    display, and the output without a time dimension."""

    _options = options_table(Option("Name", "", check_text))
    _footer = False

    def description(self):
        return self._description                # UNCONFIRMED wording

    def display_groups(self):
        return [(None, [("Name", self.Name)])]

    def keeps_time(self):
        return False

    def _check_time(self, X):
        if X.ndim != 3:
            raise_error(self._func, "NoTimeDimension",
                        f"Layer '{self.Name}' needs sequence input (a time dimension); the "
                        f"layer before it removed time.")
