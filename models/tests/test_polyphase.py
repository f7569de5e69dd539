"""The polyphase rewrite of stride-2 layers (models/polyphase.py): copy
layers that gather each input's phase planes plus a stride-1 layer at the
output's resolution.  It must be bit-exact against the stride-2 layer
(models.reference, which knows nothing of phases), keep every output
group's valid steps, and run faster where ``auto`` chooses it."""
from __future__ import annotations

import numpy as np
import pytest

from models import polyphase as P, reference, stimulus as S
from models.compiler import LayerDef, compile_network
from models.iss import run
from models.partition import reference_network
from models.shiftpw import valid_steps
from models.spec import Err, get_config

SMALL = get_config("small")


def _layer(rng, cin, cout, k, kind, **kw):
    w = S.draw_weights(rng, cout, cin, k, SMALL.cols, kind=kind, **kw)
    return LayerDef("y", ["x"], w, rng.integers(-50, 50, size=cout), int(rng.integers(1, 300)),
                    int(rng.integers(4, 12)), stride=2)


@pytest.mark.parametrize("seed", range(30))
def test_rewrite_is_bit_exact_and_keeps_the_steps(seed):
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(1, 20, size=2))
    cin, cout, k = int(rng.integers(1, 20)), int(rng.integers(1, 20)), int(rng.choice([1, 3]))
    kind = str(rng.choice(["dense", "dw", "random", "empty_groups"]))
    ld = _layer(rng, cin, cout, k, kind)
    x = rng.integers(0, 16, size=(cin, h, w))
    new = P.rewrite(ld, {"x": cin})
    *copies, main = new
    assert main.name == "y" and main.stride == 1 and all(c.stride == 2 for c in copies)
    vals = reference_network(new, {"x": x})
    for c in copies:            # a copy is one phase plane of its input, exactly
        a, b = int(c.name[-2]), int(c.name[-1])
        used = np.flatnonzero(c.w.any(axis=(0, 2, 3)))
        want = np.zeros((len(used), -(-h // 2), -(-w // 2)), np.int64)
        src = x[used, a::2, b::2]
        want[:, :src.shape[1], :src.shape[2]] = src
        np.testing.assert_array_equal(vals[c.name], want)
    np.testing.assert_array_equal(vals["y"], reference.layer(x, ld.w, ld.bias, ld.scale, ld.shift, stride=2))
    # one (plane, shift) per (input channel, tap): the same valid steps in every output group
    for g0 in range(0, cout, SMALL.cols):
        before = len(valid_steps(ld.w, g0, g0 + SMALL.cols))
        after = len(valid_steps(main.w, g0, g0 + SMALL.cols))
        assert after == before


def test_rewritten_network_runs_on_the_iss_and_is_faster():
    """A dense 3x3 stride-2 16 -> 32 layer on 32 x 32: auto rewrites it, and
    the compiled programs (copies + layer') finish in fewer cycles than the
    direct stride-2 program, with the same output."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 16, size=(16, 32, 32))
    ld = _layer(rng, 16, 32, 3, "dense")
    direct = compile_network(SMALL, 32, 32, {"x": 16}, [ld])
    lowered = P.lower(32, 32, {"x": 16}, [ld], SMALL.rows, SMALL.cols, "auto")
    assert len(lowered) == 5 and lowered[-1].stride == 1
    poly = compile_network(SMALL, 32, 32, {"x": 16}, lowered, ["y"])
    outs, cycles = [], []
    for prog in (direct, poly):
        mem = prog.memories({"x": x})
        res = run(mem)
        assert res.err == Err.NONE
        outs.append(prog.read(mem.amem, "y"))
        cycles.append(res.cycles)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], reference.layer(x, ld.w, ld.bias, ld.scale, ld.shift, stride=2))
    assert cycles[1] < 0.6 * cycles[0], cycles


def test_auto_keeps_a_layer_the_rewrite_would_slow():
    """One output group of 1x1 weights over a tiny image: the copies cost as
    much as the layer, so auto keeps the drain."""
    rng = np.random.default_rng(1)
    ld = _layer(rng, 8, 4, 1, "dense")
    assert P.lower(4, 4, {"x": 8}, [ld], SMALL.rows, SMALL.cols, "auto") == [ld]
    assert len(P.lower(4, 4, {"x": 8}, [ld], SMALL.rows, SMALL.cols, "polyphase")) == 2
    assert P.lower(4, 4, {"x": 8}, [ld], SMALL.rows, SMALL.cols, "drain") == [ld]


def test_residual_centre_tap_needs_one_plane():
    rng = np.random.default_rng(2)
    w = np.zeros((4, 6, 3, 3), np.int64)
    w[:, :4] = S.draw_weights(rng, 4, 4, 3, SMALL.cols, kind="dw", taps_kept=3)
    w[:, 4:, 1, 1] = 1
    ld = LayerDef("y", ["e", "r"], w, None, 1, 0, stride=2)
    copies = P.rewrite(ld, {"e": 4, "r": 2})[:-1]
    assert [c.name for c in copies if c.inputs == ["r"]] == ["y.r.p00"]


def test_errors_name_the_problem():
    rng = np.random.default_rng(0)
    ld = _layer(rng, 2, 2, 3, "dense")
    with pytest.raises(ValueError, match="stride-2 mode must be one of"):
        P.lower(4, 4, {"x": 2}, [ld], 8, 8, "fast")
    with pytest.raises(ValueError, match="layer 'y': stride 1"):
        P.rewrite(LayerDef("y", ["x"], ld.w), {"x": 2})
