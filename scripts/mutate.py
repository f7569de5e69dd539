#!/usr/bin/env python3
"""Mutation testing of the RTL: how many small bugs in hdl/*.v does the fast
regression subset catch?

    make mutate [N=200] [SEED=1] [JOBS=2]           # the campaign
    .venv/bin/python scripts/mutate.py --n 20 --seed 1 --list     # the sampled mutants only
    .venv/bin/python scripts/mutate.py --only spw_drain:124:38:add_sub --seed 1
    .venv/bin/python scripts/mutate.py --apply spw_drain:124:38:add_sub --out /tmp/m

A source-level mutator (scripts/mutate/verilog.py) lists every place an
operator applies in hdl/*.v: binary operator swaps (+/-, &/|/^, ==/!=,
&&/||, shifts), relational off-by-one and direction (< <= > >=; a for loop one
iteration short), literal
flips and +-1, negated and stuck-at-1/0 if conditions, negated ?: conditions,
dropped ! / ~, and dropped assignments in always blocks.  It skips comments,
directives, declarations (so every width), initial blocks, parameter
overrides, left-hand sides, part-select ranges and replication counts.

The campaign (scripts/mutate/campaign.py) copies the working tree to
build/mutate/base, checks that the clean tree passes the subset, samples N
mutants stratified by module (SEED), and runs each in its own scratch copy
build/mutate/work/<id>/: iverilog -g2005 compile check (fails -> invalid),
then `pytest -x` of verif/blocks/test_<module>.py (every configuration) and
verif/system/test_spw_top.py::test_spw_top[small] on Icarus (pass ->
survived, fail -> killed, past 5x the clean time -> timed out).  Results:
build/mutate/summary.json and build/mutate/report.md; one log per mutant in
build/mutate/logs/.

Exit status: campaign 0 (2 if the clean tree fails the subset; 1 below
--min-score); --only 0 if
the mutant is killed or timed out, 1 if it survives, 2 if invalid or error.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

# scripts/mutate/ (the package) takes precedence over this file for `import mutate`
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutate import campaign as C


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="mutants to sample (default 200)")
    ap.add_argument("--seed", type=int, default=1,
                    help="seed of the sample and of every simulation (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="mutants run in parallel (default 2)")
    ap.add_argument("--effort", default="default", choices=("quick", "default", "long"),
                    help="SPW_EFFORT of the subset (default: default)")
    ap.add_argument("--timeout", type=float, metavar="S",
                    help="per-mutant time limit in seconds (default: 5x the clean run, at least 60 s; "
                         "--only: 600 s)")
    ap.add_argument("--full", action="store_true",
                    help="with --only: run the whole RTL regression (every block bench, both system benches "
                         "on both configurations) instead of the fast subset")
    ap.add_argument("--head", action="store_true",
                    help="campaign on the committed tree (git HEAD) instead of the working tree")
    ap.add_argument("--min-score", type=float, metavar="F",
                    help="exit 1 if (killed + timed out) / valid mutants is below F or any mutant errored "
                         "(a smoke gate for short CI campaigns; default: report only)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch trees under build/mutate/work")
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="print the sampled mutants and exit")
    what.add_argument("--list-all", action="store_true", help="print every candidate mutant and exit")
    what.add_argument("--only", metavar="ID", help="run one mutant (no sample, no sanity run)")
    what.add_argument("--apply", metavar="ID", help="write the repository with mutant ID applied to --out")
    ap.add_argument("--out", type=Path, help="directory for --apply")
    args = ap.parse_args(argv)

    if args.list or args.list_all:
        by_module = C.enumerate_mutants(C.REPO)
        if args.list_all:
            ms = sorted((m for v in by_module.values() for m in v), key=lambda m: (m.module, m.pos, m.op))
        else:
            ms = C.sample(by_module, args.n, args.seed)
        for i, m in enumerate(ms, 1):
            print(f"{i:4} {m.id:40} {m.family:10} {m.description()}")
        counts = {}
        for m in ms:
            counts[m.module] = counts.get(m.module, 0) + 1
        print(f"{len(ms)} mutants: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return 0

    if args.apply:
        if args.out is None:
            ap.error("--apply needs --out DIR")
        m, warning = C.find_mutant(C.enumerate_mutants(C.REPO), args.apply)
        if warning:
            print(f"warning: {warning}")
        out = args.out.resolve()
        if out == C.REPO or C.REPO.is_relative_to(out):
            ap.error("--out must not be the repository or contain it")
        C.copy_tree(C.REPO, out)
        C.write_mutant(out, m)
        print(f"{m.id}: {m.description()}\nwritten to {out}\nrun the subset there:\n"
              f"  cd {out} && SEED={args.seed} SPW_EFFORT={args.effort} SIM=icarus "
              f"{' '.join(C.pytest_cmd(C.subset_nodes(m.module, out)))}")
        return 0

    if args.only:
        m, warning = C.find_mutant(C.enumerate_mutants(C.REPO), args.only)
        if warning:
            print(f"warning: {warning}")
        nodes = C.full_nodes(m.module) if args.full else C.subset_nodes(m.module)
        print(f"{m.id}: {m.description()}\n{'full regression' if args.full else 'subset'}: {' '.join(nodes)} "
              f"(SEED={args.seed}, SPW_EFFORT={args.effort}, icarus)", flush=True)
        # one base and work directory per replay, so replays may run side by side
        root = C.OUT / "only"
        run = root / f"{m.slug}-{os.getpid()}"
        base, work, logs = run / "base", run / "work", root / "logs"
        for d in (work, logs):
            d.mkdir(parents=True, exist_ok=True)
        C.copy_tree(C.REPO, base)
        t0 = time.monotonic()
        try:
            o = C.run_mutant(m, base, work, logs, C.config_params(), args.seed, args.effort,
                             timeout_s=args.timeout or (1800.0 if args.full else 600.0), keep=args.keep,
                             full=args.full)
        finally:
            if not args.keep:
                shutil.rmtree(run, ignore_errors=True)
        print(f"{o.status} in {time.monotonic() - t0:.1f} s" + (f": {o.detail}" if o.detail else "")
              + f"\nlog: {o.log}")
        return {"killed": 0, "timed_out": 0, "survived": 1}.get(o.status, 2)

    return C.Campaign(n=args.n, seed=args.seed, jobs=args.jobs, effort=args.effort, keep=args.keep,
                      timeout_s=args.timeout, head=args.head, min_score=args.min_score).run()


if __name__ == "__main__":
    sys.exit(main())
