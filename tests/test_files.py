"""save / load: checkpoints that never cost a run, data-only network files, .mat data."""

import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest

from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    bilstmLayer,
    categorical,
    classificationLayer,
    dropoutLayer,
    fullyConnectedLayer,
    gruLayer,
    load,
    lstmLayer,
    predict,
    predictAndUpdateState,
    regressionLayer,
    resetState,
    rng,
    save,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
    trainNetwork,
)
from dltoolbox import io as dlio
from dltoolbox.layers import Layer
from dltoolbox.layers.registry import layer_classes


def ident(err):
    return err.value.identifier


def regression_data(n=6, d=2, t=5):
    rs = np.random.default_rng(0)
    X = [rs.standard_normal((d, t)).astype(np.float32) for _ in range(n)]
    Y = [np.cumsum(x, axis=1)[:1] for x in X]
    return X, Y


def regression_layers(**input_opts):
    return [sequenceInputLayer(2, **input_opts), gruLayer(4), fullyConnectedLayer(1),
            regressionLayer()]


def zscore_norm(X):
    """A Normalization function with an importable name (tests.test_files:zscore_norm)."""
    return (X - X.mean()) / (X.std() + 1)


# -- 1. checkpoints never cost a run ------------------------------------------------------
def test_training_killed_after_a_checkpoint_resumes_from_it(tmp_path):
    """An OutputFcn raises at iteration 3, after the checkpoint of iteration 2: the
    exception ends the run, the checkpoint holds the network of iteration 2 exactly, and
    training resumes from its layers."""
    X, Y = regression_data()

    def opts(**kw):
        base = dict(MaxEpochs=4, MiniBatchSize=2, Shuffle='never', Verbose=False)
        return trainingOptions('adam', **{**base, **kw})

    def crash(info):
        if info.State == "iteration" and info.Iteration == 3:
            raise KeyboardInterrupt("power cut")

    rng(0)
    with pytest.raises(KeyboardInterrupt):
        trainNetwork(X, Y, regression_layers(), opts(
            CheckpointPath=str(tmp_path), CheckpointFrequency=2,
            CheckpointFrequencyUnit='iteration', OutputFcn=crash))
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].startswith("net_checkpoint__2__")
    assert files[0].endswith(".mat")
    saved = load(tmp_path / files[0]).net
    rng(0)   # the same run stopped cleanly at iteration 2
    ref = trainNetwork(X, Y, regression_layers(), opts(
        OutputFcn=lambda info: info.State == "iteration" and info.Iteration == 2))
    for a, b in zip(saved.Layers, ref.Layers):
        for name in a.learnable_names():
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(predict(saved, X[0]), predict(ref, X[0]))
    # resume: the checkpoint's layers are the starting point (MATLAB: net.Layers)
    rng(1)
    net, info = trainNetwork(X, Y, saved.Layers, opts(MaxEpochs=1), nargout=2)
    rng(1)
    _, ref_info = trainNetwork(X, Y, ref.Layers, opts(MaxEpochs=1), nargout=2)
    assert len(info.TrainingLoss) == 3
    np.testing.assert_array_equal(info.TrainingLoss, ref_info.TrainingLoss)
    rng(1)
    _, fresh = trainNetwork(X, Y, regression_layers(), opts(MaxEpochs=1), nargout=2)
    assert info.TrainingLoss[0] != fresh.TrainingLoss[0]


def test_unwritable_checkpoint_folder_is_named_before_training(tmp_path, monkeypatch):
    calls = []

    def no_files(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dlio.tempfile, "mkstemp", no_files)
    X, Y = regression_data()
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, regression_layers(), trainingOptions(
            'adam', MaxEpochs=1, Verbose=False, CheckpointPath=str(tmp_path),
            OutputFcn=lambda info: calls.append(info.State)))
    assert ident(e) == "dltoolbox:trainNetwork:CheckpointPathNotWritable"
    assert "Permission denied" in str(e.value) and calls == []


