"""iss.py error handling: every Err code from crafted programs, the
"everything before the fault completes, nothing after" rule, the check
order, and robustness on garbage IMem."""
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from models import isa, iss, reference
from models.compiler import CompileError, LayerDef, compile_layer, compile_network
from models.memory import Memories, store_act
from models.spec import CONFIGS, FIELDS, Err, Op, reserved_mask

from .util import TINY, make_operands

SMALL = CONFIGS["small"]
END = isa.encode(Op.END)


# A two-layer base program on the small config: layer a (K=3, 10 outputs: two
# groups, the second with 2 columns, with bias) then layer b (K=1, reads a).
H, W = 3, 5          # T = 2 tiles on 8 lanes
_rng = np.random.default_rng(2024)
X = _rng.integers(0, 16, size=(3, H, W))
_, WA = make_operands(1, 3, 1, 1, 10, 3, "unstructured", 8)
WA[:, 0, 1, 1] = 1                     # every group has >= 2 steps
WA[:, 1, 0, 0] = -1
_, WB = make_operands(2, 10, 1, 1, 4, 1, "dense", 8)
BIAS_A = _rng.integers(-100, 100, size=10)
LAYERS = [LayerDef("a", ["x"], WA, BIAS_A, 5, 6), LayerDef("b", ["a"], WB, None, 1, 4)]
PROG = compile_network(SMALL, H, W, {"x": 3}, LAYERS, outputs=["a", "b"])
WORDS = list(PROG.imem)
OPS = [isa.decode(w)[0] for w in WORDS]
PC = {"layer": [i for i, o in enumerate(OPS) if o == Op.LAYER],
      "group": [i for i, o in enumerate(OPS) if o == Op.GROUP],
      "step": [i for i, o in enumerate(OPS) if o == Op.STEP],
      "bias": [i for i, o in enumerate(OPS) if o == Op.BIAS],
      "end": len(WORDS) - 1}
T = 2


def mems(words, start_pc=0, cfg=SMALL, wmem=None):
    """Memory images: sentinel nibbles everywhere in AMem (so untouched words
    are visible), the input stored, the program at start_pc."""
    mem = Memories(cfg)
    mem.amem[:] = np.random.default_rng(7).integers(0, 16, size=mem.amem.shape)
    if cfg is SMALL:
        t = PROG.tensors["x"]
        store_act(mem.amem, t.base, t.stride, X)
        mem.wmem[: len(PROG.wmem)] = PROG.wmem
    if wmem is not None:
        mem.wmem[:] = wmem
    mem.imem[start_pc:start_pc + len(words)] = np.array(words, np.uint64)
    return mem


def with_word(pc, word, words=None):
    w = list(WORDS if words is None else words)
    w[pc] = int(word)
    return w


def fields(pc):
    return isa.decode(WORDS[pc])[1]


def check_fault(words, fault_pc, err, start_pc=0, cfg=SMALL):
    """Run; check err/err_pc; AMem equals the program cut just before the
    faulting word (END written there)."""
    mem = mems(words, start_pc, cfg)
    res = iss.run(mem, start_pc)
    assert (res.err, res.err_pc) == (err, fault_pc), res
    cut = list(words[: fault_pc - start_pc]) + [END]
    at = min(start_pc, cfg.idepth - len(cut))   # a fault at idepth: cut program sits one lower
    ref = mems(cut, at, cfg)
    iss.run(ref, at)
    assert np.array_equal(mem.amem, ref.amem), f"AMem differs from the program cut at {fault_pc}"
    return res, mem


def expected_a():
    return reference.layer(X, WA, BIAS_A, 5, 6)


def test_base_program_runs():
    mem = mems(WORDS)
    res = iss.run(mem)
    assert res.err == Err.NONE and res.err_pc == 0
    assert np.array_equal(PROG.read(mem.amem, "a"), expected_a())
    assert np.array_equal(PROG.read(mem.amem, "b"),
                          reference.layer(expected_a(), WB, None, 1, 4))
    assert OPS[:2] == [Op.LAYER, Op.LAYERQ] and len(PC["layer"]) == 2 and len(PC["group"]) == 3


