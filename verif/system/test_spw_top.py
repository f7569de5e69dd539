"""System bench for spw_top: programs run through the RTL and are compared
with the golden model (models/iss.py) word for word in AMem and in every
performance counter, which makes the RTL cycle-exact to the cycle model.

Every test samples the functional coverage model (verif/common/coverage.py)
and exports it to <test_dir>/coverage.yml.

Knobs (environment): SPW_CONFIG (set by the pytest runner), SPW_NCASES
(random layer cases per run), SIM, SEED, WAVES.
"""
from __future__ import annotations

import os

import cocotb
import numpy as np
import pytest
from cocotb.triggers import RisingEdge, with_timeout

from models import isa, iss, reference, spec
from models.case import Case, pick_requant, random_case, random_weights
from models.compiler import LayerDef, compile_layer, compile_network
from models.memory import Memories, ints_to_nibbles, nibbles_to_ints
from models.spec import Err, Op

from verif.common import coverage as cov
from verif.common import make_rng
from verif.common.axil_stress import (MEM_NAMES, HostIfModel, Txn, drive_raw, out_of_depth_addrs,
                                      rand32, random_delay, unmapped_reg_offsets)
from rtlsim.driver import TopDriver
from rtlsim.host import OKAY, mem_geometry
from verif.common.scoreboard import run_and_check, run_budget


def _cfg() -> spec.Config:
    return spec.get_config(os.environ.get("SPW_CONFIG", "small"))


def _case_limits(cfg: spec.Config) -> dict:
    # the chip configuration is slow on Icarus: keep its cases small there
    if cfg.name == "chip" and os.environ.get("SIM", "icarus") == "icarus":
        return {"max_hw": 6, "max_c": 40}
    return {"max_hw": 11}


OUTPUTS = ("s_axil_awready", "s_axil_wready", "s_axil_bresp", "s_axil_bvalid", "s_axil_arready",
           "s_axil_rdata", "s_axil_rresp", "s_axil_rvalid", "irq_o")


def _undefined_outputs(dut) -> list[str]:
    return [f"{n}={getattr(dut, n).value}" for n in OUTPUTS if not getattr(dut, n).value.is_resolvable]


@cocotb.test()
async def outputs_defined(dut):
    """No X or Z on any output from reset on: while idle, and on every cycle
    of a short program (IRQ included).  Only Icarus can see X; Verilator is
    two-state, so there the test is only a smoke run."""
    cfg = _cfg()
    rng = make_rng(dut, "outputs_defined")
    drv = TopDriver(dut, cfg)
    await drv.start()
    for cyc in range(16):
        await RisingEdge(dut.clk_i)
        bad = _undefined_outputs(dut)
        assert not bad, f"cycle {cyc} after reset: undefined outputs {bad}"
    x = rng.integers(0, 16, size=(3, 5, 7))
    wt = random_weights(rng, 4, 3, 3, "dw", cfg.cols, taps_kept=3)
    prog = compile_layer(cfg, x.shape, wt, None, 40, 6)
    mem = prog.memories({"x": x})
    res = iss.run(mem.copy())
    drv.backdoor.load(mem, len(prog.imem), len(prog.wmem))
    seen = []

    async def watch():
        while True:
            await RisingEdge(dut.clk_i)
            bad = _undefined_outputs(dut)
            if bad:
                seen.append(bad)

    task = cocotb.start_soon(watch())
    got = await drv.run(0, max_cycles=run_budget(res))
    task.cancel()
    assert got == res, got.diff(res)
    assert not seen, f"undefined outputs during a run: {seen[:3]}"


@cocotb.test()
@cov.exported
async def random_layers(dut):
    """Random legal layer cases: K 1/3, odd sizes, partial tiles and groups,
    sparsity 9/9..1/9, empty groups, act/acc, requant extremes."""
    cfg = _cfg()
    rng = make_rng(dut, "random_layers")
    drv = TopDriver(dut, cfg)
    await drv.start()
    await drv.check_identity()
    n = int(os.environ.get("SPW_NCASES", "6"))
    for i in range(n):
        case = random_case(rng, cfg, **_case_limits(cfg))
        prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode)
        cout, cin, k, _ = case.w.shape
        name = (f"case {i}: Cin={cin} Cout={cout} H={case.x.shape[1]} W={case.x.shape[2]} K={k} "
                f"mode={case.mode} steps={prog.layers[0].stored_words}/{prog.layers[0].dense_words}")
        dut._log.info(name)
        await run_and_check(drv, name, prog.memories({"x": case.x}), prog,
                             imem_words=len(prog.imem), wmem_words=len(prog.wmem))
        cov.sample_compiled(prog)
        cov.sample_case(case)


