"""Train small generative autoencoders on scikit-learn's digits and ship their held-out latents.

Run from the repository root (needs the ``train`` extra: ``pip install -e '.[train]'``):

    python notebooks/train_encoders.py            # train, write gausstest/data/encoders/
    python notebooks/train_encoders.py --check    # train again, compare with the shipped files

Data: ``sklearn.datasets.load_digits`` (1797 8x8 images bundled with scikit-learn, no
download), pixels scaled to [0, 1], split once by a seeded permutation into 1197
training and 600 held-out images. Every model has the same MLP encoder and decoder
(64-128-64-d and back, ReLU, sigmoid output), is trained with Adam (lr 1e-3, batch
100) on the Bernoulli reconstruction loss (binary cross-entropy summed over pixels)
plus its regulariser, and is seeded; the latents of the held-out images are saved as
float32 .npy with a manifest. The regularisers (B = batch size, z = the batch's latents,
p = a fresh N(0, I) batch):

* ``ae``: none (a plain autoencoder: its latents are whatever is convenient).
* ``vae``: KL(q(z|x) || N(0, I)) (Kingma & Welling 2014); saves one posterior sample
  per image (``vae``), the posterior means (``vae_mu``) and log-variances (``vae_logvar``).
* ``wae``: lambda MMD^2(z, p) with the inverse multiquadric kernel C / (C + ||x - y||^2),
  summed over C = 2 d s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10) (Tolstikhin et al. 2018).
* ``swae``: lambda times the sliced Wasserstein-2 distance between z and p over 50
  random directions (Kolouri et al. 2019).
* ``cwae``: log of the Cramer-Wold distance to N(0, I) in closed form with gamma =
  (4 / 3B)^(2/5) (Tabor et al. 2018), using the paper's approximation of 1F1 for
  phi_d, as CWAE trains (gausstest's own ``cramer_wold`` test uses the exact function).
* ``gae``: a Gaussian autoencoder that fits CDFs: lambda times the Cramer-von Mises
  distance between the empirical CDF of the squared radii ||z_i||^2 and chi2(d), plus
  the same for half squared pairwise distances ||z_i - z_j||^2 / 2 (chi2(d) too).

Latent dimension d = 8 and 16. CPU only, one thread, deterministic algorithms, so a
rerun with the same torch build reproduces the files; ``--check`` states the largest
difference (the tolerance it enforces is 1e-4 absolute on the latents).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover
    sys.exit("train_encoders.py needs torch: pip install -e '.[train]' (CPU build is enough)")

OUT = Path(__file__).resolve().parent.parent / "gausstest" / "data" / "encoders"
SEED = 20261202
EPOCHS = 300
BATCH = 100
N_HELD_OUT = 600
DIMS = (8, 16)
LAMBDA = {"ae": 0.0, "vae": 1.0, "wae": 100.0, "swae": 100.0, "cwae": 10.0, "gae": 200.0}
METHODS = tuple(LAMBDA)
TOLERANCE = 1e-4


def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x = load_digits().data.astype(np.float32) / 16.0
    perm = np.random.default_rng(SEED).permutation(x.shape[0])
    return x[perm[N_HELD_OUT:]], x[perm[:N_HELD_OUT]]


class Model(nn.Module):
    def __init__(self, d: int, variational: bool):
        super().__init__()
        out = 2 * d if variational else d
        self.enc = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                 nn.Linear(64, out))
        self.dec = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 128), nn.ReLU(),
                                 nn.Linear(128, 64))
        self.d, self.variational = d, variational

    def encode(self, x):
        h = self.enc(x)
        if self.variational:
            return h[:, :self.d], h[:, self.d:]
        return h, None


def imq_mmd(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 with the multi-scale IMQ kernel of the WAE paper."""
    b, d = z.shape
    off = 1.0 - torch.eye(b)
    dzz, dpp, dzp = torch.cdist(z, z) ** 2, torch.cdist(p, p) ** 2, torch.cdist(z, p) ** 2
    total = z.new_zeros(())
    for s in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0):
        c = 2.0 * d * s
        kzz, kpp, kzp = c / (c + dzz), c / (c + dpp), c / (c + dzp)
        total = total + ((kzz * off).sum() + (kpp * off).sum()) / (b * (b - 1)) - 2 * kzp.mean()
    return total


