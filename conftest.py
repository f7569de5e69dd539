"""Repository-wide pytest setup: hypothesis profiles.

HYPOTHESIS_PROFILE=ci (set by .ci/run) derandomizes, so CI is repeatable;
dev (the default) explores new examples each run; soak digs deep.
"""
import os

from hypothesis import HealthCheck, settings

_common = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, **_common)
settings.register_profile("ci", max_examples=150, derandomize=True, **_common)
settings.register_profile("soak", max_examples=3000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# ---------------------------------------------------------------------------
# Functional coverage: every cocotb run writes <test_dir>/coverage.yml
# (verif/common/coverage.py); at the end of the session the controller merges
# the files written during this session into build/coverage/merged.yml and
# writes build/coverage/report.txt.  scripts/coverage_check.py gates on it.
# ---------------------------------------------------------------------------
import time as _time
from pathlib import Path as _Path

_REPO = _Path(__file__).resolve().parent
_COV_RUNS = _REPO / "build" / "sim" / "runs"
_COV_OUT = _REPO / "build" / "coverage"
_session_start = _time.time()


def pytest_sessionstart(session):
    global _session_start
    _session_start = _time.time()


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):   # xdist worker: the controller merges
        return
    files = sorted(p for p in _COV_RUNS.glob("**/coverage.yml")
                   if p.stat().st_mtime >= _session_start - 1)
    if not files:
        return
    from verif.common import coverage as cov

    merged = cov.merge_files(files, _COV_OUT / "merged.yml")
    lines, hit, total, _ = cov.report(cov.load(merged), [str(f.relative_to(_REPO)) for f in files])
    lines += ["", "files:"] + [f"  {f.relative_to(_REPO)}" for f in files]
    (_COV_OUT / "report.txt").write_text("\n".join(lines) + "\n")
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        tr.write_line(f"functional coverage: {hit}/{total} bins ({100.0 * hit / max(1, total):.1f}%) "
                      f"from {len(files)} file(s) -> {(_COV_OUT / 'report.txt').relative_to(_REPO)}")
