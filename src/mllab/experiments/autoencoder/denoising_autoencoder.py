r"""``denoising-autoencoder``: corrupt the input, train the auto-encoder to rebuild the clean
one; it then undoes the corruption on images it never saw, and its code is a better feature
than a plain auto-encoder's (the auto-encoder lecture's de-noising auto-encoder; Vincent et
al., "Extracting and Composing Robust Features with Denoising Autoencoders", ICML 2008).

**Data.** scikit-learn's 8x8 digits, pixels scaled to [0, 1]; each repeat draws its own split:
60% training, 20% validation, 20% test. The auto-encoders see the training images only, never
a label.

**Models.** Two :class:`mllab.autoencoder.MLPAutoencoder` of the same architecture (ReLU hidden
layers ``hidden``, a code of ``code_size`` numbers), built from the same initial weights and
trained by Adam on the same mini-batches (one generator seed draws both runs' batches):

- the **plain** auto-encoder, :math:`\min \lVert x - d(e(x)) \rVert^2`;
- the **de-noising** auto-encoder, :math:`\min \lVert x - d(e(\tilde x)) \rVert^2` with
  :math:`\tilde x` the **masking noise** of the paper: each pixel set to 0 with probability
  ``level`` = 25%, drawn afresh for every batch (:func:`mllab.autoencoder.denoising_loss`).

The plain one is the same step at ``level`` 0 (masking nothing), so the two runs differ by
the corruption alone.

**Measures**, on the held-out test images:

- (a) every test image masked once (one draw per repeat, the same for both models), and the
  squared error per image of its reconstruction **against the clean image**;
- (b) a linear probe: softmax regression (:class:`mllab.classify.SoftmaxRegression`,
  full-batch gradient descent from zero, convex) fitted on the codes :math:`e(x)` of the clean
  validation images with their labels (each code number standardised by the validation codes'
  mean and spread), then its accuracy on the test images' codes.

Evidence: (a) the de-noising AE's error on corrupted test images is lower than the plain AE's
by a relative margin; (b) its probe accuracy is higher by a margin. Reported beside, for
information: both errors on clean test images (where the plain AE, trained for exactly that,
may be better) and the same probe on the raw pixels.

Differences from the paper: Vincent et al. train one sigmoid layer with tied weights and a
cross-entropy loss, stack such layers and fine-tune the stack; here one MLP auto-encoder with
the squared error, its code read out by a linear classifier with no fine-tuning.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.autoencoder import (
    CORRUPTIONS,
    MLPAutoencoder,
    corrupt,
    denoising_loss,
    reconstruction_error,
)
from mllab.classify import SoftmaxRegression
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.autoencoder import LECTURE
from mllab.experiments.autoencoder.autoencoder_vs_pca import PIXEL_MAX
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.train import LoopConfig, LoopState, transient

MODELS = ("plain", "denoising")
"""The two auto-encoders, in the order of the tables."""
LOG_EVERY = 100
"""Training steps between two logged losses."""


@dataclass
class DenoisingSettings(Settings):
    code_size: int = 32
    """Code size k of both auto-encoders (in 1..64): half the 64 pixels, a code wide enough
    that the bottleneck alone does not force the plain auto-encoder to find structure (the
    case the paper's de-noising criterion is for), still narrower than the image as in the
    lecture's picture."""
    hidden: tuple[int, ...] = (128, 64)
    """Hidden widths of the encoder (the decoder mirrors them), as in the lecture's other
    auto-encoder experiments."""
    corruption: str = "masking"
    """The corruption q(x~|x): "masking" (the paper's masking noise) or "gaussian"."""
    level: float = 0.25
    """Share of pixels masked (or sigma of Gaussian noise): 25%, in the middle of the levels
    the paper tried (10% to 50%); fixed before any run."""
    steps: int = 3000
    """Adam updates of each auto-encoder (>= 1): about 180 passes over the ~1080 training
    images, as the 200 epochs of autoencoder-vs-pca."""
    batch_size: int = 64
    """Images per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate of both auto-encoders (> 0), as in autoencoder-vs-pca."""
    probe_epochs: int = 2000
    """Full-batch gradient steps of the softmax-regression probe (>= 1)."""
    probe_lr: float = 0.1
    """The probe's step size (> 0): stable on standardised features (the mean
    cross-entropy's curvature is at most half the features' largest covariance eigenvalue)."""
    probe_l2: float = 1e-3
    """The probe's L2 strength (>= 0): makes its optimum unique on separable codes."""
    repeats: int = 5
    """Independent repeats: data split, initial weights, batches, noise (>= 1)."""
    error_margin: float = 0.1
    """Least relative gain 1 - error(DAE)/error(plain AE) on corrupted test images that
    counts as 'better' (in [0, 1)): a tenth of the plain AE's error, above the few per cent
    by which repeats of the same training differ; a smaller gain is not the de-noising the
    lecture describes."""
    accuracy_margin: float = 0.01
    """Least gain in the probe's test accuracy that counts as 'a better feature' (in [0, 1)):
    one point, about four of the ~360 test digits; the paired design removes most of one
    accuracy's sampling spread (about 1.5 points), so smaller gains count as none."""

    def validate(self) -> None:
        for name in ("steps", "batch_size", "probe_epochs", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("lr", "probe_lr"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(self.probe_l2 >= 0, "probe_l2", ">= 0", self.probe_l2)
        require(1 <= self.code_size <= 64, "code_size", "in 1..64", self.code_size)
        require(all(w >= 1 for w in self.hidden) and len(self.hidden) >= 1, "hidden",
                "one or more widths >= 1", self.hidden)
        require(self.corruption in CORRUPTIONS, "corruption", f"one of {CORRUPTIONS}",
                self.corruption)
        require(0 < self.level and (self.corruption == "gaussian" or self.level < 1), "level",
                "> 0 (gaussian) or in (0, 1) (masking)", self.level)
        for name in ("error_margin", "accuracy_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> DenoisingSettings:
        return cls(steps=100, probe_epochs=100, repeats=2)


@dataclass(kw_only=True)
class AEState(LoopState):
    r"""What training an auto-encoder changes; the images are fixed."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: torch.Generator
    """Draws the mini-batches: seeded alike for both models, so both see the same ones."""
    noise: torch.Generator
    """Draws the corruption (the plain AE's level 0 masks nothing)."""
    x: Tensor = transient()


def denoising_step(kind: str, level: float, batch_size: int):
    r"""One Adam update on :math:`\lVert x - d(e(\tilde x)) \rVert^2` (mean over entries)."""

    def step(s: AEState) -> dict | None:
        idx = torch.randint(len(s.x), (batch_size,), generator=s.batches)  # 1. a mini-batch
        loss = denoising_loss(s.model, s.x[idx], kind, level, generator=s.noise)  # 2. x~, loss
        s.optimizer.zero_grad()  # 3. update
        loss.backward()
        s.optimizer.step()
        return {"loss": loss.item()} if s.step % LOG_EVERY == 0 else None

    return step


def _train(ctx: RunContext, s: DenoisingSettings, x: Tensor, name: str, r: int) -> nn.Module:
    level = s.level if name == "denoising" else 0.0
    with ctx.trial(f"{name}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):  # the same initial weights for both
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))
            model = MLPAutoencoder(64, s.code_size, s.hidden)
        state = AEState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=s.lr),
                        batches=ctx.generator(f"r{r}/batches"),
                        noise=ctx.generator(f"r{r}/noise"), x=x)
        t.run(denoising_step(s.corruption, level, s.batch_size), state,
              LoopConfig(steps=s.steps), fingerprint=s.to_dict())
    return model.eval()


def probe_accuracy(s: DenoisingSettings, f_fit: Tensor, y_fit: Tensor, f_test: Tensor,
                   y_test: Tensor) -> float:
    r"""Test accuracy of softmax regression fitted on the features ``f_fit`` ``(N, k)``, each
    feature standardised by ``f_fit``'s mean and spread (a constant one is only centred)."""
    mu, sd = f_fit.mean(0), f_fit.std(0)
    sd = torch.where(sd > 0, sd, torch.ones_like(sd))
    probe = SoftmaxRegression(num_classes=10, lr=s.probe_lr, epochs=s.probe_epochs,
                              l2=s.probe_l2).fit((f_fit - mu) / sd, y_fit)
    return float((probe.predict((f_test - mu) / sd) == y_test).double().mean())


@torch.no_grad()
def _repeat(ctx: RunContext, s: DenoisingSettings, r: int) -> tuple[dict, dict]:
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"), standardize=False)
    x_train, x_valid, x_test = (v / PIXEL_MAX for v in (split.x_train, split.x_valid,
                                                        split.x_test))
    with torch.enable_grad():
        models = {name: _train(ctx, s, x_train, name, r) for name in MODELS}
    x_tilde = corrupt(x_test, s.corruption, s.level, generator=ctx.generator(f"r{r}/test-noise"))
    out: dict = {"corrupted_error": {}, "clean_error": {}, "probe_accuracy": {}}
    for name, m in models.items():
        out["corrupted_error"][name] = reconstruction_error(x_test, m(x_tilde)).mean().item()
        out["clean_error"][name] = reconstruction_error(x_test, m(x_test)).mean().item()
        out["probe_accuracy"][name] = probe_accuracy(s, m.encode(x_valid), split.y_valid,
                                                     m.encode(x_test), split.y_test)
    out["probe_accuracy"]["pixels"] = probe_accuracy(s, x_valid, split.y_valid, x_test,
                                                     split.y_test)
    out["masked_share"] = float(((x_tilde == 0) & (x_test > 0)).sum() / (x_test > 0).sum())
    ctx.log(f"measures-r{r}", **out)
    shown = {"clean": x_test[:10], "corrupted": x_tilde[:10],
             **{name: m(x_tilde[:10]) for name, m in models.items()}}
    return out, shown


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def judge_denoising(m: dict, s: DenoisingSettings) -> Evidence:
    runs = m["runs"]

    def of(key: str, name: str) -> list[float]:
        return [r[key][name] for r in runs]

    err = {name: of("corrupted_error", name) for name in MODELS}
    acc = {name: of("probe_accuracy", name) for name in (*MODELS, "pixels")}
    clean = {name: _mean(of("clean_error", name)) for name in MODELS}
    what = f"{s.corruption} noise {s.level:g}"
    return Evidence(
        checks=[
            Check("a de-noising auto-encoder rebuilds the clean digit from a corrupted one "
                  "better than a plain auto-encoder",
                  f"relative gain 1 - error(de-noising AE) / error(plain AE) on held-out digits "
                  f"under {what}, error against the clean digit",
                  [1 - d / p for d, p in zip(err["denoising"], err["plain"], strict=True)],
                  margin=s.error_margin,
                  reason=f"{s.error_margin:.0%} of the plain AE's error, above the spread "
                         f"between repeats of the same training (error_margin)"),
            Check("its code is a better feature: a linear classifier on it is more accurate",
                  "test accuracy of softmax regression on the codes (fitted on the validation "
                  "split), de-noising minus plain AE",
                  paired(acc["denoising"], acc["plain"]), margin=s.accuracy_margin,
                  reason=f"{s.accuracy_margin:.0%} accuracy, about four test digits "
                         f"(accuracy_margin)")],
        notes=[f"errors are squared distances per image, pixels in [0, 1]; on clean held-out "
               f"digits (no claim of the lecture): plain AE {clean['plain']:.3f}, de-noising "
               f"AE {clean['denoising']:.3f}",
               f"for reference: mean probe accuracy on the raw pixels {_mean(acc['pixels']):.3f},"
               f" on the plain AE's code {_mean(acc['plain']):.3f}, on the de-noising AE's "
               f"{_mean(acc['denoising']):.3f}"])


@experiment(name="denoising-autoencoder", lecture=LECTURE, judge=judge_denoising,
            claim="A de-noising auto-encoder (input masked, clean image the target) rebuilds "
                  "corrupted held-out digits better than a plain auto-encoder of the same "
                  "architecture, and its code is a better feature for a linear classifier.")
def denoising_autoencoder(s: DenoisingSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(MODELS))
    runs, shown = [], None
    for r in range(s.repeats):
        out, images = _repeat(ctx, s, r)
        runs.append(out)
        shown = shown or images
    _plot_examples(ctx, s, shown)
    _plot_measures(ctx, runs)
    rows = [[r, f"{v['masked_share']:.3f}",
             *(f"{v[key][name]:.3f}" for key in ("corrupted_error", "clean_error")
               for name in MODELS),
             *(f"{v['probe_accuracy'][name]:.3f}" for name in (*MODELS, "pixels"))]
            for r, v in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        "Every repeat: held-out squared error per image (corrupted input and clean input, "
        "against the clean image) and linear-probe test accuracy",
        ["repeat", "share of ink pixels masked", "error corrupted: plain",
         "error corrupted: de-noising", "error clean: plain", "error clean: de-noising",
         "probe: plain code", "probe: de-noising code", "probe: pixels"], rows)])


