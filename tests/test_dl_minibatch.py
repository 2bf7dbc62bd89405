"""minibatchqueue, padsequences, onehotencode/onehotdecode, trainingProgressMonitor."""

import io

import numpy as np
import pytest

from dltoolbox import categorical
from dltoolbox.dl import (
    arrayDatastore,
    combine,
    dims,
    extractdata,
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
from dltoolbox.errors import DLToolboxError
from dltoolbox.initializers import rng

SEQS = [np.full((2, t), float(t)) for t in (3, 5, 2, 4, 6)]
LABELS = categorical(["a", "b", "a", "c", "b"])


def _fcn(X, Y):
    return padsequences(X, 2), onehotencode(labels_row(Y), 1)


def _queue(**kw):
    ds = combine(arrayDatastore(SEQS, OutputType="same"), arrayDatastore(LABELS))
    return minibatchqueue(ds, 2, MiniBatchSize=2, MiniBatchFcn=_fcn,
                          MiniBatchFormat=["CTB", "CB"], **kw)


def test_queue_batches_formats_partial_and_end():
    mbq = _queue()
    X, T = next(mbq)
    assert dims(X) == "CBT" and X.size() == (2, 2, 5) and dims(T) == "CB"
    assert extractdata(T).tolist() == [[1, 0], [0, 1], [0, 0]]
    assert extractdata(X).dtype == np.float32
    assert extractdata(X)[0, 0].tolist() == [3, 3, 3, 0, 0]
    next(mbq)
    assert hasdata(mbq)
    X, _ = next(mbq)            # the partial mini-batch ('return')
    assert X.size(2) == 1 and not hasdata(mbq)
    with pytest.raises(DLToolboxError) as info:
        next(mbq)
    assert "end of data reached" in str(info.value)
    reset(mbq)
    assert hasdata(mbq)
    mbq = _queue(PartialMiniBatch="discard")
    count = 0
    while hasdata(mbq):
        next(mbq)
        count += 1
    assert count == 2


def test_shuffle_is_reproducible_with_rng():
    def first_batch():
        mbq = _queue(OutputAsDlarray=[0, 1])
        rng(4)
        shuffle(mbq)
        return next(mbq)[0]

    a, b = first_batch(), first_batch()
    assert isinstance(a, np.ndarray) and np.array_equal(a, b)


def test_default_display_and_collate():
    mbq = minibatchqueue(arrayDatastore(np.arange(6.0).reshape(6, 1)))
    assert repr(mbq).splitlines()[0] == "minibatchqueue with 1 output and properties:"
    assert "MiniBatchSize: 128" in repr(mbq) and "OutputCast: {'single'}" in repr(mbq)
    X = next(mbq)
    assert X.size() == (1, 1, 6) or X.size() == (1, 6)


def test_padsequences_left_and_mask():
    P, M = padsequences(SEQS[:2], 2, "Direction", "left", "PaddingValue", -1, nargout=2)
    assert P[0, :, 0].tolist() == [-1, -1, 3, 3, 3] and M[0, :, 0].tolist() == [0, 0, 1, 1, 1]


def test_onehot_round_trip_and_errors():
    E = onehotencode(LABELS, 2)
    assert E.shape == (5, 3) and E.dtype == np.float32
    assert onehotdecode(E, ["a", "b", "c"], 2).tolist() == LABELS.tolist()
    with pytest.raises(DLToolboxError):
        onehotencode(LABELS, 1)
    with pytest.raises(DLToolboxError):
        onehotdecode(E, ["a", "b"], 2)


def test_monitor_text():
    out = io.StringIO()
    m = trainingProgressMonitor(Metrics="TrainingLoss", Info=["Epoch"], PrintFrequency=2,
                                stream=out)
    m.updateInfo(Epoch=1)
    for step in (1, 2, 3):
        m.recordMetrics(step, TrainingLoss=1.0 / step)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Iteration 1  TrainingLoss 1  Epoch 1")
    with pytest.raises(DLToolboxError):
        m.recordMetrics(4, Accuracy=1)
