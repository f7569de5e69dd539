"""System bench for spw_top: programs run through the RTL and are compared
with the golden model (models/iss.py) word for word in AMem and in every
host-visible register (rtlsim.outcome), which makes the RTL cycle-exact to
the cycle model.

Every test samples the functional coverage model (verif/common/coverage.py)
and exports it to <test_dir>/coverage.yml.  Random stimulus comes from the
knobs of models/stimulus.py; how much of it from SPW_EFFORT
(verif/common/effort.py).  Each test's timeout is sized from the cycles its
work can take at most.
"""
from __future__ import annotations

import cocotb
import numpy as np
import pytest
from cocotb.triggers import RisingEdge

from models import isa, iss, spec
from models import stimulus as S
from models.case import Case
from models.compiler import compile_layer, compile_network
from models.memory import ints_to_nibbles
from models.spec import ACC_WORDS_PER_TILE
from models.spec import Err, Op
from rtlsim.driver import TopDriver
from verif.common import bus_stress
from verif.common import coverage as cov
from verif.common import make_rng
from verif.common.bench import Bench
from verif.common.env import start_top
from verif.common.scoreboard import run_and_check, run_budget

BENCH = Bench("top", __name__)


async def _start(dut, test: str) -> tuple[spec.Config, np.random.Generator, TopDriver]:
    """The configuration, the test's seeded generator and a TopDriver with
    the DUT out of reset and the AXI4-Lite protocol monitor on its host
    port (verif/common/env.py)."""
    drv = await start_top(dut, BENCH.cfg)
    return BENCH.cfg, make_rng(dut, test), drv


def _layer_knobs() -> S.LayerKnobs:
    return S.system_layer(BENCH.cfg, BENCH.work.sim)


# cycles the work of each test can take at most, for its timeout: a run
# costs its layer's cycles plus a few hundred cycles of host accesses
RUN_OVERHEAD = 400


def _random_layers_cycles(work, cfg) -> int:
    return work["ncases"] * (S.layer_cycles_bound(cfg, S.system_layer(cfg, work.sim)) + RUN_OVERHEAD)


def _network_cycles(work, cfg) -> int:
    c = cfg.cols + 3     # network_block: widths c, 2c, c, c, 10 on a 5 x 7 grid
    layer = S.LAYER_SYSTEM.replace(max_hw=7, max_c=2 * c, acc_p=1.0)
    return 4 * S.layer_cycles_bound(cfg, layer) + RUN_OVERHEAD


OUTPUTS = ("s_axil_awready", "s_axil_wready", "s_axil_bresp", "s_axil_bvalid", "s_axil_arready",
           "s_axil_rdata", "s_axil_rresp", "s_axil_rvalid", "irq_o")


def _undefined_outputs(dut) -> list[str]:
    return [f"{n}={getattr(dut, n).value}" for n in OUTPUTS if not getattr(dut, n).value.is_resolvable]


@BENCH.test(cycles=1000)
async def outputs_defined(dut):
    """No X or Z on any output from reset on: while idle, and on every cycle
    of a short program (IRQ included).  Only Icarus can see X; Verilator is
    two-state, so there the test is only a smoke run."""
    cfg, rng, drv = await _start(dut, "outputs_defined")
    for cyc in range(16):
        await RisingEdge(dut.clk_i)
        bad = _undefined_outputs(dut)
        assert not bad, f"cycle {cyc} after reset: undefined outputs {bad}"
    x = rng.integers(0, 16, size=(3, 5, 7))
    wt = S.draw_weights(rng, 4, 3, 3, cfg.cols, kind="dw", taps_kept=3)
    prog = compile_layer(cfg, x.shape, wt, None, 40, 6)
    mem = prog.memories({"x": x})
    res = iss.run(mem.copy())
    await drv.backdoor.load(mem, len(prog.imem), len(prog.wmem))
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


