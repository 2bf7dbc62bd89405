"""CombineLayer: the shared base of the layers with several inputs (addition.py,
concatenation.py, multiplication.py), which exist only in layer graphs.

``forward(Xs, ...)`` takes the list of inputs in port order (in1, in2, ...) and its
backprop returns the list of their gradients. ``combine_sizes`` gives the channels in for
the executor's size pass and raises SizeMismatch naming the layers that disagree.
"""

from .._nameval import Option, options_table
from .._validate import check_positive_integer, check_text
from ..errors import raise_error
from ._base import Layer


def combine_options(*extra):
    return options_table(Option("Name", "", check_text),
                         Option("NumInputs", 2, check_positive_integer()), *extra)


class CombineLayer(Layer):
    """A layer with ``NumInputs`` input ports named in1, in2, ..."""

    _footer = False

    def __init__(self, values):
        n = values.pop("NumInputs", 2)
        if n < 2:
            raise_error(self._func, "InvalidNumInputs",
                        f"Invalid value for 'NumInputs'. Expected an integer of at least 2, "
                        f"got {n}.")
        super().__init__(values)
        object.__setattr__(self, "NumInputs", n)
        object.__setattr__(self, "InputNames", tuple(f"in{k}" for k in range(1, n + 1)))

    @classmethod
    def _parse_positional(cls, names, args, kwargs):
        """``f(a, b, 'Name', v)``: leading numbers set ``names`` in order."""
        args = list(args)
        lead = []
        while args and not isinstance(args[0], str) and len(lead) // 2 < len(names):
            lead += [names[len(lead) // 2], args.pop(0)]
        return cls._parse(tuple(lead) + tuple(args), kwargs)

    def display_groups(self):
        return [(None, [("Name", self.Name), ("NumInputs", self.NumInputs),
                        ("InputNames", tuple(self.InputNames))])]

    def check_sources(self, sizes, names, func):
        if len(sizes) != self.NumInputs:
            raise_error(func, "UnconnectedInput",
                        f"Layer '{self.Name}' has {self.NumInputs} inputs but "
                        f"{len(sizes)} are connected.")

    def same_sizes(self, sizes, names, func):
        self.check_sources(sizes, names, func)
        if len(set(sizes)) != 1:
            parts = ", ".join(f"'{n}' ({s})" for n, s in zip(names, sizes))
            raise_error(func, "SizeMismatch",
                        f"The inputs of layer '{self.Name}' must have the same number of "
                        f"channels; got {parts}.")
        return sizes[0]

    def output_size(self, input_size):
        return input_size

    def output_length(self, t):
        """``t``: one length per input (the graph's length pass) or one for all; the
        inputs of an element-wise layer have one length."""
        return t[0] if isinstance(t, (list, tuple)) else t


__all__ = ["CombineLayer", "combine_options"]
