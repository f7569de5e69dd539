"""Host driver: the one place that touches an AXI4-Lite bus model.

``HostBus`` never raises on an error response: ``read32`` returns
``(value, resp)`` and ``write32`` returns ``resp`` (0 OKAY, 2 SLVERR,
3 DECERR).  The memory helpers map whole memory words onto the 32-bit slots
of their window exactly as models/spec.py defines it: byte address =
BASE + word * slots * 4 + slot * 4, slot j = bits [32j+31:32j].

Two bus models sit behind it, chosen by the environment variable HOST_BUS:

* ``cocotb-bus`` (default): cocotb-bus ``AXI4LiteMaster``.  Upstream no
  longer maintains it, which is why no other code may touch it.
* ``cocotbext-axi``: cocotbext-axi ``AxiLiteMaster`` with random pause
  generators on all five channels (VALID delays on AW, W, AR, READY
  backpressure on B, R), seeded from the bench's seed: a second,
  independently written master that also stresses the slave's handshakes.

Every access is bounded: one that gets no response within
``timeout_cycles`` clock cycles raises ``BusTimeout`` naming the channel it
is stuck on.

HostBus reports its accesses to no one: a bench that wants to see the
traffic (coverage, scoreboards) watches the bus itself with the passive
protocol monitor of verif/common/axil_monitor.py, which sees every master
alike.
"""
from __future__ import annotations

import contextlib
import logging
import os
import warnings
import zlib

from models import spec
from models.spec import mem_geometry

from .bringup import CLK_PERIOD_NS

__all__ = ["HostBus", "BusTimeout", "OKAY", "EXOKAY", "SLVERR", "DECERR",
           "HOST_BUS_VAR", "BUS_MODELS", "bus_model"]

OKAY, EXOKAY, SLVERR, DECERR = 0, 1, 2, 3

HOST_BUS_VAR = "HOST_BUS"
BUS_MODELS = ("cocotb-bus", "cocotbext-axi")
DEFAULT_TIMEOUT_CYCLES = 1000

# cocotb-bus starts its AW/W halves with Combine(Task, Task), which cocotb 2.x
# deprecates; harmless, and it would flood every log.
warnings.filterwarnings("ignore", message=r"Passing Task objects to `Combine`",
                        category=DeprecationWarning)
# cocotbext-axi 0.1.28 still uses APIs cocotb 2.x deprecates (Task.kill,
# setimmediatevalue, Edge); it works, and the warnings would flood every log.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext\.axi")


class BusTimeout(AssertionError):
    """An access got no response in time (the message names the channel)."""


def bus_model(name: str | None = None) -> str:
    """``name``, else $HOST_BUS, else the default; checked against BUS_MODELS."""
    if name is None:
        name = os.environ.get(HOST_BUS_VAR) or BUS_MODELS[0]
    if name not in BUS_MODELS:
        raise ValueError(f"{HOST_BUS_VAR}={name!r} is not a bus model; choose one of {', '.join(BUS_MODELS)}")
    return name


def _sig(dut, prefix: str, name: str):
    return getattr(dut, f"{prefix}_{name}")


def _high(sig) -> bool:
    v = sig.value
    return v.is_resolvable and int(v) == 1


def _stuck_channel(dut, prefix: str, kind: str) -> str:
    """The channel a hung access waits on, read off the bus itself (so the
    answer does not depend on either bus model's internals)."""
    def s(n):
        return _sig(dut, prefix, n)

    if kind == "write":
        if _high(s("awvalid")):
            return "AW (AWVALID high, AWREADY never came)"
        if _high(s("wvalid")):
            return "W (WVALID high, WREADY never came)"
        if _high(s("bvalid")):
            return "B (BVALID high but the master never raised BREADY)"
        return "B (AW and W taken, BVALID never came)"
    if _high(s("arvalid")):
        return "AR (ARVALID high, ARREADY never came)"
    if _high(s("rvalid")):
        return "R (RVALID high but the master never raised RREADY)"
    return "R (AR taken, RVALID never came)"


def _data_or_zero(v) -> int:
    try:
        return v.to_unsigned()
    except ValueError:  # X/Z, e.g. RDATA of an error response
        return 0


