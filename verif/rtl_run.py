"""Run programs on the RTL simulation from plain Python (no pytest): the
engine behind `python -m models run --backend rtl` and `make demo`.

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

SIMS = ("icarus", "verilator")
SOURCES = ["spw_top", "spw_host_if", "spw_sequencer", "spw_lane_tracker", "spw_aligner",
           "spw_mac_array", "spw_drain", "spw_requant", "spw_sram_1p", "spw_sram_1r1w"]


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


def run_on_rtl(cfg: spec.Config, runs: list[Run], sim: str = "icarus", progress: bool = False,
               workdir: str | os.PathLike | None = None, verbose: bool = False) -> tuple[list[dict], float]:
    """Execute runs in one simulation.  Returns ([{outcome, dumps}], wall s).
    outcome holds status, err, err_pc, cycles, mac_busy, skipped, stall."""
    if sim not in SIMS:
        raise ValueError(f"sim must be one of {SIMS}, not {sim!r}")
    from verif.common.runner import hdl_sources, run_cocotb

    params = {"ROWS": cfg.rows, "COLS": cfg.cols, "ADEPTH": cfg.adepth, "WDEPTH": cfg.wdepth,
              "IDEPTH": cfg.idepth, "ACC_W": cfg.acc_w}
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
        run_cocotb(toplevel="spw_top", sources=hdl_sources(*SOURCES),
                   test_module="verif.system.run_program", test_dir=wd, parameters=params, sim=sim,
                   vpi_public=Path(__file__).resolve().parent / "common" / "spw_top_public.vlt",
                   extra_env={"SPW_CONFIG": cfg.name, "SPW_JOB": str(job), "SPW_RESULT": str(res),
                              "COCOTB_LOG_LEVEL": "INFO" if verbose else "WARNING",
                              "GPI_LOG_LEVEL": "INFO" if verbose else "WARNING"})
        with open(res, "rb") as f:
            out = pickle.load(f)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return out["results"], out["wall_s"]


def amem_from_dump(cfg: spec.Config, result: dict) -> np.ndarray:
    """The full AMem image of a full_image_run result."""
    (amem,) = result["dumps"]
    assert amem.shape == (cfg.adepth, cfg.rows)
    return amem
