"""Bench for hdl/spw_sequencer.v (in verif/blocks/tb_spw_sequencer.v, with its
IMem and WMem) against two models:

* an issue model written here from docs/architecture.md sections 5 and 6:
  for every group, tile and STEP word of the program, the step the decode
  stage must issue (WMem address, aligner word and lane offsets, bank reads,
  lane mask), what the MAC stage must see (first / last, the weight word) and
  what each capture hands the drain (tile, output address, columns, biases,
  the tile's keep mask of even-(y, x) pixels, layer constants including
  STRIDE2 and Ho*Wo);
* the ISS (models/iss.py): error code, error PC and performance counters.

The drain side (cap_ok_i, drain_quiet_i) is driven from here, in two modes:
``exact`` is the cycle-exact drain model (verif/common/drain_model.py), fed
with each capture the sequencer hands over, under which all four counters
must equal the cycle model and every capture must come while cap_ok is high
and stay inside AMem; ``random`` is any pattern a drain may produce
(the buffer frees at random, quiet comes late), under which the issued
stream, the error and the timing-independent counters must not change.

Programs: compiled random layers and two-layer networks at random START_PC,
a quarter of their layers stride 2 (the stride-2 checks: To against OSTRIDE
and the group's output range, STRIDE2 with acc mode),
and mutants of them (a word replaced, a bit flipped, an opcode changed, the
program cut short, a field at its maximum), which must stop with the ISS's
error at the ISS's PC, issue nothing after the fault, and never hang.  All
run back to back in one simulation without a reset.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cocotb.triggers import RisingEdge

from models import iss
from models import stimulus as S
from models.compiler import CompileError, compile_layer, compile_network
from models.isa import decode, opcode
from models.memory import Memories, nibbles_to_ints, num_tiles
from models.shiftpw import lane_mask, shift_offsets, tile_flags
from models.spec import (ACC_WORDS_PER_TILE, BIAS_PER_WORD, FIELDS, INSTR_BITS, OPCODE_BITS,
                         OPCODE_LSB, Err, Op, reserved_mask, tap_offset)
from verif.common import coverage as cov
from verif.common import make_rng, pack_lanes, unpack_lanes
from verif.common.bench import Bench, bring_up
from verif.common.drain_model import DrainModel, keep_mask

TOP = "tb_spw_sequencer"
BENCH = Bench("sequencer", __name__)
# clock cycles one program run takes, for the test timeout: programs are
# drawn up to max_cycles long, but average about 100 (small) to 200 (chip)
RUN_CYCLES = 500
# mon_o bit positions (tb_spw_sequencer.v)
M_SWAP, M_HI_OK, M_LO_OK, M_ODD_RE, M_EVEN_RE, M_WREQ, M_AL_VALID, M_STEP, M_FIRST, M_LAST, M_CAP, \
    M_BUSY, M_DONE = range(13)


# ---------------------------------------------------------------------------
# issue model
# ---------------------------------------------------------------------------
def expected_stream(cfg, imem: np.ndarray, start_pc: int, err: Err, err_pc: int):
    """(issues, macs, caps) the sequencer must produce, walking the program
    from start_pc up to END or up to the faulting word at err_pc (the ISS
    says which; every word before it is legal).

    issues: dict per decode-stage issue; macs: (first, last, weight word or
    None for a null step) per MAC-stage step; caps: dict per capture."""
    issues, macs, caps = [], [], []
    pc = start_pc
    cols = cfg.cols

    def word(a):
        return int(imem[a])

    def stop(a):
        return err != Err.NONE and a == err_pc

    while True:
        if stop(pc):
            return issues, macs, caps
        op, f, _ = decode(word(pc))
        if op == Op.END:
            return issues, macs, caps
        if op == Op.LAYER:
            lay = dict(f)
            lay["T"] = num_tiles(f["H"], f["W"], cfg.rows)
            pc += 1
            if stop(pc):
                return issues, macs, caps
            _, q, _ = decode(word(pc))
            lay.update(SCALE=q["SCALE"], SHIFT=q["SHIFT"])
            pc += 1
            continue
        assert op == Op.GROUP, f"pc {pc}: {op.name} where the model expects GROUP"
        g = dict(f)
        pc += 1
        bias = [0] * cols
        if lay["HAS_BIAS"]:
            for j in range(0, cols, BIAS_PER_WORD):
                if stop(pc):
                    return issues, macs, caps
                _, b, _ = decode(word(pc))
                for n in range(BIAS_PER_WORD):
                    bias[j + n] = b[f"B{n}"]
                pc += 1
        def issue_tile(t, steps, complete):
            for i, (tap, caddr) in enumerate(steps):
                issues.append(_issue(cfg, lay, t, tap, caddr, g["WBASE"] + i))
                macs.append((i == 0, complete and i == len(steps) - 1, g["WBASE"] + i))

        steps = []
        for s in range(g["NSTEPS"]):
            if stop(pc):      # a fault inside tile 0: the steps before it still issue
                issue_tile(0, steps, complete=False)
                return issues, macs, caps
            _, st, _ = decode(word(pc))
            steps.append((st["TAP"], st["CADDR"]))
            pc += 1
        for t in range(lay["T"]):
            if steps:
                issue_tile(t, steps, complete=True)
            else:
                issues.append(None)                 # a null step
                macs.append((True, True, None))
            caps.append(dict(tile=t, oaddr=g["OADDR"], ncols=g["NCOLS"], bias=tuple(bias),
                             ostride=lay["OSTRIDE"], acc=lay["MODE"], scale=lay["SCALE"],
                             shift=lay["SHIFT"], hw=lay["H"] * lay["W"], tiles=lay["T"],
                             keep=keep_mask(cfg.rows, lay["H"], lay["W"], t), stride2=lay["STRIDE2"],
                             howo=-(-lay["H"] // 2) * -(-lay["W"] // 2)))


def _issue(cfg, lay, t, tap, caddr, waddr):
    """What decode presents for STEP (tap, caddr) at tile t (section 6.1)."""
    rows, h, w, nt = cfg.rows, lay["H"], lay["W"], lay["T"]
    dy, dx = tap_offset(tap)
    wo, off = shift_offsets(w, rows, dy, dx)
    w0 = t + wo
    p = t * rows + np.arange(rows)
    mask = lane_mask(tile_flags(p // w, p % w, h, w), dy, dx)
    return dict(waddr=waddr, off=off, lo_ok=0 <= w0 < nt, hi_ok=0 <= w0 + 1 < nt,
                a0=caddr + w0, mask=pack_lanes(mask, 1), tap=tap, tile=t)


# ---------------------------------------------------------------------------
# drain handshake drivers
# ---------------------------------------------------------------------------
class RandomDrain:
    """Any legal drain: the buffer frees and the pipe goes quiet at random
    times, but only after the last capture's words could have been read."""

    def __init__(self, rng):
        self.rng = rng
        self.p_ok = float(rng.uniform(0.15, 0.9))
        self.p_quiet = float(rng.uniform(0.1, 0.9))
        self.busy = 0

    def handshake(self):
        """(cap_ok, quiet) for the next cycle, drawn anew on every call."""
        cap_ok = self.busy == 0 and self.rng.random() < self.p_ok
        quiet = cap_ok and self.rng.random() < self.p_quiet     # quiet implies a free buffer
        return cap_ok, quiet

    def clock(self, capture: dict | None = None):
        if capture is not None:
            words = capture["ncols"] * (ACC_WORDS_PER_TILE if capture["acc"] else 1)
            self.busy = int(self.rng.integers(0, words + 1))
        elif self.busy:
            self.busy -= 1


