"""Work arrays reused between calls of the recurrent kernels (any cell, any direction).

``scratch`` arrays never leave one call; ``recycled`` arrays outlive it (outputs, the
backward cache) and are handed out again only once nothing refers to them.
"""

import sys
import threading

import numpy as np

from ..backend import get_xp

_SCRATCH = threading.local()
KEEP = 4


def scratch(name, shape, dtype, xp):
    """A work array that never leaves one call of forward or backward, reused by the next
    call in the same thread: large fresh arrays are page-faulted in again on every call,
    which cost up to a third of a training step. Arrays that outlive the call (outputs,
    the backward cache) are always fresh."""
    size = 1
    for n in shape:
        size *= n
    pool = _SCRATCH.__dict__
    buf = pool.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype or get_xp(buf) is not xp:
        buf = pool[name] = xp.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def recycled(name, shape, dtype, xp):
    """A fresh-looking array for a result that outlives the call (the outputs and the
    backward cache), taken from the arrays of earlier calls that nothing refers to any
    more: a training loop gets the previous iteration's arrays back instead of new memory
    (page-faulting 100 MB in again cost about 15 ms at H = 512). An array still in use,
    even through a view, is never handed out; at most ``KEEP`` are kept per name (a
    layer needs two: the previous iteration's are still referenced while the next forward
    runs; a bidirectional layer or two stacked layers of one cell need four)."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    size = 1
    for n in shape:
        size *= n
    kept = _SCRATCH.__dict__.setdefault("recycled", {}).setdefault(name, [])
    for i in range(len(kept)):
        # references: the list, this frame's argument to getrefcount, and nothing else
        if sys.getrefcount(kept[i]) == _FREE_REFS and kept[i].dtype == dtype \
                and kept[i].size >= size:
            return kept[i][:size].reshape(shape)
    buf = np.empty(size, dtype=dtype)
    if len(kept) < KEEP:
        kept.append(buf)
    else:   # replace the smallest free one, if any is free
        free = [i for i in range(len(kept)) if sys.getrefcount(kept[i]) == _FREE_REFS]
        if free:
            kept[min(free, key=lambda i: kept[i].size)] = buf
    return buf[:size].reshape(shape)


def _free_refs():
    kept = [np.empty(1)]
    return sys.getrefcount(kept[0])


_FREE_REFS = _free_refs()   # the count of an array held by a list only, measured as used
