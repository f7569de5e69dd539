"""Stride 2 (docs/architecture.md 6.3, the keep-even drain) in the Python
models: the CLI's golden backend against the independent reference
(models/reference.py), the ISS's checks (BAD_FIELD, AMEM_RANGE with To),
the AMem image a stride-2 layer leaves, the word-level drain model
(models/shiftpw.py), cycles and counters equal to stride 1, the compiler's
per-tensor sizes and errors, and the stimulus switch."""
import re

import numpy as np
import pytest

from models import case as casemod
from models import iss, reference, shiftpw
from models import stimulus as S
from models.compiler import CompileError, LayerDef, compile_layer, compile_network, useful_macs
from models.cli import main
from models.memory import load_act, num_tiles
from models.spec import CONFIGS, Err, Op

from .util import Prog, make_operands, pick_scale_shift, random_bias, valid_step_counts

SMALL, CHIP = CONFIGS["small"], CONFIGS["chip"]


def ceil2(n):
    return (n + 1) // 2


def out_words(cfg, h, w):
    """To, computed here from the spec's formula."""
    return -(-(ceil2(h) * ceil2(w)) // cfg.rows)


# --- held-out cases through the CLI's golden backend ---------------------------
# (H, W) per configuration: tiny, odd, even, W < ROWS, W not a multiple of
# ROWS, W a multiple of ROWS, one row, one column.
SIZES = {
    "small": [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (1, 7), (7, 1), (2, 5), (5, 8), (6, 16),
              (9, 11), (4, 13), (13, 6)],
    "chip": [(1, 1), (2, 3), (3, 2), (1, 31), (3, 33), (2, 64), (5, 31), (7, 9), (4, 32), (11, 17)],
}
KINDS = ("dense", "unstructured", "dw", "zero_groups")


def held_out_cases(config):
    cfg = CONFIGS[config]
    out = []
    for i, (h, w) in enumerate(SIZES[config]):
        for k in (1, 3):
            kind = KINDS[(i + k) % len(KINDS)]
            seed = 7000 + 100 * i + 10 * k + (config == "chip")
            rng = np.random.default_rng(seed)
            cin = int(rng.integers(1, cfg.cols // 2 + 3))
            cout = int(rng.choice([1, cfg.cols - 1, cfg.cols + 3]))
            out.append((config, h, w, k, kind, cin, cout, seed))
    return out


HELD_OUT = held_out_cases("small") + held_out_cases("chip")


def _case_dict(h, w, k, kind, cin, cout, seed, cols):
    x, wt = make_operands(seed, cin, h, w, cout, k, kind, cols)
    rng = np.random.default_rng(seed + 1)
    bias = random_bias(rng, cout) if rng.random() < 0.6 else None
    scale, shift = pick_scale_shift(reference.layer(x, wt, bias, mode="acc", stride=2), rng)
    d = dict(x=x, w=wt, scale=np.int64(scale), shift=np.int64(shift), stride=np.int64(2))
    if bias is not None:
        d["bias"] = bias
    return d


def run_held_out(tmp_path, capsys, backend, config, h, w, k, kind, cin, cout, seed, sim=()):
    """One held-out case through `python -m models run --backend ...`:
    asserts its output equals models.reference's strided layer and that the
    report names the output size; returns (case dict, counters)."""
    cfg = CONFIGS[config]
    d = _case_dict(h, w, k, kind, cin, cout, seed, cfg.cols)
    case, out = tmp_path / "case.npz", tmp_path / "out.npz"
    np.savez(case, **d)
    assert main(["run", str(case), "--backend", backend, *sim, "--config", config, "--out", str(out)]) == 0
    ref = reference.layer(d["x"], d["w"], d.get("bias"), int(d["scale"]), int(d["shift"]), "act", stride=2)
    assert ref.shape == (cout, ceil2(h), ceil2(w))
    with np.load(out) as z:
        y = z["y"]
        counters = {c: int(z[c]) for c in ("cycles", "mac_busy", "skipped", "stall")}
    assert y.shape == ref.shape and np.array_equal(y, ref)
    assert f"stride=2 (out {ceil2(h)}x{ceil2(w)})" in capsys.readouterr().out
    return d, counters


@pytest.mark.parametrize("config,h,w,k,kind,cin,cout,seed", HELD_OUT,
                         ids=[f"{c[0]}-{c[1]}x{c[2]}-k{c[3]}-{c[4]}" for c in HELD_OUT])
def test_cli_golden_stride2_equals_reference(tmp_path, capsys, config, h, w, k, kind, cin, cout, seed):
    cfg = CONFIGS[config]
    d, counters = run_held_out(tmp_path, capsys, "golden", config, h, w, k, kind, cin, cout, seed)
    # counters: the stride-1 layer's (T input tiles), counted independently
    t = num_tiles(h, w, cfg.rows)
    counts = valid_step_counts(d["w"], cfg.cols)
    assert counters["mac_busy"] == t * sum(counts)
    assert counters["skipped"] == t * sum(cin * k * k - n for n in counts)


def test_cli_gen_stride2_round_trip(tmp_path):
    for seed in range(4):
        case, out = tmp_path / f"c{seed}.npz", tmp_path / f"o{seed}.npz"
        assert main(["gen", "--seed", str(seed), "--stride", "2", "--out", str(case)]) == 0
        with np.load(case) as z:
            assert int(z["stride"]) == 2 and str(z["mode"]) == "act"
            d = {k: z[k] for k in z.files}
        assert main(["run", str(case), "--out", str(out)]) == 0
        with np.load(out) as z:
            assert np.array_equal(z["y"], reference.layer(d["x"], d["w"], d.get("bias"), int(d["scale"]),
                                                          int(d["shift"]), "act", stride=2))


def test_cli_gen_stride2_acc_is_refused(tmp_path, capsys):
    assert main(["gen", "--seed", "1", "--stride", "2", "--mode", "acc", "--out", str(tmp_path / "c.npz")]) == 2
    assert re.search(r"^error: stride:", capsys.readouterr().err)


def test_stride1_case_files_unchanged(tmp_path):
    """A stride-1 case saves no stride key (older readers still load it);
    a stride key of 1 is accepted and means the same."""
    c = casemod.random_case(np.random.default_rng(3), SMALL)
    c.save(tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz") as z:
        assert "stride" not in z.files
        d = {k: z[k] for k in z.files}
    d["stride"] = np.int64(1)
    assert casemod.validate(d).stride == 1


@pytest.mark.parametrize("value,pattern", [
    (3, r"^stride: must be the integer 1 or 2, got 3$"),
    ("2", r"^stride: must be the integer 1 or 2, got '2'$"),
    (True, r"^stride: must be the integer 1 or 2, got True$"),
    (2.0, r"^stride: must be the integer 1 or 2"),
    (None, r"^stride: must be the integer 1 or 2"),
])
def test_case_validate_stride_python_values(value, pattern):
    d = dict(x=np.ones((1, 3, 3), np.int64), w=np.ones((1, 1, 1, 1), np.int64), scale=1, shift=0, stride=value)
    with pytest.raises(casemod.CaseError, match=pattern):
        casemod.validate(d)


def test_case_validate_stride2_acc():
    d = dict(x=np.ones((1, 3, 3), np.int64), w=np.ones((1, 1, 1, 1), np.int64), scale=1, shift=0,
             mode=np.array("acc"), stride=np.int64(2))
    with pytest.raises(casemod.CaseError, match=r"^stride: stride 2 needs mode 'act'"):
        casemod.validate(d)


# --- the AMem image a stride-2 layer leaves ---------------------------------------
def _expected_words(y, cfg):
    """(C, To, rows): the output compacted in raster order, zero padding."""
    c, ho, wo = y.shape
    to = -(-(ho * wo) // cfg.rows)
    flat = np.zeros((c, to * cfg.rows), np.int64)
    flat[:, :ho * wo] = y.reshape(c, -1)
    return flat.reshape(c, to, cfg.rows)


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("seed", range(12))
def test_stride2_amem_image_exact(cfg, seed):
    """Output words full of stale values, gaps between output channels
    (OSTRIDE > To): after the layer every word 0..To-1 of every channel is
    exactly the compacted output with zero padding lanes, and no other AMem
    word changed (not the gaps, not the input)."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 14)), int(rng.integers(1, 2 * cfg.rows + 5))
    k = int(rng.choice([1, 3]))
    cin, cout = int(rng.integers(1, 6)), int(rng.integers(1, cfg.cols + 5))
    x, wt = make_operands(seed, cin, h, w, cout, k, "unstructured", cfg.cols)
    t, to = num_tiles(h, w, cfg.rows), out_words(cfg, h, w)
    ostride, obase = to + int(rng.integers(0, 3)), cin * t + int(rng.integers(0, 4))
    bias = rng.integers(1, 60, size=cout)             # > 0: padding lanes would not be 0 by chance
    p = Prog()
    p.layer(h, w, ostride, cin * k * k, has_bias=1, scale=1, shift=2, stride2=1)
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wb = 0
    for g0 in range(0, cout, cfg.cols):
        n = min(cfg.cols, cout - g0)
        steps = [(ci, ky, kx) for ci in range(cin) for ky in range(k) for kx in range(k)]
        p.group(obase + g0 * ostride, n, wb, len(steps))
        b = np.zeros(cfg.cols, np.int64)
        b[:n] = bias[g0:g0 + n]
        for j in range(0, cfg.cols, 4):
            p.add(Op.BIAS, B0=int(b[j]), B1=int(b[j + 1]), B2=int(b[j + 2]), B3=int(b[j + 3]))
        for ci, ky, kx in steps:
            p.step(ky * 3 + kx if k == 3 else 4, ci * t)
            wmem[wb, :n] = wt[g0:g0 + n, ci, ky, kx] & 0xF
            wb += 1
    p.end()
    amem = rng.integers(0, 16, size=(cfg.adepth, cfg.rows)).astype(np.uint8)
    for ci in range(cin):                               # input channel ci at word ci*t
        flat = np.zeros(t * cfg.rows, np.uint8)
        flat[:h * w] = x[ci].ravel()
        flat[h * w:] = rng.integers(0, 16, size=t * cfg.rows - h * w)     # input padding: don't care
        amem[ci * t:(ci + 1) * t] = flat.reshape(t, cfg.rows)
    mem = p.memories(cfg, amem, wmem)
    before = mem.amem.copy()
    res = iss.run(mem)
    assert res.err == Err.NONE
    y = reference.layer(x, wt, bias, 1, 2, stride=2)
    exp = _expected_words(y, cfg)
    written = np.zeros(cfg.adepth, bool)
    for co in range(cout):
        a = obase + co * ostride
        assert np.array_equal(mem.amem[a:a + to], exp[co]), (seed, co)
        written[a:a + to] = True
    assert np.array_equal(mem.amem[~written], before[~written])


@pytest.mark.parametrize("rows", [8, 32])
def test_word_level_drain_model_equals_reference(rows):
    """shiftpw_conv(stride=2): the tiles run as stride 1 and each tile's
    columns are drained with the keep-even masked writes into words that
    start as garbage; every output lane ends written, padding 0, values as
    the reference."""
    rng = np.random.default_rng(rows)
    for _ in range(60):
        h, w = int(rng.integers(1, 12)), int(rng.integers(1, 2 * rows + 3))
        k = int(rng.choice([1, 3]))
        cin, cout = int(rng.integers(1, 4)), int(rng.integers(1, 11))
        x, wt = make_operands(int(rng.integers(1 << 30)), cin, h, w, cout, k, "unstructured", 8)
        got = shiftpw.shiftpw_conv(x, wt, rows, 8, stride=2)
        assert np.array_equal(got, reference.conv2d(x, wt, stride=2)), (h, w, k)


@pytest.mark.parametrize("rows", [8, 32])
def test_keep_even_writes_structure(rows):
    """The drain's contract per tile (6.3): at most rows/2 kept lanes, output
    pixels p0 .. p0+n-1 in lane order, at most two consecutive words, no
    word written without a lane, and the padding zeroed only by the tile
    writing pixel Ho*Wo-1."""
    for h in range(1, 10):
        for w in list(range(1, 2 * rows + 3, 3)) + [rows, 2 * rows, rows - 1, rows + 1]:
            ho, wo = ceil2(h), ceil2(w)
            n_out = ho * wo
            y0, x0, q, m = shiftpw.lane_coords_start(h, w, rows)
            ly, lx = y0, x0
            p0 = 0
            zeroed = 0
            for t in range(num_tiles(h, w, rows)):
                keep = shiftpw.keep_lanes(ly, lx, h)
                n = int(keep.sum())
                assert n <= rows // 2
                # the kept pixels are output pixels p0 .. p0+n-1, in lane order
                pix = t * rows + np.flatnonzero(keep)
                assert list((pix // w // 2) * wo + (pix % w) // 2) == list(range(p0, p0 + n))
                writes = shiftpw.stride2_tile_writes(keep, p0, n_out)
                assert (n == 0) == (writes == [])
                assert len(writes) <= 2 and all(mk.any() for _, mk, _ in writes)
                if len(writes) == 2:
                    assert writes[1][0] == writes[0][0] + 1
                for wi, mk, src in writes:
                    for r in np.flatnonzero(mk):
                        opix = wi * rows + r
                        if src[r] >= 0:
                            assert p0 <= opix < p0 + n and t * rows + src[r] == pix[opix - p0]
                        else:
                            assert opix >= n_out
                            zeroed += 1
                            assert p0 + n == n_out
                p0 += n
                ly, lx = shiftpw.lane_coords_next(ly, lx, q, m, w)
            assert p0 == n_out
            assert zeroed == -(-n_out // rows) * rows - n_out


def test_tile_keeping_nothing_writes_nothing():
    rows = 8
    keep = np.zeros(rows, bool)
    assert shiftpw.stride2_tile_writes(keep, 5, 9) == []
    # W = 8 = ROWS: odd rows are whole tiles that keep nothing
    y0, x0, q, m = shiftpw.lane_coords_start(4, 8, rows)
    y1, x1 = shiftpw.lane_coords_next(y0, x0, q, m, 8)
    assert shiftpw.keep_lanes(y0, x0, 4).sum() == 4 and not shiftpw.keep_lanes(y1, x1, 4).any()


# --- ISS checks ----------------------------------------------------------------------
def _one_group(cfg, h, w, ostride, oaddr=None, ncols=1, mode=0, stride2=1, caddr=0):
    t = num_tiles(h, w, cfg.rows)
    p = Prog()
    pc_layer = p.layer(h, w, ostride, 1, mode=mode, stride2=stride2)
    pc_group = p.group(cfg.adepth // 2 if oaddr is None else oaddr, ncols, 0, 1)
    pc_step = p.step(4, caddr)
    p.end()
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wmem[0] = 1
    return p.memories(cfg, None, wmem), (pc_layer, pc_group, pc_step), t


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_stride2_with_acc_is_bad_field(cfg):
    h, w = 5, 7
    t = num_tiles(h, w, cfg.rows)
    mem, (pc_layer, _, _), _ = _one_group(cfg, h, w, 8 * t, mode=1)
    res = iss.run(mem)
    assert (res.err, res.err_pc) == (Err.BAD_FIELD, pc_layer)
    # the same word without STRIDE2 runs
    mem, _, _ = _one_group(cfg, h, w, 8 * t, mode=1, stride2=0)
    assert iss.run(mem).err == Err.NONE


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("h,w", [(9, 11), (16, 16), (4, 65), (1, 1)])
def test_stride2_ostride_checked_against_to(cfg, h, w):
    to, t = out_words(cfg, h, w), num_tiles(h, w, cfg.rows)
    mem, (pc_layer, _, _), _ = _one_group(cfg, h, w, to - 1, ncols=2)
    res = iss.run(mem)
    assert (res.err, res.err_pc) == (Err.BAD_FIELD, pc_layer)
    # OSTRIDE = To is legal, although it is < T when the image has more than one tile
    mem, _, _ = _one_group(cfg, h, w, to, ncols=2)
    assert iss.run(mem).err == Err.NONE
    if t > 1:
        assert to < t
        mem, (pc_layer, _, _), _ = _one_group(cfg, h, w, to, ncols=2, stride2=0)
        assert iss.run(mem).err == Err.BAD_FIELD


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("h,w", [(9, 11), (16, 16), (1, 1), (3, 70)])
def test_stride2_amem_range_uses_to(cfg, h, w):
    to, t = out_words(cfg, h, w), num_tiles(h, w, cfg.rows)
    ncols, ostride = 3, to + 1
    last_ok = cfg.adepth - (ncols - 1) * ostride - to
    mem, (_, pc_group, _), _ = _one_group(cfg, h, w, ostride, last_ok + 1, ncols)
    res = iss.run(mem)
    assert (res.err, res.err_pc) == (Err.AMEM_RANGE, pc_group)
    # ending exactly at the last AMem word is legal, and writes it
    mem, _, _ = _one_group(cfg, h, w, ostride, last_ok, ncols)
    mem.amem[:] = 9
    mem.amem[:t] = 3                                  # the input channel at word 0: outputs 3
    res = iss.run(mem)
    assert res.err == Err.NONE
    exp = _expected_words(np.full((1, ceil2(h), ceil2(w)), 3), cfg)[0]
    assert np.array_equal(mem.amem[cfg.adepth - to:], exp)


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_stride2_input_channel_checked_against_t(cfg):
    h, w = 9, 2 * cfg.rows + 3
    t, to = num_tiles(h, w, cfg.rows), out_words(cfg, h, w)
    assert to < t
    mem, (_, _, pc_step), _ = _one_group(cfg, h, w, to, oaddr=0, caddr=cfg.adepth - t + 1)
    res = iss.run(mem)
    assert (res.err, res.err_pc) == (Err.AMEM_RANGE, pc_step)
    mem, _, _ = _one_group(cfg, h, w, to, oaddr=0, caddr=cfg.adepth - t)
    assert iss.run(mem).err == Err.NONE


def test_stride2_in_place_check_uses_the_words_written():
    """A stride-2 layer writes To words per channel, not T: an output just
    past word To-1 of the input's span... is checked on the words the layer
    actually writes."""
    cfg = SMALL
    h, w = 8, 8                                      # T = 8, To = 2
    t, to = num_tiles(h, w, cfg.rows), out_words(cfg, h, w)
    assert (t, to) == (8, 2)
    # output words [t, t+to) right after the input [0, t): legal
    mem, _, _ = _one_group(cfg, h, w, to, oaddr=t)
    assert iss.run(mem).err == Err.NONE
    # output over the input's last words: undefined
    mem, _, _ = _one_group(cfg, h, w, to, oaddr=t - 1)
    with pytest.raises(iss.UndefinedProgram):
        iss.run(mem)
    # output words [-to, 0) of a channel read at word to: [0, to) does not
    # meet [to, to + t)
    mem, _, _ = _one_group(cfg, h, w, to, oaddr=0, caddr=to)
    assert iss.run(mem).err == Err.NONE
    # with T words written it would: a stride-1 layer there is undefined
    mem, _, _ = _one_group(cfg, h, w, t, oaddr=0, caddr=to, stride2=0)
    with pytest.raises(iss.UndefinedProgram):
        iss.run(mem)


def test_later_stride2_group_overwrites_earlier_words():
    """Two stride-2 groups writing the same words: the later one's lanes win
    (it writes every lane of its words)."""
    cfg = SMALL
    h, w = 5, 9                                     # Ho x Wo = 3 x 5, To = 2
    t, to = num_tiles(h, w, cfg.rows), out_words(cfg, h, w)
    x = np.random.default_rng(2).integers(0, 16, size=(1, h, w))
    p = Prog()
    p.layer(h, w, to, 1, stride2=1)
    p.group(t, 1, 0, 1)
    p.step(4, 0)
    p.group(t, 1, 1, 1)
    p.step(4, 0)
    p.end()
    wmem = np.zeros((cfg.wdepth, cfg.cols), np.uint8)
    wmem[0, 0], wmem[1, 0] = 2, 1
    amem = np.zeros((cfg.adepth, cfg.rows), np.uint8)
    amem[:t].reshape(-1)[:h * w] = x.ravel()
    mem = p.memories(cfg, amem, wmem)
    assert iss.run(mem).err == Err.NONE
    exp = _expected_words(reference.layer(x, np.ones((1, 1, 1, 1), np.int64), stride=2), cfg)
    assert np.array_equal(mem.amem[t:t + to], exp[0])


# --- cycles and counters: those of stride 1 -------------------------------------------
@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("seed", range(10))
def test_stride2_cycles_and_counters_equal_stride1(cfg, seed):
    rng = np.random.default_rng(500 + seed)
    h, w = int(rng.integers(1, 15)), int(rng.integers(1, 2 * cfg.rows + 5))
    k = int(rng.choice([1, 3]))
    cin = int(rng.integers(1, cfg.cols + 5))        # short tiles too: drain stalls
    cout = int(rng.integers(1, 2 * cfg.cols + 4))
    kind = str(rng.choice(["dense", "unstructured", "zero_groups", "dw"]))
    x, wt = make_operands(seed, cin, h, w, cout, k, kind, cfg.cols)
    bias = random_bias(rng, cout) if seed % 2 else None
    runs = {}
    for stride in (1, 2):
        prog = compile_layer(cfg, x.shape, wt, bias, 5, 6, "act", stride)
        mem = prog.memories({"x": x})
        res = iss.run(mem)
        assert res.err == Err.NONE
        assert np.array_equal(prog.read(mem.amem, "y"), reference.layer(x, wt, bias, 5, 6, stride=stride))
        runs[stride] = res
    r1, r2 = runs[1], runs[2]
    assert r2.counters() == r1.counters()
    assert [(lt.start, lt.end, lt.groups) for lt in r2.layers] == [(lt.start, lt.end, lt.groups) for lt in r1.layers]


def test_stride2_network_layer_timing_equals_stride1_on_its_grid():
    """In a network, a stride-2 layer takes the cycles of the stride-1 layer
    on its input grid; the layers after it run on the smaller grid."""
    cfg = SMALL
    rng = np.random.default_rng(4)
    h, w = 9, 13
    x = rng.integers(0, 16, size=(3, h, w))
    w1 = rng.integers(-8, 8, size=(5, 3, 3, 3))
    w2 = rng.integers(-8, 8, size=(4, 5, 1, 1))
    layers = [LayerDef("a", ["x"], w1, None, 3, 7, "act", 2), LayerDef("b", ["a"], w2, None, 2, 5)]
    prog = compile_network(cfg, h, w, {"x": 3}, layers)
    assert prog.shape("a") == (5, 5, 7) and prog.shape("b") == (4, 5, 7)
    mem = prog.memories({"x": x})
    res = iss.run(mem)
    a = reference.layer(x, w1, None, 3, 7, stride=2)
    assert np.array_equal(prog.read(mem.amem, "a"), a) if "a" in prog.outputs else True
    assert np.array_equal(prog.read(mem.amem, "b"), reference.layer(a, w2, None, 2, 5))
    # the same two layers with the stride moved to the host: a at stride 1 on
    # 9 x 13, then b on 5 x 7, as two programs
    p1 = compile_layer(cfg, x.shape, w1, None, 3, 7)
    p2 = compile_layer(cfg, a.shape, w2, None, 2, 5)
    r1, r2 = iss.run(p1.memories({"x": x})), iss.run(p2.memories({"x": a}))
    assert res.mac_busy == r1.mac_busy + r2.mac_busy
    assert res.skipped == r1.skipped + r2.skipped


# --- compiler -----------------------------------------------------------------------
@pytest.mark.parametrize("stride,pattern", [
    (3, r"layer 'y': stride: must be the integer 1 or 2, got 3"),
    (0, r"layer 'y': stride: must be the integer 1 or 2, got 0"),
    ("2", r"layer 'y': stride: must be the integer 1 or 2, got '2'"),
    (True, r"layer 'y': stride: must be the integer 1 or 2, got True"),
    (2.0, r"layer 'y': stride: must be the integer 1 or 2, got 2.0"),
])
def test_compiler_stride_must_be_1_or_2(stride, pattern):
    with pytest.raises(CompileError, match=pattern):
        compile_layer(SMALL, (2, 4, 4), np.ones((1, 2, 3, 3), np.int64), stride=stride)


def test_compiler_stride2_needs_act():
    with pytest.raises(CompileError, match=r"layer 'y': stride: stride 2 needs mode 'act'"):
        compile_layer(SMALL, (2, 4, 4), np.ones((1, 2, 3, 3), np.int64), mode="acc", stride=2)
    # numpy integers are integers
    prog = compile_layer(SMALL, (2, 4, 4), np.ones((1, 2, 3, 3), np.int64), stride=np.int64(2))
    assert prog.layers[0].stride == 2


def test_compiler_inputs_of_different_sizes_are_refused():
    w1 = np.ones((3, 2, 3, 3), np.int64)
    layers = [LayerDef("a", ["x"], w1, stride=2), LayerDef("b", ["a", "x"], np.ones((1, 5, 1, 1), np.int64))]
    with pytest.raises(CompileError, match=r"layer 'b': inputs must all have one H x W .*'a' 3x4, 'x' 6x7"):
        compile_network(SMALL, 6, 7, {"x": 2}, layers)


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_compiler_layout_of_stride2_output(cfg):
    h, w = 11, 2 * cfg.rows + 1
    t, to = num_tiles(h, w, cfg.rows), out_words(cfg, h, w)
    cout = cfg.cols + 2
    prog = compile_layer(cfg, (3, h, w), np.ones((cout, 3, 3, 3), np.int64), stride=2)
    y, x = prog.tensors["y"], prog.tensors["x"]
    assert (x.h, x.w, x.stride) == (h, w, t)
    assert (y.h, y.w, y.stride) == (6, cfg.rows + 1, to) and prog.words("y") == to
    assert prog.shape("y") == (cout, 6, cfg.rows + 1)
    assert (prog.h, prog.w) == (h, w)                 # the network input's grid
    assert prog.amem_words >= 3 * t + cout * to
    st = prog.layers[0]
    assert (st.stride, st.h, st.w, st.tiles, st.out_hw) == (2, h, w, t, (6, cfg.rows + 1))
    from models.isa import decode
    _, lay, _ = decode(int(prog.imem[0]))
    assert (lay["H"], lay["W"], lay["OSTRIDE"], lay["STRIDE2"], lay["MODE"]) == (h, w, to, 1, 0)
    groups = [decode(int(v))[1] for v in prog.imem if int(v) >> 60 == 3]
    assert [g["OADDR"] for g in groups] == [y.base, y.base + cfg.cols * to]


def test_compiler_memories_and_input_hw():
    cfg = SMALL
    rng = np.random.default_rng(0)
    # a part of a network whose two inputs are at different sizes
    w1 = rng.integers(-8, 8, size=(2, 3, 3, 3))
    w2 = rng.integers(-8, 8, size=(4, 6, 1, 1))
    layers = [LayerDef("a", ["big"], w1, None, 3, 6, "act", 2), LayerDef("b", ["a", "small"], w2, None, 2, 5)]
    prog = compile_network(cfg, 10, 7, {"big": 3, "small": 4}, layers, input_hw={"small": (5, 4)})
    assert prog.shape("small") == (4, 5, 4) and prog.shape("a") == (2, 5, 4)
    xb, xs = rng.integers(0, 16, size=(3, 10, 7)), rng.integers(0, 16, size=(4, 5, 4))
    with pytest.raises(CompileError, match=r"input 'small': shape \(4, 10, 7\), program expects \(4, 5, 4\)"):
        prog.memories({"big": xb, "small": rng.integers(0, 16, size=(4, 10, 7))})
    mem = prog.memories({"big": xb, "small": xs})
    assert iss.run(mem).err == Err.NONE
    a = reference.layer(xb, w1, None, 3, 6, stride=2)
    assert np.array_equal(prog.read(mem.amem, "b"), reference.layer(np.concatenate([a, xs]), w2, None, 2, 5))
    with pytest.raises(CompileError, match=r"input_hw: 'nope'"):
        compile_network(cfg, 10, 7, {"big": 3}, layers[:1], input_hw={"nope": (1, 1)})
    with pytest.raises(CompileError, match=r"input 'big': H=0"):
        compile_network(cfg, 10, 7, {"big": 3}, layers[:1], input_hw={"big": (0, 1)})


def test_useful_macs_count_output_pixels():
    w = np.zeros((3, 2, 3, 3), np.int64)
    w[:, 0, 1, 1] = 1                                  # one valid step in one group
    p1 = compile_layer(SMALL, (2, 7, 9), w)
    p2 = compile_layer(SMALL, (2, 7, 9), w, stride=2)
    assert useful_macs(p1) == 7 * 9 * 3 and useful_macs(p2) == 4 * 5 * 3


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
@pytest.mark.parametrize("seed", range(8))
def test_network_with_stride2_layers_equals_chained_reference(cfg, seed):
    """Stride-2 stages in a network: concatenation and residuals within a
    stage, the smaller tensors allocated at To words per channel."""
    inputs, layers = S.draw_network(np.random.default_rng(seed), cfg,
                                    S.NETWORK_DEFAULT.replace(strides=((1, 1.0), (2, 1.0)), h=(1, 12), w=(1, 12),
                                                              layers=(3, 5)))
    (h, w), = {x.shape[1:] for x in inputs.values()}
    prog = compile_network(cfg, h, w, {n: len(x) for n, x in inputs.items()}, layers)
    mem = prog.memories(inputs)
    assert iss.run(mem).err == Err.NONE
    vals = dict(inputs)
    for ld in layers:
        x = np.concatenate([vals[s] for s in ld.inputs])
        vals[ld.name] = reference.layer(x, ld.w, ld.bias, ld.scale, ld.shift, ld.mode, stride=ld.stride)
    for name in prog.outputs:
        assert np.array_equal(prog.read(mem.amem, name), vals[name]), (seed, name)


# --- stimulus -----------------------------------------------------------------------
def test_stimulus_stride2_on_by_default():
    """Every preset draws stride 2 (the RTL runs it), and the soak's
    stream has stride-2 cases that compile to STRIDE2 layers."""
    assert S.STRIDES_DEFAULT == S.WITH_STRIDE2
    for kn in (S.LAYER_DEFAULT, S.LAYER_SOAK, S.LAYER_SYSTEM, S.LAYER_SYSTEM_SLOW):
        assert kn.strides == S.WITH_STRIDE2
    assert S.NETWORK_DEFAULT.strides == S.WITH_STRIDE2
    strides = [S.soak_case(SMALL, 1, i) for i in range(40)]
    assert all(prog.layers[0].stride == case.stride for case, prog in strides)
    assert {case.stride for case, _ in strides} == {1, 2}
    for i in range(10):
        case, prog = S.soak_case(SMALL, 1, i, strides=S.STRIDE1_ONLY)
        assert case.stride == 1 and prog.layers[0].stride == 1


def test_stimulus_stride1_draws_unchanged():
    """Stride 1 only draws no random number for the stride: soak cases and
    random networks are those drawn before stride 2 existed (the digest was
    taken with the stimulus of commit b271b56), so old seeds replay."""
    import hashlib
    one = ((1, 1.0),)
    h = hashlib.sha256()
    for cfg in (SMALL, CHIP):
        for i in range(8):
            case, _ = S.soak_case(cfg, 1, i, strides=one)
            for a in (case.x, case.w, case.bias if case.bias is not None else np.zeros(0),
                      np.array([case.scale, case.shift])):
                h.update(np.ascontiguousarray(a, np.int64).tobytes())
            h.update(case.mode.encode())
        for i in range(4):
            inputs, layers = S.draw_network(S.case_rng(4, i), cfg, S.NETWORK_DEFAULT.replace(strides=one))
            for x in inputs.values():
                h.update(np.ascontiguousarray(x, np.int64).tobytes())
            for ld in layers:
                h.update(np.ascontiguousarray(ld.w, np.int64).tobytes())
                h.update(f"{ld.inputs}{ld.scale}{ld.shift}{ld.mode}".encode())
    assert h.hexdigest()[:16] == "d879527667863736"


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_stimulus_stride2_draws(cfg):
    """Switched on: stride-2 cases of every shape class, all act mode, each
    compiling and running equal to the reference."""
    kn = S.LAYER_SOAK.replace(strides=S.WITH_STRIDE2, max_c=12)
    seen = set()
    n2 = 0
    for i in range(120):
        case, prog = S.soak_case(cfg, 11, i, strides=kn.strides) if i % 2 else (None, None)
        if case is None:
            case = S.draw_layer(S.case_rng(12, i), cfg, kn)
            prog = case.compile(cfg)
        if case.stride != 2:
            continue
        n2 += 1
        assert case.mode == "act"
        h, w = case.x.shape[1:]
        seen |= {("tiny" if h <= 3 and w <= 3 else "big"), ("h1" if h == 1 else "h>1"),
                 ("w<rows" if w < cfg.rows else "w>=rows"), ("w%rows" if w % cfg.rows else "w=k*rows"),
                 ("odd" if h % 2 else "even")}
        if i < 40:
            mem = prog.memories({"x": case.x})
            assert iss.run(mem).err == Err.NONE
            assert np.array_equal(prog.read(mem.amem, "y"), case.reference())
    assert n2 >= 15
    assert {"tiny", "big", "h1", "h>1", "w<rows", "w%rows", "odd", "even"} <= seen, seen


def test_random_case_stride_argument():
    c = casemod.random_case(np.random.default_rng(1), SMALL, stride=2)
    assert c.stride == 2 and c.mode == "act"
    with pytest.raises(ValueError, match="stride"):
        casemod.random_case(np.random.default_rng(1), SMALL, stride=3)
    with pytest.raises(ValueError, match="stride"):
        casemod.random_case(np.random.default_rng(1), SMALL, stride=2, mode="acc")


def test_knobs_reject_bad_strides():
    with pytest.raises(ValueError, match=r"LayerKnobs.strides: 3 is not one of"):
        S.LayerKnobs(strides=((3, 1.0),))
    with pytest.raises(ValueError, match=r"NetworkKnobs.strides"):
        S.NetworkKnobs(strides=((1, 0.0), (2, 0.0)))


def test_stimulus_stride2_tiny_share():
    """stride2_tiny_p of the stride-2 draws are 1..3 x 1..3; the rest spread
    over max_hw (the tiny ones would be rare by chance with max_hw 40)."""
    kn = S.LAYER_DEFAULT.replace(strides=((2, 1.0),), max_hw=40, max_c=4)
    sizes = [S.draw_layer(S.case_rng(5, i), SMALL, kn).x.shape[1:] for i in range(120)]
    tiny = sum(h <= 3 and w <= 3 for h, w in sizes)
    assert 0.15 * 120 <= tiny <= 0.45 * 120, tiny
    assert max(max(s) for s in sizes) > 20
    assert all(h <= 3 and w <= 3 for h, w in (S.draw_layer(S.case_rng(6, i), SMALL, kn.replace(stride2_tiny_p=1.0))
                                              .x.shape[1:] for i in range(20)))


@pytest.mark.parametrize("cfg", [SMALL, CHIP], ids=lambda c: c.name)
def test_stride2_run_batch_equals_single_runs(cfg):
    """iss.run_batch (Compiled.golden) on a stride-2 network: each image as
    its own run."""
    rng = np.random.default_rng(9)
    h, w = 11, cfg.rows + 3
    w1, w2 = rng.integers(-8, 8, size=(cfg.cols + 1, 2, 3, 3)), rng.integers(-8, 8, size=(3, cfg.cols + 1, 3, 3))
    layers = [LayerDef("a", ["x"], w1, rng.integers(-50, 50, cfg.cols + 1), 3, 8, "act", 2),
              LayerDef("b", ["a"], w2, None, 5, 7, "act", 2)]
    prog = compile_network(cfg, h, w, {"x": 2}, layers)
    xs = [{"x": rng.integers(0, 16, size=(2, h, w))} for _ in range(3)]
    (res, amems), = list(prog.golden(xs))
    for x, amem in zip(xs, amems):
        mem = prog.memories(x)
        assert iss.run(mem).counters() == res.counters()
        assert np.array_equal(mem.amem, amem)
        a = reference.layer(x["x"], w1, layers[0].bias, 3, 8, stride=2)
        assert np.array_equal(prog.read(amem, "b"), reference.layer(a, w2, None, 5, 7, stride=2))


def test_rtl_diff_names_stride2_output_pixels():
    """rtlsim.outcome (the RTL-vs-golden comparison of the CLI's rtl
    backend) names a differing lane by the tensor's own H x W."""
    from rtlsim.outcome import amem_diff

    prog = compile_layer(SMALL, (2, 9, 11), np.ones((3, 2, 3, 3), np.int64), stride=2)    # y: 5 x 6, To = 4
    y = prog.tensors["y"]
    exp = np.zeros((SMALL.adepth, SMALL.rows), np.uint8)
    got = exp.copy()
    got[y.channel_addr(1) + 1, 3] = 1              # pixel 11 = (1, 5) of 5 x 6
    got[y.channel_addr(2) + 3, 7] = 1              # pixel 31: padding (30 pixels)
    lines = amem_diff(exp, got, prog)
    assert "layer 'y' ch 1 pixel (y=1,x=5)" in lines[0] and "layer 'y' ch 2 pixel (padding)" in lines[1]


def test_cli_compile_lists_stride2(tmp_path):
    d = _case_dict(6, 10, 3, "dense", 2, 3, 1, SMALL.cols)
    np.savez(tmp_path / "c.npz", **d)
    assert main(["compile", str(tmp_path / "c.npz"), "--out-dir", str(tmp_path / "img")]) == 0
    first = (tmp_path / "img" / "program.lst").read_text().splitlines()[0]
    assert re.search(r"LAYER H=6 W=10 OSTRIDE=2 NDENSE=18 STRIDE2=1 MODE=0", first), first
