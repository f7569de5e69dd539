"""Pruned depth-wise 3x3 layers (1 to 3 of 9 taps kept) through spw_top:
the chip's sparse workload, each layer checked against the golden model.
The example of docs/verification.md, "Adding a test"."""
import pytest

from models import stimulus as S
from rtlsim.driver import TopDriver
from verif.common import coverage as cov
from verif.common import make_rng
from verif.common.bench import Bench
from verif.common.scoreboard import run_and_check

BENCH = Bench("pruned_dw", __name__)
# 1. knobs: 3x3 kernels, depth-wise sparsity with 1..3 of 9 taps, act mode
KNOBS = S.LAYER_SYSTEM.replace(kernels=((3, 1.0),), sparsity=(("dw", 1.0),), taps_kept=(1, 3), acc_p=0.0)


@BENCH.test(cycles=lambda work, cfg: work["cases"] * (S.layer_cycles_bound(cfg, KNOBS) + 400))
@cov.exported
async def pruned_dw_layers(dut):
    drv = TopDriver(dut, BENCH.cfg)
    await drv.start()
    rng = make_rng(dut, "pruned_dw_layers")
    for i in range(BENCH.work["cases"]):
        case = S.draw_layer(rng, BENCH.cfg, KNOBS)                        # 2. stimulus
        prog = case.compile(BENCH.cfg)
        await run_and_check(drv, f"pruned dw case {i}", prog.memories({"x": case.x}), prog,  # 3. run, 4. check
                            imem_words=len(prog.imem), wmem_words=len(prog.wmem))
        cov.sample_compiled(prog)                                         # 5. coverage
        cov.sample_case(case)


@pytest.mark.parametrize("config", ["small", "chip"])
def test_pruned_dw(config):
    BENCH.run_top(config)
