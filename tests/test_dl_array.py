"""dlarray formats, functions and the named errors of dlfeval/dlgradient and the ops."""

import numpy as np
import pytest

from dltoolbox import dl
from dltoolbox.dl import (
    dims,
    dlarray,
    dlfeval,
    dlgradient,
    extractdata,
    finddim,
    stripdims,
)
from dltoolbox.errors import DLToolboxError


def ident(call):
    with pytest.raises(DLToolboxError) as info:
        call()
    return info.value.identifier


def test_reordering_rule_and_dims():
    A = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)     # T x C x B
    X = dlarray(A, "TCB")
    assert dims(X) == "CBT" and X.size() == (3, 4, 2)
    assert extractdata(X)[1, 2, 0] == A[0, 1, 2]
    assert dims(dlarray(np.zeros((5, 6, 1, 2)), "SSBC")) == "SSCB"
    assert dims(dlarray(np.zeros((4, 2)), "BC")) == "CB"
    assert finddim(X, "T") == [3] and finddim(X, "S") == []
    assert dims(stripdims(X)) == "" and stripdims(X).size() == (3, 4, 2)
    assert extractdata(X).dtype == np.float32
    # trailing singleton dimensions: a C-by-1 matrix labelled "CB"
    assert dlarray(np.ones(5), "CB").size() == (5, 1)
    assert dlarray(np.ones((3, 1)), "CBT").size() == (3, 1, 1)


def test_display():
    text = repr(dlarray(np.zeros((5, 7), np.float32), "CB"))
    assert text.splitlines()[0] == "  5(C) × 7(B) dlarray"
    assert repr(dlarray(np.float32(5.2061))).splitlines()[0] == "  1×1 dlarray"


def test_arithmetic_keeps_format_and_expands_like_matlab():
    X = dlarray(np.ones((3, 4, 5)), "CBT")
    b = np.arange(3.0).reshape(3, 1)              # C-by-1 expands over B and T
    Y = X + b
    assert dims(Y) == "CBT" and extractdata(Y)[2, 3, 4] == 3.0
    assert dims(X > 0) == "CBT" and extractdata(X > 0).dtype == bool
    assert dims(np.exp(X)) == "CBT"
    assert float(X.sum("all")) == 60.0
    assert X.sum(3).size() == (3, 4, 1) and X.mean(finddim(X, "B")).size() == (3, 1, 5)
    vals, idx = dl.reduce_max(dlarray(np.array([[1.0, 5.0], [3.0, 2.0]])), 1, nargout=2)
    assert extractdata(idx).tolist() == [[2, 1]]
    assert dims(X[:, :2, :]) == "CBT" and dims(X[0]) == ""
    assert dims(dl.cat("B", X, X)) == "CBT" and dl.cat("B", X, X).size() == (3, 8, 5)
    assert extractdata(dl.reshape(dlarray(np.arange(6.0).reshape(2, 3)), 3, 2)).tolist() == \
        [[0.0, 4.0], [3.0, 2.0], [1.0, 5.0]]           # column-major, as MATLAB


def test_dlgradient_structures_and_zero_for_unused():
    def model(p, x):
        y = (p["w"] * x).sum("all") + (p["b"] ** 2).sum("all")
        return y, dlgradient(y, p), dlgradient(y, [x, p["unused"]], "RetainData", True)

    p = {"w": dlarray(np.array([1.0, 2.0])), "b": dlarray(np.array([3.0])),
         "unused": dlarray(np.ones(2))}
    y, g, (gx, gu) = dlfeval(model, p, dlarray(np.array([5.0, 7.0]), "CB"))
    assert float(y) == 28.0
    assert extractdata(g["w"]).ravel().tolist() == [5.0, 7.0]
    assert extractdata(g["b"]).tolist() == [6.0]
    assert dims(gx) == "CB" and extractdata(gx).ravel().tolist() == [1.0, 2.0]
    assert extractdata(gu).tolist() == [0.0, 0.0]
    assert y._node is None       # outputs come back untraced


def test_dlgradient_errors():
    x = dlarray(np.ones(3))
    assert ident(lambda: dlgradient(x.sum(), x)) == "dltoolbox:dlgradient:NotInDlfeval"
    assert ident(lambda: dlfeval(lambda v: dlgradient(v * 2, v), x)) == \
        "dltoolbox:dlgradient:NonScalar"
    outside = dlarray(np.ones(2))
    assert ident(lambda: dlfeval(lambda v: dlgradient(v.sum(), outside), x)) == \
        "dltoolbox:dlgradient:NotTraced"
    assert ident(lambda: dlfeval(lambda v: dlgradient(v.sum(), v,
                                                      EnableHigherDerivatives=True), x)) == \
        "dltoolbox:dlgradient:NotSupported"
    assert ident(lambda: dlfeval(lambda v: dlgradient(3.0, v), x)) == \
        "dltoolbox:dlgradient:NotDlarray"
    assert ident(lambda: dlfeval(lambda v: dlgradient(v.sum()), x)) == \
        "dltoolbox:dlgradient:NotEnoughInputs"
    assert ident(lambda: dlfeval(3)) == "dltoolbox:dlfeval:InvalidFunction"