def untouched(mem, name, channels):
    """The output words of `name` channels still hold the sentinel."""
    t = PROG.tensors[name]
    sent = mems([END]).amem
    for c in channels:
        a = t.base + c * t.stride
        if not np.array_equal(mem.amem[a:a + t.stride], sent[a:a + t.stride]):
            return False
    return True


# --- ILLEGAL_OPCODE / EMPTY_PROGRAM --------------------------------------------
@pytest.mark.parametrize("code", [0x0, 0x6, 0x7, 0x8, 0xE])
def test_illegal_opcode_mid_program(code):
    pc = PC["group"][2]                       # layer b's only group
    res, mem = check_fault(with_word(pc, (code << 60) | 0x1234), pc, Err.ILLEGAL_OPCODE)
    assert np.array_equal(PROG.read(mem.amem, "a"), expected_a())   # layer a completed
    assert untouched(mem, "b", range(4))


def test_all_zero_imem_is_illegal_opcode():
    res = iss.run(Memories(SMALL))
    assert (res.err, res.err_pc) == (Err.ILLEGAL_OPCODE, 0)
    res = iss.run(Memories(SMALL), 100)
    assert (res.err, res.err_pc) == (Err.ILLEGAL_OPCODE, 100)


def test_zeroed_end_is_illegal_opcode_after_full_program():
    res, mem = check_fault(with_word(PC["end"], 0), PC["end"], Err.ILLEGAL_OPCODE)
    assert np.array_equal(PROG.read(mem.amem, "b"), reference.layer(expected_a(), WB, None, 1, 4))


@pytest.mark.parametrize("start", [0, 17])
def test_empty_program(start):
    mem = mems([END], start)
    res = iss.run(mem, start)
    assert (res.err, res.err_pc) == (Err.EMPTY_PROGRAM, start)
    assert np.array_equal(mem.amem, mems([END], start).amem)
    assert res.mac_busy == 0


# --- MALFORMED -----------------------------------------------------------------
def test_group_right_after_layer():
    pc = PC["layer"][1] + 1                   # layer b's LAYERQ replaced by its GROUP
    res, mem = check_fault(with_word(pc, WORDS[PC["group"][2]]), pc, Err.MALFORMED)
    assert np.array_equal(PROG.read(mem.amem, "a"), expected_a())
    assert untouched(mem, "b", range(4))


def test_end_before_nsteps_steps():
    pc = PC["end"] - 1                         # last STEP of layer b -> END
    res, mem = check_fault(with_word(pc, END), pc, Err.MALFORMED)
    assert np.array_equal(PROG.read(mem.amem, "a"), expected_a())
    assert untouched(mem, "b", range(4))


def test_extra_step_after_group():
    words = WORDS[:-1] + [WORDS[PC["step"][-1]], END]
    check_fault(words, len(WORDS) - 1, Err.MALFORMED)


def test_layer_with_no_groups():
    # LAYER LAYERQ END  and  LAYER LAYERQ LAYER ...
    words = WORDS[:PC["layer"][1] + 2] + [END]
    check_fault(words, PC["layer"][1] + 2, Err.MALFORMED)
    words = WORDS[:PC["layer"][1] + 2] + WORDS[PC["layer"][1]:]
    check_fault(words, PC["layer"][1] + 2, Err.MALFORMED)


def test_missing_and_unexpected_bias():
    g0 = PC["group"][0]                        # layer a has bias: GROUP BIAS BIAS STEP...
    assert OPS[g0 + 1] == Op.BIAS and OPS[g0 + 3] == Op.STEP
    check_fault(with_word(g0 + 2, WORDS[g0 + 3]), g0 + 2, Err.MALFORMED)     # STEP in 2nd BIAS slot
    g2 = PC["group"][2]                        # layer b has no bias
    check_fault(with_word(g2 + 1, WORDS[g0 + 1]), g2 + 1, Err.MALFORMED)


@pytest.mark.parametrize("first", [Op.STEP, Op.GROUP, Op.LAYERQ, Op.BIAS])
def test_program_not_starting_with_layer(first):
    word = next(WORDS[i] for i, o in enumerate(OPS) if o == first)
    check_fault([word] + WORDS, 0, Err.MALFORMED)


def test_layerq_after_group():
    pc = PC["layer"][1]
    check_fault(with_word(pc, WORDS[1]), pc, Err.MALFORMED)