# ---------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------
class TB:
    def __init__(self, dut, cfg):
        self.dut, self.cfg = dut, cfg
        self.imem = np.zeros(cfg.idepth, np.uint64)      # what the RTL IMem holds
        self.wwords = None                               # WMem contents as words
        self.runs = self.checked_events = 0

    async def start(self, rng):
        d = self.dut
        await bring_up(d, start_i=0, start_pc_i=0, cap_ok_i=1, drain_quiet_i=1)
        for a in range(self.cfg.idepth):
            d.u_imem.mem_q[a].value = 0
        # distinct random weight words, so the MAC-stage word names its address
        self.wwords = nibbles_to_ints(rng.integers(0, 16, size=(self.cfg.wdepth, self.cfg.cols)))
        for a, v in enumerate(self.wwords):
            d.u_wmem.mem_q[a].value = v
        await RisingEdge(d.clk_i)

    def load_imem(self, image: np.ndarray):
        for a in np.flatnonzero(image != self.imem):
            self.dut.u_imem.mem_q[int(a)].value = int(image[a])
        self.imem = image.copy()

    async def run(self, name, image, start_pc, drain, max_cycles):
        """Run one program; returns the observed streams and counters."""
        cfg, d = self.cfg, self.dut
        self.load_imem(image)
        d.start_pc_i.value = start_pc
        d.start_i.value = 1
        await RisingEdge(d.clk_i)
        d.start_i.value = 0
        issues, macs, caps = [], [], []
        busy_cycles = 0
        cap_ok, quiet = drain.handshake()
        d.cap_ok_i.value, d.drain_quiet_i.value = int(cap_ok), int(quiet)
        for cyc in range(max_cycles):
            await RisingEdge(d.clk_i)
            mv = d.mon_o.value
            if not mv.is_resolvable:
                raise AssertionError(f"{name}: cycle {cyc}: mon_o = {mv}")
            m = int(mv)
            busy_cycles += (m >> M_BUSY) & 1
            if (m >> M_AL_VALID) & 1:
                if (m >> M_WREQ) & 1:
                    issues.append(dict(
                        waddr=int(d.wmem_addr_o.value), off=int(d.al_off_o.value),
                        lo_ok=bool((m >> M_LO_OK) & 1), hi_ok=bool((m >> M_HI_OK) & 1),
                        swap=(m >> M_SWAP) & 1, even_re=(m >> M_EVEN_RE) & 1, odd_re=(m >> M_ODD_RE) & 1,
                        even_row=int(d.amem_even_raddr_o.value), odd_row=int(d.amem_odd_raddr_o.value),
                        mask=int(d.al_mask_o.value)))
                else:
                    issues.append(dict(null=True, lo_ok=(m >> M_LO_OK) & 1, hi_ok=(m >> M_HI_OK) & 1,
                                       even_re=(m >> M_EVEN_RE) & 1, odd_re=(m >> M_ODD_RE) & 1,
                                       mask=int(d.al_mask_o.value)))
            if (m >> M_STEP) & 1:
                macs.append(((m >> M_FIRST) & 1, (m >> M_LAST) & 1, int(d.mac_w_o.value)))
            capture = None
            if (m >> M_CAP) & 1:
                bias_bus = int(d.cap_bias_o.value)
                capture = dict(tile=int(d.cap_tile_o.value), oaddr=int(d.cap_oaddr_o.value),
                               ncols=int(d.cap_ncols_o.value),
                               bias=tuple(int(b) for b in unpack_lanes(bias_bus, cfg.cols, 15, signed=True)),
                               ostride=int(d.ostride_o.value), acc=int(d.acc_mode_o.value),
                               scale=int(d.scale_o.value), shift=int(d.shift_o.value), hw=int(d.hw_o.value),
                               tiles=int(d.tiles_o.value), keep=int(d.cap_keep_o.value),
                               stride2=int(d.stride2_o.value), howo=int(d.howo_o.value))
                caps.append(capture)
            if (m >> M_DONE) & 1:
                break
            try:
                drain.clock(capture)
            except AssertionError as e:
                raise AssertionError(f"{name}: cycle {cyc}: {e}") from None
            cap_ok, quiet = drain.handshake()
            d.cap_ok_i.value, d.drain_quiet_i.value = int(cap_ok), int(quiet)
        else:
            raise AssertionError(f"{name}: no DONE within {max_cycles} cycles (hang)")
        # the core is idle again: a drain that settles in the meantime changes nothing
        d.cap_ok_i.value, d.drain_quiet_i.value = 1, 1
        await RisingEdge(d.clk_i)
        assert not (int(d.mon_o.value) >> M_BUSY) & 1, f"{name}: busy after DONE"
        counters = dict(cycles=int(d.perf_cycles_o.value), mac_busy=int(d.perf_mac_busy_o.value),
                        skipped=int(d.perf_skipped_o.value), stall=int(d.perf_stall_o.value))
        return dict(issues=issues, macs=macs, caps=caps, busy_cycles=busy_cycles, counters=counters,
                    err=int(d.err_code_o.value), err_pc=int(d.err_pc_o.value))

    def check(self, name, image, start_pc, res: iss.RunResult, got, exact: bool):
        cfg = self.cfg
        e_iss, e_mac, e_cap = expected_stream(cfg, image, start_pc, res.err, res.err_pc)
        log = self.dut._log
        assert (got["err"], got["err_pc"]) == (int(res.err), res.err_pc if res.err else 0), \
            f"{name}: ERR_CODE/ERR_PC {got['err']}/{got['err_pc']}, the ISS says {int(res.err)}/{res.err_pc}"
        assert len(got["issues"]) == len(e_iss), \
            f"{name}: {len(got['issues'])} steps issued, the issue model expects {len(e_iss)}"
        for i, (g, e) in enumerate(zip(got["issues"], e_iss)):
            where = f"{name}: issue {i}"
            if e is None:
                assert g.get("null") and not (g["lo_ok"] or g["hi_ok"] or g["even_re"] or g["odd_re"]
                                              or g["mask"]), f"{where}: a null step must read nothing: {g}"
                continue
            assert not g.get("null"), f"{where}: null step where the model expects {e}"
            assert g["waddr"] == e["waddr"], f"{where} (tile {e['tile']} tap {e['tap']}): WMem address " \
                                             f"{g['waddr']} != {e['waddr']}"
            assert (g["lo_ok"], g["hi_ok"]) == (e["lo_ok"], e["hi_ok"]), \
                f"{where} (tile {e['tile']} tap {e['tap']}): lo/hi word ok {g['lo_ok']}/{g['hi_ok']} " \
                f"!= {e['lo_ok']}/{e['hi_ok']}"
            if e["mask"]:
                assert g["off"] == e["off"], f"{where}: lane offset {g['off']} != {e['off']}"
            assert g["mask"] == e["mask"], f"{where} (tile {e['tile']} tap {e['tap']}): lane mask " \
                                           f"{g['mask']:#x} != {e['mask']:#x}"
            # the bank holding each needed word reads its row; a bank with no needed word stays off
            want = {0: None, 1: None}
            for ok, a in ((e["lo_ok"], e["a0"]), (e["hi_ok"], e["a0"] + 1)):
                if ok:
                    want[a & 1] = a >> 1
            for bank, re, row in ((0, g["even_re"], g["even_row"]), (1, g["odd_re"], g["odd_row"])):
                if want[bank] is None:
                    assert not re, f"{where}: bank {bank} read enabled for a word outside the channel"
                else:
                    assert re and row == want[bank], \
                        f"{where}: bank {bank} re={re} row={row}, expected row {want[bank]}"
            if e["lo_ok"] or e["hi_ok"]:
                assert g["swap"] == e["a0"] & 1, f"{where}: bank swap {g['swap']} for word {e['a0']}"
        assert len(got["macs"]) == len(e_mac), \
            f"{name}: {len(got['macs'])} MAC-stage steps, expected {len(e_mac)}"
        words = self.wwords
        for i, ((gf, gl, gw), (ef, el, ea)) in enumerate(zip(got["macs"], e_mac)):
            ew = 0 if ea is None else words[ea]
            assert (gf, gl) == (ef, el), f"{name}: MAC step {i}: first/last {gf}/{gl}, expected {ef}/{el}"
            assert gw == ew, f"{name}: MAC step {i}: weight word {gw:#x}, expected " + \
                ("0 (a null step)" if ea is None else f"WMem[{ea}] = {ew:#x}")
        assert len(got["caps"]) == len(e_cap), f"{name}: {len(got['caps'])} captures, expected {len(e_cap)}"
        for i, (g, e) in enumerate(zip(got["caps"], e_cap)):
            assert g == e, f"{name}: capture {i}: {g} != {e}"
        c = got["counters"]
        for k in ("mac_busy", "skipped"):
            assert c[k] == getattr(res, k), f"{name}: {k} {c[k]}, the ISS says {getattr(res, k)}"
        assert c["cycles"] == got["busy_cycles"], f"{name}: PERF_CYCLES {c['cycles']} but busy for " \
                                                  f"{got['busy_cycles']} cycles"
        if exact:
            for k in ("cycles", "stall"):
                assert c[k] == getattr(res, k), f"{name}: {k} {c[k]}, the cycle model says {getattr(res, k)}"
        self.runs += 1
        self.checked_events += len(e_iss) + len(e_mac) + len(e_cap)
        log.debug("%s: %d issues, %d captures, counters %s", name, len(e_iss), len(e_cap), c)


