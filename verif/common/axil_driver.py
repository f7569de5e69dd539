"""Raw AXI4-Lite master: drives the five channels cycle by cycle.

``AxilRawDriver`` bypasses HostBus so that the bench, not a bus model,
decides every cycle: random idle cycles before AWVALID, WVALID and ARVALID
(per transaction, so AW and W come in either order, sometimes far apart),
random BREADY/RREADY backpressure, and random payload on idle channels
(a slave must ignore it).  It does no checking and publishes nothing: the
protocol monitor (verif/common/axil_monitor.py), which watches the bus
whatever drives it, checks every cycle and publishes every transaction to
the scoreboard and the coverage.  The driver returns handshake statistics
(AW/W orders, B/R backpressure) for the coverage of handshake orders.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Txn", "Sample", "AxilPins", "AxilRawDriver"]


@dataclass
class Txn:
    """One transaction to drive.  A write uses all fields; a read uses
    ``addr`` and ``d_a``."""
    addr: int
    data: int = 0
    strb: int = 0
    d_a: int = 0   # idle cycles before AWVALID (or ARVALID)
    d_w: int = 0   # idle cycles before WVALID
    # cycles at which AW (or AR) and W were accepted, filled in by the driver
    a_cycle: int | None = field(default=None, repr=False)
    w_cycle: int | None = field(default=None, repr=False)


class Sample(NamedTuple):
    """All five channels as they were just before one rising edge.  A field
    is None where the signal was X/Z; the driver takes such a handshake
    signal as low (the monitor rejects it)."""
    awvalid: int
    awready: int | None
    wvalid: int
    wready: int | None
    arvalid: int
    arready: int | None
    bvalid: int | None
    bready: int
    bresp: int | None
    rvalid: int | None
    rready: int
    rresp: int | None
    rdata: object


def _int(sig) -> int | None:
    v = sig.value
    return int(v) if v.is_resolvable else None


class AxilPins:
    """The AXI4-Lite signals of ``dut`` under ``prefix`` (``s_axil`` binds
    ``s_axil_awvalid`` and the rest)."""

    NAMES = ("awvalid", "awready", "awaddr", "awprot", "wvalid", "wready", "wdata", "wstrb",
             "bvalid", "bready", "bresp", "arvalid", "arready", "araddr", "arprot",
             "rvalid", "rready", "rresp", "rdata")

    def __init__(self, dut, prefix: str = "s_axil"):
        self.prefix = prefix
        for n in self.NAMES:
            setattr(self, n, getattr(dut, f"{prefix}_{n}", None))

    def sample(self) -> Sample:
        return Sample(
            _int(self.awvalid), _int(self.awready), _int(self.wvalid), _int(self.wready),
            _int(self.arvalid), _int(self.arready),
            _int(self.bvalid), _int(self.bready), _int(self.bresp),
            _int(self.rvalid), _int(self.rready), _int(self.rresp),
            self.rdata.value)


class _Source:
    """One valid/ready source channel: queue, per-item idle delay, current item."""

    def __init__(self, name: str, items, delay_attr: str):
        self.name = name
        self.q = deque(items)
        self.attr = delay_attr
        self.cur = None
        self.since = 0   # cycles the current item has been valid
        self.wait = getattr(self.q[0], delay_attr) if self.q else 0

    def prepare(self) -> None:
        if self.cur is None and self.q:
            if self.wait > 0:
                self.wait -= 1
            else:
                self.cur = self.q.popleft()
                self.since = 0

    def accepted(self) -> None:
        self.cur = None
        if self.q:
            self.wait = getattr(self.q[0], self.attr)


class AxilRawDriver:
    """Drives lists of transactions on one AXI4-Lite slave.

    ``stall_limit``: cycles without any handshake after which the bus counts
    as hung (the error names the channel that is stuck).
    """

    def __init__(self, dut, rng, prefix: str = "s_axil", clock=None, stall_limit: int = 1000):
        self.dut = dut
        self.rng = rng
        self.pins = AxilPins(dut, prefix)
        self.clock = clock if clock is not None else dut.clk_i
        self.stall_limit = stall_limit

    def idle(self) -> None:
        """Bus idle: no VALID, no READY (responses stay with the slave)."""
        p = self.pins
        for s in (p.awvalid, p.wvalid, p.arvalid, p.bready, p.rready):
            s.value = 0

    def _stuck(self, idle: int, aw: _Source, w: _Source, ar: _Source,
               pend_b: deque, pend_r: deque) -> str:
        """Which channel a bus with no handshake for ``idle`` cycles waits on."""
        parts = []
        for ch in (aw, w, ar):
            if ch.cur is not None:
                parts.append(f"{ch.name}: {ch.name}VALID high for {ch.since} cycles without "
                             f"{ch.name}READY (@ {ch.cur.addr:#07x})")
        if pend_b and pend_b[0].a_cycle is not None and pend_b[0].w_cycle is not None:
            parts.append(f"B: no BVALID since AW and W of the write @ {pend_b[0].addr:#07x} were accepted")
        if pend_r and pend_r[0].a_cycle is not None:
            parts.append(f"R: no RVALID since AR of the read @ {pend_r[0].addr:#07x} was accepted")
        return (f"AXI4-Lite bus stuck: no handshake for {idle} cycles; "
                + ("; ".join(parts) or "nothing pending"))

    async def run(self, writes: list[Txn], reads: list[Txn], knobs, max_cycles: int,
                  on_cycle: Callable | None = None) -> dict:
        """Drive ``writes`` and ``reads`` to completion with the BREADY /
        RREADY probabilities of ``knobs`` (a models.stimulus.BusKnobs).
        ``on_cycle(cyc, aw, w, ar)`` is called after each edge (debug
        logging).  Returns handshake statistics: AW/W orderings, cycles of
        B/R backpressure, cycles."""
        from cocotb.triggers import RisingEdge

        p, rng = self.pins, self.rng
        aw, w, ar = _Source("AW", writes, "d_a"), _Source("W", writes, "d_w"), _Source("AR", reads, "d_a")
        pend_b, pend_r = deque(writes), deque(reads)
        stats = {"aw_first": 0, "w_first": 0, "together": 0, "b_stall": 0, "r_stall": 0, "cycles": 0}
        cyc = last_hs = 0
        edge = RisingEdge(self.clock)
        while pend_b or pend_r:
            cyc += 1
            assert cyc < max_cycles, \
                f"stress ran {max_cycles} cycles: {len(pend_b)} writes, {len(pend_r)} reads pending"
            if cyc - last_hs > self.stall_limit:
                raise AssertionError(self._stuck(cyc - last_hs, aw, w, ar, pend_b, pend_r))
            for ch in (aw, w, ar):
                ch.prepare()
            p.awvalid.value = int(aw.cur is not None)
            p.awaddr.value = aw.cur.addr if aw.cur else int(rng.integers(0, 1 << 20))
            p.wvalid.value = int(w.cur is not None)
            p.wdata.value = w.cur.data if w.cur else int(rng.integers(0, 1 << 32, dtype="uint64"))
            p.wstrb.value = w.cur.strb if w.cur else int(rng.integers(0, 16))
            p.arvalid.value = int(ar.cur is not None)
            p.araddr.value = ar.cur.addr if ar.cur else int(rng.integers(0, 1 << 20))
            p.bready.value = int(rng.random() < knobs.bready_p)
            p.rready.value = int(rng.random() < knobs.rready_p)
            await edge
            # values sampled here are the ones before this edge
            s = p.sample()
            if on_cycle is not None:
                on_cycle(cyc, aw, w, ar)
            for ch, ok in ((aw, s.awready), (w, s.wready), (ar, s.arready)):
                if ch.cur is not None:
                    ch.since += 1
                    if ok:
                        if ch is w:
                            ch.cur.w_cycle = cyc
                        else:
                            ch.cur.a_cycle = cyc
                        ch.accepted()
                        last_hs = cyc
            b_hs, r_hs = bool(s.bvalid and s.bready), bool(s.rvalid and s.rready)
            stats["b_stall"] += int(bool(s.bvalid) and not s.bready)
            stats["r_stall"] += int(bool(s.rvalid) and not s.rready)
            if b_hs and pend_b:
                t = pend_b.popleft()
                a_c, w_c = t.a_cycle, t.w_cycle
                if a_c is not None and w_c is not None:
                    stats["aw_first" if a_c < w_c else "w_first" if w_c < a_c else "together"] += 1
                last_hs = cyc
            if r_hs and pend_r:
                pend_r.popleft()
                last_hs = cyc
        self.idle()
        stats["cycles"] = cyc
        return stats