class _CocotbBusPort:
    """cocotb-bus AXI4LiteMaster.  It drives the bus only during a transfer
    and otherwise leaves BREADY/RREADY high, which its response wait needs."""

    def __init__(self, dut, prefix: str, clock, seed: int):
        from cocotb_bus.drivers.amba import AXI4LiteMaster

        self.axi = AXI4LiteMaster(dut, prefix, clock)
        self.bus = self.axi.bus

    async def read(self, addr: int) -> tuple[int, int]:
        from cocotb_bus.drivers.amba import AXI4Master

        # AXI4LiteMaster.read raises on an error response and drops RRESP;
        # the AXI4 read underneath returns it
        [(data, resp)] = await AXI4Master.read(self.axi, addr, return_rresp=True)
        return _data_or_zero(data), int(resp)

    async def write(self, addr: int, value: int, strb: int) -> int:
        from cocotb_bus.drivers.amba import AXIProtocolError

        # write() returns a dummy response and raises on SLVERR/DECERR, after
        # the B handshake, so the bus stays usable
        try:
            await self.axi.write(addr, value, byte_enable=strb)
        except AXIProtocolError as e:
            return int(e.xresp)
        return OKAY

    def begin(self) -> None:
        pass

    def end(self) -> None:
        pass

    def release(self) -> None:
        pass

    def reclaim(self) -> None:
        b = self.bus
        b.AWVALID.value = 0
        b.WVALID.value = 0
        b.ARVALID.value = 0
        b.BREADY.value = 1
        b.RREADY.value = 1


def _pauses(rng, p: float, p_long: float, long: tuple[int, int]):
    """Endless pause pattern of one channel: each cycle paused with
    probability ``p``, now and then a long pause (an idle master, a slow
    consumer)."""
    while True:
        if rng.random() < p_long:
            yield from [True] * int(rng.integers(*long))
        yield bool(rng.random() < p)


class _CocotbextAxiPort:
    """cocotbext-axi AxiLiteMaster, used through its five channel drivers.

    Its write() makes WSTRB from an address and a byte count, so it cannot
    send sparse or empty strobes, and its read() converts RDATA with int(),
    which fails on X.  Accesses therefore go straight to the master's
    channel sources and sinks, which carry the pause generators; one lock
    per direction keeps each response matched with its request.
    """

    PAUSE_P = 0.3
    LONG_PAUSE_P = 0.02
    LONG_PAUSE = (4, 24)

    def __init__(self, dut, prefix: str, clock, seed: int):
        import numpy as np
        from cocotb.triggers import Lock
        from cocotbext.axi import AxiLiteBus, AxiLiteMaster

        # its banner, and every reset of a channel (release()/reclaim() are
        # resets), would be logged at INFO under this one logger
        logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(logging.WARNING)
        reset = getattr(dut, "rst_ni", None)
        self.axi = AxiLiteMaster(AxiLiteBus.from_prefix(dut, prefix), clock, reset=reset,
                                 reset_active_level=False)
        wr, rd = self.axi.write_if, self.axi.read_if
        self.aw, self.w, self.b = wr.aw_channel, wr.w_channel, wr.b_channel
        self.ar, self.r = rd.ar_channel, rd.r_channel
        self.channels = {"aw": self.aw, "w": self.w, "b": self.b, "ar": self.ar, "r": self.r}
        self.pauses = {n: _pauses(np.random.default_rng([seed, zlib.crc32(f"{prefix}.{n}".encode())]),
                                  self.PAUSE_P, self.LONG_PAUSE_P, self.LONG_PAUSE)
                       for n in self.channels}
        self.wlock, self.rlock = Lock(), Lock()

    # The sinks take any response the slave offers; one that comes before the
    # slave took its request would be paired with the wrong access, and the
    # request left queued would go out with the next one.
    async def read(self, addr: int) -> tuple[int, int]:
        async with self.rlock:
            await self.ar.send(self.ar._transaction_obj(araddr=addr, arprot=0))
            r = await self.r.recv()
            if not self.ar.idle():
                raise AssertionError(f"read @ {addr:#07x}: R response before the slave took AR")
        return _data_or_zero(r.rdata), int(r.rresp)

    async def write(self, addr: int, value: int, strb: int) -> int:
        async with self.wlock:
            await self.aw.send(self.aw._transaction_obj(awaddr=addr, awprot=0))
            await self.w.send(self.w._transaction_obj(wdata=value, wstrb=strb))
            b = await self.b.recv()
            if not (self.aw.idle() and self.w.idle()):
                raise AssertionError(f"write @ {addr:#07x}: B response before the slave took AW and W")
        return int(b.bresp)

    # The pause generators run only while an access is in flight: each one
    # wakes every clock cycle, which would slow down long runs of the core
    # for nothing.  The patterns continue where they stopped.
    def begin(self) -> None:
        for n, ch in self.channels.items():
            ch.set_pause_generator(self.pauses[n])

    def end(self) -> None:
        for ch in self.channels.values():
            ch.clear_pause_generator()
            ch.pause = False

    def release(self) -> None:
        # a channel in reset stops driving: sources drop VALID, sinks READY
        for ch in self.channels.values():
            ch.assert_reset(True)

    def reclaim(self) -> None:
        for ch in self.channels.values():
            ch.assert_reset(False)