def test_format_errors():
    z = np.zeros
    ct = dlarray(np.ones((2, 5)), "CT")
    assert ident(lambda: dlarray(np.ones((2, 3, 4)), "CB")) == "dltoolbox:dlarray:FormatMismatch"
    assert ident(lambda: dlarray(np.ones(2), "CC")) == "dltoolbox:dlarray:InvalidFormat"
    assert ident(lambda: dlarray(np.ones(2), "CX")) == "dltoolbox:dlarray:InvalidFormat"
    assert ident(lambda: dl.softmax(dlarray(np.ones((2, 3))))) == \
        "dltoolbox:softmax:InvalidDataFormat"
    assert ident(lambda: dl.fullyconnect(ct, z((3, 4)), z(3))) == \
        "dltoolbox:fullyconnect:SizeMismatch"
    assert ident(lambda: dl.lstm(dlarray(np.ones((2, 3)), "CB"), z((1, 1)), z((1, 1)),
                                 z((4, 2)), z((4, 1)), z(4))) == "dltoolbox:lstm:InvalidDataFormat"
    assert ident(lambda: dl.gru(ct, z((2, 1)), z((6, 2)), z((6, 2)), z(5))) == \
        "dltoolbox:gru:InvalidWeights"
    Y = dlarray(np.full((3, 2, 4), 1 / 3), "CBT")
    assert ident(lambda: dl.crossentropy(Y, dlarray(np.ones((3, 2, 4)), "CBU"))) == \
        "dltoolbox:crossentropy:FormatMismatch"
    assert ident(lambda: dl.crossentropy(Y, np.ones((3, 2)))) == \
        "dltoolbox:crossentropy:SizeMismatch"
    assert ident(lambda: dl.crossentropy(stripdims(Y), np.ones((3, 2, 4)))) == \
        "dltoolbox:crossentropy:UnformattedInput"
    assert ident(lambda: dlarray(np.ones((2, 3))) + np.ones((3, 2))) == \
        "dltoolbox:add:SizeMismatch"
    assert ident(lambda: dl.cat(1, dlarray(np.ones((2, 3))), dlarray(np.ones((2, 4))))) == \
        "dltoolbox:cat:SizeMismatch"


def test_losses_values():
    # the mse page example: a 6-by-6-by-1-by-1 'SSCB' array against ones, half sum over N
    X = dlarray(np.full((6, 6, 1, 1), 0.4623), "SSCB")
    assert float(dl.mse(X, np.ones((6, 6, 1, 1)))) == pytest.approx(36 * 0.5377 ** 2 / 2)
    # crossentropy of a sequence: summed over time, divided by the batch size
    Y = dlarray(np.full((2, 3, 4), 0.5), "CBT")
    T = np.zeros((2, 3, 4))
    T[0] = 1
    assert float(dl.crossentropy(Y, T)) == pytest.approx(4 * np.log(2))
    assert float(dl.crossentropy(Y, T, NormalizationFactor="all-elements")) == \
        pytest.approx(np.log(2))
    assert float(dl.crossentropy(Y, T, "NormalizationFactor", "none")) == \
        pytest.approx(12 * np.log(2))
    U = dl.crossentropy(stripdims(Y), T, "DataFormat", "CBT")
    assert dims(U) == "" and U.size() == (1, 1)


