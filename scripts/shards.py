#!/usr/bin/env python3
"""Regression shards: merge the parts of a split regression, and check the
merge against a full run (docs/verification.md, "Regression shards").

``make test SHARDS=K SHARD=i`` runs part i of K (pytest-split) and writes,
per part: ``build/junit-<sim>-shard<i>of<K>.xml`` and, from the session hook
in conftest.py, ``build/coverage/shard<i>of<K>.yml`` (functional coverage of
the part) with ``shard<i>of<K>.json`` (what the session was: simulator,
effort, seed, commit, the tests collected before the split).

merge DIR_OR_FILE... [--sim S] [--out build/shards]
    Finds the K parts (in each DIR and DIR/coverage), checks they are one
    regression cut K ways (every part present once, same commit, simulator,
    effort, seed and collection; each collected test in exactly one part)
    and writes to OUT: merged.yml (functional coverage), report.txt,
    junit-<sim>.xml (every part's testsuite), summary.json and summary.txt.
    Exit 0 only if all of that holds, no test failed and every bin of the
    coverage model is hit: the same verdict as ``make test``'s.

check [--shards build/shards] [--junit build/junit-<sim>.xml]
      [--coverage build/coverage/merged.yml] [--counts]
    Compares a merge with one full run: the same test ids, the same outcome
    per test, the same coverage bins hit.  Bin hit counts are compared too
    when both sides ran with the same fixed SEED (otherwise every cocotb run
    draws its own seed and the counts differ by design); --counts compares
    them regardless.  Exit 1 on any difference, naming it; 2 on missing
    input.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:   # verif.common.coverage, when run as scripts/shards.py
    sys.path.insert(0, str(REPO))

SHARD_RX = re.compile(r"shard(\d+)of(\d+)\.(xml|yml|json)$")
JUNIT_RX = re.compile(r"^junit-(.+)-shard(\d+)of(\d+)\.xml$")
# session facts every part of one regression shares (conftest.py _session_meta)
SAME = ("shards", "sim", "effort", "host_bus", "hypothesis_profile", "seed", "commit", "algorithm")
LIST_MAX = 20   # names listed per kind of difference; the rest are counted


class Missing(Exception):
    """An input file is absent: exit 2, not 1."""


# --------------------------------------------------------------------------- junit
def junit_id(nodeid: str) -> str:
    """A pytest node id as junit names it (classname::name), as
    _pytest.junitxml.mangle_test_address does: the path dotted, .py dropped,
    parameters kept."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]) + "::" + names[-1]


def _outcome(case: ET.Element) -> str:
    kinds = {c.tag for c in case} & {"failure", "error", "skipped"}
    if "failure" in kinds and "error" in kinds:
        return "failed+error"       # failed, then its teardown errored too
    return ("error" if "error" in kinds else "failed" if "failure" in kinds
            else "skipped" if "skipped" in kinds else "passed")


def read_junit(path: Path) -> tuple[dict[str, str], list[ET.Element], float]:
    """({test id: outcome}, the testsuite elements, summed suite time)."""
    if not path.exists():
        raise Missing(f"{path} not found")
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests: dict[str, str] = {}
    for s in suites:
        for case in s.iter("testcase"):
            tid = f"{case.get('classname', '')}::{case.get('name', '')}"
            got = _outcome(case)
            # one id twice (a report per phase): keep the worse outcome
            if tests.get(tid, "passed") == "passed":
                tests[tid] = got
    return tests, suites, sum(float(s.get("time", 0) or 0) for s in suites)


def tally(tests: dict[str, str]) -> dict[str, int]:
    c = Counter(tests.values())
    return {"tests": len(tests), **{k: c.get(k, 0) for k in ("passed", "failed", "error", "failed+error", "skipped")}}


def _listed(title: str, items) -> list[str]:
    items = sorted(items)
    out = [f"{title} ({len(items)}):"] + [f"  {x}" for x in items[:LIST_MAX]]
    if len(items) > LIST_MAX:
        out.append(f"  ... and {len(items) - LIST_MAX} more")
    return out


