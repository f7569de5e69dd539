#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Generic gate-level synthesis of spw_top with yosys (the Debian package).
#
# Usage: scripts/synth.sh [small|chip|all]     (default: chip; run from anywhere)
#
# For each config: takes ROWS/COLS/depths/ACC_W from models/spec.py, fills in
# scripts/synth.ys and runs yosys (SRAM models as blackbox macros, hierarchical
# synth to yosys' internal gate library for a per-module breakdown, then a flat
# netlist for the whole-chip count and the loop check).  Exits non-zero on
# any latch, combinational loop, conflicting driver or undriven used signal.
# scripts/synth_report.py checks each run's log and netlist statistics and
# writes the results.
# Outputs: build/synth/<config>/ (synth.ys, yosys.log, stat_*.json/txt,
# timing.txt) and the <config> section of docs/synthesis.md, which is
# rewritten in place and stays the same while the RTL and yosys do.
# Installs yosys with scripts/apt-install.sh when it is missing.
# Env: YOSYS (default yosys), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; }

arg=${1:-chip}
case "$arg" in
    small|chip) CONFIGS=("$arg") ;;
    all) CONFIGS=(small chip) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown config '$arg' (use small, chip or all)" >&2; usage >&2; exit 2 ;;
esac

YOSYS=${YOSYS:-yosys}
PYTHON=${PYTHON:-python3}
if ! command -v "$YOSYS" >/dev/null 2>&1 || ! command -v yosys-abc >/dev/null 2>&1; then
    if [ "$YOSYS" != yosys ]; then
        echo "error: YOSYS=$YOSYS not found" >&2; exit 1
    fi
    scripts/apt-install.sh yosys || exit 1
    if ! command -v yosys >/dev/null 2>&1 || ! command -v yosys-abc >/dev/null 2>&1; then
        echo "error: yosys / yosys-abc still not on PATH after installing the yosys package" >&2; exit 1
    fi
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: $PYTHON not found (needed to read models/spec.py and write the report)" >&2; exit 1
fi

SRAM_SRCS=(hdl/spw_sram_1p.v hdl/spw_sram_1r1w.v)
RTL_SRCS=()
for f in hdl/*.v; do
    case " ${SRAM_SRCS[*]} " in *" $f "*) ;; *) RTL_SRCS+=("$f") ;; esac
done

run_config() {
    local cfg=$1 out=build/synth/$1
    # spw_top's parameters for this config: "spw_top NAME=VALUE ..."
    local params
    params=$("$PYTHON" -m models.gen_rtl_defs --params "$cfg" | sed -n 's/^spw_top //p')
    if [ -z "$params" ]; then
        echo "error: could not read config '$cfg' from models/spec.py" >&2; return 1
    fi
    local chp="" p
    for p in $params; do chp+=" -chparam ${p%%=*} ${p#*=}"; done

    rm -rf "$out"; mkdir -p "$out"
    sed -e "s|@SRAM_SRCS@|${SRAM_SRCS[*]}|" -e "s|@RTL_SRCS@|${RTL_SRCS[*]}|" \
        -e "s|@CHPARAMS@|$chp|" -e "s|@OUT@|$out|g" scripts/synth.ys >"$out/synth.ys"

    echo "synth $cfg: $params -> $out/yosys.log"
    local t0 t1 rc=0
    t0=$(date +%s)
    # -t: time-stamped log lines (stage times); -d: per-pass time table at the end
    "$YOSYS" -t -d -l "$out/yosys.log" -s "$out/synth.ys" >/dev/null 2>&1 || rc=$?
    t1=$(date +%s)
    echo "synth $cfg: yosys exit $rc after $((t1 - t0)) s"
    if [ $rc -ne 0 ]; then
        echo "FAIL synth $cfg: yosys stopped; its errors and check findings:" >&2
        grep -E -A8 "^(\[[0-9.]+\] )?(ERROR|Latch inferred|Warning: (found logic loop|multiple conflicting driver|.*has no driver))" \
            "$out/yosys.log" | head -n 80 >&2 || true
        return 1
    fi
    "$PYTHON" scripts/synth_report.py "$cfg" "$out" --wall $((t1 - t0))
}

for c in "${CONFIGS[@]}"; do
    run_config "$c" || exit 1
done
