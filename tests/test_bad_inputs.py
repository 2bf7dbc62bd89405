"""Every bad input named: the cases of issue 15 one by one, then a sweep of every public
function in ``dltoolbox.__all__`` with bad types, shapes, NaN/Inf, empty inputs and wrong
argument counts, asserting that no exception without an identifier escapes."""

import contextlib
import inspect
import io
import os

import numpy as np
import pytest

import dltoolbox
from dltoolbox import (
    DLToolboxError,
    LayerArray,
    assembleNetwork,
    categorical,
    classificationLayer,
    countcats,
    fullyConnectedLayer,
    gruLayer,
    japaneseVowelsTrainData,
    predict,
    regressionLayer,
    resetState,
    rng,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox._nameval import _MEMO


def ident(err):
    return err.value.identifier


def named(identifier, call):
    with pytest.raises(DLToolboxError) as e:
        call()
    assert ident(e) == identifier, str(e.value)
    return str(e.value)


def seqs(n=4, d=2, t=5, seed=0):
    rs = np.random.default_rng(seed)
    return [rs.standard_normal((d, t)).astype(np.float32) for _ in range(n)]


def class_layers(h=3, k=2, mode='last', **out):
    return [sequenceInputLayer(2), gruLayer(h, OutputMode=mode), fullyConnectedLayer(k),
            softmaxLayer(), classificationLayer(**out)]


def opts(**kw):
    return trainingOptions('adam', **{"MaxEpochs": 1, "MiniBatchSize": 2, "Verbose": False,
                                      **kw})


def gru_weights(h, d, rs):
    return dict(InputWeights=rs.standard_normal((3 * h, d)),
                RecurrentWeights=rs.standard_normal((3 * h, h)),
                Bias=rs.standard_normal((3 * h, 1)))


# -- the cases listed under "Why" in issue 15 ---------------------------------------------
@pytest.mark.parametrize("norm,stats", [("zerocenter", "Mean"),
                                        ("zscore", "Mean or StandardDeviation"),
                                        ("rescale-symmetric", "Max or Min")])
def test_normalization_without_statistics_at_assembly(norm, stats, rs):
    layers = [sequenceInputLayer(2, Normalization=norm), gruLayer(3, **gru_weights(3, 2, rs)),
              fullyConnectedLayer(1, Weights=np.ones((1, 3)), Bias=np.zeros((1, 1))),
              regressionLayer()]
    msg = named("dltoolbox:assembleNetwork:MissingNormalizationStatistics",
                lambda: assembleNetwork(layers))
    assert stats in msg
    layers[0] = sequenceInputLayer(2, Normalization='zscore', Mean=np.zeros(2),
                                   StandardDeviation=np.ones(2))
    if norm == "zscore":
        assert np.isfinite(predict(assembleNetwork(layers), np.ones((2, 4)))).all()


def test_recurrent_layer_after_last_output_is_rejected(rs):
    layers = [sequenceInputLayer(2), gruLayer(3, OutputMode='last'), gruLayer(3),
              fullyConnectedLayer(1), regressionLayer()]
    msg = named("dltoolbox:trainNetwork:SequenceInputExpected",
                lambda: trainNetwork(seqs(), np.zeros((4, 1)), layers, opts()))
    assert "Layer 3 (GRU)" in msg and "layer 2" in msg
    weighted = [sequenceInputLayer(2), gruLayer(3, OutputMode='last', **gru_weights(3, 2, rs)),
                gruLayer(3, **gru_weights(3, 3, rs)),
                fullyConnectedLayer(1, Weights=np.ones((1, 3)), Bias=np.zeros((1, 1))),
                regressionLayer()]
    named("dltoolbox:assembleNetwork:SequenceInputExpected", lambda: assembleNetwork(weighted))


def test_label_matrix_is_rejected_not_flattened():
    Y = [['a', 'b'], ['b', 'a']]    # 2-by-2: which label belongs to which sequence?
    msg = named("dltoolbox:trainNetwork:InvalidResponses",
                lambda: trainNetwork(seqs(), Y, class_layers(), opts()))
    assert "2×2" in msg
    rng(0)   # a row or column of labels is a vector, and works
    trainNetwork(seqs(), [['a', 'b', 'b', 'a']], class_layers(), opts())
    trainNetwork(seqs(), np.array([['a'], ['b'], ['b'], ['a']]), class_layers(), opts())


def test_hidden_state_at_construction_is_one_column(rs):
    msg = named("dltoolbox:GRULayer:InvalidHiddenState",
                lambda: gruLayer(3, HiddenState=np.zeros((3, 2))))
    assert "3×2" in msg
    layer = gruLayer(3, HiddenState=np.ones((3, 1)))
    with pytest.raises(DLToolboxError):
        layer.HiddenState = np.zeros((3, 4))
    net = assembleNetwork([sequenceInputLayer(2),
                           gruLayer(3, HiddenState=np.ones((3, 1)), **gru_weights(3, 2, rs)),
                           fullyConnectedLayer(1, Weights=np.ones((1, 3)),
                                               Bias=np.zeros((1, 1))), regressionLayer()])
    moved = dltoolbox.predictAndUpdateState(net, seqs(3), 'MiniBatchSize', 3)
    assert moved.Layers[1].HiddenState.shape == (3, 3)     # the state of a mini-batch
    np.testing.assert_array_equal(resetState(moved).Layers[1].HiddenState, np.ones((3, 1)))


def test_parse_cache_does_not_make_true_equal_one():
    _MEMO.clear()
    gruLayer(4, 'InputSize', 1)             # cached as valid
    named("dltoolbox:gruLayer:InvalidInputSize",
          lambda: gruLayer(4, 'InputSize', True))
    _MEMO.clear()
    with contextlib.suppress(DLToolboxError):
        gruLayer(4, 'InputSize', True)      # the invalid one first: 1 stays valid
    assert gruLayer(4, 'InputSize', 1).InputSize == 1


def test_validation_class_absent_from_training():
    Yv = categorical(['a', 'c'])
    msg = named("dltoolbox:trainNetwork:InvalidValidationData",
                lambda: trainNetwork(seqs(), categorical(['a', 'b', 'a', 'b']),
                                     class_layers(), opts(ValidationData=(seqs(2), Yv))))
    assert "'c'" in msg


def test_class_weights_need_classes():
    named("dltoolbox:classificationLayer:ClassesRequired",
          lambda: classificationLayer('ClassWeights', [1, 2]))
    layer = classificationLayer(Classes=['a', 'b'], ClassWeights=[1, 2])
    with pytest.raises(DLToolboxError):
        layer.Classes = ['a', 'b', 'c']
    rng(0)
    net = trainNetwork(seqs(), categorical(['a', 'b', 'a', 'b']),
                       class_layers(Classes=['a', 'b'], ClassWeights=[1, 3]), opts())
    assert net.Layers[-1].ClassWeights.tolist() == [1, 3]


@pytest.mark.parametrize("Y", [["a", "b", "c", "d"], categorical(['a', 'b', 'a', 'b']),
                               [[1.0], [2.0, 3.0], [4.0], [5.0]], [np.ones(5), "x", 1, 2]],
                         ids=["text", "categorical", "ragged", "mixed"])
def test_non_numeric_responses_to_a_regression_network(Y):
    layers = [sequenceInputLayer(2), gruLayer(3, OutputMode='last'), fullyConnectedLayer(1),
              regressionLayer()]
    named("dltoolbox:trainNetwork:InvalidResponses",
          lambda: trainNetwork(seqs(), Y, layers, opts()))


def test_text_responses_to_a_sequence_regression_network():
    layers = [sequenceInputLayer(2), gruLayer(3), fullyConnectedLayer(1), regressionLayer()]
    named("dltoolbox:trainNetwork:InvalidResponses",
          lambda: trainNetwork(seqs(), [np.array(['a'] * 5)] * 4, layers, opts()))


def test_normalization_function_of_the_wrong_size():
    layers = [sequenceInputLayer(2, Normalization=lambda x: x[:, :, :1]), gruLayer(3),
              fullyConnectedLayer(1), regressionLayer()]
    msg = named("dltoolbox:sequenceInputLayer:InvalidNormalizationOutput",
                lambda: trainNetwork(seqs(), [np.zeros((1, 5))] * 4, layers, opts()))
    assert "same size" in msg


def test_normalization_function_trains():
    layers = [sequenceInputLayer(2, Normalization=lambda x: x * 0.5), gruLayer(3),
              fullyConnectedLayer(1), regressionLayer()]
    net = trainNetwork(seqs(), [np.zeros((1, 5))] * 4, layers, opts())
    assert predict(net, seqs(1)[0]).shape == (1, 5)


@pytest.mark.parametrize("value,stops", [(np.array([True, False]), None),
                                         ("stop", None), (np.array([1]), True),
                                         (np.False_, False), (0, False)])
def test_output_fcn_return_values(value, stops):
    call = lambda: trainNetwork(seqs(), categorical(['a', 'b', 'a', 'b']),  # noqa: E731
                                class_layers(), opts(MaxEpochs=2,
                                                     OutputFcn=lambda info: value))
    if stops is None:
        named("dltoolbox:trainNetwork:InvalidOutputFcnOutput", call)
    else:
        _, info = trainNetwork(seqs(), categorical(['a', 'b', 'a', 'b']), class_layers(),
                               opts(MaxEpochs=2, OutputFcn=lambda info: value), nargout=2)
        assert len(info.TrainingLoss) == (1 if stops else 4)


def test_small_raw_crashes_now_named(tmp_path):
    named("dltoolbox:LayerArray:InvalidLayer", lambda: LayerArray(5))
    named("dltoolbox:save:InvalidFileName", lambda: dltoolbox.save(123, a=1))
    named("dltoolbox:save:FolderNotFound",
          lambda: dltoolbox.save(tmp_path / "no" / "f.mat", a=1))
    named("dltoolbox:countcats:InvalidInput", lambda: countcats(5))
    named("dltoolbox:categorical:InvalidValues", lambda: categorical([['a', 'b'], ['c']]))
    named("dltoolbox:categorical:InvalidValues", lambda: categorical([1.0, np.nan]))
    named("dltoolbox:japaneseVowelsTrainData:TooManyOutputs",
          lambda: japaneseVowelsTrainData(nargout=3))
    named("dltoolbox:gruLayer:NotEnoughInputs", lambda: gruLayer())
    named("dltoolbox:predict:NotEnoughInputs", lambda: predict(None))
    named("dltoolbox:trainNetwork:TooManyInputs", lambda: trainNetwork(1, 2, 3, 4, 5))
    named("dltoolbox:resetState:InvalidArgument", lambda: resetState(network=None))


# -- the sweep of every public function ---------------------------------------------------
def _fixtures(tmp):
    rs = np.random.default_rng(3)
    h, d = 2, 2
    reg = assembleNetwork([sequenceInputLayer(d), gruLayer(h, **gru_weights(h, d, rs)),
                           fullyConnectedLayer(1, Weights=np.ones((1, h)),
                                               Bias=np.zeros((1, 1))), regressionLayer()])
    cls = assembleNetwork([sequenceInputLayer(d),
                           gruLayer(h, OutputMode='last', **gru_weights(h, d, rs)),
                           fullyConnectedLayer(2, Weights=np.ones((2, h)),
                                               Bias=np.zeros((2, 1))),
                           softmaxLayer(), classificationLayer(Classes=['a', 'b'])])
    X = seqs(4, d, 3)
    c = categorical(['a', 'b', 'a', 'b'])
    path = os.path.join(tmp, "good.mat")
    dltoolbox.save(path, a=1.0)
    onnx_path = os.path.join(tmp, "good.onnx")
    return reg, cls, X, c, path, onnx_path


def good_calls(tmp):
    """One valid call per public function: name -> (args, kwargs)."""
    reg, cls, X, c, path, onnx_path = _fixtures(tmp)
    layers = lambda: [sequenceInputLayer(2), gruLayer(2, OutputMode='last'),  # noqa: E731
                      fullyConnectedLayer(2), softmaxLayer(), classificationLayer()]
    table = {
        "sequenceInputLayer": ((2,), {}), "gruLayer": ((2,), {}),
        "lstmLayer": ((2,), {}), "bilstmLayer": ((2,), {}),
        "fullyConnectedLayer": ((2,), {}), "softmaxLayer": ((), {}),
        "classificationLayer": ((), {}), "regressionLayer": ((), {}),
        "dropoutLayer": ((0.5,), {}), "LayerArray": ((layers(),), {}),
        "disp": ((reg,), {}), "SeriesNetwork": ((list(reg.Layers),), {}),
        "assembleNetwork": ((list(reg.Layers),), {}),
        "predict": ((reg, X), {}), "classify": ((cls, X), {}),
        "predictAndUpdateState": ((reg, X), {}), "classifyAndUpdateState": ((cls, X), {}),
        "resetState": ((reg,), {}), "categorical": ((['a', 'b'],), {}),
        "categories": ((c,), {}), "countcats": ((c,), {}),
        "Categorical": (([0, 1], ['a', 'b']), {}), "rng": ((0,), {}),
        "trainingOptions": (('adam',), {}),
        "trainNetwork": ((X, c, layers(), opts(MaxEpochs=1)), {}),
        "japaneseVowelsTrainData": ((), {"nargout": 1}),
        "japaneseVowelsTestData": ((), {"nargout": 1}),
        "save": ((os.path.join(tmp, "s.mat"),), {"a": 1.0}), "load": ((path,), {}),
        "reluLayer": ((), {}), "leakyReluLayer": ((), {}), "clippedReluLayer": ((6,), {}),
        "eluLayer": ((), {}), "tanhLayer": ((), {}), "sigmoidLayer": ((), {}),
        "swishLayer": ((), {}), "geluLayer": ((), {}), "isordinal": ((c,), {}),
        "batchNormalizationLayer": ((), {}), "layerNormalizationLayer": ((), {}),
        "convolution1dLayer": ((3, 4), {}), "maxPooling1dLayer": ((2,), {}),
        "averagePooling1dLayer": ((2,), {}), "globalMaxPooling1dLayer": ((), {}),
        "globalAveragePooling1dLayer": ((), {}), "flattenLayer": ((), {}),
        "activations": ((reg, X, 'gru'), {}), "analyzeNetwork": ((reg,), {}),
        "NetworkAnalysis": (([], [], 0), {}),
        "exportONNXNetwork": ((reg, onnx_path), {}),
        "importNetworkFromONNX": ((onnx_path,), {}),
        "importONNXNetwork": ((onnx_path,), {"OutputLayerType": "regression"}),
    }
    table.update(_current_api_calls(X, c))
    table.update({"gather": ((X,), {}), "gpuArray": ((X,), {})})   # gpuArray: on the GPU
    table.update(_custom_loop_calls(c))
    return table


def _custom_loop_calls(c):
    """Good calls of the custom-training-loop names (dltoolbox.dl)."""
    from dltoolbox.dl import dlarray
    rs = np.random.default_rng(4)
    C, H, B, T, K = 2, 3, 2, 4, 3

    def r(*shape):
        return rs.standard_normal(shape).astype(np.float32)

    X = dlarray(r(C, B, T), "CBT")
    P = dlarray(np.full((K, B), 1 / K, np.float32), "CB")
    onehot = np.eye(K, dtype=np.float32)[:, [0, 2]]
    Yr, Tr = dlarray(r(C, B), "CB"), r(C, B)
    params = {"w": dlarray(r(2, 2))}
    grads = {"w": dlarray(r(2, 2))}
    ds = dltoolbox.arrayDatastore([r(C, T) for _ in range(4)], OutputType="same")
    mbq = lambda: dltoolbox.minibatchqueue(ds, MiniBatchSize=2)  # noqa: E731
    return {
        "dlarray": ((r(C, B), "CB"), {}), "dims": ((X,), {}), "stripdims": ((X,), {}),
        "extractdata": ((X,), {}), "finddim": ((X, "T"), {}), "isdlarray": ((X,), {}),
        # errors raised inside the evaluated function pass unchanged (as in MATLAB): the
        # sweep's function takes anything, so what is swept is dlfeval's own checking
        "dlfeval": ((lambda *a, **k: a, X), {}),
        "fullyconnect": ((X, r(4, C), r(4, 1)), {}),
        "lstm": ((X, r(H, 1), r(H, 1), r(4 * H, C), r(4 * H, H), r(4 * H, 1)),
                 {"nargout": 3}),
        "gru": ((X, r(H, 1), r(3 * H, C), r(3 * H, H), r(3 * H, 1)), {"nargout": 2}),
        "softmax": ((X,), {}), "sigmoid": ((X,), {}), "relu": ((X,), {}),
        "leakyrelu": ((X, 0.1), {}), "gelu": ((X,), {}), "dropout": ((X, 0.3), {}),
        "batchnorm": ((X, r(C), r(C)), {}), "layernorm": ((X, r(C), r(C)), {}),
        "dlconv": ((X, r(2, C, 3), r(3)), {}),
        "embed": ((dlarray(np.array([[1.0, 2.0]]), "BT"), r(3, 2)), {}),
        "attention": ((X, X, X, 1), {"AttentionMask": "causal"}),
        "crossentropy": ((P, onehot), {}), "indexcrossentropy": ((P, [1, 3]), {}),
        "binarycrossentropy": ((dlarray(np.full((1, B), 0.5, np.float32), "CB"),
                                np.ones((1, B), np.float32)), {}),
        "mse": ((Yr, Tr), {}), "l1loss": ((Yr, Tr), {}), "l2loss": ((Yr, Tr), {}),
        "huber": ((Yr, Tr), {}),
        "adamupdate": ((params, grads, None, None, 1), {"nargout": 3}),
        "sgdmupdate": ((params, grads, None), {"nargout": 2}),
        "rmspropupdate": ((params, grads, None), {"nargout": 2}),
        "dlupdate": ((lambda *w: w[0], params), {}),
        "arrayDatastore": (([r(C, T), r(C, T)],), {}),
        "combine": ((ds, dltoolbox.arrayDatastore(c)), {}),
        "minibatchqueue": ((ds,), {"MiniBatchSize": 2}),
        "hasdata": ((mbq(),), {}), "reset": ((mbq(),), {}), "shuffle": ((mbq(),), {}),
        "padsequences": (([r(T, C), r(T + 1, C)], 1), {}),
        "onehotencode": ((c, 2), {}),
        "onehotdecode": ((onehot, ["a", "b", "c"], 1), {}),
        "labels_row": (([c[0], c[1]],), {}),
        "trainingProgressMonitor": ((), {"Metrics": ["TrainingLoss"], "Visible": False}),
    }


def _current_api_calls(X, c):
    """Good calls of the dlnetwork-era names (sequences are T-by-C there)."""
    def dl_layers():
        return [sequenceInputLayer(2), dltoolbox.lstmLayer(2, OutputMode='last'),
                fullyConnectedLayer(2), softmaxLayer()]
    net = dltoolbox.dlnetwork(dl_layers())
    XT = [x.T for x in X]

    def graph(connected=True):
        g = dltoolbox.layerGraph([sequenceInputLayer(2, Name='in')])
        g = dltoolbox.addLayers(g, dltoolbox.reluLayer(Name='r'))
        return dltoolbox.connectLayers(g, 'in', 'r') if connected else g
    return {
        "dlnetwork": ((dl_layers(),), {}),
        "initialize": ((dltoolbox.dlnetwork(dl_layers(), Initialize=False),), {}),
        "forward": ((net, XT[0]), {}), "summary": ((net,), {}),
        "Table": ((["A"], [[1.0]]), {}),
        "minibatchpredict": ((net, XT), {}),
        "scores2label": ((np.array([[0.1, 0.9]]), ['a', 'b']), {}),
        "testnet": ((net, XT, c, "accuracy"), {}),
        # trainnet runs on the CPU here: its GPU path is not built yet (issue 18)
        "trainnet": ((XT, c, dl_layers(), "crossentropy",
                      trainingOptions('adam', MaxEpochs=1, MiniBatchSize=2, Verbose=False,
                                      ExecutionEnvironment='cpu')), {}),
        "TrainingInfo": ((None, None, "", 0), {}),
        "piecewiseLearnRate": ((), {}), "warmupLearnRate": ((), {}),
        "polynomialLearnRate": ((), {}), "exponentialLearnRate": ((), {}),
        "cosineLearnRate": ((), {}), "cyclicalLearnRate": ((), {}),
        "accuracyMetric": ((), {"Name": "Acc"}), "aucMetric": ((), {"AverageType": "macro"}),
        "fScoreMetric": ((), {"Beta": 2}), "precisionMetric": ((), {}),
        "recallMetric": ((), {"ClassificationMode": "multilabel"}), "rmseMetric": ((), {}),
        "mapeMetric": ((), {}), "rSquaredMetric": ((), {"NetworkOutput": "fc"}),
        "LayerGraph": ((), {}), "layerGraph": ((dl_layers(),), {}),
        "addLayers": ((graph(False), dltoolbox.tanhLayer(Name='t')), {}),
        "connectLayers": ((graph(False), 'in', 'r'), {}),
        "disconnectLayers": ((graph(), 'in', 'r'), {}),
        "removeLayers": ((graph(), 'r'), {}),
        "replaceLayer": ((graph(), 'r', dltoolbox.tanhLayer(Name='t')), {}),
        "additionLayer": ((2,), {}), "concatenationLayer": ((1, 2), {}),
        "multiplicationLayer": ((2,), {}),
    }


EXCEPTIONS = {"DLToolboxError", "DLValueError", "DLTypeError"}
# a good call of these starts MPI worker processes, and the sweep's variants of it may be
# valid too: their bad inputs are tested one by one below instead
NOT_SWEPT = {"parpool", "gcp", "delete"}
# dlgradient works only inside dlfeval, so a good call of it cannot stand alone: its bad
# inputs are swept inside dlfeval below (test_dlgradient_sweep_inside_dlfeval)
NOT_SWEPT |= {"dlgradient"}


def bad_values(tmp):
    ragged = [np.ones((2, 3)), np.ones((3, 3))]
    return [None, object(), "text", "", -1, 0, 2.5, np.nan, np.inf, True, 1j, [], (),
            {"a": 1}, [[1, 2], [3]], np.zeros((0, 0)), np.zeros((2, 0)), np.ones((2, 3, 4)),
            np.array([[np.nan, 1.0], [1.0, np.inf]]), np.ones((5, 3), dtype=np.float32),
            ragged, [np.ones((2, 3)), "x"], np.array(["a", "b"]), lambda *a: None,
            categorical(['x']), os.path.join(tmp, "missing", "f.mat")]


def _variants(args, kwargs, bads, sig):
    """(description, args, kwargs) of every bad call derived from one good call."""
    for i in range(len(args)):
        for j, bad in enumerate(bads):
            yield f"arg{i + 1}=bad[{j}]", args[:i] + (bad,) + args[i + 1:], kwargs
    for key in kwargs:
        for j, bad in enumerate(bads):
            yield f"{key}=bad[{j}]", args, {**kwargs, key: bad}
    if args:
        yield "one argument fewer", args[:-1], kwargs
    yield "no arguments", (), {}
    yield "one argument more", args + (bads[1],), kwargs
    yield "two arguments more", args + ("Name", bads[1]), kwargs
    yield "unknown keyword", args, {**kwargs, "NoSuchArgument": 1}
    if "nargout" in sig.parameters:
        for n in [0, 5, 1.5, "2", None]:
            yield f"nargout={n!r}", args, {**kwargs, "nargout": n}


def test_sweep_every_public_function(tmp_path, monkeypatch, capsys):
    import importlib.util
    monkeypatch.chdir(tmp_path)
    tmp = str(tmp_path)
    _gpu_or_stand_in(monkeypatch)
    table = good_calls(tmp)
    public = [n for n in dltoolbox.__all__ if n not in EXCEPTIONS | NOT_SWEPT]
    if importlib.util.find_spec("onnx") is None:     # the ONNX functions need the extra
        public = [n for n in public if "ONNX" not in n]
    missing = [n for n in public if n not in table]
    assert not missing, f"every public function needs a good call: {missing}"
    bads = bad_values(tmp)
    tried = named_count = accepted = 0
    escaped = []
    for name in public:
        func = getattr(dltoolbox, name)
        args, kwargs = table[name]
        if name.startswith("import") and "exportONNXNetwork" in public:
            dltoolbox.exportONNXNetwork(*table["exportONNXNetwork"][0])
        func(*args, **kwargs)     # the good call works
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):
            sig = inspect.Signature()
        for desc, a, k in _variants(args, kwargs, bads, sig):
            tried += 1
            try:
                with contextlib.redirect_stdout(io.StringIO()), \
                        np.errstate(all="ignore"), _quiet():
                    func(*a, **k)
                accepted += 1
            except DLToolboxError as err:
                assert err.identifier.startswith(f"dltoolbox:{name}:") or \
                    err.identifier.startswith("dltoolbox:"), err.identifier
                named_count += 1
            except Exception as exc:  # noqa: BLE001 - what the sweep looks for
                escaped.append(f"{name} {desc}: {type(exc).__name__}: {str(exc)[:120]}")
    with capsys.disabled():
        print(f"\nsweep of {len(public)} public functions: {tried} bad calls, "
              f"{named_count} named errors, {accepted} accepted, {len(escaped)} unnamed")
    assert not escaped, "\n".join(escaped)
    assert tried > 1000 and named_count > 0.8 * tried


