"""``forward`` / ``predict`` of a network on dlarrays: one tape node per layer.

Inside ``dlfeval`` each layer's forward is recorded with its hand-written ``backprop`` as
the node's backward, and the layer's learnable arrays are the tape's leaves (the arrays
that ``net.Learnables`` holds), so ``dlgradient(loss, net.Learnables)`` reaches them.
Works on a dlnetwork (its layer graph, multi-input layers and several network inputs
included), a SeriesNetwork, a layer array or a list of layers.
"""

from .._nameval import Option, options_table, parse_name_value
from ..errors import raise_error
from ..graph import Graph
from ..layers._recurrent import RecurrentLayer
from ..network import outputs
from . import tape as _tape
from .dlarray import _as_data, dlarray, stripdims
from .layer_node import from_layer, grad_to_layer, run_layer, to_layer

_OPTIONS = options_table(Option("Outputs", None), Option("InputDataFormats", "auto"),
                         Option("OutputDataFormats", "auto"), Option("Acceleration", "auto"))


def network_parts(net, func):
    """(layers, sources, output indices, order) of a network-like object."""
    graph = getattr(net, "_graph", None)
    if graph is not None:
        return graph.layers, graph.sources, graph.outputs, graph.order
    layers = getattr(net, "Layers", None)
    if layers is None and isinstance(net, (list, tuple)):
        layers = net
    if layers is None or not all(hasattr(layer, "forward") for layer in layers):
        raise_error(func, "InvalidNetwork",
                    f"The first argument must be a dlnetwork (or a layer array), got "
                    f"{type(net).__name__}.", "type")
    layers = list(layers)
    n = len(layers)
    return layers, [None] + [(i - 1,) for i in range(1, n)], [n - 1], list(range(n))


def _as_input(X, fmt, func):
    if isinstance(X, dlarray) and X._fmt:
        return X
    if fmt in ("auto", None, ""):
        raise_error(func, "UnformattedInput",
                    "The input is an unformatted dlarray: label it, dlarray(X, 'CBT'), or "
                    "give 'InputDataFormats'.")
    if not isinstance(X, dlarray):
        X = dlarray._wrap(_as_data(X, func, "X"), "")
    return dlarray(X, fmt)


def run_network(net, X, training, func, nargout=1, args=(), kwargs=None):
    """Outputs of ``net`` for the dlarray ``X`` (traced inside dlfeval; a network with
    several input layers takes one dlarray per input: X a list, or the first of the
    leading positional ``args``), and with one more output the final recurrent states
    (``net.State``'s table when the network has one, else {layer name: {state name: H-by-B
    array}})."""
    k = 0
    while k < len(args) and not isinstance(args[k], str):
        k += 1          # forward(net, X1, X2, ..., Name, Value): the inputs come first
    more, args = args[:k], args[k:]
    opts = parse_name_value(func, args, kwargs or {}, _OPTIONS)
    layers, sources, outs, order = network_parts(net, func)
    if opts["Outputs"] is not None:
        names = [opts["Outputs"]] if isinstance(opts["Outputs"], str) else list(opts["Outputs"])
        index = {layer.Name: i for i, layer in enumerate(layers)}
        missing = [n for n in names if n not in index]
        if missing:
            raise_error(func, "InvalidOutputs",
                        f"'Outputs' names no layer of the network: {missing[0]!r}.")
        outs = [index[n] for n in names]
    inputs = [i for i, s in enumerate(sources) if s is None]
    Xs = (list(X) if isinstance(X, (list, tuple)) else [X]) + list(more)
    if len(Xs) != len(inputs):
        raise_error(func, "WrongNumberOfInputs",
                    f"The network has {len(inputs)} input layer(s) "
                    f"({', '.join(repr(layers[i].Name) for i in inputs)}) but "
                    f"{len(Xs)} input(s) were given: call {func}(net, X1, ..., X{len(inputs)}).")
    in_fmts = opts["InputDataFormats"]
    in_fmts = list(in_fmts) if isinstance(in_fmts, (list, tuple)) else [in_fmts] * len(Xs)
    if len(in_fmts) != len(Xs):
        raise_error(func, "InvalidInputDataFormats",
                    f"Give one format per input in 'InputDataFormats': {len(Xs)} inputs, "
                    f"{len(in_fmts)} formats.")
    Xs = [_as_input(x, f, func) for x, f in zip(Xs, in_fmts)]
    unformatted_out = opts["OutputDataFormats"] not in ("auto", None)
    if len(Xs) == 1 and len(outs) == 1 and opts["Outputs"] is None and (
            training or _tape.current() is None or
            not any(isinstance(layer, RecurrentLayer) for layer in layers)):
        y, final = _one_node(getattr(net, "_graph", None) or Graph.chain(layers), Xs[0],
                             training, func)
        ys = [stripdims(y) if unformatted_out else y]
        if nargout > 1:
            ys.append(_state(net, layers, final, collect_statistics(layers, training)))
        return outputs(ys, nargout, func)
    values, final = {}, {}
    for i in order:
        layer = layers[i]
        src = sources[i]
        if src is None:
            x = Xs[inputs.index(i)]
        elif len(src) == 1:
            x = values[src[0]]
        else:
            x = [values[s] for s in src]
        y, st = run_layer(layer, x, training=training, func=func,
                          formats=("CB", "CBT", "CT"))
        values[i] = y
        if st is not None:
            final[i] = st
    ys = [stripdims(values[o]) if unformatted_out else values[o] for o in outs]
    statistics = collect_statistics(layers, training)
    if nargout > len(ys):
        ys.append(_state(net, layers, final, statistics))
    return outputs(ys, nargout, func)