def sliced_w2(z: torch.Tensor, p: torch.Tensor, n_dirs: int = 50) -> torch.Tensor:
    u = torch.randn(z.shape[1], n_dirs)
    u = u / u.norm(dim=0, keepdim=True)
    a, _ = torch.sort(z @ u, dim=0)
    b, _ = torch.sort(p @ u, dim=0)
    return ((a - b) ** 2).mean()


def cramer_wold_log(z: torch.Tensor) -> torch.Tensor:
    """log cw^2(z, N(0, I)) with the CWAE approximation phi_d(s) ~ (1 + 4s / (2d - 3))^(-1/2)."""
    n, d = z.shape
    gamma = (4.0 / (3.0 * n)) ** 0.4

    def phi(s):
        return (1.0 + 4.0 * s / (2.0 * d - 3.0)) ** -0.5

    pair = phi(torch.cdist(z, z) ** 2 / (4.0 * gamma)).sum() / (n * n * math.sqrt(gamma))
    prior = 1.0 / math.sqrt(1.0 + gamma)
    cross = 2.0 * phi((z ** 2).sum(1) / (2.0 + 4.0 * gamma)).sum() / (n * math.sqrt(gamma + 0.5))
    return torch.log((pair + prior - cross) / (2.0 * math.sqrt(math.pi)))


def chi2_cdf(x: torch.Tensor, d: int) -> torch.Tensor:
    return torch.special.gammainc(torch.full_like(x, d / 2.0), x.clamp_min(0) / 2.0)


def cvm_chi2(values: torch.Tensor, d: int) -> torch.Tensor:
    """Cramer-von Mises distance between the empirical CDF of ``values`` and chi2(d)."""
    v, _ = torch.sort(values)
    m = v.shape[0]
    target = (torch.arange(1, m + 1, dtype=v.dtype) - 0.5) / m
    return ((chi2_cdf(v, d) - target) ** 2).mean()


def gae_penalty(z: torch.Tensor) -> torch.Tensor:
    b, d = z.shape
    iu = torch.triu_indices(b, b, 1)
    half_sq = (torch.cdist(z, z) ** 2)[iu[0], iu[1]] / 2.0
    return cvm_chi2((z ** 2).sum(1), d) + cvm_chi2(half_sq, d)


def train(method: str, d: int, x_train: np.ndarray, epochs: int = EPOCHS):
    torch.manual_seed(SEED + 1000 * d + METHODS.index(method))
    model = Model(d, variational=(method == "vae"))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt = torch.from_numpy(x_train)
    lam = LAMBDA[method]
    bce = nn.BCEWithLogitsLoss(reduction="sum")
    for _ in range(epochs):
        perm = torch.randperm(xt.shape[0])
        for i in range(0, xt.shape[0] - BATCH + 1, BATCH):
            xb = xt[perm[i:i + BATCH]]
            mu, logvar = model.encode(xb)
            if method == "vae":
                z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            else:
                z = mu
            loss = bce(model.dec(z), xb) / BATCH
            if method == "vae":
                loss = loss + 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum() / BATCH
            elif method == "wae":
                loss = loss + lam * imq_mmd(z, torch.randn_like(z))
            elif method == "swae":
                loss = loss + lam * sliced_w2(z, torch.randn_like(z))
            elif method == "cwae":
                loss = loss + lam * cramer_wold_log(z)
            elif method == "gae":
                loss = loss + lam * gae_penalty(z)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


