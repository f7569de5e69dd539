"""Memory backdoor of spw_top's SRAM models (hdl/spw_sram_*.v), for tests
where the bus path is not under test.

Two paths:

* **bulk** (``load_*``, ``read_amem``, ``load``, ``dump_amem``; coroutines):
  a word range moves through one hex file and one ``$readmemh`` /
  ``$writememh`` in the SRAM model (its simulation-only ``bd_*`` request,
  absent under ``SYNTHESIS``).  This is the path for whole images: one VPI
  access per word made loading and dumping a `chip` AMem cost more than
  simulating the layer.  The hex text is built and parsed with numpy, never
  lane by lane in Python.
* **word** (``read_word`` / ``write_word``): one VPI access to ``mem_q``,
  for single pokes.

Ranges shorter than ``BULK_MIN_WORDS`` take the word path, where a file
round trip would cost more than the accesses.  ``SPW_BACKDOOR=word`` in the
environment sends everything the word path and reads all of AMem back
after a run, as the backdoor did before the bulk requests existed: the
benchmark's baseline, and a fallback should a simulator mishandle them.  Word layout is
models/memory.py's (lane i in bits [4i+3:4i]); AMem word a lives in bank
a & 1 (u_amem_even / u_amem_odd), row a >> 1.  Memories must be idle while
the backdoor is used.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from cocotb.handle import Immediate
from cocotb.triggers import Timer

from models.memory import Memories, ints_to_nibbles, nibbles_to_ints

__all__ = ["Backdoor", "BulkPort", "BULK_MIN_WORDS", "nibbles_to_hex", "hex_to_nibbles"]

# below this many words a range goes word by word (one bulk request is a
# file write, a file read and two simulator steps)
BULK_MIN_WORDS = 64


def bulk_enabled() -> bool:
    """False under SPW_BACKDOOR=word (see the module docstring)."""
    mode = os.environ.get("SPW_BACKDOOR", "bulk").strip().lower()
    if mode not in ("bulk", "word"):
        raise ValueError(f"SPW_BACKDOOR must be 'bulk' or 'word', not {mode!r}")
    return mode == "bulk"

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# ASCII -> nibble value; 255 marks a character that is not a hex digit (x, z)
_UNHEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _UNHEX[_c] = _i
    _UNHEX[ord(chr(_c).upper())] = _i
# $writememh may put "// 0x..." address comments between the words (Icarus does)
_COMMENT = re.compile(rb"//[^\n]*\n?")


def nibbles_to_hex(nibbles: np.ndarray) -> bytes:
    """(n, lanes) nibbles -> $readmemh text, one word per line, lane 0 in the
    last digit."""
    n, lanes = nibbles.shape
    text = np.empty((n, lanes + 1), dtype=np.uint8)
    text[:, :lanes] = _HEX[np.asarray(nibbles, dtype=np.uint8)[:, ::-1] & 15]
    text[:, lanes] = ord("\n")
    return text.tobytes()


def hex_to_nibbles(data: bytes, n: int, lanes: int, what: str) -> np.ndarray:
    """$writememh text of n words of `lanes` nibbles -> (n, lanes) nibbles."""
    body = _COMMENT.sub(b"", data).split()
    if len(body) != n or any(len(w) != lanes for w in body):
        raise RuntimeError(f"backdoor dump of {what}: expected {n} words of {lanes} hex digits, "
                           f"got {len(body)} words")
    digits = _UNHEX[np.frombuffer(b"".join(body), dtype=np.uint8).reshape(n, lanes)]
    if (digits == 255).any():
        row = int(np.nonzero((digits == 255).any(axis=1))[0][0])
        raise RuntimeError(f"backdoor dump of {what}: word {row} is not fully defined "
                           f"({body[row].decode()!r})")
    return digits[:, ::-1].copy()


def _changed_spans(changed: np.ndarray) -> list[tuple[int, int]]:
    """[lo, hi) spans covering the True entries, joining spans whose gap is
    shorter than BULK_MIN_WORDS (rewriting an unchanged word is harmless and
    cheaper than another request)."""
    idx = np.flatnonzero(changed)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > BULK_MIN_WORDS)
    los = np.concatenate(([idx[0]], idx[breaks + 1]))
    his = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(los.tolist(), his.tolist()))


class BulkPort:
    """The bd_* request of one SRAM model instance."""

    def __init__(self, inst, name: str, directory: Path):
        self.inst, self.name = inst, name
        self.file = directory / f"{name}.hex"
        chars = len(inst.bd_path) // 8
        # the simulator runs in this process and opens the file relative to
        # the same working directory, so a relative name stays short
        path = str(self.file)
        if len(path) > chars:
            raise RuntimeError(f"backdoor file name {path!r} is longer than the {chars} characters "
                               f"of {name}.bd_path")
        self.path_value = int.from_bytes(path.encode(), "big")

    async def _request(self, flag: str, first: int, last: int) -> None:
        inst = self.inst
        inst.bd_path.set(Immediate(self.path_value))
        inst.bd_first.set(Immediate(first))
        inst.bd_last.set(Immediate(last))
        # a rising edge of the flag runs the request in the simulator; each
        # level must be seen by the simulator (Verilator compares values per
        # evaluation), so each change is followed by one time step
        req = getattr(inst, flag)
        req.set(Immediate(0))
        await Timer(1, "step")
        req.set(Immediate(1))
        await Timer(1, "step")

    async def load(self, text: bytes, first: int, count: int) -> None:
        self.file.write_bytes(text)
        await self._request("bd_load", first, first + count - 1)

    async def dump(self, first: int, count: int, lanes: int) -> np.ndarray:
        self.file.unlink(missing_ok=True)
        await self._request("bd_dump", first, first + count - 1)
        return hex_to_nibbles(self.file.read_bytes(), count, lanes, f"{self.name}[{first}:+{count}]")


class Backdoor:
    def __init__(self, dut, directory: str | os.PathLike | None = None):
        self.dut = dut
        self.banks = (dut.u_amem_even.mem_q, dut.u_amem_odd.mem_q)
        self.wmem = dut.u_wmem.mem_q
        self.imem = dut.u_imem.mem_q
        self.rows = len(self.banks[0][0]) // 4
        self.wlanes = len(self.wmem[0]) // 4
        self.ibits = len(self.imem[0])
        self.bulk = bulk_enabled()
        self.min_bulk = BULK_MIN_WORDS if self.bulk else float("inf")
        # in the simulator's working directory (the test directory), one file
        # per memory and process, overwritten by each request
        self.dir = Path("backdoor" if directory is None else directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        tag = f".{os.getpid()}"
        self._amem = (BulkPort(dut.u_amem_even, "amem_even" + tag, self.dir),
                      BulkPort(dut.u_amem_odd, "amem_odd" + tag, self.dir))
        self._wmem = BulkPort(dut.u_wmem, "wmem" + tag, self.dir)
        self._imem = BulkPort(dut.u_imem, "imem" + tag, self.dir)

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
        # Immediate: the memories are idle while the backdoor is used, and an
        # immediate write skips cocotb's write scheduling
        self._cell(mem, word).set(Immediate(int(value)))

    # ------------------------------------------------------------ ranges
    async def load_imem(self, words, start: int = 0) -> None:
        """Write IMem words start .. start+len-1 (64-bit integers)."""
        words = [int(w) for w in words]
        if len(words) < self.min_bulk:
            for i, w in enumerate(words):
                self.write_word("imem", start + i, w)
            return
        digits = self.ibits // 4
        text = "".join(f"{w:0{digits}x}\n" for w in words).encode()
        await self._imem.load(text, start, len(words))

    async def load_wmem(self, nibbles: np.ndarray, start: int = 0) -> None:
        """Write WMem words start .. start+len-1 (nibbles: (n, cols))."""
        if len(nibbles) < self.min_bulk:
            for i, w in enumerate(nibbles_to_ints(nibbles)):
                self.write_word("wmem", start + i, w)
            return
        await self._wmem.load(nibbles_to_hex(nibbles), start, len(nibbles))

    async def read_wmem(self, start: int, count: int) -> np.ndarray:
        """WMem words start .. start+count-1 as (count, cols) nibbles."""
        if count < self.min_bulk:
            return ints_to_nibbles([self.read_word("wmem", a) for a in range(start, start + count)],
                                   self.wlanes)
        return await self._wmem.dump(start, count, self.wlanes)

    async def read_imem(self, start: int, count: int) -> list[int]:
        """IMem words start .. start+count-1 as integers."""
        if count < self.min_bulk:
            return [self.read_word("imem", a) for a in range(start, start + count)]
        digits = await self._imem.dump(start, count, self.ibits // 4)
        return nibbles_to_ints(digits)

    @staticmethod
    def _bank_rows(start: int, count: int, bank: int) -> tuple[int, int, int]:
        """(offset of the bank's first word in the range, its first row, rows)
        for AMem words start .. start+count-1 in bank `bank`."""
        off = (bank - start) & 1
        return off, (start + off) >> 1, max(0, (count - off + 1) // 2)

    async def load_amem(self, nibbles: np.ndarray, start: int = 0, current: np.ndarray | None = None) -> None:
        """Write AMem words start .. start+len-1 (nibbles: (n, rows)).

        ``current``: what those words hold now, if the caller knows it (say,
        the full dump read right after the last run).  Then only the words
        that differ are written: consecutive cases of a campaign share most
        of a mostly-zero image, and reading a file is the cost on a large
        AMem.  Wrong knowledge cannot hide a bug: a stale word shows in the
        next comparison of AMem with the golden model."""
        if current is not None and self.bulk:
            if current.shape != nibbles.shape:
                raise ValueError(f"current has shape {current.shape}, the words to load {nibbles.shape}")
            for lo, hi in _changed_spans((nibbles != current).any(axis=1)):
                await self.load_amem(nibbles[lo:hi], start + lo)
            return
        if len(nibbles) < self.min_bulk:
            for i, w in enumerate(nibbles_to_ints(nibbles)):
                self.write_word("amem", start + i, w)
            return
        for bank, port in enumerate(self._amem):
            off, row, n = self._bank_rows(start, len(nibbles), bank)
            if n:
                await port.load(nibbles_to_hex(nibbles[off::2]), row, n)

    async def read_amem(self, start: int, count: int) -> np.ndarray:
        """AMem words start .. start+count-1 as (count, rows) nibbles."""
        if count < self.min_bulk:
            return ints_to_nibbles([self.read_word("amem", a) for a in range(start, start + count)],
                                   self.rows)
        out = np.empty((count, self.rows), dtype=np.uint8)
        for bank, port in enumerate(self._amem):
            off, row, n = self._bank_rows(start, count, bank)
            if n:
                out[off::2] = await port.dump(row, n, self.rows)
        return out

    # ------------------------------------------------------------ written span
    def mark_amem_writes(self) -> None:
        """Start tracking AMem writes (the banks' bd_wlo / bd_whi, simulation
        only): from here on, every word written through the write ports,
        by the core or the host, lies within amem_written()."""
        for bank in (self.dut.u_amem_even, self.dut.u_amem_odd):
            bank.bd_wlo.set(Immediate(0xFFFF_FFFF))
            bank.bd_whi.set(Immediate(0))

    def amem_written(self) -> tuple[int, int] | None:
        """(lowest, highest) AMem word written since mark_amem_writes, or
        None if none was.  Raises if the trackers were never marked."""
        lo, hi = None, None
        for b, bank in enumerate((self.dut.u_amem_even, self.dut.u_amem_odd)):
            wlo, whi = bank.bd_wlo.value, bank.bd_whi.value
            if not (wlo.is_resolvable and whi.is_resolvable):
                raise RuntimeError("AMem write tracker read before mark_amem_writes()")
            wlo, whi = wlo.to_unsigned(), whi.to_unsigned()
            if wlo <= whi:
                lo = 2 * wlo + b if lo is None else min(lo, 2 * wlo + b)
                hi = 2 * whi + b if hi is None else max(hi, 2 * whi + b)
        return None if lo is None else (lo, hi)

    async def refresh_amem(self, before: np.ndarray) -> np.ndarray:
        """All of AMem now, given all of it as it was at mark_amem_writes():
        only the written span is read back, since nothing else can have
        changed (backdoor writes aside, which the caller made itself)."""
        if not self.bulk:
            return await self.read_amem(0, len(before))
        now = before.copy()
        span = self.amem_written()
        if span is not None:
            lo, hi = span
            now[lo: hi + 1] = await self.read_amem(lo, hi + 1 - lo)
        return now

    async def dump_amem(self, depth: int, rows: int) -> np.ndarray:
        assert rows == self.rows
        return await self.read_amem(0, depth)

    async def load(self, mem: Memories, imem_words: int | None = None, wmem_words: int | None = None) -> None:
        """Load a whole image: all of AMem (so no stale data survives between
        cases), and the first imem_words / wmem_words of IMem / WMem (all if
        None)."""
        await self.load_amem(mem.amem)
        await self.load_wmem(mem.wmem[: wmem_words if wmem_words is not None else len(mem.wmem)])
        await self.load_imem(mem.imem[: imem_words if imem_words is not None else len(mem.imem)])
