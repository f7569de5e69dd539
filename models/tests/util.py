"""Shared helpers for the model tests: random operands with chosen sparsity,
an independent program builder, and compile-and-run shortcuts."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from models import compiler, iss, reference
from models.isa import encode
from models.memory import Memories
from models.spec import BIAS_MAX, BIAS_MIN, Config, Op, W_MAX, W_MIN

# A deliberately tiny configuration: memories small enough that random
# programs stay cheap, still legal per Config.check().
TINY = Config("tiny", rows=8, cols=8, adepth=64, wdepth=64, idepth=32)
TINY.check()

NONZERO_W = np.array([v for v in range(W_MIN, W_MAX + 1) if v])
SPARSITY = ("dense", "dw", "unstructured", "zero_in", "zero_groups", "extreme_neg",
            "extreme_pos")


def make_operands(seed: int, cin: int, h: int, w: int, cout: int, k: int, kind: str,
                  cols: int, taps_kept: int | None = None):
    """x (cin,h,w) in [0,15] and w (cout,cin,k,k) in [-8,7] with a sparsity kind.
    Independent of models.stimulus.draw_weights on purpose."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, size=(cin, h, w))
    x = x * (rng.random(x.shape) >= rng.uniform(0, 0.6))
    wt = rng.integers(W_MIN, W_MAX + 1, size=(cout, cin, k, k))
    if kind == "dense":
        wt = rng.choice(NONZERO_W, size=wt.shape)
    elif kind == "dw":
        kept = taps_kept if taps_kept is not None else int(rng.integers(1, 10))
        kept = min(kept, k * k)
        mask = np.zeros((cin, k * k), bool)
        for ci in range(cin):
            mask[ci, rng.choice(k * k, kept, replace=False)] = True
        wt = np.where(mask.reshape(1, cin, k, k), rng.choice(NONZERO_W, size=wt.shape), 0)
    elif kind == "unstructured":
        wt = wt * (rng.random(wt.shape) >= rng.uniform(0.2, 0.97))
    elif kind == "zero_in":
        z = rng.random(cin) < 0.5
        wt[:, z] = 0
        x[rng.random(cin) < 0.3] = 0          # all-zero input channels too
    elif kind == "zero_groups":
        for g in range(0, cout, cols):
            if rng.random() < 0.5:
                wt[g:g + cols] = 0
    elif kind == "extreme_neg":
        x = np.full((cin, h, w), 15)
        wt = np.full((cout, cin, k, k), W_MIN)
    elif kind == "extreme_pos":
        x = np.full((cin, h, w), 15)
        wt = np.full((cout, cin, k, k), W_MAX)
    else:
        raise ValueError(kind)
    return x.astype(np.int64), wt.astype(np.int64)


def pick_scale_shift(acc: np.ndarray, rng: np.random.Generator) -> tuple[int, int]:
    """scale/shift mapping the positive range of acc to roughly [0, 20]."""
    top = max(1, int(acc.max(initial=1)))
    shift = int(rng.integers(6, 16))
    scale = int(min(65535, max(0, round(20 * 2 ** shift / top * rng.uniform(0.3, 1.5)))))
    return scale, shift


def random_bias(rng: np.random.Generator, cout: int) -> np.ndarray:
    if rng.random() < 0.2:
        return rng.integers(BIAS_MIN, BIAS_MAX + 1, size=cout)
    return rng.integers(-200, 201, size=cout)


def run_layer(cfg, x, w, bias=None, scale=1, shift=0, mode="act", stride=1):
    prog = compiler.compile_layer(cfg, x.shape, w, bias, scale, shift, mode, stride)
    mem = prog.memories({"x": x})
    res = iss.run(mem, prog.start_pc)
    return prog, mem, res


def valid_step_counts(w: np.ndarray, cols: int) -> list[int]:
    """Valid (ci, tap) steps per output group, counted independently."""
    cout, cin, k, _ = w.shape
    out = []
    for g in range(0, cout, cols):
        blk = w[g:g + cols]                       # (n, cin, k, k)
        out.append(int(np.count_nonzero(np.any(blk != 0, axis=0))))
    return out


