"""Functional coverage model of the Shift-PW engine (cocotb-coverage 2.0).

Every coverpoint has named bins (strings), listed with their meaning in
``MODEL``.  A sample hands a coverpoint the *set* of bin labels an event
hits (one event may hit several bins, e.g. a 1x1 image is both ``h_eq_1``
and ``w_eq_1``); the bins are config-independent, so the files of the
``small``, ``chip`` and host-interface runs merge bin by bin.

Sampling helpers (all positional-free to call; they pass positional
arguments to cocotb-coverage, which refuses keywords):

* ``sample_run(imem, start_pc, outcome)``: one run of IMem, from the RTL
  outcome (TopDriver.run) or an iss.RunResult: opcodes executed, taps,
  error code, drain stall, skipped steps, START_PC.
* ``sample_compiled(prog)``: program structure of a models.compiler.Compiled:
  kernel, border/row-end geometry of 3x3 layers, tiles, groups, sparsity
  (valid taps per input channel, group density), bias, mode, multi-layer,
  concatenated inputs.
* ``sample_case(case)`` / ``sample_network(inputs, layers)``: requant
  outcomes (clip at 0 / 15, in between, round half up) in act mode and the
  signs of raw outputs in acc mode, computed with models.reference.
* ``sample_bus(kind, addr, value, resp, strb)``: one AXI4-Lite response,
  split by access kind; ``sample_axil(txn)`` is the same for a transaction
  of the protocol monitor (verif/common/axil_monitor.py), which every bench
  subscribes it to (verif/common/env.py ``bus_monitor``), so all bus
  traffic is sampled whatever drives it.  ``sample_handshakes`` takes the
  stats of the raw stress driver (verif/common/axil_driver.py).

``export()`` writes the process's coverage DB to ``$SPW_COVERAGE_FILE`` or
``<cwd>/coverage.yml`` (cwd = the cocotb test_dir); ``@exported`` wraps a
cocotb test so it exports at its end, pass or fail.  ``merge_files`` and
``report`` serve the pytest session hook (conftest.py) and
scripts/coverage_check.py; they need no simulator.
"""
from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import numpy as np

from models import isa, spec
from models.spec import Err, Op

__all__ = ["MODEL", "sample", "sample_run", "sample_compiled", "sample_case", "sample_network",
           "sample_values", "sample_bus", "sample_axil", "sample_handshakes", "export", "exported",
           "merge_files", "report", "load"]

PREFIX = "spw"