class _Unwritable(dropoutLayer().__class__):
    """A dropout layer carrying a value no file can hold (an open handle)."""


def test_unwritable_network_is_named_before_the_first_iteration(tmp_path):
    layer = _Unwritable.__new__(_Unwritable)
    layer.__dict__.update(dropoutLayer(0.1).__dict__)
    layer._handle = object()
    calls = []
    X, Y = regression_data()
    layers = [sequenceInputLayer(2), gruLayer(4), layer, fullyConnectedLayer(1),
              regressionLayer()]
    with pytest.raises(DLToolboxError) as e:
        trainNetwork(X, Y, layers, trainingOptions(
            'adam', MaxEpochs=1, Verbose=False, CheckpointPath=str(tmp_path),
            OutputFcn=lambda info: calls.append(info.State)))
    assert ident(e) == "dltoolbox:trainNetwork:UnsupportedType"
    assert "_handle" in str(e.value) and calls == []


def test_lambda_in_network_warns_once_and_checkpoints_are_written(tmp_path):
    X, Y = regression_data()
    layers = [sequenceInputLayer(2, Normalization=lambda x: x * 0.5),
              gruLayer(4, BiasInitializer=lambda sz: np.zeros(sz)), fullyConnectedLayer(1),
              regressionLayer()]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net = trainNetwork(X, Y, layers, trainingOptions(
            'adam', MaxEpochs=3, MiniBatchSize=3, Verbose=False,
            CheckpointPath=str(tmp_path)))
    text = [str(x.message) for x in w]
    assert len(text) == 2, text     # one each, at the start, not one per checkpoint
    assert any("'Normalization'" in t for t in text)
    assert any("'BiasInitializer'" in t for t in text)
    assert len(os.listdir(tmp_path)) == 3
    assert net is not None


def test_checkpoint_folder_vanishing_mid_run_warns_and_returns_the_network(tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()

    def remove_folder(info):
        if info.State == "iteration" and info.Iteration == 2:
            for f in os.listdir(folder):
                os.remove(folder / f)
            folder.rmdir()

    X, Y = regression_data()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net, info = trainNetwork(X, Y, regression_layers(), trainingOptions(
            'adam', MaxEpochs=2, MiniBatchSize=2, Verbose=False, CheckpointPath=str(folder),
            CheckpointFrequencyUnit='iteration', OutputFcn=remove_folder), nargout=2)
    msgs = [str(x.message) for x in w if "checkpoint" in str(x.message)]
    assert len(msgs) == 5 and "iteration 2" in msgs[0] and "training continues" in msgs[0]
    assert len(info.TrainingLoss) == 6
    assert predict(net, X[0]).shape == (1, 5)


def test_failed_rename_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dlio.os, "replace", broken)
    with pytest.raises(DLToolboxError) as e:
        save(tmp_path / "x.mat", a=np.ones(3))
    assert ident(e) == "dltoolbox:save:WriteFailed" and "No space left" in str(e.value)
    assert os.listdir(tmp_path) == []


# -- 2. a data-only network file ----------------------------------------------------------
def all_options_network(rs):
    """Every layer class dltoolbox has, with options off their defaults."""
    H, D, K = 3, 2, 3
    gru1 = gruLayer(H, Name='g1', ResetGateMode='recurrent-bias-after-multiplication',
                    GateActivationFunction='hard-sigmoid', StateActivationFunction='softsign',
                    InputWeights=rs.standard_normal((3 * H, D)),
                    RecurrentWeights=rs.standard_normal((3 * H, H)),
                    Bias=rs.standard_normal((6 * H, 1)), HiddenState=rs.standard_normal((H, 1)),
                    InputWeightsLearnRateFactor=[1, 2, 3], BiasL2Factor=0.5)
    gru2 = gruLayer(H, OutputMode='last', ResetGateMode='before-multiplication',
                    InputWeights=rs.standard_normal((3 * H, H)),
                    RecurrentWeights=rs.standard_normal((3 * H, H)),
                    Bias=rs.standard_normal((3 * H, 1)))
    return assembleNetwork([
        sequenceInputLayer(D, Normalization='zscore', Mean=rs.standard_normal((D, 1)),
                           StandardDeviation=rs.random((D, 1)) + 0.5, MinLength=2),
        gru1, dropoutLayer(0.3), gru2,
        fullyConnectedLayer(K, Weights=rs.standard_normal((K, H)),
                            Bias=rs.standard_normal((K, 1)), WeightL2Factor=2),
        softmaxLayer(Name='sm'),
        classificationLayer(Classes=['x', 'y', 'z'], ClassWeights=[1, 2, 3])])


