"""The one machine-readable definition of the chip: configurations, ISA, error
codes, register map and timing constants.

Everything else reads this module: the compiler, the instruction-level
simulator, the testbenches, the docs generator and the generator of the RTL
header ``hdl/spw_defs.vh``.  Change a number here and nowhere else.
See docs/architecture.md and docs/isa.md for the prose.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# ---------------------------------------------------------------------------
# Numerics
# ---------------------------------------------------------------------------
ACT_BITS = 4          # activations: unsigned, [0, 15]
ACT_MIN, ACT_MAX = 0, 15
W_BITS = 4            # weights: signed two's complement, [-8, 7]
W_MIN, W_MAX = -8, 7
# Extremes of one product a*w: 15*-8 and 15*7.
PROD_MIN, PROD_MAX = ACT_MAX * W_MIN, ACT_MAX * W_MAX
BIAS_BITS = 15        # per-output-channel bias, signed, four to a BIAS word
BIAS_MIN, BIAS_MAX = -(1 << (BIAS_BITS - 1)), (1 << (BIAS_BITS - 1)) - 1
SCALE_BITS = 16       # requant multiplier, unsigned
SCALE_MAX = (1 << SCALE_BITS) - 1
SHIFT_BITS = 5        # requant right shift, 0..31
SHIFT_MAX = (1 << SHIFT_BITS) - 1
# Raw-accumulator ("acc" mode) outputs are int32, stored as 8 nibble planes.
ACC_OUT_BITS = 32
ACC_WORDS_PER_TILE = ACC_OUT_BITS // ACT_BITS   # 8 AMem words per channel tile

MODE_ACT, MODE_ACC = 0, 1
MODES = {"act": MODE_ACT, "acc": MODE_ACC}

# Kernel taps: tap = (dy + 1) * 3 + (dx + 1), so tap 4 is the centre (dy = dx = 0).
NUM_TAPS = 9
TAP_CENTER = 4


def tap_of(dy: int, dx: int) -> int:
    if not (-1 <= dy <= 1 and -1 <= dx <= 1):
        raise ValueError(f"tap offset (dy={dy}, dx={dx}) outside the 3x3 window")
    return (dy + 1) * 3 + (dx + 1)


def tap_offset(tap: int) -> tuple[int, int]:
    if not 0 <= tap < NUM_TAPS:
        raise ValueError(f"tap {tap} outside 0..8")
    return tap // 3 - 1, tap % 3 - 1


# ---------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------
def _bits_for_signed(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in [lo, hi]."""
    n = 1
    while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
        n += 1
    return n


@dataclass(frozen=True)
class Config:
    name: str
    rows: int       # pixel lanes per AMem word = MAC array rows
    cols: int       # output channels per WMem word = MAC array columns
    adepth: int     # AMem words (each rows x 4 bit), split into even/odd banks
    wdepth: int     # WMem words (each cols x 4 bit)
    idepth: int     # IMem words (64 bit)

    @property
    def acc_w(self) -> int:
        """Accumulator width.  A tile accumulates at most one product per
        step, and a group has at most wdepth steps (each step consumes its own
        WMem word, and the sequencer checks WBASE + NSTEPS <= wdepth), so
        |acc| <= 120 * wdepth.  This width can therefore never overflow, for
        any IMem content."""
        return _bits_for_signed(PROD_MIN * self.wdepth, PROD_MAX * self.wdepth)

    @property
    def sum_w(self) -> int:
        """Width of acc + bias at the drain (one bit more than needed is
        cheaper to reason about than the exact bound)."""
        return max(self.acc_w, BIAS_BITS) + 1

    @property
    def bias_words(self) -> int:
        """BIAS instruction words per group when the layer has a bias."""
        return self.cols // BIAS_PER_WORD

    @property
    def amem_bytes_per_word(self) -> int:
        return self.rows * ACT_BITS // 8

    @property
    def wmem_bytes_per_word(self) -> int:
        return self.cols * W_BITS // 8

    @property
    def config_reg(self) -> int:
        """Value of the read-only CONFIG register (see REGS)."""
        return self.rows | self.cols << 8 | self.acc_w << 16

    def hdl_params(self) -> dict[str, int]:
        """Verilog parameters of spw_top (and of any block with the same
        parameter names) for this configuration."""
        return {"ROWS": self.rows, "COLS": self.cols, "ADEPTH": self.adepth, "WDEPTH": self.wdepth,
                "IDEPTH": self.idepth, "ACC_W": self.acc_w}

    def check(self) -> None:
        for f in ("rows", "cols"):
            v = getattr(self, f)
            if v < 8 or v & (v - 1):
                raise ValueError(f"config {self.name}: {f}={v} must be a power of two >= 8")
        if self.cols % BIAS_PER_WORD:
            raise ValueError(f"config {self.name}: cols must be a multiple of {BIAS_PER_WORD}")
        if self.adepth % 2:
            raise ValueError(f"config {self.name}: adepth must be even (two banks)")
        for f in ("adepth", "wdepth", "idepth"):
            if not 2 <= getattr(self, f) <= 1 << ADDR_FIELD_BITS:
                raise ValueError(f"config {self.name}: {f} out of range")


