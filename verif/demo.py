"""The README's main job (`make demo`): the shipped sparse INT4 digits model
through the RTL simulation, checked against the golden model.

    .venv/bin/python -m verif.demo [--model models/trained/digits_k3.npz]
        [--sim verilator|icarus] [--config small|chip] [--limit N]

1. loads the trained model (models/trained/, made by `python -m models.nn train`);
2. compiles it to one multi-layer program (models/compiler.py);
3. runs every test image through spw_top in one simulation (program and
   weights loaded once; per image only the input tensor is written and the
   logits tensor read back), with a progress bar;
4. checks every image's output words and counters against the golden model
   (models/iss.py) and the ISS against the integer numpy reference;
5. prints accuracy, cycles, utilization and the speed-up over the dense
   (9/9) model, whose cycles are measured on the RTL in the same run.

Default simulator: Verilator.  The 450 test images take 3.2 M cycles with
the 3/9 model on `small` (7,085 per image); Icarus runs the top level at
2,600-3,200 cycles/s (docs/performance.md, P4), which would be 17-21
minutes, Verilator at 200-450k cycles/s (10-20 s of simulation, measured).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from models import iss, spec
from models.compiler import dense_macs, useful_macs
from models.nn.export import INPUT_NAME, compile_digits, load_network, predict_reference
from models.nn.train import load_data

from rtlsim.job import full_image_run, image_runs, run_on_rtl
from rtlsim.outcome import compare_run

REPO = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(REPO / "models" / "trained" / "digits_k3.npz"))
    p.add_argument("--dense-model", default=str(REPO / "models" / "trained" / "digits_k9.npz"))
    p.add_argument("--sim", choices=("icarus", "verilator"), default="verilator")
    p.add_argument("--config", choices=sorted(spec.CONFIGS), default="small")
    p.add_argument("--limit", type=int, default=0, help="first N test images only (0 = all)")
    a = p.parse_args(argv)
    t0 = time.time()
    cfg = spec.get_config(a.config)

    layers, cin, h, w, meta = load_network(a.model)
    _, _, x_test, y_test = load_data()
    if a.limit:
        x_test, y_test = x_test[: a.limit], y_test[: a.limit]
    n = len(x_test)
    prog = compile_digits(cfg, layers, cin, h, w)
    out_t = prog.tensors[meta["output"]]
    out_rng = (out_t.base, out_t.channels * out_t.stride)
    print(f"model {Path(a.model).name}: level {meta['level']}/9, {len(layers)} layers, "
          f"{len(prog.imem)} instructions, {len(prog.wmem)} weight words; {n} test images; "
          f"config {cfg.name}, {a.sim}")

    # golden model on every image: output words and counters
    exp_words, exp_res = [], None
    for res, amems in prog.golden([{INPUT_NAME: img} for img in x_test]):
        assert not res.err, res.err
        exp_res = exp_res or res
        assert res.counters() == exp_res.counters(), "cycles must not depend on data"
        exp_words += [a[out_rng[0]: out_rng[0] + out_rng[1]].copy() for a in amems]
    ref_logits, _ = predict_reference(layers, x_test, cin)

    # one simulation: first image with a full load, then only the input words
    runs = image_runs(prog, [{INPUT_NAME: img} for img in x_test], meta["output"])
    dlayers, dcin, _, _, dmeta = load_network(a.dense_model)
    dprog = compile_digits(cfg, dlayers, dcin, h, w)
    dmem = dprog.memories({INPUT_NAME: x_test[0]})
    runs.append(full_image_run(dmem, dprog.start_pc, len(dprog.imem), len(dprog.wmem)))
    runs[-1].dumps = []
    dres = iss.run(dmem.copy(), dprog.start_pc)

    results, wall = run_on_rtl(cfg, runs, a.sim, progress=True)

    bad, preds = [], []
    for i, r in enumerate(results[:n]):
        got = r.dumps[0]
        if compare_run(exp_res, exp_words[i], r.outcome, got, prog, base=out_rng[0]):
            bad.append(i)
        amem = np.zeros((cfg.adepth, cfg.rows), np.uint8)
        amem[out_rng[0]: out_rng[0] + out_rng[1]] = got
        logits = prog.read(amem, meta["output"]).sum(axis=(1, 2))
        if not np.array_equal(logits, ref_logits[i]):
            bad.append(i)
        preds.append(int(logits.argmax()))
    dense_cycles = results[n].outcome.cycles
    assert results[n].outcome == dres, f"dense model: {results[n].outcome.diff(dres)}"

    preds = np.array(preds)
    acc = float((preds == y_test).mean())
    cyc = exp_res.cycles
    util = useful_macs(prog) / (cfg.rows * cfg.cols * cyc)
    eff = 2 * dense_macs(dprog) / cyc
    print()
    print(f"images            {n}  ({len(set(bad))} mismatches against the golden model)")
    print(f"accuracy (RTL)    {100 * acc:.2f}%  (INT4, {meta['level']}/9 depth-wise taps kept)")
    print(f"cycles per image  {cyc}  (dense 9/9 model: {dense_cycles} on the RTL)")
    print(f"sparse speed-up   {dense_cycles / cyc:.2f}x over 9/9")
    print(f"MAC utilization   {100 * util:.1f}%  of {cfg.rows}x{cfg.cols} MACs over the whole network")
    print(f"effective ops/cycle {eff:.0f} dense-equivalent (peak {2 * cfg.rows * cfg.cols}); "
          f"{eff * 534e6 / 1e12:.3f} TOPS at 534 MHz")
    print(f"weights stored    {len(prog.wmem)} of {len(dprog.wmem)} words of the 9/9 model")
    print(f"simulation        {wall:.1f} s ({a.sim}); total {time.time() - t0:.1f} s")
    if bad:
        print(f"FAIL: images {sorted(set(bad))[:20]} differ from the golden model", file=sys.stderr)
        return 1
    print("PASS: every image bit-exact and cycle-exact with the golden model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
