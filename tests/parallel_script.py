"""The trainings of tests/test_parallel.py, run in one process or on MPI workers.

``python -m tests.parallel_script MODE OUT [CHECKPOINTS]`` with MODE 'world' (every rank of
``mpiexec -n 2`` runs it), 'pool' (plain python, ``parpool(2)``), 'default' (plain python,
the default pool), 'fault' / 'hang' (under mpiexec: worker 2 raises or hangs in its third
iteration) or 'poolfault' (a task the pool workers cannot unpickle, a pool worker that
raises, then training again), 'poolhang' (a pool worker hangs) or 'multigpu' (under
mpiexec, one rank per GPU). Results go to the .npz
file OUT (rank 0 only).
"""

import sys
import time

import numpy as np

from dltoolbox import (
    batchNormalizationLayer,
    categorical,
    classificationLayer,
    fullyConnectedLayer,
    gruLayer,
    regressionLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainnet,
    trainNetwork,
)
from dltoolbox.layers.fully_connected import FullyConnectedLayer


def _data(n, c, seed):
    return [np.random.default_rng(seed + i).standard_normal((c, 3 + (i * 7) % 6))
            for i in range(n)]


def scenarios(env, checkpoints=""):
    """(name, X, Y, layers, options) of each training; ``env`` its ExecutionEnvironment."""
    X = _data(24, 3, 0)
    Y = categorical(['a', 'b', 'c'] * 8)
    Xv, Yv = _data(11, 3, 100), categorical(['a', 'b', 'c', 'a'] * 2 + ['b', 'c', 'a'])

    def classifier():
        return [sequenceInputLayer(3), gruLayer(6, 'OutputMode', 'last'),
                fullyConnectedLayer(3), softmaxLayer(), classificationLayer()]

    par = env != "cpu"
    yield ("adam", X, Y, classifier(),
           trainingOptions('adam', MaxEpochs=3, MiniBatchSize=8, VerboseFrequency=1,
                           Shuffle='every-epoch', GradientThreshold=1,
                           ValidationData=(Xv, Yv), ValidationFrequency=2,
                           CheckpointPath=checkpoints, CheckpointFrequency=4,
                           CheckpointFrequencyUnit='iteration', ExecutionEnvironment=env))
    R = [np.cumsum(x[:2], axis=1) for x in X]
    stop = [lambda info: info.Iteration >= 7]
    yield ("sgdm", X, R, [sequenceInputLayer(3), gruLayer(5), fullyConnectedLayer(2),
                          regressionLayer()],
           trainingOptions('sgdm', MaxEpochs=3, MiniBatchSize=8, Verbose=False,
                           LearnRateSchedule='piecewise', LearnRateDropPeriod=1,
                           SequenceLength=4, OutputFcn=stop, GradientThreshold=2,
                           GradientThresholdMethod='global-l2norm',
                           WorkerLoad=[1, 3] if par else [], ExecutionEnvironment=env))
    # batch normalization, all of each mini-batch on worker 1: the single-process run,
    # moving statistics included (combined in the allreduce with worker 2's zeros)
    yield ("bn", X, R, [sequenceInputLayer(3), gruLayer(5), batchNormalizationLayer(),
                        fullyConnectedLayer(2), regressionLayer()],
           trainingOptions('adam', MaxEpochs=2, MiniBatchSize=8, Verbose=False,
                           BatchNormalizationStatistics='moving',
                           WorkerLoad=[1, 0] if par else [], ExecutionEnvironment=env))
    # equal split, one iteration, a negligible step: the moving statistics must be those of
    # the whole mini-batch (each worker normalizes by its own part's statistics)
    yield ("bnsplit", X, [r + 5 for r in R],
           [sequenceInputLayer(3), gruLayer(5), batchNormalizationLayer(),
            fullyConnectedLayer(2), regressionLayer()],
           trainingOptions('adam', MaxEpochs=1, MiniBatchSize=24, Verbose=False,
                           BatchNormalizationStatistics='moving', InitialLearnRate=1e-12,
                           ExecutionEnvironment=env))
    yield ("dispatch", X, Y, classifier(),
           trainingOptions('rmsprop', MaxEpochs=2, MiniBatchSize=6, Verbose=False,
                           DispatchInBackground=True, WorkerLoad=[1, 0] if par else [],
                           ExecutionEnvironment=env))


