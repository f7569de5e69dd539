"""Bench for hdl/spw_sram_1r1w.v: independent read and masked-write ports
against a list model; read data holds between reads; a same-cycle
same-address read returns the OLD word; $readmemh init; the backdoor's
write tracker."""
from __future__ import annotations

import pytest
from cocotb.triggers import FallingEdge

from verif.common import make_rng
from verif.common.bench import Bench, bring_up, dut_params
from verif.common.sram_image import init_image, rand_word, run_sram_bench

TOP = "spw_sram_1r1w"
BENCH = Bench("sram_1r1w", __name__)
IDLE = dict(re_i=0, raddr_i=0, we_i=0, waddr_i=0, wdata_i=0, wmask_i=0)
INIT_READS = 32     # addresses test_init_file reads back


@BENCH.test(cycles=2 * INIT_READS)
async def test_init_file(dut):
    """Reads of the $readmemh image (first test: later ones write)."""
    rng = make_rng(dut, "init_file")
    (depth,) = dut_params(dut, "DEPTH")
    mem = init_image()
    await bring_up(dut, reset=False, **IDLE)
    for a in [0, depth - 1] + [int(x) for x in rng.integers(0, depth, INIT_READS - 2)]:
        dut.re_i.value = 1
        dut.raddr_i.value = a
        await FallingEdge(dut.clk_i)
        dut.re_i.value = 0
        await FallingEdge(dut.clk_i)
        got = dut.rdata_o.value.to_unsigned()
        assert got == mem[a], f"addr {a}: {got:#x} != image {mem[a]:#x}"


@BENCH.test(cycles=lambda work, cfg: work["ops"])
async def test_random_two_port(dut):
    """Both ports random each cycle over a small window, so same-address
    read/write collisions are frequent; the read must see the old word."""
    rng = make_rng(dut, "two_port")
    width, depth = dut_params(dut, "WIDTH", "DEPTH")
    mem = init_image()
    window = 6
    base = int(rng.integers(0, depth - window + 1))
    expect = None
    collisions = 0
    await bring_up(dut, reset=False, **IDLE)
    for i in range(BENCH.work["ops"]):
        if expect is not None:
            got = dut.rdata_o.value.to_unsigned()
            assert got == expect, f"op {i}: rdata_o {got:#x} != model {expect:#x}"
        re = rng.random() < 0.6
        we = rng.random() < 0.6
        ra = base + int(rng.integers(0, window))
        wa = ra if rng.random() < 0.3 else base + int(rng.integers(0, window))
        wdata = rand_word(rng, width)
        wmask = [(1 << width) - 1, rand_word(rng, width), 0][int(rng.integers(0, 3))]
        dut.re_i.value = int(re)
        dut.raddr_i.value = ra
        dut.we_i.value = int(we)
        dut.waddr_i.value = wa
        dut.wdata_i.value = wdata
        dut.wmask_i.value = wmask
        if re:
            expect = mem[ra]                 # old data, before this cycle's write
            collisions += we and wa == ra
        if we:
            mem[wa] = (mem[wa] & ~wmask) | (wdata & wmask)
        await FallingEdge(dut.clk_i)
    dut._log.info("%d same-address read/write collisions", collisions)
    assert collisions > 0


@BENCH.test(cycles=lambda work, cfg: 4 * work["ops"])
async def test_write_tracker(dut):
    """The simulation-only write tracker (bd_wlo / bd_whi) the memory
    backdoor relies on to read back only what a run wrote: after each
    marking, it spans exactly the lowest to the highest address written,
    masked writes included, reads and idle cycles ignored."""
    rng = make_rng(dut, "write_tracker")
    width, depth = dut_params(dut, "WIDTH", "DEPTH")
    await bring_up(dut, reset=False, **IDLE)
    for rnd in range(4):
        dut.bd_wlo.value = 0xFFFF_FFFF
        dut.bd_whi.value = 0
        await FallingEdge(dut.clk_i)
        written = []
        for _ in range(BENCH.work["ops"] // 4):
            we = rng.random() < 0.5
            wa = int(rng.choice([0, depth - 1])) if rng.random() < 0.1 else int(rng.integers(0, depth))
            dut.we_i.value = int(we)
            dut.waddr_i.value = wa
            dut.wdata_i.value = rand_word(rng, width)
            dut.wmask_i.value = rand_word(rng, width)
            dut.re_i.value = int(rng.random() < 0.5)
            dut.raddr_i.value = int(rng.integers(0, depth))
            written += [wa] if we else []
            await FallingEdge(dut.clk_i)
        dut.we_i.value = 0
        await FallingEdge(dut.clk_i)
        lo, hi = dut.bd_wlo.value.to_unsigned(), dut.bd_whi.value.to_unsigned()
        want = (min(written), max(written)) if written else (0xFFFF_FFFF, 0)
        assert (lo, hi) == want, f"round {rnd}: tracker ({lo}, {hi}) != writes {want}"


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_sram_1r1w(config):
    run_sram_bench(BENCH, config, TOP, seed_salt=37)
