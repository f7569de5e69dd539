"""What the block benches share: work amounts, timeouts, bring-up and the
pytest entry.

A bench module makes one ``Bench`` and registers its cocotb tests through
it, each with the clock cycles its work takes, so that a hang fails after a
few times the expected simulated time rather than at a wall-clock kill::

    BENCH = Bench("drain", __name__)

    @BENCH.test(cycles=lambda work, cfg: work["captures"] * 40)
    async def test_capture_stream(dut):
        n = BENCH.work["captures"]
        ...

    @pytest.mark.parametrize("config", ["small", "chip"])
    def test_spw_drain(config):
        BENCH.run(config, toplevel="spw_drain", params=("ROWS", "COLS", "ADEPTH"))

``BENCH.run`` resolves the work for the configuration and simulator from
the effort table (verif/common/effort.py), passes it and SPW_CONFIG to the
simulation, and limits the simulator's wall-clock time by the sum of the
tests' cycles.  ``BENCH.run_top`` does the same for spw_top through
``rtlsim.build.run_top`` (the system benches).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from models import spec
from rtlsim.bringup import reset as pulse_reset
from rtlsim.bringup import start_clock

from . import effort

__all__ = ["Bench", "hdl_params", "bring_up", "drive", "dut_params"]

# clock cycles of a test's work: a number, or a function of (work, config)
Cycles = int | Callable[[effort.Work, spec.Config], int]


def _cycles(c: Cycles, work: effort.Work, cfg: spec.Config) -> int:
    return int(c(work, cfg) if callable(c) else c)


def _in_simulation() -> bool:
    import cocotb

    return bool(getattr(cocotb, "is_simulation", False))


def hdl_params(cfg: spec.Config, *names: str) -> dict[str, int]:
    """The entries ``names`` of ``cfg.hdl_params()``, for a block that takes
    some of the top level's parameters under the same names."""
    top = cfg.hdl_params()
    missing = [n for n in names if n not in top]
    if missing:
        raise KeyError(f"{missing} are not parameters of spw_top (Config.hdl_params)")
    return {n: top[n] for n in names}


class Bench:
    """One block bench: its effort-table row, its cocotb tests' cycle
    budgets and its pytest entry."""

    def __init__(self, name: str, test_module: str, extra_configs: dict[str, spec.Config] | None = None):
        self.name = name
        self.test_module = test_module
        # configurations beyond spec.CONFIGS that this bench runs (odd geometries)
        self.extra_configs = dict(extra_configs or {})
        self._cycles: dict[str, Cycles] = {}
        self._work: effort.Work | None = None

    # ------------------------------------------------------------ simulation side
    @property
    def work(self) -> effort.Work:
        """The work amounts of this run (inside the simulation)."""
        if self._work is None:
            self._work = effort.work(self.name)
        return self._work

    def config(self, name: str) -> spec.Config:
        """Configuration ``name``: one of spec.CONFIGS or of this bench's extras."""
        return self.extra_configs[name] if name in self.extra_configs else spec.get_config(name)

    @property
    def cfg(self) -> spec.Config:
        """The configuration of this run (inside the simulation)."""
        return self.config(self.work.config)

    def test(self, cycles: Cycles, **kwargs):
        """``cocotb.test`` with a timeout of ``effort.cocotb_timeout`` for a
        test whose work takes ``cycles`` clock cycles."""
        import cocotb

        def decorate(fn):
            self._cycles[fn.__name__] = cycles
            timeout = {}
            if _in_simulation():   # pytest imports the module too, with no run to size
                timeout = effort.cocotb_timeout(_cycles(cycles, self.work, self.cfg))
            return cocotb.test(**timeout, **kwargs)(fn)
        return decorate

    # ------------------------------------------------------------ pytest side
    def run(self, config: str, *, toplevel: str, modules: tuple[str, ...] | None = None,
            params: tuple[str, ...] = (), extra_params: dict | None = None,
            extra_sources: tuple[Path, ...] = (), extra_env: dict | None = None,
            test_dir: Path | None = None) -> None:
        """Build ``toplevel`` from hdl/<m>.v for each of ``modules`` (default:
        the toplevel itself) plus ``extra_sources``, with the top-level
        parameters ``params`` of ``config`` and ``extra_params``, and run this
        bench's cocotb tests with the work the effort table gives them."""
        __tracebackhide__ = True
        from rtlsim.build import hdl_sources, run_cocotb, run_dir, sim_name

        cfg = self.config(config)
        sim = sim_name()
        work = effort.resolve(self.name, config, sim)
        if not self._cycles:
            raise RuntimeError(f"{self.test_module}: no cocotb test registered through Bench.test")
        cycles = [_cycles(c, work, cfg) for c in self._cycles.values()]
        run_cocotb(
            toplevel=toplevel,
            sources=hdl_sources(*(modules or (toplevel,))) + list(extra_sources),
            test_module=self.test_module,
            test_dir=test_dir or run_dir(),
            parameters={**hdl_params(cfg, *params), **(extra_params or {})},
            extra_env={"SPW_CONFIG": config, **work.env(), **(extra_env or {})},
            sim=sim,
            timeout_s=effort.wall_timeout_s(cycles, sim, config),
        )

    def run_top(self, config: str, *, test_dir: Path | None = None, extra_env: dict | None = None) -> None:
        """``rtlsim.build.run_top``: this bench's cocotb tests on spw_top in
        ``config`` (its source list, parameters and VPI control file), with
        the effort table's work and a wall-clock limit from the tests'
        cycles."""
        __tracebackhide__ = True
        from rtlsim.build import run_dir, run_top, sim_name

        cfg = spec.get_config(config)
        sim = sim_name()
        work = effort.resolve(self.name, config, sim)
        cycles = [_cycles(c, work, cfg) for c in self._cycles.values()]
        run_top(cfg, self.test_module, test_dir or run_dir(), extra_env={**work.env(), **(extra_env or {})},
                sim=sim, timeout_s=effort.wall_timeout_s(cycles, sim, config))


# --------------------------------------------------------------------------- bring-up
def drive(dut, **values: int) -> None:
    """Drive each named input of ``dut`` to its value."""
    for name, value in values.items():
        getattr(dut, name).value = value


def dut_params(dut, *names: str) -> tuple[int, ...]:
    """The values of the named parameters of ``dut``."""
    return tuple(int(getattr(dut, n).value) for n in names)


async def bring_up(dut, *, reset: bool = True, **idle: int) -> None:
    """Start clk_i, drive the inputs ``idle`` to their values, pulse rst_ni
    (unless ``reset`` is false: the SRAMs have none), and return just after
    a falling edge, where the benches drive their first cycle."""
    from cocotb.triggers import FallingEdge

    start_clock(dut)
    drive(dut, **idle)
    if reset:
        await pulse_reset(dut)
    await FallingEdge(dut.clk_i)
