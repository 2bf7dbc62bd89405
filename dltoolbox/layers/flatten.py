"""flattenLayer: collapses spatial dimensions into channels. Vector sequences (the only
data dltoolbox's networks carry) have none, so it passes them through unchanged."""

from ._base import Layer
from ._elementwise import NAME_ONLY


def flattenLayer(*args, **kwargs):  # noqa: N802 - MATLAB name
    """Create a flatten layer (MATLAB ``flattenLayer``); the identity on vector sequences.

    >>> flattenLayer('Name', 'flat').description()
    'Flatten'
    """
    return FlattenLayer(FlattenLayer._parse(args, kwargs))


class FlattenLayer(Layer):
    """The layer :func:`flattenLayer` creates.

    >>> type(flattenLayer()).__name__
    'FlattenLayer'
    """

    _func = "flattenLayer"
    _type = "Flatten"
    _default_name = "flatten"
    _options = NAME_ONLY
    _footer = False

    def description(self):
        return "Flatten"                         # UNCONFIRMED (reference §11)

    def display_groups(self):
        return [(None, [("Name", self.Name)])]

    def passes_through(self):
        return True

    def forward(self, X, training=False, state=None):
        return X, (lambda dY, out=None: (dY, {})), None
