r"""``discrete-latent``: an auto-encoder whose code is a discrete choice learns, without labels,
codes that line up with the classes, and rebuilds its inputs as well as a continuous code
cut down to the same number of bits (the auto-encoder lecture's discrete latent
representation; VQ-VAE, van den Oord et al., arXiv:1711.00937).

**Data.** scikit-learn's digits, pixels scaled to [0, 1]; each repeat draws its own split
(60% training, 20% test; the validation part is unused). No model sees a label.

**Models**, from the same initial weights and the same mini-batches (``steps`` Adam updates):

- a **VQ-VAE** (:class:`mllab.autoencoder.VQVAE`) with a code of **one position**: the encoder
  (ReLU widths ``hidden``) maps :math:`x` to :math:`z_e(x) \in \mathbb{R}^D`, the nearest of
  :math:`K` learned codebook vectors replaces it, the mirrored decoder rebuilds :math:`x`;
  loss Eq. 3 with the paper's :math:`\beta = 0.25`. Its code is one index in :math:`1..K`;
- a **continuous** auto-encoder (:class:`mllab.autoencoder.MLPAutoencoder`): the same encoder
  and decoder without the quantiser (so a code of :math:`D` real numbers), with the same
  initial weights; after training its code is **discretised at the same bits**: k-means with
  :math:`K` clusters on its training codes, each code replaced by its nearest centroid, then
  decoded.

**What is matched**: the bits per image, :math:`\log_2 K` (4 for :math:`K = 16`), hence the
number of distinct reconstructions (:math:`K`); the architecture, initial weights, batches and
updates. What differs: the VQ-VAE learns its discrete code end to end, the continuous code is
discretised after training. For reference: the continuous code itself (:math:`D` float32
numbers) and **k-means on the pixels** (:math:`K` clusters, each image rebuilt as its
centroid: the classic clustering, and near the least squared error of any :math:`K` images).

**Measures** on the held-out test images: the squared error per image; the codebook's
**usage** (share of entries chosen) and **perplexity** (:math:`\exp` of the entropy of the
chosen entries' frequencies, :math:`K` at best); the **purity** of a code: the share of test
images that belong to the majority class of their code value,
:math:`\frac1N \sum_k \max_j |\{n : c_n = k, y_n = j\}|`, and its **chance** level: the same
code values with the labels permuted (mean of ``permutations`` draws).

Evidence: (1) the VQ-VAE's purity lies above chance by a wide margin (the lecture: a discrete
code that the network learns by itself can come to stand for classes, as a one-hot code
clusters, as a speech codebook learns phonemes); (2) at matched bits its error is no more than
``rec_tolerance`` above that of the discretised continuous code (the paper: discrete codes
lose little against continuous ones). The purities of the discretised continuous code and of
pixel k-means are reported beside, for information: the lecture makes no claim that a
VQ-VAE clusters better than k-means.

Differences from the paper: MLP encoder and decoder and a single position (the paper's code
is a feature map of many positions with :math:`K = 512`), so that each codebook entry is a
cluster whose purity can be read off; the codebook is trained by its loss term (no EMA).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import fmean

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.autoencoder import (
    VQVAE,
    MLPAutoencoder,
    codebook_perplexity,
    codebook_usage,
    nearest_code,
    reconstruction_error,
)
from mllab.config import require
from mllab.experiments.autoencoder import LECTURE
from mllab.experiments.autoencoder.autoencoder_vs_pca import digits_images
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.train import LoopConfig, LoopState, transient

CODES = ("vq_vae", "ae_kmeans", "pixel_kmeans")
"""The K-valued codes: VQ-VAE, continuous AE discretised by k-means, k-means on pixels."""
LABELS = {"vq_vae": "VQ-VAE", "ae_kmeans": "continuous AE + k-means",
          "pixel_kmeans": "k-means on pixels", "ae": "continuous AE (unquantised)"}
LOG_EVERY = 100
"""Training steps between two logged losses."""


@dataclass
class DiscreteSettings(Settings):
    num_codes: int = 16
    """K, the codebook's size and the k-means clusters (in 2..256): more entries than the 10
    digits, so a digit written two ways can take two; log2 16 = 4 bits per image."""
    dim: int = 8
    """D, the size of a codebook vector and of the continuous code (>= 1)."""
    hidden: tuple[int, ...] = (128, 64)
    """Hidden widths of the encoders (the decoders mirror them), as in the lecture's other
    auto-encoder experiments."""
    beta: float = 0.25
    """The commitment weight of Eq. 3 (>= 0): the paper's 0.25."""
    steps: int = 3000
    """Adam updates of each model (>= 1): about 180 passes over the ~1080 training images."""
    batch_size: int = 64
    """Images per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate of both models (> 0), as in autoencoder-vs-pca."""
    kmeans_restarts: int = 5
    """k-means runs from k-means++ seeds, the one of least squared error kept (>= 1)."""
    permutations: int = 20
    """Label permutations whose mean purity is the chance level (>= 1)."""
    repeats: int = 5
    """Independent repeats: data split, initial weights, batches, k-means seeds (>= 1)."""
    purity_margin: float = 0.3
    """Least purity above chance that counts as 'lines up with the classes' (in [0, 1)):
    with chance near 0.2 for 16 entries on ~360 test digits, it asks that most images share
    their entry's majority digit; a weak alignment does not count."""
    rec_tolerance: float = 0.1
    """How much larger (relatively) the VQ-VAE's error may be than the discretised
    continuous code's and still count as 'as well' (in [0, 1)): a tenth."""
    rec_margin: float = 0.05
    """Noise allowance around that tolerance (in [0, rec_tolerance]): five per cent of the
    error, the spread between repeats of the same training."""

    def validate(self) -> None:
        for name in ("dim", "steps", "batch_size", "kmeans_restarts", "permutations",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(2 <= self.num_codes <= 256, "num_codes", "in 2..256", self.num_codes)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.beta >= 0, "beta", ">= 0", self.beta)
        require(all(w >= 1 for w in self.hidden) and len(self.hidden) >= 1, "hidden",
                "one or more widths >= 1", self.hidden)
        for name in ("purity_margin", "rec_tolerance"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))
        require(0 <= self.rec_margin <= self.rec_tolerance, "rec_margin",
                f"in [0, rec_tolerance = {self.rec_tolerance}]", self.rec_margin)

    @classmethod
    def quick(cls) -> DiscreteSettings:
        return cls(steps=100, kmeans_restarts=2, permutations=5, repeats=2)


