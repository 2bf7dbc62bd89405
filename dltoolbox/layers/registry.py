"""The layer classes by class name, for reading network files (no code is named in a file:
a file names a class, and only the classes found here can be built from it).

Every subclass of :class:`Layer` defined in an imported module is found; a layer class of
the user's own is found once its module is imported (or after :func:`register_layer`).
"""

from ..errors import raise_error
from ._base import Layer

_EXTRA = {}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def layer_classes():
    """``{class name: class}`` of every layer class known now.

    >>> layer_classes()['GRULayer'].__name__
    'GRULayer'
    """
    found = {c.__name__: c for c in _subclasses(Layer)}
    found.update(_EXTRA)
    return found


def register_layer(cls):
    """Make ``cls`` (a Layer subclass) readable from network files under its class name."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise_error("register_layer", "InvalidLayerClass",
                    f"Expected a subclass of Layer, got {cls!r}.", "type")
    _EXTRA[cls.__name__] = cls
    return cls


def layer_class(name, func):
    """The class called ``name``, or a named error saying which classes there are."""
    cls = layer_classes().get(name) if isinstance(name, str) else None
    if cls is None:
        raise_error(func, "UnknownLayerClass",
                    f"The file holds a layer of class {name!r}, which is not a dltoolbox "
                    f"layer class here (known: {', '.join(sorted(layer_classes()))}). Import "
                    f"the module that defines it first.")
    return cls


__all__ = ["layer_classes", "register_layer", "layer_class"]
