"""Bench for hdl/spw_aligner.v against models.shiftpw.align_tile.

Per layer geometry (H, W) a random channel of T words (padding lanes filled
with junk, which the mask must remove) sits at a random AMem address caddr.
Each step picks a tile t and a tap; the bench computes what the sequencer
would: (w0, off) from shift_offsets, the bank rows of absolute words
caddr+w0 and caddr+w0+1 (bank = addr[0], row = addr >> 1), swap, lo_ok /
hi_ok, and the mask from lane_mask(tile_flags(...)).  The bank read data is
emulated as two SRAM read registers (latency 1, hold while not read); words
outside the channel read as junk.  Steps go back to back, with bubbles
(valid_i = 0) and stall cycles (en_i = 0); every cycle's output is compared
with the expected word three pipeline advances later."""
from __future__ import annotations

import numpy as np
import pytest
from cocotb.triggers import FallingEdge

from models.memory import num_tiles
from models.shiftpw import (align_tile, lane_coords_next, lane_coords_start, lane_mask,
                            shift_offsets, tile_flags)
from models.spec import tap_offset
from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up, dut_params

TOP = "spw_aligner"
BENCH = Bench("aligner", __name__)
MAX_GEOMETRY_STEPS = 80     # steps per geometry; the last geometry may overrun the budget
IDLE_CTRL = dict(swap=0, lo_ok=0, hi_ok=0, off=0, mask=0)