class HostBus:
    """AXI4-Lite host port of one DUT.

    ``prefix`` is the signal prefix (``s_axil`` binds ``s_axil_awvalid`` ...),
    ``clock`` defaults to ``dut.clk_i``.  ``model`` is one of BUS_MODELS
    (default: $HOST_BUS, else cocotb-bus); ``seed`` seeds the random pauses
    of cocotbext-axi (default ``cocotb.RANDOM_SEED``).  An access that takes
    more than ``timeout_cycles`` cycles of ``clock_period_ns`` raises
    BusTimeout.  Addresses must be 4-byte aligned: the bus models shift
    data and strobes of unaligned addresses, which is never what a register
    access means.

    ``released()`` hands the five channels to another driver for a while
    (a raw stress driver) and takes them back afterwards.
    """

    def __init__(self, dut, cfg: spec.Config, prefix: str = "s_axil", clock=None, *,
                 model: str | None = None, seed: int | None = None,
                 timeout_cycles: int = DEFAULT_TIMEOUT_CYCLES, clock_period_ns: float = CLK_PERIOD_NS):
        self.dut = dut
        self.cfg = cfg
        self.prefix = prefix
        self.model = bus_model(model)
        if seed is None:
            import cocotb

            seed = int(cocotb.RANDOM_SEED)
        clock = clock if clock is not None else dut.clk_i
        port = _CocotbextAxiPort if self.model == "cocotbext-axi" else _CocotbBusPort
        self._port = port(dut, prefix, clock, seed)
        self.timeout_cycles = timeout_cycles
        self._timeout_ns = timeout_cycles * clock_period_ns
        self._in_flight = 0
        # AxPROT is not driven by cocotb-bus; tie it off if the DUT has it
        for ch in ("awprot", "arprot"):
            sig = getattr(dut, f"{prefix}_{ch}", None)
            if sig is not None:
                sig.value = 0

    # ------------------------------------------------------------ single words
    @staticmethod
    def _check_addr(addr: int) -> None:
        if addr % 4 or not 0 <= addr < 1 << spec.AXI_ADDR_BITS:
            raise ValueError(f"address {addr:#x} not a 4-byte aligned {spec.AXI_ADDR_BITS}-bit address")

    async def _bounded(self, kind: str, addr: int, access):
        """Run one access of the port under the timeout."""
        from cocotb.triggers import SimTimeoutError, with_timeout

        if self._in_flight == 0:
            self._port.begin()
        self._in_flight += 1
        try:
            return await with_timeout(access, self._timeout_ns, "ns")
        except SimTimeoutError:
            raise BusTimeout(f"HostBus ({self.model}) {kind} @ {addr:#07x}: no response in "
                             f"{self.timeout_cycles} cycles, stuck on channel "
                             f"{_stuck_channel(self.dut, self.prefix, kind)}") from None
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._port.end()

    async def read32(self, addr: int) -> tuple[int, int]:
        """Read one 32-bit word; returns (value, RRESP).  Never raises on an
        error response (value is whatever RDATA carried, 0 if not 0/1)."""
        self._check_addr(addr)
        return await self._bounded("read", addr, self._port.read(addr))

    async def write32(self, addr: int, value: int, strb: int = 0xF) -> int:
        """Write one 32-bit word with byte strobes; returns BRESP."""
        self._check_addr(addr)
        if not 0 <= strb <= 0xF:
            raise ValueError(f"strb {strb:#x} is not a 4-bit mask")
        value &= 0xFFFFFFFF
        return await self._bounded("write", addr, self._port.write(addr, value, strb))

    @contextlib.contextmanager
    def released(self):
        """``with bus.released(): ...``: the bus model stops driving the five
        channels (nothing may be in flight) and takes them back, idle, at
        the end.  Not after an exception: the test is failing, and starting
        the bus model's tasks while cocotb tears it down would hide the
        failure's message behind a simulator that ends without results."""
        if self._in_flight:
            raise RuntimeError(f"HostBus.released() with {self._in_flight} access(es) in flight")
        self._port.release()
        yield self
        self._port.reclaim()

    # ------------------------------------------------------------ registers
    @staticmethod
    def reg(name: str) -> int:
        """Byte offset of register ``name`` (spec.REG)."""
        return spec.REG[name].offset

    async def read_reg(self, name: str) -> tuple[int, int]:
        return await self.read32(self.reg(name))

    async def write_reg(self, name: str, value: int, strb: int = 0xF) -> int:
        return await self.write32(self.reg(name), value, strb)

    # ------------------------------------------------------------ memories
    def slots(self, mem_name: str) -> int:
        return spec.slots_per_word(mem_geometry(self.cfg, mem_name)[1])

    def mem_addr(self, mem_name: str, word: int, slot: int = 0) -> int:
        """Byte address of ``slot`` of ``word`` in ``mem_name``'s window (no
        depth check, so out-of-depth addresses can be made on purpose)."""
        base, bits, _ = mem_geometry(self.cfg, mem_name)
        n = spec.slots_per_word(bits)
        if not 0 <= slot < n:
            raise ValueError(f"slot {slot} outside 0..{n - 1}")
        return base + (word * n + slot) * 4

    def _span(self, mem_name: str, start_word: int, n: int) -> tuple[int, int]:
        _, bits, depth = mem_geometry(self.cfg, mem_name)
        if start_word < 0 or n < 0 or start_word + n > depth:
            raise ValueError(f"{mem_name} words {start_word}..{start_word + n - 1} outside depth {depth}")
        return bits, spec.slots_per_word(bits)

    async def write_mem_words(self, mem_name: str, start_word: int, words: list[int]) -> list[int]:
        """Write whole words; returns the BRESP of every slot write.  Raises
        AssertionError on the first non-OKAY response."""
        bits, n = self._span(mem_name, start_word, len(words))
        resps = []
        for i, w in enumerate(words):
            w = int(w)
            if not 0 <= w < 1 << bits:
                raise ValueError(f"{mem_name} word {w:#x} wider than {bits} bits")
            for j in range(n):
                addr = self.mem_addr(mem_name, start_word + i, j)
                resp = await self.write32(addr, (w >> (32 * j)) & 0xFFFFFFFF)
                if resp != OKAY:
                    raise AssertionError(f"write {mem_name}[{start_word + i}] slot {j} @ {addr:#x}: resp {resp}")
                resps.append(resp)
        return resps

    async def read_mem_words(self, mem_name: str, start_word: int, n: int) -> list[int]:
        """Read whole words, assembling their slots.  Raises AssertionError on
        the first non-OKAY response."""
        bits, slots = self._span(mem_name, start_word, n)
        out = []
        for i in range(n):
            w = 0
            for j in range(slots):
                addr = self.mem_addr(mem_name, start_word + i, j)
                v, resp = await self.read32(addr)
                if resp != OKAY:
                    raise AssertionError(f"read {mem_name}[{start_word + i}] slot {j} @ {addr:#x}: resp {resp}")
                w |= v << (32 * j)
            out.append(w & ((1 << bits) - 1))
        return out
