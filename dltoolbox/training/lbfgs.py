"""The L-BFGS solver of trainnet (``trainingOptions("lbfgs")``, reference r2 §2.1).

A full-batch quasi-Newton method on the flat parameter buffer of the training engine
(loop.py ``_Run``: ``theta`` and ``grad``): every iteration evaluates the loss and its
gradient on the whole training set through the same graph forward/backward as the
stochastic solvers, so the engine's validation, report, OutputFcn and checkpoints are
shared (``run_engine``).

One iteration k (Nocedal & Wright, *Numerical Optimization*, Algorithms 7.4 and 7.5):

* direction p = -H g by the two-loop recursion over the last ``HistorySize`` pairs
  (s_i, y_i) = (x_{i+1} - x_i, g_{i+1} - g_i), with H_0 = lambda I: lambda =
  InitialInverseHessianFactor before the first pair, then s'y / y'y of the newest pair
  (N&W eq. 7.20; MATLAB's exact rule is UNCONFIRMED). Pairs with s'y <= 1e-10 are skipped
  (they would break positive definiteness: only "backtracking" can produce them);
* a line search along p from the step 1, at most ``MaxNumLineSearchIterations`` loss
  evaluations, c1 = 1e-4 (sufficient decrease), c2 = 0.9 (curvature); all three also
  accept Hager & Zhang's approximate sufficient decrease (loss within 1e-6 relative,
  slope below (1 - 2 c1) |g0'p|), which keeps them converging once float32 losses stop
  resolving the decrease:
  - "weak-wolfe" (MATLAB's default): bisection / doubling until
    f(a) <= f0 + c1 a g0'p and g(a)'p >= c2 g0'p (Lewis & Overton's bracketing search);
  - "strong-wolfe": N&W Algorithm 3.5 with the zoom of Algorithm 3.6 (safeguarded cubic
    interpolation), until the sufficient decrease and |g(a)'p| <= c2 |g0'p|;
  - "backtracking": halve the step until the sufficient decrease holds;
* the report of iteration k is the point it reaches: TrainingLoss f(x_{k+1}),
  GradientNorm ||g(x_{k+1})||_2, StepNorm ||x_{k+1} - x_k||_2 (UNCONFIRMED: MATLAB's
  table shows these three columns, not whether the loss is before or after the step).

Stops (StopReason wordings beyond "Max iterations completed" are UNCONFIRMED):
GradientNorm <= GradientTolerance -> "Met gradient tolerance"; StepNorm <= StepTolerance
-> "Met step tolerance"; no acceptable step within MaxNumLineSearchIterations (the
parameters stay at the last accepted point) -> "Line search failed".
"""

import math

from ..backend import get_xp, host_scalars

C1 = 1e-4          # sufficient decrease (Armijo) constant
C2 = 0.9           # curvature constant
EPS_F = 1e-6       # relative loss noise of the approximate Wolfe test (Hager & Zhang 2005)
MIN_CURVATURE = 1e-10


