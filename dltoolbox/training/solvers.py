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

import os

import numpy as np

from ..backend import get_xp

try:
    if os.environ.get("DLTOOLBOX_KERNELS", "").lower() == "numpy":
        raise ImportError("numba kernels disabled by DLTOOLBOX_KERNELS=numpy")
    from . import _solver_numba as fused
except ImportError:
    fused = None

FAST = fused is not None   # use the numba kernels for NumPy buffers (tests switch it)


class Solver:
    """Holds the solver state for a flat parameter buffer; ``update`` applies L2, clipping
    and one step in place.

    ``segments`` are the (start, stop) of each learnable array in the buffer ('l2norm'
    clips each one); ``l2_scaled`` is lambda * L2Factor per element (None when all zero).
    """

    def __init__(self, options, theta, segments=(), l2_scaled=None):
        xp = get_xp(theta)
        self.name = options.SolverName
        self.opts = options
        self.t = 0
        self.segments = list(segments)
        self.l2_scaled = l2_scaled
        self.first = xp.zeros_like(theta)      # velocity (sgdm), s (rmsprop), m (adam)
        self.second = xp.zeros_like(theta) if self.name == "adam" else None
        self.fast = FAST and xp is np
        self.tmp = None if self.fast else xp.empty_like(theta)   # the NumPy rules' work array
        if self.fast:
            self._set_up_fused(options, theta)

    def update(self, theta, g, lr, previous):
        """Copy ``theta`` to ``previous``; then L2, clipping and one solver step."""
        o = self.opts
        if self.fast:
            self._update_fused(theta, g, lr, previous)
            return
        get_xp(theta).copyto(previous, theta)
        regularize_and_clip(g, theta, self.l2_scaled, self.segments,
                            o.GradientThresholdMethod, o.GradientThreshold, self.tmp)
        self.step(theta, g, lr)

    def _set_up_fused(self, o, theta):
        method, threshold = o.GradientThresholdMethod, o.GradientThreshold
        self.bounds = np.array([a for a, _ in self.segments] + [theta.size], dtype=np.int64)
        self.scales = np.ones(len(self.segments), dtype=np.float32)
        self.kind = {"sgdm": fused.SGDM, "rmsprop": fused.RMSPROP, "adam": fused.ADAM}[self.name]
        if self.name == "sgdm":
            constants = [o.Momentum]
        elif self.name == "rmsprop":
            b2 = o.SquaredGradientDecayFactor
            constants = [b2, 1.0 - b2, o.Epsilon]
        else:
            b1, b2 = o.GradientDecayFactor, o.SquaredGradientDecayFactor
            constants = [b1, 1.0 - b1, b2, 1.0 - b2, o.Epsilon]
            self.decay = (b1, b2)
        self.k = np.zeros(fused.K_SIZE)
        self.k[:3 + len(constants)] = [
            threshold if method != "absolute-value" else np.inf, method == "l2norm",
            threshold if method == "absolute-value" else np.inf, *constants]
        self.rates = (None, None)   # (a scalar rate, as a 1-element array)
        self.no_l2 = theta[:0]

    def _update_fused(self, theta, g, lr, previous):
        """The same arithmetic as ``update`` in one numba call (two passes)."""
        if not isinstance(lr, np.ndarray):
            if self.rates[0] != lr:
                self.rates = (lr, np.full(1, lr, dtype=np.float32))
            lr = self.rates[1]
        self.t += 1
        if self.kind == fused.ADAM:
            b1, b2 = self.decay
            self.k[-1] = (1.0 - b2 ** self.t) ** 0.5 / (1.0 - b1 ** self.t)
        fused.update(self.kind, theta, previous, g, self.first,
                     self.first if self.second is None else self.second, lr,
                     self.no_l2 if self.l2_scaled is None else self.l2_scaled, self.bounds,
                     self.scales, self.k)

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
        b2 = o.SquaredGradientDecayFactor
        if self.name == "rmsprop":
            _over_rms(xp, g, self.first, g, b2, o.Epsilon, tmp)
        else:
            m, b1 = self.first, o.GradientDecayFactor
            m *= b1
            xp.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            _over_rms(xp, m, self.second, g, b2, o.Epsilon, tmp)
            tmp *= (1.0 - b2 ** self.t) ** 0.5 / (1.0 - b1 ** self.t)
        tmp *= lr
        theta -= tmp


def _over_rms(xp, num, s, g, b2, eps, tmp):
    """The shared part of rmsprop and adam: s <- b2 s + (1 - b2) g^2, then
    tmp <- num / (sqrt(s) + eps)."""
    s *= b2
    xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - b2
    s += tmp
    xp.sqrt(s, out=tmp)
    tmp += eps
    xp.divide(num, tmp, out=tmp)


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
    if xp is not np and method in ("l2norm", "global-l2norm"):
        _clip_on_device(xp, g, segments if method == "l2norm" else [(0, g.size)], threshold)
    elif method == "l2norm":
        xp.multiply(g, g, out=tmp)
        sums = [float(v) for v in xp.add.reduceat(tmp, [a for a, _ in segments])]
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


def _clip_on_device(xp, g, segments, threshold):
    """Norm clipping without reading the norms back: each segment is scaled by
    threshold / max(norm, threshold), which is exactly 1 when the norm is within the
    threshold (the norms in float64, as on the host)."""
    for a, b in segments:
        seg = g[a:b]
        norm = xp.sqrt(xp.dot(seg, seg).astype(xp.float64))
        seg *= (threshold / xp.maximum(norm, threshold)).astype(g.dtype)
