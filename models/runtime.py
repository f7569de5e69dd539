"""Host runtime: executes a partition ``Plan`` (models/partition.py) on a
backend, holding the tensors between programs, and counts the words it
moves over the host bus.

For each group of the plan the runtime builds every step's transfers from
the host tensors (program, weights, input rows), hands the group's steps to
the backend as one launch, and reads back the kept output rows of each
step into the host tensors.  A group's steps depend only on tensors of
earlier groups, so a backend may run them back to back without returning
to the host (the RTL backend: one simulator start per group).

Backends:
* ``GoldenBackend``: one device's memories, each program run by
  ``models.iss.run``.  The device keeps its memories between steps, so a
  transfer the plan skips (a resident program, weights or input rows) is
  really missing from the writes: a wrong skip shows up as wrong outputs.
* ``rtlsim.runtime.RtlBackend``: the same steps on the RTL, every program's
  AMem and counters checked against this golden backend's run.

The assembled outputs are compared (``check=True``) with
``partition.reference_network``: the network layer by layer on full
tensors, with no partitioning.

Command line (a demo network scaled to the configuration, partitioned,
run and checked, with a table of steps, cycles and words moved):

    python -m models.runtime [--config small|chip] [--backend golden|rtl] [--sim icarus|verilator]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import iss, reference
from .compiler import CompileError, LayerDef, check_activations
from .memory import Memories, store_act
from .partition import WORD_KINDS, Keep, Plan, Step, plan_network, reference_network
from .spec import (ACC_WORDS_PER_TILE, ACT_BITS, BIAS_MAX, BIAS_MIN, INSTR_BITS, SCALE_MAX, Config, get_config,
                   slots_per_word)

__all__ = ["GoldenBackend", "Report", "StepReport", "RuntimeMismatch", "execute", "step_writes",
           "read_keep", "apply_writes", "bus_beats", "demo_network", "main"]


class RuntimeMismatch(AssertionError):
    """The partitioned run's outputs differ from the whole-network reference."""


@dataclass
class StepReport:
    step: int
    group: int
    label: str
    rows: tuple[int, int]
    band: tuple[int, int]
    counters: dict[str, int]
    words: dict[str, int]
    # the golden model's per-layer trace of the program (decode cycle of
    # each LAYER word, cycle of its last write): per-layer cycles
    layers: list = field(default_factory=list)

    def layer_cycles(self) -> list[int]:
        """Busy cycles of each layer of the program: from its LAYER word's
        decode to the next one's; the first layer from the run's start (the
        fetch of its LAYER word), the last one to the run's end."""
        starts = [0] + [t.start for t in self.layers[1:]] + [self.cycles]
        return [b - a for a, b in zip(starts, starts[1:])]

    @property
    def cycles(self) -> int:
        return self.counters["cycles"]


@dataclass
class Report:
    backend: str
    outputs: dict[str, np.ndarray]
    steps: list[StepReport] = field(default_factory=list)
    launches: int = 0
    wall_s: float = 0.0

    @property
    def cycles(self) -> int:
        return sum(s.cycles for s in self.steps)

    @property
    def words(self) -> dict[str, int]:
        tot = dict.fromkeys(WORD_KINDS, 0)
        for s in self.steps:
            for k, v in s.words.items():
                tot[k] += v
        return tot


# ---------------------------------------------------------------------------
# Transfers
# ---------------------------------------------------------------------------
def step_writes(step: Step, host: dict[str, np.ndarray], cfg: Config) -> list[tuple[str, int, object]]:
    """The host's writes before starting `step`: (memory, start word, data),
    data as rtlsim.job.Run takes it (IMem: ints; AMem/WMem: nibble arrays).
    Transfers the plan marks resident are left out."""
    p = step.prog
    out: list[tuple[str, int, object]] = []
    if step.imem_words:
        out.append(("imem", p.start_pc, [int(v) for v in p.imem]))
    if step.wmem_words:
        out.append(("wmem", 0, np.array(p.wmem, np.uint8)))
    for ld in step.loads:
        if ld.resident:
            continue
        a, b = ld.rows
        block = np.zeros((ld.channels * ld.stride, cfg.rows), np.uint8)
        store_act(block, 0, ld.stride, host[ld.tensor][:, a:b])
        out.append(("amem", ld.base, block))
    return out


