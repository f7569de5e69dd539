"""The digits network as a list of chip layers, in float or INT4 (fake-quant).

Float training graph, per block: PW expand + ReLU -> 3x3 depth-wise (linear,
no bias) -> PW project + ReLU.  Because the depth-wise is linear and directly
followed by the project PW, the two are computed as one 3x3 conv whose weight
is W'[co, ci, t] = Wpw[co, ci] * Wdw[ci, t] * mask[ci, t] (exactly the same
function; it is also the chip's Shift-PW layer).  So the network is six chip
layers:

    stem      3x3 conv 1 -> C, bias, ReLU           act
    bJ_exp    1x1 conv C -> E, bias, ReLU           act    (J = 0 .. blocks-1)
    bJ_proj   3x3 conv E -> C (DW folded), bias, ReLU  act
    logits    1x1 conv C -> 10, bias                acc  (host: sum over the 64 pixels)

GAP then FC equals the 1x1 classifier per pixel summed over pixels / 64, so
the float model's logits are mean_hw(conv1x1(a) + b).

A layer is either float or quantized.  Quantized layers form a prefix (they
are quantized first to last).  A quantized layer's forward pass is the chip's
integer arithmetic (exact in float32: every partial sum is an integer below
2^24), with the requantizer done in int64 by models.reference.requantize, so
a fully quantized Net computes bit for bit what the exported program does.
Its backward pass uses straight-through estimators.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..reference import requantize
from . import layers as L
from .quant import (ACT_LEVELS, calib_act_scale, calib_weight_scale, quant_bias, quant_weight,
                    requant_params)

S_IN = 1.0 / 15          # input x_int = min(pixel, 15) in [0, 15]; real value x_int / 15
N_CLASSES = 10


def quantize_input(pixels: np.ndarray) -> np.ndarray:
    """sklearn digits pixels (0..16) -> 4-bit activations min(pixel, 15)."""
    return np.minimum(np.asarray(pixels), 15).astype(np.int64)


@dataclass
class LayerSpec:
    name: str
    inputs: list[str]
    kind: str            # stem | exp | proj | fc
    block: int
    cout: int
    cin: int
    k: int
    mode: str            # act | acc


@dataclass
class QState:
    s_w: float
    s_x: float
    s_y: float | None    # None for the acc-mode classifier


class Net:
    def __init__(self, c: int = 16, e: int = 32, blocks: int = 2, seed: int = 0):
        self.c, self.e, self.blocks = c, e, blocks
        rng = np.random.default_rng(seed)
        p: dict[str, np.ndarray] = {}

        def he(shape, fan_in):
            return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

        p["stem_w"] = he((c, 1, 3, 3), 9)
        p["stem_b"] = np.zeros(c, np.float32)
        for j in range(blocks):
            p[f"b{j}_exp_w"] = he((e, c), c)
            p[f"b{j}_exp_b"] = np.zeros(e, np.float32)
            p[f"b{j}_dw_w"] = (rng.standard_normal((e, 9)) / 3.0).astype(np.float32)
            p[f"b{j}_proj_w"] = he((c, e), e)
            p[f"b{j}_proj_b"] = np.zeros(c, np.float32)
        p["fc_w"] = he((N_CLASSES, c), c)
        p["fc_b"] = np.zeros(N_CLASSES, np.float32)
        self.params = p
        self.masks = {j: np.ones((e, 9), np.float32) for j in range(blocks)}
        self.specs = [LayerSpec("stem", ["x"], "stem", -1, c, 1, 3, "act")]
        prev = "stem"
        for j in range(blocks):
            self.specs.append(LayerSpec(f"b{j}_exp", [prev], "exp", j, e, c, 1, "act"))
            self.specs.append(LayerSpec(f"b{j}_proj", [f"b{j}_exp"], "proj", j, c, e, 3, "act"))
            prev = f"b{j}_proj"
        self.specs.append(LayerSpec("logits", [prev], "fc", -1, N_CLASSES, c, 1, "acc"))
        self.quant: list[QState | None] = [None] * len(self.specs)

    # ------------------------------------------------------------------ weights
    def eff_weight(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Effective float (Cout, Cin, K, K) weight and bias of chip layer i."""
        s, p = self.specs[i], self.params
        if s.kind == "stem":
            return p["stem_w"], p["stem_b"]
        if s.kind == "exp":
            return p[f"b{s.block}_exp_w"][:, :, None, None], p[f"b{s.block}_exp_b"]
        if s.kind == "proj":
            dw = p[f"b{s.block}_dw_w"] * self.masks[s.block]
            w = p[f"b{s.block}_proj_w"][:, :, None] * dw[None, :, :]
            return w.reshape(s.cout, s.cin, 3, 3), p[f"b{s.block}_proj_b"]
        return p["fc_w"][:, :, None, None], p["fc_b"]

    def _eff_weight_backward(self, i: int, dw: np.ndarray, db: np.ndarray, g: dict) -> None:
        s, p = self.specs[i], self.params
        if s.kind == "stem":
            g["stem_w"], g["stem_b"] = dw, db
        elif s.kind == "exp":
            g[f"b{s.block}_exp_w"], g[f"b{s.block}_exp_b"] = dw[:, :, 0, 0], db
        elif s.kind == "proj":
            d = dw.reshape(s.cout, s.cin, 9)
            m = self.masks[s.block]
            dwdw = p[f"b{s.block}_dw_w"] * m
            g[f"b{s.block}_proj_w"] = np.einsum("oct,ct->oc", d, dwdw)
            g[f"b{s.block}_dw_w"] = np.einsum("oct,oc->ct", d, p[f"b{s.block}_proj_w"]) * m
            g[f"b{s.block}_proj_b"] = db
        else:
            g["fc_w"], g["fc_b"] = dw[:, :, 0, 0], db

    # ------------------------------------------------------------------ quantization
    def input_scale(self, i: int) -> float:
        if i == 0:
            return S_IN
        prev = self.quant[i - 1]
        assert prev is not None and prev.s_y is not None, "quantized layers must form a prefix"
        return prev.s_y

    def int_params(self, i: int):
        """(w_int, b_int, scale, shift) of quantized layer i (float arrays of integers)."""
        q = self.quant[i]
        w, b = self.eff_weight(i)
        w_int = quant_weight(w, q.s_w)
        b_int = quant_bias(b, q.s_w * q.s_x)
        if q.s_y is None:
            return w_int, b_int, 1, 0
        scale, shift = requant_params(q.s_w * q.s_x / q.s_y)
        return w_int, b_int, scale, shift

    def calibrate_weight(self, i: int) -> None:
        self.quant[i].s_w = calib_weight_scale(self.eff_weight(i)[0])

    def quantize_layer(self, i: int, x_int: np.ndarray) -> None:
        """Switch layer i to INT4: weight scale by MSE, output activation scale
        by MSE on the pre-activations of the calibration images x_int."""
        assert all(q is not None for q in self.quant[:i])
        w, _ = self.eff_weight(i)
        q = QState(calib_weight_scale(w), self.input_scale(i), None)
        self.quant[i] = q
        if self.specs[i].mode == "act":
            q.s_y = 1.0       # placeholder while collecting pre-activations
            z = []
            for lo in range(0, len(x_int), 256):
                _, caches = self.forward(x_int[lo:lo + 256], stop=i)
                z.append(caches[-1]["z"])
            q.s_y = calib_act_scale(np.concatenate(z))

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x_int: np.ndarray, stop: int | None = None):
        """x_int (N, 1, H, W) integers in [0, 15].  Returns (logits (N, 10), caches).
        With stop=i the pass ends after layer i's pre-activation (cache 'z', real units)."""
        x = x_int.astype(np.float32) * np.float32(S_IN)
        caches = []
        for i, s in enumerate(self.specs):
            w, b = self.eff_weight(i)
            q = self.quant[i]
            c = {}
            if q is None:
                z, c["conv"] = L.conv_forward(x, w)
                z = z + b[None, :, None, None]
                c["z"] = z
                if stop == i:
                    caches.append(c)
                    return None, caches
                if s.mode == "act":
                    x, c["mask"] = L.relu_forward(z)
                else:
                    logits, c["gap"] = L.gap_forward(z)
            else:
                s_acc = q.s_w * q.s_x
                xi = np.rint(x / np.float32(q.s_x))
                w_int, b_int, scale, shift = self.int_params(i)
                c["wmask"] = (np.abs(w / q.s_w) <= 8.0).astype(np.float32)
                acc, c["conv"] = L.conv_forward(xi, w_int.astype(np.float32))
                acc = acc + b_int.astype(np.float32)[None, :, None, None]
                c["q"] = (q.s_w, q.s_x)
                if stop == i:
                    c["z"] = acc * np.float32(s_acc)
                    caches.append(c)
                    return None, caches
                if s.mode == "act":
                    y = requantize(acc.astype(np.int64), scale, shift)
                    x = (y * q.s_y).astype(np.float32)
                    v = acc * np.float32(scale / 2.0 ** shift)
                    c["mask"] = (v > 0) & (v < ACT_LEVELS)
                else:
                    hw = acc.shape[2] * acc.shape[3]
                    logits = acc.sum(axis=(2, 3)) * np.float32(s_acc / hw)
                    c["gap"] = acc.shape
            caches.append(c)
        return logits, caches

    def backward(self, dlogits: np.ndarray, caches) -> dict[str, np.ndarray]:
        g: dict[str, np.ndarray] = {}
        dx = None
        for i in range(len(self.specs) - 1, -1, -1):
            s, c = self.specs[i], caches[i]
            if s.mode == "acc":
                dz = L.gap_backward(dlogits, c["gap"])
            else:
                dz = L.relu_backward(dx, c["mask"])
            db = dz.sum(axis=(0, 2, 3))
            if "q" not in c:
                dx, dw = L.conv_backward(dz, c["conv"], need_dx=i > 0)
            else:
                s_w, s_x = c["q"]
                dx, dw = L.conv_backward(dz, c["conv"], need_dx=i > 0)
                dw = dw * np.float32(s_x) * c["wmask"]      # STE through round/clip of w
                if dx is not None:
                    dx = dx * np.float32(s_w)               # d/dx of conv with W_q = s_w * w_int
            self._eff_weight_backward(i, dw, db, g)
        return g

    def predict(self, x_int: np.ndarray, batch: int = 512) -> np.ndarray:
        out = []
        for lo in range(0, len(x_int), batch):
            out.append(self.forward(x_int[lo:lo + batch])[0])
        return np.concatenate(out)

    def accuracy(self, x_int: np.ndarray, y: np.ndarray) -> float:
        return float((self.predict(x_int).argmax(1) == y).mean())

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, np.ndarray]:
        d = {f"p_{k}": v for k, v in self.params.items()}
        d.update({f"mask_{j}": m for j, m in self.masks.items()})
        d["arch"] = np.array([self.c, self.e, self.blocks])
        return d

    @classmethod
    def from_state(cls, d) -> "Net":
        c, e, blocks = (int(v) for v in d["arch"])
        net = cls(c, e, blocks)
        for k in net.params:
            net.params[k] = np.array(d[f"p_{k}"], np.float32)
        for j in net.masks:
            net.masks[j] = np.array(d[f"mask_{j}"], np.float32)
        return net

    def copy(self) -> "Net":
        return Net.from_state(self.state())
