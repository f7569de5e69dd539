"""Compiler: layers -> IMem program + WMem image (valid words only) + AMem
placement.

A network is a list of stride-1 'same' convolutions on one H x W grid.  Each
layer reads the channel-wise concatenation of one or more earlier tensors
(so a residual add is extra input channels with identity weights) and writes
one new tensor.  Everything the configuration cannot hold is rejected with a
CompileError naming the limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import isa
from .memory import Memories, load_acc, load_act, num_tiles, store_act, words_per_channel
from .shiftpw import dense_steps, valid_steps
from .spec import (ACT_MAX, ACT_MIN, ADDR_FIELD_BITS, BIAS_MAX, BIAS_MIN, BIAS_PER_WORD, FIELDS,
                   DIM_MAX, MODES, SCALE_MAX, SHIFT_MAX, W_MAX, W_MIN, Config, Op)


class CompileError(ValueError):
    """A layer or network the configuration cannot run; the message names the field or limit."""


def _field_max(op: Op, name: str) -> int:
    return next(f.mask for f in FIELDS[op] if f.name == name)


@dataclass
class LayerDef:
    name: str
    inputs: list[str]          # tensors concatenated along channels, in this order
    w: np.ndarray              # (Cout, Cin_total, K, K), integers in [-8, 7]; 0 = pruned
    bias: np.ndarray | None = None
    scale: int = 1
    shift: int = 0
    mode: str = "act"


@dataclass
class TensorInfo:
    name: str
    channels: int
    base: int
    stride: int
    mode: str                  # "act" (4-bit) or "acc" (int32 nibble planes)

    def channel_addr(self, c: int) -> int:
        return self.base + c * self.stride


@dataclass
class LayerStats:
    name: str
    cin: int
    cout: int
    k: int
    tiles: int
    mode: str
    dense_steps: int                       # per tile and group: Cin*K*K
    group_steps: list[int] = field(default_factory=list)   # valid steps per group
    group_cols: list[int] = field(default_factory=list)    # output channels per group
    pc: int = 0                            # IMem address of the LAYER word

    @property
    def stored_words(self) -> int:
        return sum(self.group_steps)

    @property
    def dense_words(self) -> int:
        return self.dense_steps * len(self.group_steps)


@dataclass
class Compiled:
    cfg: Config
    h: int
    w: int
    imem: list[int]
    wmem: np.ndarray                       # (n_words, cols) nibbles
    tensors: dict[str, TensorInfo]
    inputs: list[str]
    outputs: list[str]
    layers: list[LayerStats]
    amem_words: int                        # high-water mark of the allocation
    start_pc: int = 0

    def memories(self, inputs: dict[str, np.ndarray]) -> Memories:
        """Memory images with the program, the weights and the given inputs."""
        mem = Memories(self.cfg)
        mem.imem[self.start_pc:self.start_pc + len(self.imem)] = np.array(self.imem, np.uint64)
        mem.wmem[: len(self.wmem)] = self.wmem
        for name in self.inputs:
            if name not in inputs:
                raise CompileError(f"input tensor {name!r} not given")
            x = np.asarray(inputs[name])
            t = self.tensors[name]
            if x.shape != (t.channels, self.h, self.w):
                raise CompileError(f"input {name!r}: shape {x.shape}, program expects "
                                   f"{(t.channels, self.h, self.w)}")
            store_act(mem.amem, t.base, t.stride, x)
        return mem

    def amem_stack(self, inputs_list: list[dict[str, np.ndarray]]) -> tuple[Memories, np.ndarray]:
        """Memory images for many inputs, as iss.run_batch takes them: one
        Memories (program and weights) and the AMem images stacked."""
        mems = [self.memories(x) for x in inputs_list]
        return mems[0], np.stack([m.amem for m in mems])

    def golden(self, inputs_list: list[dict[str, np.ndarray]], batch: int = 64):
        """The golden model on many inputs: yields (iss.RunResult, AMem
        stack) per `batch` inputs (one iss.run_batch each; the batch bounds
        the stack: 64 AMem images of `chip` are 32 MiB).  The RunResult is
        the same for every batch (cycles do not depend on the data)."""
        from . import iss

        for i0 in range(0, len(inputs_list), batch):
            mem, amems = self.amem_stack(inputs_list[i0:i0 + batch])
            yield iss.run_batch(mem, amems, self.start_pc), amems

    def read(self, amem: np.ndarray, name: str) -> np.ndarray:
        t = self.tensors[name]
        load = load_acc if t.mode == "acc" else load_act
        return load(amem, t.base, t.stride, t.channels, self.h, self.w)


class _Allocator:
    """First-fit over AMem; a tensor is freed after its last reader, so a
    layer's output never overlaps a tensor the same layer reads."""

    def __init__(self, depth: int):
        self.depth = depth
        self.live: dict[str, tuple[int, int]] = {}
        self.high = 0

    def alloc(self, name: str, size: int) -> int:
        spans = sorted(self.live.values())
        at = 0
        for lo, hi in spans:
            if at + size <= lo:
                break
            at = max(at, hi)
        if at + size > self.depth:
            used = sum(hi - lo for lo, hi in spans)
            raise CompileError(f"AMem: tensor {name!r} needs {size} words, {used} of the "
                               f"{self.depth}-word AMem (depth limit) are in use")
        self.live[name] = (at, at + size)
        self.high = max(self.high, at + size)
        return at

    def free(self, name: str) -> None:
        self.live.pop(name, None)


