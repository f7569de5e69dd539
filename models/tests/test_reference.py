"""reference.py: conv2d against plain loops; requantize against an
independent integer/fraction formulation."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from models import reference


@st.composite
def tiny_conv(draw):
    k = draw(st.sampled_from([1, 3]))
    cin, cout = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x = draw(hnp.arrays(np.int64, (cin, h, w), elements=st.integers(0, 15)))
    wt = draw(hnp.arrays(np.int64, (cout, cin, k, k), elements=st.integers(-8, 7)))
    return x, wt


@settings(max_examples=80)
@given(tiny_conv())
def test_conv2d_equals_loops(t):
    x, w = t
    got = reference.conv2d(x, w)
    assert got.shape == (w.shape[0],) + x.shape[1:]
    assert np.array_equal(got, reference.conv2d_loops(x, w))


def test_conv2d_known_values():
    # 3x3 all-ones kernel on all-ones 3x3 image: neighbour counts.
    x = np.ones((1, 3, 3), np.int64)
    w = np.ones((1, 1, 3, 3), np.int64)
    assert reference.conv2d(x, w)[0].tolist() == [[4, 6, 4], [6, 9, 6], [4, 6, 4]]
    # Cross-correlation, not convolution: tap (ky=0,kx=1) reads the row above.
    w = np.zeros((1, 1, 3, 3), np.int64)
    w[0, 0, 0, 1] = 1
    x = np.arange(9).reshape(1, 3, 3)
    assert reference.conv2d(x, w)[0].tolist() == [[0, 0, 0], [0, 1, 2], [3, 4, 5]]


def requant_fraction(acc: int, scale: int, shift: int) -> int:
    """floor(acc*scale/2^shift + 1/2) for shift > 0 (round half up), else
    acc*scale; then clip to [0, 15].  Python ints and Fractions only."""
    v = Fraction(acc * scale, 2 ** shift)
    if shift > 0:
        v += Fraction(1, 2)
    return min(15, max(0, math.floor(v)))


ACC = st.integers(-(1 << 22), 1 << 22)


@given(st.lists(ACC, min_size=1, max_size=20), st.integers(0, 65535), st.integers(0, 31))
def test_requantize_matches_fraction(accs, scale, shift):
    got = reference.requantize(np.array(accs, np.int64), scale, shift)
    assert got.tolist() == [requant_fraction(a, scale, shift) for a in accs]


@given(st.lists(ACC, min_size=1, max_size=20), st.integers(0, 65535))
def test_requantize_shift0_is_clipped_product(accs, scale):
    got = reference.requantize(np.array(accs), scale, 0)
    assert got.tolist() == [min(15, max(0, a * scale)) for a in accs]


@given(st.lists(st.integers(-(1 << 22), -1), min_size=1, max_size=20),
       st.integers(0, 65535), st.integers(0, 31))
def test_requantize_negative_accs(accs, scale, shift):
    got = reference.requantize(np.array(accs), scale, shift)
    exp = [requant_fraction(a, scale, shift) for a in accs]
    assert got.tolist() == exp
    # Negative acc*scale rounds to <= 0 unless it is within half an LSB of 0.
    assert all(g == 0 for g in got.tolist())


@given(st.lists(ACC, min_size=1, max_size=20), st.integers(0, 65535), st.integers(0, 31))
def test_requantize_in_int32_out_when_it_fits(accs, scale, shift):
    """With an int32 out array (as the ISS passes when no product can
    overflow it) the result is the int64 one, computed in place."""
    acc = np.array(accs, np.int64)
    if np.abs(acc).max() * scale + (1 << 30) >= 1 << 31:
        acc = acc * 0 + np.sign(acc) * ((1 << 30) // max(scale, 1))
    out = acc.astype(np.int32)
    got = reference.requantize(out, scale, shift, out=out)
    assert got is out and got.dtype == np.int32
    assert got.tolist() == [requant_fraction(a, scale, shift) for a in acc.tolist()]


@pytest.mark.parametrize("acc,scale,shift,exp", [
    (1, 1, 1, 1),      # 0.5 rounds up
    (-1, 1, 1, 0),     # -0.5 rounds up to 0
    (3, 1, 1, 2),      # 1.5 -> 2
    (5, 3, 2, 4),      # 15/4 = 3.75 -> 4
    (7, 1, 1, 4),      # 3.5 -> 4
    (31, 1, 1, 15),    # 15.5 -> 16 -> clip 15
    (29, 1, 1, 15),    # 14.5 -> 15
    (-3, 1, 0, 0),
    (100, 0, 5, 0),
    (16, 1, 0, 15),
])
def test_requantize_examples(acc, scale, shift, exp):
    assert int(reference.requantize(np.array([acc]), scale, shift)[0]) == exp
    assert requant_fraction(acc, scale, shift) == exp


@settings(max_examples=40)
@given(tiny_conv(), st.integers(0, 2 ** 32 - 1), st.integers(0, 65535), st.integers(0, 31))
def test_layer_modes_and_bias(t, seed, scale, shift):
    x, w = t
    rng = np.random.default_rng(seed)
    bias = rng.integers(-16384, 16384, size=w.shape[0])
    acc = reference.conv2d_loops(x, w) + bias[:, None, None]
    assert np.array_equal(reference.layer(x, w, bias, scale, shift, "acc"), acc)
    assert np.array_equal(reference.layer(x, w, None, scale, shift, "acc"),
                          reference.conv2d_loops(x, w))
    y = reference.layer(x, w, bias, scale, shift, "act")
    exp = np.vectorize(lambda a: requant_fraction(int(a), scale, shift))(acc)
    assert np.array_equal(y, exp)


def test_layer_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        reference.layer(np.zeros((1, 2, 2), np.int64), np.zeros((1, 1, 1, 1), np.int64), mode="foo")


# ---------------------------------------------------------------------------
# Stride 2


def conv2d_torch_formula(x, w, stride):
    """torch.nn.functional.conv2d(x, w, stride=stride, padding=K//2) written
    out from PyTorch's definition: output size floor((H + 2p - K) / s) + 1 and
    out[co,y,x] = sum w[co,ci,ky,kx] * xpad[ci, s*y+ky, s*x+kx] over the
    zero-padded input.  Shares no code with models.reference."""
    cin, h, wd = x.shape
    cout, _, k, _ = w.shape
    p = k // 2
    ho, wo = (h + 2 * p - k) // stride + 1, (wd + 2 * p - k) // stride + 1
    xpad = [[[0] * (wd + 2 * p) for _ in range(h + 2 * p)] for _ in range(cin)]
    for ci in range(cin):
        for y in range(h):
            for xx in range(wd):
                xpad[ci][y + p][xx + p] = int(x[ci, y, xx])
    out = np.zeros((cout, ho, wo), np.int64)
    for co in range(cout):
        for y in range(ho):
            for xx in range(wo):
                out[co, y, xx] = sum(int(w[co, ci, ky, kx]) * xpad[ci][stride * y + ky][stride * xx + kx]
                                     for ci in range(cin) for ky in range(k) for kx in range(k))
    return out


@settings(max_examples=80)
@given(tiny_conv())
def test_conv2d_stride2_equals_loops_and_torch_formula(t):
    x, w = t
    got = reference.conv2d(x, w, stride=2)
    h, wd = x.shape[1:]
    assert got.shape == (w.shape[0], -(-h // 2), -(-wd // 2))
    assert np.array_equal(got, reference.conv2d_loops(x, w, stride=2))
    assert np.array_equal(got, conv2d_torch_formula(x, w, 2))
    # The stride-1 'same' output sampled at even (y, x).
    assert np.array_equal(got, reference.conv2d(x, w)[:, ::2, ::2])


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("h,wd", [(1, 1), (2, 2), (3, 3), (4, 5), (5, 4), (6, 7), (7, 6), (8, 8), (9, 2)])
def test_conv2d_stride2_shapes_odd_and_even(k, h, wd):
    rng = np.random.default_rng(h * 100 + wd * 10 + k)
    x = rng.integers(0, 16, size=(2, h, wd))
    w = rng.integers(-8, 8, size=(3, 2, k, k))
    exp = conv2d_torch_formula(x, w, 2)
    assert exp.shape == (3, -(-h // 2), -(-wd // 2))
    assert np.array_equal(reference.conv2d(x, w, 2), exp)
    assert np.array_equal(reference.conv2d_loops(x, w, 2), exp)
    # Stride 1 through the same paths is the existing 'same' conv.
    assert np.array_equal(reference.conv2d(x, w, 1), conv2d_torch_formula(x, w, 1))
    assert np.array_equal(reference.conv2d(x, w, 1), reference.conv2d(x, w))


def test_conv2d_stride2_known_values():
    # 3x3 ones on a 5x5 ramp: output (0,0) sums the 2x2 corner, (1,1) the
    # 3x3 window centred on pixel (2,2).
    x = np.arange(25).reshape(1, 5, 5)
    w = np.ones((1, 1, 3, 3), np.int64)
    got = reference.conv2d(x, w, 2)[0]
    assert got.shape == (3, 3)
    assert got[0, 0] == 0 + 1 + 5 + 6
    assert got[1, 1] == sum(range(6, 9)) + sum(range(11, 14)) + sum(range(16, 19))
    assert got[2, 2] == 18 + 19 + 23 + 24


@settings(max_examples=30)
@given(tiny_conv(), st.integers(0, 2 ** 32 - 1), st.integers(0, 65535), st.integers(0, 31))
def test_layer_stride2(t, seed, scale, shift):
    x, w = t
    bias = np.random.default_rng(seed).integers(-16384, 16384, size=w.shape[0])
    acc = conv2d_torch_formula(x, w, 2) + bias[:, None, None]
    assert np.array_equal(reference.layer(x, w, bias, scale, shift, "acc", stride=2), acc)
    y = reference.layer(x, w, bias, scale, shift, "act", stride=2)
    assert np.array_equal(y, np.vectorize(lambda a: requant_fraction(int(a), scale, shift))(acc))


@pytest.mark.parametrize("stride", [0, 3, -1, -2, 4, 1.0, 2.0, "2", None, True, False])
def test_malformed_stride_refused(stride):
    x = np.zeros((1, 4, 4), np.int64)
    w = np.zeros((1, 1, 3, 3), np.int64)
    for f in (lambda: reference.conv2d(x, w, stride), lambda: reference.conv2d_loops(x, w, stride),
              lambda: reference.layer(x, w, stride=stride)):
        with pytest.raises(ValueError, match="stride"):
            f()


def test_numpy_integer_stride_accepted():
    x = np.arange(16).reshape(1, 4, 4)
    w = np.ones((1, 1, 1, 1), np.int64)
    assert reference.conv2d(x, w, np.int64(2))[0].tolist() == [[0, 2], [8, 10]]
