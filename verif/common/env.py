"""The bench environment around a DUT's AXI4-Lite port: the protocol monitor
and what subscribes to it.

``bus_monitor(dut)`` is the one way a bench attaches the monitor
(verif/common/axil_monitor.py): it starts an ``AxilMonitor`` on
``dut``'s ``s_axil`` bus with the functional coverage
(``coverage.sample_axil``) subscribed, once per cocotb test (cocotb ends a
test's tasks with the test, so the next test gets a fresh monitor), and
returns the running one on every later call.  Subscribe a scoreboard to
what it returns.

Where it is attached:

* system benches: ``start_top(dut, cfg)`` builds the TopDriver, starts the
  monitor before the reset (its checks begin when the reset deasserts) and
  brings the DUT up; ``run_and_check`` (verif/common/scoreboard.py), which
  every layer test calls, calls ``bus_monitor`` too, so a test that builds
  its own TopDriver (verif/system/test_pruned_dw.py, the docs' example) is
  monitored from its first run on, and ends each run with ``check()``;
* host-interface bench: its TB calls ``bus_monitor`` before the reset and
  subscribes its HostIfScoreboard, in every test, whichever master drives
  the bus.

rtlsim (product code) imports nothing from verif/, which is why the monitor
is attached here and not in TopDriver or HostBus.
"""
from __future__ import annotations

from models import spec
from rtlsim.driver import TopDriver

from . import coverage as cov
from .axil_monitor import AxilMonitor

__all__ = ["bus_monitor", "start_top"]

_MONITORS: dict[tuple[int, str], AxilMonitor] = {}


def bus_monitor(dut, prefix: str = "s_axil", **kwargs) -> AxilMonitor:
    """The running protocol monitor of ``dut``'s ``prefix`` bus in this
    test, started (with coverage subscribed) if there is none yet.
    ``kwargs`` go to AxilMonitor when it is created.  Attach it before the
    reset, or while no transaction is in flight."""
    key = (id(dut), prefix)
    mon = _MONITORS.get(key)
    if mon is None or not mon.running:
        mon = AxilMonitor(dut, prefix, **kwargs)
        mon.subscribe(cov.sample_axil)
        mon.start()
        _MONITORS[key] = mon
    return mon


async def start_top(dut, cfg: spec.Config) -> TopDriver:
    """spw_top with its environment: a TopDriver, the bus monitor (started
    before the reset) and the DUT clocked and out of reset."""
    drv = TopDriver(dut, cfg)
    bus_monitor(dut)
    await drv.start()
    return drv
