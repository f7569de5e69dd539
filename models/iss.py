"""Instruction-level simulator: runs an IMem program on memory images,
bit-exactly, and predicts the exact busy-cycle count and performance counters
of the RTL (the cycle model; docs/architecture.md, "Timing").

It decodes IMem itself (it never looks at compiler data structures), so it
also checks the compiler's encoding.  A group's BIAS and STEP words are
decoded at once when none of them faults; otherwise word by word, in issue
order, so the first fault wins as in the RTL.  The cycle model follows the
pipeline group by group (a group's tiles in closed form).  The numerics are
done per layer, when it ends: all its groups as one float32 matrix product
over (tap, input channel) pairs (see _Layer.flush).

A STRIDE2 layer (docs/architecture.md 6.3) is timed exactly as the same
layer at stride 1 (the T tiles of its H x W input grid); its numerics are
computed only at the kept pixels, and it leaves each output channel's To
words holding the ceil(H/2) x ceil(W/2) output in raster order with zero
padding lanes, which is what the drain's masked writes add up to
(models/shiftpw.py models them tile by tile; models/tests/test_stride.py
checks the two agree).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from . import isa
from .memory import Memories, num_tiles, signed_nibbles
from .reference import out_size, requantize
from .spec import (ACC_WORDS_PER_TILE, BIAS_PER_WORD, DECODE_PREP, FETCH_LAT, FIELDS, ISSUE_TO_MAC, NUM_TAPS,
                   OPCODE_BITS, OPCODE_LSB, REQ_LAT, Err, Op, reserved_mask, tap_offset)


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

    def tiles(self, count: int, n_slots: int, drain_words: int) -> None:
        """count identical tile jobs (a group's tiles).  Only the first can
        wait for an earlier group's drain; from then on each capture follows
        the previous one by max(n_slots, drain_words) cycles (the steps, or
        the wait for the drain), so the rest is closed form.  Equal to count
        calls of tile(): models/tests/test_iss.py checks it."""
        self.tile(n_slots, drain_words)
        if count > 1:
            period = max(n_slots, drain_words)
            m = self.last_mac + (count - 1) * period
            self.stall += (count - 1) * (period - n_slots)
            self.x = m - ISSUE_TO_MAC + 1
            self.drain_free = m + drain_words
            self.last_write = m + drain_words + REQ_LAT
            self.last_mac = m

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
    return run_batch(mem, mem.amem[None], start_pc)


def run_batch(mem: Memories, amems: np.ndarray, start_pc: int = 0) -> RunResult:
    """Execute the program in mem (its IMem and WMem) on a batch of AMem
    images, amems of shape (images, adepth, rows), updating each in place as
    run() would (mem.amem itself is not used).  For a test set: one
    program, many inputs.  What a program does apart from its numbers
    (instruction flow, faults, cycles) depends only on IMem and WMem, so it
    is decoded and timed once and the one RunResult holds for every image;
    each layer's numerics run on all images in one matrix product, which
    amortizes numpy's per-call cost."""
    cfg = mem.cfg
    if amems.ndim != 3 or amems.shape[1:] != mem.amem.shape or amems.dtype != mem.amem.dtype:
        raise ValueError(f"run_batch: amems must be (images, {cfg.adepth}, {cfg.rows}) {mem.amem.dtype}, "
                         f"not {amems.shape} {amems.dtype}")
    return _Run(mem, amems, start_pc).execute()


class _Run:
    """One execution of a program: the sequencer's state between
    instructions (PC, current layer, timeline, layer traces).  The decode
    loop works one LAYER or one GROUP (with its BIAS and STEP words) at a
    time, not one word at a time, so a method call per instruction kind
    costs little; the numerics are deferred to _Layer.flush.  (Slots: a
    small network's run is mostly Python overhead, and attribute access is
    part of it.)"""

    __slots__ = ("mem", "cfg", "amems", "tl", "traces", "pc", "lay", "last_prep")

    def __init__(self, mem: Memories, amems: np.ndarray, start_pc: int):
        self.mem, self.cfg, self.amems = mem, mem.cfg, amems
        self.tl = _Timeline()
        self.traces: list[LayerTrace] = []
        self.pc = start_pc
        self.lay: _Layer | None = None
        self.last_prep = 0      # prep slots of the word fetch() decoded last

    def execute(self) -> RunResult:
        state = "start"
        try:
            while True:
                op, f = self.fetch(state)
                if op == Op.END:
                    self.end_layer()
                    return self.result(Err.NONE, 0)
                if op == Op.LAYER:
                    self.layer(f)
                    state = "layerq"
                else:
                    self.group(f)
                    state = "group_done"
        except _Halt as h:
            # the groups before the fault were issued, so they drain; the
            # faulting layer's trace keeps end = -1 (no LAYER or END closed it)
            self.flush()
            return self.result(h.err, h.pc)

    def result(self, err: Err, err_pc: int) -> RunResult:
        tl = self.tl
        return RunResult(err, err_pc, tl.halt_cycles(), tl.mac_busy, tl.skipped, tl.stall, self.traces)

    def fetch(self, expect: str):
        """Fetch and decode the word at PC as the decoder does in state
        `expect`; the order of the checks is the spec's fault priority."""
        pc = self.pc
        if pc >= self.cfg.idepth:
            raise _Halt(Err.IMEM_RANGE, pc)
        word = int(self.mem.imem[pc])
        code = isa.opcode(word)
        # a LAYER or GROUP opcode takes its prep slots before any check, in
        # whatever state; _steps_word_by_word needs to know how many it took
        self.last_prep = DECODE_PREP if code in (Op.LAYER, Op.GROUP) else 0
        self.tl.slots(self.last_prep)
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

    def flush(self) -> None:
        if self.lay is not None:
            self.lay.flush(self.mem.wmem, self.amems)

    def end_layer(self) -> None:
        """The current layer is complete (a LAYER or END decoded): compute
        it and record the cycle of its last write."""
        self.flush()
        if self.traces and self.traces[-1].end < 0:
            self.traces[-1].end = self.tl.last_write

    # --- LAYER + LAYERQ ----------------------------------------------------
    def layer(self, f: dict) -> None:
        """A LAYER word and the LAYERQ word that must follow it."""
        h, w = f["H"], f["W"]
        if h == 0 or w == 0:
            raise _Halt(Err.BAD_FIELD, self.pc)
        acc_mode, stride2 = bool(f["MODE"]), bool(f["STRIDE2"])
        if stride2 and acc_mode:                 # the keep-even drain is act mode only
            raise _Halt(Err.BAD_FIELD, self.pc)
        if f["OSTRIDE"] < out_words(self.cfg.rows, h, w, acc_mode, stride2):
            raise _Halt(Err.BAD_FIELD, self.pc)
        self.end_layer()
        tl = self.tl
        tl.barrier()
        self.traces.append(LayerTrace(self.pc, tl.x))
        tl.slots(1)
        self.lay = _Layer(self.cfg, h, w, f["OSTRIDE"], f["NDENSE"], acc_mode, bool(f["HAS_BIAS"]), stride2)
        self.pc += 1
        _, fq = self.fetch("layer")
        self.lay.scale, self.lay.shift = fq["SCALE"], fq["SHIFT"]
        tl.slots(1)
        self.pc += 1

    # --- GROUP [+ BIAS words] + STEP words -----------------------------------
    def group(self, f: dict) -> None:
        """A GROUP word, its BIAS and STEP words, and the timing of its tiles."""
        cfg, lay, tl = self.cfg, self.lay, self.tl
        ncols, nsteps, wbase, oaddr = f["NCOLS"], f["NSTEPS"], f["WBASE"], f["OADDR"]
        if not 1 <= ncols <= cfg.cols or nsteps > lay.ndense:
            raise _Halt(Err.BAD_FIELD, self.pc)
        if wbase + nsteps > cfg.wdepth:
            raise _Halt(Err.WMEM_RANGE, self.pc)
        if oaddr + (ncols - 1) * lay.ostride + lay.out_words > cfg.adepth:
            raise _Halt(Err.AMEM_RANGE, self.pc)
        tl.slots(1)
        self.pc += 1
        bias = self.bias_words() if lay.has_bias else np.zeros(cfg.cols, np.int64)
        taps, caddrs = self.step_words(nsteps)
        lay.pending.append(_Group(oaddr, ncols, wbase, taps, caddrs, bias))
        tl.tiles(lay.tiles, max(nsteps, 1), ncols * lay.wpt)
        tl.mac_busy += lay.tiles * nsteps
        tl.skipped += lay.tiles * (lay.ndense - nsteps)
        self.traces[-1].groups += 1

    def bias_words(self) -> np.ndarray:
        """The group's cols/4 BIAS words -> one bias per column."""
        nbias = self.cfg.cols // BIAS_PER_WORD
        block = _clean_block(self.mem, self.pc, nbias, Op.BIAS)
        if block is None:
            return self._bias_word_by_word()
        self.tl.slots(nbias)
        self.pc += nbias
        return _bias_of(block)

    def _bias_word_by_word(self) -> np.ndarray:
        # as for STEP words: in issue order, so the first fault wins
        bias = np.zeros(self.cfg.cols, np.int64)
        for j in range(0, self.cfg.cols, BIAS_PER_WORD):
            _, fb = self.fetch("bias")
            for n in range(BIAS_PER_WORD):
                bias[j + n] = fb[f"B{n}"]
            self.tl.slots(1)
            self.pc += 1
        return bias

    def step_words(self, nsteps: int) -> tuple[np.ndarray, np.ndarray]:
        """The group's STEP words -> (taps, AMem addresses of the channels)."""
        fast = _clean_steps(_clean_block(self.mem, self.pc, nsteps, Op.STEP), self.lay.tiles, self.cfg.adepth)
        if fast is None:
            return self._steps_word_by_word(nsteps)
        self.pc += nsteps
        return fast

    def _steps_word_by_word(self, nsteps: int) -> tuple[np.ndarray, np.ndarray]:
        # A block with a fault (or one running past IMem) is decoded word by
        # word in issue order, so the first fault wins.
        taps = np.zeros(nsteps, np.int64)
        caddrs = np.zeros(nsteps, np.int64)
        for s in range(nsteps):
            try:
                _, fs = self.fetch("steps")
                if fs["TAP"] >= NUM_TAPS:
                    raise _Halt(Err.BAD_FIELD, self.pc)
                if fs["CADDR"] + self.lay.tiles > self.cfg.adepth:
                    raise _Halt(Err.AMEM_RANGE, self.pc)
            except _Halt:
                # the steps of tile 0 already issued still flow through the
                # MAC stage; they were issued before the faulting word's prep
                prep = self.last_prep
                self.tl.x -= prep
                self.tl.steps(s)
                self.tl.x += prep
                self.tl.mac_busy += s
                raise
            taps[s], caddrs[s] = fs["TAP"], fs["CADDR"]
            self.pc += 1
        return taps, caddrs


# WMem nibble -> signed weight (two's complement), as float32 for the matrix products.
_WEIGHT_OF_NIBBLE = signed_nibbles(np.arange(16)).astype(np.float32)


def _fixed_bits(op: Op) -> tuple[np.uint64, np.uint64]:
    """(mask, value): a word is a well-formed `op` word, with its reserved
    bits zero, iff word & mask == value."""
    mask = (((1 << OPCODE_BITS) - 1) << OPCODE_LSB) | reserved_mask(op)
    return np.uint64(mask), np.uint64(int(op) << OPCODE_LSB)


_FIXED = {op: _fixed_bits(op) for op in (Op.BIAS, Op.STEP)}
_BIAS_F = FIELDS[Op.BIAS]
assert [f.name for f in _BIAS_F] == [f"B{n}" for n in range(BIAS_PER_WORD)]
assert len({f.width for f in _BIAS_F}) == 1
_BIAS_LSB = np.array([f.lsb for f in _BIAS_F], np.uint64)
_BIAS_MASK, _BIAS_SIGN = np.uint64(_BIAS_F[0].mask), np.int64(1 << (_BIAS_F[0].width - 1))
_STEP_F = {f.name: f for f in FIELDS[Op.STEP]}


def _field(words: np.ndarray, f) -> np.ndarray:
    return ((words >> np.uint64(f.lsb)) & np.uint64(f.mask)).astype(np.int64)


def _clean_block(mem, pc: int, n: int, op: Op):
    """The n words at pc if every one is a well-formed `op` word (legal
    opcode, allowed here, reserved bits zero); None otherwise, and then the
    caller decodes word by word in issue order, so that the first fault wins
    as in the RTL.  Blocks are decoded at once because they are most of a
    program's words."""
    if pc + n > mem.cfg.idepth:
        return None
    words = mem.imem[pc:pc + n]
    mask, value = _FIXED[op]
    return words if ((words & mask) == value).all() else None


def _bias_of(words: np.ndarray) -> np.ndarray:
    """A group's BIAS words -> one signed bias per column."""
    b = ((words[:, None] >> _BIAS_LSB[None, :]) & _BIAS_MASK).astype(np.int64).ravel()
    return (b ^ _BIAS_SIGN) - _BIAS_SIGN          # sign-extend the 15-bit fields


def _clean_steps(words, tiles: int, adepth: int):
    """(taps, caddrs) of a group's STEP words if none has a bad field; None
    otherwise (see _clean_block)."""
    if words is None:
        return None
    tap, caddr = _field(words, _STEP_F["TAP"]), _field(words, _STEP_F["CADDR"])
    if len(words) and (tap.max() >= NUM_TAPS or caddr.max() + tiles > adepth):
        return None
    return tap, caddr


@functools.lru_cache(maxsize=64)
def _geometry(rows: int, h: int, w: int):
    """(pad, src_or_zero, identity) of an H x W layer on `rows` lanes.
    pad: lanes past H*W.  src_or_zero[tap]: the source pixel of every lane,
    or npix (a zero pixel) where the source lies outside the image (zero
    padding) or the lane is padding.  identity[tap]: that tap reads every
    lane's own pixel (the centre tap of an image that fills its tiles), so
    no gather is needed.  Cached because networks repeat their layer sizes;
    the arrays are read-only so that no caller can corrupt the cache."""
    npix = num_tiles(h, w, rows) * rows
    p = np.arange(npix)
    y, x = p // w, p % w
    pad = p >= h * w
    src = np.full((NUM_TAPS, npix), npix, np.int64)
    for tap in range(NUM_TAPS):
        dy, dx = tap_offset(tap)
        ok = (~pad) & (y + dy >= 0) & (y + dy < h) & (x + dx >= 0) & (x + dx < w)
        src[tap, ok] = (p + dy * w + dx)[ok]
    identity = tuple(bool(np.array_equal(src[t], p)) for t in range(NUM_TAPS))
    pad.setflags(write=False)
    src.setflags(write=False)
    return pad, src, identity


def out_words(rows: int, h: int, w: int, acc_mode: bool, stride2: bool) -> int:
    """AMem words per output channel of an H x W layer: T (act), 8T (acc),
    or To = ceil(ceil(H/2) * ceil(W/2) / rows) with STRIDE2 (act only; see
    docs/architecture.md 6.3)."""
    if stride2:
        return num_tiles(out_size(h, 2), out_size(w, 2), rows)
    return num_tiles(h, w, rows) * (ACC_WORDS_PER_TILE if acc_mode else 1)


@functools.lru_cache(maxsize=64)
def _geometry_stride2(rows: int, h: int, w: int):
    """(pad, src_or_zero, identity) as _geometry, but over the pixels of a
    STRIDE2 layer's output (To * rows of them, raster order of the
    ceil(H/2) x ceil(W/2) output): output pixel (yo, xo) is the stride-1
    pixel (2yo, 2xo), so its source under a tap is that pixel's.  The
    keep-even drain writes exactly these pixels (and zeros past them in the
    last word), so after the layer the output words hold this, whatever they
    held before: the numerics need not follow the drain tile by tile
    (models/shiftpw.py does; models/tests/test_stride.py checks the two
    agree)."""
    _, src1, _ = _geometry(rows, h, w)
    ho, wo = out_size(h, 2), out_size(w, 2)
    npix1 = src1.shape[1]
    nout = num_tiles(ho, wo, rows) * rows
    q = np.arange(nout)
    pad = q >= ho * wo
    keep = np.where(pad, 0, 2 * (q // wo) * w + 2 * (q % wo))       # stride-1 pixel of each output pixel
    src = np.where(pad[None, :], npix1, src1[:, keep])
    # the zero pixel of the input is index npix1 of the stride-1 geometry
    pad.setflags(write=False)
    src.setflags(write=False)
    return pad, src, (False,) * NUM_TAPS


@dataclass
class _Group:
    oaddr: int
    ncols: int
    wbase: int
    taps: np.ndarray
    caddrs: np.ndarray
    bias: np.ndarray


@dataclass(slots=True)
class _Pairs:
    """The (tap, input channel) pairs a layer's steps use, tap major.  Each
    pair is one row of the product's activation operand, so a channel read
    under several taps is aligned once per tap, and a pair that several
    groups use (the usual case: every group reads every channel) once for
    the whole layer."""
    chans: np.ndarray        # AMem address of word 0 of every input channel read, sorted, once
    in_words: np.ndarray     # (channels, tiles): their words
    pair_chan: np.ndarray    # index into chans of every pair
    lo: list[int]            # pairs lo[t]:lo[t+1] are tap t's
    taps_used: list[int]     # the taps with at least one pair
    col_of_step: np.ndarray  # pair of every step, the groups' steps concatenated in issue order
    npairs: int              # len(pair_chan); the bias row, if any, is row npairs


def _pair_table(groups: list[_Group], tiles: int) -> _Pairs:
    taps = np.concatenate([g.taps for g in groups])
    caddrs = np.concatenate([g.caddrs for g in groups])
    chans, which = np.unique(caddrs, return_inverse=True)
    nch = len(chans)
    used = np.zeros((NUM_TAPS, nch), bool)
    used[taps, which] = True
    # np.nonzero walks `used` row by row, so the pairs come out tap major and
    # each tap's pairs are one slice (lo), which the alignment writes at once
    pair_tap, pair_chan = np.nonzero(used)
    pair = np.zeros((NUM_TAPS, nch), np.int64)
    pair[pair_tap, pair_chan] = np.arange(len(pair_tap))
    lo = np.searchsorted(pair_tap, np.arange(NUM_TAPS + 1)).tolist()
    return _Pairs(chans, chans[:, None] + np.arange(tiles)[None, :], pair_chan, lo,
                  [t for t in range(NUM_TAPS) if lo[t] < lo[t + 1]], pair[taps, which], len(pair_tap))


class _Layer:
    """Per-layer constants and the numerics of the layer's output-channel
    groups.  The groups are decoded in issue order but computed together
    when the layer ends (LAYER, END or a fault): the spec leaves a layer that
    reads AMem words it writes undefined, so every group of a defined layer
    sees AMem as it was when the layer began, and batching the groups
    changes no result.  One batch costs far fewer numpy calls than one per
    group."""

    def __init__(self, cfg, h, w, ostride, ndense, acc_mode, has_bias, stride2=False):
        self.cfg, self.h, self.w = cfg, h, w
        self.ostride, self.ndense, self.acc_mode, self.has_bias = ostride, ndense, acc_mode, has_bias
        self.stride2 = stride2
        self.scale = self.shift = 0
        self.tiles = num_tiles(h, w, cfg.rows)          # input tiles: the loop runs T tiles
        self.wpt = ACC_WORDS_PER_TILE if acc_mode else 1
        self.out_words = out_words(cfg.rows, h, w, acc_mode, stride2)   # per output channel
        # The numerics run over the output's pixels: the stride-1 grid's, or
        # with STRIDE2 the kept ones (docs/architecture.md 6.3).
        self.otiles = self.out_words // self.wpt
        self.npix_in = self.tiles * cfg.rows
        self.npix = self.otiles * cfg.rows
        geometry = _geometry_stride2 if stride2 else _geometry
        self.pad, self.src_or_zero, self.identity = geometry(cfg.rows, h, w)
        self.pad_lanes = bool(self.pad.any())
        self.pending: list[_Group] = []

    def flush(self, wmem: np.ndarray, amems: np.ndarray) -> None:
        """Compute the pending groups on every AMem image and write their
        outputs.

        Layout: channels x images x pixels (a channel's tiles are
        consecutive AMem words, so neither the load nor the store
        transposes).  The whole layer is one matrix product,
            acc (columns x images*pixels) = weights (columns x pairs) @ shifted (pairs x images*pixels),
        with one row of `shifted` per (tap, input channel) pair the layer
        uses: the channel aligned by the tap (the Shift of Shift-PW).  The
        bias is one more pair whose activation is 1 everywhere.  The product
        is float32, exact because every partial sum is an integer of
        magnitude <= 120 * wdepth + 2**14 < 2**24: a group has at most wdepth
        steps, each adding a 4-bit weight (>= -8) times an activation (<= 15)."""
        groups, self.pending = self.pending, []
        if not groups:
            return
        cfg, rows = self.cfg, self.cfg.rows
        # the array's accumulator never wraps; float32 is exact (the bias is
        # added in the product here, in a wider adder at the drain in the RTL)
        assert 120 * cfg.wdepth < 1 << (cfg.acc_w - 1) and 120 * cfg.wdepth + (1 << 14) < 1 << 24
        nimg, npix = len(amems), self.npix
        ctot = sum(g.ncols for g in groups)
        pairs = _pair_table(groups, self.tiles)
        out_words = self._output_words(groups)
        self._check_defined(pairs, out_words)
        shifted = self._shifted(pairs, amems)
        wts = self._weights(groups, pairs, ctot, len(shifted), wmem)
        acc = _work("acc", (ctot, nimg * npix), np.float32)
        if len(shifted):
            np.matmul(wts, shifted.reshape(len(shifted), nimg * npix), out=acc)
        else:
            acc.fill(0)
        v = self._as_int(groups, acc, nimg)
        y = self._acc_planes(v) if self.acc_mode else self._requantized(v)
        self._store(groups, out_words, y.reshape(nimg, ctot, self.out_words, rows), amems)

    def _output_words(self, groups: list[_Group]) -> list[np.ndarray]:
        """Each group's output words, (ncols, words per output channel)."""
        span = np.arange(self.out_words)[None, :]
        return [g.oaddr + np.arange(g.ncols)[:, None] * self.ostride + span for g in groups]

    def _check_defined(self, pairs: _Pairs, out_words: list[np.ndarray]) -> None:
        # Batching the groups (see the class doc) is only sound if no group
        # writes what the layer reads; the spec leaves that case undefined,
        # so refuse it rather than predict something the RTL may not do.
        read = np.zeros(self.cfg.adepth, bool)
        read[pairs.in_words] = True
        if any(read[o].any() for o in out_words):
            raise UndefinedProgram("a layer writes AMem words that it also reads")

    def _shifted(self, p: _Pairs, amems: np.ndarray) -> np.ndarray:
        """The activation operand, (pairs [+ the bias row], images, pixels):
        row i is pair i's channel aligned by its tap, the bias row is 1."""
        tiles = self.tiles
        nimg, npix_in, nch = len(amems), self.npix_in, len(p.chans)
        shifted = _work("shifted", (p.npairs + self.has_bias, nimg, self.npix), np.float32)
        if nch:
            # the channels' pixels, (channels, images, pixels); a tensor's
            # channels are usually one block of AMem, then a slice
            chans = p.chans
            block = np.array_equal(chans, chans[0] + tiles * np.arange(nch))
            pix = (amems[:, chans[0]:chans[-1] + tiles] if block else amems[:, p.in_words]
                   ).reshape(nimg, nch, npix_in).transpose(1, 0, 2)
        if any(not self.identity[t] for t in p.taps_used):
            # as float32 plus one zero pixel (index npix_in) that masked lanes read
            img = _work("img", (nch, nimg, npix_in + 1), np.float32)
            img[:, :, :npix_in] = pix
            img[:, :, npix_in] = 0
        lo, pair_chan = p.lo, p.pair_chan
        for tap in p.taps_used:
            rows_t = shifted[lo[tap]:lo[tap + 1]]
            every = len(rows_t) == nch          # every channel uses this tap
            sel = pair_chan[lo[tap]:lo[tap + 1]]
            if self.identity[tap]:              # no shift (centre tap, no padding lanes)
                rows_t[...] = pix if every else pix[sel]
            else:
                # mode="clip" (the indices are in range anyway) lets np.take
                # write into rows_t without a buffered copy
                np.take(img if every else img[sel], self.src_or_zero[tap], axis=2, out=rows_t, mode="clip")
        if self.has_bias:
            shifted[p.npairs] = 1
        return shifted

    def _weights(self, groups: list[_Group], p: _Pairs, ctot: int, nrows: int, wmem: np.ndarray) -> np.ndarray:
        """The weight operand, (ctot output channels of all groups, nrows):
        the weight of every pair, one row block per group, and the bias in
        the bias row's column."""
        wts = np.zeros((ctot, nrows), np.float32)
        row, first = 0, 0
        for g in groups:
            n = len(g.taps)
            cols_g = p.col_of_step[first:first + n]
            wv = _WEIGHT_OF_NIBBLE[wmem[g.wbase:g.wbase + n, :g.ncols]]    # (n, ncols)
            # A program may repeat a (channel, tap) step in a group, which is
            # legal: its weight words must add up, which plain assignment
            # would not do (np.add.at is slow, so only then).
            if n and np.bincount(cols_g).max() > 1:
                np.add.at(wts[row:row + g.ncols].T, cols_g, wv)
            else:
                wts[row:row + g.ncols, cols_g] = wv.T
            if self.has_bias:
                wts[row:row + g.ncols, p.npairs] = g.bias[:g.ncols]
            row, first = row + g.ncols, first + n
        return wts

    def _as_int(self, groups: list[_Group], acc: np.ndarray, nimg: int) -> np.ndarray:
        """acc as integers, (images, channels, pixels): images major from
        here on, so that each image's stores read one block.  int32 unless a
        requantizer product could overflow it (int32 is 4x faster here):
        |acc + bias| <= 120 * steps + 2**14, r <= 2**30."""
        ctot, npix = len(acc), self.npix
        bound = 120 * max(len(g.taps) for g in groups) + (1 << 14)
        wide = not self.acc_mode and bound * self.scale + (1 << 30) >= 1 << 31
        v = _work("int", (nimg, ctot, npix), np.int64 if wide else np.int32)
        v[...] = acc.reshape(ctot, nimg, npix).transpose(1, 0, 2)
        return v

    def _acc_planes(self, v: np.ndarray) -> np.ndarray:
        """acc mode: the int32 accumulator (two's complement) in 8 nibble
        planes, the low and high nibbles of its 4 little-endian bytes;
        (images, channels, tiles, 8, rows), words tile-major."""
        nimg, ctot, _ = v.shape
        rows, tiles = self.cfg.rows, self.tiles
        u = v.astype("<u4")
        u[:, :, self.pad] = 0
        octets = u.view(np.uint8).reshape(nimg, ctot, tiles, rows, 4)
        y = np.empty((nimg, ctot, tiles, ACC_WORDS_PER_TILE, rows), np.uint8)
        y[:, :, :, 0::2] = (octets & 0xF).transpose(0, 1, 2, 4, 3)
        y[:, :, :, 1::2] = (octets >> 4).transpose(0, 1, 2, 4, 3)
        return y

    def _requantized(self, v: np.ndarray) -> np.ndarray:
        """act mode: requantized to 4 bits in place; padding lanes 0, as the
        drain writes them."""
        y = requantize(v, self.scale, self.shift, out=v)
        if self.pad_lanes:
            y[:, :, self.pad] = 0
        return y

    def _store(self, groups: list[_Group], out_words: list[np.ndarray], y: np.ndarray,
               amems: np.ndarray) -> None:
        """Write y (images, channels, words per channel, rows) to AMem group
        by group in issue order: a later group may overwrite words of an
        earlier one (legal; the later drain wins)."""
        nimg, rows = len(amems), self.cfg.rows
        row = 0
        if self.ostride == self.out_words:
            # each group's channels are one block of AMem; groups whose blocks
            # follow each other are stored as one block (one numpy call)
            blocks = []                                 # [first word, first row, channels]
            for g in groups:
                if blocks and blocks[-1][0] + blocks[-1][2] * self.ostride == g.oaddr:
                    blocks[-1][2] += g.ncols
                else:
                    blocks.append([g.oaddr, row, g.ncols])
                row += g.ncols
            for at, r0, n in blocks:
                amems[:, at:at + n * self.ostride] = y[:, r0:r0 + n].reshape(nimg, -1, rows)
        else:
            for g, words in zip(groups, out_words):
                amems[:, words] = y[:, row:row + g.ncols]
                row += g.ncols


_WORK: dict[tuple, np.ndarray] = {}


def _work(name: str, shape: tuple, dtype) -> np.ndarray:
    """A scratch array, reused across layers and runs: fresh large arrays
    cost page faults, which were a third of the run time.  One growing
    buffer per name; its contents are garbage and it never leaves
    _Layer.flush.  (So the ISS is not thread-safe: run it in processes.)"""
    n = math.prod(shape)
    buf = _WORK.get((name, dtype))
    if buf is None or buf.size < n:
        buf = _WORK[(name, dtype)] = np.empty(max(n, 1), dtype)
    return buf[:n].reshape(shape)
