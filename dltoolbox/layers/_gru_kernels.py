"""GRU forward and backward over a whole (T, B, D) sequence batch, array-module agnostic.

Layout: X (T, B, D); hidden states hs (T+1, B, H) with hs[0] = h_0; gate outputs
``gates`` (T, B, 3H) holding r | z | n per step. Weight matrices keep MATLAB's layout
(3H-by-D, 3H-by-H, gate blocks r, z, h). See gru.py for the equations.

Work per call: one GEMM for the input projections of all steps; per step one recurrent
GEMM (against a contiguous copy of R^T, the orientation BLAS prefers) and the gate math on
preallocated buffers; backward: one GEMM per step for dh_{t-1}, then one GEMM each for
dW, dR and dX over all steps.
"""

from collections import namedtuple

from ..backend import get_xp
from ._activations import ACTIVATIONS

GRUParams = namedtuple("GRUParams", "W R b mode gate state")

AFTER, BEFORE, RBIAS = ("after-multiplication", "before-multiplication",
                        "recurrent-bias-after-multiplication")


def forward(p, X, h0, need_cache=True):
    """Run the GRU; returns (hs, cache). hs[1:] are the outputs, hs[-1] the final state."""
    xp = get_xp(X)
    T, B, D = X.shape
    H = p.R.shape[1]
    H2 = 2 * H
    gate_fn, _ = ACTIVATIONS[p.gate]
    state_fn, _ = ACTIVATIONS[p.state]
    dtype = X.dtype

    gx = xp.matmul(X.reshape(T * B, D), p.W.T).reshape(T, B, 3 * H)
    gx += p.b[:3 * H]
    hs = xp.empty((T + 1, B, H), dtype=dtype)
    hs[0] = h0
    gates = xp.empty((T, B, 3 * H), dtype=dtype) if need_cache else \
        xp.empty((1, B, 3 * H), dtype=dtype)
    # 'after'/'rbias': keep R_h h_{t-1} (+ b_Rh) for dr; 'before': keep r * h_{t-1} for dR_h.
    aux = xp.empty((T if need_cache else 1, B, H), dtype=dtype)
    gh = xp.empty((B, 3 * H), dtype=dtype)

    if p.mode == BEFORE:
        r_rz_t = xp.ascontiguousarray(p.R[:H2].T)
        r_n_t = xp.ascontiguousarray(p.R[H2:].T)
    else:
        r_t = xp.ascontiguousarray(p.R.T)
        b_rec = p.b[3 * H:] if p.mode == RBIAS else None

    for t in range(T):
        g = gates[t if need_cache else 0]
        a = aux[t if need_cache else 0]
        h_prev = hs[t]
        if p.mode == BEFORE:
            xp.matmul(h_prev, r_rz_t, out=gh[:, :H2])
        else:
            xp.matmul(h_prev, r_t, out=gh)
            if b_rec is not None:
                gh += b_rec
        xp.add(gx[t, :, :H2], gh[:, :H2], out=g[:, :H2])
        gate_fn(g[:, :H2])
        r = g[:, :H]
        z = g[:, H:H2]
        n = g[:, H2:]
        if p.mode == BEFORE:
            xp.multiply(r, h_prev, out=a)
            xp.matmul(a, r_n_t, out=n)
        else:
            a[...] = gh[:, H2:]
            xp.multiply(r, a, out=n)
        n += gx[t, :, H2:]
        state_fn(n)
        h = hs[t + 1]
        xp.subtract(h_prev, n, out=h)   # h_t = n + z (h_{t-1} - n)
        h *= z
        h += n
    return hs, (gates, aux)


def backward(p, X, hs, cache, dY, last):
    """Gradients of the GRU; dY is (T, B, H), or (B, H) when only h_T was output."""
    xp = get_xp(X)
    gates, aux = cache
    T, B, D = X.shape
    H = p.R.shape[1]
    H2 = 2 * H
    _, d_gate = ACTIVATIONS[p.gate]
    _, d_state = ACTIVATIONS[p.state]
    dtype = X.dtype

    dgx = xp.empty((T, B, 3 * H), dtype=dtype)     # d(pre-activation), input side
    dgh_n = xp.empty((T, B, H), dtype=dtype)       # n-block of the recurrent-side gradient
    dh = xp.zeros((B, H), dtype=dtype)
    R_rz = p.R[:H2]
    R_n = p.R[H2:]
    for t in range(T - 1, -1, -1):
        if not last:
            dh += dY[t]
        elif t == T - 1:
            dh += dY
        g = gates[t]
        r, z, n = g[:, :H], g[:, H:H2], g[:, H2:]
        h_prev = hs[t]
        d = dgx[t]
        dar, daz, dan = d[:, :H], d[:, H:H2], d[:, H2:]
        xp.subtract(h_prev, n, out=daz)
        daz *= dh
        daz *= d_gate(z)                                # dz * sg'(.)
        xp.subtract(1.0, z, out=dan)
        dan *= dh
        dan *= d_state(n)                               # dn * ss'(.)
        dh_prev = dh * z
        if p.mode == BEFORE:
            d_rh = xp.matmul(dan, R_n)                  # d(r * h_prev)
            xp.multiply(d_rh, h_prev, out=dar)
            dar *= d_gate(r)
            dh_prev += d_rh * r
            dh_prev += xp.matmul(d[:, :H2], R_rz)
        else:
            xp.multiply(dan, aux[t], out=dar)          # dr = dan * (R_h h_prev [+ b_Rh])
            dar *= d_gate(r)
            xp.multiply(dan, r, out=dgh_n[t])
            dh_prev += xp.matmul(d[:, :H2], R_rz)
            dh_prev += xp.matmul(dgh_n[t], R_n)
        dh = dh_prev

    d2 = dgx.reshape(T * B, 3 * H)
    dW = xp.matmul(d2.T, X.reshape(T * B, D))
    dX = xp.matmul(d2, p.W).reshape(T, B, D)
    h_prev_all = hs[:T].reshape(T * B, H)
    dR = xp.empty_like(p.R)
    xp.matmul(d2[:, :H2].T, h_prev_all, out=dR[:H2])
    n_input = aux.reshape(T * B, H) if p.mode == BEFORE else h_prev_all
    n_grad = d2[:, H2:] if p.mode == BEFORE else dgh_n.reshape(T * B, H)
    xp.matmul(n_grad.T, n_input, out=dR[H2:])
    db = d2.sum(axis=0)
    if p.mode == RBIAS:
        db_rec = xp.concatenate([db[:H2], dgh_n.reshape(T * B, H).sum(axis=0)])
        db = xp.concatenate([db, db_rec])
    grads = {"InputWeights": dW, "RecurrentWeights": dR, "Bias": db.reshape(-1, 1),
             "HiddenState": dh}
    return dX, grads
