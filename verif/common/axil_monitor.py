"""Passive AXI4-Lite protocol monitor: checks the five channels of one bus on
every clock edge and publishes every transaction it sees.

``AxilMonitor`` only reads the bus, so it holds whatever drives it (HostBus
with either bus model, the raw driver, a hand-written master) and knows
nothing about the register map.  It looks at the signals as they were just
before each rising edge, from the first edge at which the reset is
inactive; while the reset is active it forgets everything and checks
nothing (no X check during reset).

Rules (the rule name is part of every message, see ``RULES``):

* ``VALID dropped before READY``: once AWVALID, WVALID, ARVALID (master) or
  BVALID, RVALID (slave) is high at an edge without its READY, it is high
  at the next edge too;
* ``payload changed while VALID waited for READY``: AWADDR/AWPROT,
  WDATA/WSTRB, ARADDR/ARPROT, BRESP, RRESP/RDATA unchanged over that wait
  (compared as text, so an X that turns into a value is a change);
* ``X/Z on a handshake signal``: no X or Z on any VALID or READY (Icarus;
  Verilator is two-state);
* ``X/Z on the payload while VALID``: none on AWADDR, AWPROT, WDATA, WSTRB,
  ARADDR, ARPROT, BRESP, RRESP while their VALID is high (RDATA may carry X:
  an SRAM word nobody wrote reads X with OKAY; the scoreboard judges data);
* ``response without a request``: BVALID may be high only while a write
  whose AW and W were both accepted at an earlier edge has no B yet (one B
  per AW+W pair), RVALID only while an AR accepted at an earlier edge has no
  R yet (one R per AR).  A response in the same cycle as its request's
  handshake, a second response (a duplicate R), a B or R with no request at
  all: all break this rule;
* ``responses in order``: AXI4-Lite has no IDs, so the k-th B answers the
  k-th write and the k-th R the k-th read: the monitor pairs them so, and
  publishes each transaction at its response handshake, which for a slave
  that serializes (this one) is the order it executed them.  Misordered
  *data* shows up in the scoreboard (HostIfScoreboard), the only place that
  knows what the data should be;
* ``B and R completed in one cycle`` (slave rule kept from the response
  checker; ``serial=False`` turns it off for other slaves): spw_host_if
  executes one transaction at a time and the scoreboard orders the model's
  updates by the response handshakes, which two in one cycle would leave
  open;
* ``timeout``: a VALID waits at most ``timeout_cycles`` edges for its READY,
  and a request at most that long for its response VALID (None: no limit).

A violation raises ``AxilProtocolError`` (an AssertionError) naming the
channel, the rule and the cycle (edges of a ``period_ns`` clock since time
0, with the time in ns).  With ``raise_errors=True`` (the default) the
monitor's task raises it, which fails the running cocotb test at once
(cocotb 2.1 ends the test with the exception of any ``start_soon`` task
nobody awaits); with ``raise_errors=False`` the monitor records the first
violation and stops, and the bench reads it with ``check()`` or ``await
first_error()`` (the monitor's own bench, verif/blocks/test_axil_monitor.py).

Subscribers (``subscribe(cb)``) get each transaction as an ``AxilTxn``, in
response-handshake order, from inside the monitor's task: the functional
coverage (``coverage.sample_axil``) and the scoreboard
(``HostIfScoreboard``).  An exception raised by a subscriber fails the test
the same way.  ``await quiet()`` returns once every request the monitor has
seen has been answered and published.

While the bus is idle (no VALID high, nothing outstanding) the monitor
sleeps until a VALID, a READY or the reset changes, so a long run of the
core costs nothing: an unchanged signal needs no check.
"""
from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .axil_driver import AxilPins

__all__ = ["AxilMonitor", "AxilTxn", "AxilProtocolError", "RULES",
           "VALID_DROPPED", "PAYLOAD_CHANGED", "X_HANDSHAKE", "X_PAYLOAD", "NO_REQUEST",
           "ONE_RESPONSE", "TIMEOUT"]

VALID_DROPPED = "VALID dropped before READY"
PAYLOAD_CHANGED = "payload changed while VALID waited for READY"
X_HANDSHAKE = "X/Z on a handshake signal"
X_PAYLOAD = "X/Z on the payload while VALID"
NO_REQUEST = "response without a request"
ONE_RESPONSE = "B and R completed in one cycle"
TIMEOUT = "timeout"
RULES = (VALID_DROPPED, PAYLOAD_CHANGED, X_HANDSHAKE, X_PAYLOAD, NO_REQUEST, ONE_RESPONSE, TIMEOUT)

