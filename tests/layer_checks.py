"""Shared checks for layers without recurrence: float64 central finite differences of
L = sum(C * Y) with respect to the input and to every learnable."""

import numpy as np

EPS = 1e-6


def _fd(f, base, put, rs, n_coords):
    """(largest relative error over coordinates and one random direction) for f at base."""
    flat = base.reshape(-1)

    def at(v):
        put(v.reshape(base.shape))
        return f()

    grads = []
    idx = rs.choice(flat.size, size=min(n_coords, flat.size), replace=False)
    for i in idx:
        e = np.zeros_like(flat)
        e[i] = EPS
        grads.append((i, (at(flat + e) - at(flat - e)) / (2 * EPS)))
    v = rs.standard_normal(flat.size)
    direction = (at(flat + EPS * v) - at(flat - EPS * v)) / (2 * EPS)
    put(base)
    return idx, grads, v, direction


def check_layer_gradients(layer, X, rs, training=False, n_coords=15, tol=1e-6):
    """Compare the layer's backward pass (input and learnables) with central differences
    in float64; returns the largest relative error seen. X: (T, B, C) or (B, C)."""
    X = np.array(X, dtype=np.float64)
    Y, back, _ = layer.forward(X, training)
    C = rs.standard_normal(Y.shape)

    def loss():
        return float((C * layer.forward(X, training)[0]).sum())

    dX, grads = back(C.copy())
    worst = 0.0
    targets = [("X", X, dX)] + [(n, getattr(layer, n), grads[n])
                                for n in layer.learnable_names()]
    for name, base, g in targets:
        base = np.array(base, dtype=np.float64)
        if name == "X":
            def put(v):
                X[...] = v
        else:
            def put(v, name=name):
                object.__setattr__(layer, name, v)
        g = np.asarray(g, dtype=np.float64).reshape(-1)
        idx, num, v, direction = _fd(loss, base, put, rs, n_coords)
        for i, n in num:
            err = abs(n - g[i]) / max(1.0, abs(n))
            worst = max(worst, err)
            assert err < tol, (name, i, n, g[i])
        err = abs(direction - g @ v) / max(1.0, abs(direction))
        worst = max(worst, err)
        assert err < tol, (name, direction, g @ v)
    return worst
