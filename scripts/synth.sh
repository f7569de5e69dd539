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
# Outputs: build/synth/<config>/ (synth.ys, yosys.log, stat_*.json/txt) and
# the <config> section of docs/synthesis.md, which it rewrites in place.
# Installs yosys with scripts/apt-install.sh when it is missing.
# Env: YOSYS (default yosys), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; }

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
    local params
    params=$("$PYTHON" -c "
from models import spec
c = spec.get_config('$cfg')
print(c.rows, c.cols, c.adepth, c.wdepth, c.idepth, c.acc_w)") || {
        echo "error: could not read config '$cfg' from models/spec.py" >&2; return 1; }
    local ROWS COLS ADEPTH WDEPTH IDEPTH ACC_W
    read -r ROWS COLS ADEPTH WDEPTH IDEPTH ACC_W <<<"$params"
    local chp="-chparam ROWS $ROWS -chparam COLS $COLS -chparam ADEPTH $ADEPTH"
    chp+=" -chparam WDEPTH $WDEPTH -chparam IDEPTH $IDEPTH -chparam ACC_W $ACC_W"

    rm -rf "$out"; mkdir -p "$out"
    sed -e "s|@SRAM_SRCS@|${SRAM_SRCS[*]}|" -e "s|@RTL_SRCS@|${RTL_SRCS[*]}|" \
        -e "s|@CHPARAMS@|$chp|" -e "s|@OUT@|$out|g" scripts/synth.ys >"$out/synth.ys"

    echo "synth $cfg: ROWS=$ROWS COLS=$COLS ADEPTH=$ADEPTH WDEPTH=$WDEPTH IDEPTH=$IDEPTH ACC_W=$ACC_W -> $out/yosys.log"
    local t0 t1 rc=0 rev
    # the RTL revision synthesized (git state at the start of the run)
    rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ -n "$(git status --porcelain -- hdl 2>/dev/null)" ]; then rev+=" + uncommitted changes in hdl/"; fi
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
    SYN_CFG=$cfg SYN_OUT=$out SYN_WALL=$((t1 - t0)) SYN_ARG="$arg" SYN_REV="$rev" \
        SYN_PARAMS="$ROWS $COLS $ADEPTH $WDEPTH $IDEPTH $ACC_W" "$PYTHON" - <<'PYEOF'
import json, os, re, sys
from datetime import datetime, timezone

cfg, out = os.environ["SYN_CFG"], os.environ["SYN_OUT"]
wall = int(os.environ["SYN_WALL"])
rows, cols, adepth, wdepth, idepth, acc_w = map(int, os.environ["SYN_PARAMS"].split())
raw = open(f"{out}/yosys.log", encoding="utf-8", errors="replace").read()
TS = r"^\[(\d+\.\d+)\] "
log = re.sub(TS, "", raw, flags=re.M)          # drop yosys -t time stamps
DOC = "docs/synthesis.md"
SEED_GATES = 746_000

def fail(msg):
    print(f"FAIL synth {cfg}: {msg}", file=sys.stderr)
    sys.exit(1)

# ---- checks on the log (yosys already asserted most of these) ----
latch_msgs = re.findall(r"^Latch inferred for signal.*$", log, re.M)
drv_msgs = sorted(set(re.findall(r"^Warning: .*(?:conflicting driver|no driver|without driver|undriven).*$",
                                  log, re.M | re.I)))
loop_msgs = re.findall(r"^Warning: found logic loop.*$", log, re.M)
if latch_msgs:
    fail("latches inferred:\n  " + "\n  ".join(latch_msgs))
if drv_msgs:
    fail("driver problems:\n  " + "\n  ".join(drv_msgs))
if loop_msgs:
    fail("combinational loops:\n  " + "\n  ".join(loop_msgs))
m = re.findall(r"Found and expected (\d+) SCCs", log)
if not m:
    fail("no scc result in the log")
loops = int(m[-1])
checks = [int(x) for x in re.findall(r"Found and reported (\d+) problems", log)]
if not checks or any(checks):
    fail(f"check reported problems: {checks}")
warnings = sorted(set(re.findall(r"^Warning: (.*)$", log, re.M)))
version = re.search(r"Yosys \d[^\n]*", log).group(0).strip()
cpu = re.findall(r"^End of script\..*CPU: user ([0-9.]+)s system ([0-9.]+)s, MEM: ([0-9.]+) MB peak", log, re.M)
cpu_s, mem_mb = (float(cpu[-1][0]) + float(cpu[-1][1]), float(cpu[-1][2])) if cpu else (float("nan"), float("nan"))
# wall time per top-level yosys command, from the -t time stamps
marks = [(float(t), name.lower()) for t, name in
         re.findall(TS + r"\d+\. Executing (\S+) pass", raw, re.M)]
