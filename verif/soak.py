"""Soak: random layer cases through the RTL, each compared with the golden
model on every AMem word and every host-visible register, run as a Dask
campaign (docs/farm.md).

    .venv/bin/python -m verif.soak --n 1000 --seed 1 --config small --sim verilator --out build/soak/x
    .venv/bin/python -m verif.soak ... --scheduler tcp://host:8786     # an existing cluster's workers
    WAVES=1 .venv/bin/python -m verif.soak --replay 17 --seed 1 --config small --sim verilator

Case i of a campaign is ``draw(cfg, seed, i)``: independent of the other
cases, so any one can be replayed alone.  The indices [first, first+n) are
cut into chunks; each chunk is one Dask task that draws its cases, runs the
golden model, runs all of them in one simulator launch and compares.  The
client alone writes OUT/results.jsonl, one line per case, as each chunk
completes; running the same command again skips the indices already there.
A case that fails prints, and records, the command that replays it.

Exit status: 0 every case in the range recorded and passed; 1 a case failed;
2 the campaign could not complete (a usage or manifest error, a lost chunk,
a stall); rerun the same command to resume.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from models import iss, spec
from models import stimulus as S

from rtlsim.job import full_image_run, run_on_rtl
from rtlsim.outcome import compare_run

REPO = Path(__file__).resolve().parents[1]
KNOBS = S.LAYER_SOAK       # what S.soak_case draws with
# Bumped when a record's meaning changes; part of the manifest, so an OUT
# written under another format is refused rather than mixed.
FORMAT = 1
RESULTS, COVERAGE, MANIFEST = "results.jsonl", "coverage.yml", "manifest.json"
# Auto chunk size (docs/farm.md, "Chunk size").  A campaign of n layers on
# W workers, t seconds per layer and L seconds per simulator launch, in
# chunks of c, takes about (n/W)(t + L/c) + c*t (the last chunk is the
# tail); that is least at c = sqrt(n L / (W t)).  Capped so that a chunk
# lasts at most CHUNK_MAX_S (what a killed worker loses, and how often the
# progress bar moves), and so that every worker gets a chunk.  t and L are
# rough figures from bench/farm.py; the size depends on them only through
# a square root.
LAYER_S = {("icarus", "small"): 0.2, ("icarus", "chip"): 2.5,
           ("verilator", "small"): 0.015, ("verilator", "chip"): 0.05}
LAUNCH_S = 1.5
CHUNK_MAX_S = 20
# A worker that dies while running a chunk costs that chunk one attempt; a
# chunk that has killed this many workers is given up (KilledWorker), left
# unrecorded, and the next run of the command tries it again.
ALLOWED_FAILURES = 5
# The files that decide what a record means besides the manifest's fields:
# the RTL, the golden model and stimulus, the runners, this file.  On an
# existing cluster (--scheduler) a worker whose checkout differs from the
# client's is refused; local workers share the client's checkout.
SOURCE_GLOBS = ("hdl/*.v", "hdl/*.vh", "models/*.py", "rtlsim/*.py", "rtlsim/*.vlt",
                "verif/soak.py", "verif/common/coverage.py")
# Wall-clock bound of one chunk when --chunk-timeout is not given: a fixed
# allowance plus, per case, its loading and dumping and its cycle budget
# (max_cycles below) at a simulation rate 8-10 times below the ones
# docs/performance.md (P4) measured.  (seconds per case, cycles per second)
_CASE_S = {("icarus", "small"): 5, ("icarus", "chip"): 60,
           ("verilator", "small"): 2, ("verilator", "chip"): 5}
_RATE = {("icarus", "small"): 250, ("icarus", "chip"): 30,
         ("verilator", "small"): 20_000, ("verilator", "chip"): 5_000}
CHUNK_FIXED_S = 60
# The first chunk of a worker process builds the simulator (or waits for
# another worker's build); that is not the chunk's work, so it runs before
# the chunk's clock starts, under this bound of its own.
BUILD_TIMEOUT_S = 3600


# --------------------------------------------------------------------------- cases
def draw(cfg: spec.Config, seed: int, index: int):
    """Case `index` of the soak with `seed` and its compiled program:
    independent of the other cases, so any one can be replayed alone.  The
    stream lives in models/stimulus.py, which the benchmarks share."""
    return S.soak_case(cfg, seed, index)


def kind_of(case, prog) -> dict:
    """What a case is, for the records and the summary."""
    st = prog.layers[0]
    return {"mode": case.mode, "k": int(case.w.shape[-1]), "cin": st.cin, "cout": st.cout,
            "h": prog.h, "w": prog.w, "stride": case.stride, "bias": case.bias is not None,
            "steps": st.stored_words, "dense_steps": st.dense_words}


def replay_command(index: int, seed: int, config: str, sim: str) -> str:
    return f"WAVES=1 .venv/bin/python -m verif.soak --replay {index} --seed {seed} --config {config} --sim {sim}"


_DIGEST: list[str] = []


def sources_digest(cached: bool = False) -> str:
    """Digest of SOURCE_GLOBS; ``cached``: the one taken first in this
    process (what its imported modules were loaded from)."""
    if cached and _DIGEST:
        return _DIGEST[0]
    h = hashlib.sha256()
    for pattern in SOURCE_GLOBS:
        for f in sorted(REPO.glob(pattern)):
            h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    _DIGEST[:] = [h.hexdigest()[:16]]
    return _DIGEST[0]


# --------------------------------------------------------------------------- coverage
def _cov_counts() -> dict:
    """Hits so far of every coverpoint of the model in this process."""
    from cocotb_coverage.coverage import coverage_db

    from verif.common import coverage as cov

    return {name: dict(coverage_db[name].detailed_coverage) for name in cov.MODEL if name in coverage_db}


def sample_coverage(case, prog, outcome) -> dict:
    """Sample one checked case with the benches' helpers and return the bins
    it hit, {coverpoint: {bin: hits}}.  cocotb-coverage keeps one database
    per process, so a case's own hits are the difference it made."""
    from verif.common import coverage as cov

    before = _cov_counts()
    cov.sample_compiled(prog)
    cov.sample_case(case)
    cov.sample_run(prog.imem, prog.start_pc, outcome)
    hits = {}
    for name, bins in _cov_counts().items():
        old = before.get(name, {})
        d = {b: n - old.get(b, 0) for b, n in bins.items() if n > old.get(b, 0)}
        if d:
            hits[name] = d
    return hits


