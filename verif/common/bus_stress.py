"""Bus stress at system level: a random layer loaded, started and read back
entirely through spw_top's AXI4-Lite port, under random valid delays and
B/R backpressure (the raw driver, verif/common/axil_driver.py), with
illegal accesses mixed in.

The system bench's ``bus_stress_program`` is ``prepare`` followed by the
three phases:

* ``load_phase`` (core idle): the program's IMem, WMem and AMem words,
  with garbage partial writes before some words, read-backs, illegal
  accesses (unmapped offsets, the gap below AMem, RO registers,
  out-of-depth words) and RW register writes mixed in; then no side effect:
  registers as modelled, memories hold the image;
* ``busy_phase``: START, then illegal accesses (memory words and a second
  START get SLVERR while the core runs) and reads of constant registers,
  all answered while BUSY; then the run's end;
* ``results_phase``: the refused accesses changed nothing, the outputs
  equal the golden model's, and every register and output word reads back
  right over the bus.

Every handshake is checked by the bus's protocol monitor
(verif/common/axil_monitor.py, attached by ``start_top``), and every
response and read datum of the stress batches by ``HostIfScoreboard``
against ``HostIfModel``, subscribed to the monitor for each batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cocotb.triggers import RisingEdge, with_timeout

from models import iss, spec
from models.case import Case
from models.compiler import Compiled
from models.memory import Memories, nibbles_to_ints
from models.stimulus import (BUS_TOP_BUSY, BUS_TOP_LOAD, BusKnobs, bus_stress_layer, draw_illegal, draw_layer,
                             slow_sim)
from rtlsim.bringup import CLK_PERIOD_NS
from rtlsim.driver import TopDriver
from rtlsim.host import OKAY, HostBus

from . import coverage as cov
from .axil_driver import AxilRawDriver
from .axil_traffic import rand32, txn_lists
from models.spec import MEM_NAMES, mem_geometry, out_of_depth_addrs, unmapped_reg_offsets

from .env import bus_monitor
from .hostif_model import HostIfModel
from .hostif_scoreboard import HostIfScoreboard
from .scoreboard import run_budget

__all__ = ["BusStress", "prepare", "load_phase", "busy_phase", "results_phase", "BUS_TOP_RESULTS"]

RO_REGS = [r.name for r in spec.REGS if r.access == "RO"]
# registers whose value a run cannot change: safe to read while busy
CONST_REGS = ("ID", "VERSION", "CONFIG", "ADEPTH", "WDEPTH", "IDEPTH", "CTRL", "IRQ_ENABLE", "START_PC")
COUNTER_OF_REG = {r: c for c, r in spec.PERF_REG.items()}
# phase 3 reads the results back: more backpressure on R than while loading
BUS_TOP_RESULTS = BUS_TOP_LOAD.replace(bready_p=0.4, rready_p=0.3, long_delay_p=0.1)


@dataclass
class BusStress:
    """What the phases share: the layer, its memory image on the bus, the
    model of the host-visible state and the raw driver."""
    drv: TopDriver
    rng: np.random.Generator
    slow: bool
    n_busy: int           # illegal accesses of the busy phase
    case: Case
    prog: Compiled
    mem: Memories         # the loaded image
    exp: Memories         # after the golden run
    res: iss.RunResult
    image: dict           # memory name -> the words loaded over the bus
    starts: dict          # memory name -> first word of the image
    words: dict           # memory name -> word indices of the image
    model: HostIfModel
    raw: AxilRawDriver

    @property
    def dut(self):
        return self.drv.dut

    @property
    def cfg(self) -> spec.Config:
        return self.drv.cfg

    @property
    def bus(self) -> HostBus:
        return self.drv.bus


def _stress_case(rng: np.random.Generator, cfg: spec.Config, slow: bool, n_busy: int) -> Case:
    """A random 3x3 layer whose run outlasts the busy-phase batch, yet quick
    to load over the bus (models.stimulus.bus_stress_layer)."""
    return draw_layer(rng, cfg, bus_stress_layer(cfg, slow, n_busy))


def _word_writes(bus: HostBus, name: str, start: int, words: list[int]) -> list[tuple[int, int]]:
    """(addr, slot data) of whole-word writes."""
    n = bus.slots(name)
    return [(bus.mem_addr(name, start + i, j), (int(wd) >> (32 * j)) & 0xFFFFFFFF)
            for i, wd in enumerate(words) for j in range(n)]


def _illegal(st: BusStress, busy: bool, random_strb: bool = False) -> tuple:
    """One illegal access as an operation of ``_stress``: unmapped register
    offsets, the gap below AMem, RO registers, out-of-depth words (when the
    config has any) and, while busy, memory words and CTRL.START."""
    kind, addr = draw_illegal(st.rng, st.cfg, st.words, busy)
    if kind == "read":
        return ("read", addr)
    return ("write", addr, rand32(st.rng), int(st.rng.integers(1, 16)) if random_strb else 0xF)


async def _stress(st: BusStress, ops: list[tuple], knobs: BusKnobs) -> dict:
    """Drive ``ops`` with the raw driver; HostBus lets go of the bus meanwhile.
    The scoreboard sees exactly these transactions (the HostBus accesses
    around them apply their effects to the model themselves)."""
    writes, reads = txn_lists(st.rng, ops, knobs)
    sb = HostIfScoreboard(st.model)
    async with bus_monitor(st.dut).subscribed(sb):
        with st.bus.released():
            stats = await st.raw.run(writes, reads, knobs, max_cycles=400 * (len(ops) + 10))
    assert (sb.writes, sb.reads) == (len(writes), len(reads)), \
        f"the monitor published {sb.writes} writes and {sb.reads} reads of {len(writes)} and {len(reads)} driven"
    cov.sample_handshakes(stats)
    return stats


def _check_memories(st: BusStress, what: str) -> None:
    for (m, wd), v in sorted(st.model.mem.items()):
        got = st.drv.backdoor.read_word(m, wd)
        assert got == v, f"{what}: {m}[{wd}] = {got:#x}, expected {v:#x}"


async def prepare(drv: TopDriver, rng: np.random.Generator, sim: str) -> BusStress:
    """Draw the layer (smaller where ``sim`` is slow for the config), and
    start the model from the DUT's state: registers after reset, known
    random contents in the memory words in play (SRAMs power up X)."""
    dut, cfg, bus = drv.dut, drv.cfg, drv.bus
    slow = slow_sim(cfg, sim)
    n_busy = 10 if slow else 24
    case = _stress_case(rng, cfg, slow, n_busy)
    prog = case.compile(cfg)
    mem = prog.memories({"x": case.x})
    exp = mem.copy()
    res = iss.run(exp)
    xt = prog.tensors["x"]
    image = {"imem": [int(v) for v in mem.imem[: len(prog.imem)]],
             "wmem": nibbles_to_ints(mem.wmem[: len(prog.wmem)]),
             "amem": nibbles_to_ints(mem.amem[xt.base: xt.base + xt.channels * xt.stride])}
    starts = {"imem": 0, "wmem": 0, "amem": xt.base}
    words = {m: list(range(starts[m], starts[m] + len(image[m]))) for m in MEM_NAMES}
    dut._log.info("layer Cin=%d Cout=%d H=%d W=%d mode=%s: %d IMem, %d WMem, %d AMem words, %d cycles",
                  case.w.shape[1], case.w.shape[0], *case.x.shape[1:], case.mode,
                  *(len(image[m]) for m in ("imem", "wmem", "amem")), res.cycles)

    model = HostIfModel(cfg)
    for r in spec.REGS:
        v, resp = await bus.read_reg(r.name)
        assert resp == OKAY, f"{r.name}: resp {resp}"
        if r.name in COUNTER_OF_REG:
            model.perf[COUNTER_OF_REG[r.name]] = v
        else:
            exp_v = model.reg_value(r.name)
            assert v == exp_v, f"{r.name} after reset: {v:#x} != {exp_v:#x}"
    yt = prog.tensors["y"]
    tracked = {(m, wd) for m in MEM_NAMES for wd in words[m]}
    for m in MEM_NAMES:   # where an out-of-depth word would land if the decoder dropped address bits
        base, _, depth = mem_geometry(cfg, m)
        tracked |= {(m, (a - base) // (4 * bus.slots(m)) % depth) for a in out_of_depth_addrs(cfg, m)}
    tracked |= {("amem", yt.base + i) for i in range(yt.channels * yt.stride)}
    for m, wd in sorted(tracked):
        v = int.from_bytes(rng.bytes(16)) & ((1 << mem_geometry(cfg, m)[1]) - 1)
        drv.backdoor.write_word(m, wd, v)
        model.mem[(m, wd)] = v
    await RisingEdge(dut.clk_i)

    raw = AxilRawDriver(dut, rng)
    return BusStress(drv, rng, slow, n_busy, case, prog, mem, exp, res, image, starts, words, model, raw)


async def load_phase(st: BusStress) -> None:
    """Core idle: load the program with garbage partial writes, read-backs,
    illegal accesses and RW register writes mixed in; then check that only
    the legal writes took effect."""
    rng, bus, model = st.rng, st.bus, st.model
    ops: list[tuple] = []
    n_illegal = 0
    for m in ("imem", "wmem", "amem"):
        for addr, data in _word_writes(bus, m, st.starts[m], st.image[m]):
            if rng.random() < 0.1:
                ops.append(("write", addr, rand32(rng), int(rng.integers(0, 16))))
            ops.append(("write", addr, data, 0xF))
            if rng.random() < 0.3:
                ops.append(("read", addr))
            if rng.random() < 0.15:
                ops.append(_illegal(st, busy=False, random_strb=True))
                n_illegal += 1
            if rng.random() < 0.03:
                nm = str(rng.choice(["IRQ_ENABLE", "START_PC", "IRQ_STATUS"]))
                ops.append(("write", spec.REG[nm].offset, rand32(rng), int(rng.integers(0, 16))))
    for _ in range(8):   # illegal accesses whatever the draws above
        ops.append(_illegal(st, busy=False))
    for r in spec.REGS:
        ops.append(("read", r.offset))
    ops += [("write", spec.REG[r].offset, rand32(rng), 0xF) for r in RO_REGS]
    ops += [("read", a) for m in MEM_NAMES for a in out_of_depth_addrs(st.cfg, m)]
    ops += [("read", unmapped_reg_offsets()[0]), ("read", spec.REG_WINDOW[1])]
    stats = await _stress(st, ops, BUS_TOP_LOAD)
    st.dut._log.info("phase 1 (load): %d accesses, %d illegal mixed in: %s", len(ops), n_illegal, stats)
    for r in spec.REGS:
        v, resp = await bus.read_reg(r.name)
        assert (v, resp) == (model.reg_value(r.name), OKAY), f"{r.name}: {v:#x}/{resp} after phase 1"
    for m in MEM_NAMES:
        for i, wd in enumerate(st.image[m]):
            assert model.mem[(m, st.starts[m] + i)] == wd, f"model {m}[{st.starts[m] + i}] lost the image"
    _check_memories(st, "after the load")


async def busy_phase(st: BusStress) -> None:
    """START, then illegal accesses and reads of constant registers while
    the core runs, with BUSY read before and after to bracket them; then
    wait for the run's end."""
    rng, bus, model, res = st.rng, st.bus, st.model, st.res
    for reg, v in (("IRQ_STATUS", 3), ("IRQ_ENABLE", spec.IRQ_DONE | spec.IRQ_ERROR), ("START_PC", 0)):
        assert await bus.write_reg(reg, v) == OKAY
        model.write(spec.REG[reg].offset, v, 0xF)
    assert await bus.write_reg("CTRL", 1) == OKAY
    model.write(spec.REG["CTRL"].offset, 1, 0xF)
    model.busy = 1
    status, _ = await bus.read_reg("STATUS")
    assert status & spec.STATUS_BUSY, f"STATUS {status:#x} right after START: not busy"
    ops = []
    for _ in range(st.n_busy):
        ops.append(_illegal(st, busy=True))
        if rng.random() < 0.3:
            ops.append(("read", spec.REG[str(rng.choice(CONST_REGS))].offset))
    yt = st.prog.tensors["y"]
    ops += [("write", spec.REG["CTRL"].offset, 1, 0xF), ("read", bus.mem_addr("amem", yt.base)),
            ("write", bus.mem_addr("wmem", 0), rand32(rng), 0xF)]
    stats = await _stress(st, ops, BUS_TOP_BUSY)
    status, _ = await bus.read_reg("STATUS")
    assert status & spec.STATUS_BUSY, \
        f"the run ended during the busy batch ({res.cycles} cycles): responses were not all taken while busy"
    st.dut._log.info("phase 2 (busy): %d accesses: %s", len(ops), stats)
    await with_timeout(RisingEdge(st.dut.irq_o), run_budget(res) * CLK_PERIOD_NS, "ns")
    model.busy = 0
    model.run_end(int(res.err), res.err_pc)
    model.perf = res.counters()


