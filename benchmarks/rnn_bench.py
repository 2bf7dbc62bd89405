"""Recurrent layer speed: dltoolbox's gruLayer, lstmLayer and bilstmLayer vs torch.nn.GRU
and torch.nn.LSTM (bidirectional for bilstm), float32, 2 threads, side by side in one run.

Times each layer's forward (inference) and forward+backward (training step) at the five
configurations of issue 6, one trainNetwork epoch on Japanese Vowels (100 hidden units,
OutputMode 'last', MiniBatchSize 27) against an equivalent torch loop, and reports
medians (dltoolbox and torch timed in turn, so that both sides see the same drift of this
machine's speed), the ratio dltoolbox / torch and GFLOP/s against the GEMM peak measured
here (at the start and again at the end), then the ratios of the best times. Without
torch it prints absolute figures only.

Run:  python benchmarks/rnn_bench.py [--cells gru,lstm,bilstm] [--repeats N] [--quick]
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
    bilstmLayer,
    classificationLayer,
    fullyConnectedLayer,
    gruLayer,
    japaneseVowelsTrainData,
    lstmLayer,
    rng,
    sequenceInputLayer,
    sequences,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox.graph import Graph  # noqa: E402
from dltoolbox.layers import ClassificationOutputLayer  # noqa: E402
from dltoolbox.recurrent import fast  # noqa: E402

try:
    import torch  # noqa: E402
    torch.set_num_threads(2)
except ImportError:
    torch = None

SETTLE = 0.3   # seconds of pause before timing the other library

CONFIGS = [(12, 100, 29, 27), (12, 100, 29, 270), (64, 256, 100, 64), (128, 512, 200, 64),
           (256, 1024, 100, 32)]


def timed_rounds(fns, repeats, min_time=0.3):
    """Every timed call of each function, measured in ``repeats`` rounds that take the
    functions in turn: this machine's speed drifts by up to 2x within minutes, and timing
    one side after the other once put a ratio off by 0.15. In each round every function
    gets a pause first (after a call, OpenBLAS's and torch's worker threads spin for up to
    about 0.2 s; timed straight after the other library, torch's small steps ran 3-6x
    slower), one untimed call, then timed calls for min_time / repeats seconds (one at
    least)."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, kept in zip(fns, times):
            if len(fns) > 1:
                time.sleep(SETTLE)
            fn()
            start = time.perf_counter()
            while not kept or time.perf_counter() - start < min_time / repeats:
                t0 = time.perf_counter()
                fn()
                kept.append(time.perf_counter() - t0)
    return times


def median_times(fns, repeats, min_time=0.3):
    """The median time of each function over :func:`timed_rounds`."""
    return [statistics.median(kept) for kept in timed_rounds(fns, repeats, min_time)]


def median_time(fn, repeats, min_time=0.3):
    return median_times([fn], repeats, min_time)[0]


def gemm_peak():
    n = 1024
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    t = median_time(lambda: a @ a, 5)
    return 2 * n ** 3 / t / 1e9


# cell: (dltoolbox constructor, gate blocks, directions, torch module factory)
CELLS = {
    "gru": (gruLayer, 3, 1, lambda d, h: torch.nn.GRU(d, h)),
    "lstm": (lstmLayer, 4, 1, lambda d, h: torch.nn.LSTM(d, h)),
    "bilstm": (bilstmLayer, 4, 2, lambda d, h: torch.nn.LSTM(d, h, bidirectional=True)),
}


def flops(cell, d, h, t, b):
    _, gates, dirs, _ = CELLS[cell]
    fwd = 2 * t * b * gates * dirs * h * (d + h)
    return fwd, 3 * fwd


def bench_layer(cell, d, h, t, b, repeats):
    make, gates, dirs, torch_cell = CELLS[cell]
    rows = gates * dirs * h
    rs = np.random.default_rng(0)
    layer = make(h, InputWeights=(rs.standard_normal((rows, d)) * 0.1).astype(np.float32),
                 RecurrentWeights=(rs.standard_normal((rows, h)) * 0.1).astype(np.float32),
                 Bias=np.zeros((rows, 1), np.float32))
    x = rs.standard_normal((t, b, d)).astype(np.float32)
    dy = np.ones((t, b, dirs * h), np.float32)

    def fwd():
        layer.forward(x)

    def train():
        _, back, _ = layer.forward(x, training=True)
        back(dy)

    if torch is None:
        return {"fwd": median_time(fwd, repeats), "train": median_time(train, repeats)}
    gru = torch_cell(d, h)
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

    out = {}
    for names, fns in ((("fwd", "tfwd"), (fwd, tfwd)), (("train", "ttrain"), (train, ttrain))):
        for name, kept in zip(names, timed_rounds(fns, repeats)):
            out[name] = statistics.median(kept)
            out[name + "_best"] = min(kept)
    return out


