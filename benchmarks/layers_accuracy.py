"""Largest errors of the issue-14 layers against their references.

Forward (float32) vs ONNX Runtime operators; forward and input gradient (float64) vs
torch where installed; every backward (float64) vs central finite differences (largest
relative error over sampled coordinates and a random direction). Run from the
repository root: python benchmarks/layers_accuracy.py
"""

import sys
from pathlib import Path

import numpy as np
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from dltoolbox import (  # noqa: E402
    averagePooling1dLayer,
    batchNormalizationLayer,
    clippedReluLayer,
    convolution1dLayer,
    eluLayer,
    geluLayer,
    globalAveragePooling1dLayer,
    globalMaxPooling1dLayer,
    layerNormalizationLayer,
    leakyReluLayer,
    maxPooling1dLayer,
    reluLayer,
    sigmoidLayer,
    swishLayer,
    tanhLayer,
)
from dltoolbox.layers._time_window import padding_sizes  # noqa: E402
from tests.layer_checks import check_layer_gradients  # noqa: E402
from tests.reference.onnx_ops import run_graph, run_op  # noqa: E402


def ncl(x):
    return np.ascontiguousarray(x.transpose(1, 2, 0))


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def onnx_forward(name, layer, x):
    """(our output, ONNX Runtime's) for float32 x of shape (T, B, C)."""
    y = layer.forward(x)[0]
    t = x.shape[0]
    if name in ("relu", "leakyrelu", "elu", "tanh", "sigmoid", "gelu", "gelu-tanh"):
        op, attrs = {"relu": ("Relu", {}),
                     "leakyrelu": ("LeakyRelu", {"alpha": getattr(layer, "Scale", 0.0)}),
                     "elu": ("Elu", {"alpha": getattr(layer, "Alpha", 1.0)}),
                     "tanh": ("Tanh", {}), "sigmoid": ("Sigmoid", {}),
                     "gelu": ("Gelu", {"approximate": "none"}),
                     "gelu-tanh": ("Gelu", {"approximate": "tanh"})}[name]
        return y, run_op(op, [x], **attrs)
    if name == "clippedrelu":
        return y, run_op("Clip", [x, np.float32(0).reshape(()),
                                  np.float32(layer.Ceiling).reshape(())])
    if name == "swish":
        return y, run_graph([helper.make_node("Sigmoid", ["x"], ["s"]),
                             helper.make_node("Mul", ["x", "s"], ["y"])], {"x": x}, "y")
    if name == "batchnorm":
        ref = run_op("BatchNormalization", [ncl(x)] + [
            getattr(layer, n).ravel().astype(np.float32) for n in
            ("Scale", "Offset", "TrainedMean", "TrainedVariance")], opset=15, epsilon=1e-5)
        return ncl(y), ref
    if name == "layernorm":
        return y, run_op("LayerNormalization", [x, layer.Scale.ravel().astype(np.float32),
                                                layer.Offset.ravel().astype(np.float32)],
                         opset=17, axis=-1, epsilon=1e-5)
    if name == "conv1d":
        left, right = padding_sizes(layer.Padding, t, layer.FilterSize, layer.Stride,
                                    layer.DilationFactor)
        return ncl(y), run_op("Conv", [ncl(x), np.ascontiguousarray(
            layer.Weights.transpose(2, 1, 0)), layer.Bias.ravel()], opset=13,
            pads=[left, right], strides=[layer.Stride], dilations=[layer.DilationFactor])
    if name in ("maxpool", "avgpool"):
        left, right = padding_sizes(layer.Padding, t, layer.PoolSize, layer.Stride, 1)
        extra = {"count_include_pad": 1} if name == "avgpool" else {}
        return ncl(y), run_op("MaxPool" if name == "maxpool" else "AveragePool", [ncl(x)],
                              opset=19, kernel_shape=[layer.PoolSize], pads=[left, right],
                              strides=[layer.Stride], **extra)
    if name in ("gmaxpool", "gavgpool"):
        op = "GlobalMaxPool" if name == "gmaxpool" else "GlobalAveragePool"
        return y, run_op(op, [ncl(x)])[:, :, 0]
    return None


def cases(rs, dtype):
    c = 6
    return [
        ("relu", reluLayer()), ("leakyrelu", leakyReluLayer(0.2)),
        ("clippedrelu", clippedReluLayer(1.5)), ("elu", eluLayer(1.3)), ("tanh", tanhLayer()),
        ("sigmoid", sigmoidLayer()), ("swish", swishLayer()), ("gelu", geluLayer()),
        ("gelu-tanh", geluLayer(Approximation="tanh")),
        ("batchnorm", batchNormalizationLayer(
            Scale=rs.random((c, 1)).astype(dtype) + 0.5,
            Offset=rs.standard_normal((c, 1)).astype(dtype),
            TrainedMean=rs.standard_normal((c, 1)).astype(dtype),
            TrainedVariance=rs.random((c, 1)).astype(dtype) + 0.5)),
        ("layernorm", layerNormalizationLayer(Scale=rs.random((c, 1)).astype(dtype) + 0.5,
                                              Offset=rs.standard_normal((c, 1)).astype(dtype))),
        ("conv1d", convolution1dLayer(3, 4, Weights=rs.standard_normal((3, c, 4)).astype(dtype),
                                      Bias=rs.standard_normal((1, 4)).astype(dtype),
                                      Padding="same", Stride=2, DilationFactor=2)),
        ("maxpool", maxPooling1dLayer(3, Padding="same", Stride=2)),
        ("avgpool", averagePooling1dLayer(3, Padding=[1, 2], Stride=2)),
        ("gmaxpool", globalMaxPooling1dLayer()), ("gavgpool", globalAveragePooling1dLayer()),
    ]


