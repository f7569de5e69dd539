"""Reference operations, written to be obviously right rather than fast.

These define what a layer computes.  Nothing here knows about tiles, words,
lanes or the ISA: the compiler, the instruction-level simulator and the RTL
are all checked against these functions.
"""
from __future__ import annotations

import numpy as np

from .spec import ACT_MAX, ACT_MIN


def conv2d(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Stride-1 'same' cross-correlation, as torch.nn.functional.conv2d with
    padding=K//2: out[co,y,x] = sum_ci,ky,kx w[co,ci,ky,kx] * x[ci, y+ky-K//2, x+kx-K//2],
    zero outside the image.  x: (Cin,H,W), w: (Cout,Cin,K,K), K odd."""
    x = np.asarray(x, np.int64)
    w = np.asarray(w, np.int64)
    cin, h, wd = x.shape
    cout, cin_w, k, k2 = w.shape
    assert cin == cin_w and k == k2 and k % 2 == 1
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = np.zeros((cout, h, wd), np.int64)
    for ky in range(k):
        for kx in range(k):
            patch = xp[:, ky:ky + h, kx:kx + wd]            # x[ci, y+ky-p, x+kx-p]
            out += np.einsum("oc,chw->ohw", w[:, :, ky, kx], patch)
    return out


def conv2d_loops(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The same definition as plain loops; checks conv2d on tiny shapes."""
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    p = k // 2
    out = np.zeros((cout, h, wd), np.int64)
    for co in range(cout):
        for y in range(h):
            for xx in range(wd):
                s = 0
                for ci in range(cin):
                    for ky in range(k):
                        for kx in range(k):
                            sy, sx = y + ky - p, xx + kx - p
                            if 0 <= sy < h and 0 <= sx < wd:
                                s += int(w[co, ci, ky, kx]) * int(x[ci, sy, sx])
                out[co, y, xx] = s
    return out


def requantize(acc: np.ndarray, scale: int, shift: int, out: np.ndarray | None = None) -> np.ndarray:
    """clip(floor((acc*scale + r) / 2**shift), 0, 15), r = 2**(shift-1) if
    shift > 0 else 0: round half up, then ReLU and saturation to 4 bits.
    Computed in int64; or in `out` (a signed integer array of acc's shape,
    which may be acc itself) when the caller knows that acc*scale + r fits
    its dtype."""
    r = (1 << (shift - 1)) if shift > 0 else 0
    if out is None:
        v = np.asarray(acc, np.int64) * int(scale)  # a new array: the steps below work in place
    else:
        v = np.multiply(acc, int(scale), out=out)
    v += r
    v >>= int(shift)                            # >> on signed integers floors (arithmetic shift)
    return np.clip(v, ACT_MIN, ACT_MAX, out=v)


def layer(x, w, bias=None, scale=1, shift=0, mode="act") -> np.ndarray:
    """The layer-case semantics (README, 'Layer-case format')."""
    acc = conv2d(x, w)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)[:, None, None]
    if mode == "acc":
        return acc
    if mode != "act":
        raise ValueError(f"mode must be 'act' or 'acc', not {mode!r}")
    return requantize(acc, scale, shift)