# coverpoint -> (bins, what it means).  Bin names are stable strings.
MODEL: dict[str, tuple[tuple[str, ...], str]] = {
    "spw.isa.opcode": (
        ("LAYER", "LAYERQ", "GROUP", "BIAS", "STEP", "END", "ILLEGAL"),
        "instruction kinds decoded in a run; ILLEGAL = a run stopped by ILLEGAL_OPCODE"),
    "spw.isa.tap": (
        tuple(f"tap{t}" for t in range(spec.NUM_TAPS)),
        "STEP taps executed (tap = (dy+1)*3 + (dx+1))"),
    "spw.layer.kernel": (("k1", "k3"), "kernel size of a layer"),
    "spw.layer.border": (
        ("tile_spans_rows", "row_spans_tiles", "w_multiple_of_rows", "w_not_multiple_of_rows",
         "h_eq_1", "w_eq_1", "single_pixel", "single_partial_tile"),
        "3x3 layers only: W < rows (a tile holds several image rows, row ends inside a tile), "
        "W > rows (an image row spans tiles), W % rows == 0 / != 0, H == 1, W == 1, H = W = 1, "
        "H*W < rows (the only tile is partial)"),
    "spw.layer.tiles": (
        ("single_tile", "multi_tile", "partial_last_tile", "full_last_tile"),
        "T == 1 / T > 1; H*W % rows != 0 (padding lanes) / == 0"),
    "spw.layer.groups": (
        ("single_group", "multi_group", "partial_group", "full_groups"),
        "G == 1 / G > 1; Cout % cols != 0 (last GROUP has NCOLS < cols) / == 0"),
    "spw.layer.stride": (
        ("s1", "s2", "s2_k1", "s2_k3", "s2_odd_h", "s2_odd_w", "s2_tile_spans_rows", "s2_row_spans_tiles",
         "s2_split_write", "s2_empty_tile", "s2_output_padding"),
        "LAYER.STRIDE2 0 / 1; stride-2 layers: K = 1 / 3, H odd, W odd, W < rows, W > rows, a tile whose "
        "kept pixels straddle two output words (both banks written in one cycle), a tile that keeps no "
        "pixel (writes nothing), Ho*Wo % rows != 0 (the last output word's padding lanes zeroed)"),
    "spw.layer.mode": (("act", "acc"), "output mode"),
    "spw.layer.bias": (("bias", "no_bias"), "LAYER.HAS_BIAS"),
    "spw.sparsity.taps_per_channel": (
        tuple(f"taps{n}" for n in range(1, 10)),
        "3x3 layers: valid taps of one input channel in one group (9 = dense, 1 = pruned to 1/9)"),
    "spw.sparsity.group_density": (
        ("empty", "le_third", "third_to_full", "dense"),
        "NSTEPS / NDENSE of a group: 0 (null steps), (0, 1/3], (1/3, 1), 1"),
    "spw.sparsity.skipped": (("none_skipped", "some_skipped"), "PERF_SKIPPED of a run == 0 / > 0"),
    "spw.requant.act": (
        ("clip_low", "clip_high", "between", "round_half_up"),
        "act-mode pixels: clipped at 0, clipped at 15, 0 < y < 15 unclipped, and an exact "
        "half rounded up (shift > 0, result in [0, 15])"),
    "spw.requant.params": (
        ("shift_0", "shift_pos", "shift_max", "scale_0", "scale_max"),
        "act-mode LAYERQ: SHIFT 0 (no rounding term) / > 0 / 31, SCALE 0 / 65535"),
    "spw.acc.values": (("negative", "zero", "positive"), "acc-mode int32 outputs"),
    "spw.drain.stall": (("stall", "no_stall"), "PERF_STALL of a run > 0 / == 0"),
    "spw.program.structure": (
        ("single_layer", "multi_layer", "concat_input"),
        "layers per program; a layer whose STEPs read more than one tensor (concatenation, residual)"),
    "spw.program.start_pc": (("zero", "nonzero"), "START_PC of a run"),
    "spw.run.err": (tuple(e.name for e in Err), "ERR_CODE observed at the end of a run"),
    "spw.bus.response": (
        ("reg_read/OKAY", "reg_read/DECERR",
         "reg_write/OKAY", "reg_write/SLVERR", "reg_write/DECERR",
         "mem_read/OKAY", "mem_read/SLVERR", "mem_read/DECERR",
         "mem_write/OKAY", "mem_write/SLVERR", "mem_write/DECERR"),
        "AXI4-Lite responses by access kind (reg = register window incl. the gap up to AMem; "
        "a register read never gets SLVERR, so that bin is not defined)"),
    "spw.bus.error_cause": (
        ("unmapped_reg", "window_gap", "ro_write", "start_while_busy", "mem_while_busy",
         "mem_out_of_depth"),
        "why an error response was given"),
    "spw.bus.handshake": (
        ("aw_before_w", "w_before_aw", "aw_w_together", "b_backpressure", "r_backpressure"),
        "raw stress driver: AW/W acceptance order of a write, BVALID/RVALID held against "
        "BREADY/RREADY low"),
}

# Crosses: a coverpoint over the legal combinations of the crossed items
# (the combinations the design makes impossible are left out, each with
# its reason, so 100% means every combination that can happen did).
_DENSITY = ("empty", "le_third", "third_to_full", "dense")
_RESPONSE_BUSY = tuple(
    f"{access}/{state}"
    for access in MODEL["spw.bus.response"][0]
    for state in ("idle", "busy")
    # memory accesses: OKAY only while idle, SLVERR only while busy; a
    # decode error wins over busy, so DECERR happens in both states
    if not (access.startswith("mem_") and access.endswith("/OKAY") and state == "busy")
    and not (access.startswith("mem_") and access.endswith("/SLVERR") and state == "idle"))
