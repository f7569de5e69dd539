"""The demo network on the RTL: predictions and every output word equal the
golden model (issue 6).  Icarus runs a subset (the regression's time budget);
Verilator runs the whole test split."""
import os

from verif import demo


def test_digits_network_on_rtl():
    sim = os.environ.get("SIM", "icarus")
    limit = 0 if sim == "verilator" else 16
    assert demo.main(["--sim", sim, "--limit", str(limit)]) == 0
