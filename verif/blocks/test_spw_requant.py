"""Bench for hdl/spw_requant.v against models.reference.requantize (act mode)
and the acc-mode nibble-plane format of models.iss / models.memory.load_acc,
then the lane moves of the keep-even drain (docs/architecture.md 6.3).

Every cycle carries a random drain column (random, extreme and
"near a rounding/clip boundary" values), bias, scale, shift, mode, nibble
plane, padding lanes and address, and either the stride-1 route (every lane
to itself, word written whole) or a random one (a random set of lanes, each
to a distinct random lane; random lane write masks); outputs are compared two
cycles later."""
from __future__ import annotations

import numpy as np
import pytest
from cocotb.triggers import FallingEdge

from models.reference import requantize
from models.spec import BIAS_MAX, BIAS_MIN, SCALE_MAX, SHIFT_MAX
from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up, dut_params

TOP = "spw_requant"
BENCH = Bench("requant", __name__)
# test_corners: per bias, 4 scales x 6 shifts in act mode and 8 nibble planes
CORNER_CYCLES = 5 * (4 * 6 + 8) + 5


def model_word(col, bias, scale, shift, acc_mode, nib, pad, route=None) -> np.ndarray:
    """The word written; ``route`` = (keep, dest, lo, hi) moves kept lane r
    to lane dest[r], the other lanes being 0 (None: every lane stays)."""
    v = np.asarray(col, np.int64) + int(bias)
    if acc_mode:
        out = ((v & 0xFFFFFFFF) >> (4 * int(nib))) & 0xF
    else:
        out = requantize(v, scale, shift)
    out = np.where(pad, 0, out).astype(np.int64)
    if route is None:
        return out
    keep, dest = route[0], route[1]
    moved = np.zeros_like(out)
    for r in range(len(out)):
        if keep >> r & 1:
            moved[dest[r]] = out[r]
    return moved


def identity_route(rows: int):
    full = (1 << rows) - 1
    return full, list(range(rows)), full, 0


def random_route(rng, rows: int):
    """Some lanes, each to a distinct lane, and random lane write masks."""
    keep = int(rng.integers(0, 1 << rows))
    dest = [int(x) for x in rng.permutation(rows)]
    return keep, dest, int(rng.integers(0, 1 << rows)), int(rng.integers(0, 1 << rows))


class Stim:
    def __init__(self, rng, rows, acc_w, addr_w):
        self.rng, self.rows, self.acc_w, self.addr_w = rng, rows, acc_w, addr_w
        self.lo, self.hi = -(1 << (acc_w - 1)), (1 << (acc_w - 1)) - 1

    def params(self):
        r = self.rng
        scale = int(r.choice([0, 1, SCALE_MAX, int(r.integers(0, SCALE_MAX + 1)),
                              int(r.integers(1, 64))]))
        shift = int(r.choice([0, SHIFT_MAX, int(r.integers(0, SHIFT_MAX + 1)), int(r.integers(0, 20))]))
        bias = int(r.choice([BIAS_MIN, BIAS_MAX, 0, int(r.integers(BIAS_MIN, BIAS_MAX + 1))]))
        return bias, scale, shift

    def column(self, bias, scale, shift):
        r, n = self.rng, self.rows
        kind = int(r.integers(0, 4))
        if kind == 0:
            col = r.integers(self.lo, self.hi + 1, n)
        elif kind == 1:   # extremes and tiny values
            col = r.choice([self.lo, self.lo + 1, self.hi, self.hi - 1, 0, 1, -1], n)
        elif kind == 2:   # small accumulators
            col = r.integers(-300, 300, n)
        else:             # v*scale/2^shift near the rounding and clip thresholds
            target = r.integers(-2, 18, n) * 2 - 1          # odd halves: rounding edges
            if scale == 0:
                col = r.integers(self.lo, self.hi + 1, n)
            else:
                v = np.rint(target * (2.0 ** shift) / (2 * scale)).astype(np.int64)
                col = v + r.integers(-2, 3, n) - bias
        return np.clip(col, self.lo, self.hi)


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.rows, self.acc_w, self.addr_w = dut_params(dut, "ROWS", "ACC_W", "ADDR_W")
        self.lr = (self.rows - 1).bit_length()
        self.pipe = [None, None]     # expected (addr, word) per stage, None = not valid
        self.checks = 0

    async def start(self):
        await bring_up(self.dut, valid_i=0, col_i=0, bias_i=0, scale_i=0, shift_i=0, acc_mode_i=0,
                       nib_i=0, pad_i=0, addr_i=0, keep_i=0, dest_i=0, lo_i=0, hi_i=0)

    def check(self, when):
        exp = self.pipe[1]
        v = int(self.dut.valid_o.value)
        if exp is None:
            assert v == 0, f"{when}: valid_o = 1, expected none"
            return
        addr, word, info, route = exp
        assert v == 1, f"{when}: valid_o = 0, expected a word"
        got_addr = self.dut.addr_o.value.to_unsigned()
        assert got_addr == addr, f"{when}: addr_o {got_addr} != {addr}"
        masks = (self.dut.lo_o.value.to_unsigned(), self.dut.hi_o.value.to_unsigned())
        assert masks == route[2:], f"{when}: lane masks lo/hi {masks} != {route[2:]}"
        # the word for addr + 1: the lanes of addr's mask cleared
        hi_word = np.where([route[2] >> r & 1 for r in range(self.rows)], 0, word)
        got_hi = unpack_lanes(self.dut.word_hi_o.value.to_unsigned(), self.rows, 4)
        assert np.array_equal(got_hi, hi_word), f"{when}: word_hi_o {got_hi.tolist()} != {hi_word.tolist()}"
        got = unpack_lanes(self.dut.word_o.value.to_unsigned(), self.rows, 4)
        if not np.array_equal(got, word):
            bad = np.nonzero(got != word)[0]
            col, bias, scale, shift, acc, nib, pad = info
            raise AssertionError(
                f"{when}: lanes {bad.tolist()}: rtl {got[bad].tolist()} != model {word[bad].tolist()} "
                f"(col {col[bad].tolist()} bias {bias} scale {scale} shift {shift} acc {acc} "
                f"nib {nib} pad {pad[bad].astype(int).tolist()}; keep {route[0]:#x} dest {route[1]})")
        self.checks += 1

    async def cycle(self, valid, col=None, bias=0, scale=0, shift=0, acc=0, nib=0, pad=None, addr=0,
                    route=None):
        d = self.dut
        d.valid_i.value = int(valid)
        if valid:
            route = route or identity_route(self.rows)
            d.keep_i.value = route[0]
            d.dest_i.value = pack_lanes(route[1], self.lr)
            d.lo_i.value = route[2]
            d.hi_i.value = route[3]
            d.col_i.value = pack_lanes(col, self.acc_w)
            d.bias_i.value = bias & 0x7FFF
            d.scale_i.value = scale
            d.shift_i.value = shift
            d.acc_mode_i.value = int(acc)
            d.nib_i.value = int(nib)
            d.pad_i.value = pack_lanes(pad.astype(int), 1)
            d.addr_i.value = addr
            exp = (addr, model_word(col, bias, scale, shift, acc, nib, pad, route),
                   (np.asarray(col), bias, scale, shift, acc, nib, pad), route)
        else:
            exp = None
        await FallingEdge(d.clk_i)
        self.pipe = [exp, self.pipe[0]]


