"""Fast tests of the digits CNN: layer gradients, INT4 numerics, pruning,
export, and bit-exact agreement of QAT forward / numpy reference / ISS."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import reference
from models.nn import layers as L
from models.nn.export import (load_network, predict_golden, predict_reference, save_int4,
                              to_layerdefs)
from models.nn.net import Net
from models.nn.prune import prune_round, taps_kept
from models.nn.quant import requant_params
from models.nn.train import TRAINED_DIR, load_data

RNG = np.random.default_rng(123)


def _numgrad(f, p, idx, eps=1e-6):
    old = p[idx]
    p[idx] = old + eps
    fp = f()
    p[idx] = old - eps
    fm = f()
    p[idx] = old
    return (fp - fm) / (2 * eps)


@pytest.mark.parametrize("k", [1, 3])
def test_conv_matches_reference_and_gradients(k):
    x = RNG.integers(0, 16, (2, 3, 5, 6)).astype(np.float64)
    w = RNG.integers(-8, 8, (4, 3, k, k)).astype(np.float64)
    out, cache = L.conv_forward(x, w)
    for n in range(2):
        assert np.array_equal(out[n], reference.conv2d(x[n].astype(int), w.astype(int)))
    g = RNG.standard_normal(out.shape)
    dx, dw = L.conv_backward(g, cache)
    f = lambda: float((L.conv_forward(x, w)[0] * g).sum())
    for idx in [(0, 1, 0, 0), (3, 2, k - 1, k // 2)]:
        assert np.isclose(dw[idx], _numgrad(f, w, idx), rtol=1e-5, atol=1e-6)
    for idx in [(0, 0, 0, 0), (1, 2, 4, 5), (1, 1, 2, 3)]:
        assert np.isclose(dx[idx], _numgrad(f, x, idx), rtol=1e-5, atol=1e-6)


def test_dw_gradients_and_gap():
    x = RNG.standard_normal((2, 3, 4, 5))
    wdw = RNG.standard_normal((3, 9))
    out, cache = L.dw_forward(x, wdw)
    full = np.zeros((3, 3, 3, 3))
    for c in range(3):
        full[c, c] = wdw[c].reshape(3, 3)
    assert np.allclose(out, L.conv_forward(x, full)[0])
    g = RNG.standard_normal(out.shape)
    dx, dwdw = L.dw_backward(g, cache)
    f = lambda: float((L.dw_forward(x, wdw)[0] * g).sum())
    assert np.isclose(dwdw[1, 7], _numgrad(f, wdw, (1, 7)))
    assert np.isclose(dx[1, 2, 0, 4], _numgrad(f, x, (1, 2, 0, 4)))
    m, shp = L.gap_forward(x)
    assert np.allclose(L.gap_backward(np.ones_like(m), shp), 1 / 20)


def test_net_gradients_float():
    net = Net(4, 6, 1, seed=1)
    for k in net.params:
        net.params[k] = net.params[k].astype(np.float64)
    net.params["b0_exp_b"] += 0.3          # keep ReLUs away from kinks
    net.params["b0_proj_b"] += 0.3
    x = RNG.integers(0, 16, (3, 1, 8, 8))
    y = np.array([1, 4, 7])

    def loss():
        return L.softmax_ce(net.forward(x)[0].astype(np.float64), y)[0]

    lg, c = net.forward(x)
    _, dl = L.softmax_ce(lg, y)
    g = net.backward(dl, c)
    for k in ("stem_w", "b0_exp_w", "b0_dw_w", "b0_proj_w", "fc_w", "fc_b"):
        idx = np.unravel_index(np.argmax(np.abs(g[k])), g[k].shape)
        assert np.isclose(g[k][idx], _numgrad(loss, net.params[k], idx), rtol=1e-4, atol=1e-7), k


def test_requant_params():
    for m in (1e-6, 0.0123, 0.5, 1.0, 3.7, 1234.5):
        scale, shift = requant_params(m)
        assert 1 <= scale <= 65535 and 0 <= shift <= 31
        assert abs(scale / 2 ** shift - m) / m < 1e-3


def test_prune_round_drops_smallest_tap():
    net = Net(4, 6, 2, seed=3)
    w0 = {j: np.abs(net.params[f"b{j}_dw_w"]).copy() for j in net.masks}
    prune_round(net)
    assert taps_kept(net) == 8
    for j, m in net.masks.items():
        assert np.array_equal(np.argmin(m, axis=1), np.argmin(w0[j], axis=1))
        assert np.all(net.params[f"b{j}_dw_w"][m == 0] == 0)
    for _ in range(7):
        prune_round(net)
    assert taps_kept(net) == 1
    w, _ = net.eff_weight(2)       # folded weight: one tap per input channel
    assert np.all((w.reshape(4, 6, 9) != 0).sum(axis=2) <= 1)


def _quantized_tiny_net(tmp_path):
    net = Net(8, 12, 2, seed=5)
    x = RNG.integers(0, 16, (40, 1, 8, 8))
    for _ in range(6):
        prune_round(net)
    for i in range(len(net.specs)):
        net.quantize_layer(i, x)
    return net, x


def test_qat_forward_equals_reference_and_iss(tmp_path):
    net, x = _quantized_tiny_net(tmp_path)
    logits_q, _ = net.forward(x[:6])
    path = tmp_path / "m.npz"
    save_int4(path, net, 3)
    layers, cin, h, w, meta = load_network(path)
    for a, b in zip(layers, to_layerdefs(net)):
        assert a.name == b.name and a.inputs == b.inputs and a.mode == b.mode
        assert np.array_equal(a.w, b.w) and np.array_equal(a.bias, b.bias)
        assert (a.scale, a.shift) == (b.scale, b.shift)
    assert (cin, h, w, meta["level"]) == (1, 8, 8, 3)
    ref, pred = predict_reference(layers, x[:6])
    q = net.quant[-1]
    assert np.allclose(logits_q, ref * (q.s_w * q.s_x / 64), rtol=1e-5, atol=1e-6)
    for cfg in ("small", "chip"):
        lg, pr, info = predict_golden(cfg, layers, x[:6])
        assert np.array_equal(lg, ref) and np.array_equal(pr, pred)
        assert info["stored_words"] < info["dense_words"] and info["cycles"] > 0


SHIPPED = [TRAINED_DIR / f"digits_k{k}.npz" for k in (9, 1)]


@pytest.mark.skipif(not all(p.exists() for p in SHIPPED), reason="no shipped models")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: Path(p).stem)
def test_shipped_model_accuracy_and_golden(path):
    _, _, xte, yte = load_data()
    layers, cin, h, w, meta = load_network(path)
    ref, pred = predict_reference(layers, xte, cin)
    assert (pred == yte).mean() >= 0.95
    for cfg in ("small", "chip"):
        lg, pr, info = predict_golden(cfg, layers, xte[:8], cin, h, w)
        assert np.array_equal(lg, ref[:8])


def test_training_is_deterministic():
    from models.nn.train import fit
    x = RNG.integers(0, 16, (64, 1, 8, 8))
    y = np.arange(64) % 10
    nets = []
    for _ in range(2):
        net = Net(4, 6, 1, seed=2)
        fit(net, x, y, 1, 1e-2, np.random.default_rng(9))
        nets.append(net)
    for k in nets[0].params:
        assert np.array_equal(nets[0].params[k], nets[1].params[k])