def same_value(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def assert_same_layers(net, back):
    """Same classes, and every property, learnable, state and private value equal."""
    assert len(net.Layers) == len(back.Layers)
    for a, b in zip(net.Layers, back.Layers):
        assert type(a) is type(b)
        keys = {k for k in a.__dict__ if k != "_cache"}
        assert keys == {k for k in b.__dict__ if k != "_cache"}
        for k in keys:
            assert same_value(getattr(a, k), getattr(b, k)), (a.Name, k)


def test_network_round_trips_every_property(tmp_path, rs):
    net = all_options_network(rs)
    save(tmp_path / "net.mat", net=net, labels=categorical(['a', 'b', 'a']),
         info={'loss': np.arange(3.0), 'nan': float('nan'), 'k': 3, 'names': ('u', 'v')})
    with zipfile.ZipFile(tmp_path / "net.mat") as z:     # data only: JSON and .npy
        assert all(n == "dltoolbox.json" or n.endswith(".npy") for n in z.namelist())
    S = load(tmp_path / "net.mat")
    back = S.net
    assert_same_layers(net, back)
    x = rs.standard_normal((2, 7)).astype(np.float32)
    np.testing.assert_array_equal(predict(back, x), predict(net, x))
    assert repr(back) == repr(net) and repr(back.Layers) == repr(net.Layers)
    assert S.labels.tolist() == ['a', 'b', 'a'] and S.info['k'] == 3
    assert np.isnan(S.info['nan']) and S.info['names'] == ('u', 'v')
    # resetState restores the HiddenState given at construction
    moved = predictAndUpdateState(back, x)
    np.testing.assert_array_equal(resetState(moved).Layers[1].HiddenState,
                                  net.Layers[1].HiddenState)


@pytest.mark.parametrize("make,dirs", [(lstmLayer, 1), (bilstmLayer, 2)])
def test_lstm_networks_round_trip_with_no_special_case(make, dirs, tmp_path, rs):
    """lstmLayer/bilstmLayer came after the file format: nothing in it names them."""
    h, d = 3, 2
    rows = 4 * h * dirs
    net = assembleNetwork([
        sequenceInputLayer(d),
        make(h, InputWeights=rs.standard_normal((rows, d)),
             RecurrentWeights=rs.standard_normal((rows, h)), Bias=rs.standard_normal((rows, 1)),
             HiddenState=rs.standard_normal((dirs * h, 1)),
             CellState=rs.standard_normal((dirs * h, 1)), OutputMode='last',
             StateActivationFunction='softsign', BiasL2Factor=list(range(1, 4 * dirs + 1))),
        fullyConnectedLayer(2, Weights=rs.standard_normal((2, dirs * h)),
                            Bias=np.zeros((2, 1))),
        softmaxLayer(), classificationLayer(Classes=['u', 'v'])])
    x = rs.standard_normal((d, 6)).astype(np.float32)
    moved = predictAndUpdateState(net, x)
    save(tmp_path / "lstm.mat", net=moved)
    back = load(tmp_path / "lstm.mat").net
    assert_same_layers(moved, back)
    np.testing.assert_array_equal(predict(back, x), predict(moved, x))
    np.testing.assert_array_equal(resetState(back).Layers[1].CellState,
                                  net.Layers[1].CellState)
    with zipfile.ZipFile(tmp_path / "lstm.mat") as z:
        import json
        tree = json.loads(json.loads(z.read("dltoolbox.json"))["variables"])
    layer = tree["net"]["Layers"][1]
    assert layer["class"] == type(net.Layers[1]).__name__
    assert set(layer["state"]) == {"HiddenState", "CellState"}
    assert set(layer["learnables"]) == {"InputWeights", "RecurrentWeights", "Bias"}


class ToyStatefulLayer(Layer):
    """A layer class unknown to the file format's code: learnables, two states, options."""

    from dltoolbox._nameval import Option, options_table
    _func = "toyLayer"
    _type = "Toy"
    _options = options_table(Option("Name", ""), Option("Mode", "a"),
                             Option("Weights", None), Option("HiddenState", None),
                             Option("CellState", None))
    _learnables = ("Weights",)

    def state_names(self):
        return ("HiddenState", "CellState")


def test_file_format_is_generic_over_layer_classes(tmp_path, rs):
    layer = ToyStatefulLayer({"Name": "toy", "Mode": "b", "Weights": rs.random((4, 2)),
                              "HiddenState": rs.random((2, 1)), "CellState": rs.random((2, 1))})
    layer._initial = rs.random((2, 1))
    assert layer_classes()["ToyStatefulLayer"] is ToyStatefulLayer
    save(tmp_path / "toy.mat", layer=layer)
    back = load(tmp_path / "toy.mat").layer
    assert type(back) is ToyStatefulLayer and back.Mode == "b"
    for name in ("Weights", "HiddenState", "CellState", "_initial"):
        np.testing.assert_array_equal(getattr(back, name), getattr(layer, name))
    with zipfile.ZipFile(tmp_path / "toy.mat") as z:
        import json
        tree = json.loads(json.loads(z.read("dltoolbox.json"))["variables"])["layer"]
    assert set(tree["learnables"]) == {"Weights"}
    assert set(tree["state"]) == {"HiddenState", "CellState"}
    assert set(tree["private"]) == {"_initial"}


def test_function_handles_by_name_or_dropped_with_warning(tmp_path):
    named = sequenceInputLayer(2, Normalization=zscore_norm)
    save(tmp_path / "a.mat", layer=named)
    assert load(tmp_path / "a.mat").layer.Normalization is zscore_norm
    anon = gruLayer(3, InputWeightsInitializer=lambda sz: np.ones(sz))
    with pytest.warns(UserWarning, match="'InputWeightsInitializer'.*reads back as 'glorot'"):
        save(tmp_path / "b.mat", layer=anon)
    assert load(tmp_path / "b.mat").layer.InputWeightsInitializer == "glorot"


def _rewrite_tree(path, edit):
    """Change the tree of a network file and fix its checksum (a hand-made hostile file)."""
    import json

    from dltoolbox import _netfile
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(members["dltoolbox.json"])
    text = edit(header["variables"])
    arrays = [members[f"a{i}.npy"] for i in range(len(members) - 1)]
    header["variables"] = text
    header["checksum"] = _netfile._checksum(text, arrays)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("dltoolbox.json", json.dumps(header))
        for i, a in enumerate(arrays):
            z.writestr(f"a{i}.npy", a)


def test_file_naming_a_dangerous_function_or_class_runs_nothing(tmp_path):
    path = tmp_path / "evil.mat"
    save(path, layer=sequenceInputLayer(2, Normalization=zscore_norm))
    _rewrite_tree(path, lambda t: t.replace("tests.test_files:zscore_norm", "os:system"))
    with pytest.warns(UserWarning, match="os:system"):
        assert load(path).layer.Normalization == "none"
    _rewrite_tree(path, lambda t: t.replace('"SequenceInputLayer"', '"Popen"'))
    with pytest.raises(DLToolboxError) as e:
        load(path)
    assert ident(e) == "dltoolbox:load:UnknownLayerClass"
    # a property that would replace the object's class or dict is refused
    save(path, layer=softmaxLayer(Name='s'))
    for name in ("__class__", "__dict__", "_cache", "not a name"):
        _rewrite_tree(path, lambda t, n=name: t.replace('"private": {}',
                                                         f'"private": {{"{n}": 1}}'))
        with pytest.raises(DLToolboxError, match="property named") as e:
            load(path)
        assert ident(e) == "dltoolbox:load:CorruptFile"
        save(path, layer=softmaxLayer(Name='s'))


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_hostile_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "net_checkpoint__1__2026_01_01__00_00_00.mat"
    path.write_bytes(pickle.dumps({"net": _Hostile(str(marker))}))
    for name in (path, tmp_path / "old.pkl"):
        if name != path:
            name.write_bytes(path.read_bytes())
        with pytest.raises(DLToolboxError) as e:
            load(name)
        assert ident(e) == "dltoolbox:load:PickleFile" and "allow_pickle=True" in str(e.value)
        assert not marker.exists()
    # the explicit opt-in reads a trusted old file (and would run this one's code)
    (tmp_path / "trusted.pkl").write_bytes(pickle.dumps({"a": np.arange(3)}))
    assert load(tmp_path / "trusted.pkl", allow_pickle=True).a.tolist() == [0, 1, 2]


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "text", "random", "header",
                                    "compressed", "deep"])