@cocotb.test()
@cov.exported
async def multi_layer_program(dut):
    """Four layers in one program with no host step: PW expand, sparse 3x3
    (a pruned depth-wise merged into PW), a residual as concatenated input
    channels with identity weights, and an acc-mode classifier."""
    cfg = _cfg()
    rng = make_rng(dut, "multi_layer_program")
    drv = TopDriver(dut, cfg)
    await drv.start()
    c, h, w = cfg.cols + 3, 5, 7
    x = rng.integers(0, 16, size=(c, h, w))

    def wts(co, ci, k, keep=1.0):
        a = rng.integers(-8, 8, size=(co, ci, k, k))
        return a * (rng.random(a.shape) < keep)

    ident = np.zeros((c, c, 3, 3), np.int64)
    for i in range(c):
        ident[i, i, 1, 1] = 1
    layers = [
        LayerDef("e", ["x"], wts(2 * c, c, 1), rng.integers(-50, 50, 2 * c), 40, 10),
        LayerDef("d", ["e"], wts(c, 2 * c, 3, keep=0.3), None, 30, 10),
        LayerDef("r", ["d", "x"], np.concatenate([wts(c, c, 3, keep=0.2), ident], axis=1), None, 64, 9),
        LayerDef("logits", ["r"], wts(10, c, 1), rng.integers(-100, 100, 10), 1, 0, "acc"),
    ]
    prog = compile_network(cfg, h, w, {"x": c}, layers, outputs=["logits"])
    await run_and_check(drv, "multi-layer program", prog.memories({"x": x}), prog,
                         imem_words=len(prog.imem), wmem_words=len(prog.wmem))
    cov.sample_compiled(prog)
    cov.sample_network({"x": x}, layers)


