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
from .training import trainingOptions, trainNetwork

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
]

__all__ += [
    "reluLayer", "leakyReluLayer", "clippedReluLayer", "eluLayer", "tanhLayer", "sigmoidLayer",
    "swishLayer", "geluLayer", "isordinal", "batchNormalizationLayer", "layerNormalizationLayer",
    "convolution1dLayer", "maxPooling1dLayer", "averagePooling1dLayer", "globalMaxPooling1dLayer",
    "globalAveragePooling1dLayer", "flattenLayer", "activations", "analyzeNetwork",
    "NetworkAnalysis",
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
