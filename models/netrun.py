"""One inference of a seed network (models/seednets.py) on a configuration:
partitioned into programs (models/partition.py), run by the host runtime
(models/runtime.py) on the golden model or the RTL, checked bit for bit,
and reported per layer.

    python -m models.netrun ibssl-cifar100 [--config chip] [--scale full|small]
                            [--backend rtl|golden] [--sim verilator|icarus] [--seed S] [--image I]

With the RTL backend every program's AMem and performance counters are
compared with the golden model's run of the same program (rtlsim.runtime),
and the assembled network outputs with the whole-network reference
(models.partition.reference_network).  PASS is printed only when both hold.

Figures, per layer and per inference:
- cycles: busy cycles of the core (PERF_CYCLES; a program's cycles are
  split between its layers at their LAYER words' decode cycles, from the
  golden model's trace, which the RTL matches cycle for cycle);
- array busy: cycles in which the MAC array did a step (PERF_MAC_BUSY) per
  cycle;
- dense-equivalent operations: 2 x the multiply-adds of the layer with no
  tap pruned, at its output resolution: Cout x Cin x K^2 per output pixel
  for a dense layer; for a folded depth-wise + point-wise layer, Cout x
  (9 per depth-wise input channel + 1 per residual channel), since its 9/9
  version runs all 9 (input channel, tap) steps of each depth-wise channel
  and a residual is a centre tap at any sparsity;
- effective TOPS at CLOCK_HZ: dense-equivalent operations per second of
  busy cycles.  The array's peak is 2 x ROWS x COLS x CLOCK_HZ; sparsity
  (skipped steps) lets the effective figure exceed it, idle lanes and
  columns, drain stalls and stride 2's discarded outputs pull it down;
- bus traffic: words the host moves per memory, and 32-bit transfers.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import polyphase, seednets
from .partition import Plan, plan_network
from .runtime import GoldenBackend, Report, bus_beats, execute
from .spec import get_config

CLOCK_HZ = 534e6        # the seed chip's clock


@dataclass
class LayerRow:
    name: str
    kind: str
    stride: int
    cin: int
    cout: int
    k: int
    out_hw: tuple[int, int]
    steps: int              # programs (bands x slices) the layer ran in
    how: str                # stride 2: "drain" (keep-even drain) or "phases" (polyphase rewrite)
    cycles: int
    mac_busy: int
    dense_ops: int

    @property
    def busy(self) -> float:
        return self.mac_busy / self.cycles if self.cycles else 0.0

    @property
    def tops(self) -> float:
        return self.dense_ops * CLOCK_HZ / self.cycles / 1e12 if self.cycles else 0.0


def layer_rows(net: seednets.SeedNet, plan: Plan, rep: Report) -> list[LayerRow]:
    """Per-layer cycles and MAC-busy cycles summed over the programs that ran
    each layer of the network; the copy layers of a polyphase rewrite
    (models/polyphase.py, named <layer>.<input>.p<a><b>) count as their
    layer's."""
    cyc = dict.fromkeys((sl.name for sl in net.layers), 0)
    busy = dict.fromkeys(cyc, 0)
    nsteps = dict.fromkeys(cyc, 0)
    phases = set()
    for st, sr in zip(plan.steps, rep.steps):
        per = sr.layer_cycles()
        if len(per) != len(st.prog.layers):
            raise RuntimeError(f"step {st.index}: {len(per)} layer traces for {len(st.prog.layers)} layers")
        for ls, c in zip(st.prog.layers, per):
            owner = ls.name.split(".", 1)[0]
            if owner not in cyc:
                raise RuntimeError(f"step {st.index}: layer {ls.name!r} belongs to no layer of {net.name}")
            if owner != ls.name:
                phases.add(owner)
            cyc[owner] += c
            busy[owner] += ls.tiles * sum(ls.group_steps)
            nsteps[owner] += ls.name == owner
    rows = []
    for sl in net.layers:
        ho, wo = sl.out_hw
        how = "" if sl.stride == 1 else "phases" if sl.name in phases else "drain"
        rows.append(LayerRow(sl.name, sl.kind, sl.stride, sl.cin, sl.cout, sl.k, sl.out_hw, nsteps[sl.name], how,
                             cyc[sl.name], busy[sl.name], 2 * dense_macs_per_pixel(sl) * ho * wo))
    return rows


