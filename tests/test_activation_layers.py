"""Activation layers: forward vs ONNX Runtime operators (and torch), backward vs float64
central finite differences, MATLAB displays, and a trained network that uses them."""

import numpy as np
import pytest
from onnx import helper

from dltoolbox import (
    DLToolboxError,
    LayerArray,
    categorical,
    classificationLayer,
    clippedReluLayer,
    eluLayer,
    fullyConnectedLayer,
    geluLayer,
    leakyReluLayer,
    reluLayer,
    rng,
    sequenceInputLayer,
    sigmoidLayer,
    softmaxLayer,
    swishLayer,
    tanhLayer,
    trainingOptions,
    trainNetwork,
)
from tests.layer_checks import check_layer_gradients
from tests.reference.onnx_ops import run_graph, run_op

# (layer, ONNX op, attributes): forward references from ONNX Runtime's operators
CASES = [
    (lambda: reluLayer(), "Relu", {}),
    (lambda: leakyReluLayer(), "LeakyRelu", {"alpha": 0.01}),
    (lambda: leakyReluLayer(0.3), "LeakyRelu", {"alpha": 0.3}),
    (lambda: eluLayer(), "Elu", {"alpha": 1.0}),
    (lambda: eluLayer(0.5), "Elu", {"alpha": 0.5}),
    (lambda: tanhLayer(), "Tanh", {}),
    (lambda: sigmoidLayer(), "Sigmoid", {}),
    (lambda: geluLayer(), "Gelu", {"approximate": "none"}),
    (lambda: geluLayer('Approximation', 'tanh'), "Gelu", {"approximate": "tanh"}),
]


def data(rs, shape=(7, 3, 5), scale=3.0):
    x = rs.standard_normal(shape) * scale
    return x


@pytest.mark.parametrize("make, op, attrs", CASES)
def test_forward_matches_onnx_runtime(make, op, attrs, rs):
    x = data(rs).astype(np.float32)
    y = make().forward(x)[0]
    ref = run_op(op, [x], **attrs)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=2e-6)


def test_clipped_relu_matches_onnx_clip(rs):
    x = data(rs).astype(np.float32)
    y = clippedReluLayer(1.5).forward(x)[0]
    ref = run_op("Clip", [x, np.float32(0.0).reshape(()), np.float32(1.5).reshape(())])
    np.testing.assert_array_equal(y, ref)


def test_swish_matches_onnx_mul_sigmoid(rs):
    x = data(rs).astype(np.float32)
    y = swishLayer().forward(x)[0]
    ref = run_graph([helper.make_node("Sigmoid", ["x"], ["s"]),
                     helper.make_node("Mul", ["x", "s"], ["y"])], {"x": x}, "y")
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=2e-6)


ALL = [reluLayer, lambda: leakyReluLayer(0.2), lambda: clippedReluLayer(2),
       lambda: eluLayer(1.5), tanhLayer, sigmoidLayer, swishLayer, geluLayer,
       lambda: geluLayer(Approximation="tanh")]


@pytest.mark.parametrize("make", ALL)
def test_backward_matches_finite_differences(make, rs):
    x = data(rs, (5, 2, 4), 2.0)
    x[np.abs(x) < 1e-3] = 0.5                          # away from the kinks
    x[np.abs(x - 2) < 1e-3] = 1.0
    assert check_layer_gradients(make(), x, rs) < 1e-6