@BENCH.test(cycles=_random_layers_cycles)
@cov.exported
async def random_layers(dut):
    """Random legal layer cases (models.stimulus.system_layer): K 1/3, odd
    sizes, partial tiles and groups, sparsity 9/9..1/9, empty groups,
    act/acc, requant extremes."""
    cfg, rng, drv = await _start(dut, "random_layers")
    await drv.check_identity()
    for i in range(BENCH.work["ncases"]):
        case = S.draw_layer(rng, cfg, _layer_knobs())
        prog = case.compile(cfg)
        cout, cin, k, _ = case.w.shape
        name = (f"case {i}: Cin={cin} Cout={cout} H={case.x.shape[1]} W={case.x.shape[2]} K={k} "
                f"stride={case.stride} mode={case.mode} "
                f"steps={prog.layers[0].stored_words}/{prog.layers[0].dense_words}")
        dut._log.info(name)
        await run_and_check(drv, name, prog.memories({"x": case.x}), prog,
                            imem_words=len(prog.imem), wmem_words=len(prog.wmem))
        cov.sample_compiled(prog)
        cov.sample_case(case)


@BENCH.test(cycles=_network_cycles)
@cov.exported
async def multi_layer_program(dut):
    """Four layers in one program with no host step (models.stimulus
    network_block): PW expand, sparse 3x3 (a pruned depth-wise merged into
    PW), a residual as concatenated input channels with identity weights,
    and an acc-mode classifier."""
    cfg, rng, drv = await _start(dut, "multi_layer_program")
    inputs, layers = S.draw_network(rng, cfg, S.network_block(cfg))
    (h, w), = {x.shape[1:] for x in inputs.values()}
    prog = compile_network(cfg, h, w, {n: len(x) for n, x in inputs.items()}, layers,
                           outputs=[layers[-1].name])
    await run_and_check(drv, "multi-layer program", prog.memories(inputs), prog,
                        imem_words=len(prog.imem), wmem_words=len(prog.wmem))
    cov.sample_compiled(prog)
    cov.sample_network(inputs, layers)