def merge_coverage(records) -> tuple[dict, int]:
    """Hits of ``records`` summed per bin of the coverage model, each index
    counted once; also the hits on bins the model no longer has."""
    ledger = Ledger()
    for rec in records:
        ledger.add(rec)
    return ledger.cov, ledger.unknown


def coverage_yaml(total: dict) -> dict:
    """The merged hits in cocotb-coverage's YAML export layout (what
    ``coverage_db.export_to_yaml`` writes and build/coverage/merged.yml
    holds): one entry per coverpoint and per group above it, every bin of
    weight 1 and at_least 1."""
    from cocotb_coverage.coverage import CoverItem, CoverPoint

    db: dict = {}
    for name, hits in total.items():
        size, covered = len(hits), sum(1 for n in hits.values() if n >= 1)
        db[name] = {"type": str(CoverPoint), "size": size, "coverage": covered,
                    "cover_percentage": round(100 * covered / size, 2), "weight": 1, "at_least": 1,
                    "bins:_hits": dict(hits)}
        parts = name.split(".")
        for k in range(1, len(parts)):
            g = db.setdefault(".".join(parts[:k]), {"type": str(CoverItem), "size": 0, "coverage": 0})
            g["size"] += size
            g["coverage"] += covered
    for entry in db.values():
        if entry["type"] == str(CoverItem):
            entry["cover_percentage"] = round(100 * entry["coverage"] / entry["size"], 2)
    return db


def write_coverage(total: dict, path: Path) -> tuple[int, int]:
    """Write merged hits to ``path``; (bins hit, bins)."""
    import yaml

    tmp = path.with_suffix(".yml.tmp")
    with open(tmp, "w") as fh:
        yaml.dump(coverage_yaml(total), fh, default_flow_style=False)
    tmp.replace(path)
    return sum(1 for bins in total.values() for n in bins.values() if n >= 1), sum(len(b) for b in total.values())