def main():
    print(f"{'layer':12} {'vs ONNX Runtime (f32)':>22} {'vs finite diff. (f64)':>22}")
    for k, (name, layer) in enumerate(cases(np.random.default_rng(0), np.float32)):
        worst_onnx = 0.0
        for seed in range(5):
            rs = np.random.default_rng(seed)
            x = (rs.standard_normal((12, 3, 6)) * 2).astype(np.float32)
            y, ref = onnx_forward(name, layer, x)
            worst_onnx = max(worst_onnx, rel(y, ref))
        worst_fd = 0.0
        for seed in range(3):
            rs = np.random.default_rng(100 + seed)
            layer64 = cases(np.random.default_rng(seed), np.float64)[k][1]
            x = rs.standard_normal((9, 2, 6)) * 2
            x[np.abs(x) < 1e-3] = 0.5
            worst_fd = max(worst_fd, check_layer_gradients(layer64, x, rs, n_coords=20,
                                                           tol=1e-3))
            if name == "batchnorm":
                worst_fd = max(worst_fd, check_layer_gradients(layer64, x, rs, True, 20, 1e-3))
        print(f"{name:12} {worst_onnx:22.2e} {worst_fd:22.2e}")


def batchnorm_training():
    """Training-mode output and the moving statistics vs ONNX BatchNormalization."""
    worst = 0.0
    for seed in range(5):
        rs = np.random.default_rng(seed)
        layer = cases(rs, np.float32)[9][1]
        layer.MeanDecay = layer.VarianceDecay = 0.1
        x = (rs.standard_normal((12, 3, 6)) * 2 + 1).astype(np.float32)
        args = [ncl(x)] + [getattr(layer, n).ravel().astype(np.float32) for n in
                           ("Scale", "Offset", "TrainedMean", "TrainedVariance")]
        y = layer.forward(x, training=True)[0]
        ref, m, v = run_op("BatchNormalization", args, opset=15, n_out=3, training_mode=1,
                           momentum=0.9, epsilon=1e-5)
        layer.commit_statistics()
        worst = max(worst, rel(ncl(y), ref), rel(layer.TrainedMean.ravel(), m),
                    rel(layer.TrainedVariance.ravel(), v))
    print(f"batchnorm training mode + moving statistics vs ONNX Runtime: {worst:.2e}")


def torch_errors():
    try:
        import torch  # noqa: PLC0415 - optional reference
    except ImportError:
        print("torch not installed: no torch comparison")
        return
    F = torch.nn.functional
    refs = {"relu": F.relu, "leakyrelu": lambda t: F.leaky_relu(t, 0.2),
            "clippedrelu": lambda t: torch.clamp(t, 0, 1.5), "elu": lambda t: F.elu(t, 1.3),
            "tanh": torch.tanh, "sigmoid": torch.sigmoid, "swish": F.silu, "gelu": F.gelu,
            "gelu-tanh": lambda t: F.gelu(t, approximate="tanh")}
    worst = {}
    for seed in range(3):
        rs = np.random.default_rng(seed)
        layers = dict(cases(np.random.default_rng(seed), np.float64))
        x = rs.standard_normal((9, 2, 6)) * 2
        c = rs.standard_normal
        for name, f in refs.items():
            y, back, _ = layers[name].forward(x)
            t = torch.tensor(x, requires_grad=True)
            yt = f(t)
            g = c(y.shape)
            yt.backward(torch.tensor(g))
            worst[name] = max(worst.get(name, 0.0), rel(y, yt.detach().numpy()),
                              rel(back(g)[0], t.grad.numpy()))
        conv = layers["conv1d"]
        y, back, _ = conv.forward(x)
        t = torch.tensor(ncl(x), requires_grad=True)
        left, right = padding_sizes("same", 9, 3, 2, 2)
        yt = F.conv1d(F.pad(t, (left, right)), torch.tensor(conv.Weights.transpose(2, 1, 0)
                                                            .copy()),
                      torch.tensor(conv.Bias.ravel()), stride=2, dilation=2)
        g = c(y.shape)
        yt.backward(torch.tensor(ncl(g)))
        worst["conv1d"] = max(worst.get("conv1d", 0.0), rel(ncl(y), yt.detach().numpy()),
                              rel(ncl(back(g)[0]), t.grad.numpy()))
    print("vs torch (float64, forward and input gradient): " +
          ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
    batchnorm_training()
    torch_errors()
