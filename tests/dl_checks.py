"""Shared checks for the dl and graph tests: directional float64 central differences of a
traced function against dlgradient, and the executor's backward of a whole network
against central differences."""

import numpy as np
import pytest

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


def check_graph_backward(net, X, W, checks, h=1e-6):
    """The executor's backward (graph.py) of ``net``'s graph, made float64, against
    central differences of sum(Y .* W): the input gradient at every entry, and four
    entries of each (layer name, learnable name) in ``checks``."""
    graph = net._graph
    for layer in graph.layers:
        for n in layer.learnable_names():
            object.__setattr__(layer, n, np.array(getattr(layer, n), dtype=np.float64))
        layer.learnables_changed()

    def loss(x):
        return float((graph.forward([x])[0][0] * W).sum())

    _, tape, _ = graph.forward([X], True)
    d_in, grads = graph.backward(tape, [W])
    num = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        a, b = X.copy(), X.copy()
        a[idx] += h
        b[idx] -= h
        num[idx] = (loss(a) - loss(b)) / (2 * h)
    np.testing.assert_allclose(d_in[0], num, atol=1e-7, rtol=1e-6)
    names = [x.Name for x in graph.layers]
    for lname, pname in checks:
        i = names.index(lname)
        value = getattr(graph.layers[i], pname)
        rows, cols = value.shape
        for idx in [(0, 0), (rows - 1, 0), (rows // 2, cols - 1), (rows - 1, cols - 1)]:
            old = value[idx]
            value[idx] = old + h
            graph.layers[i].learnables_changed()
            up = loss(X)
            value[idx] = old - h
            graph.layers[i].learnables_changed()
            down = loss(X)
            value[idx] = old
            graph.layers[i].learnables_changed()
            assert grads[i][pname][idx] == pytest.approx((up - down) / (2 * h), abs=1e-7,
                                                         rel=1e-6)