# ---------------------------------------------------------------------------
# programs
# ---------------------------------------------------------------------------
def legal_program(rng, cfg):
    """A compiled random layer or two-layer network: (memories, IMem words, text)."""
    if rng.random() < 0.6:
        case = S.draw_layer(rng, cfg, S.LAYER_DEFAULT.replace(max_hw=7, max_c=cfg.cols + 5,
                                                              strides=S.WITH_STRIDE2))
        prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode,
                             case.stride)
        desc = f"layer Cin={case.x.shape[0]} Cout={case.w.shape[0]} H={case.x.shape[1]} " \
               f"W={case.x.shape[2]} K={case.w.shape[2]} stride {case.stride} {case.mode}"
        inputs = {"x": case.x}
    else:
        # two layers, the second reading both the input and the first's output
        knobs = S.NetworkKnobs(layers=(2, 2), h=(1, 6), w=(1, 6), inputs=(1, 1), width=(1, cfg.cols + 3),
                               concat_p=1.0, residual_p=0.0, acc_classifier_p=0.5, strides=S.WITH_STRIDE2)
        inputs, layers = S.draw_network(rng, cfg, knobs)
        (x,) = inputs.values()
        prog = compile_network(cfg, x.shape[1], x.shape[2], {n: len(v) for n, v in inputs.items()}, layers)
        desc = (f"network {'->'.join(str(len(v)) for v in [x] + [lay.w for lay in layers])} "
                f"H={x.shape[1]} W={x.shape[2]} strides {[lay.stride for lay in layers]}")
    return prog.memories(inputs), [int(v) for v in prog.imem], desc


