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
#
# Regression shards (pytest-split --splits K --group i, `make test SHARDS=K
# SHARD=i`): the controller writes build/coverage/shard<i>of<K>.yml instead,
# so a shard never overwrites a full run's merged.yml, and no shard is gated
# alone (it cannot cover every bin); scripts/shards.py merges and gates them.
# A shard merges only the run directories of its own tests: the merge adds
# the parts up, so a file another session wrote meanwhile in the same
# checkout would be counted twice.
# Beside each merged file goes a .json of what the session was (shard,
# simulator, effort, seed, commit, the tests collected before the split):
# the merge needs it to prove the shards add up to one regression, and the
# check needs the seeds to know whether bin hit counts can be compared.
# ---------------------------------------------------------------------------
import hashlib as _hashlib
import json as _json
import re as _re
import subprocess as _subprocess
import time as _time
from pathlib import Path as _Path

import pytest

_REPO = _Path(__file__).resolve().parent
_COV_RUNS = _REPO / "build" / "sim" / "runs"
_COV_OUT = _REPO / "build" / "coverage"
_session_start = _time.time()
_collected: list[str] = []
_ran: set[str] = set()


def pytest_sessionstart(session):
    global _session_start
    _session_start = _time.time()


# trylast, yet called before pytest-split's own trylast hook (conftest hooks
# are registered after installed plugins, and pluggy calls later
# registrations first): -k / -m have deselected, the split has not, so this
# is the whole suite every shard draws from.  Were the order ever to change,
# the list would be one shard's and scripts/shards.py merge would fail loudly.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    _collected[:] = [it.nodeid for it in items]
    if hasattr(config, "workeroutput"):   # xdist worker: collection happens here, not on the controller
        config.workeroutput["spw_collected"] = list(_collected)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    got = getattr(node, "workeroutput", {}).get("spw_collected")
    if got and not _collected:
        _collected[:] = got


def pytest_runtest_logreport(report):
    _ran.add(report.nodeid)   # on the controller this includes the xdist workers' reports


def _run_dir_name(nodeid: str) -> str:
    # rtlsim.build.run_dir's name for a test's directory.  Should that naming
    # change, a shard keeps no file and the merge's 100 % gate fails: loud,
    # never a pass on foreign data.
    return _re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodeid.replace("::", "-").replace("/", ".")).strip("_") or "x"


def _shard(config):
    """(i, K) when pytest-split runs one group, else None."""
    splits, group = config.getoption("splits", None), config.getoption("group", None)
    return (group, splits) if splits and group else None


def _commit():
    try:
        return _subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPO, capture_output=True, text=True,
                               timeout=10).stdout.strip() or None
    except (OSError, _subprocess.SubprocessError):
        return None


def _shown(path):
    p = _Path(path).resolve()
    return str(p.relative_to(_REPO)) if p.is_relative_to(_REPO) else str(p)


def _session_meta(session, exitstatus, shard, files, foreign):
    durations = session.config.getoption("durations_path", None) if shard else None
    try:
        dur_sha = _hashlib.sha1(_Path(durations).read_bytes()).hexdigest() if durations else None
    except OSError:
        dur_sha = None
    return {
        "shard": shard[0] if shard else None,
        "shards": shard[1] if shard else None,
        "algorithm": session.config.getoption("splitting_algorithm", None) if shard else None,
        "durations": {"path": _shown(durations), "sha1": dur_sha} if durations else None,
        "sim": os.environ.get("SIM", "icarus").lower(),
        "effort": os.environ.get("SPW_EFFORT", "default"),
        "host_bus": os.environ.get("HOST_BUS", "cocotb-bus"),
        "hypothesis_profile": os.environ.get("HYPOTHESIS_PROFILE", "dev"),
        # unset: every cocotb run draws its own seed, so hit counts differ run to run
        "seed": os.environ.get("SEED") or None,
        "commit": _commit(),
        "exitstatus": int(exitstatus),
        "wall_s": round(_time.time() - _session_start, 1),
        "coverage_files": [str(f.relative_to(_REPO)) for f in files],
        # written during the session by tests it did not run (another session in this checkout)
        "foreign_coverage_files": [str(f.relative_to(_REPO)) for f in foreign],
        "collected": sorted(_collected),
    }


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):   # xdist worker: the controller merges
        return
    shard = _shard(session.config)
    files = sorted(p for p in _COV_RUNS.glob("**/coverage.yml")
                   if p.stat().st_mtime >= _session_start - 1)
    sim = os.environ.get("SIM", "icarus").lower()   # rtlsim.build.sim_name()
    own = {(sim, _run_dir_name(n)) for n in _ran}
    foreign = [f for f in files if tuple(f.relative_to(_COV_RUNS).parts[:2]) not in own]
    stem = f"shard{shard[0]}of{shard[1]}" if shard else "merged"
    if shard:
        files = [f for f in files if f not in foreign]
        _COV_OUT.mkdir(parents=True, exist_ok=True)
        # a stale file of an earlier run with the same name must not be merged as this shard's
        (_COV_OUT / f"{stem}.yml").unlink(missing_ok=True)
    meta = _COV_OUT / f"{stem}.json"
    # Sessions running side by side in one checkout (mutate's sanity runs,
    # a shard beside a block bench) write these same files: every write is
    # a rename of a complete file, so a reader never sees half of one.
    from verif.common import coverage as cov

    if not files:
        if shard:   # a shard without a simulation is still a shard the merge must see
            cov.write_text_atomic(meta, _json.dumps(_session_meta(session, exitstatus, shard, files, foreign),
                                                    indent=1) + "\n")
        return

    merged = cov.merge_files(files, _COV_OUT / f"{stem}.yml")
    lines, hit, total, _ = cov.report(cov.load(merged), [str(f.relative_to(_REPO)) for f in files])
    lines += ["", "files:"] + [f"  {f.relative_to(_REPO)}" for f in files]
    report = _COV_OUT / ("report.txt" if not shard else f"{stem}.txt")
    cov.write_text_atomic(report, "\n".join(lines) + "\n")
    cov.write_text_atomic(meta, _json.dumps(_session_meta(session, exitstatus, shard, files, foreign), indent=1) + "\n")
    tr = session.config.pluginmanager.get_plugin("terminalreporter")
    if tr is not None:
        what = f" (shard {shard[0]}/{shard[1]}, not gated alone)" if shard else ""
        tr.write_line(f"functional coverage{what}: {hit}/{total} bins ({100.0 * hit / max(1, total):.1f}%) "
                      f"from {len(files)} file(s) -> {report.relative_to(_REPO)}")
        if foreign:
            tr.write_line(f"functional coverage: {len(foreign)} file(s) written meanwhile by tests this session "
                          f"did not run were {'left out' if shard else 'merged, as always'} "
                          f"(another session in this checkout?): see {meta.relative_to(_REPO)}")
