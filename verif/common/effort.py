"""Test effort: one knob, ``SPW_EFFORT``, sets how much work every bench does.

``SPW_EFFORT=quick|default|long`` (unset means ``default``):

* ``quick``: about a quarter of the default work, a fast smoke run;
* ``default``: the regression (``make test``, CI);
* ``long``: about four times the default work, for nightly runs.

Any other value fails every bench entry with an error naming ``SPW_EFFORT``
and the allowed values.  ``SPW_CONFIG``, ``SIM`` and ``SEED`` keep their
meanings; there is no per-bench knob.

``TABLE`` below is the one place the work amounts live, including the
smaller amounts for the ``chip`` configuration on Icarus, which simulates
the 32x32 array about eight times slower than the 8x8 ``small`` one
(docs/performance.md, P4).  The row for a bench, amount, configuration and
simulator is the most specific one that matches (``*`` matches any).  The
pytest entry of a bench resolves its row and hands the numbers to the
simulation in env ``SPW_WORK`` (JSON).

The table is printed by ``python -m verif.common.effort`` and reproduced in
docs/verification.md ("Effort"), which verif/system/test_docs.py keeps in
step with ``TABLE``.

What the amounts are: ``cycles`` / ``ops`` clock cycles of random stimulus
(the aligner's first and third tests run half of it); ``captures`` drain
captures; ``stress_txns`` transactions per host-interface stress batch;
``long_steps`` steps of the MAC array's long extreme tile (at most WDEPTH:
the accumulator is sized for one group of WDEPTH steps, so ``long`` cannot
go further on ``small``); ``programs`` random programs and mutants, each run
twice; ``max_cycles`` the longest program (cycle-model cycles) the sequencer
bench draws; ``ncases`` random layers of the top's ``random_layers``, and
``cases`` pruned depth-wise layers of the "Adding a test" example (their
sizes are the stimulus knobs', models/stimulus.py).

Timeouts follow the work (see ``cocotb_timeout`` and ``wall_timeout_s``):
each cocotb test states how many clock cycles its work takes, and fails
once it has simulated ``SAFETY`` times that (plus ``MARGIN_CYCLES``); the
simulator process is killed after ``STARTUP_S`` wall-clock seconds plus the
time its tests' limits take at the rate ``SIM_RATE`` allows for the
simulator and configuration.  A hang that simulated time runs through
fails at its test's limit; one that stops simulated time (the bench stuck
in Python) at the kill.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

__all__ = ["VAR", "LEVELS", "TABLE", "Work", "level", "resolve", "work", "cocotb_timeout",
           "wall_timeout_s", "markdown"]

VAR = "SPW_EFFORT"
LEVELS = ("quick", "default", "long")
ENV_WORK = "SPW_WORK"
ANY = "*"
SIMS = ("icarus", "verilator")

# bench, amount, config, sim, (quick, default, long)
TABLE: list[tuple[str, str, str, str, tuple]] = [
    ("aligner",      "cycles",      "small", ANY,         (500, 2000, 8000)),
    ("aligner",      "cycles",      "chip",  "icarus",    (80, 300, 1200)),
    ("aligner",      "cycles",      "chip",  "verilator", (500, 2000, 8000)),
    ("drain",        "captures",    "small", ANY,         (75, 300, 1200)),
    ("drain",        "captures",    "chip",  ANY,         (30, 120, 480)),
    ("host_if",      "stress_txns", ANY,     ANY,         (40, 150, 600)),
    ("lane_tracker", "cycles",      "small", ANY,         (400, 1500, 6000)),
    ("lane_tracker", "cycles",      "chip",  ANY,         (200, 800, 3200)),
    ("mac_array",    "cycles",      "small", ANY,         (400, 1500, 6000)),
    ("mac_array",    "cycles",      "chip",  "icarus",    (80, 300, 1200)),
    ("mac_array",    "cycles",      "chip",  "verilator", (400, 1500, 6000)),
    ("mac_array",    "long_steps",  "small", ANY,         (1024, 4096, 4096)),
    ("mac_array",    "long_steps",  "chip",  "icarus",    (40, 150, 600)),
    ("mac_array",    "long_steps",  "chip",  "verilator", (500, 2000, 8000)),
    ("requant",      "cycles",      "small", ANY,         (200, 800, 3200)),
    ("requant",      "cycles",      "chip",  ANY,         (100, 400, 1600)),
    ("pruned_dw",    "cases",       "small", ANY,         (1, 4, 16)),
    ("pruned_dw",    "cases",       "chip",  "icarus",    (1, 1, 4)),
    ("pruned_dw",    "cases",       "chip",  "verilator", (1, 4, 16)),
    ("sequencer",    "programs",    "small", ANY,         (20, 80, 320)),
    ("sequencer",    "programs",    "chip",  "icarus",    (8, 30, 120)),
    ("sequencer",    "programs",    "chip",  "verilator", (20, 80, 320)),
    ("sequencer",    "max_cycles",  ANY,     ANY,         (3000, 3000, 3000)),
    ("sram_1p",      "ops",         ANY,     ANY,         (75, 300, 1200)),
    ("sram_1r1w",    "ops",         ANY,     ANY,         (100, 400, 1600)),
    ("top",          "ncases",      "small", ANY,         (2, 6, 24)),
    ("top",          "ncases",      "chip",  ANY,         (1, 2, 8)),
]

# Timeouts.  A test fails after SAFETY times the cycles its work takes plus
# MARGIN_CYCLES (reset, memory loads, pipeline drain).
SAFETY = 4
MARGIN_CYCLES = 200
# Simulated clock cycles per wall-clock second to allow for, per simulator
# and configuration.  The benches drive the DUT from Python every cycle, so
# Python sets their pace: measured on 2 shared cores under a load of 5-7,
# Icarus ran them at 400-4000 cycles/s on small and 45-4000 on chip (the
# MAC array slowest: about 300 unloaded), Verilator at 850-4000 on both.
# Legitimate runs use about a quarter of their test timeouts, so the kill
# comes only for a simulator several times slower than these rates.
SIM_RATE = {("icarus", "small"): 1000, ("icarus", "chip"): 150,
            ("verilator", "small"): 1000, ("verilator", "chip"): 500}
# Simulator start-up, Python imports, $readmemh and loads through handles.
STARTUP_S = 60


def level() -> str:
    """The effort level from env ``SPW_EFFORT`` (default ``default``)."""
    value = os.environ.get(VAR, "").strip() or "default"
    if value not in LEVELS:
        raise ValueError(f"{VAR}={value!r} is not an effort level; use one of {', '.join(LEVELS)} "
                         f"(or leave {VAR} unset for default)")
    return value


@dataclass(frozen=True)
class Work:
    """The work amounts of one bench for one configuration, simulator and
    effort level: ``work["cycles"]``."""
    bench: str
    config: str
    sim: str
    level: str
    amounts: dict = field(default_factory=dict)

    def __getitem__(self, amount: str):
        try:
            return self.amounts[amount]
        except KeyError:
            raise KeyError(f"the effort table has no {amount!r} for bench {self.bench!r} "
                           f"(verif/common/effort.py)") from None

    def env(self) -> dict[str, str]:
        """The environment that hands this work to the simulation."""
        return {ENV_WORK: json.dumps(asdict(self))}


def _specificity(config: str, sim: str) -> int:
    return 2 * (config != ANY) + (sim != ANY)


def resolve(bench: str, config: str, sim: str, effort: str | None = None) -> Work:
    """Look up every amount of ``bench`` for ``config`` on ``sim``."""
    effort = effort or level()
    if effort not in LEVELS:
        raise ValueError(f"effort {effort!r} is not one of {', '.join(LEVELS)}")
    col = LEVELS.index(effort)
    best: dict[str, tuple[int, object]] = {}
    for b, amount, c, s, values in TABLE:
        if b == bench and c in (ANY, config) and s in (ANY, sim):
            rank = _specificity(c, s)
            if amount not in best or rank > best[amount][0]:
                best[amount] = (rank, values[col])
    if not best:
        raise KeyError(f"bench {bench!r} has no row in the effort table (verif/common/effort.py)")
    return Work(bench, config, sim, effort, {a: v for a, (_, v) in sorted(best.items())})


def _simulator_in_use() -> str:
    import cocotb

    name = getattr(cocotb, "SIM_NAME", "") or ""
    return "verilator" if "verilator" in name.lower() else "icarus"


def work(bench: str, config: str | None = None) -> Work:
    """Inside a simulation: the work the pytest entry resolved for ``bench``
    (env ``SPW_WORK``), else the table's row for env ``SPW_CONFIG``, the
    running simulator and ``SPW_EFFORT``.  ``config``, when given, must be
    the configuration the work was resolved for."""
    raw = os.environ.get(ENV_WORK)
    if raw:
        w = Work(**json.loads(raw))
        if w.bench != bench:
            raise RuntimeError(f"{ENV_WORK} holds the work of bench {w.bench!r}, not {bench!r}")
    else:
        w = resolve(bench, os.environ.get("SPW_CONFIG", "small"), _simulator_in_use())
    if config is not None and config != w.config:
        raise RuntimeError(f"{bench}: work resolved for config {w.config!r}, running {config!r}")
    return w


def cocotb_timeout(cycles: int, clk_period_ns: float | None = None) -> dict:
    """``cocotb.test`` arguments for a test whose work takes ``cycles``
    clock cycles."""
    if clk_period_ns is None:
        from rtlsim.bringup import CLK_PERIOD_NS as clk_period_ns
    return {"timeout_time": (SAFETY * int(cycles) + MARGIN_CYCLES) * clk_period_ns, "timeout_unit": "ns"}


def wall_timeout_s(cycles: list[int], sim: str, config: str) -> float:
    """Wall-clock seconds after which the simulator running tests whose work
    takes ``cycles`` clock cycles each is killed."""
    rate = SIM_RATE.get((sim, config), min(SIM_RATE.values()))
    limit_cycles = sum(SAFETY * int(c) + MARGIN_CYCLES for c in cycles)
    return STARTUP_S + limit_cycles / rate


def markdown() -> str:
    """``TABLE`` as the markdown table of the module docstring."""
    lines = ["| bench | amount | config | sim | " + " | ".join(LEVELS) + " |",
             "|---|---|---|---|" + "---:|" * len(LEVELS)]
    for b, amount, c, s, values in TABLE:
        cells = ["-" if v is None else str(v) for v in values]
        lines.append(f"| {b} | {amount} | {c} | {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
