"""Layers: one file per layer, each a constructor with MATLAB's name plus its class."""

from ._base import Layer
from .classification import ClassificationOutputLayer, classificationLayer
from .dropout import DropoutLayer, dropoutLayer
from .fully_connected import FullyConnectedLayer, fullyConnectedLayer
from .gru import GRULayer, gruLayer
from .regression import RegressionOutputLayer, regressionLayer
from .sequence_input import SequenceInputLayer, sequenceInputLayer
from .softmax import SoftmaxLayer, softmaxLayer

__all__ = ["Layer", "ClassificationOutputLayer", "classificationLayer", "DropoutLayer",
           "dropoutLayer", "FullyConnectedLayer", "fullyConnectedLayer", "GRULayer", "gruLayer",
           "RegressionOutputLayer", "regressionLayer", "SequenceInputLayer",
           "sequenceInputLayer", "SoftmaxLayer", "softmaxLayer"]