def _gpu_or_stand_in(monkeypatch):
    """Without a usable GPU, the sweep runs with the strict CuPy stand-in as dltoolbox's GPU
    module (as the strict_cupy fixture sets it), so that gpuArray has a good call and
    ExecutionEnvironment 'auto' runs the GPU path's logic."""
    import sys

    from dltoolbox import backend
    if backend.cupy_or_none() is None:
        from tests import strict_cupy as sc
        monkeypatch.setitem(sys.modules, "cupy_strict", sc.MODULE)
        monkeypatch.setattr(backend, "_cupy", sc.MODULE)
        monkeypatch.setattr(backend, "_probe_error", None)


@contextlib.contextmanager
def _quiet():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_dlgradient_sweep_inside_dlfeval(tmp_path):
    """The sweep's variants of a good dlgradient call, made inside dlfeval: every one is
    a named error (none is a valid call here: y must be the traced scalar)."""
    from dltoolbox.dl import dlarray, dlfeval, dlgradient
    bads = bad_values(str(tmp_path))
    sig = inspect.signature(dltoolbox.dlgradient)
    escaped, named_count = [], 0

    def model(x, w):
        nonlocal named_count
        y = (x * w).sum("all")
        assert dlgradient(y, x, w) is not None            # the good call
        for desc, a, k in _variants((y, x), {}, bads, sig):
            try:
                with np.errstate(all="ignore"), _quiet():
                    dltoolbox.dlgradient(*a, **k)
            except DLToolboxError as err:
                assert err.identifier.startswith("dltoolbox:"), err.identifier
                named_count += 1
            except Exception as exc:  # noqa: BLE001 - what the sweep looks for
                escaped.append(f"dlgradient {desc}: {type(exc).__name__}: {exc}"[:160])
        return y

    dlfeval(model, dlarray(np.ones((2, 3))), dlarray(np.full((2, 3), 2.0)))
    assert not escaped, "\n".join(escaped)
    assert named_count > 50