def torch_epoch(X, Y, cell):
    """One epoch of the equivalent torch loop (the cell with 100 hidden units, linear 9,
    cross-entropy, adam, gradient norm clipped at 1) on trainNetwork's mini-batches, as a
    callable."""
    _, _, dirs, torch_cell = CELLS[cell]
    batches = []
    for k in range(len(X) // 27):
        b = X[27 * k:27 * (k + 1)]
        s = max(x.shape[1] for x in b)
        batches.append((torch.from_numpy(sequences.pad(b, s, "right", 0.0, np.float32)),
                        torch.from_numpy(Y.codes[27 * k:27 * (k + 1)].astype(np.int64))))

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch_cell(12, 100)
            self.fc = torch.nn.Linear(100 * dirs, 9)

        def forward(self, x):
            y, _ = self.gru(x)
            return self.fc(y[-1])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def epoch():
        for xb, yb in batches:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
    return epoch


def bench_epoch(cell, repeats):
    """trainNetwork's epoch, the layers' maths in it and the torch loop's epoch (medians of
    ``repeats`` runs, taken in turn).

    The layers' maths is timed inside the training loop itself: the forward, loss and
    backward calls that trainNetwork makes are wrapped with a clock, so that maths and
    epoch come from the same iterations (this machine's speed drifts by 2x within
    minutes, which made two separate measurements disagree by +-10 %). The epoch is
    epochs 2..10 of a 10-epoch run, read from an OutputFcn's clock; after each of those
    runs and a pause, torch runs one untimed and 9 timed epochs.
    """
    X, Y = japaneseVowelsTrainData(nargout=2)
    idx = np.argsort([x.shape[1] for x in X], kind="stable")
    X = [X[i] for i in idx]
    Y = Y[idx]
    layers = [sequenceInputLayer(12), CELLS[cell][0](100, OutputMode='last'),
              fullyConnectedLayer(9), softmaxLayer(), classificationLayer()]

    def opts(epochs, fcn=None):
        return trainingOptions('adam', MaxEpochs=epochs, MiniBatchSize=27, GradientThreshold=1,
                               Shuffle='never', Verbose=False, OutputFcn=fcn)
    rng(0)
    out = {"call1": median_time(lambda: trainNetwork(X, Y, layers, opts(1)), repeats)}
    tepoch = torch_epoch(X, Y, cell) if torch is not None else None
    spent = [0.0]

    def timed(fn):
        def call(*args):
            t0 = time.perf_counter()
            result = fn(*args)
            spent[0] += time.perf_counter() - t0
            return result
        return call

    # the training engine runs the layers through Graph.forward / Graph.backward
    originals = {name: getattr(Graph, name) for name in ("forward", "backward")}
    plain_loss = ClassificationOutputLayer.loss
    epochs, maths, tepochs = [], [], []
    try:
        for name, fn in originals.items():
            setattr(Graph, name, timed(fn))
        ClassificationOutputLayer.loss = timed(plain_loss)
        for _ in range(repeats):
            stamps = []

            def fcn(info, stamps=stamps):
                stamps.append((time.perf_counter(), spent[0]))
            time.sleep(SETTLE)
            trainNetwork(X, Y, layers, opts(10, fcn))
            (t0, m0), (t1, m1) = stamps[10], stamps[-2]   # iterations 10 .. 100
            epochs.append((t1 - t0) / 9)
            maths.append((m1 - m0) / 9)
            if tepoch is not None:
                time.sleep(SETTLE)
                tepoch()
                t0 = time.perf_counter()
                for _ in range(9):
                    tepoch()
                tepochs.append((time.perf_counter() - t0) / 9)
    finally:
        for name, fn in originals.items():
            setattr(Graph, name, fn)
        ClassificationOutputLayer.loss = plain_loss
    out["overheads"] = [(e - m) / e for e, m in zip(epochs, maths)]
    out["epoch"], out["maths"] = statistics.median(epochs), statistics.median(maths)
    out["overhead"] = statistics.median(out["overheads"])
    if tepochs:
        out["tepoch"] = statistics.median(tepochs)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 15 rounds: with 5, this VM's two speed states put the same code's forward ratio at
    # (128, 512, 200, 64) anywhere from 0.65 to 1.08 between runs; 20 paired rounds gave 0.78
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="skip the two largest configs")
    parser.add_argument("--cells", default="gru,lstm,bilstm",
                        help="comma-separated: gru, lstm, bilstm")
    a = parser.parse_args()
    cells = [c.strip() for c in a.cells.split(",") if c.strip()]
    peak = gemm_peak()
    print(f"dltoolbox recurrent benchmark ({', '.join(cells)}), float32, 2 threads; GEMM peak "
          f"measured: {peak:.1f} GFLOP/s")
    print(f"fast path (numba gate kernels): {'on' if fast.FAST else 'off'}")
    print(f"torch: {torch.__version__ if torch else 'not installed'}\n")
    for cell in cells:
        bench_cell(cell, a)
    end = gemm_peak()
    print(f"\nGEMM peak measured again at the end: {end:.1f} GFLOP/s ({end / peak - 1:+.0%})")
    if abs(end / peak - 1) > 0.2:
        print("this machine's speed changed during the run: its figures mix two states")


