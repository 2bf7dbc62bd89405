"""LayerArray: a list of layers that prints like MATLAB's Layer array."""

from ._display import layer_array_text
from ._validate import as_integer
from .errors import raise_error
from .layers import Layer


class LayerArray(list):
    """A list of layers with MATLAB's display and 1-based call indexing.

    >>> from dltoolbox import sequenceInputLayer, softmaxLayer
    >>> layers = LayerArray([sequenceInputLayer(3), softmaxLayer()])
    >>> layers(2).type_name()
    'Softmax'
    """

    def __init__(self, layers=()):
        if isinstance(layers, Layer):
            layers = [layers]
        if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
            raise_error("LayerArray", "InvalidLayer",
                        f"Expected a list of layers, got a {type(layers).__name__}.", "type")
        layers = list(layers)
        for i, layer in enumerate(layers, start=1):
            if not isinstance(layer, Layer):
                raise_error("LayerArray", "InvalidLayer",
                            f"Element {i} is a {type(layer).__name__}, not a layer.", "type")
        super().__init__(layers)

    def __call__(self, index):
        """MATLAB's 1-based ``layers(i)``."""
        i = as_integer(index)
        if i is None or not 1 <= i <= len(self):
            raise_error("LayerArray", "BadIndex",
                        f"Index {index!r} is out of range; the array has {len(self)} layers "
                        f"(indices start at 1).")
        return self[i - 1]

    def __getitem__(self, index):
        item = super().__getitem__(index)
        return LayerArray(item) if isinstance(index, slice) else item

    def __repr__(self):
        return layer_array_text(self)

    __str__ = __repr__


def disp(x):
    """Print an object the way MATLAB's ``disp`` does (layer arrays, layers, networks).

    >>> from dltoolbox import softmaxLayer
    >>> disp([softmaxLayer()])
      1×1 Layer array with layers:
    <BLANKLINE>
         1   ''   Softmax   softmax
    <BLANKLINE>
    """
    if isinstance(x, list) and not isinstance(x, LayerArray) and \
            all(isinstance(v, Layer) for v in x):
        x = LayerArray(x)
    print(repr(x), end="")
