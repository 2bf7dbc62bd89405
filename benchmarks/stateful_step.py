"""Closed-loop cost: one predictAndUpdateState call with one time step, vs torch.

B = 1, D = 12, H = 100 (a GRU followed by a fully connected layer and a regression
output), float32, 2 threads. Prints microseconds per step for dltoolbox and for a
torch.nn.GRU + nn.Linear step loop (when torch is installed) and the ratio.

Run:  python benchmarks/stateful_step.py [--steps N]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dltoolbox import (  # noqa: E402
    assembleNetwork,
    fullyConnectedLayer,
    gruLayer,
    predictAndUpdateState,
    regressionLayer,
    sequenceInputLayer,
)

try:
    import torch  # noqa: E402
    torch.set_num_threads(2)
except ImportError:
    torch = None

D, H = 12, 100


def build():
    """A GRU + FC network whose closed loop stays alive (no decay into denormal numbers,
    which would time the CPU's slow path instead of the code)."""
    rs = np.random.default_rng(0)
    f = np.float32
    q, _ = np.linalg.qr(rs.standard_normal((3 * H, H)))
    return assembleNetwork([
        sequenceInputLayer(D),
        gruLayer(H, InputWeights=(rs.standard_normal((3 * H, D)) / np.sqrt(D)).astype(f),
                 RecurrentWeights=(q * np.sqrt(3.0)).astype(f),
                 Bias=(rs.standard_normal((3 * H, 1)) * 0.1).astype(f)),
        fullyConnectedLayer(D, Weights=(rs.standard_normal((D, H)) / np.sqrt(H) * 2).astype(f),
                            Bias=np.zeros((D, 1), f)),
        regressionLayer()])


def per_step(fn, steps, rounds=7):
    """Fastest of several rounds (this machine's speed drifts; both sides alike)."""
    fn(10)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(steps)
        times.append((time.perf_counter() - t0) / steps)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    a = parser.parse_args()
    net0 = build()
    x0 = np.random.default_rng(1).standard_normal((D, 1)).astype(np.float32)

    def loop(n):
        net, y = predictAndUpdateState(net0, x0, nargout=2)
        for _ in range(n):
            net, y = predictAndUpdateState(net, y, nargout=2)   # feed the prediction back

    net, y = predictAndUpdateState(net0, x0, nargout=2)
    for _ in range(a.steps):
        net, y = predictAndUpdateState(net, y, nargout=2)
    state = np.abs(net.Layers[1].HiddenState)
    print(f"closed-loop state after {a.steps} steps: max |h| {state.max():.3f}, "
          f"min |h| {state.min():.2e} (alive, no denormal numbers)")
    ours = per_step(loop, a.steps)
    print(f"dltoolbox predictAndUpdateState, 1 step (B=1, D={D}, H={H}): {ours * 1e6:.1f} us")
    if torch is not None:
        gru, fc = torch.nn.GRU(D, H), torch.nn.Linear(H, D)
        layer, dense = net0.Layers[1], net0.Layers[2]
        with torch.no_grad():   # the same weights: torch's r|z|n blocks are MATLAB's r|z|h
            gru.weight_ih_l0.copy_(torch.from_numpy(np.array(layer.InputWeights)))
            gru.weight_hh_l0.copy_(torch.from_numpy(np.array(layer.RecurrentWeights)))
            gru.bias_ih_l0.copy_(torch.from_numpy(np.array(layer.Bias).ravel()))
            gru.bias_hh_l0.zero_()
            fc.weight.copy_(torch.from_numpy(np.array(dense.Weights)))
            fc.bias.zero_()
        xt = torch.from_numpy(x0.T[None].copy())

        def tloop(n):
            with torch.no_grad():
                y, h = gru(xt)
                x = fc(y)
                for _ in range(n):
                    y, h = gru(x, h)
                    x = fc(y)

        theirs = per_step(tloop, a.steps)
        print(f"torch nn.GRU + nn.Linear step loop:                   {theirs * 1e6:.1f} us")
        print(f"ratio dltoolbox / torch: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
