"""trainNetwork: MATLAB's training loop for sequence networks (reference §13-§15).

Per iteration, in MATLAB's order: forward and loss on the mini-batch (or chunk), backward,
+ L2, clipping, solver step with the learnables' LearnRateFactor; the reported loss is the
one before the update, without L2. Mini-batches are consecutive blocks of the (shuffled)
order; the incomplete last one is dropped; an integer SequenceLength splits each
mini-batch into chunks, each an iteration, carrying the recurrent state across chunks.
"""

import math
import os
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import numpy as np

from .. import initializers
from .. import sequences as seqmod
from ..backend import gather, host_scalars, resolve_environment, to_host
from ..categorical import Categorical, categorical
from ..errors import DLToolboxError, as_called_from, raise_error
from ..graph import Graph
from ..io import check_checkpoint_path, write_checkpoint
from ..layers import ClassificationOutputLayer
from ..network import (
    SeriesNetwork,
    check_layer_array,
    infer,
    outputs,
    time_output,
)
from . import parallel, progress
from .lbfgs import LBFGS
from .options import TrainingOptions, check_legacy_options
from .solvers import Solver
from .statistics import population_statistics

EPS_SINGLE = float(np.finfo(np.float32).eps)


# -- targets ----------------------------------------------------------------------------
def _as_categorical(y, func="trainNetwork", arg="Y"):
    """Labels as a Categorical; None when ``y`` holds no labels; a named error for a
    matrix of labels (MATLAB's labels are a vector: a matrix would be matched to the
    sequences in an order the user did not mean)."""
    if isinstance(y, Categorical):
        return y
    if not isinstance(y, (list, tuple, np.ndarray)):
        return None
    try:
        a = np.asarray(y)
    except (ValueError, TypeError):
        return None
    if sum(d > 1 for d in a.shape) > 1:
        raise_error(func, "InvalidResponses",
                    f"'{arg}' must be a vector of labels (one per sequence, or one per time "
                    f"step of a sequence), got a {'×'.join(map(str, a.shape))} array.")
    if all(isinstance(v, (str, int, np.integer)) and not isinstance(v, (bool, np.bool_))
           for v in a.ravel()):
        return categorical(a.ravel())
    return None


def prepare_targets(Y, seqs, single, layers, func, arg="Y"):
    """Check the responses against the predictors; return a Targets description."""
    n = len(seqs)
    lengths = [s.shape[1] for s in seqs]
    classify = isinstance(layers[-1], ClassificationOutputLayer)
    seq_out = time_output(layers)
    if classify:
        if seq_out:
            ys = [Y] if single and not isinstance(Y, list) else Y
            if isinstance(ys, Categorical):
                raise_error(func, "InvalidResponses",
                            f"This network outputs sequences (no gruLayer has OutputMode "
                            f"'last'), so '{arg}' must be a list of 1-by-T categorical label "
                            f"sequences; got one categorical array of {len(ys)} labels. For "
                            f"one label per sequence use gruLayer(..., 'OutputMode', 'last').")
            if not isinstance(ys, list) or len(ys) != n:
                _wrong_length(func, arg, n, Y, "a list of 1-by-T categorical sequences")
            cats = [_as_categorical(y, func, arg) for y in ys]
            if any(c is None for c in cats):
                raise_error(func, "InvalidResponses",
                            f"'{arg}' must hold categorical label sequences for a "
                            f"sequence-to-sequence classification network.", "type")
            for i, (c, t) in enumerate(zip(cats, lengths), start=1):
                if len(c) != t:
                    raise_error(func, "InvalidResponses",
                                f"Label sequence {i} of '{arg}' has {len(c)} time steps but "
                                f"sequence {i} of the predictors has {t}.")
            same = all(c.categories == cats[0].categories for c in cats)
            classes = list(cats[0].categories) if same else \
                categorical(sorted({k for c in cats for k in c.categories})).categories
            codes = [np.array([classes.index(s) for s in c.tolist()]) for c in cats]
        else:
            c = _as_categorical(Y, func, arg)
            if c is None:
                raise_error(func, "InvalidResponses",
                            f"'{arg}' must be categorical labels for a classification "
                            f"network, got {type(Y).__name__}.", "type")
            if len(c) != n:
                _wrong_length(func, arg, n, Y, "one label per sequence")
            classes = list(c.categories)
            codes = c.codes.copy()
        return {"kind": "classification", "seq": seq_out, "classes": classes, "codes": codes,
                "size": len(classes)}
    if seq_out:
        ys = [Y] if single and not isinstance(Y, list) else Y
        if not isinstance(ys, list) or len(ys) != n:
            _wrong_length(func, arg, n, Y, "a list of R-by-T response sequences")
        vals = []
        for i, (y, t) in enumerate(zip(ys, lengths), start=1):
            a = _numeric_responses(y, func, f"Response sequence {i} of '{arg}'")
            a = a.reshape(1, -1) if a.ndim == 1 else a
            if a.ndim != 2 or a.shape[1] != t:
                raise_error(func, "InvalidResponses",
                            f"Response sequence {i} of '{arg}' must be R-by-{t} (as its "
                            f"predictors), got {'×'.join(map(str, a.shape))}.")
            vals.append(a)
        sizes = {v.shape[0] for v in vals}
        if len(sizes) != 1:
            raise_error(func, "InvalidResponses", f"All response sequences of '{arg}' must "
                        f"have the same number of responses.")
        _check_finite_responses(vals, func, arg)
        return {"kind": "regression", "seq": True, "values": vals, "size": sizes.pop()}
    a = _numeric_responses(Y, func, f"'{arg}'")
    a = a.reshape(-1, 1) if a.ndim == 1 else a
    if a.ndim != 2 or a.shape[0] != n:
        _wrong_length(func, arg, n, Y, "an N-by-R array of responses (observations in rows)")
    _check_finite_responses([a], func, arg)
    return {"kind": "regression", "seq": False, "values": a, "size": a.shape[1]}


