"""Performance benchmark on the RTL: `make bench`, i.e.

    .venv/bin/python -m bench.perf [--sim verilator|icarus] [--skip-regression]

Writes docs/performance.md and docs/perf_*.png.  Cycle counts come from the
RTL's performance counters (deterministic); in P1-P3 every program's counters
and final AMem are checked against the golden model.  Wall-clock figures
(simulator speed, regression time, golden-model speed) are medians of
repeated runs and are noisy.

P1  utilization of dense PW and dense 3x3 layers, both configurations
P2  speed-up vs sparsity of an IB-SSL block (PW expand + pruned 3x3 DW merged
    into PW project), C = 64 on chip (ideal 5.0x at 1/9)
P3  WMem footprint: stored words / dense words vs the valid-step fraction
P4  simulator throughput (top level vs a bare array) and regression wall time
P5  golden-model speed vs RTL simulation of the same program
P6  soak time per layer, small vs chip, with the bulk memory backdoor and
    with the word-by-word one it replaced

The measurements form one dict (`measure`); `render_report` fills the
template bench/performance.md.tmpl from it.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from string import Template

# The golden model's matrix products are small: one BLAS thread is as fast
# on an idle machine, and on a busy one spinning BLAS threads made P5's
# golden-model times about 10x slower.  Set before numpy loads OpenBLAS.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from models import iss, reference, spec
from models.stimulus import draw_weights, soak_case
from models.compiler import LayerDef, compile_layer, compile_network, dense_macs, useful_macs
from models.perf_model import dense_weights
from rtlsim.job import full_image_run, image_runs, run_on_rtl
from rtlsim.outcome import RtlRun, check_run, compare_run

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
TEMPLATE = Path(__file__).resolve().parent / "performance.md.tmpl"
FREQ_HZ = 534e6        # the seed chip at 1.1 V
CMD = ".venv/bin/python -m bench.perf"
SAVED = REPO / "build" / "bench" / "measurements.json"
# the default regression, spelled out so that the environment cannot change it
REGRESSION_CMD = ("make", "test", "SIM=icarus", "JOBS=2", "PYTEST_ARGS=")

# P4 top level, (simulator, config) -> (Cin, tiles, output groups, runs): Verilator
# runs are ~100k cycles so that a run lasts long enough for its wall time to mean something
P4_PLAN = {("icarus", "small"): (64, 40, 1, 3), ("icarus", "chip"): (16, 10, 1, 3),
           ("verilator", "small"): (64, 40, 4, 9), ("verilator", "chip"): (64, 160, 1, 5)}
# P4 bare array: separate simulations per simulator, and the least cycles per
# simulation (Verilator: a longer run, so start-up noise does not decide its speed)
BARE_REPS = {"icarus": 3, "verilator": 5}
BARE_MIN_CYCLES = {"icarus": 0, "verilator": 300_000}


def fit_requant(acc: np.ndarray) -> tuple[int, int]:
    """scale, shift mapping the 99th percentile of positive acc to about 15."""
    top = max(1.0, float(np.percentile(acc[acc > 0], 99)) if (acc > 0).any() else 1.0)
    shift = 16
    return int(min(spec.SCALE_MAX, max(1, round(15 * 2 ** shift / top)))), shift


def run_checked(cfg: spec.Config, items: list[tuple[str, object, dict]], sim: str) -> list[RtlRun]:
    """Run (label, program, inputs) on the RTL; every AMem word and counter
    must equal the golden model.  Returns the RTL runs."""
    runs, exps = [], []
    for _, prog, inputs in items:
        mem = prog.memories(inputs)
        exp = mem.copy()
        res = iss.run(exp, prog.start_pc)
        assert not res.err
        runs.append(full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem)))
        exps.append((exp.amem, res))
    results, _ = run_on_rtl(cfg, runs, sim)
    for (label, prog, _), (amem, res), r in zip(items, exps, results):
        check_run(label, res, amem, r.outcome, r.dumps[0], prog)
    return results


def _table(header: str, align: str, rows: list[str]) -> str:
    return "\n".join([header, align, *rows])


# ---------------------------------------------------------------------------
# P1: dense layers
P1_SHAPES = {"small": (8, 16, 16), "chip": (32, 32, 64)}     # config -> H, W, Cout
P1_CINS = ((1, (8, 16, 32, 64, 128, 256)), (3, (8, 16, 32, 64)))   # (K, Cin values)


def num_words(cfg, h, w):
    return -(-h * w // cfg.rows)


def _p1_items(cfg: spec.Config, h: int, w: int, cout: int) -> list[tuple[str, object, dict]]:
    """The dense layers of P1 on one configuration (those that fit its AMem)."""
    rng = np.random.default_rng(1)
    items = []
    for k, cins in P1_CINS:
        for cin in cins:
            if cfg.name == "small" and cin * num_words(cfg, h, w) + cout * num_words(cfg, h, w) > cfg.adepth:
                continue
            x = rng.integers(0, 16, size=(cin, h, w))
            wt = dense_weights(rng, cout, cin, k)
            prog = compile_layer(cfg, x.shape, wt, None, 1, 4)
            items.append((f"{cfg.name} K={k} Cin={cin}", prog, {"x": x}))
    return items


def p1(sim: str) -> list[dict]:
    rows = []
    for cname, (h, w, cout) in P1_SHAPES.items():
        cfg = spec.get_config(cname)
        items = _p1_items(cfg, h, w, cout)
        for (_, prog, _), o in zip(items, run_checked(cfg, items, sim)):
            util = useful_macs(prog) / (cfg.rows * cfg.cols * o.outcome.cycles)
            rows.append({"config": cname, "k": prog.layers[0].k, "cin": prog.layers[0].cin,
                         "cycles": o.outcome.cycles, "stall": o.outcome.stall, "util": util,
                         "h": h, "w": w, "cout": cout})
    return rows


def p1_table(rows: list[dict]) -> str:
    return _table("| config | H x W | Cout | K | Cin | cycles | stall | utilization |",
                  "|---|---|---:|---:|---:|---:|---:|---:|",
                  [f"| {r['config']} | {r['h']} x {r['w']} | {r['cout']} | {r['k']} | {r['cin']} | "
                   f"{r['cycles']} | {r['stall']} | {100 * r['util']:.1f}% |" for r in rows])


# ---------------------------------------------------------------------------
# P2: speed-up vs sparsity, P3: WMem footprint (from the same programs)
def block_program(cfg: spec.Config, c: int, h: int, w: int, k: int, seed: int = 7):
    """IB-SSL block: PW expand (c -> c) then a 3x3 DW pruned to k/9 taps per
    channel merged into the PW project (c -> c): two layers, one program."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, size=(c, h, w))
    w1 = dense_weights(rng, c, c, 1)
    b1 = rng.integers(-200, 200, size=c)
    s1 = fit_requant(reference.layer(x, w1, b1, mode="acc"))
    e = reference.layer(x, w1, b1, *s1)
    w2 = draw_weights(rng, c, c, 3, cfg.cols, kind="dw", taps_kept=k)
    s2 = fit_requant(reference.layer(e, w2, mode="acc"))
    layers = [LayerDef("e", ["x"], w1, b1, *s1), LayerDef("y", ["e"], w2, None, *s2)]
    return compile_network(cfg, h, w, {"x": c}, layers), {"x": x}