marks += [(float(t), None) for t in re.findall(TS + r"End of script", raw, re.M)]
stage = {}
for (t, name), (t2, _) in zip(marks, marks[1:]):
    if name:
        stage[name] = stage.get(name, 0.0) + t2 - t
stages = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(stage.items(), key=lambda kv: -kv[1]) if v >= 1)
# top passes by CPU time (yosys -d table)
spent = re.findall(r"^\s+(\d+)%\s+(\d+) calls\s+([0-9.]+) sec (\S+)$", log, re.M)
passes = ", ".join(f"{name} {float(sec):.0f} s" for pct, calls, sec, name in spent[:5])

# ---- gate equivalents ----
# Typical relative standard-cell areas, NAND2 = 1 (see the doc header).
GATE_GE = {"$_NOT_": 0.67, "$_BUF_": 1.0, "$_NAND_": 1.0, "$_NOR_": 1.0,
           "$_AND_": 1.33, "$_OR_": 1.33, "$_ANDNOT_": 1.33, "$_ORNOT_": 1.33,
           "$_XOR_": 2.0, "$_XNOR_": 2.0, "$_MUX_": 2.33, "$_NMUX_": 2.33,
           "$_AOI3_": 1.33, "$_OAI3_": 1.33, "$_AOI4_": 1.67, "$_OAI4_": 1.67}
DFF_GE, ARST_GE, EN_GE, SRST_GE = 5.67, 1.0, 2.33, 1.33

def is_ff(t):
    return re.match(r"^\$_(S?DFF|ALDFF|DFFSR|SDFFC?E|DFFE|DFFSRE|ALDFFE)", t) is not None

def is_latch(t):
    return t.startswith("$_DLATCH") or t.startswith("$_SR_") or t in ("$dlatch", "$adlatch", "$dlatchsr")

def ff_ge(t):
    ge = DFF_GE
    if re.match(r"^\$_(DFF|DFFE)_[NP][NP][01]", t) or t.startswith(("$_DFFSR", "$_ALDFF")):
        ge += ARST_GE                     # async reset / set
    if t.startswith(("$_SDFF", "$_SDFFE", "$_SDFFCE")):
        ge += SRST_GE                     # sync reset
    if "DFFE" in t or "SDFFCE" in t or t.startswith("$_ALDFFE"):
        ge += EN_GE                       # clock enable as a mux
    return ge

def base(name):
    name = name.lstrip("\\")
    m = re.match(r"^\$paramod(?:\$[0-9a-f]+)?\\([A-Za-z_][A-Za-z0-9_]*)", name)
    return m.group(1) if m else name

def is_macro(t):
    return base(t).startswith("spw_sram_")

def load(path):
    # yosys 0.23 `stat -json` prints the hierarchy tree's deeper lines into
    # the JSON when the design has a top module: keep only JSON lines
    lines = (re.sub(TS, "", l) for l in open(path))
    text = "".join(l for l in lines if l.strip()[:1] in ('"', "{", "}", "[", "]", ""))
    mods = json.loads(text)["modules"]
    # module names carry RTLIL's leading backslash, cell types may not
    return {k.lstrip("\\"): {**v, "num_cells_by_type": {t.lstrip("\\"): c for t, c in v["num_cells_by_type"].items()}}
            for k, v in mods.items()}

def tally(types):
    r = {"gates": 0, "ffs": 0, "latches": 0, "macros": 0, "ge": 0.0, "other": {}}
    for t, n in types.items():
        if is_latch(t):
            r["latches"] += n
        elif is_ff(t):
            r["ffs"] += n; r["ge"] += n * ff_ge(t)
        elif t in GATE_GE:
            r["gates"] += n; r["ge"] += n * GATE_GE[t]
        elif is_macro(t):
            r["macros"] += n
        else:
            r["other"][t] = n
    return r

flat_mods = load(f"{out}/stat_flat.json")
if len(flat_mods) != 1:
    fail(f"flat netlist has {len(flat_mods)} modules")
flat_types = next(iter(flat_mods.values()))["num_cells_by_type"]
flat = tally(flat_types)
if flat["other"]:
    fail(f"unexpected cell types in the flat netlist: {flat['other']}")
