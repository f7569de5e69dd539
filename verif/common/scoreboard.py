"""Scoreboard of the system benches: run one program on the DUT and on the
golden model and compare them.

The comparison itself is ``rtlsim.outcome.check_run``, the one path every
RTL-versus-model check in the project takes; this module adds what a bench
needs around it: loading through the backdoor, a run timeout derived from
the model's cycle count, coverage sampling of the run, and the AXI4-Lite
protocol monitor on the host port (verif/common/env.py ``bus_monitor``:
attached here if the test did not start through ``start_top``).
"""
from __future__ import annotations

from models import iss
from models.memory import Memories
from rtlsim.driver import TopDriver
from rtlsim.outcome import check_run

from . import coverage as cov
from .env import bus_monitor

__all__ = ["run_and_check", "run_budget"]


def run_budget(res: iss.RunResult) -> int:
    """Clock cycles a run may take before the bench calls it hung: four
    times the cycle model's count, plus room for the host's accesses."""
    return 4 * res.cycles + 1000


async def run_and_check(drv: TopDriver, name: str, mem: Memories, prog=None, start_pc: int = 0,
                        imem_words: int | None = None, wmem_words: int | None = None) -> iss.RunResult:
    """Load ``mem`` (the first ``imem_words`` / ``wmem_words`` of IMem /
    WMem, all of AMem) through the backdoor, run from ``start_pc`` on the
    DUT and on the golden model, and require every AMem word and every
    host-visible register to agree (``Mismatch`` otherwise, naming each
    difference in terms of ``prog``'s tensors).  The host port's protocol
    monitor watches the run's bus traffic.  Returns the model's run."""
    monitor = bus_monitor(drv.dut)
    seen = sum(monitor.counts.values())
    exp = mem.copy()
    res = iss.run(exp, start_pc)
    await drv.backdoor.load(mem, imem_words, wmem_words)
    # AMem after the run = the loaded image with the span the write ports
    # touched read back (the SRAM models track it; their bench checks that)
    drv.backdoor.mark_amem_writes()
    got = await drv.run(start_pc, max_cycles=run_budget(res))
    await monitor.quiet()
    monitor.check()
    assert sum(monitor.counts.values()) > seen, f"{name}: the bus monitor saw none of the run's host accesses"
    amem = await drv.backdoor.refresh_amem(mem.amem)
    check_run(name, res, exp.amem, got, amem, prog, log=drv.dut._log)
    cov.sample_run(mem.imem, start_pc, got)
    return res
