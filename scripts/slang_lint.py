#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Elaborate hdl/*.v with slang (pyslang) and fail on any error or warning.

Each module is elaborated as the top, once with its own parameter defaults
and once with the parameters spw_top gives it in every configuration of
models/spec.py (models.gen_rtl_defs.module_params), since width and sign
problems depend on parameters.  All hdl/*.v are parsed every time, with hdl/
as the include path, so submodules elaborate too.  slang parses the files as
SystemVerilog, a superset of the Verilog-2005 they are written in; Icarus
-g2005 (scripts/lint.sh) holds them to Verilog-2005.

Every warning group is on (-Weverything: sign and width conversions, operand
type mismatches, unused code and the rest), and any warning fails.  There is
no waiver list because every warning slang has given was fixed in the RTL.

Usage: scripts/slang_lint.py [hdl/file.v ...]   (default: every hdl/*.v)
Exit status 1 on any error or warning.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyslang import DiagnosticEngine, TextDiagnosticClient
from pyslang.driver import CommandLineOptions, Driver

from models.gen_rtl_defs import module_params
from models.spec import CONFIGS

HDL = ROOT / "hdl"


def elaborate(top: str, params: dict[str, int], sources: list[Path]) -> tuple[int, int, str]:
    """(errors, warnings, report text) of one elaboration of top."""
    args = ["slang", "-I", str(HDL.relative_to(ROOT)), "--top", top]
    for name, value in params.items():
        args += ["-G", f"{name}={value}"]
    args += [str(p.relative_to(ROOT)) for p in sources]
    drv = Driver()
    drv.addStandardArgs()
    if not drv.parseCommandLine(" ".join(args), CommandLineOptions()) or not drv.processOptions():
        return 1, 0, f"slang rejected its command line: {' '.join(args)}\n"
    if not drv.parseAllSources():
        return 1, 0, "slang could not load the sources\n"
    comp = drv.createCompilation()
    # an engine of our own, so the report comes back as text instead of
    # being written by the driver out of order with ours
    engine = DiagnosticEngine(comp.sourceManager)
    client = TextDiagnosticClient()
    client.showColors(False)
    engine.addClient(client)
    engine.setWarningOptions(["everything"])
    for diag in comp.getAllDiagnostics():
        engine.issue(diag)
    return engine.numErrors, engine.numWarnings, client.getString()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path, help="modules to elaborate as top (default: hdl/*.v)")
    a = p.parse_args(argv)

    os.chdir(ROOT)                      # diagnostics name files relative to the repo
    sources = sorted(HDL.glob("*.v"))
    tops = [f.stem for f in a.files] if a.files else [f.stem for f in sources]
    sets = {name: module_params(cfg) for name, cfg in CONFIGS.items()}

    failed = 0
    runs = 0
    for top in tops:
        # defaults first, then each configuration's parameters
        variants = [("defaults", {})]
        for name, table in sets.items():
            if top not in table:
                print(f"FAIL slang {top}: no {name} parameters for it in models/gen_rtl_defs.py "
                      "module_params()")
                failed += 1
                continue
            variants.append((name, table[top]))
        for label, params in variants:
            errors, warnings, text = elaborate(top, params, sources)
            runs += 1
            if errors or warnings:
                failed += 1
                shown = " ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
                print(f"FAIL slang {top} ({label}: {shown}): {errors} errors, {warnings} warnings")
                print(text.rstrip())
    if failed:
        print(f"slang: FAILED ({failed} of {runs} elaborations)")
        return 1
    print(f"slang: clean ({len(tops)} tops x {1 + len(sets)} parameter sets)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