def kmeans(x: Tensor, k: int, restarts: int, generator: torch.Generator,
           iters: int = 100) -> Tensor:
    r"""k-means: Lloyd's algorithm from k-means++ seeds; of ``restarts`` runs the centroids
    ``(k, C)`` of least within-cluster squared error :math:`\sum_n \lVert x_n - \mu_{c_n}
    \rVert^2`."""
    best, best_sse = x[:k], math.inf
    for _ in range(restarts):
        mu = x[torch.randint(len(x), (1,), generator=generator)]  # k-means++: one uniform seed,
        while len(mu) < k:  # then each next with probability ∝ squared distance to the nearest
            d2 = torch.cdist(x, mu).square().min(1).values  # (N,)
            mu = torch.cat([mu, x[torch.multinomial(d2, 1, generator=generator)]])
        for _ in range(iters):
            c = nearest_code(x, mu)  # (N,) assignment step
            n = torch.bincount(c, minlength=k)[:, None]
            new = torch.zeros_like(mu).index_add_(0, c, x) / n.clamp_min(1)  # update step
            new = torch.where(n > 0, new, mu)  # an empty cluster keeps its centroid
            if torch.equal(new, mu):
                break
            mu = new
        sse = (x - mu[nearest_code(x, mu)]).square().sum().item()
        if sse < best_sse:
            best, best_sse = mu, sse
    return best


def purity(cells: Tensor, y: Tensor, num_cells: int, num_classes: int = 10) -> float:
    r""":math:`\frac1N \sum_k \max_j |\{n : c_n = k, y_n = j\}|`: the share of examples in
    their cell's majority class."""
    counts = torch.zeros(num_cells, num_classes).index_put_(
        (cells, y), torch.ones(len(y)), accumulate=True)  # (K, classes)
    return float(counts.max(1).values.sum() / len(y))


