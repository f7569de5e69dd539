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
import numpy as np
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
    # All of AMem as it is now, once a run has written all of it: then an
    # image is written as its difference from it (Backdoor.load_amem), and
    # after a run only the span the write ports touched is read back
    # (Backdoor.refresh_amem).  On a large AMem both cut the file traffic
    # from the whole memory to the words a case uses.
    amem = None
    for i, run in enumerate(job["runs"]):
        for mem, start, data in run["writes"]:
            if mem == "imem":
                await bd.load_imem(data, start)
            elif mem == "wmem":
                await bd.load_wmem(data, start)
            elif amem is not None:
                await bd.load_amem(data, start, current=amem[start: start + len(data)])
                amem[start: start + len(data)] = data
            else:
                await bd.load_amem(data, start)
                if start == 0 and len(data) == cfg.adepth:
                    amem = np.array(data, dtype=np.uint8)
        if amem is not None:
            bd.mark_amem_writes()
        # backdoor writes are applied when the simulator next runs: let that
        # happen before the clock starts, so run_wall_s is the run alone
        await RisingEdge(dut.clk_i)
        t_run = time.time()
        out = await drv.run(run.get("start_pc", 0), max_cycles=run.get("max_cycles", 10_000_000))
        wall = time.time() - t_run     # start -> IRQ -> counters read
        if amem is not None:
            amem = await bd.refresh_amem(amem)
            dumps = [amem[start: start + count].copy() for start, count in run["dumps"]]
        else:
            dumps = [await bd.read_amem(start, count) for start, count in run["dumps"]]
        results.append(RtlRun(out, dumps, wall))
        if job.get("progress") and (i + 1 == n or (i + 1) % max(1, n // 20) == 0):
            el = time.time() - t0
            bar = "#" * int(30 * (i + 1) / n)
            print(f"\r[rtl] {bar:<30} {i + 1}/{n} runs  {el:.1f}s", end="" if i + 1 < n else "\n",
                  flush=True)
    with open(os.environ["SPW_RESULT"], "wb") as f:
        pickle.dump({"results": results, "wall_s": time.time() - t0}, f)
    assert len(results) == n