# --- hand-built programs ------------------------------------------------------
class Prog:
    """A program as a list of 64-bit words, built instruction by instruction."""

    def __init__(self):
        self.words: list[int] = []

    def __len__(self):
        return len(self.words)

    def add(self, op: Op, **f) -> int:
        self.words.append(encode(op, **f))
        return len(self.words) - 1

    def raw(self, word: int) -> int:
        self.words.append(int(word))
        return len(self.words) - 1

    def layer(self, h, w, ostride, ndense, mode=0, has_bias=0, scale=1, shift=0, stride2=0) -> int:
        pc = self.add(Op.LAYER, H=h, W=w, OSTRIDE=ostride, NDENSE=ndense, MODE=mode,
                      HAS_BIAS=has_bias, STRIDE2=stride2)
        self.add(Op.LAYERQ, SCALE=scale, SHIFT=shift)
        return pc

    def group(self, oaddr, ncols, wbase, nsteps) -> int:
        return self.add(Op.GROUP, OADDR=oaddr, NCOLS=ncols, WBASE=wbase, NSTEPS=nsteps)

    def step(self, tap, caddr) -> int:
        return self.add(Op.STEP, TAP=tap, CADDR=caddr)

    def end(self) -> int:
        return self.add(Op.END)

    def memories(self, cfg, amem=None, wmem=None, start_pc: int = 0) -> Memories:
        mem = Memories(cfg)
        if amem is not None:
            mem.amem[:] = amem
        if wmem is not None:
            mem.wmem[:] = wmem
        mem.imem[start_pc:start_pc + len(self.words)] = np.array(self.words, np.uint64)
        return mem


def chained_reference(inputs: dict, layers) -> dict:
    """Run a list of compiler.LayerDef on the direct reference."""
    t = dict(inputs)
    for ld in layers:
        x = np.concatenate([t[s] for s in ld.inputs], axis=0)
        t[ld.name] = reference.layer(x, ld.w, ld.bias, ld.scale, ld.shift, ld.mode, stride=ld.stride)
    return t


@st.composite
def seeds(draw):
    return draw(st.integers(0, 2 ** 32 - 1))


# --- random networks ------------------------------------------------------------
def random_network(seed: int, cfg, n_layers: int, max_hw: int = 9, max_c: int | None = None,
                   acc_last: bool | None = None):
    """A random multi-layer network on one grid: layers read one or two earlier
    tensors (channel concatenation), some are residuals (identity weights on
    the extra input channels), K in {1, 3} mixed.  Returns (h, w, inputs,
    layers, chained reference tensors)."""
    from models.compiler import LayerDef
    rng = np.random.default_rng(seed)
    max_c = max_c or cfg.cols + 3
    h, w = int(rng.integers(1, max_hw + 1)), int(rng.integers(1, max_hw + 1))
    n_in = int(rng.integers(1, 3))
    inputs = {f"in{i}": int(rng.integers(1, max_c + 1)) for i in range(n_in)}
    vals = {n: rng.integers(0, 16, size=(c, h, w)) for n, c in inputs.items()}
    chans = dict(inputs)
    layers = []
    for i in range(n_layers):
        names = list(chans)
        if len(names) >= 2 and rng.random() < 0.6:
            srcs = [str(s) for s in rng.choice(names, 2, replace=False)]
        else:
            srcs = [str(rng.choice(names))]
        cin = sum(chans[s] for s in srcs)
        k = int(rng.choice([1, 3]))
        residual = len(srcs) == 2 and rng.random() < 0.5
        cout = chans[srcs[1]] if residual else int(rng.integers(1, max_c + 1))
        kind = str(rng.choice(["dense", "dw", "unstructured", "zero_groups"]))
        _, wt = make_operands(int(rng.integers(1 << 30)), cin, 1, 1, cout, k, kind, cfg.cols)
        if residual:
            ca = chans[srcs[0]]
            wt[:, ca:] = 0
            for co in range(cout):
                wt[co, ca + co, k // 2, k // 2] = 1
        bias = random_bias(rng, cout) if rng.random() < 0.4 else None
        last = i == n_layers - 1
        mode = "acc" if last and (acc_last if acc_last is not None else rng.random() < 0.3) else "act"
        x = np.concatenate([vals[s] for s in srcs])
        acc = reference.layer(x, wt, bias, mode="acc")
        scale, shift = pick_scale_shift(acc, rng)
        ld = LayerDef(f"t{i}", srcs, wt, bias, scale, shift, mode)
        layers.append(ld)
        vals[ld.name] = reference.layer(x, wt, bias, scale, shift, mode)
        if mode == "act":
            chans[ld.name] = cout
    return h, w, inputs, layers, vals
