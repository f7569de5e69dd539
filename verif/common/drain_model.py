"""Cycle model of spw_drain (docs/architecture.md section 6.2 and the AMem
layouts of section 4): the words it reads after a capture, in order, and
its cap_ok / quiet handshake.

* After a capture in cycle e, word k is read in cycle e+1+k: column, nibble
  plane, bias of that column, AMem address and the padding lanes of the
  last tile.
* cap_ok is high while the buffer is free: idle, or reading its last word.
* quiet is high once idle with nothing left in the REQ_LAT requantizer
  stages.

The drain bench compares every output of spw_drain with it; the sequencer
bench drives cap_ok_i / drain_quiet_i from it, so that the sequencer's
counters must equal the cycle model's.
"""
from __future__ import annotations

from collections.abc import Mapping

from models.spec import ACC_WORDS_PER_TILE, REQ_LAT

__all__ = ["DrainModel", "capture_words"]


def capture_words(rows: int, cap: Mapping) -> list[dict]:
    """The words one capture drains, in read order.  ``cap`` holds what the
    sequencer hands the drain: tile, oaddr, ncols, bias (per column) and the
    layer's acc (mode), ostride, hw (H*W) and tiles; other keys are ignored."""
    tile, tiles, acc = cap["tile"], cap["tiles"], cap["acc"]
    real = (cap["hw"] - 1) % rows + 1 if tile == tiles - 1 else rows
    pad = sum(1 << r for r in range(real, rows))
    planes = ACC_WORDS_PER_TILE if acc else 1
    first = ACC_WORDS_PER_TILE * tile if acc else tile
    return [dict(col=c, nib=k, bias=cap["bias"][c], pad=pad,
                 addr=cap["oaddr"] + c * cap["ostride"] + first + k)
            for c in range(cap["ncols"]) for k in range(planes)]


class DrainModel:
    """spw_drain, one clock edge at a time.  Read ``valid`` / ``cap_ok`` /
    ``quiet`` and ``words[0]`` (the word read in this cycle) between edges;
    ``clock`` applies an edge."""

    def __init__(self, rows: int, adepth: int, req_lat: int = REQ_LAT):
        self.rows, self.adepth = rows, adepth
        self.words: list[dict] = []      # words still to be read, the current one first
        self.pend = [False] * req_lat    # a word in each requantizer stage

    @property
    def valid(self) -> bool:
        return bool(self.words)

    @property
    def cap_ok(self) -> bool:
        return len(self.words) <= 1

    @property
    def quiet(self) -> bool:
        return not self.words and not any(self.pend)

    def handshake(self) -> tuple[bool, bool]:
        """(cap_ok, quiet) in this cycle."""
        return self.cap_ok, self.quiet

    def clock(self, capture: Mapping | None = None) -> None:
        """One rising edge: the word read in the cycle before it (if any)
        moves into the requantizer, and ``capture`` (see ``capture_words``),
        if the sequencer captured in that cycle, fills the buffer."""
        if capture is not None and not self.cap_ok:
            raise AssertionError(f"capture while cap_ok is low ({len(self.words)} words still to read): "
                                 f"{dict(capture)}")
        self.pend = [self.valid] + self.pend[:-1]
        if self.words:
            self.words.pop(0)
        if capture is None:
            return
        words = capture_words(self.rows, capture)
        if not words:
            raise AssertionError(f"capture of no words: {dict(capture)}")
        beyond = [w["addr"] for w in words if w["addr"] >= self.adepth]
        if beyond:
            raise AssertionError(f"capture writes AMem word {beyond[0]}, beyond ADEPTH {self.adepth}: "
                                 f"{dict(capture)}")
        self.words = words
