r"""``autoencoder-vs-pca``: an auto-encoder squeezes an image into a code of k numbers and
rebuilds it; with linear maps it can do no better than PCA (its optimum spans PCA's leading
subspace, Baldi & Hornik 1989), with non-linear ones it can: at small codes it rebuilds
held-out images better than PCA with as many components (the auto-encoder lecture's
bottleneck; Hinton & Salakhutdinov, Science 2006, Fig. 2).

Data: scikit-learn's digits, pixels scaled to [0, 1]; each repeat draws its own split
(60% train, 20% test; the validation part is unused) and trains every model on the training
part only. For each code size k of ``code_sizes``:

- PCA with k components fitted on the training images
  (:func:`mllab.autoencoder.pca_reconstruction_score`);
- a linear auto-encoder (:class:`mllab.autoencoder.MLPAutoencoder` with ``hidden=()``);
- a non-linear one (ReLU hidden layers ``hidden``, mirrored in the decoder);

both trained by Adam on the mean squared error. The measure is the held-out squared error
per image :math:`\frac1N \sum_n \lVert x_n - \hat x_n \rVert^2` on the test images.

Demonstration: the linear auto-encoder's error is PCA's (their ratio near 1; a trained one
lies a little above, since gradient descent stops short of the optimum). Evidence: at each
of the ``small_codes`` the non-linear auto-encoder's error is below PCA's by a relative
margin.

Differences from the course: the lecture draws the bottleneck without naming PCA; the
linear case is the standard result that ties the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.autoencoder import MLPAutoencoder, pca_reconstruction_score, reconstruction_score
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.autoencoder import LECTURE
from mllab.experiments.autoencoder.plots import plot_error_by_code
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.losses import mse
from mllab.train import TrainConfig

PIXEL_MAX = 16.0
"""The digits' largest pixel value: images are divided by it."""


@dataclass
class AEvsPCASettings(Settings):
    code_sizes: tuple[int, ...] = (2, 4, 8, 16)
    """Code sizes k, increasing, each in 1..64."""
    small_codes: tuple[int, ...] = (2, 4)
    """The code sizes the evidence is about ("small codes"), a subset of code_sizes."""
    hidden: tuple[int, ...] = (128, 64)
    """Hidden widths of the non-linear auto-encoder's encoder (the decoder mirrors them)."""
    epochs: int = 200
    """Training epochs of every auto-encoder (>= 1)."""
    batch_size: int = 64
    """Images per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate for both auto-encoders (> 0)."""
    repeats: int = 5
    """Independent repeats: data split, initialisations, batch order (>= 1)."""
    margin: float = 0.05
    """Least relative gain 1 - error(AE)/error(PCA) that counts as 'beats' (in [0, 1)): 5% of
    PCA's error, above the few per cent that a trained linear auto-encoder, the same model
    class as PCA, lies off PCA's optimum."""

    def validate(self) -> None:
        for name, least in (("epochs", 1), ("batch_size", 1), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 <= self.margin < 1, "margin", "in [0, 1)", self.margin)
        k = list(self.code_sizes)
        require(len(k) >= 1 and k == sorted(set(k)) and 1 <= k[0] and k[-1] <= 64, "code_sizes",
                "increasing integers in 1..64", self.code_sizes)
        require(len(self.small_codes) >= 1 and set(self.small_codes) <= set(k), "small_codes",
                f"a non-empty subset of code_sizes {self.code_sizes}", self.small_codes)
        require(all(w >= 1 for w in self.hidden) and len(self.hidden) >= 1, "hidden",
                "one or more widths >= 1", self.hidden)

    @classmethod
    def quick(cls) -> AEvsPCASettings:
        return cls(code_sizes=(2, 8), small_codes=(2,), epochs=30, repeats=2)