def valid_fraction(prog) -> float:
    """Valid steps / dense steps, recounted from the stored WMem words: a
    step is valid iff its word is non-zero on some column, so the footprint
    test can fail if the compiler stored a zero word or dropped a valid one."""
    nonzero = int((prog.wmem != 0).any(axis=1).sum())
    dense = sum(st.dense_words for st in prog.layers)
    return nonzero / dense


def _p2_row(cname: str, c: int, k: int, prog, o: RtlRun, base: int, sim: str) -> dict:
    """One sparsity level: base is the cycle count of the 9/9 program."""
    eff = 2 * dense_macs(prog) / o.outcome.cycles
    return {"config": cname, "c": c, "k": k, "cycles": o.outcome.cycles, "speedup": base / o.outcome.cycles,
            "ideal": (1 + 9) / (1 + k), "eff": eff, "tops": eff * FREQ_HZ / 1e12,
            "stored": len(prog.wmem), "dense_words": sum(st.dense_words for st in prog.layers),
            "valid": sum(st.stored_words for st in prog.layers),
            "frac_w": valid_fraction(prog),     # recounted from the stored words
            "stall": o.outcome.stall, "mac_busy": o.outcome.mac_busy, "skipped": o.outcome.skipped,
            "rtl_wall_s": o.wall_s, "sim": sim}


