"""cli.py: gen + run round trip against the independent reference, the
module entry point, and one-line field-naming errors for malformed cases."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models import reference
from models.cli import main

ROOT = Path(__file__).resolve().parents[2]


def ref_from_npz(path):
    with np.load(path) as z:
        d = {k: z[k] for k in z.files}
    mode = str(d["mode"]) if "mode" in d else "act"
    stride = int(d["stride"]) if "stride" in d else 1
    return reference.layer(d["x"], d["w"], d.get("bias"), int(d["scale"]), int(d["shift"]), mode, stride=stride)


@pytest.mark.parametrize("config", ["small", "chip"])
@pytest.mark.parametrize("seed", range(7))
def test_gen_run_matches_reference(tmp_path, capsys, config, seed):
    seed = 9000 + 37 * seed
    case, out = tmp_path / "case.npz", tmp_path / "out.npz"
    extra = ["--max-hw", "7"] if config == "chip" else []
    assert main(["gen", "--seed", str(seed), "--out", str(case), "--config", config] + extra) == 0
    assert main(["run", str(case), "--backend", "golden", "--config", config, "--out", str(out)]) == 0
    with np.load(out) as z:
        assert set(z.files) >= {"y", "cycles", "mac_busy", "skipped", "stall"}
        y = z["y"]
        assert all(z[k].shape == () and int(z[k]) >= 0 for k in ("cycles", "mac_busy", "skipped", "stall"))
        assert int(z["cycles"]) > int(z["mac_busy"])
    assert np.array_equal(y, ref_from_npz(case)), f"seed {seed} config {config}"
    assert "cycles=" in capsys.readouterr().out


@pytest.mark.parametrize("opts", [["--kind", "dw", "--k", "3"], ["--mode", "acc"], ["--kind", "empty_groups"],
                                  ["--kind", "zero_channels", "--k", "1"]])
def test_gen_options(tmp_path, opts):
    case, out = tmp_path / "case.npz", tmp_path / "out.npz"
    assert main(["gen", "--seed", "5", "--out", str(case)] + opts) == 0
    with np.load(case) as z:
        if "--mode" in opts:
            assert str(z["mode"]) == "acc"
        if "--k" in opts:
            assert z["w"].shape[2] == int(opts[opts.index("--k") + 1])
    assert main(["run", str(case), "--out", str(out)]) == 0
    with np.load(out) as z:
        assert np.array_equal(z["y"], ref_from_npz(case))


def test_gen_is_deterministic(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    main(["gen", "--seed", "77", "--out", str(a)])
    main(["gen", "--seed", "77", "--out", str(b)])
    with np.load(a) as za, np.load(b) as zb:
        assert za.files == zb.files and all(np.array_equal(za[k], zb[k]) for k in za.files)


def test_module_entry_point(tmp_path):
    case, out = tmp_path / "case.npz", tmp_path / "out.npz"
    r = subprocess.run([sys.executable, "-m", "models", "gen", "--seed", "3", "--out", str(case)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "models", "run", str(case), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with np.load(out) as z:
        assert np.array_equal(z["y"], ref_from_npz(case))
    # and a malformed case through the real process: status 2, one line
    np.savez(case, x=np.zeros((1, 2, 2), np.int64), w=np.zeros((1, 1, 5, 5), np.int64),
             scale=np.int64(1), shift=np.int64(0))
    r = subprocess.run([sys.executable, "-m", "models", "run", str(case), "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "w" in r.stderr


def test_compile_writes_images(tmp_path):
    case = tmp_path / "case.npz"
    main(["gen", "--seed", "4", "--out", str(case)])
    assert main(["compile", str(case), "--out-dir", str(tmp_path / "img")]) == 0
    for f in ("amem.hex", "wmem.hex", "imem.hex", "program.lst"):
        assert (tmp_path / "img" / f).stat().st_size > 0
    from models.memory import read_hex
    imem = read_hex(tmp_path / "img" / "imem.hex")
    assert len(imem) == 4096 and (imem[0] >> 60) == 1


def good():
    return dict(x=np.ones((2, 3, 4), np.int64), w=np.ones((3, 2, 3, 3), np.int64),
                bias=np.zeros(3, np.int64), scale=np.int64(1), shift=np.int64(0), mode=np.array("act"))


def edit(**kw):
    d = good()
    for k, v in kw.items():
        if v is None:
            d.pop(k)
        else:
            d[k] = v
    return d


BAD_CASES = [
    ("x shape", edit(x=np.ones((3, 4), np.int64)), r"^error: x: shape"),
    ("x > 15", edit(x=np.full((2, 3, 4), 16)), r"^error: x: values .*16"),
    ("x < 0", edit(x=np.full((2, 3, 4), -1)), r"^error: x: values"),
    ("w > 7", edit(w=np.full((3, 2, 3, 3), 8)), r"^error: w: values .*8"),
    ("w < -8", edit(w=np.full((3, 2, 3, 3), -9)), r"^error: w: values"),
    ("K=5", edit(w=np.ones((3, 2, 5, 5), np.int64)), r"^error: w: kernel 5x5"),
    ("K=2", edit(w=np.ones((3, 2, 2, 2), np.int64)), r"^error: w: kernel 2x2"),
    ("Cin mismatch", edit(w=np.ones((3, 5, 3, 3), np.int64)), r"^error: w: Cin=5"),
    ("bias shape", edit(bias=np.zeros(4, np.int64)), r"^error: bias: shape"),
    ("bias 2-D", edit(bias=np.zeros((3, 1), np.int64)), r"^error: bias: shape"),
    ("bias range", edit(bias=np.array([0, 16384, 0])), r"^error: bias: values"),
    ("scale > 65535", edit(scale=np.int64(65536)), r"^error: scale:"),
    ("scale negative", edit(scale=np.int64(-1)), r"^error: scale:"),
    ("shift 32", edit(shift=np.int64(32)), r"^error: shift:"),
    ("mode foo", edit(mode=np.array("foo")), r"^error: mode:"),
    ("mode number", edit(mode=np.int64(1)), r"^error: mode:"),
    ("unknown key", {**good(), "gain": np.int64(2)}, r"^error: gain: unknown field"),
    ("missing w", edit(w=None), r"^error: w: required field missing"),
    ("missing scale", edit(scale=None), r"^error: scale: required"),
    ("too big for small AMem", edit(x=np.ones((40, 32, 32), np.int64), w=np.ones((1, 40, 1, 1), np.int64),
                                    bias=None), r"^error: AMem"),
    ("H > 1023", edit(x=np.ones((1, 1024, 1), np.int64), w=np.ones((1, 1, 1, 1), np.int64), bias=None),
     r"^error: H=1024"),
    ("float x", edit(x=np.ones((2, 3, 4))), r"^error: x: must be integers"),
    ("float w", edit(w=np.ones((3, 2, 3, 3), np.float32)), r"^error: w: must be integers"),
    ("float scale", edit(scale=np.float64(1.0)), r"^error: scale:"),
    ("stride 3", {**good(), "stride": np.int64(3)}, r"^error: stride: must be the integer 1 or 2, got 3$"),
    ("stride 0", {**good(), "stride": np.int64(0)}, r"^error: stride: must be the integer 1 or 2"),
    ("stride -2", {**good(), "stride": np.int64(-2)}, r"^error: stride: must be the integer 1 or 2"),
    ("stride 2 with acc", {**edit(mode=np.array("acc")), "stride": np.int64(2)},
     r"^error: stride: stride 2 needs mode 'act'"),
    ("stride string", {**good(), "stride": np.array("2")}, r"^error: stride: must be the integer 1 or 2"),
    ("stride bool", {**good(), "stride": np.array(True)}, r"^error: stride: must be the integer 1 or 2"),
    ("stride float", {**good(), "stride": np.float64(2.0)}, r"^error: stride: must be the integer 1 or 2"),
    ("stride array", {**good(), "stride": np.array([2])}, r"^error: stride: must be the integer 1 or 2"),
]


@pytest.mark.parametrize("desc,d,pattern", BAD_CASES, ids=[b[0] for b in BAD_CASES])
def test_malformed_case_exit_2_one_line(tmp_path, capsys, desc, d, pattern):
    case = tmp_path / "bad.npz"
    np.savez(case, **d)
    out = tmp_path / "out.npz"
    rc = main(["run", str(case), "--out", str(out)])
    cap = capsys.readouterr()
    assert rc == 2, desc
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1, cap.err
    import re
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists()


def test_not_an_npz(tmp_path, capsys):
    p = tmp_path / "junk.npz"
    p.write_text("not a zip")
    assert main(["run", str(p), "--out", str(tmp_path / "o.npz")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_case_too_big_for_wbase_field_exits_2(tmp_path, capsys):
    """> 65535 valid weight words: should be the one-line WMem error, exit 2
    (currently a ValueError traceback from GROUP.WBASE encoding)."""
    case = tmp_path / "big.npz"
    np.savez(case, x=np.ones((3700, 1, 1), np.int64), w=np.ones((17, 3700, 3, 3), np.int8),
             scale=np.int64(1), shift=np.int64(0))
    try:
        rc = main(["run", str(case), "--out", str(tmp_path / "o.npz")])
    except ValueError as e:
        pytest.fail(f"uncaught {type(e).__name__}: {e}")
    assert rc == 2
    assert "WMem" in capsys.readouterr().err
