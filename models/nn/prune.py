"""Gradual magnitude pruning of the 3x3 depth-wise kernels (the seed's method)."""
from __future__ import annotations

import numpy as np

from .net import Net


def prune_round(net: Net) -> None:
    """Drop the smallest-magnitude remaining tap of every depth-wise kernel
    (per channel, every block): k/9 -> (k-1)/9.  Ties go to the lower tap."""
    for j, m in net.masks.items():
        w = np.abs(net.params[f"b{j}_dw_w"])
        score = np.where(m > 0, w, np.inf)
        kept = m.sum(axis=1)
        assert np.all(kept == kept[0]) and kept[0] > 1, "all kernels keep the same tap count >= 2"
        drop = score.argmin(axis=1)
        m[np.arange(len(m)), drop] = 0
        net.params[f"b{j}_dw_w"] *= m


def taps_kept(net: Net) -> int:
    return int(net.masks[0].sum(axis=1)[0])
