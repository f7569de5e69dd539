"""compiler.py: stored weight words are exactly the valid steps, the IMem
encoding matches the layer, limits raise CompileError naming the limit, and
multi-layer networks (concat, residual) equal the chained reference with a
safe AMem allocation."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import compiler, iss, isa
from models.compiler import CompileError, LayerDef, compile_layer, compile_network
from models.memory import num_tiles, signed_nibbles
from models.spec import CONFIGS, Op, tap_of

from .util import SPARSITY, make_operands, random_bias, random_network, valid_step_counts

SMALL, CHIP = CONFIGS["small"], CONFIGS["chip"]


@st.composite
def layer_case(draw):
    cfg = draw(st.sampled_from([SMALL, CHIP]))
    k = draw(st.sampled_from([1, 3]))
    cin = draw(st.integers(1, 12))
    cout = draw(st.integers(1, 2 * cfg.cols + 3))
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    kind = draw(st.sampled_from(SPARSITY))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    mode = draw(st.sampled_from(["act", "acc"]))
    with_bias = draw(st.booleans())
    x, wt = make_operands(seed, cin, h, w, cout, k, kind, cfg.cols, draw(st.integers(1, 9)))
    bias = random_bias(np.random.default_rng(seed), cout) if with_bias else None
    return cfg, x, wt, bias, mode, f"{cfg.name} K={k} Cin={cin} Cout={cout} H={h} W={w} {kind} seed={seed}"


def walk(prog):
    """Decode prog.imem into LAYER dicts with their groups (independently of
    the compiler's own bookkeeping)."""
    layers = []
    for word in prog.imem:
        op, f, rsv = isa.decode(word)
        assert rsv == 0
        if op == Op.LAYER:
            layers.append({"LAYER": f, "groups": []})
        elif op == Op.LAYERQ:
            layers[-1]["LAYERQ"] = f
        elif op == Op.GROUP:
            layers[-1]["groups"].append({**f, "bias": [], "steps": []})
        elif op == Op.BIAS:
            layers[-1]["groups"][-1]["bias"] += [f[f"B{n}"] for n in range(4)]
        elif op == Op.STEP:
            layers[-1]["groups"][-1]["steps"].append((f["TAP"], f["CADDR"]))
        else:
            assert op == Op.END
    assert isa.opcode(prog.imem[-1]) == Op.END
    return layers


@settings(max_examples=200)
@given(layer_case())
def test_wmem_holds_exactly_the_valid_steps(c):
    cfg, x, w, bias, mode, desc = c
    cout, cin, k, _ = w.shape
    prog = compile_layer(cfg, x.shape, w, bias, 3, 5, mode)
    counts = valid_step_counts(w, cfg.cols)
    st_ = prog.layers[0]
    assert st_.group_steps == counts, desc
    assert len(prog.wmem) == st_.stored_words == sum(counts), desc
    assert st_.dense_words == len(counts) * cin * k * k
    assert Fraction(st_.stored_words, st_.dense_words) == Fraction(sum(counts), len(counts) * cin * k * k)
    if len(prog.wmem):
        assert (prog.wmem != 0).any(axis=1).all(), desc        # no all-zero word stored

    # IMem says the same thing, word by word.
    (lay,) = walk(prog)
    L = lay["LAYER"]
    h, wd = x.shape[1:]
    tiles = num_tiles(h, wd, cfg.rows)
    ostride = tiles * (8 if mode == "acc" else 1)
    has_bias = bias is not None and bool(np.any(bias))
    assert L == {"H": h, "W": wd, "OSTRIDE": ostride, "NDENSE": cin * k * k,
                 "STRIDE2": 0, "MODE": int(mode == "acc"), "HAS_BIAS": int(has_bias)}, desc
    assert lay["LAYERQ"] == {"SCALE": 3, "SHIFT": 5}
    ybase = prog.tensors["y"].base
    xbase = prog.tensors["x"].base
    wbase = 0
    for g, grp in enumerate(lay["groups"]):
        lo, hi = g * cfg.cols, min((g + 1) * cfg.cols, cout)
        assert grp["OADDR"] == ybase + lo * ostride and grp["NCOLS"] == hi - lo
        assert grp["WBASE"] == wbase and grp["NSTEPS"] == counts[g] == len(grp["steps"])
        if has_bias:
            assert grp["bias"] == [int(v) for v in bias[lo:hi]] + [0] * (cfg.cols - (hi - lo))
        else:
            assert grp["bias"] == []
        expected = [(ci, ky, kx) for ci in range(cin) for ky in range(k) for kx in range(k)
                    if np.any(w[lo:hi, ci, ky, kx])]
        for s, (tap, caddr) in enumerate(grp["steps"]):
            ci, ky, kx = expected[s]
            assert tap == (tap_of(ky - 1, kx - 1) if k == 3 else 4)
            assert caddr == xbase + ci * tiles
            word = signed_nibbles(prog.wmem[wbase + s])
            assert word[: hi - lo].tolist() == w[lo:hi, ci, ky, kx].tolist(), desc
            assert not word[hi - lo:].any()
        wbase += counts[g]
    assert len(lay["groups"]) == -(-cout // cfg.cols)


@pytest.mark.parametrize("taps", range(1, 10))
def test_dw_pattern_fraction_exact(taps):
    x, w = make_operands(100 + taps, 7, 3, 3, 13, 3, "dw", 8, taps)
    prog = compile_layer(SMALL, x.shape, w)
    st_ = prog.layers[0]
    assert Fraction(st_.stored_words, st_.dense_words) == Fraction(taps, 9)
    assert st_.group_steps == [7 * taps, 7 * taps]


def test_all_zero_group_is_empty_group():
    w = np.zeros((20, 3, 1, 1), np.int64)
    w[:8, 0] = 1
    w[16:, 2] = -2
    prog = compile_layer(SMALL, (3, 2, 2), w)
    assert prog.layers[0].group_steps == [1, 0, 1]
    assert len(prog.wmem) == 2


# --- limits -------------------------------------------------------------------
def W1(cout=1, cin=1, k=1, v=1):
    return np.full((cout, cin, k, k), v, np.int64)


ERRORS = [
    # (description, callable, regex naming the field or limit)
    ("AMem: input too big", lambda: compile_layer(SMALL, (5000, 1, 1), W1(1, 5000)), r"AMem.*'x'.*4096"),
    ("AMem: output too big", lambda: compile_layer(SMALL, (1, 64, 64), W1(8, 1)), r"AMem.*'y'.*4096"),
    ("AMem: acc output too big", lambda: compile_layer(SMALL, (1, 16, 32), W1(8, 1), mode="acc"), r"AMem.*'y'"),
    ("WMem depth", lambda: compile_layer(SMALL, (460, 1, 1), W1(8, 460, 3)), r"WMem.*4140.*4096"),
    ("IMem depth via start_pc", lambda: compile_network(
        SMALL, 2, 2, {"x": 1}, [LayerDef("y", ["x"], W1(1, 1))], start_pc=4093), r"IMem.*4096"),
    ("H > 1023", lambda: compile_layer(SMALL, (1, 1024, 1), W1()), r"\bH=1024.*1023"),
    ("W > 1023", lambda: compile_layer(SMALL, (1, 1, 1024), W1()), r"\bW=1024.*1023"),
    ("H = 0", lambda: compile_layer(SMALL, (1, 0, 3), W1()), r"\bH=0"),
    ("Cin*K*K > 65535", lambda: compile_layer(CHIP, (7282, 1, 1), W1(1, 7282, 3)), r"Cin\*K\*K=65538.*NDENSE.*65535"),
    ("K=5", lambda: compile_layer(SMALL, (1, 3, 3), W1(1, 1, 5)), r"w: kernel 5x5.*K must be 1 or 3"),
    ("K=2", lambda: compile_layer(SMALL, (1, 3, 3), W1(1, 1, 2)), r"w: kernel 2x2"),
    ("K non-square", lambda: compile_layer(SMALL, (1, 3, 3), np.ones((1, 1, 3, 1), np.int64)), r"w: kernel 3x1"),
    ("w = 8", lambda: compile_layer(SMALL, (1, 3, 3), W1(v=8)), r"w: values must be in \[-8, 7\], found 8"),
    ("w = -9", lambda: compile_layer(SMALL, (1, 3, 3), W1(v=-9)), r"w: values.*found -9"),
    ("w float", lambda: compile_layer(SMALL, (1, 3, 3), np.ones((1, 1, 1, 1))), r"w: must be integers"),
    ("w 3-D", lambda: compile_layer(SMALL, (1, 3, 3), np.ones((1, 1, 1), np.int64)), r"w: shape"),
    ("bias 16384", lambda: compile_layer(SMALL, (1, 3, 3), W1(), np.array([16384])), r"bias: values must be in \[-16384, 16383\]"),
    ("bias -16385", lambda: compile_layer(SMALL, (1, 3, 3), W1(), np.array([-16385])), r"bias: values.*-16385"),
    ("bias shape", lambda: compile_layer(SMALL, (1, 3, 3), W1(), np.array([1, 2])), r"bias: shape"),
    ("scale 65536", lambda: compile_layer(SMALL, (1, 3, 3), W1(), scale=65536), r"scale: .*\[0, 65535\]"),
    ("scale -1", lambda: compile_layer(SMALL, (1, 3, 3), W1(), scale=-1), r"scale"),
    ("scale float", lambda: compile_layer(SMALL, (1, 3, 3), W1(), scale=1.5), r"scale"),
    ("shift 32", lambda: compile_layer(SMALL, (1, 3, 3), W1(), shift=32), r"shift: .*\[0, 31\]"),
    ("shift -1", lambda: compile_layer(SMALL, (1, 3, 3), W1(), shift=-1), r"shift"),
    ("mode", lambda: compile_layer(SMALL, (1, 3, 3), W1(), mode="foo"), r"mode: .*'foo'"),
    ("Cin mismatch", lambda: compile_layer(SMALL, (2, 3, 3), W1(1, 3)), r"Cin=3.*2 channels"),
    ("unknown input", lambda: compile_network(SMALL, 2, 2, {"x": 1}, [LayerDef("y", ["z"], W1())]), r"'z'"),
    ("reads acc tensor", lambda: compile_network(SMALL, 2, 2, {"x": 1}, [
        LayerDef("a", ["x"], W1(), mode="acc"), LayerDef("b", ["a"], W1())]), r"'a'.*acc"),
    ("duplicate name", lambda: compile_network(SMALL, 2, 2, {"x": 1}, [LayerDef("x", ["x"], W1())]), r"'x'"),
    ("no layers", lambda: compile_network(SMALL, 2, 2, {"x": 1}, []), r"no layers"),
    ("unknown output", lambda: compile_network(SMALL, 2, 2, {"x": 1}, [LayerDef("y", ["x"], W1())],
                                               outputs=["q"]), r"'q'"),
]


@pytest.mark.parametrize("desc,fn,pattern", ERRORS, ids=[e[0] for e in ERRORS])
def test_compile_errors_name_the_limit(desc, fn, pattern):
    with pytest.raises(CompileError, match=pattern):
        fn()


def test_imem_depth_exceeded_by_a_long_network():
    # 700 one-channel layers with bias: 6 words each, > 4096 IMem words, while
    # WMem (700 words) and AMem (reused) fit.
    layers = [LayerDef(f"l{i}", ["x" if i == 0 else f"l{i - 1}"], W1(), np.array([1]))
              for i in range(700)]
    with pytest.raises(CompileError, match=r"IMem.*4096"):
        compile_network(SMALL, 1, 1, {"x": 1}, layers)
    compile_network(SMALL, 1, 1, {"x": 1}, layers[:600])      # 3601 words fit


def test_wmem_overflow_beyond_wbase_field_is_compile_error():
    """More than 65535 valid weight words: must be the WMem-depth CompileError,
    not a raw ValueError from encoding GROUP.WBASE."""
    w = np.ones((17, 3700, 3, 3), np.int64)     # 3 groups x 33300 steps
    with pytest.raises(CompileError, match="WMem"):
        compile_layer(SMALL, (3700, 1, 1), w)


def test_limits_exactly_at_the_edge_compile():
    compile_layer(SMALL, (1, 1023, 1), W1())
    compile_layer(SMALL, (1, 3, 3), W1(v=-8), np.array([-16384]), 65535, 31)
    compile_layer(SMALL, (1, 3, 3), W1(v=7), np.array([16383]), 0, 0)
    p = compile_layer(SMALL, (454, 1, 1), W1(8, 454, 3))             # 4086 WMem words, 4090 IMem
    assert len(p.wmem) == 4086 and len(p.imem) == 4090
    p = compile_network(SMALL, 2, 2, {"x": 1}, [LayerDef("y", ["x"], W1())], start_pc=4091)
    assert p.start_pc + len(p.imem) == 4096
    w = np.zeros((1, 7281, 3, 3), np.int64)
    w[:, :, 1, 1] = 1                                                 # NDENSE 65529, 7281 valid
    assert compile_layer(CHIP, (7281, 1, 1), w).layers[0].dense_steps == 65529


# --- networks and allocation ----------------------------------------------------
def ranges(prog, name):
    t = prog.tensors[name]
    size = t.channels * t.stride
    return t.base, t.base + size


def check_allocation(prog, inputs, layers):
    outputs = set(prog.outputs)
    last_read = {}
    for i, ld in enumerate(layers):
        for s in ld.inputs:
            last_read[s] = i
    defined = list(inputs)
    for i, ld in enumerate(layers):
        lo, hi = ranges(prog, ld.name)
        assert 0 <= lo < hi <= prog.cfg.adepth
        for t in defined:
            live = t in outputs or last_read.get(t, -1) >= i
            if live:
                tlo, thi = ranges(prog, t)
                assert hi <= tlo or thi <= lo, f"layer {ld.name} output [{lo},{hi}) overlaps live {t} [{tlo},{thi})"
        for s in ld.inputs:          # the core rule, stated directly
            slo, shi = ranges(prog, s)
            assert hi <= slo or shi <= lo
        defined.append(ld.name)
    assert prog.amem_words == max(ranges(prog, n)[1] for n in prog.tensors)


@settings(max_examples=150)
@given(st.integers(0, 2 ** 32 - 1), st.integers(2, 5), st.booleans(), st.booleans())
def test_network_concat_residual_equals_chained_reference(seed, n, reuse, keep_all):
    h, w, inputs, layers, ref = random_network(seed, SMALL, n)
    # keep_all: every layer's tensor is an output, including ones later layers read.
    outputs = [ld.name for ld in layers] if keep_all else None
    prog = compile_network(SMALL, h, w, inputs, layers, outputs=outputs, reuse=reuse)
    check_allocation(prog, inputs, layers)
    if not reuse:
        spans = sorted(ranges(prog, t) for t in prog.tensors)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    mem = prog.memories({k: ref[k] for k in inputs})
    res = iss.run(mem, prog.start_pc)
    assert res.err == 0, (seed, res)
    for name in prog.outputs:
        assert np.array_equal(prog.read(mem.amem, name), ref[name]), (seed, name)


def test_allocator_reuses_freed_space_but_never_inputs():
    # x -> a -> b -> c: with reuse, c can go where a was, never over b.
    x = {"x": 4}
    layers = [LayerDef("a", ["x"], W1(4, 4)), LayerDef("b", ["a"], W1(4, 4)),
              LayerDef("c", ["b"], W1(4, 4))]
    prog = compile_network(SMALL, 4, 4, x, layers)
    check_allocation(prog, x, layers)
    assert prog.amem_words < sum(ranges(prog, n)[1] - ranges(prog, n)[0] for n in prog.tensors)
    # A tensor read again much later stays live.
    layers = [LayerDef("a", ["x"], W1(4, 4)), LayerDef("b", ["a"], W1(4, 4)),
              LayerDef("c", ["b"], W1(4, 4)), LayerDef("d", ["c", "a"], W1(2, 8))]
    prog = compile_network(SMALL, 4, 4, x, layers)
    check_allocation(prog, x, layers)


def test_residual_block_explicit():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 16, size=(4, 5, 6))
    w1 = rng.integers(-8, 8, size=(4, 4, 3, 3))
    w2 = np.zeros((4, 8, 1, 1), np.int64)
    w2[:, :4] = rng.integers(-8, 8, size=(4, 4, 1, 1))
    w2[np.arange(4), 4 + np.arange(4), 0, 0] = 1             # + identity(x)
    layers = [LayerDef("a", ["x"], w1, None, 3, 7), LayerDef("y", ["a", "x"], w2, None, 1, 0, "acc")]
    prog = compile_network(SMALL, 5, 6, {"x": 4}, layers)
    mem = prog.memories({"x": x})
    assert iss.run(mem).err == 0
    from models import reference
    a = reference.layer(x, w1, None, 3, 7)
    expected = reference.conv2d(a, w2[:, :4]) + x
    assert np.array_equal(prog.read(mem.amem, "y"), expected)


def test_memories_rejects_wrong_input():
    prog = compile_layer(SMALL, (2, 3, 3), W1(1, 2))
    with pytest.raises(CompileError, match="'x'"):
        prog.memories({"x": np.zeros((2, 3, 4), np.int64)})
    with pytest.raises(CompileError, match="'x'"):
        prog.memories({})


def test_useful_and_dense_macs():
    w = np.zeros((10, 3, 3, 3), np.int64)
    w[0, 0, 1, 1] = 1
    w[9, 2, 0, 0] = 1
    prog = compile_layer(SMALL, (3, 4, 5), w)
    assert compiler.useful_macs(prog) == 20 * (8 * 1 + 2 * 1)
    assert compiler.dense_macs(prog) == 20 * 10 * 27
