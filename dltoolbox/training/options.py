"""trainingOptions: validated, displayable training options (reference §13.1-§13.2)."""

import numpy as np

from .._display import matlab_value, property_block, size_text
from .._nameval import Option, options_table, parse_name_value
from .._validate import (
    check_function_or_empty,
    check_logical,
    check_one_of,
    check_positive_integer,
    check_scalar,
    check_text,
    describe,
)
from ..categorical import Categorical
from ..errors import raise_error
from ..metrics import METRIC_OBJECTS, Metric
from ..sequences import SEQUENCE_OPTIONS

_SOLVERS = {"sgdm": "TrainingOptionsSGDM", "adam": "TrainingOptionsADAM",
            "rmsprop": "TrainingOptionsRMSProp", "lbfgs": "TrainingOptionsLBFGS"}
STOCHASTIC = ("sgdm", "adam", "rmsprop")

# Options that only some solvers have, with per-solver defaults.
_SOLVER_OPTIONS = {
    "sgdm": {"Momentum": 0.9, "InitialLearnRate": 0.01},
    "adam": {"GradientDecayFactor": 0.9, "SquaredGradientDecayFactor": 0.999,
             "Epsilon": 1e-8, "InitialLearnRate": 0.001},
    "rmsprop": {"SquaredGradientDecayFactor": 0.9, "Epsilon": 1e-8,
                "InitialLearnRate": 0.001},
    # reference r2 §2.1: names verified, defaults UNCONFIRMED (1000, 1e-5, 1e-5, 10,
    # "weak-wolfe"); MaxNumLineSearchIterations 20 and InitialInverseHessianFactor 1 as
    # MATLAB's lbfgsState / lbfgsupdate pages (see training/lbfgs.py)
    "lbfgs": {"MaxIterations": 1000, "LineSearchMethod": "weak-wolfe",
              "MaxNumLineSearchIterations": 20, "GradientTolerance": 1e-5,
              "StepTolerance": 1e-5, "HistorySize": 10, "InitialInverseHessianFactor": 1.0},
}
_SOLVER_SPECIFIC = frozenset(n for own in _SOLVER_OPTIONS.values() for n in own)
# options of the stochastic solvers only: the full-batch L-BFGS solver has no learning
# rate, epochs, mini-batches, shuffling, L2 or clipping (TrainingOptionsLBFGS)
STOCHASTIC_ONLY = ("InitialLearnRate", "LearnRateSchedule", "LearnRateDropFactor",
                   "LearnRateDropPeriod", "L2Regularization", "GradientThresholdMethod",
                   "GradientThreshold", "MaxEpochs", "MiniBatchSize", "Shuffle",
                   "CheckpointFrequencyUnit", "WorkerLoad", "DispatchInBackground",
                   "PreprocessingEnvironment")


def _check_environment(value, func, name):
    return check_one_of("auto", "cpu", "gpu", "multi-gpu", "parallel")(value, func, name)


def _check_worker_load(value, func, name):
    """WorkerLoad: [] (equal shares), a scalar (fraction or number of workers per machine)
    or one nonnegative load per worker (training/parallel.py split_load)."""
    if value is None or (hasattr(value, "__len__") and len(value) == 0):
        return None
    try:
        w = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        w = None
    if w is None or w.ndim > 2 or (w.ndim == 2 and 1 not in w.shape) or \
            not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise_error(func, "InvalidWorkerLoad",
                    f"Invalid value for 'WorkerLoad'. Expected [], a scalar (a fraction in "
                    f"[0, 1) or a positive integer: the workers per machine) or a vector of "
                    f"nonnegative loads, one per worker, not all zero; got {describe(value)}.")
    if w.size == 1:
        v = float(w.ravel()[0])
        if v >= 1 and v != int(v):
            raise_error(func, "InvalidWorkerLoad",
                        f"A scalar 'WorkerLoad' must be a fraction in [0, 1) or a positive "
                        f"integer, got {v:g}.")
        return v
    return tuple(float(x) for x in w.ravel())


def _check_validation_data(value, func, name):
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return None
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(value)
    raise_error(func, "InvalidValidationData",
                f"Invalid value for 'ValidationData'. Expected a pair (XValidation, "
                f"YValidation), got {describe(value)}.", "type")


