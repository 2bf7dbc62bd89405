"""multiplicationLayer: element-wise product of its inputs."""

from ._combine import CombineLayer, combine_options


def multiplicationLayer(numInputs=2, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Create a multiplication layer (MATLAB ``multiplicationLayer(numInputs)``).

    >>> import numpy as np
    >>> multiplicationLayer(2).forward([np.full((1, 2), 3.0), np.ones((1, 2)) * 2])[0].tolist()
    [[6.0, 6.0]]
    """
    return MultiplicationLayer(MultiplicationLayer._parse_positional(
        ("NumInputs",), (numInputs,) + args, kwargs))


class MultiplicationLayer(CombineLayer):
    _func = "multiplicationLayer"
    _type = "Multiplication"
    _default_name = "multiplication"
    _options = combine_options()

    def description(self):
        return f"Element-wise multiplication of {self.NumInputs} inputs"

    def combine_sizes(self, sizes, names, func):
        return self.same_sizes(sizes, names, func)

    def forward(self, Xs, training=False, state=None):
        Y = Xs[0] * Xs[1]
        for X in Xs[2:]:
            Y = Y * X
        Xs = list(Xs)

        def backprop(dY, out=None):
            grads = []
            for k in range(len(Xs)):
                g = dY
                for j, X in enumerate(Xs):
                    if j != k:
                        g = g * X
                grads.append(g)
            return grads, {}

        return Y, backprop, None
