"""forward/predict of layer-graph dlnetworks on dlarrays inside dlfeval: multi-input layers
(addition, concatenation, multiplication) and networks with two inputs; dlgradient to
every learnable and input against float64 central differences, values against the
numeric predict."""

import numpy as np
import pytest

from dltoolbox import (
    additionLayer,
    addLayers,
    concatenationLayer,
    connectLayers,
    dlnetwork,
    forward,
    fullyConnectedLayer,
    layerGraph,
    lstmLayer,
    multiplicationLayer,
    predict,
    reluLayer,
    sequenceInputLayer,
    sigmoidLayer,
)
from dltoolbox.dl import dlarray, dlfeval, dlgradient, extractdata, stripdims
from dltoolbox.errors import DLToolboxError

C, C2, H, K, B, T = 3, 2, 4, 2, 2, 4
R = np.random.default_rng(21)


def _w(*shape):
    return R.standard_normal(shape) * 0.5


def fc(k, c, name, a):
    return fullyConnectedLayer(k, Name=name, Weights=a[name + ".W"], Bias=a[name + ".b"])


def lstm(h, c, name, a):
    return lstmLayer(h, Name=name, InputWeights=a[name + ".W"],
                     RecurrentWeights=a[name + ".R"], Bias=a[name + ".b"])


def residual(a):
    """in -> lstm1 -> lstm2 -> add <- lstm1 (a skip connection) -> fc."""
    lg = layerGraph([sequenceInputLayer(C, Name="in"), lstm(H, C, "lstm1", a),
                     lstm(H, H, "lstm2", a), additionLayer(2, Name="add"), fc(K, H, "fc", a)])
    return connectLayers(lg, "lstm1", "add/in2")


def two_branch(a):
    """in -> fcA -> relu -> cat <- lstm <- in; cat -> fc."""
    lg = layerGraph([sequenceInputLayer(C, Name="in"), fc(H, C, "fcA", a),
                     reluLayer(Name="relu"), concatenationLayer(1, 2, Name="cat"),
                     fc(K, 2 * H, "fc", a)])
    lg = addLayers(lg, lstm(H, C, "lstm", a))
    lg = connectLayers(lg, "in", "lstm")
    return connectLayers(lg, "lstm", "cat/in2")


def gated(a):
    """in -> fcA; in -> fcB -> sigmoid; fcA .* sigmoid -> fc (a multiplicative gate)."""
    lg = layerGraph([sequenceInputLayer(C, Name="in"), fc(H, C, "fcA", a),
                     multiplicationLayer(2, Name="mul"), fc(K, H, "fc", a)])
    lg = addLayers(lg, [fc(H, C, "fcB", a), sigmoidLayer(Name="sig")])
    lg = connectLayers(lg, "in", "fcB")
    return connectLayers(lg, "sig", "mul/in2")


def two_inputs(a):
    """in1 (C channels) -> fc1; in2 (C2 channels) -> fc2; fc1 + fc2 -> relu -> fc."""
    lg = layerGraph([sequenceInputLayer(C, Name="in1"), fc(H, C, "fc1", a),
                     additionLayer(2, Name="add"), reluLayer(Name="relu"), fc(K, H, "fc", a)])
    lg = addLayers(lg, [sequenceInputLayer(C2, Name="in2"), fc(H, C2, "fc2", a)])
    return connectLayers(lg, "fc2", "add/in2")


def params(build):
    shapes = {
        residual: {"lstm1.W": (4 * H, C), "lstm1.R": (4 * H, H), "lstm1.b": (4 * H, 1),
                   "lstm2.W": (4 * H, H), "lstm2.R": (4 * H, H), "lstm2.b": (4 * H, 1),
                   "fc.W": (K, H), "fc.b": (K, 1)},
        two_branch: {"fcA.W": (H, C), "fcA.b": (H, 1), "lstm.W": (4 * H, C),
                     "lstm.R": (4 * H, H), "lstm.b": (4 * H, 1), "fc.W": (K, 2 * H),
                     "fc.b": (K, 1)},
        gated: {"fcA.W": (H, C), "fcA.b": (H, 1), "fcB.W": (H, C), "fcB.b": (H, 1),
                "fc.W": (K, H), "fc.b": (K, 1)},
        two_inputs: {"fc1.W": (H, C), "fc1.b": (H, 1), "fc2.W": (H, C2), "fc2.b": (H, 1),
                     "fc.W": (K, H), "fc.b": (K, 1)},
    }[build]
    return {k: _w(*s) for k, s in shapes.items()}


