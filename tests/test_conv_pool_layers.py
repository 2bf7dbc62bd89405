"""convolution1dLayer, the 1-D pooling layers and flattenLayer: forward vs ONNX Runtime's
Conv, MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool, backward vs float64
finite differences, displays, bad input and their use in networks."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    LayerArray,
    assembleNetwork,
    averagePooling1dLayer,
    categorical,
    classificationLayer,
    convolution1dLayer,
    flattenLayer,
    fullyConnectedLayer,
    globalAveragePooling1dLayer,
    globalMaxPooling1dLayer,
    maxPooling1dLayer,
    predict,
    regressionLayer,
    reluLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from tests.layer_checks import check_layer_gradients
from tests.reference.onnx_ops import run_op


def to_ncl(x):           # (T, B, C) -> ONNX (N, C, L)
    return np.ascontiguousarray(x.transpose(1, 2, 0))


def conv(rs, f, c, k, dtype=np.float32, **kw):
    return convolution1dLayer(f, k, Weights=rs.standard_normal((f, c, k)).astype(dtype),
                              Bias=rs.standard_normal((1, k)).astype(dtype), **kw)


CONV_CASES = [dict(), dict(Stride=2), dict(DilationFactor=2), dict(Padding="same"),
              dict(Padding="same", Stride=3), dict(Padding="causal", DilationFactor=2),
              dict(Padding=[2, 1], Stride=2, DilationFactor=2), dict(Padding=1)]


@pytest.mark.parametrize("kw", CONV_CASES)
def test_conv_matches_onnx_runtime(rs, kw):
    f, c, k, t = 3, 4, 5, 11
    layer = conv(rs, f, c, k, **kw)
    x = rs.standard_normal((t, 2, c)).astype(np.float32)
    y = layer.forward(x)[0]
    left, right = __import__("dltoolbox.layers._time_window", fromlist=["x"]).padding_sizes(
        layer.Padding, t, f, layer.Stride, layer.DilationFactor)
    ref = run_op("Conv", [to_ncl(x), np.ascontiguousarray(layer.Weights.transpose(2, 1, 0)),
                          layer.Bias.ravel()], opset=13, pads=[left, right],
                 strides=[layer.Stride], dilations=[layer.DilationFactor])
    assert y.shape == (layer.output_length(t), 2, k)
    np.testing.assert_allclose(to_ncl(y), ref, rtol=1e-5, atol=1e-5)


def test_same_padding_keeps_the_length(rs):
    for t in (5, 6, 7):
        for s in (1, 2, 3):
            layer = conv(rs, 4, 2, 3, Padding="same", Stride=s)
            y = layer.forward(rs.standard_normal((t, 1, 2)))[0]
            assert y.shape[0] == -(-t // s)


def test_causal_output_does_not_see_the_future(rs):
    layer = conv(rs, 3, 2, 2, np.float64, Padding="causal", DilationFactor=2)
    x = rs.standard_normal((9, 1, 2))
    y = layer.forward(x)[0]
    x2 = x.copy()
    x2[5:] += 10.0
    np.testing.assert_allclose(layer.forward(x2)[0][:5], y[:5])


@pytest.mark.parametrize("kw", CONV_CASES + [
    dict(Padding="same", PaddingValue=1.5), dict(Padding=[2, 2], PaddingValue="replicate"),
    dict(Padding="causal", PaddingValue="symmetric-include-edge"),
    dict(Padding=[2, 1], PaddingValue="symmetric-exclude-edge")])
def test_conv_backward_matches_finite_differences(rs, kw):
    layer = conv(rs, 3, 3, 2, np.float64, **kw)
    assert check_layer_gradients(layer, rs.standard_normal((8, 2, 3)), rs) < 1e-6


def test_padding_values_match_numpy_pad(rs):
    x = rs.standard_normal((6, 1, 1))
    for value, mode in (("replicate", "edge"), ("symmetric-include-edge", "symmetric"),
                        ("symmetric-exclude-edge", "reflect")):
        w = np.zeros((3, 1, 1))
        w[0] = 1.0                     # the first tap: output t reads padded step t
        layer = convolution1dLayer(3, 1, Weights=w, Bias=np.zeros((1, 1)), Padding=[2, 0],
                                   PaddingValue=value)
        y = layer.forward(x)[0].ravel()
        np.testing.assert_allclose(y, np.pad(x.ravel(), (2, 0), mode=mode)[:6])


POOL_CASES = [(2, dict()), (2, dict(Stride=2)), (3, dict(Padding="same")),
              (3, dict(Padding=[1, 2], Stride=2)), (4, dict(Padding="same", Stride=3))]


@pytest.mark.parametrize("size, kw", POOL_CASES)
def test_pooling_matches_onnx_runtime(rs, size, kw):
    t = 10
    x = rs.standard_normal((t, 3, 2)).astype(np.float32)
    from dltoolbox.layers._time_window import padding_sizes
    for make, op, extra in ((maxPooling1dLayer, "MaxPool", {}),
                            (averagePooling1dLayer, "AveragePool", {"count_include_pad": 1})):
        layer = make(size, **kw)
        left, right = padding_sizes(layer.Padding, t, size, layer.Stride, 1)
        ref = run_op(op, [to_ncl(x)], opset=19, kernel_shape=[size], pads=[left, right],
                     strides=[layer.Stride], **extra)
        np.testing.assert_allclose(to_ncl(layer.forward(x)[0]), ref, rtol=1e-6, atol=1e-6)
    layer = averagePooling1dLayer(size, PaddingValue="mean", **kw)
    ref = run_op("AveragePool", [to_ncl(x)], opset=19, kernel_shape=[size],
                 pads=list(padding_sizes(layer.Padding, t, size, layer.Stride, 1)),
                 strides=[layer.Stride], count_include_pad=0)
    np.testing.assert_allclose(to_ncl(layer.forward(x)[0]), ref, rtol=1e-6, atol=1e-6)


def test_global_pooling_matches_onnx_runtime(rs):
    x = rs.standard_normal((7, 3, 4)).astype(np.float32)
    for layer, op in ((globalMaxPooling1dLayer(), "GlobalMaxPool"),
                      (globalAveragePooling1dLayer(), "GlobalAveragePool")):
        y = layer.forward(x)[0]
        assert y.shape == (3, 4) and not layer.keeps_time()
        np.testing.assert_allclose(y, run_op(op, [to_ncl(x)])[:, :, 0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: maxPooling1dLayer(3, Padding="same"), lambda: maxPooling1dLayer(2, Stride=2),
    lambda: averagePooling1dLayer(3, Padding=[1, 2], Stride=2),
    lambda: averagePooling1dLayer(3, Padding="same", PaddingValue="mean"),
    globalMaxPooling1dLayer, globalAveragePooling1dLayer, flattenLayer])
def test_pooling_backward_matches_finite_differences(rs, make):
    assert check_layer_gradients(make(), rs.standard_normal((9, 2, 3)), rs) < 1e-6


@pytest.mark.torch
def test_conv_matches_torch(rs):
    torch = pytest.importorskip("torch")
    layer = conv(rs, 4, 3, 5, np.float64, Stride=2, DilationFactor=2, Padding=[3, 1])
    x = rs.standard_normal((13, 2, 3))
    y, back, _ = layer.forward(x)
    xt = torch.tensor(to_ncl(x), requires_grad=True)
    w = torch.tensor(layer.Weights.transpose(2, 1, 0).copy(), requires_grad=True)
    yt = torch.nn.functional.conv1d(torch.nn.functional.pad(xt, (3, 1)), w,
                                    torch.tensor(layer.Bias.ravel()), stride=2, dilation=2)
    c = rs.standard_normal(y.shape)
    yt.backward(torch.tensor(to_ncl(c)))
    np.testing.assert_allclose(to_ncl(y), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    dx, grads = back(c)
    np.testing.assert_allclose(to_ncl(dx), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads["Weights"], w.grad.numpy().transpose(2, 1, 0),
                               rtol=1e-12, atol=1e-12)


def test_displays():
    layer = convolution1dLayer(3, 32, 'Padding', 'causal')
    assert repr(layer) == (
        "  Convolution1DLayer with properties:\n\n"
        "              Name: ''\n\n"
        "   Hyperparameters\n"
        "        FilterSize: 3\n"
        "       NumChannels: 'auto'\n"
        "        NumFilters: 32\n"
        "            Stride: 1\n"
        "    DilationFactor: 1\n"
        "       PaddingMode: 'causal'\n"
        "       PaddingSize: [2 0]\n"
        "      PaddingValue: 0\n\n"
        "   Learnable Parameters\n"
        "           Weights: []\n"
        "              Bias: []\n\n"
        "  Show all properties\n\n")
    arr = LayerArray([sequenceInputLayer(3), convolution1dLayer(5, 8, Padding="same"),
                      convolution1dLayer(3, 4, NumChannels=8, Stride=2),
                      maxPooling1dLayer(2, Stride=2), averagePooling1dLayer(3, Padding=1),
                      globalMaxPooling1dLayer(), globalAveragePooling1dLayer(), flattenLayer()])
    assert repr(arr).splitlines()[3:] == [
        "     2   ''   1-D Convolution              8 5 convolutions with stride 1 and padding 'same'",  # noqa: E501
        "     3   ''   1-D Convolution              4 3×8 convolutions with stride 2 and padding [0  0]",  # noqa: E501
        "     4   ''   1-D Max Pooling              2 max pooling with stride 2 and padding [0  0]",
        "     5   ''   1-D Average Pooling          3 average pooling with stride 1 and padding [1  1]",  # noqa: E501
        "     6   ''   1-D Global Max Pooling       1-D global max pooling",
        "     7   ''   1-D Global Average Pooling   1-D global average pooling",
        "     8   ''   Flatten                      Flatten",
        ""]


def test_bad_input_is_named_errors(rs):
    cases = [
        (lambda: convolution1dLayer(0, 3), "convolution1dLayer:InvalidFilterSize"),
        (lambda: convolution1dLayer(2.5, 3), "convolution1dLayer:InvalidFilterSize"),
        (lambda: convolution1dLayer(3, 4, Weights=np.ones((2, 1, 4))),
         "Convolution1DLayer:InvalidWeights"),
        (lambda: convolution1dLayer(3, 4, Weights=np.ones((3, 2, 4)), NumChannels=3),
         "Convolution1DLayer:InvalidWeights"),
        (lambda: setattr(convolution1dLayer(3, 4, Weights=np.ones((3, 2, 4))), "NumChannels",
                         3), "Convolution1DLayer:InvalidNumChannels"),
        (lambda: convolution1dLayer(3, 4, Bias=np.ones(3)), "Convolution1DLayer:InvalidBias"),
        (lambda: convolution1dLayer(3, 4, Padding="valid"), "convolution1dLayer:InvalidPadding"),
        (lambda: convolution1dLayer(3, 4, Padding=[1, -1]), "convolution1dLayer:InvalidPadding"),
        (lambda: convolution1dLayer(3, 4, PaddingValue="zeros"),
         "convolution1dLayer:InvalidPaddingValue"),
        (lambda: maxPooling1dLayer(2, Padding=2), "maxPooling1dLayer:InvalidPadding"),
        (lambda: maxPooling1dLayer(2, Padding="causal"), "maxPooling1dLayer:InvalidPadding"),
        (lambda: averagePooling1dLayer(2, PaddingValue=1), "averagePooling1dLayer:InvalidPaddingValue"),  # noqa: E501
        (lambda: conv(rs, 5, 2, 2).forward(np.ones((3, 1, 2), np.float32)),
         "convolution1dLayer:SequenceTooShort"),
        (lambda: conv(rs, 3, 2, 2, Padding=[4, 0]).forward(np.ones((3, 1, 2), np.float32)),
         "convolution1dLayer:PaddingTooLarge"),
        (lambda: maxPooling1dLayer(4).forward(np.ones((3, 1, 2))), "maxPooling1dLayer:SequenceTooShort"),  # noqa: E501
        (lambda: conv(rs, 1, 2, 2).forward(np.ones((3, 2), np.float32)),
         "convolution1dLayer:NoTimeDimension"),
    ]
    for make, ident in cases:
        with pytest.raises(DLToolboxError) as err:
            make()
        assert err.value.identifier == f"dltoolbox:{ident}", ident
    with pytest.raises(DLToolboxError) as err:
        assembleNetwork([sequenceInputLayer(3), conv(rs, 3, 2, 2), regressionLayer()])
    assert err.value.identifier == "dltoolbox:assembleNetwork:InvalidLearnable"


def test_predict_trims_to_the_output_lengths(rs):
    net = assembleNetwork([sequenceInputLayer(2), conv(rs, 3, 2, 1, Stride=2),
                           regressionLayer()])
    out = predict(net, [rs.standard_normal((2, 9)), rs.standard_normal((2, 5))])
    assert [o.shape for o in out] == [(1, 4), (1, 2)]
    single = predict(net, rs.standard_normal((2, 9)))
    assert single.shape == (1, 4)


def test_seq_to_seq_length_change_in_training_is_a_named_error(rs):
    X = [rs.standard_normal((2, 8)) for _ in range(4)]
    Y = [rs.standard_normal((1, 8)) for _ in range(4)]
    layers = [sequenceInputLayer(2), convolution1dLayer(3, 1), regressionLayer()]
    with pytest.raises(DLToolboxError) as err:
        trainNetwork(X, Y, layers, trainingOptions("adam", MaxEpochs=1, Verbose=False))
    assert err.value.identifier == "dltoolbox:trainNetwork:OutputLengthMismatch"


def test_sequence_to_label_with_global_pooling_learns(rs):
    """Class = whether a bump sits in the sequence: conv, relu, global max pooling."""
    rng(0)
    X, labels = [], []
    for i in range(40):
        x = rs.standard_normal((1, 20)) * 0.3
        if i % 2:
            p = rs.integers(2, 17)
            x[0, p:p + 3] += 2.0
        X.append(x)
        labels.append("bump" if i % 2 else "flat")
    Y = categorical(labels)
    layers = [sequenceInputLayer(1), convolution1dLayer(3, 4, Padding="same"), reluLayer(),
              maxPooling1dLayer(2, Stride=2), globalMaxPooling1dLayer(),
              fullyConnectedLayer(2), softmaxLayer(), classificationLayer()]
    opts = trainingOptions("adam", MaxEpochs=30, MiniBatchSize=10, InitialLearnRate=0.05,
                           Verbose=False)
    net = trainNetwork(X, Y, layers, opts)
    scores = predict(net, X)
    acc = np.mean(np.array(["bump", "flat"])[scores.argmax(axis=1)] == np.array(labels))
    assert acc >= 0.95
