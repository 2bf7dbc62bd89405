"""Custom training loops: dlarray, dlfeval, dlgradient, functional ops, losses, updates."""

from .attention import attention
from .autodiff import dlfeval, dlgradient
from .dlarray import (
    cat,
    dims,
    dlarray,
    extractdata,
    finddim,
    isdlarray,
    mtimes,
    permute,
    reduce_max,
    reduce_mean,
    reduce_sum,
    reshape,
    stripdims,
)
from .losses import (
    binarycrossentropy,
    crossentropy,
    huber,
    indexcrossentropy,
    l1loss,
    l2loss,
    mse,
)
from .minibatchqueue import (
    arrayDatastore,
    combine,
    hasdata,
    labels_row,
    minibatchqueue,
    onehotdecode,
    onehotencode,
    padsequences,
    reset,
    shuffle,
    trainingProgressMonitor,
)
from .network_ops import dlforward, dlpredict
from .ops import (
    batchnorm,
    dlconv,
    dropout,
    embed,
    fullyconnect,
    gelu,
    gru,
    layernorm,
    leakyrelu,
    lstm,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from .updates import adamupdate, dlupdate, rmspropupdate, sgdmupdate

__all__ = ["dlarray", "dims", "stripdims", "extractdata", "finddim", "isdlarray", "cat",
           "mtimes", "permute", "reshape", "reduce_sum", "reduce_mean", "reduce_max",
           "dlfeval", "dlgradient", "fullyconnect", "lstm", "gru", "relu", "leakyrelu",
           "gelu", "sigmoid", "tanh", "softmax", "dropout", "batchnorm", "layernorm",
           "dlconv", "embed", "attention", "crossentropy", "indexcrossentropy",
           "binarycrossentropy", "l2loss", "l1loss", "huber",
           "mse", "dlforward", "dlpredict", "adamupdate", "sgdmupdate", "rmspropupdate",
           "dlupdate", "arrayDatastore", "combine", "labels_row", "hasdata", "minibatchqueue",
           "onehotdecode", "onehotencode", "padsequences", "reset", "shuffle",
           "trainingProgressMonitor"]
