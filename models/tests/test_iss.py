"""iss.py on compiled programs: bit-exact against the direct reference,
performance counters, and the exact cycle model."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import case as casemod
from models import iss, reference
from models.compiler import compile_layer, compile_network
from models.memory import Memories, load_acc, load_act, num_tiles, store_act
from models.spec import CONFIGS, DECODE_PREP, FETCH_LAT, ISSUE_TO_MAC, REQ_LAT, Err

from .util import (NONZERO_W, SPARSITY, Prog, make_operands, pick_scale_shift, random_bias,
                   random_network, run_layer, valid_step_counts)

SMALL, CHIP = CONFIGS["small"], CONFIGS["chip"]


@st.composite
def layer_case(draw, cfg=None):
    cfg = cfg or draw(st.sampled_from([SMALL, CHIP]))
    k = draw(st.sampled_from([1, 3]))
    cin = draw(st.integers(1, cfg.cols + 4))
    cout = draw(st.one_of(st.integers(1, cfg.cols + 3), st.sampled_from([cfg.cols, 2 * cfg.cols + 1])))
    if cfg is CHIP:
        h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    else:
        h, w = draw(st.integers(1, 13)), draw(st.integers(1, 13))
    kind = draw(st.sampled_from(SPARSITY))
    mode = draw(st.sampled_from(["act", "acc"]))
    bias_on = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 32 - 1))
    x, wt = make_operands(seed, cin, h, w, cout, k, kind, cfg.cols, draw(st.integers(1, 9)))
    rng = np.random.default_rng(seed + 1)
    bias = random_bias(rng, cout) if bias_on else None
    scale, shift = pick_scale_shift(reference.layer(x, wt, bias, mode="acc"), rng)
    if draw(st.integers(0, 9)) == 0:
        scale, shift = draw(st.sampled_from([(0, 3), (65535, 31), (65535, 0), (1, 0)]))
    desc = f"{cfg.name} K={k} Cin={cin} Cout={cout} H={h} W={w} {kind} {mode} bias={bias_on} seed={seed}"
    return cfg, x, wt, bias, scale, shift, mode, desc


def check_counters(res, prog, w):
    t = prog.layers[0].tiles
    counts = valid_step_counts(w, prog.cfg.cols)
    ndense = w.shape[1] * w.shape[2] ** 2
    assert res.mac_busy == t * sum(counts)
    assert res.skipped == t * sum(ndense - n for n in counts)


@settings(max_examples=300)
@given(layer_case())
def test_iss_layer_equals_reference(c):
    cfg, x, w, bias, scale, shift, mode, desc = c
    prog, mem, res = run_layer(cfg, x, w, bias, scale, shift, mode)
    assert res.err == Err.NONE, desc
    y = prog.read(mem.amem, "y")
    assert np.array_equal(y, reference.layer(x, w, bias, scale, shift, mode)), desc
    check_counters(res, prog, w)
    assert res.cycles > res.mac_busy


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("seed", range(6))
def test_iss_on_case_generator(cfg, seed):
    """Cases drawn by models.case.random_case (the CLI's generator)."""
    rng = np.random.default_rng(1000 + seed)
    c = casemod.random_case(rng, cfg, max_hw=9 if cfg is CHIP else 13, max_c=40 if cfg is CHIP else None)
    prog, mem, res = run_layer(cfg, c.x, c.w, c.bias, c.scale, c.shift, c.mode, c.stride)
    assert res.err == Err.NONE
    assert np.array_equal(prog.read(mem.amem, "y"), c.reference()), seed
    check_counters(res, prog, c.w)


@pytest.mark.parametrize("mode", ["act", "acc"])
@pytest.mark.parametrize("kind", ["extreme_neg", "extreme_pos"])
def test_iss_extremes(mode, kind):
    x, w = make_operands(0, 20, 4, 5, 9, 3, kind, 8)
    bias = np.full(9, -16384 if kind == "extreme_neg" else 16383)
    prog, mem, res = run_layer(SMALL, x, w, bias, 65535, 31, mode)
    ref = reference.layer(x, w, bias, 65535, 31, mode)
    assert np.array_equal(prog.read(mem.amem, "y"), ref)


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("mode", ["act", "acc"])
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_iss_modes_bias_grid(cfg, mode, with_bias, k):
    """Every (config, mode, bias, K) combination, fixed seed, shapes not multiples of the array."""
    seed = 100 * cfg.rows + 10 * k + 2 * (mode == "acc") + with_bias
    x, w = make_operands(seed, cfg.cols + 3, 5, cfg.rows + 3, 2 * cfg.cols + 1, k, "unstructured", cfg.cols)
    rng = np.random.default_rng(seed)
    bias = random_bias(rng, w.shape[0]) if with_bias else None
    scale, shift = pick_scale_shift(reference.layer(x, w, bias, mode="acc"), rng)
    prog, mem, res = run_layer(cfg, x, w, bias, scale, shift, mode)
    assert res.err == Err.NONE
    ref = reference.layer(x, w, bias, scale, shift, mode)
    assert np.array_equal(prog.read(mem.amem, "y"), ref), seed
    if mode == "act":
        assert len(np.unique(ref)) > 2          # requant parameters are not degenerate
    check_counters(res, prog, w)


def test_empty_group_outputs_requantized_bias():
    w = np.zeros((10, 3, 3, 3), np.int64)
    bias = np.arange(10) * 3 - 4
    x = np.full((3, 3, 7), 9)
    prog, mem, res = run_layer(SMALL, x, w, bias, 5, 2, "act")
    y = prog.read(mem.amem, "y")
    assert np.array_equal(y, np.broadcast_to(reference.requantize(bias, 5, 2)[:, None, None], y.shape))
    t = num_tiles(3, 7, 8)
    assert res.mac_busy == 0 and res.skipped == 2 * t * 27


@settings(max_examples=120)
@given(st.sampled_from([SMALL, CHIP]), st.integers(0, 2 ** 32 - 1), st.integers(3, 4))
def test_iss_network_equals_chained_reference(cfg, seed, n):
    h, w, inputs, layers, ref = random_network(seed, cfg, n, max_hw=8 if cfg is CHIP else 9)
    prog = compile_network(cfg, h, w, inputs, layers)
    mem = prog.memories({k: ref[k] for k in inputs})
    res = iss.run(mem, prog.start_pc)
    assert res.err == Err.NONE, (seed, res.err)
    for name in prog.outputs:
        assert np.array_equal(prog.read(mem.amem, name), ref[name]), (cfg.name, seed, name)
    t = num_tiles(h, w, cfg.rows)
    busy = skipped = 0
    for ld in layers:
        counts = valid_step_counts(ld.w, cfg.cols)
        nd = ld.w.shape[1] * ld.w.shape[2] ** 2
        busy += t * sum(counts)
        skipped += t * sum(nd - c for c in counts)
    assert (res.mac_busy, res.skipped) == (busy, skipped), seed
    assert len(res.layers) == n and all(a.end < b.start for a, b in zip(res.layers, res.layers[1:]))



@settings(max_examples=60)
@given(st.sampled_from([SMALL, CHIP]), st.integers(0, 2 ** 32 - 1))
def test_block_decode_equals_word_by_word_decode(cfg, seed):
    """The ISS decodes a group's STEP words at once when none faults; the
    word-by-word decoder (the one faulty programs take) must give the same
    memories, counters and trace on every good program."""
    h, w, inputs, layers, ref = random_network(seed, cfg, 3, max_hw=8 if cfg is CHIP else 9)
    prog = compile_network(cfg, h, w, inputs, layers)
    fast_mem = prog.memories({k: ref[k] for k in inputs})
    slow_mem = fast_mem.copy()
    fast = iss.run(fast_mem, prog.start_pc)
    saved = iss._clean_steps
    iss._clean_steps = lambda *a: None
    try:
        slow = iss.run(slow_mem, prog.start_pc)
    finally:
        iss._clean_steps = saved
    assert fast == slow, seed
    assert np.array_equal(fast_mem.amem, slow_mem.amem), seed


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_repeated_step_adds_its_products_again(cfg):
    """A program may name the same (channel, tap) twice in one group (the
    compiler never does): both WMem words add up, as in the RTL's MAC."""
    rng = np.random.default_rng(5)
    h, w, cin = 5, 7, 3
    t = num_tiles(h, w, cfg.rows)
    x = rng.integers(0, 16, size=(cin, h, w))
    steps = [(4, 0), (1, 1), (4, 0), (8, 2), (1, 1), (4, 0)]    # (tap, channel)
    wwords = rng.integers(-8, 8, size=(len(steps), cfg.cols))
    wt = np.zeros((cfg.cols, cin, 3, 3), np.int64)             # the summed 3x3 weights
    for (tap, ci), word in zip(steps, wwords):
        wt[:, ci, tap // 3, tap % 3] += word
    p = Prog()
    p.layer(h, w, 8 * t, cin * 9, mode=1)
    p.group(cin * t, cfg.cols, 0, len(steps))
    for tap, ci in steps:
        p.step(tap, ci * t)
    p.end()
    amem = np.zeros((cfg.adepth, cfg.rows), np.uint8)
    store_act(amem, 0, t, x)
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wmem[:len(steps)] = wwords & 0xF
    mem = p.memories(cfg, amem, wmem)
    res = iss.run(mem)
    assert res.err == Err.NONE
    got = load_acc(mem.amem, cin * t, 8 * t, cfg.cols, h, w)
    assert np.array_equal(got, reference.conv2d(x, wt))

def test_network_k_mixed_concat_explicit():
    from models.compiler import LayerDef
    rng = np.random.default_rng(11)
    x = rng.integers(0, 16, size=(5, 6, 7))
    w_a = rng.integers(-8, 8, size=(9, 5, 3, 3))
    w_b = rng.integers(-8, 8, size=(6, 5, 1, 1))
    w_c = rng.integers(-8, 8, size=(7, 15, 3, 3))       # reads concat(a, b)
    w_d = rng.integers(-8, 8, size=(3, 12, 1, 1))       # reads concat(c, x)
    layers = [LayerDef("a", ["x"], w_a, None, 9, 8), LayerDef("b", ["x"], w_b, rng.integers(-50, 50, 6), 5, 5),
              LayerDef("c", ["a", "b"], w_c, None, 3, 8), LayerDef("d", ["c", "x"], w_d, None, 1, 0, "acc")]
    a = reference.layer(x, w_a, None, 9, 8)
    b = reference.layer(x, w_b, layers[1].bias, 5, 5)
    c = reference.layer(np.concatenate([a, b]), w_c, None, 3, 8)
    d = reference.layer(np.concatenate([c, x]), w_d, None, 1, 0, "acc")
    assert len(np.unique(c)) > 3           # the chain is not degenerate
    for cfg in (SMALL, CHIP):
        prog = compile_network(cfg, 6, 7, {"x": 5}, layers)
        mem = prog.memories({"x": x})
        assert iss.run(mem).err == Err.NONE
        assert np.array_equal(prog.read(mem.amem, "d"), d)


# --- the cycle model ------------------------------------------------------------
def dense_pw_closed_form(cfg, cin, cout, h, w, bias=False):
    """Derived from iss._Timeline for LAYER, LAYERQ, G x (GROUP [+ cols/4 BIAS],
    T tiles of Cin steps), END:
      * the first word decodes in x = FETCH_LAT; LAYER's barrier waits for nothing;
        LAYER takes 1 + DECODE_PREP slots and LAYERQ one -> x = FETCH_LAT + 2 + P;
      * each GROUP takes 1 + DECODE_PREP slots, each BIAS word one;
      * each tile takes Cin slots (steps(Cin-1) then the capturing slot).  The
        capture of tile t is at m_t = (its last slot) + ISSUE_TO_MAC, and m_{t+1}
        - m_t >= Cin >= ncols = the previous drain length, so drain_free never
        stalls (Cin >= cols >= ncols);
      * after the last tile, x_end = FETCH_LAT + 2 + P + G*(1 + P [+cols/4]) + G*T*Cin, and
        the last capture was at m = x_end - 1 + ISSUE_TO_MAC;
      * its drain writes word ncols_last-1 in m + ncols_last + REQ_LAT = last_write;
      * END decodes at x_end < last_write; halt_cycles = max(x, last_mac,
        last_write) + 2 (the sequencer waits from x+1 for the first cycle c with
        nothing in flight, c = last_write + 1, and busy ends after c), so
        cycles = last_write + 2.
    NOTE: the issue states "... + REQ_LAT + 1" (= G*T*Cin + G + ncols_last + 8);
    that was the halt rule max(...) + 1 of the first iss.py.  The current
    _Timeline.halt_cycles (and docs/architecture.md section 9) give + 2, i.e.
    G*T*Cin + G + ncols_last + 9.  This test follows the current model."""
    g = -(-cout // cfg.cols)
    t = num_tiles(h, w, cfg.rows)
    ncols_last = cout - (g - 1) * cfg.cols
    header = 1 + DECODE_PREP + (cfg.cols // 4 if bias else 0)
    last_write = (FETCH_LAT + 2 + DECODE_PREP + g * header + g * t * cin - 1 + ISSUE_TO_MAC
                  + ncols_last + REQ_LAT)
    return last_write + 2


@settings(max_examples=80)
@given(st.sampled_from([SMALL, CHIP]), st.integers(0, 12), st.integers(1, 70), st.integers(1, 12),
       st.integers(1, 12), st.booleans(), st.integers(0, 2 ** 32 - 1))
def test_dense_pw_cycles_closed_form(cfg, extra, cout, h, w, bias_on, seed):
    cin = cfg.cols + extra
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 16, size=(cin, h, w))
    wt = rng.choice(NONZERO_W, size=(cout, cin, 1, 1))
    bias = rng.integers(1, 100, size=cout) if bias_on else None
    prog, mem, res = run_layer(cfg, x, wt, bias, 1, 6, "act")
    assert res.err == Err.NONE
    g, t = -(-cout // cfg.cols), num_tiles(h, w, cfg.rows)
    assert res.cycles == dense_pw_closed_form(cfg, cin, cout, h, w, bias_on), (cfg.name, cin, cout, h, w)
    assert res.stall == 0
    assert res.mac_busy == g * t * cin and res.skipped == 0
    ncols_last = cout - (g - 1) * cfg.cols
    # The drain end itself is the issue's closed form without its final "+ 1".
    assert res.layers[-1].end == (FETCH_LAT + 2 + DECODE_PREP
                                  + g * (1 + DECODE_PREP + (cfg.cols // 4 if bias_on else 0))
                                  + g * t * cin - 1 + ISSUE_TO_MAC + ncols_last + REQ_LAT)
    if not bias_on:
        # one prep slot per GROUP and one for the LAYER (DECODE_PREP = 1)
        assert res.cycles == g * t * cin + 2 * g + ncols_last + 10


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("cin_minus", [1, 3])
def test_drain_stall_when_tiles_shorter_than_drain(cfg, cin_minus):
    """One full group, Cin < cols: every tile after the first waits
    cols - Cin cycles for the drain (section 6.2)."""
    cin, cout, h, w = cfg.cols - cin_minus, cfg.cols, 4, cfg.rows
    t = num_tiles(h, w, cfg.rows)
    rng = np.random.default_rng(cin)
    x = rng.integers(0, 16, size=(cin, h, w))
    wt = rng.choice(NONZERO_W, size=(cout, cin, 1, 1))
    prog, mem, res = run_layer(cfg, x, wt, None, 1, 6, "act")
    assert res.stall == (t - 1) * cin_minus
    assert res.cycles == dense_pw_closed_form(cfg, cin, cout, h, w) + res.stall


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("cin_off", [-1, 0, 3])
def test_perf_model_dense_pw_cycles_matches_iss(cfg, cin_off):
    """models.perf_model.dense_pw_cycles holds for Cin >= COLS and refuses
    shorter tiles, where the drain stalls (Cin = COLS-1 stalls once per tile)."""
    from models import perf_model
    cin, cout, h, w = cfg.cols + cin_off, 2 * cfg.cols, 2, cfg.rows    # exactly 2 tiles
    rng = np.random.default_rng(0)
    x = rng.integers(0, 16, size=(cin, h, w))
    wt = rng.choice(NONZERO_W, size=(cout, cin, 1, 1))
    _, _, res = run_layer(cfg, x, wt, None, 1, 6, "act")
    if cin_off < 0:
        assert res.stall > 0
        with pytest.raises(ValueError, match="closed form does not apply"):
            perf_model.dense_pw_cycles(cfg, cin, cout, h, w)
    else:
        assert res.stall == 0
        assert perf_model.dense_pw_cycles(cfg, cin, cout, h, w) == res.cycles, (res.cycles, res.stall)


@settings(max_examples=30)
@given(layer_case(SMALL))
def test_cycles_deterministic(c):
    cfg, x, w, bias, scale, shift, mode, desc = c
    prog, mem1, r1 = run_layer(cfg, x, w, bias, scale, shift, mode)
    mem2 = prog.memories({"x": x})
    r2 = iss.run(mem2, prog.start_pc)
    assert r1.counters() == r2.counters(), desc
    assert np.array_equal(mem1.amem, mem2.amem)
    r3 = iss.run(mem2, prog.start_pc)            # rerun on the finished memories
    assert r3.counters() == r1.counters() and np.array_equal(mem2.amem, mem1.amem)


def test_layer_barrier_counts_as_stall():
    from models.compiler import LayerDef
    # Layer 1 ends with a long drain; layer 2's LAYER word must wait for it.
    x = np.ones((1, 1, 8), np.int64)
    w1 = np.ones((8, 1, 1, 1), np.int64)
    w2 = np.ones((1, 8, 1, 1), np.int64)
    prog = compile_network(SMALL, 1, 8, {"x": 1}, [LayerDef("a", ["x"], w1), LayerDef("b", ["a"], w2)])
    res = iss.run(prog.memories({"x": x}))
    assert res.err == Err.NONE
    # (DECODE_PREP = 1: LAYER and GROUP each spend a prep cycle first.)
    # Layer a: LAYER prep@1 fire@2, LAYERQ@3, GROUP prep@4 fire@5, step@6 ->
    # capture 9, writes 12..19.  Layer b's LAYER: prep@7, then waits until 20:
    # stall 20 - 8 = 12; LAYERQ 21, GROUP prep@22 fire@23, 8 steps 24..31,
    # capture 34, one drain word written 37; END at 32, idle from cycle 38
    # (nothing in flight), so cycles = 39.
    assert DECODE_PREP == 1
    assert res.layers[0].end == 19 and res.layers[1].start == 20
    assert res.layers[1].end == 37
    assert (res.stall, res.cycles) == (12, 39)


@settings(max_examples=60)
@given(layer_case(SMALL))
def test_padding_lanes_dont_care_in_and_zero_out(c):
    """Input padding lanes (p >= H*W in the last word) are don't-care; output
    padding lanes are written as 0 (act and acc)."""
    cfg, x, w, bias, scale, shift, mode, desc = c
    prog = compile_layer(cfg, x.shape, w, bias, scale, shift, mode)
    mem = prog.memories({"x": x})
    h, wd = x.shape[1:]
    t = num_tiles(h, wd, cfg.rows)
    npad = t * cfg.rows - h * wd
    xi, yi = prog.tensors["x"], prog.tensors["y"]
    rng = np.random.default_rng(len(desc))
    for ci in range(x.shape[0]):
        if npad:
            mem.amem[xi.channel_addr(ci) + t - 1, cfg.rows - npad:] = rng.integers(1, 16, size=npad)
    mem.amem[yi.base:yi.base + yi.channels * yi.stride] = 5        # stale output words
    res = iss.run(mem)
    assert res.err == Err.NONE
    assert np.array_equal(prog.read(mem.amem, "y"), reference.layer(x, w, bias, scale, shift, mode)), desc
    wpt = 8 if mode == "acc" else 1
    for co in range(w.shape[0]):
        last = mem.amem[yi.channel_addr(co) + (t - 1) * wpt: yi.channel_addr(co) + t * wpt]
        assert not last[:, cfg.rows - npad:].any() if npad else True, desc


# --- hand-placed programs: addressing the compiler never produces ----------------
@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_irregular_channel_addresses_and_strides(cfg):
    """Input channels at uneven (even overlapping) AMem addresses, and output
    channel strides with gaps, in a layer with two groups: the ISS must read
    and write exactly the words the program names.  The addresses [0, t+1,
    2t] span (C-1)*t words like a packed tensor does, but are not one."""
    rng = np.random.default_rng(8)
    h, w = 3, cfg.rows + 1
    t = num_tiles(h, w, cfg.rows)
    assert t >= 2
    amem = rng.integers(0, 16, size=(cfg.adepth, cfg.rows)).astype(np.uint8)
    addrs = [0, t + 1, 2 * t]
    x = np.concatenate([load_act(amem, a, 0, 1, h, w) for a in addrs])   # one channel per address
    cout = cfg.cols + 2                                   # two groups
    wt = rng.integers(-8, 8, size=(cout, len(addrs), 3, 3))
    ostride, obase = t + 3, 8 * t
    p = Prog()
    p.layer(h, w, ostride, len(addrs) * 9, scale=3, shift=7)
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wbase = 0
    for g0 in range(0, cout, cfg.cols):
        ncols = min(cfg.cols, cout - g0)
        p.group(obase + g0 * ostride, ncols, wbase, len(addrs) * 9)
        for ci, a in enumerate(addrs):
            for tap in range(9):
                p.step(tap, a)
                wmem[wbase, :ncols] = wt[g0:g0 + ncols, ci, tap // 3, tap % 3] & 0xF
                wbase += 1
    # layer 2 reads layer 1's gapped outputs (a PW on its first 3 channels)
    # and writes a packed acc-mode block (OSTRIDE = 8t) at obase2
    obase2 = obase + cout * ostride + 5
    w2 = rng.integers(-8, 8, size=(2, 3, 1, 1))
    p.layer(h, w, 8 * t, 3, mode=1)
    p.group(obase2, 2, wbase, 3)
    for ci in range(3):
        p.step(4, obase + ci * ostride)
        wmem[wbase, :2] = w2[:, ci, 0, 0] & 0xF
        wbase += 1
    p.end()
    mem = p.memories(cfg, amem, wmem)
    before = mem.amem.copy()
    res = iss.run(mem)
    assert res.err == Err.NONE
    y1 = reference.layer(x, wt, None, 3, 7)
    assert np.array_equal(load_act(mem.amem, obase, ostride, cout, h, w), y1)
    y2 = load_acc(mem.amem, obase2, 8 * t, 2, h, w)
    assert np.array_equal(y2, reference.conv2d(y1[:3], w2))
    # nothing else changed: not the gaps between output channels, not the inputs
    written = np.zeros(cfg.adepth, bool)
    for c in range(cout):
        written[obase + c * ostride:obase + c * ostride + t] = True
    written[obase2:obase2 + 2 * 8 * t] = True
    assert np.array_equal(mem.amem[~written], before[~written])


def test_later_group_overwrites_earlier_one():
    """Two groups of one layer writing the same words: the later one's
    drain wins, as in the RTL."""
    cfg = SMALL
    rng = np.random.default_rng(9)
    h, w, cin = 2, 6, 2
    t = num_tiles(h, w, cfg.rows)
    x = rng.integers(0, 16, size=(cin, h, w))
    wa = rng.integers(-8, 8, size=(3, cin, 1, 1))
    wb = rng.integers(-8, 8, size=(1, cin, 1, 1))
    out, stride = 4 * t, 8 * t
    p = Prog()
    p.layer(h, w, stride, cin, mode=1)
    p.group(out, 3, 0, cin)                     # channels 0..2 at out + c * stride
    for ci in range(cin):
        p.step(4, ci * t)
    p.group(out + stride, 1, cin, cin)          # overwrites the first group's channel 1
    for ci in range(cin):
        p.step(4, ci * t)
    p.end()
    amem = np.zeros((cfg.adepth, cfg.rows), np.uint8)
    store_act(amem, 0, t, x)
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wmem[:cin, :3] = wa[:, :, 0, 0].T & 0xF
    wmem[cin:2 * cin, :1] = wb[:, :, 0, 0].T & 0xF
    mem = p.memories(cfg, amem, wmem)
    assert iss.run(mem).err == Err.NONE
    exp = reference.conv2d(x, wa)
    exp[1] = reference.conv2d(x, wb)[0]
    assert not np.array_equal(exp[1], reference.conv2d(x, wa)[1])     # the overwrite shows
    assert np.array_equal(load_acc(mem.amem, out, stride, 3, h, w), exp)


@pytest.mark.parametrize("order", ["read_then_write", "write_then_read", "own_input"])
def test_layer_reading_its_own_outputs_is_undefined(order):
    """A layer that reads AMem words it writes (in either order, or a group
    writing its own input) has no defined result: the ISS refuses it."""
    cfg = SMALL
    h, w = 2, 6
    t = num_tiles(h, w, cfg.rows)
    p = Prog()
    p.layer(h, w, t, 1)
    src, dst = {"read_then_write": ((0, 0), (8 * t, 0)), "write_then_read": ((0, 4 * t), (4 * t, 8 * t)),
                "own_input": ((0, 4 * t), (8 * t, 4 * t))}[order]
    for caddr, oaddr in zip(src, dst):        # two groups of one step each
        p.group(oaddr, 1, 0, 1)
        p.step(4, caddr)
    p.end()
    with pytest.raises(iss.UndefinedProgram):
        iss.run(p.memories(cfg))


@settings(max_examples=300)
@given(st.integers(0, 50), st.integers(0, 60), st.integers(0, 40), st.integers(1, 40),
       st.integers(1, 64), st.integers(1, 12))
def test_timeline_tiles_equal_repeated_tile(x0, drain_free, last_mac, n_slots, drain_words, count):
    """_Timeline.tiles (closed form) equals count calls of _Timeline.tile from
    any pipeline state."""
    a, b = iss._Timeline(), iss._Timeline()
    for tl in (a, b):
        tl.x, tl.drain_free, tl.last_mac, tl.last_write = x0, drain_free, last_mac, drain_free + REQ_LAT
    a.tiles(count, n_slots, drain_words)
    for _ in range(count):
        b.tile(n_slots, drain_words)
    assert vars(a) == vars(b)


# --- run_batch ----------------------------------------------------------------
@settings(max_examples=40)
@given(st.sampled_from([SMALL, CHIP]), st.integers(0, 2 ** 32 - 1), st.integers(2, 5))
def test_run_batch_equals_run_per_image(cfg, seed, nimg):
    """One program on several input images at once: every image's AMem and
    the counters equal separate runs (so no image leaks into another)."""
    h, w, inputs, layers, ref = random_network(seed, cfg, 3, max_hw=8 if cfg is CHIP else 9)
    prog = compile_network(cfg, h, w, inputs, layers)
    rng = np.random.default_rng(seed)
    singles = [prog.memories({k: rng.integers(0, 16, size=ref[k].shape) for k in inputs})
               for _ in range(nimg)]
    amems = np.stack([m.amem for m in singles])
    results = [iss.run(m, prog.start_pc) for m in singles]
    assert all(r == results[0] for r in results)
    assert iss.run_batch(singles[0], amems, prog.start_pc) == results[0]
    for i, m in enumerate(singles):
        assert np.array_equal(amems[i], m.amem), (seed, i)


def test_run_batch_refuses_a_wrong_amem_stack():
    mem = Memories(SMALL)
    for bad in (np.zeros((SMALL.adepth, SMALL.rows), np.uint8),              # not a stack
                np.zeros((2, SMALL.adepth + 1, SMALL.rows), np.uint8),       # wrong depth
                np.zeros((2, SMALL.adepth, SMALL.rows), np.int64)):          # wrong type
        with pytest.raises(ValueError, match="amems"):
            iss.run_batch(mem, bad)


def test_compiled_golden_batches_equal_single_runs():
    """Compiled.golden cuts the inputs into batches for run_batch; every
    input's AMem and the counters must still equal a run of its own,
    including a last, shorter batch."""
    rng = np.random.default_rng(12)
    x0 = rng.integers(0, 16, size=(3, 4, 5))
    prog = compile_layer(SMALL, x0.shape, rng.integers(-8, 8, size=(5, 3, 3, 3)), None, 3, 5)
    inputs = [{"x": rng.integers(0, 16, size=x0.shape)} for _ in range(5)]
    got = list(prog.golden(inputs, batch=2))
    assert [len(a) for _, a in got] == [2, 2, 1]
    stack = np.concatenate([a for _, a in got])
    for x, amem in zip(inputs, stack):
        mem = prog.memories(x)
        res = iss.run(mem, prog.start_pc)
        assert all(r == res for r, _ in got)
        assert np.array_equal(amem, mem.amem)
