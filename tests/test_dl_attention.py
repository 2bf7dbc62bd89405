"""attention (MATLAB's multi-head scaled dot-product attention) against a float64 loop
written from the equations, torch's scaled_dot_product_attention where installed, and
float64 central differences."""

import numpy as np
import pytest

from dltoolbox import DLToolboxError, rng
from dltoolbox.dl import attention, dlarray, dlfeval, dlgradient, extractdata, tape
from tests.dl_checks import directional_errors


def reference(q, k, v, heads, scale=None, keep=None):
    """Q (Ck, B, Nq), K (Ck, B, Nk), V (Cv, B, Nk) -> Y (Cv, B, Nq), W (Nk, Nq, heads, B)."""
    ck, b, nq = q.shape
    nk = k.shape[2]
    dk, dv = ck // heads, v.shape[0] // heads
    scale = 1 / np.sqrt(dk) if scale is None else scale
    Y = np.zeros((v.shape[0], b, nq))
    W = np.zeros((nk, nq, heads, b))
    for h in range(heads):
        for n in range(b):
            Q, K, V = (a[h * d:(h + 1) * d, n, :] for a, d in ((q, dk), (k, dk), (v, dv)))
            for j in range(nq):
                s = scale * K.T @ Q[:, j]
                ok = np.ones(nk, bool) if keep is None else keep[n, :, j]
                w = np.zeros(nk)
                if ok.any():
                    e = np.exp(s[ok] - s[ok].max())
                    w[ok] = e / e.sum()
                W[:, j, h, n] = w
                Y[h * dv:(h + 1) * dv, n, j] = V @ w
    return Y, W


def _data(ck=4, cv=6, b=3, nq=5, nk=7, seed=0):
    rs = np.random.default_rng(seed)
    return (rs.standard_normal((ck, b, nq)), rs.standard_normal((ck, b, nk)),
            rs.standard_normal((cv, b, nk)))


@pytest.mark.parametrize("heads", [1, 2])
def test_values_and_weights_against_the_equations(heads):
    q, k, v = _data()
    Y, W = attention(*(dlarray(a.astype(np.float32), "CBT") for a in (q, k, v)), heads,
                     nargout=2)
    Yr, Wr = reference(q, k, v, heads)
    np.testing.assert_allclose(extractdata(Y), Yr, atol=2e-6)
    np.testing.assert_allclose(extractdata(W), Wr, atol=2e-7)
    assert extractdata(W).shape == (7, 5, heads, 3)


def test_masks_and_scale():
    q, k, v = _data(nq=6, nk=6)
    pad = np.ones((1, 3, 6))
    pad[0, 1, 4:] = 0                                  # observation 2: its last 2 keys pad
    am = np.random.default_rng(1).random((6, 6, 3)) > 0.3
    am[:, 0, 0] = False                                # a query that sees no key: zeros
    Y, W = attention(*(dlarray(a, "CBT") for a in (q, k, v)), 2, "Scale", 0.7,
                     "PaddingMask", dlarray(pad, "CBT"), "AttentionMask", am, nargout=2)
    keep = np.moveaxis(am, 2, 0) & (pad[0][:, :, None] != 0)
    Yr, Wr = reference(q, k, v, 2, 0.7, keep)
    np.testing.assert_allclose(extractdata(Y), Yr, atol=1e-12)
    np.testing.assert_allclose(extractdata(W), Wr, atol=1e-12)
    assert np.all(extractdata(Y)[:, 0, 0] == 0)
    Yc = attention(*(dlarray(a, "CBT") for a in (q, k, v)), 1, AttentionMask="causal")
    causal = np.broadcast_to(np.tril(np.ones((6, 6), bool)).T, (3, 6, 6))
    np.testing.assert_allclose(extractdata(Yc), reference(q, k, v, 1, None, causal)[0],
                               atol=1e-12)


