"""Bench for hdl/spw_drain.v against docs/architecture.md section 6.2 and the
AMem layouts of section 4 (act: one word per channel and tile; acc: 8 nibble
planes).

A stream of captures with random tile, output address, column count, biases
and gaps (including back-to-back captures in the cycle of the last read) is
driven; layer constants (mode, OSTRIDE, H*W, tiles) change only while the
drain is quiet, as the sequencer's layer barrier guarantees.  Every cycle
the outputs are compared with a model of the drain:
* after a capture in cycle e, word k is read in cycle e+1+k: column, nibble
  plane, bias of that column, AMem address and the padding lanes of the last
  tile;
* cap_ok_o is high when the buffer is free (idle, or reading its last word);
* quiet_o is high when idle and the REQ_LAT requantizer stages are empty.
"""
from __future__ import annotations

import os

import cocotb
import numpy as np
import pytest
from cocotb.triggers import FallingEdge

from models.memory import num_tiles
from models.spec import ACC_WORDS_PER_TILE, BIAS_MAX, BIAS_MIN, CONFIGS, REQ_LAT
from verif.common import make_rng, pack_lanes, reset, start_clock, unpack_lanes

TOP = "spw_drain"


class DrainModel:
    """The word sequence and handshake the drain must produce."""

    def __init__(self, rows, adepth):
        self.rows, self.adepth = rows, adepth
        self.words: list[dict] = []       # words still to be read, in order
        self.pend = [False] * REQ_LAT     # a word in each requantizer stage
        self.layer = None

    def capture(self, tile, oaddr, ncols, bias):
        lay, rows = self.layer, self.rows
        hw, tiles, acc, ostride = lay["hw"], lay["tiles"], lay["acc"], lay["ostride"]
        real = (hw - 1) % rows + 1 if tile == tiles - 1 else rows
        pad = sum(1 << r for r in range(real, rows))
        self.words = []
        for c in range(ncols):
            for k in range(ACC_WORDS_PER_TILE if acc else 1):
                addr = oaddr + c * ostride + (ACC_WORDS_PER_TILE * tile + k if acc else tile)
                assert addr < self.adepth, "the bench drew an output beyond AMem"
                self.words.append(dict(col=c, nib=k, bias=bias[c], pad=pad, addr=addr))

    def outputs(self):
        active = bool(self.words)
        cap_ok = not active or len(self.words) == 1
        quiet = not active and not any(self.pend)
        return active, cap_ok, quiet

    def clock(self):
        """One cycle passes; the word read in it (if any) is consumed."""
        self.pend = [bool(self.words)] + self.pend[:-1]
        if self.words:
            self.words.pop(0)


class TB:
    def __init__(self, dut, cfg):
        self.dut, self.cfg = dut, cfg
        self.model = DrainModel(cfg.rows, cfg.adepth)
        self.checked = 0

    async def start(self):
        d = self.dut
        start_clock(d)
        d.cap_i.value = 0
        d.cap_tile_i.value = 0
        d.cap_oaddr_i.value = 0
        d.cap_ncols_i.value = 1
        d.cap_bias_i.value = 0
        await reset(d)
        await FallingEdge(d.clk_i)

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
        self.model.layer = dict(hw=h * w, tiles=tiles, acc=acc, ostride=ostride, wpc=wpc)
        d = self.dut
        d.acc_mode_i.value = int(acc)
        d.ostride_i.value = ostride
        d.hw_i.value = h * w
        d.tiles_i.value = tiles

    def check(self, where):
        d, m = self.dut, self.model
        active, cap_ok, quiet = m.outputs()
        got = (int(d.rq_valid_o.value), int(d.cap_ok_o.value), int(d.quiet_o.value))
        assert got == (int(active), int(cap_ok), int(quiet)), \
            f"{where}: valid/cap_ok/quiet {got}, expected {(int(active), int(cap_ok), int(quiet))}"
        if active:
            e = m.words[0]
            g = dict(col=int(d.rd_col_o.value), nib=int(d.rq_nib_o.value), bias=int(unpack_lanes(int(d.rq_bias_o.value), 1, 15, signed=True)[0]),
                     pad=int(d.rq_pad_o.value), addr=int(d.rq_addr_o.value))
            assert g == e, f"{where}: drain word {g}, expected {e}"
            self.checked += 1


@cocotb.test()
async def test_capture_stream(dut):
    """Random captures, gaps and layers; back-to-back captures at the last read."""
    cfg = CONFIGS[os.environ.get("SPW_CONFIG", "small")]
    rng = make_rng(dut, "drain_stream")
    tb = TB(dut, cfg)
    tb.set_layer(rng)
    await tb.start()
    n_caps = int(os.environ.get("DRAIN_CAPTURES", "300"))
    caps = layers = cycles = 0
    p_back_to_back = 0.6
    new_layer = False
    while caps < n_caps:
        # drive this cycle's inputs (we are just after a falling edge)
        _, cap_ok, quiet = tb.model.outputs()
        if new_layer and quiet:       # a layer barrier: the next layer starts when quiet
            tb.set_layer(rng)
            layers += 1
            new_layer = False
        cap = cap_ok and not new_layer and \
            (len(tb.model.words) == 1 and rng.random() < p_back_to_back or rng.random() < 0.3)
        if cap:
            lay = tb.model.layer
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
        dut.cap_i.value = int(cap)
        await cocotb.triggers.ReadOnly()
        tb.check(f"cycle {cycles}")
        await FallingEdge(dut.clk_i)        # the rising edge in between clocked the drain
        tb.model.clock()
        if cap:
            tb.model.capture(tile, oaddr, ncols, [int(b) for b in bias])
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
    assert tb.model.outputs()[2], "the model never went quiet"
    dut._log.info("%d captures over %d layers, %d cycles, %d drain words checked", caps, layers, cycles,
                  tb.checked)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_drain(config):
    from rtlsim.build import hdl_sources, run_cocotb, run_dir

    cfg = CONFIGS[config]
    run_cocotb(
        toplevel=TOP,
        sources=hdl_sources(TOP),
        test_module=__name__,
        test_dir=run_dir(),
        parameters={"ROWS": cfg.rows, "COLS": cfg.cols, "ADEPTH": cfg.adepth},
        extra_env={"SPW_CONFIG": config,
                   "DRAIN_CAPTURES": os.environ.get("DRAIN_CAPTURES", 300 if cfg.cols <= 8 else 120)},
    )
