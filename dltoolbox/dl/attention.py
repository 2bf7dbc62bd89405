"""MATLAB's ``attention``: multi-head scaled dot-product attention on dlarrays.

For each head h and observation b, with the channels split into numHeads contiguous
groups (queries and keys dk = C_k / numHeads channels each, values dv = C_v / numHeads)::

    A = Scale * K_h^T Q_h                 (Nk-by-Nq: keys by queries)
    W = softmax of A over the keys (each column), masked entries excluded
    Y_h = V_h W                           (dv-by-Nq), the heads stacked along "C"

``Scale`` "auto" is 1/sqrt(dk). ``PaddingMask`` (keys' layout; 0 marks padding keys) and
``AttentionMask`` ("none", "causal", or Nk-by-Nq[-by-B] with 0 where a query must not see a
key) exclude entries; ``DropoutProbability`` drops attention weights (scaled by 1/(1-p))
inside dlfeval. One tape node; its backward is the closed form of the equations above.
"""

import numpy as np

from .. import initializers
from .._nameval import Option, options_table, parse_name_value
from .._validate import check_positive_integer, check_scalar
from ..backend import get_xp
from ..errors import raise_error
from ..network import outputs
from . import tape as _tape
from .dlarray import _as_data, dlarray
from .ops import _dl_input, _finish, _format_option, _node

FUNC = "attention"


def _scale(value, func, name):
    if isinstance(value, str):
        if value.lower() != "auto":
            raise_error(func, "InvalidScale", f"Expected 'Scale' 'auto' or a positive scalar, "
                        f"got '{value}'.")
        return "auto"
    return check_scalar(0, np.inf, lo_open=True)(value, func, name)


def _attention_mask(value, func, name):
    if isinstance(value, str):
        if value.lower() not in ("none", "causal"):
            raise_error(func, "InvalidAttentionMask",
                        f"Expected 'AttentionMask' 'none', 'causal' or a logical array, got "
                        f"'{value}'.")
        return value.lower()
    return value


def _probability(value, func, name):
    return check_scalar(0, 1, hi_open=True)(value, func, name)


_OPTIONS = options_table(Option("DataFormat", "", _format_option),
                         Option("Scale", "auto", _scale),
                         Option("PaddingMask", None, lambda v, f, n: v),
                         Option("AttentionMask", "none", _attention_mask),
                         Option("DropoutProbability", 0.0, _probability))


def _as_cbt(X, fmt, what):
    """(data as (C, B, N), its format letters, its sequence letter) of queries, keys or
    values labelled with "C", an optional "B" and at most one "S" or "T" (none: one
    position)."""
    letters = X._fmt or fmt
    if not letters:
        raise_error(FUNC, "UnformattedInput",
                    f"{what} is an unformatted dlarray: label it (for example "
                    f"dlarray(X, 'CBT')) or give 'DataFormat'.")
    data = X._data
    seq = [c for c in letters if c in "ST"]
    if "C" not in letters or len(seq) > 1 or set(letters) - set("CBST") or \
            len(set(letters)) != len(letters) or len(letters) < data.ndim:
        raise_error(FUNC, "InvalidDataFormat",
                    f"{what} must be labelled with 'C', optionally 'B', and at most one "
                    f"'S' or 'T' dimension (for example 'CBT') with one letter per "
                    f"dimension; got '{letters}' for {data.ndim} dimensions.")
    xp = get_xp(data)
    data = data.reshape(data.shape + (1,) * (len(letters) - data.ndim))
    present = "C" + ("B" if "B" in letters else "") + "".join(seq)
    a = xp.transpose(data, [letters.index(c) for c in present])
    if "B" not in letters:
        a = a[:, None]
    if not seq:
        a = a[..., None]
    return a, letters, (seq[0] if seq else "")


