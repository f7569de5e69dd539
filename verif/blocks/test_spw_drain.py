"""Bench for hdl/spw_drain.v against docs/architecture.md section 6.2, the
AMem layouts of section 4 (act: one word per channel and tile; acc: 8 nibble
planes) and the keep-even drain of stride 2 (section 6.3).

A stream of captures with random tile, output address, column count, biases
and gaps (including back-to-back captures in the cycle of the last read) is
driven; layer constants (mode, OSTRIDE, H*W, tiles) change only while the
drain is quiet, as the sequencer's layer barrier guarantees.  Every cycle
the outputs are compared with the drain model (verif/common/drain_model.py):
valid, cap_ok and quiet, and while a word is read its column, nibble plane,
bias, padding lanes and AMem address, and where its lanes go: the lanes kept,
each kept lane's destination and the lane write masks of the word and the
next.  A stride-2 layer's groups capture their tiles in order from tile 0,
with the tile's real keep mask, as the sequencer does; stride-1 captures carry
random keep masks, which the drain must ignore.
"""
from __future__ import annotations

import cocotb
import pytest
from cocotb.triggers import FallingEdge

from models.memory import num_tiles
from models.spec import ACC_WORDS_PER_TILE, BIAS_MAX, BIAS_MIN, REQ_LAT
from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up
from verif.common.drain_model import DrainModel, keep_mask

TOP = "spw_drain"
BENCH = Bench("drain", __name__)