async def run_random(tb: TB, rng, n: int, acc_p: float, route_p: float = 0.0):
    st = Stim(rng, tb.rows, tb.acc_w, tb.addr_w)
    for i in range(n):
        valid = rng.random() < 0.85
        if valid:
            bias, scale, shift = st.params()
            col = st.column(bias, scale, shift)
            pad = rng.random(tb.rows) < (0.3 if rng.random() < 0.2 else 0.0)
            route = random_route(rng, tb.rows) if rng.random() < route_p else None
            await tb.cycle(True, col, bias, scale, shift, rng.random() < acc_p,
                           int(rng.integers(0, 8)), pad, int(rng.integers(0, 1 << tb.addr_w)), route)
        else:
            await tb.cycle(False)
        tb.check(f"cycle {i}")
    for _ in range(2):
        await tb.cycle(False)
        tb.check("flush")
    tb.dut._log.info("%d cycles, %d words checked", n, tb.checks)


@BENCH.test(cycles=lambda work, cfg: work["cycles"])
async def test_act_mode(dut):
    """Requantization: random, extreme and boundary values (acc mode rare)."""
    tb = TB(dut)
    await tb.start()
    tb.check("after reset")
    await run_random(tb, make_rng(dut, "act"), BENCH.work["cycles"], 0.1)


@BENCH.test(cycles=lambda work, cfg: work["cycles"] // 2)
async def test_acc_mode(dut):
    """Nibble planes of the int32 value, all planes, mixed with act words."""
    tb = TB(dut)
    await tb.start()
    await run_random(tb, make_rng(dut, "acc"), BENCH.work["cycles"] // 2, 0.8)


@BENCH.test(cycles=lambda work, cfg: work["cycles"] // 2)
async def test_lane_moves(dut):
    """Random lane moves and write masks (the keep-even drain) mixed with
    stride-1 words, in act and acc mode."""
    tb = TB(dut)
    await tb.start()
    await run_random(tb, make_rng(dut, "moves"), BENCH.work["cycles"] // 2, 0.2, route_p=0.7)


@BENCH.test(cycles=CORNER_CYCLES)
async def test_corners(dut):
    """Fixed corners: v = +-2^(ACC_W-1) region with scale 0 / 65535 and shift
    0 / 31, all eight nibble planes of extreme values, all-padding words."""
    tb = TB(dut)
    await tb.start()
    lo, hi = -(1 << (tb.acc_w - 1)), (1 << (tb.acc_w - 1)) - 1
    vals = [lo, lo + 1, -1, 0, 1, hi - 1, hi]
    col = np.array([vals[i % len(vals)] for i in range(tb.rows)])
    nopad = np.zeros(tb.rows, bool)
    n = 0
    for bias in (BIAS_MIN, -1, 0, 1, BIAS_MAX):
        for scale in (0, 1, 2, SCALE_MAX):
            for shift in (0, 1, 4, 15, 30, SHIFT_MAX):
                await tb.cycle(True, col, bias, scale, shift, 0, 0, nopad, n % (1 << tb.addr_w))
                tb.check(f"act corner bias={bias} scale={scale} shift={shift}")
                n += 1
        for nib in range(8):
            await tb.cycle(True, col, bias, 0, 0, 1, nib, nopad, n % (1 << tb.addr_w))
            tb.check(f"acc corner bias={bias} nib={nib}")
            n += 1
    await tb.cycle(True, col, 5, 3, 0, 0, 0, np.ones(tb.rows, bool), 1)
    await tb.cycle(True, col, 5, 3, 0, 1, 7, np.ones(tb.rows, bool), 2)
    for _ in range(3):
        tb.check("all padding")
        await tb.cycle(False)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_requant(config):
    from models.spec import get_config

    BENCH.run(config, toplevel=TOP, params=("ROWS", "ACC_W"),
              extra_params={"ADDR_W": (get_config(config).adepth - 1).bit_length()})
