"""isa.py: encode/decode round trip, range checks, reserved bits."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models import isa
from models.spec import FIELDS, Op, reserved_mask


def field_values(op):
    fs = {}
    for f in FIELDS[op]:
        if f.name in isa.SIGNED_FIELDS:
            fs[f.name] = st.integers(-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1)
        else:
            fs[f.name] = st.integers(0, f.mask)
    return st.fixed_dictionaries(fs)


@st.composite
def instr(draw):
    op = draw(st.sampled_from(list(Op)))
    return op, draw(field_values(op))


@given(instr())
def test_encode_decode_roundtrip(t):
    op, vals = t
    word = isa.encode(op, **vals)
    assert 0 <= word < 1 << 64
    assert isa.opcode(word) == int(op)
    op2, vals2, rsv = isa.decode(word)
    assert (op2, vals2, rsv) == (op, vals, 0)
    assert op.name in isa.disassemble(word)


@given(instr().filter(lambda t: t[0] != Op.BIAS), st.data())
def test_reserved_bit_reported(t, data):
    op, vals = t
    word = isa.encode(op, **vals)
    m = reserved_mask(op)
    bit = data.draw(st.sampled_from([b for b in range(64) if (m >> b) & 1]))
    _, vals2, rsv = isa.decode(word | (1 << bit))
    assert rsv == 1 << bit and vals2 == vals
    assert "reserved" in isa.disassemble(word | (1 << bit))


def test_bias_has_no_reserved_bits():
    assert reserved_mask(Op.BIAS) == 0


@pytest.mark.parametrize("op,name", [(op, f.name) for op in Op for f in FIELDS[op]])
def test_encode_rejects_out_of_range_naming_field(op, name):
    f = next(f for f in FIELDS[op] if f.name == name)
    base = {g.name: 0 for g in FIELDS[op]}
    if name in isa.SIGNED_FIELDS:
        bad = [-(1 << (f.width - 1)) - 1, 1 << (f.width - 1)]
    else:
        bad = [-1, f.mask + 1]
    for v in bad:
        with pytest.raises(ValueError, match=rf"{op.name}\.{name}"):
            isa.encode(op, **{**base, name: v})


def test_encode_unknown_and_missing_fields():
    with pytest.raises(ValueError, match="unknown"):
        isa.encode(Op.END, H=1)
    with pytest.raises(ValueError, match="missing.*TAP"):
        isa.encode(Op.STEP, CADDR=3)


def test_signed_bias_encoding():
    w = isa.encode(Op.BIAS, B0=-1, B1=-16384, B2=16383, B3=0)
    assert w & 0x7FFF == 0x7FFF
    assert isa.decode(w)[1] == {"B0": -1, "B1": -16384, "B2": 16383, "B3": 0}


@pytest.mark.parametrize("code", [0x0, 0x6, 0x7, 0x8, 0xE])
def test_illegal_opcodes(code):
    assert not isa.is_legal_opcode(code)
    with pytest.raises(ValueError, match="illegal opcode"):
        isa.decode(code << 60)
    assert "illegal" in isa.disassemble(code << 60)


def test_decode_rejects_non_64bit():
    with pytest.raises(ValueError):
        isa.decode(1 << 64)
    with pytest.raises(ValueError):
        isa.decode(-1)


def test_step_layout_matches_doc():
    # TAP in [59:56], CADDR in [55:40]
    w = isa.encode(Op.STEP, TAP=8, CADDR=0xABCD)
    assert w == (0x5 << 60) | (8 << 56) | (0xABCD << 40)
