"""AXI4-Lite response-channel rules, checked on the slave's outputs.

``AxilResponseChecker`` looks only at the five channels' signals, one
``Sample`` per clock edge, and knows nothing about the traffic or the
register map, so it holds whichever master drives the bus:

* once BVALID (RVALID) is high it stays high, with BRESP (RRESP, RDATA)
  unchanged, until BREADY (RREADY) takes it;
* AWREADY, WREADY, ARREADY, BVALID, RVALID are never X or Z, nor are
  BRESP / RRESP while their VALID is high;
* a B handshake answers a write whose AW and W were both accepted, an R
  handshake a read whose AR was accepted;
* B and R never complete in the same cycle.  This slave executes one
  transaction at a time, and the scoreboard orders the model's updates by
  the response handshakes; two in one cycle would leave that order open.

The raw driver (verif/common/axil_driver.py) calls ``sample`` every cycle
before it publishes anything; under any other master, ``watch`` samples
the bus itself.
"""
from __future__ import annotations

from .axil_driver import AxilPins, Sample

__all__ = ["AxilResponseChecker"]


class AxilResponseChecker:
    def __init__(self):
        self.prev_b = None      # (BRESP,) held from the cycle before, if not taken
        self.prev_r = None      # (RRESP, RDATA as text)
        self.aw = self.w = self.ar = 0   # accepted so far
        self.b = self.r = 0              # responses taken so far
        self.cycles = 0

    def sample(self, cyc: int, s: Sample) -> None:
        """Check the channels as they were just before clock edge ``cyc``."""
        self.cycles += 1
        undefined = [n for n in ("awready", "wready", "arready", "bvalid", "rvalid") if getattr(s, n) is None]
        assert not undefined, f"cycle {cyc}: {', '.join(n.upper() for n in undefined)} X/Z"
        b_hs, r_hs = bool(s.bvalid and s.bready), bool(s.rvalid and s.rready)
        assert not (b_hs and r_hs), f"cycle {cyc}: B and R completed in one cycle: execution order unknown"
        cur_b = (s.bresp,) if s.bvalid else None
        # text keeps X/Z visible, so an X that turns into a value is a change
        cur_r = (s.rresp, str(s.rdata)) if s.rvalid else None
        if self.prev_b is not None:
            assert cur_b == self.prev_b, \
                f"cycle {cyc}: BVALID/BRESP changed before BREADY: {self.prev_b} -> {cur_b}"
        if self.prev_r is not None:
            assert cur_r == self.prev_r, \
                f"cycle {cyc}: RVALID/RRESP/RDATA changed before RREADY: {self.prev_r} -> {cur_r}"
        if s.bvalid:
            assert s.bresp is not None, f"cycle {cyc}: BRESP is X/Z while BVALID"
        if s.rvalid:
            assert s.rresp is not None, f"cycle {cyc}: RRESP is X/Z while RVALID"
        self.prev_b = cur_b if s.bvalid and not s.bready else None
        self.prev_r = cur_r if s.rvalid and not s.rready else None
        # requests accepted at this very edge count before its response: no
        # stricter than this bench has always been
        self.aw += bool(s.awvalid and s.awready)
        self.w += bool(s.wvalid and s.wready)
        self.ar += bool(s.arvalid and s.arready)
        if b_hs:
            self.b += 1
            assert self.b <= min(self.aw, self.w), \
                f"cycle {cyc}: B handshake #{self.b} with only {self.aw} AW and {self.w} W accepted"
        if r_hs:
            self.r += 1
            assert self.r <= self.ar, f"cycle {cyc}: R handshake #{self.r} with only {self.ar} AR accepted"

    async def watch(self, dut, prefix: str = "s_axil", clock=None) -> None:
        """Sample every rising edge, forever (start it with cocotb.start_soon)."""
        from cocotb.triggers import RisingEdge

        pins = AxilPins(dut, prefix)
        edge = RisingEdge(clock if clock is not None else dut.clk_i)
        cyc = 0
        while True:
            await edge
            cyc += 1
            self.sample(cyc, pins.sample())
