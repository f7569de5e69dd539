"""Partitioning a network that does not fit on-chip memory into a sequence of
programs that each fit.

``compile_network`` needs a whole network in IMem, WMem and AMem at once.
``plan_network`` takes the same network and returns a ``Plan``: a list of
steps, each one compiled program plus what the host moves around it.

* **Groups.** Consecutive layers are grouped greedily: a group grows while
  the layers compile together as one whole-image program (all weights in
  WMem, all live tensors in AMem).  A layer that does not fit on its own is
  a group by itself, split as below.  Tensors read across a group boundary
  live on the host between programs.  Greedy is not optimal (a later split
  point can move less data); it is simple and never fails where one layer
  alone would fit.
* **Output-channel slices.** When a layer's valid weight words exceed WMem
  (or its STEP words IMem), its output channels are split into slices of
  whole COLS groups; each slice is its own program over the same input.
  One COLS group that alone exceeds WMem cannot be split: error.
* **Row bands.** When a layer's input + output tensors exceed AMem, the
  image is split into bands of rows.  A band's program runs on an image of
  the input rows its own output rows need plus K//2 halo rows above and
  below (none past the true image border, where the chip's zero padding is
  the right answer), and the host keeps only the band's own output rows.
  The band height is the largest whose tiles fit AMem; if not even one
  output row fits, error.  A stride-2 layer's output row r needs input
  rows 2r-K//2 .. 2r+K//2, and its band starts on an even input row, so
  that the band program's even rows (the ones the chip keeps) are the
  image's even rows: that may cost one extra row above.
* **Grids.** Every tensor has its own H x W (a stride-2 layer halves it);
  a layer's inputs share one.  A group whose external inputs are on
  different grids is not compiled as one program (a program's inputs share
  the grid its LAYER words name): the group ends before that layer.

With both slices and bands, the order (bands outside or slices outside) is
whichever moves fewer words: band-major reloads weights per band, slice-major
reloads the input rows per slice.

The host skips a transfer when the device already holds the same words:
IMem/WMem when the program or weight image is identical to the last one
written (bands of equal height run the same program), and an input when
the same rows of the same tensor are still at the same AMem address (the
slices of one band).  ``Step`` records every transfer; ``Plan.words``
sums them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import reference
from .compiler import CompileError, Compiled, LayerDef, check_layer_params, compile_network
from .memory import num_tiles
from .shiftpw import dense_steps, group_step_counts
from .spec import ACC_WORDS_PER_TILE, DIM_MAX, FIELDS, Config, Op

__all__ = ["Load", "Keep", "Step", "Group", "Plan", "plan_network", "row_bands", "reference_network",
           "WORD_KINDS"]

WORD_KINDS = ("imem", "wmem", "amem_write", "amem_read")


def _field_max(op: Op, name: str) -> int:
    return next(f.mask for f in FIELDS[op] if f.name == name)


# ---------------------------------------------------------------------------
# Plan data
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    """Host -> AMem: rows [rows[0], rows[1]) of host tensor `tensor`, all
    channels, packed as the program's own (rows x W) image at base/stride
    (W: the tensor's own width)."""
    tensor: str
    rows: tuple[int, int]
    base: int
    stride: int
    channels: int
    resident: bool          # already on the device: nothing is written
    words: int              # words written (0 when resident)


@dataclass(frozen=True)
class Keep:
    """AMem -> host: output channels of the program's tensor `tensor`, rows
    `rows` of the full image (the band's own rows), into host channels
    `channels`.  `src_row` is the first kept row in the program's image of
    the tensor, `w` the tensor's width; per channel the host reads words
    [word0, word0 + nwords) from the channel's base."""
    tensor: str
    channels: tuple[int, int]
    rows: tuple[int, int]
    src_row: int
    mode: str
    word0: int
    nwords: int
    w: int

    @property
    def words(self) -> int:
        return (self.channels[1] - self.channels[0]) * self.nwords


@dataclass
class Step:
    """One program run: load, start, read back."""
    index: int
    group: int
    layers: tuple[str, ...]
    prog: Compiled
    rows: tuple[int, int]                 # input rows the program covers, halos included
    band: tuple[int, int]                 # own rows: the output rows kept
    cout: tuple[int, int] | None          # output-channel slice of a single layer; None: all
    in_rows: dict[str, tuple[int, int]] = field(default_factory=dict)   # rows of each input loaded
    loads: list[Load] = field(default_factory=list)
    keeps: list[Keep] = field(default_factory=list)
    imem_words: int = 0                   # 0: the same program is already in IMem
    wmem_words: int = 0                   # 0: the same weights are already in WMem

    def words(self) -> dict[str, int]:
        return {"imem": self.imem_words, "wmem": self.wmem_words,
                "amem_write": sum(ld.words for ld in self.loads),
                "amem_read": sum(k.words for k in self.keeps)}

    def label(self) -> str:
        s = "+".join(self.layers)
        if self.cout is not None:
            s += f"[co {self.cout[0]}:{self.cout[1]}]"
        return s


@dataclass
class Group:
    """Consecutive layers run as one unit: the steps of a group depend only
    on host tensors of earlier groups, so they can share one launch."""
    index: int
    layers: tuple[str, ...]
    steps: list[int]
    bands: list[tuple[int, int, int, int]]     # (r0, r1, a, b): own output rows, input rows
    slices: list[tuple[int, int]] | None
    order: str                                  # "whole", "bands", "slices", "band-major", "slice-major"


@dataclass
class Plan:
    cfg: Config
    h: int
    w: int
    inputs: dict[str, int]
    layers: list[LayerDef]
    outputs: list[str]
    host: dict[str, tuple[int, str]]            # tensors the host holds: channels, mode
    groups: list[Group]
    steps: list[Step]
    grid: dict[str, tuple[int, int]] = field(default_factory=dict)   # every tensor's (H, W)

    def words(self) -> dict[str, int]:
        tot = dict.fromkeys(WORD_KINDS, 0)
        for st in self.steps:
            for k, v in st.words().items():
                tot[k] += v
        return tot

    def account(self) -> None:
        """Recompute every step's transfers (after editing steps)."""
        _account(self.cfg, self.steps)

    def coverage(self) -> dict[str, np.ndarray]:
        """(channels, H) counts of how many steps keep each output row of
        each host tensor a layer produces: all ones in a sound plan."""
        cov = {k.tensor: None for st in self.steps for k in st.keeps}
        for name in cov:
            cov[name] = np.zeros((self.host[name][0], self.grid[name][0]), np.int64)
        for st in self.steps:
            for k in st.keeps:
                cov[k.tensor][k.channels[0]:k.channels[1], k.rows[0]:k.rows[1]] += 1
        return cov

    def table(self) -> str:
        """One markdown row per step."""
        out = ["| step | group | program | rows (with halo) | kept rows | IMem | WMem | AMem wr | AMem rd |",
               "|---:|---:|---|---|---|---:|---:|---:|---:|"]
        for st in self.steps:
            wd = st.words()
            out.append(f"| {st.index} | {st.group} | {st.label()} | {st.rows[0]}..{st.rows[1] - 1} | "
                       f"{st.band[0]}..{st.band[1] - 1} | {wd['imem']} | {wd['wmem']} | "
                       f"{wd['amem_write']} | {wd['amem_read']} |")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# The network, checked once
# ---------------------------------------------------------------------------
@dataclass
class _Net:
    cfg: Config
    h: int
    w: int
    inputs: dict[str, int]
    layers: list[LayerDef]                      # parameters checked and normalized
    outputs: list[str]
    chans: dict[str, int]
    modes: dict[str, str]
    last_reader: dict[str, int]                 # tensor -> index of the last layer reading it
    grid: dict[str, tuple[int, int]]            # tensor -> (H, W)
    strides: dict[str, int]                     # layer -> stride


def _check_network(cfg: Config, h: int, w: int, inputs: dict[str, int], layers: list[LayerDef],
                   outputs: list[str] | None) -> _Net:
    for n, v in (("H", h), ("W", w)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise CompileError(f"{n}={v!r}: image size must be an integer >= 1")
    if not layers:
        raise CompileError("network has no layers")
    chans: dict[str, int] = {}
    modes: dict[str, str] = {}
    grid: dict[str, tuple[int, int]] = {}
    strides: dict[str, int] = {}
    for name, ch in inputs.items():
        if not isinstance(ch, (int, np.integer)) or ch < 1:
            raise CompileError(f"input {name!r}: channels must be an integer >= 1, got {ch!r}")
        chans[name], modes[name], grid[name] = int(ch), "act", (int(h), int(w))
    checked: list[LayerDef] = []
    last_reader: dict[str, int] = {}
    for i, ld in enumerate(layers):
        pre = f"layer {ld.name!r}: "
        if ld.name in chans:
            raise CompileError(f"{pre}tensor name already used")
        if not ld.inputs:
            raise CompileError(f"{pre}inputs: the layer reads no tensor")
        wt, bias, scale, shift, mode = check_layer_params(pre, ld.w, ld.bias, ld.scale, ld.shift, ld.mode)
        stride = getattr(ld, "stride", 1)
        try:
            stride = reference.check_stride(stride)
        except ValueError as e:
            raise CompileError(f"{pre}{e}") from None
        if stride == 2 and mode != "act":
            raise CompileError(f"{pre}stride 2 needs mode 'act' (the drain keeps 4-bit outputs only)")
        cout, cin, k, _ = wt.shape
        total = 0
        for src in ld.inputs:
            if src not in chans:
                raise CompileError(f"{pre}input {src!r} is not an earlier tensor")
            if modes[src] != "act":
                raise CompileError(f"{pre}input {src!r} is an acc-mode tensor; layers read 4-bit activations")
            if grid[src] != grid[ld.inputs[0]]:
                raise CompileError(f"{pre}inputs {ld.inputs[0]!r} ({grid[ld.inputs[0]][0]}x{grid[ld.inputs[0]][1]}) "
                                   f"and {src!r} ({grid[src][0]}x{grid[src][1]}) are on different grids")
            total += chans[src]
            last_reader[src] = i
        hi, wi = grid[ld.inputs[0]]
        if total != cin:
            raise CompileError(f"{pre}w has Cin={cin} but the inputs {ld.inputs} have {total} channels")
        nd = dense_steps(cin, k)
        if nd > _field_max(Op.LAYER, "NDENSE"):
            raise CompileError(f"{pre}Cin*K*K={nd} exceeds the LAYER.NDENSE field "
                               f"({_field_max(Op.LAYER, 'NDENSE')}); no partition splits input channels")
        if wi > DIM_MAX:
            raise CompileError(f"{pre}W={wi} exceeds the LAYER.W field (max {DIM_MAX}); "
                               f"row bands split rows, not columns")
        chans[ld.name], modes[ld.name] = cout, mode
        grid[ld.name] = (reference.out_size(hi, stride), reference.out_size(wi, stride))
        strides[ld.name] = stride
        checked.append(replace(ld, inputs=list(ld.inputs), w=wt, bias=bias, scale=scale, shift=shift, mode=mode))
    if outputs is None:
        outputs = [ld.name for ld in layers if ld.name not in last_reader]
    for o in outputs:
        if o not in chans:
            raise CompileError(f"output {o!r} is not a tensor of this network")
    return _Net(cfg, int(h), int(w), dict(inputs), checked, list(outputs), chans, modes, last_reader, grid,
                strides)


def _layer_halo(ld: LayerDef) -> int:
    """Input rows needed above and below the input row of an output row: K//2."""
    return ld.w.shape[2] // 2


def band_rows(r0: int, r1: int, h: int, halo: int, stride: int = 1) -> tuple[int, int]:
    """Input rows [a, b) that output rows [r0, r1) of a layer on an h-row
    input need: rows stride*r - halo .. stride*r + halo of each, clipped to
    the image; with stride 2, a is rounded down to an even row so that the
    band program keeps the image's even rows."""
    a = max(0, stride * r0 - halo)
    if stride == 2:
        a -= a % 2
    return a, min(h, stride * (r1 - 1) + halo + 1)


def row_bands(h: int, hb_max: int, halo: int, stride: int = 1) -> list[tuple[int, int, int, int]]:
    """Bands (r0, r1, a, b): own output rows [r0, r1) computed on input rows
    [a, b) = band_rows(r0, r1, ...), with b - a <= hb_max.  Greedy from
    the top, so the bands between the first and the last have one height
    and run the same program.  Raises ValueError when a band with one own
    row does not fit."""
    ho = reference.out_size(h, stride)
    if h <= hb_max:
        return [(0, ho, 0, h)]
    bands = []
    r0 = 0
    while r0 < ho:
        a, b = band_rows(r0, r0 + 1, h, halo, stride)
        if b - a > hb_max:
            raise ValueError(f"a 1-row band needs {b - a} input rows with halos, {hb_max} fit")
        r1 = r0 + 1
        while r1 < ho and band_rows(r0, r1 + 1, h, halo, stride)[1] - a <= hb_max:
            r1 += 1
        bands.append((r0, r1, a, band_rows(r0, r1, h, halo, stride)[1]))
        r0 = r1
    return bands


# ---------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------
class _Planner:
    def __init__(self, net: _Net):
        self.net = net
        self.cfg = net.cfg
        self.steps: list[Step] = []
        self.groups: list[Group] = []
        self.host: dict[str, tuple[int, str]] = {n: (c, "act") for n, c in net.inputs.items()}

    # --- grouping ------------------------------------------------------------
    def _ext_inputs(self, lo: int, hi: int) -> dict[str, int]:
        made = {ld.name for ld in self.net.layers[lo:hi]}
        ext: dict[str, int] = {}
        for ld in self.net.layers[lo:hi]:
            for s in ld.inputs:
                if s not in made and s not in ext:
                    ext[s] = self.net.chans[s]
        return ext

    def _kept(self, lo: int, hi: int) -> list[str]:
        """Tensors of layers lo..hi-1 the host must hold afterwards: read by a
        later group, a network output, or read by nobody (a dead end the
        caller still asked to compute)."""
        net = self.net
        return [ld.name for ld in net.layers[lo:hi]
                if ld.name in net.outputs or net.last_reader.get(ld.name, -1) >= hi
                or ld.name not in net.last_reader]

    def _whole(self, lo: int, hi: int) -> Compiled | None:
        """Layers lo..hi-1 as one whole-image program, or None if it does not fit."""
        net, cfg = self.net, self.cfg
        ext = self._ext_inputs(lo, hi)
        grids = {net.grid[n] for n in ext}
        if len(grids) != 1:
            return None
        (gh, gw), = grids
        if gh > DIM_MAX:
            return None
        # exact WMem words first: a group that cannot fit fails without encoding
        if sum(sum(group_step_counts(ld.w, cfg.cols)) for ld in net.layers[lo:hi]) > cfg.wdepth:
            return None
        try:
            return compile_network(cfg, gh, gw, ext, net.layers[lo:hi], self._kept(lo, hi))
        except CompileError:
            return None

    def plan(self) -> None:
        n = len(self.net.layers)
        i = 0
        while i < n:
            prog = self._whole(i, i + 1)
            if prog is None:
                self._split_layer(i)
                i += 1
                continue
            j = i + 1
            while j < n:
                nxt = self._whole(i, j + 1)
                if nxt is None:
                    break
                prog, j = nxt, j + 1
            self._add_whole(i, j, prog)
            i = j

    # --- a group that fits whole ------------------------------------------------
    def _add_whole(self, lo: int, hi: int, prog: Compiled) -> None:
        net = self.net
        g = len(self.groups)
        ext = self._ext_inputs(lo, hi)
        h_in = net.grid[next(iter(ext))][0]
        h_out = net.grid[net.layers[hi - 1].name][0]
        st = Step(len(self.steps), g, tuple(ld.name for ld in net.layers[lo:hi]), prog,
                  (0, h_in), (0, h_out), None, {n: (0, net.grid[n][0]) for n in ext})
        for name in self._kept(lo, hi):
            h_t = net.grid[name][0]
            st.keeps.append(self._keep(prog, name, (0, net.chans[name]), (0, h_t, 0, h_t), 1))
            self.host[name] = (net.chans[name], net.modes[name])
        self.groups.append(Group(g, st.layers, [st.index], [(0, h_out, 0, h_in)], None, "whole"))
        self.steps.append(st)

    # --- one layer, sliced and/or banded -----------------------------------------
    def _slices(self, ld: LayerDef, max_groups: int) -> list[tuple[int, int]]:
        """Output-channel slices of whole COLS groups, packed greedily into
        WMem and IMem, at most max_groups groups each."""
        cfg = self.cfg
        cout = ld.w.shape[0]
        has_bias = ld.bias is not None and bool(np.any(ld.bias != 0))
        fixed = 3          # LAYER, LAYERQ, END
        slices: list[tuple[int, int]] = []
        lo, words, instrs = 0, 0, fixed
        for g0 in range(0, cout, cfg.cols):
            g1 = min(g0 + cfg.cols, cout)
            s = group_step_counts(ld.w[g0:g1], cfg.cols)[0]
            gi = 1 + has_bias * cfg.bias_words + s
            if s > cfg.wdepth:
                raise CompileError(f"layer {ld.name!r}: output channels {g0}..{g1 - 1} (one group of "
                                   f"{cfg.cols}) need {s} valid weight words, more than the WMem depth "
                                   f"{cfg.wdepth}; an output-channel slice cannot be smaller than a group")
            if fixed + gi > cfg.idepth:
                raise CompileError(f"layer {ld.name!r}: output channels {g0}..{g1 - 1} (one group of "
                                   f"{cfg.cols}) need {fixed + gi} instructions, more than the IMem depth "
                                   f"{cfg.idepth}")
            if g0 > lo and (words + s > cfg.wdepth or instrs + gi > cfg.idepth
                            or (g0 - lo) // cfg.cols >= max_groups):
                slices.append((lo, g0))
                lo, words, instrs = g0, 0, fixed
            words += s
            instrs += gi
        slices.append((lo, cout))
        return slices

    def _band_words(self, ld: LayerDef, cin: int, cout: int, rows: int) -> int:
        """AMem words of a band program on `rows` input rows: the input
        tensor plus the output tensor (acc: 8 words per tile)."""
        cfg = self.cfg
        stride = self.net.strides[ld.name]
        wi = self.net.grid[ld.inputs[0]][1]
        wo = self.net.grid[ld.name][1]
        wpt = ACC_WORDS_PER_TILE if ld.mode == "acc" else 1
        return (cin * num_tiles(rows, wi, cfg.rows)
                + cout * wpt * num_tiles(reference.out_size(rows, stride), wo, cfg.rows))

    def _band_height(self, ld: LayerDef, cin: int, cout: int) -> int:
        """Largest input height (rows incl. halos) whose input and output
        tiles fit AMem (0 when not even one row does)."""
        lo, hi = 0, DIM_MAX
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._band_words(ld, cin, cout, mid) <= self.cfg.adepth:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _split_layer(self, i: int) -> None:
        net, cfg = self.net, self.cfg
        ld = net.layers[i]
        cout, cin = ld.w.shape[:2]
        halo = _layer_halo(ld)
        stride = net.strides[ld.name]
        h_in, w_in = net.grid[ld.inputs[0]]
        # the tallest one-output-row band: an interior row's
        need = max(b - a for a, b in (band_rows(r, r + 1, h_in, halo, stride)
                                      for r in range(min(3, reference.out_size(h_in, stride)))))
        n_groups = -(-cout // cfg.cols)
        # fewer output channels per slice leave more AMem for rows: shrink
        # the slices only as far as a band then fits
        cap = n_groups
        while True:
            slices = self._slices(ld, cap)
            hb = min(self._band_height(ld, cin, hi - lo) for lo, hi in slices)
            if hb >= need:
                break
            biggest = max(-(-(hi - lo) // cfg.cols) for lo, hi in slices)
            if biggest == 1:
                one = num_tiles(need, w_in, cfg.rows)
                co = min(cout, cfg.cols)
                wpt = ACC_WORDS_PER_TILE if ld.mode == "acc" else 1
                acc = f" x {wpt} acc words" if wpt > 1 else ""
                rows = f"{need} input rows with halos" if need > 1 else "1 row"
                raise CompileError(
                    f"layer {ld.name!r}: AMem: even a 1-row band ({rows} x W={w_in} = "
                    f"{one} tiles) needs Cin {cin} x {one} tiles + {co} output channels{acc} = "
                    f"{self._band_words(ld, cin, co, need)} words, more than the AMem "
                    f"depth {cfg.adepth}")
            cap = biggest - 1
        bands = row_bands(h_in, hb, halo, stride)

        ext = self._ext_inputs(i, i + 1)
        progs: dict[tuple[int, int], Compiled] = {}

        def program(si: int, rows: int) -> Compiled:
            key = (si, rows)
            if key not in progs:
                lo, hi = slices[si]
                part = replace(ld, w=ld.w[lo:hi], bias=None if ld.bias is None else ld.bias[lo:hi])
                try:
                    progs[key] = compile_network(cfg, rows, w_in, ext, [part], [ld.name])
                except CompileError as e:
                    raise CompileError(f"layer {ld.name!r}: band of {rows} rows, output channels "
                                       f"{lo}..{hi - 1}: {e}") from None
            return progs[key]

        g = len(self.groups)
        band_major = [(b, s) for b in range(len(bands)) for s in range(len(slices))]
        slice_major = [(b, s) for s in range(len(slices)) for b in range(len(bands))]
        orders = {"band-major": band_major, "slice-major": slice_major}
        if len(slices) == 1 or len(bands) == 1:
            order = "bands" if len(slices) == 1 else "slices"
            orders = {order: band_major}
        best = None
        for name, seq in orders.items():
            steps = []
            for b, s in seq:
                r0, r1, a, bb = bands[b]
                prog = program(s, bb - a)
                st = Step(0, g, (ld.name,), prog, (a, bb), (r0, r1), None if len(slices) == 1 else slices[s],
                          {n: (a, bb) for n in ext})
                st.keeps.append(self._keep(prog, ld.name, slices[s], bands[b], stride))
                steps.append(st)
            total = sum(sum(st.words().values()) for st in _account(self.cfg, steps))
            if best is None or total < best[0]:
                best = (total, name, steps)
        _, order, steps = best
        first = len(self.steps)
        for k, st in enumerate(steps):
            st.index = first + k
        self.steps += steps
        self.host[ld.name] = (cout, ld.mode)
        self.groups.append(Group(g, (ld.name,), [st.index for st in steps], bands,
                                 None if len(slices) == 1 else slices, order))

    def _keep(self, prog: Compiled, name: str, channels: tuple[int, int],
              band: tuple[int, int, int, int], stride: int) -> Keep:
        """Output rows [r0, r1) of `name` from a program whose input starts
        at row a (a is even with stride 2, so input row a is output row a/2)."""
        r0, r1, a, _ = band
        w, rows = self.net.grid[name][1], self.cfg.rows
        t = prog.tensors[name]
        src = r0 - a // stride
        p0, p1 = src * w, (src + r1 - r0) * w
        t0, t1 = p0 // rows, -(-p1 // rows)
        wpt = ACC_WORDS_PER_TILE if t.mode == "acc" else 1
        return Keep(name, channels, (r0, r1), src, t.mode, t0 * wpt, (t1 - t0) * wpt, w)


def _account(cfg: Config, steps: list[Step]) -> list[Step]:
    """Fill in each step's loads and transfer sizes, skipping what the
    device already holds: it simulates the device's memories as the host
    knows them (IMem/WMem contents, AMem ranges tagged with which tensor
    rows they hold)."""
    imem = np.zeros(cfg.idepth, np.uint64)
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    i_known = w_known = 0
    amem: list[tuple[int, int, tuple]] = []       # (lo, hi, (tensor, a, b))

    def overlaps(lo, hi):
        return [e for e in amem if e[0] < hi and lo < e[1]]

    for st in steps:
        p = st.prog
        n = len(p.imem)
        code = np.array(p.imem, np.uint64)
        same = n <= i_known and np.array_equal(imem[:n], code)
        st.imem_words = 0 if same else n
        if not same:
            imem[:n] = code
            i_known = max(i_known, n)
        n = len(p.wmem)
        same = n <= w_known and np.array_equal(wmem[:n], p.wmem)
        st.wmem_words = 0 if same else n
        if not same:
            wmem[:n] = p.wmem
            w_known = max(w_known, n)
        st.loads = []
        for name in p.inputs:
            a, b = st.in_rows[name]
            t = p.tensors[name]
            lo, hi = t.base, t.base + t.channels * t.stride
            entry = (lo, hi, (name, a, b))
            resident = entry in amem
            if not resident:
                for e in overlaps(lo, hi):
                    amem.remove(e)
                amem.append(entry)
            st.loads.append(Load(name, (a, b), t.base, t.stride, t.channels, resident,
                                 0 if resident else t.channels * t.stride))
        for t in p.tensors.values():
            if t.name not in p.inputs:
                for e in overlaps(t.base, t.base + t.channels * t.stride):
                    amem.remove(e)
    return steps


def plan_network(cfg: Config, h: int, w: int, inputs: dict[str, int], layers: list[LayerDef],
                 outputs: list[str] | None = None) -> Plan:
    """The arguments of compile_network; a network too big for the
    configuration becomes several programs (module docstring).  Raises
    CompileError naming the layer and the limit when some layer cannot be
    partitioned at all."""
    net = _check_network(cfg, h, w, inputs, layers, outputs)
    pl = _Planner(net)
    pl.plan()
    _account(cfg, pl.steps)
    return Plan(cfg, net.h, net.w, dict(net.inputs), net.layers, net.outputs, pl.host, pl.groups, pl.steps,
                dict(net.grid))


def reference_network(layers: list[LayerDef], x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every tensor of the network, layer by layer on the full image with
    models.reference.layer: no tiles, no bands, no programs."""
    vals = {k: np.asarray(v, np.int64) for k, v in x.items()}
    for ld in layers:
        xin = np.concatenate([vals[s] for s in ld.inputs])
        vals[ld.name] = reference.layer(xin, ld.w, ld.bias, ld.scale, ld.shift, ld.mode,
                                        stride=getattr(ld, "stride", 1))
    return vals
