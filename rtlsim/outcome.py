"""What an RTL run ends with, and the one comparison of an RTL run with the
golden model.

``RtlOutcome`` is read over the host interface at the end of a run (STATUS,
ERR_CODE, ERR_PC, the performance counters, IRQ_STATUS).  It compares
directly with the golden model's ``iss.RunResult``: ``outcome == result``
is true when every register a host can read after the run holds what the
cycle model predicts, which makes the run cycle-exact.

``compare_run`` is the only place where an RTL run is checked against the
golden model: the benches, the CLI's ``rtl`` backend, the soak, the demo
and the benchmarks all call it (or ``check_run``, which raises).  Its diff
names every difference in model terms: which counter, which tensor,
channel and pixel.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from models import iss, spec
from models.memory import num_tiles

__all__ = ["RtlOutcome", "RtlRun", "Mismatch", "amem_diff", "compare_run", "check_run"]


@dataclass(frozen=True)
class RtlOutcome:
    """The host-visible end state of one run (register values)."""
    status: int
    err: int
    err_pc: int
    cycles: int
    mac_busy: int
    skipped: int
    stall: int
    irq_status: int

    @classmethod
    def expected(cls, res: iss.RunResult) -> RtlOutcome:
        """What the registers must hold after the golden model's run ``res``
        (with both interrupts enabled, as ``TopDriver.run`` does)."""
        err = int(res.err)
        return cls(status=spec.STATUS_DONE | (spec.STATUS_ERROR if err else 0), err=err,
                   err_pc=res.err_pc, **res.counters(),
                   irq_status=spec.IRQ_DONE | (spec.IRQ_ERROR if err else 0))

    def counters(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in spec.PERF_COUNTERS}

    def diff(self, other: RtlOutcome | iss.RunResult) -> list[str]:
        """'cycles: rtl 120 golden 118' for each register that differs."""
        exp = RtlOutcome.expected(other) if isinstance(other, iss.RunResult) else other
        return [f"{f.name}: rtl {getattr(self, f.name)} golden {getattr(exp, f.name)}"
                for f in fields(self) if getattr(self, f.name) != getattr(exp, f.name)]

    def __eq__(self, other) -> bool:
        if not isinstance(other, (RtlOutcome, iss.RunResult)):
            return NotImplemented
        return not self.diff(other)

    __hash__ = None   # equal to RunResults, which are not hashable


@dataclass
class RtlRun:
    """One run of a job (``rtlsim.job``): its outcome, the AMem ranges it
    dumped afterwards as (words, rows) nibble arrays, and the wall time from
    START to the counters read."""
    outcome: RtlOutcome
    dumps: list[np.ndarray] = field(default_factory=list)
    wall_s: float = 0.0


class Mismatch(AssertionError):
    """An RTL run differs from the golden model; the message lists how."""


def _locate(prog, addr: int) -> tuple[str, int, int, int, int, int] | None:
    """(tensor, channel, tile, nibble plane, tensor H, tensor W) of AMem
    word ``addr`` in the compiled program ``prog``, or None.  Each tensor
    has its own H x W (a stride-2 layer's output is smaller)."""
    if prog is None:
        return None
    for t in prog.tensors.values():
        if t.base <= addr < t.base + t.channels * t.stride:
            ch, word = divmod(addr - t.base, t.stride)
            tile, plane = divmod(word, spec.ACC_WORDS_PER_TILE) if t.mode == "acc" else (word, 0)
            if tile < num_tiles(t.h, t.w, prog.cfg.rows):
                return t.name, ch, tile, plane, t.h, t.w
    return None


def amem_diff(expected: np.ndarray, got: np.ndarray, prog=None, base: int = 0,
              max_lines: int = 24) -> list[str]:
    """One line per differing lane of the AMem words ``base ..``:
    "layer 'y' ch 3 pixel (y=2,x=5) [word 0x12 lane 4]: expected 7 got 6"."""
    if expected.shape != got.shape:
        return [f"AMem dump of {got.shape} words x lanes, expected {expected.shape}"]
    lines: list[str] = []
    bad_words = np.nonzero((expected != got).any(axis=1))[0]
    rows = expected.shape[1]
    for i in bad_words:
        a = base + int(i)
        loc = _locate(prog, a)
        for r in np.nonzero(expected[i] != got[i])[0]:
            if loc is None:
                where = f"AMem word {a:#x} (no tensor) lane {r}"
            else:
                name, ch, tile, plane, th, tw = loc
                p = tile * rows + int(r)
                yx = f"(y={p // tw},x={p % tw})" if p < th * tw else "(padding)"
                pl = f" nibble plane {plane}" if plane else ""
                where = f"layer {name!r} ch {ch} pixel {yx}{pl} [word {a:#x} lane {r}]"
            lines.append(f"{where}: expected {int(expected[i, r])} got {int(got[i, r])}")
            if len(lines) >= max_lines:
                lines.append(f"... ({len(bad_words)} words differ in all)")
                return lines
    return lines


def compare_run(expected: iss.RunResult, exp_amem: np.ndarray | None, got: RtlOutcome,
                got_amem: np.ndarray | None, prog=None, base: int = 0,
                max_lines: int = 24) -> list[str]:
    """Every difference between an RTL run and the golden model's run, one
    readable line each; empty when they agree.  ``exp_amem`` / ``got_amem``
    are the AMem words ``base ..`` after the run (None: registers only)."""
    problems = got.diff(expected)
    if (exp_amem is None) != (got_amem is None):
        raise ValueError("compare_run: give both AMem images or neither")
    if exp_amem is not None:
        diff = amem_diff(exp_amem, got_amem, prog, base, max_lines)
        if diff:
            n = int((exp_amem != got_amem).any(axis=1).sum()) if exp_amem.shape == got_amem.shape else "all"
            problems.append(f"AMem differs in {n} words:")
            problems += ["  " + d for d in diff]
    return problems


def check_run(name: str, expected: iss.RunResult, exp_amem: np.ndarray | None, got: RtlOutcome,
              got_amem: np.ndarray | None, prog=None, base: int = 0, log=None) -> None:
    """``compare_run``, raising ``Mismatch`` with the readable report."""
    problems = compare_run(expected, exp_amem, got, got_amem, prog, base)
    if problems:
        msg = f"{name}: RTL differs from the golden model\n" + "\n".join(problems)
        if log is not None:
            log.error(msg)
        raise Mismatch(msg)
    if log is not None:
        log.info("%s: AMem and counters match the golden model (%s)", name,
                 ", ".join(f"{k}={v}" for k, v in expected.counters().items()))
