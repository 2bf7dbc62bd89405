"""Shared checks for the dl tests: directional float64 central differences of a traced
function against dlgradient."""

import numpy as np

from dltoolbox.dl import dlarray, dlfeval, dlgradient, extractdata


def directional_errors(fn, inputs, fmts=None, seed=0, h=1e-6, before=None):
    """Relative errors |fd - g.v| / max(|fd|, |g.v|, 1e-8) of ``fn`` (dlarrays -> scalar
    dlarray) along one random direction per input; ``before()`` runs before every
    evaluation (to fix a random mask)."""
    rs = np.random.default_rng(seed)
    fmts = fmts or [""] * len(inputs)

    def wrap(arrays):
        return [dlarray(a, f) if f else dlarray(a) for a, f in zip(arrays, fmts)]

    def value(arrays):
        if before:
            before()
        return float(fn(*wrap(arrays)))

    def model(*xs):
        if before:
            before()
        y = fn(*xs)
        return dlgradient(y, list(xs))

    grads = dlfeval(model, *wrap(inputs))
    errors = []
    for i, x in enumerate(inputs):
        v = rs.standard_normal(x.shape)
        plus = [a.copy() for a in inputs]
        minus = [a.copy() for a in inputs]
        plus[i] = x + h * v
        minus[i] = x - h * v
        fd = (value(plus) - value(minus)) / (2 * h)
        g = np.asarray(extractdata(grads[i]))
        vv = np.asarray(extractdata(dlarray(v, fmts[i]))) if fmts[i] else v
        an = float((g.reshape(vv.shape) * vv).sum())
        errors.append(abs(fd - an) / max(abs(fd), abs(an), 1e-8))
    return errors
