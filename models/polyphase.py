"""Stride 2 without discarded outputs: a network rewrite into layers the
chip already runs.

The chip runs a stride-2 layer on its input's grid and keeps the even
pixels at the drain (docs/architecture.md 6.3): every step is spent on all
H x W pixels and three quarters of the results are dropped.  The same sums
can be had at the output's resolution.  With the input's four phase planes

    P_ab(Y, X) = in(2Y + a, 2X + b),        a, b in {0, 1},

a stride-2 tap (dy, dx) reads in(2Y + dy, 2X + dx) = P_ab(Y + sy, X + sx)
with a = dy mod 2, sy = (dy - a) / 2 (so dy = -1 -> a = 1, sy = -1;
dy = 0 -> 0, 0; dy = 1 -> 1, 0), and likewise for x.  So

    stride-2 layer(in) = stride-1 layer'(P_00, P_01, P_10, P_11)

where layer' has one input channel per (input channel, phase) that some
weight uses, and the weight of (co, ci, dy, dx) moves to (co, plane of
(ci, a, b), sy, sx).  The map is one to one, so every output channel group
keeps its valid steps (the same STEP and WMem words), now over the output's
ceil(Ho*Wo/ROWS) tiles instead of the input's, and the accumulators are the
same sums: the result is bit-exact.

The planes come from copy layers the chip also runs: P_ab of a tensor is a
stride-2 layer with an identity weight at tap (a, b) (requantization scale
1, shift 0, no bias: y = x for 4-bit x), one per phase, over only the
channels that phase needs; a copy costs one step per plane per input tile.
A residual read at the centre tap needs only P_00.

``lower`` rewrites every stride-2 layer for which the estimate
(``cycles_estimate``: per group, max(steps, NCOLS) cycles per tile, the
drain hiding behind the steps) of copies + layer' is below the direct
layer's; ``mode="polyphase"`` rewrites every stride-2 layer, ``"drain"``
none.  The rewritten layer keeps its name, so the network's tensors and
outputs keep theirs; the copies are named ``<layer>.<input>.p<a><b>``.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .compiler import LayerDef
from .memory import num_tiles
from .reference import out_size
from .shiftpw import group_step_counts

MODES = ("auto", "polyphase", "drain")
PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))


def _phase(d: int) -> tuple[int, int]:
    """(phase, shift) of a tap offset d in {-1, 0, 1}."""
    a = d % 2
    return a, (d - a) // 2


def cycles_estimate(w: np.ndarray, tiles: int, cols: int) -> int:
    """Busy cycles of a layer with weights w (Cout, Cin, K, K) over `tiles`
    tiles: per COLS output-channel group, max(valid steps, NCOLS) per tile
    (an empty group still drains)."""
    ncols = [min(cols, w.shape[0] - g0) for g0 in range(0, w.shape[0], cols)]
    return tiles * sum(max(s, n) for s, n in zip(group_step_counts(w, cols), ncols))


def _grids(h: int, w: int, inputs: dict[str, int], layers: list[LayerDef]) -> dict[str, tuple[int, int]]:
    grid = {n: (h, w) for n in inputs}
    for ld in layers:
        gh, gw = grid[ld.inputs[0]]
        grid[ld.name] = (out_size(gh, ld.stride), out_size(gw, ld.stride))
    return grid


def rewrite(ld: LayerDef, chans: dict[str, int]) -> list[LayerDef]:
    """The copy layers and the stride-1 layer' that replace the stride-2
    layer ld (module docstring); chans: channels of each input tensor."""
    if ld.stride != 2:
        raise ValueError(f"layer {ld.name!r}: stride {ld.stride}, only stride-2 layers are rewritten")
    cout, cin, k, _ = ld.w.shape
    r = k // 2
    copies: list[LayerDef] = []
    cols: list[tuple[int, int, int]] = []      # layer' input channels: (original ci, a, b)
    base = 0
    for src in ld.inputs:
        c = chans[src]
        part = ld.w[:, base:base + c]
        for a, b in PHASES:
            # taps (dy, dx) of this phase; a K=1 layer has only the centre tap (0, 0)
            taps = [(ky, kx) for ky in range(k) for kx in range(k)
                    if _phase(ky - r)[0] == a and _phase(kx - r)[0] == b]
            if not taps:
                continue
            used = np.flatnonzero(np.any([part[:, :, ky, kx] != 0 for ky, kx in taps], axis=(0, 1)))
            if used.size == 0:
                continue
            wc = np.zeros((used.size, c, 3, 3), np.int64)
            wc[np.arange(used.size), used, 1 + a, 1 + b] = 1
            copies.append(LayerDef(f"{ld.name}.{src}.p{a}{b}", [src], wc, None, 1, 0, "act", stride=2))
            cols += [(base + int(ci), a, b) for ci in used]
        base += c
    if not cols:
        # every weight is zero: layer' still needs an input on the output's
        # grid (its outputs are the bias alone), so copy one plane
        src = ld.inputs[0]
        wc = np.zeros((1, chans[src], 3, 3), np.int64)
        wc[0, 0, 1, 1] = 1
        copies.append(LayerDef(f"{ld.name}.{src}.p00", [src], wc, None, 1, 0, "act", stride=2))
        cols.append((0, 0, 0))
    k2 = 1 if k == 1 else 3
    w2 = np.zeros((cout, len(cols), k2, k2), np.int64)
    index = {key: j for j, key in enumerate(cols)}
    for co, ci, ky, kx in zip(*np.nonzero(ld.w)):
        a, sy = _phase(int(ky) - r)
        b, sx = _phase(int(kx) - r)
        j = index[(int(ci), a, b)]
        if k2 == 1:
            w2[co, j, 0, 0] = ld.w[co, ci, ky, kx]
        else:
            w2[co, j, 1 + sy, 1 + sx] = ld.w[co, ci, ky, kx]
    main = replace(ld, inputs=[cp.name for cp in copies], w=w2, stride=1)
    return copies + [main]


def lower(h: int, w: int, inputs: dict[str, int], layers: list[LayerDef], rows: int, cols: int,
          mode: str = "auto") -> list[LayerDef]:
    """The network with its stride-2 layers rewritten (module docstring);
    h, w, inputs as for compile_network, rows/cols of the configuration."""
    if mode not in MODES:
        raise ValueError(f"stride-2 mode must be one of {MODES}, not {mode!r}")
    grid = _grids(h, w, inputs, layers)
    chans = dict(inputs)
    out: list[LayerDef] = []
    for ld in layers:
        chans[ld.name] = ld.w.shape[0]
        if ld.stride != 2 or mode == "drain":
            out.append(ld)
            continue
        new = rewrite(ld, chans)
        if mode == "auto":
            t_in = num_tiles(*grid[ld.inputs[0]], rows)
            t_out = num_tiles(*grid[ld.name], rows)
            direct = cycles_estimate(ld.w, t_in, cols)
            poly = sum(cycles_estimate(cp.w, t_in, cols) for cp in new[:-1]) + cycles_estimate(new[-1].w, t_out, cols)
            if poly >= direct:
                out.append(ld)
                continue
        out += new
    return out
