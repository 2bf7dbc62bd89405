"""Golden tests: printed layers, layer arrays, networks and options, character for character.

Golden texts in tests/golden/ are MATLAB's (reference §1.4, §5-§10, §12, §13.2).
"""

import io
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

from dltoolbox import (
    LayerArray,
    assembleNetwork,
    classificationLayer,
    disp,
    dropoutLayer,
    fullyConnectedLayer,
    gruLayer,
    regressionLayer,
    sequenceInputLayer,
    softmaxLayer,
    trainingOptions,
)
from dltoolbox._display import short_number

GOLDEN = Path(__file__).with_name("golden")


def golden(name):
    return (GOLDEN / name).read_text(encoding="utf-8")


def page_layers():
    return [sequenceInputLayer(12), gruLayer(100), fullyConnectedLayer(9), softmaxLayer(),
            classificationLayer()]


def test_gru_page_layer_array():
    assert repr(LayerArray(page_layers())) == golden("layer_array_grulayer_page.txt")


def test_disp_accepts_plain_list():
    out = io.StringIO()
    with redirect_stdout(out):
        disp(page_layers())
    assert out.getvalue() == golden("layer_array_grulayer_page.txt")


def trained_like_network():
    h, d, k = 100, 12, 9
    rs = np.random.default_rng(0)
    return assembleNetwork([
        sequenceInputLayer(d),
        gruLayer(h, InputWeights=rs.standard_normal((3 * h, d)),
                 RecurrentWeights=rs.standard_normal((3 * h, h)), Bias=np.zeros((3 * h, 1))),
        fullyConnectedLayer(k, Weights=rs.standard_normal((k, h)), Bias=np.zeros((k, 1))),
        softmaxLayer(), classificationLayer(Classes=[str(i) for i in range(1, 10)])])


def test_trained_layer_array_and_network():
    net = trained_like_network()
    assert repr(net.Layers) == golden("layer_array_trained.txt")
    assert repr(net) == golden("series_network.txt")


@pytest.mark.parametrize("layer,name", [
    (gruLayer(100, 'Name', 'gru1'), "gru_layer.txt"),
    (fullyConnectedLayer(1), "fully_connected_layer.txt"),
    (sequenceInputLayer(4, 'Normalization', 'rescale-symmetric'), "sequence_input_layer.txt"),
    (classificationLayer(), "classification_layer.txt"),
    (regressionLayer(), "regression_layer.txt"),
    (dropoutLayer(), "dropout_layer.txt"),
    (softmaxLayer(), "softmax_layer.txt"),
])
def test_property_blocks(layer, name):
    assert repr(layer) == golden(name)
    assert str(layer) == golden(name)


def test_learnables_display_as_sizes():
    layer = gruLayer(4, InputWeights=np.zeros((12, 3), np.float32))
    text = repr(layer)
    assert "InputWeights: [12×3 single]" in text
    assert "InputSize: 3" in text
    layer = gruLayer(4, InputWeightsLearnRateFactor=[1, 2, 1])
    assert layer.InputWeightsLearnRateFactor.tolist() == [1, 2, 1]


def test_classification_descriptions():
    assert classificationLayer(Classes=['A', 'B']).description() == \
        "crossentropyex with classes 'A' and 'B'"
    assert classificationLayer(Classes=['tench'] + [f"c{i}" for i in range(999)]).description() \
        == "crossentropyex with 'tench' and 999 other classes"
    assert dropoutLayer(0.2).description() == "20% dropout"
    assert sequenceInputLayer(1).description() == "Sequence input with 1 dimensions"


def test_row_array_and_index_width():
    layers = LayerArray([softmaxLayer(Name=f"s{i}") for i in range(1, 11)])
    lines = repr(layers).splitlines()
    assert lines[0] == "  10×1 Layer array with layers:"
    assert lines[2] == "     1   's1'    Softmax   softmax"
    assert lines[11] == "    10   's10'   Softmax   softmax"


def test_one_based_call_indexing():
    layers = LayerArray(page_layers())
    assert layers(2) is layers[1]
    assert isinstance(layers[1:3], LayerArray)


@pytest.mark.parametrize("x,text", [(50, "50"), (0.9, "0.9000"), (0.005, "0.0050"),
                                    (1e-3, "1.0000e-03"), (1e-4, "1.0000e-04"),
                                    (1e-8, "1.0000e-08"), (float("inf"), "Inf"),
                                    (0.999, "0.9990"), (1234.5, "1.2345e+03")])
def test_short_number_format(x, text):
    assert short_number(x) == text


def test_training_options_adam_block():
    assert repr(trainingOptions('adam')) == golden("training_options_adam.txt")


def test_training_options_sgdm_and_rmsprop_heads():
    assert repr(trainingOptions('sgdm')).splitlines()[2:4] == [
        "                        Momentum: 0.9000", "                InitialLearnRate: 0.0100"]
    assert repr(trainingOptions('rmsprop')).splitlines()[2:5] == [
        "      SquaredGradientDecayFactor: 0.9000", "                         Epsilon: 1.0000e-08",
        "                InitialLearnRate: 1.0000e-03"]


def test_training_options_trainnet_era_sgdm_block(monkeypatch):
    """r2 §2.2: the R2024a display of trainingOptions('sgdm'), character for character."""
    from dltoolbox.training import options
    monkeypatch.setattr(options, "DISPLAY_ERA", "trainnet")
    assert repr(trainingOptions('sgdm')) == golden("training_options_sgdm_trainnet.txt")
    monkeypatch.setattr(options, "DISPLAY_ERA", "legacy")
    assert repr(trainingOptions('adam')) == golden("training_options_adam.txt")


def test_training_options_display_era_follows_trainnet_only_options():
    # "auto": legacy for options trainNetwork can use, R2024a-era once trainnet-only
    assert "WorkerLoad" in repr(trainingOptions('sgdm'))
    text = repr(trainingOptions('sgdm', Metrics="accuracy", InputDataFormats="CTB"))
    lines = text.splitlines()
    assert "WorkerLoad" not in text and "DispatchInBackground" not in text
    assert '                         Metrics: "accuracy"' in lines
    assert '                InputDataFormats: "CTB"' in lines
    assert "                   OutputNetwork: 'auto'" in lines
    adam = repr(trainingOptions('adam', OutputNetwork='auto')).splitlines()
    assert [ln.split(":")[0].strip() for ln in adam[2:7]] == [
        "GradientDecayFactor", "SquaredGradientDecayFactor", "Epsilon", "InitialLearnRate",
        "MaxEpochs"]
    lbfgs = repr(trainingOptions('lbfgs')).splitlines()
    assert lbfgs[0] == "  TrainingOptionsLBFGS with properties:"
    assert [ln.split(":")[0].strip() for ln in lbfgs[2:11]] == [
        "MaxIterations", "LineSearchMethod", "MaxNumLineSearchIterations",
        "GradientTolerance", "StepTolerance", "HistorySize", "InitialInverseHessianFactor",
        "CheckpointFrequency", "SequenceLength"]
    assert "MiniBatchSize" not in "\n".join(lbfgs) and lbfgs[-2].endswith('"auto"')


def test_preprocessing_environment_is_dispatch_in_background():
    assert trainingOptions('adam', PreprocessingEnvironment="background").DispatchInBackground
    opts = trainingOptions('adam', DispatchInBackground=True)
    assert opts.PreprocessingEnvironment == "background"