@pytest.mark.torch
def test_forward_and_backward_match_torch(rs):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    pairs = [(reluLayer(), F.relu), (leakyReluLayer(0.2), lambda t: F.leaky_relu(t, 0.2)),
             (eluLayer(1.5), lambda t: F.elu(t, 1.5)), (swishLayer(), F.silu),
             (geluLayer(), F.gelu), (geluLayer(Approximation="tanh"),
                                     lambda t: F.gelu(t, approximate="tanh")),
             (clippedReluLayer(2), lambda t: torch.clamp(t, 0, 2))]
    x = data(rs, (4, 3, 6), 2.0)
    for layer, f in pairs:
        y, back, _ = layer.forward(x.copy())
        t = torch.tensor(x, requires_grad=True)
        yt = f(t)
        c = rs.standard_normal(y.shape)
        yt.backward(torch.tensor(c))
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(back(c)[0], t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_displays():
    assert repr(leakyReluLayer(0.1, 'Name', 'leaky1')) == (
        "  LeakyReLULayer with properties:\n\n"
        "     Name: 'leaky1'\n\n"
        "   Hyperparameters\n"
        "    Scale: 0.1000\n\n")
    assert repr(reluLayer(Name="relu1")) == \
        "  ReLULayer with properties:\n\n    Name: 'relu1'\n\n"
    assert repr(clippedReluLayer(10, 'Name', 'clip1')) == (
        "  ClippedReLULayer with properties:\n\n"
        "       Name: 'clip1'\n\n"
        "   Hyperparameters\n"
        "    Ceiling: 10\n\n")
    layers = LayerArray([sequenceInputLayer(3), reluLayer(), leakyReluLayer(),
                         clippedReluLayer(6), eluLayer(), tanhLayer(), sigmoidLayer(),
                         swishLayer(), geluLayer()])
    assert repr(layers) == (
        "  9×1 Layer array with layers:\n\n"
        "     1   ''   Sequence Input   Sequence input with 3 dimensions\n"
        "     2   ''   ReLU             ReLU\n"
        "     3   ''   Leaky ReLU       Leaky ReLU with scale 0.01\n"
        "     4   ''   Clipped ReLU     Clipped ReLU with ceiling 6\n"
        "     5   ''   ELU              ELU with Alpha 1\n"
        "     6   ''   Tanh             Hyperbolic tangent\n"
        "     7   ''   Sigmoid          sigmoid\n"
        "     8   ''   Swish            swish\n"
        "     9   ''   GELU             GELU\n\n")


def test_bad_arguments_are_named_errors():
    with pytest.raises(DLToolboxError) as err:
        clippedReluLayer()
    assert err.value.identifier == "dltoolbox:clippedReluLayer:MissingCeiling"
    with pytest.raises(DLToolboxError) as err:
        clippedReluLayer(-1)
    assert err.value.identifier == "dltoolbox:clippedReluLayer:InvalidCeiling"
    with pytest.raises(DLToolboxError) as err:
        geluLayer(Approximation="erf")
    assert err.value.identifier == "dltoolbox:geluLayer:InvalidApproximation"
    with pytest.raises(DLToolboxError) as err:
        leakyReluLayer(0.1, Scale=0.2)
    assert err.value.identifier == "dltoolbox:leakyReluLayer:DuplicateName"
    with pytest.raises(DLToolboxError) as err:
        reluLayer().Scale = 2
    assert err.value.identifier == "dltoolbox:ReLULayer:UnknownProperty"
    assert eluLayer('Alpha', 2).Alpha == 2.0


def test_default_names_in_a_trained_network(rs):
    rng(0)
    X = [rs.standard_normal((2, 6)) for _ in range(8)]
    Y = categorical(["a", "b"] * 4)
    layers = [sequenceInputLayer(2), fullyConnectedLayer(4), reluLayer(), fullyConnectedLayer(4),
              reluLayer(), fullyConnectedLayer(2), softmaxLayer(), classificationLayer()]
    # sequence-to-sequence labels: one label per time step
    Yseq = [categorical(["a"] * 6 if y == "a" else ["b"] * 6, ["a", "b"]) for y in Y]
    opts = trainingOptions("adam", MaxEpochs=2, MiniBatchSize=4, Verbose=False)
    net = trainNetwork(X, Yseq, layers, opts)
    assert [layer.Name for layer in net.Layers][2:5] == ["relu_1", "fc_2", "relu_2"]