def _check_path(value, func, name):
    return check_text(value, func, name)


_SCHEDULES = ("none", "piecewise", "warmup", "polynomial", "exponential", "cosine",
              "cyclical")
# options that only trainnet uses (reference r2 §2.3); trainNetwork rejects them
TRAINNET_ONLY = ("Metrics", "ObjectiveMetricName", "InputDataFormats", "TargetDataFormats")
# in the R2024a-era display only (reference r2 §2.2)
_NEW_ERA_ONLY = TRAINNET_ONLY + ("PreprocessingEnvironment", "Acceleration")
# what the legacy display shows for an "auto" nobody gave (legacy reference §13.2)
LEGACY_DEFAULTS = {"OutputNetwork": "last-iteration", "BatchNormalizationStatistics": "population"}


def _check_schedule(value, func, name):
    if isinstance(value, str):
        return check_one_of(*_SCHEDULES)(value, func, name)
    if hasattr(value, "rate_factor") or callable(value):
        return value                   # a schedule object (schedules.py) or a function
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "rate_factor")
                                                          for v in value):
        return tuple(value)
    raise_error(func, f"Invalid{name}",
                f"Invalid value for '{name}'. Expected one of {', '.join(_SCHEDULES)}, a "
                f"schedule object (warmupLearnRate, ...) or an array of them, got "
                f"{describe(value)}.", "type")


def _check_metrics(value, func, name):
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, str):
            key = item.lower()
            if key not in METRIC_OBJECTS:
                raise_error(func, "InvalidMetrics",
                            f"Unknown metric '{item}'. Metrics must be among "
                            f"{', '.join(METRIC_OBJECTS)}, metric objects (accuracyMetric, "
                            f"...) or function handles.")
            out.append(key)
        elif isinstance(item, Metric) or callable(item):
            out.append(item)
        else:
            raise_error(func, "InvalidMetrics",
                        f"Metrics must be metric names, metric objects or function handles, "
                        f"got {describe(item)}.", "type")
    return tuple(out)


def _check_formats(value, func, name):
    if isinstance(value, str):
        fmt = value.upper()
        if fmt == "AUTO":
            return "auto"
        if fmt and not set(fmt) - set("SCBTU") and len(set(fmt)) == len(fmt) and "C" in fmt:
            return fmt
    raise_error(func, f"Invalid{name}",
                f"Invalid value for '{name}'. Expected \"auto\" or a format such as \"TCB\" "
                f"or \"CTB\" (letters S, C, B, T, U once each, C required), got "
                f"{describe(value)}.")