# --- RESERVED --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["layer", "layerq", "group", "step", "end"])
def test_reserved_bits(kind):
    pc = {"layer": PC["layer"][1], "layerq": PC["layer"][1] + 1, "group": PC["group"][1],
          "step": PC["step"][-1], "end": PC["end"]}[kind]
    op = OPS[pc]
    m = reserved_mask(op)
    for bit in (m & -m, 1 << (m.bit_length() - 1)):       # lowest and highest reserved bit
        check_fault(with_word(pc, WORDS[pc] | bit), pc, Err.RESERVED)


# --- BAD_FIELD -------------------------------------------------------------------
def reenc(pc, **kw):
    op, f, _ = isa.decode(WORDS[pc])
    return with_word(pc, isa.encode(op, **{**f, **kw}))


BAD = [
    ("H=0", lambda: (PC["layer"][1], dict(H=0))),
    ("W=0", lambda: (PC["layer"][1], dict(W=0))),
    ("OSTRIDE<T", lambda: (PC["layer"][1], dict(OSTRIDE=T - 1))),
    ("OSTRIDE<8T acc", lambda: (PC["layer"][1], dict(MODE=1, OSTRIDE=8 * T - 1))),
    ("NCOLS=0", lambda: (PC["group"][1], dict(NCOLS=0))),
    ("NCOLS>cols", lambda: (PC["group"][1], dict(NCOLS=9))),
    ("NCOLS=63", lambda: (PC["group"][0], dict(NCOLS=63))),
    ("NSTEPS>NDENSE", lambda: (PC["group"][2], dict(NSTEPS=11))),
    ("TAP=9", lambda: (PC["step"][0], dict(TAP=9))),
    ("TAP=15", lambda: (PC["step"][-1], dict(TAP=15))),
]


@pytest.mark.parametrize("desc,where", BAD, ids=[b[0] for b in BAD])
def test_bad_field(desc, where):
    pc, kw = where()
    check_fault(reenc(pc, **kw), pc, Err.BAD_FIELD)


def test_faulting_step_in_tile0_writes_nothing_of_its_group():
    g1 = PC["group"][1]                        # layer a, group 1 (channels 8, 9)
    n = fields(g1)["NSTEPS"]
    pc = g1 + 1 + 2 + (n - 1)                  # its last STEP (after 2 BIAS words)
    assert OPS[pc] == Op.STEP and OPS[pc + 1] == Op.LAYER
    res, mem = check_fault(reenc(pc, TAP=12), pc, Err.BAD_FIELD)
    a = PROG.read(mem.amem, "a")
    assert np.array_equal(a[:8], expected_a()[:8])           # group 0 complete
    assert untouched(mem, "a", [8, 9])                       # group 1 wrote nothing
    # Its issued steps of tile 0 still pass the MAC stage.
    prefix = iss.run(mems(WORDS[:g1] + [END]))
    assert res.mac_busy == prefix.mac_busy + (n - 1)


def test_bad_field_precedence_over_ranges():
    pc = PC["group"][1]
    # NCOLS = 0 and WBASE past WMem and OADDR past AMem: BAD_FIELD wins.
    check_fault(reenc(pc, NCOLS=0, WBASE=4095, OADDR=65535), pc, Err.BAD_FIELD)
    # WBASE and OADDR both out of range: WMEM_RANGE wins.
    check_fault(reenc(pc, WBASE=4095, OADDR=65535), pc, Err.WMEM_RANGE)
    # reserved bit + bad field: RESERVED wins; wrong place + reserved: MALFORMED wins.
    check_fault(with_word(pc, isa.decode(WORDS[pc]) and (reenc(pc, NCOLS=0)[pc] | 1)), pc, Err.RESERVED)
    check_fault(with_word(PC["layer"][1] + 1, WORDS[pc] | 1), PC["layer"][1] + 1, Err.MALFORMED)
    # illegal opcode beats everything
    check_fault(with_word(pc, (0x9 << 60) | 1), pc, Err.ILLEGAL_OPCODE)


# --- IMEM_RANGE --------------------------------------------------------------------
def test_start_pc_beyond_imem():
    for start in (SMALL.idepth, SMALL.idepth + 5):
        mem = Memories(SMALL)
        res = iss.run(mem, start)
        assert (res.err, res.err_pc) == (Err.IMEM_RANGE, start)


