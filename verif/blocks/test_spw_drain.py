"""Bench for hdl/spw_drain.v against docs/architecture.md section 6.2 and the
AMem layouts of section 4 (act: one word per channel and tile; acc: 8 nibble
planes).

A stream of captures with random tile, output address, column count, biases
and gaps (including back-to-back captures in the cycle of the last read) is
driven; layer constants (mode, OSTRIDE, H*W, tiles) change only while the
drain is quiet, as the sequencer's layer barrier guarantees.  Every cycle
the outputs are compared with the drain model (verif/common/drain_model.py):
valid, cap_ok and quiet, and while a word is read its column, nibble plane,
bias, padding lanes and AMem address.
"""
from __future__ import annotations

import cocotb
import pytest
from cocotb.triggers import FallingEdge

from models.memory import num_tiles
from models.spec import ACC_WORDS_PER_TILE, BIAS_MAX, BIAS_MIN, REQ_LAT
from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up
from verif.common.drain_model import DrainModel

TOP = "spw_drain"
BENCH = Bench("drain", __name__)


class TB:
    def __init__(self, dut, cfg):
        self.dut, self.cfg = dut, cfg
        self.model = DrainModel(cfg.rows, cfg.adepth)
        self.layer: dict = {}     # the layer constants on the drain's inputs
        self.checked = 0

    async def start(self):
        await bring_up(self.dut, cap_i=0, cap_tile_i=0, cap_oaddr_i=0, cap_ncols_i=1, cap_bias_i=0)

    def set_layer(self, rng):
        """A layer whose every output word fits in AMem (the sequencer's GROUP
        range check guarantees that for the drain)."""
        cfg = self.cfg
        while True:
            h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
            if rng.random() < 0.2:
                h, w = 1023, int(rng.integers(1, 4 * cfg.rows))    # many tiles
            acc = bool(rng.random() < 0.4)
            tiles = num_tiles(h, w, cfg.rows)
            wpc = tiles * (ACC_WORDS_PER_TILE if acc else 1)
            if wpc <= cfg.adepth:
                break
        ostride = int(rng.choice([wpc, wpc + int(rng.integers(0, 50))]))
        self.layer = dict(hw=h * w, tiles=tiles, acc=acc, ostride=ostride, wpc=wpc)
        d = self.dut
        d.acc_mode_i.value = int(acc)
        d.ostride_i.value = ostride
        d.hw_i.value = h * w
        d.tiles_i.value = tiles

    def check(self, where):
        d, m = self.dut, self.model
        exp = (int(m.valid), int(m.cap_ok), int(m.quiet))
        got = (int(d.rq_valid_o.value), int(d.cap_ok_o.value), int(d.quiet_o.value))
        assert got == exp, f"{where}: valid/cap_ok/quiet {got}, expected {exp}"
        if m.valid:
            e = m.words[0]
            g = dict(col=int(d.rd_col_o.value), nib=int(d.rq_nib_o.value), bias=int(unpack_lanes(int(d.rq_bias_o.value), 1, 15, signed=True)[0]),
                     pad=int(d.rq_pad_o.value), addr=int(d.rq_addr_o.value))
            assert g == e, f"{where}: drain word {g}, expected {e}"
            self.checked += 1


def _stream_cycles(work, cfg) -> int:
    """Cycles of test_capture_stream: a capture drains at most every column,
    in acc mode 8 words each, half of that on average, and a gap follows it;
    the last capture drains after the stream."""
    longest = cfg.cols * ACC_WORDS_PER_TILE
    return work["captures"] * (longest // 2 + 8) + longest + REQ_LAT + 2


@BENCH.test(cycles=_stream_cycles)
async def test_capture_stream(dut):
    """Random captures, gaps and layers; back-to-back captures at the last read."""
    cfg = BENCH.cfg
    rng = make_rng(dut, "drain_stream")
    tb = TB(dut, cfg)
    tb.set_layer(rng)
    await tb.start()
    n_caps = BENCH.work["captures"]
    caps = layers = cycles = 0
    p_back_to_back = 0.6
    new_layer = False
    while caps < n_caps:
        # drive this cycle's inputs (we are just after a falling edge)
        cap_ok, quiet = tb.model.handshake()
        if new_layer and quiet:       # a layer barrier: the next layer starts when quiet
            tb.set_layer(rng)
            layers += 1
            new_layer = False
        cap = cap_ok and not new_layer and \
            (len(tb.model.words) == 1 and rng.random() < p_back_to_back or rng.random() < 0.3)
        capture = None
        if cap:
            lay = tb.layer
            tile = int(rng.choice([0, lay["tiles"] - 1, int(rng.integers(0, lay["tiles"]))]))
            fit = min(cfg.cols, (cfg.adepth - lay["wpc"]) // lay["ostride"] + 1)
            ncols = int(rng.choice([1, fit, int(rng.integers(1, fit + 1))]))
            top = cfg.adepth - (ncols - 1) * lay["ostride"] - lay["wpc"]
            oaddr = int(rng.choice([0, top, int(rng.integers(0, top + 1))]))
            bias = rng.choice([BIAS_MIN, BIAS_MAX, 0, -1], cfg.cols) if rng.random() < 0.2 \
                else rng.integers(BIAS_MIN, BIAS_MAX + 1, cfg.cols)
            dut.cap_tile_i.value = tile
            dut.cap_oaddr_i.value = oaddr
            dut.cap_ncols_i.value = ncols
            dut.cap_bias_i.value = pack_lanes(bias, 15)
            capture = dict(tb.layer, tile=tile, oaddr=oaddr, ncols=ncols, bias=[int(b) for b in bias])
        dut.cap_i.value = int(cap)
        await cocotb.triggers.ReadOnly()
        tb.check(f"cycle {cycles}")
        await FallingEdge(dut.clk_i)        # the rising edge in between clocked the drain
        tb.model.clock(capture)
        if cap:
            caps += 1
            new_layer = rng.random() < 0.04
        cycles += 1
    dut.cap_i.value = 0
    for _ in range(cfg.cols * ACC_WORDS_PER_TILE + REQ_LAT + 2):
        await cocotb.triggers.ReadOnly()
        tb.check(f"cycle {cycles} (draining)")
        await FallingEdge(dut.clk_i)
        tb.model.clock()
        cycles += 1
    assert tb.model.quiet, "the model never went quiet"
    dut._log.info("%d captures over %d layers, %d cycles, %d drain words checked", caps, layers, cycles,
                  tb.checked)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_drain(config):
    BENCH.run(config, toplevel=TOP, params=("ROWS", "COLS", "ADEPTH"))
