"""Bench for hdl/spw_mac_array.v against a numpy model of the accumulate /
capture semantics (the per-tile sums of models.shiftpw.shiftpw_conv:
acc += outer(a, w), cleared per tile).

Stimulus: random tiles of 1..6 steps (first/last flags), idle gaps, null
steps (a = 0), extreme operands; one drain-buffer column is checked every
cycle (as the drain reads it) and all columns after every capture."""
from __future__ import annotations

import numpy as np
import pytest
from cocotb.triggers import FallingEdge, Timer

from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up, dut_params

TOP = "spw_mac_array"
BENCH = Bench("mac_array", __name__)
MAX_TILE_STEPS = 6
IDLE = dict(step_i=0, first_i=0, last_i=0, a_i=0, w_i=0)


class MacModel:
    def __init__(self, rows: int, cols: int):
        self.acc = np.zeros((rows, cols), np.int64)
        self.drn = np.zeros((rows, cols), np.int64)

    def step(self, first: bool, last: bool, a: np.ndarray, w: np.ndarray) -> None:
        s = (0 if first else self.acc) + np.outer(a, w)
        if last:
            self.drn = s
        else:
            self.acc = s


class TB:
    def __init__(self, dut):
        self.dut = dut
        self.rows, self.cols, self.acc_w = dut_params(dut, "ROWS", "COLS", "ACC_W")
        self.model = MacModel(self.rows, self.cols)
        self.col = 0            # column presented on rd_col_i
        self.n_checks = 0

    async def start(self):
        await bring_up(self.dut, rd_col_i=0, **IDLE)

    def check_col(self, col: int, when: str):
        got = unpack_lanes(self.dut.rd_data_o.value.to_unsigned(), self.rows, self.acc_w, signed=True)
        exp = self.model.drn[:, col]
        if not np.array_equal(got, exp):
            bad = np.nonzero(got != exp)[0]
            raise AssertionError(f"{when}: D column {col} lanes {bad.tolist()}: "
                                 f"rtl {got[bad].tolist()} != model {exp[bad].tolist()}")
        self.n_checks += 1

    async def check_all_cols(self, when: str):
        # rd_data_o is combinational: sweep the columns with picosecond
        # waits so the sweep stays inside one half clock period.
        for c in range(self.cols):
            self.dut.rd_col_i.value = c
            await Timer(10, unit="ps")
            self.check_col(c, when)
        self.dut.rd_col_i.value = self.col
        await Timer(10, unit="ps")

    async def cycle(self, step=False, first=False, last=False, a=None, w=None):
        """Drive one cycle (we are just after a falling edge), then check the
        drain column seen in this cycle against the model before the edge."""
        d = self.dut
        self.check_col(self.col, "drain read")
        d.step_i.value = int(step)
        d.first_i.value = int(first)
        d.last_i.value = int(last)
        if step:
            d.a_i.value = pack_lanes(a, 4)
            d.w_i.value = pack_lanes(w, 4)
            self.model.step(first, last, np.asarray(a, np.int64), np.asarray(w, np.int64))
        await FallingEdge(d.clk_i)
        self.col = (self.col + 1) % self.cols
        d.rd_col_i.value = self.col
        await Timer(1, unit="ns")

    def rand_a(self, rng, kind):
        if kind == "null":
            return np.zeros(self.rows, np.int64)
        if kind == "max":
            return np.full(self.rows, 15)
        return rng.integers(0, 16, self.rows)

    def rand_w(self, rng, kind):
        if kind == "max":
            return rng.choice([-8, 7], self.cols)
        return rng.integers(-8, 8, self.cols)


async def run_random_tiles(tb: TB, rng, n_cycles: int):
    cycles = 0
    tiles = 0
    while cycles < n_cycles:
        n = int(rng.integers(1, MAX_TILE_STEPS + 1))
        kind = rng.choice(["rand", "rand", "rand", "null", "max"])
        # rarely a tile continues from A (first_i = 0): A must have held its
        # value through the previous capture (a capture writes only D)
        cont = rng.random() < 0.1
        for s in range(n):
            # idle gaps (stalls) inside and between tiles
            while rng.random() < 0.2:
                await tb.cycle()
                cycles += 1
            await tb.cycle(True, s == 0 and not cont, s == n - 1,
                           tb.rand_a(rng, kind), tb.rand_w(rng, kind))
            cycles += 1
        tiles += 1
        if rng.random() < 0.25:
            await tb.check_all_cols(f"after tile {tiles}")
    await tb.check_all_cols("end")
    tb.dut._log.info("%d tiles, %d cycles, %d column checks", tiles, cycles, tb.n_checks)


@BENCH.test(cycles=10)
async def test_reset_state(dut):
    """A and D are 0 after reset: a single-step capture of zeros and an
    accumulating tile that does not start with first_i read A = 0."""
    tb = TB(dut)
    await tb.start()
    await tb.check_all_cols("after reset")
    # a tile that continues from A (first_i = 0) right after reset sees A = 0
    rng = make_rng(dut, "reset_state")
    a, w = tb.rand_a(rng, "rand"), tb.rand_w(rng, "rand")
    await tb.cycle(True, False, True, a, w)
    await tb.check_all_cols("first capture")


# a tile and its idle gaps may run past the budget
@BENCH.test(cycles=lambda work, cfg: work["cycles"] + 5 * MAX_TILE_STEPS)
async def test_random_tiles(dut):
    """Random tiles, gaps and null steps; every cycle one drain column."""
    tb = TB(dut)
    await tb.start()
    rng = make_rng(dut, "random_tiles")
    await run_random_tiles(tb, rng, BENCH.work["cycles"])


@BENCH.test(cycles=lambda work, cfg: work["long_steps"] + 10)
async def test_long_extreme_tile(dut):
    """One long tile of extreme products (a = 15, w = -8 / 7) approaching the
    accumulator bound, then a short tile that must start from 0."""
    tb = TB(dut)
    await tb.start()
    rng = make_rng(dut, "long_extreme")
    n = BENCH.work["long_steps"]
    # ACC_W holds one group of at most WDEPTH steps, no more
    assert n <= BENCH.cfg.wdepth, f"effort table: long_steps {n} > WDEPTH {BENCH.cfg.wdepth}"
    w = rng.choice([-8, 7], tb.cols)
    w[0], w[-1] = -8, 7
    a = np.full(tb.rows, 15)
    a[0] = 0
    for s in range(n):
        await tb.cycle(True, s == 0, s == n - 1, a, w)
    await tb.check_all_cols("long tile")
    lim = 1 << (tb.acc_w - 1)
    dut._log.info("long tile: %d steps, |D| max %d of bound %d", n, np.abs(tb.model.drn).max(), lim)
    assert np.abs(tb.model.drn).max() < lim
    await tb.cycle(True, True, True, tb.rand_a(rng, "rand"), tb.rand_w(rng, "rand"))
    await tb.check_all_cols("short tile after long")


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_mac_array(config):
    BENCH.run(config, toplevel=TOP, params=("ROWS", "COLS", "ACC_W"))
