"""dltoolbox: MATLAB Deep Learning Toolbox sequence networks in Python (NumPy / CuPy).

``from dltoolbox import *`` brings the MATLAB names a ported script uses bare.
"""

from .analysis import NetworkAnalysis, activations, analyzeNetwork
from .backend import gather, gpuArray
from .categorical import Categorical, categorical, categories, countcats, isordinal
from .datasets import japaneseVowelsTestData, japaneseVowelsTrainData
from .errors import DLToolboxError, DLTypeError, DLValueError
from .initializers import rng
from .interop.onnx_export import exportONNXNetwork
from .interop.onnx_import import importNetworkFromONNX, importONNXNetwork
from .io import load, save
from .layer_array import LayerArray, disp
from .layers import (
                     averagePooling1dLayer,
                     batchNormalizationLayer,
                     bilstmLayer,
                     classificationLayer,
                     clippedReluLayer,
                     convolution1dLayer,
                     dropoutLayer,
                     eluLayer,
                     flattenLayer,
                     fullyConnectedLayer,
                     geluLayer,
                     globalAveragePooling1dLayer,
                     globalMaxPooling1dLayer,
                     gruLayer,
                     layerNormalizationLayer,
                     leakyReluLayer,
                     lstmLayer,
                     maxPooling1dLayer,
                     regressionLayer,
                     reluLayer,
                     sequenceInputLayer,
                     sigmoidLayer,
                     softmaxLayer,
                     swishLayer,
                     tanhLayer,
)
from .network import (
                     SeriesNetwork,
                     assembleNetwork,
                     classify,
                     classifyAndUpdateState,
                     predict,
                     predictAndUpdateState,
                     resetState,
)
from .training import delete, gcp, parpool, trainingOptions, trainNetwork

__version__ = "0.1.0"

__all__ = [
    "sequenceInputLayer", "gruLayer", "lstmLayer", "bilstmLayer", "fullyConnectedLayer",
    "softmaxLayer", "classificationLayer", "regressionLayer", "dropoutLayer",
    "LayerArray", "disp", "SeriesNetwork", "assembleNetwork", "predict", "classify",
    "predictAndUpdateState", "classifyAndUpdateState", "resetState",
    "categorical", "categories", "countcats", "Categorical", "rng",
    "DLToolboxError", "DLValueError", "DLTypeError",
    "trainingOptions", "trainNetwork", "japaneseVowelsTrainData", "japaneseVowelsTestData",
    "save", "load", "exportONNXNetwork", "importNetworkFromONNX", "importONNXNetwork",
    "parpool", "gcp", "delete",
]

__all__ += [
    "reluLayer", "leakyReluLayer", "clippedReluLayer", "eluLayer", "tanhLayer", "sigmoidLayer",
    "swishLayer", "geluLayer", "isordinal", "batchNormalizationLayer", "layerNormalizationLayer",
    "convolution1dLayer", "maxPooling1dLayer", "averagePooling1dLayer", "globalMaxPooling1dLayer",
    "globalAveragePooling1dLayer", "flattenLayer", "activations", "analyzeNetwork",
    "NetworkAnalysis",
]

from .dlnetwork import dlnetwork, forward, initialize, summary  # noqa: E402
from .table import Table  # noqa: E402

__all__ += ["dlnetwork", "initialize", "forward", "summary", "Table"]

from .inference import minibatchpredict, scores2label, testnet  # noqa: E402
from .metrics import (  # noqa: E402
    accuracyMetric,
    aucMetric,
    fScoreMetric,
    mapeMetric,
    precisionMetric,
    recallMetric,
    rmseMetric,
    rSquaredMetric,
)
from .training.schedules import (  # noqa: E402
    cosineLearnRate,
    cyclicalLearnRate,
    exponentialLearnRate,
    piecewiseLearnRate,
    polynomialLearnRate,
    warmupLearnRate,
)
from .training.trainnet import TrainingInfo, trainnet  # noqa: E402

__all__ += ["minibatchpredict", "scores2label", "testnet", "trainnet", "TrainingInfo",
            "piecewiseLearnRate", "warmupLearnRate", "polynomialLearnRate",
            "exponentialLearnRate", "cosineLearnRate", "cyclicalLearnRate",
            "accuracyMetric", "aucMetric", "fScoreMetric", "precisionMetric", "recallMetric",
            "rmseMetric", "mapeMetric", "rSquaredMetric"]

from .layer_graph import (  # noqa: E402
    LayerGraph,
    addLayers,
    connectLayers,
    disconnectLayers,
    layerGraph,
    removeLayers,
    replaceLayer,
)
from .layers import additionLayer, concatenationLayer, multiplicationLayer  # noqa: E402

__all__ += ["LayerGraph", "layerGraph", "addLayers", "connectLayers", "disconnectLayers",
            "removeLayers", "replaceLayer", "additionLayer", "concatenationLayer",
            "multiplicationLayer"]

from .dl import (  # noqa: E402 - custom training loops (issue 17)
                 adamupdate,
                 arrayDatastore,
                 attention,
                 batchnorm,
                 binarycrossentropy,
                 combine,
                 crossentropy,
                 dims,
                 dlarray,
                 dlconv,
                 dlfeval,
                 dlgradient,
                 dlupdate,
                 dropout,
                 embed,
                 extractdata,
                 finddim,
                 fullyconnect,
                 gelu,
                 gru,
                 hasdata,
                 huber,
                 indexcrossentropy,
                 isdlarray,
                 l1loss,
                 l2loss,
                 labels_row,
                 layernorm,
                 leakyrelu,
                 lstm,
                 minibatchqueue,
                 mse,
                 onehotdecode,
                 onehotencode,
                 padsequences,
                 relu,
                 reset,
                 rmspropupdate,
                 sgdmupdate,
                 shuffle,
                 sigmoid,
                 softmax,
                 stripdims,
                 trainingProgressMonitor,
)

__all__ += [
    "dlarray", "dims", "stripdims", "extractdata", "finddim", "isdlarray", "dlfeval",
    "dlgradient", "fullyconnect", "lstm", "gru", "softmax", "sigmoid", "relu", "leakyrelu",
    "gelu", "dropout", "batchnorm", "layernorm", "dlconv", "embed", "attention", "crossentropy",
    "indexcrossentropy", "binarycrossentropy", "mse", "l1loss", "l2loss", "huber",
    "adamupdate", "sgdmupdate",
    "rmspropupdate", "dlupdate", "minibatchqueue", "hasdata", "shuffle", "reset",
    "arrayDatastore", "combine", "padsequences", "onehotencode", "onehotdecode", "labels_row",
    "trainingProgressMonitor",
]

__all__ += ["gather", "gpuArray"]


def _name_call_errors():
    """Every public function answers a call with too few, too many or unknown arguments
    with a named error (``dltoolbox:<function>:NotEnoughInputs``, ...), as MATLAB's
    'Not enough input arguments.'"""
    import inspect

    from .errors import named_arity
    names = globals()
    for name in __all__:
        if inspect.isfunction(names[name]):
            names[name] = named_arity(names[name], name)
        elif inspect.isclass(names[name]) and not issubclass(names[name], Exception):
            cls = names[name]
            cls.__init__ = named_arity(cls.__init__, name)


_name_call_errors()
