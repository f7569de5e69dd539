"""Random SRAM words and $readmemh images for the SRAM benches.

The pytest entry writes ``init.hex`` into the test directory and passes its
path in env ``SRAM_INIT_FILE``; the cocotb tests read the same image back as
their model's initial contents.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_NAME", "INIT_ENV", "DEPTH", "load_hex", "rand_word", "write_hex_image", "init_image",
           "run_sram_bench"]

IMAGE_NAME = "init.hex"
INIT_ENV = "SRAM_INIT_FILE"
DEPTH = 256     # words: enough for a random image, small enough to read in full


def rand_word(rng: np.random.Generator, width: int) -> int:
    """A uniformly random ``width``-bit word."""
    return int.from_bytes(rng.bytes((width + 7) // 8), "little") & ((1 << width) - 1)


def load_hex(path: str | os.PathLike) -> list[int]:
    """The words of a $readmemh file with one word per line."""
    return [int(line, 16) for line in Path(path).read_text().split()]


def write_hex_image(path: Path, width: int, depth: int, seed: int) -> None:
    """A $readmemh file of ``depth`` random ``width``-bit words."""
    rng = np.random.default_rng(seed)
    digits = (width + 3) // 4
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{rand_word(rng, width):0{digits}x}\n" for _ in range(depth)))


def init_image() -> list[int]:
    """Inside the simulation: the image the SRAM was initialised from."""
    return load_hex(os.environ[INIT_ENV])


def run_sram_bench(bench, config: str, toplevel: str, seed_salt: int) -> None:
    """Run ``bench`` (a verif.common.bench.Bench) on ``toplevel`` as wide as
    an AMem word of ``config``, initialised from a random image that
    ``seed_salt`` makes differ between the SRAM benches."""
    __tracebackhide__ = True
    from models.spec import get_config
    from rtlsim.build import run_dir

    width = get_config(config).rows * 4
    test_dir = run_dir()
    image = test_dir / IMAGE_NAME
    write_hex_image(image, width, DEPTH, seed=DEPTH * seed_salt + width)
    # INIT_FILE is a runtime $readmemh, so the build can be shared between
    # tests; the path is itself a parameter, so it is given relative to the
    # test directory, the same for every test.
    bench.run(config, toplevel=toplevel, test_dir=test_dir,
              extra_params={"WIDTH": width, "DEPTH": DEPTH, "INIT_FILE": f'"{IMAGE_NAME}"'},
              extra_env={INIT_ENV: str(image)})