# --------------------------------------------------------------------------- merge
def find_parts(paths: list[Path], sim: str | None) -> dict[int, dict[int, dict[str, Path]]]:
    """{K: {i: {"junit"|"yml"|"json": path}}} from the files and directories
    given (a directory: its own files and those of its coverage/)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += [f for d in (p, p / "coverage") if d.is_dir() for f in sorted(d.iterdir())]
        elif p.exists():
            files.append(p)
        else:
            raise Missing(f"{p} not found")
    found: dict[int, dict[int, dict[str, Path]]] = {}
    dup: list[str] = []
    for f in files:
        m = SHARD_RX.search(f.name)
        if not m:
            continue
        i, k, ext = int(m.group(1)), int(m.group(2)), m.group(3)
        if ext == "xml":
            jm = JUNIT_RX.match(f.name)
            if not jm or (sim and jm.group(1) != sim):
                continue
            kind = "junit"
        else:
            kind = ext
        slot = found.setdefault(k, {}).setdefault(i, {})
        if kind in slot and slot[kind].resolve() != f.resolve():
            dup.append(f"shard {i}/{k} {kind}: {slot[kind]} and {f}")
        slot[kind] = f
    if dup:
        raise SystemExit("shards.py merge: the same part was found twice (copy one set of files):\n  "
                         + "\n  ".join(dup))
    return found


def predicted(meta: dict, selected: list[str]) -> float | None:
    """Seconds of test time the durations file gave this part (pytest-split's
    balance), if that very file is here."""
    d = meta.get("durations") or {}
    if not d.get("path") or not d.get("sha1"):
        return None
    p = REPO / d["path"]   # an absolute path stays itself
    if not p.is_file() or hashlib.sha1(p.read_bytes()).hexdigest() != d["sha1"]:
        return None
    durations = json.loads(p.read_text())
    avg = sum(durations.values()) / len(durations) if durations else 0.0
    # pytest-split charges a test it has no time for with the average
    return sum(durations.get(n, avg) for n in selected)


def merge(paths: list[Path], sim: str | None, out: Path) -> int:
    from verif.common import coverage as cov

    found = find_parts(paths, sim)
    if not found:
        raise Missing(f"no shard files (junit-<sim>-shard<i>of<K>.xml, shard<i>of<K>.json/.yml) in "
                      f"{', '.join(map(str, paths))}" + (f" for SIM={sim}" if sim else ""))
    if len(found) > 1:
        raise SystemExit("shards.py merge: parts of different splits found: "
                         + "; ".join(f"K={k}: parts {sorted(v)}" for k, v in sorted(found.items()))
                         + ". Copy the files of one split only.")
    (k, parts), = found.items()
    absent = [f"shard {i}/{k}: {kind}" for i in range(1, k + 1)
              for kind in ("junit", "json") if kind not in parts.get(i, {})]
    absent += [f"shard {i}/{k}: parts numbered beyond K" for i in parts if not 1 <= i <= k]
    if absent:
        raise Missing("missing parts of the split (each host's build/junit-*-shard*.xml and "
                      "build/coverage/shard*):\n  " + "\n  ".join(absent))

    problems: list[str] = []
    metas = {i: json.loads(parts[i]["json"].read_text()) for i in range(1, k + 1)}
    for key in SAME:
        vals = {i: m.get(key) for i, m in metas.items()}
        if len(set(map(json.dumps, vals.values()))) > 1:
            problems.append(f"the parts disagree on {key}: " + ", ".join(f"{i}: {v}" for i, v in vals.items()))
    shas = {i: (m.get("durations") or {}).get("sha1") for i, m in metas.items()}
    if len(set(shas.values())) > 1:
        problems.append("the parts were split with different durations files (the cut is not one "
                        "partition): " + ", ".join(f"{i}: {v}" for i, v in shas.items()))
    collections = {i: tuple(m.get("collected") or ()) for i, m in metas.items()}
    if len(set(collections.values())) > 1:
        sizes = ", ".join(f"{i}: {len(c)}" for i, c in collections.items())
        problems.append(f"the parts collected different test suites (tests per part: {sizes})")
    collected = {junit_id(n) for n in collections[1]}

    per_shard, all_tests, suites, owner, twice = [], {}, [], {}, []
    for i in range(1, k + 1):
        tests, ss, t_junit = read_junit(parts[i]["junit"])
        for s in ss:
            s.set("name", f"{s.get('name', 'pytest')} shard {i}/{k}")
        suites += ss
        for tid in tests:
            if tid in owner:
                twice.append(f"{tid}: shards {owner[tid]} and {i}")
            owner.setdefault(tid, i)
        all_tests.update(tests)
        m = metas[i]
        # 1 = tests failed (counted below); 5 = no tests, fine for a part the split left empty
        if m.get("exitstatus") not in (0, 1) and not (m.get("exitstatus") == 5 and not tests):
            problems.append(f"shard {i}/{k}: pytest ended with exit status {m.get('exitstatus')} "
                            f"(interrupted, internal or usage error): its part may be incomplete")
        sel = [n for n in collections[i] if junit_id(n) in tests]
        per_shard.append({"shard": i, **tally(tests), "wall_s": m.get("wall_s"), "junit_time_s": round(t_junit, 1),
                          "predicted_s": (round(p, 1) if (p := predicted(m, sel)) is not None else None),
                          "coverage_files": len(m.get("coverage_files") or []),
                          "foreign_left_out": len(m.get("foreign_coverage_files") or [])})
    if twice:
        problems.append("\n  ".join(_listed("tests that ran in more than one part", twice)))
    missing, extra = collected - set(all_tests), set(all_tests) - collected
    if missing:
        problems.append("\n  ".join(_listed("collected but in no part's junit (lost by the split, or a part died)",
                                             missing)))
    if extra:
        problems.append("\n  ".join(_listed("in a junit but not collected (another collection?)", extra)))
    runs = Counter(f for m in metas.values() for f in m.get("coverage_files") or [])
    if shared := [f for f, n in runs.items() if n > 1]:
        # conftest.py keeps a part to its own tests' runs, so this means one test ran in two parts
        problems.append("\n  ".join(_listed("coverage files merged by more than one part", shared)))

    ymls = []
    for i in range(1, k + 1):
        y = parts[i].get("yml")
        if metas[i].get("coverage_files") and y is None:
            problems.append(f"shard {i}/{k}: its .json lists coverage files but its shard{i}of{k}.yml is missing")
        elif y is not None:
            ymls.append(y)
    out.mkdir(parents=True, exist_ok=True)
    if ymls:
        merged = cov.merge_files(ymls, out / "merged.yml")
        lines, hit, total, uncovered = cov.report(cov.load(merged), [str(y) for y in ymls])
    else:
        (out / "merged.yml").unlink(missing_ok=True)
        lines, hit, total, uncovered = cov.report({})
    # report() ends with the uncovered bins, one per line, coverpoints absent from the files included
    unc_bins = [ln.strip() for ln in lines[next(n for n, ln in enumerate(lines)
                                                if ln.startswith("uncovered bins")) + 1:] if ln.strip()]
    (out / "report.txt").write_text("\n".join(lines + ["", "merged from:"] + [f"  {y}" for y in ymls]) + "\n")

    root = ET.Element("testsuites")
    root.extend(suites)
    ET.ElementTree(root).write(out / f"junit-{metas[1].get('sim') or sim or 'sim'}.xml", encoding="utf-8",
                               xml_declaration=True)

    total_t = tally(all_tests)
    bad = sorted(t for t, o in all_tests.items() if o not in ("passed", "skipped"))
    common = {key: metas[1].get(key) for key in SAME}
    summary = {
        **common, "durations": metas[1].get("durations"), "per_shard": per_shard, "total": total_t,
        "failed_tests": bad, "coverage": {"hit": hit, "bins": total, "uncovered": unc_bins},
        "problems": problems, "metas": {str(i): {k2: v for k2, v in m.items() if k2 != "collected"}
                                        for i, m in metas.items()},
        "ok": not problems and not bad and uncovered == 0, "tests": dict(sorted(all_tests.items())),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    text = [f"shards.py merge: {k} part(s), sim={common['sim']} effort={common['effort']} "
            f"seed={common['seed'] or 'per run'} commit={(common['commit'] or '?')[:12]}",
            f"{'shard':>5} {'tests':>6} {'passed':>6} {'failed':>6} {'error':>5} {'skip':>4} "
            f"{'wall s':>7} {'predicted s':>11} {'cov files':>9}"]
    for s in per_shard:
        text.append(f"{s['shard']:>3}/{k} {s['tests']:>6} {s['passed']:>6} {s['failed'] + s['failed+error']:>6} "
                    f"{s['error']:>5} {s['skipped']:>4} {s['wall_s'] if s['wall_s'] is not None else '?':>7} "
                    f"{s['predicted_s'] if s['predicted_s'] is not None else '-':>11} {s['coverage_files']:>9}")
    text.append(f"{'all':>5} {total_t['tests']:>6} {total_t['passed']:>6} "
                f"{total_t['failed'] + total_t['failed+error']:>6} {total_t['error']:>5} {total_t['skipped']:>4}"
                f"   (collected: {len(collected)})")
    text += ["", *lines, ""]
    if bad:
        text += _listed("failed tests", [f"{t}: {all_tests[t]}" for t in bad])
    if foreign := sum(x["foreign_left_out"] for x in per_shard):
        text.append(f"note: the parts left out {foreign} coverage file(s) that other sessions in their checkout "
                    f"wrote meanwhile (listed in each part's .json)")
    if problems:
        text += ["the parts do not add up to one regression:"] + [f"  {p}" for p in problems]
    verdict = ("OK: every collected test ran once, none failed, "
               f"{hit}/{total} bins covered" if summary["ok"] else
               "FAIL: " + "; ".join(x for x in (
                   f"{len(bad)} test(s) failed" if bad else "",
                   f"{uncovered} of {total} bins uncovered" if uncovered else "",
                   f"{len(problems)} consistency problem(s)" if problems else "") if x))
    text.append(f"shards.py merge: {verdict} -> {out}")
    (out / "summary.txt").write_text("\n".join(text) + "\n")
    print("\n".join(text), file=sys.stdout if summary["ok"] else sys.stderr)
    return 0 if summary["ok"] else 1


# --------------------------------------------------------------------------- check
def _hits(db: dict) -> dict[str, tuple[dict[str, int], int]]:
    return {n: (dict(e["bins:_hits"]), e.get("at_least", 1)) for n, e in db.items()
            if isinstance(e, dict) and "bins:_hits" in e}


def check(shards: Path, junit: Path, coverage: Path, counts: bool | None) -> int:
    from verif.common import coverage as cov

    if not (shards / "summary.json").exists():
        raise Missing(f"{shards / 'summary.json'} not found: run `make shard-merge` first")
    summary = json.loads((shards / "summary.json").read_text())
    if not (shards / "merged.yml").exists():
        raise Missing(f"{shards / 'merged.yml'} not found: the merge had no coverage")
    if not coverage.exists():
        raise Missing(f"{coverage} not found: run the full regression (`make test`) first")
    part_tests: dict[str, str] = summary["tests"]
    full_tests, _, _ = read_junit(junit)
    full_meta_path = coverage.with_suffix(".json")
    full_meta = json.loads(full_meta_path.read_text()) if full_meta_path.exists() else None

    diffs: list[str] = []
    notes: list[str] = []
    if full_meta is None:
        notes.append(f"{full_meta_path} not found: the full run's seed, simulator and effort are unknown")
    elif full_meta.get("foreign_coverage_files"):
        # the full run merges every file written during its session, as make test always has
        notes.append(f"the full run also merged {len(full_meta['foreign_coverage_files'])} coverage file(s) of "
                     f"tests it did not run (another session in the same checkout); its hit counts include them")
    else:
        for key in ("sim", "effort", "host_bus", "hypothesis_profile"):
            if full_meta.get(key) != summary.get(key):
                diffs.append(f"the runs differ in {key}: full {full_meta.get(key)}, shards {summary.get(key)}")
        if full_meta.get("commit") != summary.get("commit"):
            # the data decide; a differing commit explains any difference below
            notes.append(f"different commits: full {full_meta.get('commit')}, shards {summary.get('commit')}")
    if not summary.get("ok"):
        notes.append("the merge itself did not pass (see summary.txt); comparing anyway")

    only_full, only_parts = set(full_tests) - set(part_tests), set(part_tests) - set(full_tests)
    if only_full:
        diffs += _listed("tests only in the full run", only_full)
    if only_parts:
        diffs += _listed("tests only in the shards", only_parts)
    changed = [f"{t}: full {full_tests[t]}, shards {part_tests[t]}" for t in sorted(set(full_tests) & set(part_tests))
               if full_tests[t] != part_tests[t]]
    if changed:
        diffs += _listed("tests whose outcome differs", changed)

    full_cov, part_cov = _hits(cov.load(coverage)), _hits(cov.load(shards / "merged.yml"))
    bins_diff, hit_diff, count_diff = [], [], []
    n_bins = n_hit = 0
    for name in sorted(set(full_cov) | set(part_cov)):
        (fh, fa), (ph, pa) = full_cov.get(name, ({}, 1)), part_cov.get(name, ({}, 1))
        if set(fh) != set(ph) or fa != pa:
            bins_diff.append(f"{name}: full {sorted(fh)} at least {fa}, shards {sorted(ph)} at least {pa}")
            continue
        for b in sorted(fh):
            n_bins += 1
            f_hit, p_hit = fh[b] >= fa, ph[b] >= pa
            n_hit += f_hit
            if f_hit != p_hit:
                hit_diff.append(f"{name}: {b} hit {fh[b]}x in the full run, {ph[b]}x in the shards")
            if fh[b] != ph[b]:
                count_diff.append(f"{name}: {b} {fh[b]} vs {ph[b]}")
    if bins_diff:
        diffs += _listed("coverpoints whose bins differ", bins_diff)
    if hit_diff:
        diffs += _listed("bins hit on one side only", hit_diff)

    seeds = {summary.get("seed"), (full_meta or {}).get("seed")}
    fixed = full_meta is not None and len(seeds) == 1 and None not in seeds
    compare_counts = fixed if counts is None else counts
    if compare_counts:
        if count_diff:
            diffs += _listed("bins whose hit counts differ (full vs shards)", count_diff)
        how = f"hit counts identical in all {n_bins} bins" if not count_diff else "hit counts differ"
        how += f" (SEED={summary.get('seed')} on both sides)" if fixed else ""
    else:
        why = ("the seeds differ" if full_meta and len(seeds) > 1 else
               "no fixed SEED: each cocotb run draws its own seed" if full_meta else "the full run's seed is unknown")
        how = (f"hit counts not compared ({why}); they differ in {len(count_diff)} of {n_bins} bins"
               if count_diff else f"hit counts not compared ({why}), though identical")

    for n in notes:
        print(f"shards.py check: note: {n}")
    if diffs:
        print("shards.py check: FAIL: the shards differ from the full run\n  " + "\n  ".join(diffs), file=sys.stderr)
        return 1
    t = tally(full_tests)
    print(f"shards.py check: OK: {t['tests']} tests, the same ids and outcomes ({t['passed']} passed, "
          f"{t['failed'] + t['failed+error'] + t['error']} failed or errored, {t['skipped']} skipped) in {junit} "
          f"and the {len(summary.get('per_shard', []))} shards; the same {n_hit}/{n_bins} bins hit; {how}")
    return 0


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge", help="merge the parts, gate like make test")
    m.add_argument("paths", nargs="*", type=Path, default=[REPO / "build"],
                   help="directories (and their coverage/) or files holding the parts (default build/)")
    m.add_argument("--sim", help="take only this simulator's junit files")
    m.add_argument("--out", type=Path, default=REPO / "build" / "shards")
    c = sub.add_parser("check", help="compare a merge with a full run")
    c.add_argument("--shards", type=Path, default=REPO / "build" / "shards")
    c.add_argument("--junit", type=Path, default=REPO / "build" / "junit-icarus.xml")
    c.add_argument("--coverage", type=Path, default=REPO / "build" / "coverage" / "merged.yml")
    c.add_argument("--counts", action=argparse.BooleanOptionalAction, default=None,
                   help="compare bin hit counts (default: only when both sides ran with the same fixed SEED)")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "merge":
            return merge(a.paths, a.sim, a.out)
        return check(a.shards, a.junit, a.coverage, a.counts)
    except Missing as e:
        print(f"shards.py {a.cmd}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