class LBFGS:
    """The solver state: history pairs, the current point x, its loss and gradient.

    ``iterate(run, evaluate)`` performs one iteration; ``evaluate()`` computes the loss
    at ``run.theta`` and writes its gradient into ``run.grad``, returning (loss, metric).

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> opts = SimpleNamespace(HistorySize=5, InitialInverseHessianFactor=1.0,
    ...                        LineSearchMethod="weak-wolfe", MaxNumLineSearchIterations=20,
    ...                        GradientTolerance=1e-6, StepTolerance=0.0)
    >>> theta = np.array([3.0, -2.0]); grad = np.empty(2)
    >>> def evaluate():                       # f(x) = x1^2 + 10 x2^2
    ...     grad[:] = [2 * theta[0], 20 * theta[1]]
    ...     return theta[0] ** 2 + 10 * theta[1] ** 2, None
    >>> run = SimpleNamespace(theta=theta, grad=grad, refresh=lambda: None)
    >>> solver = LBFGS(opts, theta)
    >>> for _ in range(30):
    ...     stop = solver.iterate(run, evaluate)[2]
    ...     if stop: break
    >>> stop, bool(np.abs(theta).max() < 1e-6)
    ('Met gradient tolerance.', True)
    """

    full_batch = True
    name = "lbfgs"

    def __init__(self, options, theta):
        xp = get_xp(theta)
        self.xp = xp
        self.opts = options
        self.history = []                 # (s, y, 1 / s'y), oldest first
        self.scale = float(options.InitialInverseHessianFactor)
        self.x = xp.empty_like(theta)     # the current point, its gradient, the direction
        self.g = xp.empty_like(theta)
        self.p = xp.empty_like(theta)
        self.f = self.metric = None
        self.GradientNorm = self.StepNorm = math.nan
        self.evaluations = 0

    def _dot(self, a, b):
        return host_scalars(self.xp.dot(a, b))[0]

    def direction(self):
        """p = -H g (two-loop recursion) into ``self.p``."""
        p = self.p
        p[...] = self.g
        alphas = []
        for s, y, rho in reversed(self.history):
            a = rho * self._dot(s, p)
            alphas.append(a)
            p -= a * y
        p *= self.scale
        for (s, y, rho), a in zip(self.history, reversed(alphas)):
            b = rho * self._dot(y, p)
            p += (a - b) * s
        p *= -1

    def iterate(self, run, evaluate):
        """One iteration; returns (loss, metric, stop reason or None) at the new point."""
        xp, theta, grad = self.xp, run.theta, run.grad
        if self.f is None:                # the starting point: its loss and gradient
            self.f, self.metric = evaluate()
            self.evaluations += 1
            xp.copyto(self.x, theta)
            xp.copyto(self.g, grad)
        self.direction()
        d0 = self._dot(self.g, self.p)
        if not d0 < 0:                    # not a descent direction: restart from -g
            self.history.clear()
            xp.multiply(self.g, -self.scale, out=self.p)
            d0 = self._dot(self.g, self.p)

        def phi(a):
            xp.multiply(self.p, a, out=theta)
            xp.add(theta, self.x, out=theta)
            run.refresh()
            f, metric = evaluate()
            self.evaluations += 1
            return f, metric, self._dot(grad, self.p)

        found = _SEARCHES[self.opts.LineSearchMethod](
            phi, self.f, d0, self.opts.MaxNumLineSearchIterations)
        if found is None:                 # back to the last accepted point
            theta[...] = self.x
            grad[...] = self.g
            run.refresh()
            self.StepNorm = 0.0
            return self.f, self.metric, "Line search failed."
        a, f, metric = found
        s = theta - self.x
        y = grad - self.g
        sy, yy, ss, gg = (self._dot(s, y), self._dot(y, y), self._dot(s, s),
                          self._dot(grad, grad))
        if sy > MIN_CURVATURE:
            self.history.append((s, y, 1.0 / sy))
            if len(self.history) > self.opts.HistorySize:
                self.history.pop(0)
            self.scale = sy / yy
        xp.copyto(self.x, theta)
        xp.copyto(self.g, grad)
        self.f, self.metric = f, metric
        self.GradientNorm, self.StepNorm = math.sqrt(gg), math.sqrt(ss)
        stop = None
        if self.GradientNorm <= self.opts.GradientTolerance:
            stop = "Met gradient tolerance."
        elif self.StepNorm <= self.opts.StepTolerance:
            stop = "Met step tolerance."
        return f, metric, stop


def _armijo(f, f0, a, d0):
    return math.isfinite(f) and f <= f0 + C1 * a * d0


