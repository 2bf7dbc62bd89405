"""Data-parallel training on MPI: ExecutionEnvironment 'parallel' and 'multi-gpu'.

The engine is MPI through mpi4py (the ``parallel`` extra installs mpi4py and MPICH), so the
same code runs on one laptop and on a cluster with the site's MPI. Two ways to start:

* ``mpiexec -n N python script.py``: every rank runs the same lines; trainNetwork uses
  ``MPI.COMM_WORLD``; rank 0 is the client and also a worker.
* ``python script.py`` with ``parpool(N)`` (or 'parallel' without a pool, which starts the
  default pool): N worker processes are started with ``MPI.Comm.Spawn`` and merged with the
  client into one communicator; the client (rank 0) computes nothing, the workers train.

Synchronous data parallelism with MATLAB's semantics: each iteration's mini-batch is padded
as a whole (its padded length is that of the whole mini-batch) and split by WorkerLoad; each
worker pads only its own part to that length and runs the forward pass on it. The parts'
outputs (small: observations by classes, or by time steps and responses) are gathered on
every rank, so the loss, dL/dY and the metrics are those of the whole mini-batch, as in one
process, for every loss and metric (trainNetwork's output layers, trainnet's losses, metrics
and function handles). Each worker backpropagates its slice of dL/dY, and ONE allreduce of
the flat gradient buffer (after it: a failure count and the batch normalization sums) adds
the parts' gradients. Every rank then runs the same solver step on the same sum, so every
rank keeps the same network; it is broadcast from the client once more at the end. Only the
client prints, plots, calls OutputFcn and writes checkpoints.

Every collective is non-blocking and waited for with a deadline (``DLTOOLBOX_COLLECTIVE_TIMEOUT``
seconds, default 600), so a hung or lost worker gives ``dltoolbox:trainNetwork:CollectiveTimeout``
instead of a hang. A worker that raises makes every rank raise
``dltoolbox:trainNetwork:WorkerFailed`` naming the worker and its message; the error's ``net``
holds the network of the last completed iteration.
"""

import atexit
import os
import pickle
import sys
import time

import numpy as np

from .. import initializers
from .._display import property_block
from ..backend import host_scalars, to_host
from ..errors import DLToolboxError, DLValueError, raise_error
from ..layers.batch_normalization import BatchNormalizationLayer

__all__ = ["parpool", "gcp", "delete", "Pool", "split_load", "ENVIRONMENTS"]

ENVIRONMENTS = ("parallel", "multi-gpu")
TIMEOUT_VARIABLE = "DLTOOLBOX_COLLECTIVE_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
EXTRA = 1                   # the failure count after the gradient (then the BN sums)
_MESSAGE_BYTES = 4096       # a failing worker's message, UTF-8, padded

_mpi_module = None
_pool = None                # the client's current Pool
_worker_comm = None         # set in a pool worker process (worker_main)
_abort_at_exit = False      # a collective was abandoned: MPI_Finalize could hang
last_context = None         # the Context of the last finished training (for benchmarks)


# -- the engine -------------------------------------------------------------------------
def mpi(func="parpool"):
    """The ``mpi4py.MPI`` module, imported on first use with the interpreter's folder first on
    PATH (so that ``MPI.Comm.Spawn`` finds the ``mpiexec`` of the same environment); a named
    error when mpi4py is not installed."""
    global _mpi_module
    if _mpi_module is None:
        folder = os.path.dirname(sys.executable)
        path = os.environ.get("PATH", "")
        if folder not in path.split(os.pathsep):
            os.environ["PATH"] = folder + (os.pathsep + path if path else "")
        try:
            from mpi4py import MPI  # noqa: PLC0415 - optional dependency, imported lazily
        except ImportError:
            raise_error(func, "ParallelNotInstalled",
                        "parallel training needs mpi4py and an MPI library, which are not "
                        "installed; install the 'parallel' extra: "
                        "pip install 'dltoolbox[parallel]' (mpi4py and mpich), or mpi4py "
                        "built against your site's MPI.")
        _mpi_module = MPI
        atexit.register(_at_exit)
    return _mpi_module