def _numeric_responses(y, func, what):
    """Responses of a regression network as a float64 array, or a named error."""
    if isinstance(y, Categorical):
        raise_error(func, "InvalidResponses",
                    f"{what} is categorical, but the network ends in a regressionLayer; use "
                    f"classificationLayer for labels.", "type")
    try:
        a = np.asarray(y, dtype=np.float64)
    except (ValueError, TypeError):
        raise_error(func, "InvalidResponses",
                    f"{what} must be numeric responses of one size (an N-by-R array, or "
                    f"R-by-T arrays), got {type(y).__name__} {str(y)[:50]}.", "type")
    return a


def _wrong_length(func, arg, n, Y, what):
    got = len(Y) if hasattr(Y, "__len__") else 1
    raise_error(func, "InvalidResponses",
                f"'{arg}' must have {what} for the {n} predictor sequences, got {got} "
                f"element{'s' if got != 1 else ''}.")


def _check_finite_responses(arrays, func, arg):
    for a in arrays:
        if not np.isfinite(a).all():
            raise_error(func, "NonFiniteData", f"'{arg}' contains NaN or Inf values.")


def _batch_targets(tg, ids, s, direction, value, dtype):
    """Targets of a mini-batch: one-hot (S, B, K) / (B, K), or (S, B, R) / (B, R)."""
    if tg["kind"] == "classification":
        k = tg["size"]
        if tg["seq"]:
            onehot = [np.eye(k)[tg["codes"][i]].T for i in ids]
            return seqmod.pad(onehot, s, direction, 0.0, dtype)
        return np.eye(k, dtype=dtype)[tg["codes"][ids]]
    if tg["seq"]:
        return seqmod.pad([tg["values"][i] for i in ids], s, direction, value, dtype)
    return tg["values"][ids].astype(dtype)


# -- validation -------------------------------------------------------------------------
def validation_metrics(net, seqs, tg, opts, par=None):
    """(loss, accuracy % or RMSE) of ``net`` on the whole validation set (prediction mode).

    Sequence outputs are scored over each sequence's own time steps (no padding). In
    parallel training (``par``) each rank predicts its share and the rows are gathered.
    """
    def rows(part):
        return validation_rows(net, part, opts)

    out = rows(seqs) if par is None else par.split_predictions(rows, seqs, opts.MiniBatchSize)
    if tg["kind"] == "classification":
        codes = np.concatenate(tg["codes"]) if tg["seq"] else tg["codes"]
        weights = net.Layers[-1].ClassWeights
        w = np.ones(out.shape[1]) if isinstance(weights, str) else weights
        p = np.maximum(out[np.arange(len(codes)), codes], EPS_SINGLE)
        loss = float(-(w[codes] * np.log(p)).mean())
        return loss, 100.0 * float((out.argmax(axis=1) == codes).mean())
    true = np.concatenate([v.T for v in tg["values"]], axis=0) if tg["seq"] else tg["values"]
    sq = ((out - true) ** 2).sum()
    return 0.5 * float(sq) / len(out), float(np.sqrt(sq / len(out)))


