"""Layers: one file per layer, each a constructor with MATLAB's name plus its class."""

from ._base import Layer
from .batch_normalization import BatchNormalizationLayer, batchNormalizationLayer
from .classification import ClassificationOutputLayer, classificationLayer
from .clipped_relu import ClippedReLULayer, clippedReluLayer
from .dropout import DropoutLayer, dropoutLayer
from .elu import ELULayer, eluLayer
from .fully_connected import FullyConnectedLayer, fullyConnectedLayer
from .gelu import GELULayer, geluLayer
from .gru import GRULayer, gruLayer
from .layer_normalization import LayerNormalizationLayer, layerNormalizationLayer
from .leaky_relu import LeakyReLULayer, leakyReluLayer
from .regression import RegressionOutputLayer, regressionLayer
from .relu import ReLULayer, reluLayer
from .sequence_input import SequenceInputLayer, sequenceInputLayer
from .sigmoid import SigmoidLayer, sigmoidLayer
from .softmax import SoftmaxLayer, softmaxLayer
from .swish import SwishLayer, swishLayer
from .tanh import TanhLayer, tanhLayer

__all__ = ["Layer", "ClassificationOutputLayer", "classificationLayer", "DropoutLayer",
           "dropoutLayer", "FullyConnectedLayer", "fullyConnectedLayer", "GRULayer", "gruLayer",
           "RegressionOutputLayer", "regressionLayer", "SequenceInputLayer",
           "sequenceInputLayer", "SoftmaxLayer", "softmaxLayer"]

__all__ += ["ReLULayer", "reluLayer", "LeakyReLULayer", "leakyReluLayer", "ClippedReLULayer",
            "clippedReluLayer", "ELULayer", "eluLayer", "TanhLayer", "tanhLayer", "SigmoidLayer",
            "sigmoidLayer", "SwishLayer", "swishLayer", "GELULayer", "geluLayer"]
__all__ += ["BatchNormalizationLayer", "batchNormalizationLayer", "LayerNormalizationLayer",
            "layerNormalizationLayer"]