_OPTIONS = options_table(
    Option("Momentum", 0.9, check_scalar(0, 1)),
    Option("GradientDecayFactor", 0.9, check_scalar(0, 1, hi_open=True)),
    Option("SquaredGradientDecayFactor", 0.999, check_scalar(0, 1, hi_open=True)),
    Option("Epsilon", 1e-8, check_scalar(0, lo_open=True)),
    Option("InitialLearnRate", 0.01, check_scalar(0, lo_open=True)),
    Option("LearnRateSchedule", "none", _check_schedule),
    Option("LearnRateDropFactor", 0.1, check_scalar(0, 1)),
    Option("LearnRateDropPeriod", 10, check_positive_integer()),
    Option("L2Regularization", 1e-4, check_scalar(0)),
    Option("GradientThresholdMethod", "l2norm",
           check_one_of("l2norm", "global-l2norm", "absolute-value")),
    Option("GradientThreshold", np.inf, check_scalar(0, lo_open=True, allow_inf=True)),
    Option("MaxEpochs", 30, check_positive_integer()),
    Option("MiniBatchSize", 128, check_positive_integer()),
    Option("Verbose", True, check_logical),
    Option("VerboseFrequency", 50, check_positive_integer()),
    Option("ValidationData", None, _check_validation_data),
    Option("ValidationFrequency", 50, check_positive_integer()),
    Option("ValidationPatience", np.inf, check_positive_integer(allow_inf=True)),
    Option("Shuffle", "once", check_one_of("once", "never", "every-epoch")),
    Option("CheckpointPath", "", _check_path),
    Option("CheckpointFrequency", 1, check_positive_integer()),
    Option("CheckpointFrequencyUnit", "epoch", check_one_of("epoch", "iteration")),
    Option("ExecutionEnvironment", "auto", _check_environment),
    Option("WorkerLoad", None, _check_worker_load),
    Option("OutputFcn", None, check_function_or_empty),
    Option("Plots", "none", check_one_of("none", "training-progress")),
    *SEQUENCE_OPTIONS,
    Option("DispatchInBackground", False, check_logical),
    Option("PreprocessingEnvironment", "serial", check_one_of("serial", "background")),
    Option("ResetInputNormalization", True, check_logical),
    # "auto" until given: trainNetwork reads it as its own default ('population',
    # 'last-iteration'), trainnet as r2 §2.3 says (best-validation with ValidationData)
    Option("BatchNormalizationStatistics", "auto",
           check_one_of("auto", "population", "moving")),
    Option("OutputNetwork", "auto",
           check_one_of("last-iteration", "best-validation-loss", "auto", "best-validation")),
    Option("Metrics", None, _check_metrics),
    Option("ObjectiveMetricName", "loss", check_text),
    Option("InputDataFormats", "auto", _check_formats),
    Option("TargetDataFormats", "auto", _check_formats),
    Option("Acceleration", "auto", check_one_of("auto", "none")),
    Option("MaxIterations", 1000, check_positive_integer()),
    Option("LineSearchMethod", "weak-wolfe",
           check_one_of("weak-wolfe", "strong-wolfe", "backtracking")),
    Option("MaxNumLineSearchIterations", 20, check_positive_integer()),
    Option("GradientTolerance", 1e-5, check_scalar(0)),
    Option("StepTolerance", 1e-5, check_scalar(0)),
    Option("HistorySize", 10, check_positive_integer()),
    Option("InitialInverseHessianFactor", 1.0, check_scalar(0, lo_open=True)),
)

# the legacy display (reference §13.2, verified R2022 order): the solver's own options,
# then these
_COMMON_ORDER = [o.name for o in _OPTIONS.values()
                 if o.name not in _NEW_ERA_ONLY and o.name not in _SOLVER_SPECIFIC]
# MATLAB's display puts SequencePaddingValue before SequencePaddingDirection.
_i = _COMMON_ORDER.index("SequencePaddingDirection")
_COMMON_ORDER[_i:_i + 2] = ["SequencePaddingValue", "SequencePaddingDirection"]

# the R2024a-era display (reference r2 §2.2, verified for 'sgdm'): the solver's own
# options but InitialLearnRate (Momentum; GradientDecayFactor, SquaredGradientDecayFactor,
# Epsilon - UNCONFIRMED for adam/rmsprop; L-BFGS's seven), then these (those the solver has)
_NEW_ORDER = [
    "InitialLearnRate", "MaxEpochs", "LearnRateSchedule", "LearnRateDropFactor",
    "LearnRateDropPeriod", "MiniBatchSize", "Shuffle", "CheckpointFrequency",
    "CheckpointFrequencyUnit", "SequenceLength", "PreprocessingEnvironment",
    "L2Regularization", "GradientThresholdMethod", "GradientThreshold", "Verbose",
    "VerboseFrequency", "ValidationData", "ValidationFrequency", "ValidationPatience",
    "ObjectiveMetricName", "CheckpointPath", "ExecutionEnvironment", "OutputFcn", "Metrics",
    "Plots", "SequencePaddingValue", "SequencePaddingDirection", "InputDataFormats",
    "TargetDataFormats", "ResetInputNormalization", "BatchNormalizationStatistics",
    "OutputNetwork", "Acceleration"]
_STRING_VALUED = ("InputDataFormats", "TargetDataFormats", "Acceleration")

# Which display: "auto" (the R2024a-era one for options that only trainnet can use -
# solver 'lbfgs', an option or value only trainnet takes - else the legacy one, so that
# trainNetwork scripts print what they printed), "trainnet" or "legacy" (always that one).
DISPLAY_ERA = "auto"


