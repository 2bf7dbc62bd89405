"""The dltoolbox network file: networks, layers and plain values as data, never code.

A zip archive holding ``dltoolbox.json`` (the format name, its version, a SHA-256 checksum
and the tree of variables) and one ``.npy`` member per array, read back with NumPy's
``allow_pickle=False``. In the tree, every layer is a record of its class name (looked up
in :mod:`dltoolbox.layers.registry`, never imported from the file) and its properties under
their MATLAB names, split into ``properties``, ``learnables`` (``learnable_names()``),
``state`` (``state_names()``) and ``private`` (derived values such as the initial state);
nothing is special-cased per layer class, so new layers round-trip as they are.

Function handles (a Normalization function, an initializer, an OutputFcn) are stored by
importable name (``module:qualname``) where they have one; otherwise they are dropped with
a warning naming the property. On reading, a name is resolved only in a module that is
already imported (importing runs code) and never in the modules that run commands.

The checksum covers the tree and the bytes of every array: a flipped bit, a truncated or a
hand-edited file is ``dltoolbox:load:CorruptFile``.
"""

import hashlib
import io
import json
import math
import sys
import types
import warnings
import zipfile

import numpy as np

from .backend import to_host
from .categorical import Categorical
from .errors import DLToolboxError, raise_error

FORMAT = "dltoolbox-network-file"
VERSION = 1
HEADER = "dltoolbox.json"

# modules whose functions a file may never name (they run commands or load code)
_DENIED_MODULES = {"builtins", "os", "posix", "nt", "sys", "subprocess", "shutil", "pickle",
                   "marshal", "importlib", "ctypes", "socket", "runpy", "code", "codeop",
                   "pty", "io", "pathlib", "tempfile", "multiprocessing", "threading", "signal"}


class _Writer:
    def __init__(self, func, quiet):
        self.func = func
        self.quiet = quiet
        self.arrays = []

    def array(self, a):
        a = np.asarray(to_host(a) if not isinstance(a, np.ndarray) else a)
        if a.dtype.kind not in "biufcUS":
            raise_error(self.func, "UnsupportedType",
                        f"Arrays of dtype {a.dtype} cannot be saved (numbers, logicals and "
                        f"text only).", "type")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
        self.arrays.append(buf.getvalue())
        return len(self.arrays) - 1

    def dropped(self, where, value, default):
        if not self.quiet:
            warnings.warn(f"{self.func}: {where} holds a function with no importable name "
                          f"({getattr(value, '__qualname__', type(value).__name__)}); it is not "
                          f"saved and reads back as {default!r}. A trained network does not "
                          f"need it to predict, unless it is a Normalization function.",
                          stacklevel=user_stacklevel())

    def encode(self, value, where, default=None):
        from .layer_array import LayerArray
        from .layers import Layer
        from .network import SeriesNetwork
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
        if isinstance(value, np.generic):
            return {"$": "scalar", "a": self.array(np.asarray(value))}
        if isinstance(value, np.ndarray) or (hasattr(value, "__cuda_array_interface__")
                                             and hasattr(value, "get")):
            if isinstance(value, np.ndarray) and value.dtype == object:
                return {"$": "cell", "shape": list(value.shape),
                        "v": [self.encode(v, f"{where}{{{i + 1}}}")
                              for i, v in enumerate(value.ravel(order="F"))]}
            return {"$": "array", "a": self.array(value)}
        if isinstance(value, Categorical):
            return {"$": "categorical", "codes": self.array(value.codes),
                    "categories": list(value.categories), "shape": list(value.shape)}
        if isinstance(value, SeriesNetwork):
            return {"$": "SeriesNetwork",
                    "Layers": [self.layer(layer, f"{where}.Layers({i + 1})")
                               for i, layer in enumerate(value.Layers)]}
        if isinstance(value, LayerArray):
            return {"$": "LayerArray", "v": [self.layer(layer, f"{where}({i + 1})")
                                             for i, layer in enumerate(value)]}
        if isinstance(value, Layer):
            return self.layer(value, where)
        if isinstance(value, (list, tuple)):
            items = [self.encode(v, f"{where}{{{i + 1}}}") for i, v in enumerate(value)]
            return items if isinstance(value, list) else {"$": "tuple", "v": items}
        if isinstance(value, dict):
            bad = [k for k in value if not isinstance(k, str)]
            if bad:
                raise_error(self.func, "UnsupportedType",
                            f"{where} is a dict with a key {bad[0]!r} that is not text; "
                            f"struct field names must be text.", "type")
            kind = "dict" if type(value) is dict else "struct"
            return {"$": kind, "v": {k: self.encode(v, f"{where}.{k}")
                                     for k, v in value.items()}}
        if callable(value):
            name = function_name(value)
            if name is None:
                self.dropped(where, value, default)
                return default
            return {"$": "function", "name": name}
        raise_error(self.func, "UnsupportedType",
                    f"{where} is a {type(value).__name__}, which a dltoolbox file cannot hold "
                    f"(networks, layers, arrays, numbers, text, lists, dicts, categorical).",
                    "type")

    def layer(self, layer, where):
        """A layer as {class, properties, learnables, state, private}, names as MATLAB's."""
        learn = set(layer.learnable_names())
        state = set(layer.state_names())
        where = f"{where} ('{getattr(layer, 'Name', '')}')"
        rec = {"$": "layer", "class": type(layer).__name__, "properties": {},
               "learnables": {}, "state": {}, "private": {}}
        for name, value in layer.__dict__.items():
            if name == "_cache":
                continue
            group = "private" if name.startswith("_") else "learnables" if name in learn \
                else "state" if name in state else "properties"
            opt = layer._options.get(name.lower())
            default = opt.default if opt is not None and opt.name == name else None
            rec[group][name] = self.encode(value, f"property '{name}' of layer {where}",
                                           default)
        return rec