def _decrease(f, f0, a, d0, d):
    """Sufficient decrease, or Hager & Zhang's approximate form of it where the loss
    change is lost in the single-precision noise: f within EPS_F |f0| of f0 and the slope
    no larger than (1 - 2 c1) |g0'p|. Near an optimum the float32 loss cannot resolve the
    decrease (about ||g||^2 / H) while its gradient still can; without this the search
    stops about sqrt(eps f H) away from it."""
    return _armijo(f, f0, a, d0) or (math.isfinite(f) and f <= f0 + EPS_F * abs(f0)
                                     and d <= (2 * C1 - 1) * d0)


def weak_wolfe(phi, f0, d0, max_evals):
    """Bracketing bisection for the weak Wolfe conditions; (step, f, metric) or None."""
    lo, hi, a = 0.0, math.inf, 1.0
    for _ in range(max_evals):
        f, metric, d = phi(a)
        if not _decrease(f, f0, a, d0, d):
            hi = a
        elif d < C2 * d0:
            lo = a
        else:
            return a, f, metric
        a = 0.5 * (lo + hi) if hi < math.inf else 2.0 * lo
    return None


def backtracking(phi, f0, d0, max_evals):
    """Halve the step until the sufficient decrease holds; (step, f, metric) or None."""
    a = 1.0
    for _ in range(max_evals):
        f, metric, d = phi(a)
        if _decrease(f, f0, a, d0, d):
            return a, f, metric
        a *= 0.5
    return None


def _cubic_min(a1, f1, d1, a2, f2, d2):
    """Minimiser of the cubic through (a1, f1, d1), (a2, f2, d2), kept inside the interval
    away from its ends; the midpoint when the cubic has none."""
    lo, hi = min(a1, a2), max(a1, a2)
    margin = 0.1 * (hi - lo)
    try:
        t1 = d1 + d2 - 3 * (f1 - f2) / (a1 - a2)
        disc = t1 * t1 - d1 * d2
        if disc >= 0 and a1 != a2:
            t2 = math.copysign(math.sqrt(disc), a2 - a1)
            a = a2 - (a2 - a1) * (d2 + t2 - t1) / (d2 - d1 + 2 * t2)
            if math.isfinite(a):
                return min(max(a, lo + margin), hi - margin)
    except (ZeroDivisionError, OverflowError):
        pass
    return 0.5 * (lo + hi)


def strong_wolfe(phi, f0, d0, max_evals):
    """Nocedal & Wright Algorithms 3.5 and 3.6; (step, f, metric) or None."""
    evals = 0
    a_prev, f_prev, d_prev = 0.0, f0, d0
    a = 1.0

    def zoom(lo, hi, evals):
        (a_lo, f_lo, d_lo), (a_hi, f_hi, d_hi) = lo, hi
        while evals < max_evals:
            if not math.isfinite(f_hi):
                a = 0.5 * (a_lo + a_hi)
            else:
                a = _cubic_min(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
            f, metric, d = phi(a)
            evals += 1
            if not _decrease(f, f0, a, d0, d) or (f >= f_lo and not abs(d) <= -C2 * d0):
                a_hi, f_hi, d_hi = a, f, d
            else:
                if abs(d) <= -C2 * d0:
                    return a, f, metric
                if d * (a_hi - a_lo) >= 0:
                    a_hi, f_hi, d_hi = a_lo, f_lo, d_lo
                a_lo, f_lo, d_lo = a, f, d
        return None

    while evals < max_evals:
        f, metric, d = phi(a)
        evals += 1
        if not _decrease(f, f0, a, d0, d) or (evals > 1 and f >= f_prev):
            return zoom((a_prev, f_prev, d_prev), (a, f, d), evals)
        if abs(d) <= -C2 * d0:
            return a, f, metric
        if d >= 0:
            return zoom((a, f, d), (a_prev, f_prev, d_prev), evals)
        a_prev, f_prev, d_prev = a, f, d
        a *= 2.0
    return None


_SEARCHES = {"weak-wolfe": weak_wolfe, "strong-wolfe": strong_wolfe,
             "backtracking": backtracking}

__all__ = ["LBFGS", "weak_wolfe", "strong_wolfe", "backtracking"]
