"""Shift-PW: a convolution as a sum of point-wise outer products of aligned
activation words and weight words, modelled word by word as the hardware
does it.

A KxK conv is the sum over taps (dy, dx) of a 1x1 conv applied to
Shift(dy, dx)(x).  On the array, one step takes one aligned activation word
(``rows`` output pixels of one input channel, shifted by the tap) and one
weight word (``cols`` output channels for that (input channel, tap)) and
accumulates their outer product into rows x cols accumulators.

The aligner works on raster-flattened channels, so tiles may span image rows
and W need not be a multiple of ``rows``: Shift(dy, dx) moves the flat pixel
index by d = dy*W + dx, which is a whole-word offset d // rows plus a lane
rotation d % rows across two neighbouring words; lanes whose source pixel lies
outside the image are zeroed by a mask built from per-lane (y, x) coordinates.

Stride 2 (docs/architecture.md 6.3) changes only the drain: each tile keeps
the lanes at even (y, x) inside the image and writes them, compacted and
rotated, into one or two output words through lane masks
(stride2_tile_writes); shiftpw_conv(..., stride=2) applies those writes tile
by tile to output words that start as garbage, as the RTL does.
"""
from __future__ import annotations

import numpy as np

from .memory import num_tiles
from .reference import check_stride, out_size
from .spec import NUM_TAPS, TAP_CENTER, tap_offset


# --- per-lane coordinates, as the RTL tracks them ---------------------------
def lane_coords_start(h: int, w: int, rows: int):
    """(y, x) of every lane of tile 0 and the per-tile step (q, m) =
    divmod(rows, W): lane rows+1's coordinate *is* divmod(rows, W).  The RTL
    reads both from a table of W (a constant quotient and remainder per
    W <= rows), so no divider and no chain over the lanes is needed; the
    ripple walk below is the reference it is checked against."""
    ys, xs = [0], [0]
    for _ in range(rows):
        nx = xs[-1] + 1
        wrap = nx == w
        xs.append(0 if wrap else nx)
        ys.append(ys[-1] + (1 if wrap else 0))
    return np.array(ys[:rows]), np.array(xs[:rows]), ys[rows], xs[rows]


def lane_coords_next(y: np.ndarray, x: np.ndarray, q: int, m: int, w: int):
    """Advance every lane by ``rows`` pixels: x += m with one conditional wrap,
    y += q (+1 on wrap).  Correct because m < W and x < W."""
    nx = x + m
    carry = nx >= w
    return y + q + carry, np.where(carry, nx - w, nx)


def tile_flags(y: np.ndarray, x: np.ndarray, h: int, w: int) -> dict[str, np.ndarray]:
    """The five per-lane flags a tile needs for any 3x3 tap."""
    return {
        "inimg": y < h,          # lane holds a real pixel (not padding of the last tile)
        "top": y >= 1,           # row above exists (dy = -1)
        "bot": y + 1 < h,        # row below exists (dy = +1)
        "left": x >= 1,          # column to the left exists (dx = -1)
        "right": x + 1 < w,      # column to the right exists (dx = +1)
    }


def lane_mask(flags: dict[str, np.ndarray], dy: int, dx: int) -> np.ndarray:
    m = flags["inimg"].copy()
    if dy == -1:
        m &= flags["top"]
    elif dy == 1:
        m &= flags["bot"]
    if dx == -1:
        m &= flags["left"]
    elif dx == 1:
        m &= flags["right"]
    return m


def shift_offsets(w: int, rows: int, dy: int, dx: int) -> tuple[int, int]:
    """Word offset (floor) and lane offset of Shift(dy, dx) in a flat channel."""
    d = dy * w + dx
    return d // rows, d % rows


