"""System bench for spw_top: programs run through the RTL and are compared
with the golden model (models/iss.py) word for word in AMem and in every
performance counter, which makes the RTL cycle-exact to the cycle model.

Knobs (environment): SPW_CONFIG (set by the pytest runner), SPW_NCASES
(random layer cases per run), SIM, SEED, WAVES.
"""
from __future__ import annotations

import os

import cocotb
import numpy as np
import pytest

from models import isa, iss, spec
from models.case import random_case
from models.compiler import LayerDef, compile_layer, compile_network
from models.memory import Memories, ints_to_nibbles
from models.spec import Err, Op

from verif.common import make_rng
from verif.common.driver import TopDriver
from verif.common.scoreboard import check_run

SOURCES = ["spw_top", "spw_host_if", "spw_sequencer", "spw_lane_tracker", "spw_aligner",
           "spw_mac_array", "spw_drain", "spw_requant", "spw_sram_1p", "spw_sram_1r1w"]


def _cfg() -> spec.Config:
    return spec.get_config(os.environ.get("SPW_CONFIG", "small"))


def _expect(res: iss.RunResult) -> dict:
    status = spec.STATUS_DONE | (spec.STATUS_ERROR if res.err else 0)
    return {"status": status, "err": int(res.err), "err_pc": res.err_pc, **res.counters()}


async def _run_and_check(drv: TopDriver, name: str, mem: Memories, prog=None, start_pc: int = 0,
                         imem_words=None, wmem_words=None) -> iss.RunResult:
    exp = mem.copy()
    res = iss.run(exp, start_pc)
    drv.backdoor.load(mem, imem_words, wmem_words)
    got = await drv.run(start_pc, max_cycles=4 * res.cycles + 1000)
    got_amem = drv.dump_amem()
    check_run(drv.dut._log, name, prog, exp.amem, got_amem, _expect(res),
              {k: got[k] for k in ("status", "err", "err_pc", "cycles", "mac_busy", "skipped", "stall")})
    return res


def _case_limits(cfg: spec.Config) -> dict:
    # the chip configuration is slow on Icarus: keep its cases small there
    if cfg.name == "chip" and os.environ.get("SIM", "icarus") == "icarus":
        return {"max_hw": 6, "max_c": 40}
    return {"max_hw": 11}


@cocotb.test()
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
        await _run_and_check(drv, name, prog.memories({"x": case.x}), prog,
                             imem_words=len(prog.imem), wmem_words=len(prog.wmem))


@cocotb.test()
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
    await _run_and_check(drv, "multi-layer program", prog.memories({"x": x}), prog,
                         imem_words=len(prog.imem), wmem_words=len(prog.wmem))


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
    codes = set()
    for name, words, start_pc in _bad_programs(cfg, prog.imem):
        mem = prog.memories({"x": x})
        mem.imem[:] = 0
        mem.imem[start_pc: start_pc + len(words)] = np.array(words, np.uint64)
        res = await _run_and_check(drv, f"error program '{name}'", mem, prog, start_pc=start_pc)
        assert res.err != Err.NONE, f"{name}: the golden model raised no error"
        codes.add(res.err)
        await _run_and_check(drv, f"good program after '{name}'", prog.memories({"x": x}), prog)
    missing = set(Err) - {Err.NONE} - codes
    assert not missing, f"error codes never exercised: {sorted(e.name for e in missing)}"


@cocotb.test()
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
    got = await drv.run(max_cycles=4 * res.cycles + 1000)
    assert got["err"] == 0 and got["cycles"] == res.cycles, f"{got} vs {res.counters()}"
    y = prog.tensors["y"]
    words = await drv.bus.read_mem_words("amem", y.base, y.channels * y.stride)
    exp_words = exp.amem[y.base: y.base + y.channels * y.stride]
    assert np.array_equal(ints_to_nibbles(words, cfg.rows), exp_words), "output read over the bus differs"


# ---------------------------------------------------------------------------
# pytest entry
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_top(config):
    from verif.common.runner import hdl_sources, run_cocotb, run_dir

    cfg = spec.get_config(config)
    params = {"ROWS": cfg.rows, "COLS": cfg.cols, "ADEPTH": cfg.adepth, "WDEPTH": cfg.wdepth,
              "IDEPTH": cfg.idepth, "ACC_W": cfg.acc_w}
    run_cocotb(toplevel="spw_top", sources=hdl_sources(*SOURCES), test_module=__name__,
               test_dir=run_dir(), parameters=params,
               extra_env={"SPW_CONFIG": config,
                          "SPW_NCASES": os.environ.get("SPW_NCASES", "6" if config == "small" else "2")})
