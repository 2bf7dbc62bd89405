"""MATLAB-style text displays, as pure functions that return strings.

Formats follow ../shared/reference/matlab-behaviour.md §1.4 (property blocks), §12
(layer arrays, networks) and MATLAB's "short" number format.
"""

import numpy as np

TIMES = "\u00d7"  # MULTIPLICATION SIGN, as MATLAB prints sizes (5×1)


def short_number(x):
    """MATLAB ``format short`` for one real scalar.

    >>> short_number(50), short_number(0.9), short_number(1e-3), short_number(float('inf'))
    ('50', '0.9000', '1.0000e-03', 'Inf')
    """
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if 0.001 < abs(x) < 1000:
        return f"{x:.4f}"
    return f"{x:.4e}"


def size_text(shape):
    return TIMES.join(str(int(s)) for s in shape)


def _class_name(arr):
    return {"float32": "single", "float64": "double"}.get(str(arr.dtype), str(arr.dtype))


def matlab_value(value):
    """Render a property value the way MATLAB's object display does."""
    if value is None:
        return "[]"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return short_number(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return "{" + " ".join(f"'{v}'" for v in value) + "}"
    if hasattr(value, "matlab_summary"):
        return value.matlab_summary()
    if callable(value):
        return "@" + getattr(value, "__name__", "function")
    if hasattr(value, "shape"):
        arr = value
        if arr.size == 0:
            return "[]"
        if arr.ndim == 1 and arr.size <= 10:  # a 1-by-n factor vector
            return "[" + " ".join(short_number(v) for v in np.asarray(arr).tolist()) + "]"
        shape = arr.shape if arr.ndim >= 2 else (arr.shape[0], 1)
        return f"[{size_text(shape)} {_class_name(arr)}]"
    if isinstance(value, (list, tuple)):
        return "{" + size_text((1, len(value))) + " cell}" if value else "{}"
    return str(value)


def property_block(class_name, groups, footer=True):
    """The ``  <Class> with properties:`` block.

    ``groups`` is a list of (title or None, [(name, value), ...]); names in all groups are
    right-aligned so that the longest is preceded by four spaces.
    """
    width = max(len(n) for _, rows in groups for n, _ in rows) + 4
    lines = [f"  {class_name} with properties:", ""]
    for title, rows in groups:
        if title is not None:
            lines += ["", f"   {title}"]
        lines += [f"{name:>{width}}: {matlab_value(v)}" for name, v in rows]
    lines.append("")
    if footer:
        lines += ["  Show all properties", ""]
    return "\n".join(lines) + "\n"


def layer_array_text(layers, shape=None):
    """The ``  N×1 Layer array with layers:`` block of §12.1."""
    n = len(layers)
    shape = shape or (n, 1)
    names = [f"'{layer.Name}'" for layer in layers]
    types = [layer.type_name() for layer in layers]
    nw = max((len(s) for s in names), default=0)
    tw = max((len(s) for s in types), default=0)
    lines = [f"  {size_text(shape)} Layer array with layers:", ""]
    for i, (name, typ, layer) in enumerate(zip(names, types, layers), start=1):
        lines.append(f"    {i:2d}   {name:<{nw}}   {typ:<{tw}}   {layer.description()}")
    lines.append("")
    return "\n".join(lines) + "\n"


def series_network_text(net):
    """The SeriesNetwork block of §12.2."""
    rows = [("Layers", f"[{size_text((len(net.Layers), 1))} nnet.cnn.layer.Layer]"),
            ("InputNames", "{" + " ".join(f"'{n}'" for n in net.InputNames) + "}"),
            ("OutputNames", "{" + " ".join(f"'{n}'" for n in net.OutputNames) + "}")]
    width = max(len(n) for n, _ in rows) + 4
    lines = ["  SeriesNetwork with properties:", ""]
    lines += [f"{n:>{width}}: {v}" for n, v in rows]
    return "\n".join(lines) + "\n\n"