class TrainingOptions:
    """Options for trainNetwork; the class name says the solver, as in MATLAB."""

    def __init__(self, solver, values):
        object.__setattr__(self, "SolverName", solver)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name):
        if name == "_given":
            return frozenset()
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"'{type(self).__name__}' has no option '{name}'")

    def __setattr__(self, name, value):
        opt = _OPTIONS.get(name.lower())
        if opt is None or opt.name not in self._values or opt.name != name:
            raise_error(self.class_name(), "UnknownProperty",
                        f"'{name}' is not an option of {self.class_name()}.")
        self._values[name] = opt.check(value, self.class_name(), name)
        object.__setattr__(self, "_given", self._given | {name})
        _sync_preprocessing(self._values, {name})

    def class_name(self):
        return _SOLVERS[self.SolverName]

    def trainnet_only(self):
        """True when these options carry anything only trainnet uses."""
        given, v = self._given, self._values
        return (self.SolverName not in STOCHASTIC
                or any(n in given for n in _NEW_ERA_ONLY)
                or (v["OutputNetwork"] in ("auto", "best-validation")
                    and "OutputNetwork" in given)
                or (v["BatchNormalizationStatistics"] == "auto"
                    and "BatchNormalizationStatistics" in given)
                or not (isinstance(v.get("LearnRateSchedule", "none"), str)
                        and v.get("LearnRateSchedule", "none") in ("none", "piecewise")))

    def display_rows(self):
        era = DISPLAY_ERA
        if era == "auto":
            era = "trainnet" if self.trainnet_only() else "legacy"
        own = list(_SOLVER_OPTIONS[self.SolverName])
        if era == "legacy":
            order = own + _COMMON_ORDER
        else:
            order = [n for n in own if n != "InitialLearnRate"] + _NEW_ORDER
        rows = []
        for name in (n for n in order if n in self._values):
            value = self._values[name]
            if name == "ValidationData" and value is not None:
                value = _ValidationSummary(value)
            elif name == "Metrics":
                value = _MetricsSummary(value)
            elif era == "legacy" and value == "auto" and name in LEGACY_DEFAULTS and \
                    name not in self._given:
                value = LEGACY_DEFAULTS[name]
            elif era == "trainnet" and name in _STRING_VALUED:
                value = _Quoted(value)
            rows.append((name, value))
        if era == "legacy":   # trainnet-only options appear once set
            rows += [(name, self._values[name]) for name in TRAINNET_ONLY
                     if name in self._given]
        return rows

    def __repr__(self):
        return property_block(self.class_name(), [(None, self.display_rows())], footer=False)

    __str__ = __repr__


def _sync_preprocessing(values, given):
    """PreprocessingEnvironment 'background' (R2024a) is DispatchInBackground true."""
    if "PreprocessingEnvironment" in given and "PreprocessingEnvironment" in values:
        values["DispatchInBackground"] = values["PreprocessingEnvironment"] == "background"
    elif "DispatchInBackground" in given and "PreprocessingEnvironment" in values:
        values["PreprocessingEnvironment"] = "background" if values["DispatchInBackground"] \
            else "serial"


class _Quoted:
    """A string-valued option, shown in double quotes."""

    def __init__(self, text):
        self.text = text

    def matlab_summary(self):
        return f'"{self.text}"'


class _MetricsSummary:
    """Metrics: [] when none; one name as a string; else the size of the array."""

    def __init__(self, metrics):
        self.metrics = metrics or ()

    def matlab_summary(self):
        m = self.metrics
        if not m:
            return "[]"
        if all(isinstance(x, str) for x in m):
            return f'"{m[0]}"' if len(m) == 1 else f"[{size_text((1, len(m)))} string]"
        if len(m) == 1 and isinstance(m[0], Metric):
            return f"[{size_text((1, 1))} {type(m[0]).__name__}]"
        return f"{{{size_text((1, len(m)))} cell}}"


class _ValidationSummary:
    def __init__(self, pair):
        self.pair = pair

    def matlab_summary(self):
        x, y = self.pair
        xs = f"{{{size_text((len(x), 1))} cell}}" if isinstance(x, list) else matlab_value(x)
        if isinstance(y, Categorical):
            ys = f"[{size_text((len(y), 1))} categorical]"
        elif isinstance(y, list):
            ys = f"{{{size_text((len(y), 1))} cell}}"
        else:
            ys = matlab_value(np.asarray(y))
        return f"{{{xs}  {ys}}}"


