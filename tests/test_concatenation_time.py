"""concatenationLayer(3, n): time concatenation of sequence data ("CBT": 1 channels, 3
time), against the hand composition of the layers and float64 central differences; named
errors for the dimensions that are not supported."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    addLayers,
    concatenationLayer,
    connectLayers,
    dlnetwork,
    fullyConnectedLayer,
    layerGraph,
    lstmLayer,
    minibatchpredict,
    predict,
    rng,
    sequenceInputLayer,
)

from .dl_checks import check_graph_backward


def time_graph(last=True):
    """in -> lstmA -> cat/in1; in -> fcB -> cat/in2; cat (time) -> lstmC -> fc."""
    lg = layerGraph([sequenceInputLayer(3, Name="in"), lstmLayer(4, Name="lstmA"),
                     concatenationLayer(3, 2, Name="cat"),
                     lstmLayer(5, OutputMode="last" if last else "sequence", Name="lstmC"),
                     fullyConnectedLayer(2, Name="fc")])
    lg = addLayers(lg, fullyConnectedLayer(4, Name="fcB"))
    lg = connectLayers(lg, "in", "fcB")
    return connectLayers(lg, "fcB", "cat/in2")


def run(net, name, X):
    return next(x for x in net.Layers if x.Name == name).forward(X)[0]


def test_forward_is_the_hand_composition():
    rng(0)
    net = dlnetwork(time_graph())
    X = np.random.default_rng(1).standard_normal((6, 3, 2)).astype(np.float32)   # T-by-C-by-N
    x = np.ascontiguousarray(X.transpose(0, 2, 1))                                 # (T, N, C)
    joined = np.concatenate([run(net, "lstmA", x), run(net, "fcB", x)], axis=0)    # (2T, N, 4)
    ref = run(net, "fc", run(net, "lstmC", joined))
    np.testing.assert_allclose(predict(net, X), ref, atol=1e-6)
    assert net.Layers[2].Dim == 3
    assert "Concatenation of 2 inputs along dimension 3" in repr(net.Layers)


def test_backward_by_finite_differences():
    rng(2)
    g = np.random.default_rng(3)
    check_graph_backward(dlnetwork(time_graph()), g.standard_normal((4, 2, 3)),
                         g.standard_normal((2, 2)),
                         [("lstmA", "InputWeights"), ("fcB", "Weights"), ("lstmC", "Bias")])


def test_layer_backward_splits_the_time_steps():
    layer = concatenationLayer(3, 3)
    g = np.random.default_rng(0)
    Xs = [g.standard_normal((t, 2, 3)) for t in (2, 1, 4)]
    Y, back, _ = layer.forward(Xs)
    assert Y.shape == (7, 2, 3)
    dY = g.standard_normal(Y.shape)
    parts, _ = back(dY)
    np.testing.assert_array_equal(parts[0], dY[:2])
    np.testing.assert_array_equal(parts[1], dY[2:3])
    np.testing.assert_array_equal(parts[2], dY[3:])


def test_sequence_output_length_is_the_sum():
    rng(1)
    net = dlnetwork(time_graph(last=False))
    X = [np.random.default_rng(k).standard_normal((5, 3)) for k in range(3)]   # equal lengths
    out = minibatchpredict(net, X, UniformOutput=False)
    assert [o.shape for o in out] == [(10, 2)] * 3
    np.testing.assert_allclose(out[1], predict(net, X[1].astype(np.float32)), atol=1e-6)


@pytest.mark.parametrize("dim, ident", [(2, "NotSupported"), (4, "InvalidDim")])
def test_unsupported_dimensions(dim, ident):
    with pytest.raises(DLToolboxError) as err:
        concatenationLayer(dim, 2)
    assert err.value.identifier == f"dltoolbox:concatenationLayer:{ident}"


@pytest.mark.parametrize("mode, channels, ident", [("last", 4, "NoTimeDimension"),
                                                    ("sequence", 5, "SizeMismatch")])
def test_time_concatenation_needs_time_and_equal_channels(mode, channels, ident):
    """An input without time (OutputMode 'last'), or inputs of other channel counts."""
    lg = layerGraph([sequenceInputLayer(3, Name="in"), lstmLayer(4, OutputMode=mode,
                                                                  Name="l"),
                     concatenationLayer(3, 2, Name="cat"), fullyConnectedLayer(2)])
    lg = connectLayers(addLayers(lg, fullyConnectedLayer(channels, Name="f")), "in", "f")
    lg = connectLayers(lg, "f", "cat/in2")
    with pytest.raises(DLToolboxError) as err:
        dlnetwork(lg)
    assert err.value.identifier == f"dltoolbox:dlnetwork:{ident}"
    if ident == "NoTimeDimension":
        assert "'l'" in str(err.value)