def apply_writes(mem: Memories, writes) -> None:
    for name, start, data in writes:
        if name == "imem":
            mem.imem[start:start + len(data)] = np.array(data, np.uint64)
        else:
            getattr(mem, name)[start:start + len(data)] = data


def read_keep(amem: np.ndarray, step: Step, keep: Keep) -> np.ndarray:
    """The kept rows of one output tensor of a finished step, (channels,
    rows, W), from exactly the AMem words the keep names."""
    rows, w = amem.shape[1], keep.w
    t = step.prog.tensors[keep.tensor]
    ch = t.channels
    idx = t.base + np.arange(ch)[:, None] * t.stride + keep.word0 + np.arange(keep.nwords)[None, :]
    words = amem[idx]                                          # (ch, nwords, rows)
    if keep.mode == "acc":
        nib = words.reshape(ch, -1, ACC_WORDS_PER_TILE, rows).astype(np.uint64)
        shifts = (np.arange(ACC_WORDS_PER_TILE, dtype=np.uint64) * ACT_BITS)[None, None, :, None]
        flat = (nib << shifts).sum(axis=2).astype(np.uint32).view(np.int32).reshape(ch, -1)
        first = keep.word0 // ACC_WORDS_PER_TILE * rows
    else:
        flat = words.reshape(ch, -1)
        first = keep.word0 * rows
    n = keep.rows[1] - keep.rows[0]
    off = keep.src_row * w - first
    return flat[:, off:off + n * w].reshape(ch, n, w).astype(np.int64)


def bus_beats(cfg: Config, words: dict[str, int]) -> int:
    """32-bit AXI4-Lite transfers for the given word counts (a memory word
    takes a power-of-two number of 32-bit slots)."""
    a = slots_per_word(cfg.rows * ACT_BITS)
    return (words["imem"] * slots_per_word(INSTR_BITS) + words["wmem"] * slots_per_word(cfg.cols * ACT_BITS)
            + (words["amem_write"] + words["amem_read"]) * a)


# ---------------------------------------------------------------------------
# Golden backend and the executor
# ---------------------------------------------------------------------------
class GoldenBackend:
    """One device's memories; each program through the instruction-level
    simulator.  run_launch returns, per step, the RunResult, the AMem
    image after the run and the golden RunResult (here the same one)."""
    name = "golden"

    def __init__(self, cfg: Config):
        self.mem = Memories(cfg)

    def run_launch(self, items: list[tuple[Step, list]]) -> list[tuple[iss.RunResult, np.ndarray, iss.RunResult]]:
        out = []
        for step, writes in items:
            apply_writes(self.mem, writes)
            res = iss.run(self.mem, step.prog.start_pc)
            out.append((res, self.mem.amem.copy(), res))
        return out