def _reserved_bit(op: Op) -> int:
    """The highest reserved bit of instruction kind ``op``: for END one that
    no other kind reserves, so a decoder that kept another kind's mask for
    END would miss it."""
    mask = spec.reserved_mask(op)
    return 1 << (mask.bit_length() - 1)


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
    # an acc-mode copy of the layer with the shortest legal OSTRIDE, and the
    # OADDR at which a group's output ends exactly at the last AMem word
    acc_layer = isa.encode(Op.LAYER, **{**lay, "MODE": 1, "OSTRIDE": ACC_WORDS_PER_TILE * tiles})
    acc_end = cfg.adepth - g["NCOLS"] * ACC_WORDS_PER_TILE * tiles
    return [
        ("illegal opcode", [0], 0),
        ("empty program", [end], 0),
        ("malformed: GROUP after LAYER", [layer, group, end], 0),
        ("malformed: layer without groups", [layer, layerq, end], 0),
        ("malformed: STEP count short", [layer, layerq, one_step, step, step, end], 0),
        ("malformed: LAYERQ first", [layerq, end], 0),
        ("malformed: LAYER twice", [layer, layer, end], 0),
        ("malformed: BIAS without HAS_BIAS", [layer, layerq, group, isa.encode(Op.BIAS, B0=0, B1=0, B2=0, B3=0), end], 0),
        ("reserved bit", [layer, layerq | 1 << 30, end], 0),
        *[(f"reserved bit in {op.name}", words, 0) for op, words in (
            (Op.LAYER, [layer | _reserved_bit(Op.LAYER), layerq, group, end]),
            (Op.GROUP, [layer, layerq, group | _reserved_bit(Op.GROUP), end]),
            (Op.STEP, [layer, layerq, one_step, step | _reserved_bit(Op.STEP), end]),
            (Op.END, [layer, layerq, one_step, step, end | _reserved_bit(Op.END)]))],
        ("bad field: TAP 9", [layer, layerq, one_step, (step & ~(0xF << 56)) | 9 << 56, end], 0),
        ("bad field: NCOLS 0", [layer, layerq, isa.encode(Op.GROUP, **{**g, "NCOLS": 0}), end], 0),
        ("bad field: LAYER H 0", [isa.encode(Op.LAYER, **{**lay, "H": 0}), layerq, group, end], 0),
        ("bad field: LAYER W 0", [isa.encode(Op.LAYER, **{**lay, "W": 0}), layerq, group, end], 0),
        ("bad field: LAYER OSTRIDE short", [isa.encode(Op.LAYER, **{**lay, "OSTRIDE": 0}), layerq, group, end], 0),
        # acc mode needs 8 words per tile: an OSTRIDE enough for act is short
        ("bad field: LAYER OSTRIDE short for acc",
         [isa.encode(Op.LAYER, **{**lay, "MODE": 1, "OSTRIDE": tiles}), layerq, group, end], 0),
        ("imem range: runs off the end", [layer, layerq, one_step], cfg.idepth - 3),
        ("imem range: START_PC", [], cfg.idepth),
        ("wmem range", [layer, layerq, isa.encode(Op.GROUP, **{**g, "WBASE": cfg.wdepth - 1, "NSTEPS": 2})], 0),
        ("amem range: step", [layer, layerq, one_step,
                              isa.encode(Op.STEP, TAP=4, CADDR=cfg.adepth - tiles + 1), end], 0),
        ("amem range: group output", [layer, layerq, isa.encode(Op.GROUP, **{**g, "OADDR": cfg.adepth - 1})], 0),
        # acc mode writes 8 words per tile: a group that fits at 1 word per
        # tile overruns AMem by one word (the range check must scale by 8)
        ("amem range: acc-mode group output",
         [acc_layer, layerq, isa.encode(Op.GROUP, **{**g, "OADDR": acc_end + 1, "NSTEPS": 1}), step, end], 0),
        # a fault after a completed group: that group's output must be written
        ("fault after a good group", list(good[:-1]) + [0], 0),
        # a group whose weights end exactly at the last WMem word is legal
        ("fault after a group ending at the last WMem word",
         [layer, layerq, isa.encode(Op.GROUP, **{**g, "WBASE": cfg.wdepth - 1, "NSTEPS": 1}), step, 0], 0),
        # a group whose output ends exactly at the last AMem word is legal
        ("fault after a group ending at the last AMem word",
         [layer, layerq, isa.encode(Op.GROUP, **{**g, "OADDR": cfg.adepth - (g["NCOLS"] - 1) * lay["OSTRIDE"] - tiles,
                                                 "NSTEPS": 1}), step, 0], 0),
        ("fault after an acc-mode group ending at the last AMem word",
         [acc_layer, layerq, isa.encode(Op.GROUP, **{**g, "OADDR": acc_end, "NSTEPS": 1}), step, 0], 0),
    ]


@BENCH.test(cycles=20_000)
@cov.exported
async def error_programs(dut):
    """Every bad program stops with its documented error code and PC, writes
    exactly what the golden model writes, and leaves the core ready: a good
    program runs right after each one."""
    cfg, rng, drv = await _start(dut, "error_programs")
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


@BENCH.test(cycles=5_000)
@cov.exported
async def bus_loaded_program(dut):
    """The host path end to end: memories loaded and results read through
    the AXI4-Lite windows only (no backdoor)."""
    cfg, rng, drv = await _start(dut, "bus_loaded_program")
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