def place(rng, cfg, words, off_end: bool):
    """IMem image with the program at a random START_PC, or (off_end) at the
    very end of IMem without its END word, so that it runs off the end."""
    image = np.zeros(cfg.idepth, np.uint64)
    if off_end:
        words = words[:-1]
        start_pc = cfg.idepth - len(words)
        desc = "no END, ends at the last IMem word"
    else:
        # START_PC 0 on purpose: a uniform draw from 64 addresses misses it
        # (a coverage bin) in about a quarter of the regressions
        start_pc = 0 if rng.random() < 0.1 else int(rng.integers(1, 64))
        desc = ""
    image[start_pc:start_pc + len(words)] = np.array(words, np.uint64)
    return image, start_pc, desc


MUTATIONS = ("random word", "bit flip", "opcode", "cut", "END", "field at maximum", "reserved bit",
             "END first", "WBASE near the end", "OADDR near the end", "CADDR near the end", "TAP beyond 8",
             "OADDR at the limit", "STRIDE2 toggled", "STRIDE2 with acc", "duplicate")


def _set_field(word: int, op: Op, name: str, value: int) -> int:
    f = next(f for f in FIELDS[op] if f.name == name)
    return (word & ~(f.mask << f.lsb)) | (value & f.mask) << f.lsb


