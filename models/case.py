"""Layer cases (CASE.npz): loading with field-by-field validation, running on
the golden model, and seeded random generation of legal cases.

CASE.npz holds x (Cin,H,W) in [0,15]; w (Cout,Cin,K,K) in [-8,7], K in {1,3};
optional bias (Cout,); scale in [0,65535]; shift in [0,31]; optional mode
"act" (default) or "acc".  See README.md, "Layer cases".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import iss, reference
from .compiler import CompileError, check_activations, check_layer_params, compile_layer
from .spec import BIAS_MAX, BIAS_MIN, SCALE_MAX, SHIFT_MAX, W_MAX, W_MIN, Config

CASE_KEYS = {"x", "w", "bias", "scale", "shift", "mode"}
REQUIRED_KEYS = {"x", "w", "scale", "shift"}


class CaseError(ValueError):
    """A malformed case; the message is one line naming the field."""


@dataclass
class Case:
    x: np.ndarray
    w: np.ndarray
    bias: np.ndarray | None
    scale: int
    shift: int
    mode: str = "act"

    def save(self, path) -> None:
        d = {"x": self.x, "w": self.w, "scale": np.int64(self.scale),
             "shift": np.int64(self.shift), "mode": np.array(self.mode)}
        if self.bias is not None:
            d["bias"] = self.bias
        np.savez(path, **d)

    def reference(self) -> np.ndarray:
        return reference.layer(self.x, self.w, self.bias, self.scale, self.shift, self.mode)


def validate(d: dict) -> Case:
    unknown = set(d) - CASE_KEYS
    if unknown:
        raise CaseError(f"{sorted(unknown)[0]}: unknown field (allowed: {', '.join(sorted(CASE_KEYS))})")
    missing = REQUIRED_KEYS - set(d)
    if missing:
        raise CaseError(f"{sorted(missing)[0]}: required field missing")
    mode = d.get("mode", "act")
    if isinstance(mode, np.ndarray):
        if mode.shape != () or mode.dtype.kind not in "US":
            raise CaseError(f"mode: must be the string 'act' or 'acc', got {mode!r}")
        mode = str(mode)
    try:
        x = check_activations("x", d["x"])
        w, bias, scale, shift, mode = check_layer_params("", d["w"], d.get("bias"),
                                                         d["scale"], d["shift"], mode)
    except CompileError as e:
        raise CaseError(str(e)) from None
    if w.shape[1] != x.shape[0]:
        raise CaseError(f"w: Cin={w.shape[1]} does not match x channels {x.shape[0]}")
    return Case(x, w, bias, scale, shift, mode)


def load(path) -> Case:
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise CaseError(f"{path}: not a readable .npz file ({e})") from None
    return validate(d)


def run_golden(case: Case, cfg: Config) -> dict:
    """Compile the case, run it on the ISS, check against the direct
    reference.  Returns y, cycles and the performance counters."""
    try:
        prog = compile_layer(cfg, case.x.shape, case.w, case.bias, case.scale, case.shift, case.mode)
    except CompileError as e:
        raise CaseError(str(e)) from None
    mem = prog.memories({"x": case.x})
    res = iss.run(mem, prog.start_pc)
    if res.err:
        raise RuntimeError(f"golden model stopped with error {res.err.name} at PC {res.err_pc}")
    y = prog.read(mem.amem, "y")
    ref = case.reference()
    if not np.array_equal(y, ref):
        bad = np.argwhere(y != ref)[0]
        raise RuntimeError(f"ISS differs from the direct reference at (co,y,x)={tuple(bad)}: "
                           f"{y[tuple(bad)]} vs {ref[tuple(bad)]}")
    return {"y": y, **res.counters(), "program": prog, "result": res}


# ---------------------------------------------------------------------------
# Random legal cases
# ---------------------------------------------------------------------------
SPARSITY_KINDS = ("dense", "dw", "random", "empty_groups", "zero_channels")


def random_weights(rng: np.random.Generator, cout: int, cin: int, k: int, kind: str,
                   cols: int, taps_kept: int | None = None) -> np.ndarray:
    """Weights with a chosen sparsity structure.
    dense: every weight drawn from [-8,7] (a few zeros by chance);
    dw: each input channel keeps taps_kept of 9 taps for all output channels,
        the pattern of a pruned depth-wise kernel folded into a PW layer;
    random: unstructured, each weight zero with probability U(0.3, 0.95);
    empty_groups: some whole output-channel groups are all zero;
    zero_channels: some input channels have all-zero weights."""
    w = rng.integers(W_MIN, W_MAX + 1, size=(cout, cin, k, k))
    if kind == "dw" and k == 3:
        kept = taps_kept if taps_kept is not None else int(rng.integers(1, 10))
        mask = np.zeros((cin, 9), bool)
        for ci in range(cin):
            mask[ci, rng.choice(9, kept, replace=False)] = True
        nonzero = np.array([v for v in range(W_MIN, W_MAX + 1) if v])
        w = np.where(mask.reshape(1, cin, 3, 3), rng.choice(nonzero, size=w.shape), 0)
    elif kind == "random":
        w = w * (rng.random(w.shape) >= rng.uniform(0.3, 0.95))
    elif kind == "empty_groups":
        for g in range(0, cout, cols):
            if rng.random() < 0.5:
                w[g:g + cols] = 0
    elif kind == "zero_channels":
        w[:, rng.random(cin) < 0.4] = 0
    return w


def pick_requant(rng: np.random.Generator, acc: np.ndarray) -> tuple[int, int]:
    """scale, shift that spread acc over [0, 15] (or an extreme, sometimes)."""
    r = rng.random()
    if r < 0.05:
        return 0, int(rng.integers(0, SHIFT_MAX + 1))
    if r < 0.10:
        return SCALE_MAX, SHIFT_MAX
    if r < 0.15:
        return int(rng.integers(0, SCALE_MAX + 1)), 0
    span = max(1, int(np.abs(acc).max(initial=1)))
    shift = int(rng.integers(8, 24))
    scale = int(np.clip(round(15 * 2 ** shift / span * rng.uniform(0.5, 4)), 0, SCALE_MAX))
    return scale, shift


def random_case(rng: np.random.Generator, cfg: Config, *, max_hw: int = 13,
                max_c: int | None = None, kind: str | None = None, k: int | None = None,
                mode: str | None = None, taps_kept: int | None = None) -> Case:
    """A random legal case for cfg; shapes deliberately include sizes that are
    not multiples of the array."""
    max_c = max_c or 2 * cfg.cols + 3
    for _ in range(100):
        kk = k if k is not None else int(rng.choice([1, 3]))
        h = int(rng.integers(1, max_hw + 1))
        wd = int(rng.integers(1, max_hw + 1))
        cin = int(rng.integers(1, max_c + 1))
        cout = int(rng.integers(1, max_c + 1))
        knd = kind or str(rng.choice(SPARSITY_KINDS))
        if rng.random() < 0.05:      # extreme operands: the largest |acc|
            x = np.full((cin, h, wd), 15)
            w = np.full((cout, cin, kk, kk), int(rng.choice([W_MIN, W_MAX])))
        else:
            x = rng.integers(0, 16, size=(cin, h, wd))
            x = x * (rng.random(x.shape) >= rng.uniform(0, 0.5))   # post-ReLU zeros
            w = random_weights(rng, cout, cin, kk, knd, cfg.cols, taps_kept)
        bias = None
        if rng.random() < 0.7:
            bias = rng.integers(BIAS_MIN, BIAS_MAX + 1, size=cout) if rng.random() < 0.2 \
                else rng.integers(-300, 301, size=cout)
        md = mode or ("acc" if rng.random() < 0.25 else "act")
        acc = reference.layer(x, w, bias, mode="acc")
        scale, shift = pick_requant(rng, acc)
        case = Case(x, w, bias, scale, shift, md)
        try:
            compile_layer(cfg, x.shape, w, bias, scale, shift, md)
        except CompileError:
            continue
        return case
    raise RuntimeError("could not draw a case that fits the configuration")