def p2(sim: str) -> list[dict]:
    rows = []
    for cname, c, (h, w) in (("chip", 64, (32, 32)), ("small", 32, (8, 16))):
        cfg = spec.get_config(cname)
        ks = range(9, 0, -1)
        items = [(f"{cname} k={k}/9", *block_program(cfg, c, h, w, k)) for k in ks]
        outs = run_checked(cfg, items, sim)
        base = outs[0].outcome.cycles
        rows += [_p2_row(cname, c, k, prog, o, base, sim) for (_, prog, _), o, k in zip(items, outs, ks)]
    return rows


def p2_table(rows: list[dict]) -> str:
    return _table("| config | C | taps kept | cycles | speed-up vs 9/9 | ideal | effective ops/cycle | "
                  f"effective TOPS @ {FREQ_HZ / 1e6:.0f} MHz | stall |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
                  [f"| {r['config']} | {r['c']} | {r['k']}/9 | {r['cycles']} | {r['speedup']:.3f}x | "
                   f"{r['ideal']:.3f}x | {r['eff']:.0f} | {r['tops']:.3f} | {r['stall']} |" for r in rows])


def p3_equal(r: dict) -> bool:
    """Stored words = the compiler's valid steps, and stored / dense = the
    valid-step fraction recounted from the stored words."""
    return r["stored"] == r["valid"] and abs(r["stored"] / r["dense_words"] - r["frac_w"]) < 1e-12


def p3_table(p2rows: list[dict]) -> str:
    lines = [f"| {r['config']} | {r['k']}/9 | {r['stored']} | {r['dense_words']} | "
             f"{r['stored'] / r['dense_words']:.6f} | {r['frac_w']:.6f} | {'yes' if p3_equal(r) else 'NO'} |"
             for r in p2rows]
    return _table("| config | taps kept | WMem words stored | dense words | stored / dense | "
                  "valid steps / dense steps | equal |", "|---|---:|---:|---:|---:|---:|---|", lines)


# ---------------------------------------------------------------------------
# P4: simulator throughput, regression wall time
def bare_speed(cfg: spec.Config, sim: str, cycles: int) -> float:
    from rtlsim.build import HDL_DIR, run_cocotb

    wd = REPO / "build" / "bench" / f"bare-{sim}-{cfg.name}"
    wd.mkdir(parents=True, exist_ok=True)
    res = wd / "bare.json"
    run_cocotb(toplevel="tb_bare_array", sources=[HDL_DIR / "spw_mac_array.v", REPO / "bench" / "tb_bare_array.v"],
               test_module="bench.bare_array_job", test_dir=wd, sim=sim,
               parameters={"ROWS": cfg.rows, "COLS": cfg.cols, "ACC_W": cfg.acc_w},
               vpi_public=REPO / "bench" / "tb_bare_array_public.vlt",
               extra_env={"SPW_BARE_CYCLES": cycles, "SPW_RESULT": str(res), "COCOTB_LOG_LEVEL": "WARNING"})
    d = json.loads(res.read_text())
    return d["cycles"] / d["wall_s"]


