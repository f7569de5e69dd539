"""The package layering the project relies on: the golden model and the
product code never depend on the benches.

models/   executable spec, compiler, CLI      imports: numpy (+ rtlsim, lazily, for --backend rtl)
rtlsim/   running the RTL from Python         imports: models, cocotb
bench/    benchmarks                          imports: models, rtlsim
verif/    benches, soak, demo                 imports: anything above
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = {"models": ("verif", "bench"), "rtlsim": ("verif", "bench"), "bench": ("verif",)}


def _imports(path: Path) -> set[str]:
    mods = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module)
    return mods


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upward(package):
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for mod in _imports(path):
            if mod.split(".")[0] in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(REPO)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_the_check_sees_imports():
    # the scan must be able to fail: it finds this file's own imports
    assert {"ast", "pytest"} <= _imports(Path(__file__))