def validation_rows(net, seqs, opts):
    """The predictions of ``net`` for ``seqs`` as rows: one per observation, or one per
    time step of each sequence in turn (host arrays)."""
    pred_opts = {"MiniBatchSize": opts.MiniBatchSize, "ExecutionEnvironment":
                 opts.ExecutionEnvironment, "Acceleration": "auto",
                 "SequenceLength": opts.SequenceLength,
                 "SequencePaddingDirection": opts.SequencePaddingDirection,
                 "SequencePaddingValue": opts.SequencePaddingValue}
    out = gather(infer(net, seqs, pred_opts, "trainNetwork")[0])   # GPU data: GPU output
    return np.concatenate([o.T for o in out], axis=0) if isinstance(out, list) else out


# -- the loop ---------------------------------------------------------------------------
class _Run:
    """Parameters and solver of one training run.

    Every learnable becomes a view into one flat float32 buffer ``theta`` (a copy: the
    caller's layers are never changed), with the per-element learn-rate and L2 factors
    beside it, so the per-iteration update is a few whole-buffer operations. The layers'
    backward passes write their gradients straight into the views ``grad_out`` of the
    gradient buffer ``grad``.
    """

    def __init__(self, layers, opts, xp, graph=None, extra=0):
        self.layers = layers
        self.graph = graph or Graph.chain(layers)
        self.opts = opts
        self.xp = xp
        keys = [(i, name) for i, layer in enumerate(layers) for name in layer.learnable_names()]
        sizes = [getattr(layers[i], name).size for i, name in keys]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.segments = list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))
        self.theta = xp.empty(int(bounds[-1]), dtype=np.float32)
        # ``extra`` elements after the gradient: parallel training reduces loss and metric
        # in the same allreduce
        self.grad_buffer = xp.empty(int(bounds[-1]) + extra, dtype=np.float32)
        self.grad = self.grad_buffer[:int(bounds[-1])]
        self.grad_out = {}     # {layer index: {name: view of grad}}, for backprop_layers
        self.slots = []        # (layer index, name, that view, start, stop), for step()
        lr_factor = np.empty(int(bounds[-1]))
        l2_factor = np.empty(int(bounds[-1]))
        for (i, name), (a, b) in zip(keys, self.segments):
            layer = layers[i]
            value = getattr(layer, name)
            view = self.theta[a:b].reshape(value.shape)
            view[...] = xp.asarray(value, dtype=np.float32)
            object.__setattr__(layer, name, view)
            self.grad_out.setdefault(i, {})[name] = self.grad[a:b].reshape(value.shape)
            self.slots.append((i, name, self.grad_out[i][name], a, b))
            for out, kind in ((lr_factor, "LearnRateFactor"), (l2_factor, "L2Factor")):
                out[a:b] = np.broadcast_to(layer.factor(kind, name), value.shape).ravel()
        # one rate for all (the usual case) is a scalar: one pass less per update
        uniform = lr_factor.size == 0 or (lr_factor == lr_factor[0]).all()
        self.lr_factor = float(lr_factor[0]) if lr_factor.size and uniform else \
            (1.0 if uniform else xp.asarray(lr_factor, dtype=np.float32))
        l2 = getattr(opts, "L2Regularization", 0.0)     # L-BFGS has none
        self.l2_scaled = xp.asarray(l2 * l2_factor, dtype=np.float32) \
            if l2 and l2_factor.any() else None
        if opts.SolverName == "lbfgs":     # full batch: the solver runs its line search
            self.solver = LBFGS(opts, self.theta)
        else:
            self.solver = Solver(opts, self.theta, self.segments, self.l2_scaled)
        self.previous = xp.empty_like(self.theta)
        self._rate = (None, None)

    def step(self, grads, rate):
        """L2, clipping and the solver step for the gradients of one iteration (None: they
        are in ``grad`` already)."""
        if grads is not None:
            self.collect(grads)
        if self._rate[0] != rate:
            self._rate = (rate, self.lr_factor * rate)
        self.solver.update(self.theta, self.grad, self._rate[1], self.previous)
        self.refresh()

    def refresh(self):
        """Tell the layers that ``theta`` changed (derived weights) and commit their
        running statistics: the one place a trainer does it."""
        for layer in self.layers:
            layer.learnables_changed()
            layer.commit_statistics()

    def collect(self, grads):
        """Bring the layers' gradients into ``grad``."""
        for i, name, view, a, b in self.slots:
            g = grads.get(i, {}).get(name)
            if g is None:
                self.grad[a:b] = 0
            elif g is not view:     # a layer that made its own array
                self.grad[a:b] = g.reshape(-1)

    def snapshot(self):
        return to_host(self.theta).copy()

    def restore(self, flat):
        self.theta[...] = self.xp.asarray(flat)
        for layer in self.layers:
            layer.learnables_changed()

    def host_network(self):
        return SeriesNetwork(self.host_layers())

    def host_layers(self):
        """Copies of the layers holding read-only host copies of the learnables."""
        layers = []
        for layer in self.layers:
            layer = layer.copy()
            for name in layer.learnable_names():
                value = np.array(to_host(getattr(layer, name)))
                value.setflags(write=False)
                object.__setattr__(layer, name, value)
            layer.learnables_changed()
            layers.append(layer)
        return layers


