"""models/seednets.py: the seed's IB-SSL and ResNet-18 networks as golden-model
definitions.  Structure against tables written out here (not read back from
the builder's config), the advertised sparsity, determinism, field limits,
calibration (alive on held-out images, and a wrong scale is caught), and
that the LayerDefs compile and run on the ISS unchanged (a stride-2 layer
as its stride-1 program, sampled by the host)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models import iss, reference, seednets as SN
from models.compiler import compile_network
from models.spec import BIAS_MAX, BIAS_MIN, SCALE_MAX, SHIFT_MAX, W_MAX, W_MIN, Err, get_config


@pytest.fixture(scope="module")
def full():
    # One calibration image: the structure and the weights do not depend on it.
    return {n: SN.build(n, seed=0, calib=1) for n in SN.NETS}


@pytest.fixture(scope="module")
def small():
    return {n: SN.build(n, seed=0, scale="small") for n in SN.NETS}


def _rows(net):
    return [(sl.name, sl.cin, sl.cout, sl.k, sl.stride, sl.in_hw, sl.out_hw, sl.residual)
            for sl in net.layers]


def ibssl_expected(hw, stem, widths, classes):
    """(name, Cin, Cout, K, stride, in_hw, out_hw, residual) of the IB-SSL
    plan: stem, 3 stages x 3 blocks, expand 4x the block input, stride 2
    entering stages 2 and 3, identity skips where the shape is kept."""
    rows = [("stem", 3, stem, 3, 1, (hw, hw), (hw, hw), None)]
    c, r = stem, hw
    for si, (width, s0) in enumerate(zip(widths, (1, 2, 2))):
        for bi in range(3):
            s = s0 if bi == 0 else 1
            e = 4 * c
            rows.append((f"s{si + 1}b{bi}_exp", c, e, 1, 1, (r, r), (r, r), None))
            skip = "identity" if s == 1 and c == width else None
            ro = -(-r // s)
            rows.append((f"s{si + 1}b{bi}_proj", e + (c if skip else 0), width, 3, s, (r, r), (ro, ro), skip))
            c, r = width, ro
    rows.append(("logits", c, classes, 1, 1, (r, r), (r, r), None))
    return rows


def resnet_expected(hw, stems, widths, classes):
    rows, c, r = [], 3, hw
    for i, sc in enumerate(stems):
        rows.append((f"stem{i}", c, sc, 3, 2, (r, r), (-(-r // 2), -(-r // 2)), None))
        c, r = sc, -(-r // 2)
    for si, (width, s0) in enumerate(zip(widths, (1, 2, 2, 2))):
        for bi in range(2):
            s = s0 if bi == 0 else 1
            rows.append((f"s{si + 1}b{bi}_exp", c, width, 1, 1, (r, r), (r, r), None))
            skip = "identity" if s == 1 and c == width else "projection"
            ro = -(-r // s)
            rows.append((f"s{si + 1}b{bi}_proj", width + c, width, 3, s, (r, r), (ro, ro), skip))
            c, r = width, ro
    rows.append(("logits", c, classes, 1, 1, (r, r), (r, r), None))
    return rows


def test_ibssl_structure(full, small):
    net = full["ibssl-cifar100"]
    assert net.in_shape == (3, 32, 32)
    assert len(net.layers) == 20
    assert _rows(net) == ibssl_expected(32, 32, (32, 64, 128), 100)
    assert [sl.stride for sl in net.layers].count(2) == 2
    assert net.layers[-1].out_hw == (8, 8)
    assert _rows(small["ibssl-cifar100"]) == ibssl_expected(16, 8, (8, 16, 32), 10)
    assert small["ibssl-cifar100"].in_shape == (3, 16, 16)


def test_resnet_structure(full, small):
    net = full["resnet18-3of9"]
    assert net.in_shape == (3, 224, 224)
    assert len(net.layers) == 19
    exp = resnet_expected(224, (32, 64), (64, 128, 256, 512), 1000)
    assert _rows(net) == exp
    # Stage resolutions 56, 28, 14, 7 as in ResNet-18.
    assert [net.layer(f"s{i}b1_proj").out_hw for i in (1, 2, 3, 4)] == [(56, 56), (28, 28), (14, 14), (7, 7)]
    assert [sl.stride for sl in net.layers].count(2) == 5
    assert _rows(small["resnet18-3of9"]) == resnet_expected(64, (4, 8), (8, 16, 32, 64), 10)
    assert small["resnet18-3of9"].in_shape == (3, 64, 64)


@pytest.mark.parametrize("name", list(SN.NETS))
def test_layer_kinds_modes_and_inputs(full, name):
    net = full[name]
    assert net.layers[-1].kind == "classifier" and net.layers[-1].ld.mode == "acc"
    assert all(sl.ld.mode == "act" for sl in net.layers[:-1])
    for sl in net.layers:
        if sl.name.endswith("_proj"):
            exp = sl.name[:-5] + "_exp"
            assert sl.ld.inputs[0] == exp and sl.dw_in == net.layer(exp).cout
            assert len(sl.ld.inputs) == (2 if sl.residual else 1)
    assert net.strides() == {sl.name: sl.stride for sl in net.layers}
    assert [ld.name for ld in net.layerdefs()] == [sl.name for sl in net.layers]


TAPS = {"ibssl-cifar100": 1, "resnet18-3of9": 3}


def _check_sparsity(net, taps):
    shift_layers = [sl for sl in net.layers if sl.taps is not None]
    assert shift_layers
    for sl in shift_layers:
        assert sl.taps == taps and sl.k == 3
        w = sl.ld.w
        dw = w[:, :sl.dw_in].reshape(sl.cout, sl.dw_in, 9)
        kept = (dw != 0).any(axis=0)                       # (ci, tap) valid for some co
        assert (kept.sum(axis=1) == taps).all(), f"{sl.name}: taps kept per channel"
        # A kept tap is non-zero for every output channel, so it is valid in
        # every COLS group: exactly `taps` steps per channel and group.
        assert ((dw != 0) == kept[None]).all(), f"{sl.name}: kept tap with a zero weight"
        res = w[:, sl.dw_in:]
        if sl.residual is None:
            assert res.shape[1] == 0
            continue
        off = res.copy()
        off[:, :, 1, 1] = 0
        assert not off.any(), f"{sl.name}: skip weights outside the centre tap"
        if sl.residual == "identity":
            assert np.array_equal(res[:, :, 1, 1], SN.IDENTITY_W * np.eye(sl.cout, dtype=np.int64))
        else:
            assert sl.stride == 2 and (res[:, :, 1, 1] != 0).mean() > 0.8
    # Expands and stems without taps are dense; nothing else is pruned.
    for sl in net.layers:
        if sl.taps is None:
            assert (sl.ld.w != 0).mean() > 0.85, sl.name


@pytest.mark.parametrize("name", list(SN.NETS))
def test_sparsity_patterns(full, small, name):
    _check_sparsity(full[name], TAPS[name])
    _check_sparsity(small[name], TAPS[name])


def test_kept_taps_vary_per_channel(full):
    # Chosen per channel, not one pattern for the whole layer.
    for name in SN.NETS:
        sl = full[name].layer("s2b1_proj")
        pats = {tuple(np.flatnonzero((sl.ld.w[:, ci] != 0).any(axis=0).ravel())) for ci in range(sl.dw_in)}
        assert len(pats) > 5, name


def _fields_ok(net):
    SN.check(net)
    for sl in net.layers:
        ld = sl.ld
        assert W_MIN <= ld.w.min() and ld.w.max() <= W_MAX
        if ld.mode == "act":
            assert 1 <= ld.scale <= SCALE_MAX and 0 <= ld.shift <= SHIFT_MAX
            assert ld.bias is not None and BIAS_MIN <= ld.bias.min() and ld.bias.max() <= BIAS_MAX
            # The shift is the largest the scale field allows: a finer step is not available.
            assert ld.scale * 2 > SCALE_MAX or ld.shift == SHIFT_MAX, sl.name
        assert ld.w.shape[1] * ld.w.shape[2] ** 2 <= 0xFFFF      # LAYER.NDENSE


@pytest.mark.parametrize("name", list(SN.NETS))
def test_fields_within_limits(full, small, name):
    _fields_ok(full[name])
    _fields_ok(small[name])


def _params(net):
    return [(sl.name, sl.stride, sl.ld.inputs, sl.ld.w, sl.ld.bias, sl.ld.scale, sl.ld.shift) for sl in net.layers]


def _same(a, b):
    return all(x[:3] == y[:3] and np.array_equal(x[3], y[3]) and np.array_equal(x[4], y[4]) and x[5:] == y[5:]
               for x, y in zip(_params(a), _params(b)))


@pytest.mark.parametrize("name", list(SN.NETS))
def test_deterministic_from_seed(small, name):
    a = SN.build(name, seed=0, scale="small")
    assert _same(a, small[name])
    b = SN.build(name, seed=1, scale="small")
    assert not any(np.array_equal(x.ld.w, y.ld.w) for x, y in zip(a.layers, b.layers))
    assert not np.array_equal(a.images(2, 0), b.images(2, 0))
    assert not np.array_equal(a.images(2, 0), a.images(2, 1))     # calibration != evaluation


def test_weights_do_not_depend_on_calibration_count(small):
    a = SN.build("ibssl-cifar100", seed=0, scale="small", calib=1)
    assert all(np.array_equal(x.ld.w, y.ld.w) for x, y in zip(a.layers, small["ibssl-cifar100"].layers))


# ---------------------------------------------------------------------------
# Calibration: alive on held-out images, and the check can fail
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SN.NETS))
def test_every_layer_alive_on_held_out_images(small, name):
    rows = SN.stats(small[name], cols=8)
    act = [r for r in rows if r.mode == "act"]
    assert len(act) == len(rows) - 1
    for r in act:
        assert r.frac_mid > SN.FLOOR, (r.name, r.frac_mid)
        assert r.frac_max < 0.05, (r.name, r.frac_max)        # the 99th percentile maps to 15
    # The calibration images saw the same spread.
    assert min(small[name].calib_acts.values()) > SN.FLOOR


@pytest.mark.parametrize("name", list(SN.NETS))
def test_wrong_scale_fails_the_floor(small, name):
    """The floor check is not satisfied by any scale: each act layer with a
    16x too large scale (saturates), a 64x too small one (all 0) or no
    calibration (scale 1, shift 0: the accumulators' hundreds clip to 0 or
    15) falls below it, on the same inputs as the calibrated layer, which
    passes."""
    net = small[name]
    outs = [net.forward(xi) for xi in net.images(4, 1)]
    for sl in net.layers[:-1]:
        ld = sl.ld
        xin = [np.concatenate([o[s] for s in ld.inputs]) for o in outs]

        def frac(**kw):
            d = dataclasses.replace(ld, **kw)
            return SN.in_range_fraction(np.stack(
                [reference.layer(x, d.w, d.bias, d.scale, d.shift, d.mode, stride=sl.stride) for x in xin]))

        assert frac() > SN.FLOOR
        big = 16 * ld.scale <= SCALE_MAX
        bad = {"16x": dict(scale=16 * ld.scale) if big else dict(shift=ld.shift - 4),
               "1/64": dict(scale=max(1, ld.scale // 64)),
               "uncalibrated": dict(scale=1, shift=0)}
        for what, kw in bad.items():
            f = frac(**kw)
            assert f < SN.FLOOR, (sl.name, what, f)


# ---------------------------------------------------------------------------
# Forward pass and statistics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SN.NETS))
def test_forward_shapes_and_logits(small, name):
    net = small[name]
    x = net.images(1, 1)[0]
    vals = net.forward(x)
    assert vals[SN.INPUT].shape == net.in_shape
    for sl in net.layers:
        assert vals[sl.name].shape == (sl.cout, *sl.out_hw)
        if sl.ld.mode == "act":
            assert vals[sl.name].min() >= 0 and vals[sl.name].max() <= 15
    assert net.logits(x).shape == (net.cfg.classes,)


@pytest.mark.parametrize("name", list(SN.NETS))
def test_calibration_saw_what_forward_computes(small, name):
    """The builder calibrates each layer on the outputs of the layers before
    it; forward() on the same images must reproduce those outputs, so the
    recorded fractions come back exactly."""
    net = small[name]
    outs = [net.forward(xi) for xi in net.images(net.cfg.calib, 0)]
    for sl in net.layers[:-1]:
        got = SN.in_range_fraction(np.stack([o[sl.name] for o in outs]))
        assert got == net.calib_acts[sl.name], sl.name


def test_forward_stride2_layer_is_stride1_sampled(small):
    net = small["resnet18-3of9"]
    x = net.images(1, 1)[0]
    vals = net.forward(x)
    sl = net.layer("s2b0_proj")
    xin = np.concatenate([vals[s] for s in sl.ld.inputs])
    full_res = reference.layer(xin, sl.ld.w, sl.ld.bias, sl.ld.scale, sl.ld.shift)
    assert np.array_equal(vals[sl.name], full_res[:, ::2, ::2])


def test_stats_counts(small):
    net = small["resnet18-3of9"]
    rows = {r.name: r for r in SN.stats(net, cols=8, n_images=1)}
    r = rows["s2b0_proj"]                 # 16 exp + 8 skip channels -> 16, 3/9, stride 2, 16x16 -> 8x8
    assert (r.cin, r.cout, r.k, r.stride, r.out_hw, r.taps) == (24, 16, 3, 2, (8, 8), "3/9")
    assert r.dense_words == 2 * 24 * 9
    assert r.words == 2 * (16 * 3 + 8)          # per group: 3 taps x 16 DW channels + 8 shortcut centres
    assert r.macs_dense == 64 * 16 * 24 * 9
    assert r.macs_sparse == 64 * 8 * r.words
    assert r.params == 16 * 16 + 16 * 3 + 16 * 8
    r = rows["s1b0_proj"]                 # identity: one word per group per skip channel of that group
    assert r.words == 8 * 3 + 8 and r.params == 8 * 8 + 8 * 3


def test_resnet18_weight_capacity_matches_seed(full):
    """The seed: 3/9-pruned PW-DW-PW ResNet-18 has -88% weight capacity.
    Counting PW + kept DW taps + shortcuts of the conv layers gives -87%."""
    net = full["resnet18-3of9"]
    conv, _ = SN.resnet18_params()
    assert conv == 11_166_912                  # the standard ResNet-18's conv weights
    ours = sum(SN.unfolded_params(sl) for sl in net.layers if sl.kind != "classifier")
    assert -0.90 < ours / conv - 1 < -0.85


# ---------------------------------------------------------------------------
# The LayerDefs compile unchanged
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SN.NETS))
def test_layers_compile_and_run_on_iss(small, name):
    """Each layer compiled alone for `small` and run on the ISS equals the
    golden forward pass, stride-2 layers included (the chip keeps the even
    pixels itself).  The compiler's stored words equal stats' words."""
    cfg = get_config("small")
    net = small[name]
    vals = net.forward(net.images(1, 1)[0])
    words = {r.name: r.words for r in SN.stats(net, cols=cfg.cols, n_images=1)}
    for sl in net.layers:
        ld = sl.ld
        h, w = sl.in_hw
        ins = {s: vals[s].shape[0] for s in ld.inputs}
        prog = compile_network(cfg, h, w, ins, [ld])
        mem = prog.memories({s: vals[s] for s in ld.inputs})
        res = iss.run(mem)
        assert res.err == Err.NONE, sl.name
        y = prog.read(mem.amem, ld.name)
        assert y.shape[1:] == sl.out_hw, sl.name
        assert np.array_equal(y, vals[ld.name]), sl.name
        assert prog.layers[0].stored_words == words[sl.name], sl.name


@pytest.mark.parametrize("stride2", ["drain", "polyphase", "auto"])
@pytest.mark.parametrize("name", list(SN.NETS))
def test_whole_small_network_partitioned_on_golden(small, name, stride2):
    """The small network on `small`, its stride-2 layers lowered either way
    (models/polyphase.py), partitioned and run by the host runtime on the
    golden backend (the ISS, program by program), equals the network's own
    golden forward pass; models/netrun.py reports it per layer with every
    cycle attributed to a layer."""
    from models import netrun
    from models.runtime import execute

    cfg = get_config("small")
    net = small[name]
    x = net.images(1, 1)[0]
    last = net.layers[-1].name
    plan = netrun.plan_net(net, cfg, stride2)
    # the copies of the rewrite are the only stride-2 layers left with "polyphase", none with "drain"
    copies = {ld.name for ld in plan.layers if "." in ld.name}
    assert bool(copies) == (stride2 != "drain")
    if stride2 == "polyphase":
        assert {ld.name for ld in plan.layers if ld.stride == 2} == copies
    rep = execute(plan, {SN.INPUT: x})
    assert np.array_equal(rep.outputs[last], net.forward(x)[last])
    rows = netrun.layer_rows(net, plan, rep)
    assert [r.name for r in rows] == [sl.name for sl in net.layers]
    assert sum(r.cycles for r in rows) == rep.cycles
    assert sum(r.mac_busy for r in rows) == sum(s.counters["mac_busy"] for s in rep.steps)
    assert all(r.cycles > 0 and 0 < r.busy <= 1 for r in rows)
    assert {r.how for r in rows if r.stride == 2} == {"drain" if stride2 == "drain" else "phases"}


# ---------------------------------------------------------------------------
# CLI and errors
# ---------------------------------------------------------------------------
def test_cli_small(capsys):
    assert SN.main(["resnet18-3of9", "--scale", "small", "--seed", "2", "--config", "small"]) == 0
    out = capsys.readouterr().out
    assert "resnet18-3of9 (small), seed 2" in out
    net = SN.build("resnet18-3of9", seed=2, scale="small")
    for sl in net.layers:
        assert f"| {sl.name} |" in out
    assert "| s4b0_proj | s4b0_exp, s3b1_proj | 96 | 64 | 3 | 2 | 4 x 4 | 2 x 2 | 3/9 | projection |" in out


@pytest.mark.parametrize("argv", [["nosuchnet"], ["ibssl-cifar100", "--scale", "tiny"],
                                  ["ibssl-cifar100", "--images", "0"]])
def test_cli_rejects(argv, capsys):
    with pytest.raises(SystemExit) as e:
        SN.main(argv)
    assert e.value.code == 2


def test_build_rejects():
    with pytest.raises(ValueError, match="unknown network"):
        SN.build("vgg")
    with pytest.raises(ValueError, match="calib"):
        SN.build("ibssl-cifar100", calib=0)