ADDR_FIELD_BITS = 16   # width of every address field in the ISA
BIAS_PER_WORD = 4

CONFIGS = {
    # Fast regressions: 8x8 array, small memories.
    "small": Config("small", rows=8, cols=8, adepth=4096, wdepth=4096, idepth=4096),
    # The seed chip: 32x32 array, AMem 16k x 32 x 4b, WMem 16k x 32 x 4b, IMem 16k x 64b.
    "chip": Config("chip", rows=32, cols=32, adepth=16384, wdepth=16384, idepth=16384),
}
for _c in CONFIGS.values():
    _c.check()


def get_config(name: str) -> Config:
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown config {name!r}; choose one of {sorted(CONFIGS)}") from None


# ---------------------------------------------------------------------------
# ISA: 64-bit instructions, opcode in [63:60]
# ---------------------------------------------------------------------------
INSTR_BITS = 64
OPCODE_LSB, OPCODE_BITS = 60, 4


class Op(IntEnum):
    LAYER = 0x1   # layer geometry and output layout
    LAYERQ = 0x2  # requantization parameters; must follow LAYER
    GROUP = 0x3   # one output-channel group of COLS channels
    BIAS = 0x4    # four 15-bit biases (cols/4 words follow GROUP if HAS_BIAS)
    STEP = 0x5    # one valid (input channel, tap) step, one WMem word
    END = 0xF     # end of program
    # every other opcode (0x0 included, so zeroed IMem is caught) is illegal


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    doc: str

    @property
    def msb(self) -> int:
        return self.lsb + self.width - 1

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


def _fields(*fs: tuple[str, int, int, str]) -> tuple[Field, ...]:
    out = tuple(Field(*f) for f in fs)
    used = 0
    for f in out:
        m = f.mask << f.lsb
        assert not used & m, f"overlapping field {f.name}"
        assert f.msb < OPCODE_LSB
        used |= m
    return out


# Field layout per opcode.  Bits not covered by a field are reserved and
# must be zero (ERR_RESERVED otherwise).
FIELDS: dict[Op, tuple[Field, ...]] = {
    Op.LAYER: _fields(
        ("H", 50, 10, "image height in pixels, 1..1023"),
        ("W", 40, 10, "image width in pixels, 1..1023"),
        ("OSTRIDE", 24, 16, "AMem words between consecutive output channels"),
        ("NDENSE", 8, 16, "dense steps per tile (Cin*K*K); counts skipped steps"),
        ("STRIDE2", 2, 1, "1 = stride 2: keep the outputs at even (y, x); act mode only"),
        ("MODE", 1, 1, "0 = act (requantize to 4 bit), 1 = acc (raw int32)"),
        ("HAS_BIAS", 0, 1, "1 = every GROUP is followed by cols/4 BIAS words"),
    ),
    Op.LAYERQ: _fields(
        ("SCALE", 8, 16, "requant multiplier, unsigned"),
        ("SHIFT", 0, 5, "requant right shift, 0..31"),
    ),
    Op.GROUP: _fields(
        ("OADDR", 44, 16, "AMem address of the group's first output channel, word 0"),
        ("NCOLS", 38, 6, "output channels in this group, 1..cols"),
        ("WBASE", 22, 16, "WMem address of the group's first weight word"),
        ("NSTEPS", 6, 16, "STEP words that follow (after the BIAS words); 0 = empty group"),
    ),
    Op.BIAS: _fields(
        ("B0", 0, 15, "bias of column 4k+0, signed"),
        ("B1", 15, 15, "bias of column 4k+1, signed"),
        ("B2", 30, 15, "bias of column 4k+2, signed"),
        ("B3", 45, 15, "bias of column 4k+3, signed"),
    ),
    Op.STEP: _fields(
        ("TAP", 56, 4, "(dy+1)*3 + (dx+1), 0..8"),
        ("CADDR", 40, 16, "AMem address of the input channel's word 0"),
    ),
    Op.END: _fields(),
}

