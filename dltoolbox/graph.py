"""The executor: runs layers in topological order, keyed by layer, and back through them.

One executor serves every network type. A :class:`Graph` holds the layers, for each
layer the sources of its input ports (layer indices; ``None`` for a network input) and
the network's output layers. ``forward`` returns ``(outputs, tape, final states)`` and
``backward(tape, dY)`` walks the same tape in reverse, summing the gradients of an output
that feeds several layers. A chain of layers (a SeriesNetwork, a series dlnetwork,
``activations``) is the graph whose layer ``i`` reads layer ``i - 1``; it runs through
``run_layers`` / ``backprop_layers``, the same loop without the bookkeeping of ports.

Multi-input layers (``additionLayer``, ``concatenationLayer``, ``multiplicationLayer``)
receive a list of inputs in their ports' order and their backprop returns a list of
input gradients. States and gradients are keyed by layer index.
"""

from .errors import raise_error


# -- the chain: a SeriesNetwork's executor ----------------------------------------------
def run_layers(layers, X, training=False, states=None):
    """Forward through ``layers`` in series; returns (Y, backprops, final states)."""
    backs = []
    final = {}
    for i, layer in enumerate(layers):
        X, back, new_state = layer.forward(X, training, None if states is None
                                           else states.get(i))
        backs.append(back)
        if new_state is not None:
            final[i] = new_state
    return X, backs, final


def backprop_layers(backs, dY, out=None):
    """Backward through the layers; returns (dX, {layer index: grads}). ``out``: {layer
    index: {name: array}}, arrays that receive those gradients."""
    grads = {}
    out = out or {}
    for i in range(len(backs) - 1, -1, -1):
        dY, g = backs[i](dY, out.get(i))
        if g:
            grads[i] = g
    return dY, grads


# -- the graph --------------------------------------------------------------------------
class Graph:
    """Layers with their input sources; ``sources[i]`` is a tuple of layer indices, one per
    input port of layer ``i``, or ``None`` when layer ``i`` reads a network input.

    >>> from dltoolbox import sequenceInputLayer, reluLayer
    >>> g = Graph.chain([sequenceInputLayer(2), reluLayer()])
    >>> g.order, g.outputs, g.is_chain
    ([0, 1], [1], True)
    """

    def __init__(self, layers, sources, outputs, func="dlnetwork"):
        self.layers = list(layers)
        self.sources = list(sources)
        self.outputs = list(outputs)
        self.inputs = [i for i, s in enumerate(self.sources) if s is None]
        self.order = topological_order(self.layers, self.sources, func)
        self.is_chain = (self.order == list(range(len(self.layers)))
                         and self.sources[0] is None
                         and all(self.sources[i] == (i - 1,) for i in range(1, len(layers)))
                         and self.outputs == [len(layers) - 1])

    @classmethod
    def chain(cls, layers):
        n = len(layers)
        return cls(layers, [None] + [(i - 1,) for i in range(1, n)], [n - 1])

    def with_layers(self, layers):
        """The same connections over other layer objects (copies with new values)."""
        new = object.__new__(Graph)
        new.__dict__.update(self.__dict__)
        new.layers = list(layers)
        return new

    def forward(self, inputs, training=False, states=None):
        """``inputs``: one array per network input. Returns (outputs list, tape, final
        states {layer index: state})."""
        if self.is_chain:
            Y, backs, final = run_layers(self.layers, inputs[0], training, states)
            return [Y], backs, final
        values = {}
        tape = []
        final = {}
        for i in self.order:
            src = self.sources[i]
            if src is None:
                x = inputs[self.inputs.index(i)]
            elif len(src) == 1:
                x = values[src[0]]
            else:
                x = [values[s] for s in src]
            y, back, st = self.layers[i].forward(x, training,
                                                 None if states is None else states.get(i))
            values[i] = y
            tape.append((i, back))
            if st is not None:
                final[i] = st
        return [values[o] for o in self.outputs], tape, final

    def backward(self, tape, dYs, out=None):
        """Gradients of the network inputs (list) and of the learnables ({index: grads})
        for output gradients ``dYs`` (one per output; None for an unused output)."""
        out = out or {}
        if self.is_chain:
            dX, grads = backprop_layers(tape, dYs[0], out)
            return [dX], grads
        pending = {}
        for o, d in zip(self.outputs, dYs):
            if d is not None:
                pending[o] = d if o not in pending else pending[o] + d
        grads = {}
        d_inputs = [None] * len(self.inputs)
        for i, back in reversed(tape):
            dy = pending.pop(i, None)
            if dy is None:
                continue
            dx, g = back(dy, out.get(i))
            if g:
                grads[i] = g
            src = self.sources[i]
            if src is None:
                d_inputs[self.inputs.index(i)] = dx
                continue
            for s, v in zip(src, [dx] if len(src) == 1 else dx):
                pending[s] = v if s not in pending else pending[s] + v
        return d_inputs, grads


def topological_order(layers, sources, func):
    """Kahn's algorithm, ties broken by layer order; a cycle raises CyclicGraph naming
    the layers on it."""
    n = len(layers)
    users = [[] for _ in range(n)]
    missing = [0] * n
    for i, src in enumerate(sources):
        for s in src or ():
            users[s].append(i)
            missing[i] += 1
    ready = [i for i in range(n) if missing[i] == 0]
    order = []
    while ready:
        ready.sort()
        i = ready.pop(0)
        order.append(i)
        for u in users[i]:
            missing[u] -= 1
            if missing[u] == 0:
                ready.append(u)
    if len(order) != n:
        names = [layers[i].Name for i in range(n) if missing[i] > 0]
        raise_error(func, "CyclicGraph",
                    f"The layer graph has a cycle through the layers "
                    f"{', '.join(repr(x) for x in names)}; networks must be acyclic.")
    return order


__all__ = ["Graph", "run_layers", "backprop_layers", "topological_order"]