# --------------------------------------------------------------------------- one chunk
@dataclasses.dataclass(frozen=True)
class Chunk:
    indices: tuple[int, ...]
    seed: int
    config: str
    sim: str
    timeout_s: float | None = None     # None: chunk_timeout() of its cases


def chunk_timeout(config: str, sim: str, budgets: list[int]) -> float:
    """Wall-clock bound of a chunk whose runs have these cycle budgets."""
    return CHUNK_FIXED_S + sum(_CASE_S[sim, config] + b / _RATE[sim, config] for b in budgets)


@contextlib.contextmanager
def _deadline(seconds: float):
    """Past ``seconds``, kill every process this one started inside the
    block (the simulator), until the block ends: run_on_rtl has no time
    limit of its own, and the simulator dying ends it with an error.
    Yields a list that holds True once the deadline has passed."""
    import psutil

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    done, fired = threading.Event(), []

    def watch():
        if done.wait(seconds):
            return
        fired.append(True)
        # a simulator started after the first sweep (the deadline fell
        # before its launch) must not outlive the block either
        while not done.is_set():
            for p in me.children(recursive=True):
                if p.pid not in before:
                    with contextlib.suppress(psutil.Error):
                        p.kill()
            done.wait(0.2)

    t = threading.Thread(target=watch, name="soak-deadline", daemon=True)
    t.start()
    try:
        yield fired
    finally:
        done.set()
        t.join()


