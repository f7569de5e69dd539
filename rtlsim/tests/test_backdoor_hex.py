"""The bulk backdoor's file format and span logic (rtlsim/backdoor.py),
without a simulator: hex text both ways against models/memory.py's word
packing, the comment lines $writememh may add, undefined words, and the
spans a difference load writes."""
from __future__ import annotations

import numpy as np
import pytest

from models.memory import nibbles_to_ints
from rtlsim.backdoor import BULK_MIN_WORDS, _changed_spans, hex_to_nibbles, nibbles_to_hex


@pytest.mark.parametrize("lanes", [8, 16, 32])
def test_hex_round_trip_matches_word_packing(lanes):
    rng = np.random.default_rng(lanes)
    nib = rng.integers(0, 16, size=(37, lanes), dtype=np.uint8)
    text = nibbles_to_hex(nib)
    # each line is the word's integer value in hex, as $readmemh reads it
    assert [int(line, 16) for line in text.split()] == nibbles_to_ints(nib)
    assert np.array_equal(hex_to_nibbles(text, 37, lanes, "t"), nib)


def test_dump_comments_and_case_are_accepted():
    nib = np.array([[1, 2, 3, 10], [15, 0, 0, 11]], dtype=np.uint8)
    text = b"// 0x00000000\n" + nibbles_to_hex(nib).upper().replace(b"\n", b"\n// 0x00000001\n", 1)
    assert np.array_equal(hex_to_nibbles(text, 2, 4, "t"), nib)


@pytest.mark.parametrize("text, what", [(b"00x0\n0000\n", "not fully defined"),
                                        (b"0000\n", "expected 2 words"),
                                        (b"0000\n00000\n", "expected 2 words")])
def test_bad_dumps_are_refused(text, what):
    with pytest.raises(RuntimeError, match=what):
        hex_to_nibbles(text, 2, 4, "amem_even[0:+2]")


def test_changed_spans_cover_every_change_and_join_short_gaps():
    rng = np.random.default_rng(3)
    for _ in range(200):
        changed = rng.random(int(rng.integers(1, 600))) < rng.choice([0.002, 0.02, 0.3])
        spans = _changed_spans(changed)
        covered = np.zeros_like(changed)
        for lo, hi in spans:
            assert changed[lo] and changed[hi - 1], "a span starts or ends on an unchanged word"
            covered[lo:hi] = True
        assert not (changed & ~covered).any(), "a changed word is outside every span"
        for (_, hi), (lo, _) in zip(spans, spans[1:]):
            assert lo - hi >= BULK_MIN_WORDS, "spans closer than BULK_MIN_WORDS were not joined"
    assert _changed_spans(np.zeros(10, bool)) == []
