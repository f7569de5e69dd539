"""Memory backdoor: bulk load and dump of the SRAM models through their
arrays (``mem_q`` in hdl/spw_sram_*.v), for tests where the bus path is not
under test.  One VPI access per memory word, so only what a program needs
is written; words are packed and unpacked with numpy (models/memory.py),
because packing lane by lane in Python would cost more than the VPI
accesses themselves on `chip`.

Word layout is models/memory.py's (lane i in bits [4i+3:4i]); AMem word a
lives in bank a & 1 (u_amem_even / u_amem_odd), row a >> 1.
"""
from __future__ import annotations

import numpy as np
from cocotb.handle import Immediate

from models.memory import Memories, ints_to_nibbles, nibbles_to_ints

__all__ = ["Backdoor"]


class Backdoor:
    def __init__(self, dut):
        self.dut = dut
        self.banks = (dut.u_amem_even.mem_q, dut.u_amem_odd.mem_q)
        self.wmem = dut.u_wmem.mem_q
        self.imem = dut.u_imem.mem_q
        self.rows = len(self.banks[0][0]) // 4

    @staticmethod
    def _write(arr, start: int, words) -> None:
        # Immediate: the memories are idle while the backdoor is used, and an
        # immediate write skips cocotb's write scheduling
        for i, w in enumerate(words):
            arr[start + i].set(Immediate(int(w)))

    @staticmethod
    def _read(arr, start: int, n: int) -> list[int]:
        return [arr[start + i].value.to_unsigned() for i in range(n)]

    # ------------------------------------------------------------ single words
    def _cell(self, mem: str, word: int):
        """The simulator handle of word ``word`` of memory ``mem``."""
        if mem == "amem":
            return self.banks[word & 1][word >> 1]
        if mem == "wmem":
            return self.wmem[word]
        if mem == "imem":
            return self.imem[word]
        raise ValueError(f"unknown memory {mem!r}; choose amem, wmem or imem")

    def read_word(self, mem: str, word: int) -> int:
        """Word ``word`` of ``mem`` as one integer (the bus windows' layout)."""
        return self._cell(mem, word).value.to_unsigned()

    def write_word(self, mem: str, word: int, value: int) -> None:
        """Set word ``word`` of ``mem`` to the integer ``value``."""
        self._cell(mem, word).set(Immediate(int(value)))

    # ------------------------------------------------------------ ranges
    def load_imem(self, words, start: int = 0) -> None:
        self._write(self.imem, start, words)

    def load_wmem(self, nibbles: np.ndarray, start: int = 0) -> None:
        self._write(self.wmem, start, nibbles_to_ints(nibbles))

    def load_amem(self, nibbles: np.ndarray, start: int = 0) -> None:
        """Write AMem words start .. start+len-1 (nibbles: (n, rows))."""
        for i, w in enumerate(nibbles_to_ints(nibbles)):
            a = start + i
            self.banks[a & 1][a >> 1].set(Immediate(w))

    def read_amem(self, start: int, count: int) -> np.ndarray:
        """AMem words start .. start+count-1 as (count, rows) nibbles."""
        words = [self.banks[a & 1][a >> 1].value.to_unsigned() for a in range(start, start + count)]
        return ints_to_nibbles(words, self.rows)

    def dump_amem(self, depth: int, rows: int) -> np.ndarray:
        assert rows == self.rows
        return self.read_amem(0, depth)

    def load(self, mem: Memories, imem_words: int | None = None, wmem_words: int | None = None) -> None:
        """Load a whole image: all of AMem (so no stale data survives between
        cases), and the first imem_words / wmem_words of IMem / WMem (all if
        None)."""
        self.load_amem(mem.amem)
        self.load_wmem(mem.wmem[: wmem_words if wmem_words is not None else len(mem.wmem)])
        self.load_imem(mem.imem[: imem_words if imem_words is not None else len(mem.imem)])