def rmse_loss(Y, T):
    """A loss handle that is not a mean over observations (the root of one): exact in
    parallel only because the loss is taken on the whole mini-batch's outputs."""
    d = Y - T
    loss = float(np.sqrt((d * d).mean()))
    return loss, d / (d.size * max(loss, 1e-12))


def trainnet_scenarios(env):
    """(name, X, T, layers, loss, options) of the trainnet trainings."""
    X = _data(24, 3, 0)
    Y = categorical(['a', 'b', 'c'] * 8)
    Xv, Yv = _data(11, 3, 100), categorical(['a', 'b', 'c', 'a'] * 2 + ['b', 'c', 'a'])
    par = env != "cpu"
    yield ("tn_cls", X, Y,
           [sequenceInputLayer(3), gruLayer(6, 'OutputMode', 'last'), fullyConnectedLayer(3),
            softmaxLayer()], "crossentropy",
           trainingOptions('adam', MaxEpochs=3, MiniBatchSize=8, VerboseFrequency=1,
                           Shuffle='every-epoch', GradientThreshold=1, InitialLearnRate=0.05,
                           Metrics=['accuracy', 'fscore', 'auc'], ObjectiveMetricName='fscore',
                           ValidationData=(Xv, Yv), ValidationFrequency=2,
                           OutputNetwork='best-validation', InputDataFormats='CTB',
                           ExecutionEnvironment=env))
    R = [np.cumsum(x[:2], axis=1) for x in X]
    from tests import parallel_script  # rmse_loss as pool workers can unpickle it

    yield ("tn_reg", X, R, [sequenceInputLayer(3), gruLayer(5), fullyConnectedLayer(2)],
           parallel_script.rmse_loss,
           trainingOptions('sgdm', MaxEpochs=2, MiniBatchSize=8, Verbose=False,
                           SequenceLength=4, Metrics='rmse', InputDataFormats='CTB',
                           TargetDataFormats='CTB', WorkerLoad=[1, 3] if par else [],
                           ExecutionEnvironment=env))


def flat(net):
    """The learnables (and batch normalization statistics) of ``net`` in one vector."""
    return np.concatenate([np.ravel(getattr(layer, name)) for layer in net.Layers
                           for name in list(layer.learnable_names()) + (
                               ["TrainedMean", "TrainedVariance"]
                               if hasattr(layer, "TrainedVariance") else [])
                           ]).astype(np.float64)


def train_all(env, checkpoints=""):
    out = {}
    for name, X, Y, layers, opts in scenarios(env, checkpoints):
        rng(0)
        net, info = trainNetwork(X, Y, layers, opts, nargout=2)
        out[name] = flat(net)
        out[name + "_loss"] = info.TrainingLoss
        if name == "adam":
            out[name + "_val"] = info.ValidationLoss
    for name, X, T, layers, loss, opts in trainnet_scenarios(env):
        rng(0)
        net, info = trainnet(X, T, layers, loss, opts, nargout=2)
        out[name] = flat(net)
        history = info.TrainingHistory
        out[name + "_loss"] = np.asarray(history.Loss, dtype=np.float64)
        out[name + "_metric"] = np.asarray(getattr(history, history.VariableNames[-1]),
                                           dtype=np.float64)
        if name == "tn_cls":
            out[name + "_val"] = np.asarray(info.ValidationHistory.FScore, dtype=np.float64)
            out[name + "_best"] = np.array([info.OutputNetworkIteration])
    return out


class FaultyLayer(FullyConnectedLayer):
    """A fullyConnectedLayer that raises in training on pool worker 2."""

    def forward(self, X, training=False, state=None):
        from dltoolbox.training import parallel

        if training and parallel._worker_comm is not None and \
                parallel._worker_comm.Get_rank() == 2:
            raise RuntimeError("injected fault on this worker")
        return super().forward(X, training, state)


