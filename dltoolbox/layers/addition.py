"""additionLayer: element-wise sum of its inputs (in1 + in2 + ...)."""

from ._combine import CombineLayer, combine_options


def additionLayer(numInputs=2, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create an addition layer (MATLAB ``additionLayer(numInputs)``).

    >>> import numpy as np
    >>> layer = additionLayer(2, Name='add')
    >>> layer.InputNames, layer.forward([np.ones((1, 2)), np.ones((1, 2))])[0].tolist()
    (('in1', 'in2'), [[2.0, 2.0]])
    """
    return AdditionLayer(AdditionLayer._parse_positional(("NumInputs",), (numInputs,) + args,
                                                         kwargs))


class AdditionLayer(CombineLayer):
    _func = "additionLayer"
    _type = "Addition"
    _default_name = "addition"
    _options = combine_options()

    def description(self):
        return f"Element-wise addition of {self.NumInputs} inputs"

    def combine_sizes(self, sizes, names, func):
        return self.same_sizes(sizes, names, func)

    def forward(self, Xs, training=False, state=None):
        Y = Xs[0] + Xs[1]
        for X in Xs[2:]:
            Y = Y + X
        n = len(Xs)
        return Y, (lambda dY, out=None: ([dY] * n, {})), None