def user_stacklevel():
    """The ``stacklevel`` of a warning that points at the first frame outside dltoolbox."""
    import os
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def function_name(f):
    """``'module:qualname'`` when that name finds ``f`` again, else None."""
    mod = getattr(f, "__module__", None)
    qual = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if not isinstance(mod, str) or not isinstance(qual, str) or "<" in qual:
        return None
    obj = sys.modules.get(mod)
    for part in qual.split("."):
        obj = getattr(obj, part, None)
    return f"{mod}:{qual}" if obj is f else None


def _checksum(tree_text, arrays):
    h = hashlib.sha256(tree_text.encode("utf-8"))
    for a in arrays:
        h.update(hashlib.sha256(a).digest())
    return h.hexdigest()


def encode_file(variables, func="save", quiet=False):
    """The bytes of a network file holding ``variables`` (a dict of name -> value)."""
    w = _Writer(func, quiet)
    tree = {name: w.encode(value, f"variable '{name}'") for name, value in variables.items()}
    tree_text = json.dumps(tree, allow_nan=False)
    header = {"format": FORMAT, "version": VERSION, "checksum": _checksum(tree_text, w.arrays),
              "variables": tree_text}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(HEADER, json.dumps(header))
        for i, a in enumerate(w.arrays):
            z.writestr(f"a{i}.npy", a)
    return buf.getvalue()


# -- reading ------------------------------------------------------------------------------
def _corrupt(filename, why):
    raise_error("load", "CorruptFile",
                f"'{filename}' is a damaged dltoolbox file ({why}); it was not loaded.")


