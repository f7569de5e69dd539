"""Raw AXI4-Lite stress driver and the host-visible register/memory space
model it checks against (shared by verif/blocks/test_spw_host_if.py and
verif/system/test_spw_top.py).

``drive_raw`` drives the five channels cycle by cycle, bypassing HostBus:
random valid delays on AW, W and AR (AW and W in either order, sometimes far
apart) and random BREADY/RREADY backpressure.  Every response, and every read
datum the model knows, is checked against ``HostIfModel`` at its handshake.
``HostIfModel`` is the register and memory space as the host sees it, built
from models/spec.py (spec.REGS + the memory windows).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from models import spec

from rtlsim.host import DECERR, OKAY, SLVERR, mem_geometry

__all__ = ["MEM_NAMES", "REG_BY_OFF", "RW_MASK", "strb_mask", "HostIfModel", "Txn", "drive_raw",
           "stress_addr", "random_delay", "rand32", "unmapped_reg_offsets", "out_of_depth_addrs"]

MEM_NAMES = ("amem", "wmem", "imem")
REG_BY_OFF = {r.offset: r for r in spec.REGS}
# writable bits of the RW registers (the rest read 0)
RW_MASK = {"IRQ_ENABLE": spec.IRQ_DONE | spec.IRQ_ERROR, "START_PC": 0xFFFF}
PERF_REGS = ("PERF_CYCLES", "PERF_MAC_BUSY", "PERF_SKIPPED", "PERF_STALL")


def strb_mask(strb: int) -> int:
    return sum(0xFF << (8 * b) for b in range(4) if strb >> b & 1)


def rand32(rng) -> int:
    return int(rng.integers(0, 1 << 32, dtype="uint64"))


def unmapped_reg_offsets() -> list[int]:
    """Every 4-byte offset of the register window that is not a register."""
    return [a for a in range(0, spec.REG_WINDOW[1], 4) if a not in REG_BY_OFF]


def out_of_depth_addrs(cfg: spec.Config, name: str) -> list[int]:
    """First slot, last slot of the first out-of-depth word, and the window's
    last slot; empty when the memory fills its window."""
    base, bits, depth = mem_geometry(cfg, name)
    n = spec.slots_per_word(bits)
    end = base + depth * n * 4
    if end >= base + spec.WINDOW_BYTES:
        return []
    return [end, end + 4 * (n - 1), base + spec.WINDOW_BYTES - 4]


# --------------------------------------------------------------------------- model
class HostIfModel:
    """Register and memory space as the host sees it (spec.REGS + windows).
    Core-side state (busy, perf, run ends) is set by the bench."""

    def __init__(self, cfg: spec.Config):
        self.cfg = cfg
        self.busy = 0
        self.perf = [0, 0, 0, 0]
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
        """('reg', Reg) | ('mem', name, word, slot) | None (DECERR)."""
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
            "ID": spec.ID_VALUE, "VERSION": spec.VERSION_VALUE,
            "CONFIG": c.rows | c.cols << 8 | c.acc_w << 16,
            "ADEPTH": c.adepth, "WDEPTH": c.wdepth, "IDEPTH": c.idepth,
            "CTRL": 0,
            "STATUS": (spec.STATUS_BUSY if self.busy else 0) | (spec.STATUS_DONE if self.done else 0)
                      | (spec.STATUS_ERROR if self.error else 0),
            "ERR_CODE": self.err_code, "ERR_PC": self.err_pc,
            "IRQ_ENABLE": self.irq_en, "IRQ_STATUS": self.irq_st, "START_PC": self.start_pc,
            **{r: self.perf[i] for i, r in enumerate(PERF_REGS)},
        }[name]

    def slot_value(self, name: str, word: int, slot: int) -> int:
        return self.mem.get((name, word), 0) >> (32 * slot) & 0xFFFFFFFF

    def read(self, addr: int) -> tuple[int | None, int]:
        """(expected data or None if unspecified, RRESP)."""
        d = self.decode(addr)
        if d is None:
            return None, DECERR
        if d[0] == "reg":
            return self.reg_value(d[1].name), OKAY
        if self.busy:
            return None, SLVERR
        return self.slot_value(*d[1:]), OKAY

    def write(self, addr: int, data: int, strb: int) -> int:
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
        else:  # RW
            mask = RW_MASK[reg.name]
            old = getattr(self, {"IRQ_ENABLE": "irq_en", "START_PC": "start_pc"}[reg.name])
            new = ((old & ~m) | ones) & mask
            setattr(self, {"IRQ_ENABLE": "irq_en", "START_PC": "start_pc"}[reg.name], new)
        return OKAY

    def run_end(self, err_code: int, err_pc: int) -> None:
        self.done = 1
        self.error = int(err_code != 0)
        self.err_code = err_code
        self.err_pc = err_pc
        self.irq_st |= spec.IRQ_DONE | (spec.IRQ_ERROR if err_code else 0)


# --------------------------------------------------------------------------- driver
@dataclass
class Txn:
    addr: int
    data: int = 0
    strb: int = 0
    d_a: int = 0   # idle cycles before AW (or AR) valid
    d_w: int = 0   # idle cycles before W valid


class _Source:
    """One valid/ready source channel: queue, per-item idle delay, current item."""

    def __init__(self, items, delay_attr: str):
        self.q = deque(items)
        self.attr = delay_attr
        self.cur = None
        self.wait = getattr(self.q[0], delay_attr) if self.q else 0

    def prepare(self) -> None:
        if self.cur is None and self.q:
            if self.wait > 0:
                self.wait -= 1
            else:
                self.cur = self.q.popleft()

    def accepted(self) -> None:
        self.cur = None
        if self.q:
            self.wait = getattr(self.q[0], self.attr)


async def drive_raw(dut, rng, model: HostIfModel, writes: list[Txn], reads: list[Txn],
                    p_bready: float, p_rready: float, max_cycles: int, *,
                    prefix: str = "s_axil", clock=None, on_cycle: Callable | None = None,
                    observer: Callable | None = None, final_ready: int | None = None) -> dict:
    """Drive the five channels cycle by cycle.  Transactions execute in the
    order of their response handshakes (the DUT serializes them and holds the
    next until the response is taken), so the model is updated at each B/R
    handshake.  Also checks BVALID/RVALID stay up with stable payload until
    taken and that B and R never complete in the same cycle.

    ``on_cycle(cyc, aw, w, ar)`` is called after each edge (debug logging);
    ``observer(kind, addr, value, resp, strb)`` at each response handshake
    (the same signature as HostBus observers).  ``final_ready`` (0/1), if
    given, is left on BREADY/RREADY at the end (1 hands the bus back to a
    cocotb-bus master, which expects both high).  Returns handshake stats."""
    clk = clock if clock is not None else dut.clk_i

    def sig(name):
        return getattr(dut, f"{prefix}_{name}")

    aw, w, ar = _Source(writes, "d_a"), _Source(writes, "d_w"), _Source(reads, "d_a")
    pend_b, pend_r = deque(writes), deque(reads)
    stats = {"aw_first": 0, "w_first": 0, "together": 0, "b_stall": 0, "r_stall": 0, "cycles": 0}
    seen = {}  # write txn id -> cycle its AW / W was accepted
    prev_b = prev_r = None
    cyc = 0
    from cocotb.triggers import RisingEdge

    awvalid, awaddr, wvalid, wdata, wstrb = (sig(s) for s in ("awvalid", "awaddr", "wvalid", "wdata", "wstrb"))
    arvalid, araddr, bready, rready = (sig(s) for s in ("arvalid", "araddr", "bready", "rready"))
    awready, wready, arready = sig("awready"), sig("wready"), sig("arready")
    bvalid_s, bresp_s, rvalid_s, rresp_s, rdata_s = (sig(s) for s in ("bvalid", "bresp", "rvalid", "rresp", "rdata"))
    while pend_b or pend_r:
        cyc += 1
        assert cyc < max_cycles, f"stress hung: {len(pend_b)} writes, {len(pend_r)} reads pending"
        for ch in (aw, w, ar):
            ch.prepare()
        awvalid.value = int(aw.cur is not None)
        awaddr.value = aw.cur.addr if aw.cur else int(rng.integers(0, 1 << 20))
        wvalid.value = int(w.cur is not None)
        wdata.value = w.cur.data if w.cur else rand32(rng)
        wstrb.value = w.cur.strb if w.cur else int(rng.integers(0, 16))
        arvalid.value = int(ar.cur is not None)
        araddr.value = ar.cur.addr if ar.cur else int(rng.integers(0, 1 << 20))
        b_rdy = int(rng.random() < p_bready)
        r_rdy = int(rng.random() < p_rready)
        bready.value = b_rdy
        rready.value = r_rdy
        await RisingEdge(clk)
        # values sampled here are the ones before this edge
        if on_cycle is not None:
            on_cycle(cyc, aw, w, ar)
        if aw.cur is not None and int(awready.value):
            seen.setdefault(id(aw.cur), [None, None])[0] = cyc
            aw.accepted()
        if w.cur is not None and int(wready.value):
            seen.setdefault(id(w.cur), [None, None])[1] = cyc
            w.accepted()
        if ar.cur is not None and int(arready.value):
            ar.accepted()
        bvalid, rvalid = int(bvalid_s.value), int(rvalid_s.value)
        b_hs, r_hs = bvalid and b_rdy, rvalid and r_rdy
        assert not (b_hs and r_hs), "B and R completed in one cycle: execution order unknown"
        cur_b = (int(bresp_s.value),) if bvalid else None
        cur_r = (int(rresp_s.value), rdata_s.value) if rvalid else None
        if prev_b is not None:
            assert cur_b == prev_b, f"BVALID/BRESP changed before BREADY: {prev_b} -> {cur_b}"
        if prev_r is not None:
            assert cur_r is not None and cur_r[0] == prev_r[0] and str(cur_r[1]) == str(prev_r[1]), \
                "RVALID/RRESP/RDATA changed before RREADY"
        prev_b = cur_b if bvalid and not b_rdy else None
        prev_r = cur_r if rvalid and not r_rdy else None
        stats["b_stall"] += int(bvalid and not b_rdy)
        stats["r_stall"] += int(rvalid and not r_rdy)
        if b_hs:
            assert pend_b, "BVALID without a pending write"
            t = pend_b.popleft()
            a_c, w_c = seen.pop(id(t))
            assert a_c is not None and w_c is not None, "B before both AW and W were accepted"
            stats["aw_first" if a_c < w_c else "w_first" if w_c < a_c else "together"] += 1
            exp = model.write(t.addr, t.data, t.strb)
            if on_cycle is not None:
                dut._log.info("B  @%#07x d=%#010x s=%x resp=%d exp=%d", t.addr, t.data, t.strb, cur_b[0], exp)
            if observer is not None:
                observer("write", t.addr, t.data, cur_b[0], t.strb)
            assert cur_b[0] == exp, \
                f"write @ {t.addr:#07x} data {t.data:#010x} strb {t.strb:#x}: BRESP {cur_b[0]} != {exp}"
        if r_hs:
            assert pend_r, "RVALID without a pending read"
            t = pend_r.popleft()
            exp, exp_resp = model.read(t.addr)
            if on_cycle is not None:
                dut._log.info("R  @%#07x d=%s resp=%d exp=%s/%d", t.addr, cur_r[1], cur_r[0], exp, exp_resp)
            if observer is not None:
                try:
                    v = cur_r[1].to_unsigned()
                except ValueError:
                    v = 0
                observer("read", t.addr, v, cur_r[0], 0xF)
            assert cur_r[0] == exp_resp, f"read @ {t.addr:#07x}: RRESP {cur_r[0]} != {exp_resp}"
            if exp is not None:
                got = cur_r[1].to_unsigned()
                assert got == exp, f"read @ {t.addr:#07x}: {got:#010x} != {exp:#010x}"
    for v in (awvalid, wvalid, arvalid):
        v.value = 0
    if final_ready is not None:
        bready.value = final_ready
        rready.value = final_ready
    stats["cycles"] = cyc
    return stats


def stress_addr(rng, cfg: spec.Config, pools: dict) -> int:
    """Random byte address biased to interesting places; addr[1:0] random
    (must be ignored).  ``pools``: memory name -> candidate word indices."""
    lo = int(rng.integers(0, 4))
    k = rng.random()
    if k < 0.35:
        return spec.REGS[int(rng.integers(0, len(spec.REGS)))].offset | lo
    if k < 0.40:
        while True:
            a = int(rng.integers(0, spec.REG_WINDOW[1] // 4)) * 4
            if a not in REG_BY_OFF:
                return a | lo
    if k < 0.45:
        return int(rng.integers(spec.REG_WINDOW[1], spec.AMEM_BASE)) | lo
    name = MEM_NAMES[int(rng.integers(0, 3))]
    base, bits, depth = mem_geometry(cfg, name)
    n = spec.slots_per_word(bits)
    if k < 0.52:   # out of depth if there is such an address, else the window's last slot
        last = spec.WINDOW_BYTES // (4 * n) - 1
        word = int(rng.integers(min(depth, last), last + 1))
    else:
        word = int(rng.choice(pools[name]))
    return base + (word * n + int(rng.integers(0, n))) * 4 + lo


def random_delay(rng, long_p: float) -> int:
    """0 about half the time, else 1..3 idle cycles, or 4..23 with probability long_p."""
    k = rng.random()
    if k < long_p:
        return int(rng.integers(4, 24))
    return 0 if k < 0.5 + long_p / 2 else int(rng.integers(1, 4))