@torch.no_grad()
def held_out(model: Model, method: str, x_test: np.ndarray) -> tuple[dict[str, np.ndarray], float]:
    xt = torch.from_numpy(x_test)
    mu, logvar = model.encode(xt)
    out = {method: mu}
    if method == "vae":
        g = torch.Generator().manual_seed(SEED)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)
        out = {"vae": z, "vae_mu": mu, "vae_logvar": logvar}
    mse = float(((torch.sigmoid(model.dec(mu)) - xt) ** 2).mean())
    return {k: v.numpy().astype(np.float32) for k, v in out.items()}, mse


CONTENTS = {
    "ae": "posterior codes (deterministic encoder) of the held-out digits",
    "vae": "one posterior sample z ~ q(z|x) per held-out digit (seeded)",
    "vae_mu": "posterior means mu(x) of the held-out digits",
    "vae_logvar": "posterior log-variances log sigma^2(x) (not a latent sample)",
    "wae": "codes of the held-out digits (deterministic encoder)",
    "swae": "codes of the held-out digits (deterministic encoder)",
    "cwae": "codes of the held-out digits (deterministic encoder)",
    "gae": "codes of the held-out digits (deterministic encoder)",
}
REGULARISER = {
    "ae": "none", "vae": "KL(q(z|x) || N(0, I))", "wae": "MMD^2, inverse multiquadric kernel",
    "swae": "sliced Wasserstein-2, 50 directions", "cwae": "log Cramer-Wold distance",
    "gae": "Cramer-von Mises of squared radii and half squared pairwise distances vs chi2(d)",
}


def run(epochs: int = EPOCHS) -> tuple[dict[str, np.ndarray], list[dict]]:
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    x_train, x_test = digits()
    arrays, entries = {}, []
    for d in DIMS:
        for method in METHODS:
            t0 = time.process_time()
            model = train(method, d, x_train, epochs)
            outs, mse = held_out(model, method, x_test)
            cpu = time.process_time() - t0
            print(f"{method:>5} d = {d:>2}: held-out reconstruction MSE {mse:.4f} "
                  f"({cpu:.1f} s CPU)", flush=True)
            for key, arr in outs.items():
                name = f"{key}-d{d}"
                arrays[name] = arr
                entries.append({
                    "name": name, "file": f"{name}.npy", "method": method, "regulariser":
                    REGULARISER[method], "lambda": LAMBDA[method], "seed": SEED,
                    "epochs": epochs, "batch": BATCH, "d": d, "n": int(arr.shape[0]),
                    "reconstruction_mse": round(mse, 6), "contents": CONTENTS[key],
                    "kind": "logvar" if key == "vae_logvar" else "latent",
                    "cpu_seconds": round(cpu, 1),
                })
    return arrays, entries


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="train again and compare with the shipped files (writes nothing)")
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args(argv)
    arrays, entries = run(args.epochs)
    if args.check:
        worst = 0.0
        for name, arr in arrays.items():
            shipped = np.load(OUT / f"{name}.npy", allow_pickle=False)
            diff = float(np.max(np.abs(shipped.astype(np.float64) - arr)))
            worst = max(worst, diff)
            print(f"{name}: max |difference| = {diff:.3g}")
        ok = worst <= TOLERANCE
        print(f"largest difference {worst:.3g}: {'reproduced' if ok else 'NOT reproduced'} "
              f"(tolerance {TOLERANCE})")
        return 0 if ok else 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        np.save(OUT / f"{name}.npy", arr, allow_pickle=False)
    for e in entries:
        e["sha256"] = hashlib.sha256((OUT / e["file"]).read_bytes()).hexdigest()
    manifest = {
        "description": "held-out latents of small autoencoders trained on sklearn's digits by "
                       "notebooks/train_encoders.py (600 held-out images; float32)",
        "torch_version": torch.__version__, "data": "sklearn.datasets.load_digits, pixels / 16",
        "split": f"seeded permutation (seed {SEED}): first {N_HELD_OUT} held out",
        "files": entries,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(arrays)} files and manifest.json to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
