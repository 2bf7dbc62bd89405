"""Layer graphs on the shared executor: a residual LSTM and a two-branch network against
a hand-written composition of their layers, forward and backward (float64 central finite
differences), the editing functions and the named errors."""

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    additionLayer,
    addLayers,
    categorical,
    concatenationLayer,
    connectLayers,
    disconnectLayers,
    dlnetwork,
    fullyConnectedLayer,
    initialize,
    layerGraph,
    lstmLayer,
    multiplicationLayer,
    predict,
    reluLayer,
    removeLayers,
    replaceLayer,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    tanhLayer,
    trainingOptions,
    trainnet,
)

from .dl_checks import check_graph_backward


def residual():
    lg = layerGraph([sequenceInputLayer(3, Name="in"), lstmLayer(5, Name="lstm1"),
                     lstmLayer(5, Name="lstm2"), additionLayer(2, Name="add"),
                     fullyConnectedLayer(2, Name="fc")])
    return connectLayers(lg, "lstm1", "add/in2")


def two_branch():
    lg = layerGraph([sequenceInputLayer(3, Name="in"), fullyConnectedLayer(4, Name="fcA"),
                     reluLayer(Name="relu"), concatenationLayer(1, 2, Name="cat"),
                     fullyConnectedLayer(2, Name="fc"), softmaxLayer(Name="sm")])
    lg = addLayers(lg, lstmLayer(4, Name="lstm"))
    lg = connectLayers(lg, "in", "lstm")
    return connectLayers(lg, "lstm/out", "cat/in2")


def layer(net, name):
    return next(x for x in net.Layers if x.Name == name)


def run(net, name, X):
    return layer(net, name).forward(X)[0]


def hand_residual(net, X):
    h1 = run(net, "lstm1", X)
    return run(net, "fc", run(net, "lstm2", h1) + h1)


def hand_two_branch(net, X):
    a = run(net, "relu", run(net, "fcA", X))
    b = run(net, "lstm", X)
    return run(net, "sm", run(net, "fc", np.concatenate([a, b], axis=-1)))


@pytest.mark.parametrize("build, hand", [(residual, hand_residual),
                                         (two_branch, hand_two_branch)])
def test_forward_matches_the_hand_composition(build, hand):
    rng(0)
    net = dlnetwork(build())
    X = np.random.default_rng(1).standard_normal((6, 3, 2)).astype(np.float32)   # T-by-C-by-N
    Y = predict(net, X)
    ref = hand(net, np.ascontiguousarray(X.transpose(0, 2, 1)))                   # (T, N, K)
    np.testing.assert_allclose(Y, ref.transpose(0, 2, 1), atol=1e-6)


@pytest.mark.parametrize("build, checks", [
    (residual, [("lstm1", "InputWeights"), ("lstm1", "RecurrentWeights"),
                ("lstm2", "Bias"), ("fc", "Weights")]),
    (two_branch, [("fcA", "Weights"), ("lstm", "InputWeights"), ("fc", "Bias")])])
def test_backward_by_finite_differences(build, checks):
    rng(2)
    g = np.random.default_rng(3)
    check_graph_backward(dlnetwork(build()), g.standard_normal((5, 2, 3)),
                         g.standard_normal((5, 2, 2)), checks)


def test_multiplication_layer_gradient():
    layer_ = multiplicationLayer(3)
    g = np.random.default_rng(0)
    Xs = [g.standard_normal((2, 3)) for _ in range(3)]
    _, back, _ = layer_.forward(Xs)
    dXs, _ = back(np.ones((2, 3)))
    np.testing.assert_allclose(dXs[1], Xs[0] * Xs[2])


def test_connections_table_and_display():
    net = dlnetwork(two_branch())
    c = net.Connections
    assert list(zip(c.Source, c.Destination)) == [
        ("in", "fcA"), ("fcA", "relu"), ("relu", "cat/in1"), ("lstm", "cat/in2"),
        ("cat", "fc"), ("fc", "sm"), ("in", "lstm")]
    assert net.OutputNames == ("sm",) and net.InputNames == ("in",)
    assert "Connections: [7×2 table]" in repr(net)
    assert "    OutputNames: {'sm'}" in repr(two_branch())


