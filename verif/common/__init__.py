"""Helpers shared by the cocotb benches (import inside cocotb tests).

``make_rng`` gives a numpy Generator seeded from ``cocotb.RANDOM_SEED`` (cocotb
seeds only Python's ``random``); ``start_clock`` / ``reset`` are the usual
clk_i / rst_ni bring-up (defined in ``rtlsim.bringup``, which the product
code shares).  The pytest side is ``rtlsim.build``.
"""
from __future__ import annotations

import zlib

import numpy as np

from rtlsim.bringup import CLK_PERIOD_NS, reset, start_clock

__all__ = ["make_rng", "start_clock", "reset", "CLK_PERIOD_NS", "pack_lanes", "unpack_lanes"]


def make_rng(dut=None, name: str = "") -> np.random.Generator:
    """numpy Generator from ``cocotb.RANDOM_SEED`` (logged).  ``name`` (e.g.
    the test name) decorrelates the tests of one simulator run while staying
    reproducible from the one seed."""
    import cocotb

    seed = int(cocotb.RANDOM_SEED)
    key = [seed, zlib.crc32(name.encode())] if name else [seed]
    log = dut._log if dut is not None else cocotb.log
    log.info("numpy rng seeded from cocotb.RANDOM_SEED=%d (name=%r)", seed, name)
    return np.random.default_rng(key)


def pack_lanes(values, width: int) -> int:
    """Lanes (lane i at bits [i*width +: width], two's complement for negative
    values) -> one integer for a wide bus."""
    mask = (1 << width) - 1
    v = 0
    for i, x in enumerate(values):
        v |= (int(x) & mask) << (i * width)
    return v


def unpack_lanes(value: int, n: int, width: int, signed: bool = False) -> np.ndarray:
    """Inverse of pack_lanes: int64 array of n lanes."""
    mask = (1 << width) - 1
    out = np.empty(n, np.int64)
    for i in range(n):
        x = (int(value) >> (i * width)) & mask
        if signed and x >> (width - 1):
            x -= 1 << width
        out[i] = x
    return out