def p4() -> list[dict]:
    """Top level: a dense 3x3 layer, Cin=cin, Cout=groups*COLS, over `tiles` pixel
    tiles (start -> IRQ, no per-cycle Python), run `reps` times in one
    simulation; bare array: the same number of steps from an on-chip LFSR."""
    rows = []
    for (sim, cname), (cin, tiles, groups, reps) in P4_PLAN.items():
        cfg = spec.get_config(cname)
        rng = np.random.default_rng(3)
        h, w = tiles * cfg.rows // 16, 16
        x = rng.integers(0, 16, size=(cin, h, w))
        prog = compile_layer(cfg, x.shape, dense_weights(rng, groups * cfg.cols, cin, 3), None, 1, 4)
        run = full_image_run(prog.memories({"x": x}), 0, len(prog.imem), len(prog.wmem))
        outs, _ = run_on_rtl(cfg, [run] * reps, sim)
        top = [r.outcome.cycles / r.wall_s for r in outs]
        cycles = outs[0].outcome.cycles
        bare_cycles = max(cycles, BARE_MIN_CYCLES[sim])
        bare = [bare_speed(cfg, sim, bare_cycles) for _ in range(BARE_REPS[sim])]
        rows.append({"sim": sim, "config": cname, "cycles": cycles, "reps": reps,
                     "top": statistics.median(top), "bare": statistics.median(bare)})
    return rows


def p4_table(rows: list[dict]) -> str:
    return _table("| simulator | config | cycles per run | runs | top level cycles/s | bare array cycles/s | "
                  "top / bare |", "|---|---|---:|---:|---:|---:|---:|",
                  [f"| {r['sim']} | {r['config']} | {r['cycles']} | {r['reps']} | {r['top']:.0f} | "
                   f"{r['bare']:.0f} | {r['top'] / r['bare']:.2f} |" for r in rows])


def regression_time() -> str:
    t0 = time.time()
    r = subprocess.run(list(REGRESSION_CMD), cwd=REPO, capture_output=True, text=True)
    wall = time.time() - t0
    tail = [ln for ln in r.stdout.splitlines() if " passed" in ln or " failed" in ln][-1:]
    return (f"`make test` (default regression, Icarus, JOBS=2): {wall:.0f} s wall, exit {r.returncode}"
            f"{': ' + tail[0].strip('= ') if tail else ''}.")


# ---------------------------------------------------------------------------
# P5: golden model vs RTL simulation
def _rtl_walls(cfg: spec.Config, prog, inputs_list: list[dict], sim: str) -> list[float]:
    """Wall time of each run (START -> IRQ -> counters read; memory loading
    and simulator start-up excluded) of prog on each input, all in one
    simulation, every run checked against the golden model."""
    items = [(f"P5 {i}", prog, x) for i, x in enumerate(inputs_list)]
    return [o.wall_s for o in run_checked(cfg, items, sim)]


def _network_rtl_walls(cfg: spec.Config, prog, inputs_list: list[dict], output: str, sim: str) -> list[float]:
    """As _rtl_walls for many inputs of one network, loaded the way the demo
    does (the first run loads everything, the others only the inputs; only
    the output tensor is read back), and checked against iss.run_batch."""
    out_t = prog.tensors[output]
    lo, hi = out_t.base, out_t.base + out_t.channels * out_t.stride
    golden = list(prog.golden(inputs_list))
    res = golden[0][0]
    amems = np.concatenate([a for _, a in golden])
    results, _ = run_on_rtl(cfg, image_runs(prog, inputs_list, output), sim)
    for i, r in enumerate(results):
        check_run(f"{prog.layers[-1].name} input {i}", res, amems[i, lo:hi], r.outcome, r.dumps[0], prog, base=lo)
    return [r.wall_s for r in results]