class HangingLayer(FullyConnectedLayer):
    """A fullyConnectedLayer that hangs in training on pool worker 2."""

    def forward(self, X, training=False, state=None):
        from dltoolbox.training import parallel

        if training and parallel._worker_comm is not None and \
                parallel._worker_comm.Get_rank() == 2:
            time.sleep(120)
        return super().forward(X, training, state)


def _importable_faulty_layer(name="FaultyLayer"):
    """FaultyLayer as the workers can unpickle it (not ``__main__.FaultyLayer``)."""
    from tests import parallel_script

    return getattr(parallel_script, name)


def _inject(kind):
    """On rank 1 of an mpiexec job, make the third forward pass raise or hang."""
    from dltoolbox.training import parallel

    if parallel.mpi().COMM_WORLD.Get_rank() != 1:
        return
    real, calls = parallel.run_forward, [0]

    def patched(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 3:
            if kind == "fault":
                raise RuntimeError("injected fault on this worker")
            time.sleep(120)
        return real(*args, **kwargs)

    parallel.run_forward = patched


def _failing_training(fc_class=None):
    """Train the first scenario (its fullyConnectedLayer of class ``fc_class``); print the
    error and return its iteration."""
    from dltoolbox.training import parallel

    name, X, Y, layers, opts = next(scenarios("parallel"))
    if fc_class is not None:
        layers[2].__class__ = fc_class
    rng(0)
    try:
        trainNetwork(X, Y, layers, opts)
    except parallel.ParallelTrainingError as err:
        print(f"FAILED {err.identifier} | {err} | net of iteration {err.iteration} "
              f"{'present' if err.net is not None else 'missing'}", flush=True)
        return err.iteration
    return -1


def main(mode, out, checkpoints=""):
    from dltoolbox.training import parallel

    result = {}
    if mode == "pool":
        pool = parallel.parpool(2)
        print(pool)
        result = train_all("parallel", checkpoints)
        parallel.delete(parallel.gcp('nocreate'))
        print("after delete:", parallel.gcp('nocreate'))
    elif mode == "default":      # 'parallel' without a pool: the default pool starts
        name, X, Y, layers, opts = next(scenarios("parallel"))
        rng(0)
        result["adam"] = flat(trainNetwork(X, Y, layers, opts))
        print("pool:", parallel.gcp('nocreate').NumWorkers)
    elif mode == "world":
        result = train_all("parallel", checkpoints)
        rank = parallel.mpi().COMM_WORLD.Get_rank()
        result = {k + ("" if rank == 0 else f"_rank{rank}"): v for k, v in result.items()}
        # every rank ends with the client's network: gather them on rank 0
        mine = parallel.mpi().COMM_WORLD.gather(result, root=0)
        if rank != 0:
            return
        result = {k: v for r in mine for k, v in r.items()}
    elif mode in ("fault", "hang"):
        _inject(mode)
        result["iteration"] = _failing_training()
    elif mode == "poolfault":
        parallel.parpool(2)
        name, X, Y, layers, opts = next(scenarios("parallel"))
        layers[2].__class__ = FaultyLayer       # __main__.FaultyLayer: workers cannot load it
        try:
            trainNetwork(X, Y, layers, opts)
        except Exception as err:  # noqa: BLE001 - printed for the test
            print(f"NOT STARTED {err.identifier} | {err}", flush=True)
        result["iteration"] = _failing_training(_importable_faulty_layer())
        result.update(train_all("parallel"))
        parallel.delete(parallel.gcp('nocreate'))
    elif mode == "multigpu":     # under mpiexec -n <GPUs>: the NCCL path
        name, X, Y, layers, opts = next(scenarios("multi-gpu"))
        rng(0)
        result["adam"] = flat(trainNetwork(X, Y, layers, opts))
        name, X, T, layers, loss, opts = next(trainnet_scenarios("multi-gpu"))
        rng(0)
        result[name] = flat(trainnet(X, T, layers, loss, opts))
        if parallel.mpi().COMM_WORLD.Get_rank() != 0:
            return
    elif mode == "poolhang":
        parallel.parpool(2)
        result["iteration"] = _failing_training(_importable_faulty_layer("HangingLayer"))
        print("pool after the timeout:", parallel.gcp('nocreate'), flush=True)
    if out:
        np.savez(out, **result)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    sys.stdout.flush()