@dataclass(kw_only=True)
class CodeState(LoopState):
    r"""What training one of the models changes; the images are fixed."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: torch.Generator
    """Draws the mini-batches: seeded alike for both models, so both see the same ones."""
    x: Tensor = transient()


def code_step(batch_size: int):
    r"""One Adam update: Eq. 3 for a VQ-VAE, the mean squared error for an auto-encoder."""

    def step(s: CodeState) -> dict | None:
        x = s.x[torch.randint(len(s.x), (batch_size,), generator=s.batches)]  # 1. a mini-batch
        if isinstance(s.model, VQVAE):  # 2. the loss
            out = s.model(x)
            loss, rec = out.loss, out.reconstruction_loss
        else:
            loss = rec = F.mse_loss(s.model(x), x)
        s.optimizer.zero_grad()  # 3. update
        loss.backward()
        s.optimizer.step()
        return {"loss": loss.item(), "reconstruction": rec.item()} \
            if s.step % LOG_EVERY == 0 else None

    return step


def _train(ctx: RunContext, s: DiscreteSettings, x: Tensor, name: str, r: int) -> nn.Module:
    with ctx.trial(f"{name}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):  # the same initial encoder and decoder
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))
            model = ae = MLPAutoencoder(64, s.dim, s.hidden)
            if name == "vq-vae":
                model = VQVAE(64, 1, s.dim, s.num_codes, s.hidden, s.beta)
                model.encoder.load_state_dict(ae.encoder.state_dict())
                model.decoder.load_state_dict(ae.decoder.state_dict())
        state = CodeState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                          batches=ctx.generator(f"r{r}/batches"), x=x)
        t.run(code_step(s.batch_size), state, LoopConfig(steps=s.steps),
              fingerprint=s.to_dict())
    return model.eval()


@torch.no_grad()
def _repeat(ctx: RunContext, s: DiscreteSettings, r: int) -> tuple[dict, dict]:
    x_train, _, x_test, y_test = digits_images(ctx.seed_for(f"split/r{r}"))
    with torch.enable_grad():
        vq, ae = (_train(ctx, s, x_train, name, r) for name in ("vq-vae", "ae"))
    K, g = s.num_codes, ctx.generator(f"r{r}/kmeans")
    out = vq(x_test)
    mu_code = kmeans(ae.encode(x_train), K, s.kmeans_restarts, g)  # (K, D)
    mu_pixel = kmeans(x_train, K, s.kmeans_restarts, g)  # (K, 64)
    cells = {"vq_vae": out.quantized.indices.flatten(),
             "ae_kmeans": nearest_code(ae.encode(x_test), mu_code),
             "pixel_kmeans": nearest_code(x_test, mu_pixel)}
    x_hat = {"vq_vae": out.x_hat, "ae_kmeans": ae.decode(mu_code[cells["ae_kmeans"]]),
             "pixel_kmeans": mu_pixel[cells["pixel_kmeans"]], "ae": ae(x_test)}
    perm = ctx.generator(f"r{r}/permutations")
    result = {
        "error": {k: reconstruction_error(x_test, v).mean().item() for k, v in x_hat.items()},
        "purity": {k: purity(c, y_test, K) for k, c in cells.items()},
        "chance_purity": {k: sum(purity(c, y_test[torch.randperm(len(y_test), generator=perm)],
                                        K) for _ in range(s.permutations)) / s.permutations
                          for k, c in cells.items()},
        "usage": {k: codebook_usage(c, K) for k, c in cells.items()},
        "perplexity": {k: codebook_perplexity(c, K) for k, c in cells.items()}}
    ctx.log(f"measures-r{r}", **result)
    prototypes = {"vq_vae": vq.decode_indices(torch.arange(K)[:, None]),  # (K, 64) each
                  "ae_kmeans": ae.decode(mu_code), "pixel_kmeans": mu_pixel}
    return result, {"prototypes": prototypes, "cells": cells, "y": y_test}


def judge_discrete(m: dict, s: DiscreteSettings) -> Evidence:
    runs = m["runs"]

    def of(key: str, code: str) -> list[float]:
        return [r[key][code] for r in runs]

    bits = math.log2(s.num_codes)
    mean = {key: {c: fmean(of(key, c)) for c in runs[0][key]} for key in runs[0]}
    return Evidence(
        checks=[
            Check("a discrete code learned without labels lines up with the classes: most "
                  "digits share their codebook entry's majority class",
                  f"purity of the VQ-VAE's {s.num_codes} entries on held-out digits minus "
                  f"chance (the same entries, labels permuted)",
                  paired(of("purity", "vq_vae"), of("chance_purity", "vq_vae")),
                  margin=s.purity_margin,
                  reason=f"{s.purity_margin:g} above chance asks that most digits share "
                         f"their entry's majority class (purity_margin)"),
            Check(f"at matched bits ({bits:g} per image) the learned discrete code rebuilds "
                  f"held-out digits as well as a continuous code discretised after training",
                  "relative gain 1 - error(VQ-VAE) / error(continuous AE + k-means on its "
                  "codes); 'as well' is a gain above -rec_tolerance",
                  [1 - v / a for v, a in zip(of("error", "vq_vae"), of("error", "ae_kmeans"),
                                             strict=True)],
                  margin=s.rec_margin, threshold=-s.rec_tolerance,
                  reason=f"at most {s.rec_tolerance:.0%} more error counts as 'as well' "
                         f"(rec_tolerance), give or take {s.rec_margin:.0%}, the spread "
                         f"between repeats (rec_margin)")],
        notes=[
            f"VQ-VAE codebook on held-out digits: usage {mean['usage']['vq_vae']:.3f} of "
            f"{s.num_codes} entries, perplexity {mean['perplexity']['vq_vae']:.2f} (mean over "
            f"repeats; {s.num_codes} at best)",
            "for information (no claim of the lecture), mean purity: " + ", ".join(
                f"{LABELS[c]} {mean['purity'][c]:.3f} (chance {mean['chance_purity'][c]:.3f})"
                for c in CODES),
            "mean squared error per image on held-out digits, pixels in [0, 1]: " + ", ".join(
                f"{LABELS[c]} {v:.3f}" for c, v in mean["error"].items())
            + f" (the last with {s.dim} float32 numbers, not {bits:g} bits)"])


@experiment(name="discrete-latent", lecture=LECTURE, judge=judge_discrete,
            claim="A VQ-VAE's discrete code, learned without labels, lines up with the digit "
                  "classes (purity well above chance), and at matched bits it rebuilds "
                  "held-out digits as well as a continuous code discretised by k-means; "
                  "codebook usage, perplexity and k-means baselines are reported beside.")
def discrete_latent(s: DiscreteSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * 2)
    repeats = [_repeat(ctx, s, r) for r in range(s.repeats)]
    runs, shown = [v for v, _ in repeats], repeats[0][1]
    _plot_prototypes(ctx, s, shown)
    _plot_measures(ctx, runs)
    rows = [[r, LABELS[c], f"{v['error'][c]:.3f}",
             *(f"{v[key][c]:.3f}" if c in v[key] else "" for key in (
                 "purity", "chance_purity", "usage", "perplexity"))]
            for r, v in enumerate(runs) for c in (*CODES, "ae")]
    return Result(metrics={"runs": runs}, tables=[table(
        f"Every repeat, held-out digits: the {s.num_codes}-valued codes "
        f"({math.log2(s.num_codes):g} bits) and the unquantised continuous code",
        ["repeat", "code", "squared error per image", "purity", "chance purity", "usage",
         "perplexity"], rows)])


def _plot_prototypes(ctx: RunContext, s: DiscreteSettings, shown: dict) -> None:
    from mllab.report import new_figure

    K = s.num_codes
    fig, axes = new_figure(nrows=len(CODES), size=(max(6.0, 0.45 * K), 0.9 * len(CODES) + 0.6))
    for ax, code in zip(axes, CODES, strict=True):
        counts = torch.zeros(K, 10).index_put_((shown["cells"][code], shown["y"]),
                                               torch.ones(len(shown["y"])), accumulate=True)
        order = sorted(range(K), key=lambda k: (-int(counts[k].sum() > 0),
                                                int(counts[k].argmax())))
        canvas = torch.ones(8, K * 9 - 1)
        for j, k in enumerate(order):
            canvas[:, j * 9:j * 9 + 8] = shown["prototypes"][code][k].view(8, 8).clamp(0, 1)
        ax.imshow(1 - canvas, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([j * 9 + 3.5 for j in range(K)],
                      [f"{int(counts[k].argmax())}\n{int(counts[k].sum())}"
                       if counts[k].sum() else "-\n0" for k in order], fontsize=7)
        ax.set_yticks([])
        ax.set_title(LABELS[code], fontsize=9)
    ctx.save_figure(fig, "codebook", f"Repeat 0: what each of the {K} code values decodes to, "
                    "with its majority digit and its number of held-out digits below it "
                    "(entries chosen by no held-out digit last)")


def _plot_measures(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(10, 4))
    for j, c in enumerate(CODES):
        axes[0].plot([j] * len(runs), [r["purity"][c] for r in runs], "o", color="tab:blue",
                     alpha=0.7, label="purity" if j == 0 else None)
        axes[0].plot([j] * len(runs), [r["chance_purity"][c] for r in runs], "x",
                     color="grey", label="chance" if j == 0 else None)
    for j, c in enumerate((*CODES, "ae")):
        axes[1].plot([j] * len(runs), [r["error"][c] for r in runs], "o", color="tab:red",
                     alpha=0.7)
    axes[0].set_xticks(range(len(CODES)), [LABELS[c] for c in CODES], fontsize=7)
    axes[0].set(ylabel="purity on held-out digits", ylim=(0, 1), title="Codes and classes")
    axes[0].legend(fontsize=7)
    axes[1].set_xticks(range(len(CODES) + 1), [LABELS[c] for c in (*CODES, "ae")], fontsize=6)
    axes[1].set(ylabel="squared error per image", title="Reconstruction of held-out digits")
    ctx.save_figure(fig, "purity_error", "Per repeat: purity of each code against its chance "
                    "level, and the held-out reconstruction error (the last with an "
                    "unquantised continuous code)")
