"""models/stimulus.py: every draw is legal, draws replay per (seed, index),
each knob moves the distribution it claims to, the defaults keep the
distributions of the generators they replaced, and knobs that cannot be
met fail with an error naming the knob."""
import numpy as np
import pytest

from models import case as casemod
from models import iss, spec
from models import stimulus as S
from models.compiler import compile_layer, compile_network
from models.memory import num_tiles

from .util import chained_reference

SMALL, CHIP = spec.CONFIGS["small"], spec.CONFIGS["chip"]


def as_dict(c: casemod.Case) -> dict:
    d = {"x": c.x, "w": c.w, "scale": np.int64(c.scale), "shift": np.int64(c.shift), "mode": np.array(c.mode)}
    if c.bias is not None:
        d["bias"] = c.bias
    return d


def draws(cfg, knobs, n, seed=0):
    return [S.draw_layer(S.case_rng(seed, i), cfg, knobs) for i in range(n)]


def same_case(a: casemod.Case, b: casemod.Case) -> bool:
    return (np.array_equal(a.x, b.x) and np.array_equal(a.w, b.w) and a.scale == b.scale
            and a.shift == b.shift and a.mode == b.mode
            and ((a.bias is None and b.bias is None)
                 or (a.bias is not None and b.bias is not None and np.array_equal(a.bias, b.bias))))


# --------------------------------------------------------------------------- legality
PRESETS = [("default", lambda c: S.LAYER_DEFAULT), ("soak", lambda c: S.LAYER_SOAK),
           ("system", lambda c: S.LAYER_SYSTEM), ("system_slow", lambda c: S.LAYER_SYSTEM_SLOW),
           ("bus_stress", lambda c: S.bus_stress_layer(c, False)),
           ("bus_stress_slow", lambda c: S.bus_stress_layer(c, True))]


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("name,preset", PRESETS, ids=[p[0] for p in PRESETS])
def test_drawn_layers_are_legal(cfg, name, preset):
    knobs = preset(cfg)
    n = 60 if name.startswith("bus") else 150
    for i, c in enumerate(draws(cfg, knobs, n, seed=11)):
        v = casemod.validate(as_dict(c))               # the CASE.npz checks
        prog = compile_layer(cfg, v.x.shape, v.w, v.bias, v.scale, v.shift, v.mode)
        if knobs.max_imem_words is not None:
            assert len(prog.imem) <= knobs.max_imem_words, (name, i)
        if knobs.min_cycles:
            assert iss.run(prog.memories({"x": c.x})).cycles >= knobs.min_cycles, (name, i)
        if i % 10 == 0:                                # the golden model agrees with the reference
            casemod.run_golden(c, cfg)


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("block", [False, True], ids=["random", "block"])
def test_drawn_networks_compile_and_run(cfg, block):
    knobs = S.network_block(cfg) if block else S.NETWORK_DEFAULT
    for i in range(12 if cfg is CHIP else 30):
        inputs, layers = S.draw_network(S.case_rng(5, i), cfg, knobs)
        (h, w), = {x.shape[1:] for x in inputs.values()}
        prog = compile_network(cfg, h, w, {n: len(x) for n, x in inputs.items()}, layers)
        mem = prog.memories(inputs)
        res = iss.run(mem, prog.start_pc)
        assert res.err == spec.Err.NONE, i
        ref = chained_reference(inputs, layers)
        for o in prog.outputs:
            assert np.array_equal(prog.read(mem.amem, o), ref[o]), (i, o)


def test_block_network_structure():
    inputs, layers = S.draw_network(S.case_rng(1, 0), SMALL, S.network_block(SMALL))
    c = SMALL.cols + 3
    assert inputs["x"].shape == (c, 5, 7)
    assert [(ld.name, ld.inputs, ld.w.shape, ld.mode) for ld in layers] == [
        ("e", ["x"], (2 * c, c, 1, 1), "act"), ("d", ["e"], (c, 2 * c, 3, 3), "act"),
        ("r", ["d", "x"], (c, 2 * c, 3, 3), "act"), ("logits", ["r"], (10, c, 1, 1), "acc")]
    ident = np.zeros((c, c, 3, 3), np.int64)
    ident[np.arange(c), np.arange(c), 1, 1] = 1
    assert np.array_equal(layers[2].w[:, c:], ident)      # the residual


