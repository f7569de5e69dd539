"""Unit bench of hdl/spw_host_if.v (AXI4-Lite registers and memory windows).

The DUT sits in verif/blocks/tb_spw_host_if.v, which closes the memory port
with behavioural AMem/WMem/IMem and counts memory requests.  Every response
is checked by ``HostIfScoreboard`` against ``HostIfModel``, the model of
the register/memory space built from models/spec.py.  The directed tests
drive the bus through ``rtlsim.host.HostBus`` (either bus model, see
HOST_BUS); the stress test drives it cycle by cycle with ``AxilRawDriver``
(random valid delays, B/R backpressure).  In every test the protocol
monitor (verif/common/axil_monitor.py) checks every cycle and publishes
every transaction to the scoreboard and the functional coverage
(verif/common/coverage.py), which each test exports to
<test_dir>/coverage.yml.

Run:  .venv/bin/pytest verif/blocks/test_spw_host_if.py   (SIM=verilator, SEED=n,
HOST_BUS=cocotbext-axi)
Work: SPW_EFFORT (verif/common/effort.py, bench "host_if": transactions per
stress batch).  HOSTIF_DEBUG=1 logs every stress cycle and response.
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import FallingEdge, RisingEdge

from models import spec
from models.spec import MEM_NAMES, mem_geometry, out_of_depth_addrs, unmapped_reg_offsets
from models.stimulus import BUS_HOSTIF_PROFILES
from rtlsim.host import DECERR, OKAY, SLVERR, HostBus
from verif.common import coverage as cov
from verif.common import make_rng, reset, start_clock
from verif.common.axil_driver import AxilRawDriver
from verif.common.axil_traffic import rand32, rand_bits, random_txns
from verif.common.bench import Bench
from verif.common.env import bus_monitor
from verif.common.hostif_model import RW_MASK, HostIfModel
from verif.common.hostif_scoreboard import HostIfScoreboard

TOP = "tb_spw_host_if"
HERE = Path(__file__).resolve().parent
PERF_PORTS = {c: f"perf_{c}_i" for c in spec.PERF_COUNTERS}
# Bench-only geometry besides spec.CONFIGS: a 2-slot AMem and depths
# that are not powers of two, so out-of-depth words exist in every window.
EXTRA_CONFIGS = {"odd": spec.Config("odd", rows=16, cols=8, adepth=1000, wdepth=998, idepth=30)}
DEBUG = bool(int(os.environ.get("HOSTIF_DEBUG", "0")))


BENCH = Bench("host_if", __name__, extra_configs=EXTRA_CONFIGS)
# clock cycles of a directed test, for its timeout (each takes a few thousand)
DIRECTED_CYCLES = 20_000


def get_config(name: str) -> spec.Config:
    return BENCH.config(name)


# --------------------------------------------------------------------------- bench
class TB:
    """Clock, reset, core-side stimulus, start_o monitor, the bus monitor
    with the scoreboard subscribed and (unless raw) HostBus."""

    def __init__(self, dut, name: str, raw: bool = False):
        self.dut = dut
        self.raw = raw
        self.cfg = get_config(os.environ.get("SPW_CONFIG", "small"))
        # keyed by the test, as make_rng intends (cocotb 2.1 also reseeds per
        # test, but the streams must not depend on that alone)
        self.rng = make_rng(dut, name)
        dut._log.info("config %s, cocotb.RANDOM_SEED=%d", self.cfg.name, cocotb.RANDOM_SEED)
        self.model = HostIfModel(self.cfg)
        self.sb = HostIfScoreboard(self.model)
        start_clock(dut)
        dut.busy_i.value = 0
        dut.done_i.value = 0
        dut.err_code_i.value = 0
        dut.err_pc_i.value = 0
        for p in PERF_PORTS.values():
            getattr(dut, p).value = 0
        self.host = None
        # drawn in both modes, so a seed gives the same stimulus with either bus model
        bus_seed = int(self.rng.integers(0, 1 << 32))
        dut._log.info("test %s: host bus seed (first draw of its stream) %d", name, bus_seed)
        if raw:
            for s in ("awvalid", "wvalid", "arvalid", "bready", "rready", "awaddr", "wdata",
                      "wstrb", "araddr", "awprot", "arprot"):
                getattr(dut, f"s_axil_{s}").value = 0
        else:
            self.host = HostBus(dut, self.cfg, seed=bus_seed)
            dut._log.info("host bus model: %s", self.host.model)
        self.start_pcs: list[int] = []
        if DEBUG:
            self.sb.log = dut._log
        # before the reset: its checks start when the reset deasserts
        self.mon = bus_monitor(dut)
        self.mon.subscribe(self.sb)

    async def init(self) -> None:
        await reset(self.dut)
        cocotb.start_soon(self._watch_start())

    async def _watch_start(self) -> None:
        dut, prev = self.dut, 0
        while True:
            await RisingEdge(dut.clk_i)
            cur = int(dut.start_o.value)
            if cur:
                assert not prev, "start_o high for more than one cycle"
                self.start_pcs.append(int(dut.start_pc_o.value))
            prev = cur

    # core side ---------------------------------------------------------
    async def set_busy(self, busy: int) -> None:
        await FallingEdge(self.dut.clk_i)
        self.dut.busy_i.value = busy
        self.model.busy = busy

    async def set_perf(self, values: dict) -> None:
        """Counter name (spec.PERF_COUNTERS) -> value on the core-side input,
        at a falling edge like every core-side change (the monitor has
        published the last access by then, so the scoreboard compares it
        with the counters it was read with)."""
        await FallingEdge(self.dut.clk_i)
        for c, v in values.items():
            getattr(self.dut, PERF_PORTS[c]).value = int(v)
        self.model.perf = {c: int(v) for c, v in values.items()}

    async def random_perf(self) -> None:
        await self.set_perf({c: rand32(self.rng) for c in spec.PERF_COUNTERS})

    async def run_end(self, err_code: int, err_pc: int) -> None:
        """One-cycle done_i pulse with the error code/PC alongside."""
        dut = self.dut
        await FallingEdge(dut.clk_i)
        dut.done_i.value = 1
        dut.err_code_i.value = err_code
        dut.err_pc_i.value = err_pc
        await FallingEdge(dut.clk_i)
        dut.done_i.value = 0
        dut.err_code_i.value = int(self.rng.integers(0, 16))  # only valid with done_i
        dut.err_pc_i.value = int(self.rng.integers(0, 1 << 16))
        self.model.run_end(err_code, err_pc)

    # checks ------------------------------------------------------------
    def mem_reqs(self) -> int:
        return int(self.dut.mem_reqs_o.value)

    def check_monitors(self) -> None:
        assert int(self.dut.mem_req_busy_o.value) == 0, "memory request issued while busy_i"
        assert int(self.dut.mem_req_oob_o.value) == 0, "memory request beyond a depth"

    async def check_irq(self) -> None:
        # irq_o may be registered: allow the flop, then it must match
        await RisingEdge(self.dut.clk_i)
        await FallingEdge(self.dut.clk_i)
        assert int(self.dut.irq_o.value) == self.model.irq, \
            f"irq_o {int(self.dut.irq_o.value)} != model {self.model.irq} " \
            f"(IRQ_STATUS {self.model.irq_st:#x} IRQ_ENABLE {self.model.irq_en:#x})"

    # Every access is checked by the scoreboard, which the monitor hands it
    # to; these two also wait until it has (so a check that fails fails here).
    async def read_check(self, addr: int) -> int:
        n = self.sb.reads
        got, _ = await self.host.read32(addr)
        await self.mon.quiet()
        assert self.sb.reads == n + 1, f"read @ {addr:#07x} not published by the monitor"
        return got

    async def write_check(self, addr: int, data: int, strb: int = 0xF) -> int:
        n = self.sb.writes
        resp = await self.host.write32(addr, data, strb)
        await self.mon.quiet()
        assert self.sb.writes == n + 1, f"write @ {addr:#07x} not published by the monitor"
        return resp

    async def check_all_regs(self) -> None:
        for r in spec.REGS:
            await self.read_check(r.offset)


# --------------------------------------------------------------------------- directed tests
@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_reset_values(dut):
    """Every register reads its reset value; PERF_* read the live inputs as-is."""
    tb = TB(dut, "reset_values")
    await tb.init()
    await tb.check_all_regs()
    # the documented CONFIG layout written out, so a wrong Config.config_reg
    # (which the model uses) shows up here
    exp = {"ID": spec.ID_VALUE, "VERSION": spec.VERSION_VALUE,
           "CONFIG": tb.cfg.rows | tb.cfg.cols << 8 | tb.cfg.acc_w << 16,
           "ADEPTH": tb.cfg.adepth, "WDEPTH": tb.cfg.wdepth, "IDEPTH": tb.cfg.idepth}
    for name, v in exp.items():  # independent of the model
        got, resp = await tb.host.read_reg(name)
        assert (got, resp) == (v, OKAY), f"{name}: {got:#x}/{resp} != {v:#x}"
    for r in spec.REGS:
        if r.name not in exp and not r.name.startswith("PERF"):
            got, resp = await tb.host.read_reg(r.name)
            assert (got, resp) == (0, OKAY), f"{r.name} resets to {got:#x}/{resp}"
    for _ in range(3):
        await tb.random_perf()
        for name in spec.PERF_REG.values():
            await tb.read_check(tb.host.reg(name))
    assert int(dut.irq_o.value) == 0 and int(dut.start_o.value) == 0
    assert int(dut.start_pc_o.value) == 0
    assert tb.mem_reqs() == 0 and tb.start_pcs == []


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_ro_writes_slverr(dut):
    """A write to any RO register gets SLVERR and changes nothing (also with
    non-reset state: after an error run, with busy_i high)."""
    tb = TB(dut, "ro_writes")
    await tb.init()
    await tb.random_perf()
    await tb.write_check(tb.host.reg("IRQ_ENABLE"), 0x3)
    await tb.write_check(tb.host.reg("START_PC"), 0x1234)
    for phase in ("reset", "after_error", "busy"):
        if phase == "after_error":
            await tb.run_end(int(spec.Err.MALFORMED), 0x2A5)
        if phase == "busy":
            await tb.set_busy(1)
        for r in spec.REGS:
            if r.access != "RO":
                continue
            for data, strb in ((0xFFFFFFFF, 0xF), (0, 0xF), (rand32(tb.rng), int(tb.rng.integers(1, 16)))):
                assert await tb.write_check(r.offset, data, strb) == SLVERR
            await tb.check_all_regs()
        await tb.check_irq()
    assert tb.start_pcs == [] and tb.mem_reqs() == 0


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_rw_wstrb(dut):
    """RW registers honour WSTRB per byte lane; unused bits read 0; start_pc_o
    follows START_PC."""
    tb = TB(dut, "rw_wstrb")
    await tb.init()
    for name in ("START_PC", "IRQ_ENABLE"):
        addr = tb.host.reg(name)
        for strb in list(range(16)) * 2:
            await tb.write_check(addr, rand32(tb.rng), strb)
            await tb.read_check(addr)
            if name == "START_PC":
                assert int(dut.start_pc_o.value) == tb.model.start_pc
        await tb.write_check(addr, 0xFFFFFFFF, 0xF)
        got = await tb.read_check(addr)
        assert got == RW_MASK[name]
        # a write with no strobes at all changes nothing
        await tb.write_check(addr, 0, 0x0)
        assert await tb.read_check(addr) == RW_MASK[name]
    # RW registers stay writable while busy
    await tb.set_busy(1)
    await tb.write_check(tb.host.reg("START_PC"), 0xBEEF)
    await tb.read_check(tb.host.reg("START_PC"))
    assert tb.start_pcs == [] and tb.mem_reqs() == 0


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_ctrl_start(dut):
    """CTRL.START: W1S, reads 0, honours WSTRB, one start_o pulse carrying
    START_PC, clears STATUS.DONE/ERROR and ERR_CODE but not ERR_PC or
    IRQ_STATUS; START while busy -> SLVERR and no effect."""
    tb = TB(dut, "ctrl_start")
    await tb.init()
    ctrl = tb.host.reg("CTRL")
    await tb.write_check(tb.host.reg("START_PC"), 0x0123)
    for data, strb in ((0, 0xF), (0xFFFFFFFE, 0xF), (1, 0xE), (0x100, 0x2)):
        await tb.write_check(ctrl, data, strb)
    assert tb.start_pcs == []
    await tb.read_check(ctrl)
    await tb.write_check(ctrl, 1, 0x1)
    await tb.read_check(ctrl)
    assert tb.start_pcs == [0x0123], tb.start_pcs

    await tb.run_end(int(spec.Err.AMEM_RANGE), 0x0777)
    await tb.check_all_regs()
    await tb.set_busy(1)
    for data, strb in ((1, 0xF), (0xFFFFFFFF, 0x1)):
        assert await tb.write_check(ctrl, data, strb) == SLVERR
    await tb.write_check(ctrl, 0, 0xF)  # not a start: OKAY
    await tb.check_all_regs()   # DONE/ERROR/ERR_CODE survived the refused START
    assert tb.start_pcs == [0x0123]
    await tb.set_busy(0)
    await tb.write_check(tb.host.reg("START_PC"), 0xFFFF, 0x3)
    await tb.write_check(ctrl, 0xFFFFFFFF, 0xF)
    await tb.check_all_regs()
    st, _ = await tb.host.read_reg("STATUS")
    ec, _ = await tb.host.read_reg("ERR_CODE")
    pc, _ = await tb.host.read_reg("ERR_PC")
    irq, _ = await tb.host.read_reg("IRQ_STATUS")
    assert (st, ec, pc, irq) == (0, 0, 0x0777, 3), (st, ec, pc, irq)
    assert tb.start_pcs == [0x0123, 0xFFFF]
    assert tb.mem_reqs() == 0


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_start_meets_done(dut):
    """A run end (done_i) in the very cycle a START is accepted, and one
    cycle either side.  Same cycle: START wins STATUS (DONE, ERROR and
    ERR_CODE stay cleared) while ERR_PC and IRQ_STATUS take the run end.
    The done pulse slides over the write, and each outcome is checked
    against the model applied in the order the two events happened.  Under
    cocotbext-axi's random pauses the cycle START is accepted in varies, so
    after the first sweep the delay aims at the order not yet seen, from
    the last offset measured (bounded)."""
    tb = TB(dut, "start_meets_done")
    await tb.init()
    ctrl = tb.host.reg("CTRL")
    cycle = 0
    seen = {"done": None, "start": None}

    async def count():
        nonlocal cycle
        while True:
            await RisingEdge(dut.clk_i)
            cycle += 1
            if int(dut.done_i.value) and seen["done"] is None:
                seen["done"] = cycle
            if int(dut.start_o.value) and seen["start"] is None:
                seen["start"] = cycle - 1     # start_o is START registered: accepted a cycle earlier

    async def pulse_done(delay: int, code: int, pc: int):
        for _ in range(delay):
            await FallingEdge(dut.clk_i)
        dut.done_i.value, dut.err_code_i.value, dut.err_pc_i.value = 1, code, pc
        await FallingEdge(dut.clk_i)
        dut.done_i.value = 0

    counter = cocotb.start_soon(count())
    orders = set()
    delay = offset = 0
    for it in range(48):
        if it >= 12 and orders == {-1, 0, 1}:
            break
        if it < 12:
            delay = it
        else:   # aim: done (offset + delay cycles after START last time) before / with / after START
            want = min({-1, 0, 1} - orders, key=abs)
            delay = max(0, delay - offset + 2 * want)
        seen["done"] = seen["start"] = None
        code, pc = int(tb.rng.choice([0, int(spec.Err.BAD_FIELD)])), int(tb.rng.integers(0, 1 << 16))
        pulse = cocotb.start_soon(pulse_done(delay, code, pc))
        with tb.sb.paused():   # the model takes this write in the order seen below
            resp = await tb.host.write32(ctrl, 1)
            await pulse
            await FallingEdge(dut.clk_i)   # the monitor has published the write
        assert resp == OKAY and seen["start"] is not None and seen["done"] is not None, (resp, seen)
        if seen["done"] <= seen["start"]:     # same cycle acts as run end, then START
            tb.model.run_end(code, pc)
            tb.model.write(ctrl, 1, 0xF)
        else:
            tb.model.write(ctrl, 1, 0xF)
            tb.model.run_end(code, pc)
        offset = seen["done"] - seen["start"]
        orders.add((offset > 0) - (offset < 0))
        await tb.check_all_regs()
        await tb.write_check(tb.host.reg("IRQ_STATUS"), 3)
    counter.cancel()
    assert orders == {-1, 0, 1}, f"done before, with and after START not all seen: {orders}"


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_done_irq(dut):
    """done_i latches STATUS/ERR_CODE/ERR_PC and IRQ_STATUS, with and without
    error; IRQ_STATUS is W1C with strobes; irq_o = |(IRQ_STATUS & IRQ_ENABLE)."""
    tb = TB(dut, "done_irq")
    await tb.init()
    en, st = tb.host.reg("IRQ_ENABLE"), tb.host.reg("IRQ_STATUS")
    # OK run: DONE only
    await tb.run_end(0, 0x0042)
    await tb.check_all_regs()
    await tb.check_irq()   # IRQ_ENABLE = 0: no interrupt
    for e in (1, 2, 3, 0):
        await tb.write_check(en, e)
        await tb.check_irq()
    # error run on top: ERROR added, ERR latched
    await tb.run_end(int(spec.Err.ILLEGAL_OPCODE), 0x3FFF)
    await tb.check_all_regs()
    for e in (0, 1, 2, 3):
        await tb.write_check(en, e)
        await tb.check_irq()
    # W1C: strobe off -> nothing cleared, 0 bits -> nothing cleared, then one bit at a time
    await tb.write_check(st, 0x3, 0xE)
    await tb.write_check(st, 0x0, 0xF)
    await tb.check_all_regs()
    await tb.write_check(st, spec.IRQ_ERROR)
    await tb.check_irq()
    await tb.check_all_regs()
    await tb.write_check(st, 0xFFFFFFFF)
    await tb.check_irq()
    await tb.check_all_regs()
    # an OK run after an error run: ERROR and ERR_CODE drop, ERR_PC follows
    await tb.run_end(0, 0x0005)
    await tb.check_all_regs()
    await tb.check_irq()
    # run ends while busy_i is still high are latched as well
    await tb.set_busy(1)
    for _ in range(4):
        code = int(tb.rng.integers(0, 9))
        await tb.run_end(code, int(tb.rng.integers(0, 1 << 16)))
        await tb.check_all_regs()
        await tb.check_irq()
        await tb.write_check(st, int(tb.rng.integers(0, 4)))
        await tb.check_irq()
    assert tb.start_pcs == []


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_decerr(dut):
    """DECERR: every unmapped register offset, the gap between the register
    window and AMem, and the first out-of-depth word of each window (when
    the memory does not fill its window).  No side effect, no memory request."""
    tb = TB(dut, "decerr")
    await tb.init()
    await tb.random_perf()
    unmapped = unmapped_reg_offsets()
    for a in unmapped:
        got, resp = await tb.host.read32(a)
        assert resp == DECERR, f"read @ {a:#x}: resp {resp}"
    for a in [0x018, 0x01C, 0x03C, 0x050, 0xFFC] + [int(x) for x in tb.rng.choice(unmapped, 24)]:
        await tb.write_check(a, 0xFFFFFFFF, 0xF)
    gap = [spec.REG_WINDOW[1], spec.REG_WINDOW[1] + 4, spec.AMEM_BASE - 4] + \
          [int(x) * 4 for x in tb.rng.integers(spec.REG_WINDOW[1] // 4, spec.AMEM_BASE // 4, 16)]
    for a in gap:
        await tb.read_check(a)
        await tb.write_check(a, rand32(tb.rng))
    n_oob = 0
    for busy in (0, 1):   # out-of-depth is DECERR even while busy
        await tb.set_busy(busy)
        for name in MEM_NAMES:
            oob = out_of_depth_addrs(tb.cfg, name)
            if not oob:
                dut._log.info("%s fills its window: no out-of-depth address", name)
            for a in oob:
                await tb.read_check(a)
                assert await tb.write_check(a, rand32(tb.rng), 0xF) == DECERR
                n_oob += 1
    await tb.set_busy(0)
    await tb.check_all_regs()
    await tb.check_irq()
    assert tb.mem_reqs() == 0 and tb.start_pcs == []
    dut._log.info("%d unmapped register offsets, %d out-of-depth addresses", len(unmapped), n_oob)


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_mem_windows(dut):
    """Whole-word writes and readback in all three windows (first, last and
    random words), slot placement checked in the bench's arrays, partial
    WSTRB on single slots, and SLVERR without a request while busy."""
    tb = TB(dut, "mem_windows")
    await tb.init()
    arrays = {"amem": dut.amem, "wmem": dut.wmem, "imem": dut.imem}
    for name in MEM_NAMES:
        _, bits, depth = mem_geometry(tb.cfg, name)
        n = spec.slots_per_word(bits)
        words = sorted({0, 1, depth - 1, depth - 2, *[int(x) for x in tb.rng.integers(0, depth, 5)]})
        data = {w: rand_bits(tb.rng, bits) for w in words}
        for w in words:
            await tb.host.write_mem_words(name, w, [data[w]])
            tb.model.mem[(name, w)] = data[w]
        # a contiguous run through the list helpers
        run0 = int(tb.rng.integers(2, depth - 8))
        run = [rand_bits(tb.rng, bits) for _ in range(4)]
        await tb.host.write_mem_words(name, run0, run)
        for i, v in enumerate(run):
            data[run0 + i] = v
            tb.model.mem[(name, run0 + i)] = v
        for w, v in data.items():
            assert int(arrays[name][w].value) == v, \
                f"{name}[{w}] in the array {int(arrays[name][w].value):#x} != {v:#x}"
        assert await tb.host.read_mem_words(name, run0, 4) == run
        for w in words:
            got = (await tb.host.read_mem_words(name, w, 1))[0]
            assert got == data[w], f"{name}[{w}] read {got:#x} != {data[w]:#x}"
        # partial strobes on single slots
        for _ in range(12):
            w = int(tb.rng.choice(words))
            slot = int(tb.rng.integers(0, n))
            strb = int(tb.rng.integers(0, 16))
            addr = tb.host.mem_addr(name, w, slot)
            await tb.write_check(addr, rand32(tb.rng), strb)
            await tb.read_check(addr)
            exp = tb.model.mem[(name, w)]
            assert int(arrays[name][w].value) == exp, f"{name}[{w}] after strobe write"
        # busy: SLVERR, no request, contents intact
        reqs = tb.mem_reqs()
        await tb.set_busy(1)
        for w in words[:3]:
            for slot in range(n):
                addr = tb.host.mem_addr(name, w, slot)
                assert await tb.write_check(addr, rand32(tb.rng), 0xF) == SLVERR
                await tb.read_check(addr)
        assert tb.mem_reqs() == reqs, "memory request issued while busy"
        await tb.read_check(tb.host.reg("STATUS"))
        await tb.set_busy(0)
        for w in words:
            assert (await tb.host.read_mem_words(name, w, 1))[0] == tb.model.mem[(name, w)]
    tb.check_monitors()
    dut._log.info("%d memory requests", tb.mem_reqs())


@BENCH.test(cycles=DIRECTED_CYCLES)
@cov.exported
async def test_concurrent_host(dut):
    """Reads and writes issued together through HostBus are serialized
    correctly (the memory port is shared)."""
    import warnings

    from cocotb import start_soon
    from cocotb.triggers import Combine

    warnings.filterwarnings("ignore", message=r"Passing Task objects to `Combine`",
                            category=DeprecationWarning)
    tb = TB(dut, "concurrent")
    await tb.init()
    name = "imem"
    vals = [rand_bits(tb.rng, 64) for _ in range(8)]
    await tb.host.write_mem_words(name, 0, vals)
    for i in range(8):
        # write word i+8 while reading word i and a register
        wr = start_soon(tb.host.write_mem_words(name, 8 + i, [vals[i] ^ 0xFFFF]))
        rd = start_soon(tb.host.read_mem_words(name, i, 1))
        rg = start_soon(tb.host.read_reg("ID"))
        await Combine(wr, rd, rg)
        assert rd.result() == [vals[i]] and rg.result() == (spec.ID_VALUE, OKAY)
    assert await tb.host.read_mem_words(name, 8, 8) == [v ^ 0xFFFF for v in vals]
    tb.check_monitors()


# --------------------------------------------------------------------------- stress
def raw_driver(tb: TB) -> AxilRawDriver:
    """The raw driver (the TB's bus monitor checks and publishes its
    traffic; HOSTIF_DEBUG logs the DUT's internal state every cycle and
    every comparison)."""
    return AxilRawDriver(tb.dut, tb.rng)


def _log_cycle(tb: TB):
    def on_cycle(cyc, aw, w, ar):
        u = tb.dut.u_dut
        tb.dut._log.info("cyc %d aw=%d/%s w=%d/%s ar=%d/%s st=%s full=%s%s%s req=%s we=%s sel=%s a=%s wd=%s",
                         cyc, aw.cur is not None, hex(aw.cur.addr) if aw.cur else "-",
                         w.cur is not None, hex(w.cur.data) if w.cur else "-",
                         ar.cur is not None, hex(ar.cur.addr) if ar.cur else "-",
                         u.state_q.value, u.aw_full_q.value, u.w_full_q.value, u.ar_full_q.value,
                         u.mem_req_o.value, u.mem_we_o.value, u.mem_sel_o.value, u.mem_addr_o.value,
                         u.w_data_q.value)
    return on_cycle if DEBUG else None


@BENCH.test(cycles=lambda work, cfg: 10 * 40 * work["stress_txns"])
@cov.exported
async def test_stress_raw(dut):
    """Random traffic on all five channels: random AW/AR/W valid delays (AW
    and W in either order, sometimes far apart), random BREADY/RREADY
    backpressure, random busy phases and run ends between batches; every
    response and read datum is checked against HostIfModel."""
    tb = TB(dut, "stress_raw", raw=True)
    await tb.init()
    rng, cfg, model = tb.rng, tb.cfg, tb.model
    n_txn = BENCH.work["stress_txns"]
    pools = {}
    for name in MEM_NAMES:
        depth = mem_geometry(cfg, name)[2]
        pools[name] = [0, 1, depth - 1, depth - 2] + [int(x) for x in rng.integers(2, depth - 2, 4)]
        # the arrays keep what earlier tests of this simulation wrote
        arr = {"amem": dut.amem, "wmem": dut.wmem, "imem": dut.imem}[name]
        for wd in pools[name]:
            model.mem[(name, wd)] = int(arr[wd].value)
    drv = raw_driver(tb)
    total = {}
    busy_seq = [0, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    for batch, busy in enumerate(busy_seq):
        knobs = BUS_HOSTIF_PROFILES[batch % len(BUS_HOSTIF_PROFILES)]
        await tb.set_busy(busy)
        await tb.random_perf()
        if batch % 3 == 1:
            await tb.run_end(int(rng.choice([0, 0, 1, 5, 8])), int(rng.integers(0, 1 << 16)))
        writes, reads = random_txns(rng, cfg, pools, n_txn, knobs)
        starts0 = model.starts
        stats = await drv.run(writes, reads, knobs, max_cycles=200 * n_txn, on_cycle=_log_cycle(tb))
        cov.sample_handshakes(stats)
        for k, v in stats.items():
            total[k] = total.get(k, 0) + v
        await tb.check_irq()
        assert len(tb.start_pcs) == model.starts, f"{len(tb.start_pcs)} start pulses, model {model.starts}"
        assert int(dut.start_pc_o.value) == model.start_pc
        tb.check_monitors()
        dut._log.info("batch %d busy=%d bready=%.2f rready=%.2f: %s, starts +%d", batch, busy,
                      knobs.bready_p, knobs.rready_p, stats, model.starts - starts0)
    dut._log.info("stress total (%d writes + %d reads): %s", n_txn * len(busy_seq),
                  n_txn * len(busy_seq), total)
    assert tb.sb.writes == tb.sb.reads == n_txn * len(busy_seq), "the scoreboard missed transactions"
    assert total["aw_first"] and total["w_first"] and total["together"], "AW/W orderings not all seen"
    assert total["b_stall"] and total["r_stall"], "no backpressure seen"


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", [*spec.CONFIGS, *EXTRA_CONFIGS])
def test_spw_host_if(config):
    BENCH.run(config, toplevel=TOP, modules=("spw_host_if",), params=tuple(spec.get_config("small").hdl_params()),
              extra_sources=(HERE / f"{TOP}.v",))
