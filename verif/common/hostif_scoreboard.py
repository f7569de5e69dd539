"""Scoreboard of the host interface: every completed AXI4-Lite transaction
against ``HostIfModel`` (verif/common/hostif_model.py).

It subscribes to the protocol monitor (verif/common/axil_monitor.py,
``monitor.subscribe(sb)``), which publishes every transaction at its
response handshake, whatever drives the bus: the order in which this slave
executed them.  A write is applied to the model and its BRESP compared; a
read's RRESP is compared, and its data wherever the model knows it.  Any
difference raises AssertionError naming the access (register or memory
word, address, cycle), which fails the running test from the monitor's
task.

A bench that applies the effect of some access to the model itself (an
access racing a core-side event whose order only the bench knows) wraps it
in ``with sb.paused():``; the transactions published meanwhile are counted
in ``skipped`` and neither checked nor applied.
"""
from __future__ import annotations

import contextlib

from . import coverage as cov
from .axil_monitor import AxilTxn
from .hostif_model import HostIfModel

__all__ = ["HostIfScoreboard"]


class HostIfScoreboard:
    """``log`` (e.g. ``dut._log``): log every comparison (debugging)."""

    def __init__(self, model: HostIfModel, log=None):
        self.model = model
        self.log = log
        self.writes = self.reads = self.skipped = 0
        self._paused = 0

    def where(self, addr: int) -> str:
        """The register or memory word ``addr`` decodes to, and the address."""
        d = self.model.decode(addr)
        if d is None:
            what = "unmapped"
        elif d[0] == "reg":
            what = d[1].name
        else:
            _, name, word, slot = d
            what = f"{name}[{word}] slot {slot}"
        busy = " (core busy)" if self.model.busy else ""
        return f"{what} @ {addr:#07x}{busy}"

    def write(self, addr: int, data: int, strb: int, resp, at: str = "") -> int:
        """Apply a write to the model; its BRESP ``resp`` must be the model's."""
        where = self.where(addr)
        cov.sample_response_busy("write", addr, resp, bool(self.model.busy))
        exp = self.model.write(addr, data, strb)
        self.writes += 1
        if self.log is not None:
            self.log.info("B  @%#07x d=%#010x s=%x resp=%s exp=%d", addr, data, strb, resp, exp)
        assert resp == exp, f"write {where} data {data:#010x} strb {strb:#x}{at}: BRESP {resp} != {exp}"
        return exp

    def read(self, addr: int, data, resp, at: str = "") -> None:
        """``data``: an int, or the raw RDATA value (X/Z fails where the
        model expects data)."""
        where = self.where(addr)
        cov.sample_response_busy("read", addr, resp, bool(self.model.busy))
        exp, exp_resp = self.model.read(addr)
        self.reads += 1
        if self.log is not None:
            self.log.info("R  @%#07x d=%s resp=%s exp=%s/%d", addr, data, resp, exp, exp_resp)
        assert resp == exp_resp, f"read {where}{at}: RRESP {resp} != {exp_resp}"
        if exp is None:
            return
        if not isinstance(data, int):
            assert data.is_resolvable, f"read {where}{at}: RDATA {data} has X/Z, expected {exp:#010x}"
            data = data.to_unsigned()
        assert data == exp, f"read {where}{at}: {data:#010x} != {exp:#010x}"

    @contextlib.contextmanager
    def paused(self):
        """Neither check nor apply the transactions published inside."""
        self._paused += 1
        try:
            yield self
        finally:
            self._paused -= 1

    def __call__(self, t: AxilTxn) -> None:
        """Monitor subscriber."""
        if self._paused:
            self.skipped += 1
            return
        at = f" (cycle {t.cycle})"
        if t.kind == "write":
            self.write(t.addr, t.data, t.strb, t.resp, at)
        else:
            self.read(t.addr, t.rdata, t.resp, at)
