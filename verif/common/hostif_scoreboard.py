"""Scoreboard of the host interface: every completed AXI4-Lite transaction
against ``HostIfModel`` (verif/common/hostif_model.py).

Transactions must arrive in the order the slave executed them (the raw
driver publishes at the response handshake; HostBus returns at it).  A
write is applied to the model and its BRESP compared; a read's RRESP is
compared, and its data wherever the model knows it.  Any difference raises
AssertionError naming the access.
"""
from __future__ import annotations

from .axil_driver import AxilResponse
from .hostif_model import HostIfModel

__all__ = ["HostIfScoreboard"]


def _at(what: str, addr: int) -> str:
    return f"{what} @ {addr:#07x}" if what else f"@ {addr:#07x}"


class HostIfScoreboard:
    """``log`` (e.g. ``dut._log``): log every comparison (debugging)."""

    def __init__(self, model: HostIfModel, log=None):
        self.model = model
        self.log = log
        self.writes = self.reads = 0

    def write(self, addr: int, data: int, strb: int, resp, what: str = "") -> int:
        """Apply a write to the model; its BRESP ``resp`` must be the model's."""
        exp = self.model.write(addr, data, strb)
        self.writes += 1
        if self.log is not None:
            self.log.info("B  @%#07x d=%#010x s=%x resp=%s exp=%d", addr, data, strb, resp, exp)
        assert resp == exp, \
            f"write {_at(what, addr)} data {data:#010x} strb {strb:#x}: BRESP {resp} != {exp}"
        return exp

    def read(self, addr: int, data, resp, what: str = "") -> None:
        """``data``: an int, or the raw RDATA value (X/Z fails where the
        model expects data)."""
        exp, exp_resp = self.model.read(addr)
        self.reads += 1
        if self.log is not None:
            self.log.info("R  @%#07x d=%s resp=%s exp=%s/%d", addr, data, resp, exp, exp_resp)
        assert resp == exp_resp, f"read {_at(what, addr)}: RRESP {resp} != {exp_resp}"
        if exp is None:
            return
        if not isinstance(data, int):
            assert data.is_resolvable, f"read {_at(what, addr)}: RDATA {data} has X/Z, expected {exp:#010x}"
            data = data.to_unsigned()
        assert data == exp, f"read {_at(what, addr)}: {data:#010x} != {exp:#010x}"

    def __call__(self, rsp: AxilResponse) -> None:
        """Raw driver subscriber."""
        t = rsp.txn
        if rsp.kind == "write":
            self.write(t.addr, t.data, t.strb, rsp.resp)
        else:
            self.read(t.addr, rsp.rdata, rsp.resp)
