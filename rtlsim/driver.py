"""System-level host driver for spw_top: clock and reset, memory loading
(backdoor or bus), start, wait for the IRQ, results and counters.  All bus
traffic goes through HostBus (rtlsim/host.py)."""
from __future__ import annotations

from cocotb.triggers import RisingEdge, with_timeout

from models import spec
from models.memory import Memories, nibbles_to_ints

from .backdoor import Backdoor
from .bringup import CLK_PERIOD_NS, reset, start_clock
from .host import OKAY, HostBus
from .outcome import RtlOutcome

__all__ = ["TopDriver"]

# RtlOutcome field -> the register it is read from
_OUTCOME_REGS = {"status": "STATUS", "err": "ERR_CODE", "err_pc": "ERR_PC",
                 **spec.PERF_REG, "irq_status": "IRQ_STATUS"}


class TopDriver:
    def __init__(self, dut, cfg: spec.Config):
        self.dut = dut
        self.cfg = cfg
        self.bus = HostBus(dut, cfg)
        self.backdoor = Backdoor(dut)

    async def start(self) -> None:
        start_clock(self.dut)
        await reset(self.dut)
        await RisingEdge(self.dut.clk_i)

    async def check_identity(self) -> None:
        for name, want in (("ID", spec.ID_VALUE), ("VERSION", spec.VERSION_VALUE),
                           ("ADEPTH", self.cfg.adepth), ("WDEPTH", self.cfg.wdepth),
                           ("IDEPTH", self.cfg.idepth), ("CONFIG", self.cfg.config_reg)):
            got, resp = await self.bus.read_reg(name)
            assert resp == OKAY and got == want, f"{name}: read {got:#x} resp {resp}, expected {want:#x}"

    async def load_bus(self, mem: Memories, imem_words: int, wmem_words: int, amem_words: int) -> None:
        """Load through the AXI4-Lite windows (slow: use for small images)."""
        await self.bus.write_mem_words("imem", 0, [int(v) for v in mem.imem[:imem_words]])
        await self.bus.write_mem_words("wmem", 0, nibbles_to_ints(mem.wmem[:wmem_words]))
        await self.bus.write_mem_words("amem", 0, nibbles_to_ints(mem.amem[:amem_words]))

    async def run(self, start_pc: int = 0, max_cycles: int = 1_000_000) -> RtlOutcome:
        """Start the program at start_pc, wait for the IRQ (at most
        ``max_cycles`` clock cycles), read status and counters, clear the IRQ."""
        bus = self.bus
        assert await bus.write_reg("IRQ_ENABLE", spec.IRQ_DONE | spec.IRQ_ERROR) == OKAY
        assert await bus.write_reg("START_PC", start_pc) == OKAY
        assert await bus.write_reg("CTRL", 1) == OKAY
        # the IRQ is low here (the last run's was cleared), but a short run can
        # finish before the START write's response is taken by a master that
        # holds BREADY low: then the IRQ is already up
        irq = self.dut.irq_o.value
        if not (irq.is_resolvable and int(irq)):
            await with_timeout(RisingEdge(self.dut.irq_o), max_cycles * CLK_PERIOD_NS, "ns")
        out = {}
        for key, reg in _OUTCOME_REGS.items():
            v, resp = await bus.read_reg(reg)
            assert resp == OKAY, f"read {reg}: resp {resp}"
            out[key] = v
        assert await bus.write_reg("IRQ_STATUS", out["irq_status"]) == OKAY
        return RtlOutcome(**out)

    async def dump_amem(self):
        return await self.backdoor.dump_amem(self.cfg.adepth, self.cfg.rows)
