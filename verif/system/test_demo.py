"""The demo network on the RTL: predictions and every output word equal the
golden model.  Icarus runs a subset of the test split, which keeps the
regression's time in budget; Verilator runs the whole split."""
import os

from verif import demo


def test_digits_network_on_rtl():
    sim = os.environ.get("SIM", "icarus")
    limit = 0 if sim == "verilator" else 16
    assert demo.main(["--sim", sim, "--limit", str(limit)]) == 0