@contextlib.contextmanager
def _output_to(path: Path | None):
    """Send this process's stdout and stderr, and so the simulator's, to
    ``path`` (None: leave them).  A worker's output would otherwise run
    through the client's terminal and its progress bar."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _tail(path: Path, lines: int = 20) -> list[str]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return ["  | " + s for s in text.splitlines() if s.strip()][-lines:]


_BUILT: set = set()
# A worker started with several threads could run two chunks at once; they
# would share the process's stdout and the deadline's view of its children.
_ONE_AT_A_TIME = threading.Lock()


def _ensure_built(cfg: spec.Config, sim: str, scratch: Path, capture: bool) -> float:
    """Build the simulator (or wait for another process's build) and launch
    it once with no runs, once per process; returns the seconds it took."""
    key = (cfg.name, sim, os.environ.get("WAVES", ""))
    if key in _BUILT:
        return 0.0
    t0 = time.monotonic()
    d = Path(tempfile.mkdtemp(prefix="warm-", dir=scratch))
    try:
        with _output_to(d / "sim.log" if capture else None), _deadline(BUILD_TIMEOUT_S) as fired:
            try:
                run_on_rtl(cfg, [], sim, workdir=d)
            except Exception as e:
                why = f"no simulator within {BUILD_TIMEOUT_S} s" if fired else f"{type(e).__name__}: {e}"
                raise RuntimeError("\n".join([f"simulator build or start-up failed: {why}"] + _tail(d / "sim.log")))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    _BUILT.add(key)
    return time.monotonic() - t0


def warm_up(config: str, sim: str) -> float:
    """_ensure_built in a worker (client.run(warm_up, config, sim)): the
    benchmark and the tests start timing on built, started workers."""
    return _ensure_built(spec.get_config(config), sim, _scratch(), capture=True)


def _scratch() -> Path:
    """Where attempts work: the Dask worker's own scratch directory (local
    to its machine, and cleared by Dask of the directories of killed
    workers), else the temporary directory."""
    try:
        from distributed import get_worker

        base = Path(get_worker().local_directory)
    except (ImportError, ValueError):
        base = Path(tempfile.gettempdir())
    d = base / "spw-soak"
    d.mkdir(parents=True, exist_ok=True)
    return d


def run_cases(chunk: Chunk, workdir: Path, capture: bool = True, max_lines: int = 8) -> tuple[list[dict], dict]:
    """Draw, run and check the cases of ``chunk`` in one simulator launch in
    ``workdir``.  Returns one record per case and the chunk's timings.  A
    case the golden model cannot run, and every case of a launch that
    crashed or ran past its time, is a failed record: the campaign never
    waits on a chunk that cannot finish."""
    cfg = spec.get_config(chunk.config)
    host, pid = socket.gethostname(), os.getpid()
    t0 = time.monotonic()
    records: dict[int, dict] = {}
    todo = []   # (index, case, prog, expected amem, golden result)
    runs = []
    for i in chunk.indices:
        rec = records[i] = {"index": i, "result": "fail", "cycles": None, "kind": None}
        try:
            case, prog = draw(cfg, chunk.seed, i)
            rec["kind"] = kind_of(case, prog)
            mem = prog.memories({"x": case.x})
            exp = mem.copy()
            res = iss.run(exp, prog.start_pc)
        except Exception as e:
            rec["failures"] = [f"golden model: {type(e).__name__}: {e}"]
            continue
        run = full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem))
        # the benches' run budget (verif/common/scoreboard.py run_budget):
        # a run that hangs stops here, as a mismatch, not at the 10 M default
        run.max_cycles = 4 * res.cycles + 1000
        runs.append(run)
        todo.append((i, case, prog, exp.amem, res))
    t_prepare = time.monotonic() - t0

    timeout = chunk.timeout_s or chunk_timeout(chunk.config, chunk.sim, [r.max_cycles for r in runs])
    log = workdir / "sim.log"
    t1 = time.monotonic()
    t_sim = 0.0
    crash = None
    if runs:
        with _output_to(log if capture else None), _deadline(timeout) as fired:
            try:
                results, t_sim = run_on_rtl(cfg, runs, chunk.sim, workdir=workdir)
            except Exception as e:
                what = (f"timed out after {timeout:g} s (simulator killed)" if fired
                        else f"{type(e).__name__}: {e}")
                lo, hi = min(chunk.indices), max(chunk.indices)
                crash = [f"the simulator launch of this chunk ({len(runs)} cases, {lo}..{hi}) failed: {what}",
                         "every case of the launch is marked failed; replay each alone to find the one"]
                crash += _tail(log) if capture else []
    t_launch = time.monotonic() - t1

    t2 = time.monotonic()
    for n, (i, case, prog, exp_amem, res) in enumerate(todo):
        rec = records[i]
        if crash:
            rec["failures"] = crash
            continue
        r = results[n]
        rec["cycles"] = r.outcome.cycles
        rec["sim_s"] = round(r.wall_s, 4)
        bad = compare_run(res, exp_amem, r.outcome, r.dumps[0], prog, max_lines=max_lines)
        if bad:
            rec["failures"] = bad
        else:
            rec["result"] = "pass"
            rec["cov"] = sample_coverage(case, prog, r.outcome)
    for rec in records.values():
        if rec["result"] == "fail":
            rec["replay"] = replay_command(rec["index"], chunk.seed, chunk.config, chunk.sim)
        rec["host"], rec["pid"] = host, pid
    timing = {"cases": len(chunk.indices), "prepare_s": t_prepare, "launch_s": t_launch,
              "sim_s": t_sim, "check_s": time.monotonic() - t2}
    return list(records.values()), timing


def run_chunk(chunk: Chunk) -> dict:
    """The Dask task: one chunk in a fresh directory of its own (a killed
    attempt's simulator may still be writing in its old one), removed
    when the chunk has its records."""
    with _ONE_AT_A_TIME:
        sources = sources_digest(cached=True)
        scratch = _scratch()
        warm_s = _ensure_built(spec.get_config(chunk.config), chunk.sim, scratch, capture=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"chunk{min(chunk.indices)}-", dir=scratch))
        records, timing = run_cases(chunk, workdir)
        shutil.rmtree(workdir, ignore_errors=True)
        timing["warm_s"] = warm_s
        return {"records": records, "timing": timing, "sources": sources}


# --------------------------------------------------------------------------- OUT directory
class CampaignError(RuntimeError):
    """The campaign cannot start or go on; the message says why."""


def manifest_for(a) -> dict:
    # seed, config and knobs decide the case stream, sim what ran it;
    # sources is checked against the workers and only warned about on resume
    return {"format": FORMAT, "seed": a.seed, "config": a.config, "sim": a.sim, "knobs": repr(KNOBS),
            "sources": sources_digest()}


STREAM_FIELDS = ("format", "seed", "config", "sim", "knobs")


def check_manifest(out: Path, want: dict) -> list[str]:
    """Write OUT's manifest, or check the one there against ``want``.
    Raises CampaignError naming every field that differs; returns
    warnings."""
    path = out / MANIFEST
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
        return []
    have = json.loads(path.read_text())
    bad = [f"{k}: {have.get(k)!r} in {path}, {want[k]!r} asked" for k in STREAM_FIELDS if have.get(k) != want[k]]
    if bad:
        raise CampaignError(f"{out} holds another campaign ({'; '.join(bad)}): use another OUT, "
                            f"or remove {out} to start this one there")
    if have.get("sources") != want["sources"]:
        return [f"the sources (RTL, models, runners) changed since {path} was written: the records "
                f"already there were made with the old ones"]
    return []


class Ledger:
    """What results.jsonl holds, kept small enough for millions of lines:
    per index its verdict, cycles and kind; the whole record of failures
    only; the coverage hits summed as records arrive.  The first record of
    an index wins; later ones are counted as duplicates and ignored."""

    def __init__(self):
        from verif.common import coverage as cov

        self.seen: dict[int, tuple] = {}        # index -> (passed, cycles, mode, K)
        self.failures: dict[int, dict] = {}
        self.cov = {name: dict.fromkeys(bins, 0) for name, (bins, _) in cov.MODEL.items()}
        self.unknown = 0                        # hits on bins the model no longer has
        self.dups = 0

    def add(self, rec: dict) -> bool:
        i = int(rec["index"])
        if i in self.seen:
            self.dups += 1
            return False
        kind = rec.get("kind") or {}
        self.seen[i] = (rec["result"] == "pass", rec.get("cycles") or 0, kind.get("mode"), kind.get("k"))
        if rec["result"] != "pass":
            self.failures[i] = rec
        for name, hits in (rec.get("cov") or {}).items():
            bins = self.cov.get(name, {})
            for b, n in hits.items():
                if b in bins:
                    bins[b] += n
                else:
                    self.unknown += n
        return True


def read_results(path: Path, ledger: Ledger) -> None:
    """Add the records of results.jsonl to ``ledger``.  A last line cut
    short by a killed client is removed from the file first, so appending
    goes on cleanly."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 1))
        last = fh.read(1)
    if last not in (b"", b"\n"):
        data = path.read_bytes()
        keep = data.rfind(b"\n") + 1
        print(f"soak: {path}: dropping an incomplete last line ({len(data) - keep} bytes)", file=sys.stderr)
        with open(path, "r+b") as fh:
            fh.truncate(keep)
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                ledger.add(json.loads(line))
            except (ValueError, KeyError, TypeError) as e:
                raise CampaignError(f"{path}:{n}: not a soak record ({e})") from None


@contextlib.contextmanager
def _sole_writer(out: Path):
    import fcntl

    with open(out / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CampaignError(f"another soak is writing {out}") from None
        yield


# --------------------------------------------------------------------------- the campaign
def auto_chunk(todo: int, workers: int, config: str, sim: str) -> int:
    t = LAYER_S[sim, config]
    w = max(1, workers)
    c = min(math.sqrt(todo * LAUNCH_S / (w * t)), CHUNK_MAX_S / t, math.ceil(todo / w))
    chunks = max(1, math.ceil(todo / max(1, round(c))))
    return max(1, math.ceil(todo / chunks))     # the same size for all, not a short last one


@contextlib.contextmanager
def _client(a):
    """A Client of the cluster at --scheduler, or of a LocalCluster of
    --workers processes of one thread each, closed afterwards."""
    from distributed import Client, LocalCluster

    if a.scheduler:
        try:
            client = Client(a.scheduler, timeout=a.connect_timeout)
        except OSError as e:
            raise CampaignError(f"no Dask scheduler at {a.scheduler}: {e}") from None
        with client:
            yield client
        return
    # An existing scheduler has its own allowed-failures (docs/farm.md).
    # WAVES=1 is for --replay: a campaign's waves would cost time and be
    # deleted with each chunk's directory.
    with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES},
                      env={"WAVES": "0"}) as cluster, Client(cluster) as client:
        yield client


