"""A custom-loop training iteration against a trainNetwork iteration on the Japanese
Vowels network (sequenceInputLayer(12), lstmLayer(100, 'OutputMode', 'last') or
gruLayer, fullyConnectedLayer(9), softmax; Adam, gradient threshold 1, MiniBatchSize 27,
sequences sorted by length, no shuffling), float32 on the CPU.

trainNetwork's time per iteration is the gap between two of its OutputFcn calls (its
set-up is not counted). The custom loop's iteration is next(mbq) + dlfeval(modelLoss)
(forward, crossentropy, dlgradient) + L2 + dlupdate (gradient clipping) + adamupdate.
Two ways to pair them, both on the same mini-batches (this VM's speed drifts by up to 2x
over seconds, so unpaired figures mean little):

* interleaved (the default): inside each trainNetwork OutputFcn call one custom-loop
  iteration runs on the same mini-batch: every pair is timed at the same moment (each
  loop's iteration starts with the caches the other left).
* ``--by-epoch``: one trainNetwork epoch, then one custom-loop epoch, in turn; iteration k
  of one is paired with iteration k of the other. Each loop runs by itself, as a user
  runs it, but a pair's two times are a tenth of a second apart, so the drift shows more.

Medians, the median of the pairs' ratios and minima are reported.

Run:  python benchmarks/custom_loop_bench.py [--repeats N] [--layer lstm|gru] [--by-epoch]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))

from custom_training_loop import (  # noqa: E402
    modelLoss,
    preprocessMiniBatch,
    sorted_by_length,
    thresholdL2Norm,
)

from dltoolbox import (  # noqa: E402
    adamupdate,
    arrayDatastore,
    classificationLayer,
    combine,
    dlfeval,
    dlnetwork,
    dlupdate,
    fullyConnectedLayer,
    gruLayer,
    hasdata,
    japaneseVowelsTrainData,
    lstmLayer,
    minibatchqueue,
    reset,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)


def layers(kind):
    rec = lstmLayer if kind == "lstm" else gruLayer
    return [sequenceInputLayer(12), rec(100, OutputMode="last"), fullyConnectedLayer(9),
            softmaxLayer()]


def train_network_times(X, Y, kind, epochs):
    """Per-iteration times of trainNetwork: the gaps between its OutputFcn calls (one
    per iteration; the first gap, after set-up, is left out)."""
    stamps = []

    def stamp(info):
        if info["State"] == "iteration":
            stamps.append(time.perf_counter())
        return False

    opts = trainingOptions("adam", MaxEpochs=epochs, MiniBatchSize=27, Shuffle="never",
                           GradientThreshold=1, SequenceLength="longest", Verbose=False,
                           ExecutionEnvironment="cpu", OutputFcn=stamp)
    rng(0)
    trainNetwork(X, Y, [*layers(kind), classificationLayer()], opts)
    return list(np.diff(stamps))


class CustomLoop:
    """The example's custom loop, one timed iteration per ``step()``: next(mbq),
    dlfeval(modelLoss), the L2 terms, dlupdate clipping and adamupdate."""

    def __init__(self, X, Y, kind):
        self.net = dlnetwork(layers(kind))
        self.mbq = minibatchqueue(
            combine(arrayDatastore(X, OutputType="same"), arrayDatastore(Y)), 2,
            MiniBatchSize=27, MiniBatchFcn=preprocessMiniBatch,
            MiniBatchFormat=["CTB", "CB"], OutputEnvironment="cpu")
        self.m = self.v = None
        self.iteration = 0

    def step(self):
        if not hasdata(self.mbq):
            reset(self.mbq)
        self.iteration += 1
        t0 = time.perf_counter()
        Xb, Tb = next(self.mbq)
        loss, grads, _ = dlfeval(modelLoss, self.net, Xb, Tb)
        grads.Value = [g + 1e-4 * w if p != "Bias" else g for g, w, p in
                       zip(grads.Value, self.net.Learnables.Value, grads.Parameter)]
        grads = dlupdate(lambda g: thresholdL2Norm(g, 1), grads)
        self.net, self.m, self.v = adamupdate(self.net, grads, self.m, self.v,
                                              self.iteration, 0.001)
        return time.perf_counter() - t0


def by_epoch(X, Y, kind, epochs):
    """trainNetwork and the custom loop an epoch each, in turn, ``epochs`` times. Returns
    (trainNetwork times, custom-loop times), pair k on the same mini-batch."""
    loop = CustomLoop(X, Y, kind)
    gaps, customs = [], []
    for _ in range(epochs):
        tn = train_network_times(X, Y, kind, 1)     # gap k: iteration k + 2
        reset(loop.mbq)
        times = [loop.step() for _ in range(len(tn) + 1)]   # the epoch's iterations
        gaps += tn
        customs += times[1:len(tn) + 1]
    return gaps, customs


def paired(X, Y, kind, epochs):
    """trainNetwork with an OutputFcn that runs one custom-loop iteration right after each
    trainNetwork iteration: both see the same moment of this machine. Returns
    (trainNetwork times, custom-loop times), pair k on the same mini-batch."""
    loop = CustomLoop(X, Y, kind)
    state = {"end": None}
    gaps, customs = [], []

    def stamp(info):
        if info["State"] != "iteration":
            return False
        now = time.perf_counter()
        if state["end"] is not None:
            gaps.append(now - state["end"])
        customs.append(loop.step())
        state["end"] = time.perf_counter()
        return False

    opts = trainingOptions("adam", MaxEpochs=epochs, MiniBatchSize=27, Shuffle="never",
                           GradientThreshold=1, SequenceLength="longest", Verbose=False,
                           ExecutionEnvironment="cpu", OutputFcn=stamp)
    rng(0)
    trainNetwork(X, Y, [*layers(kind), classificationLayer()], opts)
    # gap k covers trainNetwork's iteration k + 2, custom k + 1 its iteration k + 2 too
    return gaps, customs[1:len(gaps) + 1]


def main(repeats=5, kind="lstm", epochs=2, interleaved=True):
    X, Y = japaneseVowelsTrainData(nargout=2)
    X, Y = sorted_by_length(X, Y)
    run = paired if interleaved else by_epoch
    run(X, Y, kind, 1)                         # warm up (kernels, caches)
    tn, cl = [], []
    for r in range(repeats):
        t, c = run(X, Y, kind, epochs)
        tn += t
        cl += c
        print(f"repeat {r + 1}: median trainNetwork {1e3 * statistics.median(t):.1f} "
              f"ms/iteration, custom loop {1e3 * statistics.median(c):.1f} ms/iteration, "
              f"median of the pairs' ratios "
              f"{statistics.median([b / a for a, b in zip(t, c)]):.2f}", flush=True)
    ratios = [b / a for a, b in zip(tn, cl)]
    med = statistics.median(cl) / statistics.median(tn)
    best = min(cl) / min(tn)
    print(f"\n{kind}, {'interleaved' if interleaved else 'by epoch'}, {len(tn)} pairs: median "
          f"trainNetwork {1e3 * statistics.median(tn):.1f} ms, custom loop "
          f"{1e3 * statistics.median(cl):.1f} ms: ratio of medians {med:.2f}, median of the "
          f"pairs' ratios {statistics.median(ratios):.2f}; minima {1e3 * min(tn):.1f} / "
          f"{1e3 * min(cl):.1f} ms: ratio {best:.2f}")
    return med, best


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--layer", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--by-epoch", action="store_true")
    a = parser.parse_args()
    main(a.repeats, a.layer, interleaved=not a.by_epoch)
