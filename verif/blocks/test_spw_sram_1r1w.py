"""Bench for hdl/spw_sram_1r1w.v: independent read and masked-write ports
against a list model; read data holds between reads; a same-cycle
same-address read returns the OLD word; $readmemh init."""
from __future__ import annotations

import os

import cocotb
import pytest
from cocotb.triggers import FallingEdge

from verif.blocks.test_spw_sram_1p import _load_hex, _rand_word, write_hex_image
from verif.common import make_rng, start_clock

TOP = "spw_sram_1r1w"


def _idle(dut):
    dut.re_i.value = 0
    dut.raddr_i.value = 0
    dut.we_i.value = 0
    dut.waddr_i.value = 0
    dut.wdata_i.value = 0
    dut.wmask_i.value = 0


@cocotb.test()
async def test_init_file(dut):
    """Reads of the $readmemh image (first test: later ones write)."""
    rng = make_rng(dut, "init_file")
    width, depth = int(dut.WIDTH.value), int(dut.DEPTH.value)
    mem = _load_hex(os.environ["SRAM_INIT_FILE"], width)
    start_clock(dut)
    _idle(dut)
    await FallingEdge(dut.clk_i)
    for a in [0, depth - 1] + [int(x) for x in rng.integers(0, depth, 30)]:
        dut.re_i.value = 1
        dut.raddr_i.value = a
        await FallingEdge(dut.clk_i)
        dut.re_i.value = 0
        await FallingEdge(dut.clk_i)
        got = dut.rdata_o.value.to_unsigned()
        assert got == mem[a], f"addr {a}: {got:#x} != image {mem[a]:#x}"


@cocotb.test()
async def test_random_two_port(dut):
    """Both ports random each cycle over a small window, so same-address
    read/write collisions are frequent; the read must see the old word."""
    rng = make_rng(dut, "two_port")
    width, depth = int(dut.WIDTH.value), int(dut.DEPTH.value)
    mem = _load_hex(os.environ["SRAM_INIT_FILE"], width)
    start_clock(dut)
    _idle(dut)
    window = 6
    base = int(rng.integers(0, depth - window + 1))
    expect = None
    collisions = 0
    await FallingEdge(dut.clk_i)
    for i in range(int(os.environ.get("N_OPS", "400"))):
        if expect is not None:
            got = dut.rdata_o.value.to_unsigned()
            assert got == expect, f"op {i}: rdata_o {got:#x} != model {expect:#x}"
        re = rng.random() < 0.6
        we = rng.random() < 0.6
        ra = base + int(rng.integers(0, window))
        wa = ra if rng.random() < 0.3 else base + int(rng.integers(0, window))
        wdata = _rand_word(rng, width)
        wmask = [(1 << width) - 1, _rand_word(rng, width), 0][int(rng.integers(0, 3))]
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


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_sram_1r1w(config):
    from models.spec import CONFIGS
    from rtlsim.build import hdl_sources, run_cocotb, run_dir

    cfg = CONFIGS[config]
    width, depth = cfg.rows * 4, 256
    d = run_dir()
    write_hex_image(d / "init.hex", width, depth, seed=depth * 37 + width)
    run_cocotb(
        toplevel=TOP,
        sources=hdl_sources(TOP),
        test_module=__name__,
        test_dir=d,
        parameters={"WIDTH": width, "DEPTH": depth, "INIT_FILE": '"init.hex"'},
        extra_env={"SRAM_INIT_FILE": str(d / "init.hex")},
    )
