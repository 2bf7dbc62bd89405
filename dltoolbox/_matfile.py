"""MATLAB .mat data files through scipy.io (v4, v6 and v7; v7.3 is HDF5, refused).

Reading gives MATLAB's values in Python form: numeric and logical arrays keep MATLAB's
shape (a 12-by-T sequence stays 12-by-T; a scalar is a 1-by-1 array); a cell array of
sequences becomes a list of arrays (N-by-1 and 1-by-N cells a flat list, an M-by-N cell a
list of M rows); a struct becomes a :class:`Struct` (fields by attribute), a struct array a
list of them; a char array becomes a ``str`` (a char matrix a list of ``str``). Writing
goes the other way: lists and tuples become N-by-1 cell arrays, dicts structs, ``str``
char arrays, ``bool`` logical, ``None`` the empty array ``[]``.
"""

import warnings

import numpy as np

from ._netfile import user_stacklevel
from .errors import raise_error


class Struct(dict):
    """A MATLAB struct: fields by attribute (``S.XTrain``) or by key (``S['XTrain']``).

    >>> s = Struct(a=1); s.a, s['a']
    (1, 1)
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"Struct has no field '{name}' (fields: "
                                 f"{', '.join(self) or 'none'}).") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __dir__(self):
        return list(self) + list(super().__dir__())


def _scipy_io(func):
    try:
        import scipy.io
    except ImportError:   # pragma: no cover - scipy is a core dependency
        raise_error(func, "MissingScipy", "Reading and writing .mat files needs scipy "
                    "(pip install scipy).")
    return scipy.io


# -- reading ------------------------------------------------------------------------------
def _from_mat(value, where):
    from scipy.io.matlab import mat_struct
    if isinstance(value, mat_struct):
        return Struct((f, _from_mat(getattr(value, f), f"{where}.{f}"))
                      for f in value._fieldnames)
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "U":
            if value.size == 0:
                return ""
            texts = [str(t) for t in value.ravel()]
            return texts[0] if len(texts) == 1 else texts
        if value.dtype == object:
            items = [_from_mat(v, f"{where}{{{i + 1}}}")
                     for i, v in enumerate(value.ravel(order="F"))]
            if value.size and all(isinstance(v, Struct) for v in items) and \
                    isinstance(value.flat[0], mat_struct):
                return items[0] if len(items) == 1 else items
            if value.ndim == 2 and min(value.shape) > 1:
                rows, cols = value.shape
                return [[items[c * rows + r] for c in range(cols)] for r in range(rows)]
            return items
        if value.dtype.kind in "biufc":
            return value
    if hasattr(value, "tocsc"):     # a sparse matrix
        return value
    return _Unsupported(type(value).__name__, where)


class _Unsupported:
    def __init__(self, kind, where):
        self.kind, self.where = kind, where


def _contains_unsupported(v):
    if isinstance(v, _Unsupported):
        return v
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        for item in v:
            found = _contains_unsupported(item)
            if found:
                return found
    return None


def read_mat(filename, names=None):
    """The variables of a v4/v6/v7 .mat file as a :class:`Struct`."""
    sio = _scipy_io("load")
    from scipy.io.matlab import MatReadError
    try:
        raw = sio.loadmat(filename, squeeze_me=False, struct_as_record=False,
                          chars_as_strings=True, variable_names=names)
    except NotImplementedError:
        v73_error(filename)
    except (MatReadError, ValueError, TypeError, OSError, EOFError, AssertionError,
            IndexError, KeyError, OverflowError, MemoryError) as exc:
        raise_error("load", "CorruptFile",
                    f"'{filename}' is not a readable MAT-file ({type(exc).__name__}: {exc}).")
    out = Struct()
    for name, value in raw.items():
        if name.startswith("__"):
            continue
        if type(value).__name__ == "MatlabOpaque" or (
                isinstance(value, np.ndarray) and value.dtype.names is not None and
                "s0" in (value.dtype.names or ())):
            warnings.warn(f"load: variable '{name}' of '{filename}' is a MATLAB object (a "
                          f"categorical, string, table, ...) that scipy cannot read; it is "
                          f"skipped. In MATLAB, convert it first (cellstr(x) for categorical "
                          f"or string, table2struct for a table) and save again; a network "
                          f"travels as ONNX: exportONNXNetwork there, importNetworkFromONNX "
                          f"here.",
                          stacklevel=user_stacklevel())
            continue
        value = _from_mat(value, name)
        bad = _contains_unsupported(value)
        if bad:
            warnings.warn(f"load: variable '{name}' of '{filename}' holds a MATLAB "
                          f"{bad.kind} at {bad.where}, which cannot be read; the variable is "
                          f"skipped.", stacklevel=user_stacklevel())
            continue
        out[name] = value
    return out


def v73_error(filename):
    raise_error("load", "MATFileV73",
                f"'{filename}' is a MAT-file of version 7.3 (HDF5), which scipy cannot read. "
                f"In MATLAB, save it again as version 7: S = load('{filename}'); "
                f"save('{filename}', '-struct', 'S', '-v7') (version 7 holds variables up to "
                f"2 GB each).")


# -- writing ------------------------------------------------------------------------------
def mat_writable(value):
    """True when ``value`` has a MATLAB data form (no network, layer, function, ...)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biufcU" or (
            value.dtype == object and all(mat_writable(v) for v in value.flat))
    if isinstance(value, (list, tuple)):
        return all(mat_writable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isidentifier() for k in value) and \
            all(mat_writable(v) for v in value.values())
    return False


def _to_mat(value):
    if value is None:
        return np.zeros((0, 0))
    if isinstance(value, bool):
        return np.array([[value]])
    if isinstance(value, (list, tuple)):
        cell = np.empty((len(value), 1), dtype=object)
        for i, v in enumerate(value):
            cell[i, 0] = _to_mat(v)
        return cell
    if isinstance(value, dict):
        return {k: _to_mat(v) for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.dtype == object:
        out = np.empty(value.shape, dtype=object)
        for i, v in enumerate(value.flat):
            out.flat[i] = _to_mat(v)
        return out
    return value


def write_mat(filename, variables, version="7"):
    """Write ``variables`` as a MAT-file (version '7' compressed, '6' plain, '4')."""
    sio = _scipy_io("save")
    for name in variables:
        if not (isinstance(name, str) and name.isidentifier() and len(name) <= 63):
            raise_error("save", "InvalidVariableName",
                        f"'{name}' is not a valid MATLAB variable name (a letter, then "
                        f"letters, digits or underscores, at most 63 characters).")
    data = {name: _to_mat(v) for name, v in variables.items()}
    try:
        sio.savemat(filename, data, format="4" if version == "4" else "5",
                    do_compression=version == "7", long_field_names=version != "4")
    except (ValueError, TypeError) as exc:
        raise_error("save", "UnsupportedType",
                    f"The variables cannot be written as a version {version} MAT-file: {exc}",
                    "type")
