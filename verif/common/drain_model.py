"""Cycle model of spw_drain (docs/architecture.md section 6.2 and the AMem
layouts of section 4): the words it reads after a capture, in order, and
its cap_ok / quiet handshake.

* After a capture in cycle e, word k is read in cycle e+1+k: column, nibble
  plane, bias of that column, AMem address and the padding lanes of the
  last tile.
* Each word also says where its lanes go (section 6.3, the keep-even drain
  of stride 2): ``keep`` (lanes written somewhere), ``dest`` (lane -> lane,
  for kept lanes) and the lane write masks ``lo`` of word ``addr`` and
  ``hi`` of word ``addr + 1``.  With stride 1 every lane stays in place and
  the whole word ``addr`` is written.
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

__all__ = ["DrainModel", "capture_words", "keep_mask"]


def keep_mask(rows: int, h: int, w: int, tile: int) -> int:
    """Lanes of the tile whose pixel is at even y, even x inside the H x W
    image: the output pixels of a stride-2 layer."""
    mask = 0
    for r in range(rows):
        y, x = divmod(tile * rows + r, w)
        if y < h and y % 2 == 0 and x % 2 == 0:
            mask |= 1 << r
    return mask


def _lanes(lo: int, hi: int) -> int:
    """Mask of lanes lo .. hi-1."""
    return sum(1 << r for r in range(lo, hi))


def capture_words(rows: int, cap: Mapping, p0: int = 0) -> list[dict]:
    """The words one capture drains, in read order.  ``cap`` holds what the
    sequencer hands the drain: tile, oaddr, ncols, bias (per column) and the
    layer's acc (mode), ostride, hw (H*W) and tiles; with stride2 set also
    keep (the tile's keep mask) and howo (Ho*Wo); other keys are ignored.
    ``p0``: with stride 2, the pixels kept by the group's earlier tiles."""
    tile, tiles, acc = cap["tile"], cap["tiles"], cap["acc"]
    real = (cap["hw"] - 1) % rows + 1 if tile == tiles - 1 else rows
    pad = sum(1 << r for r in range(real, rows))
    planes = ACC_WORDS_PER_TILE if acc else 1
    first = ACC_WORDS_PER_TILE * tile if acc else tile
    full = (1 << rows) - 1
    keep, dest, lo, hi = full, tuple(range(rows)), full, 0
    if cap.get("stride2"):
        # section 6.3: the kept pixels are output pixels p0 .. p0+n-1, in
        # lane order, from lane o = p0 mod rows of word p0 div rows on
        kept = [r for r in range(rows) if cap["keep"] >> r & 1]
        n, o = len(kept), p0 % rows
        keep = cap["keep"]
        dest = tuple((o + kept.index(r)) % rows if r in kept else None for r in range(rows))
        first = p0 // rows
        lo, hi = _lanes(o, min(o + n, rows)), _lanes(0, o + n - rows)
        if p0 <= cap["howo"] - 1 < p0 + n:
            # it writes the last output pixel: 0 into the rest of its word
            if o + n <= rows:
                lo = _lanes(o, rows)
            else:
                hi = full
    # a word with no lane to write is not written: its address is free (None)
    return [dict(col=c, nib=k, bias=cap["bias"][c], pad=pad,
                 addr=cap["oaddr"] + c * cap["ostride"] + first + k if lo or hi else None,
                 keep=keep, dest=dest, lo=lo, hi=hi)
            for c in range(cap["ncols"]) for k in range(planes)]


class DrainModel:
    """spw_drain, one clock edge at a time.  Read ``valid`` / ``cap_ok`` /
    ``quiet`` and ``words[0]`` (the word read in this cycle) between edges;
    ``clock`` applies an edge."""

    def __init__(self, rows: int, adepth: int, req_lat: int = REQ_LAT):
        self.rows, self.adepth = rows, adepth
        self.words: list[dict] = []      # words still to be read, the current one first
        self.pend = [False] * req_lat    # a word in each requantizer stage
        self.kept = 0                    # stride 2: pixels kept by the group's tiles so far

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
        # a group runs all its tiles in order, starting at tile 0
        p0 = 0 if capture["tile"] == 0 else self.kept
        words = capture_words(self.rows, capture, p0)
        if capture.get("stride2"):
            self.kept = p0 + bin(capture["keep"]).count("1")
        if not words:
            raise AssertionError(f"capture of no words: {dict(capture)}")
        # the last word each drain word writes (a word with no lane to write is not written)
        ends = [w["addr"] + 1 if w["hi"] else w["addr"] for w in words if w["lo"] or w["hi"]]
        beyond = [a for a in ends if a >= self.adepth]
        if beyond:
            raise AssertionError(f"capture writes AMem word {beyond[0]}, beyond ADEPTH {self.adepth}: "
                                 f"{dict(capture)}")
        self.words = words
