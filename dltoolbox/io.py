"""save / load (MATLAB ``save`` / ``load``): networks as data-only files, data as .mat.

``save(filename, net=net)`` writes a file that cannot run code when read:

* a MATLAB MAT-file (version 7 through scipy.io) when the name ends in ``.mat`` (or has no
  extension, which becomes ``.mat``) and every variable is MATLAB data: arrays, numbers,
  text, lists (cell arrays), dicts (structs). MATLAB and scipy read it.
* otherwise (a network, a layer, a categorical, ...) a dltoolbox network file: a zip of a
  JSON tree and ``.npy`` arrays with a format version and a SHA-256 checksum (see
  :mod:`dltoolbox._netfile`). Only dltoolbox reads it, whatever its extension (checkpoints
  keep MATLAB's ``net_checkpoint__<iteration>__<date>.mat`` names).

Files are written to a temporary file in the same folder and renamed, so a crash never
leaves a half-written file. ``load`` tells the kinds apart by their first bytes; a pickle
(the format of earlier dltoolbox versions) is read only with ``allow_pickle=True``.
"""

import io as _io
import os
import pickle
import tempfile

import numpy as np

from . import _matfile, _netfile
from ._matfile import Struct
from ._validate import describe
from .errors import raise_error

_VERSIONS = {"-v7": "7", "-v6": "6", "-v4": "4", "-v7.3": "7.3"}
_HDF5 = b"\x89HDF\r\n\x1a\n"


def _check_filename(filename, func):
    if isinstance(filename, os.PathLike):
        filename = os.fspath(filename)
    if not isinstance(filename, str) or not filename.strip():
        raise_error(func, "InvalidFileName",
                    f"The file name must be text (a character vector, string or path), got "
                    f"{describe(filename)}.", "type")
    return filename


def save(filename, *args, **variables):
    """Save variables to ``filename`` atomically: ``save('net.mat', net=net)``.

    Positional arguments after the file name may be dicts (their fields become variables,
    as MATLAB's ``save(f, '-struct', 's')``) and the version flags ``'-v7'`` (default),
    ``'-v6'`` or ``'-v4'`` for MAT-files.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), 'data.mat')
    >>> save(path, XTrain=[np.ones((2, 3)), np.zeros((2, 5))], name='vowels')
    >>> S = load(path); S.name, [x.shape for x in S.XTrain]
    ('vowels', [(2, 3), (2, 5)])
    """
    filename = _check_filename(filename, "save")
    version = "7"
    for arg in args:
        if isinstance(arg, dict):
            for key, value in arg.items():
                if key in variables:
                    raise_error("save", "DuplicateVariable",
                                f"Variable '{key}' is given more than once.")
                variables[key] = value
        elif isinstance(arg, str) and arg.lower() in _VERSIONS:
            version = _VERSIONS[arg.lower()]
        elif isinstance(arg, str):
            raise_error("save", "InvalidArgument",
                        f"save cannot read variables from a workspace: give them as keywords, "
                        f"save(filename, {arg}={arg}), or as a dict; got the text '{arg}'.")
        else:
            raise_error("save", "InvalidArgument",
                        f"Expected dicts of variables or a version flag ('-v7', '-v6', '-v4') "
                        f"after the file name, got {describe(arg)}.", "type")
    if version == "7.3":
        raise_error("save", "NotSupported",
                    "Version 7.3 (HDF5) MAT-files are not written; use '-v7' (the default).")
    if not variables:
        raise_error("save", "NoVariables", "Give the variables to save, e.g. "
                    "save(filename, net=net).")
    root, ext = os.path.splitext(filename)
    if not ext:
        filename, ext = filename + ".mat", ".mat"
    folder = os.path.dirname(os.path.abspath(filename))
    if not os.path.isdir(folder):
        raise_error("save", "FolderNotFound",
                    f"Unable to write file '{filename}': the folder '{folder}' does not exist.")
    as_mat = ext.lower() == ".mat" and all(_matfile.mat_writable(v)
                                           for v in variables.values())
    data = None if as_mat else _netfile.encode_file(variables, "save")
    _write_atomic(filename, folder, data, variables if as_mat else None, version)


def check_checkpoint_path(folder, func):
    """Raise ``<func>:CheckpointPathNotWritable`` unless a file can be made in ``folder``."""
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-check-")
        os.close(fd)
        os.remove(tmp)
    except OSError as exc:
        raise_error(func, "CheckpointPathNotWritable",
                    f"CheckpointPath '{folder}' is not a folder that files can be written to "
                    f"({exc.strerror or exc}).")


