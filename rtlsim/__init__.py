"""Running the RTL from Python: the product code behind the CLI's ``rtl``
backend, ``make demo``, the soak and the benchmarks, and the base the
cocotb benches in ``verif/`` build on.

Modules, by role:

* ``build``: build a simulator for a top level and run cocotb on it
  (``run_cocotb``), the top level's source list and parameters;
* ``bringup``: clock and reset;
* ``host``: the AXI4-Lite host driver (``HostBus``), the one place that
  touches a bus model;
* ``backdoor``: whole-memory and word-level access to the SRAM models;
* ``driver``: ``TopDriver``, a host's view of ``spw_top`` (load, start,
  wait for the IRQ, read status and counters);
* ``outcome``: ``RtlOutcome``, what a run ends with, and the one
  comparison of an RTL run with the golden model (``models.iss``);
* ``job`` / ``job_cocotb``: many runs of programs in one simulation, from
  plain Python (no pytest).

Nothing here imports ``verif``; ``models`` imports nothing from here but
the CLI's ``rtl`` backend, lazily.
"""