# channel: VALID, READY, payload signals
_CHANNELS = {
    "AW": ("awvalid", "awready", ("awaddr", "awprot")),
    "W": ("wvalid", "wready", ("wdata", "wstrb")),
    "AR": ("arvalid", "arready", ("araddr", "arprot")),
    "B": ("bvalid", "bready", ("bresp",)),
    "R": ("rvalid", "rready", ("rresp", "rdata")),
}
_HANDSHAKE = tuple(s for v, r, _ in _CHANNELS.values() for s in (v, r))
_X_ALLOWED = {"rdata"}
_RESP = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}


class AxilProtocolError(AssertionError):
    """A protocol violation: ``channel``, ``rule`` (one of RULES), ``cycle``."""

    def __init__(self, msg: str, channel: str, rule: str, cycle: int):
        super().__init__(msg)
        self.channel, self.rule, self.cycle = channel, rule, cycle


@dataclass(frozen=True)
class AxilTxn:
    """One completed transaction, published at its B or R handshake.

    ``data``: WDATA of a write, RDATA of a read as an integer (0 where it
    holds X/Z); ``rdata``: a read's RDATA as sampled (it may hold X/Z),
    None for writes; ``strb``: WSTRB, 0xF for reads.  Cycles: the AW (AR)
    handshake, the W handshake (writes), the B (R) handshake."""
    kind: str          # "write" | "read"
    addr: int
    data: int
    strb: int
    resp: int
    rdata: object = None
    a_cycle: int = 0
    w_cycle: int | None = None
    cycle: int = 0

    def access(self) -> tuple:
        """(kind, addr, value, resp, strb): coverage.sample_bus's arguments."""
        return self.kind, self.addr, self.data, self.resp, self.strb

    def __str__(self) -> str:
        r = _RESP.get(self.resp, str(self.resp))
        if self.kind == "write":
            return f"write @ {self.addr:#07x} data {self.data:#010x} strb {self.strb:#x} -> {r}"
        return f"read @ {self.addr:#07x} -> {self.rdata} {r}"


def _text(v) -> str:
    """A sampled value as text: hex when it is all 0/1, else the bits."""
    return f"{v.to_unsigned():#x}" if v.is_resolvable else str(v)