def _dl_bad_calls():
    from dltoolbox.dl import dlarray
    X = dlarray(np.ones((2, 3, 4), np.float32), "CBT")
    z = np.zeros
    lstm_w = (z((12, 2)), z((12, 3)), z((12, 1)))
    return [
        (lambda: dltoolbox.lstm(X, 5, z((3, 1)), *lstm_w), "lstm:InvalidState", "'H0'"),
        (lambda: dltoolbox.lstm(X, z((3, 1)), z((4, 3)), *lstm_w), "lstm:InvalidState",
         "'C0' 3-by-3"),
        (lambda: dltoolbox.batchnorm(X, z(3), np.ones(2)), "batchnorm:SizeMismatch",
         "'offset' with one value per channel (2)"),
        (lambda: dltoolbox.layernorm(X, z(2), [[1, 2], [3, 4]]), "layernorm:SizeMismatch",
         "'scaleFactor'"),
        (lambda: dltoolbox.dlconv(X, z((2, 3, 1)), 0.0), "dlconv:SizeMismatch", "3 channels"),
        (lambda: dltoolbox.dlconv(X, z((2, 2, 3)), z(2)), "dlconv:InvalidBias", "K = 3"),
        (lambda: dltoolbox.embed(dlarray(np.ones((1, 2)), "BT"), 5.0), "embed:InvalidWeights",
         "EmbeddingDimension-by-NumWords"),
        (lambda: dltoolbox.fullyconnect(X, [[1, 2], [3]], z(1)), "fullyconnect:InvalidData",
         "'weights'"),
        (lambda: dltoolbox.crossentropy(X, "abc"), "crossentropy:InvalidData", "'T'"),
        (lambda: dltoolbox.binarycrossentropy(np.ones(2), np.ones(2)),
         "binarycrossentropy:UnformattedInput", "DataFormat"),
        (lambda: dltoolbox.dlarray(np.ones(2), 5), "dlarray:InvalidFormat", "int"),
        (lambda: dltoolbox.finddim(X, 3), "finddim:InvalidLabel", "S, C, B, T, U"),
        (lambda: dltoolbox.adamupdate({"w": z(2)}, {"v": z(2)}, None, None, 1),
         "adamupdate:StructureMismatch", "'w'"),
        (lambda: dltoolbox.sgdmupdate({"w": z(2)}, {"w": z(3)}, None),
         "sgdmupdate:SizeMismatch", "'grad' value has size 3"),
        (lambda: dltoolbox.adamupdate(z(2), z(2), None, None, None),
         "adamupdate:InvalidIteration", "positive integer"),
        (lambda: dltoolbox.dlupdate(lambda a, b: a, [z(2)], [z(2), z(2)]),
         "dlupdate:SizeMismatch", "one value per learnable (1)"),
        (lambda: dltoolbox.combine(dltoolbox.arrayDatastore([1]), 5), "combine:InvalidDatastore",
         "Argument 2"),
        (lambda: dltoolbox.padsequences([z((2, 3)), "x"], 1), "padsequences:InvalidInput",
         "X{2}"),
        (lambda: dltoolbox.padsequences([z((2, 3))], 0), "padsequences:InvalidpaddingDim",
         "positive integer"),
        (lambda: dltoolbox.padsequences([z((2, 3))], 1, Length="x"),
         "padsequences:InvalidLength", "'longest'"),
        (lambda: dltoolbox.onehotencode(categorical(['a']), 0),
         "onehotencode:InvalidfeatureDim", "positive integer"),
        (lambda: dltoolbox.onehotdecode(z((2, 2)), 5, 1), "onehotdecode:InvalidClasses",
         "class names"),
        (lambda: dltoolbox.onehotdecode(z((2, 2)), ["a", "b"], 3), "onehotdecode:SizeMismatch",
         "Dimension 3 has 1"),
        (lambda: dltoolbox.labels_row(["a"]), "labels_row:InvalidLabels", "categorical"),
        (lambda: dltoolbox.hasdata([1, 2]), "hasdata:InvalidQueue", "minibatchqueue"),
        (lambda: dltoolbox.trainingProgressMonitor(Metrics=5), "trainingProgressMonitor:"
         "InvalidMetrics", "'Metrics'"),
    ]


