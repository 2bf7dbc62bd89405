"""Layer graphs: layerGraph, addLayers, connectLayers, disconnectLayers, removeLayers,
replaceLayer (reference r2 §1.1). They work on a LayerGraph and on a dlnetwork alike (a
dlnetwork comes back uninitialized when its layers changed, as in MATLAB: call
``initialize``).

Connections are between ports: a source is ``'layer'`` or ``'layer/out'``, a destination
``'layer'`` (one input) or ``'layer/in2'``. ``dlnetwork(lgraph)`` checks the graph:
duplicate names, unconnected inputs, cycles and channel mismatches raise named errors
naming the layers.
"""

from ._display import size_text
from ._validate import describe
from .errors import raise_error
from .graph import Graph
from .layer_array import LayerArray
from .layers import Layer, SequenceInputLayer
from .network import assign_default_names
from .table import Table


class LayerGraph:
    """A graph of layers (MATLAB ``LayerGraph``); edit it with the functions below.

    >>> from dltoolbox import sequenceInputLayer, lstmLayer, additionLayer
    >>> lg = layerGraph([sequenceInputLayer(3, Name='in'), lstmLayer(4, Name='a'),
    ...                  lstmLayer(4, Name='b'), additionLayer(2, Name='add')])
    >>> lg = connectLayers(lg, 'a', 'add/in2')
    >>> lg.Connections.Destination
    ['a', 'b', 'add/in1', 'add/in2']
    """

    def __init__(self, layers=(), connections=()):
        if not isinstance(layers, (list, tuple)) or not all(isinstance(x, Layer) for x in layers):
            raise_error("LayerGraph", "InvalidLayers",
                        f"layers must be a list of layers, got {describe(layers)}; use "
                        f"layerGraph and addLayers.", "type")
        if not isinstance(connections, (list, tuple)) or not all(
                isinstance(e, tuple) and len(e) == 3 for e in connections):
            raise_error("LayerGraph", "InvalidConnections",
                        "connections must be a list of (source, destination, port) tuples; "
                        "use layerGraph and connectLayers.", "type")
        object.__setattr__(self, "_layers", list(layers))
        object.__setattr__(self, "_edges", list(connections))  # (src name, dst name, port)

    def __setattr__(self, name, value):
        raise_error("LayerGraph", "ReadOnlyProperty",
                    f"LayerGraph properties are read-only ('{name}'); use addLayers, "
                    f"connectLayers, removeLayers or replaceLayer.")

    @property
    def Layers(self):  # noqa: N802 - MATLAB name
        return LayerArray(self._layers)

    @property
    def Connections(self):  # noqa: N802 - MATLAB name
        by_name = {layer.Name: layer for layer in self._layers}
        dst = [d if by_name[d].NumInputs == 1 else f"{d}/{by_name[d].InputNames[p]}"
               for _, d, p in self._edges]
        return Table(["Source", "Destination"], [[s for s, _, _ in self._edges], dst])

    @property
    def InputNames(self):  # noqa: N802 - MATLAB name
        return tuple(layer.Name for layer in self._layers
                     if isinstance(layer, SequenceInputLayer))

    @property
    def OutputNames(self):  # noqa: N802 - MATLAB name
        used = {s for s, _, _ in self._edges}
        return tuple(layer.Name for layer in self._layers if layer.Name not in used)

    def __repr__(self):
        rows = [("Layers", f"[{size_text((len(self._layers), 1))} nnet.cnn.layer.Layer]"),
                ("Connections", self.Connections.matlab_summary()),
                ("InputNames", _names(self.InputNames)),
                ("OutputNames", _names(self.OutputNames))]
        lines = ["  LayerGraph with properties:", ""]
        lines += [f"{n:>15}: {v}" for n, v in rows]
        return "\n".join(lines) + "\n\n"

    __str__ = __repr__

    # -- to the executor -------------------------------------------------------------
    def to_graph(self, func):
        """The executor's Graph: checks inputs, ports and cycles."""
        layers = self._layers
        if not layers:
            raise_error(func, "EmptyGraph", "The layer graph has no layers.")
        index = {layer.Name: i for i, layer in enumerate(layers)}
        sources = []
        for layer in layers:
            if getattr(layer, "is_output", False) and func == "dlnetwork":
                raise_error(func, "OutputLayerNotSupported",
                            f"Layer '{layer.Name}' ({layer.type_name()}) is an output layer; "
                            f"a dlnetwork has none (give the loss to trainnet).")
            if isinstance(layer, SequenceInputLayer):
                sources.append(None)
                continue
            ports = [None] * layer.NumInputs
            for s, d, p in self._edges:
                if d == layer.Name:
                    ports[p] = index[s]
            missing = [layer.InputNames[p] for p, s in enumerate(ports) if s is None]
            if missing:
                raise_error(func, "UnconnectedInput",
                            f"Input '{missing[0]}' of layer '{layer.Name}' is not connected; "
                            f"connect it with connectLayers or remove the layer.")
            sources.append(tuple(ports))
        if not any(s is None for s in sources):
            raise_error(func, "MissingInputLayer", "The layer graph has no input layer "
                        "(sequenceInputLayer).")
        outs = [index[n] for n in self.OutputNames]
        return Graph(layers, sources, outs, func)