def plan_net(net: seednets.SeedNet, cfg, stride2: str = "auto") -> Plan:
    """The network's plan for cfg, its stride-2 layers lowered by
    models.polyphase (stride2: auto, polyphase or drain)."""
    c, h, w = net.in_shape
    layers = polyphase.lower(h, w, {seednets.INPUT: c}, net.layerdefs(), cfg.rows, cfg.cols, stride2)
    return plan_network(cfg, h, w, {seednets.INPUT: c}, layers, [net.layers[-1].name])


def infer(net: seednets.SeedNet, plan: Plan, backend, image: int = 0,
          progress=None) -> tuple[Report, list[LayerRow]]:
    """One inference of evaluation image `image` on `backend`, checked: the
    runtime's outputs against the whole-network reference (execute), and
    the logits against the network's own forward pass (seednets.forward)."""
    x = net.images(image + 1, 1)[image]
    last = net.layers[-1].name
    rep = execute(plan, {seednets.INPUT: x}, backend, check=True, progress=progress)
    if not np.array_equal(rep.outputs[last], net.forward(x)[last]):
        raise AssertionError(f"{net.name}: {last} of the partitioned run differs from the network's "
                             f"golden forward pass")
    return rep, layer_rows(net, plan, rep)


def dense_macs_per_pixel(sl: seednets.SeedLayer) -> int:
    """Multiply-adds per output pixel of the layer with no tap pruned."""
    if sl.taps is None:
        return sl.cout * sl.cin * sl.k * sl.k
    return sl.cout * (sl.dw_in * 9 + (sl.cin - sl.dw_in))