def _one_node(graph, X, training, func):
    """(Y, final states) of a one-input, one-output network run by the executor that
    trainNetwork uses (graph.py), recorded as one tape node whose backward is the
    executor's: the learnables are its parents, as they are of the layers' nodes in the
    general path below (which 'Outputs', several inputs or outputs, and predict of a
    recurrent network inside dlfeval take: there a recurrent layer keeps its backward
    cache while other layers run for inference)."""
    Xl, fmt = to_layer(X, func, ("CB", "CBT", "CT"))
    ys, backs, final = graph.forward([Xl], training, None)
    data, fmt_out = from_layer(ys[0], fmt)
    tape = _tape.current()
    if tape is None:
        return dlarray._wrap(data, fmt_out), final
    rows = [(i, name) for i, layer in enumerate(graph.layers)
            for name in layer.learnable_names() if getattr(layer, name, None) is not None]
    leaves = [tape.leaf_for(getattr(graph.layers[i], name)) for i, name in rows]
    x_node = X._node

    def backward(g):
        d_inputs, grads = graph.backward(backs, [grad_to_layer(g, fmt_out, fmt)])
        dx = d_inputs[0]
        if x_node is None or dx is None:
            dx = None
        else:
            dx = dx[:, 0, :].T if fmt == "CT" else from_layer(dx, fmt)[0]
        return (dx, *[grads.get(i, {}).get(name) for i, name in rows])

    return dlarray._wrap(data, fmt_out, _tape.record([x_node, *leaves], backward)), final


def collect_statistics(layers, training):
    """{layer index: {name: value}}: the moving statistics of the batch normalization
    layers after a training run (taken from the layers, so that none is left behind
    for a later run); {} after an inference run."""
    if not training:
        return {}
    found = {i: getattr(layer, "updated_statistics", dict)() for i, layer in enumerate(layers)}
    return {i: v for i, v in found.items() if v}


def _state(net, layers, final, statistics):
    graph = getattr(net, "_graph", None)
    if graph is not None:
        from ..dlnetwork import state_table  # noqa: PLC0415 - dlnetwork imports dl

        return state_table(graph, final, statistics)
    out = {}
    for i, st in final.items():
        st = st if isinstance(st, tuple) else (st,)
        out[layers[i].Name] = {n: s.T for n, s in zip(layers[i].state_names(), st)}
    for i, values in statistics.items():
        out.setdefault(layers[i].Name, {}).update(values)
    return out


def dlforward(net, X, *args, nargout=1, **kwargs):
    """``forward(net, X)`` on a dlarray: training behaviour (dropout on, batch
    normalization on batch statistics); ``nargout=2`` adds the final state; 'Outputs'
    names layers whose outputs to return.

    >>> import numpy as np
    >>> from dltoolbox import fullyConnectedLayer, reluLayer
    >>> fc = fullyConnectedLayer(2, Weights=np.ones((2, 3), np.float32),
    ...                          Bias=np.zeros((2, 1), np.float32))
    >>> Y = dlforward([fc, reluLayer()], dlarray(np.ones((3, 4), np.float32), "CB"))
    >>> dims(Y), extractdata(Y)[:, 0].tolist()
    ('CB', [3.0, 3.0])
    """
    return run_network(net, X, True, "forward", nargout, args, kwargs)


def dlpredict(net, X, *args, nargout=1, **kwargs):
    """``predict(net, X)`` on a dlarray: inference behaviour (dropout off, batch
    normalization on the trained statistics).

    >>> import numpy as np
    >>> from dltoolbox import dropoutLayer
    >>> float(dlpredict([dropoutLayer(0.9)], dlarray(np.ones((1, 1)), "CB")))
    1.0
    """
    return run_network(net, X, False, "predict", nargout, args, kwargs)


__all__ = ["dlforward", "dlpredict", "run_network", "network_parts", "collect_statistics"]
