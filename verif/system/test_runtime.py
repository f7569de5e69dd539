"""A network bigger than on-chip memory through the RTL: the partition plan
(models/partition.py) run by the host runtime's RTL backend
(rtlsim/runtime.py), one simulator launch per group of layers.

Every program's AMem and counters must equal the golden model's run of
the same program; the assembled outputs must equal the whole-network
reference bit for bit.  Icarus runs `small` (about 20k cycles); `chip` is
added under SIM=verilator, where its 76k cycles take seconds."""
from __future__ import annotations

import os

import numpy as np
import pytest

from models import reference, stimulus as S
from models.compiler import CompileError, LayerDef, compile_network
from models.partition import plan_network, reference_network
from models.runtime import GoldenBackend, execute
from models.spec import BIAS_MAX, BIAS_MIN, SCALE_MAX, get_config
from rtlsim import runtime as rtl_runtime
from rtlsim.outcome import Mismatch

SIM = os.environ.get("SIM", "icarus")
CONFIGS = ["small", "chip"] if SIM == "verilator" else ["small"]


def partitioned_network(cfg, seed: int = 0):
    """(H, W, inputs, layers) on a 4-row image, scaled to cfg:
    a: 3x3 over [x, z], where z is a wide tensor with few used channels:
       input + output exceed AMem, so 2 row bands with halos;
    b: dense 3x3 over [a, x] with one COLS group more than WMem holds: 2
       output-channel slices over the same (resident) input;
    d, e: a 1x1 and an acc-mode 3x3 over [d, a] that fit together: one
       whole-image program for two layers."""
    rng = np.random.default_rng(seed)
    c = cfg.cols
    h, w = 4, cfg.rows
    cz = cfg.adepth // 4 - c          # (c + cz + 2c) * 4 tiles > adepth >= the same * 3 tiles
    vals = {"x": rng.integers(0, 16, size=(c, h, w)), "z": rng.integers(0, 16, size=(cz, h, w))}
    inputs = dict(vals)
    layers: list[LayerDef] = []

    def add(name, srcs, k, cout, wt=None, mode="act"):
        xin = np.concatenate([vals[s] for s in srcs])
        if wt is None:
            wt = S.draw_weights(rng, cout, len(xin), k, c, kind="dense")
        acc = reference.layer(xin, wt, mode="acc")
        # centre each channel's accumulators, so the ReLU keeps about half
        bias = np.clip(-np.median(acc, axis=(1, 2)) + rng.integers(-40, 41, size=cout), BIAS_MIN, BIAS_MAX)
        bias = bias.astype(np.int64)
        acc = acc + bias[:, None, None]
        scale, shift = 1, 0
        if mode == "act":      # spread the positive accumulators over [0, 15]
            shift = 12
            pos = acc[acc > 0]
            span = max(1.0, float(np.percentile(pos, 90))) if pos.size else 1.0
            scale = int(np.clip(round(14 * 2 ** shift / span), 1, SCALE_MAX))
        layers.append(LayerDef(name, list(srcs), wt, bias, scale, shift, mode))
        vals[name] = acc if mode == "acc" else reference.requantize(acc, scale, shift)

    wa = S.draw_weights(rng, 2 * c, c + cz, 3, c, kind="dense")
    used = np.zeros(c + cz, bool)
    used[:c] = True
    used[rng.choice(np.arange(c, c + cz), 4, replace=False)] = True
    wa[:, ~used] = 0
    add("a", ["x", "z"], 3, 2 * c, wa)
    add("b", ["a", "x"], 3, (cfg.wdepth // (27 * c) + 1) * c)
    add("d", ["b"], 1, c)
    add("e", ["d", "a"], 3, 10, mode="acc")
    return h, w, inputs, layers


@pytest.mark.parametrize("config", CONFIGS)
def test_partitioned_network_on_rtl(config):
    cfg = get_config(config)
    h, w, x, layers = partitioned_network(cfg)
    chans = {n: len(v) for n, v in x.items()}
    with pytest.raises(CompileError):
        compile_network(cfg, h, w, chans, layers)
    plan = plan_network(cfg, h, w, chans, layers)
    splits = [(g.layers, len(g.bands), len(g.slices or [()])) for g in plan.groups]
    assert splits == [(("a",), 2, 1), (("b",), 1, 2), (("d", "e"), 1, 1)], splits
    assert plan.steps[3].loads[0].resident      # b's second slice reuses the input rows

    golden = execute(plan, x, GoldenBackend(cfg))
    backend = rtl_runtime.RtlBackend(cfg, SIM)
    rep = execute(plan, x, backend)           # raises Mismatch on the first program that differs

    ref = reference_network(layers, x)
    np.testing.assert_array_equal(rep.outputs["e"], ref["e"])
    assert rep.launches == len(backend.launch_wall_s) == len(plan.groups) < len(plan.steps)
    assert [s.counters for s in rep.steps] == [s.counters for s in golden.steps]
    assert rep.words == golden.words == plan.words()


def test_rtl_backend_catches_a_difference(monkeypatch):
    """A run whose RTL memory differs from the golden model's (one input
    nibble flipped on its way to the simulator only) must fail the check."""
    cfg = get_config("small")
    h, w, x, layers = partitioned_network(cfg)
    plan = plan_network(cfg, h, w, {n: len(v) for n, v in x.items()}, layers[:1])
    assert len(plan.steps) == 2
    real = rtl_runtime.run_on_rtl

    def corrupted(cfg_, runs, *a, **kw):
        name, start, data = next(wr for wr in runs[1].writes if wr[0] == "amem")
        data = data.copy()
        data[0, 0] ^= 1
        runs[1].writes = [(name, start, data)] + [wr for wr in runs[1].writes if wr[0] != "amem"]
        return real(cfg_, runs, *a, **kw)

    monkeypatch.setattr(rtl_runtime, "run_on_rtl", corrupted)
    with pytest.raises(Mismatch, match=r"step 1 \(a, rows 1..3\): RTL differs"):
        execute(plan, x, rtl_runtime.RtlBackend(cfg, SIM))