class TB:
    def __init__(self, dut, cfg):
        self.dut, self.cfg = dut, cfg
        self.model = DrainModel(cfg.rows, cfg.adepth)
        self.layer: dict = {}     # the layer constants on the drain's inputs
        self.checked = 0
        self.next_tile = 0        # stride 2: the group's next tile
        self.group: dict = {}     # stride 2: the group's output address, columns, biases
        self.lr = (cfg.rows - 1).bit_length()
        self.seen = dict.fromkeys(("stride-2 words", "words split over two", "words not written"), 0)

    async def start(self):
        await bring_up(self.dut, cap_i=0, cap_tile_i=0, cap_oaddr_i=0, cap_ncols_i=1, cap_bias_i=0,
                       cap_keep_i=0)

    def set_layer(self, rng, p_stride2, shape=None):
        """A layer whose every output word fits in AMem (the sequencer's GROUP
        range check guarantees that for the drain); stride 2 with probability
        p_stride2, of the given (H, W) shape if any."""
        cfg = self.cfg
        while True:
            stride2 = bool(rng.random() < p_stride2)
            h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
            if stride2 and rng.random() < 0.5:      # a few tiles a group: more groups and layers
                h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            if shape is not None:
                h, w = shape
            elif rng.random() < 0.2:
                h, w = 1023, int(rng.integers(1, 4 * cfg.rows))    # many tiles
                if stride2:     # a stride-2 group walks all its tiles: keep it short
                    h, w = int(rng.integers(1, 8 * cfg.rows)), int(rng.integers(1, 4))
            acc = not stride2 and bool(rng.random() < 0.4)
            tiles = num_tiles(h, w, cfg.rows)
            howo = -(-h // 2) * -(-w // 2)
            wpc = num_tiles(howo, 1, cfg.rows) if stride2 else tiles * (ACC_WORDS_PER_TILE if acc else 1)
            if wpc <= cfg.adepth:
                break
        ostride = int(rng.choice([wpc, wpc + int(rng.integers(0, 50))]))
        self.layer = dict(hw=h * w, tiles=tiles, acc=acc, ostride=ostride, wpc=wpc, stride2=stride2,
                          howo=howo, h=h, w=w)
        self.next_tile = 0
        d = self.dut
        d.acc_mode_i.value = int(acc)
        d.ostride_i.value = ostride
        d.hw_i.value = h * w
        d.tiles_i.value = tiles
        d.stride2_i.value = int(stride2)
        d.howo_i.value = howo

    def draw_group(self, rng):
        """Output address, columns and biases of a group that fits AMem."""
        cfg, lay = self.cfg, self.layer
        fit = min(cfg.cols, (cfg.adepth - lay["wpc"]) // lay["ostride"] + 1)
        ncols = int(rng.choice([1, fit, int(rng.integers(1, fit + 1))]))
        top = cfg.adepth - (ncols - 1) * lay["ostride"] - lay["wpc"]
        oaddr = int(rng.choice([0, top, int(rng.integers(0, top + 1))]))
        bias = rng.choice([BIAS_MIN, BIAS_MAX, 0, -1], cfg.cols) if rng.random() < 0.2 \
            else rng.integers(BIAS_MIN, BIAS_MAX + 1, cfg.cols)
        return dict(oaddr=oaddr, ncols=ncols, bias=[int(b) for b in bias])

    def check(self, where):
        d, m = self.dut, self.model
        exp = (int(m.valid), int(m.cap_ok), int(m.quiet))
        got = (int(d.rq_valid_o.value), int(d.cap_ok_o.value), int(d.quiet_o.value))
        assert got == exp, f"{where}: valid/cap_ok/quiet {got}, expected {exp}"
        if m.valid:
            e = m.words[0]
            dest = unpack_lanes(int(d.rq_dest_o.value), self.cfg.rows, self.lr)
            g = dict(col=int(d.rd_col_o.value), nib=int(d.rq_nib_o.value),
                     bias=int(unpack_lanes(int(d.rq_bias_o.value), 1, 15, signed=True)[0]),
                     pad=int(d.rq_pad_o.value), addr=None if e["addr"] is None else int(d.rq_addr_o.value),
                     keep=int(d.rq_keep_o.value),
                     # a lane that is not kept goes nowhere: its destination is free
                     dest=tuple(None if e["dest"][r] is None else int(dest[r]) for r in range(self.cfg.rows)),
                     lo=int(d.rq_lo_o.value), hi=int(d.rq_hi_o.value))
            assert g == e, f"{where}: drain word {g}, expected {e}"
            self.checked += 1
            full = (1 << self.cfg.rows) - 1
            self.seen["stride-2 words"] += e["lo"] != full or e["hi"] != 0
            self.seen["words split over two"] += e["lo"] != 0 and e["hi"] != 0
            self.seen["words not written"] += e["lo"] == 0 and e["hi"] == 0


def _stream_cycles(work, cfg) -> int:
    """Cycles of test_capture_stream: a capture drains at most every column,
    in acc mode 8 words each, half of that on average, and a gap follows it;
    the last capture drains after the stream."""
    longest = cfg.cols * ACC_WORDS_PER_TILE
    return work["captures"] * (longest // 2 + 8) + longest + REQ_LAT + 2


def stride2_shapes(rows: int) -> list[tuple[int, int]]:
    """(H, W) of stride-2 layers with the geometries that matter: W = 1 and 2,
    odd and even widths below, at and above a tile, a tile with no kept pixel
    (an odd row as wide as a tile), kept pixels spilling into the next word,
    the last output pixel at a word's end or inside it."""
    return [(1, 1), (2 * rows + 1, 1), (rows + 3, 2), (5, 3), (7, rows - 1), (9, rows + 1),
            (6, 2 * rows + 3), (rows, rows), (3, 3 * rows + 5), (4, rows // 2 + 1), (11, 5)]


async def capture_stream(dut, name: str, p_stride2: float, shapes=()):
    """Captures while the model says cap_ok; layers from ``shapes`` first, then random."""
    cfg = BENCH.cfg
    rng = make_rng(dut, name)
    tb = TB(dut, cfg)
    shapes = list(shapes)
    tb.set_layer(rng, p_stride2, shapes.pop(0) if shapes else None)
    await tb.start()
    n_caps = BENCH.work["captures"]
    caps = layers = cycles = 0
    p_back_to_back = 0.6
    new_layer = False
    while caps < n_caps:
        # drive this cycle's inputs (we are just after a falling edge)
        cap_ok, quiet = tb.model.handshake()
        # a layer barrier: the next layer starts when quiet (and, with stride
        # 2, after a whole group)
        if new_layer and quiet and tb.next_tile == 0:
            tb.set_layer(rng, p_stride2, shapes.pop(0) if shapes else None)
            layers += 1
            new_layer = False
        cap = cap_ok and not new_layer and \
            (len(tb.model.words) == 1 and rng.random() < p_back_to_back or rng.random() < 0.3)
        capture = None
        if cap:
            lay = tb.layer
            if lay["stride2"]:
                if tb.next_tile == 0:
                    tb.group = tb.draw_group(rng)
                tile, grp = tb.next_tile, tb.group
                tb.next_tile = (tile + 1) % lay["tiles"]
                keep = keep_mask(cfg.rows, lay["h"], lay["w"], tile)
            else:
                tile = int(rng.choice([0, lay["tiles"] - 1, int(rng.integers(0, lay["tiles"]))]))
                grp = tb.draw_group(rng)
                keep = int(rng.integers(0, 1 << cfg.rows))
            dut.cap_tile_i.value = tile
            dut.cap_oaddr_i.value = grp["oaddr"]
            dut.cap_ncols_i.value = grp["ncols"]
            dut.cap_bias_i.value = pack_lanes(grp["bias"], 15)
            dut.cap_keep_i.value = keep
            capture = dict(tb.layer, tile=tile, keep=keep, **grp)
        dut.cap_i.value = int(cap)
        await cocotb.triggers.ReadOnly()
        tb.check(f"cycle {cycles}")
        await FallingEdge(dut.clk_i)        # the rising edge in between clocked the drain
        tb.model.clock(capture)
        if cap:
            caps += 1
            # a stride-2 layer changes only after a whole group
            new_layer = (bool(shapes) or rng.random() < 0.5) if tb.layer["stride2"] else rng.random() < 0.04
            new_layer = new_layer and tb.next_tile == 0
        cycles += 1
    dut.cap_i.value = 0
    for _ in range(cfg.cols * ACC_WORDS_PER_TILE + REQ_LAT + 2):
        await cocotb.triggers.ReadOnly()
        tb.check(f"cycle {cycles} (draining)")
        await FallingEdge(dut.clk_i)
        tb.model.clock()
        cycles += 1
    assert tb.model.quiet, "the model never went quiet"
    dut._log.info("%d captures over %d layers, %d cycles, %d drain words checked (%s)", caps, layers, cycles,
                  tb.checked, ", ".join(f"{k}: {v}" for k, v in tb.seen.items()))
    return tb.seen


@BENCH.test(cycles=_stream_cycles)
async def test_capture_stream(dut):
    """Random captures, gaps and layers of either stride; back-to-back captures at the last read."""
    await capture_stream(dut, "drain_stream", 0.4)


@BENCH.test(cycles=_stream_cycles)
async def test_stride2_stream(dut):
    """Stride-2 layers only: whole groups of tiles, whose kept pixels fill
    output words across tile boundaries."""
    seen = await capture_stream(dut, "drain_stride2", 1.0, stride2_shapes(BENCH.cfg.rows))
    if BENCH.work["captures"] >= 100:
        assert all(seen.values()), f"a stride-2 case never came up: {seen}"


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_drain(config):
    BENCH.run(config, toplevel=TOP, params=("ROWS", "COLS", "ADEPTH"))
