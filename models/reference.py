"""Reference operations, written to be obviously right rather than fast.

These define what a layer computes.  Nothing here knows about tiles, words,
lanes or the ISA: the compiler, the instruction-level simulator and the RTL
are all checked against these functions.
"""
from __future__ import annotations

import numpy as np

from .spec import ACT_MAX, ACT_MIN


STRIDES = (1, 2)


def check_stride(stride) -> int:
    """The stride as an int, or ValueError naming `stride`.  bool is refused
    although it is an int, so that a flag passed by mistake is not stride 1."""
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or int(stride) not in STRIDES:
        raise ValueError(f"stride must be one of {STRIDES}, not {stride!r}")
    return int(stride)


def out_size(n: int, stride: int) -> int:
    """Output rows (or columns) of a 'same' conv: ceil(n / stride), which is
    PyTorch's floor((n + 2*(K//2) - K) / stride) + 1 for odd K."""
    return -(-n // stride)


def conv2d(x: np.ndarray, w: np.ndarray, stride: int = 1) -> np.ndarray:
    """'Same' cross-correlation, as torch.nn.functional.conv2d with
    padding=K//2 and the given stride:
    out[co,y,x] = sum_ci,ky,kx w[co,ci,ky,kx] * x[ci, s*y+ky-K//2, s*x+kx-K//2],
    zero outside the image.  x: (Cin,H,W), w: (Cout,Cin,K,K), K odd; the
    output is (Cout, ceil(H/s), ceil(W/s)): the stride-1 output at every
    s-th row and column, starting at 0."""
    s = check_stride(stride)
    x = np.asarray(x, np.int64)
    w = np.asarray(w, np.int64)
    cin, h, wd = x.shape
    cout, cin_w, k, k2 = w.shape
    assert cin == cin_w and k == k2 and k % 2 == 1
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    out = np.zeros((cout, out_size(h, s), out_size(wd, s)), np.int64)
    for ky in range(k):
        for kx in range(k):
            # Slicing with the stride computes only the kept outputs.
            patch = xp[:, ky:ky + h:s, kx:kx + wd:s]          # x[ci, s*y+ky-p, s*x+kx-p]
            out += np.einsum("oc,chw->ohw", w[:, :, ky, kx], patch)
    return out


def conv2d_loops(x: np.ndarray, w: np.ndarray, stride: int = 1) -> np.ndarray:
    """The same definition as plain loops; checks conv2d on tiny shapes."""
    s = check_stride(stride)
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    p = k // 2
    out = np.zeros((cout, out_size(h, s), out_size(wd, s)), np.int64)
    for co in range(cout):
        for y in range(out.shape[1]):
            for xx in range(out.shape[2]):
                acc = 0
                for ci in range(cin):
                    for ky in range(k):
                        for kx in range(k):
                            sy, sx = s * y + ky - p, s * xx + kx - p
                            if 0 <= sy < h and 0 <= sx < wd:
                                acc += int(w[co, ci, ky, kx]) * int(x[ci, sy, sx])
                out[co, y, xx] = acc
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


def layer(x, w, bias=None, scale=1, shift=0, mode="act", stride=1) -> np.ndarray:
    """The layer-case semantics (README, 'Layer-case format'), with the
    conv's stride (1 or 2; see conv2d)."""
    acc = conv2d(x, w, stride)
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)[:, None, None]
    if mode == "acc":
        return acc
    if mode != "act":
        raise ValueError(f"mode must be 'act' or 'acc', not {mode!r}")
    return requantize(acc, scale, shift)