def test_layouts_unformatted_and_without_batch():
    q, k, v = _data(b=1)
    Yr = reference(q, k, v, 2)[0]
    # "TCB" data: stored as CBT
    Y = attention(*(dlarray(np.transpose(a, (2, 0, 1)), "TCB") for a in (q, k, v)), 2)
    np.testing.assert_allclose(extractdata(Y), Yr, atol=1e-12)
    # unformatted with DataFormat: the output is unformatted, in the input's layout
    Yu = attention(*(np.transpose(a, (2, 0, 1)) for a in (q, k, v)), 2, DataFormat="TCB")
    np.testing.assert_allclose(extractdata(Yu), np.transpose(Yr, (2, 0, 1)), atol=1e-12)
    # "CT": no batch dimension
    Yt = attention(*(dlarray(a[:, 0], "CT") for a in (q, k, v)), 2)
    np.testing.assert_allclose(extractdata(Yt), Yr[:, 0], atol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    q, k, v = _data(ck=6, cv=6, nq=4, nk=5)
    heads = 3

    def split(a):       # (C, B, N) -> (B, heads, N, d)
        c, b, n = a.shape
        return torch.from_numpy(a.reshape(heads, c // heads, b, n).transpose(2, 0, 3, 1).copy())

    mask = np.random.default_rng(2).random((5, 4)) > 0.3
    mask[0] = True
    t = torch.nn.functional.scaled_dot_product_attention(
        split(q), split(k), split(v), attn_mask=torch.from_numpy(mask.T.copy()))
    expected = t.numpy().transpose(1, 3, 0, 2).reshape(6, 3, 4)
    Y = attention(*(dlarray(a, "CBT") for a in (q, k, v)), heads, AttentionMask=mask)
    np.testing.assert_allclose(extractdata(Y), expected, atol=1e-12)


@pytest.mark.parametrize("case", ["plain", "masked", "dropout", "CT"])
def test_gradients_against_central_differences(case):
    q, k, v = _data()
    c = np.random.default_rng(5).standard_normal((6, 3, 5))
    kwargs = {}
    fmts = ["CBT"] * 3
    if case == "masked":
        pad = np.ones((1, 3, 7))
        pad[0, 2, 5:] = 0
        kwargs = dict(PaddingMask=dlarray(pad, "CBT"), AttentionMask="causal")
    elif case == "dropout":
        kwargs = dict(DropoutProbability=0.3)
    elif case == "CT":
        q, k, v, c = q[:, 0], k[:, 0], v[:, 0], c[:, 0]
        fmts = ["CT"] * 3

    def inner(q, k, v):
        return (attention(q, k, v, 2, **kwargs) * dlarray(c, fmts[0])).sum("all")

    def fn(q, k, v):
        # dropout acts inside dlfeval only: the differences are taken there too
        return inner(q, k, v) if tape.current() is not None else dlfeval(inner, q, k, v)

    errors = directional_errors(fn, [q, k, v], fmts,
                                before=(lambda: rng(3)) if case == "dropout" else None)
    assert max(errors) < 1e-6, errors


def test_dropout_only_inside_dlfeval():
    q, k, v = (dlarray(a, "CBT") for a in _data())
    plain = extractdata(attention(q, k, v, 2))
    assert np.array_equal(extractdata(attention(q, k, v, 2, DropoutProbability=0.5)), plain)
    traced = dlfeval(lambda q: attention(q, k, v, 2, DropoutProbability=0.5), q)
    assert not np.allclose(extractdata(traced), plain)


def test_gradient_reaches_every_input():
    q, k, v = (dlarray(a, "CBT") for a in _data())
    grads = dlfeval(lambda q, k, v: dlgradient(attention(q, k, v, 2).sum("all"), [q, k, v]),
                    q, k, v)
    assert all(np.abs(extractdata(g)).max() > 0 for g in grads[1:])


@pytest.mark.parametrize("call, mnemonic", [
    (lambda q, k, v: attention(q, k, v, 3), "InvalidNumHeads"),
    (lambda q, k, v: attention(q, k[:2], v, 1), "SizeMismatch"),
    (lambda q, k, v: attention(q, k, v[:, :, :3], 1), "SizeMismatch"),
    (lambda q, k, v: attention(q, k, v, 0), "InvalidnumHeads"),
    (lambda q, k, v: attention(extractdata(q), k, v, 1), "UnformattedInput"),
    (lambda q, k, v: attention(q, k, v, 1, AttentionMask="future"), "InvalidAttentionMask"),
    (lambda q, k, v: attention(q, k, v, 1, AttentionMask=np.ones((2, 2))),
     "InvalidAttentionMask"),
    (lambda q, k, v: attention(q, k, v, 1, PaddingMask=np.ones((1, 3, 2))),
     "InvalidPaddingMask"),
    (lambda q, k, v: attention(q, k, v, 1, Scale=-1), "InvalidScale"),
    (lambda q, k, v: attention(q, k, v, 1, DropoutProbability=1),
     "InvalidDropoutProbability"),
    (lambda q, k, v: attention(q, k, v, 1, DataFormat="CBT"), "DataFormatOfFormatted"),
])
def test_bad_input_is_a_named_error(call, mnemonic):
    q, k, v = (dlarray(a, "CBT") for a in _data(ck=4, cv=4))
    with pytest.raises(DLToolboxError) as err:
        call(q, k, v)
    assert err.value.identifier.startswith("dltoolbox:attention:"), err.value.identifier
    assert err.value.identifier.endswith(mnemonic), err.value.identifier
