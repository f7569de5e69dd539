"""spec.py: configurations, taps, field layout, error codes."""
import pytest

from models import spec  # noqa
from models.spec import CONFIGS, FIELDS, Config, Err, Op


def test_taps_roundtrip_and_centre():
    seen = set()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            t = spec.tap_of(dy, dx)
            assert spec.tap_offset(t) == (dy, dx)
            seen.add(t)
    assert seen == set(range(spec.NUM_TAPS))
    assert spec.tap_of(0, 0) == spec.TAP_CENTER == 4


@pytest.mark.parametrize("bad", [(2, 0), (0, -2), (-2, 1)])
def test_tap_of_rejects_outside_window(bad):
    with pytest.raises(ValueError):
        spec.tap_of(*bad)


@pytest.mark.parametrize("bad", [-1, 9, 15])
def test_tap_offset_rejects(bad):
    with pytest.raises(ValueError):
        spec.tap_offset(bad)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_acc_width_is_minimal_and_sufficient(name):
    c = CONFIGS[name]
    lo, hi = spec.PROD_MIN * c.wdepth, spec.PROD_MAX * c.wdepth
    n = c.acc_w
    assert -(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1
    assert not (-(1 << (n - 2)) <= lo and hi <= (1 << (n - 2)) - 1)
    assert c.sum_w > max(c.acc_w, spec.BIAS_BITS)
    assert c.bias_words * spec.BIAS_PER_WORD == c.cols


def test_config_values():
    assert (CONFIGS["small"].rows, CONFIGS["small"].cols) == (8, 8)
    assert (CONFIGS["chip"].rows, CONFIGS["chip"].cols) == (32, 32)
    assert CONFIGS["chip"].adepth == CONFIGS["chip"].wdepth == CONFIGS["chip"].idepth == 16384
    assert spec.get_config("chip") is CONFIGS["chip"]
    with pytest.raises(ValueError, match="unknown config"):
        spec.get_config("huge")


@pytest.mark.parametrize("kw", [dict(rows=12), dict(cols=4), dict(adepth=4095),
                                dict(wdepth=1), dict(idepth=1 << 17)])
def test_config_check_rejects(kw):
    base = dict(name="x", rows=8, cols=8, adepth=64, wdepth=64, idepth=64)
    base.update(kw)
    with pytest.raises(ValueError):
        Config(**base).check()


def test_fields_fit_below_opcode_and_reserved_masks():
    for op in Op:
        used = 0
        for f in FIELDS[op]:
            m = f.mask << f.lsb
            assert used & m == 0, (op, f.name)
            assert f.msb < spec.OPCODE_LSB
            used |= m
        rsv = spec.reserved_mask(op)
        assert rsv & used == 0
        assert rsv | used | (0xF << 60) == (1 << 64) - 1
    assert spec.reserved_mask(Op.BIAS) == 0
    assert spec.reserved_mask(Op.END) == (1 << 60) - 1
    # The documented reserved ranges (docs/isa.md).
    assert spec.reserved_mask(Op.LAYER) == 0b11111000      # [7:3]; bit 2 is STRIDE2
    assert spec.reserved_mask(Op.STEP) == (1 << 40) - 1


def test_error_codes():
    assert [int(e) for e in Err] == list(range(9))
    assert Err.NONE == 0 and Err.AMEM_RANGE == 8
    assert int(Op.END) == 0xF and 0 not in {int(o) for o in Op}


def test_field_widths_hold_the_configs():
    f = {(op, x.name): x for op in FIELDS for x in FIELDS[op]}
    for c in CONFIGS.values():
        for key in ((Op.GROUP, "OADDR"), (Op.GROUP, "WBASE"), (Op.STEP, "CADDR")):
            assert c.adepth - 1 <= f[key].mask and c.wdepth - 1 <= f[key].mask
        assert c.cols <= f[(Op.GROUP, "NCOLS")].mask
    assert f[(Op.LAYER, "H")].mask == f[(Op.LAYER, "W")].mask == 1023
    assert f[(Op.LAYERQ, "SCALE")].mask == spec.SCALE_MAX
    assert f[(Op.LAYERQ, "SHIFT")].mask == spec.SHIFT_MAX
    assert f[(Op.BIAS, "B0")].width == spec.BIAS_BITS
