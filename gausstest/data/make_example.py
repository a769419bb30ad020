"""Regenerate the shipped example latent sample (run: python gausstest/data/make_example.py).

example_latents.npy: 2000 x 16 float32, shaped like the posterior means of a small VAE
trained on a two-class data set: 14 active dimensions close to N(0, I) but slightly
under-dispersed, two classes separated along dimension 0 and 1, and dimension 5
collapsed (an inactive unit whose posterior mean barely moves).
"""

from pathlib import Path

import numpy as np


def make(seed: int = 20261124) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n, d = 2000, 16
    z = rng.standard_normal((n, d)) * 0.92
    label = rng.random(n) < 0.5
    z[:, 0] = np.where(label, 1.0, -1.0) + 0.45 * rng.standard_normal(n)
    z[:, 1] += 0.35 * z[:, 0]
    z[:, 5] = 0.04 * rng.standard_normal(n)
    return z.astype(np.float32)


if __name__ == "__main__":
    out = Path(__file__).with_name("example_latents.npy")
    np.save(out, make(), allow_pickle=False)
    print(f"wrote {out}")
