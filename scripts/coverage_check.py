#!/usr/bin/env python3
"""Gate on functional coverage: read build/coverage/merged.yml (written by
the pytest session hook in conftest.py), print the report, exit 1 if any
bin of the coverage model (verif/common/coverage.py) is uncovered, 2 if
there is no merged file.

Usage: .venv/bin/python scripts/coverage_check.py [merged.yml]
(the model's table in docs/verification.md: .venv/bin/python -m verif.docs)
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str]) -> int:
    from verif.common import coverage as cov

    path = Path(argv[1]) if len(argv) > 1 else REPO / "build" / "coverage" / "merged.yml"
    if not path.exists():
        print(f"coverage_check: {path} not found; run the regression (pytest) first", file=sys.stderr)
        return 2
    lines, hit, total, uncovered = cov.report(cov.load(path))
    print(f"coverage_check: {path}")
    print("\n".join(lines))
    if uncovered:
        print(f"coverage_check: FAIL, {uncovered} of {total} bins uncovered", file=sys.stderr)
        return 1
    print(f"coverage_check: OK, {hit}/{total} bins covered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