def _check_inputs(X, Y, layers, options, func):
    if not isinstance(options, TrainingOptions):
        raise_error(func, "InvalidOptions",
                    f"'options' must be created by trainingOptions, got "
                    f"{type(options).__name__}.", "type")
    check_legacy_options(options, func)
    arr = check_layer_array(layers, func)
    seqs, single = seqmod.to_sequences(X, func, "X", channels=arr[0].InputSize)
    seqmod.check_features(seqs, arr[0].InputSize, func, arr[0].Name,
                          min_length=arr[0].MinLength)
    seqmod.check_finite(seqs, func, "X")
    tg = prepare_targets(gather(Y), seqs, single, arr, func)   # targets live on the host
    return arr, seqs, tg


def _set_up_layers(arr, seqs, tg, opts, func, stream):
    out = arr[-1]
    if tg["kind"] == "classification":
        if out.Classes == "auto":
            out.set_classes(tg["classes"])
        elif sorted(out.Classes) != sorted(tg["classes"]):
            raise_error(func, "ClassesMismatch",
                        f"Layer '{out.Name}' has Classes {out.Classes} but the labels have "
                        f"categories {tg['classes']}.")
        else:
            order = [out.Classes.index(c) for c in tg["classes"]]
            remap = np.array(order)
            tg["codes"] = [remap[c] for c in tg["codes"]] if tg["seq"] else remap[tg["codes"]]
            tg["classes"] = list(out.Classes)
    else:
        object.__setattr__(out, "ResponseNames", ("Response",) if tg["size"] == 1 else
                           tuple(f"Response{r}" for r in range(1, tg["size"] + 1)))
    first = arr[0]
    if first.needs_statistics(opts.ResetInputNormalization):
        if opts.Verbose:
            print("Initializing input data normalization.", file=stream)
        first.compute_statistics(seqs)
    size = first.InputSize
    for layer in arr[1:]:
        layer.initialize(size, np.float32)
        layer.check_assembled(size)
        size = layer.output_size(size)
        if layer.state_names():
            layer.reset_state()
    if size != tg["size"]:
        what = "classes" if tg["kind"] == "classification" else "responses"
        raise_error(func, "OutputSizeMismatch",
                    f"The network outputs {size} channels but the data has {tg['size']} "
                    f"{what}; set the last fullyConnectedLayer's OutputSize to {tg['size']}.")


