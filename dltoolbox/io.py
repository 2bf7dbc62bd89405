"""save / load of networks (MATLAB ``save`` / ``load`` of a variable ``net``).

Files are Python pickles of a dict of variables, written to a temporary file in the same
folder and renamed, so a crash never leaves a half-written file. Load only files you
trust (pickle runs code on load).
"""

import os
import pickle
import tempfile

from .errors import raise_error


def save(filename, **variables):
    """Save variables to ``filename`` atomically: ``save('net.pkl', net=net)``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'v.pkl')
    >>> save(path, a=1); load(path)['a']
    1
    """
    folder = os.path.dirname(os.path.abspath(filename))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(variables, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filename)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(filename):
    """Load the variables saved by :func:`save` (a dict; ``load(f)['net']``)."""
    if not os.path.isfile(filename):
        raise_error("load", "FileNotFound", f"Unable to find file '{filename}'.")
    with open(filename, "rb") as f:
        return pickle.load(f)
