"""Layer cases (CASE.npz): loading with field-by-field validation, running on
the golden model, and seeded random generation of legal cases (the draws
live in models/stimulus.py; the functions here are its old entry points).

CASE.npz holds x (Cin,H,W) in [0,15]; w (Cout,Cin,K,K) in [-8,7], K in {1,3};
optional bias (Cout,); scale in [0,65535]; shift in [0,31]; optional mode
"act" (default) or "acc"; optional stride, the integer 1 (default) or 2
(PyTorch conv2d stride with padding K//2; 2 needs mode "act"), giving y of
(Cout, ceil(H/2), ceil(W/2)).  See README.md, "Layer cases".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import iss, reference
from .compiler import CompileError, check_activations, check_layer_params, check_stride, compile_layer
from .spec import Config

CASE_KEYS = {"x", "w", "bias", "scale", "shift", "mode", "stride"}
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
    stride: int = 1

    def save(self, path) -> None:
        d = {"x": self.x, "w": self.w, "scale": np.int64(self.scale),
             "shift": np.int64(self.shift), "mode": np.array(self.mode)}
        if self.bias is not None:
            d["bias"] = self.bias
        if self.stride != 1:            # stride-1 files stay as they were
            d["stride"] = np.int64(self.stride)
        np.savez(path, **d)

    def reference(self) -> np.ndarray:
        return reference.layer(self.x, self.w, self.bias, self.scale, self.shift, self.mode, stride=self.stride)

    def compile(self, cfg: Config):
        """The case's one-layer program (input 'x', output 'y'); CaseError
        if it does not fit cfg."""
        try:
            return compile_layer(cfg, self.x.shape, self.w, self.bias, self.scale, self.shift, self.mode,
                                 self.stride)
        except CompileError as e:
            raise CaseError(str(e)) from None


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
    stride = d.get("stride", 1)
    if isinstance(stride, np.ndarray):
        # an integer scalar; a bool, a string ("2"), a float or an array of
        # several values is malformed, not converted
        if stride.shape != () or stride.dtype.kind not in "iu":
            raise CaseError(f"stride: must be the integer 1 or 2, got {stride!r}")
        stride = int(stride)
    try:
        x = check_activations("x", d["x"])
        w, bias, scale, shift, mode = check_layer_params("", d["w"], d.get("bias"),
                                                         d["scale"], d["shift"], mode)
        stride = check_stride("", stride, mode)
    except CompileError as e:
        raise CaseError(str(e)) from None
    if w.shape[1] != x.shape[0]:
        raise CaseError(f"w: Cin={w.shape[1]} does not match x channels {x.shape[0]}")
    return Case(x, w, bias, scale, shift, mode, stride)


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
    prog = case.compile(cfg)
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
# Random legal cases: the CLI's `gen` flags mapped onto models.stimulus
# knobs (the knobs API is the one place random stimulus is defined).
# ---------------------------------------------------------------------------
SPARSITY_KINDS = ("dense", "dw", "random", "empty_groups", "zero_channels")


def random_case(rng: np.random.Generator, cfg: Config, *, max_hw: int = 13,
                max_c: int | None = None, kind: str | None = None, k: int | None = None,
                mode: str | None = None, taps_kept: int | None = None, stride: int | None = None) -> Case:
    """A random legal case for cfg; shapes deliberately include sizes that are
    not multiples of the array.  stimulus.draw_layer with the default
    LayerKnobs, the arguments given overriding their knobs (stride: 1 or 2;
    None keeps the knobs' default, stride 1)."""
    from . import stimulus

    kw: dict = {"max_hw": max_hw, "max_c": max_c}
    if kind is not None:
        kw["sparsity"] = ((kind, 1.0),)
    if k is not None:
        kw["kernels"] = ((k, 1.0),)
    if mode is not None:
        if mode not in ("act", "acc"):
            raise ValueError(f"random_case: mode must be 'act' or 'acc', got {mode!r}")
        kw["acc_p"] = 1.0 if mode == "acc" else 0.0
    if taps_kept is not None:
        kw["taps_kept"] = (taps_kept, taps_kept)
    if mode == "acc" and stride is None:
        kw["strides"] = ((1, 1.0),)
    if stride is not None:
        if stride not in (1, 2) or isinstance(stride, bool):
            raise ValueError(f"random_case: stride must be 1 or 2, got {stride!r}")
        if stride == 2 and mode == "acc":
            raise ValueError("random_case: stride 2 needs mode 'act'")
        kw["strides"] = ((stride, 1.0),)
        if stride == 2:
            kw["acc_p"] = 0.0
    return stimulus.draw_layer(rng, cfg, stimulus.LAYER_DEFAULT.replace(**kw))
