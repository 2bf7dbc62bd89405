"""dltoolbox on CuPy against torch + cuDNN on an NVIDIA GPU (issue 18), in one run.

Measures, float32, everything synchronised before each clock read:

1. CPU-vs-GPU parity of gruLayer (the three ResetGateModes, default and softsign /
   hard-sigmoid activations), lstmLayer and bilstmLayer: the largest relative error
   (max |gpu - cpu| / max |cpu|) of the output, dX and every gradient, against the
   targets 1e-5 (forward) and 1e-4 (gradients).
2. Layer forward and training step (forward + backward) of gruLayer and lstmLayer at
   (D, H, T, B) = (64,256,100,64), (128,512,200,64), (256,1024,100,32), against
   torch.nn.GRU / torch.nn.LSTM on CUDA (cuDNN), medians; the ratio dltoolbox / torch
   (target <= 1.2).
3. dltoolbox's own CPU training step at (128,512,200,64) against its GPU step (target:
   GPU >= 10x faster).
4. One trainNetwork epoch on Japanese Vowels (gruLayer(100, OutputMode='last'), adam,
   MiniBatchSize 27, GradientThreshold 1) with ExecutionEnvironment 'gpu' and 'cpu',
   against the equivalent torch loop on CUDA.

Without a usable GPU it prints one SKIP line (with the probe's reason) and exits 0.
``--stand-in`` runs the whole script's logic at tiny sizes on the strict CuPy stand-in
of the test suite (tests/strict_cupy.py), so that it can be checked on any machine; its
figures mean nothing.

Run:  python benchmarks/gpu_bench.py [--json FILE] [--repeats N] [--stand-in]
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dltoolbox import (  # noqa: E402
    backend,
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

try:
    import torch
except ImportError:
    torch = None

F = np.float32
CONFIGS = [(64, 256, 100, 64), (128, 512, 200, 64), (256, 1024, 100, 32)]
SPEEDUP_CONFIG = (128, 512, 200, 64)
MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
GATES = {"gru": 3, "lstm": 4, "bilstm": 8}
MAKERS = {"gru": gruLayer, "lstm": lstmLayer, "bilstm": bilstmLayer}


def use_stand_in():
    """Make dltoolbox's GPU module the test suite's strict stand-in (as its fixture does)."""
    from tests import strict_cupy as sc  # noqa: PLC0415
    sys.modules["cupy_strict"] = sc.MODULE
    backend._cupy, backend._cupy_checked, backend._probe_error = sc.MODULE, True, None


def make_sync(cp):
    cuda = getattr(cp, "cuda", None)
    if cuda is None:                 # the stand-in computes synchronously
        return lambda: None
    return lambda: cuda.Device().synchronize()


def median_time(fn, sync, repeats, warmup=2):
    for _ in range(warmup):          # kernel compilation, allocator warm-up
        fn()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make_layer(cell, d, h, seed=0, **kw):
    rs = np.random.default_rng(seed)
    rows = GATES[cell] * h
    nb = 2 * rows if kw.get("ResetGateMode") == MODES[2] else rows
    return MAKERS[cell](h, InputWeights=(rs.standard_normal((rows, d)) * 0.1).astype(F),
                        RecurrentWeights=(rs.standard_normal((rows, h)) * 0.1).astype(F),
                        Bias=(rs.standard_normal((nb, 1)) * 0.1).astype(F), **kw)


def rel_err(gpu, cpu):
    gpu, cpu = backend.to_host(gpu).astype(np.float64), np.asarray(cpu, np.float64)
    return float(np.abs(gpu - cpu).max() / max(np.abs(cpu).max(), 1e-30))


# -- 1. parity ------------------------------------------------------------------------------
def parity(cp, size):
    d, h, t, b = size
    cases = [("gru", {"ResetGateMode": m}) for m in MODES]
    cases += [("gru", {"ResetGateMode": m, "StateActivationFunction": "softsign",
                       "GateActivationFunction": "hard-sigmoid"}) for m in MODES]
    cases += [("lstm", {}), ("bilstm", {})]
    rows = []
    for k, (cell, kw) in enumerate(cases):
        layer = make_layer(cell, d, h, seed=k, **kw)
        rs = np.random.default_rng(100 + k)
        x = rs.standard_normal((t, b, d)).astype(F)
        y_c, back_c, _ = layer.forward(x, training=True)
        dy = rs.standard_normal(y_c.shape).astype(F)
        y_g, back_g, _ = layer.forward(cp.asarray(x), training=True)
        dx_c, g_c = back_c(dy)
        dx_g, g_g = back_g(cp.asarray(dy))
        grads = max([rel_err(dx_g, dx_c)] + [rel_err(g_g[n], g_c[n]) for n in g_c])
        name = cell + ("" if not kw else " " + "/".join(str(v) for v in kw.values()))
        rows.append({"case": name, "forward": rel_err(y_g, y_c), "gradients": grads})
    return rows


# -- 2./3. layer speed ----------------------------------------------------------------------
def bench_layer(cp, sync, cell, size, repeats, torch_dev):
    d, h, t, b = size
    layer = make_layer(cell, d, h)
    rs = np.random.default_rng(0)
    x = rs.standard_normal((t, b, d)).astype(F)
    dy = np.ones((t, b, h), F)
    xg, dyg = cp.asarray(x), cp.asarray(dy)

    def fwd():
        layer.forward(xg)

    def train():
        _, back, _ = layer.forward(xg, training=True)
        back(dyg)
    out = {"fwd": median_time(fwd, sync, repeats), "train": median_time(train, sync, repeats)}
    if torch_dev is not None:
        net = (torch.nn.GRU if cell == "gru" else torch.nn.LSTM)(d, h).to(torch_dev)
        xt = torch.from_numpy(x).to(torch_dev)
        dyt = torch.from_numpy(dy).to(torch_dev)

        def tfwd():
            with torch.no_grad():
                net(xt)

        def ttrain():
            net.zero_grad(set_to_none=True)
            y, _ = net(xt.requires_grad_(True))
            y.backward(dyt)
        tsync = torch.cuda.synchronize
        out["torch_fwd"] = median_time(tfwd, tsync, repeats)
        out["torch_train"] = median_time(ttrain, tsync, repeats)
        out["ratio_fwd"] = out["fwd"] / out["torch_fwd"]
        out["ratio_train"] = out["train"] / out["torch_train"]
    return out


def cpu_train_step(cell, size, repeats):
    d, h, t, b = size
    layer = make_layer(cell, d, h)
    x = np.random.default_rng(0).standard_normal((t, b, d)).astype(F)
    dy = np.ones((t, b, h), F)

    def train():
        _, back, _ = layer.forward(x, training=True)
        back(dy)
    return median_time(train, lambda: None, repeats, warmup=1)


def ops_per_step(cp, cell):
    """(forward, backward) array operations per time step of the plain path, counted by the
    stand-in (each is about one CuPy kernel launch): the difference between T = 20 and
    T = 10, divided by 10."""
    from tests import strict_cupy as sc  # noqa: PLC0415
    counts = []
    for t in (10, 20):
        layer = make_layer(cell, 8, 16)
        x = cp.asarray(np.ones((t, 4, 8), F))
        layer.forward(x, training=True)
        sc.OPS[0] = 0
        y, back, _ = layer.forward(x, training=True)
        fwd = sc.OPS[0]
        dy = cp.asarray(np.ones(y.shape, F))
        sc.OPS[0] = 0
        back(dy)
        counts.append((fwd, sc.OPS[0]))
    return tuple((b - a) / 10 for a, b in zip(*counts))


# -- 4. Japanese Vowels epoch -----------------------------------------------------------------
def jv_epoch(env, epochs, n=None):
    X, Y = japaneseVowelsTrainData(nargout=2)
    if n:
        X, Y = X[:n], Y[:n]
    stamps = []

    def fcn(info):
        if info.State == "iteration":
            stamps.append(time.perf_counter())
        return False
    rng(0)
    layers = [sequenceInputLayer(12), gruLayer(100, OutputMode="last"), fullyConnectedLayer(9),
              softmaxLayer(), classificationLayer()]
    trainNetwork(X, Y, layers, trainingOptions(
        "adam", MaxEpochs=epochs, MiniBatchSize=27, GradientThreshold=1, Shuffle="never",
        Verbose=False, OutputFcn=fcn, ExecutionEnvironment=env))
    per = len(X) // 27
    return (stamps[-1] - stamps[per - 1]) / (epochs - 1)     # epochs 2.., compile excluded


def torch_jv_epoch(dev, epochs):
    X, Y = japaneseVowelsTrainData(nargout=2)
    batches = []
    for k in range(len(X) // 27):
        bx = X[27 * k:27 * (k + 1)]
        s = max(x.shape[1] for x in bx)
        batches.append((torch.from_numpy(sequences.pad(bx, s, "right", 0.0, F)).to(dev),
                        torch.from_numpy(Y.codes[27 * k:27 * (k + 1)].astype(np.int64))
                        .to(dev)))
    gru = torch.nn.GRU(12, 100).to(dev)
    fc = torch.nn.Linear(100, 9).to(dev)
    params = list(gru.parameters()) + list(fc.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)

    def epoch():
        for xb, yb in batches:
            opt.zero_grad()
            y, _ = gru(xb)
            loss = torch.nn.functional.cross_entropy(fc(y[-1]), yb)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            loss.item()          # trainNetwork reads its loss every iteration too
    epoch()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(epochs - 1):
        epoch()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / (epochs - 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--stand-in", action="store_true",
                    help="check the script's logic on the strict CuPy stand-in (tiny sizes)")
    a = ap.parse_args(argv)
    result = {"stand_in": a.stand_in}
    if a.stand_in:
        use_stand_in()
    cp = backend.cupy_or_none()
    if cp is None:
        why = backend.probe_error() or "CuPy is not installed"
        print(f"SKIP: no usable GPU ({why}); nothing measured.")
        result["skipped"] = why
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=1)
        return 0
    sync = make_sync(cp)
    torch_dev = "cuda" if torch is not None and torch.cuda.is_available() and not a.stand_in \
        else None
    if a.stand_in:
        configs, speed_cfg, par_size, jv = [(6, 8, 5, 4)], (6, 8, 5, 4), (5, 6, 4, 3), 54
    else:
        configs, speed_cfg, par_size, jv = CONFIGS, SPEEDUP_CONFIG, (16, 32, 20, 8), None
        props = cp.cuda.runtime.getDeviceProperties(0)
        result["device"] = props["name"].decode() if isinstance(props["name"], bytes) \
            else str(props["name"])
        result["cupy"] = cp.__version__
        print(f"GPU: {result['device']}, CuPy {cp.__version__}, torch "
              f"{torch.__version__ if torch else 'missing'}"
              f"{'' if torch_dev else ' (no CUDA: torch columns empty)'}")

    print("\n1. CPU-vs-GPU parity (largest relative error; targets 1e-5 forward, 1e-4 "
          "gradients)")
    result["parity"] = parity(cp, par_size)
    for r in result["parity"]:
        ok = r["forward"] <= 1e-5 and r["gradients"] <= 1e-4
        print(f"   {r['case']:<62} fwd {r['forward']:.1e}  grads {r['gradients']:.1e}  "
              f"{'ok' if ok else 'MISSED'}")

    print(f"\n2. layer times, ms (median of {a.repeats}); ratio = dltoolbox / torch+cuDNN "
          f"(target <= 1.2)")
    result["layers"] = []
    for cell in ("gru", "lstm"):
        for size in configs:
            r = bench_layer(cp, sync, cell, size, a.repeats, torch_dev)
            r.update(cell=cell, size=list(size))
            result["layers"].append(r)
            line = f"   {cell:<5}{str(size):<22} fwd {1e3 * r['fwd']:8.2f}  train " \
                   f"{1e3 * r['train']:8.2f}"
            if "torch_fwd" in r:
                line += (f"  | torch fwd {1e3 * r['torch_fwd']:8.2f} train "
                         f"{1e3 * r['torch_train']:8.2f} | ratio fwd {r['ratio_fwd']:.2f} "
                         f"train {r['ratio_train']:.2f}")
            print(line)

    print(f"\n3. dltoolbox CPU vs GPU training step at {speed_cfg} (target: GPU >= 10x)")
    result["speedup"] = {}
    for cell in ("gru", "lstm"):
        gpu = next(r["train"] for r in result["layers"]
                   if r["cell"] == cell and tuple(r["size"]) == speed_cfg)
        cpu = cpu_train_step(cell, speed_cfg, 3)
        result["speedup"][cell] = {"cpu": cpu, "gpu": gpu, "speedup": cpu / gpu}
        print(f"   {cell:<5} CPU {1e3 * cpu:9.1f} ms  GPU {1e3 * gpu:8.2f} ms  "
              f"speed-up {cpu / gpu:6.1f}x")

    if a.stand_in:
        result["ops_per_step"] = {c: ops_per_step(cp, c) for c in ("gru", "lstm")}
        print("\n   array operations per time step of the plain path (forward, backward): "
              + ", ".join(f"{c} {f:g}, {b:g}" for c, (f, b) in result["ops_per_step"].items()))

    print("\n4. Japanese Vowels epoch (gruLayer(100,'last'), adam, MiniBatchSize 27), ms")
    epochs = 2 if a.stand_in else 4
    ep = {"gpu": jv_epoch("gpu", epochs, jv), "cpu": jv_epoch("cpu", epochs, jv)}
    if torch_dev is not None:
        ep["torch"] = torch_jv_epoch(torch_dev, epochs)
        ep["ratio"] = ep["gpu"] / ep["torch"]
    result["jv_epoch"] = ep
    print("   " + "  ".join(f"{k} {v:.3f}" if k == "ratio" else f"{k} {1e3 * v:.1f}"
                            for k, v in ep.items()))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
