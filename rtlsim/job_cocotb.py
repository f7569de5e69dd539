"""cocotb job runner for spw_top, used by rtlsim.job (the CLI's RTL
backend, the demo, the soak and the benchmarks).  It executes a pickled job: a list of runs, each
writing memory words (backdoor), starting the core at a PC through the
AXI4-Lite host interface, waiting for the IRQ, reading the counters, and
dumping AMem ranges.  Results are pickled back.  No checking happens here:
the caller compares with the golden model.

Environment: SPW_CONFIG, SPW_JOB (input pickle), SPW_RESULT (output pickle).
"""
from __future__ import annotations

import os
import pickle
import time

import cocotb
from cocotb.triggers import RisingEdge

from models import spec
from rtlsim.driver import TopDriver
from rtlsim.outcome import RtlRun


@cocotb.test()
async def run_job(dut):
    cfg = spec.get_config(os.environ["SPW_CONFIG"])
    with open(os.environ["SPW_JOB"], "rb") as f:
        job = pickle.load(f)
    drv = TopDriver(dut, cfg)
    await drv.start()
    await drv.check_identity()
    bd = drv.backdoor
    results = []
    t0 = time.time()
    n = len(job["runs"])
    for i, run in enumerate(job["runs"]):
        for mem, start, data in run["writes"]:
            if mem == "imem":
                bd.load_imem(data, start)
            elif mem == "wmem":
                bd.load_wmem(data, start)
            else:
                bd.load_amem(data, start)
        # backdoor writes are applied when the simulator next runs: let that
        # happen before the clock starts, so run_wall_s is the run alone
        await RisingEdge(dut.clk_i)
        t_run = time.time()
        out = await drv.run(run.get("start_pc", 0), max_cycles=run.get("max_cycles", 10_000_000))
        wall = time.time() - t_run     # start -> IRQ -> counters read
        results.append(RtlRun(out, [bd.read_amem(start, count) for start, count in run["dumps"]], wall))
        if job.get("progress") and (i + 1 == n or (i + 1) % max(1, n // 20) == 0):
            el = time.time() - t0
            bar = "#" * int(30 * (i + 1) / n)
            print(f"\r[rtl] {bar:<30} {i + 1}/{n} runs  {el:.1f}s", end="" if i + 1 < n else "\n",
                  flush=True)
    with open(os.environ["SPW_RESULT"], "wb") as f:
        pickle.dump({"results": results, "wall_s": time.time() - t0}, f)
    assert len(results) == n