DIM_MAX = (1 << 10) - 1     # largest H or W (10-bit LAYER fields)


def reserved_mask(op: Op) -> int:
    used = ((1 << OPCODE_BITS) - 1) << OPCODE_LSB
    for f in FIELDS[op]:
        used |= f.mask << f.lsb
    return ((1 << INSTR_BITS) - 1) & ~used


# ---------------------------------------------------------------------------
# Error codes (ERR_CODE register).  When one instruction has several faults,
# the lowest-numbered check in this order wins: opcode, sequence, reserved
# bits, field values, WMem range, AMem range.  IMEM_RANGE is raised by a fetch
# beyond IMem, before any decode.
# ---------------------------------------------------------------------------
class Err(IntEnum):
    NONE = 0
    ILLEGAL_OPCODE = 1   # opcode not in Op
    EMPTY_PROGRAM = 2    # the first instruction is END
    MALFORMED = 3        # instruction kind not allowed here (sequence grammar)
    RESERVED = 4         # a reserved bit is set
    BAD_FIELD = 5        # H/W = 0, NCOLS 0 or > cols, TAP > 8, OSTRIDE too small, NDENSE < NSTEPS,
                         # STRIDE2 with MODE acc
    IMEM_RANGE = 6       # fetch at an address >= idepth
    WMEM_RANGE = 7       # WBASE + NSTEPS > wdepth
    AMEM_RANGE = 8       # an input channel or the group's output lies beyond adepth


# ---------------------------------------------------------------------------
# Timing (cycle model).  The RTL is held to these; docs/architecture.md
# explains the pipeline they describe.
# ---------------------------------------------------------------------------
FETCH_LAT = 1      # busy cycle 0 reads IMem[START_PC]; its decode is in cycle 1
DECODE_PREP = 1    # LAYER and GROUP words spend this many extra decode slots
                   # first, registering their products and range sums (H*W,
                   # (NCOLS-1)*OSTRIDE, ...), so no check sets the clock
ISSUE_TO_MAC = 3   # a step decoded in cycle x does its MAC in cycle x + 3
                   # (x: addresses to AMem/WMem; x+1: funnel shift; x+2: mask; x+3: MAC)
REQ_LAT = 2        # drain word k of a tile captured in cycle e is read from the
                   # drain buffer in cycle e+1+k and written to AMem in cycle e+1+k+REQ_LAT


# ---------------------------------------------------------------------------
# Host interface: AXI4-Lite, 32-bit data, 20-bit byte addresses.
# ---------------------------------------------------------------------------
AXI_ADDR_BITS = 20
AXI_DATA_BITS = 32

ID_VALUE = 0x53504D41        # "SPMA": Shift-PW MAC Array
VERSION_VALUE = 0x00010000   # major[31:24].minor[23:16].patch[15:0] = 0.1.0


@dataclass(frozen=True)
class Reg:
    name: str
    offset: int
    access: str   # "RO", "RW", "W1S" (write 1 to act, reads 0), "W1C"
    doc: str