def trainingOptions(solverName, *args, **kwargs):  # noqa: N802, N803 - MATLAB name
    """Options for training a network (MATLAB ``trainingOptions``).

    ``solverName``: "sgdm", "adam", "rmsprop" (trainNetwork and trainnet) or "lbfgs"
    (full batch, trainnet only: MaxIterations, GradientTolerance, StepTolerance,
    LineSearchMethod, MaxNumLineSearchIterations, HistorySize,
    InitialInverseHessianFactor; training/lbfgs.py).

    >>> opts = trainingOptions('adam', 'MaxEpochs', 50, MiniBatchSize=27)
    >>> opts.InitialLearnRate, opts.MaxEpochs, opts.MiniBatchSize
    (0.001, 50, 27)
    >>> type(trainingOptions('lbfgs', HistorySize=5)).__name__ == 'TrainingOptions'
    True
    >>> trainingOptions('lbfgs').class_name(), trainingOptions('lbfgs').LineSearchMethod
    ('TrainingOptionsLBFGS', 'weak-wolfe')
    """
    if isinstance(solverName, str) and solverName.lower() == "lm":
        raise_error("trainingOptions", "SolverNotSupported",
                    "The full-batch Levenberg-Marquardt solver 'lm' is not supported yet; use "
                    "'lbfgs' (full batch) or 'sgdm', 'adam', 'rmsprop'.")
    solver = check_one_of(*_SOLVERS)(solverName, "trainingOptions", "solverName")
    given = parse_name_value("trainingOptions", args, kwargs, _OPTIONS, defaults=False)
    own = _SOLVER_OPTIONS[solver]
    for name in given:
        if (name in _SOLVER_SPECIFIC and name not in own) or \
                (solver == "lbfgs" and name in STOCHASTIC_ONLY):
            users = [s for s, o in _SOLVER_OPTIONS.items() if name in o] or list(STOCHASTIC)
            raise_error("trainingOptions", "InvalidOptionForSolver",
                        f"'{name}' is not an option of solver '{solver}'; it belongs to "
                        f"{' and '.join(repr(u) for u in users)}.")
    values = {o.name: o.default for o in _OPTIONS.values()
              if o.name not in _SOLVER_SPECIFIC and
              not (solver == "lbfgs" and o.name in STOCHASTIC_ONLY)}
    values.update(own)
    values.update(given)
    _sync_preprocessing(values, given)
    if values["OutputNetwork"] == "best-validation-loss" and values["ValidationData"] is None:
        raise_error("trainingOptions", "OutputNetworkNeedsValidation",
                    "OutputNetwork 'best-validation-loss' needs ValidationData.")
    opts = TrainingOptions(solver, values)
    object.__setattr__(opts, "_given", frozenset(given))
    return opts


def check_legacy_options(opts, func):
    """trainNetwork takes no trainnet-only option or value (reference r2 §2.3)."""
    if opts.SolverName not in STOCHASTIC:
        raise_error(func, "SolverNotSupported",
                    f"The full-batch solver '{opts.SolverName}' applies only to trainnet; "
                    f"{func} takes 'sgdm', 'adam' or 'rmsprop'.")
    for name in TRAINNET_ONLY:
        if name in getattr(opts, "_given", ()):
            raise_error(func, f"{name}NotSupported",
                        f"The option '{name}' applies only to trainnet; trainNetwork reports "
                        f"accuracy or RMSE by itself. Remove it or train with trainnet.")
    if opts.OutputNetwork == "best-validation" or (
            opts.OutputNetwork == "auto" and "OutputNetwork" in opts._given):
        raise_error(func, "OutputNetworkNotSupported",
                    f"OutputNetwork '{opts.OutputNetwork}' applies only to trainnet; "
                    f"trainNetwork takes 'last-iteration' or 'best-validation-loss'.")
    if not (isinstance(opts.LearnRateSchedule, str) and
            opts.LearnRateSchedule in ("none", "piecewise")):
        raise_error(func, "LearnRateScheduleNotSupported",
                    "trainNetwork takes LearnRateSchedule 'none' or 'piecewise'; the other "
                    "schedules apply only to trainnet.")
