"""Run programs on the RTL simulation from plain Python (no pytest): the
engine behind `python -m models run --backend rtl`, `make demo`, the soak
and the benchmarks.

One simulator process executes a whole job, so a build is reused and many
runs (say, one per test image) share one start-up.  Memories are loaded
through the backdoor (documented fast path, verif/common/backdoor.py); the
core is started, waited for and read out through the AXI4-Lite host
interface exactly as a host would.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models import spec
from models.memory import Memories

from .outcome import RtlRun

SIMS = ("icarus", "verilator")


@dataclass
class Run:
    """Writes (memory, start word, data) then a start at start_pc; dumps are
    AMem (start, count) ranges read back afterwards.  Data for AMem/WMem are
    (n, lanes) nibble arrays, for IMem 64-bit words."""
    writes: list = field(default_factory=list)
    start_pc: int = 0
    dumps: list = field(default_factory=list)
    max_cycles: int = 10_000_000


def full_image_run(mem: Memories, start_pc: int = 0, imem_words: int | None = None,
                   wmem_words: int | None = None) -> Run:
    """A run that loads every AMem word (so nothing is left undefined), the
    used part of WMem and IMem, and dumps all of AMem."""
    n_i = len(mem.imem) if imem_words is None else imem_words
    n_w = len(mem.wmem) if wmem_words is None else wmem_words
    return Run(writes=[("imem", 0, [int(v) for v in mem.imem[:n_i]]), ("wmem", 0, mem.wmem[:n_w]),
                       ("amem", 0, mem.amem)],
               start_pc=start_pc, dumps=[(0, mem.cfg.adepth)])


def image_runs(prog, inputs: list[dict], output: str) -> list[Run]:
    """Runs of one compiled program on many inputs in one simulation: the
    first loads every memory, the others write only the input tensors'
    words; each dumps only the output tensor's words."""
    out_t = prog.tensors[output]
    runs = []
    for i, x in enumerate(inputs):
        mem = prog.memories(x)
        if i == 0:
            r = full_image_run(mem, prog.start_pc, len(prog.imem), len(prog.wmem))
        else:
            writes = []
            for name in x:
                t = prog.tensors[name]
                writes.append(("amem", t.base, mem.amem[t.base: t.base + t.channels * t.stride]))
            r = Run(writes=writes, start_pc=prog.start_pc)
        r.dumps = [(out_t.base, out_t.channels * out_t.stride)]
        runs.append(r)
    return runs


def run_on_rtl(cfg: spec.Config, runs: list[Run], sim: str = "icarus", progress: bool = False,
               workdir: str | os.PathLike | None = None, verbose: bool = False) -> tuple[list[RtlRun], float]:
    """Execute runs in one simulation.  Returns (one RtlRun per run, wall s)."""
    if sim not in SIMS:
        raise ValueError(f"sim must be one of {SIMS}, not {sim!r}")
    from .build import run_top

    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="spw_rtl_")
        workdir = tmp.name
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    job, res = wd / "job.pkl", wd / "result.pkl"
    with open(job, "wb") as f:
        pickle.dump({"runs": [r.__dict__ for r in runs], "progress": progress}, f)
    res.unlink(missing_ok=True)
    try:
        run_top(cfg, "rtlsim.job_cocotb", wd, sim=sim,
                extra_env={"SPW_JOB": str(job), "SPW_RESULT": str(res),
                           "COCOTB_LOG_LEVEL": "INFO" if verbose else "WARNING",
                           "GPI_LOG_LEVEL": "INFO" if verbose else "WARNING"})
        with open(res, "rb") as f:
            out = pickle.load(f)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return out["results"], out["wall_s"]


def amem_from_dump(cfg: spec.Config, run: RtlRun) -> np.ndarray:
    """The full AMem image of a full_image_run's result."""
    (amem,) = run.dumps
    assert amem.shape == (cfg.adepth, cfg.rows)
    return amem