def digits_images(seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    r"""Training and test images ``(N, 64)`` in [0, 1] and their labels, split by ``seed``."""
    split = load_dataset("digits", seed=seed, standardize=False)
    return (split.x_train / PIXEL_MAX, split.y_train, split.x_test / PIXEL_MAX, split.y_test)


def train_autoencoder(ctx: RunContext, s: Settings, name: str, model: nn.Module,
                      x_train: Tensor) -> nn.Module:
    r"""One trial: ``model`` trained by Adam on :math:`\lVert x - \hat x \rVert^2` (mean over
    entries); ``s`` gives ``epochs``, ``batch_size`` and ``lr``."""
    with ctx.trial(name) as t:
        t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), mse, (x_train, x_train),
              None, TrainConfig(epochs=s.epochs, batch_size=s.batch_size),
              fingerprint=s.to_dict())
    return model


def held_out_error(model: nn.Module, x: Tensor) -> float:
    r""":math:`\frac1N \sum_n \lVert x_n - \hat x_n \rVert^2` on ``x``."""
    return reconstruction_score(model, x).mean().item()


def judge_ae_vs_pca(m: dict, s: AEvsPCASettings) -> Evidence:
    runs = m["runs"]

    def row(run: dict, k: int) -> dict:
        return run["by_code"][s.code_sizes.index(k)]

    checks = [Check(
        f"at a small code (k = {k}) the non-linear auto-encoder rebuilds held-out digits better "
        f"than PCA with {k} components",
        f"relative gain 1 - error(non-linear AE) / error(PCA), k = {k}",
        [1 - row(r, k)["nonlinear"] / row(r, k)["pca"] for r in runs], margin=s.margin,
        reason=f"{s.margin:.0%} of PCA's error, above the gap of a trained linear AE to PCA "
               f"(margin)") for k in s.small_codes]
    ratios = {k: [row(r, k)["linear"] / row(r, k)["pca"] for r in runs] for k in s.code_sizes}
    return Evidence(
        checks=checks,
        demonstrations=[Demonstration(
            "a linear auto-encoder can do no better than PCA: trained, its held-out error "
            "matches PCA's (Baldi & Hornik 1989)",
            "error(linear AE) / error(PCA), mean over repeats, at k = " + ", ".join(
                f"{k}: {sum(v) / len(v):.3f}" for k, v in ratios.items()))],
        notes=["errors are squared distances per image on the test split, pixels in [0, 1]"])


@experiment(name="autoencoder-vs-pca", lecture=LECTURE, judge=judge_ae_vs_pca,
            claim="A linear auto-encoder rebuilds images as PCA does; a non-linear one "
                  "rebuilds held-out digits better than PCA at small codes.")
def autoencoder_vs_pca(s: AEvsPCASettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(s.code_sizes) * 2)
    runs = []
    for r in range(s.repeats):
        x_train, _, x_test, _ = digits_images(ctx.seed_for(f"split/r{r}"))
        by_code = []
        for k in s.code_sizes:
            linear = train_autoencoder(ctx, s, f"linear-k{k}-r{r}",
                                       MLPAutoencoder(64, k), x_train)
            nonlinear = train_autoencoder(ctx, s, f"nonlinear-k{k}-r{r}",
                                          MLPAutoencoder(64, k, s.hidden), x_train)
            by_code.append({
                "k": k, "pca": pca_reconstruction_score(x_train, x_test, k).mean().item(),
                "linear": held_out_error(linear, x_test),
                "nonlinear": held_out_error(nonlinear, x_test)})
        runs.append({"by_code": by_code})
    plot_error_by_code(ctx, s, runs)
    rows = [[r, v["k"], f"{v['pca']:.3f}", f"{v['linear']:.3f}", f"{v['nonlinear']:.3f}",
             f"{1 - v['nonlinear'] / v['pca']:.3f}"]
            for r, run in enumerate(runs) for v in run["by_code"]]
    return Result(metrics={"runs": runs}, tables=[table(
        "Held-out squared error per image, every repeat and code size", [
            "repeat", "k", "PCA", "linear AE", "non-linear AE", "gain over PCA"], rows)])