def _plot_examples(ctx: RunContext, s: DenoisingSettings, shown: dict) -> None:
    from mllab.report import new_figure

    rows = ["clean", "corrupted", *MODELS]
    labels = ["clean", f"{s.corruption} {s.level:g}", "plain AE", "de-noising AE"]
    n = len(shown["clean"])
    canvas = torch.ones(len(rows) * 9 - 1, n * 9 - 1)
    for i, key in enumerate(rows):
        for j in range(n):
            canvas[i * 9:i * 9 + 8, j * 9:j * 9 + 8] = shown[key][j].view(8, 8).clamp(0, 1)
    fig, ax = new_figure(size=(7, 3.4))
    ax.imshow(1 - canvas, cmap="gray", vmin=0, vmax=1)
    ax.set_yticks([i * 9 + 3.5 for i in range(len(rows))], labels)
    ax.set_xticks([])
    ax.set_title("Held-out digits, corrupted, and the two reconstructions (repeat 0)")
    ctx.save_figure(fig, "examples", "Held-out digits (top), the same corrupted, and what the "
                    "plain and the de-noising auto-encoder rebuild from the corrupted ones")


def _plot_measures(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(9, 3.8))
    for ax, key, ylabel in ((axes[0], "corrupted_error", "squared error per image"),
                            (axes[1], "probe_accuracy", "linear-probe test accuracy")):
        for r in runs:
            ax.plot([0, 1], [r[key][name] for name in MODELS], "o-", color="tab:blue",
                    alpha=0.6)
        ax.set_xticks([0, 1], ["plain AE", "de-noising AE"])
        ax.set(xlim=(-0.4, 1.4), ylabel=ylabel)
    axes[0].set_title("Corrupted held-out digits")
    axes[1].set_title("Codes as features")
    ctx.save_figure(fig, "paired", "Per repeat (one line each): error of rebuilding corrupted "
                    "held-out digits, and the test accuracy of a linear classifier on the codes")