# --- the aligner --------------------------------------------------------------
def align_tile(words: np.ndarray, t: int, h: int, w: int, dy: int, dx: int,
               flags: dict[str, np.ndarray]) -> np.ndarray:
    """Aligned activation word for output tile t: lane r carries the source
    pixel (y+dy, x+dx) of output pixel p = t*rows + r, or 0 outside the image.
    ``words`` is the channel, (T, rows).  Words outside [0, T) are never read
    (their lanes are always masked), modelled here as zeros."""
    n_t, rows = words.shape
    wo, o = shift_offsets(w, rows, dy, dx)
    w0 = t + wo

    def word(i):
        return words[i] if 0 <= i < n_t else np.zeros(rows, words.dtype)

    pair = np.concatenate([word(w0), word(w0 + 1)])    # funnel-shift source
    return np.where(lane_mask(flags, dy, dx), pair[o:o + rows], 0)


def channel_words(x_ch: np.ndarray, rows: int) -> np.ndarray:
    """(H, W) channel -> (T, rows) words, padding lanes zero."""
    h, w = x_ch.shape
    t = num_tiles(h, w, rows)
    flat = np.zeros(t * rows, np.int64)
    flat[: h * w] = x_ch.reshape(-1)
    return flat.reshape(t, rows)


def kernel_taps(k: int) -> list[tuple[int, int, int]]:
    """(tap, ky, kx) for a KxK kernel, K in {1, 3}."""
    if k == 1:
        return [(TAP_CENTER, 0, 0)]
    if k == 3:
        return [(ky * 3 + kx, ky, kx) for ky in range(3) for kx in range(3)]
    raise ValueError(f"K={k} not supported (1 or 3)")


def valid_steps(w: np.ndarray, co_lo: int, co_hi: int) -> list[tuple[int, int, int, int]]:
    """(ci, tap, ky, kx) steps whose weight word for output channels
    [co_lo, co_hi) is not all zero, in (ci, tap) order.  Only these are stored
    and executed; every other step costs no cycle and no WMem word."""
    cout, cin, k, _ = w.shape
    out = []
    for ci in range(cin):
        for tap, ky, kx in kernel_taps(k):
            if np.any(w[co_lo:co_hi, ci, ky, kx] != 0):
                out.append((ci, tap, ky, kx))
    return out


def group_step_counts(w: np.ndarray, cols: int) -> list[int]:
    """len(valid_steps) of each `cols`-wide output-channel group: the STEP
    and WMem words the compiler stores per GROUP."""
    nz = (w != 0).reshape(w.shape[0], -1)
    return [int(nz[g:g + cols].any(axis=0).sum()) for g in range(0, w.shape[0], cols)]


# A value no accumulator takes: output words not (yet) written by the drain.
UNWRITTEN = np.iinfo(np.int64).min