async def results_phase(st: BusStress) -> None:
    """The refused START and memory writes changed nothing (counters of one
    run, memories intact, outputs as the golden model's); then every
    register and the outputs over the bus, in random order."""
    rng, bus, model, exp = st.rng, st.bus, st.model, st.exp
    yt = st.prog.tensors["y"]
    n_out = yt.channels * yt.stride
    for i, wd in enumerate(nibbles_to_ints(exp.amem[yt.base: yt.base + n_out])):
        model.mem[("amem", yt.base + i)] = wd
    _check_memories(st, "after the run")
    ops = [("read", r.offset) for r in spec.REGS]
    out = [a for a, _ in _word_writes(bus, "amem", yt.base, [0] * n_out)]
    if st.slow and len(out) > 256:   # chip on Icarus: a sample over the bus (all of it was compared above)
        out = [out[i] for i in sorted(rng.choice(len(out), 256, replace=False))]
    ops += [("read", a) for a in out]
    ops += [("read", bus.mem_addr("imem", int(rng.choice(st.words["imem"])), 0)) for _ in range(4)]
    order = rng.permutation(len(ops))
    stats = await _stress(st, [ops[i] for i in order], BUS_TOP_RESULTS)
    st.dut._log.info("phase 3 (results): %d reads: %s", len(ops), stats)
    assert model.irq_st == spec.IRQ_DONE and int(st.dut.irq_o.value) == 1
    assert await bus.write_reg("IRQ_STATUS", spec.IRQ_DONE) == OKAY
    got = {k: model.reg_value(r) for k, r in (("err", "ERR_CODE"), ("err_pc", "ERR_PC"),
                                               ("stall", spec.PERF_REG["stall"]),
                                               ("skipped", spec.PERF_REG["skipped"]))}
    cov.sample_run(st.mem.imem, 0, got)
    cov.sample_compiled(st.prog)
    cov.sample_case(st.case)
    st.dut._log.info("bus-loaded run matches the golden model: %s", st.res.counters())