def _check_int_array(name: str, a, lo: int, hi: int) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise CompileError(f"{name}: must be integers, got dtype {a.dtype}")
    if a.size and (a.min() < lo or a.max() > hi):
        bad = a.min() if a.min() < lo else a.max()
        where = tuple(int(i) for i in np.argwhere(a == bad)[0])
        raise CompileError(f"{name}: values must be in [{lo}, {hi}], found {int(bad)} at {where}")
    return a.astype(np.int64)


def check_layer_params(prefix: str, w, bias, scale, shift, mode) -> tuple:
    """Validate one layer's parameters; errors name the field."""
    w = np.asarray(w)
    if w.ndim != 4:
        raise CompileError(f"{prefix}w: shape {w.shape} is not (Cout, Cin, K, K)")
    cout, cin, k, k2 = w.shape
    if k != k2 or k not in (1, 3):
        raise CompileError(f"{prefix}w: kernel {k}x{k2} not supported (K must be 1 or 3)")
    if cout < 1 or cin < 1:
        raise CompileError(f"{prefix}w: shape {w.shape} has no channels")
    w = _check_int_array(f"{prefix}w", w, W_MIN, W_MAX)
    if bias is not None:
        b = np.asarray(bias)
        if b.shape != (cout,):
            raise CompileError(f"{prefix}bias: shape {b.shape}, expected ({cout},)")
        bias = _check_int_array(f"{prefix}bias", b, BIAS_MIN, BIAS_MAX)
    for fname, v, hi in (("scale", scale, SCALE_MAX), ("shift", shift, SHIFT_MAX)):
        a = np.asarray(v)
        if a.shape != () or a.dtype.kind not in "iu" or not 0 <= int(a) <= hi:
            raise CompileError(f"{prefix}{fname}: must be an integer in [0, {hi}], got {v!r}")
    if mode not in MODES:
        raise CompileError(f"{prefix}mode: must be one of {sorted(MODES)}, got {mode!r}")
    return w, bias, int(scale), int(shift), mode