def test_damaged_files_are_named_errors(tmp_path, rs, damage):
    path = tmp_path / "net.mat"
    save(path, net=all_options_network(rs))
    data = bytearray(path.read_bytes())
    if damage == "flip":          # one bit of a weight, inside an .npy member
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("a3.npy")
        pos = info.header_offset + 30 + len(info.filename) + info.file_size - 3
        data[pos] ^= 0x01
    elif damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "empty":
        data = b""
    elif damage == "text":
        data = b"just some notes\n"
    elif damage == "random":
        data = bytearray(rs.integers(0, 256, 300, dtype=np.uint8).tobytes())
        data[:2] = b"PK"
    if damage == "deep":        # nesting past Python's recursion limit, checksum right
        _rewrite_tree(path, lambda t: '{"x": ' + '[' * 100000 + ']' * 100000 + '}')
    elif damage in ("header", "compressed"):
        with zipfile.ZipFile(path) as z:
            members = {n: z.read(n) for n in z.namelist()}
        if damage == "header":
            members["dltoolbox.json"] = members["dltoolbox.json"].replace(b'"version": 1',
                                                                          b'"version": 9')
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if damage == "compressed"
                             else zipfile.ZIP_STORED) as z:
            for n, b in members.items():
                z.writestr(n, b)
    else:
        path.write_bytes(bytes(data))
    with pytest.raises(DLToolboxError) as e:
        load(path)
    expected = {"empty": "EmptyFile", "text": "CorruptFile", "header": "NewerFileVersion"}
    assert ident(e) == f"dltoolbox:load:{expected.get(damage, 'CorruptFile')}", str(e.value)