def shiftpw_conv(x: np.ndarray, w: np.ndarray, rows: int, cols: int, stride: int = 1,
                 out_words: np.ndarray | None = None) -> np.ndarray:
    """conv2d computed the array's way: for each output-channel group and each
    pixel tile, accumulate outer(aligned activation word, weight word) over the
    group's valid steps.  Returns raw accumulators (Cout, H, W).

    stride 2: the same tiles and steps; each tile's columns are drained with
    the keep-even masked writes (stride2_tile_writes) into output words
    (Cout, To, rows) that start as UNWRITTEN (or out_words, if given, which
    is then updated in place: stale contents a layer must overwrite).
    Returns (Cout, ceil(H/2), ceil(W/2)); raises AssertionError if any
    output lane (padding included) was left unwritten."""
    s = check_stride(stride)
    cin, h, wd = x.shape
    cout = w.shape[0]
    n_t = num_tiles(h, wd, rows)
    words = [channel_words(x[ci], rows) for ci in range(cin)]
    y0, x0, q, m = lane_coords_start(h, wd, rows)
    flags_by_tile, keep_by_tile = [], []
    ly, lx = y0, x0
    for _ in range(n_t):
        flags_by_tile.append(tile_flags(ly, lx, h, wd))
        keep_by_tile.append(keep_lanes(ly, lx, h))
        ly, lx = lane_coords_next(ly, lx, q, m, wd)
    ho, wo = out_size(h, s), out_size(wd, s)
    n_out = ho * wo
    if s == 2:
        t_out = num_tiles(ho, wo, rows)
        if out_words is None:
            out_words = np.full((cout, t_out, rows), UNWRITTEN, np.int64)
        assert out_words.shape == (cout, t_out, rows)

    out = np.zeros((cout, n_t * rows), np.int64)
    for co_lo in range(0, cout, cols):
        co_hi = min(co_lo + cols, cout)
        steps = valid_steps(w, co_lo, co_hi)
        p0 = 0                                  # output pixels kept by the group's earlier tiles
        for t in range(n_t):
            acc = np.zeros((rows, cols), np.int64)          # the array, cleared per tile
            for ci, tap, ky, kx in steps:
                dy, dx = tap_offset(tap)
                a = align_tile(words[ci], t, h, wd, dy, dx, flags_by_tile[t])
                wv = np.zeros(cols, np.int64)
                wv[: co_hi - co_lo] = w[co_lo:co_hi, ci, ky, kx]
                acc += np.outer(a, wv)
            out[co_lo:co_hi, t * rows:(t + 1) * rows] = acc[:, : co_hi - co_lo].T
            if s == 2:                          # the drain, column by column
                writes = stride2_tile_writes(keep_by_tile[t], p0, n_out)
                for c in range(co_hi - co_lo):
                    apply_writes(out_words[co_lo + c], writes, acc[:, c])
                p0 += int(keep_by_tile[t].sum())
    if s == 1:
        return out[:, : h * wd].reshape(cout, h, wd)
    assert (out_words != UNWRITTEN).all(), "the keep-even drain left output lanes unwritten"
    flat = out_words.reshape(cout, -1)
    assert not flat[:, n_out:].any(), "output padding lanes not zero"
    return flat[:, :n_out].reshape(cout, ho, wo)


# --- stride 2: the keep-even drain --------------------------------------------
def keep_lanes(y: np.ndarray, x: np.ndarray, h: int) -> np.ndarray:
    """keep_r of a tile: the lane's pixel has even y, even x and lies in the
    image (y < H; x < W always holds for a tracked lane)."""
    return (y % 2 == 0) & (x % 2 == 0) & (y < h)


def stride2_tile_writes(keep: np.ndarray, p0: int, n_out: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The masked AMem writes of one drained column of one tile:
    [(output word index within the channel, lane write mask, source lane or
    -1 per lane)], at most two words (w, w+1), none if the tile keeps
    nothing.  keep: the tile's keep_r; p0: output pixels kept by the group's
    earlier tiles; n_out: Ho*Wo.  Source lane -1 with the mask set is a
    written 0: the lanes after output pixel n_out-1 in its word, written by
    the tile that writes that pixel."""
    rows = len(keep)
    src = np.flatnonzero(keep)               # kept lanes, in lane order
    n = len(src)
    if n == 0:
        return []
    assert n <= rows // 2 and p0 + n <= n_out
    o, w0 = p0 % rows, p0 // rows
    lane_src = np.full(2 * rows, -1)
    mask = np.zeros(2 * rows, bool)
    lane_src[o:o + n] = src                  # compacted, rotated by o
    mask[o:o + n] = True
    if p0 + n == n_out:                      # the output's padding lanes in that word
        end = o + n
        mask[end:-(-end // rows) * rows] = True
    return [(w0 + i, mask[i * rows:(i + 1) * rows], lane_src[i * rows:(i + 1) * rows])
            for i in (0, 1) if mask[i * rows:(i + 1) * rows].any()]


def apply_writes(words: np.ndarray, writes, vals: np.ndarray) -> None:
    """Apply stride2_tile_writes to a channel's output words (To, rows):
    masked lanes get vals[source lane] (0 for source -1), the rest keep
    what they held."""
    for wi, mask, src in writes:
        data = np.where(src >= 0, vals[np.maximum(src, 0)], 0)
        words[wi] = np.where(mask, data, words[wi])


def dense_steps(cin: int, k: int) -> int:
    return cin * (NUM_TAPS if k == 3 else 1)
