"""Command line: `python -m models.nn train | report`.

  train   re-trains everything (float, gradual pruning 9/9 -> 1/9, dynamic
          quantization) and writes models/trained/digits_k{k}.npz (INT4),
          digits_fp_k{k}.npz (float) and train_log.json.
  report  evaluates the shipped models (float, INT4 numpy reference, ISS on
          configs small and chip; checks they agree bit for bit) and writes
          docs/model.md and docs/model_accuracy.png.
"""
from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.nn", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("train", help="re-train all pruning levels (a few minutes)")
    r = sub.add_parser("report", help="evaluate the shipped models, write docs/model.md + figure")
    r.add_argument("--limit", type=int, default=None,
                   help="run only the first N test images on the ISS (default: all)")
    a = ap.parse_args(argv)
    t0 = time.time()
    if a.cmd == "train":
        from .train import run_all
        s = run_all()
        print(f"train: done in {s['runtime_s']} s")
    else:
        from .report import report
        report(limit=a.limit)
        print(f"report: done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