def compile_network(cfg: Config, h: int, w: int, inputs: dict[str, int],
                    layers: list[LayerDef], outputs: list[str] | None = None,
                    start_pc: int = 0, reuse: bool = True) -> Compiled:
    """inputs: tensor name -> channels.  outputs: tensors to keep to the end
    (default: every tensor no later layer reads)."""
    for n, v in (("H", h), ("W", w)):
        if not 1 <= v <= DIM_MAX:
            raise CompileError(f"{n}={v}: image size must be in [1, {DIM_MAX}] (LAYER.{n} field)")
    if not layers:
        raise CompileError("program has no layers")
    rows, cols = cfg.rows, cfg.cols
    tiles = num_tiles(h, w, rows)

    names = list(inputs)
    for ld in layers:
        if ld.name in names:
            raise CompileError(f"layer {ld.name!r}: tensor name already used")
        names.append(ld.name)
    consumers: dict[str, int] = {}
    for i, ld in enumerate(layers):
        for src in ld.inputs:
            consumers[src] = i
    if outputs is None:
        outputs = [ld.name for ld in layers if ld.name not in consumers]
    for o in outputs:
        if o not in names:
            raise CompileError(f"output {o!r} is not a tensor of this program")

    alloc = _Allocator(cfg.adepth)
    tensors: dict[str, TensorInfo] = {}
    for name, ch in inputs.items():
        if ch < 1:
            raise CompileError(f"input {name!r}: channels must be >= 1")
        size = ch * tiles
        tensors[name] = TensorInfo(name, ch, alloc.alloc(name, size), tiles, "act")

    imem: list[int] = []
    wwords: list[np.ndarray] = []
    stats: list[LayerStats] = []
    for i, ld in enumerate(layers):
        pre = f"layer {ld.name!r}: "
        wt, bias, scale, shift, mode = check_layer_params(pre, ld.w, ld.bias, ld.scale, ld.shift, ld.mode)
        cout, cin, k, _ = wt.shape
        srcs = []
        for src in ld.inputs:
            if src not in tensors:
                raise CompileError(f"{pre}input {src!r} is not an earlier tensor")
            if tensors[src].mode != "act":
                raise CompileError(f"{pre}input {src!r} is an acc-mode tensor; layers read 4-bit activations")
            srcs += [tensors[src].channel_addr(c) for c in range(tensors[src].channels)]
        if len(srcs) != cin:
            raise CompileError(f"{pre}w has Cin={cin} but the inputs {ld.inputs} have {len(srcs)} channels")
        ndense = dense_steps(cin, k)
        if ndense > _field_max(Op.LAYER, "NDENSE"):
            raise CompileError(f"{pre}Cin*K*K={ndense} exceeds the LAYER.NDENSE field "
                               f"({_field_max(Op.LAYER, 'NDENSE')})")
        acc = mode == "acc"
        stride = words_per_channel(h, w, rows, acc)
        if stride > _field_max(Op.LAYER, "OSTRIDE"):
            raise CompileError(f"{pre}output channel stride {stride} exceeds LAYER.OSTRIDE")
        out = TensorInfo(ld.name, cout, alloc.alloc(ld.name, cout * stride), stride, mode)
        tensors[ld.name] = out
        has_bias = bias is not None and bool(np.any(bias != 0))

        st = LayerStats(ld.name, cin, cout, k, tiles, mode, ndense, pc=start_pc + len(imem))
        imem.append(isa.encode(Op.LAYER, H=h, W=w, OSTRIDE=stride, NDENSE=ndense,
                               MODE=int(acc), HAS_BIAS=int(has_bias)))
        imem.append(isa.encode(Op.LAYERQ, SCALE=scale, SHIFT=shift))
        for co_lo in range(0, cout, cols):
            co_hi = min(co_lo + cols, cout)
            steps = valid_steps(wt, co_lo, co_hi)
            wbase = sum(len(x) for x in wwords)
            if wbase + len(steps) > cfg.wdepth:   # before encoding: WBASE has 16 bits
                raise CompileError(f"WMem: {pre}{wbase + len(steps)} valid weight words exceed "
                                   f"the WMem depth {cfg.wdepth}")
            imem.append(isa.encode(Op.GROUP, OADDR=out.channel_addr(co_lo), NCOLS=co_hi - co_lo,
                                   WBASE=wbase, NSTEPS=len(steps)))
            if has_bias:
                b = np.zeros(cols, np.int64)
                b[: co_hi - co_lo] = bias[co_lo:co_hi]
                for j in range(0, cols, BIAS_PER_WORD):
                    imem.append(isa.encode(Op.BIAS, **{f"B{n}": int(b[j + n]) for n in range(BIAS_PER_WORD)}))
            block = np.zeros((len(steps), cols), np.uint8)
            for s, (ci, tap, ky, kx) in enumerate(steps):
                imem.append(isa.encode(Op.STEP, TAP=tap, CADDR=srcs[ci]))
                block[s, : co_hi - co_lo] = wt[co_lo:co_hi, ci, ky, kx] & 0xF
            wwords.append(block)
            st.group_steps.append(len(steps))
            st.group_cols.append(co_hi - co_lo)
        stats.append(st)
        if reuse:
            for src in set(ld.inputs):
                if consumers.get(src) == i and src not in outputs:
                    alloc.free(src)
    imem.append(isa.encode(Op.END))

    wmem = np.concatenate(wwords) if wwords else np.zeros((0, cols), np.uint8)
    if len(wmem) > cfg.wdepth:
        raise CompileError(f"WMem: {len(wmem)} valid weight words exceed the WMem depth {cfg.wdepth}")
    if start_pc + len(imem) > cfg.idepth:
        raise CompileError(f"IMem: {len(imem)} instructions from PC {start_pc} exceed the IMem depth {cfg.idepth}")
    assert len(wmem) < 1 << ADDR_FIELD_BITS
    return Compiled(cfg, h, w, imem, wmem, tensors, list(inputs), outputs, stats, alloc.high, start_pc)


def compile_layer(cfg: Config, x_shape, w, bias=None, scale=1, shift=0, mode="act") -> Compiled:
    """One layer case: input tensor 'x', output tensor 'y'."""
    cin, h, wd = x_shape
    return compile_network(cfg, h, wd, {"x": cin},
                           [LayerDef("y", ["x"], w, bias, scale, shift, mode)])


def check_activations(name: str, x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise CompileError(f"{name}: shape {x.shape} is not (C, H, W)")
    return _check_int_array(name, x, ACT_MIN, ACT_MAX)


def useful_macs(prog: Compiled) -> int:
    """MACs on real pixels and real output channels of the stored steps: the
    numerator of utilization (denominator rows * cols * cycles)."""
    return sum(prog.h * prog.w * sum(c * n for c, n in zip(st.group_cols, st.group_steps))
               for st in prog.layers)


def dense_macs(prog: Compiled) -> int:
    """MACs of the same layers with no step skipped (dense-equivalent work)."""
    return sum(prog.h * prog.w * st.cout * st.dense_steps for st in prog.layers)
