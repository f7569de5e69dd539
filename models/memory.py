"""Memory images and the data layouts the hardware and host agree on.

AMem word: ``rows`` lanes of 4 bits, lane r in bits [4r+3:4r].  A tensor of
shape (C, H, W) lives at a base address with a channel stride S (words): the
pixels of channel c, flattened in raster order p = y*W + x, fill words
base + c*S + p // rows, lane p % rows.  A channel takes T = ceil(H*W/rows)
words ("tiles"); lanes past H*W in its last word are padding and read as
don't-care (the aligner masks them; the drain writes them as 0).  Each
tensor has its own H x W: a stride-2 layer's output is ceil(H/2) x ceil(W/2)
of its input, so its channels take To = ceil(ceil(H/2)*ceil(W/2)/rows) words.

Raw-accumulator ("acc" mode) tensors store each pixel as an int32 split in 8
nibble planes: channel c, tile t uses words base + c*S + 8t + k, k = 0..7, and
lane r of word k holds bits [4k+3:4k] of pixel t*rows + r.

WMem word: ``cols`` lanes of 4-bit two's-complement weights, lane c in bits
[4c+3:4c].  IMem word: one 64-bit instruction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .spec import ACC_WORDS_PER_TILE, ACT_BITS, Config


def num_tiles(h: int, w: int, rows: int) -> int:
    return -(-h * w // rows)


def words_per_channel(h: int, w: int, rows: int, mode_acc: bool) -> int:
    return num_tiles(h, w, rows) * (ACC_WORDS_PER_TILE if mode_acc else 1)


@dataclass
class Memories:
    """Raw memory contents.  amem/wmem hold 4-bit lane values 0..15 (weights
    as two's-complement nibbles); imem holds 64-bit words."""
    cfg: Config
    amem: np.ndarray = field(default=None)
    wmem: np.ndarray = field(default=None)
    imem: np.ndarray = field(default=None)

    def __post_init__(self):
        c = self.cfg
        if self.amem is None:
            self.amem = np.zeros((c.adepth, c.rows), np.uint8)
        if self.wmem is None:
            self.wmem = np.zeros((c.wdepth, c.cols), np.uint8)
        if self.imem is None:
            self.imem = np.zeros(c.idepth, np.uint64)
        for name, arr, shape in (("amem", self.amem, (c.adepth, c.rows)),
                                 ("wmem", self.wmem, (c.wdepth, c.cols)),
                                 ("imem", self.imem, (c.idepth,))):
            if arr.shape != shape:
                raise ValueError(f"{name} image has shape {arr.shape}, config {c.name} needs {shape}")

    def copy(self) -> "Memories":
        return Memories(self.cfg, self.amem.copy(), self.wmem.copy(), self.imem.copy())


# --- tensors in AMem --------------------------------------------------------
def store_act(amem: np.ndarray, base: int, stride: int, x: np.ndarray) -> None:
    """Write an activation tensor (C, H, W) of values 0..15 into AMem."""
    c, h, w = x.shape
    rows = amem.shape[1]
    t = num_tiles(h, w, rows)
    flat = np.zeros((c, t * rows), np.uint8)
    flat[:, : h * w] = x.reshape(c, h * w)
    for ch in range(c):
        amem[base + ch * stride: base + ch * stride + t] = flat[ch].reshape(t, rows)


def load_act(amem: np.ndarray, base: int, stride: int, c: int, h: int, w: int) -> np.ndarray:
    rows = amem.shape[1]
    t = num_tiles(h, w, rows)
    idx = base + np.arange(c)[:, None] * stride + np.arange(t)[None, :]
    flat = amem[idx].reshape(c, t * rows)
    return flat[:, : h * w].reshape(c, h, w).astype(np.int64)


def load_acc(amem: np.ndarray, base: int, stride: int, c: int, h: int, w: int) -> np.ndarray:
    """Read an acc-mode tensor back as int32 values."""
    rows = amem.shape[1]
    t = num_tiles(h, w, rows)
    idx = (base + np.arange(c)[:, None, None] * stride
           + np.arange(t)[None, :, None] * ACC_WORDS_PER_TILE
           + np.arange(ACC_WORDS_PER_TILE)[None, None, :])
    nib = amem[idx].astype(np.uint64)                       # (c, t, 8, rows)
    shifts = (np.arange(ACC_WORDS_PER_TILE, dtype=np.uint64) * ACT_BITS)[None, None, :, None]
    u = (nib << shifts).sum(axis=2).astype(np.uint32)        # (c, t, rows)
    return u.view(np.int32).reshape(c, t * rows)[:, : h * w].reshape(c, h, w).astype(np.int64)


# --- words as integers (for $readmemh, bus bursts and the ISS) ---------------
def nibbles_to_ints(lanes: np.ndarray) -> list[int]:
    """(N, L) nibbles -> N integers, lane i in bits [4i+3:4i].  (Vectorized
    through bytes: two lanes per little-endian byte.  A full chip AMem,
    16k words of 32 lanes, took 0.25 s lane by lane.)"""
    lanes = np.asarray(lanes)
    if lanes.size and (lanes.min() < 0 or lanes.max() > 0xF):
        raise ValueError("nibbles_to_ints: lane values must be 0..15")
    n, nl = lanes.shape
    nb = (nl + 1) // 2
    packed = np.zeros((n, nb), np.uint8)
    packed[:, : nl // 2] = lanes[:, 0:nl - 1:2] | (lanes[:, 1:nl:2].astype(np.uint8) << 4)
    if nl % 2:
        packed[:, -1] = lanes[:, -1]
    b = packed.tobytes()
    return [int.from_bytes(b[k:k + nb], "little") for k in range(0, len(b), nb)]


def ints_to_nibbles(words, lanes: int) -> np.ndarray:
    """N integers of at most 4*lanes bits -> (N, lanes) nibbles (the inverse
    of nibbles_to_ints).  A word that does not fit raises ValueError."""
    nb = (lanes + 1) // 2
    try:
        b = b"".join(int(v).to_bytes(nb, "little") for v in words)
    except OverflowError:
        bad = next(k for k, v in enumerate(words) if not 0 <= int(v) < 1 << (4 * lanes))
        raise ValueError(f"ints_to_nibbles: word {bad} ({int(words[bad]):#x}) does not fit {lanes} lanes") from None
    packed = np.frombuffer(b, np.uint8).reshape(-1, nb)
    out = np.empty((len(packed), 2 * nb), np.uint8)
    out[:, 0::2] = packed & 0xF
    out[:, 1::2] = packed >> 4
    if lanes % 2 and (out[:, lanes] != 0).any():
        bad = int(np.flatnonzero(out[:, lanes])[0])
        raise ValueError(f"ints_to_nibbles: word {bad} does not fit {lanes} lanes")
    return np.ascontiguousarray(out[:, :lanes])


def signed_nibbles(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.int64)
    return np.where(a >= 8, a - 16, a)


def write_hex(path, words, bits: int) -> None:
    """One hex word per line, for $readmemh."""
    digits = -(-bits // 4)
    with open(path, "w") as f:
        for v in words:
            f.write(f"{int(v):0{digits}x}\n")


def read_hex(path) -> list[int]:
    with open(path) as f:
        return [int(line.split("//")[0], 16) for line in f if line.split("//")[0].strip()]
