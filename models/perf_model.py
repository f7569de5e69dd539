"""Cycle-model predictions: what the ISS says the RTL must take.

    python -m models.perf_model            # markdown tables for docs/architecture.md

The closed form below holds for a dense point-wise layer in act mode whose
tiles are at least as long as the drain (Cin >= COLS, so no drain stall);
the ISS (the general model) is checked against it in models/tests.
"""
from __future__ import annotations

import argparse

import numpy as np

from . import iss
from .compiler import CompileError, compile_layer, useful_macs
from .memory import num_tiles
from .spec import DECODE_PREP, FETCH_LAT, ISSUE_TO_MAC, REQ_LAT, W_MAX, W_MIN, Config, get_config


def dense_pw_cycles(cfg: Config, cin: int, cout: int, h: int, w: int, bias: bool = False) -> int:
    """Busy cycles of one dense PW layer (act mode) followed by END.

    Decode slots: LAYER (+ DECODE_PREP), LAYERQ, then per group GROUP
    (+ DECODE_PREP, + cols/4 BIAS words) and
    T tiles of Cin steps back to back.  The last step of the last tile is
    decoded in slot x_last, does its MAC in x_last + ISSUE_TO_MAC, and the
    drain of its ncols words ends with a write in that + ncols + REQ_LAT; the
    sequencer sees the pipeline empty the cycle after and busy ends after
    that cycle."""
    if cin < cfg.cols:
        raise ValueError(f"Cin={cin} < COLS={cfg.cols}: tiles shorter than their drain stall, "
                         "the closed form does not apply (use the ISS)")
    groups = -(-cout // cfg.cols)
    tiles = num_tiles(h, w, cfg.rows)
    ncols_last = cout - (groups - 1) * cfg.cols
    header = 1 + DECODE_PREP + (cfg.bias_words if bias else 0)
    x_last = FETCH_LAT + 2 + DECODE_PREP + groups * header + groups * tiles * cin - 1
    return x_last + ISSUE_TO_MAC + ncols_last + REQ_LAT + 2


def dense_weights(rng, cout, cin, k):
    """Weights with no zero, so every step is valid."""
    nz = np.array([v for v in range(W_MIN, W_MAX + 1) if v])
    return rng.choice(nz, size=(cout, cin, k, k))


def run_dense(cfg: Config, cin: int, cout: int, h: int, w: int, k: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, size=(cin, h, w))
    wt = dense_weights(rng, cout, cin, k)
    prog = compile_layer(cfg, x.shape, wt, None, 1, 4, "act")
    mem = prog.memories({"x": x})
    res = iss.run(mem)
    assert not res.err
    return {"cycles": res.cycles, "util": useful_macs(prog) / (cfg.rows * cfg.cols * res.cycles),
            "stall": res.stall, "mac_busy": res.mac_busy}


def table(cfg: Config, h: int, w: int, cout: int) -> str:
    lines = [f"Config `{cfg.name}` ({cfg.rows}x{cfg.cols}), H x W = {h} x {w} "
             f"({num_tiles(h, w, cfg.rows)} tiles), Cout = {cout}, act mode, no bias:", "",
             "| Cin | K | cycles | stall | utilization |", "|---:|---:|---:|---:|---:|"]
    for k in (1, 3):
        for cin in (8, 16, 32, 64, 128, 256):
            if k == 3 and cin > 64:
                continue
            try:
                r = run_dense(cfg, cin, cout, h, w, k)
            except CompileError as e:
                lines.append(f"| {cin} | {k} | - | - | does not fit: {str(e).split(':')[0]} |")
                continue
            lines.append(f"| {cin} | {k} | {r['cycles']} | {r['stall']} | {100 * r['util']:.1f}% |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.parse_args(argv)
    print(table(get_config("small"), 8, 16, 16))
    print()
    print(table(get_config("chip"), 32, 32, 64))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