def _names(values):
    return "{" + " ".join(f"'{v}'" for v in values) + "}" if values else "{1×0 cell}"


def _as_graph(net, func):
    """(LayerGraph, was it a dlnetwork?) for a LayerGraph, a dlnetwork or layers."""
    if isinstance(net, LayerGraph):
        return net, False
    if hasattr(net, "_graph"):          # a dlnetwork
        if net._graph is None:
            return net._pending, True
        g = net._graph
        edges = [(g.layers[s].Name, layer.Name, p) for i, layer in enumerate(g.layers)
                 for p, s in enumerate(g.sources[i] or ())]
        return LayerGraph(g.layers, edges), True
    if isinstance(net, (list, tuple, Layer)):
        return layerGraph(net), False
    raise_error(func, "InvalidGraph", f"The first argument must be a LayerGraph or a "
                f"dlnetwork, got {describe(net)}.", "type")


def _back(lg, was_net):
    if not was_net:
        return lg
    from .dlnetwork import dlnetwork  # noqa: PLC0415 - dlnetwork imports this module
    return dlnetwork(lg, Initialize=False)


def _series(layers, func):
    if isinstance(layers, Layer):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise_error(func, "InvalidLayers", f"'layers' must be a layer or a list of layers, "
                    f"got {describe(layers)}.", "type")
    for k, layer in enumerate(layers, start=1):
        if not isinstance(layer, Layer):
            raise_error(func, "InvalidLayers", f"Element {k} of 'layers' is "
                        f"{describe(layer)}, not a layer.", "type")
    return [layer.copy() for layer in layers]


def layerGraph(layers=()):  # noqa: N802 - MATLAB name
    """A layer graph from a series array (consecutive layers connected), or empty.

    >>> from dltoolbox import sequenceInputLayer, reluLayer
    >>> layerGraph([sequenceInputLayer(2), reluLayer()]).OutputNames
    ('relu',)
    """
    empty = isinstance(layers, (list, tuple)) and len(layers) == 0
    return LayerGraph() if empty else addLayers(LayerGraph(), layers)


def addLayers(lgraph, layers):  # noqa: N802 - MATLAB name
    """Add layers, connecting consecutive ones of the array (not to the graph).

    >>> from dltoolbox import sequenceInputLayer, reluLayer
    >>> len(addLayers(layerGraph(), [sequenceInputLayer(2), reluLayer()]).Layers)
    2
    """
    func = "addLayers"
    lg, was_net = _as_graph(lgraph, func)
    new = _series(layers, func)
    taken = {layer.Name for layer in lg._layers}
    pending = [layer for layer in new if not layer.Name]
    assign_default_names(new)
    for layer in pending:               # default names must not clash with the graph's
        base, k = layer._default_name, 1
        if layer.Name in taken:
            while f"{base}_{k}" in taken:
                k += 1
            object.__setattr__(layer, "Name", f"{base}_{k}")
        taken.add(layer.Name)
    names = [layer.Name for layer in lg._layers] + [layer.Name for layer in new]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise_error(func, "DuplicateLayerName",
                    f"Layer names must be unique; '{dup[0]}' is already in the graph.")
    edges = list(lg._edges)
    for a, b in zip(new, new[1:]):
        if isinstance(b, SequenceInputLayer):
            raise_error(func, "InvalidLayers", f"Input layer '{b.Name}' cannot follow "
                        f"layer '{a.Name}'.")
        edges.append((a.Name, b.Name, 0))
    return _back(LayerGraph(lg._layers + new, edges), was_net)


