"""Soak: N random layer cases through the RTL, each compared with the golden
model on every AMem word and every counter.  All cases run in one simulation
(verif.rtl_run), in chunks so a failure is reported with its case index.

    .venv/bin/python -m verif.soak --n 1000 --seed 1 --config small --sim verilator

A failing case prints its index and the command that replays that one case.
"""
from __future__ import annotations

import argparse
import sys
import time


from models import iss, spec
from models import stimulus as S
from models.compiler import compile_layer

from rtlsim.job import full_image_run, run_on_rtl
from rtlsim.outcome import compare_run


def draw(cfg: spec.Config, seed: int, index: int):
    """Case `index` of the soak with `seed`: independent of the other cases,
    so any one can be replayed alone."""
    case = S.draw_layer(S.case_rng(seed, index), cfg, S.LAYER_SOAK)
    prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode)
    return case, prog


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--first", type=int, default=0, help="index of the first case (replay)")
    p.add_argument("--config", choices=sorted(spec.CONFIGS), default="small")
    p.add_argument("--sim", choices=("icarus", "verilator"), default="verilator")
    p.add_argument("--chunk", type=int, default=250, help="cases per simulation")
    a = p.parse_args(argv)
    cfg = spec.get_config(a.config)
    t0 = time.time()
    failures, cycles, kinds = 0, 0, {"act": 0, "acc": 0, "k1": 0, "k3": 0}
    for lo in range(a.first, a.first + a.n, a.chunk):
        idx = list(range(lo, min(lo + a.chunk, a.first + a.n)))
        runs, expect = [], []
        for i in idx:
            case, prog = draw(cfg, a.seed, i)
            mem = prog.memories({"x": case.x})
            exp = mem.copy()
            res = iss.run(exp, prog.start_pc)
            runs.append(full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem)))
            expect.append((prog, exp.amem, res))
            kinds[case.mode] += 1
            kinds[f"k{case.w.shape[-1]}"] += 1
        results, _ = run_on_rtl(cfg, runs, a.sim, progress=True)
        for i, (prog, exp_amem, res), r in zip(idx, expect, results):
            cycles += r.outcome.cycles
            bad = compare_run(res, exp_amem, r.outcome, r.dumps[0], prog, max_lines=8)
            if bad:
                failures += 1
                print(f"FAIL case {i}: " + "; ".join(bad[:10]))
                print(f"  replay: .venv/bin/python -m verif.soak --n 1 --first {i} --seed {a.seed} "
                      f"--config {a.config} --sim {a.sim}")
    wall = time.time() - t0
    print(f"soak: {a.n} random layers (seed {a.seed}, config {a.config}, {a.sim}): "
          f"{a.n - failures} passed, {failures} failed; {cycles} simulated cycles; "
          f"act {kinds['act']} acc {kinds['acc']}, K=1 {kinds['k1']} K=3 {kinds['k3']}; {wall:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