def _check_inputs(plan: Plan, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    extra = set(inputs) - set(plan.inputs)
    if extra:
        raise CompileError(f"input {sorted(extra)[0]!r} is not an input of the network")
    host = {}
    for name, ch in plan.inputs.items():
        if name not in inputs:
            raise CompileError(f"input tensor {name!r} not given")
        x = check_activations(f"input {name!r}", inputs[name])
        if x.shape != (ch, plan.h, plan.w):
            raise CompileError(f"input {name!r}: shape {x.shape}, the network expects {(ch, plan.h, plan.w)}")
        host[name] = x
    return host


def execute(plan: Plan, inputs: dict[str, np.ndarray], backend=None, check: bool = True,
            progress=None) -> Report:
    """Run the plan on `backend` (default: GoldenBackend), one launch per
    group.  Returns the network outputs, per-step counters and bus words.
    With check, the outputs must equal reference_network bit for bit
    (RuntimeMismatch otherwise).  progress(n) is called after each launch
    with the number of steps it ran."""
    backend = backend or GoldenBackend(plan.cfg)
    host = _check_inputs(plan, inputs)
    filled: dict[str, np.ndarray] = {}
    for name, (ch, _) in plan.host.items():
        if name not in host:
            h, w = plan.grid[name]
            host[name] = np.zeros((ch, h, w), np.int64)
            filled[name] = np.zeros((ch, h), np.int64)
    rep = Report(getattr(backend, "name", type(backend).__name__), {})
    t0 = time.time()
    for grp in plan.groups:
        steps = [plan.steps[i] for i in grp.steps]
        items = [(st, step_writes(st, host, plan.cfg)) for st in steps]
        results = backend.run_launch(items)
        rep.launches += 1
        for (st, writes), (res, amem, golden) in zip(items, results):
            if int(res.err):
                raise RuntimeError(f"step {st.index} ({st.label()}): the program faulted, "
                                   f"{int(res.err)} at PC {res.err_pc}")
            words = dict.fromkeys(WORD_KINDS, 0)
            for name, _, data in writes:
                words["amem_write" if name == "amem" else name] += len(data)
            for k in st.keeps:
                y = read_keep(amem, st, k)
                words["amem_read"] += y.shape[0] * k.nwords
                host[k.tensor][k.channels[0]:k.channels[1], k.rows[0]:k.rows[1]] = y
                filled[k.tensor][k.channels[0]:k.channels[1], k.rows[0]:k.rows[1]] += 1
            rep.steps.append(StepReport(st.index, st.group, st.label(), st.rows, st.band,
                                        res.counters(), words, list(golden.layers)))
        if progress is not None:
            progress(len(steps))
    rep.wall_s = time.time() - t0
    for name, f in filled.items():
        if not (f == 1).all():
            c, y = np.argwhere(f != 1)[0]
            raise RuntimeError(f"tensor {name!r} ch {c} row {y} was written {f[c, y]} times by the plan")
    rep.outputs = {o: host[o] for o in plan.outputs}
    if check:
        ref = reference_network(plan.layers, {n: host[n] for n in plan.inputs})
        for o in plan.outputs:
            bad = np.argwhere(rep.outputs[o] != ref[o])
            if len(bad):
                c, y, x = bad[0]
                raise RuntimeMismatch(f"output {o!r}: {len(bad)} values differ from the whole-network "
                                      f"reference, first ch {c} (y={y},x={x}): partitioned "
                                      f"{rep.outputs[o][c, y, x]} reference {ref[o][c, y, x]}")
    return rep


# ---------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------
def demo_network(cfg: Config, seed: int = 1):
    """An inverted-residual-like block that needs every kind of split on
    `cfg`: H, W, input tensors, layers.  Channels scale with COLS, the
    image with the memories.  expand (1x1) and dw (3x3, 3 of 9 taps kept)
    overflow AMem (bands); mix (3x3 over [dw, x]) overflows WMem (two
    output-channel slices) and AMem; head is an acc-mode 1x1 classifier."""
    from . import stimulus as S

    rng = np.random.default_rng(seed)
    c = cfg.cols
    h, w = (48, 16) if cfg.rows == 8 else (64, 32)
    x = rng.integers(0, 16, size=(2 * c, h, w)) * (rng.random((2 * c, h, w)) > 0.3)
    vals = {"x": x}
    layers = []

    def add(name, srcs, k, cout, kind, mode="act", **kw):
        xin = np.concatenate([vals[s] for s in srcs])
        wt = S.draw_weights(rng, cout, len(xin), k, c, kind=kind, **kw)
        acc = reference.layer(xin, wt, mode="acc")
        # centre each channel's accumulators, so the ReLU keeps about half
        bias = np.clip(-np.median(acc, axis=(1, 2)) + rng.integers(-40, 41, size=cout), BIAS_MIN, BIAS_MAX)
        bias = bias.astype(np.int64)
        acc = acc + bias[:, None, None]
        scale, shift = 1, 0
        if mode == "act":      # spread the positive accumulators over [0, 15]
            shift = 12
            pos = acc[acc > 0]
            span = max(1.0, float(np.percentile(pos, 90))) if pos.size else 1.0
            scale = int(np.clip(round(14 * 2 ** shift / span), 1, SCALE_MAX))
        layers.append(LayerDef(name, srcs, wt, bias, scale, shift, mode))
        vals[name] = acc if mode == "acc" else reference.requantize(acc, scale, shift)

    add("expand", ["x"], 1, 8 * c, "dense")
    add("dw", ["expand"], 3, 8 * c, "dw", taps_kept=3)
    add("mix", ["dw", "x"], 3, 8 * c, "random")
    add("head", ["mix"], 1, 10, "dense", mode="acc")
    return h, w, {"x": x}, layers


def _group_rows(plan: Plan, rep: Report) -> list[str]:
    out = ["| group | layers | split | steps | cycles | IMem | WMem | AMem wr | AMem rd |",
           "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for g in plan.groups:
        srs = [rep.steps[i] for i in g.steps]
        words = {k: sum(s.words[k] for s in srs) for k in WORD_KINDS}
        split = {"whole": "whole image"}.get(g.order, "")
        if g.order != "whole":
            parts = []
            if len(g.bands) > 1:
                parts.append(f"{len(g.bands)} bands")
            if g.slices:
                parts.append(f"{len(g.slices)} slices")
            split = " x ".join(parts) + (f" ({g.order})" if len(parts) == 2 else "")
        out.append(f"| {g.index} | {', '.join(g.layers)} | {split} | {len(g.steps)} | "
                   f"{sum(s.cycles for s in srs)} | {words['imem']} | {words['wmem']} | "
                   f"{words['amem_write']} | {words['amem_read']} |")
    t = rep.words
    out.append(f"| total | | | {len(rep.steps)} | {rep.cycles} | {t['imem']} | {t['wmem']} | "
               f"{t['amem_write']} | {t['amem_read']} |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.runtime", description=(
        "Partition the demo network for a configuration, run it on the golden model or the RTL, "
        "check it against the whole-network reference and print steps, cycles and bus words."))
    ap.add_argument("--config", default="small", choices=("small", "chip"))
    ap.add_argument("--backend", default="golden", choices=("golden", "rtl"))
    ap.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", action="store_true", help="also print one row per step")
    a = ap.parse_args(argv)
    cfg = get_config(a.config)
    h, w, x, layers = demo_network(cfg, a.seed)
    t0 = time.time()
    plan = plan_network(cfg, h, w, {n: len(v) for n, v in x.items()}, layers)
    t_plan = time.time() - t0
    if a.backend == "rtl":
        from rtlsim.runtime import RtlBackend     # needs cocotb
        backend = RtlBackend(cfg, a.sim)
    else:
        backend = GoldenBackend(cfg)
    rep = execute(plan, x, backend)
    shapes = ", ".join(f"{ld.name} {ld.w.shape[1]}->{ld.w.shape[0]} K={ld.w.shape[2]}"
                       f"{' acc' if ld.mode == 'acc' else ''}" for ld in layers)
    print(f"config {cfg.name}: H x W = {h} x {w}, x {len(x['x'])} ch; {shapes}")
    print(f"plan: {len(plan.groups)} groups, {len(plan.steps)} steps ({t_plan:.1f} s); "
          f"backend {rep.backend}{' (' + a.sim + ')' if a.backend == 'rtl' else ''}: "
          f"{rep.launches} launches, {rep.wall_s:.1f} s")
    print()
    print("\n".join(_group_rows(plan, rep)))
    if a.steps:
        print()
        print(plan.table())
    print()
    print(f"bus: {sum(rep.words.values())} words, {bus_beats(cfg, rep.words)} 32-bit transfers; "
          f"cycles {rep.cycles}")
    print("outputs equal the whole-network reference bit for bit"
          + ("; every program's AMem and counters equal the golden model's" if a.backend == "rtl" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