def _iss_single(prog, inputs_list: list[dict]) -> float:
    """Median wall time of iss.run over the inputs (memory images built
    beforehand and not timed)."""
    t = []
    for x in inputs_list:
        mem = prog.memories(x)
        t0 = time.perf_counter()
        iss.run(mem, prog.start_pc)
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def _iss_batch(prog, inputs_list: list[dict], reps: int = 3) -> float:
    """Median wall time of one iss.run_batch over all the inputs."""
    t = []
    for _ in range(reps):
        mem, amems = prog.amem_stack(inputs_list)
        t0 = time.perf_counter()
        iss.run_batch(mem, amems, prog.start_pc)
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def _p5_row(work: str, cycles: int, sim: str, pairs: list[tuple[float, float]], rtl_n: str, iss_n: str) -> dict:
    """One P5 row from (RTL wall, ISS wall) pairs; rtl_n, iss_n say what each wall is."""
    rtl, iss_t = [p[0] for p in pairs], [p[1] for p in pairs]
    ratios = sorted(a / b for a, b in pairs)
    return {"work": work, "cycles": cycles, "sim": sim, "rtl_s": statistics.median(rtl),
            "iss_s": statistics.median(iss_t), "ratio": statistics.median(ratios),
            "range": (ratios[0], ratios[-1]), "pairs": len(pairs), "rtl_n": rtl_n, "iss_n": iss_n}


def _p5_blocks(rounds: int) -> list[dict]:
    """The P2 block at 9/9 and 1/9 on chip, one run at a time."""
    chip = spec.get_config("chip")
    rows = []
    for k in (9, 1):
        prog, inputs = block_program(chip, 64, 32, 32, k)
        cycles = iss.run(prog.memories(inputs)).cycles
        for sim, n, nr in (("verilator", 5, rounds), ("icarus", 1, 1)):
            pairs = [(statistics.median(_rtl_walls(chip, prog, [inputs] * n, sim)), _iss_single(prog, [inputs] * 9))
                     for _ in range(nr)]
            rows.append(_p5_row(f"P2 block, chip, {k}/9, one run", cycles, sim, pairs,
                                f"median of {n} runs" if n > 1 else "1 run", "median of 9 runs"))
    return rows


def _p5_digits(rounds: int) -> tuple[list[dict], dict]:
    """The trained digits network on small over its test set: rows, and the
    network's layer count, cycles per image and the ISS time of the same
    network on a 1x1 image (its per-call overhead floor)."""
    from models.nn.export import INPUT_NAME, compile_digits, load_network
    from models.nn.train import load_data

    small = spec.get_config("small")
    layers, cin, h, w, meta = load_network(REPO / "models" / "trained" / "digits_k3.npz")
    _, _, x_test, _ = load_data()
    prog = compile_digits(small, layers, cin, h, w)
    images = [{INPUT_NAME: img} for img in x_test]
    n = len(images)
    cycles = iss.run(prog.memories(images[0]), prog.start_pc).cycles
    single, batch = [], []
    for _ in range(rounds):
        walls = _network_rtl_walls(small, prog, images, meta["output"], "verilator")
        single.append((statistics.median(walls), _iss_single(prog, images[:60])))
        batch.append((sum(walls), _iss_batch(prog, images)))
    rows = [_p5_row("digits network 3/9, small, one image", cycles, "verilator", single,
                    f"median of {n} images", "median of 60 images"),
            _p5_row(f"digits network 3/9, small, {n} images", cycles * n, "verilator", batch,
                    f"sum of {n} runs", "one `run_batch`, median of 3")]
    walls = _network_rtl_walls(small, prog, images[:5], meta["output"], "icarus")
    rows.append(_p5_row("digits network 3/9, small, one image", cycles, "icarus",
                        [(statistics.median(walls), _iss_single(prog, images[:60]))],
                        "median of 5 images", "median of 60 images"))
    tiny = compile_digits(small, layers, cin, 1, 1)
    floor = _iss_single(tiny, [{INPUT_NAME: img[:, :1, :1]} for img in x_test[:60]])
    return rows, {"layers": len(layers), "cycles": cycles, "floor_s": floor}


