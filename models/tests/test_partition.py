"""Networks bigger than on-chip memory: the partitioner (models/partition.py)
and the host runtime's golden backend (models/runtime.py).

The networks are drawn so that `small` cannot hold them (tall images and
wide layers overflow AMem, dense 3x3 layers over many channels overflow
WMem); each partitioned run must equal the whole-network reference
(models.reference.layer layer by layer on the full tensors) bit for bit."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import reference, stimulus as S
from models.compiler import CompileError, LayerDef, compile_network
from models.memory import num_tiles
from models.partition import plan_network, reference_network, row_bands
from models.runtime import GoldenBackend, RuntimeMismatch, execute
from models.spec import BIAS_MAX, BIAS_MIN, DIM_MAX, SCALE_MAX, get_config

SMALL = get_config("small")


# ---------------------------------------------------------------------------
# random networks that overflow `small`
# ---------------------------------------------------------------------------
def _add(rng, cfg, vals, layers, name, srcs, k, cout, kind, mode="act", wt=None, bias_p=0.6, stride=1):
    xin = np.concatenate([vals[s] for s in srcs])
    if wt is None:
        wt = S.draw_weights(rng, cout, len(xin), k, cfg.cols, kind=kind)
    acc = reference.layer(xin, wt, mode="acc", stride=stride)
    bias = None
    if rng.random() < bias_p:      # centre the accumulators, so the ReLU keeps about half
        centre = -np.median(acc, axis=(1, 2)) + rng.integers(-60, 61, size=cout)
        bias = np.clip(centre, BIAS_MIN, BIAS_MAX).astype(np.int64)
        acc = acc + bias[:, None, None]
    scale, shift = 1, 0
    if mode == "act":        # spread the positive accumulators over [0, 15]
        shift = int(rng.integers(6, 14))
        pos = acc[acc > 0]
        span = max(1.0, float(np.percentile(pos, 90))) if pos.size else 1.0
        scale = int(np.clip(round(14 * 2 ** shift / span), 1, SCALE_MAX))
    layers.append(LayerDef(name, list(srcs), wt, bias, scale, shift, mode, stride=stride))
    vals[name] = acc if mode == "acc" else reference.requantize(acc, scale, shift)


def random_big_network(seed: int, cfg=SMALL, stride2: float = 0.0):
    """(H, W, inputs, layers): a chain with concatenations, K in {1, 3},
    sometimes a wide dense 3x3 layer (WMem), on an image tall enough that
    most layers need row bands (AMem); the last layer is an acc-mode
    classifier half the time.  An act-mode layer has stride 2 with
    probability `stride2`; concatenations pick tensors of one grid."""
    rng = np.random.default_rng(seed)
    h = int(rng.integers(30, 72))
    w = int(rng.integers(2, 14))
    vals = {f"in{i}": rng.integers(0, 16, size=(int(rng.integers(2, 20)), h, w))
            for i in range(int(rng.integers(1, 3)))}
    inputs = dict(vals)
    acts = list(vals)
    layers: list[LayerDef] = []
    n = int(rng.integers(2, 5))
    for i in range(n):
        srcs = [acts[-1]]
        same = [a for a in acts[:-1] if vals[a].shape[1:] == vals[acts[-1]].shape[1:]]
        if same and rng.random() < 0.6:
            srcs.append(same[int(rng.integers(0, len(same)))])
        k = int(rng.choice([1, 3]))
        cin = sum(len(vals[s]) for s in srcs)
        last = i == n - 1
        if k == 3 and not last and rng.random() < 0.3 and cin >= 16:
            # dense 3x3 wide enough that its weights overflow WMem
            cout = int(np.ceil((cfg.wdepth + 1) / (9 * cin))) * cfg.cols + int(rng.integers(0, 12))
            kind = "dense"
        else:
            cout = int(rng.integers(4, 80))
            kind = str(rng.choice(["dense", "dw", "random", "empty_groups"]))
        mode = "acc" if last and rng.random() < 0.5 else "act"
        stride = 2 if mode == "act" and rng.random() < stride2 else 1
        _add(rng, cfg, vals, layers, f"t{i}", srcs, k, cout, kind, mode, stride=stride)
        if mode == "act":
            acts.append(f"t{i}")
    return h, w, inputs, layers


def _plan(cfg, h, w, inputs, layers, outputs=None):
    return plan_network(cfg, h, w, {n: len(v) for n, v in inputs.items()}, layers, outputs)


def check_plan(plan) -> None:
    """Structural soundness, independent of running it."""
    cfg = plan.cfg
    for cov in plan.coverage().values():           # every output row of every channel exactly once
        assert (cov == 1).all()
    layer_of = {ld.name: ld for ld in plan.layers}
    for g in plan.groups:
        steps = [plan.steps[i] for i in g.steps]
        assert all(s.group == g.index for s in steps)
        first, last = layer_of[g.layers[0]], layer_of[g.layers[-1]]
        h_in, w_in = plan.grid[first.inputs[0]]
        h_out = plan.grid[last.name][0]
        assert g.bands[0][0] == 0 and g.bands[-1][1] == h_out
        for (_, r1, _, _), (r0, _, _, _) in zip(g.bands, g.bands[1:]):
            assert r1 == r0                         # bands tile the image, in order
        if g.order == "whole":
            assert g.bands == [(0, h_out, 0, h_in)]
        else:
            halo, stride = first.w.shape[2] // 2, first.stride
            for r0, r1, a, b in g.bands:
                # exactly the rows the own rows need, no invented halo at borders,
                # and a stride-2 band starts on an even row
                assert a == max(0, stride * r0 - halo) // stride * stride
                assert b == min(h_in, stride * (r1 - 1) + halo + 1)
        for s in steps:
            assert s.prog.h == s.rows[1] - s.rows[0] and s.prog.w == w_in
            assert (s.band[0], s.band[1], s.rows[0], s.rows[1]) in g.bands
            assert s.prog.h <= DIM_MAX
            assert len(s.prog.imem) <= cfg.idepth and len(s.prog.wmem) <= cfg.wdepth
            assert s.prog.amem_words <= cfg.adepth
            for ld in s.loads:
                assert ld.rows == s.in_rows[ld.tensor] == (s.rows if g.order != "whole" else (0, h_in))
                t = num_tiles(ld.rows[1] - ld.rows[0], plan.grid[ld.tensor][1], cfg.rows)
                assert ld.words == (0 if ld.resident else ld.channels * t)
            assert s.imem_words in (0, len(s.prog.imem)) and s.wmem_words in (0, len(s.prog.wmem))
    assert plan.steps[0].imem_words == len(plan.steps[0].prog.imem)   # nothing is resident at first


def run_and_check(plan, inputs):
    rep = execute(plan, inputs)
    ref = reference_network(plan.layers, inputs)
    for o in plan.outputs:
        np.testing.assert_array_equal(rep.outputs[o], ref[o], err_msg=f"output {o}")
    # the words the runtime moved are exactly the plan's transfers
    assert rep.words == plan.words()
    for s, r in zip(plan.steps, rep.steps):
        assert r.words == s.words()
        assert r.words["amem_write"] == sum(ld.channels * ld.stride for ld in s.loads if not ld.resident)
        assert r.words["amem_read"] == sum(k.words for k in s.keeps)
    assert rep.launches == len(plan.groups)
    assert rep.cycles == sum(r.cycles for r in rep.steps) > 0
    return rep


def test_random_networks_partitioned_equal_reference():
    seen = {"bands": 0, "slices": 0, "bands+slices": 0, "multi-layer group": 0, "multi-input": 0, "acc": 0,
            "resident input": 0, "resident program": 0, "does not fit": 0}
    n = 40
    for seed in range(n):
        h, w, inputs, layers = random_big_network(seed)
        try:
            compile_network(SMALL, h, w, {n: len(v) for n, v in inputs.items()}, layers)
        except CompileError:
            seen["does not fit"] += 1
        else:       # a network that fits must stay one program
            assert len(_plan(SMALL, h, w, inputs, layers).steps) == 1
        plan = _plan(SMALL, h, w, inputs, layers)
        check_plan(plan)
        run_and_check(plan, inputs)
        for g in plan.groups:
            b, s = len(g.bands) > 1, bool(g.slices)
            seen["bands"] += b
            seen["slices"] += s
            seen["bands+slices"] += b and s
            seen["multi-layer group"] += len(g.layers) > 1
        seen["multi-input"] += any(len(ld.inputs) > 1 for ld in layers)
        seen["acc"] += layers[-1].mode == "acc"
        seen["resident input"] += any(ld.resident for st_ in plan.steps for ld in st_.loads)
        seen["resident program"] += any(st_.imem_words == 0 for st_ in plan.steps)
    assert all(seen.values()) and seen["does not fit"] >= 3 * n // 4, seen


def test_random_stride2_networks_partitioned_equal_reference():
    """Networks with stride-2 layers: bands of a stride-2 layer start on an
    even input row and keep the output rows their input rows cover; the
    tensors after it live on the halved grid."""
    seen = {"stride-2 banded": 0, "stride-2 whole": 0, "odd H": 0, "after stride 2": 0}
    for seed in range(100, 124):
        h, w, inputs, layers = random_big_network(seed, stride2=0.5)
        plan = _plan(SMALL, h, w, inputs, layers)
        check_plan(plan)
        run_and_check(plan, inputs)
        by = {ld.name: ld for ld in layers}
        for g in plan.groups:
            s2 = [n for n in g.layers if by[n].stride == 2]
            seen["stride-2 banded"] += bool(s2) and len(g.bands) > 1
            seen["stride-2 whole"] += bool(s2) and g.order == "whole"
            seen["odd H"] += any(plan.grid[by[n].inputs[0]][0] % 2 for n in s2)
        seen["after stride 2"] += any(plan.grid[ld.inputs[0]] != (h, w) for ld in layers)
    assert all(seen.values()), seen


@pytest.mark.parametrize("stride, halo", [(1, 0), (1, 1), (2, 0), (2, 1)])
def test_row_bands_cover_the_output_once(stride, halo):
    for h in range(1, 40):
        ho = reference.out_size(h, stride)
        for hb in range(1, h + 2):
            try:
                bands = row_bands(h, hb, halo, stride)
            except ValueError:
                # refused only when the tallest one-row band does not fit
                need = max(min(h, stride * r + halo + 1) - max(0, stride * r - halo) // stride * stride
                           for r in range(ho))
                assert hb < need
                continue
            assert bands[0][0] == 0 and bands[-1][1] == ho
            for (r0, r1, a, b), nxt in zip(bands, bands[1:] + [None]):
                assert r0 < r1 and b - a <= hb and 0 <= a and b <= h
                assert a % stride == 0                    # the band keeps the image's even rows
                assert a <= max(0, stride * r0 - halo) and b >= min(h, stride * (r1 - 1) + halo + 1)
                if nxt is not None:
                    assert nxt[0] == r1


def test_fitting_network_is_one_program():
    rng = np.random.default_rng(5)
    vals = {"x": rng.integers(0, 16, size=(5, 6, 7))}
    layers: list[LayerDef] = []
    _add(rng, SMALL, vals, layers, "a", ["x"], 3, 12, "dense")
    _add(rng, SMALL, vals, layers, "b", ["a", "x"], 1, 9, "random")
    _add(rng, SMALL, vals, layers, "c", ["b"], 3, 4, "dense", mode="acc")
    inputs = {"x": vals["x"]}
    plan = _plan(SMALL, 6, 7, inputs, layers)
    whole = compile_network(SMALL, 6, 7, {"x": 5}, layers)
    assert len(plan.steps) == 1 and plan.groups[0].order == "whole"
    assert plan.steps[0].prog.imem == whole.imem
    rep = run_and_check(plan, inputs)
    assert rep.launches == 1


def test_bands_and_slices_of_one_layer():
    """A dense 3x3 80 -> 64 layer on a tall image: two output-channel slices
    (WMem) times several bands (AMem); within a band or a slice, what the
    device holds is not sent again."""
    rng = np.random.default_rng(11)
    h, w = 40, 16
    vals = {"x": rng.integers(0, 16, size=(80, h, w))}
    layers: list[LayerDef] = []
    _add(rng, SMALL, vals, layers, "y", ["x"], 3, 64, "dense")
    plan = _plan(SMALL, h, w, {"x": vals["x"]}, layers)
    (g,) = plan.groups
    assert len(g.slices) == 2 and len(g.bands) > 2
    check_plan(plan)
    run_and_check(plan, {"x": vals["x"]})
    steps = plan.steps
    if g.order == "band-major":        # the second slice of a band reuses the band's input rows
        assert all(ld.resident for s in steps[1::2] for ld in s.loads)
    else:                              # slice-major: equal-height bands of one slice reuse program and weights
        assert g.order == "slice-major"
        assert steps[1].imem_words == 0 and steps[1].wmem_words == 0


def test_amem_alone_forces_slices():
    """A layer whose 1-row band does not fit with all its output channels
    but does with fewer: the slices are cut for AMem, not WMem (the
    weights, 1 of 9 taps kept, would fit), and reloading the small weight
    images per band moves less than reloading the input per slice."""
    rng = np.random.default_rng(4)
    h, w = 8, 64
    vals = {"x": rng.integers(0, 16, size=(120, h, w))}
    layers: list[LayerDef] = []
    xin = vals["x"]
    wt = S.draw_weights(rng, 64, 120, 3, SMALL.cols, kind="dw", taps_kept=1)
    layers.append(LayerDef("y", ["x"], wt, None, 3, 9))
    plan = _plan(SMALL, h, w, {"x": xin}, layers)
    (g,) = plan.groups
    assert sum(len(s.prog.wmem) for s in plan.steps[:len(g.slices)]) <= SMALL.wdepth
    assert len(g.slices) > 1 and len(g.bands) > 1 and g.order == "band-major"
    assert all(ld.resident for s in plan.steps[1::2] for ld in s.loads)
    check_plan(plan)
    rep = run_and_check(plan, {"x": xin})
    assert rep.outputs["y"].max() > 0


def test_imem_alone_forces_slices():
    """90 groups of 5x9 steps with a bias: the weights fit WMem (4050
    words) but the GROUP, BIAS and STEP words do not fit IMem."""
    rng = np.random.default_rng(6)
    vals = {"x": rng.integers(0, 16, size=(5, 2, 4))}
    layers: list[LayerDef] = []
    _add(rng, SMALL, vals, layers, "y", ["x"], 3, 90 * SMALL.cols, "dense", bias_p=1)
    plan = _plan(SMALL, 2, 4, {"x": vals["x"]}, layers)
    (g,) = plan.groups
    assert sum(len(s.prog.wmem) for s in plan.steps) <= SMALL.wdepth and len(g.slices) == 2
    check_plan(plan)
    run_and_check(plan, {"x": vals["x"]})


def test_chip_scale_512_to_512():
    """A dense 3x3 512 -> 512 layer on `chip`: 73,728 weight words, five
    times WMem, in slices of three COLS groups.  Dense slices of equal size
    have identical programs (only WMem differs), so IMem is sent twice."""
    chip = get_config("chip")
    rng = np.random.default_rng(8)
    vals = {"x": rng.integers(0, 16, size=(512, 6, 6))}
    layers: list[LayerDef] = []
    wt = rng.integers(-7, 8, size=(512, 512, 3, 3))       # zero-mean, so no bias is needed
    # a BIAS word per group would make each slice's program different
    _add(rng, chip, vals, layers, "y", ["x"], 3, 512, "dense", wt=wt, bias_p=0)
    plan = _plan(chip, 6, 6, {"x": vals["x"]}, layers)
    (g,) = plan.groups
    assert g.slices == [(i, min(i + 96, 512)) for i in range(0, 512, 96)]
    check_plan(plan)
    rep = run_and_check(plan, {"x": vals["x"]})
    assert rep.words["wmem"] == 512 // chip.cols * 512 * 9
    assert [s.words["imem"] > 0 for s in rep.steps] == [True] + [False] * 4 + [True]
    assert rep.outputs["y"].std() > 1


def test_image_taller_than_the_layer_field():
    """H > 1023 cannot be one LAYER; bands make it run."""
    rng = np.random.default_rng(3)
    h, w = DIM_MAX + 40, 2
    vals = {"x": rng.integers(0, 16, size=(2, h, w))}
    layers: list[LayerDef] = []
    _add(rng, SMALL, vals, layers, "y", ["x"], 3, 3, "dense", mode="acc")
    plan = _plan(SMALL, h, w, {"x": vals["x"]}, layers)
    assert len(plan.steps) == 2 and all(s.prog.h <= DIM_MAX for s in plan.steps)
    check_plan(plan)
    run_and_check(plan, {"x": vals["x"]})


# ---------------------------------------------------------------------------
# bands
# ---------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(h=st.integers(1, 300), hb=st.integers(1, 80), halo=st.integers(0, 3))
def test_row_bands_cover_each_row_once(h, hb, halo):
    if h > hb and hb < 2 * halo + 1:
        with pytest.raises(ValueError):
            row_bands(h, hb, halo)
        return
    bands = row_bands(h, hb, halo)
    cover = np.zeros(h, int)
    for r0, r1, a, b in bands:
        assert r0 < r1
        cover[r0:r1] += 1
        assert a == max(0, r0 - halo) and b == min(h, r1 + halo)
        assert b - a <= hb
    assert (cover == 1).all()
    assert [r0 for r0, *_ in bands] == sorted(r0 for r0, *_ in bands)
    # every band but the last has the full height: one program for all of them
    assert len({b - a for _, _, a, b in bands[:-1]}) <= 1


# ---------------------------------------------------------------------------
# the checks can fail
# ---------------------------------------------------------------------------
def _banded_plan():
    rng = np.random.default_rng(2)
    h, w = 60, 12
    vals = {"x": rng.integers(1, 16, size=(40, h, w))}
    layers: list[LayerDef] = []
    _add(rng, SMALL, vals, layers, "y", ["x"], 3, 40, "dense")
    return _plan(SMALL, h, w, {"x": vals["x"]}, layers), {"x": vals["x"]}


def test_a_wrong_skip_is_caught():
    """Marking an input as resident when it is not leaves the device with
    stale rows: the outputs then differ from the reference."""
    plan, x = _banded_plan()
    st_ = plan.steps[1]
    assert not st_.loads[0].resident
    st_.loads[0] = dataclasses.replace(st_.loads[0], resident=True, words=0)
    with pytest.raises(RuntimeMismatch, match="output 'y'"):
        execute(plan, x)


def test_a_missing_band_is_caught():
    plan, x = _banded_plan()
    plan.steps[1].keeps.clear()
    assert (plan.coverage()["y"] == 0).any()
    with pytest.raises(RuntimeError, match="'y' ch 0 row .* written 0 times"):
        execute(plan, x)


def test_a_wrong_halo_is_caught():
    """A band computed without its halo row is wrong at its edge."""
    plan, x = _banded_plan()
    s = plan.steps[1]
    a, b = s.rows
    k = s.keeps[0]
    # drop the halo above: the program is recompiled on rows [a+1, b)
    s.prog = compile_network(SMALL, b - a - 1, plan.w, {"x": 40}, plan.layers, ["y"])
    s.rows = (a + 1, b)
    s.in_rows = {"x": s.rows}
    t0 = (k.rows[0] - s.rows[0]) * plan.w // SMALL.rows
    t1 = -(-(k.rows[1] - s.rows[0]) * plan.w // SMALL.rows)
    s.keeps[0] = dataclasses.replace(k, src_row=k.rows[0] - s.rows[0], word0=t0, nwords=t1 - t0)
    plan.account()     # transfers follow the edited program and rows
    assert s.loads[0].rows == s.rows and s.imem_words == len(s.prog.imem)
    # only the band's first own row lacks its halo, so that is where it breaks
    with pytest.raises(RuntimeMismatch, match=rf"\(y={k.rows[0]},x="):
        execute(plan, x, GoldenBackend(SMALL))


# ---------------------------------------------------------------------------
# errors name the layer and the limit
# ---------------------------------------------------------------------------
def _one(cin, cout, k, h=8, w=8, mode="act", name="big", centre_only=False, **kw):
    wt = np.ones((cout, cin, k, k), np.int64)
    if centre_only:        # few weight words, so only AMem can be the limit
        wt[:, :, :, :] = 0
        wt[:, :, k // 2, k // 2] = 1
    return dict(h=h, w=w, inputs={"x": cin}, layers=[LayerDef(name, ["x"], wt, mode=mode, **kw)])


@pytest.mark.parametrize("args, match", [
    (_one(4, 4, 3, w=DIM_MAX + 1), r"layer 'big': W=1024 exceeds the LAYER.W field"),
    (_one(2000, 8, 3, w=64, centre_only=True), r"layer 'big': AMem: even a 1-row band \(3 input rows with halos"),
    (_one(600, 8, 1, w=64, mode="acc"), r"layer 'big': AMem: even a 1-row band \(1 row x W=64.*x 8 acc words"),
    (_one(460, 8, 3), r"layer 'big': output channels 0..7 .* more than the WMem depth 4096"),
    (_one(7300, 8, 3), r"layer 'big': Cin\*K\*K=65700 exceeds the LAYER.NDENSE field"),
    (_one(4, 4, 5), r"layer 'big': w: kernel 5x5 not supported"),
    (_one(4, 4, 3, scale=70000), r"layer 'big': scale: must be an integer"),
    (_one(4, 4, 3, h=0), r"H=0: image size"),
])
def test_unfittable_or_malformed_network_is_rejected(args, match):
    with pytest.raises(CompileError, match=match):
        plan_network(SMALL, **args)


def test_malformed_structure_is_rejected():
    w = np.ones((4, 4, 1, 1), np.int64)
    cases = [
        ([LayerDef("a", ["nope"], w)], None, r"layer 'a': input 'nope' is not an earlier tensor"),
        ([LayerDef("x", ["x"], w)], None, r"layer 'x': tensor name already used"),
        ([LayerDef("a", ["x", "x"], w)], None, r"layer 'a': w has Cin=4 but the inputs \['x', 'x'\] have 8"),
        ([LayerDef("a", ["x"], w, mode="acc"), LayerDef("b", ["a"], w)], None,
         r"layer 'b': input 'a' is an acc-mode tensor"),
        ([LayerDef("a", ["x"], w)], ["q"], r"output 'q' is not a tensor"),
        ([], None, r"no layers"),
    ]
    for layers, outputs, match in cases:
        with pytest.raises(CompileError, match=match):
            plan_network(SMALL, 4, 4, {"x": 4}, layers, outputs)


def test_runtime_rejects_wrong_inputs():
    plan, x = _banded_plan()
    with pytest.raises(CompileError, match=r"input 'x': shape \(40, 59, 12\)"):
        execute(plan, {"x": x["x"][:, 1:]})
    with pytest.raises(CompileError, match=r"input tensor 'x' not given"):
        execute(plan, {})
    with pytest.raises(CompileError, match=r"input 'x'.*values must be in \[0, 15\]"):
        execute(plan, {"x": x["x"] + 15})
