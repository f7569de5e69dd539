"""Bench of the AXI4-Lite protocol monitor itself (verif/common/axil_monitor.py):
it must stay silent on a correct slave and name every broken rule.

The DUT is verif/blocks/tb_axil_faulty.v: the host-interface testbench top
(spw_host_if with behavioural memories) with one protocol fault, chosen by
its parameter FAULT, injected on the slave's side of the bus (see the
wrapper for the list).  Each case drives traffic with random valid delays
and BREADY/RREADY backpressure through the raw driver (reads alone first,
then reads and writes mixed), with a monitor that records its first
violation instead of failing the test, and then:

* FAULT 0 (``none``): the monitor reports nothing, publishes every
  transaction, and the scoreboard (HostIfModel) agrees with all of them;
  then HostBus (HOST_BUS's bus model) drives more traffic, also clean;
* any other FAULT: the monitor must have raised, naming the expected
  channel and rule and the cycle; the cocotb test catches that
  AssertionError and checks its message, so the test passes when the
  monitor catches the fault and fails when it does not;
* ``master_*``: the slave is correct and a hand-driven master breaks a
  rule of the master's side (AWVALID withdrawn, WDATA or ARADDR changed
  while waiting for READY);
* ``fails_the_test``: FAULT 1 under the monitor as the other benches attach
  it (``env.bus_monitor``, raising): the cocotb test, which would pass if
  its traffic completed, must end with the monitor's AxilProtocolError
  (``expect_error``), raised from the monitor's own task.

Run:  .venv/bin/pytest verif/blocks/test_axil_monitor.py   (SIM=verilator, SEED=n)
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import Event, FallingEdge, First, RisingEdge

from models import spec
from models.stimulus import BusKnobs
from rtlsim.host import OKAY, HostBus
from verif.common import effort, make_rng, reset, start_clock
from verif.common.axil_driver import AxilPins, AxilRawDriver, Txn
from verif.common.axil_monitor import (
    NO_REQUEST,
    ONE_RESPONSE,
    PAYLOAD_CHANGED,
    TIMEOUT,
    VALID_DROPPED,
    X_HANDSHAKE,
    AxilMonitor,
    AxilProtocolError,
)
from verif.common.axil_traffic import rand32, random_txns
from verif.common.hostif_model import HostIfModel
from verif.common.hostif_scoreboard import HostIfScoreboard

TOP = "tb_axil_faulty"
HERE = Path(__file__).resolve().parent
CONFIG = "small"
CASE_VAR = "AXIL_MONITOR_CASE"

# case: (FAULT of the wrapper, channel and rule the monitor must name)
CASES = {
    "none": (0, None, None),
    "b_dropped": (1, "B", VALID_DROPPED),
    "rdata_changed": (2, "R", PAYLOAD_CHANGED),
    "extra_b": (3, "B", NO_REQUEST),
    "duplicate_r": (4, "R", NO_REQUEST),
    "bresp_changed": (5, "B", PAYLOAD_CHANGED),
    "r_before_ar": (6, "R", NO_REQUEST),
    "x_on_bvalid": (7, "B", X_HANDSHAKE),
    "b_lost": (8, "B", TIMEOUT),
    "b_with_r": (9, "B+R", ONE_RESPONSE),
    "master_aw_dropped": (0, "AW", VALID_DROPPED),
    "master_wdata_changed": (0, "W", PAYLOAD_CHANGED),
    "master_araddr_changed": (0, "AR", PAYLOAD_CHANGED),
    # the monitor as every other bench attaches it (verif/common/env.py):
    # its violation must fail the running cocotb test by itself
    "fails_the_test": (1, "B", VALID_DROPPED),
}
# the cocotb test of each case
TESTCASE = {c: "monitor_catches_fault" for c in CASES} | {"fails_the_test": "monitor_fails_the_test"}
FOUR_STATE_ONLY = {"x_on_bvalid"}   # Verilator is two-state: the X becomes a constant

# backpressure on B and R, so VALIDs wait for READY; FAULT 9 needs both
# READYs high together to complete B and R in one cycle
KNOBS = BusKnobs(bready_p=0.5, rready_p=0.5, long_delay_p=0.1)
KNOBS_READY = BusKnobs(bready_p=1.0, rready_p=1.0, long_delay_p=0.0)
N_TXN = 40
MONITOR_TIMEOUT = 64     # cycles: FAULT 8 must be caught long before the driver's own stall limit
CYCLES = 40 * N_TXN + 2000


def _pools(cfg: spec.Config) -> dict:
    return {m: [0, 1, 2, spec.mem_geometry(cfg, m)[2] - 1] for m in spec.MEM_NAMES}


def _idle_bus(dut) -> None:
    for s in ("awvalid", "wvalid", "arvalid", "bready", "rready", "awaddr", "wdata", "wstrb", "araddr",
              "awprot", "arprot"):
        getattr(dut, f"s_axil_{s}").value = 0


async def _raw_traffic(dut, rng, cfg: spec.Config, knobs: BusKnobs) -> int:
    """Reads alone (so the first R completes with no write in flight), then
    reads and writes mixed; returns the number of transactions.  (No HostBus
    is on the bus meanwhile: a cocotbext-axi HostBus that takes the bus back
    while its task is being cancelled, at the end of a test the monitor
    failed, starts tasks during the test's teardown and the simulator ends
    without results.)"""
    drv = AxilRawDriver(dut, rng)
    reads = [Txn(r.offset, d_a=int(rng.integers(0, 3))) for r in spec.REGS[:6]]
    writes2, reads2 = random_txns(rng, cfg, _pools(cfg), N_TXN, knobs)
    await drv.run([], reads, knobs, max_cycles=100 * len(reads))
    await drv.run(writes2, reads2, knobs, max_cycles=100 * N_TXN)
    return len(reads) + len(writes2) + len(reads2)


async def _host_traffic(dut, rng, cfg: spec.Config) -> int:
    """A few registers and memory words through HostBus (either bus model)."""
    host = HostBus(dut, cfg, seed=int(rng.integers(0, 1 << 32)))
    n = 0
    for r in spec.REGS:
        _, resp = await host.read_reg(r.name)
        assert resp == OKAY
        n += 1
    for m in spec.MEM_NAMES:
        words = [int(rng.integers(0, 1 << 32)) for _ in range(2)]
        await host.write_mem_words(m, 3, words)
        assert await host.read_mem_words(m, 3, 2) == [w & ((1 << spec.mem_geometry(cfg, m)[1]) - 1)
                                                      for w in words]
        n += 4 * host.slots(m)
    assert await host.write_reg("START_PC", rand32(rng)) == OKAY
    return n + 1


async def _bad_master(dut, case: str) -> None:
    """A correct first access, then a second one on the same channel that
    must wait (the slave holds its READY low until the first one's response
    is taken, and BREADY/RREADY stay low), broken while it waits."""
    p = AxilPins(dut)
    start_pc, irq_en = spec.REG["START_PC"].offset, spec.REG["IRQ_ENABLE"].offset
    clk = dut.clk_i
    await FallingEdge(clk)
    p.bready.value = p.rready.value = 0
    if case == "master_araddr_changed":
        p.arvalid.value, p.araddr.value = 1, start_pc
        await RisingEdge(clk)                      # AR accepted
        await FallingEdge(clk)
        p.araddr.value = irq_en                    # the second read waits: ARREADY is low
        for _ in range(3):
            await FallingEdge(clk)
        p.araddr.value = start_pc                  # changed while ARVALID waits
    else:
        p.awvalid.value, p.awaddr.value = 1, start_pc
        p.wvalid.value, p.wdata.value, p.wstrb.value = 1, 0x12, 0xF
        await RisingEdge(clk)                      # AW and W accepted
        await FallingEdge(clk)
        p.awaddr.value, p.wdata.value = irq_en, 0x34  # the second write waits: AWREADY, WREADY low
        for _ in range(3):
            await FallingEdge(clk)
        if case == "master_aw_dropped":
            p.awvalid.value = 0                    # withdrawn before AWREADY
        else:
            p.wdata.value = 0x56                   # changed while WVALID waits
    for _ in range(4):
        await FallingEdge(clk)


@cocotb.test(**effort.cocotb_timeout(CYCLES))
async def monitor_catches_fault(dut):
    """The case of $AXIL_MONITOR_CASE: silence on FAULT 0, the expected
    violation otherwise."""
    case = os.environ[CASE_VAR]
    fault, channel, rule = CASES[case]
    cfg = spec.get_config(CONFIG)
    rng = make_rng(dut, f"axil_monitor {case}")
    dut._log.info("case %s: FAULT=%d, expecting %s", case, fault,
                  f"{channel}: {rule}" if rule else "no violation")
    start_clock(dut)
    _idle_bus(dut)
    model = HostIfModel(cfg)
    sb = HostIfScoreboard(model)
    mon = AxilMonitor(dut, raise_errors=False, timeout_cycles=MONITOR_TIMEOUT, name=f"AxilMonitor[{case}]")
    if rule is None:   # a broken bus also breaks the data: the fault cases judge the protocol alone
        mon.subscribe(sb)
    mon.start()                                    # before the reset: checks start when it deasserts
    await reset(dut)

    done = Event()
    outcome: dict = {}

    async def traffic():
        try:
            if case.startswith("master_"):
                await _bad_master(dut, case)
            else:
                knobs = KNOBS_READY if fault == 9 else KNOBS
                outcome["raw"] = await _raw_traffic(dut, rng, cfg, knobs)
                if fault == 0:
                    outcome["host"] = await _host_traffic(dut, rng, cfg)
        except AssertionError as e:              # a driver that gives up on the broken bus
            outcome["error"] = e
        finally:
            done.set()

    task = cocotb.start_soon(traffic())
    await First(done.wait(), mon.failed.wait())
    if rule is None:
        await done.wait()
        await mon.quiet()
        assert "error" not in outcome, f"traffic failed on the correct slave: {outcome['error']}"
        mon.check()                                # no violation on the correct slave
        n = outcome["raw"] + outcome["host"]
        assert mon.counts["write"] + mon.counts["read"] == n, \
            f"monitor published {mon.counts} for {n} transactions"
        assert (sb.writes, sb.reads) == (mon.counts["write"], mon.counts["read"])
        assert mon.running, "the monitor stopped"
        dut._log.info("FAULT 0: no violation in %d edges; %d writes and %d reads published and scored",
                      mon.edges, sb.writes, sb.reads)
        return
    task.cancel()
    try:
        mon.check()
    except AxilProtocolError as e:
        msg = str(e)
        dut._log.info("FAULT %d (%s) caught: %s", fault, case, msg)
        assert e.rule == rule and e.channel == channel, \
            f"expected {channel}: {rule}, the monitor reported {e.channel}: {e.rule} ({msg})"
        assert f": {channel}: {rule}: " in msg and f"cycle {e.cycle} " in msg, msg
        return
    raise AssertionError(f"the monitor missed FAULT {fault} ({case}: {channel}: {rule}); "
                         f"traffic outcome: {outcome or 'finished'}")


@cocotb.test(expect_error=AxilProtocolError, **effort.cocotb_timeout(CYCLES))
async def monitor_fails_the_test(dut):
    """A violation seen by a monitor in its default (raising) mode fails the
    running test at once, with no help from the test."""
    from verif.common.env import bus_monitor

    case = os.environ[CASE_VAR]
    cfg = spec.get_config(CONFIG)
    rng = make_rng(dut, f"axil_monitor {case}")
    start_clock(dut)
    _idle_bus(dut)
    bus_monitor(dut)
    await reset(dut)
    await _raw_traffic(dut, rng, cfg, KNOBS)
    dut._log.error("the traffic ended with no violation reported")


# --------------------------------------------------------------------------- pytest
def _id(case: str) -> str:
    fault = CASES[case][0]
    return case if case.startswith("master_") else f"fault{fault}-{case}"


def _cases() -> list[str]:
    """The cases this simulator can show: Verilator is two-state, so it has
    no X for the X faults to drive (those run on Icarus)."""
    from rtlsim.build import sim_name

    return [c for c in CASES if not (c in FOUR_STATE_ONLY and sim_name() == "verilator")]


@pytest.mark.parametrize("case", _cases(), ids=_id)
def test_axil_monitor(case):
    from rtlsim.build import hdl_sources, run_cocotb, run_dir, sim_name

    sim = sim_name()
    cfg = spec.get_config(CONFIG)
    run_cocotb(toplevel=TOP, sources=hdl_sources("spw_host_if") + [HERE / "tb_spw_host_if.v", HERE / f"{TOP}.v"],
               test_module=__name__, test_dir=run_dir(), sim=sim,
               parameters={"FAULT": CASES[case][0], **cfg.hdl_params()},
               extra_env={CASE_VAR: case}, testcase=TESTCASE[case],
               timeout_s=effort.wall_timeout_s([CYCLES], sim, CONFIG))
