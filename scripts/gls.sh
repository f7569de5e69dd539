#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate-level simulation (GLS) of spw_top: yosys synthesizes a configuration
# to a flat netlist of yosys' generic gates, with the SRAMs left as their
# behavioural models, and the system benches run on that netlist on
# Verilator, checked bit- and cycle-exact against the golden model like the
# RTL.  Method, run times and results: docs/gls.md.
#
# Usage: scripts/gls.sh [--synth-only | --sim-only] [PYTEST_ARG ...]
#   (no option)   synthesize if the netlist is stale, then run the benches
#   --synth-only  synthesize (always) and stop
#   --sim-only    run the benches on the existing netlist
#   PYTEST_ARG    replaces the default bench list (GLS_TESTS), e.g. a node id
# Env:
#   GLS_CONFIG   configuration (models/spec.py), default small
#   GLS_TESTS    pytest node ids, default the small system benches:
#                verif/system/test_spw_top.py::test_spw_top[small] and
#                verif/system/test_pruned_dw.py::test_pruned_dw[small]
#   GLS_SIM      simulator, default verilator; icarus runs the netlist
#                4-state (X propagation through the gates), much slower
#   SPW_EFFORT, SEED, COCOTB_TEST_FILTER, WAVES  as for the RTL benches
#   YOSYS (default yosys), PY (default .venv/bin/python)
# Outputs: build/gls/<config>/ (netlist.v, simcells.v, gls.json, yosys.log,
# stat.txt, gls.ys), build/gls/sim/ (simulator builds), build/gls/runs/
# (one directory per test), build/gls/junit-<config>-<sim>.xml.
# Exit status: non-zero if yosys fails or any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; }

mode=all
args=()
for a in "$@"; do
    case "$a" in
        --synth-only) mode=synth ;;
        --sim-only) mode=sim ;;
        -h|--help) usage; exit 0 ;;
        *) args+=("$a") ;;
    esac
done

CFG=${GLS_CONFIG:-small}
OUT=build/gls/$CFG
YOSYS=${YOSYS:-yosys}
PY=${PY:-.venv/bin/python}
SRAM_SRCS=(hdl/spw_sram_1p.v hdl/spw_sram_1r1w.v)

need_yosys() {
    if ! command -v "$YOSYS" >/dev/null 2>&1 || ! command -v yosys-abc >/dev/null 2>&1; then
        if [ "$YOSYS" != yosys ]; then echo "error: YOSYS=$YOSYS not found" >&2; exit 1; fi
        scripts/apt-install.sh yosys || exit 1
    fi
}

# yosys' generic cell models, from the yosys that writes the netlist
simcells() {
    local f
    f=$(dirname "$(command -v "$YOSYS")")/../share/yosys/simcells.v
    [ -f "$f" ] || f=/usr/share/yosys/simcells.v
    [ -f "$f" ] || { echo "error: simcells.v of $YOSYS not found" >&2; exit 1; }
    echo "$f"
}

# what a netlist is made from: hdl/, scripts/gls.ys and the parameters
# (rtlsim.build.gls_digest; SPW_GLS=1 runs refuse a netlist whose digest differs)
digest() {
    "$PY" -c "import sys; from models.spec import get_config; from rtlsim.build import gls_digest
print(gls_digest(get_config(sys.argv[1]).hdl_params()))" "$CFG"
}

stale() {
    [ -f "$OUT/netlist.v" ] && [ -f "$OUT/gls.json" ] || return 0
    ! grep -q "\"digest\": \"$(digest)\"" "$OUT/gls.json"
}

synth() {
    need_yosys
    local params chp="" p rtl=()
    params=$("$PY" -m models.gen_rtl_defs --params "$CFG" | sed -n 's/^spw_top //p')
    [ -n "$params" ] || { echo "error: could not read config '$CFG' from models/spec.py" >&2; exit 1; }
    for p in $params; do chp+=" -chparam ${p%%=*} ${p#*=}"; done
    for f in hdl/*.v; do
        case " ${SRAM_SRCS[*]} " in *" $f "*) ;; *) rtl+=("$f") ;; esac
    done
    # what the netlist is made from, taken before yosys reads it (others may
    # edit hdl/ meanwhile: scripts/gls.py refuses the netlist if it changed)
    local dg
    dg=$(digest)
    rm -rf "$OUT"; mkdir -p "$OUT"
    sed -e "s|@SRAM_SRCS@|${SRAM_SRCS[*]}|" -e "s|@RTL_SRCS@|${rtl[*]}|" \
        -e "s|@CHPARAMS@|$chp|" -e "s|@OUT@|$OUT|g" scripts/gls.ys >"$OUT/gls.ys"
    echo "gls synth $CFG: $params -> $OUT/yosys.log"
    local t0 rc=0
    t0=$(date +%s)
    "$YOSYS" -q -l "$OUT/yosys.log" -s "$OUT/gls.ys" >/dev/null 2>&1 || rc=$?
    echo "gls synth $CFG: yosys exit $rc after $(( $(date +%s) - t0 )) s"
    if [ $rc -ne 0 ]; then
        echo "FAIL gls synth $CFG: yosys stopped:" >&2
        grep -E -A8 "ERROR|Latch inferred|Warning: (found logic loop|multiple conflicting driver|.*has no driver)" \
            "$OUT/yosys.log" | head -n 60 >&2 || true
        exit 1
    fi
    cp "$(simcells)" "$OUT/simcells.v"
    "$PY" scripts/gls.py finish "$OUT" --config "$CFG" --params $params --digest "$dg" \
        --yosys "$("$YOSYS" -V)"
    rm -f "$OUT/netlist_raw.v"
}

case $mode in
    synth) synth; exit 0 ;;
    all) if stale; then synth; else echo "gls synth $CFG: $OUT/netlist.v is up to date"; fi ;;
    sim) [ -f "$OUT/netlist.v" ] || { echo "error: no $OUT/netlist.v: run scripts/gls.sh --synth-only" >&2; exit 1; } ;;
esac

if [ ${#args[@]} -eq 0 ]; then
    # shellcheck disable=SC2206
    args=(${GLS_TESTS:-"verif/system/test_spw_top.py::test_spw_top[$CFG]" "verif/system/test_pruned_dw.py::test_pruned_dw[$CFG]"})
fi
SIM_=${GLS_SIM:-verilator}   # not $SIM: the Makefile exports SIM=icarus
echo "gls sim $CFG: SPW_GLS=1 SIM=$SIM_ pytest ${args[*]}"
t0=$(date +%s)
rc=0
SPW_GLS=1 SIM=$SIM_ "$PY" -m pytest -p no:cacheprovider "${args[@]}" \
    --junitxml="build/gls/junit-$CFG-$SIM_.xml" || rc=$?
echo "gls sim $CFG ($SIM_): pytest exit $rc after $(( $(date +%s) - t0 )) s"
exit $rc