def _wait_for_workers(client, timeout: float) -> int:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise CampaignError(f"no worker joined the scheduler within {timeout:.0f} s") from None
    return len(client.scheduler_info()["workers"])


def run_campaign(a, log=print) -> dict:
    """Run the indices of [a.first, a.first + a.n) not yet in a.out; return
    the ledger of all of OUT and this run's counts and timings."""
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with _sole_writer(out):
        want = manifest_for(a)
        for w in check_manifest(out, want):
            log(f"soak: warning: {w}")
        ledger = Ledger()
        read_results(out / RESULTS, ledger)
        if ledger.dups:
            log(f"soak: warning: {ledger.dups} duplicate lines in {out / RESULTS} ignored "
                f"(the first line of an index wins)")
        span = range(a.first, a.first + a.n)
        todo = [i for i in span if i not in ledger.seen]
        run = {"span": span, "ledger": ledger, "before": len(span) - len(todo), "ran": 0, "wall_s": 0.0,
               "compute_s": 0.0, "cluster_s": 0.0, "chunks": 0, "lost": [], "timing": Counter(), "workers": 0,
               "chunk": 0, "coverage": None}
        try:
            if todo:
                _run_todo(a, out, want["sources"], todo, ledger, run, log)
        finally:
            # coverage.yml is the merge of results.jsonl, also after a stop
            cov, res = out / COVERAGE, out / RESULTS
            if run["ran"] or not cov.exists() or (res.exists() and cov.stat().st_mtime < res.stat().st_mtime):
                run["coverage"] = write_coverage(ledger.cov, cov)
    return run