def attention(queries, keys, values, numHeads, *args, nargout=1, **kwargs):  # noqa: N803
    """Multi-head scaled dot-product attention (MATLAB ``attention``):
    ``Y = attention(queries, keys, values, numHeads)``;
    ``Y, weights = attention(..., nargout=2)``, the weights Nk-by-Nq-by-numHeads-by-B.

    Options: DataFormat (unformatted input), Scale ("auto": 1/sqrt(C_k / numHeads)),
    PaddingMask (keys' layout, 0 for padding), AttentionMask ("none", "causal" or
    Nk-by-Nq[-by-B], 0 = hidden), DropoutProbability (on the weights, inside dlfeval).

    >>> import numpy as np
    >>> q = dlarray(np.ones((2, 1, 3), np.float32), "CBT")
    >>> v = dlarray(np.arange(6, dtype=np.float32).reshape(2, 1, 3), "CBT")
    >>> Y = attention(q, q, v, 1, AttentionMask="causal")
    >>> dims(Y), extractdata(Y)[0, 0].tolist()
    ('CBT', [0.0, 0.5, 1.0])
    """
    opts = parse_name_value(FUNC, args, kwargs, _OPTIONS)
    heads = check_positive_integer()(numHeads, FUNC, "numHeads")
    fmt = opts["DataFormat"]
    unformatted = bool(fmt)
    Xs = []
    for name, X in (("queries", queries), ("keys", keys), ("values", values)):
        X = _dl_input(X, FUNC)
        if X._fmt and fmt:
            raise_error(FUNC, "DataFormatOfFormatted",
                        f"'DataFormat' is only for unformatted input; {name} is labelled "
                        f"'{X._fmt}'.")
        Xs.append(X)
    (q, qfmt, qseq), (k, _, _), (v, _, _) = [
        _as_cbt(X, fmt, name) for X, name in zip(Xs, ("queries", "keys", "values"))]
    xp = get_xp(q)
    ck, b, nk = k.shape
    cv = v.shape[0]
    nq = q.shape[2]
    if q.shape[0] != ck:
        raise_error(FUNC, "SizeMismatch", f"queries have {q.shape[0]} channels but keys have "
                    f"{ck}; they must have the same number.")
    if v.shape[1:] != (b, nk) or q.shape[1] != b:
        raise_error(FUNC, "SizeMismatch",
                    f"keys and values must have the same number of observations and "
                    f"positions, and queries as many observations: queries "
                    f"{tuple(q.shape)}, keys {tuple(k.shape)}, values {tuple(v.shape)} "
                    f"(channels, observations, positions).")
    if ck % heads or cv % heads:
        raise_error(FUNC, "InvalidNumHeads",
                    f"numHeads ({heads}) must divide the channels of queries/keys ({ck}) and "
                    f"of values ({cv}).")
    dk, dv = ck // heads, cv // heads
    scale = 1.0 / np.sqrt(dk) if opts["Scale"] == "auto" else float(opts["Scale"])
    keep = _mask(opts, nk, nq, b, xp)          # (B, Nk, Nq) bool or None
    dtype = q.dtype
    qh = q.reshape(heads, dk, b, nq)
    kh = k.reshape(heads, dk, b, nk)
    vh = v.reshape(heads, dv, b, nk)
    A = xp.einsum("hdbk,hdbq->hbkq", kh, qh) * dtype.type(scale)
    if keep is not None:
        A = xp.where(keep[None], A, dtype.type(-np.inf))
    top = xp.max(A, axis=2, keepdims=True)
    E = xp.exp(A - xp.where(xp.isfinite(top), top, dtype.type(0)))
    total = E.sum(axis=2, keepdims=True)
    W = E / xp.where(total > 0, total, 1)         # a column with every key hidden: zeros
    p = opts["DropoutProbability"]
    Wd = W
    if p > 0 and _tape.current() is not None:
        gen = initializers.generator()
        drop = xp.asarray(gen.random(W.shape) >= p).astype(dtype) / dtype.type(1 - p)
        Wd = W * drop
    Y = xp.einsum("hdbk,hbkq->hdbq", vh, Wd).reshape(cv, b, nq)

    def backward(g):
        gh = g.reshape(heads, dv, b, nq)
        dWd = xp.einsum("hdbk,hdbq->hbkq", vh, gh)
        dv_ = xp.einsum("hdbq,hbkq->hdbk", gh, Wd).reshape(cv, b, nk)
        dW = dWd if Wd is W else dWd * drop
        dA = W * (dW - (W * dW).sum(axis=2, keepdims=True)) * dtype.type(scale)
        dq = xp.einsum("hdbk,hbkq->hdbq", kh, dA).reshape(ck, b, nq)
        dk_ = xp.einsum("hdbq,hbkq->hdbk", qh, dA).reshape(ck, b, nk)
        return tuple(_back(d, X, fmt) for d, X in zip((dq, dk_, dv_), Xs))

    node = _tape.record(tuple(_node(X) for X in Xs), backward)
    out = _front(Y, qfmt, qseq, node)
    weights = dlarray._wrap(xp.transpose(W, (2, 3, 0, 1)), "")   # Nk, Nq, heads, B
    return outputs((_finish(out, unformatted), weights), nargout, FUNC)