def _at_exit():
    if _pool is not None and _pool.Connected:
        _pool.delete()
    if _abort_at_exit:
        # A collective was abandoned after a timeout; MPI_Finalize would wait for it forever.
        sys.stdout.flush()
        sys.stderr.flush()
        if _launched_by_mpiexec():
            _mpi_module.COMM_WORLD.Abort(1)     # ends the job's other (hung) ranks too
        # a pool's client (its workers are killed already): leave without MPI_Finalize; a
        # singleton's MPI_Abort would signal this process's whole process group
        os._exit(1)


def collective_timeout():
    """Seconds a rank waits for a collective before it gives up (``DLTOOLBOX_COLLECTIVE_TIMEOUT``,
    default 600).

    >>> collective_timeout() > 0
    True
    """
    value = os.environ.get(TIMEOUT_VARIABLE, "")
    try:
        seconds = float(value) if value.strip() else DEFAULT_TIMEOUT
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise_error("trainNetwork", "InvalidCollectiveTimeout",
                    f"{TIMEOUT_VARIABLE} must be a positive number of seconds, got {value!r}.")
    return seconds


def _launched_by_mpiexec():
    return any(v in os.environ for v in ("PMI_SIZE", "PMI_RANK", "PMIX_RANK",
                                         "OMPI_COMM_WORLD_SIZE"))


