"""Instruction-level simulator: runs an IMem program on memory images,
bit-exactly, and predicts the exact busy-cycle count and performance counters
of the RTL (the cycle model; docs/architecture.md, "Timing").

It decodes IMem itself (it never looks at compiler data structures), so it
also checks the compiler's encoding.  Arithmetic is vectorized per
output-channel group: one matrix product of the aligned activations of every
tile by the group's weight words, exact because every partial sum is an
integer far below 2**53.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import isa
from .memory import Memories, num_tiles, signed_nibbles
from .reference import requantize
from .spec import (ACC_WORDS_PER_TILE, BIAS_PER_WORD, FETCH_LAT, ISSUE_TO_MAC, NUM_TAPS, REQ_LAT,
                   Err, Op, tap_offset)


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
        # Per tap: source flat index and lane validity (zero padding at borders).
        self.src = np.zeros((NUM_TAPS, npix), np.int64)
        self.valid = np.zeros((NUM_TAPS, npix), bool)
        for tap in range(NUM_TAPS):
            dy, dx = tap_offset(tap)
            ok = (~self.pad) & (y + dy >= 0) & (y + dy < h) & (x + dx >= 0) & (x + dx < w)
            self.valid[tap] = ok
            self.src[tap] = np.where(ok, p + dy * w + dx, 0)
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

        if n:
            flat = mem.amem[word_idx].reshape(n, tiles * rows)            # (n, pixels)
            a = np.take_along_axis(flat, self.src[taps], axis=1) * self.valid[taps]
            wv = signed_nibbles(mem.wmem[wbase:wbase + n])                # (n, cols)
            acc = np.rint(a.T.astype(np.float64) @ wv.astype(np.float64)).astype(np.int64)
        else:
            acc = np.zeros((tiles * rows, cfg.cols), np.int64)
        lim = 120 * cfg.wdepth
        assert np.abs(acc).max(initial=0) <= lim < 1 << (cfg.acc_w - 1)
        v = acc[:, :ncols].T + bias[:ncols, None]                          # (ncols, pixels)
        if self.acc_mode:
            u = (v.astype(np.int64) & 0xFFFFFFFF)
            u[:, self.pad] = 0
            nib = (u[:, :, None] >> (4 * np.arange(ACC_WORDS_PER_TILE))[None, None, :]) & 0xF
            # (ncols, tiles, rows, 8) -> words ordered tile-major, nibble plane minor
            nib = nib.reshape(ncols, tiles, rows, ACC_WORDS_PER_TILE).transpose(0, 1, 3, 2)
            mem.amem[out_idx] = nib.reshape(ncols, tiles * ACC_WORDS_PER_TILE, rows)
        else:
            y = requantize(v, self.scale, self.shift)
            y[:, self.pad] = 0
            mem.amem[out_idx] = y.reshape(ncols, tiles, rows)
