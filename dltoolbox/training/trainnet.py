"""trainnet: MATLAB's current training function (reference r2 §2-§4), on trainNetwork's
engine (loop.py ``run_engine``, ``_Run``'s flat buffers and ``Solver``, ``_schedule``).

What differs from trainNetwork is the front and the back: data are time by channel, the
network is a dlnetwork (or layers) without an output layer, the loss is an argument,
metrics are chosen, the learning-rate schedule may be any of MATLAB's, and the report is
the plain verbose table of §4 with a TrainingInfo object.
"""

import sys
import time

import numpy as np

from .. import sequences as seqmod
from .._display import property_block
from ..backend import resolve_environment
from ..categorical import Categorical, categorical
from ..dlnetwork import _initialize_in_place, dlnetwork
from ..errors import raise_error
from ..inference import predict_batches, read_sequences, target_matrix
from ..layers import classificationLayer, regressionLayer
from ..metrics import loss_function, metric_table
from ..network import outputs
from ..table import Table
from . import parallel, progress
from .loop import _batch_targets, _Run, _schedule, prepare_targets, run_engine
from .options import TrainingOptions
from .schedules import rate_function
from .statistics import population_statistics


class TrainingInfo:
    """What ``[net, info] = trainnet(...)`` returns (reference r2 §3.4): TrainingHistory
    and ValidationHistory tables, StopReason, OutputNetworkIteration."""

    def __init__(self, training, validation, stop_reason, iteration):
        self.TrainingHistory = training
        self.ValidationHistory = validation
        self.StopReason = stop_reason
        self.OutputNetworkIteration = iteration

    def __repr__(self):
        rows = [("TrainingHistory", self.TrainingHistory),
                ("ValidationHistory", self.ValidationHistory),
                ("OutputNetworkIteration", self.OutputNetworkIteration),
                ("StopReason", _Quoted(self.StopReason))]
        return property_block("TrainingInfo", [(None, rows)], footer=False)

    __str__ = __repr__


class _Quoted:
    def __init__(self, text):
        self.text = text

    def matlab_summary(self):
        return f'"{self.text}"'


