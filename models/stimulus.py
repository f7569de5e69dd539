"""Constrained-random stimulus: the knobs and the draws of every random
layer, network and bus stimulus, in one place.

A kind of stimulus is described by a frozen knobs dataclass (``LayerKnobs``,
``NetworkKnobs``, ``BusKnobs``) whose defaults reproduce the distributions
the benches used before this module existed; a variant is a named preset or
``knobs.replace(field=value)``.  The ``draw_*`` functions take a numpy
Generator, so a draw is a pure function of (seed, knobs, config); with
``case_rng(seed, index)`` each case of a series has its own stream, so any one
can be replayed alone (the soak's scheme).

    from models import stimulus as S
    from models.spec import CONFIGS
    cfg = CONFIGS["small"]
    rng = S.case_rng(seed=1, index=17)            # case 17 of series 1, replayable alone
    case = S.draw_layer(rng, cfg, S.LAYER_SOAK)   # a models.case.Case that compiles for cfg
    dw3 = S.LAYER_DEFAULT.replace(kernels=((3, 1.0),), sparsity=(("dw", 1.0),), taps_kept=(2, 4))
    case3 = S.draw_layer(rng, cfg, dw3)
    s2 = S.LAYER_DEFAULT.replace(strides=S.WITH_STRIDE2)         # a quarter of the layers stride 2
    case_s2 = S.draw_layer(rng, cfg, s2)
    inputs, layers = S.draw_network(rng, cfg, S.network_block(cfg))   # for compile_network
    bus = S.BUS_TOP_BUSY.replace(long_delay_p=0.0)
    delays = [S.draw_delay(rng, bus) for _ in range(8)]
    addr = S.draw_bus_addr(rng, cfg, {"amem": [0, 1], "wmem": [0], "imem": [0]}, bus)

Constraints between fields are few: a case must compile for the config (fit
AMem, WMem and IMem and the ISA's fields) and some benches want a layer
that runs long enough or loads quickly.  What can be met by construction
is (unmapped register offsets, out-of-depth words, only the illegal kinds
the config has); the rest is a bounded rejection loop in one place per
draw function (draw_layer, draw_network, and the H x W of a tile count),
whose error names the knob to relax.

Why seeded numpy draws and not cocotb-coverage's ``crv.Randomized``.  crv
takes scalar random variables over explicit finite domains and hands the
multi-variable constraints to python-constraint, which enumerates every
solution (``Problem.getSolutions``) before picking one: fine for a few small
fields, slow for shapes times channel counts, and the weight tensors are
not scalars it can solve for anyway (they would be drawn in a
post-randomize hook, i.e. by hand).  It draws from the process-global
``random`` and ``numpy.random`` state, so a case depends on everything
drawn before it, and a case cannot be replayed alone by its index.  Here
the constraints are few and simple (compiles or not, a cycle bound), a
numpy Generator per (seed, index) replays any case alone, a draw costs
about a millisecond, and the same code serves the CLI ``gen`` command, the
soak and the model tests, none of which run a simulator.  What crv adds
over this, weighted distributions, the knobs' (choice, weight) pairs
already express.  Were the constraints to become many and entangled (say,
random programs with interdependent instruction fields), a solver would
earn its cost; functional coverage stays with cocotb-coverage
(verif/common/coverage.py).
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import iss, reference, spec
from .case import SPARSITY_KINDS, Case
from .compiler import CompileError, LayerDef, compile_layer, compile_network
from .spec import (BIAS_MAX, BIAS_MIN, MEM_NAMES, SCALE_MAX, SHIFT_MAX, W_MAX, W_MIN, Config,
                   mem_addr, mem_geometry, out_of_depth_addrs, unmapped_reg_offsets)

__all__ = [
    "StimulusError", "LayerKnobs", "NetworkKnobs", "BusKnobs", "case_rng",
    "draw_layer", "soak_case", "layer_cycles_bound", "draw_weights", "draw_requant", "draw_bias", "draw_network",
    "draw_delay", "draw_bus_addr", "draw_illegal", "ILLEGAL_KINDS",
    "STRIDES_DEFAULT", "WITH_STRIDE2", "LAYER_DEFAULT", "LAYER_SOAK", "LAYER_SYSTEM", "LAYER_SYSTEM_SLOW", "slow_sim", "system_layer",
    "bus_stress_layer", "NETWORK_DEFAULT", "network_block",
    "BUS_DEFAULT", "BUS_TOP_LOAD", "BUS_TOP_BUSY", "BUS_HOSTIF_PROFILES",
]

ILLEGAL_KINDS = ("unmapped", "gap", "ro", "oob", "mem", "start")


class StimulusError(RuntimeError):
    """No draw satisfied the knobs' constraints within the bounded number of
    tries; the message names the knob to relax."""


def case_rng(seed: int, index: int) -> np.random.Generator:
    """The Generator of case `index` of a series with `seed`: independent of
    every other index, so one case replays without drawing the others."""
    return np.random.default_rng([seed, index])


# ---------------------------------------------------------------------------
# Knob checking (at construction, so a bad preset fails where it is written)
# ---------------------------------------------------------------------------
def _prob(cls: str, name: str, v: float) -> None:
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{cls}.{name}: a probability must be in [0, 1], got {v!r}")


def _span(cls: str, name: str, r, lo: float, hi: float | None = None) -> None:
    if len(r) != 2 or not lo <= r[0] <= r[1] or (hi is not None and r[1] > hi):
        top = "" if hi is None else f" <= {hi}"
        raise ValueError(f"{cls}.{name}: must be (lo, hi) with {lo} <= lo <= hi{top}, got {r!r}")


def _weights(cls: str, name: str, pairs, allowed, may_be_empty: bool = False) -> None:
    if may_be_empty and not pairs:
        return
    if not pairs or any(len(p) != 2 for p in pairs):
        raise ValueError(f"{cls}.{name}: must be a non-empty tuple of (choice, weight) pairs, got {pairs!r}")
    for choice, w in pairs:
        if choice not in allowed:
            raise ValueError(f"{cls}.{name}: {choice!r} is not one of {sorted(allowed, key=str)}")
        if not w >= 0:
            raise ValueError(f"{cls}.{name}: weight of {choice!r} must be >= 0, got {w!r}")
    if sum(w for _, w in pairs) <= 0 and not may_be_empty:
        raise ValueError(f"{cls}.{name}: the weights sum to 0")


def _pick(rng: np.random.Generator, pairs):
    """One choice of (choice, weight) pairs, with probability weight / sum."""
    if len(pairs) == 1:
        return pairs[0][0]
    w = np.array([p[1] for p in pairs], float)
    return pairs[int(rng.choice(len(pairs), p=w / w.sum()))][0]


def _uniform_int(rng: np.random.Generator, r: tuple[int, int]) -> int:
    return int(rng.integers(r[0], r[1] + 1))


class _Knobs:
    def replace(self, **kw):
        """A copy with the given fields changed (dataclasses.replace); the
        result is checked like any other knobs."""
        return dataclasses.replace(self, **kw)


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------
WITH_STRIDE2: tuple[tuple[int, float], ...] = ((1, 3.0), (2, 1.0))
"""A quarter of the layers stride 2 (act mode only)."""
STRIDE1_ONLY: tuple[tuple[int, float], ...] = ((1, 1.0),)
"""Stride 1 only: no draw consumes a random number for the stride, so the
draws are those of the stimulus before stride 2 existed."""
STRIDES_DEFAULT: tuple[tuple[int, float], ...] = WITH_STRIDE2
"""The conv strides every knobs default draws (LayerKnobs.strides,
NetworkKnobs.strides): a quarter of the layers stride 2
(docs/architecture.md 6.3).  Pass ``strides=STRIDE1_ONLY`` to one knobs or
to soak_case for stride 1 alone."""


@dataclass(frozen=True)
class LayerKnobs(_Knobs):
    """One random layer case (models.case.Case).  Defaults: the CLI ``gen``
    command's and random_case's distribution.  Ranges are inclusive."""

    # --- shape ---
    max_hw: int = 13
    """H and W each uniform in [1, max_hw] (with `tiles`: H's bound)."""
    max_hw_mix: tuple[int, ...] = ()
    """If given, each case first draws its max_hw uniformly from these, so
    small images come up more often than one bound gives (the soak)."""
    max_w: int | None = None
    """W's bound when it differs from H's; None: max_hw."""
    tiles: tuple[int, int] | None = None
    """If given, H*W fills exactly t tiles of the config's rows (the last one
    partly), t uniform in the range; H is a uniform divisor of H*W within
    max_hw with W <= max_w.  Tiles, not pixels, set a layer's length."""
    max_c: int | None = None
    """Cin and Cout each uniform in [1, max_c]; None: 2 * cols + 3 (three
    output groups, the last partial)."""
    cin: tuple[int, int] | None = None
    """Cin's range when it is not [1, max_c]."""
    cout: tuple[int, int] | None = None
    """Cout's range when it is not [1, max_c]."""
    kernels: tuple[tuple[int, float], ...] = ((1, 1.0), (3, 1.0))
    """(K, weight) pairs: the kernel size's distribution."""
    strides: tuple[tuple[int, float], ...] = STRIDES_DEFAULT
    """(stride, weight) pairs: the conv stride's distribution.  Stride 2 is
    act mode only: a layer drawn as acc mode (acc_p) is stride 1, so the
    stride-2 share is its weight share times (1 - acc_p)."""
    stride2_tiny_p: float = 0.3
    """Given stride 2: H and W each drawn from 1..3 instead (1 x 1 outputs,
    a single output row or column, odd sizes); otherwise the usual shape
    draw, which gives W < rows and W not a multiple of rows.  Not with
    `tiles` (its tile count is a promise)."""

    # --- weights ---
    sparsity: tuple[tuple[str, float], ...] = tuple((k, 1.0) for k in SPARSITY_KINDS)
    """(kind, weight) pairs of the weight structure (see draw_weights):
    dense, dw, random, empty_groups, zero_channels."""
    taps_kept: tuple[int, int] = (1, 9)
    """dw: taps kept per input channel (of 9), uniform; drawn once per layer."""
    random_zero_p: tuple[float, float] = (0.3, 0.95)
    """random: each weight is zero with a probability drawn uniformly from
    this range once per layer."""
    empty_group_p: float = 0.5
    """empty_groups: each output-channel group (cols channels) is all zero
    with this probability."""
    zero_channel_p: float = 0.4
    """zero_channels: each input channel's weights are all zero with this
    probability."""

    # --- activations and operand extremes ---
    act_zero_frac: tuple[float, float] = (0.0, 0.5)
    """Post-ReLU zeros: each activation is zero with a probability drawn
    uniformly from this range once per layer."""
    extreme_p: float = 0.05
    """x all 15 and w all -8 or all 7: the largest |acc| the layer can make."""

    # --- bias ---
    bias_p: float = 0.7
    """The layer has a bias."""
    bias_full_p: float = 0.2
    """Given a bias: drawn from the full 15-bit range (else +-bias_range)."""
    bias_range: int = 300
    """The usual bias magnitude bound: uniform in [-bias_range, bias_range]."""

    # --- output mode ---
    acc_p: float = 0.25
    """acc mode (raw int32 outputs) instead of act."""
    acc_max_out_words: int | None = None
    """acc mode only for layers whose output takes at most this many AMem
    words (acc outputs are 8 words per tile, which a bus bench reads back);
    None: no bound."""

    # --- requantization ---
    requant_zero_scale_p: float = 0.05
    """scale 0 (any shift): every output is the rounding of 0."""
    requant_saturate_p: float = 0.05
    """scale and shift both at their maximum."""
    requant_zero_shift_p: float = 0.05
    """shift 0 with any scale: saturates all but the smallest sums."""
    requant_shift: tuple[int, int] = (8, 23)
    """Otherwise shift uniform in this range ..."""
    requant_gain: tuple[float, float] = (0.5, 4.0)
    """... and scale = 15 * 2**shift / max|acc| times a gain uniform in this
    range: outputs spread over [0, 15], saturating for gains above 1."""

    # --- constraints (checked by draw_layer's rejection loop) ---
    min_cycles: int = 0
    """The layer runs at least this many cycles (cycle model).  0: no check;
    else every draw runs the ISS once."""
    max_imem_words: int | None = None
    """The program takes at most this many IMem words (a quick bus load)."""
    max_tries: int = 100
    """Draws before draw_layer gives up with StimulusError."""

    def __post_init__(self):
        c = "LayerKnobs"
        for name in ("max_hw", "max_tries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{c}.{name}: must be >= 1, got {getattr(self, name)!r}")
        for name in ("max_w", "max_c", "max_imem_words", "acc_max_out_words"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"{c}.{name}: must be >= 1 or None, got {v!r}")
        if any(m < 1 for m in self.max_hw_mix):
            raise ValueError(f"{c}.max_hw_mix: every bound must be >= 1, got {self.max_hw_mix!r}")
        for name in ("tiles", "cin", "cout"):
            if getattr(self, name) is not None:
                _span(c, name, getattr(self, name), 1)
        if max(self.max_hw, *self.max_hw_mix, self.max_w or 1) > spec.DIM_MAX:
            raise ValueError(f"{c}.max_hw/max_w: images are at most {spec.DIM_MAX} pixels a side")
        _weights(c, "kernels", self.kernels, (1, 3))
        _weights(c, "strides", self.strides, (1, 2))
        _prob(c, "stride2_tiny_p", self.stride2_tiny_p)
        _weights(c, "sparsity", self.sparsity, SPARSITY_KINDS)
        _span(c, "taps_kept", self.taps_kept, 1, 9)
        _span(c, "random_zero_p", self.random_zero_p, 0.0, 1.0)
        _span(c, "act_zero_frac", self.act_zero_frac, 0.0, 1.0)
        for name in ("empty_group_p", "zero_channel_p", "extreme_p", "bias_p", "bias_full_p", "acc_p",
                     "requant_zero_scale_p", "requant_saturate_p", "requant_zero_shift_p"):
            _prob(c, name, getattr(self, name))
        if self.requant_zero_scale_p + self.requant_saturate_p + self.requant_zero_shift_p > 1:
            raise ValueError(f"{c}.requant_*_p: the three extreme probabilities sum to more than 1")
        if not 0 <= self.bias_range <= BIAS_MAX:
            raise ValueError(f"{c}.bias_range: must be in [0, {BIAS_MAX}], got {self.bias_range!r}")
        _span(c, "requant_shift", self.requant_shift, 0, SHIFT_MAX)
        _span(c, "requant_gain", self.requant_gain, 0.0)
        if self.min_cycles < 0:
            raise ValueError(f"{c}.min_cycles: must be >= 0, got {self.min_cycles!r}")


def draw_weights(rng: np.random.Generator, cout: int, cin: int, k: int, cols: int,
                 knobs: LayerKnobs | None = None, kind: str | None = None,
                 taps_kept: int | None = None) -> np.ndarray:
    """Weights (cout, cin, k, k) in [-8, 7] with a sparsity structure; kind
    and taps_kept are drawn from the knobs unless given.
    dense: every weight drawn from [-8, 7] (a few zeros by chance);
    dw: each input channel keeps taps_kept of 9 taps for all output channels,
        the pattern of a pruned depth-wise kernel folded into a PW layer
        (K=1: as dense);
    random: unstructured, each weight zero with probability U(random_zero_p);
    empty_groups: some whole output-channel groups are all zero;
    zero_channels: some input channels have all-zero weights."""
    kn = knobs or LAYER_DEFAULT
    kind = kind if kind is not None else _pick(rng, kn.sparsity)
    w = rng.integers(W_MIN, W_MAX + 1, size=(cout, cin, k, k))
    if kind == "dw" and k == 3:
        kept = taps_kept if taps_kept is not None else _uniform_int(rng, kn.taps_kept)
        mask = np.zeros((cin, 9), bool)
        for ci in range(cin):
            mask[ci, rng.choice(9, kept, replace=False)] = True
        nonzero = np.array([v for v in range(W_MIN, W_MAX + 1) if v])
        w = np.where(mask.reshape(1, cin, 3, 3), rng.choice(nonzero, size=w.shape), 0)
    elif kind == "random":
        w = w * (rng.random(w.shape) >= rng.uniform(*kn.random_zero_p))
    elif kind == "empty_groups":
        for g in range(0, cout, cols):
            if rng.random() < kn.empty_group_p:
                w[g:g + cols] = 0
    elif kind == "zero_channels":
        w[:, rng.random(cin) < kn.zero_channel_p] = 0
    elif kind != "dense" and kind != "dw":
        raise ValueError(f"draw_weights: unknown sparsity kind {kind!r} (one of {SPARSITY_KINDS})")
    return w


def draw_requant(rng: np.random.Generator, acc: np.ndarray, knobs: LayerKnobs | None = None) -> tuple[int, int]:
    """(scale, shift) that spread acc over [0, 15], or an extreme."""
    kn = knobs or LAYER_DEFAULT
    r = rng.random()
    p = kn.requant_zero_scale_p
    if r < p:
        return 0, int(rng.integers(0, SHIFT_MAX + 1))
    p += kn.requant_saturate_p
    if r < p:
        return SCALE_MAX, SHIFT_MAX
    p += kn.requant_zero_shift_p
    if r < p:
        return int(rng.integers(0, SCALE_MAX + 1)), 0
    span = max(1, int(np.abs(acc).max(initial=1)))
    shift = _uniform_int(rng, kn.requant_shift)
    scale = int(np.clip(round(15 * 2 ** shift / span * rng.uniform(*kn.requant_gain)), 0, SCALE_MAX))
    return scale, shift


def draw_bias(rng: np.random.Generator, cout: int, knobs: LayerKnobs | None = None) -> np.ndarray | None:
    """A bias per output channel, or None (no bias)."""
    kn = knobs or LAYER_DEFAULT
    if rng.random() >= kn.bias_p:
        return None
    if rng.random() < kn.bias_full_p:
        return rng.integers(BIAS_MIN, BIAS_MAX + 1, size=cout)
    return rng.integers(-kn.bias_range, kn.bias_range + 1, size=cout)


def _draw_tiled_hw(rng: np.random.Generator, rows: int, kn: LayerKnobs, max_h: int) -> tuple[int, int]:
    """H, W with H*W filling t tiles.  A pixel count with no divisor in
    bounds (a large prime) is drawn again: the bounds are the knobs' promise."""
    max_w = kn.max_w or max_h
    for _ in range(64):
        t = _uniform_int(rng, kn.tiles)
        hw = int(rng.integers((t - 1) * rows + 1, t * rows + 1))
        hs = [d for d in range(1, min(max_h, hw) + 1) if hw % d == 0 and hw // d <= max_w]
        if hs:
            h = int(rng.choice(hs))
            return h, hw // h
    raise StimulusError(f"LayerKnobs.tiles={kn.tiles}: no H <= {max_h} (max_hw) and W <= {max_w} (max_w) "
                        f"make t tiles of {rows} pixels; raise max_hw or max_w, or lower tiles")


def _draw_layer_once(rng: np.random.Generator, cfg: Config, kn: LayerKnobs) -> Case:
    max_h = int(rng.choice(kn.max_hw_mix)) if kn.max_hw_mix else kn.max_hw
    k = _pick(rng, kn.kernels)
    stride = _pick(rng, kn.strides)            # draws nothing when stride 1 is the only choice
    if stride == 2 and kn.tiles is None and rng.random() < kn.stride2_tiny_p:
        h, wd = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    elif kn.tiles is not None:
        h, wd = _draw_tiled_hw(rng, cfg.rows, kn, max_h)
    else:
        h = int(rng.integers(1, max_h + 1))
        wd = int(rng.integers(1, (kn.max_w or max_h) + 1))
    max_c = kn.max_c or 2 * cfg.cols + 3
    cin = _uniform_int(rng, kn.cin or (1, max_c))
    cout = _uniform_int(rng, kn.cout or (1, max_c))
    kind = _pick(rng, kn.sparsity)
    if rng.random() < kn.extreme_p:      # extreme operands: the largest |acc|
        x = np.full((cin, h, wd), 15)
        w = np.full((cout, cin, k, k), int(rng.choice([W_MIN, W_MAX])))
    else:
        x = rng.integers(0, 16, size=(cin, h, wd))
        x = x * (rng.random(x.shape) >= rng.uniform(*kn.act_zero_frac))   # post-ReLU zeros
        w = draw_weights(rng, cout, cin, k, cfg.cols, kn, kind)
    bias = draw_bias(rng, cout, kn)
    acc_fits = (kn.acc_max_out_words is None
                or cout * -(-h * wd // cfg.rows) * spec.ACC_WORDS_PER_TILE <= kn.acc_max_out_words)
    mode = "acc" if acc_fits and rng.random() < kn.acc_p else "act"
    if mode == "acc":
        stride = 1                             # no stride-2 acc mode; acc_p wins
    scale, shift = draw_requant(rng, reference.layer(x, w, bias, mode="acc", stride=stride), kn)
    return Case(x, w, bias, scale, shift, mode, stride)


def _layer_rejection(case: Case, cfg: Config, kn: LayerKnobs) -> tuple[str, str] | None:
    """None if the case meets the constraints, else (knob, reason)."""
    try:
        prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode, case.stride)
    except CompileError as e:
        return "max_hw/max_c/cin/cout/tiles", f"does not compile for config {cfg.name}: {e}"
    if kn.max_imem_words is not None and len(prog.imem) > kn.max_imem_words:
        return "max_imem_words", f"{len(prog.imem)} IMem words > {kn.max_imem_words}"
    if kn.min_cycles:
        res = iss.run(prog.memories({"x": case.x}), prog.start_pc)
        if res.err or res.cycles < kn.min_cycles:
            return "min_cycles", f"{res.cycles} cycles < {kn.min_cycles}"
    return None


def layer_cycles_bound(cfg: Config, knobs: LayerKnobs | None = None) -> int:
    """An upper bound on the busy cycles of any layer drawn with ``knobs``,
    from the cycle model's structure: each (group, tile) takes one cycle per
    valid step, or as many as the drain needs for the tile before it (cols
    words, 8x that in acc mode) when that is longer, plus a few cycles of
    pipeline fill; benches size their timeouts from it."""
    kn = knobs or LAYER_DEFAULT
    max_h = max((kn.max_hw, *kn.max_hw_mix))
    max_w = kn.max_w or max_h
    max_c = kn.max_c or 2 * cfg.cols + 3
    cin = kn.cin[1] if kn.cin else max_c
    cout = kn.cout[1] if kn.cout else max_c
    k2 = max(k for k, _ in kn.kernels) ** 2
    tiles = kn.tiles[1] if kn.tiles else -(-max_h * max_w // cfg.rows)
    groups = -(-cout // cfg.cols)
    drain = cfg.cols * (spec.ACC_WORDS_PER_TILE if kn.acc_p > 0 else 1)
    return groups * tiles * (max(cin * k2, drain) + 2 * spec.ISSUE_TO_MAC + spec.REQ_LAT + 2) + 64


def draw_layer(rng: np.random.Generator, cfg: Config, knobs: LayerKnobs | None = None) -> Case:
    """A random layer case that compiles for cfg and meets the knobs'
    constraints (the one rejection loop of layer draws)."""
    kn = knobs or LAYER_DEFAULT
    why: Counter = Counter()
    last: dict[str, str] = {}
    for _ in range(kn.max_tries):
        case = _draw_layer_once(rng, cfg, kn)
        bad = _layer_rejection(case, cfg, kn)
        if bad is None:
            return case
        why[bad[0]] += 1
        last[bad[0]] = bad[1]
    knob, n = why.most_common(1)[0]
    raise StimulusError(f"draw_layer: no case for config {cfg.name} met the constraints in {kn.max_tries} "
                        f"draws (LayerKnobs.max_tries); {n} rejected by LayerKnobs.{knob}, e.g. {last[knob]}; "
                        f"relax LayerKnobs.{knob}")


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkKnobs(_Knobs):
    """A random multi-layer program on one H x W grid (models.compiler
    LayerDef list).  Defaults: the random networks of the model tests
    (models/tests/util.py random_network)."""

    structure: str = "random"
    """"random": a chain of `layers` layers with random skips (below);
    "block": the IB-SSL block of the system bench, x -> PW expand to 2c ->
    sparse 3x3 -> residual 3x3 over [that, x] -> acc classifier (`layers`,
    `concat_p` and `residual_p` do not apply)."""
    layers: tuple[int, int] = (2, 5)
    """Number of layers, uniform."""
    h: tuple[int, int] = (1, 9)
    """Image height, uniform."""
    w: tuple[int, int] = (1, 9)
    """Image width, uniform."""
    inputs: tuple[int, int] = (1, 2)
    """Number of input tensors, uniform (random structure)."""
    width: tuple[int, int] | None = None
    """Channels of each input tensor and each layer that is neither a
    residual nor the classifier, uniform; None: [1, cols + 3]."""
    kernels: tuple[tuple[int, float], ...] = ((1, 1.0), (3, 1.0))
    """(K, weight) pairs of each layer's kernel (block: fixed 1, 3, 3, 1)."""
    strides: tuple[tuple[int, float], ...] = STRIDES_DEFAULT
    """(stride, weight) pairs of each layer's stride (random structure; the
    acc classifier is always stride 1).  After a stride-2 layer the network
    runs at the smaller size; a concatenated older tensor is one of the
    newest tensor's size."""
    concat_p: float = 0.6
    """A layer reads, besides the newest tensor, an older one (channel
    concatenation), when there is one."""
    residual_p: float = 0.5
    """Given two inputs: a residual, i.e. identity weights on the second
    input's channels and Cout equal to them."""
    acc_classifier_p: float = 0.3
    """The last layer is an acc-mode classifier (block: always)."""
    classifier_width: tuple[int, int] | None = None
    """Cout of the acc classifier; None: `width`."""
    layer: LayerKnobs = field(default_factory=lambda: LayerKnobs(
        sparsity=(("dense", 1.0), ("dw", 1.0), ("random", 1.0), ("empty_groups", 1.0)),
        bias_p=0.4, bias_range=200))
    """Weights (sparsity, taps_kept, ...), bias, requantization and the
    activations' zero fraction of every layer; its shape, mode, extreme and
    constraint knobs do not apply."""
    max_tries: int = 50
    """Draws before draw_network gives up with StimulusError."""

    def __post_init__(self):
        c = "NetworkKnobs"
        if self.structure not in ("random", "block"):
            raise ValueError(f"{c}.structure: must be 'random' or 'block', got {self.structure!r}")
        _span(c, "layers", self.layers, 1)
        _span(c, "h", self.h, 1, spec.DIM_MAX)
        _span(c, "w", self.w, 1, spec.DIM_MAX)
        _span(c, "inputs", self.inputs, 1)
        for name in ("width", "classifier_width"):
            if getattr(self, name) is not None:
                _span(c, name, getattr(self, name), 1)
        _weights(c, "kernels", self.kernels, (1, 3))
        _weights(c, "strides", self.strides, (1, 2))
        for name in ("concat_p", "residual_p", "acc_classifier_p"):
            _prob(c, name, getattr(self, name))
        if not isinstance(self.layer, LayerKnobs):
            raise ValueError(f"{c}.layer: must be a LayerKnobs, got {type(self.layer).__name__}")
        if self.max_tries < 1:
            raise ValueError(f"{c}.max_tries: must be >= 1, got {self.max_tries!r}")


class _NetBuilder:
    """The tensors drawn so far, their reference values (each layer's
    requantization is fitted to its real accumulators) and the layers."""

    def __init__(self, rng: np.random.Generator, cfg: Config, kn: NetworkKnobs):
        self.rng, self.cfg, self.kn = rng, cfg, kn
        self.h, self.w = _uniform_int(rng, kn.h), _uniform_int(rng, kn.w)
        self.width = kn.width or (1, cfg.cols + 3)
        self.inputs: dict[str, np.ndarray] = {}
        self.vals: dict[str, np.ndarray] = {}
        self.act: list[str] = []          # tensors a later layer may read, oldest first
        self.layers: list[LayerDef] = []

    def add_input(self, name: str) -> None:
        rng, lk = self.rng, self.kn.layer
        x = rng.integers(0, 16, size=(_uniform_int(rng, self.width), self.h, self.w))
        x = x * (rng.random(x.shape) >= rng.uniform(*lk.act_zero_frac))
        self.inputs[name] = self.vals[name] = x
        self.act.append(name)

    def add_layer(self, name: str, srcs: list[str], k: int, cout: int, *, residual: bool = False,
                  acc: bool = False, kind: str | None = None, stride: int = 1) -> None:
        rng, lk = self.rng, self.kn.layer
        chans = [len(self.vals[s]) for s in srcs]
        wt = draw_weights(rng, cout, sum(chans), k, self.cfg.cols, lk, kind)
        if residual:           # identity on the second input's channels
            wt[:, chans[0]:] = 0
            for co in range(cout):
                wt[co, chans[0] + co, k // 2, k // 2] = 1
        bias = draw_bias(rng, cout, lk)
        x = np.concatenate([self.vals[s] for s in srcs])
        scale, shift = draw_requant(rng, reference.layer(x, wt, bias, mode="acc", stride=stride), lk)
        mode = "acc" if acc else "act"
        self.layers.append(LayerDef(name, list(srcs), wt, bias, scale, shift, mode, stride))
        self.vals[name] = reference.layer(x, wt, bias, scale, shift, mode, stride=stride)
        if not acc:
            self.act.append(name)

    def classifier_cout(self) -> int:
        return _uniform_int(self.rng, self.kn.classifier_width or self.width)


def _draw_random_net(b: _NetBuilder) -> None:
    rng, kn = b.rng, b.kn
    for i in range(_uniform_int(rng, kn.inputs)):
        b.add_input(f"in{i}")
    n = _uniform_int(rng, kn.layers)
    for i in range(n):
        classifier = i == n - 1 and rng.random() < kn.acc_classifier_p
        srcs = [b.act[-1]]
        # older tensors of the newest one's size (all of them while every
        # layer is stride 1, so the draws are those of the stride-1 networks)
        same = [t for t in b.act[:-1] if b.vals[t].shape[1:] == b.vals[srcs[0]].shape[1:]]
        if same and rng.random() < kn.concat_p:
            srcs.append(same[int(rng.integers(0, len(same)))])
        residual = len(srcs) == 2 and rng.random() < kn.residual_p
        cout = (len(b.vals[srcs[1]]) if residual
                else b.classifier_cout() if classifier else _uniform_int(rng, b.width))
        k = _pick(rng, kn.kernels)
        stride = 1 if classifier else _pick(rng, kn.strides)
        b.add_layer(f"t{i}", srcs, k, cout, residual=residual, acc=classifier, stride=stride)


def _draw_block_net(b: _NetBuilder) -> None:
    b.add_input("x")
    c = len(b.vals["x"])
    b.add_layer("e", ["x"], 1, 2 * c, kind="dense")
    b.add_layer("d", ["e"], 3, c)
    b.add_layer("r", ["d", "x"], 3, c, residual=True)
    b.add_layer("logits", ["r"], 1, b.classifier_cout(), acc=True, kind="dense")


def draw_network(rng: np.random.Generator, cfg: Config,
                 knobs: NetworkKnobs | None = None) -> tuple[dict[str, np.ndarray], list[LayerDef]]:
    """(input tensors by name, layers) of a random network that compiles for
    cfg: compile_network(cfg, H, W, {n: len(x) for n, x in inputs.items()},
    layers) with H, W the inputs' spatial shape."""
    kn = knobs or NETWORK_DEFAULT
    last = None
    for _ in range(kn.max_tries):
        b = _NetBuilder(rng, cfg, kn)
        (_draw_block_net if kn.structure == "block" else _draw_random_net)(b)
        try:
            compile_network(cfg, b.h, b.w, {n: len(x) for n, x in b.inputs.items()}, b.layers)
        except CompileError as e:
            last = e
            continue
        return b.inputs, b.layers
    raise StimulusError(f"draw_network: no network compiled for config {cfg.name} in {kn.max_tries} draws "
                        f"(NetworkKnobs.max_tries), e.g. {last}; relax NetworkKnobs.h/w/width/layers")


# ---------------------------------------------------------------------------
# Host bus (AXI4-Lite): the address map is models/spec.py's
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BusKnobs(_Knobs):
    """Raw AXI4-Lite stress (verif/common/axil_driver.py's AxilRawDriver fed
    by verif/common/axil_traffic.py).  Defaults: the load phase of the system
    bench's bus_stress_program."""

    # --- valid delays (idle cycles before AW, W or AR valid) ---
    long_delay_p: float = 0.15
    """A long delay (AW and W far apart, idle bus)."""
    zero_delay_share: float = 0.5
    """Of the delays that are not long, the share that is 0 (the rest short):
    P(0) = (1 - long_delay_p) * zero_delay_share."""
    short_delay: tuple[int, int] = (1, 3)
    """Short delay range, uniform."""
    long_delay: tuple[int, int] = (4, 23)
    """Long delay range, uniform."""

    # --- response backpressure (per cycle) ---
    bready_p: float = 0.5
    """BREADY high in a cycle."""
    rready_p: float = 0.4
    """RREADY high in a cycle."""

    # --- address bias of draw_bus_addr (the rest: a word of the memory pools) ---
    addr_reg_p: float = 0.35
    """A register's offset."""
    addr_unmapped_p: float = 0.05
    """An unmapped offset of the register window (DECERR)."""
    addr_gap_p: float = 0.05
    """An address between the register window and AMem (DECERR)."""
    addr_out_of_depth_p: float = 0.07
    """A word of a memory window past the memory's depth (DECERR), or the
    window's last slot when the memory fills its window."""

    # --- illegal access mix of draw_illegal ---
    illegal: tuple[tuple[str, float], ...] = (("unmapped", 1.0), ("gap", 1.0), ("ro", 1.0), ("oob", 1.0))
    """(kind, weight) pairs while idle: unmapped register offset, window gap,
    write to a RO register, out-of-depth word (dropped when no memory of the
    config has one)."""
    illegal_busy: tuple[tuple[str, float], ...] = (("mem", 2.0), ("start", 1.0))
    """Kinds added while the core runs: a memory word (SLVERR) and a second
    CTRL.START (SLVERR)."""

    def __post_init__(self):
        c = "BusKnobs"
        for name in ("long_delay_p", "zero_delay_share", "bready_p", "rready_p", "addr_reg_p",
                     "addr_unmapped_p", "addr_gap_p", "addr_out_of_depth_p"):
            _prob(c, name, getattr(self, name))
        _span(c, "short_delay", self.short_delay, 0)
        _span(c, "long_delay", self.long_delay, 0)
        if self.addr_reg_p + self.addr_unmapped_p + self.addr_gap_p + self.addr_out_of_depth_p > 1:
            raise ValueError(f"{c}.addr_*_p: the address biases sum to more than 1")
        # either may be empty or all zero (e.g. only busy-time accesses);
        # draw_illegal checks that the kinds in play have some weight
        _weights(c, "illegal", self.illegal, ILLEGAL_KINDS, may_be_empty=True)
        _weights(c, "illegal_busy", self.illegal_busy, ILLEGAL_KINDS, may_be_empty=True)


def draw_delay(rng: np.random.Generator, knobs: BusKnobs | None = None) -> int:
    """Idle cycles before a channel's valid."""
    kn = knobs or BUS_DEFAULT
    k = rng.random()
    if k < kn.long_delay_p:
        return _uniform_int(rng, kn.long_delay)
    if k < kn.long_delay_p + (1 - kn.long_delay_p) * kn.zero_delay_share:
        return 0
    return _uniform_int(rng, kn.short_delay)


def draw_bus_addr(rng: np.random.Generator, cfg: Config, pools: dict, knobs: BusKnobs | None = None) -> int:
    """A byte address biased to interesting places; addr[1:0] random (the
    slave must ignore them).  ``pools``: memory name -> candidate words."""
    kn = knobs or BUS_DEFAULT
    lo = int(rng.integers(0, 4))
    k = rng.random()
    p = kn.addr_reg_p
    if k < p:
        return spec.REGS[int(rng.integers(0, len(spec.REGS)))].offset | lo
    p += kn.addr_unmapped_p
    if k < p:
        return int(rng.choice(unmapped_reg_offsets())) | lo
    p += kn.addr_gap_p
    if k < p:
        return int(rng.integers(spec.REG_WINDOW[1], spec.AMEM_BASE)) | lo
    name = MEM_NAMES[int(rng.integers(0, 3))]
    base, bits, depth = mem_geometry(cfg, name)
    n = spec.slots_per_word(bits)
    if k < p + kn.addr_out_of_depth_p:
        last = spec.WINDOW_BYTES // (4 * n) - 1
        word = int(rng.integers(min(depth, last), last + 1))
    else:
        word = int(rng.choice(pools[name]))
    return base + (word * n + int(rng.integers(0, n))) * 4 + lo


def draw_illegal(rng: np.random.Generator, cfg: Config, words: dict, busy: bool,
                 knobs: BusKnobs | None = None) -> tuple[str, int]:
    """One illegal access, ('read' | 'write', byte address).  ``words``:
    memory name -> the words in play (the 'mem' kind, while busy)."""
    kn = knobs or BUS_DEFAULT
    oob = [a for m in MEM_NAMES for a in out_of_depth_addrs(cfg, m)]
    kinds = [p for p in kn.illegal + (kn.illegal_busy if busy else ()) if p[1] > 0 and (p[0] != "oob" or oob)]
    if not kinds:
        raise StimulusError(f"draw_illegal: no illegal kind with weight > 0 left for config {cfg.name} "
                            f"(busy={busy}; 'oob' needs a memory smaller than its window); "
                            f"add kinds to BusKnobs.illegal{'_busy' if busy else ''}")
    k = _pick(rng, kinds)
    rw = str(rng.choice(["read", "write"]))
    if k == "unmapped":
        return rw, int(rng.choice(unmapped_reg_offsets()))
    if k == "gap":
        return rw, int(rng.integers(spec.REG_WINDOW[1] // 4, spec.AMEM_BASE // 4)) * 4
    if k == "ro":
        ro = [r.offset for r in spec.REGS if r.access == "RO"]
        return "write", int(rng.choice(ro))
    if k == "oob":
        return rw, int(rng.choice(oob))
    if k == "mem":
        name = MEM_NAMES[int(rng.integers(0, 3))]
        n = spec.slots_per_word(mem_geometry(cfg, name)[1])
        return rw, mem_addr(cfg, name, int(rng.choice(words[name])), int(rng.integers(0, n)))
    return "write", spec.REG["CTRL"].offset          # start


# ---------------------------------------------------------------------------
# Presets: the variants the benches use
# ---------------------------------------------------------------------------
LAYER_DEFAULT = LayerKnobs()
"""models.case.random_case and the CLI ``gen`` command."""
LAYER_SOAK = LayerKnobs(max_hw_mix=(5, 9, 13))
"""verif/soak.py: max_hw drawn per case from 5, 9, 13."""
LAYER_SYSTEM = LayerKnobs(max_hw=11)
"""System bench random_layers (verif/system/test_spw_top.py)."""
LAYER_SYSTEM_SLOW = LayerKnobs(max_hw=6, max_c=40)
"""The same on a slow simulation (chip configuration on Icarus)."""


def soak_case(cfg: Config, seed: int, index: int, strides: tuple[tuple[int, float], ...] | None = None):
    """Case ``index`` of the soak with ``seed`` (verif/soak.py, the P6
    benchmark) and its compiled program: independent of the other indices,
    so any one replays alone.  strides: (stride, weight) pairs, e.g.
    WITH_STRIDE2; None: LAYER_SOAK's (STRIDES_DEFAULT, stride 1 only)."""
    case = draw_layer(case_rng(seed, index), cfg, LAYER_SOAK if strides is None else LAYER_SOAK.replace(strides=strides))
    prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode, case.stride)
    return case, prog


def slow_sim(cfg: Config, sim: str) -> bool:
    """The chip configuration on Icarus: minutes per layer, so smaller stimulus."""
    return cfg.name == "chip" and sim == "icarus"


def system_layer(cfg: Config, sim: str) -> LayerKnobs:
    """LAYER_SYSTEM, or LAYER_SYSTEM_SLOW where slow_sim."""
    return LAYER_SYSTEM_SLOW if slow_sim(cfg, sim) else LAYER_SYSTEM


def bus_stress_layer(cfg: Config, slow: bool, busy_accesses: int | None = None) -> LayerKnobs:
    """The layer of bus_stress_program: 3x3, enough tiles and steps that its
    run outlasts the busy-phase batch (about 15 cycles per access plus 150),
    yet quick to load over the bus (<= 200 IMem words).  slow (chip on
    Icarus): 4..6 tiles, two groups, dense, act; otherwise 8..16 tiles,
    dense or dw, acc when the output is small.  busy_accesses: the batch
    (default 10 slow, 24 otherwise)."""
    n_busy = busy_accesses if busy_accesses is not None else (10 if slow else 24)
    cols = cfg.cols
    return LayerKnobs(
        max_hw=16, max_w=64, tiles=(4, 6) if slow else (8, 16),
        cin=(4, 6) if slow else (3, 6),
        cout=(cols + 1, cols + 4) if slow else (cols // 2 + 1, cols + 3),
        kernels=((3, 1.0),),
        sparsity=(("dense", 1.0),) if slow else (("dense", 1.0), ("dw", 1.0)),
        taps_kept=(5, 9), act_zero_frac=(0.0, 0.0), extreme_p=0.0,
        bias_p=0.5, bias_full_p=0.0, bias_range=300,
        acc_p=0.0 if slow else 0.3, acc_max_out_words=800,
        min_cycles=15 * n_busy + 150, max_imem_words=200, max_tries=200)


NETWORK_DEFAULT = NetworkKnobs()
"""Random chains with skips, residuals and an occasional acc classifier."""


def network_block(cfg: Config) -> NetworkKnobs:
    """System bench multi_layer_program: the IB-SSL block on a 5 x 7 grid
    with c = cols + 3 channels (a partial second group), a dense expand to
    2c, the two 3x3 layers sparse (random, 0.7..0.8 zeros), a dense 10-way
    acc classifier; each layer has a bias (+-100) half the time, and its
    requantization is fitted to its accumulators (the bench's were fixed
    by hand)."""
    return NetworkKnobs(
        structure="block", h=(5, 5), w=(7, 7), width=(cfg.cols + 3, cfg.cols + 3),
        classifier_width=(10, 10),
        layer=LayerKnobs(sparsity=(("random", 1.0),), random_zero_p=(0.7, 0.8), act_zero_frac=(0.0, 0.0),
                         bias_p=0.5, bias_full_p=0.0, bias_range=100))


BUS_DEFAULT = BusKnobs()
BUS_TOP_LOAD = BUS_DEFAULT
"""System bench bus_stress_program, phase 1 (idle, loading the program)."""
BUS_TOP_BUSY = BusKnobs(bready_p=0.6, rready_p=0.6, long_delay_p=0.05)
"""System bench bus_stress_program, phase 2 (accesses while the core runs)."""
BUS_HOSTIF_PROFILES = (
    BusKnobs(bready_p=1.0, rready_p=1.0, long_delay_p=0.0),
    BusKnobs(bready_p=0.3, rready_p=0.3, long_delay_p=0.2),
    BusKnobs(bready_p=0.6, rready_p=0.2, long_delay_p=0.1),
    BusKnobs(bready_p=0.15, rready_p=0.8, long_delay_p=0.3),
    BusKnobs(bready_p=0.5, rready_p=0.5, long_delay_p=0.5),
)
"""Host-interface block bench stress_raw: the batches cycle through these."""