def test_flipped_bit_with_crc_fixed_is_caught_by_the_checksum(tmp_path, rs):
    """The zip's own CRC rewritten too: only the SHA-256 checksum sees the change."""
    path = tmp_path / "net.mat"
    save(path, net=all_options_network(rs))
    with zipfile.ZipFile(path) as z:
        members = {n: bytearray(z.read(n)) for n in z.namelist()}
    members["a2.npy"][-1] ^= 0x40
    with zipfile.ZipFile(path, "w") as z:
        for n, b in members.items():
            z.writestr(n, bytes(b))
    with pytest.raises(DLToolboxError, match="checksum") as e:
        load(path)
    assert ident(e) == "dltoolbox:load:CorruptFile"


def test_save_and_load_argument_errors(tmp_path):
    cases = [
        (lambda: save(123, a=1), "dltoolbox:save:InvalidFileName"),
        (lambda: save(tmp_path / "missing" / "x.mat", a=1), "dltoolbox:save:FolderNotFound"),
        (lambda: save(tmp_path / "x.mat"), "dltoolbox:save:NoVariables"),
        (lambda: save(tmp_path / "x.mat", "net"), "dltoolbox:save:InvalidArgument"),
        (lambda: save(tmp_path / "x.mat", 5), "dltoolbox:save:InvalidArgument"),
        (lambda: save(tmp_path / "x.mat", "-v7.3", a=1), "dltoolbox:save:NotSupported"),
        (lambda: save(tmp_path / "x.mat", {1: 2}), "dltoolbox:save:InvalidVariableName"),
        (lambda: save(tmp_path / "x.mat", a=trainingOptions('adam')),
         "dltoolbox:save:UnsupportedType"),
        (lambda: load(123), "dltoolbox:load:InvalidFileName"),
        (lambda: load(tmp_path / "nothing.mat"), "dltoolbox:load:FileNotFound"),
        (lambda: load(tmp_path), "dltoolbox:load:FileNotFound"),
        (lambda: load(tmp_path / "x.mat", 5), "dltoolbox:load:InvalidVariableName"),
    ]
    for call, identifier in cases:
        with pytest.raises(DLToolboxError) as e:
            call()
        assert ident(e) == identifier, (identifier, str(e.value))


