"""Update rules of trainNetwork's solvers (reference §13.3), in place on flat arrays.

All learnables of a network live in one flat float32 buffer (each layer property is a
view into it), so every rule below is a handful of whole-buffer operations per iteration,
not a handful per learnable. ``lr`` is the effective rate alpha * LearnRateFactor: a
scalar, or one value per element (a 1-by-3 factor expanded over the gate blocks).

* sgdm:    v <- gamma v - lr g;  theta <- theta + v
* rmsprop: s <- b2 s + (1 - b2) g^2;  theta <- theta - lr g / (sqrt(s) + eps)
* adam:    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
           theta <- theta - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps)
           (MATLAB's form: bias correction folded into the step, eps on the uncorrected v)
"""

import numpy as np

from ..backend import get_xp


class Solver:
    """Holds the solver state for a flat parameter buffer; ``step`` updates it in place."""

    def __init__(self, options, theta):
        xp = get_xp(theta)
        self.name = options.SolverName
        self.opts = options
        self.t = 0
        self.tmp = xp.empty_like(theta)
        self.first = xp.zeros_like(theta)      # velocity (sgdm), s (rmsprop), m (adam)
        self.second = xp.zeros_like(theta) if self.name == "adam" else None

    def step(self, theta, g, lr):
        """One update of ``theta`` with gradient ``g`` (both flat) and rate(s) ``lr``."""
        xp = get_xp(theta)
        o, tmp = self.opts, self.tmp
        self.t += 1
        if self.name == "sgdm":
            v = self.first
            v *= o.Momentum
            xp.multiply(g, lr, out=tmp)
            v -= tmp
            theta += v
            return
        if self.name == "rmsprop":
            s = self.first
            b2 = o.SquaredGradientDecayFactor
            s *= b2
            xp.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            s += tmp
            xp.sqrt(s, out=tmp)
            tmp += o.Epsilon
            xp.divide(g, tmp, out=tmp)
        else:
            m, v = self.first, self.second
            b1, b2 = o.GradientDecayFactor, o.SquaredGradientDecayFactor
            m *= b1
            xp.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            xp.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            xp.sqrt(v, out=tmp)
            tmp += o.Epsilon
            xp.divide(m, tmp, out=tmp)
            tmp *= (1.0 - b2 ** self.t) ** 0.5 / (1.0 - b1 ** self.t)
        tmp *= lr
        theta -= tmp


def regularize_and_clip(g, theta, l2_scaled, segments, method, threshold, tmp):
    """Add L2 (g + lambda f2 theta), then clip (§13.3 steps 2-3); in place on flat arrays.

    ``l2_scaled`` is lambda * L2Factor per element (None when all zero); ``segments``
    the (start, stop) of each learnable array in the buffer ('l2norm' clips each one).
    """
    xp = get_xp(g)
    if l2_scaled is not None:
        xp.multiply(theta, l2_scaled, out=tmp)
        g += tmp
    if threshold == float("inf"):
        return
    if method == "l2norm":
        xp.multiply(g, g, out=tmp)
        sums = [float(v) for v in xp.add.reduceat(tmp, [a for a, _ in segments])] \
            if xp is np else [float(xp.dot(g[a:b], g[a:b])) for a, b in segments]
        for (a, b), sq in zip(segments, sums):
            norm = sq ** 0.5
            if norm > threshold:
                g[a:b] *= threshold / norm
    elif method == "global-l2norm":
        total = float(xp.sqrt(xp.dot(g, g)))
        if total > threshold:
            g *= threshold / total
    else:
        xp.clip(g, -threshold, threshold, out=g)