def _schedule(opts, seqs, tg, xp, par=None):
    """MATLAB's iteration order (§15): yields ("chunk", epoch, rate, X, T, first) for every
    iteration (``first``: the chunk starts a new mini-batch, so the recurrent state resets)
    and ("end", epoch) after each epoch.

    In parallel training (``par``) the order comes from the client, X is this worker's
    part of the mini-batch padded to the whole mini-batch's length (None when its share is
    0) and T holds the whole mini-batch's targets (the loss is taken on the whole
    mini-batch's outputs). With DispatchInBackground the next mini-batch of the epoch is padded in a
    background thread while this one trains (the shuffle stays in this thread, so the
    random stream is the same as without it)."""
    n = len(seqs)
    mbs = min(opts.MiniBatchSize, n)
    gen = initializers.generator()
    order = gen.permutation(n) if opts.Shuffle in ("once", "every-epoch") else np.arange(n)
    mode, direction = opts.SequenceLength, opts.SequencePaddingDirection
    a, b = par.part(mbs) if par is not None else (0, mbs)

    def prepare(ids):
        s = seqmod.padded_length([seqs[i].shape[1] for i in ids], mode)
        pad = opts.SequencePaddingValue
        T = xp.asarray(_batch_targets(tg, ids, s, direction, pad, np.float32))
        if b == a:
            return s, None, T
        return (s, xp.asarray(seqmod.pad([seqs[i] for i in ids[a:b]], s, direction, pad,
                                         np.float32, xp)), T)

    blocks = list(seqmod.mini_batches(n, mbs, keep_last=False))
    batches = {}   # padded mini-batches, reused while the order is fixed
    ahead = {}     # DispatchInBackground: the next mini-batch, being padded
    helper = ThreadPoolExecutor(1) if opts.DispatchInBackground else None
    try:
        for epoch in range(1, opts.MaxEpochs + 1):
            if opts.Shuffle == "every-epoch" and epoch > 1:
                order = gen.permutation(n)
                batches.clear()
            if par is not None and not batches:
                order = par.share_order(order)
            rate = opts.InitialLearnRate
            if opts.LearnRateSchedule == "piecewise":
                rate *= opts.LearnRateDropFactor ** ((epoch - 1) // opts.LearnRateDropPeriod)
            for k, idx in enumerate(blocks):
                if k not in batches:
                    batches[k] = ahead.pop(k).result() if k in ahead else prepare(order[idx])
                if helper is not None and k + 1 < len(blocks) and k + 1 not in batches:
                    ahead[k + 1] = helper.submit(prepare, order[blocks[k + 1]])
                s, Xb, Tb = batches[k]
                step = s if isinstance(mode, str) else mode
                for c0 in range(0, s, step):
                    yield ("chunk", epoch, rate, None if Xb is None else Xb[c0:c0 + step],
                           Tb[c0:c0 + step] if tg["seq"] else Tb, c0 == 0)
            yield ("end", epoch)
    finally:
        if helper is not None:
            helper.shutdown(wait=True, cancel_futures=True)


class _Report:
    """The verbose table, the info struct, the plot and the OutputFcn calls of one run."""

    def __init__(self, opts, regression, has_val, stream, plot):
        self.opts, self.regression, self.has_val = opts, regression, has_val
        self.stream, self.plot = stream, plot
        self.metric = "RMSE" if regression else "Accuracy"
        self.keys = (f"Training{self.metric}", f"Validation{self.metric}")
        self.info = progress.Struct(TrainingLoss=[], **{self.keys[0]: []},
                                    ValidationLoss=[], **{self.keys[1]: []},
                                    BaseLearnRate=[])
        # the lists that record() appends to, in its order (one lookup per run, not per
        # iteration: Python costs a few times more between the layers' heavy work)
        self.lists = [self.info[k] for k in ("TrainingLoss", self.keys[0], "BaseLearnRate",
                                             "ValidationLoss", self.keys[1])]
        fcn = opts.OutputFcn
        self.fcns = [] if fcn is None else (fcn if isinstance(fcn, list) else [fcn])
        self.start = time.perf_counter()
        self.pending = None   # the last row, printed once it is known to be final or not

    def begin(self, device):
        if self.opts.Verbose:
            if self.opts.ExecutionEnvironment == "auto":
                print(f"Training on single {device}.", file=self.stream)
            elif self.opts.ExecutionEnvironment in parallel.ENVIRONMENTS:
                print(device, file=self.stream)
            print(progress.table_header(self.has_val, self.regression), file=self.stream)
        self.call("start", 0, 0)

    def call(self, state, epoch, iteration, loss=np.nan, metric=np.nan, vl=np.nan,
             vm=np.nan, rate=np.nan):
        """Call the OutputFcns; True when one of them asks to stop."""
        if not self.fcns:
            return False
        fields = progress.Struct(Epoch=epoch, Iteration=iteration,
                                 TimeSinceStart=time.perf_counter() - self.start,
                                 TrainingLoss=loss, ValidationLoss=vl, BaseLearnRate=rate)
        fields[self.keys[0]] = metric
        fields[self.keys[1]] = vm
        fields["State"] = state
        return any(_stop_request(f(fields)) for f in self.fcns)

    def record(self, epoch, iteration, loss, metric, rate, validation):
        """Store one iteration; returns True when an OutputFcn asks to stop."""
        vl, vm = validation if validation else (np.nan, np.nan)
        for values, value in zip(self.lists, (loss, metric, rate, vl, vm)):
            values.append(value)
        if self.pending:
            self._print_row(self.pending)
        self.pending = [epoch, iteration, time.perf_counter() - self.start, metric, loss, rate,
                        (vl, vm), validation is not None]
        if self.plot:
            self.plot.update(self.info)
        return self.call("iteration", epoch, iteration, loss, metric, vl, vm, rate)

    def set_last_validation(self, vl, vm):
        self.info.ValidationLoss[-1], self.info[self.keys[1]][-1] = vl, vm
        self.pending[-2], self.pending[-1] = (vl, vm), True

    def _print_row(self, row, final=False):
        it = row[1]
        if self.opts.Verbose and (it == 1 or it % self.opts.VerboseFrequency == 0 or row[-1]
                                  or final):
            print(progress.table_row(*row[:-2], self.regression, self.has_val, row[-2][1],
                                     row[-2][0]), file=self.stream)

    def finish(self, stop_reason, epoch, iteration):
        if self.pending:
            self._print_row(self.pending, final=True)
        if self.opts.Verbose:
            print(progress.rule(self.has_val), file=self.stream)
            print(f"Training finished: {stop_reason}", file=self.stream)
        if self.plot:
            self.plot.update(self.info, final=True)
        self.call("done", epoch, iteration)


def _stop_request(value):
    """An OutputFcn's return value as 'stop?' (None and nothing returned: go on)."""
    if value is None:
        return False
    try:
        arr = np.asarray(value)
        if arr.size == 1 and arr.dtype.kind in "biuf":
            return bool(arr.reshape(()))
    except (ValueError, TypeError):
        pass
    raise_error("trainNetwork", "InvalidOutputFcnOutput",
                f"An OutputFcn must return a logical scalar (True stops training) or nothing; "
                f"one returned {type(value).__name__} {str(value)[:40]}.", "type")


def trainNetwork(X, Y, layers, options, *, nargout=1, stream=None):
    """Train a sequence network (MATLAB ``trainNetwork``).

    ``net = trainNetwork(X, Y, layers, options)``;
    ``net, info = trainNetwork(X, Y, layers, options, nargout=2)``.
    X is a list of C-by-T arrays; Y categorical labels (sequence-to-label), a list of 1-by-T
    categorical sequences, an N-by-R array, or a list of R-by-T arrays. Verbose output goes
    to ``stream`` (standard output by default).

    >>> import numpy as np
    >>> from dltoolbox import *
    >>> rng(0)
    >>> X = [np.random.default_rng(i).standard_normal((2, 5)) for i in range(8)]
    >>> Y = categorical(['a', 'b'] * 4)
    >>> layers = [sequenceInputLayer(2), gruLayer(4, 'OutputMode', 'last'),
    ...           fullyConnectedLayer(2), softmaxLayer(), classificationLayer()]
    >>> opts = trainingOptions('adam', MaxEpochs=2, MiniBatchSize=4, Verbose=False)
    >>> net, info = trainNetwork(X, Y, layers, opts, nargout=2)
    >>> len(info.TrainingLoss)
    4
    """
    func = "trainNetwork"
    stream = stream or sys.stdout
    opts = options
    arr, seqs, tg = _check_inputs(X, Y, layers, opts, func)
    val = _validation_data(opts, arr, func)
    if opts.CheckpointPath and not os.path.isdir(opts.CheckpointPath):
        raise_error(func, "InvalidCheckpointPath",
                    f"CheckpointPath '{opts.CheckpointPath}' is not an existing folder.")
    if opts.CheckpointPath:
        check_checkpoint_path(opts.CheckpointPath, func)
    xp, device = resolve_environment(opts.ExecutionEnvironment, func)
    par = None
    if opts.ExecutionEnvironment in parallel.ENVIRONMENTS:
        par = parallel.begin(func, opts, (X, Y, layers, options))
        device = par.banner()
        if not par.is_client:
            opts = parallel.quiet(opts)
    regression = tg["kind"] == "regression"
    plot = progress.ProgressPlot(progress.legacy_panels(regression), stream) \
        if opts.Plots == "training-progress" else None
    _set_up_layers(arr, seqs, tg, opts, func, stream)
    if val is not None:
        _align_classes(val[1], tg)
    run = _Run(arr, opts, xp, extra=parallel.extra_size(arr) if par else 0)
    if opts.CheckpointPath:     # named errors now, not after the iterations have run
        write_checkpoint(None, run.host_network(), func)
    if par is not None:
        par.share_network(run)
    report = _Report(opts, regression, val is not None, stream, plot)
    report.begin(device)

    def validate():
        return validation_metrics(SeriesNetwork(run.layers), val[0], val[1], opts, par)

    stop_reason, epoch, iteration, best, last_val = run_engine(
        run, _schedule(opts, seqs, tg, xp, par), run.layers[-1].loss, report,
        validate if val is not None else None, opts, func, tg["seq"],
        keep_best=opts.OutputNetwork == "best-validation-loss", par=par)

    info = report.info
    out_iteration, final_val = iteration, last_val
    if opts.OutputNetwork == "best-validation-loss" and best[1] is not None:
        run.restore(best[1])
        out_iteration = best[2]
        final_val = (best[0], info[f"Validation{report.metric}"][best[2] - 1])
    if opts.BatchNormalizationStatistics in ("population", "auto") and \
            population_statistics(run.layers, seqs, opts, xp) and val is not None:
        final_val = validate()          # the final metrics are those of the final network
    for key in list(info):
        info[key] = np.asarray(info[key], dtype=np.float64)
    info.FinalValidationLoss = final_val[0] if val is not None else np.nan
    info[f"FinalValidation{report.metric}"] = final_val[1] if val is not None else np.nan
    info.OutputNetworkIteration = out_iteration
    return outputs((run.host_network(), info), nargout, func)


def run_engine(run, events, loss_of, report, validate, opts, func, seq_targets, keep_best,
               par=None):
    """The iteration loop that trainNetwork and trainnet share: forward through
    ``run.graph``, ``loss_of(Y, T)`` -> (loss, dL/dY, training metric), backward, the
    solver step (``run.step``: the one place that refreshes the layers' derived weights),
    validation every ValidationFrequency iterations (``validate()`` -> (objective, ...),
    lower is better), checkpoints, OutputFcn / patience stops; the final iteration is
    always validated. ``report`` prints and records (its own table per front end).

    ``par`` (training/parallel.py): the forward, loss and backward run on every worker's
    part of the mini-batch and one allreduce combines them; only the client reports.

    Returns (stop reason, epoch, iteration, (best objective, snapshot, iteration), last
    validation).
    """
    iteration = epoch = 0
    best = (np.inf, None, 0)       # (validation loss, snapshot, iteration)
    last_val = (np.nan, np.nan)
    bad_validations = 0
    full_batch = getattr(run.solver, "full_batch", False)
    stop_reason = "Max iterations completed." if full_batch else "Max epochs completed."
    states = None
    checkpoints = bool(opts.CheckpointPath)
    unit = getattr(opts, "CheckpointFrequencyUnit", "iteration")   # L-BFGS: iterations
    solver_stop = None

    def forward_loss(Xc, Tc, states, first):
        try:
            ys, backs, states = run.graph.forward([Xc], True, None if first else states)
        except DLToolboxError as err:
            if err.identifier.endswith(":IncorrectNetworkState"):
                raise as_called_from(err, func) from None
            raise
        Yp = ys[0]
        _check_output_length(Yp, Tc, seq_targets, func)
        loss, dY, metric = loss_of(Yp, Tc)
        if isinstance(metric, dict):     # trainnet's Metrics, computed on the host
            (loss,) = host_scalars(loss)
        else:                            # on the GPU: the iteration's one read
            loss, metric = host_scalars(loss, metric)
        return loss, dY, metric, backs, states
    for event in events:
        if event[0] == "end":
            if checkpoints and unit == "epoch" and \
                    event[1] % opts.CheckpointFrequency == 0:
                _checkpoint(run, opts.CheckpointPath, iteration)
            continue
        _, epoch, rate, Xc, Tc, first = event
        if par is not None:     # forward, backward and the allreduce on every worker
            loss, metric, states = par.iteration_step(
                run, Xc, Tc, first, states, iteration + 1, loss_of,
                lambda Yp, Tc: _check_output_length(Yp, Tc, seq_targets, func))
        elif full_batch:   # L-BFGS: a line search of whole-data evaluations, then report

            def evaluate(Xc=Xc, Tc=Tc):
                loss, dY, metric, backs, _ = forward_loss(Xc, Tc, None, True)
                run.collect(run.graph.backward(backs, [dY], run.grad_out)[1])
                return loss, metric

            loss, metric, solver_stop = run.solver.iterate(run, evaluate)
        else:
            loss, dY, metric, backs, states = forward_loss(Xc, Tc, states, first)
        if not math.isfinite(loss):
            stop_reason = "Training loss is NaN or Inf."
            warnings.warn(f"{func}: the training loss became {loss} at iteration "
                          f"{iteration + 1}; training stopped and the network of iteration "
                          f"{iteration} is returned.", stacklevel=3)
            if iteration > 0:
                run.restore(run.previous)
            break
        iteration += 1
        if not full_batch:
            grads = None if par is not None else \
                run.graph.backward(backs, [dY], run.grad_out)[1]
            run.step(grads, rate)
        validation = None
        if validate is not None and (iteration == 1 or
                                     iteration % opts.ValidationFrequency == 0):
            validation = last_val = validate()
            if validation[0] < best[0]:
                best = (validation[0], run.snapshot() if keep_best else None, iteration)
                bad_validations = 0
            else:
                bad_validations += 1
        stop = report.record(epoch, iteration, loss, metric, rate, validation)
        if par is not None and par.has_output_fcn:
            stop = par.decide(stop)
        if checkpoints and unit == "iteration" and \
                iteration % opts.CheckpointFrequency == 0:
            _checkpoint(run, opts.CheckpointPath, iteration)
        if stop:
            stop_reason = "Stopped by OutputFcn."
            break
        if solver_stop:
            stop_reason = solver_stop
            break
        if validation is not None and bad_validations >= opts.ValidationPatience:
            stop_reason = "Met validation criterion."
            break

    if validate is not None and report.pending and not report.pending[-1]:
        last_val = validate()        # the final iteration is always validated
        report.set_last_validation(*last_val)
        if last_val[0] < best[0]:
            best = (last_val[0], run.snapshot() if keep_best else None, iteration)
    report.finish(stop_reason, epoch, iteration)
    if par is not None:
        par.finish(run)
    return stop_reason, epoch, iteration, best, last_val


def _check_output_length(Yp, Tc, seq_targets, func):
    if seq_targets and Yp.shape[0] != Tc.shape[0]:
        raise_error(func, "OutputLengthMismatch",
                    f"The network outputs {Yp.shape[0]} time steps for {Tc.shape[0]} "
                    f"input time steps, so its outputs cannot be compared with the "
                    f"responses step by step. For sequence-to-sequence networks use "
                    f"Stride 1 and Padding 'same' or 'causal' in convolution and pooling "
                    f"layers.")

def _validation_data(opts, arr, func):
    """(sequences, targets) of ValidationData, checked like the training data, or None."""
    if opts.ValidationData is None:
        return None
    xv, yv = opts.ValidationData
    vseqs, vsingle = seqmod.to_sequences(xv, func, "ValidationData",
                                         channels=arr[0].InputSize)
    seqmod.check_features(vseqs, arr[0].InputSize, func, arr[0].Name, "ValidationData",
                          arr[0].MinLength)
    seqmod.check_finite(vseqs, func, "ValidationData")
    return vseqs, prepare_targets(yv, vseqs, vsingle, arr, func, "ValidationData")


def _align_classes(vt, tg):
    """Express validation labels in the training classes' order."""
    if tg["kind"] == "classification" and vt["classes"] != tg["classes"]:
        extra = [c for c in vt["classes"] if c not in tg["classes"]]
        if extra:
            raise_error("trainNetwork", "InvalidValidationData",
                        f"The validation labels have the class '{extra[0]}', which the "
                        f"training labels do not have (training classes: "
                        f"{', '.join(tg['classes'])}).")
        remap = np.array([tg["classes"].index(c) for c in vt["classes"]])
        vt["codes"] = [remap[c] for c in vt["codes"]] if vt["seq"] else remap[vt["codes"]]


def _checkpoint(run, folder, iteration):
    """Write a checkpoint; a failure (a full disk, a vanished folder) warns and training
    goes on: a checkpoint must never cost the run it protects."""
    stamp = datetime.now().strftime("%Y_%m_%d__%H_%M_%S")
    path = os.path.join(folder, f"net_checkpoint__{iteration}__{stamp}.mat")
    try:
        write_checkpoint(path, run.host_network(), "trainNetwork")
    except DLToolboxError as err:
        warnings.warn(f"trainNetwork: the checkpoint of iteration {iteration} could not be "
                      f"written ({err.message}); training continues.", stacklevel=3)
