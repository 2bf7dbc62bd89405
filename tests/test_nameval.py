"""The one name-value parser, through the public functions; and the sweep of bad input."""

import numpy as np
import pytest

import dltoolbox
from dltoolbox import (
    DLToolboxError,
    assembleNetwork,
    classificationLayer,
    classify,
    dropoutLayer,
    fullyConnectedLayer,
    gruLayer,
    predict,
    regressionLayer,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
)
from dltoolbox.layers.classification import _OPTIONS as CLASS_OPTS
from dltoolbox.layers.dropout import _OPTIONS as DROPOUT_OPTS
from dltoolbox.layers.fully_connected import _OPTIONS as FC_OPTS
from dltoolbox.layers.gru import _OPTIONS as GRU_OPTS
from dltoolbox.layers.regression import _OPTIONS as REG_OPTS
from dltoolbox.layers.sequence_input import _OPTIONS as SEQ_OPTS
from dltoolbox.layers.softmax import _OPTIONS as SOFTMAX_OPTS
from dltoolbox.network import PREDICT_OPTIONS
from dltoolbox.training.options import _OPTIONS as TRAIN_OPTS


def small_net():
    h, d = 2, 3
    return assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=np.zeros((3 * h, d)), RecurrentWeights=np.zeros((3 * h, h)),
                 Bias=np.zeros((3 * h, 1)), OutputMode='last'),
        fullyConnectedLayer(2, Weights=np.ones((2, h)), Bias=np.zeros((2, 1))),
        softmaxLayer(), classificationLayer(Classes=['a', 'b'])])


NET = small_net()
X = [np.zeros((3, 4))]

# (name, call taking name-value args, options table, option names to skip in the sweep)
FUNCTIONS = [
    ("gruLayer", lambda *a, **k: gruLayer(10, *a, **k), GRU_OPTS),
    ("sequenceInputLayer", lambda *a, **k: sequenceInputLayer(3, *a, **k), SEQ_OPTS),
    ("fullyConnectedLayer", lambda *a, **k: fullyConnectedLayer(3, *a, **k), FC_OPTS),
    ("softmaxLayer", softmaxLayer, SOFTMAX_OPTS),
    ("classificationLayer", classificationLayer, CLASS_OPTS),
    ("regressionLayer", regressionLayer, REG_OPTS),
    ("dropoutLayer", lambda *a, **k: dropoutLayer(0.5, *a, **k), DROPOUT_OPTS),
    ("trainingOptions", lambda *a, **k: trainingOptions('sgdm', *a, **k), TRAIN_OPTS),
    ("predict", lambda *a, **k: predict(NET, X, *a, **k), PREDICT_OPTIONS),
    ("classify", lambda *a, **k: classify(NET, X, *a, **k), PREDICT_OPTIONS),
    ("predictAndUpdateState",
     lambda *a, **k: dltoolbox.predictAndUpdateState(NET, X, *a, **k), PREDICT_OPTIONS),
    ("classifyAndUpdateState",
     lambda *a, **k: dltoolbox.classifyAndUpdateState(NET, X, *a, **k), PREDICT_OPTIONS),
]
IDS = [f[0] for f in FUNCTIONS]


def test_pairs_and_keywords_are_the_same_call():
    a = gruLayer(100, 'Name', 'gru1', 'OutputMode', 'last')
    b = gruLayer(100, Name='gru1', OutputMode='last')
    assert repr(a) == repr(b)


def test_names_and_values_are_case_insensitive_and_canonical():
    layer = gruLayer(100, 'outputmode', 'LAST', 'RESETGATEMODE', 'Before-Multiplication')
    assert layer.OutputMode == 'last'
    assert layer.ResetGateMode == 'before-multiplication'
    assert trainingOptions('ADAM', shuffle='Never').Shuffle == 'never'


def test_matlab_numbers():
    assert gruLayer(100.0).NumHiddenUnits == 100
    assert gruLayer(np.int64(7)).NumHiddenUnits == 7
    with pytest.raises(DLToolboxError) as e:
        gruLayer(True)
    assert e.value.identifier == "dltoolbox:gruLayer:InvalidNumHiddenUnits"
    with pytest.raises(DLToolboxError) as e:
        gruLayer(-3)
    assert "Expected a positive integer, got -3" in str(e.value)


def test_unknown_name_suggests_closest():
    with pytest.raises(DLToolboxError) as e:
        gruLayer(100, 'Nmae', 'x')
    assert e.value.identifier == "dltoolbox:gruLayer:UnknownNameValueArgument"
    assert "Did you mean 'Name'?" in str(e.value)
    assert str(e.value).startswith("gruLayer: 'Nmae' is not a valid name-value argument.")


