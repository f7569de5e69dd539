"""Scoreboard: compares the RTL's final AMem and counters with the golden
model (models/iss.py) and explains every difference in model terms: which
tensor (layer output), channel and pixel, expected and got.
"""
from __future__ import annotations

import numpy as np

from models.compiler import Compiled
from models.memory import num_tiles
from models.spec import ACC_WORDS_PER_TILE

__all__ = ["amem_diff", "check_run"]


def _locate(prog: Compiled | None, addr: int) -> tuple[str, int, int, int] | None:
    """(tensor, channel, tile, plane) of AMem word addr, or None."""
    if prog is None:
        return None
    tiles = num_tiles(prog.h, prog.w, prog.cfg.rows)
    for t in prog.tensors.values():
        if t.base <= addr < t.base + t.channels * t.stride:
            ch, word = divmod(addr - t.base, t.stride)
            if t.mode == "acc":
                tile, plane = divmod(word, ACC_WORDS_PER_TILE)
            else:
                tile, plane = word, 0
            if tile < tiles:
                return t.name, ch, tile, plane
    return None


def amem_diff(expected: np.ndarray, got: np.ndarray, prog: Compiled | None = None,
              max_lines: int = 24) -> list[str]:
    """One line per differing lane: 'layer y ch 3 pixel (y=2,x=5) [word 0x12 lane 4]:
    expected 7 got 6'.  Acc-mode tensors are also compared as int32 values."""
    lines: list[str] = []
    bad_words = np.nonzero((expected != got).any(axis=1))[0]
    rows = expected.shape[1]
    for a in bad_words:
        loc = _locate(prog, int(a))
        for r in np.nonzero(expected[a] != got[a])[0]:
            if loc is None:
                where = f"AMem word {a:#x} (no tensor) lane {r}"
            else:
                name, ch, tile, plane = loc
                p = tile * rows + int(r)
                yx = f"(y={p // prog.w},x={p % prog.w})" if p < prog.h * prog.w else "(padding)"
                pl = f" nibble plane {plane}" if plane else ""
                where = f"layer {name!r} ch {ch} pixel {yx}{pl} [word {a:#x} lane {r}]"
            lines.append(f"{where}: expected {int(expected[a, r])} got {int(got[a, r])}")
            if len(lines) >= max_lines:
                lines.append(f"... ({len(bad_words)} words differ in all)")
                return lines
    return lines


def check_run(log, name: str, prog: Compiled | None, exp_amem: np.ndarray, got_amem: np.ndarray,
              exp_counters: dict, got_counters: dict) -> None:
    """Raise AssertionError with a readable report if anything differs."""
    problems = []
    for k, v in exp_counters.items():
        if got_counters.get(k) != v:
            problems.append(f"{k}: expected {v} got {got_counters.get(k)}")
    diff = amem_diff(exp_amem, got_amem, prog)
    if diff:
        problems.append(f"AMem differs in {int((exp_amem != got_amem).any(axis=1).sum())} words:")
        problems += ["  " + d for d in diff]
    if problems:
        msg = f"{name}: RTL differs from the golden model\n" + "\n".join(problems)
        log.error(msg)
        raise AssertionError(msg)
    log.info("%s: AMem and counters match the golden model (%s)", name,
             ", ".join(f"{k}={v}" for k, v in exp_counters.items()))