def test_program_running_off_the_end():
    words = WORDS[:-1]                         # no END
    start = SMALL.idepth - len(words)
    res, mem = check_fault(words, SMALL.idepth, Err.IMEM_RANGE, start)
    full = mems(WORDS)
    iss.run(full)
    assert np.array_equal(mem.amem, full.amem)   # every group completed


def test_steps_running_off_the_end():
    words = WORDS[:-2]                         # the last group lacks its last STEP
    start = SMALL.idepth - len(words)
    res, mem = check_fault(words, SMALL.idepth, Err.IMEM_RANGE, start)
    assert untouched(mem, "b", range(4))


# --- WMEM_RANGE / AMEM_RANGE ----------------------------------------------------------
def test_wmem_range():
    pc = PC["group"][2]
    n = fields(pc)["NSTEPS"]
    check_fault(reenc(pc, WBASE=SMALL.wdepth - n + 1), pc, Err.WMEM_RANGE)
    check_fault(reenc(pc, WBASE=65535), pc, Err.WMEM_RANGE)
    mem = mems(reenc(pc, WBASE=SMALL.wdepth - n))        # exactly fits: runs
    assert iss.run(mem).err == Err.NONE


def test_amem_range_step_caddr():
    pc = PC["step"][-1]
    check_fault(reenc(pc, CADDR=SMALL.adepth - T + 1), pc, Err.AMEM_RANGE)
    check_fault(reenc(pc, CADDR=65535), pc, Err.AMEM_RANGE)
    mem = mems(reenc(pc, CADDR=SMALL.adepth - T))           # last legal channel
    assert iss.run(mem).err == Err.NONE


@pytest.mark.parametrize("acc", [0, 1])
def test_amem_range_group_output(acc):
    lp, gp = PC["layer"][1], PC["group"][2]
    ostride = 8 * T if acc else T
    ncols = fields(gp)["NCOLS"]
    words = reenc(lp, MODE=acc, OSTRIDE=ostride)
    top = SMALL.adepth - (ncols - 1) * ostride - T * (8 if acc else 1)    # last legal OADDR
    op, f, _ = isa.decode(words[gp])
    bad = with_word(gp, isa.encode(op, **{**f, "OADDR": top + 1}), words)
    check_fault(bad, gp, Err.AMEM_RANGE)
    good = with_word(gp, isa.encode(op, **{**f, "OADDR": top}), words)
    assert iss.run(mems(good)).err == Err.NONE


# --- robustness -------------------------------------------------------------------
def small_fields(op):
    fs = {}
    for f in FIELDS[op]:
        if f.name in isa.SIGNED_FIELDS:
            fs[f.name] = st.integers(-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1)
        elif f.name in ("H", "W"):
            fs[f.name] = st.integers(0, 24)
        else:
            fs[f.name] = st.one_of(st.integers(0, min(f.mask, 70)), st.integers(0, f.mask))
    return st.fixed_dictionaries(fs)


@st.composite
def garbage_word(draw):
    if draw(st.integers(0, 3)) == 0:
        return draw(st.integers(0, (1 << 64) - 1))
    op = draw(st.sampled_from(list(Op)))
    word = isa.encode(op, **draw(small_fields(op)))
    if draw(st.integers(0, 7)) == 0:
        word |= draw(st.integers(0, (1 << 64) - 1)) & reserved_mask(op)
    return word


def run_robust(mem, start_pc=0):
    try:
        res = iss.run(mem, start_pc)
    except iss.UndefinedProgram:
        event("UndefinedProgram")
        return None
    event(res.err.name)
    assert isinstance(res.err, Err)
    assert res.cycles >= 1 and res.mac_busy >= 0 and res.skipped >= 0 and res.stall >= 0
    if res.err == Err.NONE:
        assert res.err_pc == 0
    else:
        assert start_pc <= res.err_pc <= mem.cfg.idepth
    assert mem.amem.shape == (TINY.adepth, TINY.rows) and mem.amem.max() <= 15
    return res