@pytest.mark.parametrize("k", range(26))
def test_custom_loop_bad_inputs_name_function_and_argument(k):
    call, identifier, text = _dl_bad_calls()[k]
    msg = named(f"dltoolbox:{identifier}", call)
    assert text in msg, msg


@pytest.mark.parametrize("call,identifier", [
    (lambda: dltoolbox.parpool(0), "dltoolbox:parpool:InvalidNumWorkers"),
    (lambda: dltoolbox.parpool(2.5), "dltoolbox:parpool:InvalidNumWorkers"),
    (lambda: dltoolbox.parpool(True), "dltoolbox:parpool:InvalidNumWorkers"),
    (lambda: dltoolbox.parpool("x"), "dltoolbox:parpool:UnknownProfile"),
    (lambda: dltoolbox.parpool([2]), "dltoolbox:parpool:InvalidNumWorkers"),
    (lambda: dltoolbox.parpool("cluster9", 2), "dltoolbox:parpool:UnknownProfile"),
    (lambda: dltoolbox.parpool("Processes", 2, 3), "dltoolbox:parpool:TooManyArguments"),
    (lambda: dltoolbox.gcp("create"), "dltoolbox:gcp:InvalidOption"),
    (lambda: dltoolbox.gcp(5), "dltoolbox:gcp:InvalidOption"),
    (lambda: dltoolbox.delete(5), "dltoolbox:delete:InvalidObject"),
])
def test_pool_functions_bad_input(call, identifier):
    named(identifier, call)
