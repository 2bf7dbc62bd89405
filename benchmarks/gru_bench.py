"""GRU speed: dltoolbox vs torch.nn.GRU, float32, 2 threads, side by side in one run.

Times the GRU layer's forward (inference) and forward+backward (training step) for the
configurations of issue 6, one trainNetwork epoch on Japanese Vowels (GRU 100,
MiniBatchSize 27) against an equivalent torch loop, and reports medians, the ratio
dltoolbox / torch and GFLOP/s against the GEMM peak measured here. Without torch it
prints absolute figures only.

Run:  python benchmarks/gru_bench.py [--repeats N] [--quick]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dltoolbox import (  # noqa: E402
    classificationLayer,
    fullyConnectedLayer,
    gruLayer,
    japaneseVowelsTrainData,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.layers import _gru_kernels  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(2)
except ImportError:
    torch = None

CONFIGS = [(12, 100, 29, 27), (12, 100, 29, 270), (64, 256, 100, 64), (128, 512, 200, 64),
           (256, 1024, 100, 32)]


def median_time(fn, repeats, min_time=0.3):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeats or (time.perf_counter() - start < min_time and
                                   len(times) < 50 * repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gemm_peak():
    n = 1024
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    t = median_time(lambda: a @ a, 5)
    return 2 * n ** 3 / t / 1e9


def flops(d, h, t, b):
    fwd = 2 * t * b * 3 * h * (d + h)
    return fwd, 3 * fwd


def bench_layer(d, h, t, b, repeats):
    rs = np.random.default_rng(0)
    layer = gruLayer(h, InputWeights=(rs.standard_normal((3 * h, d)) * 0.1).astype(np.float32),
                     RecurrentWeights=(rs.standard_normal((3 * h, h)) * 0.1).astype(np.float32),
                     Bias=np.zeros((3 * h, 1), np.float32))
    x = rs.standard_normal((t, b, d)).astype(np.float32)
    dy = np.ones((t, b, h), np.float32)

    def fwd():
        layer.forward(x)

    def train():
        _, back, _ = layer.forward(x, training=True)
        back(dy)

    out = {"fwd": median_time(fwd, repeats), "train": median_time(train, repeats)}
    if torch is not None:
        gru = torch.nn.GRU(d, h)
        xt = torch.from_numpy(x)
        dyt = torch.from_numpy(dy)

        def tfwd():
            with torch.no_grad():
                gru(xt)

        def ttrain():
            gru.zero_grad(set_to_none=True)
            xg = xt.requires_grad_(True)
            y, _ = gru(xg)
            y.backward(dyt)

        out["tfwd"] = median_time(tfwd, repeats)
        out["ttrain"] = median_time(ttrain, repeats)
    return out


def bench_epoch(repeats):
    X, Y = japaneseVowelsTrainData(nargout=2)
    idx = np.argsort([x.shape[1] for x in X], kind="stable")
    X = [X[i] for i in idx]
    Y = Y[idx]
    layers = [sequenceInputLayer(12), gruLayer(100, OutputMode='last'), fullyConnectedLayer(9),
              softmaxLayer(), classificationLayer()]
    def opts(epochs):
        return trainingOptions('adam', MaxEpochs=epochs, MiniBatchSize=27, GradientThreshold=1,
                               Shuffle='never', Verbose=False)
    rng(0)
    out = {"call1": median_time(lambda: trainNetwork(X, Y, layers, opts(1)), repeats)}
    # the layers' maths alone on the same mini-batches (forward + backward of the network)
    from dltoolbox import sequences
    from dltoolbox.network import backprop_layers, check_layer_array, run_layers
    arr = check_layer_array(layers, "bench")
    size = 12
    for layer in arr[1:]:
        layer.initialize(size, np.float32)
        size = layer.output_size(size)
    batches = []
    for k in range(10):
        b = X[27 * k:27 * (k + 1)]
        s = max(x.shape[1] for x in b)
        codes = Y.codes[27 * k:27 * (k + 1)]
        batches.append((sequences.pad(b, s, "right", 0.0, np.float32),
                        np.eye(9, dtype=np.float32)[codes]))

    def maths():
        for xb, tb in batches:
            for layer in arr:   # weights change every iteration: layers refresh derived forms
                layer.learnables_changed()
            y, backs, _ = run_layers(arr, xb, True)
            _, dy, _ = arr[-1].loss(y, tb)
            backprop_layers(backs, dy)

    # This machine's speed drifts; interleave the two measurements and keep the fastest
    # of each. The epoch time is that of epochs 2..10 of a 10-epoch run, read from an
    # OutputFcn's clock (the one-off set-up and first padding are reported apart).
    epochs, math_times = [], []
    for _ in range(repeats):
        stamps = []
        o = trainingOptions('adam', MaxEpochs=10, MiniBatchSize=27, GradientThreshold=1,
                            Shuffle='never', Verbose=False,
                            OutputFcn=lambda info, s=stamps: s.append(time.perf_counter()))
        trainNetwork(X, Y, layers, o)
        epochs.append((stamps[-2] - stamps[10]) / 9)    # iterations 10 .. 100
        t0 = time.perf_counter()
        maths()
        math_times.append(time.perf_counter() - t0)
    out["epoch"], out["maths"] = min(epochs), min(math_times)
    if torch is not None:
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = torch.nn.GRU(12, 100)
                self.fc = torch.nn.Linear(100, 9)

            def forward(self, x):
                y, _ = self.gru(x)
                return self.fc(y[-1])

        net = Net()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        tb = [(torch.from_numpy(xb), torch.from_numpy(t.argmax(1))) for xb, t in batches]

        def tepoch():
            for xb, yb in tb:
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(xb), yb)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()

        out["tepoch"] = median_time(tepoch, repeats)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the two largest configs")
    a = parser.parse_args()
    peak = gemm_peak()
    print(f"dltoolbox GRU benchmark, float32, 2 threads; GEMM peak measured: {peak:.1f} GFLOP/s")
    print(f"fast path (numba gate kernels): {'on' if _gru_kernels.FAST else 'off'}")
    print(f"torch: {torch.__version__ if torch else 'not installed'}\n")
    head = f"{'(D, H, T, B)':>22} | {'forward ms':>10} {'torch':>8} {'ratio':>6} {'GF/s':>6} | " \
           f"{'train ms':>9} {'torch':>8} {'ratio':>6} {'GF/s':>6}"
    print(head)
    print("-" * len(head))
    for cfg in CONFIGS[:3] if a.quick else CONFIGS:
        r = bench_layer(*cfg, a.repeats)
        f, ft = flops(*cfg)
        tf = r.get("tfwd")
        tt = r.get("ttrain")
        print(f"{str(cfg):>22} | {r['fwd'] * 1e3:10.2f} "
              f"{tf * 1e3 if tf else float('nan'):8.2f} "
              f"{r['fwd'] / tf if tf else float('nan'):6.2f} {f / r['fwd'] / 1e9:6.1f} | "
              f"{r['train'] * 1e3:9.2f} {tt * 1e3 if tt else float('nan'):8.2f} "
              f"{r['train'] / tt if tt else float('nan'):6.2f} {ft / r['train'] / 1e9:6.1f}")
    e = bench_epoch(a.repeats)
    overhead = (e["epoch"] - e["maths"]) / e["epoch"]
    print(f"\ntrainNetwork epoch, Japanese Vowels (GRU 100, MiniBatchSize 27): "
          f"{e['epoch'] * 1e3:.1f} ms per epoch (epochs 2-10 of a 10-epoch run; "
          f"{e['call1'] * 1e3:.1f} ms for a whole 1-epoch call, set-up included); "
          f"layers' maths {e['maths'] * 1e3:.1f} ms; "
          f"time beyond the maths {100 * overhead:.1f} % of the epoch")
    if "tepoch" in e:
        print(f"torch equivalent loop: {e['tepoch'] * 1e3:.1f} ms; ratio "
              f"{e['epoch'] / e['tepoch']:.2f}")


if __name__ == "__main__":
    main()
