"""Numpy forward/backward of the layers the digits network uses.

Layout NCHW.  Every convolution is stride 1 with 'same' zero padding and is
cross-correlation exactly as models.reference.conv2d (tap t = (dy+1)*3 + (dx+1)
reads x[y+dy, x+dx]).  3x3 convolutions are computed from the nine shifted
copies of the input (the Shift-PW view of the chip), 1x1 convolutions are a
matrix product over channels.
"""
from __future__ import annotations

import numpy as np


def shifts3(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, C, 9, H, W): out[:, :, t, y, x] = x[:, :, y+dy, x+dx], 0 outside."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    return np.stack([xp[:, :, ky:ky + h, kx:kx + w] for ky in range(3) for kx in range(3)], axis=2)


def shifts3_adjoint(g: np.ndarray) -> np.ndarray:
    """Adjoint of shifts3: (N, C, 9, H, W) -> (N, C, H, W)."""
    n, c, _, h, w = g.shape
    out = np.zeros((n, c, h + 2, w + 2), g.dtype)
    for t in range(9):
        ky, kx = divmod(t, 3)
        out[:, :, ky:ky + h, kx:kx + w] += g[:, :, t]
    return out[:, :, 1:-1, 1:-1]


def _cols(x: np.ndarray, k: int) -> np.ndarray:
    """Input columns (N*H*W, Cin*K*K), column index ci*K*K + t."""
    n, c, h, w = x.shape
    if k == 1:
        return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)
    return shifts3(x).transpose(0, 3, 4, 1, 2).reshape(n * h * w, c * 9)


def conv_forward(x: np.ndarray, w: np.ndarray):
    """conv2d (K in {1, 3}); returns (out, cache)."""
    n, c, h, wd = x.shape
    cout, cin, k, _ = w.shape
    assert cin == c and k in (1, 3)
    cols = _cols(x, k)
    out = cols @ w.reshape(cout, -1).T
    return out.reshape(n, h, wd, cout).transpose(0, 3, 1, 2), (cols, x.shape, w)


def conv_backward(dout: np.ndarray, cache, need_dx: bool = True):
    """Gradients (dx, dw) of conv_forward."""
    cols, xshape, w = cache
    n, c, h, wd = xshape
    cout, cin, k, _ = w.shape
    d = dout.transpose(0, 2, 3, 1).reshape(n * h * wd, cout)
    dw = (d.T @ cols).reshape(w.shape)
    if not need_dx:
        return None, dw
    dcols = d @ w.reshape(cout, -1)
    if k == 1:
        dx = dcols.reshape(n, h, wd, c).transpose(0, 3, 1, 2)
    else:
        dx = shifts3_adjoint(dcols.reshape(n, h, wd, c, 9).transpose(0, 3, 4, 1, 2))
    return dx, dw


def dw_forward(x: np.ndarray, wdw: np.ndarray):
    """Depth-wise 3x3: out[n,c] = sum_t wdw[c,t] * shift_t(x[n,c]); wdw (C, 9)."""
    x9 = shifts3(x)
    return np.einsum("ncthw,ct->nchw", x9, wdw, optimize=True), (x9, wdw)


def dw_backward(dout: np.ndarray, cache):
    x9, wdw = cache
    dwdw = np.einsum("nchw,ncthw->ct", dout, x9, optimize=True)
    dx = shifts3_adjoint(dout[:, :, None] * wdw[None, :, :, None, None])
    return dx, dwdw


def relu_forward(z: np.ndarray):
    return np.maximum(z, 0), z > 0


def relu_backward(dout: np.ndarray, mask: np.ndarray):
    return dout * mask


def gap_forward(x: np.ndarray):
    return x.mean(axis=(2, 3)), x.shape


def gap_backward(dout: np.ndarray, shape):
    n, c, h, w = shape
    return np.broadcast_to(dout[:, :, None, None] / (h * w), shape).copy()


def softmax_ce(logits: np.ndarray, y: np.ndarray):
    """Mean cross-entropy and its gradient w.r.t. logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y] + 1e-12).mean()
    g = p.copy()
    g[np.arange(n), y] -= 1
    return float(loss), g / n