def test_duplicate_name_rejected():
    with pytest.raises(DLToolboxError) as e:
        gruLayer(100, 'Name', 'a', name='b')
    assert e.value.identifier == "dltoolbox:gruLayer:DuplicateName"


def test_option_of_another_solver_rejected():
    with pytest.raises(DLToolboxError) as e:
        trainingOptions('adam', 'Momentum', 0.5)
    assert e.value.identifier == "dltoolbox:trainingOptions:InvalidOptionForSolver"
    assert "'sgdm'" in str(e.value)
    with pytest.raises(DLToolboxError):
        trainingOptions('sgdm', Epsilon=1e-6)


@pytest.mark.parametrize("value", ["multi-gpu", "parallel"])
def test_parallel_environments_accepted(value):
    # trainNetwork runs them (tests/test_parallel.py); trainingOptions only records them
    opts = trainingOptions('adam', 'ExecutionEnvironment', value, DispatchInBackground=True)
    assert opts.ExecutionEnvironment == value and opts.DispatchInBackground is True


def test_state_inputs_not_supported_yet():
    with pytest.raises(DLToolboxError, match="not supported yet"):
        gruLayer(10, HasStateInputs=True)
    with pytest.raises(DLToolboxError, match="not supported yet"):
        gruLayer(10, HasStateOutputs=1)


# -- the sweep ----------------------------------------------------------------------------
@pytest.mark.parametrize("name,call,table", FUNCTIONS, ids=IDS)
def test_sweep_unknown_odd_nonstring(name, call, table):
    with pytest.raises(DLToolboxError) as e:
        call('NoSuchOption', 1)
    assert e.value.identifier == f"dltoolbox:{name}:UnknownNameValueArgument"
    with pytest.raises(DLToolboxError) as e:
        call(list(table.values())[0].name)
    assert e.value.identifier == f"dltoolbox:{name}:OddNameValue"
    with pytest.raises(DLToolboxError) as e:
        call(3, 4)
    assert e.value.identifier == f"dltoolbox:{name}:InvalidNameValueName"
    assert isinstance(e.value, TypeError)


CANDIDATES = [object(), "no-such-value", -3.5, [[1, 2], [3, 4]], np.nan, True]


@pytest.mark.parametrize("name,call,table", FUNCTIONS, ids=IDS)
def test_sweep_bad_value_for_every_option(name, call, table):
    for opt in table.values():
        with pytest.raises(DLToolboxError) as e:
            call(opt.name, object())
        assert opt.name in str(e.value) or "not supported" in str(e.value), str(e.value)
        assert e.value.identifier.startswith(f"dltoolbox:{name}:")
        for bad in CANDIDATES[1:]:
            try:
                call(opt.name, bad)
            except DLToolboxError:
                pass   # a named error is the required outcome for a bad value


def test_property_assignment_validates():
    layer = gruLayer(4)
    with pytest.raises(DLToolboxError) as e:
        layer.NumHiddenUnits = 5
    assert e.value.identifier == "dltoolbox:GRULayer:ReadOnlyProperty"
    with pytest.raises(DLToolboxError) as e:
        layer.InputWeights = np.zeros((11, 3))
    assert "12×InputSize" in str(e.value) and "11×3" in str(e.value)
    layer.InputWeights = np.zeros((12, 3))
    assert layer.InputSize == 3
    with pytest.raises(DLToolboxError):
        layer.InputSize = 5
    with pytest.raises(DLToolboxError):
        layer.RecurrentWeights = np.zeros((12, 3))
    layer.BiasLearnRateFactor = [1, 0, 2]
    with pytest.raises(DLToolboxError):
        layer.BiasLearnRateFactor = [1, 2]
    layer.RecurrentWeightsInitializer = lambda sz: np.zeros(sz)
    layer.InputWeightsInitializer = 'HE'
    assert layer.InputWeightsInitializer == 'he'
    with pytest.raises(DLToolboxError) as e:
        layer.outputmode = 'last'
    assert "Did you mean 'OutputMode'?" in str(e.value)


def test_six_h_bias_for_recurrent_bias_mode():
    h = 3
    layer = gruLayer(h, ResetGateMode='recurrent-bias-after-multiplication',
                     Bias=np.zeros((6 * h, 1)))
    assert layer.Bias.shape == (18, 1)
    with pytest.raises(DLToolboxError):
        gruLayer(h, ResetGateMode='recurrent-bias-after-multiplication',
                 Bias=np.zeros((3 * h, 1)))
    with pytest.raises(DLToolboxError):
        layer.ResetGateMode = 'after-multiplication'


def test_star_import_brings_exactly_the_public_names():
    ns = {}
    exec("from dltoolbox import *", ns)
    names = {k for k in ns if not k.startswith("__")}
    assert names == set(dltoolbox.__all__)
    assert {"gruLayer", "trainNetwork", "predictAndUpdateState", "categorical"} <= names
