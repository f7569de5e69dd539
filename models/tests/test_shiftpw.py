"""shiftpw.py: the word-level aligner and the Shift-PW decomposition equal
the direct convolution."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import reference, shiftpw
from models.memory import num_tiles
from models.spec import NUM_TAPS, tap_offset

from .util import SPARSITY, make_operands

ROWS = [8, 16, 32]
COLS = [8, 16, 32]


def dims(rows):
    """(H, W) pairs stressing the raster layout: W below, at and above rows,
    W = 1, H = 1, sizes that are not multiples of rows.  Pixel count kept
    small so the word-by-word model stays cheap."""
    w = st.one_of(st.just(1), st.integers(1, rows - 1), st.just(rows),
                  st.integers(rows + 1, rows + 9))
    return w.flatmap(lambda wd: st.tuples(
        st.one_of(st.just(1), st.integers(1, max(1, min(9, 100 // wd)))), st.just(wd)))


@st.composite
def conv_case(draw, max_cin=6):
    rows = draw(st.sampled_from(ROWS))
    cols = draw(st.sampled_from(COLS))
    h, w = draw(dims(rows))
    k = draw(st.sampled_from([1, 3]))
    cin = draw(st.integers(1, max_cin))
    # Cout below, at, and past a multiple of cols.
    cout = draw(st.one_of(st.integers(1, cols + 2), st.sampled_from([cols, 2 * cols, 2 * cols + 1])))
    kind = draw(st.sampled_from(SPARSITY))
    taps = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    x, wt = make_operands(seed, cin, h, w, cout, k, kind, cols, taps)
    return rows, cols, x, wt, f"rows={rows} cols={cols} H={h} W={w} K={k} Cin={cin} Cout={cout} {kind} taps={taps} seed={seed}"


@settings(max_examples=200)
@given(conv_case())
def test_shiftpw_equals_conv2d(c):
    rows, cols, x, w, desc = c
    got = shiftpw.shiftpw_conv(x, w, rows, cols)
    assert np.array_equal(got, reference.conv2d(x, w)), desc


# Named corner cases, always run (hypothesis covers the space around them).
CORNERS = [(1, 1), (1, 7), (7, 1), (1, 9), (3, 5), (5, 13), (9, 9), (2, 33), (2, 31), (1, 40),
           (4, 8), (3, 16), (6, 3)]


@pytest.mark.parametrize("rows,cols", [(8, 8), (32, 32), (8, 32), (32, 8)])
@pytest.mark.parametrize("hw", CORNERS)
def test_shiftpw_corner_shapes(rows, cols, hw):
    h, w = hw
    seed = h * 1000 + w
    x, wt = make_operands(seed, 3, h, w, cols + 3, 3, "unstructured", cols)
    assert np.array_equal(shiftpw.shiftpw_conv(x, wt, rows, cols), reference.conv2d(x, wt)), (rows, cols, hw)


@pytest.mark.parametrize("taps", range(1, 10))
def test_shiftpw_dw_pattern_every_density(taps):
    # A pruned depth-wise pattern keeping `taps` of 9 taps per input channel.
    x, w = make_operands(taps, 5, 5, 11, 11, 3, "dw", 8, taps)
    kept = np.count_nonzero(np.any(w != 0, axis=0).reshape(5, 9), axis=1)
    assert (kept == taps).all()
    assert np.array_equal(shiftpw.shiftpw_conv(x, w, 8, 8), reference.conv2d(x, w))


@pytest.mark.parametrize("rows,cols", [(8, 8), (32, 32)])
@pytest.mark.parametrize("kind", ["extreme_neg", "extreme_pos", "zero_in", "zero_groups"])
def test_shiftpw_extremes_and_zeros(rows, cols, kind):
    x, w = make_operands(7, 4, 5, 7, 2 * cols + 1, 3, kind, cols)
    if kind == "zero_groups":
        w[cols:2 * cols] = 0      # at least one all-zero output group
    if kind == "zero_in":
        x[1] = 0
        w[:, 2] = 0
    got = shiftpw.shiftpw_conv(x, w, rows, cols)
    ref = reference.conv2d(x, w)
    assert np.array_equal(got, ref)
    if kind == "extreme_neg":
        assert ref.min() == -8 * 15 * 4 * 9      # centre pixels see all 9 taps
    if kind == "extreme_pos":
        assert ref.max() == 7 * 15 * 4 * 9


def test_shiftpw_all_zero_input():
    x = np.zeros((3, 4, 5), np.int64)
    w = np.full((9, 3, 3, 3), -8)
    assert not shiftpw.shiftpw_conv(x, w, 8, 8).any()


@settings(max_examples=150)
@given(st.sampled_from(ROWS), st.integers(1, 70), st.integers(1, 70))
def test_lane_coords_track_raster_position(rows, h, w):
    y, x, q, m = shiftpw.lane_coords_start(h, w, rows)
    assert (q, m) == divmod(rows, w)
    for t in range(num_tiles(h, w, rows) + 1):       # one tile past the end too
        p = t * rows + np.arange(rows)
        ey, ex = np.divmod(p, w)
        assert np.array_equal(y, ey) and np.array_equal(x, ex), (rows, h, w, t)
        assert (x < w).all()
        y, x = shiftpw.lane_coords_next(y, x, q, m, w)


def direct_shift(ch: np.ndarray, rows: int, t: int, dy: int, dx: int) -> np.ndarray:
    h, w = ch.shape
    out = np.zeros(rows, np.int64)
    for r in range(rows):
        p = t * rows + r
        if p >= h * w:
            continue
        y, x = divmod(p, w)
        if 0 <= y + dy < h and 0 <= x + dx < w:
            out[r] = ch[y + dy, x + dx]
    return out


@settings(max_examples=150)
@given(st.sampled_from(ROWS), dims(32) | st.tuples(st.integers(1, 12), st.integers(1, 12)),
       st.integers(0, 2 ** 32 - 1))
def test_align_tile_equals_direct_shift(rows, hw, seed):
    h, w = hw
    ch = np.random.default_rng(seed).integers(1, 16, size=(h, w))   # no zeros: masking is visible
    words = shiftpw.channel_words(ch, rows)
    assert words.shape == (num_tiles(h, w, rows), rows)
    # Padding lanes of the last word are don't-care in AMem: fill them with
    # garbage, the aligner must mask them.
    flat = words.reshape(-1).copy()
    flat[h * w:] = np.random.default_rng(seed + 1).integers(1, 16, size=flat.size - h * w)
    words = flat.reshape(words.shape)
    y, x, q, m = shiftpw.lane_coords_start(h, w, rows)
    for t in range(len(words)):
        flags = shiftpw.tile_flags(y, x, h, w)
        for tap in range(NUM_TAPS):
            dy, dx = tap_offset(tap)
            got = shiftpw.align_tile(words, t, h, w, dy, dx, flags)
            assert np.array_equal(got, direct_shift(ch, rows, t, dy, dx)), (rows, h, w, t, tap, seed)
        y, x = shiftpw.lane_coords_next(y, x, q, m, w)


def test_valid_steps_and_kernel_taps():
    assert shiftpw.kernel_taps(1) == [(4, 0, 0)]
    assert [t for t, _, _ in shiftpw.kernel_taps(3)] == list(range(9))
    with pytest.raises(ValueError):
        shiftpw.kernel_taps(5)
    w = np.zeros((10, 2, 3, 3), np.int64)
    w[9, 1, 2, 0] = 3          # only in the second group of 8
    w[0, 0, 0, 0] = -1
    assert shiftpw.valid_steps(w, 0, 8) == [(0, 0, 0, 0)]
    assert shiftpw.valid_steps(w, 8, 10) == [(1, 6, 2, 0)]
    assert shiftpw.dense_steps(7, 3) == 63 and shiftpw.dense_steps(7, 1) == 7
