"""Command line: python -m models {run,gen,compile} ...

    run CASE.npz --backend golden|rtl [--sim icarus|verilator] [--config small|chip] --out OUT.npz
    gen --seed N --out CASE.npz [--config ...] [--kind ...] [--k 1|3] [--mode act|acc] [--stride 1|2]
    compile CASE.npz [--config ...] --out-dir DIR     (hex images + listing)

A malformed case exits with status 2 and one line naming the field.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import case as casemod
from . import isa, iss
from .compiler import dense_macs, useful_macs
from .memory import nibbles_to_ints, write_hex
from .spec import ACT_BITS, CONFIGS, INSTR_BITS, PERF_COUNTERS, W_BITS, get_config

BACKENDS = ("golden", "rtl")


def run_rtl(case: casemod.Case, cfg, sim: str, golden: dict) -> dict:
    """Run the compiled case on the RTL simulation and compare everything
    with the golden run: every AMem word, error status and counters."""
    from rtlsim.job import amem_from_dump, full_image_run, run_on_rtl  # needs cocotb
    from rtlsim.outcome import compare_run

    prog = golden["program"]
    mem = prog.memories({"x": case.x})
    exp = mem.copy()
    res = iss.run(exp, prog.start_pc)
    [r], wall = run_on_rtl(cfg, [full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem))], sim)
    amem = amem_from_dump(cfg, r)
    problems = compare_run(res, exp.amem, r.outcome, amem, prog, max_lines=10)
    if problems:
        raise RuntimeError("RTL differs from the golden model: " + "; ".join(p.strip() for p in problems))
    return {"y": prog.read(amem, "y"), **r.outcome.counters(), "program": prog, "wall_s": wall}


def _report(case: casemod.Case, cfg, out: dict) -> str:
    prog = out["program"]
    st = prog.layers[0]
    cyc = out["cycles"]
    util = useful_macs(prog) / (cfg.rows * cfg.cols * cyc)
    eff = 2 * dense_macs(prog) / cyc
    cout, cin, k, _ = case.w.shape
    _, h, w = case.x.shape
    _, ho, wo = prog.shape("y")
    size = f"H={h} W={w}" if case.stride == 1 else f"H={h} W={w} stride=2 (out {ho}x{wo})"
    return "\n".join([
        f"case: Cin={cin} Cout={cout} {size} K={k} mode={case.mode} "
        f"valid steps {st.stored_words}/{st.dense_words} ({100 * st.stored_words / st.dense_words:.1f}%)",
        f"config {cfg.name} ({cfg.rows}x{cfg.cols}): cycles={cyc} mac_busy={out['mac_busy']} "
        f"skipped={out['skipped']} stall={out['stall']}",
        f"utilization={100 * util:.1f}%  effective ops/cycle={eff:.1f} "
        f"(peak {2 * cfg.rows * cfg.cols})",
    ])


def cmd_run(a) -> int:
    cfg = get_config(a.config)
    case = casemod.load(a.case)
    out = casemod.run_golden(case, cfg)
    if a.backend == "rtl":
        try:
            out = run_rtl(case, cfg, a.sim, out)
        except (RuntimeError, AssertionError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    np.savez(a.out, y=out["y"], **{k: np.int64(out[k]) for k in PERF_COUNTERS})
    print(_report(case, cfg, out))
    if a.backend == "rtl":
        print(f"rtl ({a.sim}): y, cycles and counters equal the golden model "
              f"({out['wall_s']:.1f} s simulation)")
    print(f"wrote {a.out}")
    return 0


def cmd_gen(a) -> int:
    cfg = get_config(a.config)
    rng = np.random.default_rng(a.seed)
    if a.stride == 2 and a.mode == "acc":
        print("error: stride: stride 2 needs mode 'act'", file=sys.stderr)
        return 2
    c = casemod.random_case(rng, cfg, kind=a.kind, k=a.k, mode=a.mode, max_hw=a.max_hw, stride=a.stride)
    c.save(a.out)
    cout, cin, k, _ = c.w.shape
    print(f"seed {a.seed}: Cin={cin} Cout={cout} H={c.x.shape[1]} W={c.x.shape[2]} K={k} "
          f"mode={c.mode} stride={c.stride} -> {a.out}")
    return 0


def cmd_compile(a) -> int:
    cfg = get_config(a.config)
    c = casemod.load(a.case)
    prog = c.compile(cfg)
    mem = prog.memories({"x": c.x})
    d = Path(a.out_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_hex(d / "amem.hex", nibbles_to_ints(mem.amem), cfg.rows * ACT_BITS)
    write_hex(d / "wmem.hex", nibbles_to_ints(mem.wmem), cfg.cols * W_BITS)
    write_hex(d / "imem.hex", mem.imem, INSTR_BITS)
    with open(d / "program.lst", "w") as f:
        for pc, word in enumerate(prog.imem):
            f.write(f"{prog.start_pc + pc:5d}: {word:016x}  {isa.disassemble(word)}\n")
    print(f"{len(prog.imem)} instructions, {len(prog.wmem)} weight words -> {d}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m models", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run a layer case and write y, cycles and counters")
    r.add_argument("case")
    r.add_argument("--backend", choices=BACKENDS, default="golden")
    r.add_argument("--sim", choices=("icarus", "verilator"), default="icarus",
                   help="simulator for --backend rtl")
    r.add_argument("--config", choices=sorted(CONFIGS), default="small")
    r.add_argument("--out", required=True)
    r.set_defaults(fn=cmd_run)
    g = sub.add_parser("gen", help="write a random legal layer case")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--config", choices=sorted(CONFIGS), default="small")
    g.add_argument("--kind", choices=casemod.SPARSITY_KINDS)
    g.add_argument("--k", type=int, choices=(1, 3))
    g.add_argument("--mode", choices=("act", "acc"))
    g.add_argument("--stride", type=int, choices=(1, 2), help="conv stride (2: act mode only); default 1")
    g.add_argument("--max-hw", type=int, default=13)
    g.set_defaults(fn=cmd_gen)
    c = sub.add_parser("compile", help="write hex memory images and a program listing")
    c.add_argument("case")
    c.add_argument("--config", choices=sorted(CONFIGS), default="small")
    c.add_argument("--out-dir", required=True)
    c.set_defaults(fn=cmd_compile)
    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except casemod.CaseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
