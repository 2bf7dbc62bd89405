"""Layers: one file per layer, each a constructor with MATLAB's name plus its class."""

from ._base import Layer
from .bilstm import BiLSTMLayer, bilstmLayer
from .classification import ClassificationOutputLayer, classificationLayer
from .dropout import DropoutLayer, dropoutLayer
from .fully_connected import FullyConnectedLayer, fullyConnectedLayer
from .gru import GRULayer, gruLayer
from .lstm import LSTMLayer, lstmLayer
from .regression import RegressionOutputLayer, regressionLayer
from .sequence_input import SequenceInputLayer, sequenceInputLayer
from .softmax import SoftmaxLayer, softmaxLayer

__all__ = ["Layer", "ClassificationOutputLayer", "classificationLayer", "DropoutLayer",
           "dropoutLayer", "FullyConnectedLayer", "fullyConnectedLayer", "GRULayer", "gruLayer",
           "LSTMLayer", "lstmLayer", "BiLSTMLayer", "bilstmLayer",
           "RegressionOutputLayer", "regressionLayer", "SequenceInputLayer",
           "sequenceInputLayer", "SoftmaxLayer", "softmaxLayer"]