def _run_todo(a, out: Path, sources: str, todo: list[int], ledger: Ledger, run: dict, log) -> None:
    from distributed import wait
    from distributed.scheduler import KilledWorker
    from tqdm import tqdm

    t_start = time.monotonic()
    with _client(a) as client:
        run["workers"] = workers = _wait_for_workers(client, a.stall_timeout)
        t_submit = time.monotonic()
        size = a.chunk or auto_chunk(len(todo), workers, a.config, a.sim)
        run["chunk"] = size
        chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
        log(f"soak: {len(todo)} cases to run in {len(chunks)} chunks of up to {size} on {workers} workers"
            + (f" ({len(ledger.seen)} already in {out / RESULTS})" if ledger.seen else ""))
        # keys name the campaign and the attempt, so campaigns sharing a
        # scheduler never collide and a rerun never picks up an old result
        tag = f"soak-{a.config}-{a.sim}-s{a.seed}-{os.getpid()}-{int(time.time())}"
        futures = {client.submit(run_chunk, Chunk(tuple(c), a.seed, a.config, a.sim, a.chunk_timeout),
                                 key=f"{tag}-{c[0]}+{len(c)}", pure=False, retries=1): c for c in chunks}
        pending = set(futures)
        failed = 0
        with open(out / RESULTS, "a") as fh, tqdm(total=len(todo), unit="layer", dynamic_ncols=True,
                                                  smoothing=0.05, mininterval=0.5, disable=a.quiet) as bar:
            try:
                while pending:
                    try:
                        done, pending = wait(pending, timeout=a.stall_timeout, return_when="FIRST_COMPLETED")
                    except TimeoutError:
                        raise CampaignError(f"no chunk completed in {a.stall_timeout:.0f} s; "
                                            f"{len(pending)} chunks left (rerun to resume)") from None
                    for f in done:
                        idx = futures.pop(f)
                        if f.cancelled():
                            raise CampaignError(f"chunk {idx[0]}..{idx[-1]} was cancelled (scheduler "
                                                f"restarted or lost?); rerun to resume")
                        if f.status != "finished":
                            exc = f.exception()
                            if not isinstance(exc, KilledWorker):
                                raise CampaignError(f"chunk {idx[0]}..{idx[-1]}: the task raised "
                                                    f"{type(exc).__name__}: {exc}") from exc
                            run["lost"].append((idx, f"{type(exc).__name__}: {exc}"))
                            bar.write(f"soak: chunk {idx[0]}..{idx[-1]} lost ({type(exc).__name__}); "
                                      f"left for the next run")
                            continue
                        res = f.result()
                        f.release()
                        if a.scheduler and res["sources"] != sources:
                            raise CampaignError(f"a worker ran other sources ({res['sources']}, the client "
                                                f"has {sources}): every worker needs the same checkout")
                        got = [r["index"] for r in res["records"]]
                        if sorted(got) != sorted(idx):
                            raise CampaignError(f"chunk {idx[0]}..{idx[-1]} returned records for {got}")
                        for rec in res["records"]:
                            if not ledger.add(rec):     # cannot happen: one future per chunk
                                continue
                            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
                            if rec["result"] != "pass":
                                failed += 1
                                bar.write(f"FAIL case {rec['index']}: {'; '.join(rec['failures'][:3])}\n"
                                          f"  replay: {rec['replay']}")
                        fh.flush()
                        run["ran"] += len(got)
                        run["chunks"] += 1
                        run["timing"].update(res["timing"])
                        bar.update(len(got))
                        bar.set_postfix(failed=failed, refresh=False)
            finally:
                for f in pending:
                    f.cancel()
        run["compute_s"] = time.monotonic() - t_submit
        run["cluster_s"] = t_submit - t_start
    run["wall_s"] = time.monotonic() - t_start


