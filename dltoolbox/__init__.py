"""dltoolbox: MATLAB Deep Learning Toolbox sequence networks in Python (NumPy / CuPy).

``from dltoolbox import *`` brings the MATLAB names a ported script uses bare.
"""

from .categorical import Categorical, categorical, categories, countcats
from .datasets import japaneseVowelsTestData, japaneseVowelsTrainData
from .errors import DLToolboxError, DLTypeError, DLValueError
from .initializers import rng
from .io import load, save
from .layer_array import LayerArray, disp
from .layers import (
                     classificationLayer,
                     dropoutLayer,
                     fullyConnectedLayer,
                     gruLayer,
                     regressionLayer,
                     sequenceInputLayer,
                     softmaxLayer,
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
    "sequenceInputLayer", "gruLayer", "fullyConnectedLayer", "softmaxLayer",
    "classificationLayer", "regressionLayer", "dropoutLayer",
    "LayerArray", "disp", "SeriesNetwork", "assembleNetwork", "predict", "classify",
    "predictAndUpdateState", "classifyAndUpdateState", "resetState",
    "categorical", "categories", "countcats", "Categorical", "rng",
    "DLToolboxError", "DLValueError", "DLTypeError",
    "trainingOptions", "trainNetwork", "japaneseVowelsTrainData", "japaneseVowelsTestData",
    "save", "load", "parpool", "gcp", "delete",
]
