"""`make soak` as a Dask campaign (verif/soak.py, docs/farm.md): records,
coverage, resume, the manifest check, a chunk past its time limit, and a
worker killed while it runs a chunk.

Each test drives the real command line (`python -m verif.soak`) on a few
`small` layers on $SIM (default icarus).  Every wait is bounded: the soak
processes run in a process group of their own, killed at a time limit, and
an alarm fails a test that outlives GUARD_S whatever it is waiting on
(the simulator is built before, under a bound of its own).
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from verif import soak
from verif.common import coverage as cov

REPO = Path(__file__).resolve().parents[2]
SIM = os.environ.get("SIM", "icarus")
CONFIG, SEED = "small", 11
GUARD_S = 90          # per test; the whole module takes 25-55 s on Icarus, on a busy 2-core host
CMD_TIMEOUT_S = 60    # per soak command


@pytest.fixture(scope="module", autouse=True)
def built():
    """The simulator built before any test's clock starts: a first Verilator
    build takes longer than a test may (it has its own bound, BUILD_TIMEOUT_S)."""
    soak.warm_up(CONFIG, SIM)


@pytest.fixture(autouse=True)
def guard(built):
    def expired(signum, frame):
        pytest.fail(f"test_soak: still running after {GUARD_S} s", pytrace=True)

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(GUARD_S)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _kill_group(proc: subprocess.Popen) -> None:
    """The soak command and everything it started (its LocalCluster's
    workers, their simulators)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


def start_soak(out: Path, n: int, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "verif.soak", "--n", str(n), "--seed", str(SEED), "--config", CONFIG,
           "--sim", SIM, "--out", str(out), "--quiet", "--stall-timeout", str(CMD_TIMEOUT_S), *extra]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float = CMD_TIMEOUT_S) -> tuple[int, str]:
    try:
        text, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        pytest.fail(f"soak command still running after {timeout} s: {shlex.join(proc.args)}")
    except BaseException:     # the guard's alarm, ^C
        _kill_group(proc)
        raise
    return proc.returncode, text


def soak_cmd(out: Path, n: int, *extra: str) -> tuple[int, str, float]:
    t0 = time.monotonic()
    rc, text = finish(start_soak(out, n, *extra))
    return rc, text, time.monotonic() - t0


def lines(out: Path) -> list[dict]:
    """Every line of results.jsonl (no deduplication: there must be none)."""
    return [json.loads(s) for s in (out / soak.RESULTS).read_text().splitlines()]


def check_exactly_once(out: Path, n: int) -> list[dict]:
    recs = lines(out)
    idx = sorted(r["index"] for r in recs)
    assert idx == list(range(n)), f"indices recorded: {idx}"
    return recs


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """8 cases in chunks of 4 on one local worker."""
    out = tmp_path_factory.mktemp("soak") / "out"
    rc, text, wall = soak_cmd(out, 8, "--workers", "1", "--chunk", "4")
    assert rc == 0, text
    return out, text


def test_records_and_coverage(campaign, tmp_path):
    out, text = campaign
    recs = check_exactly_once(out, 8)
    for r in recs:
        assert r["result"] == "pass", r
        assert r["cycles"] > 0 and r["kind"]["mode"] in ("act", "acc") and r["kind"]["k"] in (1, 3), r
        assert r["cov"] and "replay" not in r and "failures" not in r, r
    assert "8 passed, 0 failed" in text, text
    manifest = json.loads((out / soak.MANIFEST).read_text())
    assert (manifest["seed"], manifest["config"], manifest["sim"]) == (SEED, CONFIG, SIM)
    # coverage.yml is what cocotb-coverage itself exports for the same
    # cases, sampled in a fresh process without a simulator
    ref = tmp_path / "ref.yml"
    code = ("import sys; from models import spec, iss; from verif import soak; "
            "from verif.common import coverage as cov\n"
            f"cfg = spec.get_config({CONFIG!r})\n"
            f"for i in range(8):\n"
            f"    case, prog = soak.draw(cfg, {SEED}, i)\n"
            "    res = iss.run(prog.memories({'x': case.x}), prog.start_pc)\n"
            "    cov.sample_compiled(prog); cov.sample_case(case); cov.sample_run(prog.imem, prog.start_pc, res)\n"
            f"cov.export({str(ref)!r})\n")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=CMD_TIMEOUT_S)
    assert cov.load(out / soak.COVERAGE) == cov.load(ref)
    _, hit, total, _ = cov.report(cov.load(out / soak.COVERAGE))
    assert 0 < hit < total


