"""Compiler: layers -> IMem program + WMem image (valid words only) + AMem
placement.

A network is a list of 'same' convolutions, each of stride 1 or 2.  Each
layer reads the channel-wise concatenation of one or more earlier tensors
(so a residual add is extra input channels with identity weights), all of
one H x W, and writes one new tensor of out_size(H, stride) x
out_size(W, stride): every tensor has its own size (TensorInfo.h, .w).  A
stride-2 layer runs on its input's grid and keeps the even pixels at the
drain (docs/architecture.md 6.3); its output channels take
To = ceil(Ho*Wo / rows) words.  Everything the configuration cannot hold is
rejected with a CompileError naming the limit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import isa
from .memory import Memories, load_acc, load_act, num_tiles, store_act, words_per_channel
from .reference import STRIDES, out_size
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
    stride: int = 1            # 1 or 2 (PyTorch conv2d stride, padding K//2); 2 needs mode "act"


@dataclass
class TensorInfo:
    name: str
    channels: int
    base: int
    stride: int                # AMem words between channels (not the conv stride)
    mode: str                  # "act" (4-bit) or "acc" (int32 nibble planes)
    h: int = 0                 # the tensor's own height and width
    w: int = 0

    def channel_addr(self, c: int) -> int:
        return self.base + c * self.stride

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.h, self.w)


@dataclass
class LayerStats:
    name: str
    cin: int
    cout: int
    k: int
    tiles: int                             # T of the input grid: the tiles the layer runs
    mode: str
    dense_steps: int                       # per tile and group: Cin*K*K
    group_steps: list[int] = field(default_factory=list)   # valid steps per group
    group_cols: list[int] = field(default_factory=list)    # output channels per group
    pc: int = 0                            # IMem address of the LAYER word
    stride: int = 1
    h: int = 0                             # input grid (the LAYER word's H, W)
    w: int = 0

    @property
    def out_hw(self) -> tuple[int, int]:
        return out_size(self.h, self.stride), out_size(self.w, self.stride)

    @property
    def stored_words(self) -> int:
        return sum(self.group_steps)

    @property
    def dense_words(self) -> int:
        return self.dense_steps * len(self.group_steps)


@dataclass
class Compiled:
    cfg: Config
    h: int                                 # the network input's grid (of its first input);
    w: int                                 # every tensor's own size is tensors[name].h, .w
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
            if x.shape != t.shape:
                raise CompileError(f"input {name!r}: shape {x.shape}, program expects {t.shape}")
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

    def shape(self, name: str) -> tuple[int, int, int]:
        """(C, H, W) of tensor `name`, at its own size."""
        return self.tensors[name].shape

    def words(self, name: str) -> int:
        """AMem words per channel that tensor `name` occupies (T, 8T in acc
        mode, To after a stride-2 layer); equal to its channel stride."""
        t = self.tensors[name]
        return words_per_channel(t.h, t.w, self.cfg.rows, t.mode == "acc")

    def read(self, amem: np.ndarray, name: str) -> np.ndarray:
        """Tensor `name` from an AMem image, (C, H, W) at its own size."""
        t = self.tensors[name]
        load = load_acc if t.mode == "acc" else load_act
        return load(amem, t.base, t.stride, t.channels, t.h, t.w)


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


def check_stride(prefix: str, stride, mode: str = "act") -> int:
    """Validate a layer's conv stride: the int 1 or 2 (not a bool, not a
    string), and 2 only in act mode (the keep-even drain writes 4-bit
    words; STRIDE2 with MODE acc is BAD_FIELD).  Errors name the field."""
    ok = (not isinstance(stride, (bool, np.bool_)) and isinstance(stride, (int, np.integer))
          and int(stride) in STRIDES)
    if not ok:
        raise CompileError(f"{prefix}stride: must be the integer 1 or 2, got {stride!r}")
    if int(stride) == 2 and mode != "act":
        raise CompileError(f"{prefix}stride: stride 2 needs mode 'act' (the hardware has no "
                           f"stride-2 acc mode), got mode {mode!r}")
    return int(stride)


def compile_network(cfg: Config, h: int, w: int, inputs: dict[str, int],
                    layers: list[LayerDef], outputs: list[str] | None = None,
                    start_pc: int = 0, reuse: bool = True,
                    input_hw: dict[str, tuple[int, int]] | None = None) -> Compiled:
    """inputs: tensor name -> channels, each H x W unless input_hw gives it
    its own (h, w) (a part of a network whose inputs come from different
    stages).  outputs: tensors to keep to the end (default: every tensor no
    later layer reads).  Each layer's output is out_size(H, stride) x
    out_size(W, stride) of its inputs' common H x W."""
    input_hw = dict(input_hw or {})
    for name in input_hw:
        if name not in inputs:
            raise CompileError(f"input_hw: {name!r} is not an input of this program")
    for what, (ih, iw) in [("", (h, w))] + [(f"input {n!r}: ", v) for n, v in input_hw.items()]:
        for n, v in (("H", ih), ("W", iw)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 1 <= v <= DIM_MAX:
                raise CompileError(f"{what}{n}={v!r}: image size must be an integer in [1, {DIM_MAX}] "
                                   f"(LAYER.{n} field)")
    if not layers:
        raise CompileError("program has no layers")
    rows, cols = cfg.rows, cfg.cols

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
        ih, iw = input_hw.get(name, (h, w))
        tiles = num_tiles(ih, iw, rows)
        tensors[name] = TensorInfo(name, ch, alloc.alloc(name, ch * tiles), tiles, "act", ih, iw)

    imem: list[int] = []
    wwords: list[np.ndarray] = []
    stats: list[LayerStats] = []
    for i, ld in enumerate(layers):
        pre = f"layer {ld.name!r}: "
        wt, bias, scale, shift, mode = check_layer_params(pre, ld.w, ld.bias, ld.scale, ld.shift, ld.mode)
        stride = check_stride(pre, getattr(ld, "stride", 1), mode)
        cout, cin, k, _ = wt.shape
        srcs = []
        if not ld.inputs:
            raise CompileError(f"{pre}inputs: a layer reads at least one tensor")
        for src in ld.inputs:
            if src not in tensors:
                raise CompileError(f"{pre}input {src!r} is not an earlier tensor")
            if tensors[src].mode != "act":
                raise CompileError(f"{pre}input {src!r} is an acc-mode tensor; layers read 4-bit activations")
            srcs += [tensors[src].channel_addr(c) for c in range(tensors[src].channels)]
        sizes = {(tensors[s].h, tensors[s].w) for s in ld.inputs}
        if len(sizes) > 1:
            got = ", ".join(f"{s!r} {tensors[s].h}x{tensors[s].w}" for s in ld.inputs)
            raise CompileError(f"{pre}inputs must all have one H x W (a layer runs on one grid), got {got}")
        ((lh, lw),) = sizes
        tiles = num_tiles(lh, lw, rows)
        oh, ow = out_size(lh, stride), out_size(lw, stride)
        if len(srcs) != cin:
            raise CompileError(f"{pre}w has Cin={cin} but the inputs {ld.inputs} have {len(srcs)} channels")
        ndense = dense_steps(cin, k)
        if ndense > _field_max(Op.LAYER, "NDENSE"):
            raise CompileError(f"{pre}Cin*K*K={ndense} exceeds the LAYER.NDENSE field "
                               f"({_field_max(Op.LAYER, 'NDENSE')})")
        acc = mode == "acc"
        ostride = words_per_channel(oh, ow, rows, acc)     # To for a stride-2 output
        if ostride > _field_max(Op.LAYER, "OSTRIDE"):
            raise CompileError(f"{pre}output channel stride {ostride} exceeds LAYER.OSTRIDE")
        out = TensorInfo(ld.name, cout, alloc.alloc(ld.name, cout * ostride), ostride, mode, oh, ow)
        tensors[ld.name] = out
        has_bias = bias is not None and bool(np.any(bias != 0))

        st = LayerStats(ld.name, cin, cout, k, tiles, mode, ndense, pc=start_pc + len(imem),
                        stride=stride, h=lh, w=lw)
        imem.append(isa.encode(Op.LAYER, H=lh, W=lw, OSTRIDE=ostride, NDENSE=ndense, STRIDE2=int(stride == 2),
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


def compile_layer(cfg: Config, x_shape, w, bias=None, scale=1, shift=0, mode="act", stride=1) -> Compiled:
    """One layer case: input tensor 'x', output tensor 'y'."""
    cin, h, wd = x_shape
    return compile_network(cfg, h, wd, {"x": cin},
                           [LayerDef("y", ["x"], w, bias, scale, shift, mode, stride)])


def check_activations(name: str, x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise CompileError(f"{name}: shape {x.shape} is not (C, H, W)")
    return _check_int_array(name, x, ACT_MIN, ACT_MAX)


def _out_pixels(st: LayerStats) -> int:
    oh, ow = st.out_hw
    return oh * ow


def useful_macs(prog: Compiled) -> int:
    """MACs on real output pixels and real output channels of the stored
    steps: the numerator of utilization (denominator rows * cols * cycles).
    A stride-2 layer's useful pixels are its Ho x Wo outputs, although the
    array computes all H x W (docs/architecture.md 6.3, "Cost")."""
    return sum(_out_pixels(st) * sum(c * n for c, n in zip(st.group_cols, st.group_steps))
               for st in prog.layers)


def dense_macs(prog: Compiled) -> int:
    """MACs of the same layers with no step skipped (dense-equivalent work,
    over each layer's output pixels)."""
    return sum(_out_pixels(st) * st.cout * st.dense_steps for st in prog.layers)