class AxilMonitor:
    """Monitor of the AXI4-Lite bus ``<prefix>_*`` of ``dut``.

    ``clock`` defaults to ``dut.clk_i``, ``reset`` to ``dut.rst_ni``
    (active low unless ``reset_active_low=False``; None: no reset, checks
    from the first edge).  Start it with ``start()`` before the reset, or at
    any time the bus has no transaction in flight.  See the module doc for
    the rules, ``raise_errors`` and the subscribers.
    """

    def __init__(self, dut, prefix: str = "s_axil", clock=None, reset="rst_ni", *,
                 reset_active_low: bool = True, serial: bool = True,
                 timeout_cycles: int | None = 1000, raise_errors: bool = True,
                 period_ns: float | None = None, name: str | None = None, log=None):
        from cocotb.triggers import Event

        if period_ns is None:
            from rtlsim.bringup import CLK_PERIOD_NS as period_ns
        self.dut = dut
        self.name = name or f"AxilMonitor {prefix}"
        self.pins = AxilPins(dut, prefix)
        missing = [n for n in _HANDSHAKE if getattr(self.pins, n) is None]
        if missing:
            raise ValueError(f"{self.name}: {dut._name} has no {', '.join(f'{prefix}_{n}' for n in missing)}")
        self.clock = clock if clock is not None else dut.clk_i
        self.reset = getattr(dut, reset) if isinstance(reset, str) else reset
        self.reset_active_low = reset_active_low
        self.serial = serial
        self.timeout_cycles = timeout_cycles
        self.raise_errors = raise_errors
        self.period_ns = float(period_ns)
        self.log = log if log is not None else dut._log
        self.subscribers: list[Callable] = []
        self.error: AxilProtocolError | None = None
        self.counts = {"write": 0, "read": 0}
        self.edges = 0              # edges checked (armed, out of reset)
        self.failed = Event()
        self._quiet = Event()
        self._quiet.set()
        self._task = None
        self._hs = [(n, getattr(self.pins, n)) for n in _HANDSHAKE]
        self._payload = {ch: [(f, getattr(self.pins, f)) for f in fields if getattr(self.pins, f) is not None]
                         for ch, (_, _, fields) in _CHANNELS.items()}
        self._clear()

    # ------------------------------------------------------------ subscribers
    def subscribe(self, cb: Callable) -> None:
        """``cb(AxilTxn)`` at every B and R handshake, in order."""
        self.subscribers.append(cb)

    def unsubscribe(self, cb: Callable) -> None:
        self.subscribers.remove(cb)

    @contextlib.asynccontextmanager
    async def subscribed(self, cb: Callable):
        """``async with monitor.subscribed(cb):`` ``cb`` gets exactly the
        transactions whose requests are accepted inside the block: it waits
        for ``quiet()`` on entry and, unless the block raised, on exit."""
        await self.quiet()
        self.subscribe(cb)
        try:
            yield cb
        except BaseException:
            self.unsubscribe(cb)
            raise
        await self.quiet()
        self.unsubscribe(cb)

    # ------------------------------------------------------------ control
    def start(self) -> AxilMonitor:
        """Start monitoring (``cocotb.start_soon``); returns self."""
        import cocotb

        if self.running:
            raise RuntimeError(f"{self.name} already started")
        self._task = cocotb.start_soon(self._run())
        return self

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def stop(self) -> None:
        if self.running:
            self._task.cancel()

    def check(self) -> None:
        """Raise the first violation, if there was one."""
        if self.error is not None:
            raise self.error

    async def first_error(self) -> AxilProtocolError:
        """Wait for the first violation and return it (``failed`` is the
        Event behind it, for ``First(monitor.failed.wait(), ...)``)."""
        await self.failed.wait()
        return self.error

    async def quiet(self) -> None:
        """Return once no request the monitor has seen is unanswered (every
        transaction accepted so far has been published)."""
        if self.running:
            await self._quiet.wait()

    # ------------------------------------------------------------ state
    def _clear(self) -> None:
        self.armed = False
        self._hold: dict[str, tuple | None] = dict.fromkeys(_CHANNELS)
        self._since: dict[str, int] = {}
        self._aw: deque = deque()   # (addr, cycle) accepted, no B yet
        self._w: deque = deque()    # (data, strb, cycle)
        self._ar: deque = deque()   # (addr, cycle)
        self._quiet.set()

    def _in_reset(self) -> bool:
        if self.reset is None:
            return False
        v = self.reset.value
        if not v.is_resolvable:
            return True
        return int(v) == (0 if self.reset_active_low else 1)

    def _cycle(self) -> int:
        from cocotb.simtime import get_sim_time

        return round(get_sim_time("ns") / self.period_ns)

    def _fail(self, cyc: int, channel: str, rule: str, detail: str) -> None:
        from cocotb.simtime import get_sim_time

        msg = (f"{self.name}: cycle {cyc} ({get_sim_time('ns'):.0f} ns): {channel}: {rule}: {detail}")
        err = AxilProtocolError(msg, channel, rule, cyc)
        if self.error is None:
            self.error = err
            self.failed.set()
        self.log.error("%s", msg)
        raise err

    # ------------------------------------------------------------ the loop
    async def _run(self) -> None:
        from cocotb.triggers import First, RisingEdge

        edge = RisingEdge(self.clock)
        wake = [h.value_change for _, h in self._hs]
        if self.reset is not None:
            wake.append(self.reset.value_change)
        try:
            while True:
                await edge
                if not self._edge():
                    # idle: nothing to check until a handshake signal or the reset moves
                    await First(*wake)
        except AxilProtocolError:
            if self.raise_errors:
                raise

    def _edge(self) -> bool:
        """Check one edge; True while the bus is active (check the next edge)."""
        if self._in_reset():
            if self.armed or self._aw or self._w or self._ar:
                self._clear()
            return False
        self.armed = True
        self.edges += 1
        cyc = self._cycle()
        hs = {}
        bad = []
        for n, h in self._hs:
            v = h.value
            if v.is_resolvable:
                hs[n] = int(v)
            else:
                hs[n] = 0
                bad.append(f"{n.upper()}={v}")
        if bad:
            ch = next(c for c, (v, r, _) in _CHANNELS.items() if bad[0].lower().startswith((v, r)))
            self._fail(cyc, ch, X_HANDSHAKE, ", ".join(bad) + " after reset")

        # VALID held, payload stable, payload defined
        cur = {}
        for ch, (vn, rn, _) in _CHANNELS.items():
            valid, ready = hs[vn], hs[rn]
            held = self._hold[ch]
            pay = tuple((f, h.value) for f, h in self._payload[ch]) if valid else None
            if held is not None:
                if not valid:
                    self._fail(cyc, ch, VALID_DROPPED,
                               f"{vn.upper()} high without {rn.upper()} at the last edge, low at this one "
                               f"(high since cycle {self._since[ch]}; {self._fmt(held)})")
                changed = [f"{f.upper()} {_text(a)} -> {_text(b)}"
                           for (f, a), (_, b) in zip(held, pay) if str(a) != str(b)]
                if changed:
                    self._fail(cyc, ch, PAYLOAD_CHANGED,
                               f"{', '.join(changed)} though {rn.upper()} was low at the last edge "
                               f"({vn.upper()} high since cycle {self._since[ch]})")
            if valid:
                xs = [f"{f.upper()}={v}" for f, v in pay if f not in _X_ALLOWED and not v.is_resolvable]
                if xs:
                    self._fail(cyc, ch, X_PAYLOAD, f"{', '.join(xs)} while {vn.upper()} is high")
                if ready:
                    self._hold[ch] = None
                    self._since.pop(ch, None)
                else:
                    self._hold[ch] = pay
                    since = self._since.setdefault(ch, cyc)
                    if self.timeout_cycles is not None and cyc - since >= self.timeout_cycles:
                        self._fail(cyc, ch, TIMEOUT, f"{vn.upper()} high for {cyc - since} cycles "
                                   f"without {rn.upper()} ({self._fmt(pay)})")
            else:
                self._hold[ch] = None
                self._since.pop(ch, None)
            cur[ch] = pay

        # responses only for requests accepted at earlier edges
        if hs["bvalid"] and not (self._aw and self._w):
            self._fail(cyc, "B", NO_REQUEST, "BVALID high " + self._missing_write())
        if hs["rvalid"] and not self._ar:
            self._fail(cyc, "R", NO_REQUEST,
                       f"RVALID high with no read outstanding ({self.counts['read']} R for "
                       f"{self.counts['read'] + len(self._ar)} AR accepted before this cycle)")
        b_hs = hs["bvalid"] and hs["bready"]
        r_hs = hs["rvalid"] and hs["rready"]
        if self.serial and b_hs and r_hs:
            self._fail(cyc, "B+R", ONE_RESPONSE,
                       f"B of the write @ {self._aw[0][0]:#07x} and R of the read @ {self._ar[0][0]:#07x} "
                       "in the same cycle: execution order unknown")
        if self.timeout_cycles is not None:
            self._response_timeouts(cyc, hs)

        # handshakes: responses first (their requests were accepted earlier)
        out = []
        if b_hs:
            (addr, a_cyc), (data, strb, w_cyc) = self._aw.popleft(), self._w.popleft()
            out.append(AxilTxn("write", addr, data, strb, cur["B"][0][1].to_unsigned(), None, a_cyc, w_cyc, cyc))
        if r_hs:
            addr, a_cyc = self._ar.popleft()
            rresp, rdata = cur["R"][0][1], cur["R"][1][1]
            value = rdata.to_unsigned() if rdata.is_resolvable else 0
            out.append(AxilTxn("read", addr, value, 0xF, rresp.to_unsigned(), rdata, a_cyc, None, cyc))
        if hs["awvalid"] and hs["awready"]:
            self._aw.append((cur["AW"][0][1].to_unsigned(), cyc))
        if hs["wvalid"] and hs["wready"]:
            w = dict(cur["W"])
            self._w.append((w["wdata"].to_unsigned(), w["wstrb"].to_unsigned(), cyc))
        if hs["arvalid"] and hs["arready"]:
            self._ar.append((cur["AR"][0][1].to_unsigned(), cyc))

        busy = bool(self._aw or self._w or self._ar)
        if busy:
            self._quiet.clear()
        for t in out:
            self.counts[t.kind] += 1
            for cb in list(self.subscribers):
                cb(t)
        if not busy:
            self._quiet.set()
        return busy or any(hs[v] for v, _, _ in _CHANNELS.values())

    def _missing_write(self) -> str:
        n_b = self.counts["write"]
        tally = f"({n_b} B for {n_b + len(self._aw)} AW and {n_b + len(self._w)} W accepted before this cycle)"
        if not self._aw and not self._w:
            return f"with no write outstanding {tally}"
        if not self._aw:
            return f"before the AW of its write was accepted {tally}"
        return f"before the W of its write @ {self._aw[0][0]:#07x} was accepted {tally}"

    def _response_timeouts(self, cyc: int, hs: dict) -> None:
        lim = self.timeout_cycles
        if self._aw and self._w and not hs["bvalid"]:
            due = max(self._aw[0][1], self._w[0][2])
            if cyc - due >= lim:
                self._fail(cyc, "B", TIMEOUT, f"no BVALID {cyc - due} cycles after the AW and W of the "
                           f"write @ {self._aw[0][0]:#07x} were accepted (cycle {due})")
        if self._ar and not hs["rvalid"]:
            due = self._ar[0][1]
            if cyc - due >= lim:
                self._fail(cyc, "R", TIMEOUT, f"no RVALID {cyc - due} cycles after the AR of the "
                           f"read @ {self._ar[0][0]:#07x} was accepted (cycle {due})")

    @staticmethod
    def _fmt(pay) -> str:
        return " ".join(f"{f.upper()}={_text(v)}" for f, v in pay)
