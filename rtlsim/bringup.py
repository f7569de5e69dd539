"""Clock and reset bring-up shared by the product runner and the benches."""
from __future__ import annotations

__all__ = ["CLK_PERIOD_NS", "start_clock", "reset"]

CLK_PERIOD_NS = 10


def start_clock(dut, period_ns: float = CLK_PERIOD_NS, signal: str = "clk_i"):
    """Start a free-running clock on ``dut.<signal>`` and return the Clock."""
    from cocotb.clock import Clock

    clk = Clock(getattr(dut, signal), period_ns, unit="ns")
    clk.start()
    return clk


async def reset(dut, cycles: int = 2, signal: str = "rst_ni", clk: str = "clk_i") -> None:
    """Pulse the async active-low reset for ``cycles`` clock cycles and release
    it just after a falling edge, so the first rising edge sees it inactive."""
    from cocotb.triggers import FallingEdge, RisingEdge

    rst = getattr(dut, signal)
    clock = getattr(dut, clk)
    rst.value = 0
    for _ in range(cycles):
        await RisingEdge(clock)
    await FallingEdge(clock)
    rst.value = 1