def report(net: seednets.SeedNet, cfg, plan: Plan, rep: Report, rows: list[LayerRow]) -> list[str]:
    out = ["| layer | kind | stride | Cin -> Cout | K | out | programs | cycles | array busy | "
           "dense-eq. MOP | eff. TOPS |",
           "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        stride = f"2 ({r.how})" if r.stride == 2 else "1"
        out.append(f"| {r.name} | {r.kind} | {stride} | {r.cin} -> {r.cout} | {r.k} | "
                   f"{r.out_hw[0]}x{r.out_hw[1]} | {r.steps} | {r.cycles:,} | {100 * r.busy:.1f} % | "
                   f"{r.dense_ops / 1e6:,.1f} | {r.tops:.2f} |")
    sm = summary(cfg, plan, rep, rows)
    out.append(f"| total | | | | | | {sm['programs']} | {sm['cycles']:,} | {100 * sm['busy']:.1f} % | "
               f"{sm['ops'] / 1e6:,.1f} | {sm['tops']:.2f} |")
    return out


# ---------------------------------------------------------------------------
# docs/networks.md: tables and plot (golden backend, which the RTL matches
# cycle for cycle: `make net` checks every program's counters)
# ---------------------------------------------------------------------------
DOC = Path(__file__).resolve().parent.parent / "docs" / "networks.md"
PLOT = "networks_cycles.png"
BEGIN, END = "<!-- netrun:begin -->", "<!-- netrun:end -->"


def measure(name: str, cfg, scale: str = "full", seed: int = 0, image: int = 0, taps: int | None = None,
            stride2: str = "auto", net: seednets.SeedNet | None = None):
    """(net, plan, report, per-layer rows) of one golden-backend inference
    (taps: seednets.build's override, 9 for the dense twin)."""
    net = net or seednets.build(name, seed, scale, taps=taps)
    plan = plan_net(net, cfg, stride2)
    rep, rows = infer(net, plan, GoldenBackend(cfg), image)
    return net, plan, rep, rows


def summary(cfg, plan: Plan, rep: Report, rows: list[LayerRow]) -> dict:
    cycles = sum(r.cycles for r in rows)
    ops = sum(r.dense_ops for r in rows)
    s2 = sum(r.cycles for r in rows if r.stride == 2)
    return {"cycles": cycles, "ms": cycles / CLOCK_HZ * 1e3, "tops": ops * CLOCK_HZ / cycles / 1e12,
            "busy": sum(r.mac_busy for r in rows) / cycles, "s2_cycles": s2, "s2_share": s2 / cycles,
            "programs": len(plan.steps),
            "groups": len(plan.groups), "words": rep.words, "beats": bus_beats(cfg, rep.words),
            "peak": 2 * cfg.rows * cfg.cols * CLOCK_HZ / 1e12, "ops": ops}


def docs_section(results: list[tuple], dense: dict[str, dict], drain: dict[str, dict]) -> str:
    out = [f"Generated by `make net-docs` (`python -m models.netrun --docs`): one inference of each network "
           f"at full size on `chip`, seed 0, evaluation image 0, stride 2 lowered with `--stride2 auto`, on the "
           f"golden backend. `make net` runs the "
           f"same programs through the RTL and checks every program's counters against these, so the cycles "
           f"are the RTL's. Effective TOPS count dense-equivalent operations (models/netrun.py) per busy "
           f"cycle at {CLOCK_HZ / 1e6:.0f} MHz.", ""]
    out += ["| network | programs (groups) | cycles | ms at 534 MHz | array busy | eff. TOPS | array peak | "
            "stride-2 share of cycles | IMem words | WMem words | AMem written | AMem read | 32-bit transfers |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for net, cfg, plan, rep, rows, sm in results:
        w = sm["words"]
        out.append(f"| `{net.name}` | {sm['programs']} ({sm['groups']}) | {sm['cycles']:,} | {sm['ms']:.3f} | "
                   f"{100 * sm['busy']:.1f} % | {sm['tops']:.2f} | {sm['peak']:.3f} | "
                   f"{100 * sm['s2_share']:.1f} % | {w['imem']:,} | {w['wmem']:,} | {w['amem_write']:,} | "
                   f"{w['amem_read']:,} | {sm['beats']:,} |")
    out += ["", "Sparsity and stride 2. The dense twin is the same network with every depth-wise kernel at 9/9 "
            "taps, built, lowered and run the same way. \"Drain only\" runs every stride-2 layer on the "
            "keep-even drain (`--stride2 drain`) instead of the polyphase rewrite where that is faster "
            "(`auto`, the default).", "",
            "| network | kept taps | cycles | dense twin (9/9) cycles | speed-up from sparsity | "
            "stride-2 cycles | drain only: cycles | drain only: stride-2 cycles |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for net, cfg, plan, rep, rows, sm in results:
        d, r = dense[net.name], drain[net.name]
        out.append(f"| `{net.name}` | {net.cfg.taps}/9 | {sm['cycles']:,} | {d['cycles']:,} | "
                   f"{d['cycles'] / sm['cycles']:.2f}x | {sm['s2_cycles']:,} | {r['cycles']:,} | "
                   f"{r['s2_cycles']:,} |")
    for net, cfg, plan, rep, rows, sm in results:
        out += ["", f"#### `{net.name}` per layer", ""]
        out += report(net, cfg, plan, rep, rows)
    out += ["", f"![cycles per layer]({PLOT})"]
    return "\n".join(out) + "\n"


def plot(results: list[tuple], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 1, figsize=(9, 3.2 * len(results)))
    for ax, (net, cfg, plan, rep, rows, sm) in zip(np.atleast_1d(axes), results):
        xs = np.arange(len(rows))
        colors = ["tab:red" if r.stride == 2 else "tab:blue" for r in rows]
        ax.bar(xs, [r.cycles / 1e3 for r in rows], color=colors)
        ax.set_xticks(xs, [r.name for r in rows], rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("kcycles")
        ax.set_title(f"{net.name} on {cfg.name}: {sm['cycles']:,} cycles, {sm['tops']:.2f} effective TOPS "
                     f"(red: stride 2, {100 * sm['s2_share']:.0f} % of cycles)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_docs(doc: Path = DOC) -> None:
    cfg = get_config("chip")
    results, dense, drain = [], {}, {}
    for name in sorted(seednets.NETS):
        net, plan, rep, rows = measure(name, cfg)
        results.append((net, cfg, plan, rep, rows, summary(cfg, plan, rep, rows)))
        _, dplan, drep, drows = measure(name, cfg, stride2="drain", net=net)
        drain[name] = summary(cfg, dplan, drep, drows)
        _, dplan, drep, drows = measure(name, cfg, taps=9)
        dense[name] = summary(cfg, dplan, drep, drows)
    text = doc.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{doc}: no {BEGIN} ... {END} block to replace")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n" + docs_section(results, dense, drain) + END + tail, encoding="utf-8")
    plot(results, doc.parent / PLOT)
    print(f"wrote {doc} and {doc.parent / PLOT}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.netrun", description=(
        "One inference of a seed network, partitioned for a configuration, on the golden model or the "
        "RTL, checked bit for bit; per-layer cycles, utilization, effective TOPS and bus traffic."))
    ap.add_argument("net", nargs="?", choices=sorted(seednets.NETS))
    ap.add_argument("--docs", action="store_true",
                    help="regenerate docs/networks.md's tables and plot (both networks, chip, golden backend)")
    ap.add_argument("--config", default="chip", choices=("small", "chip"))
    ap.add_argument("--scale", default="full", choices=("full", "small"),
                    help="small: the network with fewer channels and a smaller input (models/seednets.py)")
    ap.add_argument("--backend", default="rtl", choices=("rtl", "golden"))
    ap.add_argument("--sim", default="verilator", choices=("icarus", "verilator"))
    ap.add_argument("--seed", type=int, default=0, help="weights and calibration images")
    ap.add_argument("--image", type=int, default=0, help="which evaluation image")
    ap.add_argument("--calib", type=int, default=None, help="calibration images (default: the network's)")
    ap.add_argument("--stride2", default="auto", choices=polyphase.MODES,
                    help="stride-2 layers: polyphase rewrite where it is faster (auto), always, or never (drain)")
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    if a.docs:
        write_docs()
        return 0
    if a.net is None:
        ap.error("name a network (or --docs)")
    cfg = get_config(a.config)

    t0 = time.time()
    net = seednets.build(a.net, a.seed, a.scale, calib=a.calib)
    c, h, w = net.in_shape
    last = net.layers[-1].name
    plan = plan_net(net, cfg, a.stride2)
    print(f"{net.name} ({a.scale}) on {cfg.name} ({cfg.rows} x {cfg.cols}): input {c}x{h}x{w}, "
          f"{len(net.layers)} layers -> {len(plan.groups)} groups, {len(plan.steps)} programs "
          f"(built and planned in {time.time() - t0:.1f} s)", flush=True)

    if a.backend == "rtl":
        from rtlsim.runtime import RtlBackend     # needs cocotb
        backend = RtlBackend(cfg, a.sim)
    else:
        backend = GoldenBackend(cfg)
    bar = None
    if not a.no_progress:
        from tqdm import tqdm
        bar = tqdm(total=len(plan.steps), unit="program", desc=f"{a.backend}"
                   + (f" ({a.sim})" if a.backend == "rtl" else ""), file=sys.stdout)
    try:
        rep, rows = infer(net, plan, backend, a.image, progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    print()
    print("\n".join(report(net, cfg, plan, rep, rows)))
    sm = summary(cfg, plan, rep, rows)
    words = sm["words"]
    logits = rep.outputs[last].sum(axis=(1, 2))
    print()
    print(f"cycles per inference: {sm['cycles']:,} ({sm['ms']:.3f} ms at {CLOCK_HZ / 1e6:.0f} MHz); "
          f"array busy {100 * sm['busy']:.1f} %")
    print(f"effective dense-equivalent TOPS at {CLOCK_HZ / 1e6:.0f} MHz: {sm['tops']:.3f} "
          f"(array peak {sm['peak']:.3f})")
    print(f"bus: IMem {words['imem']:,} words, WMem {words['wmem']:,}, AMem written {words['amem_write']:,}, "
          f"AMem read {words['amem_read']:,}; {sm['beats']:,} 32-bit transfers "
          f"in {rep.launches} launches")
    print(f"class {int(np.argmax(logits))} (summed logits of {last})")
    what = ("every program's AMem and counters equal the golden model's; " if a.backend == "rtl" else "")
    print(f"PASS: {what}the outputs equal the whole-network reference bit for bit "
          f"({rep.wall_s:.1f} s in the backend)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