# --------------------------------------------------------------------------- replay
def test_draws_replay_per_seed_and_index():
    for i in range(20):
        assert same_case(S.draw_layer(S.case_rng(7, i), SMALL), S.draw_layer(S.case_rng(7, i), SMALL))
        a, b = (S.draw_network(S.case_rng(7, i), SMALL) for _ in range(2))
        assert a[0].keys() == b[0].keys() and all(np.array_equal(a[0][k], b[0][k]) for k in a[0])
        assert all(np.array_equal(x.w, y.w) and x.inputs == y.inputs for x, y in zip(a[1], b[1]))
    # another index or another seed draws another case (all 40 distinct)
    cs = [S.draw_layer(S.case_rng(7, i), SMALL) for i in range(20)] + \
         [S.draw_layer(S.case_rng(8, i), SMALL) for i in range(20)]
    assert not any(same_case(cs[i], cs[j]) for i in range(40) for j in range(i))
    bus = [[S.draw_delay(S.case_rng(3, i)) for _ in range(30)] for i in (0, 0, 1)]
    assert bus[0] == bus[1] != bus[2]


def test_case_rng_is_independent_of_other_indices():
    """Case i is the same whether or not cases 0..i-1 were drawn first."""
    alone = S.draw_layer(S.case_rng(2, 9), SMALL, S.LAYER_SOAK)
    for i in range(9):
        S.draw_layer(S.case_rng(2, i), SMALL, S.LAYER_SOAK)
    assert same_case(alone, S.draw_layer(S.case_rng(2, 9), SMALL, S.LAYER_SOAK))


# --------------------------------------------------------------------------- knobs
def test_acc_p():
    assert {c.mode for c in draws(SMALL, S.LayerKnobs(acc_p=1.0), 60)} == {"acc"}
    assert {c.mode for c in draws(SMALL, S.LayerKnobs(acc_p=0.0), 60)} == {"act"}
    frac = np.mean([c.mode == "acc" for c in draws(SMALL, S.LAYER_DEFAULT, 400)])
    assert 0.18 < frac < 0.32, frac


def test_acc_max_out_words():
    kn = S.LayerKnobs(acc_p=1.0, acc_max_out_words=64, max_hw=9, max_c=12)
    cs = draws(SMALL, kn, 100)
    for c in cs:
        words = c.w.shape[0] * num_tiles(*c.x.shape[1:], SMALL.rows) * spec.ACC_WORDS_PER_TILE
        assert (c.mode == "acc") == (words <= 64)
    assert {c.mode for c in cs} == {"act", "acc"}


def test_shape_knobs():
    cs = draws(SMALL, S.LayerKnobs(max_hw=3, max_c=4, kernels=((3, 1.0),)), 150)
    hs = {s for c in cs for s in c.x.shape[1:]}
    assert hs == {1, 2, 3}
    assert {d for c in cs for d in c.w.shape[:2]} == {1, 2, 3, 4}
    assert {c.w.shape[2] for c in cs} == {3}
    cs = draws(SMALL, S.LayerKnobs(max_hw=4, max_w=20, cin=(5, 6), cout=(9, 9)), 100)
    assert max(c.x.shape[1] for c in cs) == 4 and max(c.x.shape[2] for c in cs) > 10
    assert {c.w.shape[1] for c in cs} == {5, 6} and {c.w.shape[0] for c in cs} == {9}
    # the mix: each case's bound from the list, so small images are commoner than with max_hw=13
    mix = np.mean([c.x.shape[1] for c in draws(SMALL, S.LayerKnobs(max_hw_mix=(2, 13)), 300)])
    one = np.mean([c.x.shape[1] for c in draws(SMALL, S.LayerKnobs(max_hw=13), 300)])
    assert mix < one - 1.5, (mix, one)
    assert max(c.x.shape[1] for c in draws(SMALL, S.LayerKnobs(max_hw_mix=(2, 3)), 100)) <= 3


def test_kernel_weights():
    cs = draws(SMALL, S.LayerKnobs(kernels=((1, 3.0), (3, 1.0))), 400)
    frac3 = np.mean([c.w.shape[2] == 3 for c in cs])
    assert 0.18 < frac3 < 0.32, frac3


def test_tiles_knob():
    for cfg in (SMALL, CHIP):
        kn = S.LayerKnobs(tiles=(3, 5), max_hw=8, max_w=40, max_c=6)
        ts = set()
        for c in draws(cfg, kn, 60):
            _, h, w = c.x.shape
            ts.add(num_tiles(h, w, cfg.rows))
            assert h <= 8 and w <= 40
        assert ts == {3, 4, 5}, (cfg.name, ts)