def test_resume_runs_only_new_indices(campaign):
    out, _ = campaign
    before = (out / soak.RESULTS).read_bytes()
    cov_before = (out / soak.COVERAGE).read_bytes()
    rc, text, wall = soak_cmd(out, 8, "--workers", "1", "--chunk", "4")
    assert rc == 0, text
    assert "nothing to run" in text, text
    assert (out / soak.RESULTS).read_bytes() == before
    assert (out / soak.COVERAGE).read_bytes() == cov_before
    assert wall < 15, f"a resume with nothing to run took {wall:.1f} s"
    # a larger N runs the new indices only, appending
    rc, text, _ = soak_cmd(out, 10, "--workers", "1", "--chunk", "4")
    assert rc == 0, text
    assert "2 cases to run" in text, text
    assert (out / soak.RESULTS).read_bytes().startswith(before)
    assert all(r["result"] == "pass" for r in check_exactly_once(out, 10))
    # the coverage is that of all ten records, each counted once
    assert yaml.safe_load((out / soak.COVERAGE).read_text()) == \
        soak.coverage_yaml(soak.merge_coverage(lines(out))[0])


@pytest.mark.parametrize("field,value", [("seed", SEED + 1), ("config", "chip"),
                                         ("sim", "verilator" if SIM == "icarus" else "icarus")])
def test_other_campaign_in_out_is_refused(campaign, field, value):
    out, _ = campaign
    before = (out / soak.RESULTS).read_bytes()
    args = {"seed": SEED, "config": CONFIG, "sim": SIM, field: value}
    proc = subprocess.run([sys.executable, "-m", "verif.soak", "--n", "2", "--out", str(out), "--quiet"]
                          + [x for k, v in args.items() for x in (f"--{k}", str(v))],
                          cwd=REPO, capture_output=True, text=True, timeout=CMD_TIMEOUT_S)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(rf"another campaign \({field}: ", proc.stderr), proc.stderr
    assert (out / soak.RESULTS).read_bytes() == before


def test_chunk_past_its_time_limit_fails_with_replay(tmp_path):
    out = tmp_path / "out"
    rc, text, _ = soak_cmd(out, 3, "--workers", "1", "--chunk", "3", "--chunk-timeout", "0.05")
    assert rc == 1, text
    recs = check_exactly_once(out, 3)
    for r in recs:
        assert r["result"] == "fail", r
        assert "timed out after 0.05 s (simulator killed)" in r["failures"][0], r
        assert r["replay"] == soak.replay_command(r["index"], SEED, CONFIG, SIM)
        assert f"replay: {r['replay']}" in text, text
    # the replay command runs that case alone, without the time limit
    # (waves only on Icarus, where a waves build takes seconds, not a minute)
    cmd = recs[0]["replay"] if SIM == "icarus" else recs[0]["replay"].removeprefix("WAVES=1 ")
    proc = subprocess.run(cmd, shell=True, cwd=REPO, capture_output=True, text=True, timeout=CMD_TIMEOUT_S)
    assert proc.returncode == 0 and "PASS" in proc.stdout, proc.stdout + proc.stderr
    if SIM == "icarus":
        m = re.search(r"^waves: (\S+)", proc.stdout, re.M)
        assert m and (REPO / m.group(1)).stat().st_size > 0, proc.stdout


def _chunk_of(pid: int) -> int | None:
    """First index of the chunk whose simulator runs under worker ``pid``
    (it runs in the chunk's work directory, .../chunk<first>-...)."""
    try:
        for p in psutil.Process(pid).children(recursive=True):
            m = re.search(r"/chunk(\d+)-[^/]*$", p.cwd())
            if m:
                return int(m.group(1))
    except psutil.Error:
        pass
    return None


def test_worker_killed_mid_chunk_loses_nothing(tmp_path):
    from distributed import Client, LocalCluster

    out = tmp_path / "out"
    n, chunk = 16, 4
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster, timeout=30) as client:
        client.wait_for_workers(2, timeout=30)
        client.run(soak.warm_up, CONFIG, SIM)      # built and started: chunks run at once
        pids = client.run(os.getpid)               # worker address -> pid
        proc = start_soak(out, n, "--chunk", str(chunk), "--scheduler", cluster.scheduler_address)
        victim = first = None
        deadline = time.monotonic() + 30
        try:
            while first is None and proc.poll() is None and time.monotonic() < deadline:
                for addr, keys in client.processing().items():
                    if keys and addr in pids:
                        first = _chunk_of(pids[addr])
                        if first is not None:
                            victim = psutil.Process(pids[addr])
                            break
                time.sleep(0.02)
            assert first is not None, "never saw a worker running a chunk's simulator"
            orphans = victim.children(recursive=True)   # its simulator outlives it
            os.kill(victim.pid, signal.SIGKILL)
            rc, text = finish(proc)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        gone, alive = psutil.wait_procs(orphans, timeout=30)
        for p in alive:
            p.kill()
        client.wait_for_workers(2, timeout=30)          # the nanny started a new one
        assert victim.pid not in client.run(os.getpid).values()
    assert rc == 0, text
    recs = check_exactly_once(out, n)
    assert all(r["result"] == "pass" for r in recs), [r for r in recs if r["result"] != "pass"]
    rerun = [r for r in recs if first <= r["index"] < first + chunk]
    assert len(rerun) == chunk and all(r["pid"] != victim.pid for r in rerun), rerun