@st.composite
def grammatical_garbage(draw):
    """Mostly grammatical programs with random (often out-of-range) fields,
    so that runs get deep into groups; a few words replaced by garbage."""
    small = lambda hi: st.integers(0, hi)      # noqa: E731
    words = []
    for _ in range(draw(st.integers(1, 3))):
        has_bias = draw(st.booleans())
        legal = lambda lo, hi: st.one_of(st.integers(lo, hi), st.integers(lo, hi), small(hi))  # noqa: E731
        words.append(isa.encode(Op.LAYER, H=draw(legal(1, 6)), W=draw(legal(1, 6)),
                                OSTRIDE=draw(legal(5, 12)), NDENSE=draw(legal(6, 30)),
                                MODE=draw(st.sampled_from([0, 0, 0, 1])), HAS_BIAS=int(has_bias),
                                STRIDE2=draw(st.sampled_from([0, 0, 1]))))
        words.append(isa.encode(Op.LAYERQ, SCALE=draw(small(65535)), SHIFT=draw(small(31))))
        for _ in range(draw(st.integers(1, 3))):
            n = draw(small(6))
            words.append(isa.encode(Op.GROUP, OADDR=draw(small(70)), NCOLS=draw(legal(1, 4)),
                                    WBASE=draw(small(66)), NSTEPS=n))
            if has_bias:
                words += [isa.encode(Op.BIAS, B0=draw(st.integers(-16384, 16383)), B1=0, B2=0,
                                     B3=draw(st.integers(-16384, 16383))) for _ in range(2)]
            words += [isa.encode(Op.STEP, TAP=draw(legal(0, 8)), CADDR=draw(small(66))) for _ in range(n)]
    words.append(isa.encode(Op.END))
    for _ in range(draw(small(2))):
        words[draw(small(len(words) - 1))] = draw(garbage_word())
    return words[: TINY.idepth]


@settings(max_examples=600)
@given(st.one_of(st.lists(garbage_word(), min_size=0, max_size=TINY.idepth), grammatical_garbage()),
       st.integers(0, 2 ** 32 - 1), st.one_of(st.just(0), st.integers(0, TINY.idepth)))
def test_random_imem_always_terminates(words, seed, start):
    rng = np.random.default_rng(seed)
    mem = Memories(TINY, rng.integers(0, 16, size=(TINY.adepth, TINY.rows)).astype(np.uint8),
                   rng.integers(0, 16, size=(TINY.wdepth, TINY.cols)).astype(np.uint8))
    mem.imem[: len(words)] = np.array(words, np.uint64)
    run_robust(mem, start)


@st.composite
def tiny_program(draw):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    while True:
        h, w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        cin, cout, k = int(rng.integers(1, 4)), int(rng.integers(1, 11)), int(rng.choice([1, 3]))
        x, wt = make_operands(seed, cin, h, w, cout, k, "unstructured", 8)
        bias = rng.integers(-99, 99, size=cout) if rng.random() < 0.5 else None
        mode = "acc" if rng.random() < 0.3 else "act"
        try:
            return compile_layer(TINY, x.shape, wt, bias, 3, 4, mode), x
        except CompileError:      # does not fit the tiny memories: draw again
            continue


@settings(max_examples=400)
@given(tiny_program(), st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(0, 63),
                                          st.sampled_from(["flip", "zero", "dup", "drop", "rand"])),
                                min_size=1, max_size=3),
       st.integers(0, (1 << 64) - 1))
def test_mutated_programs_always_terminate(pw, muts, rnd):
    prog, x = pw
    words = list(prog.imem)
    for pos, bit, kind in muts:
        i = pos % len(words)
        if kind == "flip":
            words[i] ^= 1 << bit
        elif kind == "zero":
            words[i] = 0
        elif kind == "dup":
            words.insert(i, words[i])
        elif kind == "drop" and len(words) > 1:
            del words[i]
        elif kind == "rand":
            words[i] = rnd
    words = words[: TINY.idepth]
    mem = prog.memories({"x": x})
    mem.imem[:] = 0
    mem.imem[: len(words)] = np.array(words, np.uint64)
    run_robust(mem)


def test_tiny_programs_are_valid_before_mutation():
    # The mutation test starts from real programs: check a few run cleanly.
    for seed in range(5):
        x, wt = make_operands(seed, 2, 3, 3, 9, 3, "unstructured", 8)
        prog = compile_layer(TINY, x.shape, wt, None, 3, 4)
        mem = prog.memories({"x": x})
        assert iss.run(mem).err == Err.NONE
        assert np.array_equal(prog.read(mem.amem, "y"), reference.layer(x, wt, None, 3, 4))
