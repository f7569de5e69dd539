"""The RTL backend of the host runtime (models/runtime.py): a partition
plan's programs on spw_top, each checked against the golden model.

One simulator launch per group of the plan: a group's steps read only host
tensors of earlier groups, so all their transfers are known before the
launch and the runs go back to back in one simulation (rtlsim.job), which
keeps its memories between runs as a device would.  Within a launch each
run writes exactly the host's transfers for its step, so a skipped
(resident) program, weight image or input is really absent.  A new
simulation starts with empty memories, so the launch's first run loads
the device state the previous launches left (the golden device's image):
that restores the residency the plan relies on across groups, and defines
every AMem word so the whole AMem can be compared.

Every run's AMem and counters are compared with the golden model's run of
the same program on the same memories (rtlsim.outcome.check_run, which
raises Mismatch).  The host then reads its outputs from the RTL's AMem.
"""
from __future__ import annotations

import numpy as np

from models import iss
from models.runtime import GoldenBackend, apply_writes
from models.spec import Config

from .job import Run, full_image_run, run_on_rtl
from .outcome import check_run

__all__ = ["RtlBackend"]


class RtlBackend:
    name = "rtl"

    def __init__(self, cfg: Config, sim: str = "icarus", workdir=None, verbose: bool = False):
        self.cfg, self.sim, self.workdir, self.verbose = cfg, sim, workdir, verbose
        self.golden = GoldenBackend(cfg)       # the device as the golden model sees it
        self.launch_wall_s: list[float] = []

    def run_launch(self, items: list[tuple]) -> list[tuple]:
        """Per step: the RTL's outcome, the RTL's AMem after the run, and
        the golden model's RunResult (its per-layer trace)."""
        mem = self.golden.mem
        runs: list[Run] = []
        expected: list[tuple[iss.RunResult, np.ndarray]] = []
        for i, (step, writes) in enumerate(items):
            apply_writes(mem, writes)
            if i == 0:
                # a copy: the run below updates mem in place before the job is written
                run = full_image_run(mem.copy(), step.prog.start_pc)
            else:
                run = Run(writes=list(writes), start_pc=step.prog.start_pc)
            run.dumps = [(0, self.cfg.adepth)]
            runs.append(run)
            res = iss.run(mem, step.prog.start_pc)
            # a run that hangs fails after twice the cycles the model predicts, not the driver's default
            run.max_cycles = 2 * res.cycles + 1000
            expected.append((res, mem.amem.copy()))
        got, wall = run_on_rtl(self.cfg, runs, self.sim, workdir=self.workdir, verbose=self.verbose)
        self.launch_wall_s.append(wall)
        out = []
        for (step, _), (res, amem), r in zip(items, expected, got):
            check_run(f"step {step.index} ({step.label()}, rows {step.rows[0]}..{step.rows[1] - 1})",
                      res, amem, r.outcome, r.dumps[0], step.prog)
            out.append((r.outcome, r.dumps[0], res))
        return out
