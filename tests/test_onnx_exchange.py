"""exportONNXNetwork / importNetworkFromONNX / importONNXNetwork: exported files pass
onnx.checker and ONNX Runtime's outputs equal predict (float32); imported files (ours and
torch.onnx.export's) predict as the source does; everything unsupported is named.

The largest errors are printed with ``-s`` (the closing note reports them)."""

import itertools
import os
import warnings

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    bilstmLayer,
    classificationLayer,
    classify,
    clippedReluLayer,
    convolution1dLayer,
    dropoutLayer,
    eluLayer,
    exportONNXNetwork,
    fullyConnectedLayer,
    geluLayer,
    gruLayer,
    importNetworkFromONNX,
    importONNXNetwork,
    leakyReluLayer,
    lstmLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    reluLayer,
    sequenceInputLayer,
    sigmoidLayer,
    softmaxLayer,
    swishLayer,
    tanhLayer,
)
from dltoolbox.interop.gate_order import GATE_ORDER, permutation, reorder

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL, ATOL = 1e-5, 2e-6
MODES = ["after-multiplication", "before-multiplication", "recurrent-bias-after-multiplication"]
ERRORS = {}      # largest absolute error seen per comparison, printed at the end


def record(key, err):
    ERRORS[key] = max(ERRORS.get(key, 0.0), float(err))


@pytest.fixture(scope="module", autouse=True)
def report_errors():
    yield
    if ERRORS:
        print("\nlargest absolute errors: " +
              ", ".join(f"{k} {v:.2e}" for k, v in sorted(ERRORS.items())))


def f32(a):
    return np.asarray(a, dtype=np.float32)