def _mask(opts, nk, nq, b, xp):
    """(B, Nk, Nq) booleans: True where a query may attend a key; None for all."""
    keep = None
    am = opts["AttentionMask"]
    if isinstance(am, str):
        if am == "causal":
            keep = xp.asarray(np.tril(np.ones((nq, nk), dtype=bool)).T)[None]
    else:
        m = xp.asarray(_as_data(am._data if isinstance(am, dlarray) else am, FUNC,
                                "AttentionMask")) != 0
        if m.ndim == 2:
            m = m[None]
        elif m.ndim == 3:
            m = xp.moveaxis(m, 2, 0)
        if m.ndim != 3 or m.shape[1:] != (nk, nq) or m.shape[0] not in (1, b):
            raise_error(FUNC, "InvalidAttentionMask",
                        f"Expected 'AttentionMask' of size {nk}-by-{nq} or "
                        f"{nk}-by-{nq}-by-{b} (keys by queries [by observations]), got "
                        f"{'×'.join(map(str, am.shape if hasattr(am, 'shape') else ()))}.")
        keep = m
    pm = opts["PaddingMask"]
    if pm is not None:
        P = pm if isinstance(pm, dlarray) else dlarray._wrap(
            _as_data(pm, FUNC, "PaddingMask"), "")
        try:
            data, _, _ = _as_cbt(P, P._fmt or "CBT"[:P._data.ndim] or "C", "PaddingMask")
        except Exception:  # noqa: BLE001 - one named error for every wrong mask
            data = None
        if data is None or data.shape[1:] != (b, nk) or data.shape[0] < 1:
            raise_error(FUNC, "InvalidPaddingMask",
                        f"Expected 'PaddingMask' with the keys' layout ({b} observations, "
                        f"{nk} positions; one or more channels), got "
                        f"{'×'.join(map(str, P._data.shape))}.")
        pad = (data[0] != 0)[:, :, None]                     # (B, Nk, 1)
        keep = pad if keep is None else keep & pad
    return keep


def _front(Y, letters, seq, node):
    """Y (C, B, N) as a dlarray in the layout ``letters`` of the queries."""
    if "B" not in letters:
        Y = Y[:, 0]
    if not seq:
        Y = Y[..., 0]
    present = "C" + ("B" if "B" in letters else "") + seq
    return dlarray._wrap(get_xp(Y).transpose(Y, [present.index(c) for c in letters]),
                         letters, node)


def _back(d, X, fmt):
    """A (C, B, N) gradient in the layout of the input X."""
    letters = X._fmt or fmt
    seq = "".join(c for c in letters if c in "ST")
    return _front(d, letters, seq, None)._data.reshape(X._data.shape)


__all__ = ["attention"]