def p5(rounds: int = 3) -> tuple[list[dict], dict]:
    """The golden model's wall time against RTL simulation of the same work.
    The host's speed can drift by up to 2x over minutes, so every ratio pairs
    an RTL measurement with an ISS measurement taken right after it, and on
    Verilator `rounds` such pairs give the median ratio and its range.  (On
    Icarus one pair: its ratios are far above 100x and a run takes minutes.)
    Returns the rows and the digits network's figures (see _p5_digits)."""
    rows = _p5_blocks(rounds)
    digit_rows, digits = _p5_digits(rounds)
    return rows + digit_rows, digits


def _secs(s: float) -> str:
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def p5_table(rows: list[dict]) -> str:
    lines = []
    for r in rows:
        rng = f" ({r['range'][0]:.0f}-{r['range'][1]:.0f}x, {r['pairs']} pairs)" if r["pairs"] > 1 else ""
        lines.append(f"| {r['work']} | {r['cycles']} | {r['sim']} | {_secs(r['rtl_s'])} ({r['rtl_n']}) | "
                     f"{_secs(r['iss_s'])} ({r['iss_n']}) | {r['ratio']:.0f}x{rng} | {_met(r['ratio'] >= 100)} |")
    return _table("| work | cycles | simulator | RTL simulation | golden model (ISS) | ISS speed-up (range) | "
                  ">= 100x |", "|---|---:|---|---:|---:|---:|---|", lines)


# ---------------------------------------------------------------------------
# P6: soak time per layer, bulk vs word-by-word backdoor
P6_LAYERS = 200      # soak cases per (config, backdoor) measurement
P6_SEED = 6
P6_REPS = 3          # measurements per (config, backdoor); the median is reported


def _p6_once(cfg: spec.Config, backdoor: str, sim: str) -> dict:
    """One soak chunk as verif/soak.py runs it (draw, golden model, one
    simulation of all cases, comparison), timed as a whole and in parts."""
    os.environ["SPW_BACKDOOR"] = backdoor
    try:
        t0 = time.perf_counter()
        runs, exps = [], []
        for i in range(P6_LAYERS):
            case, prog = soak_case(cfg, P6_SEED, i)
            mem = prog.memories({"x": case.x})
            exp = mem.copy()
            exps.append((prog, exp.amem, iss.run(exp, prog.start_pc)))
            runs.append(full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem)))
        t1 = time.perf_counter()
        results, in_sim = run_on_rtl(cfg, runs, sim)
        t2 = time.perf_counter()
        for (prog, amem, res), r in zip(exps, results):
            bad = compare_run(res, amem, r.outcome, r.dumps[0], prog)
            assert not bad, f"P6 {cfg.name} {backdoor}: " + "; ".join(bad[:5])
        t3 = time.perf_counter()
    finally:
        del os.environ["SPW_BACKDOOR"]
    runs_s = sum(r.wall_s for r in results)
    return {"total": t3 - t0, "model": (t1 - t0) + (t3 - t2), "launch": (t2 - t1) - in_sim,
            "runs": runs_s, "in_sim_other": in_sim - runs_s}


def p6(sim: str = "verilator") -> list[dict]:
    """Per-layer soak times: for each repetition, all four (config,
    backdoor) pairs back to back, so load drifts hit them alike."""
    pairs = [(c, b) for b in ("word", "bulk") for c in ("small", "chip")]
    for c in ("small", "chip"):      # builds and caches warm before timing
        _p6_once(spec.get_config(c), "bulk", sim)
    samples = {pb: [] for pb in pairs}
    for _ in range(P6_REPS):
        for c, b in pairs:
            samples[(c, b)].append(_p6_once(spec.get_config(c), b, sim))
    rows = []
    for (c, b), ss in samples.items():
        med = {k: statistics.median(s[k] for s in ss) / P6_LAYERS for k in ss[0]}
        rows.append({"config": c, "backdoor": b, "sim": sim, **med})
    for r in rows:
        small = next(x for x in rows if x["config"] == "small" and x["backdoor"] == r["backdoor"])
        r["ratio"] = r["total"] / small["total"]
    return rows


