"""INT4 quantization: per-tensor scales, requantizer parameters, calibration.

Numerics follow the chip (docs/architecture.md section 7):
- weights: w_int = clip(round(W / s_w), -8, 7), one float scale s_w per layer;
- activations: 4-bit unsigned, real value = s_a * a_int, one scale per tensor;
- bias: integer in accumulator units s_w * s_x, 15-bit signed;
- requantizer: y_int = clip(floor((acc + bias) * scale / 2^shift + 1/2), 0, 15)
  with scale/2^shift the closest 16-bit-mantissa approximation of
  M = s_w * s_x / s_y.
"""
from __future__ import annotations

import numpy as np

from ..spec import BIAS_MAX, BIAS_MIN, SCALE_MAX, SHIFT_MAX, W_MAX, W_MIN

ACT_LEVELS = 15


def requant_params(m: float) -> tuple[int, int]:
    """(scale, shift) with scale <= 65535, shift <= 31 and scale / 2^shift ~= m."""
    if not m > 0:
        raise ValueError(f"requant multiplier must be positive, got {m}")
    shift = SHIFT_MAX
    while shift > 0 and round(m * 2.0 ** shift) > SCALE_MAX:
        shift -= 1
    scale = int(round(m * 2.0 ** shift))
    if scale > SCALE_MAX:
        raise ValueError(f"requant multiplier {m} too large for a 16-bit scale")
    return max(scale, 1), shift


def quant_weight(w: np.ndarray, s_w: float) -> np.ndarray:
    return np.clip(np.rint(w / s_w), W_MIN, W_MAX)


def quant_bias(b: np.ndarray, s_acc: float) -> np.ndarray:
    return np.clip(np.rint(b / s_acc), BIAS_MIN, BIAS_MAX)


def calib_weight_scale(w: np.ndarray, n: int = 48) -> float:
    """Per-tensor weight scale minimizing the INT4 quantization MSE."""
    wmax = float(np.abs(w).max())
    if wmax == 0:
        return 1.0
    best = None
    for a in np.linspace(0.3, 1.15, n):
        s = a * wmax / W_MAX
        err = float(np.mean((quant_weight(w, s) * s - w) ** 2))
        if best is None or err < best[0]:
            best = (err, s)
    return best[1]


def calib_act_scale(z: np.ndarray, n: int = 60) -> float:
    """Activation scale (clip / 15) minimizing the MSE between ReLU(z) and its
    4-bit quantization; z are pre-activation samples."""
    r = np.maximum(z.ravel().astype(np.float64), 0)
    top = float(r.max())
    if top == 0:
        return 1.0
    # a subsample keeps calibration cheap
    if r.size > 400_000:
        r = r[:: r.size // 400_000 + 1]
    best = None
    for a in np.linspace(0.1, 1.0, n):
        s = a * top / ACT_LEVELS
        err = float(np.mean((np.clip(np.rint(r / s), 0, ACT_LEVELS) * s - r) ** 2))
        if best is None or err < best[0]:
            best = (err, s)
    return best[1]