# -- the verbose table (§4) -------------------------------------------------------------
def format_value(x):
    """``%.5g`` of the single-precision value; blank for a missing one."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    x = float(np.float32(x))
    if np.isinf(x):
        return "Inf" if x > 0 else "-Inf"
    return f"{x:.5g}"


def table_lines(columns):
    """Header and underline of the verbose table for ``columns`` (header texts)."""
    return ("".join(f"    {c}" for c in columns),
            "".join(f"    {'_' * len(c)}" for c in columns))


def table_row(columns, cells):
    """One data row: each cell right-justified in 4 + len(header) characters."""
    return "".join(f"{c:>{4 + len(h)}}" for h, c in zip(columns, cells))


class _NetReport:
    """trainnet's report: the §4 table, TrainingInfo histories, OutputFcn, live plot.

    Stochastic solvers report Iteration, Epoch, TimeElapsed, LearnRate, TrainingLoss;
    L-BFGS (``solver.full_batch``) Iteration, TimeElapsed, TrainingLoss, GradientNorm,
    StepNorm (§4.2); then ValidationLoss and each metric's Training/Validation pair.
    """

    def __init__(self, opts, metrics, has_val, stream, start, solver=None):
        self.opts, self.metrics, self.has_val, self.stream = opts, metrics, has_val, stream
        self.solver = solver if getattr(solver, "full_batch", False) else None
        if self.solver is None:
            self.columns = ["Iteration", "Epoch", "TimeElapsed", "LearnRate", "TrainingLoss"]
            keys = ["Iteration", "Epoch", "LearnRate", "Loss"]
        else:
            self.columns = ["Iteration", "TimeElapsed", "TrainingLoss", "GradientNorm",
                            "StepNorm"]
            keys = ["Iteration", "Loss", "GradientNorm", "StepNorm"]
        if has_val:
            self.columns.append("ValidationLoss")
        for name, _, _ in metrics:
            self.columns.append(f"Training{name}")
            if has_val:
                self.columns.append(f"Validation{name}")
        self.train = {k: [] for k in keys + [m[0] for m in metrics]}
        self.val = {k: [] for k in ["Iteration", "Loss"] + [m[0] for m in metrics]}
        fcn = opts.OutputFcn
        self.fcns = [] if fcn is None else (fcn if isinstance(fcn, list) else [fcn])
        self.start = start
        self.pending = None
        # the plot's series, one value per iteration (validation NaN where none ran)
        self.series = progress.Struct(TrainingLoss=[], ValidationLoss=[])
        for name, _, _ in metrics:
            self.series[f"Training{name}"] = []
            self.series[f"Validation{name}"] = []
        self.plot = None
        if opts.Plots == "training-progress":
            panels = [("Loss", "TrainingLoss", "ValidationLoss")] + [
                (f"{name} (%)" if name == "Accuracy" else name, f"Training{name}",
                 f"Validation{name}") for name, _, _ in metrics]
            self.plot = progress.ProgressPlot(panels, stream, "trainnet")

    def _norms(self):
        if self.solver is None:
            return None, None
        return self.solver.GradientNorm, self.solver.StepNorm

    def begin(self, validate, rate):
        if self.opts.Verbose:
            for line in table_lines(self.columns):
                print(line, file=self.stream)
        if validate is not None:         # the iteration-0 row (newer releases, §4.4)
            _, vl, vm = validate()
            self._store_validation(0, vl, vm)
            self._print(self._cells(0, 0, rate, None, None, vl, vm, (None, None)))
        self._call("start", 0, 0, np.nan, {}, rate)

    def _store_validation(self, iteration, vl, vm):
        self.val["Iteration"].append(iteration)
        self.val["Loss"].append(vl)
        for name, _, _ in self.metrics:
            self.val[name].append(vm.get(name, np.nan))

    def _cells(self, iteration, epoch, rate, loss, tm, vl, vm, norms):
        values = {"Iteration": str(iteration), "Epoch": str(epoch),
                  "TimeElapsed": progress.format_time(time.perf_counter() - self.start),
                  "LearnRate": format_value(rate), "TrainingLoss": format_value(loss),
                  "GradientNorm": format_value(norms[0]), "StepNorm": format_value(norms[1]),
                  "ValidationLoss": format_value(vl)}
        for name, _, _ in self.metrics:
            values[f"Training{name}"] = format_value((tm or {}).get(name))
            values[f"Validation{name}"] = format_value((vm or {}).get(name))
        return values

    def _print(self, values):
        if self.opts.Verbose:
            print(table_row(self.columns, [values[c] for c in self.columns]),
                  file=self.stream)

    def _call(self, state, epoch, iteration, loss, tm, rate, vl=np.nan, vm=None,
              norms=(np.nan, np.nan)):
        if not self.fcns:
            return False
        fields = progress.Struct(Iteration=iteration,
                                 TimeElapsed=time.perf_counter() - self.start)
        if self.solver is None:
            fields.update(Epoch=epoch, LearnRate=rate)
        fields.update(TrainingLoss=loss, ValidationLoss=vl)
        if self.solver is not None:
            fields.update(GradientNorm=norms[0], StepNorm=norms[1])
        fields.State = state
        for name, _, _ in self.metrics:
            fields[f"Training{name}"] = tm.get(name, np.nan)
            fields[f"Validation{name}"] = (vm or {}).get(name, np.nan)
        return any(bool(f(fields)) for f in self.fcns)

    def record(self, epoch, iteration, loss, tm, rate, validation):
        norms = self._norms()
        if self.solver is None:
            row = (("Iteration", iteration), ("Epoch", epoch), ("LearnRate", rate),
                   ("Loss", loss))
        else:
            row = (("Iteration", iteration), ("Loss", loss), ("GradientNorm", norms[0]),
                   ("StepNorm", norms[1]))
        for key, value in row:
            self.train[key].append(value)
        for name, _, _ in self.metrics:
            self.train[name].append(tm.get(name, np.nan))
        vl, vm = (validation[1], validation[2]) if validation else (np.nan, {})
        if validation is not None:
            self._store_validation(iteration, vl, vm)
        self.series.TrainingLoss.append(loss)
        self.series.ValidationLoss.append(vl)
        for name, _, _ in self.metrics:
            self.series[f"Training{name}"].append(tm.get(name, np.nan))
            self.series[f"Validation{name}"].append(vm.get(name, np.nan))
        self._flush()
        # the engine reads pending[-1]: was this iteration validated?
        self.pending = [iteration, epoch, rate, loss, tm, validation, norms,
                        validation is not None]
        if self.plot is not None:
            self.plot.update(self.series)
        return self._call("iteration", epoch, iteration, loss, tm, rate,
                          *(validation[1:] if validation else (np.nan, None)), norms=norms)

    def set_last_validation(self, objective, vl, vm):
        self._store_validation(self.pending[0], vl, vm)
        self.series.ValidationLoss[-1] = vl
        for name, _, _ in self.metrics:
            self.series[f"Validation{name}"][-1] = vm.get(name, np.nan)
        self.pending[5], self.pending[7] = (objective, vl, vm), True

    def _flush(self, final=False):
        if self.pending is None:
            return
        it, epoch, rate, loss, tm, val, norms, validated = self.pending
        if final or it == 1 or it % self.opts.VerboseFrequency == 0 or validated:
            vl, vm = (val[1], val[2]) if val else (None, None)
            self._print(self._cells(it, epoch, rate, loss, tm, vl, vm, norms))
        self.pending = None

    def finish(self, stop_reason, epoch, iteration):
        self._flush(final=True)
        if self.opts.Verbose:
            print(f"Training stopped: {stop_text(stop_reason)}", file=self.stream)
        if self.plot is not None:
            self.plot.update(self.series, final=True)
        self._call("done", epoch, iteration, np.nan, {}, np.nan)


# -- the front end ----------------------------------------------------------------------
_STOP_REASONS = {"Max epochs completed.": "Max epochs completed",
                 "Met validation criterion.": "Met validation criterion",
                 "Stopped by OutputFcn.": "Stopped by OutputFcn",
                 "Training loss is NaN or Inf.": "Training loss is NaN or Inf"}


def stop_text(reason):
    """trainnet's StopReason for the engine's (trainNetwork's) wording: no period."""
    return _STOP_REASONS.get(reason, reason.rstrip("."))


def _network(net, func):
    if isinstance(net, dlnetwork):
        if net._graph is None:
            graph = net._pending.to_graph(func)
            return net.with_graph(graph.with_layers([x.copy() for x in graph.layers]), False)
        return net.with_graph(net._graph.with_layers([x.copy() for x in net._graph.layers]),
                              net.Initialized)
    if isinstance(net, (list, tuple)) or hasattr(net, "to_graph") or hasattr(net, "forward"):
        return dlnetwork(net, Initialize=False)
    raise_error(func, "InvalidNetwork",
                f"net must be a dlnetwork or a layer array, got {type(net).__name__}.", "type")


def _targets(T, seqs, graph, kind, fmt, k, func, arg="T"):
    """prepare_targets's description of trainnet's targets (time by channel)."""
    time_out = graph.keeps_time()
    if kind == "index":
        codes = np.asarray(T).ravel() if not isinstance(T, list) else None
        if codes is None or codes.dtype.kind not in "iuf" or (codes < 1).any() or \
                (codes > k).any() or (codes != np.round(codes)).any():
            raise_error(func, "InvalidTargets",
                        f"'index-crossentropy' needs integer class indices from 1 to {k} "
                        f"(one per sequence), got {type(T).__name__}.")
        T = Categorical(codes.astype(int) - 1, [str(i) for i in range(1, k + 1)])
        kind = "classification"
    head = classificationLayer() if kind == "classification" else regressionLayer()
    if kind == "regression" and time_out:
        parts = T if isinstance(T, list) else [T]
        letters = "TC" if fmt == "auto" else fmt.replace("B", "")
        parts = [np.asarray(p, dtype=np.float64) for p in parts]
        parts = [p.reshape(-1, 1) if p.ndim == 1 else p for p in parts]
        T = [p.T if letters == "TC" else p for p in parts]
    elif kind == "classification" and time_out and isinstance(T, list):
        T = [t if isinstance(t, Categorical) else categorical(np.asarray(t).ravel())
             for t in T]
        T = [Categorical(t.codes.ravel(), t.categories, (1, len(t))) for t in T]
    layers = list(graph.layers) + [head]
    return prepare_targets(T, seqs, len(seqs) == 1 and not isinstance(T, list), layers,
                           func, arg)


def trainnet(X, T, net, lossFcn, options, *, nargout=1, stream=None):  # noqa: N803
    """Train a network (MATLAB ``trainnet``): ``net = trainnet(X, T, net, lossFcn,
    options)``; ``net, info = trainnet(..., nargout=2)``.

    X: a list of T_i-by-C sequences (or the layout of ``InputDataFormats``); T:
    categorical labels, N-by-R responses, a list of T_i-by-R responses or of categorical
    label sequences; net: a dlnetwork or a layer array without an output layer (not
    changed); lossFcn: "crossentropy", "index-crossentropy", "binary-crossentropy",
    "mse"/"mean-squared-error"/"l2loss", "mae"/"l1loss", "huber" or a handle returning
    (loss, dLdY); options: from trainingOptions with "sgdm", "adam", "rmsprop" or the
    full-batch "lbfgs" (training/lbfgs.py). Returns a dlnetwork. ExecutionEnvironment
    'parallel' / 'multi-gpu' trains data-parallel on MPI as trainNetwork does
    (docs/porting.md §17).

    >>> import numpy as np
    >>> from dltoolbox import *
    >>> rng(0)
    >>> X = [np.random.default_rng(i).standard_normal((5, 2)) for i in range(8)]
    >>> T = categorical(['a', 'b'] * 4)
    >>> layers = [sequenceInputLayer(2), lstmLayer(4, OutputMode='last'),
    ...           fullyConnectedLayer(2), softmaxLayer()]
    >>> opts = trainingOptions('adam', MaxEpochs=2, MiniBatchSize=4, Verbose=False)
    >>> net, info = trainnet(X, T, layers, "crossentropy", opts, nargout=2)
    >>> type(net).__name__, len(info.TrainingHistory), info.StopReason
    ('dlnetwork', 4, 'Max epochs completed')
    """
    func = "trainnet"
    start = time.perf_counter()
    stream = stream or sys.stdout
    if not isinstance(options, TrainingOptions):
        raise_error(func, "InvalidOptions", f"'options' must be created by trainingOptions, "
                    f"got {type(options).__name__}.", "type")
    opts = options
    loss_fn, kind, loss_name = loss_function(lossFcn, func)
    if callable(lossFcn) and not hasattr(lossFcn, "target_kind") and (
            isinstance(T, Categorical) or
            (isinstance(T, list) and T and isinstance(T[0], Categorical))):
        kind = "classification"     # a handle gets the labels one-hot, as in MATLAB
    net = _network(net, func)
    graph = net._graph
    metrics = metric_table(opts.Metrics, func,
                           [graph.layers[i].Name for i in graph.outputs] or None)
    objective = _objective(opts, metrics, func)
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise_error(func, "NotSupported", "trainnet supports networks with one input and one "
                    "output so far.")
    first = graph.layers[graph.inputs[0]]
    seqs, _ = read_sequences(X, opts.InputDataFormats, first.InputSize, func)
    seqmod.check_features(seqs, first.InputSize, func, first.Name, min_length=first.MinLength)
    seqmod.check_finite(seqs, func, "X")
    if first.needs_statistics(opts.ResetInputNormalization):
        first.compute_statistics(seqs)
    if not net.Initialized:
        _initialize_in_place(net, func)
    graph = net._graph
    k = graph.forward([seqmod.pad(seqs[:1], 1, "right", 0.0, np.float32)])[0][0].shape[-1]
    tg = _targets(T, seqs, graph, kind, opts.TargetDataFormats, k, func)
    if tg["size"] != k:
        raise_error(func, "OutputSizeMismatch",
                    f"The network outputs {k} channels (layer "
                    f"'{graph.layers[graph.outputs[0]].Name}') but the targets have "
                    f"{tg['size']} {'classes' if tg['kind'] == 'classification' else 'responses'}.")
    val = _validation(opts, first, graph, kind, k, tg, func)
    output_network = opts.OutputNetwork
    if output_network == "auto":
        output_network = "best-validation" if val is not None else "last-iteration"
    if output_network in ("best-validation", "best-validation-loss") and val is None:
        raise_error(func, "OutputNetworkNeedsValidation",
                    "OutputNetwork 'best-validation' needs ValidationData.")
    xp, _ = resolve_environment(opts.ExecutionEnvironment, func)
    full_batch = opts.SolverName == "lbfgs"
    if full_batch and not isinstance(opts.SequenceLength, str):
        raise_error(func, "SequenceLengthNotSupported",
                    f"The full-batch solver '{opts.SolverName}' evaluates the whole data set "
                    f"in one piece; SequenceLength must be 'longest' or 'shortest', got "
                    f"{opts.SequenceLength}.")
    par = None
    if opts.ExecutionEnvironment in parallel.ENVIRONMENTS:
        if full_batch:
            raise_error(func, "NotSupported",
                        f"The full-batch solver '{opts.SolverName}' does not train "
                        f"data-parallel yet; use ExecutionEnvironment 'auto', 'cpu' or "
                        f"'gpu', or a stochastic solver ('sgdm', 'adam', 'rmsprop').")
        par = parallel.begin(func, opts, (X, T, net, lossFcn, options))
        if not par.is_client:
            opts = parallel.quiet(opts)
    run = _Run(graph.layers, opts, xp, graph,
               extra=parallel.extra_size(graph.layers) if par else 0)
    if par is not None:
        par.network_of = lambda run: net.with_graph(graph.with_layers(run.host_layers()), True)
        par.share_network(run)
    rate_of = None if full_batch else rate_function(opts, len(seqs), func)

    def events():
        if full_batch:
            yield from _full_batch(opts, seqs, tg, xp)
            return
        iteration = 0
        for event in _schedule(opts, seqs, tg, xp, par):
            if event[0] == "chunk":
                iteration += 1
                event = (event[0], event[1], rate_of(event[1], iteration)) + event[3:]
            yield event

    def loss_of(Y, Tb):
        loss, dY = loss_fn(Y, Tb)
        train = {name: fn(_host(Y), _host(Tb)) for name, fn, _ in metrics}
        return loss, dY, train

    def predict(seqs):
        out, time_out = predict_batches(run.graph, seqs, _pred_opts(opts), func)
        return np.concatenate(out, axis=0) if time_out else out

    def validate():
        Y = predict(val[0]) if par is None else \
            par.split_predictions(predict, val[0], opts.MiniBatchSize)
        Tv = val[1]
        vl = loss_fn(Y.astype(np.float32), Tv.astype(np.float32))[0]
        vm = {name: fn(Y, Tv) for name, fn, _ in metrics}
        if objective is None:
            obj = vl
        else:
            obj = vm[objective[0]] * (-1 if objective[1] else 1)
        return obj, vl, vm

    report = _NetReport(opts, metrics, val is not None, stream, start, run.solver)
    report.begin(validate if val is not None else None,
                 None if full_batch else rate_of(1, 1))
    stop_reason, epoch, iteration, best, _ = run_engine(
        run, events(), loss_of, report, validate if val is not None else None, opts, func,
        tg["seq"], keep_best=output_network in ("best-validation", "best-validation-loss"),
        par=par)
    out_iteration = iteration
    if output_network != "last-iteration" and best[1] is not None:
        run.restore(best[1])
        out_iteration = best[2]
    if opts.BatchNormalizationStatistics in ("population", "auto") and graph.is_chain:
        population_statistics(run.layers, seqs, opts, xp)
    trained = net.with_graph(graph.with_layers(run.host_layers()), True)
    info = TrainingInfo(Table(list(report.train), list(report.train.values())),
                        Table(list(report.val), list(report.val.values())),
                        stop_text(stop_reason),
                        out_iteration)
    return outputs((trained, info), nargout, func)


def _full_batch(opts, seqs, tg, xp):
    """The events of a full-batch solver: the whole padded data set, MaxIterations times
    (the solver decides when to stop earlier)."""
    mode, direction = opts.SequenceLength, opts.SequencePaddingDirection
    s = seqmod.padded_length([q.shape[1] for q in seqs], mode)
    ids = np.arange(len(seqs))
    X = xp.asarray(seqmod.pad(seqs, s, direction, opts.SequencePaddingValue, np.float32, xp))
    T = xp.asarray(_batch_targets(tg, ids, s, direction, opts.SequencePaddingValue,
                                  np.float32))
    for _ in range(opts.MaxIterations):
        yield ("chunk", None, None, X, T, True)


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def _pred_opts(opts):
    # L-BFGS options have no MiniBatchSize: validation predicts in batches of 128
    return {"MiniBatchSize": getattr(opts, "MiniBatchSize", 128),
            "SequenceLength": opts.SequenceLength,
            "SequencePaddingDirection": opts.SequencePaddingDirection,
            "SequencePaddingValue": opts.SequencePaddingValue,
            "ExecutionEnvironment": opts.ExecutionEnvironment}


def _objective(opts, metrics, func):
    """None for the loss, else (metric column name, higher is better)."""
    name = opts.ObjectiveMetricName
    if name.lower() == "loss":
        return None
    for col, _, higher in metrics:
        if col.lower() == name.lower():
            return col, higher
    raise_error(func, "InvalidObjectiveMetricName",
                f"ObjectiveMetricName '{name}' must be 'loss' or one of the Metrics "
                f"({', '.join(m[0] for m in metrics) or 'none given'}).")


def _validation(opts, first, graph, kind, k, tg, func):
    """(C-by-T validation sequences, target rows) or None."""
    if opts.ValidationData is None:
        return None
    xv, tv = opts.ValidationData
    vseqs, _ = read_sequences(xv, opts.InputDataFormats, first.InputSize, func,
                              "ValidationData")
    seqmod.check_features(vseqs, first.InputSize, func, first.Name, "ValidationData",
                          first.MinLength)
    time_out = graph.keeps_time()
    if kind == "index":
        tv = Categorical(np.asarray(tv).astype(int).ravel() - 1,
                         [str(i) for i in range(1, k + 1)])
        kind = "classification"
    fmt = opts.TargetDataFormats
    if kind == "regression" and time_out and fmt != "auto" and \
            fmt.replace("B", "").index("C") == 0:
        tv = [np.asarray(p, dtype=np.float64).T for p in tv]     # R-by-T -> T-by-R
    lengths = [s.shape[1] for s in vseqs]
    rows = target_matrix(tv, len(vseqs), kind, k, time_out, func, lengths,
                         classes=tg.get("classes"))
    return vseqs, rows


__all__ = ["trainnet", "TrainingInfo", "format_value", "table_lines", "table_row"]