def bench_cell(cell, a):
    name = {"gru": "GRU", "lstm": "LSTM", "bilstm": "BiLSTM"}[cell]
    versus = {"gru": "torch.nn.GRU", "lstm": "torch.nn.LSTM",
              "bilstm": "torch.nn.LSTM(bidirectional=True)"}[cell]
    print(f"\n{name} (dltoolbox {cell}Layer vs {versus})")
    head = f"{'(D, H, T, B)':>22} | {'forward ms':>10} {'torch':>8} {'ratio':>6} {'GF/s':>6} | " \
           f"{'train ms':>9} {'torch':>8} {'ratio':>6} {'GF/s':>6}"
    print(head)
    print("-" * len(head))
    best = []
    for cfg in CONFIGS[:3] if a.quick else CONFIGS:
        r = bench_layer(cell, *cfg, a.repeats)
        f, ft = flops(cell, *cfg)
        tf = r.get("tfwd")
        tt = r.get("ttrain")
        print(f"{str(cfg):>22} | {r['fwd'] * 1e3:10.2f} "
              f"{tf * 1e3 if tf else float('nan'):8.2f} "
              f"{r['fwd'] / tf if tf else float('nan'):6.2f} {f / r['fwd'] / 1e9:6.1f} | "
              f"{r['train'] * 1e3:9.2f} {tt * 1e3 if tt else float('nan'):8.2f} "
              f"{r['train'] / tt if tt else float('nan'):6.2f} {ft / r['train'] / 1e9:6.1f}")
        if tt:
            best.append(f"{str(cfg):>22} | forward {r['fwd_best'] / r['tfwd_best']:.2f}, "
                        f"training step {r['train_best'] / r['ttrain_best']:.2f}")
    if best:
        print("\nratio of the best times (each library's fastest call: a shared VM's speed "
              "can switch within seconds, and the best times compare both at its fastest):")
        print("\n".join(best))
    e = bench_epoch(cell, a.repeats)
    each = ", ".join(f"{100 * v:.1f}" for v in e["overheads"])
    print(f"\ntrainNetwork epoch, Japanese Vowels ({name} 100, MiniBatchSize 27): "
          f"{e['epoch'] * 1e3:.1f} ms per epoch (epochs 2-10 of a 10-epoch run, median "
          f"of {a.repeats}; {e['call1'] * 1e3:.1f} ms for a whole 1-epoch call, set-up "
          f"included); layers' maths in those iterations {e['maths'] * 1e3:.1f} ms; "
          f"time beyond the maths {100 * e['overhead']:.1f} % of the epoch "
          f"(each run: {each} %)")
    if "tepoch" in e:
        print(f"torch equivalent loop: {e['tepoch'] * 1e3:.1f} ms; ratio "
              f"{e['epoch'] / e['tepoch']:.2f}")


if __name__ == "__main__":
    main()
