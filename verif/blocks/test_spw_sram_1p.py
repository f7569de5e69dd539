"""Bench for hdl/spw_sram_1p.v: random masked reads/writes against a dict
model, read-data hold, $readmemh init.  Model: a Python list per word."""
from __future__ import annotations

import pytest
from cocotb.triggers import FallingEdge

from verif.common import make_rng
from verif.common.bench import Bench, bring_up, dut_params
from verif.common.sram_image import init_image, rand_word, run_sram_bench

TOP = "spw_sram_1p"
BENCH = Bench("sram_1p", __name__)
IDLE = dict(req_i=0, we_i=0, addr_i=0, wdata_i=0, wmask_i=0)
INIT_READS = 32     # addresses test_init_file reads back


async def _run_ops(dut, rng, n_ops: int, addr_window: int) -> None:
    width, depth = dut_params(dut, "WIDTH", "DEPTH")
    mem = init_image()
    assert len(mem) == depth
    base = int(rng.integers(0, depth - addr_window + 1))
    expect = None       # rdata_o the model says is held
    pending = None      # read issued this cycle, lands next cycle
    await bring_up(dut, reset=False, **IDLE)
    for i in range(n_ops):
        # check the result of the previous rising edge
        if pending is not None:
            expect = pending
            pending = None
        if expect is not None:
            got = dut.rdata_o.value.to_unsigned()
            assert got == expect, f"op {i}: rdata_o {got:#x} != model {expect:#x}"
        kind = rng.integers(0, 4)          # 0 idle, 1 write, 2-3 read
        addr = base + int(rng.integers(0, addr_window))
        req = kind != 0 or rng.random() < 0.2
        we = kind == 1
        wdata = rand_word(rng, width)
        wmask = [0, (1 << width) - 1, rand_word(rng, width)][int(rng.integers(0, 3))]
        dut.req_i.value = int(req)
        dut.we_i.value = int(we)
        dut.addr_i.value = addr
        dut.wdata_i.value = wdata
        dut.wmask_i.value = wmask
        if req and we:
            mem[addr] = (mem[addr] & ~wmask) | (wdata & wmask)
        elif req:
            pending = mem[addr]
        await FallingEdge(dut.clk_i)
    dut.req_i.value = 0


@BENCH.test(cycles=2 * INIT_READS)
async def test_init_file(dut):
    """Every word read back equals the $readmemh image (first/last words too).
    Runs first: the later tests write the array."""
    rng = make_rng(dut, "init_file")
    (depth,) = dut_params(dut, "DEPTH")
    mem = init_image()
    addrs = [0, depth - 1] + [int(a) for a in rng.integers(0, depth, INIT_READS - 2)]
    await bring_up(dut, reset=False, **IDLE)
    for a in addrs:
        dut.req_i.value = 1
        dut.addr_i.value = a
        await FallingEdge(dut.clk_i)
        dut.req_i.value = 0
        await FallingEdge(dut.clk_i)   # idle cycle: data must hold
        got = dut.rdata_o.value.to_unsigned()
        assert got == mem[a], f"addr {a}: {got:#x} != image {mem[a]:#x}"


@BENCH.test(cycles=lambda work, cfg: work["ops"])
async def test_random_ops(dut):
    """Random idle/read/masked-write mix in a small address window."""
    rng = make_rng(dut, "random_ops")
    await _run_ops(dut, rng, n_ops=BENCH.work["ops"], addr_window=8)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_sram_1p(config):
    run_sram_bench(BENCH, config, TOP, seed_salt=31)
