"""Mutation campaign: sample mutants, run the fast regression subset on each
in a scratch copy of the repository, and report what survives.

One mutant = one ``verilog.Site`` in one hdl/*.v file.  Its id,
``<module>:<line>:<col>:<op>`` (e.g. ``spw_drain:124:38:add_sub``), names
it independently of N and SEED, so any mutant replays alone.

Per mutant, in build/mutate/work/<slug>/ (a copy of the repository snapshot
without build/ and .git, .venv symlinked):
  1. apply the mutation to hdl/<module>.v;
  2. compile check: ``iverilog -g2005`` of every hdl/*.v under spw_top with
     each configuration's parameters; a failure (or a compile that runs past
     COMPILE_TIMEOUT_S) makes the mutant "invalid";
  3. the subset: ``pytest -x`` of verif/blocks/test_<module>.py (every
     configuration) then verif/system/test_spw_top.py::test_spw_top[small],
     on Icarus with SEED fixed; pass -> "survived", a failing test ->
     "killed", a bench whose Icarus build fails -> "invalid", past the
     per-module time limit (TIMEOUT_FACTOR x the clean run, at least
     MIN_TIMEOUT_S) -> "timed_out" (a kill, reported apart).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import verilog

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "build" / "mutate"
# never copied into a scratch tree
IGNORE = {".git", "build", ".venv", ".pytest_cache", ".hypothesis", ".ruff_cache", "__pycache__",
          "sim_build", ".mypy_cache"}
SYSTEM_NODE = "verif/system/test_spw_top.py::test_spw_top[small]"
TIMEOUT_FACTOR = 5.0
MIN_TIMEOUT_S = 60.0
COMPILE_TIMEOUT_S = 30.0
# a scratch tree's python: the repository's venv through the .venv symlink
VENV_PY = Path(".venv") / "bin" / "python"
# environment the subset must not inherit from the caller's shell
SCRUB_ENV = ("WAVES", "SEED", "SIM", "SPW_EFFORT", "SPW_CONFIG", "SPW_WORK", "HOST_BUS", "PYTEST_ADDOPTS",
             "PYTEST_CURRENT_TEST", "COCOTB_RANDOM_SEED", "RANDOM_SEED", "TESTCASE", "COCOTB_TESTCASE")

STATUSES = ("killed", "survived", "timed_out", "invalid", "error")


# --------------------------------------------------------------------------- mutants
@dataclass(frozen=True)
class Mutant:
    id: str
    module: str
    file: str        # relative to the repository, e.g. hdl/spw_drain.v
    line: int
    col: int
    op: str
    family: str
    context: str
    pos: int
    orig: str
    repl: str
    before: str = ""   # the source line(s) the mutation touches, stripped
    after: str = ""    # the same lines mutated

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.id)

    def description(self) -> str:
        return f"{self.file}:{self.line}:{self.col} {self.op}: {_short(self.orig)} -> {_short(self.repl)}"

    def apply(self, text: str) -> str:
        if text[self.pos:self.pos + len(self.orig)] != self.orig:
            raise ValueError(f"{self.id}: {self.file} has changed: {self.orig!r} is not at offset {self.pos}")
        return text[:self.pos] + self.repl + text[self.pos + len(self.orig):]


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def hdl_files(root: Path) -> list[Path]:
    """The mutable sources: hdl/*.v (spw_defs.vh is generated and is not a .v)."""
    return sorted((root / "hdl").glob("*.v"))


def enumerate_mutants(root: Path = REPO) -> dict[str, list[Mutant]]:
    """Every candidate mutant of every hdl/*.v under ``root``, by module."""
    out: dict[str, list[Mutant]] = {}
    for path in hdl_files(root):
        module = path.stem
        seen: dict[str, int] = {}
        mutants = []
        text = path.read_text()
        try:
            sites = verilog.find_sites(text)
        except verilog.ParseError as e:
            raise SystemExit(f"scripts/mutate: cannot parse {path.relative_to(root)}: {e} "
                             f"(extend scripts/mutate/verilog.py)") from e
        for s in sites:
            mid = f"{module}:{s.line}:{s.col}:{s.op}"
            if mid in seen:                       # never expected; keep ids unique anyway
                seen[mid] += 1
                mid = f"{mid}.{seen[mid]}"
            else:
                seen[mid] = 0
            a = text.rfind("\n", 0, s.pos) + 1
            b = text.find("\n", s.pos + len(s.orig))
            b = len(text) if b < 0 else b
            before = " ".join(text[a:b].split())
            after = " ".join((text[a:s.pos] + s.repl + text[s.pos + len(s.orig):b]).split())
            mutants.append(Mutant(mid, module, f"hdl/{path.name}", s.line, s.col, s.op, s.family, s.context,
                                  s.pos, s.orig, s.repl, before, after))
        out[module] = mutants
    return out


def quotas(counts: dict[str, int], n: int, rng: random.Random) -> dict[str, int]:
    """Mutants per module: half of N spread evenly over the modules, half in
    proportion to their candidates; at least one each (when N allows), never
    more than a module has."""
    mods = sorted(m for m, c in counts.items() if c > 0)
    total = sum(counts[m] for m in mods)
    n = min(n, total)
    if n < len(mods):
        return {m: 1 for m in rng.sample(mods, n)}
    raw = {m: n * (0.5 / len(mods) + 0.5 * counts[m] / total) for m in mods}
    q = {m: min(counts[m], max(1, int(raw[m]))) for m in mods}
    while sum(q.values()) < n:
        # largest remaining share first, among modules with candidates left
        m = max((m for m in mods if q[m] < counts[m]), key=lambda m: (raw[m] - q[m], m))
        q[m] += 1
    while sum(q.values()) > n:
        m = max((m for m in mods if q[m] > 1), key=lambda m: (q[m] - raw[m], m))
        q[m] -= 1
    return q


def sample(by_module: dict[str, list[Mutant]], n: int, seed: int) -> list[Mutant]:
    """N mutants, stratified by module and, within a module, drawn round-robin
    over the operator families; reproducible from SEED.  Returned in run
    order (shuffled, so a partial run is still spread over the modules)."""
    rng = random.Random(seed)
    q = quotas({m: len(v) for m, v in by_module.items()}, n, rng)
    chosen: list[Mutant] = []
    for module in sorted(q):
        families: dict[str, list[Mutant]] = {}
        for m in by_module[module]:
            families.setdefault(m.family, []).append(m)
        order = sorted(families)
        rng.shuffle(order)
        for f in order:
            rng.shuffle(families[f])
        picked = 0
        while picked < q[module]:
            for f in order:
                if families[f] and picked < q[module]:
                    chosen.append(families[f].pop())
                    picked += 1
    rng.shuffle(chosen)
    return chosen


def find_mutant(by_module: dict[str, list[Mutant]], mid: str) -> tuple[Mutant, str | None]:
    """The mutant ``mid``; if the source has moved since the id was made, the
    mutant of the same module, operator and original text nearest to its line
    (with a warning)."""
    for ms in by_module.values():
        for m in ms:
            if m.id == mid:
                return m, None
    parts = mid.split(":")
    if len(parts) >= 4 and parts[0] in by_module:
        module, line, op = parts[0], int(parts[1]), parts[3].split(".")[0]
        cands = [m for m in by_module[module] if m.op == op]
        if cands:
            best = min(cands, key=lambda m: (abs(m.line - line), abs(m.col - int(parts[2]))))
            if abs(best.line - line) <= 40:
                return best, (f"{mid} is not in the current hdl/{module}.v; nearest {op} mutant: {best.id} "
                              f"({best.description()}) -- check it is the same one")
    raise KeyError(f"no mutant {mid!r} in the current hdl/ (ids are <module>:<line>:<col>:<op>; "
                   f"see --list)")


# --------------------------------------------------------------------------- scratch trees
def copy_tree(src: Path, dest: Path) -> None:
    """``src`` without build outputs, VCS and caches, with .venv symlinked to
    the repository's."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True, ignore=lambda d, names: [n for n in names if n in IGNORE])
    venv = (REPO / ".venv").resolve()
    if venv.exists():
        (dest / ".venv").symlink_to(venv, target_is_directory=True)


def export_head(dest: Path) -> str:
    """The committed tree (git HEAD) into ``dest``, .venv symlinked; returns
    the commit."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()
    archive = subprocess.Popen(["git", "archive", "--format=tar", head], cwd=REPO, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)
    archive.stdout.close()
    if archive.wait() != 0:
        raise RuntimeError("git archive HEAD failed")
    venv = (REPO / ".venv").resolve()
    if venv.exists():
        (dest / ".venv").symlink_to(venv, target_is_directory=True)
    return head


def write_mutant(tree: Path, mutant: Mutant) -> None:
    path = tree / mutant.file
    path.write_text(mutant.apply(path.read_text()))


# --------------------------------------------------------------------------- the subset
def subset_nodes(module: str, root: Path = REPO) -> list[str]:
    """The declared fast subset for a mutant of ``module``: its block bench
    (every configuration) if it has one, then the small system bench."""
    nodes = []
    block = f"verif/blocks/test_{module}.py"
    if (root / block).exists():
        nodes.append(block)
    nodes.append(SYSTEM_NODE)
    return nodes


FULL_SYSTEM_NODES = ("verif/system/test_spw_top.py", "verif/system/test_pruned_dw.py")


def full_nodes(module: str, root: Path = REPO) -> list[str]:
    """The whole RTL regression on Icarus (for survivors): the module's block
    bench first, every other block bench, then the system benches on both
    configurations (not the demo or docs): the benches of the RTL blocks."""
    blocks = [f"verif/blocks/test_{p.stem}.py" for p in hdl_files(root)]
    blocks = [n for n in blocks if (root / n).exists()]
    own = [n for n in blocks if n == f"verif/blocks/test_{module}.py"]
    return own + [n for n in blocks if n not in own] + [n for n in FULL_SYSTEM_NODES if (root / n).exists()]


def config_params() -> dict[str, dict[str, int]]:
    """spw_top's parameters of every configuration (models/spec.py)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from models import spec
    return {name: spec.get_config(name).hdl_params() for name in spec.CONFIGS}


def compile_check(tree: Path, params: dict[str, dict[str, int]]) -> str | None:
    """None if every configuration of spw_top compiles with iverilog -g2005,
    else the first error."""
    files = [str(p.relative_to(tree)) for p in hdl_files(tree)]
    for cfg, ps in params.items():
        cmd = ["iverilog", "-g2005", "-I", "hdl", "-s", "spw_top", "-o", os.devnull,
               *[f"-Pspw_top.{k}={v}" for k, v in ps.items()], *files]
        # its own process group: iverilog runs ivlpp | ivl under a shell, and
        # a timeout must stop all of them
        proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=COMPILE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            return f"iverilog ({cfg}) ran past {COMPILE_TIMEOUT_S:.0f} s"
        if proc.returncode != 0:
            lines = out.strip().splitlines() or ["?"]
            err = next((ln for ln in lines if "error" in ln.lower()), lines[-1])
            return f"iverilog ({cfg}): {err.replace(str(tree) + '/', '')}"
    return None


def subset_env(seed: int, effort: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUB_ENV}
    env.update(SIM="icarus", SEED=str(seed), SPW_EFFORT=effort, PYTHONDONTWRITEBYTECODE="1")
    return env


def pytest_cmd(nodes: list[str]) -> list[str]:
    return [str(VENV_PY), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *nodes]


@dataclass
class RunResult:
    status: str          # passed, failed, timed_out, build_failed, error
    seconds: float
    detail: str
    output: str


def run_pytest(tree: Path, nodes: list[str], seed: int, effort: str, timeout_s: float | None) -> RunResult:
    """Run ``nodes`` in ``tree``; kill the whole process group at the limit."""
    t0 = time.monotonic()
    proc = subprocess.Popen(pytest_cmd(nodes), cwd=tree, env=subset_env(seed, effort), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        out, _ = proc.communicate()
        return RunResult("timed_out", time.monotonic() - t0, f"no result after {timeout_s:.0f} s", out or "")
    dt = time.monotonic() - t0
    rc = proc.returncode
    if rc == 0:
        return RunResult("passed", dt, "", out)
    first = _failure(out)
    if rc == 1 and "runner.build(" in out and "Command failed with return code" in out:
        err = next((ln for ln in out.splitlines() if "error" in ln and ".v:" in ln), first)
        return RunResult("build_failed", dt, err.replace(str(tree) + "/", ""), out)
    if rc == 1:
        return RunResult("failed", dt, first[:400], out)
    return RunResult("error", dt, f"pytest exit {rc}: {first[:300]}", out)


def _failure(out: str) -> str:
    """'<pytest node>: <first error line>' of a failed run."""
    node = next((m.group(2) for m in re.finditer(r"^(FAILED|ERROR) (\S+)", out, re.MULTILINE)
                 if "::" in m.group(2)), "")
    msg = next((m.group(1) for m in re.finditer(r"^E\s+(.+)$", out, re.MULTILINE)), "")
    msg = re.sub(r"; seed=\d+; results .*", "", msg)
    msg = re.sub(r"^AssertionError: \S+: \d+ of \d+ cocotb tests failed \(sim exit -?\d+\): ", "", msg)
    return f"{node}: {msg}"[:400] if node or msg else ""


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, to the process group this run started."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------- one mutant
@dataclass
class Outcome:
    mutant: Mutant
    status: str
    seconds: float
    detail: str
    log: str = ""

    def record(self, seed: int, effort: str) -> dict:
        d = asdict(self.mutant)
        d.update(status=self.status, seconds=round(self.seconds, 1), detail=self.detail, log=self.log,
                 description=self.mutant.description(), replay=replay_command(self.mutant, seed, effort))
        return d


def replay_command(m: Mutant, seed: int, effort: str) -> str:
    extra = "" if effort == "default" else f" --effort {effort}"
    return f".venv/bin/python scripts/mutate.py --only {shlex.quote(m.id)} --seed {seed}{extra}"


def run_mutant(m: Mutant, base: Path, workdir: Path, logdir: Path, params: dict, seed: int, effort: str,
               timeout_s: float, keep: bool = False, full: bool = False) -> Outcome:
    tree = workdir / m.slug
    log = logdir / f"{m.slug}.log"
    t0 = time.monotonic()
    try:
        copy_tree(base, tree)
        write_mutant(tree, m)
        err = compile_check(tree, params)
        if err:
            out = Outcome(m, "invalid", time.monotonic() - t0, err)
            log.write_text(f"{m.id}\n{m.description()}\ninvalid: {err}\n")
        else:
            nodes = full_nodes(m.module, tree) if full else subset_nodes(m.module, tree)
            r = run_pytest(tree, nodes, seed, effort, timeout_s)
            status = {"passed": "survived", "failed": "killed", "timed_out": "timed_out",
                      "build_failed": "invalid", "error": "error"}[r.status]
            detail = r.detail if r.status != "build_failed" else f"bench build failed: {r.detail}"
            out = Outcome(m, status, time.monotonic() - t0, detail)
            log.write_text(f"{m.id}\n{m.description()}\nstatus: {status} ({detail})\n"
                           f"command (in {tree}): SEED={seed} SPW_EFFORT={effort} SIM=icarus "
                           f"{' '.join(shlex.quote(c) for c in pytest_cmd(nodes))}\n\n{r.output}")
    except Exception as e:  # noqa: BLE001 - one broken mutant must not stop the campaign
        out = Outcome(m, "error", time.monotonic() - t0, f"{type(e).__name__}: {e}")
        log.write_text(f"{m.id}\n{m.description()}\nerror: {out.detail}\n")
    finally:
        if not keep:
            shutil.rmtree(tree, ignore_errors=True)
    out.log = str(log.relative_to(REPO)) if log.is_relative_to(REPO) else str(log)
    return out


# --------------------------------------------------------------------------- sanity
def sanity(base: Path, modules: list[str], seed: int, effort: str, jobs: int,
           say=print) -> tuple[dict[str, float], list[str]]:
    """Run every bench of the subsets once on the clean snapshot.  Returns
    (seconds per bench node, failures)."""
    nodes = sorted({n for m in modules for n in subset_nodes(m, base)})
    times: dict[str, float] = {}
    failures: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {ex.submit(run_pytest, base, [n], seed, effort, None): n for n in nodes}
        for f in as_completed(futs):
            n, r = futs[f], f.result()
            times[n] = r.seconds
            ok = r.status == "passed"
            say(f"  clean {n}: {'pass' if ok else 'FAIL'} in {r.seconds:.1f} s")
            if not ok:
                failures.append(f"{n}: {r.detail or r.status}")
                (OUT / "logs").mkdir(parents=True, exist_ok=True)
                (OUT / "logs" / f"clean-{re.sub(r'[^A-Za-z0-9_.-]', '_', n)}.log").write_text(r.output)
    return times, failures


def module_timeouts(modules: list[str], times: dict[str, float], base: Path) -> dict[str, float]:
    return {m: max(MIN_TIMEOUT_S, TIMEOUT_FACTOR * sum(times[n] for n in subset_nodes(m, base)))
            for m in modules}


# --------------------------------------------------------------------------- reports
def tally(outcomes: list[Outcome], modules: list[str]) -> dict[str, dict[str, int]]:
    t = {m: {"mutants": 0, **{s: 0 for s in STATUSES}} for m in modules}
    for o in outcomes:
        row = t.setdefault(o.mutant.module, {"mutants": 0, **{s: 0 for s in STATUSES}})
        row["mutants"] += 1
        row[o.status] += 1
    return t


def score(row: dict[str, int]) -> float | None:
    valid = row["mutants"] - row["invalid"] - row["error"]
    return None if valid <= 0 else (row["killed"] + row["timed_out"]) / valid


def markdown_table(table: dict[str, dict[str, int]]) -> str:
    lines = ["| module | mutants | killed | survived | timed out | invalid | score |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    total = {"mutants": 0, **{s: 0 for s in STATUSES}}
    for m in sorted(table):
        row = table[m]
        for k in total:
            total[k] += row[k]
        lines.append(_row(m, row))
    lines.append(_row("**total**", total))
    if total["error"]:
        lines.append(f"\n{total['error']} mutant(s) ended in a tool error (not counted; see summary.json).")
    return "\n".join(lines)


def _row(name: str, row: dict[str, int]) -> str:
    s = score(row)
    sc = "-" if s is None else f"{100 * s:.0f}%"
    return (f"| {name} | {row['mutants']} | {row['killed']} | {row['survived']} | {row['timed_out']} | "
            f"{row['invalid']} | {sc} |")


def _clip(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _code(text: str) -> str:
    """``text`` as a markdown code span inside a table cell."""
    text = text.replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def git_info() -> dict:
    def git(*args):
        try:
            return subprocess.run(["git", *args], check=False, cwd=REPO, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            return ""
    return {"head": git("rev-parse", "--short", "HEAD").strip(),
            "hdl_status": git("status", "--short", "hdl/").rstrip()}


def hdl_hashes(root: Path) -> dict[str, str]:
    return {f"hdl/{p.name}": hashlib.sha1(p.read_bytes()).hexdigest()[:12] for p in hdl_files(root)}


# --------------------------------------------------------------------------- campaign
@dataclass
class Campaign:
    n: int
    seed: int
    jobs: int = 2
    effort: str = "default"
    keep: bool = False
    timeout_s: float | None = None     # overrides the per-module limits
    head: bool = False                 # run on the committed tree (git HEAD), not the working tree
    min_score: float | None = None     # exit 1 below this (killed + timed out) / valid, or on errors
    out: Path = OUT
    lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, msg: str) -> None:
        with self.lock:
            print(msg, flush=True)

    def run(self) -> int:
        t_start = time.monotonic()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        base = self.out / "base"
        work = self.out / "work"
        logs = self.out / "logs"
        for d in (work, logs):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True, exist_ok=True)
        info = git_info()
        if self.head:
            info["tree"] = f"HEAD {export_head(base)[:12]}"
            info["hdl_status"] = ""
            self.say(f"snapshot of git HEAD ({info['tree']}) -> {base.relative_to(REPO)}")
        else:
            info["tree"] = "working tree"
            if info["hdl_status"]:
                self.say(f"note: hdl/ has uncommitted changes; the campaign runs on the working tree:\n"
                         f"{info['hdl_status']}")
            self.say(f"snapshot of the working tree {REPO} -> {base.relative_to(REPO)}")
            copy_tree(REPO, base)
        by_module = enumerate_mutants(base)
        modules = sorted(by_module)
        mutants = sample(by_module, self.n, self.seed)
        counts = {m: sum(1 for x in mutants if x.module == m) for m in modules}
        self.say(f"{sum(len(v) for v in by_module.values())} candidate mutants in {len(modules)} modules; "
                 f"sampled {len(mutants)} with SEED={self.seed}: "
                 + ", ".join(f"{m} {counts[m]}" for m in modules))
        params = config_params()

        self.say(f"sanity: the subset's benches on the clean tree (SPW_EFFORT={self.effort}, SEED={self.seed}, "
                 f"icarus, {self.jobs} jobs)")
        times, failures = sanity(base, modules, self.seed, self.effort, self.jobs, self.say)
        if failures:
            self.say("ABORT: the clean tree fails the subset:\n  " + "\n  ".join(failures))
            return 2
        err = compile_check(base, params)
        if err:
            self.say(f"ABORT: the clean tree fails the compile check: {err}")
            return 2
        timeouts = module_timeouts(modules, times, base)
        if self.timeout_s:
            timeouts = {m: self.timeout_s for m in modules}
        self.say("per-mutant time limits: " + ", ".join(f"{m} {timeouts[m]:.0f} s" for m in modules))

        outcomes: list[Outcome] = []
        t_run = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.jobs) as ex:
            futs = [ex.submit(run_mutant, m, base, work, logs, params, self.seed, self.effort,
                              timeouts[m.module], self.keep) for m in mutants]
            for f in as_completed(futs):
                o = f.result()
                outcomes.append(o)
                self._progress(o, outcomes, len(mutants), t_run)

        wall = time.monotonic() - t_start
        table = tally(outcomes, modules)
        order = {m.id: i for i, m in enumerate(mutants)}
        outcomes.sort(key=lambda o: (o.mutant.module, o.mutant.line, o.mutant.col, o.mutant.op))
        survivors = [o.record(self.seed, self.effort) for o in outcomes if o.status == "survived"]
        total = {k: sum(r[k] for r in table.values()) for k in ("mutants", *STATUSES)}
        summary = {
            "n": self.n, "seed": self.seed, "jobs": self.jobs, "effort": self.effort, "sim": "icarus",
            "started": started, "wall_s": round(wall, 1), "sanity_s": round(t_run - t_start, 1),
            "git": info, "hdl": hdl_hashes(base),
            "subset": {m: subset_nodes(m, base) for m in modules},
            "clean_s": {k: round(v, 1) for k, v in sorted(times.items())},
            "timeout_s": {k: round(v) for k, v in timeouts.items()},
            "candidates": {m: len(v) for m, v in by_module.items()},
            "modules": {m: {**table[m], "score": score(table[m])} for m in modules},
            "totals": {**total, "score": score(total)},
            "survivors": survivors,
            "mutants": [dict(o.record(self.seed, self.effort), sample_index=order[o.mutant.id])
                        for o in outcomes],
        }
        (self.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        md = self.report_md(table, survivors, summary)
        (self.out / "report.md").write_text(md)
        print("\n" + md, flush=True)
        print(f"summary: {(self.out / 'summary.json').relative_to(REPO)}, "
              f"report: {(self.out / 'report.md').relative_to(REPO)}", flush=True)
        if not self.keep:
            shutil.rmtree(work, ignore_errors=True)
        if self.min_score is not None:
            got = summary["totals"]["score"]
            if total["error"] or got is None or got < self.min_score:
                print(f"FAIL mutation score {got if got is None else f'{got:.2f}'} (gate {self.min_score:.2f}), "
                      f"{total['error']} errors", flush=True)
                return 1
            print(f"mutation score {got:.2f} >= gate {self.min_score:.2f}", flush=True)
        return 0

    def _progress(self, o: Outcome, done: list[Outcome], n: int, t0: float) -> None:
        c = {s: sum(1 for x in done if x.status == s) for s in STATUSES}
        el = time.monotonic() - t0
        eta = el / len(done) * (n - len(done))
        extra = f" error {c['error']}" if c["error"] else ""
        self.say(f"[{len(done):>{len(str(n))}}/{n}] killed {c['killed']} survived {c['survived']} "
                 f"timed out {c['timed_out']} invalid {c['invalid']}{extra} | {o.status:9} {o.seconds:5.1f} s "
                 f"{o.mutant.id} | {el / 60:.1f} min, eta {eta / 60:.1f} min")

    def report_md(self, table, survivors: list[dict], summary: dict) -> str:
        t = summary["totals"]
        lines = [f"# Mutation campaign: N={self.n}, SEED={self.seed}", "",
                 f"Icarus, SPW_EFFORT={self.effort}, {self.jobs} jobs; {summary['started']}; "
                 f"git {summary['git']['head']}, {summary['git']['tree']}"
                 + (" (hdl/ modified)" if summary["git"]["hdl_status"] else "")
                 + f"; wall {summary['wall_s'] / 60:.1f} min (sanity {summary['sanity_s']:.0f} s).", "",
                 ("Subset per mutant: `pytest -x verif/blocks/test_<module>.py` (all configurations, if the "
                  f"module has a block bench) then `{SYSTEM_NODE}`. Score = (killed + timed out) / "
                  "(mutants - invalid)."), "",
                 markdown_table(table), ""]
        if t["score"] is not None:
            lines += [(f"Mutation score {100 * t['score']:.1f}% ({t['killed'] + t['timed_out']} of "
                       f"{t['mutants'] - t['invalid'] - t['error']} valid mutants)."), ""]
        lines += [f"## Survivors ({len(survivors)})", ""]
        if survivors:
            lines += ["| mutant | operator | line before | line after |", "|---|---|---|---|"]
            for s in survivors:
                lines.append(f"| `{s['id']}` | {s['op']} | {_code(_clip(s['before']))} | {_code(_clip(s['after']))} |")
            lines += ["", "Replay one: `.venv/bin/python scripts/mutate.py --only <mutant> --seed "
                      f"{self.seed}" + ("" if self.effort == "default" else f" --effort {self.effort}")
                      + "` (exit 0 killed, 1 survived); write the mutated tree: `--apply <mutant> --out DIR`."]
        else:
            lines.append("None.")
        return "\n".join(lines) + "\n"