def _bad_programs(cfg: spec.Config, good: list[int]) -> list[tuple[str, list[int], int]]:
    """(name, IMem words, START_PC) for each error code, built around a good
    program; the words are placed at START_PC."""
    layer, layerq, group = good[0], good[1], good[2]
    g = isa.decode(group)[1]
    step = next(wd for wd in good if isa.opcode(wd) == Op.STEP)
    end = isa.encode(Op.END)
    one_step = isa.encode(Op.GROUP, **{**g, "NSTEPS": 1})
    lay = isa.decode(layer)[1]
    tiles = -(-lay["H"] * lay["W"] // cfg.rows)
    return [
        ("illegal opcode", [0], 0),
        ("empty program", [end], 0),
        ("malformed: GROUP after LAYER", [layer, group, end], 0),
        ("malformed: layer without groups", [layer, layerq, end], 0),
        ("malformed: STEP count short", [layer, layerq, one_step, step, step, end], 0),
        ("reserved bit", [layer, layerq | 1 << 30, end], 0),
        ("bad field: TAP 9", [layer, layerq, one_step, (step & ~(0xF << 56)) | 9 << 56, end], 0),
        ("bad field: NCOLS 0", [layer, layerq, isa.encode(Op.GROUP, **{**g, "NCOLS": 0}), end], 0),
        ("imem range: runs off the end", [layer, layerq, one_step], cfg.idepth - 3),
        ("imem range: START_PC", [], cfg.idepth),
        ("wmem range", [layer, layerq, isa.encode(Op.GROUP, **{**g, "WBASE": cfg.wdepth - 1, "NSTEPS": 2})], 0),
        ("amem range: step", [layer, layerq, one_step,
                              isa.encode(Op.STEP, TAP=4, CADDR=cfg.adepth - tiles + 1), end], 0),
        ("amem range: group output", [layer, layerq, isa.encode(Op.GROUP, **{**g, "OADDR": cfg.adepth - 1})], 0),
        # a fault after a completed group: that group's output must be written
        ("fault after a good group", list(good[:-1]) + [0], 0),
    ]


@cocotb.test()
@cov.exported
async def error_programs(dut):
    """Every bad program stops with its documented error code and PC, writes
    exactly what the golden model writes, and leaves the core ready: a good
    program runs right after each one."""
    cfg = _cfg()
    rng = make_rng(dut, "error_programs")
    drv = TopDriver(dut, cfg)
    await drv.start()
    x = rng.integers(0, 16, size=(3, 4, 5))
    wt = rng.integers(-8, 8, size=(5, 3, 3, 3))
    prog = compile_layer(cfg, x.shape, wt, None, 20, 6)
    cov.sample_compiled(prog)
    codes = set()
    for name, words, start_pc in _bad_programs(cfg, prog.imem):
        mem = prog.memories({"x": x})
        mem.imem[:] = 0
        mem.imem[start_pc: start_pc + len(words)] = np.array(words, np.uint64)
        res = await run_and_check(drv, f"error program '{name}'", mem, prog, start_pc=start_pc)
        assert res.err != Err.NONE, f"{name}: the golden model raised no error"
        codes.add(res.err)
        await run_and_check(drv, f"good program after '{name}'", prog.memories({"x": x}), prog)
    missing = set(Err) - {Err.NONE} - codes
    assert not missing, f"error codes never exercised: {sorted(e.name for e in missing)}"


@cocotb.test()
@cov.exported
async def bus_loaded_program(dut):
    """The host path end to end: memories loaded and results read through
    the AXI4-Lite windows only (no backdoor)."""
    cfg = _cfg()
    rng = make_rng(dut, "bus_loaded_program")
    drv = TopDriver(dut, cfg)
    await drv.start()
    x = rng.integers(0, 16, size=(2, 3, 5))
    wt = rng.integers(-8, 8, size=(3, 2, 3, 3))
    prog = compile_layer(cfg, x.shape, wt, rng.integers(-20, 20, 3), 33, 7)
    mem = prog.memories({"x": x})
    exp = mem.copy()
    res = iss.run(exp)
    await drv.load_bus(mem, len(prog.imem), len(prog.wmem), prog.amem_words)
    got = await drv.run(max_cycles=run_budget(res))
    assert got == res, got.diff(res)
    cov.sample_run(mem.imem, 0, got)
    cov.sample_compiled(prog)
    y = prog.tensors["y"]
    words = await drv.bus.read_mem_words("amem", y.base, y.channels * y.stride)
    exp_words = exp.amem[y.base: y.base + y.channels * y.stride]
    assert np.array_equal(ints_to_nibbles(words, cfg.rows), exp_words), "output read over the bus differs"


# ---------------------------------------------------------------------------
# Coverage closure: directed layers that hit, for any seed and either
# configuration, the bins random_layers reaches only by chance
# (verif/common/coverage.py).  Each case is checked like any other run.
# ---------------------------------------------------------------------------
def _closure_cases(cfg: spec.Config, rng: np.random.Generator) -> list[tuple]:
    """(name, x, w, bias, scale, shift, mode) in terms of rows/cols."""
    rows, cols = cfg.rows, cfg.cols
    nz = np.array([v for v in range(-8, 8) if v])

    def xs(c, h, w):   # every value 0..15 occurs when there are enough pixels
        return (np.arange(c * h * w).reshape(c, h, w) * 7 + 3) % 16

    cases = []
    # taps per channel 1..9 (channel ci keeps ci+1 taps, every tap 0..8 used),
    # an image row spanning tiles, W % rows != 0, a partial second group;
    # co 0 / co 1 saturate high / low, co 2 passes x through (0 < y < 15)
    h, w, cin, cout = 2, rows + 3, 9, cols + 1
    wt = np.zeros((cout, cin, 3, 3), np.int64)
    for ci in range(cin):
        kept = rng.permutation(9)[: ci + 1]
        for tap in kept:
            wt[:, ci, tap // 3, tap % 3] = rng.choice(nz, size=cout)
        wt[0, ci][wt[0, ci] != 0] = 7
        wt[1, ci][wt[1, ci] != 0] = -8
    wt[2] = 0
    wt[2, 8, 1, 1] = 1
    x = xs(cin, h, w)
    x[:, 0, :] = 15
    cases.append(("taps 1..9 per channel", x, wt, None, 1, 0, "act"))
    # H == 1, dense (nothing skipped), bias, SCALE 65535 / SHIFT 31
    cases.append(("H=1 dense with bias", xs(2, 1, 5), rng.choice(nz, size=(3, 2, 3, 3)),
                  rng.integers(-300, 300, 3), spec.SCALE_MAX, spec.SHIFT_MAX, "act"))
    # W == 1, SCALE 0
    cases.append(("W=1 scale 0", xs(1, 5, 1), rng.choice(nz, size=(2, 1, 3, 3)), None, 0, 5, "act"))
    # a single pixel (single partial tile) in acc mode: outputs +5, -5, 0; 1/9 density
    wt = np.zeros((3, 1, 3, 3), np.int64)
    wt[0, 0, 1, 1], wt[1, 0, 1, 1] = 1, -1
    cases.append(("1x1 image acc", np.full((1, 1, 1), 5), wt, None, 1, 0, "acc"))
    # W == rows: full tiles, one full group, dense, no stall (Cin*9 >= cols)
    cin = -(-cols // 9)
    cases.append(("W=rows full tiles", xs(cin, 2, rows), rng.choice(nz, size=(cols, cin, 3, 3)),
                  None, 1, 4, "act"))
    # K=1: an empty group (cols null-step drain words), then a 1-step group
    # whose capture waits for that drain (a stall), rounding exact halves
    # (x*1 + 1) >> 1 for odd x
    wt = np.zeros((cols + 2, 1, 1, 1), np.int64)
    wt[cols:, 0, 0, 0] = 1
    cases.append(("empty group, round half up", xs(1, 1, 3), wt, None, 1, 1, "act"))
    # a sparse 3x3 group at <= 1/3 density next to a dense one
    wt = np.zeros((cols + 1, 3, 3, 3), np.int64)
    wt[:cols, :, 1, 1] = rng.choice(nz, size=(cols, 3))
    wt[cols:] = rng.choice(nz, size=(1, 3, 3, 3))
    cases.append(("1/9 and dense groups", xs(3, 3, 2), wt, rng.integers(-50, 50, cols + 1), 3, 5, "act"))
    return cases


@cocotb.test()
@cov.exported
async def coverage_closure(dut):
    """Directed layers for the coverage model's hard bins (see _closure_cases);
    each is compared with the golden model like the random cases."""
    cfg = _cfg()
    rng = make_rng(dut, "coverage_closure")
    drv = TopDriver(dut, cfg)
    await drv.start()
    for name, x, wt, bias, scale, shift, mode in _closure_cases(cfg, rng):
        case = Case(x, wt, bias, scale, shift, mode)
        prog = compile_layer(cfg, x.shape, wt, bias, scale, shift, mode)
        dut._log.info("closure case '%s': %s", name, prog.layers[0])
        await run_and_check(drv, f"closure case '{name}'", prog.memories({"x": x}), prog,
                             imem_words=len(prog.imem), wmem_words=len(prog.wmem))
        cov.sample_compiled(prog)
        cov.sample_case(case)


# ---------------------------------------------------------------------------
# Bus stress at system level
# ---------------------------------------------------------------------------
RO_REGS = [r.name for r in spec.REGS if r.access == "RO"]
CONST_REGS = ("ID", "VERSION", "CONFIG", "ADEPTH", "WDEPTH", "IDEPTH", "CTRL", "IRQ_ENABLE", "START_PC")


def _word_writes(bus, name: str, start: int, words: list[int]) -> list[tuple[int, int]]:
    """(addr, slot data) of whole-word writes."""
    n = bus.slots(name)
    return [(bus.mem_addr(name, start + i, j), (int(wd) >> (32 * j)) & 0xFFFFFFFF)
            for i, wd in enumerate(words) for j in range(n)]


def _illegal(rng, cfg: spec.Config, bus, words: dict, busy: bool) -> tuple[str, int]:
    """One illegal access: ('read'|'write', addr).  Unmapped register offsets,
    the gap below AMem, RO registers, out-of-depth words (when the config has
    any) and, while busy, memory words and CTRL.START."""
    kinds = ["unmapped", "gap", "ro", "oob"]
    if busy:
        kinds += ["mem", "mem", "start"]
    while True:
        k = kinds[int(rng.integers(0, len(kinds)))]
        if k == "unmapped":
            return str(rng.choice(["read", "write"])), int(rng.choice(unmapped_reg_offsets()))
        if k == "gap":
            return str(rng.choice(["read", "write"])), int(rng.integers(spec.REG_WINDOW[1] // 4,
                                                                        spec.AMEM_BASE // 4)) * 4
        if k == "ro":
            return "write", spec.REG[RO_REGS[int(rng.integers(0, len(RO_REGS)))]].offset
        if k == "oob":
            addrs = [a for m in MEM_NAMES for a in out_of_depth_addrs(cfg, m)]
            if addrs:
                return str(rng.choice(["read", "write"])), int(rng.choice(addrs))
        if k == "mem":
            name = MEM_NAMES[int(rng.integers(0, 3))]
            word = int(rng.choice(words[name]))
            return str(rng.choice(["read", "write"])), bus.mem_addr(name, word, int(rng.integers(0, bus.slots(name))))
        if k == "start":
            return "write", spec.REG["CTRL"].offset


def _stress_lists(rng, ops: list[tuple], long_p: float) -> tuple[list, list]:
    """Split ('write', addr, data, strb) / ('read', addr) into the raw
    driver's write and read queues with random valid delays."""
    writes, reads = [], []
    for op in ops:
        if op[0] == "write":
            writes.append(Txn(op[1], op[2], op[3], random_delay(rng, long_p), random_delay(rng, long_p)))
        else:
            reads.append(Txn(op[1], d_a=random_delay(rng, long_p)))
    return writes, reads


def _stress_case(rng: np.random.Generator, cfg: spec.Config, slow: bool) -> Case:
    """A random 3x3 layer with enough tiles and steps that its run outlasts
    the busy-phase batch, yet quick to load over the bus: chip on Icarus
    4..6 tiles, two groups, dense, act mode; otherwise 8..16 tiles."""
    rows, cols = cfg.rows, cfg.cols
    t = int(rng.integers(4, 7) if slow else rng.integers(8, 17))
    hw = int(rng.integers((t - 1) * rows + 1, t * rows + 1))
    h = int(rng.choice([d for d in range(1, 17) if hw % d == 0 and hw // d <= 64] or [1]))
    w = hw // h
    cin = int(rng.integers(4, 7) if slow else rng.integers(3, 7))
    cout = int(rng.integers(cols + 1, cols + 5) if slow else rng.integers(cols // 2 + 1, cols + 4))
    kind = "dense" if slow else str(rng.choice(["dense", "dw"]))
    wt = random_weights(rng, cout, cin, 3, kind, cols, taps_kept=int(rng.integers(5, 10)))
    x = rng.integers(0, 16, size=(cin, h, w))
    bias = rng.integers(-300, 301, size=cout) if rng.random() < 0.5 else None
    mode = "acc" if not slow and cout * t * 8 <= 800 and rng.random() < 0.3 else "act"
    scale, shift = pick_requant(rng, reference.layer(x, wt, bias, mode="acc"))
    return Case(x, wt, bias, scale, shift, mode)


@cocotb.test()
@cov.exported
async def bus_stress_program(dut):
    """A random layer loaded, started and read back entirely through the
    AXI4-Lite port under random idle cycles on AW/W/AR and BREADY/RREADY
    backpressure (verif/common/axil_stress.py), with illegal accesses mixed
    in: unmapped offsets, the gap below AMem, writes to RO registers,
    out-of-depth words, and, while the core runs, memory accesses and a
    second START (SLVERR).  Every response and read datum is checked against
    HostIfModel, the memories are compared after the illegal accesses (no
    side effect), and the run's counters and outputs against models.iss."""
    cfg = _cfg()
    rng = make_rng(dut, "bus_stress_program")
    drv = TopDriver(dut, cfg)
    await drv.start()
    bus = drv.bus
    slow = cfg.name == "chip" and os.environ.get("SIM", "icarus") == "icarus"
    n_busy = 10 if slow else 24
    # a layer that runs long enough for the busy-phase batch (~3 cycles per access)
    for _ in range(200):
        case = _stress_case(rng, cfg, slow)
        prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode)
        mem = prog.memories({"x": case.x})
        exp = mem.copy()
        res = iss.run(exp)
        if res.err == Err.NONE and res.cycles >= 15 * n_busy + 150 and len(prog.imem) <= 200:
            break
    else:
        raise AssertionError("no random layer long enough for the busy-phase batch")
    xt, yt = prog.tensors["x"], prog.tensors["y"]
    image = {"imem": [int(v) for v in mem.imem[: len(prog.imem)]],
             "wmem": nibbles_to_ints(mem.wmem[: len(prog.wmem)]),
             "amem": nibbles_to_ints(mem.amem[xt.base: xt.base + xt.channels * xt.stride])}
    starts = {"imem": 0, "wmem": 0, "amem": xt.base}
    words = {m: list(range(starts[m], starts[m] + len(image[m]))) for m in MEM_NAMES}
    dut._log.info("layer Cin=%d Cout=%d H=%d W=%d mode=%s: %d IMem, %d WMem, %d AMem words, %d cycles",
                  case.w.shape[1], case.w.shape[0], *case.x.shape[1:], case.mode,
                  *(len(image[m]) for m in ("imem", "wmem", "amem")), res.cycles)

    # the model starts from the DUT's state: registers after reset, memory
    # words in play (and the words out-of-depth addresses would alias to)
    model = HostIfModel(cfg)
    for r in spec.REGS:
        v, resp = await bus.read_reg(r.name)
        assert resp == OKAY, f"{r.name}: resp {resp}"
        exp_v = model.reg_value(r.name)
        if r.name.startswith("PERF"):
            model.perf[("PERF_CYCLES", "PERF_MAC_BUSY", "PERF_SKIPPED", "PERF_STALL").index(r.name)] = v
        else:
            assert v == exp_v, f"{r.name} after reset: {v:#x} != {exp_v:#x}"
    tracked = {(m, wd) for m in MEM_NAMES for wd in words[m]}
    for m in MEM_NAMES:   # where an out-of-depth word would land if the decoder dropped address bits
        base, _, depth = mem_geometry(cfg, m)
        tracked |= {(m, (a - base) // (4 * bus.slots(m)) % depth) for a in out_of_depth_addrs(cfg, m)}
    tracked |= {("amem", yt.base + i) for i in range(yt.channels * yt.stride)}
    for m, wd in sorted(tracked):   # known, random old contents (SRAMs power up X)
        v = int.from_bytes(rng.bytes(16)) & ((1 << mem_geometry(cfg, m)[1]) - 1)
        drv.backdoor.write_word(m, wd, v)
        model.mem[(m, wd)] = v
    await RisingEdge(dut.clk_i)

    async def stress(ops, p_b, p_r, long_p):
        writes, reads = _stress_lists(rng, ops, long_p)
        stats = await drive_raw(dut, rng, model, writes, reads, p_b, p_r,
                                max_cycles=400 * (len(ops) + 10), observer=cov.sample_bus,
                                final_ready=1)
        cov.sample_handshakes(stats)
        return stats

    def check_memories(what: str):
        for (m, wd), v in sorted(model.mem.items()):
            got = drv.backdoor.read_word(m, wd)
            assert got == v, f"{what}: {m}[{wd}] = {got:#x}, expected {v:#x}"

    # phase 1, idle: load the program (a garbage partial write before some
    # words), read words back, illegal accesses and RW register writes mixed in
    ops: list[tuple] = []
    n_illegal = 0
    for m in ("imem", "wmem", "amem"):
        for addr, data in _word_writes(bus, m, starts[m], image[m]):
            if rng.random() < 0.1:
                ops.append(("write", addr, rand32(rng), int(rng.integers(0, 16))))
            ops.append(("write", addr, data, 0xF))
            if rng.random() < 0.3:
                ops.append(("read", addr))
            if rng.random() < 0.15:
                kind, a = _illegal(rng, cfg, bus, words, busy=False)
                ops.append((kind, a, rand32(rng), int(rng.integers(1, 16))) if kind == "write" else (kind, a))
                n_illegal += 1
            if rng.random() < 0.03:
                nm = str(rng.choice(["IRQ_ENABLE", "START_PC", "IRQ_STATUS"]))
                ops.append(("write", spec.REG[nm].offset, rand32(rng), int(rng.integers(0, 16))))
    for _ in range(8):   # every illegal kind at least once, whatever the draws
        kind, a = _illegal(rng, cfg, bus, words, busy=False)
        ops.append((kind, a, rand32(rng), 0xF) if kind == "write" else (kind, a))
    for r in spec.REGS:
        ops.append(("read", r.offset))
    ops += [("write", spec.REG[r].offset, rand32(rng), 0xF) for r in RO_REGS]
    ops += [("read", a) for m in MEM_NAMES for a in out_of_depth_addrs(cfg, m)]
    ops += [("read", unmapped_reg_offsets()[0]), ("read", spec.REG_WINDOW[1])]
    stats = await stress(ops, 0.5, 0.4, 0.15)
    dut._log.info("phase 1 (load): %d accesses, %d illegal mixed in: %s", len(ops), n_illegal, stats)
    # no side effect: registers as the model says, memories hold the image
    for r in spec.REGS:
        v, resp = await bus.read_reg(r.name)
        assert (v, resp) == (model.reg_value(r.name), OKAY), f"{r.name}: {v:#x}/{resp} after phase 1"
    for m in MEM_NAMES:
        for i, wd in enumerate(image[m]):
            assert model.mem[(m, starts[m] + i)] == wd, f"model {m}[{starts[m] + i}] lost the image"
    check_memories("after the load")

    # phase 2, busy: START, then illegal accesses and reads of constant
    # registers while the core runs; BUSY before and after brackets them
    for reg, v in (("IRQ_STATUS", 3), ("IRQ_ENABLE", spec.IRQ_DONE | spec.IRQ_ERROR), ("START_PC", 0)):
        assert await bus.write_reg(reg, v) == OKAY
        model.write(spec.REG[reg].offset, v, 0xF)
    assert await bus.write_reg("CTRL", 1) == OKAY
    model.write(spec.REG["CTRL"].offset, 1, 0xF)
    model.busy = 1
    st, _ = await bus.read_reg("STATUS")
    assert st & spec.STATUS_BUSY, f"STATUS {st:#x} right after START: not busy"
    ops = []
    for _ in range(n_busy):
        kind, a = _illegal(rng, cfg, bus, words, busy=True)
        ops.append((kind, a, rand32(rng), 0xF) if kind == "write" else (kind, a))
        if rng.random() < 0.3:
            ops.append(("read", spec.REG[str(rng.choice(CONST_REGS))].offset))
    ops += [("write", spec.REG["CTRL"].offset, 1, 0xF), ("read", bus.mem_addr("amem", yt.base)),
            ("write", bus.mem_addr("wmem", 0), rand32(rng), 0xF)]
    stats = await stress(ops, 0.6, 0.6, 0.05)
    st, _ = await bus.read_reg("STATUS")
    assert st & spec.STATUS_BUSY, \
        f"the run ended during the busy batch ({res.cycles} cycles): responses were not all taken while busy"
    dut._log.info("phase 2 (busy): %d accesses: %s", len(ops), stats)
    await with_timeout(RisingEdge(dut.irq_o), 10 * (4 * res.cycles + 1000), "ns")
    model.busy = 0
    model.run_end(int(res.err), res.err_pc)
    model.perf = [res.cycles, res.mac_busy, res.skipped, res.stall]
    # the refused START and memory writes changed nothing: counters of one
    # run, memories intact; then every register and the outputs over the bus
    for i, wd in enumerate(nibbles_to_ints(exp.amem[yt.base: yt.base + yt.channels * yt.stride])):
        model.mem[("amem", yt.base + i)] = wd
    check_memories("after the run")
    ops = [("read", r.offset) for r in spec.REGS]
    out = [a for a, _ in _word_writes(bus, "amem", yt.base, [0] * (yt.channels * yt.stride))]
    if slow and len(out) > 256:   # chip on Icarus: a sample over the bus (all of it was compared above)
        out = [out[i] for i in sorted(rng.choice(len(out), 256, replace=False))]
    ops += [("read", a) for a in out]
    ops += [("read", bus.mem_addr("imem", int(rng.choice(words["imem"])), 0)) for _ in range(4)]
    order = rng.permutation(len(ops))
    stats = await stress([ops[i] for i in order], 0.4, 0.3, 0.1)
    dut._log.info("phase 3 (results): %d reads: %s", len(ops), stats)
    assert model.irq_st == spec.IRQ_DONE and int(dut.irq_o.value) == 1
    assert await bus.write_reg("IRQ_STATUS", spec.IRQ_DONE) == OKAY
    got = {k: model.reg_value(r) for k, r in (("err", "ERR_CODE"), ("err_pc", "ERR_PC"),
                                               ("stall", "PERF_STALL"), ("skipped", "PERF_SKIPPED"))}
    cov.sample_run(mem.imem, 0, got)
    cov.sample_compiled(prog)
    cov.sample_case(case)
    dut._log.info("bus-loaded run matches the golden model: %s", res.counters())


# ---------------------------------------------------------------------------
# pytest entry
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_top(config):
    from rtlsim.build import run_dir, run_top

    run_top(spec.get_config(config), __name__, run_dir(),
            extra_env={"SPW_NCASES": os.environ.get("SPW_NCASES", "6" if config == "small" else "2")})
