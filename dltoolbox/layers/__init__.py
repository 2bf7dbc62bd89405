"""Layers: one file per layer, each a constructor with MATLAB's name plus its class."""

from ._base import Layer
from .addition import AdditionLayer, additionLayer
from .average_pooling1d import AveragePooling1DLayer, averagePooling1dLayer
from .batch_normalization import BatchNormalizationLayer, batchNormalizationLayer
from .bilstm import BiLSTMLayer, bilstmLayer
from .classification import ClassificationOutputLayer, classificationLayer
from .clipped_relu import ClippedReLULayer, clippedReluLayer
from .concatenation import ConcatenationLayer, concatenationLayer
from .convolution1d import Convolution1DLayer, convolution1dLayer
from .dropout import DropoutLayer, dropoutLayer
from .elu import ELULayer, eluLayer
from .flatten import FlattenLayer, flattenLayer
from .fully_connected import FullyConnectedLayer, fullyConnectedLayer
from .gelu import GELULayer, geluLayer
from .global_average_pooling1d import GlobalAveragePooling1DLayer, globalAveragePooling1dLayer
from .global_max_pooling1d import GlobalMaxPooling1DLayer, globalMaxPooling1dLayer
from .gru import GRULayer, gruLayer
from .layer_normalization import LayerNormalizationLayer, layerNormalizationLayer
from .leaky_relu import LeakyReLULayer, leakyReluLayer
from .lstm import LSTMLayer, lstmLayer
from .max_pooling1d import MaxPooling1DLayer, maxPooling1dLayer
from .multiplication import MultiplicationLayer, multiplicationLayer
from .regression import RegressionOutputLayer, regressionLayer
from .relu import ReLULayer, reluLayer
from .sequence_input import SequenceInputLayer, sequenceInputLayer
from .sigmoid import SigmoidLayer, sigmoidLayer
from .softmax import SoftmaxLayer, softmaxLayer
from .swish import SwishLayer, swishLayer
from .tanh import TanhLayer, tanhLayer

__all__ = ["Layer", "ClassificationOutputLayer", "classificationLayer", "DropoutLayer",
           "dropoutLayer", "FullyConnectedLayer", "fullyConnectedLayer", "GRULayer", "gruLayer",
           "LSTMLayer", "lstmLayer", "BiLSTMLayer", "bilstmLayer",
           "RegressionOutputLayer", "regressionLayer", "SequenceInputLayer",
           "sequenceInputLayer", "SoftmaxLayer", "softmaxLayer"]

__all__ += ["ReLULayer", "reluLayer", "LeakyReLULayer", "leakyReluLayer", "ClippedReLULayer",
            "clippedReluLayer", "ELULayer", "eluLayer", "TanhLayer", "tanhLayer", "SigmoidLayer",
            "sigmoidLayer", "SwishLayer", "swishLayer", "GELULayer", "geluLayer"]
__all__ += ["BatchNormalizationLayer", "batchNormalizationLayer", "LayerNormalizationLayer",
            "layerNormalizationLayer"]
__all__ += ["Convolution1DLayer", "convolution1dLayer", "MaxPooling1DLayer",
            "maxPooling1dLayer", "AveragePooling1DLayer", "averagePooling1dLayer",
            "GlobalMaxPooling1DLayer", "globalMaxPooling1dLayer", "GlobalAveragePooling1DLayer",
            "globalAveragePooling1dLayer", "FlattenLayer", "flattenLayer"]
__all__ += ["AdditionLayer", "additionLayer", "ConcatenationLayer", "concatenationLayer",
            "MultiplicationLayer", "multiplicationLayer"]
