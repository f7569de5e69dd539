"""cocotb side of the bare-array speed reference (bench.perf): run N steps
with no per-cycle Python and report the wall time in SPW_RESULT."""
from __future__ import annotations

import json
import os
import time

import cocotb
from cocotb.triggers import RisingEdge

from rtlsim.bringup import reset, start_clock


@cocotb.test()
async def bare_array_speed(dut):
    n = int(os.environ["SPW_BARE_CYCLES"])
    start_clock(dut)
    dut.start_i.value = 0
    dut.n_i.value = n
    await reset(dut)
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    t0 = time.time()
    await RisingEdge(dut.done_o)
    wall = time.time() - t0
    with open(os.environ["SPW_RESULT"], "w") as f:
        json.dump({"cycles": n, "wall_s": wall}, f)