def _softmax_np(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def test_indexcrossentropy_values():
    rs = np.random.default_rng(5)
    K, N, T = 4, 3, 5
    P = _softmax_np(rs.standard_normal((K, N, T)))
    idx = rs.integers(1, K + 1, (N, T))
    picked = np.take_along_axis(P, idx[None] - 1, axis=0)[0]        # P(idx(n,t), n, t)
    Y = dlarray(P, "CBT")
    # independent formula: -sum log p over every target, divided by N (batch-size)
    assert float(dl.indexcrossentropy(Y, idx)) == pytest.approx(-np.log(picked).sum() / N)
    # same as crossentropy with one-hot targets, for every normalization
    onehot = (np.arange(1, K + 1)[:, None, None] == idx[None]).astype(float)
    for norm in ("batch-size", "all-elements", "mask-included", "none"):
        assert float(dl.indexcrossentropy(Y, idx, NormalizationFactor=norm)) == \
            pytest.approx(float(dl.crossentropy(Y, onehot, NormalizationFactor=norm)))
    # targets with a channel dimension of 1, as a formatted dlarray in another order, or
    # unformatted Y with 'DataFormat' (the targets then in that order without C)
    ref = float(dl.indexcrossentropy(Y, idx))
    assert float(dl.indexcrossentropy(Y, idx[None])) == pytest.approx(ref)
    assert float(dl.indexcrossentropy(Y, dlarray(idx.T.astype(float), "TB"))) == \
        pytest.approx(ref)
    assert float(dl.indexcrossentropy(P.transpose(2, 0, 1), idx.T, DataFormat="TCB")) == \
        pytest.approx(ref)
    # class weights (third argument or 'Weights'), a mask without C
    w = np.array([1.0, 2.0, 0.5, 3.0])
    mask = rs.uniform(size=(N, T)) > 0.4
    expect = -(w[idx - 1] * np.log(picked) * mask).sum() / mask.sum()
    got = dl.indexcrossentropy(Y, idx, w, Mask=mask, NormalizationFactor="mask-included")
    assert float(got) == pytest.approx(expect)
    assert float(dl.indexcrossentropy(Y, idx, Weights=w, Mask=mask[None],
                                      NormalizationFactor="mask-included")) == \
        pytest.approx(expect)
    # a "CB" batch with a vector of labels
    assert float(dl.indexcrossentropy(dlarray(P[:, :, 0], "CB"), idx[:, 0])) == \
        pytest.approx(-np.log(picked[:, 0]).mean())


def test_indexcrossentropy_errors():
    Y = dlarray(np.full((3, 2, 4), 1 / 3), "CBT")
    good = np.ones((2, 4), int)
    assert ident(lambda: dl.indexcrossentropy(Y, np.ones((4, 2)))) == \
        "dltoolbox:indexcrossentropy:SizeMismatch"
    for bad in (np.zeros((2, 4)), np.full((2, 4), 4), np.full((2, 4), 1.5),
                np.array([["a"] * 4] * 2)):
        assert ident(lambda b=bad: dl.indexcrossentropy(Y, b)) == \
            "dltoolbox:indexcrossentropy:InvalidTargets"
    assert ident(lambda: dl.indexcrossentropy(Y, good, ClassificationMode="multilabel")) == \
        "dltoolbox:indexcrossentropy:InvalidClassificationMode"
    assert ident(lambda: dl.indexcrossentropy(Y, dlarray(good.astype(float), "BC"))) == \
        "dltoolbox:indexcrossentropy:FormatMismatch"
    assert ident(lambda: dl.indexcrossentropy(stripdims(Y), good)) == \
        "dltoolbox:indexcrossentropy:UnformattedInput"
    assert ident(lambda: dl.indexcrossentropy(Y, good, np.ones(3), Weights=np.ones(3))) == \
        "dltoolbox:indexcrossentropy:DuplicateWeights"
    assert ident(lambda: dl.indexcrossentropy(dlarray(np.ones((2, 3)), "BT"), good)) == \
        "dltoolbox:indexcrossentropy:InvalidDataFormat"


def test_untraced_operators_match_the_traced_path():
    """Untraced arithmetic and comparisons with a Python number, a same-sized array or
    dlarray run the array operation directly (dlarray._binary); inside dlfeval the same
    expressions go through apply_ufunc. Same values, dtypes and formats."""
    rng = np.random.default_rng(9)
    a = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    b = rng.uniform(0.5, 2, (3, 4)).astype(np.float32)
    exprs = [lambda x, y: x + y, lambda x, y: y - x, lambda x, y: x * 2.5,
             lambda x, y: 3 / x, lambda x, y: x / y, lambda x, y: y * x, lambda x, y: 1 - x,
             lambda x, y: x > y, lambda x, y: x <= 1.0, lambda x, y: x == y,
             lambda x, y: x != 2, lambda x, y: np.sqrt(x), lambda x, y: x + b,
             lambda x, y: b - x]
    for make_y in (lambda: dlarray(b, "CB"), lambda: dlarray(b)):
        for f in exprs:
            plain = f(dlarray(a, "CB"), make_y())
            traced = dlfeval(lambda x, f=f, make_y=make_y: f(x, make_y()), dlarray(a, "CB"))
            assert isinstance(plain, dlarray) and dims(plain) == dims(traced)
            assert extractdata(plain).dtype == extractdata(traced).dtype
            np.testing.assert_array_equal(extractdata(plain), extractdata(traced))
