"""Reference model of the host-visible register and memory space.

``HostIfModel`` answers, for any AXI4-Lite access, the response the slave
must give and, for a read, the data it must return, and applies a write's
effect.  It is built from models/spec.py alone (spec.REGS, the memory
windows, spec.PERF_REG, ``Config.config_reg``), so a change of the register
map reaches the benches without edits here.  Core-side state (busy, the
performance counters, run ends) comes from the core, not from the bus, so
the bench sets it as it drives the core side (``busy``, ``perf``,
``run_end``).  The addresses that must decode to DECERR are listed by
models/spec.py (``unmapped_reg_offsets``, ``out_of_depth_addrs``).
"""
from __future__ import annotations

from models import spec
from models.spec import MEM_NAMES, mem_geometry
from rtlsim.host import DECERR, OKAY, SLVERR

__all__ = ["REG_BY_OFF", "RW_MASK", "strb_mask", "HostIfModel"]

# window order above the register window: AMEM_BASE, WMEM_BASE, IMEM_BASE
REG_BY_OFF = {r.offset: r for r in spec.REGS}
# the bits an RW register keeps; the rest read 0
RW_MASK = {"IRQ_ENABLE": spec.IRQ_DONE | spec.IRQ_ERROR, "START_PC": 0xFFFF}
# model attribute behind each RW register
_RW_ATTR = {"IRQ_ENABLE": "irq_en", "START_PC": "start_pc"}


def strb_mask(strb: int) -> int:
    """32-bit mask of the byte lanes ``strb`` enables."""
    return sum(0xFF << (8 * b) for b in range(4) if strb >> b & 1)


class HostIfModel:
    """Register and memory space as the host sees it.

    ``mem`` maps (memory name, word) to the word's value; words never
    written read 0 here, so a bench that reads words it did not write must
    seed ``mem`` from the DUT first.  ``perf`` maps each of
    spec.PERF_COUNTERS to the value the core presents.
    """

    def __init__(self, cfg: spec.Config):
        self.cfg = cfg
        self.busy = 0
        self.perf = {c: 0 for c in spec.PERF_COUNTERS}
        self.done = self.error = 0
        self.err_code = self.err_pc = 0
        self.irq_en = self.irq_st = 0
        self.start_pc = 0
        self.starts = 0
        self.mem: dict[tuple[str, int], int] = {}

    @property
    def irq(self) -> int:
        return int(bool(self.irq_st & self.irq_en))

    def decode(self, addr: int):
        """('reg', Reg) | ('mem', name, word, slot) | None (DECERR).
        addr[1:0] do not select anything, as AXI4-Lite requires."""
        addr &= (1 << spec.AXI_ADDR_BITS) - 1
        win = addr // spec.WINDOW_BYTES
        if win == 0:
            if addr < spec.REG_WINDOW[1] and (addr & ~3) in REG_BY_OFF:
                return ("reg", REG_BY_OFF[addr & ~3])
            return None
        name = MEM_NAMES[win - 1]
        _, bits, depth = mem_geometry(self.cfg, name)
        n = spec.slots_per_word(bits)
        idx = (addr % spec.WINDOW_BYTES) >> 2
        word, slot = divmod(idx, n)
        return None if word >= depth else ("mem", name, word, slot)

    def reg_value(self, name: str) -> int:
        c = self.cfg
        return {
            "ID": spec.ID_VALUE, "VERSION": spec.VERSION_VALUE, "CONFIG": c.config_reg,
            "ADEPTH": c.adepth, "WDEPTH": c.wdepth, "IDEPTH": c.idepth,
            "CTRL": 0,
            "STATUS": (spec.STATUS_BUSY if self.busy else 0) | (spec.STATUS_DONE if self.done else 0)
                      | (spec.STATUS_ERROR if self.error else 0),
            "ERR_CODE": self.err_code, "ERR_PC": self.err_pc,
            "IRQ_ENABLE": self.irq_en, "IRQ_STATUS": self.irq_st, "START_PC": self.start_pc,
            **{spec.PERF_REG[k]: v for k, v in self.perf.items()},
        }[name]

    def slot_value(self, name: str, word: int, slot: int) -> int:
        return self.mem.get((name, word), 0) >> (32 * slot) & 0xFFFFFFFF

    def read(self, addr: int) -> tuple[int | None, int]:
        """(expected data, or None where the spec leaves it open; RRESP)."""
        d = self.decode(addr)
        if d is None:
            return None, DECERR
        if d[0] == "reg":
            return self.reg_value(d[1].name), OKAY
        if self.busy:
            return None, SLVERR
        return self.slot_value(*d[1:]), OKAY

    def write(self, addr: int, data: int, strb: int) -> int:
        """Apply a write's effect; returns the BRESP it must get."""
        d = self.decode(addr)
        if d is None:
            return DECERR
        m = strb_mask(strb)
        if d[0] == "mem":
            if self.busy:
                return SLVERR
            _, name, word, slot = d
            sm = m << (32 * slot)
            old = self.mem.get((name, word), 0)
            self.mem[(name, word)] = (old & ~sm) | ((data << (32 * slot)) & sm)
            return OKAY
        reg = d[1]
        ones = data & m
        if reg.access == "RO":
            return SLVERR
        if reg.name == "CTRL":
            if ones & 1:
                if self.busy:
                    return SLVERR
                self.starts += 1
                self.done = self.error = 0
                self.err_code = 0
        elif reg.name == "IRQ_STATUS":
            self.irq_st &= ~ones
        else:
            attr = _RW_ATTR[reg.name]
            setattr(self, attr, ((getattr(self, attr) & ~m) | ones) & RW_MASK[reg.name])
        return OKAY

    def run_end(self, err_code: int, err_pc: int) -> None:
        """The core's done pulse: latch the outcome and raise IRQ_STATUS."""
        self.done = 1
        self.error = int(err_code != 0)
        self.err_code = err_code
        self.err_pc = err_pc
        self.irq_st |= spec.IRQ_DONE | (spec.IRQ_ERROR if err_code else 0)