def _out_words(rows: int, lay: dict) -> int:
    """AMem words per output channel of a layer (docs/architecture.md 5, 6.3)."""
    if lay["STRIDE2"]:
        return num_tiles(-(-lay["H"] // 2) * -(-lay["W"] // 2), 1, rows)
    return num_tiles(lay["H"], lay["W"], rows) * (ACC_WORDS_PER_TILE if lay["MODE"] else 1)


def mutate(rng, cfg, image: np.ndarray, start_pc: int, n: int, kind: str):
    """One corruption of the program image (n words from start_pc)."""
    img = image.copy()
    i = start_pc + int(rng.integers(0, n))
    word = int(img[i])
    op = Op(opcode(word)) if opcode(word) in {int(o) for o in Op} else None
    if kind == "random word":
        word = int(rng.integers(0, 1 << 63)) << 1 | int(rng.integers(0, 2))
    elif kind == "bit flip":
        word ^= 1 << int(rng.integers(0, INSTR_BITS))
    elif kind == "opcode":
        word = (word & ~(((1 << OPCODE_BITS) - 1) << OPCODE_LSB)) | int(rng.integers(0, 16)) << OPCODE_LSB
    elif kind == "cut":
        img[i:] = 0
        return img, f"cut at {i}"
    elif kind == "END":
        word = int(Op.END) << OPCODE_LSB
    elif kind == "field at maximum" and op is not None and FIELDS[op]:
        f = FIELDS[op][int(rng.integers(0, len(FIELDS[op])))]
        word |= f.mask << f.lsb
        kind = f"{f.name} at maximum"
    elif kind == "reserved bit" and op is not None and reserved_mask(op):
        rsv = reserved_mask(op)
        word |= 1 << int(rng.choice([b for b in range(INSTR_BITS) if rsv >> b & 1]))
    elif kind == "END first":
        img[start_pc] = int(Op.END) << OPCODE_LSB
        return img, kind
    elif kind == "TAP beyond 8":
        at = [a for a in range(start_pc, start_pc + n) if opcode(int(img[a])) == Op.STEP]
        if not at:
            return img, f"{kind}: no STEP word"
        i = int(rng.choice(at))
        f = next(f for f in FIELDS[Op.STEP] if f.name == "TAP")
        word = (int(img[i]) & ~(f.mask << f.lsb)) | int(rng.integers(9, 16)) << f.lsb
    elif kind.startswith("STRIDE2"):
        # the stride-2 LAYER checks: OSTRIDE against To or T, MODE acc
        at = [a for a in range(start_pc, start_pc + n) if opcode(int(img[a])) == Op.LAYER]
        if not at:
            return img, f"{kind}: no LAYER word"
        i = int(rng.choice(at))
        _, f_, _ = decode(int(img[i]))
        word = _set_field(int(img[i]), Op.LAYER, "STRIDE2", 1 - f_["STRIDE2"])
        if kind == "STRIDE2 with acc":
            word = _set_field(_set_field(word, Op.LAYER, "STRIDE2", 1), Op.LAYER, "MODE", 1)
    elif kind == "OADDR at the limit":
        # the last OADDR whose group fits AMem, or one past it: the output
        # range check with the layer's words per channel (To with stride 2);
        # a stride-2 group whose To differs from T is preferred
        groups = []
        for a in range(start_pc, start_pc + n):
            if opcode(int(img[a])) == Op.LAYER:
                lay = decode(int(img[a]))[1]
            elif opcode(int(img[a])) == Op.GROUP:
                groups.append((a, lay))
        if not groups:
            return img, f"{kind}: no GROUP word"
        s2 = [(a, lay) for a, lay in groups if lay["STRIDE2"] and
              _out_words(cfg.rows, lay) != num_tiles(lay["H"], lay["W"], cfg.rows)]
        pick = s2 or groups
        i, lay = pick[int(rng.integers(0, len(pick)))]
        _, g, _ = decode(int(img[i]))
        value = cfg.adepth - (g["NCOLS"] - 1) * lay["OSTRIDE"] - _out_words(cfg.rows, lay) + int(rng.integers(0, 2))
        if not 0 <= value < 1 << 16:
            return img, f"{kind}: no such OADDR"
        word = _set_field(int(img[i]), Op.GROUP, "OADDR", value)
        kind = f"{kind} ({value}, stride {lay['STRIDE2'] + 1})"
    elif kind.endswith("near the end"):
        # an address just below a memory's end, so the group or channel ends past it
        name = kind.split()[0]
        op = Op.STEP if name == "CADDR" else Op.GROUP
        at = [a for a in range(start_pc, start_pc + n) if opcode(int(img[a])) == op]
        if not at:
            return img, f"{kind}: no such word"
        i = int(rng.choice(at))
        word = int(img[i])
        _, f_, _ = decode(word)
        if name == "WBASE":
            value = cfg.wdepth - int(rng.integers(0, max(1, f_["NSTEPS"])))
        else:
            value = cfg.adepth - int(rng.integers(0, 2))
        f = next(f for f in FIELDS[op] if f.name == name)
        word = (word & ~(f.mask << f.lsb)) | value << f.lsb
    else:
        img[i] = img[i + 1] if i + 1 < len(img) else 0
        return img, f"word {i} duplicated from {i + 1}"
    img[i] = word
    return img, f"{kind} at {i}"


async def run_programs(tb, rng, n_legal: int, n_bad: int, max_cycles: int):
    cfg = tb.cfg
    todo = ["legal"] * n_legal + ["bad"] * n_bad
    rng.shuffle(todo)
    errs = set()
    n_bad_done = 0      # bad programs cycle through the mutations, so each is used
    n_legal_done = 0    # every 4th legal program runs off the end of IMem (IMEM_RANGE)
    for j, kind in enumerate(todo):
        for _ in range(50):
            try:
                mem, words, desc = legal_program(rng, cfg)
            except CompileError:
                continue
            off_end = (n_legal_done % 4 == 1) if kind == "legal" else rng.random() < 0.1
            image, start_pc, how = place(rng, cfg, words, off_end)
            desc += f", {how}" if how else ""
            if kind == "bad":
                image, what = mutate(rng, cfg, image, start_pc, min(len(words), cfg.idepth - start_pc),
                                     MUTATIONS[n_bad_done % len(MUTATIONS)])
                desc += f", {what}"
            m = Memories(cfg, mem.amem.copy(), mem.wmem.copy(), image.copy())
            try:
                res = iss.run(m, start_pc)
            except iss.UndefinedProgram:
                continue          # a mutant layer that writes its own input: nothing to predict
            if res.cycles <= max_cycles:
                break
        else:
            raise RuntimeError("no program short enough")
        for mode in ("exact", "random"):
            drain = DrainModel(cfg.rows, cfg.adepth) if mode == "exact" else RandomDrain(rng)
            name = f"program {j} ({desc}; START_PC {start_pc}; {mode} drain)"
            got = await tb.run(name, image, start_pc, drain, max_cycles=40 * res.cycles + 2000)
            tb.check(name, image, start_pc, res, got, exact=mode == "exact")
            cov.sample_run(image, start_pc, {**got["counters"], "err": got["err"], "err_pc": got["err_pc"]})
        errs.add(res.err)
        n_bad_done += kind == "bad"
        n_legal_done += kind == "legal"
    return errs


@BENCH.test(cycles=lambda work, cfg: work["programs"] * 2 * RUN_CYCLES)
@cov.exported
async def test_programs(dut):
    """Legal programs and their mutants, each with an exact and a random drain."""
    cfg = BENCH.cfg
    rng = make_rng(dut, "sequencer_programs")
    tb = TB(dut, cfg)
    await tb.start(rng)
    n = BENCH.work["programs"]
    errs = await run_programs(tb, rng, n // 2, n - n // 2, BENCH.work["max_cycles"])
    dut._log.info("%d runs, %d events checked, error codes seen: %s", tb.runs, tb.checked_events,
                  sorted(Err(e).name for e in errs))
    missing = set(Err) - errs
    assert not missing or n < 40, f"outcomes never exercised: {sorted(e.name for e in missing)}"


def stride2_check_programs(rng, cfg):
    """Stride-2 layers whose To differs from T, with the fields the stride-2
    checks read at and one past their limits: (name, memories, IMem image,
    the error expected)."""
    out = []
    for h, w in ((7, 7), (5, 2 * cfg.rows + 1), (1, 3 * cfg.rows)):
        cin, cout = 2, cfg.cols + 3        # two groups, the last one partial
        wts = rng.integers(-8, 8, size=(cout, cin, 3, 3))
        prog = compile_layer(cfg, (cin, h, w), wts, None, 3, 4, "act", 2)
        mem = prog.memories({"x": rng.integers(0, 16, size=(cin, h, w))})
        words = [int(v) for v in prog.imem]
        lay_at = next(a for a, v in enumerate(words) if opcode(v) == Op.LAYER)
        grp_at = [a for a, v in enumerate(words) if opcode(v) == Op.GROUP]
        lay = decode(words[lay_at])[1]
        to = _out_words(cfg.rows, lay)
        assert to < num_tiles(h, w, cfg.rows), (h, w)
        variants = [("as compiled", {}, Err.NONE),
                    ("OSTRIDE = To", {lay_at: ("OSTRIDE", to)}, Err.NONE),
                    ("OSTRIDE = To - 1", {lay_at: ("OSTRIDE", to - 1)}, Err.BAD_FIELD),
                    ("MODE acc", {lay_at: ("MODE", 1)}, Err.BAD_FIELD)]
        g = decode(words[grp_at[-1]])[1]
        top = cfg.adepth - (g["NCOLS"] - 1) * lay["OSTRIDE"] - to
        variants += [("last group at the AMem end", {grp_at[-1]: ("OADDR", top)}, Err.NONE),
                     ("last group one past the AMem end", {grp_at[-1]: ("OADDR", top + 1)}, Err.AMEM_RANGE)]
        for name, edits, err in variants:
            image = np.zeros(cfg.idepth, np.uint64)
            ws = list(words)
            for a, (field, value) in edits.items():
                ws[a] = _set_field(ws[a], opcode(ws[a]), field, value)
            image[:len(ws)] = np.array(ws, np.uint64)
            out.append((f"stride 2 H={h} W={w} (T {num_tiles(h, w, cfg.rows)}, To {to}): {name}", mem, image, err))
    return out


# 18 programs, each with two drains, each run well under 2 * RUN_CYCLES
@BENCH.test(cycles=lambda work, cfg: 18 * 2 * 2 * RUN_CYCLES)
async def test_stride2_checks(dut):
    """The stride-2 LAYER and GROUP checks at their limits: OSTRIDE against
    To, the group's output range with To, STRIDE2 with acc mode."""
    cfg = BENCH.cfg
    rng = make_rng(dut, "sequencer_stride2")
    tb = TB(dut, cfg)
    await tb.start(rng)
    for name, mem, image, err in stride2_check_programs(rng, cfg):
        res = iss.run(Memories(cfg, mem.amem.copy(), mem.wmem.copy(), image.copy()), 0)
        assert res.err == err, f"{name}: the ISS says {res.err.name}, the test expects {err.name}"
        for mode in ("exact", "random"):
            drain = DrainModel(cfg.rows, cfg.adepth) if mode == "exact" else RandomDrain(rng)
            got = await tb.run(f"{name} ({mode} drain)", image, 0, drain, max_cycles=40 * res.cycles + 2000)
            tb.check(f"{name} ({mode} drain)", image, 0, res, got, exact=mode == "exact")
    dut._log.info("%d runs, %d events checked", tb.runs, tb.checked_events)


# --------------------------------------------------------------------------- pytest
@pytest.mark.parametrize("config", ["small", "chip"])
def test_spw_sequencer(config):
    BENCH.run(config, toplevel=TOP, modules=("spw_sequencer", "spw_lane_tracker", "spw_sram_1p"),
              extra_sources=(Path(__file__).parent / f"{TOP}.v",),
              params=("ROWS", "COLS", "ADEPTH", "WDEPTH", "IDEPTH"))