# ERR_CODE x the instruction at ERR_PC ("fetch": the fetch itself failed)
_ERR_KIND = {
    "NONE": ("END",),
    "ILLEGAL_OPCODE": ("ILLEGAL",),
    "EMPTY_PROGRAM": ("END",),
    "MALFORMED": ("LAYER", "LAYERQ", "GROUP", "BIAS", "STEP", "END"),
    # BIAS words have no reserved bits; LAYERQ's fields take every value
    "RESERVED": ("LAYER", "LAYERQ", "GROUP", "STEP", "END"),
    "BAD_FIELD": ("LAYER", "GROUP", "STEP"),
    "IMEM_RANGE": ("fetch",),
    "WMEM_RANGE": ("GROUP",),
    "AMEM_RANGE": ("GROUP", "STEP"),
}
MODEL.update({
    "spw.cross.mode_kernel_density": (
        tuple(f"{m}/k{k}/{d}" for m in ("act", "acc") for k in (1, 3) for d in _DENSITY),
        "cross of layer.mode x layer.kernel x sparsity.group_density, per group"),
    "spw.cross.response_busy": (
        _RESPONSE_BUSY,
        "cross of bus.response x the core's state when the access was decided (checked by a "
        "scoreboard against HostIfModel); memory OKAY only idle and memory SLVERR only busy "
        "cannot happen otherwise"),
    "spw.cross.err_kind": (
        tuple(f"{e}/{k}" for e, ks in _ERR_KIND.items() for k in ks),
        "cross of run.err x the kind of the instruction at ERR_PC (fetch: a fetch beyond IMem); "
        "only the combinations the ISA allows (docs/isa.md error codes)"),
})

_RESP_NAMES = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}
_CPS: dict = {}


def _define() -> None:
    from cocotb_coverage.coverage import CoverPoint

    for name, (bins, _) in MODEL.items():
        @CoverPoint(name, bins=list(bins), rel=lambda labels, b: b in labels, inj=False)
        def _sampler(labels):
            return None

        _CPS[name] = _sampler


def sample(name: str, *labels: str, strict: bool = True) -> None:
    """Hit the bins ``labels`` of coverpoint ``name`` (one sample)."""
    if not _CPS:
        _define()
    bins = MODEL[name][0]
    bad = [lb for lb in labels if lb not in bins]
    if bad and strict:
        raise ValueError(f"coverpoint {name}: unknown bins {bad}")
    hit = frozenset(lb for lb in labels if lb in bins)
    if hit:
        _CPS[name](hit)


# --------------------------------------------------------------------------- runs
def _get(outcome, key: str) -> int:
    if isinstance(outcome, dict):
        return int(outcome[key])
    return int(getattr(outcome, key))


def sample_run(imem, start_pc: int, outcome) -> None:
    """One run of ``imem`` from ``start_pc``; ``outcome`` is the RTL outcome
    dict (keys err, err_pc, stall, skipped) or an iss.RunResult.  Programs
    are straight-line, so the words decoded without fault are
    imem[start_pc:err_pc] on an error and imem[start_pc:] up to END
    otherwise."""
    err = Err(_get(outcome, "err"))
    err_pc = _get(outcome, "err_pc")
    ops, taps = set(), set()
    pc = int(start_pc)
    stop = err_pc if err != Err.NONE else len(imem)
    while pc < min(stop, len(imem)):
        word = int(imem[pc])
        code = isa.opcode(word)
        if not isa.is_legal_opcode(code):
            break
        op = Op(code)
        ops.add(op.name)
        if op == Op.STEP:
            taps.add(f"tap{isa.decode(word)[1]['TAP']}")
        if op == Op.END:
            break
        pc += 1
    if err == Err.ILLEGAL_OPCODE:
        ops.add("ILLEGAL")
    sample("spw.isa.opcode", *ops)
    sample("spw.isa.tap", *taps)
    sample("spw.run.err", err.name)
    if err == Err.NONE:
        kind = "END"
    elif err_pc >= len(imem):
        kind = "fetch"
    else:
        code = isa.opcode(int(imem[err_pc]))
        kind = Op(code).name if isa.is_legal_opcode(code) else "ILLEGAL"
    sample("spw.cross.err_kind", f"{err.name}/{kind}")
    sample("spw.program.start_pc", "zero" if start_pc == 0 else "nonzero")
    sample("spw.drain.stall", "stall" if _get(outcome, "stall") else "no_stall")
    sample("spw.sparsity.skipped", "some_skipped" if _get(outcome, "skipped") else "none_skipped")


