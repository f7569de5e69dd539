"""The seed networks (models/seednets.py) through the RTL, reduced
(`--scale small`: every layer, stride, residual and sparsity pattern,
fewer channels, a smaller input): one inference planned for the
configuration and run by the host runtime's RTL backend, as `make net`
does at full size on `chip`.

Every program's AMem and counters must equal the golden model's run of
the same program (rtlsim.runtime); the logits must equal the network's own
golden forward pass (models.seednets.forward, built on models.reference,
which shares no code with the compiler, the ISS or the drain).  Icarus runs
`small` (21k-28k cycles per inference); `chip` is added under SIM=verilator.  Each
run is bounded by twice the cycles the golden model predicts for it
(rtlsim.runtime), so a hang fails in proportion to the work."""
from __future__ import annotations

import os

import numpy as np
import pytest

from models import netrun, seednets
from models.runtime import GoldenBackend, execute
from models.spec import get_config
from rtlsim import runtime as rtl_runtime

SIM = os.environ.get("SIM", "icarus")
CONFIGS = ["small", "chip"] if SIM == "verilator" else ["small"]


@pytest.fixture(scope="module")
def nets():
    return {name: seednets.build(name, seed=0, scale="small") for name in seednets.NETS}


# `make net`'s lowering (auto: the polyphase rewrite where faster, whose
# copies are stride-2 layers on the keep-even drain); stride-2 layers on
# the drain alone are the random and held-out cases' business
RUNS = [("ibssl-cifar100", "auto"), ("resnet18-3of9", "auto")]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("name,stride2", RUNS, ids=[f"{n}-{s}" for n, s in RUNS])
def test_small_seed_network_on_rtl(nets, name, stride2, config):
    cfg = get_config(config)
    net = nets[name]
    x = net.images(1, 1)[0]
    last = net.layers[-1].name
    plan = netrun.plan_net(net, cfg, stride2)
    strided = [sl.name for sl in net.layers if sl.stride == 2]
    assert strided, "the reduced network keeps its stride-2 layers"
    assert any(ld.stride == 2 for ld in plan.layers)

    golden = execute(plan, {seednets.INPUT: x}, GoldenBackend(cfg))
    rep = execute(plan, {seednets.INPUT: x}, rtl_runtime.RtlBackend(cfg, SIM))   # Mismatch on any program

    want = net.forward(x)[last]
    np.testing.assert_array_equal(rep.outputs[last], want)
    assert [s.counters for s in rep.steps] == [s.counters for s in golden.steps]
    assert rep.words == golden.words == plan.words()
    rows = netrun.layer_rows(net, plan, rep)
    assert sum(r.cycles for r in rows) == rep.cycles
    # every stride-2 layer ran, and the outputs are not degenerate
    assert all(r.cycles > 0 for r in rows if r.name in strided)
    assert np.unique(want).size > want.size // 4      # varied logits, not a constant