if flat["latches"]:
    fail(f"{flat['latches']} latch cells")
macro_types = {t: n for t, n in flat_types.items() if is_macro(t)}
if sum(macro_types.values()) != 4:
    fail(f"expected 4 SRAM blackbox instances, found {macro_types}")

hier = load(f"{out}/stat_hier.json")
own = {}
for mod, v in hier.items():
    types = v["num_cells_by_type"]
    subs = {t: n for t, n in types.items() if t in hier}
    leaf = {t: n for t, n in types.items() if t not in hier}
    own[mod] = (tally(leaf), subs)
    if own[mod][0]["other"]:
        fail(f"unexpected cell types in {mod}: {own[mod][0]['other']}")
top = [m for m in hier if base(m) == "spw_top"]
if len(top) != 1:
    fail(f"top module not found in {list(hier)}")
insts = {}
def walk(mod, k):
    insts[mod] = insts.get(mod, 0) + k
    for s, n in own[mod][1].items():
        walk(s, k * n)
walk(top[0], 1)
htot = {"gates": 0, "ffs": 0, "ge": 0.0, "macros": 0}
for mod, k in insts.items():
    for key in htot:
        htot[key] += k * own[mod][0][key]

src = os.environ["SYN_REV"]

def n(x):
    return f"{x:,}"

cells = flat["gates"] + flat["ffs"]
ge = round(flat["ge"])
lines = []
A = lines.append
A(f"## Config `{cfg}`")
A("")
A(f"Produced by `scripts/synth.sh {os.environ['SYN_ARG']}` on "
  f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, {version}, RTL at {src}.  "
  f"Yosys run time: {wall} s wall, {cpu_s:.0f} s CPU, {mem_mb:.0f} MB peak (one thread, on a 2-core machine "
  f"shared with other jobs).")
A("")
A(f"Wall time by yosys command: {stages or '?'}.  Costliest passes (CPU): {passes or '?'}.")
A("")
A(f"Parameters (models/spec.py): ROWS={rows} COLS={cols} ADEPTH={adepth} WDEPTH={wdepth} "
  f"IDEPTH={idepth} ACC_W={acc_w}.")
A("")
A("| result (flat netlist) | value |")
A("| --- | ---: |")
A(f"| cells: gates + flip-flops (SRAM macros excluded) | {n(cells)} |")
A(f"| logic gates | {n(flat['gates'])} |")
A(f"| flip-flops | {n(flat['ffs'])} |")
A(f"| latches | {flat['latches']} |")
A(f"| combinational loops (SCCs) | {loops} |")
A(f"| `check` problems (RTL and flat) | {sum(checks)} |")
A(f"| SRAM macro instances (blackboxes) | {sum(macro_types.values())} |")
A(f"| NAND2 gate equivalents (see method) | {n(ge)} |")
A(f"| ... vs. the seed chip's 746K gates | {ge / SEED_GATES:.2f}x |")
A("")
A(f"Blackboxed SRAMs (not counted above): IMem spw_sram_1p {idepth} x 64, "
  f"WMem spw_sram_1p {wdepth} x {cols * 4}, AMem 2 x spw_sram_1r1w {adepth // 2} x {rows * 4}.")
A("")
A("Cell types (flat):")
A("")
A("| type | count |")
A("| --- | ---: |")
shown = {}
for t, k in flat_types.items():
    key = f"{base(t)} (SRAM blackbox)" if is_macro(t) else f"`{t}`"
    shown[key] = shown.get(key, 0) + k
for t in sorted(shown, key=lambda t: ("blackbox" in t, -shown[t], t)):
    A(f"| {t} | {n(shown[t])} |")
A("")
A("Per module (hierarchical synthesis, before flattening; a module's cells exclude its submodules):")
A("")
A("| module | instances | cells | flip-flops | NAND2 eq. | share of cells |")
A("| --- | ---: | ---: | ---: | ---: | ---: |")
hcells = htot["gates"] + htot["ffs"]
for mod in sorted(insts, key=lambda m: -(own[m][0]["gates"] + own[m][0]["ffs"]) * insts[m]):
    t, k = own[mod][0], insts[mod]
    c = (t["gates"] + t["ffs"]) * k
    A(f"| {base(mod)} | {k} | {n(c)} | {n(t['ffs'] * k)} | {n(round(t['ge'] * k))} | {100 * c / hcells:.1f}% |")
