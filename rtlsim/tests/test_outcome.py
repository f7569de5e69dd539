"""The one RTL-versus-model comparison (rtlsim.outcome): it must accept an
agreeing run and name every kind of difference.  No simulator needed: the
"RTL" side is built from the golden model's own run and then altered."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models import iss, spec
from models.compiler import compile_layer
from rtlsim.outcome import Mismatch, RtlOutcome, amem_diff, check_run, compare_run

CFG = spec.get_config("small")


def _layer(mode="act"):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 16, size=(3, 4, 5))
    w = rng.integers(-8, 8, size=(10, 3, 3, 3))
    prog = compile_layer(CFG, x.shape, w, None, 20, 6, mode)
    mem = prog.memories({"x": x})
    exp = mem.copy()
    return prog, exp, iss.run(exp)


def test_agreeing_run_compares_equal():
    prog, exp, res = _layer()
    got = RtlOutcome.expected(res)
    assert got == res and res == got     # RunResult defers to RtlOutcome.__eq__
    assert compare_run(res, exp.amem, got, exp.amem.copy(), prog) == []
    check_run("same", res, exp.amem, got, exp.amem.copy(), prog)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(RtlOutcome)])
def test_each_register_difference_is_named(field):
    _, _, res = _layer()
    exp = RtlOutcome.expected(res)
    got = dataclasses.replace(exp, **{field: getattr(exp, field) + 1})
    assert got != res
    assert [d.split(":")[0] for d in got.diff(res)] == [field]


def test_error_run_expects_error_status_and_irq():
    _, _, res = _layer()
    bad = dataclasses.replace(res, err=spec.Err.AMEM_RANGE, err_pc=7)
    exp = RtlOutcome.expected(bad)
    assert exp.status == spec.STATUS_DONE | spec.STATUS_ERROR
    assert exp.irq_status == spec.IRQ_DONE | spec.IRQ_ERROR
    assert (exp.err, exp.err_pc) == (int(spec.Err.AMEM_RANGE), 7)
    assert RtlOutcome.expected(res) != bad


def test_amem_difference_names_tensor_channel_and_pixel():
    prog, exp, res = _layer()
    y = prog.tensors["y"]
    got = exp.amem.copy()
    addr = y.channel_addr(2) if hasattr(y, "channel_addr") else y.base + 2 * y.stride
    got[addr, 3] ^= 1
    lines = compare_run(res, exp.amem, RtlOutcome.expected(res), got, prog)
    assert lines[0] == "AMem differs in 1 words:"
    assert "layer 'y' ch 2 pixel (y=0,x=3)" in lines[1]
    with pytest.raises(Mismatch, match="layer 'y' ch 2"):
        check_run("flip", res, exp.amem, RtlOutcome.expected(res), got, prog)


def test_partial_dump_is_located_from_its_base():
    prog, exp, res = _layer()
    y = prog.tensors["y"]
    lo, hi = y.base, y.base + y.channels * y.stride
    got = exp.amem[lo:hi].copy()
    got[y.stride, 0] ^= 4      # channel 1, first pixel
    lines = amem_diff(exp.amem[lo:hi], got, prog, base=lo)
    assert len(lines) == 1 and "layer 'y' ch 1 pixel (y=0,x=0)" in lines[0]


def test_acc_mode_names_the_nibble_plane():
    prog, exp, res = _layer("acc")
    y = prog.tensors["y"]
    got = exp.amem.copy()
    got[y.base + 3, 0] ^= 8    # tile 0, nibble plane 3 of channel 0
    (line,) = amem_diff(exp.amem, got, prog)
    assert "ch 0 pixel (y=0,x=0) nibble plane 3" in line


def test_wrong_dump_shape_is_a_difference_not_a_crash():
    prog, exp, res = _layer()
    lines = compare_run(res, exp.amem, RtlOutcome.expected(res), exp.amem[:-1], prog)
    assert lines and "expected" in lines[-1]


def test_images_must_come_in_pairs():
    _, exp, res = _layer()
    with pytest.raises(ValueError):
        compare_run(res, exp.amem, RtlOutcome.expected(res), None)