def random_geometry(rng, rows: int, max_pix: int = 3000) -> tuple[int, int]:
    """(H, W) covering W < rows, W = 1, W = rows, multiples and non-multiples
    of rows, and W up to 1023."""
    kind = int(rng.integers(0, 7))
    if kind == 0:
        w = 1
    elif kind == 1:
        w = int(rng.integers(1, rows))                 # narrower than a word
    elif kind == 2:
        w = rows * int(rng.integers(1, 4))             # multiple of rows
    elif kind == 3:
        w = int(rng.integers(512, 1024))               # wide
    else:
        w = int(rng.integers(2, 60))
    h_max = max(1, min(1023, max_pix // w))
    h = int(rng.integers(1, h_max + 1)) if rng.random() < 0.8 else min(h_max, int(rng.integers(1, 4)))
    return h, w


class Channel:
    """One channel in AMem and everything the sequencer derives for it."""

    def __init__(self, rng, rows: int, h: int, w: int, amem_words: int):
        self.rows, self.h, self.w = rows, h, w
        self.t = num_tiles(h, w, rows)
        self.words = rng.integers(0, 16, (self.t, rows))   # padding lanes are junk
        self.caddr = int(rng.integers(1, amem_words - self.t - 1))
        y, x, q, m = lane_coords_start(h, w, rows)
        self.flags = []
        for _ in range(self.t):
            self.flags.append(tile_flags(y, x, h, w))
            y, x = lane_coords_next(y, x, q, m, w)

    def step(self, tile: int, tap: int, full_mask: bool = False):
        """Control, bank rows and expected word of one step.  full_mask=True
        drives an all-ones mask (never produced by the sequencer) so that the
        lo_ok / hi_ok zeroing of out-of-channel words becomes visible: with a
        legal mask those lanes are always masked anyway."""
        dy, dx = tap_offset(tap)
        flags = self.flags[tile]
        if full_mask:
            flags = {k: np.ones(self.rows, bool) for k in flags}
        wo, off = shift_offsets(self.w, self.rows, dy, dx)
        w0 = tile + wo
        a0 = self.caddr + w0
        ctrl = dict(swap=a0 & 1, lo_ok=int(0 <= w0 < self.t), hi_ok=int(0 <= w0 + 1 < self.t),
                    off=off, mask=pack_lanes(lane_mask(flags, dy, dx).astype(int), 1))
        # each bank reads the row holding whichever of a0, a0+1 it owns
        even_addr = a0 if a0 % 2 == 0 else a0 + 1
        odd_addr = a0 if a0 % 2 == 1 else a0 + 1
        exp = align_tile(self.words, tile, self.h, self.w, dy, dx, flags)
        return ctrl, even_addr >> 1, odd_addr >> 1, exp

    def word_at(self, addr: int, junk: dict, rng) -> int:
        i = addr - self.caddr
        if 0 <= i < self.t:
            return pack_lanes(self.words[i], 4)
        if addr not in junk:
            junk[addr] = pack_lanes(rng.integers(0, 16, self.rows), 4)
        return junk[addr]


class TB:
    def __init__(self, dut):
        self.dut = dut
        (self.rows,) = dut_params(dut, "ROWS")
        self.even_q = 0      # emulated bank read registers
        self.odd_q = 0
        zero = (0, np.zeros(self.rows, np.int64))
        self.pipe = [zero, zero, zero]   # stage 0, 1, 2 (expected valid, word)
        self.checked = 0

    async def start(self):
        self.drive_ctrl(0, 0, IDLE_CTRL)
        await bring_up(self.dut, even_i=0, odd_i=0)

    def drive_ctrl(self, en, valid, c):
        d = self.dut
        d.en_i.value = en
        d.valid_i.value = valid
        d.swap_i.value = c["swap"]
        d.lo_ok_i.value = c["lo_ok"]
        d.hi_ok_i.value = c["hi_ok"]
        d.off_i.value = c["off"]
        d.mask_i.value = c["mask"]

    def check(self, when):
        v_exp, a_exp = self.pipe[2]
        v = int(self.dut.valid_o.value)
        a = unpack_lanes(self.dut.a_o.value.to_unsigned(), self.rows, 4)
        if v_exp:
            assert v == 1, f"{when}: valid_o = 0, expected a step"
            assert np.array_equal(a, a_exp), f"{when}: a_o {a.tolist()} != align_tile {a_exp.tolist()}"
        else:
            assert v == 0, f"{when}: valid_o = 1 for a bubble"
            assert not a.any(), f"{when}: bubble carries data {a.tolist()}"
        self.checked += 1

    async def cycle(self, en, valid, ctrl, even_row, odd_row, exp, ch, junk, rng):
        """Drive one cycle after a falling edge; apply the model at the edge."""
        d = self.dut
        self.drive_ctrl(en, valid, ctrl)
        d.even_i.value = self.even_q
        d.odd_i.value = self.odd_q
        await FallingEdge(d.clk_i)
        if en:
            self.pipe = [(valid, exp), self.pipe[0], self.pipe[1]]
            # the sequencer reads the banks whenever the pipeline advances
            self.even_q = ch.word_at(2 * even_row, junk, rng)
            self.odd_q = ch.word_at(2 * odd_row + 1, junk, rng)


async def run_stream(tb: TB, rng, n_cycles: int, amem_words: int, stall_p=0.15, bubble_p=0.1,
                     full_mask_p=0.0):
    rows = tb.rows
    cycles = steps = geoms = 0
    junk: dict = {}
    while cycles < n_cycles:
        h, w = random_geometry(rng, rows)
        ch = Channel(rng, rows, h, w, amem_words)
        junk.clear()
        geoms += 1
        tb.dut._log.debug("geometry H=%d W=%d T=%d caddr=%d", h, w, ch.t, ch.caddr)
        for _ in range(int(rng.integers(20, MAX_GEOMETRY_STEPS))):
            en = int(rng.random() >= stall_p)
            valid = int(rng.random() >= bubble_p)
            r = rng.random()
            tile = 0 if r < 0.15 else ch.t - 1 if r < 0.3 else int(rng.integers(0, ch.t))
            tap = int(rng.integers(0, 9))
            ctrl, er, orow, exp = ch.step(tile, tap, full_mask=rng.random() < full_mask_p)
            if not valid:
                exp = np.zeros(rows, np.int64)
                # a bubble may still carry arbitrary control bits
                ctrl = dict(ctrl, swap=int(rng.integers(0, 2)), mask=int(rng.integers(0, 1 << rows)))
            await tb.cycle(en, valid, ctrl, er, orow, exp, ch, junk, rng)
            tb.check(f"cycle {cycles} (H={h} W={w} tile={tile} tap={tap})")
            cycles += 1
            steps += en and valid
    # drain the pipeline
    for _ in range(4):
        await tb.cycle(1, 0, IDLE_CTRL, 0, 0, np.zeros(rows, np.int64), ch, junk, rng)
        tb.check("drain")
    tb.dut._log.info("%d geometries, %d cycles, %d steps, %d output checks",
                     geoms, cycles, steps, tb.checked)


def _stream_cycles(share: float):
    """Cycles of a test that runs ``share`` of the cycles budget."""
    return lambda work, cfg: int(work["cycles"] * share) + MAX_GEOMETRY_STEPS + 4


@BENCH.test(cycles=_stream_cycles(0.5))
async def test_back_to_back(dut):
    """Steps every cycle (no stalls, no bubbles)."""
    tb = TB(dut)
    await tb.start()
    tb.check("after reset")
    rng = make_rng(dut, "back_to_back")
    await run_stream(tb, rng, BENCH.work["cycles"] // 2, BENCH.cfg.adepth, stall_p=0.0, bubble_p=0.0)


@BENCH.test(cycles=_stream_cycles(1))
async def test_stalls_and_bubbles(dut):
    """Random en_i = 0 stalls and valid_i = 0 bubbles between steps."""
    tb = TB(dut)
    await tb.start()
    rng = make_rng(dut, "stalls_bubbles")
    await run_stream(tb, rng, BENCH.work["cycles"], BENCH.cfg.adepth, stall_p=0.25, bubble_p=0.15)


@BENCH.test(cycles=_stream_cycles(0.5))
async def test_out_of_channel_words(dut):
    """lo_ok_i / hi_ok_i zero a word outside the channel even where the mask
    would let its lanes through (all-ones masks on edge tiles)."""
    tb = TB(dut)
    await tb.start()
    rng = make_rng(dut, "out_of_channel")
    await run_stream(tb, rng, BENCH.work["cycles"] // 2, BENCH.cfg.adepth, stall_p=0.1, bubble_p=0.05,
                     full_mask_p=0.7)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_aligner(config):
    BENCH.run(config, toplevel=TOP, params=("ROWS",))