def sample_compiled(prog) -> None:
    """Structure of a compiled program (models.compiler.Compiled)."""
    cfg = prog.cfg
    rows, cols = cfg.rows, cfg.cols
    # tensor of an AMem address, for concatenation
    spans = [(t.base, t.base + t.channels * t.stride, t.name) for t in prog.tensors.values()]

    def tensor_of(addr):
        return next((n for lo, hi, n in spans if lo <= addr < hi), None)

    structure = {"single_layer" if len(prog.layers) == 1 else "multi_layer"}
    pcs = [st.pc - prog.start_pc for st in prog.layers] + [len(prog.imem)]
    for i, st in enumerate(prog.layers):
        words = prog.imem[pcs[i]:pcs[i + 1]]
        lay = isa.decode(int(words[0]))[1]
        # the grid the layer runs on, as its LAYER word tells the hardware
        # (with stride 2 the tensors of one program have different sizes)
        h, w = lay["H"], lay["W"]
        sample("spw.layer.stride", *stride_bins(h, w, rows, st.k, bool(lay.get("STRIDE2", 0))))
        sample("spw.layer.kernel", f"k{st.k}")
        sample("spw.layer.mode", st.mode)
        sample("spw.layer.bias", "bias" if lay["HAS_BIAS"] else "no_bias")
        t = st.tiles
        sample("spw.layer.tiles", "single_tile" if t == 1 else "multi_tile",
               "partial_last_tile" if h * w % rows else "full_last_tile")
        g = len(st.group_steps)
        sample("spw.layer.groups", "single_group" if g == 1 else "multi_group",
               "partial_group" if st.cout % cols else "full_groups")
        if st.k == 3:
            b = ["w_not_multiple_of_rows" if w % rows else "w_multiple_of_rows"]
            if w < rows:
                b.append("tile_spans_rows")
            if w > rows:
                b.append("row_spans_tiles")
            if h == 1:
                b.append("h_eq_1")
            if w == 1:
                b.append("w_eq_1")
            if h == 1 and w == 1:
                b.append("single_pixel")
            if h * w < rows:
                b.append("single_partial_tile")
            sample("spw.layer.border", *b)
        for n in st.group_steps:
            f = n / st.dense_steps
            density = ("empty" if n == 0 else "dense" if n == st.dense_steps
                       else "le_third" if f <= 1 / 3 else "third_to_full")
            sample("spw.sparsity.group_density", density)
            sample("spw.cross.mode_kernel_density", f"{st.mode}/k{st.k}/{density}")
        # per group: taps of each input channel, tensors read
        srcs: set = set()
        groups: list[dict[int, set]] = []
        for wd in words[2:]:
            op, f, _ = isa.decode(int(wd))
            if op == Op.GROUP:
                groups.append({})
            elif op == Op.STEP:
                groups[-1].setdefault(f["CADDR"], set()).add(f["TAP"])
                srcs.add(tensor_of(f["CADDR"]))
        if st.k == 3:
            for per_ch in groups:
                sample("spw.sparsity.taps_per_channel", *{f"taps{len(v)}" for v in per_ch.values()})
        if len(srcs - {None}) > 1:
            structure.add("concat_input")
    sample("spw.program.structure", *structure)


