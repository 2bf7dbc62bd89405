"""Largest errors of the GRU against its references, for the closing notes of issue 3.

Forward (float32) vs ONNX Runtime's GRU over every ResetGateMode x activation pair and
the sizes of tests/test_gru_onnx.py; gradients (float64) vs central finite differences
along random directions and, where torch is installed, vs torch autograd. Run from the
repository root: python benchmarks/accuracy_report.py
"""

import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dltoolbox import gruLayer  # noqa: E402
from dltoolbox.recurrent import fast  # noqa: E402
from tests.reference.onnx_rnn import onnx_gru  # noqa: E402

MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
PAIRS = list(itertools.product(["sigmoid", "hard-sigmoid"], ["tanh", "softsign"]))


def layer_for(rs, d, h, mode, gate, state, dtype):
    nb = 6 * h if mode == MODES[2] else 3 * h
    return gruLayer(h, InputWeights=(rs.standard_normal((3 * h, d)) * 0.6).astype(dtype),
                    RecurrentWeights=(rs.standard_normal((3 * h, h)) * 1.2 / np.sqrt(h))
                    .astype(dtype), Bias=(rs.standard_normal((nb, 1)) * 0.5).astype(dtype),
                    ResetGateMode=mode, GateActivationFunction=gate,
                    StateActivationFunction=state)


def forward_errors():
    worst = (0.0, 0.0)
    for mode, (gate, state), (d, h, t) in itertools.product(
            MODES, PAIRS, [(3, 4, 5), (12, 16, 9), (7, 33, 2), (12, 100, 29)]):
        rs = np.random.default_rng(0)
        layer = layer_for(rs, d, h, mode, gate, state, np.float32)
        x = rs.standard_normal((t, 3, d)).astype(np.float32)
        h0 = (rs.standard_normal((3, h)) * 0.5).astype(np.float32)
        y = layer.forward(x, state=h0)[0]
        ref, _ = onnx_gru(x, layer.InputWeights, layer.RecurrentWeights, layer.Bias, h0, mode,
                          gate, state)
        err = np.abs(y - ref)
        worst = (max(worst[0], err.max()),
                 max(worst[1], (err / np.maximum(np.abs(ref), 1e-3)).max()))
    return worst


def gradient_errors():
    worst = 0.0
    eps = 1e-6
    for mode, (gate, state) in itertools.product(MODES, PAIRS):
        rs = np.random.default_rng(1)
        layer = layer_for(rs, 3, 4, mode, gate, state, np.float64)
        x = rs.standard_normal((5, 2, 3))
        h0 = rs.standard_normal((2, 4)) * 0.5
        y, back, _ = layer.forward(x, training=True, state=h0)
        c = rs.standard_normal(y.shape)
        dx, grads = back(c)

        def loss(layer=layer, x=x, h0=h0, c=c):
            return float((layer.forward(x, state=h0)[0] * c).sum())

        targets = [("X", x, dx), ("h0", h0, grads["HiddenState"])]
        for name in ("InputWeights", "RecurrentWeights", "Bias"):
            targets.append((name, None, grads[name]))
        for name, arr, g in targets:
            v = rs.standard_normal(g.shape)
            if arr is None:
                base = getattr(layer, name).copy()
                setattr(layer, name, base + eps * v)
                fp = loss()
                setattr(layer, name, base - eps * v)
                fm = loss()
                setattr(layer, name, base)
            else:
                base = arr.copy()
                arr[...] = base + eps * v
                fp = loss()
                arr[...] = base - eps * v
                fm = loss()
                arr[...] = base
            num = (fp - fm) / (2 * eps)
            worst = max(worst, abs(num - float((g * v).sum())) / max(1.0, abs(num)))
    return worst


def torch_errors():
    try:
        import torch
    except ImportError:
        return None
    worst = 0.0
    for mode in (MODES[0], MODES[2]):
        rs = np.random.default_rng(2)
        d, h = 4, 5
        layer = layer_for(rs, d, h, mode, "sigmoid", "tanh", np.float64)
        x = rs.standard_normal((7, 3, d))
        y, back, _ = layer.forward(x, training=True)
        c = rs.standard_normal(y.shape)
        dx, grads = back(c)
        gru = torch.nn.GRU(d, h, dtype=torch.float64)
        b = layer.Bias.reshape(-1)
        with torch.no_grad():
            gru.weight_ih_l0.copy_(torch.tensor(layer.InputWeights))
            gru.weight_hh_l0.copy_(torch.tensor(layer.RecurrentWeights))
            gru.bias_ih_l0.copy_(torch.tensor(b[:3 * h]))
            gru.bias_hh_l0.copy_(torch.tensor(b[3 * h:] if b.size == 6 * h else np.zeros(3 * h)))
        xt = torch.tensor(x, requires_grad=True)
        yt, _ = gru(xt)
        (yt * torch.tensor(c)).sum().backward()
        for ours, theirs in ((dx, xt.grad), (grads["InputWeights"], gru.weight_ih_l0.grad),
                             (grads["RecurrentWeights"], gru.weight_hh_l0.grad)):
            theirs = theirs.numpy()
            worst = max(worst, np.abs(ours - theirs).max() / max(1.0, np.abs(theirs).max()))
    return worst


if __name__ == "__main__":
    for path in ("numpy", "numba"):
        if path == "numba" and fast.numba_common is None:
            continue
        fast.FAST = path == "numba"
        fa, fr = forward_errors()
        print(f"[{path} path] forward vs ONNX Runtime (float32): max abs {fa:.2e}, "
              f"max rel {fr:.2e}")
        print(f"[{path} path] gradients vs central differences (float64): max rel "
              f"{gradient_errors():.2e}")
        te = torch_errors()
        print(f"[{path} path] gradients vs torch autograd (float64): "
              f"{'torch not installed' if te is None else f'max rel {te:.2e}'}")