def test_named_errors():
    with pytest.raises(DLToolboxError) as err:       # a cycle add -> b -> add
        lg = layerGraph([sequenceInputLayer(2, Name="in"), reluLayer(Name="a"),
                         additionLayer(2, Name="add"), tanhLayer(Name="b")])
        dlnetwork(connectLayers(lg, "b", "add/in2"))
    assert err.value.identifier == "dltoolbox:dlnetwork:CyclicGraph"
    assert "'add'" in str(err.value) and "'b'" in str(err.value)
    lg = layerGraph([sequenceInputLayer(2, Name="in"), reluLayer(Name="a"),
                     additionLayer(2, Name="add")])
    with pytest.raises(DLToolboxError) as err:       # in2 dangling
        dlnetwork(lg)
    assert err.value.identifier == "dltoolbox:dlnetwork:UnconnectedInput"
    assert "'in2' of layer 'add'" in str(err.value)
    with pytest.raises(DLToolboxError) as err:
        addLayers(lg, reluLayer(Name="a"))
    assert err.value.identifier == "dltoolbox:addLayers:DuplicateLayerName"
    with pytest.raises(DLToolboxError) as err:
        connectLayers(lg, "a", "add/in1")
    assert err.value.identifier == "dltoolbox:connectLayers:InputAlreadyConnected"
    lg = addLayers(lg, lstmLayer(3, Name="l"))
    lg = connectLayers(connectLayers(lg, "in", "l"), "l", "add/in2")
    with pytest.raises(DLToolboxError) as err:       # 2 channels + 3 channels
        dlnetwork(lg)
    assert err.value.identifier == "dltoolbox:dlnetwork:SizeMismatch"
    assert "'a' (2)" in str(err.value) and "'l' (3)" in str(err.value)


def test_editing_a_dlnetwork():
    rng(4)
    net = dlnetwork(residual())
    edited = removeLayers(disconnectLayers(net, "lstm1", "add/in2"), "add")
    assert not edited.Initialized
    edited = connectLayers(edited, "lstm2", "fc")
    edited = initialize(edited)
    W = layer(net, "lstm1").InputWeights
    np.testing.assert_array_equal(layer(edited, "lstm1").InputWeights, W)  # values kept
    X = np.ones((4, 3), dtype=np.float32)
    ref = run(net, "fc", run(net, "lstm2", run(net, "lstm1", X[:, None, :])))[:, 0, :]
    np.testing.assert_allclose(predict(edited, X), ref, atol=1e-6)
    swapped = replaceLayer(residual(), "lstm2", [lstmLayer(5, Name="new"), tanhLayer()])
    names = [x.Name for x in swapped.Layers]
    assert names == ["in", "lstm1", "new", "tanh", "add", "fc"]
    assert ("tanh", "add/in1") in zip(swapped.Connections.Source,
                                      swapped.Connections.Destination)


def test_trainnet_trains_a_graph():
    g = np.random.default_rng(5)
    X = [g.standard_normal((6, 3)) for _ in range(16)]
    T = categorical(["a", "b"] * 8)
    lg = layerGraph([sequenceInputLayer(3, Name="in"), lstmLayer(6, Name="l1"),
                     lstmLayer(6, Name="l2", OutputMode="sequence"),
                     additionLayer(2, Name="add"), lstmLayer(4, OutputMode="last"),
                     fullyConnectedLayer(2), softmaxLayer()])
    lg = connectLayers(lg, "l1", "add/in2")
    rng(6)
    _, info = trainnet(X, T, lg, "crossentropy",
                       trainingOptions("adam", MaxEpochs=15, MiniBatchSize=8,
                                       InitialLearnRate=0.02, Verbose=False), nargout=2)
    loss = info.TrainingHistory.Loss
    assert loss[-1] < loss[0]