# -- 3. MATLAB .mat data files ------------------------------------------------------------
def test_mat_file_written_by_scipy_as_matlab_would(tmp_path, rs):
    """A v7 file laid out as MATLAB writes the Japanese Vowels data: an N-by-1 cell of
    12-by-T double sequences, a cellstr of labels, a struct, a char array, a logical."""
    import scipy.io
    cell = np.empty((3, 1), dtype=object)
    lengths = [7, 1, 4]
    for i, t in enumerate(lengths):
        cell[i, 0] = rs.standard_normal((12, t))
    labels = np.empty((3, 1), dtype=object)
    labels[:, 0] = ['1', '2', '1']
    scipy.io.savemat(tmp_path / "data.mat", {
        "XTrain": cell, "YTrain": labels, "opts": {"MaxEpochs": 50.0, "Solver": "adam"},
        "title": "Japanese Vowels", "mask": np.array([[True, False, True]]),
        "W": np.arange(6.0).reshape(2, 3), "rows": np.array(["ab", "cd"]),
        "people": np.array([{"name": "a"}, {"name": "b"}], dtype=object)},
        do_compression=True)
    S = load(tmp_path / "data.mat")
    assert [x.shape for x in S.XTrain] == [(12, 7), (12, 1), (12, 4)]
    np.testing.assert_array_equal(S.XTrain[1], cell[1, 0])
    assert S.YTrain == ['1', '2', '1'] and categorical(S.YTrain).categories == ['1', '2']
    assert S.opts.Solver == "adam" and S.opts.MaxEpochs.shape == (1, 1)
    assert S.title == "Japanese Vowels" and S.rows == ["ab", "cd"]
    assert S.mask.tolist() == [[1, 0, 1]] and S.W.shape == (2, 3)
    only = load(tmp_path / "data.mat", 'XTrain', 'YTrain')
    assert list(only) == ['XTrain', 'YTrain']
    with pytest.warns(UserWarning, match="variable 'XTest' not found"):
        assert list(load(tmp_path / "data.mat", 'XTest', 'YTrain')) == ['YTrain']
    with pytest.raises(AttributeError, match="no field 'Xtrain'"):
        getattr(S, 'Xtrain')  # noqa: B009 - the attribute access is the test