A(f"| **total (hierarchical)** | | {n(hcells)} | {n(htot['ffs'])} | {n(round(htot['ge']))} | |")
A("")
A("The flat total is smaller than the hierarchical one by what flattening lets `opt` "
  "remove across module boundaries (constant and unused ports, merged duplicates).")
A("")
if warnings:
    A("Yosys warnings (none is a latch, loop or driver problem; those fail the script).  "
      "\"Replacing memory ... with list of registers\" is the frontend's mem2reg turning an RTL "
      "array that is reset or indexed in a loop into plain registers, which is what those arrays are:")
    A("")
    for w in warnings:
        A(f"- {w}")
    A("")
section = "\n".join(lines).rstrip() + "\n"

HEADER = """# Synthesis (yosys)

Generated by `scripts/synth.sh [small|chip|all]` (`make synth`): each run
rewrites its config's section below; do not edit by hand.  Logs, the filled-in
yosys script and the raw `stat` output are in `build/synth/<config>/`.

Flow (`scripts/synth.ys`): `read_verilog -defer` of `hdl/*.v` (Verilog-2005),
`hierarchy -top spw_top` with `-chparam` ROWS, COLS, ADEPTH, WDEPTH, IDEPTH and
ACC_W from `models/spec.py`; `proc`; `synth -top spw_top` with the hierarchy
kept (coarse optimisation, `memory`, `techmap`, `abc -fast` to yosys' generic
gate library: AND, NAND, OR, NOR, XOR, XNOR, ANDNOT, ORNOT, MUX, NOT, plus
D flip-flops) for the per-module breakdown; then `flatten`, `opt -fast`,
`opt_clean -purge` for the whole-chip numbers.  No timing-driven mapping, no
standard-cell library: the counts are a technology-independent size estimate.

**SRAMs are blackboxes.**  `spw_sram_1p` (IMem, WMem) and `spw_sram_1r1w`
(the two AMem banks) stand for SRAM macros: they are read with
`read_verilog -lib`, so only their ports exist, and none of their bits is in
the cell or flip-flop counts.

Checks (the script exits non-zero on any): no `$dlatch` after `proc` and no
latch cell after mapping; no memory cell left after `memory`; `check` on the
RTL and `check -assert` on the flat netlist (conflicting drivers, used signals
without a driver, logic loops); `scc -expect 0` on the flat netlist's
combinational cells (flip-flops and the SRAM blackboxes cut every legal cycle).
The loop checks run on the flat netlist because a loop through two modules is
invisible per module; both were seen to fail on a deliberately looped test
design.

Gate equivalents (NAND2 eq.): each cell is weighted by a typical
standard-cell area relative to a 2-input NAND, the usual "gate" unit: NOT
0.67; NAND, NOR 1; AND, OR, ANDNOT, ORNOT 1.33; XOR, XNOR 2; MUX 2.33;
D flip-flop 5.67, +1 with asynchronous reset or set, +1.33 with synchronous
reset, +2.33 with clock enable (counted as a mux).  "Cells" counts every
gate and flip-flop as one.  Neither is a real library's area: abc mapped to
generic gates without the complex cells (AOI/OAI, full adders) a library
offers, so both overstate what a tuned 40 nm netlist would have.  The seed
chip's "746K gates" (32x32 array, 40 nm) has no stated method, so the ratio
to it is a scale check only.
"""

old = open(DOC).read() if os.path.exists(DOC) else ""
sections = {}
for m in re.finditer(r"<!-- synth:(\w+):begin -->\n(.*?)<!-- synth:\1:end -->\n", old, re.S):
    sections[m.group(1)] = m.group(2)
sections[cfg] = section
order = [c for c in ("small", "chip") if c in sections] + sorted(c for c in sections if c not in ("small", "chip"))
doc = HEADER + "".join(f"\n<!-- synth:{c}:begin -->\n{sections[c]}<!-- synth:{c}:end -->\n" for c in order)
open(DOC, "w").write(doc)
print(f"synth {cfg}: {n(cells)} cells ({n(flat['gates'])} gates + {n(flat['ffs'])} flip-flops), "
      f"~{n(ge)} NAND2 eq. ({ge / SEED_GATES:.2f}x the seed's 746K), latches {flat['latches']}, "
      f"loops {loops}, SRAM blackboxes {sum(macro_types.values())}; section written to {DOC}")
PYEOF
}

for c in "${CONFIGS[@]}"; do
    run_config "$c" || exit 1
done