REGS: tuple[Reg, ...] = (
    Reg("ID", 0x000, "RO", "constant 0x53504D41 ('SPMA')"),
    Reg("VERSION", 0x004, "RO", "major[31:24] minor[23:16] patch[15:0]"),
    Reg("CONFIG", 0x008, "RO", "rows[7:0] cols[15:8] acc_w[23:16]"),
    Reg("ADEPTH", 0x00C, "RO", "AMem words"),
    Reg("WDEPTH", 0x010, "RO", "WMem words"),
    Reg("IDEPTH", 0x014, "RO", "IMem words"),
    Reg("CTRL", 0x020, "W1S", "bit0 START: run from START_PC (SLVERR while busy)"),
    Reg("STATUS", 0x024, "RO", "bit0 BUSY, bit1 DONE, bit2 ERROR (DONE/ERROR cleared by START)"),
    Reg("ERR_CODE", 0x028, "RO", "Err of the last run (0 = none)"),
    Reg("ERR_PC", 0x02C, "RO", "IMem address of the faulting instruction"),
    Reg("IRQ_ENABLE", 0x030, "RW", "bit0 DONE, bit1 ERROR"),
    Reg("IRQ_STATUS", 0x034, "W1C", "bit0 DONE, bit1 ERROR; irq = |(IRQ_STATUS & IRQ_ENABLE)"),
    Reg("START_PC", 0x038, "RW", "IMem address of the first instruction"),
    Reg("PERF_CYCLES", 0x040, "RO", "busy cycles of the last run"),
    Reg("PERF_MAC_BUSY", 0x044, "RO", "cycles in which the array did a step"),
    Reg("PERF_SKIPPED", 0x048, "RO", "dense steps not executed: sum over tiles of NDENSE - NSTEPS"),
    Reg("PERF_STALL", 0x04C, "RO", "cycles the pipeline waited for the drain buffer or a layer barrier"),
)
REG = {r.name: r for r in REGS}
STATUS_BUSY, STATUS_DONE, STATUS_ERROR = 1 << 0, 1 << 1, 1 << 2
IRQ_DONE, IRQ_ERROR = 1 << 0, 1 << 1
PERF_COUNTERS = ("cycles", "mac_busy", "skipped", "stall")
# performance counter -> its register
PERF_REG = {c: f"PERF_{c.upper()}" for c in PERF_COUNTERS}

# Memory windows: byte base addresses.  A memory word takes the smallest
# power-of-two number of 32-bit slots that holds it; slot j carries bits
# [32j+31:32j].  An access beyond the memory's depth gets DECERR, an access to
# a window while the core is busy gets SLVERR.
REG_WINDOW = (0x00000, 0x01000)
AMEM_BASE = 0x40000
WMEM_BASE = 0x80000
IMEM_BASE = 0xC0000
WINDOW_BYTES = 0x40000


def slots_per_word(bits: int) -> int:
    n = 1
    while n * AXI_DATA_BITS < bits:
        n *= 2
    return n


def window_bytes(depth: int, word_bits: int) -> int:
    return depth * slots_per_word(word_bits) * 4


MEM_NAMES = ("amem", "wmem", "imem")   # in window order, after the registers


def mem_geometry(cfg: Config, mem_name: str) -> tuple[int, int, int]:
    """(window base, word bits, depth) of memory ``mem_name`` in ``cfg``."""
    name = mem_name.lower()
    if name == "amem":
        return AMEM_BASE, cfg.rows * ACT_BITS, cfg.adepth
    if name == "wmem":
        return WMEM_BASE, cfg.cols * W_BITS, cfg.wdepth
    if name == "imem":
        return IMEM_BASE, INSTR_BITS, cfg.idepth
    raise ValueError(f"unknown memory {mem_name!r}; choose one of {list(MEM_NAMES)}")


def mem_addr(cfg: Config, mem_name: str, word: int, slot: int = 0) -> int:
    """Byte address of 32-bit ``slot`` of ``word`` of ``mem_name`` (no depth
    check, so out-of-depth addresses can be made on purpose)."""
    base, bits, _ = mem_geometry(cfg, mem_name)
    return base + (word * slots_per_word(bits) + slot) * 4


def unmapped_reg_offsets() -> list[int]:
    """Every 4-byte offset of the register window that is not a register
    (each decodes to DECERR)."""
    regs = {r.offset for r in REGS}
    return [a for a in range(0, REG_WINDOW[1], 4) if a not in regs]


def out_of_depth_addrs(cfg: Config, mem_name: str) -> list[int]:
    """First slot, last slot of the first out-of-depth word, and the window's
    last slot (each decodes to DECERR); empty when the memory fills its
    window."""
    base, bits, depth = mem_geometry(cfg, mem_name)
    n = slots_per_word(bits)
    end = base + depth * n * 4
    if end >= base + WINDOW_BYTES:
        return []
    return [end, end + 4 * (n - 1), base + WINDOW_BYTES - 4]


for _c in CONFIGS.values():
    assert window_bytes(_c.adepth, _c.rows * ACT_BITS) <= WINDOW_BYTES
    assert window_bytes(_c.wdepth, _c.cols * W_BITS) <= WINDOW_BYTES
    assert window_bytes(_c.idepth, INSTR_BITS) <= WINDOW_BYTES
