"""Learning-rate schedules of trainnet (reference r2 §2.3): names and schedule objects.

A schedule object has ``rate_factor(step)`` (step from 1, counted in its FrequencyUnit,
"epoch" or "iteration") that multiplies InitialLearnRate. The string names use the
objects' defaults; an array of objects runs them one after the other, each for its
NumSteps (the last for the rest of training). Verified: the names "warmup" and "cosine",
the properties InitialFactor, FinalFactor, NumSteps, FrequencyUnit; the defaults and the
other formulas are UNCONFIRMED (the plausible reading below; see docs/porting.md).
"""

import math

from .._nameval import Option, options_table, parse_name_value
from .._validate import check_one_of, check_positive_integer, check_scalar
from ..errors import raise_error

_UNIT = Option("FrequencyUnit", "epoch", check_one_of("epoch", "iteration"))


class LearnRateSchedule:
    """Base class: MATLAB-named properties, ``rate_factor(step)``."""

    _func = ""
    _options = {}

    def __init__(self, *args, **kwargs):
        for name, value in parse_name_value(self._func, args, kwargs, self._options).items():
            setattr(self, name, value)

    def __repr__(self):
        body = "\n".join(f"{n:>20}: {getattr(self, n)!r}" for n in
                         (o.name for o in self._options.values()))
        return f"  {type(self).__name__} with properties:\n\n{body}\n"

    def rate_factor(self, step):
        raise NotImplementedError


class piecewiseLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """Drop by DropFactor every Period steps (as trainNetwork's 'piecewise').

    >>> piecewiseLearnRate(DropFactor=0.5, Period=2).rate_factor(3)
    0.5
    """

    _func = "piecewiseLearnRate"
    _options = options_table(Option("DropFactor", 0.1, check_scalar(0, 1)),
                             Option("Period", 10, check_positive_integer()),
                             Option("FrequencyUnit", "epoch", _UNIT.check))
    NumSteps = math.inf

    def rate_factor(self, step):
        return self.DropFactor ** ((step - 1) // self.Period)


class warmupLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """Linear ramp from InitialFactor to FinalFactor over NumSteps iterations.

    >>> s = warmupLearnRate()
    >>> [round(s.rate_factor(k), 3) for k in (1, 3, 5, 6)]
    [0.1, 0.55, 1.0, 1.0]
    """

    _func = "warmupLearnRate"
    _options = options_table(Option("InitialFactor", 0.1, check_scalar(0, lo_open=True)),
                             Option("FinalFactor", 1.0, check_scalar(0, lo_open=True)),
                             Option("NumSteps", 5, check_positive_integer()),
                             Option("FrequencyUnit", "iteration", _UNIT.check))

    def rate_factor(self, step):
        if self.NumSteps == 1:
            return self.FinalFactor
        t = min(step - 1, self.NumSteps - 1) / (self.NumSteps - 1)
        return self.InitialFactor + (self.FinalFactor - self.InitialFactor) * t


class polynomialLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """Polynomial decay from InitialFactor to FinalFactor over NumSteps, power Power.

    >>> polynomialLearnRate(NumSteps=4).rate_factor(3)
    0.5
    """

    _func = "polynomialLearnRate"
    _options = options_table(Option("InitialFactor", 1.0, check_scalar(0)),
                             Option("FinalFactor", 0.0, check_scalar(0)),
                             Option("Power", 1.0, check_scalar(0, lo_open=True)),
                             Option("NumSteps", 10, check_positive_integer()),
                             Option("FrequencyUnit", "epoch", _UNIT.check))

    def rate_factor(self, step):
        t = min(step - 1, self.NumSteps) / self.NumSteps
        return self.FinalFactor + (self.InitialFactor - self.FinalFactor) * (1 - t) ** self.Power


class exponentialLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """InitialFactor times DropFactor^((step-1)/Period).

    >>> exponentialLearnRate(DropFactor=0.5, Period=1).rate_factor(3)
    0.25
    """

    _func = "exponentialLearnRate"
    _options = options_table(Option("InitialFactor", 1.0, check_scalar(0, lo_open=True)),
                             Option("DropFactor", 0.9, check_scalar(0, 1, lo_open=True)),
                             Option("Period", 1, check_positive_integer()),
                             Option("NumSteps", math.inf, None),
                             Option("FrequencyUnit", "epoch", _UNIT.check))

    def rate_factor(self, step):
        return self.InitialFactor * self.DropFactor ** ((step - 1) / self.Period)


class cosineLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """Cosine from MaxFactor to MinFactor over Period steps, with warm restarts (the
    period grows by PeriodGrowthFactor after each).

    >>> s = cosineLearnRate(Period=4)
    >>> [round(s.rate_factor(k), 3) for k in (1, 3, 5)]
    [1.0, 0.5, 1.0]
    """

    _func = "cosineLearnRate"
    _options = options_table(Option("MaxFactor", 1.0, check_scalar(0, lo_open=True)),
                             Option("MinFactor", 0.0, check_scalar(0)),
                             Option("Period", 10, check_positive_integer()),
                             Option("PeriodGrowthFactor", 1.0, check_scalar(1)),
                             Option("NumSteps", math.inf, None),
                             Option("FrequencyUnit", "epoch", _UNIT.check))

    def rate_factor(self, step):
        t, period = step - 1, float(self.Period)
        while t >= period:
            t -= period
            period *= self.PeriodGrowthFactor
        return self.MinFactor + 0.5 * (self.MaxFactor - self.MinFactor) * \
            (1 + math.cos(math.pi * t / period))


class cyclicalLearnRate(LearnRateSchedule):  # noqa: N801 - MATLAB name
    """Triangular cycles between 1 and MaxFactor, Period steps each, rising for
    StepRatio of the period.

    >>> s = cyclicalLearnRate(MaxFactor=3, Period=4)
    >>> [s.rate_factor(k) for k in (1, 2, 3, 4, 5)]
    [1.0, 2.0, 3.0, 2.0, 1.0]
    """

    _func = "cyclicalLearnRate"
    _options = options_table(Option("MaxFactor", 10.0, check_scalar(0, lo_open=True)),
                             Option("Period", 10, check_positive_integer()),
                             Option("StepRatio", 0.5, check_scalar(0, 1, lo_open=True,
                                                                   hi_open=True)),
                             Option("NumSteps", math.inf, None),
                             Option("FrequencyUnit", "epoch", _UNIT.check))

    def rate_factor(self, step):
        t = ((step - 1) % self.Period) / self.Period
        up = self.StepRatio
        frac = t / up if t <= up else (1 - t) / (1 - up)
        return 1.0 + (self.MaxFactor - 1.0) * frac


_BY_NAME = {"piecewise": None, "warmup": warmupLearnRate, "polynomial": polynomialLearnRate,
            "exponential": exponentialLearnRate, "cosine": cosineLearnRate,
            "cyclical": cyclicalLearnRate}


def rate_function(opts, n_observations, func):
    """rate(epoch, iteration) for the options' InitialLearnRate and LearnRateSchedule."""
    base = opts.InitialLearnRate
    sched = opts.LearnRateSchedule
    if isinstance(sched, str):
        if sched == "none":
            return lambda epoch, iteration: base
        if sched == "piecewise":
            drop, period = opts.LearnRateDropFactor, opts.LearnRateDropPeriod
            return lambda epoch, iteration: base * drop ** ((epoch - 1) // period)
        sched = _BY_NAME[sched]()
    if callable(sched) and not isinstance(sched, LearnRateSchedule):
        def from_function(epoch, iteration):
            value = sched(base, epoch, iteration)
            return float(value)
        return from_function
    parts = list(sched) if isinstance(sched, tuple) else [sched]
    for p in parts:
        if not isinstance(p, LearnRateSchedule):
            raise_error(func, "InvalidLearnRateSchedule",
                        f"LearnRateSchedule objects must be created by warmupLearnRate, "
                        f"cosineLearnRate, ...; got {type(p).__name__}.", "type")

    def rate(epoch, iteration):
        offsets = {"epoch": 0, "iteration": 0}
        for k, p in enumerate(parts):
            step = (epoch if p.FrequencyUnit == "epoch" else iteration) - \
                offsets[p.FrequencyUnit]
            if step <= p.NumSteps or k == len(parts) - 1:
                return base * p.rate_factor(step)
            offsets[p.FrequencyUnit] += p.NumSteps
        return base
    return rate


__all__ = ["piecewiseLearnRate", "warmupLearnRate", "polynomialLearnRate",
           "exponentialLearnRate", "cosineLearnRate", "cyclicalLearnRate", "rate_function",
           "LearnRateSchedule"]