def test_sparsity_kind_weights():
    # empty_groups with every group emptied makes all-zero weights; dense
    # weights of this size are never all zero
    kn = S.LayerKnobs(sparsity=(("dense", 3.0), ("empty_groups", 1.0)), empty_group_p=1.0)
    zero = [not draw.any() for draw in (S.draw_weights(S.case_rng(4, i), 8, 8, 3, 8, kn) for i in range(400))]
    assert 0.18 < np.mean(zero) < 0.32, np.mean(zero)
    kn = S.LayerKnobs(sparsity=(("zero_channels", 1.0),), zero_channel_p=1.0, extreme_p=0.0)
    assert all(not c.w.any() for c in draws(SMALL, kn, 30))


def test_dw_taps_kept():
    kn = S.LayerKnobs(sparsity=(("dw", 1.0),), kernels=((3, 1.0),), taps_kept=(2, 2), extreme_p=0.0)
    for c in draws(SMALL, kn, 40):
        nz = c.w != 0                                   # (cout, cin, 3, 3)
        assert (nz == nz[:1]).all()                     # one tap pattern per input channel
        assert (nz[0].reshape(c.w.shape[1], 9).sum(axis=1) == 2).all()


def test_random_zero_fraction():
    lo = S.LayerKnobs(sparsity=(("random", 1.0),), random_zero_p=(0.1, 0.1), extreme_p=0.0)
    hi = lo.replace(random_zero_p=(0.9, 0.9))
    d_lo = np.mean([np.mean(c.w == 0) for c in draws(SMALL, lo, 60)])
    d_hi = np.mean([np.mean(c.w == 0) for c in draws(SMALL, hi, 60)])
    assert d_lo < 0.25 and d_hi > 0.85, (d_lo, d_hi)


def test_operand_knobs():
    assert all((c.x == 15).all() for c in draws(SMALL, S.LayerKnobs(extreme_p=1.0), 30))
    kn = S.LayerKnobs(extreme_p=0.0, act_zero_frac=(1.0, 1.0))
    assert all(not c.x.any() for c in draws(SMALL, kn, 30))


def test_bias_knobs():
    assert all(c.bias is None for c in draws(SMALL, S.LayerKnobs(bias_p=0.0), 40))
    cs = draws(SMALL, S.LayerKnobs(bias_p=1.0, bias_full_p=0.0, bias_range=5), 40)
    assert all(c.bias is not None and np.abs(c.bias).max() <= 5 for c in cs)
    cs = draws(SMALL, S.LayerKnobs(bias_p=1.0, bias_full_p=1.0, max_c=20), 40)
    assert max(np.abs(c.bias).max() for c in cs) > 1000


def test_requant_knobs():
    rng = np.random.default_rng(0)
    acc = np.arange(-500, 500)
    none = dict(requant_zero_scale_p=0.0, requant_saturate_p=0.0, requant_zero_shift_p=0.0)
    assert all(S.draw_requant(rng, acc, S.LayerKnobs(**{**none, "requant_zero_scale_p": 1.0}))[0] == 0
               for _ in range(20))
    assert all(S.draw_requant(rng, acc, S.LayerKnobs(**{**none, "requant_saturate_p": 1.0}))
               == (spec.SCALE_MAX, spec.SHIFT_MAX) for _ in range(20))
    assert all(S.draw_requant(rng, acc, S.LayerKnobs(**{**none, "requant_zero_shift_p": 1.0}))[1] == 0
               for _ in range(20))
    kn = S.LayerKnobs(**none, requant_shift=(10, 10), requant_gain=(1.0, 1.0))
    assert {S.draw_requant(rng, acc, kn) for _ in range(5)} == {(round(15 * 2 ** 10 / 500), 10)}
    # the default: 5 % each of scale 0, saturation, shift 0; else shift in [8, 23]
    got = [S.draw_requant(rng, acc) for _ in range(4000)]
    assert abs(np.mean([s == 0 for s, _ in got]) - 0.05) < 0.012
    assert abs(np.mean([g == (spec.SCALE_MAX, spec.SHIFT_MAX) for g in got]) - 0.05) < 0.012
    assert abs(np.mean([sh == 0 for _, sh in got]) - 0.05) < 0.012
    assert {S.draw_requant(rng, acc, S.LayerKnobs(**none))[1] for _ in range(500)} == set(range(8, 24))


