"""Host driver: the one place that touches the AXI4-Lite bus model.

``HostBus`` wraps cocotb-bus ``AXI4LiteMaster`` (unmaintained upstream, so it
stays behind this class) and never raises on an error response: ``read32``
returns ``(value, resp)`` and ``write32`` returns ``resp`` (0 OKAY, 2 SLVERR,
3 DECERR).  The memory helpers map whole memory words onto the 32-bit slots of
their window exactly as models/spec.py defines it: byte address =
BASE + word * slots * 4 + slot * 4, slot j = bits [32j+31:32j].
"""
from __future__ import annotations

import warnings
from collections.abc import Callable

from models import spec

__all__ = ["HostBus", "OKAY", "EXOKAY", "SLVERR", "DECERR", "MEMS", "mem_geometry"]

OKAY, EXOKAY, SLVERR, DECERR = 0, 1, 2, 3

# memory name -> window base
MEMS = {"amem": spec.AMEM_BASE, "wmem": spec.WMEM_BASE, "imem": spec.IMEM_BASE}

# cocotb-bus starts its AW/W halves with Combine(Task, Task), which cocotb 2.x
# deprecates; harmless, and it would flood every log.
warnings.filterwarnings("ignore", message=r"Passing Task objects to `Combine`",
                        category=DeprecationWarning)


def mem_geometry(cfg: spec.Config, mem_name: str) -> tuple[int, int, int]:
    """(window base, word bits, depth) of ``mem_name`` in configuration ``cfg``."""
    name = mem_name.lower()
    if name == "amem":
        return spec.AMEM_BASE, cfg.rows * spec.ACT_BITS, cfg.adepth
    if name == "wmem":
        return spec.WMEM_BASE, cfg.cols * spec.W_BITS, cfg.wdepth
    if name == "imem":
        return spec.IMEM_BASE, spec.INSTR_BITS, cfg.idepth
    raise ValueError(f"unknown memory {mem_name!r}; choose one of {sorted(MEMS)}")


class HostBus:
    """AXI4-Lite host port of one DUT.

    ``prefix`` is the signal prefix (``s_axil`` binds ``s_axil_awvalid`` ...),
    ``clock`` defaults to ``dut.clk_i``.  Addresses must be 4-byte aligned:
    the bus model shifts data and strobes of unaligned addresses, which is
    never what a register access means.

    Observers: every completed access is reported to each callable in the
    class-wide ``HostBus.observers`` (e.g. the coverage sampler registers
    itself there on import) and in the instance's ``observers`` list, as
    ``cb(kind, addr, value, resp, strb)`` with kind "read" or "write".
    """

    # class-wide: every HostBus of the process reports to these
    observers: list[Callable] = []

    @classmethod
    def add_observer(cls, cb: Callable) -> None:
        """Register ``cb`` for every HostBus (idempotent)."""
        if cb not in cls.observers:
            cls.observers.append(cb)

    def _notify(self, kind: str, addr: int, value: int, resp: int, strb: int) -> None:
        for cb in (*HostBus.observers, *self.observers):
            cb(kind, addr, value, resp, strb)

    def __init__(self, dut, cfg: spec.Config, prefix: str = "s_axil", clock=None):
        from cocotb_bus.drivers.amba import AXI4LiteMaster

        self.dut = dut
        self.cfg = cfg
        self.axi = AXI4LiteMaster(dut, prefix, clock if clock is not None else dut.clk_i)
        self.observers: list[Callable] = []   # this instance only (see the class doc)
        # AxPROT is not driven by the bus model; tie it off if the DUT has it
        for ch in ("awprot", "arprot"):
            sig = getattr(dut, f"{prefix}_{ch}", None)
            if sig is not None:
                sig.value = 0

    # ------------------------------------------------------------ single words
    @staticmethod
    def _check_addr(addr: int) -> None:
        if addr % 4 or not 0 <= addr < 1 << spec.AXI_ADDR_BITS:
            raise ValueError(f"address {addr:#x} not a 4-byte aligned {spec.AXI_ADDR_BITS}-bit address")

    async def read32(self, addr: int) -> tuple[int, int]:
        """Read one 32-bit word; returns (value, RRESP).  Never raises on an
        error response (value is whatever RDATA carried, 0 if not 0/1)."""
        from cocotb_bus.drivers.amba import AXI4Master

        self._check_addr(addr)
        [(data, resp)] = await AXI4Master.read(self.axi, addr, return_rresp=True)
        try:
            value = data.to_unsigned()
        except ValueError:  # X/Z on RDATA of an error response
            value = 0
        self._notify("read", addr, value, int(resp), 0xF)
        return value, int(resp)

    async def write32(self, addr: int, value: int, strb: int = 0xF) -> int:
        """Write one 32-bit word with byte strobes; returns BRESP."""
        from cocotb_bus.drivers.amba import AXIProtocolError

        self._check_addr(addr)
        if not 0 <= strb <= 0xF:
            raise ValueError(f"strb {strb:#x} is not a 4-bit mask")
        try:
            await self.axi.write(addr, value & 0xFFFFFFFF, byte_enable=strb)
        except AXIProtocolError as e:
            resp = int(e.xresp)
        else:
            resp = OKAY
        self._notify("write", addr, value & 0xFFFFFFFF, resp, strb)
        return resp

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