@BENCH.test(cycles=2_000)
async def backdoor_paths(dut):
    """The memory backdoor (rtlsim/backdoor.py) the other tests rely on:
    bulk ranges (odd starts and lengths, both AMem banks), the word path,
    difference loads, and the AMem write tracker against host writes.
    Each path is checked against another: bulk against single words, the
    tracker against the addresses written."""
    from rtlsim.backdoor import BULK_MIN_WORDS
    cfg, rng, drv = await _start(dut, "backdoor_paths")
    bd = drv.backdoor
    image = rng.integers(0, 16, size=(cfg.adepth, cfg.rows), dtype=np.uint8)
    await bd.load_amem(image)

    def word_of(a: int) -> int:
        return int(sum(int(v) << (4 * i) for i, v in enumerate(image[a])))

    for a in [0, 1, cfg.adepth - 2, cfg.adepth - 1] + [int(v) for v in rng.integers(0, cfg.adepth, 40)]:
        assert bd.read_word("amem", a) == word_of(a), f"AMem word {a}: bulk load != word read"
    assert np.array_equal(await bd.dump_amem(cfg.adepth, cfg.rows), image), "full bulk dump != image"
    # ranges on both paths; a difference load changes only what differs
    for count in (BULK_MIN_WORDS - 1, BULK_MIN_WORDS, 3 * BULK_MIN_WORDS + 1):
        start = int(rng.integers(0, cfg.adepth - count)) | 1
        new = rng.integers(0, 16, size=(count, cfg.rows), dtype=np.uint8)
        new[::3] = image[start: start + count][::3]
        await bd.load_amem(new, start, current=image[start: start + count])
        image[start: start + count] = new
        lo = max(0, start - 2)
        got = await bd.read_amem(lo, count + 4)
        assert np.array_equal(got, image[lo: lo + count + 4]), f"range {start}+{count}: read back differs"
    wm = rng.integers(0, 16, size=(BULK_MIN_WORDS + 5, cfg.cols), dtype=np.uint8)
    await bd.load_wmem(wm, 3)
    im = [int(v) for v in rng.integers(0, 1 << 62, BULK_MIN_WORDS + 5)]
    await bd.load_imem(im, 7)
    for i in (0, 1, len(im) - 1):
        assert bd.read_word("imem", 7 + i) == im[i], f"IMem word {7 + i}"
        want = int(sum(int(v) << (4 * j) for j, v in enumerate(wm[i])))
        assert bd.read_word("wmem", 3 + i) == want, f"WMem word {3 + i}"
    assert await bd.read_imem(7, len(im)) == im, "IMem bulk dump != load"
    assert np.array_equal(await bd.read_wmem(3, len(wm)), wm), "WMem bulk dump != load"
    assert await bd.read_imem(7, 3) == im[:3], "IMem word-path range"
    # the write tracker: host writes through the AMem window land in the span
    bd.mark_amem_writes()
    await RisingEdge(dut.clk_i)
    assert bd.amem_written() is None, "tracker reports writes before any"
    addrs = sorted(int(a) for a in rng.choice(cfg.adepth, 3, replace=False))
    for a in addrs:
        v = int.from_bytes(rng.bytes(cfg.rows // 2), "little")
        await drv.bus.write_mem_words("amem", a, [v])
        image[a] = ints_to_nibbles([v], cfg.rows)[0]
    await RisingEdge(dut.clk_i)
    assert bd.amem_written() == (addrs[0], addrs[-1]), f"tracker {bd.amem_written()} != writes {addrs}"
    assert np.array_equal(await bd.refresh_amem(image), image), "refresh after host writes differs"
    assert np.array_equal(await bd.dump_amem(cfg.adepth, cfg.rows), image), "full dump after host writes"


# ---------------------------------------------------------------------------
# Coverage closure: directed layers that hit, for any seed and either
# configuration, the bins random_layers reaches only by chance
# (verif/common/coverage.py).  Each case is checked like any other run.
# ---------------------------------------------------------------------------
def _closure_cases(cfg: spec.Config, rng: np.random.Generator) -> list[tuple]:
    """(name, x, w, bias, scale, shift, mode, stride) in terms of rows/cols."""
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
    # every group density for K=1 in both modes, and an empty 3x3 group:
    # groups of Cin=3 channels keep 0, 1, 2 and 3 of them (empty, <= 1/3,
    # between, dense)
    wt = np.zeros((4 * cols, 3, 1, 1), np.int64)
    for g in range(4):
        wt[g * cols:(g + 1) * cols, :g] = rng.choice(nz, size=(cols, g, 1, 1))
    for mode in ("act", "acc"):
        cases.append((f"K=1 groups of every density, {mode}", xs(3, 2, 3), wt, None, 2, 3, mode))
    # 3x3 groups that are empty, dense and in between (5 of 9 taps), both modes
    wt = np.zeros((3 * cols, 2, 3, 3), np.int64)
    wt[cols:2 * cols] = rng.choice(nz, size=(cols, 2, 3, 3))
    wt[2 * cols:, :, 0, :] = rng.choice(nz, size=(cols, 2, 3))
    wt[2 * cols:, :, 1, :2] = rng.choice(nz, size=(cols, 2, 2))
    for mode in ("act", "acc"):
        cases.append((f"3x3 groups empty, dense and 5/9, {mode}", xs(2, 2, 3), wt, None, 1, 5, mode))
    cases = [c + (1,) for c in cases]
    # stride 2 (spw.layer.stride): a tile whose kept pixels straddle two
    # output words (both banks written in one cycle) with H odd; W < rows
    # with H and W odd and the output's padding lanes zeroed; tiles of odd
    # rows that keep nothing, at K=1 over two groups
    cases.append(("stride 2, split writes", xs(3, 3, rows + 2), rng.choice(nz, size=(cols + 2, 3, 3, 3)),
                  rng.integers(-60, 60, cols + 2), 3, 6, "act", 2))
    cases.append(("stride 2, W < rows, odd H and W", xs(2, 5, rows // 2 + 1), rng.choice(nz, size=(3, 2, 3, 3)),
                  None, 5, 6, "act", 2))
    cases.append(("stride 2, K=1, tiles keeping nothing", xs(4, 4, 2 * rows), rng.choice(nz, size=(cols + 1, 4, 1, 1)),
                  None, 9, 5, "act", 2))
    return cases


@BENCH.test(cycles=20_000)
@cov.exported
async def coverage_closure(dut):
    """Directed layers for the coverage model's hard bins (see _closure_cases);
    each is compared with the golden model like the random cases."""
    cfg, rng, drv = await _start(dut, "coverage_closure")
    for name, x, wt, bias, scale, shift, mode, stride in _closure_cases(cfg, rng):
        case = Case(x, wt, bias, scale, shift, mode, stride)
        prog = case.compile(cfg)
        dut._log.info("closure case '%s': %s", name, prog.layers[0])
        await run_and_check(drv, f"closure case '{name}'", prog.memories({"x": x}), prog,
                             imem_words=len(prog.imem), wmem_words=len(prog.wmem))
        cov.sample_compiled(prog)
        cov.sample_case(case)


# ---------------------------------------------------------------------------
# Bus stress at system level
# ---------------------------------------------------------------------------
@BENCH.test(cycles=100_000)
@cov.exported
async def bus_stress_program(dut):
    """A random layer loaded, started and read back entirely through the
    AXI4-Lite port under random idle cycles on AW/W/AR and BREADY/RREADY
    backpressure, with illegal accesses mixed in: unmapped offsets, the gap
    below AMem, writes to RO registers, out-of-depth words, and, while the
    core runs, memory accesses and a second START (SLVERR).  Every response
    and read datum is checked against HostIfModel, the memories are
    compared after the illegal accesses (no side effect), and the run's
    counters and outputs against models.iss (verif/common/bus_stress.py)."""
    cfg, rng, drv = await _start(dut, "bus_stress_program")
    st = await bus_stress.prepare(drv, rng, sim=BENCH.work.sim)
    await bus_stress.load_phase(st)
    await bus_stress.busy_phase(st)
    await bus_stress.results_phase(st)


# ---------------------------------------------------------------------------
# pytest entry
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_top(config):
    BENCH.run_top(config)