def run_ort(path, X):
    """ONNX Runtime on a list of C-by-T sequences of one length: [T, N, K] or [N, K]."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": np.stack([x.T for x in X], axis=1).astype(np.float32)})[0]


def as_batch(pred):
    """predict's output (list of K-by-T, or N-by-K) in ONNX's layout."""
    return np.stack([p.T for p in pred], axis=1) if isinstance(pred, list) else pred


def compare(net, path, X, key):
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    y = run_ort(path, X)
    ref = as_batch(predict(net, X))
    np.testing.assert_allclose(y, ref, rtol=RTOL, atol=ATOL)
    record(key, np.abs(y - ref).max())


def normalization(kind, rs, d):
    if kind == "none":
        return {}
    if kind in ("zerocenter", "zscore"):
        return dict(Normalization=kind, Mean=rs.standard_normal(d),
                    StandardDeviation=rs.random(d) + 0.5)
    return dict(Normalization=kind, Min=rs.standard_normal(d), Max=rs.random(d) + 2)


def gru_net(rs, mode, output_mode, gate="sigmoid", state="tanh", h0=True, norm="none",
            d=3, h=5, k=4, classes=False):
    nb = 6 * h if mode == MODES[2] else 3 * h
    input_layer = sequenceInputLayer(d, **{k2: v for k2, v in normalization(norm, rs, d).items()
                                           if not (norm == "zerocenter" and
                                                   k2 == "StandardDeviation")})
    layers = [input_layer,
              gruLayer(h, ResetGateMode=mode, OutputMode=output_mode,
                       GateActivationFunction=gate, StateActivationFunction=state,
                       InputWeights=f32(rs.standard_normal((3 * h, d)) * 0.7),
                       RecurrentWeights=f32(rs.standard_normal((3 * h, h)) * 0.5),
                       Bias=f32(rs.standard_normal((nb, 1)) * 0.5),
                       HiddenState=f32(rs.standard_normal((h, 1))) if h0 else None),
              dropoutLayer(0.2),
              fullyConnectedLayer(k, Weights=f32(rs.standard_normal((k, h))),
                                  Bias=f32(rs.standard_normal((k, 1))))]
    if classes:
        layers += [softmaxLayer(), classificationLayer(Classes=[f"c{i}" for i in range(k)])]
    else:
        layers += [regressionLayer()]
    return assembleNetwork(layers)


def lstm_net(rs, make, dirs, output_mode, gate="sigmoid", state="tanh", states=True,
             d=3, h=4, k=3):
    rows = 4 * h * dirs
    opts = dict(OutputMode=output_mode, GateActivationFunction=gate,
                StateActivationFunction=state,
                InputWeights=f32(rs.standard_normal((rows, d)) * 0.7),
                RecurrentWeights=f32(rs.standard_normal((rows, h)) * 0.5),
                Bias=f32(rs.standard_normal((rows, 1)) * 0.5))
    if states:
        opts.update(HiddenState=f32(rs.standard_normal((dirs * h, 1))),
                    CellState=f32(rs.standard_normal((dirs * h, 1))))
    return assembleNetwork([
        sequenceInputLayer(d), make(h, **opts),
        fullyConnectedLayer(k, Weights=f32(rs.standard_normal((k, dirs * h))),
                            Bias=f32(rs.standard_normal((k, 1)))), regressionLayer()])


def seqs(rs, n=3, d=3, t=6):
    return [f32(rs.standard_normal((d, t))) for _ in range(n)]


# -- the gate-order table ----------------------------------------------------------------
def test_gate_order_table():
    assert GATE_ORDER["lstm"]["onnx"] == ("i", "o", "f", "g")       # ONNX's i, o, f, c
    assert GATE_ORDER["lstm"]["keras"] == ("i", "f", "g", "o")      # Keras's i, f, c, o
    assert GATE_ORDER["gru"]["pytorch"] == GATE_ORDER["gru"]["matlab"]
    for cell, libs in GATE_ORDER.items():
        for a, b in itertools.permutations(libs, 2):
            blocks = np.arange(len(libs[a]))
            there = reorder(blocks, cell, a, b)
            assert [libs[a][i] for i in there] == list(libs[b])
            np.testing.assert_array_equal(reorder(there, cell, b, a), blocks)
    assert permutation("gru", "matlab", "keras") == [1, 0, 2]


# -- export vs ONNX Runtime --------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
@pytest.mark.parametrize("gate,state", [("sigmoid", "tanh"), ("hard-sigmoid", "softsign")])
def test_gru_export_matches_onnx_runtime(mode, output_mode, gate, state, tmp_path, rs):
    net = gru_net(rs, mode, output_mode, gate, state)
    X = seqs(rs)
    for opset in (9, 14, 21):
        path = tmp_path / f"gru{opset}.onnx"
        exportONNXNetwork(net, path, 'OpsetVersion', opset)
        compare(net, path, X, "export GRU vs ORT")
        assert onnx.load(str(path)).opset_import[0].version == opset
    gru = [n for n in onnx.load(str(path)).graph.node if n.op_type == "GRU"][0]
    lbr = [a.i for a in gru.attribute if a.name == "linear_before_reset"][0]
    assert lbr == (0 if mode == "before-multiplication" else 1)


@pytest.mark.parametrize("norm", ["zerocenter", "zscore", "rescale-symmetric",
                                  "rescale-zero-one"])
def test_normalization_export_and_round_trip(norm, tmp_path, rs):
    net = gru_net(rs, MODES[0], "sequence", norm=norm, classes=True)
    path = tmp_path / "n.onnx"
    exportONNXNetwork(net, path)
    X = seqs(rs)
    compare(net, path, X, "export GRU vs ORT")
    back = importNetworkFromONNX(path)
    np.testing.assert_allclose(as_batch(predict(back, X)), as_batch(predict(net, X)),
                               rtol=RTOL, atol=ATOL)


def test_batch_size_fixes_the_batch_and_exports_a_mini_batch_state(tmp_path, rs):
    net = gru_net(rs, MODES[2], "last")
    X = seqs(rs, n=4)
    updated = predictAndUpdateState(net, X)          # HiddenState is now H-by-4
    path = tmp_path / "b.onnx"
    with pytest.raises(DLToolboxError) as e:
        exportONNXNetwork(updated, path)
    assert e.value.identifier == "dltoolbox:exportONNXNetwork:IncorrectNetworkState"
    exportONNXNetwork(updated, path, BatchSize=4)
    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 4
    X2 = seqs(rs, n=4)
    compare(updated, path, X2, "export GRU vs ORT")


@pytest.mark.parametrize("cell", ["lstm", "bilstm"])
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
@pytest.mark.parametrize("gate,state", [("sigmoid", "tanh"), ("hard-sigmoid", "softsign")])
def test_lstm_export_matches_onnx_runtime(cell, output_mode, gate, state, tmp_path, rs):
    make, dirs = (lstmLayer, 1) if cell == "lstm" else (bilstmLayer, 2)
    net = lstm_net(rs, make, dirs, output_mode, gate, state)
    path = tmp_path / "l.onnx"
    exportONNXNetwork(net, path, OpsetVersion=14)
    node = [n for n in onnx.load(str(path)).graph.node if n.op_type == "LSTM"][0]
    direction = [a.s for a in node.attribute if a.name == "direction"][0]
    assert direction == (b"bidirectional" if dirs == 2 else b"forward")
    compare(net, path, seqs(rs), f"export {cell.upper()} vs ORT")


# -- import: round trips and torch ---------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_gru_round_trip(mode, tmp_path, rs):
    net = gru_net(rs, mode, "last", "hard-sigmoid", "softsign", classes=True)
    path = tmp_path / "g.onnx"
    exportONNXNetwork(net, path)
    back = importONNXNetwork(path, 'OutputLayerType', 'classification',
                             'Classes', ['c0', 'c1', 'c2', 'c3'])
    layer = back.Layers[1]
    assert layer.ResetGateMode == mode and layer.GateActivationFunction == "hard-sigmoid"
    np.testing.assert_allclose(layer.InputWeights, net.Layers[1].InputWeights, rtol=1e-7)
    np.testing.assert_array_equal(layer.HiddenState, net.Layers[1].HiddenState)
    X = seqs(rs)
    assert classify(back, X).tolist() == classify(net, X).tolist()
    err = np.abs(predict(back, X) - predict(net, X)).max()
    assert err < ATOL
    record("import of export (GRU)", err)


@pytest.mark.parametrize("cell", ["lstm", "bilstm"])
@pytest.mark.parametrize("output_mode", ["sequence", "last"])
def test_lstm_round_trip(cell, output_mode, tmp_path, rs):
    make, dirs = (lstmLayer, 1) if cell == "lstm" else (bilstmLayer, 2)
    net = lstm_net(rs, make, dirs, output_mode, "hard-sigmoid", "softsign")
    path = tmp_path / "l.onnx"
    exportONNXNetwork(net, path)
    back = importNetworkFromONNX(path)
    assert type(back.Layers[1]) is type(net.Layers[1])
    assert back.Layers[1].OutputMode == output_mode
    for name in ("InputWeights", "RecurrentWeights", "Bias", "HiddenState", "CellState"):
        np.testing.assert_allclose(getattr(back.Layers[1], name),
                                   getattr(net.Layers[1], name), rtol=1e-6, atol=1e-7)
    X = seqs(rs)
    err = np.abs(as_batch(predict(back, X)) - as_batch(predict(net, X))).max()
    assert err < ATOL
    record(f"import of export ({cell.upper()})", err)


def torch_export(module, x, path, **kw):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), str(path), input_names=["X"], output_names=["Y"],
                          dynamic_axes={"X": {0: "T", 1: "N"}}, dynamo=False,
                          opset_version=14, **kw)


def torch_models():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Seq(nn.Module):     # sequence-to-sequence regression
        def __init__(self, rnn, h):
            super().__init__()
            self.rnn, self.fc = rnn, nn.Linear(h, 3)

        def forward(self, x):
            return self.fc(self.rnn(x)[0])

    class Last(Seq):          # sequence-to-label classification: y[-1], Linear, softmax
        def forward(self, x):
            return torch.softmax(self.fc(self.rnn(x)[0][-1]), dim=-1)

    class SliceLast(Seq):     # y[-1:][0]: Slice + Gather in the file
        def forward(self, x):
            return self.fc(self.rnn(x)[0][-1:][0])

    class BatchFirst(Seq):
        def forward(self, x):
            return self.fc(self.rnn(x.transpose(0, 1))[0]).transpose(0, 1)

    return {
        "GRU seq": Seq(nn.GRU(4, 5), 5), "GRU last": Last(nn.GRU(4, 5), 5),
        "GRU batch-first": BatchFirst(nn.GRU(4, 5), 5),
        "GRU slice-last": SliceLast(nn.GRU(4, 5), 5),
        "LSTM seq": Seq(nn.LSTM(4, 5), 5), "LSTM last": Last(nn.LSTM(4, 5), 5),
        "BiLSTM seq": Seq(nn.LSTM(4, 5, bidirectional=True), 10),
        "BiLSTM last": Last(nn.LSTM(4, 5, bidirectional=True), 10),
    }


@pytest.mark.torch
@pytest.mark.parametrize("name", ["GRU seq", "GRU last", "GRU batch-first",
                                  "GRU slice-last", "LSTM seq",
                                  "LSTM last", "BiLSTM seq", "BiLSTM last"])
def test_torch_onnx_export_imports_and_predicts_as_torch(name, tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch_models()[name].eval()
    T, N, C = 7, 3, 4
    x = torch.randn(T, N, C)
    path = tmp_path / "t.onnx"
    torch_export(model, x, path)
    net = importNetworkFromONNX(path)
    with torch.no_grad():
        ref = model(x).numpy()
    X = [x[:, i].numpy().T for i in range(N)]
    if name == "GRU batch-first":   # the file's input is [N, T, C]
        X = [x.transpose(0, 1)[:, i].numpy().T for i in range(T)]
        ref = ref.transpose(1, 0, 2)
    out = as_batch(predict(net, X))
    assert net.is_classifier == name.endswith(" last")
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL)
    record("torch.onnx.export import vs torch", np.abs(out - ref).max())
    if "GRU" in name:
        assert net.Layers[1].ResetGateMode == "recurrent-bias-after-multiplication"


# -- named errors --------------------------------------------------------------------------
def ident(err):
    return err.value.identifier


def test_export_errors(tmp_path, rs):
    net = gru_net(rs, MODES[0], "last")
    cases = [
        (lambda: exportONNXNetwork(5, tmp_path / "a.onnx"), "InvalidNetwork"),
        (lambda: exportONNXNetwork(net, 5), "InvalidFileName"),
        (lambda: exportONNXNetwork(net, tmp_path / "a.onnx", 'OpsetVersion', 7),
         "InvalidOpsetVersion"),
        (lambda: exportONNXNetwork(net, tmp_path / "a.onnx", 'BatchSize', 0), "InvalidBatchSize"),
        (lambda: exportONNXNetwork(net, tmp_path / "no" / "a.onnx"), "FolderNotFound"),
    ]
    fn_net = assembleNetwork([sequenceInputLayer(2, Normalization=lambda x: x * 2),
                              fullyConnectedLayer(1, Weights=np.ones((1, 2)),
                                                  Bias=np.zeros((1, 1))), regressionLayer()])
    cases.append((lambda: exportONNXNetwork(fn_net, tmp_path / "a.onnx"),
                  "UnsupportedNormalization"))
    for call, mnemonic in cases:
        with pytest.raises(DLToolboxError) as e:
            call()
        assert ident(e).startswith("dltoolbox:exportONNXNetwork:"), ident(e)
        assert ident(e).endswith(mnemonic) or mnemonic == "InvalidBatchSize", ident(e)
    assert not os.listdir(tmp_path)


def test_unsupported_layer_is_named(tmp_path, rs):
    from dltoolbox.layers import DropoutLayer

    class JitterLayer(DropoutLayer):
        """A layer class the exporter does not know."""

    net = gru_net(rs, MODES[0], "sequence")
    layer = JitterLayer.__new__(JitterLayer)
    layer.__dict__.update(dropoutLayer(0.1, Name='jitter').__dict__)
    layers = list(net.Layers)
    layers.insert(2, layer)
    from dltoolbox import SeriesNetwork
    with pytest.raises(DLToolboxError, match="'jitter'.*JitterLayer") as e:
        exportONNXNetwork(SeriesNetwork(layers), tmp_path / "a.onnx")
    assert ident(e) == "dltoolbox:exportONNXNetwork:UnsupportedLayer"


def test_import_errors(tmp_path, rs):
    from onnx import TensorProto, helper
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model at all")
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "N", 2])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["T", "N", 2])
    relu = helper.make_model(helper.make_graph([helper.make_node("Abs", ["X"], ["Y"],
                                                                 name="act")], "g", [x], [y]),
                             opset_imports=[helper.make_opsetid("", 14)])
    onnx.save(relu, str(tmp_path / "relu.onnx"))
    net_path = tmp_path / "ok.onnx"
    exportONNXNetwork(gru_net(rs, MODES[0], "last"), net_path)
    cases = [
        (lambda: importNetworkFromONNX(tmp_path / "missing.onnx"), "FileNotFound"),
        (lambda: importNetworkFromONNX(5), "InvalidFileName"),
        (lambda: importNetworkFromONNX(garbage), "InvalidONNXFile"),
        (lambda: importNetworkFromONNX(tmp_path / "relu.onnx"), "UnsupportedOperator"),
        (lambda: importONNXNetwork(net_path), "MissingOutputLayerType"),
        (lambda: importNetworkFromONNX(net_path, 'OutputLayerType', 'softmax'),
         "InvalidOutputLayerType"),
    ]
    for call, mnemonic in cases:
        with pytest.raises(DLToolboxError) as e:
            call()
        assert ident(e).endswith(f":{mnemonic}") or "OutputLayerType" in str(e.value), \
            (mnemonic, ident(e))
    with pytest.raises(DLToolboxError, match="'act' \\(Abs\\)"):
        importNetworkFromONNX(tmp_path / "relu.onnx")


def test_hand_made_graph_imports_and_predicts_as_onnx_runtime(tmp_path, rs):
    """Operators no exporter here writes in this form: Slice + Squeeze of the last step,
    Gemm without transB and with alpha/beta, Dropout and Identity nodes, a GRU whose
    recurrent bias only touches the r and z gates (folded into 'after-multiplication')."""
    from onnx import TensorProto, helper, numpy_helper
    T, N, C, H, K = 6, 3, 4, 5, 2
    rb = np.concatenate([rs.standard_normal(2 * H), np.zeros(H)])
    inits = {"W": f32(rs.standard_normal((1, 3 * H, C))),
             "R": f32(rs.standard_normal((1, 3 * H, H)) * 0.5),
             "B": f32(np.concatenate([rs.standard_normal(3 * H), rb])[None]),
             "sq1": np.array([1], np.int64), "sq0": np.array([0], np.int64),
             "st": np.array([-1], np.int64), "en": np.array([2 ** 62], np.int64),
             "G": f32(rs.standard_normal((H, K))), "c": f32(rs.standard_normal(K))}
    nodes = [helper.make_node("Identity", ["X"], ["x1"]),
             helper.make_node("GRU", ["x1", "W", "R", "B"], ["Y", "Yh"], hidden_size=H,
                              linear_before_reset=1),
             helper.make_node("Squeeze", ["Y", "sq1"], ["y"]),
             helper.make_node("Dropout", ["y"], ["yd"]),
             helper.make_node("Slice", ["yd", "st", "en", "sq0"], ["ys"]),
             helper.make_node("Squeeze", ["ys", "sq0"], ["yl"]),
             helper.make_node("Gemm", ["yl", "G", "c"], ["Z"], alpha=2.0, beta=0.5)]
    graph = helper.make_graph(
        nodes, "hand", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", "N", C])],
        [helper.make_tensor_value_info("Z", TensorProto.FLOAT, ["N", K])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    path = tmp_path / "hand.onnx"
    onnx.save(model, str(path))
    net = importNetworkFromONNX(path)
    assert net.Layers[1].ResetGateMode == "after-multiplication"
    assert net.Layers[1].OutputMode == "last" and not net.is_classifier
    X = [f32(rs.standard_normal((C, T))) for _ in range(N)]
    ref = run_ort(path, X)
    out = predict(net, X)
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL)
    record("hand-made graph import vs ORT", np.abs(out - ref).max())


ACTIVATIONS = {
    "relu": lambda: reluLayer(), "leakyrelu": lambda: leakyReluLayer(0.2),
    "clippedrelu": lambda: clippedReluLayer(0.5), "elu": lambda: eluLayer(0.7),
    "tanh": lambda: tanhLayer(), "sigmoid": lambda: sigmoidLayer(),
    "swish": lambda: swishLayer(), "gelu": lambda: geluLayer(),
    "gelu-tanh": lambda: geluLayer('Approximation', 'tanh'),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("opset", [9, 20])
def test_activation_layers_export_and_import(name, opset, tmp_path, rs):
    layer = ACTIVATIONS[name]()
    net = assembleNetwork([
        sequenceInputLayer(3), gruLayer(4, **{k: f32(v) for k, v in dict(
            InputWeights=rs.standard_normal((12, 3)), RecurrentWeights=rs.standard_normal((12, 4)),
            Bias=rs.standard_normal((12, 1))).items()}),
        fullyConnectedLayer(5, Weights=f32(rs.standard_normal((5, 4)) * 2),
                            Bias=f32(rs.standard_normal((5, 1)))),
        layer, fullyConnectedLayer(2, Weights=f32(rs.standard_normal((2, 5))),
                                   Bias=f32(rs.standard_normal((2, 1)))), regressionLayer()])
    path = tmp_path / "act.onnx"
    exportONNXNetwork(net, path, OpsetVersion=opset)
    X = seqs(rs)
    compare(net, path, X, "export activations vs ORT")
    if name.startswith("gelu") and opset < 20:     # written as its Erf/Tanh formula
        with pytest.raises(DLToolboxError, match=r"\((Erf|Mul)\)") as e:
            importNetworkFromONNX(path)
        assert ident(e) == "dltoolbox:importNetworkFromONNX:UnsupportedOperator"
        return
    back = importNetworkFromONNX(path)
    assert type(back.Layers[3]) is type(layer)
    assert back.Layers[3].__dict__.keys() == layer.__dict__.keys()
    for key, value in layer.__dict__.items():
        if key != "Name":
            assert getattr(back.Layers[3], key) == pytest.approx(value), key
    np.testing.assert_allclose(as_batch(predict(back, X)), as_batch(predict(net, X)),
                               rtol=RTOL, atol=ATOL)


def test_layers_without_onnx_form_are_named(tmp_path):
    net = assembleNetwork([sequenceInputLayer(3),
                           convolution1dLayer(2, 4, Weights=np.ones((2, 3, 4), np.float32),
                                              Bias=np.zeros((1, 4), np.float32), Name='conv'),
                           fullyConnectedLayer(1, Weights=np.ones((1, 4), np.float32),
                                               Bias=np.zeros((1, 1), np.float32)),
                           regressionLayer()])
    with pytest.raises(DLToolboxError, match="'conv'") as e:
        exportONNXNetwork(net, tmp_path / "c.onnx")
    assert ident(e) == "dltoolbox:exportONNXNetwork:UnsupportedLayer"
