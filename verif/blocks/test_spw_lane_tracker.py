"""Bench for hdl/spw_lane_tracker.v against models.shiftpw (lane_coords_start,
lane_coords_next, tile_flags, lane_mask).

For random geometries (H, W in 1..1023, W = 1, W < ROWS, W a multiple of
ROWS or not, W = 1023) the tracker is initialised, walked tile by tile with
random restart / advance / idle cycles (and init / restart / advance
collisions, whose priority is init > restart > advance), and after every
cycle mask_o is compared for all nine taps (plus an illegal tap), and inimg_o
and keep_o (real pixels at even y and even x: a stride-2 layer's outputs,
docs/architecture.md 6.3) once."""
from __future__ import annotations

import numpy as np
import pytest
from cocotb.triggers import FallingEdge, Timer

from models.memory import num_tiles
from models.shiftpw import lane_coords_next, lane_coords_start, lane_mask, tile_flags
from models.spec import tap_offset
from verif.common import make_rng, unpack_lanes
from verif.common.bench import Bench, bring_up, dut_params

TOP = "spw_lane_tracker"
BENCH = Bench("lane_tracker", __name__)


class TrackerModel:
    def __init__(self, rows):
        self.rows = rows
        self.h = self.w = None

    def init(self, h, w):
        self.h, self.w = h, w
        self.y0, self.x0, self.q, self.m = lane_coords_start(h, w, self.rows)
        self.restart()

    def restart(self):
        self.y, self.x, self.t = self.y0.copy(), self.x0.copy(), 0

    def advance(self):
        self.y, self.x = lane_coords_next(self.y, self.x, self.q, self.m, self.w)
        self.t += 1

    def mask(self, tap):
        flags = tile_flags(self.y, self.x, self.h, self.w)
        if tap > 8:
            return np.zeros(self.rows, bool)
        dy, dx = tap_offset(tap)
        return lane_mask(flags, dy, dx)

    def inimg(self):
        return self.y < self.h

    def keep(self):
        return (self.y < self.h) & (self.y % 2 == 0) & (self.x % 2 == 0)


def geometry(rng, rows):
    kind = int(rng.integers(0, 9))
    if kind == 8:
        # H or W = 0: the decoder never sends one, but the tracker's flags
        # still follow the model (every lane masked; nothing to walk)
        return (0, int(rng.integers(0, 1024))) if rng.random() < 0.5 else (int(rng.integers(1, 1024)), 0)
    if kind == 0:
        return int(rng.integers(1, 1024)), 1
    if kind == 1:
        return int(rng.integers(1, 200)), int(rng.integers(1, rows))
    if kind == 2:
        return int(rng.integers(1, 60)), rows * int(rng.integers(1, 5))
    if kind == 3:
        return int(rng.integers(1, 4)), 1023
    if kind == 4:
        return 1023, int(rng.integers(1, 1024))       # walked only partly
    if kind == 5:
        return 1, int(rng.integers(1, 1024))
    return int(rng.integers(1, 40)), int(rng.integers(2, 70))


class TB:
    def __init__(self, dut):
        self.dut = dut
        (self.rows,) = dut_params(dut, "ROWS")
        self.model = TrackerModel(self.rows)
        self.checks = 0

    async def start(self):
        await bring_up(self.dut, init_i=0, restart_i=0, advance_i=0, h_i=0, w_i=0, tap_i=0)

    async def cycle(self, init=None, restart=False, advance=False):
        d = self.dut
        d.init_i.value = int(init is not None)
        if init is not None:
            d.h_i.value, d.w_i.value = init
        d.restart_i.value = int(restart)
        d.advance_i.value = int(advance)
        await FallingEdge(d.clk_i)
        d.init_i.value = 0
        d.restart_i.value = 0
        d.advance_i.value = 0
        if init is not None:
            self.model.init(*init)
        elif restart:
            self.model.restart()
        elif advance:
            self.model.advance()

    async def check(self, taps=range(10)):
        d, m = self.dut, self.model
        where = f"H={m.h} W={m.w} tile={m.t}"
        inimg = unpack_lanes(d.inimg_o.value.to_unsigned(), self.rows, 1).astype(bool)
        assert np.array_equal(inimg, m.inimg()), \
            f"{where}: inimg_o {inimg.astype(int).tolist()} != {m.inimg().astype(int).tolist()}"
        keep = unpack_lanes(d.keep_o.value.to_unsigned(), self.rows, 1).astype(bool)
        assert np.array_equal(keep, m.keep()), \
            f"{where}: keep_o {keep.astype(int).tolist()} != {m.keep().astype(int).tolist()}"
        for tap in taps:
            d.tap_i.value = int(tap)
            await Timer(10, unit="ps")
            got = unpack_lanes(d.mask_o.value.to_unsigned(), self.rows, 1).astype(bool)
            exp = m.mask(tap)
            assert np.array_equal(got, exp), \
                f"{where} tap={tap}: mask_o {got.astype(int).tolist()} != model {exp.astype(int).tolist()}"
        self.checks += 1


async def walk(tb: TB, rng, budget: int):
    cycles = geoms = 0
    while cycles < budget:
        h, w = geometry(rng, tb.rows)
        n_t = num_tiles(h, w, tb.rows)
        geoms += 1
        # sometimes collide init with restart / advance (init must win)
        await tb.cycle(init=(h, w), restart=rng.random() < 0.2, advance=rng.random() < 0.2)
        await tb.check()
        cycles += 1
        # walk up to one tile past the last (the sequencer's documented limit)
        limit = min(n_t, budget - cycles)
        while tb.model.t < limit and cycles < budget:
            r = rng.random()
            if r < 0.05:
                await tb.cycle(restart=True, advance=rng.random() < 0.5)   # restart wins
            elif r < 0.15:
                await tb.cycle()                                          # idle: hold
            else:
                await tb.cycle(advance=True)
            # all taps on edge tiles, a few random taps elsewhere
            edge = tb.model.t in (0, 1, n_t - 1, n_t)
            await tb.check(range(10) if edge else rng.choice(9, 3, replace=False))
            cycles += 1
    tb.dut._log.info("%d geometries, %d cycles, %d tile checks", geoms, cycles, tb.checks)


def corner_shapes(rows: int) -> list[tuple[int, int]]:
    return [(1, 1), (1, 1023), (1023, 1), (1023, 1023), (3, rows), (2, rows - 1), (5, rows + 1), (0, 5), (4, 0)]


@BENCH.test(cycles=lambda work, cfg: 4 * len(corner_shapes(cfg.rows)))
async def test_after_reset_init(dut):
    """init_i takes effect the next cycle: tile 0 of tiny and extreme shapes."""
    tb = TB(dut)
    await tb.start()
    for hw in corner_shapes(tb.rows):
        await tb.cycle(init=hw)
        await tb.check()
        # an empty image has no tile to walk to
        for _ in range(3 if hw[0] * hw[1] else 0):
            await tb.cycle(advance=True)
            await tb.check()


@BENCH.test(cycles=lambda work, cfg: work["cycles"])
async def test_random_walks(dut):
    """Random geometries walked with advance / restart / idle."""
    tb = TB(dut)
    await tb.start()
    rng = make_rng(dut, "random_walks")
    await walk(tb, rng, BENCH.work["cycles"])


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_lane_tracker(config):
    # DIM_W: H and W are 10-bit fields of the LAYER instruction
    BENCH.run(config, toplevel=TOP, params=("ROWS",), extra_params={"DIM_W": 10})