def test_bus_delay_knobs():
    rng = np.random.default_rng(1)
    d = [S.draw_delay(rng, S.BUS_DEFAULT.replace(long_delay_p=0.0)) for _ in range(2000)]
    assert max(d) < 4 and set(d) == {0, 1, 2, 3}
    assert 0.45 < np.mean(np.array(d) == 0) < 0.55
    d = [S.draw_delay(rng, S.BusKnobs(long_delay_p=1.0)) for _ in range(500)]
    assert min(d) >= 4 and max(d) <= 23
    d = [S.draw_delay(rng, S.BusKnobs(long_delay_p=0.0, zero_delay_share=1.0)) for _ in range(200)]
    assert set(d) == {0}
    d = np.array([S.draw_delay(rng, S.BusKnobs(long_delay_p=0.3)) for _ in range(4000)])
    assert 0.27 < np.mean(d >= 4) < 0.33 and 0.32 < np.mean(d == 0) < 0.38


def _decode(cfg, addr):
    """'reg' | 'unmapped' | 'gap' | 'oob' | 'mem' of a byte address."""
    addr &= ~3
    if addr < spec.REG_WINDOW[1]:
        return "reg" if addr in {r.offset for r in spec.REGS} else "unmapped"
    if addr < spec.AMEM_BASE:
        return "gap"
    name = spec.MEM_NAMES[addr // spec.WINDOW_BYTES - 1]
    base, bits, depth = spec.mem_geometry(cfg, name)
    word = (addr - base) // (4 * spec.slots_per_word(bits))
    last = spec.WINDOW_BYTES // (4 * spec.slots_per_word(bits)) - 1
    return "oob" if word >= depth or word == last else "mem"


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_bus_addr_knobs(cfg):
    rng = np.random.default_rng(2)
    pools = {m: [0, 1, 5] for m in spec.MEM_NAMES}
    zero = dict(addr_reg_p=0.0, addr_unmapped_p=0.0, addr_gap_p=0.0, addr_out_of_depth_p=0.0)
    for kind, knob in (("reg", "addr_reg_p"), ("unmapped", "addr_unmapped_p"), ("gap", "addr_gap_p"),
                       ("oob", "addr_out_of_depth_p")):
        kn = S.BusKnobs(**{**zero, knob: 1.0})
        addrs = [S.draw_bus_addr(rng, cfg, pools, kn) for _ in range(100)]
        assert {_decode(cfg, a) for a in addrs} == {kind}
        assert {a & 3 for a in addrs} == {0, 1, 2, 3}, kind      # addr[1:0] random
    addrs = [S.draw_bus_addr(rng, cfg, pools, S.BusKnobs(**zero)) for _ in range(100)]
    assert {_decode(cfg, a) for a in addrs} == {"mem"}
    assert {a & 3 for a in addrs} == {0, 1, 2, 3}
    # the default mix: 35 % registers, 5 % unmapped, 5 % gap, 7 % out of depth, the rest pooled words
    kinds = [_decode(cfg, S.draw_bus_addr(rng, cfg, pools)) for _ in range(4000)]
    assert abs(kinds.count("reg") / 4000 - 0.35) < 0.03
    assert abs(kinds.count("mem") / 4000 - 0.48) < 0.03


def test_illegal_knobs():
    rng = np.random.default_rng(3)
    words = {m: [0, 1] for m in spec.MEM_NAMES}
    ro = {r.offset for r in spec.REGS if r.access == "RO"}
    kn = S.BusKnobs(illegal=(("ro", 1.0),))
    got = [S.draw_illegal(rng, SMALL, words, False, kn) for _ in range(50)]
    assert {op for op, _ in got} == {"write"} and {a for _, a in got} <= ro
    idle = {_decode(SMALL, a) for _ in range(300) for a in [S.draw_illegal(rng, SMALL, words, False)[1]]}
    assert "mem" not in idle and {"unmapped", "gap", "oob"} <= idle
    busy = [S.draw_illegal(rng, SMALL, words, True, S.BusKnobs(illegal=(("unmapped", 0.0),)))
            for _ in range(300)]
    kinds = {"start" if a == spec.REG["CTRL"].offset else _decode(SMALL, a) for _, a in busy}
    assert kinds == {"start", "mem"}
    # out-of-depth needs a memory smaller than its window: none here, so the kind is dropped
    full = spec.Config("full", rows=32, cols=32, adepth=16384, wdepth=16384, idepth=32768)
    assert not any(spec.out_of_depth_addrs(full, m) for m in spec.MEM_NAMES)
    with pytest.raises(S.StimulusError, match="BusKnobs.illegal"):
        S.draw_illegal(rng, full, words, False, S.BusKnobs(illegal=(("oob", 1.0),)))


def test_mem_geometry_matches_the_spec_windows():
    for cfg in (SMALL, CHIP):
        for m, base in (("amem", spec.AMEM_BASE), ("wmem", spec.WMEM_BASE), ("imem", spec.IMEM_BASE)):
            b, bits, depth = spec.mem_geometry(cfg, m)
            assert b == base and spec.window_bytes(depth, bits) <= spec.WINDOW_BYTES
            assert spec.mem_addr(cfg, m, 3, 1) == base + (3 * spec.slots_per_word(bits) + 1) * 4
    assert len(spec.unmapped_reg_offsets()) == spec.REG_WINDOW[1] // 4 - len(spec.REGS)


def test_network_knobs():
    kn = S.NETWORK_DEFAULT.replace(layers=(3, 3), concat_p=0.0, acc_classifier_p=1.0,
                                   classifier_width=(10, 10), h=(4, 4), w=(6, 6))
    for i in range(10):
        inputs, layers = S.draw_network(S.case_rng(6, i), SMALL, kn)
        assert len(layers) == 3 and all(len(ld.inputs) == 1 for ld in layers)
        assert [ld.mode for ld in layers] == ["act", "act", "acc"] and layers[-1].w.shape[0] == 10
        assert {x.shape[1:] for x in inputs.values()} == {(4, 6)}
    # (stride 1: a concatenated tensor must be of the newest one's size)
    kn = S.NETWORK_DEFAULT.replace(layers=(4, 4), concat_p=1.0, residual_p=1.0, acc_classifier_p=0.0,
                                   strides=((1, 1.0),))
    for i in range(10):
        inputs, layers = S.draw_network(S.case_rng(6, i), SMALL, kn)
        chans = {n: len(x) for n, x in inputs.items()} | {ld.name: ld.w.shape[0] for ld in layers}
        for ld in layers:
            if len(ld.inputs) == 2:                    # a residual: Cout = the second input's channels
                assert ld.w.shape[0] == chans[ld.inputs[1]]
        assert all(ld.mode == "act" for ld in layers)
        assert sum(len(ld.inputs) == 2 for ld in layers) >= 3   # every layer but the first (one input)


# --------------------------------------------------------------------------- unsatisfiable
@pytest.mark.parametrize("knobs,cfg,knob", [
    (S.LayerKnobs(min_cycles=10 ** 9, max_tries=5), SMALL, "min_cycles"),
    (S.LayerKnobs(max_imem_words=2, max_tries=5), SMALL, "max_imem_words"),
    (S.LayerKnobs(cin=(5000, 5000), max_tries=3, sparsity=(("dense", 1.0),)), SMALL, "max_c"),
    (S.LayerKnobs(tiles=(6, 6), max_hw=2, max_w=2), SMALL, "tiles"),
])
def test_unsatisfiable_layer_knobs_name_the_knob(knobs, cfg, knob):
    with pytest.raises(S.StimulusError, match=knob):
        S.draw_layer(np.random.default_rng(0), cfg, knobs)


def test_unsatisfiable_network_knobs_name_the_knob():
    tiny = spec.Config("tinyA", rows=8, cols=8, adepth=64, wdepth=4096, idepth=4096)
    with pytest.raises(S.StimulusError, match="NetworkKnobs"):
        S.draw_network(np.random.default_rng(0), tiny, S.NetworkKnobs(width=(60, 60), max_tries=3))


@pytest.mark.parametrize("make,field", [
    (lambda: S.LayerKnobs(acc_p=1.5), "LayerKnobs.acc_p"),
    (lambda: S.LayerKnobs(sparsity=(("sparse", 1.0),)), "LayerKnobs.sparsity"),
    (lambda: S.LayerKnobs(kernels=((5, 1.0),)), "LayerKnobs.kernels"),
    (lambda: S.LayerKnobs(taps_kept=(0, 3)), "LayerKnobs.taps_kept"),
    (lambda: S.LayerKnobs(max_hw=2000), "LayerKnobs.max_hw"),
    (lambda: S.LAYER_DEFAULT.replace(requant_saturate_p=0.6, requant_zero_shift_p=0.6), "LayerKnobs.requant"),
    (lambda: S.BusKnobs(addr_reg_p=0.9, addr_gap_p=0.2), "BusKnobs.addr"),
    (lambda: S.BusKnobs(long_delay=(5, 2)), "BusKnobs.long_delay"),
    (lambda: S.NetworkKnobs(structure="tree"), "NetworkKnobs.structure"),
    (lambda: S.NetworkKnobs(residual_p=-0.1), "NetworkKnobs.residual_p"),
])
def test_bad_knobs_are_refused_by_name(make, field):
    with pytest.raises(ValueError, match=field):
        make()


def test_knobs_are_frozen_and_derive_by_replace():
    kn = S.LAYER_DEFAULT.replace(max_hw=5)
    assert kn.max_hw == 5 and S.LAYER_DEFAULT.max_hw == 13
    with pytest.raises(AttributeError):
        kn.max_hw = 7


# --------------------------------------------------------------------------- the CLI's entry point
def test_random_case_maps_cli_flags_to_knobs():
    rng = np.random.default_rng(0)
    for _ in range(20):
        c = casemod.random_case(rng, SMALL, max_hw=5, max_c=6, kind="dw", k=3, mode="acc", taps_kept=4)
        assert c.mode == "acc" and c.w.shape[2] == 3 and max(c.x.shape[1:]) <= 5 and max(c.w.shape[:2]) <= 6
        if not (c.x == 15).all():                       # not an extreme-operand case
            assert ((c.w != 0).reshape(*c.w.shape[:2], 9).sum(axis=2) == 4).all()
    with pytest.raises(ValueError, match="mode"):
        casemod.random_case(rng, SMALL, mode="raw")


# --------------------------------------------------------------------------- defaults = the old distributions
def _legacy_random_case(rng, cfg, max_hw=13):
    """models.case.random_case as it was before models/stimulus.py (compile
    rejection left out: it rejects nothing at these sizes)."""
    max_c = 2 * cfg.cols + 3
    kk = int(rng.choice([1, 3]))
    h, wd = int(rng.integers(1, max_hw + 1)), int(rng.integers(1, max_hw + 1))
    cin, cout = int(rng.integers(1, max_c + 1)), int(rng.integers(1, max_c + 1))
    knd = str(rng.choice(casemod.SPARSITY_KINDS))
    if rng.random() < 0.05:
        x = np.full((cin, h, wd), 15)
        w = np.full((cout, cin, kk, kk), int(rng.choice([-8, 7])))
    else:
        x = rng.integers(0, 16, size=(cin, h, wd))
        x = x * (rng.random(x.shape) >= rng.uniform(0, 0.5))
        w = rng.integers(-8, 8, size=(cout, cin, kk, kk))
        if knd == "dw" and kk == 3:
            mask = np.zeros((cin, 9), bool)
            for ci in range(cin):
                mask[ci, rng.choice(9, int(rng.integers(1, 10)), replace=False)] = True
            w = np.where(mask.reshape(1, cin, 3, 3), rng.choice([v for v in range(-8, 8) if v], size=w.shape), 0)
        elif knd == "random":
            w = w * (rng.random(w.shape) >= rng.uniform(0.3, 0.95))
        elif knd == "empty_groups":
            for g in range(0, cout, cfg.cols):
                if rng.random() < 0.5:
                    w[g:g + cfg.cols] = 0
        elif knd == "zero_channels":
            w[:, rng.random(cin) < 0.4] = 0
    bias = None
    if rng.random() < 0.7:
        bias = rng.integers(-16384, 16384, size=cout) if rng.random() < 0.2 else rng.integers(-300, 301, size=cout)
    md = "acc" if rng.random() < 0.25 else "act"
    return x, w, bias, md


def _stats(x, w, bias, mode, cols=SMALL.cols):
    zero_in = np.all(w == 0, axis=(0, 2, 3))
    zero_out = np.all(w == 0, axis=(1, 2, 3))
    groups = [zero_out[g:g + cols].all() for g in range(0, len(w), cols)]
    return [x.shape[1], x.shape[2], w.shape[0], w.shape[1], w.shape[2] == 3, mode == "acc",
            bias is not None, np.mean(w == 0), np.mean(x == 0), (x == 15).all(),
            0 < zero_in.sum() < len(zero_in),                 # zero_channels' signature
            any(groups) and not all(groups),                  # empty_groups' signature
            np.clip(np.abs(bias), 0, 300).mean() if bias is not None else 0.0]


def test_default_layer_distribution_matches_the_old_generator():
    n = 800
    old = np.array([_stats(*_legacy_random_case(S.case_rng(99, i), SMALL)) for i in range(n)], float)
    new = np.array([_stats(c.x, c.w, c.bias, c.mode) for c in draws(SMALL, S.LAYER_DEFAULT, n, seed=98)], float)
    names = ["H", "W", "Cout", "Cin", "K=3", "acc", "bias", "w zeros", "x zeros", "extreme",
             "some zero input channels", "some empty groups", "|bias| (clipped at 300)"]
    for j, name in enumerate(names):
        mo, mn = old[:, j].mean(), new[:, j].mean()
        se = np.sqrt((old[:, j].var() + new[:, j].var()) / n) + 1e-9
        assert abs(mo - mn) < 4 * se + 0.01, f"{name}: old {mo:.3f}, new {mn:.3f}"


def _legacy_random_delay(rng, long_p):
    k = rng.random()
    if k < long_p:
        return int(rng.integers(4, 24))
    return 0 if k < 0.5 + long_p / 2 else int(rng.integers(1, 4))


@pytest.mark.parametrize("long_p", [0.0, 0.15, 0.5])
def test_default_delay_distribution_matches_the_old_one(long_p):
    rng = np.random.default_rng(4)
    old = np.bincount([_legacy_random_delay(rng, long_p) for _ in range(6000)], minlength=24) / 6000
    new = np.bincount([S.draw_delay(rng, S.BusKnobs(long_delay_p=long_p)) for _ in range(6000)],
                      minlength=24) / 6000
    assert np.abs(old - new).max() < 0.025, (old, new)


@pytest.mark.parametrize("cfg", [SMALL, spec.get_config("chip")], ids=lambda c: c.name)
@pytest.mark.parametrize("preset", ["LAYER_DEFAULT", "LAYER_SOAK", "LAYER_SYSTEM", "LAYER_SYSTEM_SLOW"])
def test_layer_cycles_bound_holds(cfg, preset):
    """Benches size their timeouts from layer_cycles_bound: no drawn layer
    may run longer (the cycle model's count), and the bound is not loose
    beyond use (the longest of the draws is within 20x of it)."""
    kn = getattr(S, preset)
    bound = S.layer_cycles_bound(cfg, kn)
    longest = 0
    for i in range(60):
        c = S.draw_layer(S.case_rng(11, i), cfg, kn)
        prog = compile_layer(cfg, c.x.shape, c.w, c.bias, c.scale, c.shift, c.mode)
        res = iss.run(prog.memories({"x": c.x}))
        assert res.cycles <= bound, (i, res.cycles, bound)
        longest = max(longest, res.cycles)
    assert bound <= 20 * longest, (bound, longest)


def test_layer_cycles_bound_of_extremes():
    """The largest layer the knobs allow, drawn on purpose: dense, all taps,
    both extremes of size, in acc mode (the longest drain)."""
    kn = S.LAYER_SYSTEM.replace(kernels=((3, 1.0),), sparsity=(("dense", 1.0),), acc_p=1.0)
    for cfg in (SMALL, spec.get_config("chip")):
        c = kn.max_c or 2 * cfg.cols + 3
        rng = np.random.default_rng(0)
        x = rng.integers(0, 16, size=(c, kn.max_hw, kn.max_hw))
        w = rng.choice([v for v in range(-8, 8) if v], size=(c, c, 3, 3))
        prog = compile_layer(cfg, x.shape, w, None, 1, 0, "acc")
        assert iss.run(prog.memories({"x": x})).cycles <= S.layer_cycles_bound(cfg, kn)
        x1 = rng.integers(0, 16, size=(1, kn.max_hw, kn.max_hw))
        prog = compile_layer(cfg, x1.shape, np.ones((c, 1, 1, 1), np.int64), None, 1, 0, "acc")
        assert iss.run(prog.memories({"x": x1})).cycles <= S.layer_cycles_bound(cfg, kn)
