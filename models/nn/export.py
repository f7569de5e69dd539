"""Export of an INT4 network to the compiler's LayerDefs, and the two integer
inference paths: the numpy reference (models.reference.layer per layer) and the
golden run (models.compiler.compile_network, then Compiled.golden: models.iss.run_batch over the images).

On the chip the classifier is a 1x1 conv C -> 10 in acc mode: it writes the
raw int32 accumulator (with bias) of every pixel.  Global average pooling
commutes with it, so the HOST sums the 64 per-pixel logit vectors and takes
the argmax (the 1/64 of the average does not change the argmax).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import reference
from ..compiler import LayerDef, compile_network, dense_macs, useful_macs
from ..spec import CONFIGS, Config, Err

INPUT_NAME = "x"
INPUT_RULE = "x = min(pixel, 15): sklearn digits gray levels 0..16 -> 4-bit activations 0..15"
HOST_RULE = "logits = sum over the H*W pixels of the acc-mode output; class = argmax"


def to_layerdefs(net) -> list[LayerDef]:
    """Integer LayerDefs of a fully quantized Net."""
    out = []
    for i, s in enumerate(net.specs):
        assert net.quant[i] is not None, f"layer {s.name} is not quantized"
        w_int, b_int, scale, shift = net.int_params(i)
        out.append(LayerDef(s.name, list(s.inputs), w_int.astype(np.int64), b_int.astype(np.int64),
                            int(scale), int(shift), s.mode))
    return out


def save_int4(path, net, level: int) -> None:
    lds = to_layerdefs(net)
    d = {
        "names": np.array([ld.name for ld in lds]),
        "inputs": np.array([",".join(ld.inputs) for ld in lds]),
        "modes": np.array([ld.mode for ld in lds]),
        "scale": np.array([ld.scale for ld in lds], np.int64),
        "shift": np.array([ld.shift for ld in lds], np.int64),
        "input_name": np.array(INPUT_NAME), "input_channels": np.array(1),
        "H": np.array(8), "W": np.array(8),
        "input_rule": np.array(INPUT_RULE), "host_rule": np.array(HOST_RULE),
        "level": np.array(level), "arch": np.array([net.c, net.e, net.blocks]),
        # float scales, for documentation only (the integers above define the model)
        "s_w": np.array([q.s_w for q in net.quant]),
        "s_x": np.array([q.s_x for q in net.quant]),
        "s_y": np.array([np.nan if q.s_y is None else q.s_y for q in net.quant]),
    }
    for i, ld in enumerate(lds):
        d[f"w_{i}"] = ld.w.astype(np.int8)
        d[f"bias_{i}"] = ld.bias.astype(np.int16)
    np.savez_compressed(path, **d)


def load_network(path) -> tuple[list[LayerDef], int, int, int, dict]:
    """(layers, input_channels, H, W, meta) of an exported INT4 model."""
    with np.load(Path(path), allow_pickle=False) as d:
        names = [str(n) for n in d["names"]]
        layers = []
        for i, name in enumerate(names):
            layers.append(LayerDef(name, str(d["inputs"][i]).split(","),
                                   d[f"w_{i}"].astype(np.int64), d[f"bias_{i}"].astype(np.int64),
                                   int(d["scale"][i]), int(d["shift"][i]), str(d["modes"][i])))
        meta = {k: (d[k].item() if d[k].ndim == 0 else d[k].tolist())
                for k in ("input_name", "input_rule", "host_rule", "level", "arch", "s_w", "s_x", "s_y")}
        meta["output"] = names[-1]
        return layers, int(d["input_channels"]), int(d["H"]), int(d["W"]), meta


def _images(images: np.ndarray, cin: int) -> np.ndarray:
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[:, None]
    assert x.shape[1] == cin and x.min() >= 0 and x.max() <= 15, "images must be 4-bit activations"
    return x.astype(np.int64)


def predict_reference(layers: list[LayerDef], images: np.ndarray, input_channels: int = 1,
                      input_name: str = INPUT_NAME):
    """Integer inference with models.reference.layer.  images (N, [C,] H, W) in
    [0, 15].  Returns (logits (N, 10) int64 summed over pixels, preds)."""
    x = _images(images, input_channels)
    logits = []
    for img in x:
        t = {input_name: img}
        for ld in layers:
            inp = np.concatenate([t[n] for n in ld.inputs])
            t[ld.name] = reference.layer(inp, ld.w, ld.bias, ld.scale, ld.shift, ld.mode)
        logits.append(t[layers[-1].name].sum(axis=(1, 2)))
    logits = np.array(logits, np.int64)
    return logits, logits.argmax(1)


def compile_digits(cfg: Config | str, layers: list[LayerDef], input_channels: int = 1,
                   h: int = 8, w: int = 8, input_name: str = INPUT_NAME):
    cfg = CONFIGS[cfg] if isinstance(cfg, str) else cfg
    return compile_network(cfg, h, w, {input_name: input_channels}, layers)


def predict_golden(cfg: Config | str, layers: list[LayerDef], images: np.ndarray,
                   input_channels: int = 1, h: int = 8, w: int = 8, input_name: str = INPUT_NAME):
    """Compile for cfg and run every image on the ISS; the host sums the
    acc-mode logits over pixels.  Returns (logits (N, 10) int64, preds, info)
    where info has the ISS counters (identical for every image: the cycle
    model depends on the program only) and the program's weight words and MACs."""
    prog = compile_digits(cfg, layers, input_channels, h, w, input_name)
    x = _images(images, input_channels)
    out = layers[-1].name
    logits, counters = [], None
    for res, amems in prog.golden([{input_name: img} for img in x]):
        if res.err != Err.NONE:
            raise RuntimeError(f"ISS error {res.err.name} at pc {res.err_pc}")
        c = res.counters()
        if counters is None:
            counters = c
        assert c == counters, "ISS counters must not depend on the data"
        logits += [prog.read(a, out).sum(axis=(1, 2)) for a in amems]
    logits = np.array(logits, np.int64)
    info = dict(counters or {})
    info.update(
        stored_words=sum(st.stored_words for st in prog.layers),
        dense_words=sum(st.dense_words for st in prog.layers),
        imem_words=len(prog.imem),
        dense_macs=dense_macs(prog), useful_macs=useful_macs(prog),
        per_layer=[dict(name=st.name, stored_words=st.stored_words, dense_words=st.dense_words)
                   for st in prog.layers])
    return logits, logits.argmax(1), info
