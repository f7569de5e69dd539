"""Encode and decode 64-bit instructions, using only the layout in spec.FIELDS."""
from __future__ import annotations

from .spec import FIELDS, INSTR_BITS, OPCODE_BITS, OPCODE_LSB, Op, reserved_mask

# Fields holding two's-complement values; all others are unsigned.
SIGNED_FIELDS = frozenset({"B0", "B1", "B2", "B3"})
_OPS = {int(o) for o in Op}
# Per opcode: (name, lsb, mask, sign bit or 0) of each field, and the reserved
# bits; precomputed because decode runs once per instruction in the ISS.
_LAYOUT = {int(op): (op, tuple((f.name, f.lsb, f.mask, (1 << (f.width - 1)) if f.name in SIGNED_FIELDS else 0)
                               for f in FIELDS[op]), reserved_mask(op)) for op in Op}


def encode(op: Op, **values: int) -> int:
    """Pack an instruction.  Every field of the opcode must be given; a value
    that does not fit its field raises ValueError naming the field (nothing is
    silently truncated)."""
    fields = {f.name: f for f in FIELDS[op]}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"{op.name}: unknown field(s) {sorted(unknown)}")
    missing = set(fields) - set(values)
    if missing:
        raise ValueError(f"{op.name}: missing field(s) {sorted(missing)}")
    word = int(op) << OPCODE_LSB
    for name, v in values.items():
        f = fields[name]
        v = int(v)
        if name in SIGNED_FIELDS:
            lo, hi = -(1 << (f.width - 1)), (1 << (f.width - 1)) - 1
        else:
            lo, hi = 0, f.mask
        if not lo <= v <= hi:
            raise ValueError(f"{op.name}.{name}={v} does not fit {f.width} bits [{lo}, {hi}]")
        word |= (v & f.mask) << f.lsb
    return word


def opcode(word: int) -> int:
    return (int(word) >> OPCODE_LSB) & ((1 << OPCODE_BITS) - 1)


def is_legal_opcode(code: int) -> bool:
    return code in _OPS


def decode(word: int) -> tuple[Op, dict[str, int], int]:
    """Split a word with a legal opcode into (op, fields, reserved bits set)."""
    word = int(word)
    if not 0 <= word < 1 << INSTR_BITS:
        raise ValueError(f"instruction word {word:#x} is not 64 bits")
    code = opcode(word)
    if not is_legal_opcode(code):
        raise ValueError(f"illegal opcode {code:#x}")
    op, layout, rsv = _LAYOUT[code]
    vals = {}
    for name, lsb, mask, sign in layout:
        v = (word >> lsb) & mask
        vals[name] = v - 2 * sign if v & sign else v
    return op, vals, word & rsv


def disassemble(word: int) -> str:
    code = opcode(word)
    if not is_legal_opcode(code):
        return f"<illegal opcode {code:#x}> {int(word):#018x}"
    op, vals, rsv = decode(word)
    s = op.name + "".join(f" {k}={v}" for k, v in vals.items())
    return s + (f" <reserved bits {rsv:#x}>" if rsv else "")