def write_checkpoint(path, net, func):
    """Write ``net`` as the variable ``net`` of a network file at ``path`` (a check of
    the network only, when ``path`` is None: the first call warns about dropped function
    handles and raises a named error for what cannot be written; later calls are quiet)."""
    data = _netfile.encode_file({"net": net}, func, quiet=path is not None)
    if path is not None:
        _write_atomic(path, os.path.dirname(os.path.abspath(path)), data, None, "7", func)


def _write_atomic(filename, folder, data, mat_variables, version, func="save"):
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".mat")
    except OSError as exc:
        raise_error(func, "WriteFailed", f"Unable to write file '{filename}': {exc}.")
    try:
        with os.fdopen(fd, "wb") as f:
            if data is not None:
                f.write(data)
            else:
                _matfile.write_mat(f, mat_variables, version)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except OSError as exc:
        raise_error(func, "WriteFailed", f"Unable to write file '{filename}': {exc}.")
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load(filename, *names, allow_pickle=False):
    """Load the variables of a file written by :func:`save`, MATLAB or scipy.

    Returns a :class:`Struct` (fields by attribute or key): ``S = load('data.mat')``,
    ``S.XTrain``; ``load('net.mat')['net']``. ``load(filename, 'XTrain', 'YTrain')``
    loads only those variables (a missing one is a warning, as in MATLAB).

    ``allow_pickle=True`` also reads Python pickles, the format of earlier dltoolbox
    versions.
    It is off because reading a pickle runs whatever code the file holds, with your
    rights: turn it on only for files you wrote yourself, then save them again to have
    data-only files.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'v.mat')
    >>> save(path, a=1.5); float(load(path).a[0, 0])
    1.5
    """
    filename = _check_filename(filename, "load")
    for name in names:
        if not isinstance(name, str):
            raise_error("load", "InvalidVariableName",
                        f"Variable names must be text, got {describe(name)}.", "type")
    if not os.path.exists(filename) and not os.path.splitext(filename)[1] and \
            os.path.isfile(filename + ".mat"):
        filename += ".mat"
    if not os.path.isfile(filename):
        raise_error("load", "FileNotFound", f"Unable to find file '{filename}'.")
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise_error("load", "ReadFailed", f"Unable to read file '{filename}': {exc}.")
    out = _read(filename, data, list(names) or None, allow_pickle)
    if names:
        for name in names:
            if name not in out:
                import warnings
                warnings.warn(f"load: variable '{name}' not found in '{filename}'.",
                              stacklevel=2)
        out = Struct((n, out[n]) for n in names if n in out)
    return out


def _read(filename, data, names, allow_pickle):
    if not data:
        raise_error("load", "EmptyFile", f"'{filename}' is empty (0 bytes).")
    if data[:2] == b"PK":
        values = _netfile.decode_file(filename, data, names)
        if values is None:      # a zip without the dltoolbox header: a NumPy .npz
            try:
                with np.load(_io.BytesIO(data), allow_pickle=False) as z:
                    values = {k: z[k] for k in z.files if names is None or k in names}
            except (ValueError, OSError) as exc:
                raise_error("load", "CorruptFile", f"'{filename}' is a zip archive that is "
                            f"neither a dltoolbox file nor a readable .npz ({exc}).")
        return Struct(values)
    if data[:10] == b"MATLAB 7.3" or data[512:520] == _HDF5 or data[:8] == _HDF5:
        _matfile.v73_error(filename)
    is_pickle = data[:1] == b"\x80" or filename.lower().endswith((".pkl", ".pickle"))
    if data[:6] == b"MATLAB" or (filename.lower().endswith(".mat") and not is_pickle):
        return _matfile.read_mat(filename, names)
    if not allow_pickle:
        what = "a Python pickle (the file format of earlier dltoolbox versions)" if is_pickle \
            else "not a file that load reads (a dltoolbox file, a MAT-file or an .npz)"
        raise_error("load", "PickleFile" if is_pickle else "UnknownFormat",
                    f"'{filename}' is {what}. It was not read: reading a pickle runs the code "
                    f"it holds. Only if you wrote this file yourself, read it with "
                    f"load(filename, allow_pickle=True) and save it again.")
    try:
        value = pickle.loads(data)
    except Exception as exc:   # noqa: BLE001 - a damaged pickle raises anything
        raise_error("load", "CorruptFile",
                    f"'{filename}' is not a readable pickle ({type(exc).__name__}: {exc}).")
    if not isinstance(value, dict):
        value = {"ans": value}
    return Struct((k, v) for k, v in value.items() if names is None or k in names)


__all__ = ["save", "load", "Struct"]