def summarize(a, s: dict, log=print) -> int:
    led: Ledger = s["ledger"]
    span = s["span"]
    verdicts = [led.seen[i] for i in span if i in led.seen]
    fails = [led.failures[i] for i in span if i in led.failures]
    kinds = Counter()
    for _, _, mode, k in verdicts:
        kinds[mode] += 1
        kinds[f"K={k}"] += 1
    missing = len(span) - len(verdicts)
    log(f"soak: {len(span)} layers [{span.start}, {span.stop}) (seed {a.seed}, config {a.config}, {a.sim}): "
        f"{len(verdicts) - len(fails)} passed, {len(fails)} failed" + (f", {missing} not run" if missing else "")
        + f"; {sum(v[1] for v in verdicts)} simulated cycles; "
        f"act {kinds['act']} / acc {kinds['acc']}; K=1 {kinds['K=1']} / K=3 {kinds['K=3']}")
    if s["ran"] or s["lost"]:
        rate = s["ran"] / s["compute_s"] if s["compute_s"] else 0.0
        log(f"soak: {s['ran']} run now in {s['wall_s']:.1f} s: {rate:.2f} layers/s on {s['workers']} workers "
            f"once started ({s['cluster_s']:.1f} s), {s['chunks']} chunks of up to {s['chunk']}; "
            f"{s['before']} were already in {Path(a.out) / RESULTS}")
    else:
        log(f"soak: nothing to run: all {s['before']} already recorded in {Path(a.out) / RESULTS}")
    if s["coverage"]:
        hit, total = s["coverage"]
        log(f"soak: functional coverage of all of {a.out}: {hit}/{total} bins -> {Path(a.out) / COVERAGE}"
            + (f" ({led.unknown} hits on bins the model no longer has left out)" if led.unknown else ""))
    for r in fails[:a.list_failures]:
        log(f"FAIL case {r['index']}: {r['failures'][0] if r.get('failures') else '?'}\n  replay: {r['replay']}")
    if len(fails) > a.list_failures:
        log(f"... and {len(fails) - a.list_failures} more failures in {Path(a.out) / RESULTS}")
    for idx, why in s["lost"]:
        log(f"soak: chunk {idx[0]}..{idx[-1]} ({len(idx)} cases) not recorded: {why}")
    if fails:
        return 1
    if missing:
        log("soak: incomplete: run the same command again to run the rest")
        return 2
    return 0


