"""Held-out stride-2 layer cases through the command line's RTL backend
(`python -m models run CASE --backend rtl`): the output must equal
models.reference's PyTorch-style strided conv, which shares no code with
the compiler, the ISS or the keep-even drain, and the backend itself
compares every AMem word and counter with the golden model.

The cases are models/tests/test_stride.py's held-out set (tiny, odd, even,
W < ROWS, W a multiple of ROWS or not, one row, one column; K 1 and 3;
dense, unstructured, depth-wise and empty-group sparsity), whose golden
backend runs that file checks.  Icarus runs every third `small` case;
SIM=verilator runs all of them on both configurations."""
from __future__ import annotations

import os

import pytest

from models.tests.test_stride import held_out_cases, run_held_out

SIM = os.environ.get("SIM", "icarus")
if SIM == "verilator":
    CASES = held_out_cases("small") + held_out_cases("chip")
else:
    CASES = held_out_cases("small")[::3]


@pytest.mark.parametrize("config,h,w,k,kind,cin,cout,seed", CASES,
                         ids=[f"{c[0]}-{c[1]}x{c[2]}-k{c[3]}-{c[4]}" for c in CASES])
def test_cli_rtl_stride2_equals_reference(tmp_path, capsys, config, h, w, k, kind, cin, cout, seed):
    run_held_out(tmp_path, capsys, "rtl", config, h, w, k, kind, cin, cout, seed, sim=("--sim", SIM))
