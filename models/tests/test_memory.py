"""memory.py: the word packing shared by the backdoor, the bus driver and
the hex files, against a lane-by-lane definition."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.memory import ints_to_nibbles, nibbles_to_ints


def word_of(lanes) -> int:
    """Lane i in bits [4i+3:4i], one lane at a time."""
    return sum(int(v) << (4 * i) for i, v in enumerate(lanes))


@given(st.integers(1, 70), st.integers(0, 40), st.integers(0, 2 ** 32 - 1))
def test_pack_matches_lane_by_lane_and_round_trips(lanes, n, seed):
    nib = np.random.default_rng(seed).integers(0, 16, size=(n, lanes))
    words = nibbles_to_ints(nib)
    assert words == [word_of(r) for r in nib]
    back = ints_to_nibbles(words, lanes)
    assert back.shape == (n, lanes) and back.dtype == np.uint8
    assert np.array_equal(back, nib)


@pytest.mark.parametrize("word,lanes", [(1 << 32, 8), (-1, 8), (1 << 12, 3), (1 << 128, 32)])
def test_unpack_refuses_a_word_that_does_not_fit(word, lanes):
    with pytest.raises(ValueError, match="does not fit"):
        ints_to_nibbles([0, word], lanes)


def test_pack_refuses_lane_values_past_a_nibble():
    with pytest.raises(ValueError, match="0..15"):
        nibbles_to_ints(np.array([[3, 16]]))