def inputs(build):
    xs = [R.standard_normal((C, B, T))]
    if build is two_inputs:
        xs.append(R.standard_normal((C2, B, T)))
    return xs


P = np.random.default_rng(4).standard_normal((K, B, T))    # a projection of Y to a scalar


def _value(net, xs):
    Y = forward(net, *[x if isinstance(x, dlarray) else dlarray(x, "CBT") for x in xs])
    return (stripdims(Y) * P).sum("all")


def _model(net, *xs):
    loss = _value(net, xs)
    return loss, dlgradient(loss, net.Learnables, list(xs))


def _directional_errors(build):
    """Relative errors of dlgradient along one random direction per learnable and input,
    against float64 central differences (the network rebuilt with perturbed arrays)."""
    a, xs = params(build), inputs(build)
    net = dlnetwork(build(a))
    _, (g_learn, g_x) = dlfeval(lambda n, *x: _model(n, *x), net,
                                *[dlarray(x, "CBT") for x in xs])
    # Learnables rows -> our array names (layer name + parameter)
    short = {"InputWeights": "W", "RecurrentWeights": "R", "Weights": "W", "Bias": "b"}
    keys = [f"{layer}.{short[p]}" for layer, p in zip(g_learn.Layer, g_learn.Parameter)]
    assert sorted(keys) == sorted(a)
    grads = dict(zip(keys, g_learn.Value))
    h, rs, errors = 1e-6, np.random.default_rng(0), []
    for key in [*keys, *range(len(xs))]:
        base = a[key] if isinstance(key, str) else xs[key]
        g = grads[key] if isinstance(key, str) else g_x[key]
        v = rs.standard_normal(base.shape)
        vals = []
        for sign in (1, -1):
            a2, xs2 = dict(a), list(xs)
            if isinstance(key, str):
                a2[key] = base + sign * h * v
            else:
                xs2[key] = base + sign * h * v
            vals.append(float(_value(dlnetwork(build(a2)), xs2)))
        fd = (vals[0] - vals[1]) / (2 * h)
        an = float((np.asarray(extractdata(g)).reshape(v.shape) * v).sum())
        errors.append(abs(fd - an) / max(abs(fd), abs(an), 1e-8))
    return errors


@pytest.mark.parametrize("build", [residual, two_branch, gated, two_inputs],
                         ids=["residual_addition", "two_branch_concatenation",
                              "multiplication_gate", "two_inputs"])
def test_graph_gradients_against_finite_differences(build):
    errors = _directional_errors(build)
    assert max(errors) < 1e-6, errors


@pytest.mark.parametrize("build", [residual, two_branch, gated, two_inputs])
def test_graph_values_match_the_numeric_predict(build):
    a, xs = params(build), inputs(build)
    net = dlnetwork(build(a))
    ref = predict(net, *[x.transpose(2, 0, 1) for x in xs]) if build is not two_inputs \
        else predict(net, [x.transpose(2, 0, 1) for x in xs])          # T-by-C-by-N
    Y = predict(net, *[dlarray(x, "CBT") for x in xs])
    np.testing.assert_allclose(extractdata(Y), ref.transpose(1, 2, 0), rtol=1e-5, atol=1e-6)
    Y2 = predict(net, [dlarray(x, "CBT") for x in xs])       # the inputs as one list
    np.testing.assert_allclose(extractdata(Y2), extractdata(Y))


def test_graph_input_errors():
    a = params(two_inputs)
    net = dlnetwork(two_inputs(a))
    x1, x2 = (dlarray(x, "CBT") for x in inputs(two_inputs))
    with pytest.raises(DLToolboxError) as info:
        forward(net, x1)
    assert info.value.identifier == "dltoolbox:forward:WrongNumberOfInputs"
    assert "'in1', 'in2'" in str(info.value)
    with pytest.raises(DLToolboxError) as info:
        forward(net, x1, dlarray(np.ones((C2, B)), "CB"))
    assert info.value.identifier == "dltoolbox:forward:FormatMismatch"
    with pytest.raises(DLToolboxError) as info:
        predict(net, x1, stripdims(x2), InputDataFormats=["CBT"])
    assert info.value.identifier == "dltoolbox:predict:InvalidInputDataFormats"
    Y = predict(net, x1, stripdims(x2), InputDataFormats=["CBT", "CBT"])
    np.testing.assert_allclose(extractdata(Y), extractdata(predict(net, x1, x2)))