def stride_bins(h: int, w: int, rows: int, k: int, stride2: bool) -> list[str]:
    """Bins of spw.layer.stride for one layer on an h x w input grid.  The
    per-tile facts follow docs/architecture.md 6.3 from the raster order
    alone: a tile keeps the pixels at even (y, x), and its kept run starts
    at output index p0 (the count kept by the earlier tiles)."""
    if not stride2:
        return ["s1"]
    b = ["s2", f"s2_k{k}"]
    if h % 2:
        b.append("s2_odd_h")
    if w % 2:
        b.append("s2_odd_w")
    if w < rows:
        b.append("s2_tile_spans_rows")
    if w > rows:
        b.append("s2_row_spans_tiles")
    p = np.arange(h * w)
    keep = ((p // w) % 2 == 0) & ((p % w) % 2 == 0)
    tiles = -(-h * w // rows)
    n = np.add.reduceat(np.pad(keep, (0, tiles * rows - h * w)).astype(np.int64), np.arange(0, tiles * rows, rows))
    p0 = np.concatenate(([0], np.cumsum(n)[:-1]))
    if ((n > 0) & ((p0 % rows) + n > rows)).any():
        b.append("s2_split_write")
    if (n == 0).any():
        b.append("s2_empty_tile")
    if (-(-h // 2) * -(-w // 2)) % rows:
        b.append("s2_output_padding")
    return b


# --------------------------------------------------------------------------- values
def sample_values(mode: str, v: np.ndarray, scale: int, shift: int) -> None:
    """``v`` = acc + bias of one layer's real pixels (any shape)."""
    v = np.asarray(v, np.int64)
    if mode == "acc":
        sample("spw.acc.values", *(["negative"] if (v < 0).any() else [])
               + (["zero"] if (v == 0).any() else []) + (["positive"] if (v > 0).any() else []))
        return
    r = (1 << (shift - 1)) if shift > 0 else 0
    q = (v * int(scale) + r) >> int(shift)
    b = []
    if (q < spec.ACT_MIN).any():
        b.append("clip_low")
    if (q > spec.ACT_MAX).any():
        b.append("clip_high")
    if ((q > spec.ACT_MIN) & (q < spec.ACT_MAX)).any():
        b.append("between")
    if shift > 0:
        half = ((v * int(scale)) & ((1 << shift) - 1)) == r
        if (half & (q >= spec.ACT_MIN) & (q <= spec.ACT_MAX)).any():
            b.append("round_half_up")
    sample("spw.requant.act", *b)
    p = ["shift_0" if shift == 0 else "shift_pos"]
    if shift == spec.SHIFT_MAX:
        p.append("shift_max")
    if scale == 0:
        p.append("scale_0")
    if scale == spec.SCALE_MAX:
        p.append("scale_max")
    sample("spw.requant.params", *p)


def sample_case(case) -> None:
    """Requant / acc outcomes of one models.case.Case."""
    from models import reference

    sample_values(case.mode, reference.layer(case.x, case.w, case.bias, mode="acc", stride=case.stride),
                  case.scale, case.shift)


def sample_network(inputs: dict, layers) -> None:
    """Requant / acc outcomes of every layer (models.compiler.LayerDef) of a
    network, evaluated in order with models.reference."""
    from models import reference

    t = {k: np.asarray(v) for k, v in inputs.items()}
    for ld in layers:
        x = np.concatenate([t[s] for s in ld.inputs], axis=0)
        v = reference.layer(x, ld.w, ld.bias, mode="acc", stride=ld.stride)
        sample_values(ld.mode, v, ld.scale, ld.shift)
        t[ld.name] = v if ld.mode == "acc" else reference.requantize(v, ld.scale, ld.shift)


# --------------------------------------------------------------------------- bus
def _access(kind: str, addr: int, resp: int) -> str:
    """The spw.bus.response bin of an access: 'reg_read/OKAY', 'mem_write/SLVERR', ..."""
    addr &= (1 << spec.AXI_ADDR_BITS) - 1
    return f"{'reg' if addr < spec.AMEM_BASE else 'mem'}_{kind}/{_RESP_NAMES.get(int(resp), str(resp))}"


def sample_bus(kind: str, addr: int, value: int, resp: int, strb: int = 0xF) -> None:
    """One AXI4-Lite access."""
    addr &= (1 << spec.AXI_ADDR_BITS) - 1
    is_reg = addr < spec.AMEM_BASE
    rname = _RESP_NAMES.get(int(resp), str(resp))
    sample("spw.bus.response", _access(kind, addr, resp), strict=False)
    cause = None
    if rname == "DECERR":
        cause = ("unmapped_reg" if addr < spec.REG_WINDOW[1] else "window_gap") if is_reg \
            else "mem_out_of_depth"
    elif rname == "SLVERR":
        if not is_reg:
            cause = "mem_while_busy"
        elif kind == "write":
            cause = "start_while_busy" if (addr & ~3) == spec.REG["CTRL"].offset else "ro_write"
    if cause:
        sample("spw.bus.error_cause", cause)


def sample_response_busy(kind: str, addr: int, resp: int, busy: bool) -> None:
    """One access as a scoreboard checked it, with the core's state the
    model decided its response in."""
    sample("spw.cross.response_busy", f"{_access(kind, addr, resp)}/{'busy' if busy else 'idle'}",
           strict=False)


def sample_axil(txn) -> None:
    """One transaction published by the protocol monitor (an AxilTxn): its
    subscriber hook."""
    sample_bus(*txn.access())


def sample_handshakes(stats: dict) -> None:
    """Stats returned by AxilRawDriver.run (verif/common/axil_driver.py)."""
    b = [lb for k, lb in (("aw_first", "aw_before_w"), ("w_first", "w_before_aw"),
                          ("together", "aw_w_together"), ("b_stall", "b_backpressure"),
                          ("r_stall", "r_backpressure")) if stats.get(k)]
    sample("spw.bus.handshake", *b)


# --------------------------------------------------------------------------- export
def export(path: str | os.PathLike | None = None) -> Path:
    """Write the coverage DB of this process (YAML)."""
    from cocotb_coverage.coverage import coverage_db

    if not _CPS:
        _define()
    p = Path(path or os.environ.get("SPW_COVERAGE_FILE") or Path.cwd() / "coverage.yml")
    # Another pytest session in the same checkout may merge this file while
    # it is being written (the session-end merge takes every coverage.yml
    # newer than its start): it must only ever see a whole file.
    with _replaced(p) as tmp:
        coverage_db.export_to_yaml(str(tmp))
    return p


@contextlib.contextmanager
def _replaced(path: Path):
    """A temporary name beside ``path`` to write to; renamed over ``path``
    (atomic on POSIX) only when the write completed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path, text: str) -> Path:
    path = Path(path)
    with _replaced(path) as tmp:
        tmp.write_text(text)
    return path


def exported(test):
    """Decorator for a cocotb test coroutine: export the coverage DB when it
    ends (pass or fail).  Put it below ``@cocotb.test()``."""
    @functools.wraps(test)
    async def wrapper(dut, *args, **kwargs):
        try:
            return await test(dut, *args, **kwargs)
        finally:
            export()
    return wrapper


# --------------------------------------------------------------------------- merge / report
def load(path) -> dict:
    import yaml

    with open(path) as fh:
        return yaml.safe_load(fh) or {}


def merge_files(files, out, log=lambda *_: None) -> Path:
    """Merge coverage YAML files (cocotb_coverage.merge_coverage) into ``out``."""
    from cocotb_coverage.coverage import merge_coverage

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _replaced(out) as tmp:
        merge_coverage(log, str(tmp), *[str(f) for f in files])
    return out


def report(db: dict, sources: list | None = None) -> tuple[list[str], int, int, int]:
    """Readable report of a merged DB: (lines, bins hit, bins defined,
    uncovered).  Coverpoints of ``MODEL`` missing from ``db`` count as
    uncovered, so a run that never exported cannot pass for complete."""
    lines, uncovered = [], []
    hit_total = bins_total = 0
    names = sorted(set(MODEL) | {k for k, v in db.items() if isinstance(v, dict) and "bins:_hits" in v})
    width = max(len(n) for n in names)
    for name in names:
        entry = db.get(name)
        if entry is None:
            hits = {b: 0 for b in MODEL[name][0]}
            at_least = 1
        else:
            hits = entry["bins:_hits"]
            at_least = entry.get("at_least", 1)
            for b in MODEL.get(name, ((),))[0]:
                hits.setdefault(b, 0)
        n_hit = sum(1 for v in hits.values() if v >= at_least)
        hit_total += n_hit
        bins_total += len(hits)
        mark = "" if n_hit == len(hits) else "   <-- incomplete"
        lines.append(f"{name:<{width}}  {n_hit:3d}/{len(hits):<3d} "
                     f"{100.0 * n_hit / max(1, len(hits)):6.1f}%{mark}")
        uncovered += [f"{name}: {b}" for b, v in hits.items() if v < at_least]
    pct = 100.0 * hit_total / max(1, bins_total)
    head = [f"functional coverage: {hit_total}/{bins_total} bins ({pct:.1f}%) "
            f"in {len(names)} coverpoints"]
    if sources is not None:
        head.append(f"merged from {len(sources)} file(s)")
    head.append("")
    tail = ["", f"uncovered bins ({len(uncovered)}):" if uncovered else "uncovered bins: none"]
    tail += ["  " + u for u in uncovered]
    return head + lines + tail, hit_total, bins_total, len(uncovered)


# --------------------------------------------------------------------------- doc
DOC_BEGIN = "<!-- BEGIN GENERATED by `python -m verif.docs` from verif/common/coverage.py -->"
DOC_END = "<!-- END GENERATED -->"


def doc_table() -> str:
    """The coverage model as a markdown table (docs/verification.md)."""
    n = sum(len(b) for b, _ in MODEL.values())
    lines = [f"{len(MODEL)} coverpoints, {n} bins.", "",
             "| coverpoint | bins | what it samples |", "|---|---|---|"]
    for name, (bins, what) in MODEL.items():
        lines.append(f"| `{name}` | {', '.join(f'`{b}`' for b in bins)} | {what} |")
    return "\n".join(lines)


def doc_updated(text: str) -> str:
    """``text`` with the generated table between the markers replaced."""
    i = text.index(DOC_BEGIN) + len(DOC_BEGIN)
    j = text.index(DOC_END, i)   # the doc has other generated blocks
    return text[:i] + "\n" + doc_table() + "\n" + text[j:]