class _Reader:
    def __init__(self, filename, members):
        self.filename = filename
        self.members = members
        self.cache = {}

    def array(self, i):
        if i not in self.cache:
            if not isinstance(i, int) or f"a{i}.npy" not in self.members:
                _corrupt(self.filename, f"array {i!r} is missing")
            try:
                a = np.lib.format.read_array(io.BytesIO(self.members[f"a{i}.npy"]),
                                             allow_pickle=False)
            except (ValueError, OSError) as exc:
                _corrupt(self.filename, f"array {i}: {exc}")
            self.cache[i] = a
        return self.cache[i]

    def decode(self, t, where, default=None):
        if t is None or isinstance(t, (bool, int, float, str)):
            return t
        if isinstance(t, list):
            return [self.decode(v, where) for v in t]
        if not isinstance(t, dict) or "$" not in t:
            _corrupt(self.filename, f"unexpected entry at {where}")
        kind = t["$"]
        try:
            if kind == "float":
                return float(t["v"])
            if kind == "scalar":
                return self.array(t["a"])[()]
            if kind == "array":
                return self.array(t["a"])
            if kind == "cell":
                out = np.empty(len(t["v"]), dtype=object)
                for i, v in enumerate(t["v"]):
                    out[i] = self.decode(v, where)
                return out.reshape(t["shape"], order="F")
            if kind == "tuple":
                return tuple(self.decode(v, where) for v in t["v"])
            if kind == "dict":
                return {k: self.decode(v, where) for k, v in t["v"].items()}
            if kind == "struct":
                from ._matfile import Struct
                return Struct((k, self.decode(v, where)) for k, v in t["v"].items())
            if kind == "categorical":
                return Categorical(self.array(t["codes"]), t["categories"],
                                   tuple(t["shape"]))
            if kind == "function":
                return resolve_function(t["name"], where, default)
            if kind == "layer":
                return self.layer(t, where)
            if kind == "LayerArray":
                from .layer_array import LayerArray
                return LayerArray(self.layer(v, f"{where}({i + 1})")
                                  for i, v in enumerate(t["v"]))
            if kind == "SeriesNetwork":
                return self.network(t, where)
        except DLToolboxError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            _corrupt(self.filename, f"bad entry at {where}: {type(exc).__name__} {exc}")
        _corrupt(self.filename, f"unknown entry kind {kind!r} at {where}")

    def layer(self, t, where):
        from .layers.registry import layer_class
        if not isinstance(t, dict) or t.get("$") != "layer":
            _corrupt(self.filename, f"{where} is not a layer")
        cls = layer_class(t.get("class"), "load")
        layer = object.__new__(cls)
        for group in ("properties", "learnables", "state", "private"):
            for name, value in t.get(group, {}).items():
                if not isinstance(name, str) or not name.isidentifier() or \
                        name.startswith("__") or name == "_cache" or \
                        (group == "private") != name.startswith("_"):
                    _corrupt(self.filename, f"{where} has a property named {name!r}")
                opt = cls._options.get(name.lower())
                value = self.decode(value, f"property '{name}' of {where}",
                                    opt.default if opt is not None else None)
                if opt is not None and opt.name == name and opt.check is not None:
                    try:
                        value = opt.check(value, cls.__name__, name)
                    except DLToolboxError as err:
                        _corrupt(self.filename, f"property '{name}' of {where}: {err}")
                object.__setattr__(layer, name, value)
        return layer

    def network(self, t, where):
        from .network import SeriesNetwork, check_layer_array
        layers = [self.layer(v, f"{where}.Layers({i + 1})") for i, v in enumerate(t["Layers"])]
        try:
            arr = check_layer_array(layers, "load")
            size = arr[0].InputSize
            arr[0].check_assembled(size)
            for layer in arr[1:]:
                layer.check_assembled(size)
                size = layer.output_size(size)
        except DLToolboxError as err:
            _corrupt(self.filename, f"the network in {where} is not valid: {err}")
        return SeriesNetwork(layers)


def resolve_function(name, where, default):
    """The function called ``name`` ('module:qualname') in an already imported module."""
    mod, _, qual = name.partition(":") if isinstance(name, str) else ("", "", "")
    obj = sys.modules.get(mod) if mod.split(".")[0] not in _DENIED_MODULES else None
    for part in qual.split(".") if obj is not None else ():
        obj = getattr(obj, part, None)
    if obj is None or not callable(obj) or isinstance(obj, type) or \
            not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)):
        warnings.warn(f"load: {where} names the function '{name}', which is not a function of "
                      f"an imported module; it reads back as {default!r}. Import its module "
                      f"and load again to have it.", stacklevel=user_stacklevel())
        return default
    return obj


def decode_file(filename, data, names=None):
    """The variables in a network file's bytes (``names``: only those)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if any(i.filename == HEADER for i in infos) and \
                    any(i.compress_type != zipfile.ZIP_STORED for i in infos):
                _corrupt(filename, "a compressed member; dltoolbox writes none (a zip bomb?)")
            members = {info.filename: z.read(info.filename) for info in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        _corrupt(filename, str(exc) or type(exc).__name__)
    if HEADER not in members:
        return None
    try:
        header = json.loads(members[HEADER].decode("utf-8"))
        fmt, version = header["format"], header["version"]
        tree_text, checksum = header["variables"], header["checksum"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        _corrupt(filename, f"unreadable header: {exc}")
    if fmt != FORMAT:
        _corrupt(filename, f"format {fmt!r}")
    if not isinstance(version, int) or version > VERSION:
        raise_error("load", "NewerFileVersion",
                    f"'{filename}' was written in version {version} of the dltoolbox file "
                    f"format; this dltoolbox reads versions up to {VERSION}. Update dltoolbox.")
    arrays = [members.get(f"a{i}.npy", b"") for i in range(len(members) - 1)]
    if _checksum(tree_text, arrays) != checksum:
        _corrupt(filename, "checksum mismatch")
    try:
        tree = json.loads(tree_text)
        reader = _Reader(filename, members)
        wanted = tree if names is None else {n: tree[n] for n in names if n in tree}
        return {name: reader.decode(t, f"variable '{name}'") for name, t in wanted.items()}
    except RecursionError:
        _corrupt(filename, "nesting too deep")
    except (ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, DLToolboxError):
            raise
        _corrupt(filename, f"unreadable variables: {exc}")
