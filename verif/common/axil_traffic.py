"""Traffic for the raw AXI4-Lite driver (verif/common/axil_driver.py).

The probabilities (valid delays, backpressure, address bias, illegal-access
mix) are models/stimulus.py's ``BusKnobs`` and its draws; this module turns
them into the driver's write and read queues.
"""
from __future__ import annotations

from models import spec
from models.stimulus import BusKnobs, draw_bus_addr, draw_delay

from .axil_driver import Txn

__all__ = ["rand32", "rand_bits", "txn_lists", "random_txns"]

# registers with side effects, drawn more often than their share of the map
_ACTIVE_REGS = ("CTRL", "IRQ_STATUS", "IRQ_ENABLE", "START_PC")


def rand32(rng) -> int:
    return int(rng.integers(0, 1 << 32, dtype="uint64"))


def rand_bits(rng, bits: int) -> int:
    v = 0
    for i in range(0, bits, 32):
        v |= rand32(rng) << i
    return v & ((1 << bits) - 1)


def txn_lists(rng, ops: list[tuple], knobs: BusKnobs) -> tuple[list, list]:
    """Split ('write', addr, data, strb) / ('read', addr) operations into the
    driver's write and read queues, each with its own valid delays.  The
    slave executes them in the order of their responses, which the driver
    reports, so splitting loses nothing the scoreboard needs."""
    writes, reads = [], []
    for op in ops:
        if op[0] == "write":
            writes.append(Txn(op[1], op[2], op[3], draw_delay(rng, knobs), draw_delay(rng, knobs)))
        else:
            reads.append(Txn(op[1], d_a=draw_delay(rng, knobs)))
    return writes, reads


def random_txns(rng, cfg: spec.Config, pools: dict, n: int, knobs: BusKnobs,
                p_full_strb: float = 0.4, p_active_reg: float = 0.1) -> tuple[list, list]:
    """``n`` random writes and ``n`` random reads over the whole address map
    (draw_bus_addr, biased to registers, DECERR holes and the words of
    ``pools``: memory name -> word indices).  Writes use all four strobes
    with probability ``p_full_strb``, else random ones, and aim at a
    register with side effects with probability ``p_active_reg``."""
    writes, reads = [], []
    for _ in range(n):
        addr = draw_bus_addr(rng, cfg, pools, knobs)
        strb = 0xF if rng.random() < p_full_strb else int(rng.integers(0, 16))
        data = rand32(rng)
        if rng.random() < p_active_reg:
            addr = spec.REG[_ACTIVE_REGS[int(rng.integers(0, len(_ACTIVE_REGS)))]].offset
        writes.append(Txn(addr, data, strb, draw_delay(rng, knobs), draw_delay(rng, knobs)))
        reads.append(Txn(draw_bus_addr(rng, cfg, pools, knobs), d_a=draw_delay(rng, knobs)))
    return writes, reads