def _port(lg, text, func, side):
    if not isinstance(text, str):
        raise_error(func, "InvalidPort", f"'{side}' must be a layer name or 'layer/port', "
                    f"got {describe(text)}.", "type")
    name, _, port = text.partition("/")
    layer = next((x for x in lg._layers if x.Name == name), None)
    if layer is None:
        raise_error(func, "UnknownLayer", f"The graph has no layer named '{name}'.")
    if side == "s":
        if port and port not in layer.OutputNames:
            raise_error(func, "UnknownPort", f"Layer '{name}' has no output '{port}' "
                        f"(outputs: {', '.join(layer.OutputNames)}).")
        return name, 0
    if isinstance(layer, SequenceInputLayer):
        raise_error(func, "InvalidDestination", f"Input layer '{name}' has no inputs.")
    if not port:
        if layer.NumInputs != 1:
            raise_error(func, "AmbiguousPort",
                        f"Layer '{name}' has {layer.NumInputs} inputs; name one, e.g. "
                        f"'{name}/{layer.InputNames[0]}'.")
        return name, 0
    if port not in layer.InputNames:
        raise_error(func, "UnknownPort", f"Layer '{name}' has no input '{port}' (inputs: "
                    f"{', '.join(layer.InputNames)}).")
    return name, list(layer.InputNames).index(port)


def connectLayers(lgraph, s, d):  # noqa: N802 - MATLAB name
    """Connect output ``s`` ('layer' or 'layer/out') to input ``d`` ('layer/in2')."""
    func = "connectLayers"
    lg, was_net = _as_graph(lgraph, func)
    src, _ = _port(lg, s, func, "s")
    dst, p = _port(lg, d, func, "d")
    for _, d2, p2 in lg._edges:
        if d2 == dst and p2 == p:
            raise_error(func, "InputAlreadyConnected",
                        f"Input '{d}' is already connected; disconnect it first.")
    return _back(LayerGraph(lg._layers, lg._edges + [(src, dst, p)]), was_net)


def disconnectLayers(lgraph, s, d):  # noqa: N802 - MATLAB name
    """Remove the connection from ``s`` to ``d``."""
    func = "disconnectLayers"
    lg, was_net = _as_graph(lgraph, func)
    src, _ = _port(lg, s, func, "s")
    dst, p = _port(lg, d, func, "d")
    edges = [e for e in lg._edges if e != (src, dst, p)]
    if len(edges) == len(lg._edges):
        raise_error(func, "NotConnected", f"'{s}' is not connected to '{d}'.")
    return _back(LayerGraph(lg._layers, edges), was_net)


def removeLayers(lgraph, layerNames):  # noqa: N802, N803 - MATLAB name
    """Remove layers and their connections."""
    func = "removeLayers"
    lg, was_net = _as_graph(lgraph, func)
    names = [layerNames] if isinstance(layerNames, str) else layerNames
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise_error(func, "InvalidLayerNames",
                    f"Expected a layer name or a list of layer names, got "
                    f"{type(layerNames).__name__}.", "type")
    have = {layer.Name for layer in lg._layers}
    for n in names:
        if n not in have:
            raise_error(func, "UnknownLayer", f"The graph has no layer named '{n}'.")
    drop = set(names)
    return _back(LayerGraph([x for x in lg._layers if x.Name not in drop],
                            [e for e in lg._edges if e[0] not in drop and e[1] not in drop]),
                 was_net)


def replaceLayer(lgraph, layerName, larray):  # noqa: N802, N803 - MATLAB name
    """Replace a layer by a series array: its inputs go to the first new layer, its
    output comes from the last."""
    func = "replaceLayer"
    lg, was_net = _as_graph(lgraph, func)
    if not isinstance(layerName, str):
        raise_error(func, "InvalidLayerName",
                    f"Expected the name of a layer, got {type(layerName).__name__}.", "type")
    pos = next((k for k, x in enumerate(lg._layers) if x.Name == layerName), None)
    if pos is None:
        raise_error(func, "UnknownLayer", f"The graph has no layer named '{layerName}'.")
    new = _series(larray, func)
    if not new:
        raise_error(func, "InvalidLayers", "The replacement must hold at least one layer.")
    assign_default_names(new)
    others = {x.Name for x in lg._layers if x.Name != layerName}
    clash = [x.Name for x in new if x.Name in others]
    if clash:
        raise_error(func, "DuplicateLayerName", f"Layer names must be unique; "
                    f"'{clash[0]}' is already in the graph.")
    if new[0].NumInputs != lg._layers[pos].NumInputs:
        raise_error(func, "InputMismatch",
                    f"Layer '{layerName}' has {lg._layers[pos].NumInputs} inputs but its "
                    f"replacement '{new[0].Name}' has {new[0].NumInputs}.")
    edges = []
    for s, d, p in lg._edges:
        edges.append((new[-1].Name if s == layerName else s,
                      new[0].Name if d == layerName else d, p))
    edges += [(a.Name, b.Name, 0) for a, b in zip(new, new[1:])]
    layers = lg._layers[:pos] + new + lg._layers[pos + 1:]
    return _back(LayerGraph(layers, edges), was_net)


__all__ = ["LayerGraph", "layerGraph", "addLayers", "connectLayers", "disconnectLayers",
           "removeLayers", "replaceLayer"]