def p6_table(rows: list[dict]) -> str:
    ms = lambda v: f"{v * 1e3:.1f}"   # noqa: E731
    lines = [f"| {r['config']} | {r['backdoor']} | {ms(r['total'])} | {ms(r['model'])} | {ms(r['launch'])} | "
             f"{ms(r['in_sim_other'])} | {ms(r['runs'])} | {r['ratio']:.2f}x |" for r in rows]
    return _table("| config | backdoor | per layer (ms) | draw + golden + compare | simulator launch + job | "
                  "backdoor + reset + identity | simulated runs | / small |",
                  "|---|---|---:|---:|---:|---:|---:|---:|", lines)


def p6_ratio(rows: list[dict]) -> float:
    return next(r["ratio"] for r in rows if r["config"] == "chip" and r["backdoor"] == "bulk")


# ---------------------------------------------------------------------------
# the report
def summary_table(p1rows: list[dict], p2rows: list[dict], p5rows: list[dict], p6rows: list[dict]) -> str:
    chip_pw = [r for r in p1rows if r["config"] == "chip" and r["k"] == 1 and r["cin"] >= 128]
    one = next(r for r in p2rows if r["config"] == "chip" and r["k"] == 1)
    three = next(r for r in p2rows if r["config"] == "chip" and r["k"] == 3)
    utils = ", ".join(f"{100 * r['util']:.1f}% (Cin={r['cin']})" for r in chip_pw)
    p3 = "equal at every level" if all(p3_equal(r) for r in p2rows) else "DIFFERENT"
    lines = [f"| P1: dense PW, Cin >= 128, utilization >= 97% | {utils} on chip | "
             f"{_met(all(r['util'] >= 0.97 for r in chip_pw))} |",
             f"| P2: 1/9 speed-up >= 4.9x (ideal 5.0x) | {one['speedup']:.3f}x on chip | "
             f"{_met(one['speedup'] >= 4.9)} |",
             f"| P2: 3/9 speed-up >= 2.45x (ideal 2.5x) | {three['speedup']:.3f}x on chip | "
             f"{_met(three['speedup'] >= 2.45)} |",
             f"| P3: stored / dense WMem words = valid-step fraction, exactly | {p3} | |"]
    lines.append(f"| P6: soak time per layer, chip <= 2x small | {p6_ratio(p6rows):.2f}x | "
                 f"{_met(p6_ratio(p6rows) <= 2.0)} |")
    lines += [f"| P5: golden model >= 100x faster than {r['sim'].capitalize()}, {r['work']} | "
              f"{r['ratio']:.0f}x | {_met(r['ratio'] >= 100)} |" for r in p5rows]
    return _table("| target | measured | |", "|---|---|---|", lines)


def report_values(m: dict) -> dict[str, str]:
    """The template's placeholders, from the measurements m (see measure)."""
    single = next(r for r in m["p5"] if r["work"].endswith("one image") and r["sim"] == "verilator")
    small = spec.get_config("small")
    digits = m["p5_digits"]
    return {"cmd": CMD, "elapsed": f"{m['elapsed_s']:.0f}", "cores": str(m["cores"]), "sim": m["sim"],
            "summary_table": summary_table(m["p1"], m["p2"], m["p5"], m["p6"]),
            "p6_table": p6_table(m["p6"]), "p6_layers": str(P6_LAYERS), "p6_reps": str(P6_REPS),
            "p6_seed": str(P6_SEED),
            "p1_table": p1_table(m["p1"]),
            "freq_mhz": f"{FREQ_HZ / 1e6:.0f}", "p2_table": p2_table(m["p2"]), "p3_table": p3_table(m["p2"]),
            "bare_reps_icarus": str(BARE_REPS["icarus"]), "bare_reps_verilator": str(BARE_REPS["verilator"]),
            "bare_min_cycles": f"{BARE_MIN_CYCLES['verilator']:,}",
            "p4_table": p4_table(m["p4"]), "regression": m["regression"],
            "p5_table": p5_table(m["p5"]), "p5_layers": str(digits["layers"]), "p5_cycles": str(digits["cycles"]),
            "p5_iss_ms": f"{single['iss_s'] * 1e3:.1f}", "p5_floor_ms": f"{digits['floor_s'] * 1e3:.1f}",
            "p5_rtl_ms": f"{single['rtl_s'] * 1e3:.0f}", "p5_array": f"{small.rows}x{small.cols}"}