# --------------------------------------------------------------------------- replay
def replay(a) -> int:
    """One case in this process, no Dask, in a work directory that stays
    (build/soak/replay/...): with WAVES=1 the waveform is there."""
    wd = REPO / "build" / "soak" / "replay" / f"{a.config}-{a.sim}-seed{a.seed}-case{a.replay}"
    shutil.rmtree(wd, ignore_errors=True)
    wd.mkdir(parents=True)
    cfg = spec.get_config(a.config)
    _ensure_built(cfg, a.sim, Path(tempfile.gettempdir()), capture=True)
    (rec,), _ = run_cases(Chunk((a.replay,), a.seed, a.config, a.sim, a.chunk_timeout), wd,
                          capture=False, max_lines=64)
    print(f"case {a.replay} (seed {a.seed}, config {a.config}, {a.sim}): {rec['kind']}")
    if rec["result"] == "pass":
        print(f"PASS: RTL equals the golden model ({rec['cycles']} cycles)")
    else:
        print("FAIL: RTL differs from the golden model\n  " + "\n  ".join(rec["failures"]))
    waves = sorted(p for ext in ("*.fst", "*.vcd") for p in wd.glob(ext))
    if waves:
        print("waves: " + ", ".join(str(p.relative_to(REPO)) for p in waves))
    else:
        print(f"no waves (WAVES=1 dumps them); work directory {wd.relative_to(REPO)}")
    return 0 if rec["result"] == "pass" else 1


# --------------------------------------------------------------------------- command line
def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="cases in the range")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--first", type=int, default=0, help="index of the range's first case")
    p.add_argument("--config", choices=sorted(spec.CONFIGS), default="small")
    p.add_argument("--sim", choices=("icarus", "verilator"), default="verilator")
    p.add_argument("--out", help="results directory (required unless --replay)")
    p.add_argument("--workers", type=int, default=2, help="local worker processes (ignored with --scheduler)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--chunk", type=int, default=0,
                   help="cases per task, one simulator launch each (0: sized from the number of cases "
                        "and workers, docs/farm.md)")
    p.add_argument("--chunk-timeout", type=float, default=None,
                   help="wall-clock seconds a chunk's simulator may run (default: from its cases' cycles)")
    p.add_argument("--stall-timeout", type=float, default=3600.0,
                   help="give up (exit 2, resumable) when no chunk completes for this long")
    p.add_argument("--connect-timeout", type=float, default=30.0, help="seconds to reach --scheduler")
    p.add_argument("--list-failures", type=int, default=20, help="failures listed in the summary")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--stats", metavar="FILE", help="write this run's counts and timings as JSON (bench.farm)")
    p.add_argument("--replay", type=int, metavar="I", help="run case I alone, here, without Dask")
    a = p.parse_args(argv)
    if a.replay is None and not a.out:
        p.error("--out is required (or --replay I)")
    if a.n < 0 or a.first < 0 or a.workers < 1 or a.chunk < 0:
        p.error("--n, --first and --chunk must be >= 0, --workers >= 1")
    return a


def main(argv=None) -> int:
    a = parse(argv)
    if a.replay is not None:
        return replay(a)
    try:
        s = run_campaign(a)
    except CampaignError as e:
        print(f"soak: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"soak: interrupted; the chunks completed so far are in {Path(a.out) / RESULTS}: "
              f"run the same command to resume", file=sys.stderr)
        return 2
    if a.stats:
        verdicts = [s["ledger"].seen[i][0] for i in s["span"] if i in s["ledger"].seen]
        Path(a.stats).write_text(json.dumps(
            {k: s[k] for k in ("ran", "before", "wall_s", "compute_s", "cluster_s", "chunks", "chunk", "workers")}
            | {"timing": dict(s["timing"]), "passed": sum(verdicts), "failed": len(verdicts) - sum(verdicts)},
            indent=1) + "\n")
    return summarize(a, s)


if __name__ == "__main__":
    # run the importable copy of this module, so Dask pickles run_chunk and
    # Chunk by reference (verif.soak.*), not by value from __main__
    from verif.soak import main as _main

    try:
        sys.exit(_main())
    except Exception:
        traceback.print_exc()
        sys.exit(2)
