"""Instruction-level simulator: runs an IMem program on memory images,
bit-exactly, and predicts the exact busy-cycle count and performance counters
of the RTL (the cycle model; docs/architecture.md, "Timing").

It decodes IMem itself (it never looks at compiler data structures), so it
also checks the compiler's encoding.  A group's STEP words are decoded at
once when none of them faults; otherwise word by word, in issue order, so
the first fault wins as in the RTL.  Arithmetic is vectorized per
output-channel group and tap: the group's input channels shifted by the tap
(all tiles at once) times the steps' weight words, one float32 matrix
product.  float32 is exact because every partial sum is an integer of
magnitude <= 120 * wdepth < 2**24.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import isa
from .memory import Memories, num_tiles, signed_nibbles
from .reference import requantize
from .spec import (ACC_WORDS_PER_TILE, BIAS_PER_WORD, FETCH_LAT, FIELDS, ISSUE_TO_MAC, NUM_TAPS,
                   OPCODE_LSB, REQ_LAT, Err, Op, reserved_mask, tap_offset)


class UndefinedProgram(Exception):
    """The program does something the spec leaves undefined (a layer writing
    AMem words that the same layer reads), so no model can predict the RTL."""


@dataclass
class LayerTrace:
    pc: int
    start: int          # decode cycle of its LAYER word
    end: int = -1       # cycle of its last AMem write
    groups: int = 0


@dataclass
class RunResult:
    err: Err
    err_pc: int
    cycles: int
    mac_busy: int
    skipped: int
    stall: int
    layers: list[LayerTrace] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {"cycles": self.cycles, "mac_busy": self.mac_busy,
                "skipped": self.skipped, "stall": self.stall}


# Instruction kinds allowed in each decoder state (the sequence grammar).
_ALLOWED = {
    "start": {Op.LAYER},
    "layer": {Op.LAYERQ},
    "layerq": {Op.GROUP},
    "bias": {Op.BIAS},
    "steps": {Op.STEP},
    "group_done": {Op.GROUP, Op.LAYER, Op.END},
}


class _Halt(Exception):
    def __init__(self, err: Err, pc: int):
        self.err, self.pc = err, pc


class _Timeline:
    """Cycle bookkeeping of the pipeline: decode slots, MAC-stage times, the
    drain buffer and the layer barrier."""

    def __init__(self):
        self.x = FETCH_LAT      # decode cycle of the next slot
        self.drain_free = 0     # first cycle a tile may be captured into the drain buffer
        self.last_write = -1    # cycle of the last AMem drain write
        self.last_mac = -1
        self.mac_busy = self.skipped = self.stall = 0

    def slots(self, n: int) -> None:
        """n decode slots of non-capturing work (headers, non-last steps)."""
        self.x += n

    def steps(self, n: int) -> None:
        if n:
            self.last_mac = self.x + n - 1 + ISSUE_TO_MAC
            self.x += n

    def tile(self, n_slots: int, drain_words: int) -> None:
        """One tile job: n_slots steps (>= 1; an empty group uses one null
        slot), the last of which captures the accumulators into the drain
        buffer.  The capture waits (stalling the whole pipeline) until the
        drain of the previous tile has read its last word."""
        self.steps(n_slots - 1)
        m = self.x + ISSUE_TO_MAC
        if m < self.drain_free:
            wait = self.drain_free - m
            self.stall += wait
            self.x += wait
            m += wait
        self.drain_free = m + drain_words
        self.last_write = m + drain_words + REQ_LAT
        self.last_mac = m
        self.x += 1

    def barrier(self) -> None:
        """A LAYER word waits in decode until every earlier write is done."""
        ready = max(self.x, self.last_write + 1, self.last_mac + 1)
        self.stall += ready - self.x
        self.x = ready

    def halt_cycles(self) -> int:
        """Busy cycles when END (or an error) decodes in slot x.  From x + 1 on
        the sequencer waits for the first cycle c in which nothing is in
        flight (last MAC and last AMem write both before c); busy ends after
        cycle c, so the count is c + 1."""
        return max(self.x + 1, self.last_mac + 1, self.last_write + 1) + 1


def run(mem: Memories, start_pc: int = 0) -> RunResult:
    """Execute from start_pc, updating mem.amem in place."""
    cfg = mem.cfg
    rows, cols = cfg.rows, cfg.cols
    tl = _Timeline()
    traces: list[LayerTrace] = []
    state = "start"
    pc = start_pc
    lay = None

    def fetch(expect: str):
        nonlocal pc
        if pc >= cfg.idepth:
            raise _Halt(Err.IMEM_RANGE, pc)
        word = int(mem.imem[pc])
        code = isa.opcode(word)
        if not isa.is_legal_opcode(code):
            raise _Halt(Err.ILLEGAL_OPCODE, pc)
        if Op(code) not in _ALLOWED[expect]:
            if expect == "start" and code == Op.END:
                raise _Halt(Err.EMPTY_PROGRAM, pc)
            raise _Halt(Err.MALFORMED, pc)
        op, f, rsv = isa.decode(word)
        if rsv:
            raise _Halt(Err.RESERVED, pc)
        return op, f

    try:
        while True:
            op, f = fetch(state)
            if op == Op.END:
                _close_layer(traces, tl)
                return RunResult(Err.NONE, 0, tl.halt_cycles(), tl.mac_busy, tl.skipped, tl.stall, traces)
            if op == Op.LAYER:
                h, w = f["H"], f["W"]
                if h == 0 or w == 0:
                    raise _Halt(Err.BAD_FIELD, pc)
                acc_mode = bool(f["MODE"])
                tiles = num_tiles(h, w, rows)
                wpt = ACC_WORDS_PER_TILE if acc_mode else 1
                if f["OSTRIDE"] < tiles * wpt:
                    raise _Halt(Err.BAD_FIELD, pc)
                _close_layer(traces, tl)
                tl.barrier()
                traces.append(LayerTrace(pc, tl.x))
                tl.slots(1)
                lay = _Layer(cfg, h, w, f["OSTRIDE"], f["NDENSE"], acc_mode, bool(f["HAS_BIAS"]))
                pc += 1
                op, f = fetch("layer")
                lay.scale, lay.shift = f["SCALE"], f["SHIFT"]
                tl.slots(1)
                pc += 1
                state = "layerq"
                continue
            # GROUP
            ncols, nsteps, wbase, oaddr = f["NCOLS"], f["NSTEPS"], f["WBASE"], f["OADDR"]
            if not 1 <= ncols <= cols or nsteps > lay.ndense:
                raise _Halt(Err.BAD_FIELD, pc)
            if wbase + nsteps > cfg.wdepth:
                raise _Halt(Err.WMEM_RANGE, pc)
            if oaddr + (ncols - 1) * lay.ostride + lay.tiles * lay.wpt > cfg.adepth:
                raise _Halt(Err.AMEM_RANGE, pc)
            tl.slots(1)
            pc += 1
            bias = np.zeros(cols, np.int64)
            if lay.has_bias:
                for j in range(0, cols, BIAS_PER_WORD):
                    _, fb = fetch("bias")
                    for n in range(BIAS_PER_WORD):
                        bias[j + n] = fb[f"B{n}"]
                    tl.slots(1)
                    pc += 1
            fast = _clean_steps(mem, pc, nsteps, lay.tiles)
            if fast is not None:
                taps, caddrs = fast
                pc += nsteps
            else:
                # A block with a fault (or one running past IMem) is decoded
                # word by word in issue order, so the first fault wins.
                taps = np.zeros(nsteps, np.int64)
                caddrs = np.zeros(nsteps, np.int64)
                for s in range(nsteps):
                    try:
                        _, fs = fetch("steps")
                        if fs["TAP"] >= NUM_TAPS:
                            raise _Halt(Err.BAD_FIELD, pc)
                        if fs["CADDR"] + lay.tiles > cfg.adepth:
                            raise _Halt(Err.AMEM_RANGE, pc)
                    except _Halt:
                        tl.steps(s)      # the steps of tile 0 already issued still
                        tl.mac_busy += s  # flow through the MAC stage
                        raise
                    taps[s], caddrs[s] = fs["TAP"], fs["CADDR"]
                    pc += 1
            lay.execute_group(mem, oaddr, ncols, wbase, taps, caddrs, bias)
            for _ in range(lay.tiles):
                tl.tile(max(nsteps, 1), ncols * lay.wpt)
                tl.mac_busy += nsteps
                tl.skipped += lay.ndense - nsteps
            traces[-1].groups += 1
            state = "group_done"
    except _Halt as h:
        return RunResult(h.err, h.pc, tl.halt_cycles(), tl.mac_busy, tl.skipped, tl.stall, traces)


# WMem nibble -> signed weight (two's complement), as float32 for the matrix products.
_WEIGHT_OF_NIBBLE = signed_nibbles(np.arange(16)).astype(np.float32)
_STEP_F = {f.name: f for f in FIELDS[Op.STEP]}
_STEP_RSV = np.uint64(reserved_mask(Op.STEP))


def _rows_summed(n: int, idx: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """(n, cols) weights per channel row: vals[i] added into row idx[i].  A
    program may repeat a (channel, tap) step, which is legal: its weight words
    must add up."""
    out = np.zeros((n, vals.shape[1]), vals.dtype)
    if np.bincount(idx, minlength=n).max() == 1:
        out[idx] = vals
    else:
        np.add.at(out, idx, vals)
    return out


def _clean_steps(mem, pc: int, n: int, tiles: int):
    """(taps, caddrs) of the n STEP words at pc, decoded at once, if none of
    them faults; None otherwise (the caller then decodes word by word)."""
    if pc + n > mem.cfg.idepth:
        return None
    words = mem.imem[pc:pc + n].astype(np.uint64)
    op = words >> np.uint64(OPCODE_LSB)
    tap = (words >> np.uint64(_STEP_F["TAP"].lsb)) & np.uint64(_STEP_F["TAP"].mask)
    caddr = (words >> np.uint64(_STEP_F["CADDR"].lsb)) & np.uint64(_STEP_F["CADDR"].mask)
    ok = ((op == np.uint64(Op.STEP)).all() and not (words & _STEP_RSV).any()
          and (tap < NUM_TAPS).all() and (caddr.astype(np.int64) + tiles <= mem.cfg.adepth).all())
    return (tap.astype(np.int64), caddr.astype(np.int64)) if ok else None


def _close_layer(traces: list[LayerTrace], tl: _Timeline) -> None:
    if traces and traces[-1].end < 0:
        traces[-1].end = tl.last_write


class _Layer:
    """Per-layer constants and the numerics of one output-channel group."""

    def __init__(self, cfg, h, w, ostride, ndense, acc_mode, has_bias):
        self.cfg, self.h, self.w = cfg, h, w
        self.ostride, self.ndense, self.acc_mode, self.has_bias = ostride, ndense, acc_mode, has_bias
        self.scale = self.shift = 0
        rows = cfg.rows
        self.tiles = num_tiles(h, w, rows)
        self.wpt = ACC_WORDS_PER_TILE if acc_mode else 1
        npix = self.tiles * rows
        p = np.arange(npix)
        y, x = p // w, p % w
        self.pad = p >= h * w
        # Per tap: the source pixel of every lane, or npix (a zero pixel) where
        # the source lies outside the image (zero padding) or the lane is padding.
        self.src_or_zero = np.full((NUM_TAPS, npix), npix, np.int64)
        for tap in range(NUM_TAPS):
            dy, dx = tap_offset(tap)
            ok = (~self.pad) & (y + dy >= 0) & (y + dy < h) & (x + dx >= 0) & (x + dx < w)
            self.src_or_zero[tap, ok] = (p + dy * w + dx)[ok]
        # AMem words read and written in this layer, for the hazard check.
        self.read = np.zeros(cfg.adepth, bool)
        self.written = np.zeros(cfg.adepth, bool)

    def execute_group(self, mem, oaddr, ncols, wbase, taps, caddrs, bias):
        cfg, rows, tiles = self.cfg, self.cfg.rows, self.tiles
        n = len(taps)
        word_idx = caddrs[:, None] + np.arange(tiles)[None, :]          # (n, tiles)
        out_idx = (oaddr + np.arange(ncols)[:, None] * self.ostride
                   + np.arange(tiles * self.wpt)[None, :])               # (ncols, tiles*wpt)
        self.read[word_idx.ravel()] = True
        if self.written[word_idx.ravel()].any():
            raise UndefinedProgram("a layer reads AMem words it has already written")
        if self.read[out_idx.ravel()].any():
            raise UndefinedProgram("a layer writes AMem words it reads")
        self.written[out_idx.ravel()] = True

        npix = tiles * rows
        acc = np.zeros((npix, cfg.cols), np.float32)
        if n:
            # Every input channel once, as float32 pixels plus one zero pixel
            # (index npix) that masked lanes read.  float32 is exact here:
            # every partial sum is an integer of magnitude <= 120 * wdepth < 2**24.
            chans, which = np.unique(caddrs, return_inverse=True)
            pix = mem.amem[chans[:, None] + np.arange(tiles)[None, :]].reshape(len(chans), npix)
            img = np.zeros((npix + 1, len(chans)), np.float32)    # row-major: np.take gathers rows fast
            img[:npix] = np.ascontiguousarray(pix.T)
            wv = _WEIGHT_OF_NIBBLE[mem.wmem[wbase:wbase + n]]                    # (n, cols)
            nch = len(chans)
            # Steps of one tap share one shift: align every channel once for
            # that tap, then add the steps' outer products as one matrix
            # product.  The work arrays are reused across taps because fresh
            # ones cost page faults; mode="clip" (the indices are in range
            # anyway) lets np.take write into `a` without a buffered copy.
            a = np.empty((npix, nch), np.float32)                              # (pixels, channels)
            prod = np.empty_like(acc)
            for tap in np.unique(taps):
                sel = np.flatnonzero(taps == tap)
                if 4 * len(sel) < nch:      # few channels use this tap: shift only those
                    acc += np.take(img[:, which[sel]], self.src_or_zero[tap], axis=0) @ wv[sel]
                else:
                    np.take(img, self.src_or_zero[tap], axis=0, out=a, mode="clip")
                    acc += np.matmul(a, _rows_summed(nch, which[sel], wv[sel]), out=prod)
        lim = 120 * cfg.wdepth
        assert lim < 1 << 24 and lim < 1 << (cfg.acc_w - 1)
        assert max(acc.max(initial=0), -acc.min(initial=0)) <= lim
        v = acc[:, :ncols].astype(np.int64)                               # (pixels, ncols)
        v += bias[:ncols]
        if self.acc_mode:
            u = v & 0xFFFFFFFF
            u[self.pad] = 0
            nib = (u.T[:, :, None] >> (4 * np.arange(ACC_WORDS_PER_TILE))[None, None, :]) & 0xF
            # (ncols, tiles, rows, 8) -> words ordered tile-major, nibble plane minor
            nib = nib.reshape(ncols, tiles, rows, ACC_WORDS_PER_TILE).transpose(0, 1, 3, 2)
            mem.amem[out_idx] = nib.reshape(ncols, tiles * ACC_WORDS_PER_TILE, rows)
        else:
            y = requantize(v, self.scale, self.shift)
            y[self.pad] = 0
            mem.amem[out_idx] = y.T.reshape(ncols, tiles, rows)
