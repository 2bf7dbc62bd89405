"""Data-parallel trainNetwork on MPI: measured scaling here and a model for N nodes.

1. One trainNetwork epoch, float32, classification with a GRU: the (C, H, T, B) =
   (64, 256, 100, 64) configuration of gru_bench (8 mini-batches of 64 sequences of 100
   steps) and Japanese Vowels (GRU 100, MiniBatchSize 27, 10 mini-batches). Timed as
   * one process, 'cpu', BLAS on 2 threads (the best a single process does on 2 cores)
     and on 1 thread;
   * ``mpiexec -n 1`` and ``mpiexec -n 2``, 'parallel', 1 BLAS thread per rank;
   medians (and the best) of the epochs after a warm-up epoch; Japanese Vowels, whose
   epoch is short, with 5 times the repeats. The communication share is the time in the
   gradient allreduce (waits for the slower rank included) over the epoch, and the pure
   allreduce of that buffer measured alone.
2. DispatchInBackground off/on (one process, 1 BLAS thread, alternating runs).
3. Allreduce latency and bandwidth between 2 local ranks (fit t = a + bytes/b), and the
   model for N nodes: t_iter(N) = t0 + t1*B/N + t_ar(N), t_ar(N) = 2*log2(N)*a +
   2*(N-1)/N*bytes/b (ring), with t0, t1 fitted (least squares) to 1-process iterations
   at B, B/4 and 2 observations; speed-up t_iter(1)/t_iter(N), and where it stops paying
   (parallel efficiency below 50%). Printed with a, b measured here and with an assumed
   10 GbE cluster (a = 30 us, b = 1.1 GB/s), or with ``--alpha/--beta`` given.

The machine's load average is printed before and after: the figures only mean something
next to it.

Run:  python benchmarks/parallel_bench.py [--repeats N] [--alpha S --beta BYTES_PER_S]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPIEXEC = os.path.join(os.path.dirname(sys.executable), "mpiexec")


# -- the measured part (run in a subprocess, so that threads and ranks are set per case) --
def _problem(kind):
    from dltoolbox import (
        categorical,
        classificationLayer,
        fullyConnectedLayer,
        gruLayer,
        japaneseVowelsTrainData,
        sequenceInputLayer,
        softmaxLayer,
    )

    if kind == "jv":
        X, Y = japaneseVowelsTrainData(nargout=2)
        c, h, k, mbs = 12, 100, 9, 27
    else:
        rs = np.random.default_rng(0)
        X = [rs.standard_normal((64, 100)).astype(np.float32) for _ in range(512)]
        Y = categorical([str(i % 8) for i in range(512)])
        c, h, k, mbs = 64, 256, 8, 64
    layers = [sequenceInputLayer(c), gruLayer(h, 'OutputMode', 'last'),
              fullyConnectedLayer(k), softmaxLayer(), classificationLayer()]
    return X, Y, layers, mbs


def measure_dispatch(kind, repeats):
    """Median epoch seconds with DispatchInBackground false and true, run alternately in
    one process (separate processes differ more than the two settings on a loaded VM)."""
    from dltoolbox import rng, trainingOptions, trainNetwork

    X, Y, layers, mbs = _problem(kind)
    times = {False: [], True: []}
    for r in range(repeats + 1):
        for dispatch in (False, True):
            opts = trainingOptions('adam', MaxEpochs=1, MiniBatchSize=mbs, Verbose=False,
                                   GradientThreshold=1, Shuffle='never',
                                   DispatchInBackground=dispatch)
            rng(0)
            start = time.perf_counter()
            trainNetwork(X, Y, layers, opts)
            if r:
                times[dispatch].append(time.perf_counter() - start)
    return {"off": statistics.median(times[False]), "on": statistics.median(times[True])}


def measure(kind, env, repeats, batch=None):
    """Median epoch seconds (and allreduce seconds per epoch) of trainNetwork."""
    from dltoolbox import rng, trainingOptions, trainNetwork
    from dltoolbox.training import parallel

    X, Y, layers, mbs = _problem(kind)
    mbs = batch or mbs
    opts = trainingOptions('adam', MaxEpochs=1, MiniBatchSize=mbs, Verbose=False,
                           GradientThreshold=1, Shuffle='never', ExecutionEnvironment=env)
    times, comm = [], []
    for r in range(repeats + 1):
        rng(0)
        start = time.perf_counter()
        trainNetwork(X, Y, layers, opts)
        if r:                                   # the first epoch warms caches and numba
            times.append(time.perf_counter() - start)
            if parallel.last_context is not None:
                comm.append(parallel.last_context.allreduce_seconds)
    out = {"epoch": statistics.median(times), "best": min(times),
           "iterations": len(X) // mbs}
    if comm:
        out["allreduce"] = statistics.median(comm)
    return out


def allreduce_costs(sizes, repeats=50):
    """Median seconds of one in-place float32 allreduce per size, on this communicator."""
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    out = {}
    for n in sizes:
        buf = np.ones(n, dtype=np.float32)
        samples = []
        for _ in range(repeats):
            comm.Barrier()
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            samples.append(time.perf_counter() - start)
        out[n] = statistics.median(samples)
    return out


def worker(args):
    result = {}
    if args.case == "allreduce":
        result = {str(k): v for k, v in allreduce_costs(
            [1, 1024, 35_000, 262_144, 1_048_576, 4_194_304]).items()}
    else:
        kind, env = args.case.split(":")
        result = measure_dispatch(kind, args.repeats) if env == "dispatch" else \
            measure(kind, env, args.repeats, args.batch)
        if env == "parallel":
            from dltoolbox.training import parallel

            ctx = parallel.last_context
            size = ctx.run.grad_buffer.size if ctx and ctx.run is not None else 0
            result["buffer"] = size
            result["pure_allreduce"] = allreduce_costs([size])[size] if size else 0.0
    if int(os.environ.get("PMI_RANK", "0")) == 0:
        print("RESULT " + json.dumps(result), flush=True)


# -- the driver -----------------------------------------------------------------------------
def run_case(case, ranks, threads, repeats, extra=()):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = [sys.executable, os.path.abspath(__file__), "--worker", case,
               "--repeats", str(repeats), *extra]
    if ranks:
        command = [MPIEXEC, "-n", str(ranks), *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{case} on {ranks} ranks failed:\n{done.stderr[-3000:]}")


def load_text():
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def model(t0, t1, batch, nbytes, alpha, beta, counts=(1, 2, 4, 8, 16, 32, 64)):
    """[(N, t_iter, t_allreduce, speed-up)] of the model in the module docstring."""
    base = t0 + t1 * batch
    rows = []
    for n in counts:
        if n > batch:
            break
        ar = 0.0 if n == 1 else 2 * np.log2(n) * alpha + 2 * (n - 1) / n * nbytes / beta
        t = t0 + t1 * batch / n + ar
        rows.append((n, t, ar, base / t))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=None, help="allreduce latency, s")
    parser.add_argument("--beta", type=float, default=None, help="bandwidth, bytes/s")
    parser.add_argument("--worker", dest="case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        worker(args)
        return

    print("parallel_bench:", time.strftime("%Y-%m-%d %H:%M:%S"), "|", load_text())
    print("  (other programs share this machine; see the load average at the end too)\n")
    fits = {}
    for kind, title in (("big", "(C,H,T,B) = (64,256,100,64), 512 sequences"),
                        ("jv", "Japanese Vowels, GRU 100, MiniBatchSize 27")):
        r = args.repeats * (5 if kind == "jv" else 1)
        cpu2 = run_case(f"{kind}:cpu", 0, 2, r)
        cpu1 = run_case(f"{kind}:cpu", 0, 1, r)
        par1 = run_case(f"{kind}:parallel", 1, 1, r)
        par2 = run_case(f"{kind}:parallel", 2, 1, r)
        batch = {"big": 64, "jv": 27}[kind]
        sizes = [batch, batch // 4, 2]
        per_iteration = [cpu1["epoch"] / cpu1["iterations"]]
        for b in sizes[1:]:
            small = run_case(f"{kind}:cpu", 0, 1, args.repeats, ("--batch", str(b)))
            per_iteration.append(small["epoch"] / small["iterations"])
        it = par2["iterations"]
        print(f"trainNetwork epoch, {title} ({it} iterations), median (best) of {r}:")
        for label, res in (("1 process, 'cpu', 2 BLAS threads", cpu2),
                           ("1 process, 'cpu', 1 BLAS thread ", cpu1),
                           ("mpiexec -n 1, 'parallel'        ", par1),
                           ("mpiexec -n 2, 'parallel'        ", par2)):
            print(f"  {label}  {res['epoch']:8.3f} s ({res['best']:.3f} s)", end="")
            print("" if res is not par2 else "  ", end="")
            if res is par1:
                print(f"  (allreduce {100 * par1['allreduce'] / par1['epoch']:.1f}%)", end="")
            print("" if res is par2 else "\n", end="")
        print(f"(allreduce incl. waits {100 * par2['allreduce'] / par2['epoch']:.1f}%, "
              f"pure allreduce of {par2['buffer']} floats {1e6 * par2['pure_allreduce']:.0f} "
              f"us x {it} = {100 * par2['pure_allreduce'] * it / par2['epoch']:.1f}%)")
        for stat in ("epoch", "best"):
            name = "medians" if stat == "epoch" else "best   "
            print(f"  speed-up of 2 ranks ({name}) vs 1 process 2 threads "
                  f"{cpu2[stat] / par2[stat]:.2f}x, 1 thread {cpu1[stat] / par2[stat]:.2f}x, "
                  f"mpiexec -n 1 {par1[stat] / par2[stat]:.2f}x")
        # per-iteration compute (1 thread) at B, B/4 and 2: t = t0 + t1*b, least squares
        t1, t0 = np.polyfit(np.array(sizes, float), np.array(per_iteration), 1)
        print("  per iteration, 1 process 1 thread: " + ", ".join(
            f"B={b}: {1e3 * t:.2f} ms" for b, t in zip(sizes, per_iteration)) + "\n")
        fits[kind] = (max(t0, 0.0), max(t1, 1e-9), batch, 4 * par2["buffer"], title)

    for kind, title in (("jv", "Japanese Vowels"), ("big", "(64,256,100,64)")):
        d = run_case(f"{kind}:dispatch", 0, 1, args.repeats * (5 if kind == "jv" else 1))
        print(f"DispatchInBackground, {title} epoch, 1 process, 1 BLAS thread, alternating: "
              f"off {d['off']:.3f} s, on {d['on']:.3f} s (time ratio on/off "
              f"{d['on'] / d['off']:.2f})")
    print()

    costs = {int(k): v for k, v in run_case("allreduce", 2, 1, 1).items()}
    sizes = np.array(sorted(costs))
    times = np.array([costs[s] for s in sizes])
    big = sizes >= 262_144
    slope = np.polyfit(4.0 * sizes[big], times[big], 1)[0]
    alpha_here, beta_here = costs[1], 1.0 / slope
    print("allreduce of float32 between 2 local ranks (median of 50):")
    for s, t in zip(sizes, times):
        print(f"  {s:>9} floats  {1e6 * t:9.1f} us")
    print(f"  fit: latency a = {1e6 * alpha_here:.1f} us, bandwidth b = "
          f"{beta_here / 1e9:.2f} GB/s\n")
    networks = [("measured here", alpha_here, beta_here)]
    if args.alpha is not None or args.beta is not None:
        networks.append(("given", args.alpha or alpha_here, args.beta or beta_here))
    else:
        networks.append(("10 GbE cluster, assumed", 30e-6, 1.1e9))
    for where, alpha, beta in networks:
        print(f"model for N nodes, one rank each (a = {1e6 * alpha:.1f} us, "
              f"b = {beta / 1e9:.2f} GB/s, {where}):")
        for t0, t1, batch, nbytes, title in fits.values():
            print(f"  {title}: t0 = {1e3 * t0:.2f} ms fixed per iteration, "
                  f"t1 = {1e3 * t1:.3f} ms per observation, gradient {nbytes / 1e6:.2f} MB")
            best, stop = (1, 1.0), None
            for n, t, ar, s in model(t0, t1, batch, nbytes, alpha, beta):
                print(f"    N = {n:3d}  t_iter {1e3 * t:8.2f} ms  allreduce {1e3 * ar:7.3f} ms"
                      f" ({100 * ar / t:4.1f}%)  speed-up {s:5.2f}x  efficiency "
                      f"{100 * s / n:3.0f}%")
                best = (n, s) if s > best[1] else best
                if stop is None and s / n < 0.5:
                    stop = n
            print(f"    -> largest speed-up {best[1]:.2f}x at N = {best[0]} (N <= B = {batch})"
                  + (f"; efficiency below 50% from N = {stop}" if stop else "") + "\n")
    print("parallel_bench done:", time.strftime("%H:%M:%S"), "|", load_text())


if __name__ == "__main__":
    main()
