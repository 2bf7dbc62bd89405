"""Gate orders of the recurrent layers in MATLAB, ONNX, PyTorch and Keras: one table.

Weights of a recurrent layer stack one row block per gate (InputWeights is 3H-by-D for a
GRU, 4H-by-D for an LSTM); the libraries stack the blocks in different orders. Gates are
named here by their role:

GRU:  r reset, z update, h candidate (PyTorch calls it n, ONNX and Keras h)
LSTM: i input, f forget, g cell candidate (ONNX and Keras call it c), o output

======  ==========  ==========  ==========  ==========
layer   MATLAB      ONNX        PyTorch     Keras
======  ==========  ==========  ==========  ==========
GRU     r, z, h     z, r, h     r, z, h     z, r, h
LSTM    i, f, g, o  i, o, f, g  i, f, g, o  i, f, g, o
======  ==========  ==========  ==========  ==========

(Keras writes the LSTM order i, f, c, o: c is the cell candidate g.) Bidirectional layers
stack the forward direction's blocks and then the backward direction's, each in the
layer's order (MATLAB's bilstmLayer: 8H rows, forward i, f, g, o then backward i, f, g, o;
ONNX keeps the directions in a leading dimension of 2).
"""

import numpy as np

GATE_ORDER = {
    "gru": {"matlab": ("r", "z", "h"), "onnx": ("z", "r", "h"), "pytorch": ("r", "z", "h"),
            "keras": ("z", "r", "h")},
    "lstm": {"matlab": ("i", "f", "g", "o"), "onnx": ("i", "o", "f", "g"),
             "pytorch": ("i", "f", "g", "o"), "keras": ("i", "f", "g", "o")},
}


def permutation(cell, source, target):
    """Block indices p such that ``target block k = source block p[k]``.

    >>> permutation('gru', 'matlab', 'onnx')
    [1, 0, 2]
    >>> permutation('lstm', 'matlab', 'onnx')
    [0, 3, 1, 2]
    """
    src = GATE_ORDER[cell][source]
    return [src.index(g) for g in GATE_ORDER[cell][target]]


def reorder(a, cell, source, target):
    """``a`` (gate blocks stacked along axis 0) with its blocks in ``target``'s order.

    >>> reorder(np.arange(6), 'gru', 'matlab', 'onnx').tolist()
    [2, 3, 0, 1, 4, 5]
    """
    a = np.asarray(a)
    n = len(GATE_ORDER[cell][source])
    blocks = np.split(a, n, axis=0)
    return np.concatenate([blocks[p] for p in permutation(cell, source, target)], axis=0)


__all__ = ["GATE_ORDER", "permutation", "reorder"]