def _physical_cores():
    """Physical cores of this machine (MATLAB's default pool size), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            cores, phys = set(), None
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    phys = value.strip()
                elif key == "core id":
                    cores.add((phys, value.strip()))
        if cores:
            return len(cores)
    except OSError:
        pass
    return max(1, os.cpu_count() or 1)


# -- WorkerLoad -------------------------------------------------------------------------
def split_load(total, load, nworkers, hosts=None, func="trainNetwork"):
    """Observations of a mini-batch of ``total`` given to each of ``nworkers`` workers.

    ``load`` is WorkerLoad: None (equal shares); a vector with one nonnegative weight per
    worker (worker i gets ``load[i]/sum(load)`` of each mini-batch; 0 excludes it); a scalar
    in [0, 1) (that fraction of the workers of each machine computes) or a positive integer
    (that many workers of each machine compute). ``hosts`` names each worker's machine.
    Remainders go to the workers with the largest fractional parts, ties to the lowest.

    >>> split_load(27, None, 2)
    [14, 13]
    >>> split_load(10, [1, 0, 3], 3)
    [3, 0, 7]
    >>> split_load(8, 1, 4, hosts=['a', 'a', 'b', 'b'])
    [4, 0, 4, 0]
    """
    hosts = hosts or ["host"] * nworkers
    if load is None:
        weights = np.ones(nworkers)
    elif np.ndim(load) == 0 or len(load) == 1:
        value = float(np.ravel(load)[0])
        weights = np.zeros(nworkers)
        for host in dict.fromkeys(hosts):
            members = [i for i, h in enumerate(hosts) if h == host]
            use = int(round(value * len(members))) if value < 1 else int(value)
            weights[members[:use]] = 1.0
    else:
        weights = np.asarray(load, dtype=float)
        if weights.size != nworkers:
            raise_error(func, "InvalidWorkerLoad",
                        f"WorkerLoad has {weights.size} elements but the pool has {nworkers} "
                        f"workers; give one load per worker, or a scalar.")
    if not weights.sum() > 0:
        raise_error(func, "InvalidWorkerLoad",
                    f"WorkerLoad {np.ravel(load).tolist()} leaves no worker to compute on "
                    f"{nworkers} workers.")
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    rest = total - counts.sum()
    order = sorted(range(nworkers), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return counts.tolist()


# -- the parallel context of one trainNetwork call --------------------------------------
class ParallelTrainingError(DLValueError):
    """A worker raised, or a collective timed out; ``net`` is the network of the last
    completed iteration (None when training had not started)."""

    def __init__(self, identifier, message, net=None, iteration=0):
        super().__init__(identifier, message)
        self.net = net
        self.iteration = iteration


class Context:
    """One trainNetwork call on a communicator: ranks, shares, collectives with deadlines."""

    def __init__(self, comm, first_worker, opts, func, gpu=False):
        self.MPI = mpi(func)
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.first_worker = first_worker      # 0 under mpiexec, 1 with a pool (the client)
        self.nworkers = self.size - first_worker
        self.is_client = self.rank == 0
        self.func = func
        self.timeout = collective_timeout()
        self.load = opts.WorkerLoad
        self.run = None
        self.network_of = lambda run: run.host_network()   # trainnet: a dlnetwork
        self.iteration = 0
        self._total = 1
        self._counts = {}
        self.allreduce_seconds = 0.0   # in the gradient allreduce, waits for others included
        # one start-up exchange: each rank's machine, and whether the client has OutputFcns
        # (then its stop request is broadcast after every iteration)
        mine = f"{int(opts.OutputFcn is not None)}{self.MPI.Get_processor_name()}"
        facts = dict(_exchange_messages(comm, mine, self._wait))
        self.hosts = [facts[r][1:] for r in range(first_worker, self.size)]
        self.has_output_fcn = facts[0][0] == "1"
        self.gpu = None
        if gpu:
            self.gpu = _NcclBackend(comm, func)
        if self.rank > 0:
            # other dropout masks than the client's (the client's stream stays as in a
            # single-process run); initial weights and the shuffle come from the client
            gen = initializers.generator().bit_generator
            gen.state = gen.jumped(self.rank).state

    # -- shares
    def counts(self, total):
        if total not in self._counts:
            self._counts[total] = [0] * self.first_worker + split_load(
                total, self.load, self.nworkers, self.hosts, self.func)
        return self._counts[total]

    def part(self, total):
        """This rank's (start, stop) in a mini-batch of ``total`` observations."""
        self._total = total
        counts = self.counts(total)
        start = sum(counts[:self.rank])
        return start, start + counts[self.rank]

    def banner(self):
        kind = "GPUs" if self.gpu is not None else "CPUs"
        return f"Training across multiple {kind} ({self.nworkers} workers)."

    # -- collectives with a deadline
    def _wait(self, request, what):
        if request.Test():
            return
        deadline = time.monotonic() + self.timeout
        pause, spins = 0.0, 0
        try:
            while not request.Test():
                if time.monotonic() > deadline:
                    self._abandon(what)
                spins += 1
                if spins > 200:                 # ~ the first 0.1 ms: poll; then back off
                    pause = min(2e-3, max(2e-5, pause * 1.5))
                time.sleep(pause)
        except self.MPI.Exception as err:
            self._fail(f"lost a worker during {what} ({err})")

    def _abandon(self, what):
        global _abort_at_exit, _pool
        _abort_at_exit = True
        if _pool is not None and self.comm is _pool.comm:
            # unusable now; its workers are not killed here: the MPI launcher would answer
            # their death by killing this client too. They end when this process ends.
            _pool.Connected = False
            _pool = None
        self._fail(f"no answer from every worker within {self.timeout:g} s during {what} "
                   f"(set {TIMEOUT_VARIABLE} to wait longer); a worker hangs or died, and "
                   f"training stopped.", "CollectiveTimeout")

    def _fail(self, message, mnemonic="WorkerFailed", cause=None):
        net = self.network_of(self.run) if self.run is not None else None
        done = self.iteration
        err = ParallelTrainingError(f"dltoolbox:{self.func}:{mnemonic}",
                           f"{self.func}: {message} The error's 'net' holds the network of "
                           f"iteration {done}.", net, done)
        raise err from cause

    def allreduce(self, buf, what):
        if self.gpu is not None:
            self.gpu.allreduce(buf, self, what)
            return
        self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM), what)

    def bcast(self, buf, what):
        if self.gpu is not None and not isinstance(buf, np.ndarray):
            self.gpu.bcast(buf, self, what)
            return
        self._wait(self.comm.Ibcast(buf, root=0), what)

    # -- the pieces of trainNetwork
    def share_network(self, run):
        """Every rank starts from the client's initial weights."""
        self.run = run
        self.bcast(run.theta, "the broadcast of the initial weights")
        run.restore(run.theta)

    def share_order(self, order):
        order = np.ascontiguousarray(order, dtype=np.int64)
        self.bcast(order, "the broadcast of the shuffled order")
        return order

    def iteration_step(self, run, Xc, Tc, first, states, iteration, loss_of, check=None):
        """Forward on this rank's part, the loss on the whole mini-batch, backward on the
        part, then the one gradient allreduce.

        ``Tc`` holds the targets of the whole mini-batch. The parts' outputs are gathered on
        every rank, so that ``loss_of(Y, T)`` -> (loss, dL/dY, metric) sees the whole
        mini-batch, as in one process: any loss and any metric (F-score, AUC, a function
        handle) is exact. Each rank backpropagates its slice of dL/dY; the allreduce sums
        the gradients. Returns (loss, metric, states) of the whole mini-batch. Batch
        normalization layers normalize with their part's statistics (as each MATLAB worker
        does); the moving statistics they commit are those of the whole mini-batch."""
        self.iteration = iteration - 1
        n = run.theta.size
        buf = run.grad_buffer
        norms = _batch_norms(run.layers)
        message = cause = None
        Yp = backs = None
        if Xc is not None:
            try:
                Yp, backs, states = run_forward(run, Xc, None if first else states)
            except Exception as err:  # noqa: BLE001 - reported to every rank by name
                message, cause = f"{type(err).__name__}: {err}", err
        parts = self.allgather_arrays([] if Yp is None else [_batch_first(Yp)],
                                      f"the exchange of the outputs of iteration {iteration}",
                                      failed=message is not None)
        if parts is None:
            self._report_failure(message, cause, iteration)
        xp = run.xp
        Y = _batch_first(xp.asarray(np.concatenate(parts, axis=0)))
        if check is not None:
            check(Y, Tc)
        loss, dY, metric = loss_of(Y, Tc)
        if isinstance(metric, dict):
            (loss,) = host_scalars(loss)
        else:
            loss, metric = host_scalars(loss, metric)
        if Yp is None:
            buf[...] = 0
        else:
            try:
                a, b = self.part(self._total)
                dY_part = dY[a:b] if dY.ndim == 2 else dY[:, a:b]
                grads = run.graph.backward(backs, [xp.ascontiguousarray(dY_part)],
                                           run.grad_out)[1]
                run.collect(grads)
                buf[n] = 0
                share = Xc.shape[1] / self._total
                at = n + EXTRA
                for layer in norms:
                    mu, var = layer._pending
                    c = mu.size
                    buf[at:at + c] = mu.reshape(-1) * share
                    buf[at + c:at + 2 * c] = (var.reshape(-1) + mu.reshape(-1) ** 2) * share
                    at += 2 * c
            except Exception as err:  # noqa: BLE001 - reported to every rank by name
                message, cause = f"{type(err).__name__}: {err}", err
                buf[...] = 0
                buf[n] = 1
        start = time.perf_counter()
        self.allreduce(buf, f"the gradient allreduce of iteration {iteration}")
        self.allreduce_seconds += time.perf_counter() - start
        if host_scalars(buf[n])[0] > 0:
            self._report_failure(message, cause, iteration)
        at = n + EXTRA
        for layer in norms:
            c = layer.TrainedMean.size
            mu = buf[at:at + c].copy()
            layer._pending = (mu, xp.maximum(buf[at + c:at + 2 * c] - mu * mu, 0))
            at += 2 * c
        self.iteration = iteration    # its update follows before the next collective
        return loss, metric, states

    def allgather_arrays(self, arrays, what, failed=False):
        """Every rank's float32 host copies of ``arrays`` (a list, possibly empty), in rank
        order, as one list on every rank; None on every rank when a rank says ``failed``.

        Three collectives: a header (failure flag, shape length, element count per rank),
        the shapes, the data."""
        arrays = [np.ascontiguousarray(to_host(a), dtype=np.float32) for a in arrays]
        shapes = np.array([d for a in arrays for d in (a.ndim, *a.shape)], dtype=np.int64)
        mine = np.array([int(failed), shapes.size, sum(a.size for a in arrays)],
                        dtype=np.int64)
        head = np.zeros((self.size, 3), dtype=np.int64)
        self._wait(self.comm.Iallgather(mine, head), what)
        if head[:, 0].any():
            return None
        every_shape = np.zeros(int(head[:, 1].sum()), dtype=np.int64)
        self._wait(self.comm.Iallgatherv(shapes, [every_shape, head[:, 1].tolist()]), what)
        data = np.zeros(int(head[:, 2].sum()), dtype=np.float32)
        flat = np.concatenate([a.ravel() for a in arrays]) if arrays else \
            np.zeros(0, dtype=np.float32)
        self._wait(self.comm.Iallgatherv(flat, [data, head[:, 2].tolist()]), what)
        out, i, at = [], 0, 0
        while i < every_shape.size:
            ndim = int(every_shape[i])
            shape = tuple(int(d) for d in every_shape[i + 1:i + 1 + ndim])
            size = int(np.prod(shape))
            out.append(data[at:at + size].reshape(shape))
            i, at = i + 1 + ndim, at + size
        return out

    def _report_failure(self, message, cause, iteration):
        failed = _exchange_messages(self.comm, message, self._wait)
        rank, text = failed[0]
        worker = rank - self.first_worker + 1
        more = f" ({len(failed) - 1} more failed)" if len(failed) > 1 else ""
        self._fail(f"worker {worker} of {self.nworkers} failed in iteration {iteration}: "
                   f"{text}{more}. Training stopped on every worker.", cause=cause)

    def _prediction_range(self, n, mbs):
        """This rank's contiguous run of whole prediction mini-batches of ``n``."""
        blocks = -(-n // mbs)
        return (min(n, mbs * (blocks * self.rank // self.size)),
                min(n, mbs * (blocks * (self.rank + 1) // self.size)))

    def split_predictions(self, predict, seqs, mbs):
        """``predict(seqs)`` -> 2-D array of the whole validation set, on every rank:
        each rank predicts a contiguous run of whole mini-batches (padded as in one
        process); the rows are gathered in order, so that the validation loss and metrics
        (trainNetwork's and trainnet's alike) see every prediction, as in one process."""
        a, b = self._prediction_range(len(seqs), mbs)
        mine, message, cause = [], None, None
        if b > a:
            try:
                mine = [predict(seqs[a:b])]
            except Exception as err:  # noqa: BLE001 - reported to every rank by name
                message, cause = f"{type(err).__name__}: {err}", err
        parts = self.allgather_arrays(mine, "the exchange of the validation predictions",
                                      failed=message is not None)
        if parts is None:
            self._report_failure(message, cause, self.iteration)
        return np.concatenate(parts, axis=0)

    def decide(self, stop):
        """The client's stop request (OutputFcn), known to every rank."""
        flag = np.array([1 if stop else 0], dtype=np.int32)
        self._wait(self.comm.Ibcast(flag, root=0), "the broadcast of the stop request")
        return bool(flag[0])

    def finish(self, run):
        """Every rank ends with the client's network (bitwise)."""
        self.bcast(run.theta, "the broadcast of the final weights")
        run.restore(run.theta)
        global last_context
        last_context = self


def run_forward(run, X, states):
    """(output, backward records, states) of the network's training forward pass on X."""
    ys, backs, states = run.graph.forward([X], True, states)
    return ys[0], backs, states


def _batch_first(Y):
    """(B, K) stays, (T, B, K) <-> (B, T, K): observations first, and back."""
    return Y if Y.ndim == 2 else Y.transpose(1, 0, 2)


def extra_size(layers):
    """Elements after the gradient in the allreduce buffer: the failure count, and per
    batch normalization layer the share-weighted sums of its mini-batch means and of
    its variances plus squared means (the whole mini-batch's mean and biased variance)."""
    return EXTRA + sum(2 * layer.TrainedMean.size for layer in layers
                       if isinstance(layer, BatchNormalizationLayer))


def _batch_norms(layers):
    return [layer for layer in layers if isinstance(layer, BatchNormalizationLayer)]


def quiet(opts):
    """The options a non-client rank trains with: no table, plot, OutputFcn or checkpoint."""
    values = dict(object.__getattribute__(opts, "_values"))
    values.update(Verbose=False, OutputFcn=None, Plots="none", CheckpointPath="")
    return type(opts)(opts.SolverName, values)


def begin(func, opts, args):
    """The Context of a trainNetwork or trainnet call (``func``) with ExecutionEnvironment
    'parallel'/'multi-gpu'.

    In a pool worker: its merged communicator. Under mpiexec: ``MPI.COMM_WORLD``. Otherwise
    the current pool (started with the default size when there is none), to which the
    client sends the call's arguments ``args`` (the training options last)."""
    MPI = mpi(func)
    gpu = opts.ExecutionEnvironment == "multi-gpu"
    if _worker_comm is not None:
        return Context(_worker_comm, 1, opts, func, gpu)
    if _pool is None and _launched_by_mpiexec():
        return Context(MPI.COMM_WORLD, 0, opts, func, gpu)
    pool = _pool if _pool is not None else parpool(_default_workers(gpu), _verbose=opts.Verbose)
    pool._send((func, args[:-1] + (quiet(args[-1]),)), func)
    failed = _exchange_messages(pool.comm, None, _Waiter(pool.comm, func).wait)
    if failed:
        rank, text = failed[0]
        raise_error(func, "WorkerFailed", f"worker {rank} of {pool.NumWorkers} could not "
                    f"take the task: {text}. Training did not start.")
    return Context(pool.comm, 1, opts, func, gpu)


def _exchange_messages(comm, message, wait):
    """[(rank, message)] of the ranks that have one (an allgather of fixed-size texts)."""
    raw = np.zeros(_MESSAGE_BYTES, dtype=np.uint8)
    if message is not None:
        data = message.encode("utf-8", "replace")[:_MESSAGE_BYTES - 1]
        raw[:len(data)] = np.frombuffer(data, dtype=np.uint8)
    every = np.zeros((comm.Get_size(), _MESSAGE_BYTES), dtype=np.uint8)
    wait(comm.Iallgather(raw, every), "the exchange of the workers' errors")
    return [(r, bytes(every[r]).rstrip(b"\0").decode("utf-8", "replace"))
            for r in range(comm.Get_size()) if every[r].any()]


def _default_workers(gpu):
    if gpu:
        return _NcclBackend.device_count()
    return _physical_cores()


# -- the pool ---------------------------------------------------------------------------
class Pool:
    """A pool of local MPI worker processes (MATLAB ``parallel.ProcessPool``)."""

    def __init__(self, comm, intercomm, pids):
        self.comm = comm
        self._inter = intercomm
        self._pids = pids
        self.NumWorkers = len(pids)
        self.Connected = True

    def __repr__(self):
        rows = [("Connected", self.Connected), ("NumWorkers", self.NumWorkers),
                ("Busy", False), ("Cluster", "Processes (MPI, local)")]
        return property_block("ProcessPool", [(None, rows)], footer=False)

    __str__ = __repr__

    def _send(self, task, func):
        try:
            data = pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # noqa: BLE001 - e.g. a lambda, an open file
            raise_error(func, "CannotSendToWorkers",
                        f"the arguments cannot be sent to the pool's workers "
                        f"({type(err).__name__}: {err}); a loss, metric or OutputFcn given "
                        f"as a function must be defined at the top level of a module that "
                        f"the workers can import (not a lambda or a nested function).")
        data = np.frombuffer(data, dtype=np.uint8)
        size = np.array([data.size], dtype=np.int64)
        ctx = _Waiter(self.comm, func)
        ctx.wait(self.comm.Ibcast(size, root=0), "sending the task to the workers")
        ctx.wait(self.comm.Ibcast(np.array(data), root=0), "sending the task to the workers")

    def delete(self):
        """Shut the workers down (MATLAB ``delete(pool)``)."""
        global _pool
        if self.Connected:
            try:
                self._send(None, "delete")
                self.comm.Disconnect()
                self._inter.Disconnect()
            except DLToolboxError:      # a worker hangs: leave without MPI_Finalize at exit
                global _abort_at_exit
                _abort_at_exit = True
            self.Connected = False
        if _pool is self:
            _pool = None


class _Waiter:
    def __init__(self, comm, func):
        self.MPI = mpi(func)
        self.timeout = collective_timeout()
        self.func = func

    def wait(self, request, what):
        deadline = time.monotonic() + self.timeout
        while not request.Test():
            if time.monotonic() > deadline:
                raise_error(self.func, "CollectiveTimeout",
                            f"no answer from the workers within {self.timeout:g} s while "
                            f"{what}.")
            time.sleep(1e-4)


def parpool(*args, _verbose=True):
    """Start a pool of local worker processes (MATLAB ``parpool``).

    ``parpool(N)``, ``parpool('Processes', N)`` or ``parpool()`` (one worker per physical
    core). The workers are Python processes started with ``MPI.Comm.Spawn`` through the
    environment's ``mpiexec``; trainNetwork with ExecutionEnvironment 'parallel' trains on
    them while this process (the client) prints and returns the network.

    >>> from dltoolbox import gcp
    >>> gcp('nocreate') is None
    True
    """
    global _pool
    func = "parpool"
    rest = list(args)
    if rest and isinstance(rest[0], str):
        profile = rest.pop(0)
        if profile.lower() not in ("processes", "local", "threads"):
            raise_error(func, "UnknownProfile",
                        f"Unknown cluster profile '{profile}'; only 'Processes' (local MPI "
                        f"workers) is available. On a cluster, start the script with mpiexec.")
    if len(rest) > 1:
        raise_error(func, "TooManyArguments",
                    f"Expected parpool(N) or parpool(profile, N), got {len(args)} arguments.")
    n = _physical_cores() if not rest else rest[0]
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer, float)) or \
            n != int(n) or n < 1:
        raise_error(func, "InvalidNumWorkers",
                    f"The number of workers must be a positive integer, got {n!r}.")
    n = int(n)
    if _worker_comm is not None or _launched_by_mpiexec():
        raise_error(func, "InsideMPIJob",
                    "parpool cannot start workers inside an mpiexec job; the job's ranks "
                    "are the workers (use ExecutionEnvironment 'parallel' directly).")
    if _pool is not None:
        raise_error(func, "PoolExists",
                    f"A parallel pool with {_pool.NumWorkers} workers is already running; "
                    f"delete it first with delete(gcp('nocreate')).")
    MPI = mpi(func)
    if _verbose:
        print("Starting parallel pool (parpool) using the 'Processes' profile ...", flush=True)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = (f"import sys; sys.path.insert(0, {root!r}); "
            "from dltoolbox.training.parallel import worker_main; worker_main()")
    info = MPI.Info.Create()
    info.Set("wdir", os.getcwd())
    try:
        inter = MPI.COMM_SELF.Spawn(sys.executable, args=["-c", code], maxprocs=n, info=info)
    except MPI.Exception as err:
        raise_error(func, "SpawnFailed",
                    f"Could not start {n} workers with MPI.Comm.Spawn ({err}). Check that "
                    f"mpiexec is in {os.path.dirname(sys.executable)}, or run the script "
                    f"with mpiexec -n {n}.")
    finally:
        info.Free()
    comm = inter.Merge(high=False)
    pids = comm.gather(0, root=0)[1:]
    _pool = Pool(comm, inter, pids)
    if _verbose:
        print(f"Connected to parallel pool with {n} workers.", flush=True)
    return _pool


def gcp(option=None):
    """The current pool (MATLAB ``gcp``); ``gcp('nocreate')`` returns None when there is none,
    ``gcp()`` starts the default pool.

    >>> gcp('nocreate') is None
    True
    """
    if option is not None and (not isinstance(option, str) or option.lower() != "nocreate"):
        raise_error("gcp", "InvalidOption", f"Expected gcp() or gcp('nocreate'), got "
                    f"gcp({option!r}).")
    if _pool is not None or option is not None:
        return _pool
    return parpool()


def delete(obj):
    """Delete a pool (MATLAB ``delete(gcp('nocreate'))``); ``delete(None)`` does nothing.

    >>> delete(None)
    """
    if obj is None:
        return
    if not isinstance(obj, Pool):
        raise_error("delete", "InvalidObject",
                    f"delete expects a parallel pool, got {type(obj).__name__}.", "type")
    obj.delete()


def worker_main():
    """The loop of a pool worker: receive a task, run it, until the client says stop."""
    global _worker_comm
    MPI = mpi("parpool")
    parent = MPI.Comm.Get_parent()
    comm = parent.Merge(high=True)
    comm.gather(os.getpid(), root=0)
    _worker_comm = comm
    from .loop import trainNetwork  # noqa: PLC0415 - the loop imports this module
    from .trainnet import trainnet  # noqa: PLC0415

    while True:
        # non-blocking as the client's (a blocking collective does not match a non-blocking
        # one); an idle worker waits here without a deadline
        size = np.zeros(1, dtype=np.int64)
        comm.Ibcast(size, root=0).Wait()
        data = np.empty(int(size[0]), dtype=np.uint8)
        comm.Ibcast(data, root=0).Wait()
        try:
            task, problem = pickle.loads(data.tobytes()), None
        except Exception as err:  # noqa: BLE001 - e.g. a class the worker cannot import
            task, problem = ("failed", None), f"{type(err).__name__}: {err}"
        if task is None:
            break
        kind, payload = task
        if _exchange_messages(comm, problem, lambda request, what: request.Wait()):
            continue
        if kind in ("trainNetwork", "trainnet"):
            try:
                (trainNetwork if kind == "trainNetwork" else trainnet)(*payload)
            except ParallelTrainingError:
                while _abort_at_exit:
                    # a collective was abandoned: ending this process would make the MPI
                    # launcher kill the client as well; wait until the client ends it
                    time.sleep(60)
            except Exception as err:  # noqa: BLE001 - the client has reported it
                print(f"dltoolbox worker {comm.Get_rank()}: {err}", file=sys.stderr)
    _worker_comm = None
    comm.Disconnect()
    parent.Disconnect()


# -- multi-gpu: NCCL through CuPy, bootstrapped over MPI --------------------------------
class _NcclBackend:
    """Allreduce and broadcast of CuPy buffers with NCCL, one process per GPU.

    NOT RUN on a GPU yet (none was available when it was written); its logic is the MPI
    path's with NCCL calls, and the waits poll the CUDA stream with the same deadline."""

    def __init__(self, comm, func):
        from ..backend import cupy_or_none  # noqa: PLC0415

        cp = cupy_or_none()
        if cp is None:
            raise_error(func, "GPUNotAvailable",
                        "ExecutionEnvironment 'multi-gpu' needs CuPy with NCCL "
                        "(pip install 'dltoolbox[gpu]' nvidia-nccl-cu12) and NVIDIA GPUs.")
        try:
            from cupy.cuda import nccl  # noqa: PLC0415
        except ImportError:
            raise_error(func, "NCCLNotAvailable",
                        "ExecutionEnvironment 'multi-gpu' needs NCCL for CuPy: "
                        "pip install nvidia-nccl-cu12.")
        MPI = mpi(func)
        local = comm.Split_type(MPI.COMM_TYPE_SHARED)
        cp.cuda.Device(local.Get_rank() % cp.cuda.runtime.getDeviceCount()).use()
        local.Free()
        uid = nccl.get_unique_id() if comm.Get_rank() == 0 else None
        uid = comm.bcast(uid, root=0)
        self.cp, self.nccl = cp, nccl
        self.comm = nccl.NcclCommunicator(comm.Get_size(), uid, comm.Get_rank())
        self.stream = cp.cuda.Stream(non_blocking=True)

    @staticmethod
    def device_count():
        from ..backend import cupy_or_none  # noqa: PLC0415

        cp = cupy_or_none()
        return cp.cuda.runtime.getDeviceCount() if cp is not None else 1

    def _types(self, buf):
        kinds = {np.dtype(np.float32): self.nccl.NCCL_FLOAT32,
                 np.dtype(np.float64): self.nccl.NCCL_FLOAT64,
                 np.dtype(np.int64): self.nccl.NCCL_INT64}
        return kinds[np.dtype(buf.dtype)]

    def _wait(self, ctx, what):
        deadline = time.monotonic() + ctx.timeout
        while not self.stream.done:
            if time.monotonic() > deadline:
                ctx._abandon(what)
            time.sleep(5e-5)

    def allreduce(self, buf, ctx, what):
        self.cp.cuda.get_current_stream().synchronize()
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._types(buf),
                            self.nccl.NCCL_SUM, self.stream.ptr)
        self._wait(ctx, what)

    def bcast(self, buf, ctx, what):
        self.cp.cuda.get_current_stream().synchronize()
        self.comm.bcast(buf.data.ptr, buf.size, self._types(buf), 0, self.stream.ptr)
        self._wait(ctx, what)