def test_mat_file_round_trip_readable_by_scipy(tmp_path, rs):
    import scipy.io
    X = [rs.standard_normal((3, t)) for t in (4, 2)]
    save(tmp_path / "out", XTrain=X, info={'k': 2.5, 'name': 'gru'}, flag=True,
         empty=None, M=np.ones((2, 2), dtype=np.float32))
    assert os.path.exists(tmp_path / "out.mat")          # MATLAB adds .mat
    raw = scipy.io.loadmat(tmp_path / "out.mat")
    assert raw["XTrain"].shape == (2, 1) and raw["XTrain"][0, 0].shape == (3, 4)
    assert raw["__header__"].startswith(b"MATLAB 5.0 MAT-file")
    S = load(tmp_path / "out")
    np.testing.assert_array_equal(S.XTrain[1], X[1])
    assert S.info.name == 'gru' and S.flag.tolist() == [[1]] and S.empty.shape == (0, 0)
    assert S.M.dtype == np.float32
    save(tmp_path / "v6.mat", '-v6', a=np.arange(3.0))
    save(tmp_path / "v4.mat", '-v4', a=np.arange(3.0))
    for v in ("v6", "v4"):
        assert load(tmp_path / f"{v}.mat").a.tolist() == [[0.0, 1.0, 2.0]]


def test_mat_data_trains_a_network(tmp_path):
    X, Y = regression_data()
    save(tmp_path / "seq.mat", XTrain=X, YTrain=Y)
    S = load(tmp_path / "seq.mat")
    net = trainNetwork(S.XTrain, S.YTrain, regression_layers(), trainingOptions(
        'adam', MaxEpochs=1, MiniBatchSize=3, Verbose=False))
    assert predict(net, S.XTrain[0]).shape == (1, 5)


def test_mat_v73_is_refused_with_how_to_convert(tmp_path):
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 2024 HDF5 schema"
    data = header.ljust(128, b" ") + b"\x00" * 384 + b"\x89HDF\r\n\x1a\n" + b"\x00" * 100
    (tmp_path / "big.mat").write_bytes(data)
    with pytest.raises(DLToolboxError, match=r"'-v7'") as e:
        load(tmp_path / "big.mat")
    assert ident(e) == "dltoolbox:load:MATFileV73"


def test_mat_with_network_or_categorical_becomes_a_dltoolbox_file(tmp_path, rs):
    save(tmp_path / "mixed.mat", Y=categorical(['a', 'b']), X=np.ones((2, 2)))
    assert zipfile.is_zipfile(tmp_path / "mixed.mat")
    S = load(tmp_path / "mixed.mat")
    assert S.Y.tolist() == ['a', 'b'] and S.X.shape == (2, 2)


def test_issue14_layers_round_trip_with_no_special_case(tmp_path):
    """Convolution, normalization, pooling and activation layers came after the file
    format too: a trained network of them round-trips whole."""
    from dltoolbox import (
        averagePooling1dLayer,
        batchNormalizationLayer,
        convolution1dLayer,
        geluLayer,
        layerNormalizationLayer,
        leakyReluLayer,
        swishLayer,
    )
    rs = np.random.default_rng(2)
    X = [rs.standard_normal((3, 8)).astype(np.float32) for _ in range(6)]
    Y = categorical(['a', 'b', 'c'] * 2)
    layers = [sequenceInputLayer(3), convolution1dLayer(2, 4, 'Padding', 'same'),
              batchNormalizationLayer(), leakyReluLayer(0.1),
              averagePooling1dLayer(2, 'Padding', 'same'), layerNormalizationLayer(),
              lstmLayer(4, OutputMode='last'), fullyConnectedLayer(5), swishLayer(),
              geluLayer('Approximation', 'tanh'), fullyConnectedLayer(3), softmaxLayer(),
              classificationLayer()]
    rng(0)
    net = trainNetwork(X, Y, layers, trainingOptions('adam', MaxEpochs=2, MiniBatchSize=3,
                                                     Verbose=False))
    save(tmp_path / "n14.mat", net=net)
    back = load(tmp_path / "n14.mat").net
    assert_same_layers(net, back)
    np.testing.assert_array_equal(predict(back, X), predict(net, X))
    assert repr(back.Layers) == repr(net.Layers)