def render_report(m: dict, template: Path | None = None) -> str:
    """docs/performance.md for the measurements m (template: TEMPLATE)."""
    text = (template or TEMPLATE).read_text(encoding="utf-8")
    return Template(text).substitute(report_values(m))


def _save(fig, ax, name: str) -> str:
    """Legend, layout and docs/<name>; returns name."""
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(DOCS / name, dpi=110)
    return name


def plots(p1rows, p2rows) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for cname, mk in (("small", "o"), ("chip", "s")):
        for k, ls in ((1, "-"), (3, "--")):
            rs = [r for r in p1rows if r["config"] == cname and r["k"] == k]
            ax.plot([r["cin"] for r in rs], [100 * r["util"] for r in rs], ls, marker=mk,
                    label=f"{cname} K={k}")
    ax.axhline(97, color="gray", lw=0.8, ls=":", label="target 97%")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Cin")
    ax.set_ylabel("MAC utilization (%)")
    ax.set_title("P1: dense layer utilization (RTL counters)")
    names.append(_save(fig, ax, "perf_utilization.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    for cname, mk in (("chip", "s"), ("small", "o")):
        rs = [r for r in p2rows if r["config"] == cname]
        ax.plot([r["k"] for r in rs], [r["speedup"] for r in rs], marker=mk, label=f"{cname} (C={rs[0]['c']})")
    ks = np.arange(1, 10)
    ax.plot(ks, 10 / (1 + ks), "k:", label="ideal (1+9)/(1+k)")
    ax.invert_xaxis()
    ax.set_xlabel("3x3 depth-wise taps kept per channel (k/9)")
    ax.set_ylabel("speed-up vs 9/9")
    ax.set_title("P2: PW -> pruned DW -> PW block")
    names.append(_save(fig, ax, "perf_sparsity.png"))
    plt.close("all")
    return names


# ---------------------------------------------------------------------------
def measure(sim: str, skip_regression: bool) -> dict:
    """Run P1-P5 (and time the regression unless skipped), printing each table
    as it is measured.  Returns the measurements render_report takes, except
    elapsed_s."""
    m = {"sim": sim, "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()}
    m["p1"] = p1(sim)
    print(p1_table(m["p1"]), flush=True)
    m["p2"] = p2(sim)
    print(p2_table(m["p2"]), flush=True)
    m["p4"] = p4()
    print(p4_table(m["p4"]), flush=True)
    m["p5"], m["p5_digits"] = p5()
    print(p5_table(m["p5"]), flush=True)
    m["p6"] = p6()
    print(p6_table(m["p6"]), flush=True)
    m["regression"] = ("not measured in this run (`--skip-regression`)." if skip_regression
                       else regression_time())
    return m


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sim", default="verilator", help="simulator for P1-P3 (cycle counts do not depend on it)")
    p.add_argument("--skip-regression", action="store_true", help="do not time `make test`")
    p.add_argument("--render-only", action="store_true",
                   help=f"rewrite the report from the last run's measurements ({SAVED.relative_to(REPO)})")
    a = p.parse_args(argv)
    if a.render_only:
        m = json.loads(SAVED.read_text(encoding="utf-8"))
    else:
        t0 = time.time()
        m = measure(a.sim, a.skip_regression)
        m["elapsed_s"] = time.time() - t0
        # kept, so a template edit does not cost another run of every measurement
        SAVED.parent.mkdir(parents=True, exist_ok=True)
        SAVED.write_text(json.dumps(m, default=lambda v: v.item()), encoding="utf-8")
    pngs = plots(m["p1"], m["p2"])
    (DOCS / "performance.md").write_text(render_report(m), encoding="utf-8")
    print(f"wrote docs/performance.md and {', '.join('docs/' + n for n in pngs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
