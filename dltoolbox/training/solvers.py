"""Update rules of trainNetwork's solvers (reference §13.3), in place on arrays.

``lr`` is the effective rate alpha * LearnRateFactor: a scalar, or a column of per-row
rates (a 1-by-3 factor expanded over the gate blocks) that broadcasts over the parameter.

* sgdm:    v <- gamma v - lr g;  theta <- theta + v
* rmsprop: s <- b2 s + (1 - b2) g^2;  theta <- theta - lr g / (sqrt(s) + eps)
* adam:    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
           theta <- theta - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
           (MATLAB's form: bias correction folded into the step, eps on the uncorrected v)
"""

import numpy as np

from ..backend import get_xp


class Solver:
    """Holds the per-parameter state of one solver; ``step`` updates parameters in place."""

    def __init__(self, options):
        self.name = options.SolverName
        self.opts = options
        self.state = {}
        self.t = 0

    def begin_step(self):
        self.t += 1

    def step(self, key, theta, g, lr):
        xp = get_xp(theta)
        o = self.opts
        if self.name == "sgdm":
            v = self.state.get(key)
            if v is None:
                v = self.state[key] = xp.zeros_like(theta)
            v *= o.Momentum
            v -= lr * g
            theta += v
        elif self.name == "rmsprop":
            s = self.state.get(key)
            if s is None:
                s = self.state[key] = xp.zeros_like(theta)
            b2 = o.SquaredGradientDecayFactor
            s *= b2
            s += (1.0 - b2) * g * g
            theta -= lr * g / (xp.sqrt(s) + o.Epsilon)
        else:
            if key not in self.state:
                self.state[key] = (xp.zeros_like(theta), xp.zeros_like(theta))
            m, v = self.state[key]
            b1, b2 = o.GradientDecayFactor, o.SquaredGradientDecayFactor
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            scale = (1.0 - b2 ** self.t) ** 0.5 / (1.0 - b1 ** self.t)
            theta -= (lr * scale) * m / (xp.sqrt(v) + o.Epsilon)


def regularize_and_clip(grads, params, l2, l2_factors, method, threshold):
    """Add L2 (g + lambda f2 theta), then clip (§13.3 steps 2-3); in place, returns grads."""
    xp = None
    for k, g in grads.items():
        xp = xp or get_xp(g)
        f2 = l2_factors[k]
        if l2 and np.any(f2 != 0):
            g += (l2 * f2) * params[k]
    if threshold == float("inf") or not grads:
        return grads
    if method == "l2norm":
        for g in grads.values():
            norm = float(xp.sqrt((g * g).sum()))
            if norm > threshold:
                g *= threshold / norm
    elif method == "global-l2norm":
        total = sum(float((g * g).sum()) for g in grads.values()) ** 0.5
        if total > threshold:
            for g in grads.values():
                g *= threshold / total
    else:
        for g in grads.values():
            xp.clip(g, -threshold, threshold, out=g)
    return grads
