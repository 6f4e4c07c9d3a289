r"""``generative-families``: the image-generation lecture's four families, VAE, flow, diffusion
and GAN, side by side on the same data: each learns to generate it; the VAE's samples are the
blurriest (they fall between the modes) where diffusion's are sharper, and diffusion pays
for it with a thousand network evaluations per sample where the others need one.

Two kinds of data, each family trained on both (networks and budgets:
:mod:`mllab.experiments.image_generation.families`):

- **points**: SYNTHETIC, in the plane: the ring mixture of ``diffusion-steps`` (8 Gaussians
  of standard deviation 0.1 on a circle of radius 1), ``train_size`` training points per
  repeat. Measured as in ``diffusion-steps``: the energy distance of ``eval_size`` samples to
  held-out points relative to that of :math:`\mathcal N(0, I)` noise (0 is the data, 1 no
  better than noise), the Fréchet distance of Gaussians fitted to the points, the diversity.
- **digits**: scikit-learn's 8×8 digits in :math:`[-1, 1]`, split at random in each repeat into
  a training half and a held-out half; the training half is dequantised once (uniform noise
  of one pixel level, 1/8, centred on each level) so that the flow's and the VAE's densities
  are densities. Measured by FID (arXiv:1706.08500) on the features of
  :class:`mllab.gan.DigitsClassifier` trained on the training half (the stand-in for
  Inception, which cannot be downloaded here: the numbers compare only with each other),
  ``digit_samples`` samples (clamped to the pixel range) against the held-out half, relative to
  the FID of a baseline that knows each pixel's mean and spread but not the digits: independent
  Gaussian pixels fitted to the training half (0 is the data, 1 no better than that baseline).
  Real training digits against the held-out half give the floor, for information.

Also reported: the held-out negative log-likelihood where the family gives one (the flow
exactly, the VAE a bound: its negative ELBO), in nats per example; the network evaluations per
sample. Difference from the lecture: 8×8 digits and points, not photographs (CPU budget).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.image_generation import LECTURE
from mllab.experiments.image_generation.diffusion_steps import diversity, ring
from mllab.experiments.image_generation.diffusion_training_one_shot import energy_distance
from mllab.experiments.image_generation.families import (
    FAMILIES,
    Budget,
    Trained,
    evaluations,
    train_family,
)
from mllab.gan import load_digit_images, train_digits_classifier
from mllab.metrics import accuracy, fid

KINDS = ("points", "digits")
SHOWN = 8
r"""Digits per family in the figure."""


@dataclass
class FamiliesSettings(Settings):
    train_size: int = 4096
    """Training points per repeat (>= 2)."""
    steps: int = 3000
    """Updates of the VAE, the flow and the denoiser on points (>= 1), as in diffusion-steps."""
    gan_steps: int = 1000
    """Generator updates of the GAN on points, 5 critic updates each (>= 1), as in
    mode-collapse."""
    lr: float = 1e-3
    """Adam's learning rate, every family on points, all but the GAN on digits (> 0)."""
    eval_size: int = 2048
    """Samples per family, and held-out points (>= 2)."""
    T: int = 1000
    """Diffusion steps, in training and in sampling (>= 2): DDPM's."""
    digit_steps: int = 2000
    """Updates of the VAE, the flow and the denoiser on digits (>= 1): about 285 passes over
    the training half at 128 a batch."""
    digit_gan_steps: int = 1200
    """Generator updates of the GAN on digits (>= 1), as in conditional-gan."""
    classifier_steps: int = 600
    """Adam steps of the stand-in classifier (>= 1), as in gan-evaluation."""
    digit_samples: int = 500
    """Samples per family scored on digits (>= 2, <= 898, the training half)."""
    repeats: int = 5
    """Independent repeats: data, splits, initialisations, batches, sampling noise (>= 1)."""
    generates_margin: float = 0.5
    """How far below 1 each family's relative distance (energy distance on points, FID on
    digits) must lie: at least half the way from the baseline to the data, as in
    diffusion-training-one-shot."""
    blur_margin: float = 0.05
    """Least mean gap in relative distance, VAE minus diffusion: five per cent of the way from
    the baseline to the data."""
    least_accuracy: float = 0.9
    """Held-out accuracy the stand-in classifier must reach in every repeat for its FID to
    mean anything (precondition), as in gan-evaluation."""

    def validate(self) -> None:
        for name, least in (("train_size", 2), ("steps", 1), ("gan_steps", 1),
                            ("eval_size", 2), ("T", 2), ("digit_steps", 1), ("digit_gan_steps", 1),
                            ("classifier_steps", 1), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(2 <= self.digit_samples <= 898, "digit_samples", "in [2, 898]",
                self.digit_samples)
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("generates_margin", "blur_margin", "least_accuracy"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> FamiliesSettings:
        return cls(steps=100, gan_steps=20, eval_size=128, T=50, digit_steps=20,
                   digit_gan_steps=10, classifier_steps=100, digit_samples=64, repeats=2)


def _train(ctx: RunContext, s: FamiliesSettings, kind: str, family: str, r: int,
           data: Tensor) -> Trained:
    name = f"{kind}-{family}-r{r}"
    budget = Budget(s.steps, s.gan_steps, s.lr, s.T) if kind == "points" \
        else Budget(s.digit_steps, s.digit_gan_steps, s.lr, s.T)
    with ctx.trial(name) as t:
        return train_family(t, family, data, budget, generator=ctx.generator(f"{name}/draws"),
                            nll_generator=ctx.generator(f"{name}/nll"),
                            fingerprint=s.to_dict())


def _points(ctx: RunContext, s: FamiliesSettings, r: int) -> dict:
    data = ring(s.train_size, ctx.generator(f"r{r}/data"))
    held_out = ring(s.eval_size, ctx.generator(f"r{r}/held-out"))
    noise = torch.randn(s.eval_size, 2, generator=ctx.generator(f"r{r}/noise"))
    out = {}
    for family in FAMILIES:
        trained = _train(ctx, s, "points", family, r, data)
        with torch.no_grad():
            x = trained.sample(s.eval_size, ctx.generator(f"points-{family}-r{r}/sampling"))
            nll = None if trained.nll is None else trained.nll(held_out).mean().item()
        out[family] = {
            "nll": nll, "fid": fid(held_out, x), "diversity": diversity(x, held_out),
            "quality": energy_distance(x, held_out) / energy_distance(noise, held_out),
            "samples": x[:500].tolist() if r == 0 else None}
    ctx.log(trial=f"points-r{r}", **{f"quality_{f}": v["quality"] for f, v in out.items()})
    return {"families": out, "held_out": held_out[:500].tolist() if r == 0 else None}


def dequantize(x: Tensor, g: torch.Generator) -> Tensor:
    r""":math:`x + (u - \frac12)/8`, :math:`u \sim U[0, 1)`: each digit's pixel spread over its
    level's width (the levels of :math:`p / 8 - 1` lie 1/8 apart)."""
    return x + (torch.rand(x.shape, generator=g, dtype=x.dtype) - 0.5) / 8


def _digits(ctx: RunContext, s: FamiliesSettings, r: int) -> dict:
    x, y = load_digit_images()
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    train, held = order[: len(x) // 2], order[len(x) // 2:]
    data = dequantize(x[train], ctx.generator(f"r{r}/dequantize"))
    held_deq = dequantize(x[held], ctx.generator(f"r{r}/dequantize-held-out"))
    trained = {f: _train(ctx, s, "digits", f, r, data) for f in FAMILIES}

    def evaluate() -> dict:
        net = train_digits_classifier(x[train], y[train], steps=s.classifier_steps,
                                      generator=ctx.generator(f"r{r}/classifier"))
        with torch.no_grad():
            out = _score(ctx, s, r, net, x[train], x[held], trained)
            out["accuracy"] = accuracy(net(x[held]), y[held])
            for f, model in trained.items():
                out["families"][f]["nll"] = None if model.nll is None \
                    else model.nll(held_deq).mean().item()
        return out

    with ctx.trial(f"digits-eval-r{r}") as t:
        result = t.record("scores", evaluate)
    ctx.log(trial=f"digits-eval-r{r}",
            **{f"quality_{f}": v["quality"] for f, v in result["families"].items()})
    return result


def _score(ctx: RunContext, s: FamiliesSettings, r: int, net: nn.Module, x_train: Tensor,
           x_held: Tensor, trained: dict[str, Trained]) -> dict:
    r"""FID of each family's samples, of real training digits and of independent Gaussian
    pixels, all against the held-out digits, on the features of ``net``."""
    n, reference = s.digit_samples, net.features(x_held)  # (N_held, 64)
    mean, std = x_train.mean(0), x_train.std(0)  # (1, 8, 8) each
    pixels = mean + std * torch.randn(n, *mean.shape, generator=ctx.generator(f"r{r}/pixels"))
    baseline = fid(reference, net.features(pixels.clamp(-1, 1)))
    out = {"real_fid": fid(reference, net.features(x_train[:n])), "baseline_fid": baseline,
           "families": {}, "real": x_held[:SHOWN].squeeze(1).tolist() if r == 0 else None}
    for f, model in trained.items():
        samples = model.sample(n, ctx.generator(f"digits-{f}-r{r}/sampling")).clamp(-1, 1)
        score = fid(reference, net.features(samples))
        out["families"][f] = {"fid": score, "quality": score / baseline,
                              "samples": samples[:SHOWN].squeeze(1).tolist() if r == 0 else None}
    return out


def judge_families(m: dict, s: FamiliesSettings) -> Evidence:
    runs = m["runs"]

    def quality(kind: str, family: str) -> list[float]:
        return [r[kind]["families"][family]["quality"] for r in runs]

    statistic = {"points": "energy distance to held-out points, samples / N(0, I) noise",
                 "digits": "FID to held-out digits, samples / independent Gaussian pixels"}
    checks = []
    for kind in KINDS:
        checks += [Check(f"the {family} learns to generate the {kind}", statistic[kind],
                         quality(kind, family), threshold=1.0, below=True,
                         margin=s.generates_margin, reason="at least half the way from the "
                         "baseline to the data (generates_margin)") for family in FAMILIES]
        checks.append(Check(f"the VAE's samples are blurrier than diffusion's ({kind})",
                            f"relative distance to the {kind}, VAE minus diffusion",
                            paired(quality(kind, "vae"), quality(kind, "diffusion")),
                            margin=s.blur_margin, reason="five per cent of the way from the "
                            "baseline to the data (blur_margin)"))
    lowest = min(r["digits"]["accuracy"] for r in runs)
    return Evidence(checks=checks, preconditions=[Precondition(
        f"the stand-in for Inception classifies held-out digits with accuracy >= "
        f"{s.least_accuracy:g} in every repeat", f"lowest {lowest:.3f}",
        lowest >= s.least_accuracy)], demonstrations=[Demonstration(
            "diffusion samples in T network evaluations, the other families in one",
            ", ".join(f"{f}: {n}" for f, n in evaluations(s.T).items()))], notes=[
        "FID on digits comes from a small classifier trained on the digits (Inception cannot "
        "be downloaded, nor does it know 8x8 digits): it compares the families with each "
        "other, not with published values"])


@experiment(name="generative-families", lecture=LECTURE, judge=judge_families,
            claim="VAE, flow, diffusion and GAN all learn to generate the same data, SYNTHETIC "
                  "2-D points and 8x8 digits; the VAE's samples are blurrier than diffusion's, "
                  "which cost T network evaluations per sample where the others need one.")
def generative_families_experiment(s: FamiliesSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (2 * len(FAMILIES) + 1))
    runs = [{"points": _points(ctx, s, r), "digits": _digits(ctx, s, r)}
            for r in range(s.repeats)]
    _plot(ctx, runs[0])
    tables = [_table(runs, s, "points", "Points: mean over the repeats, per family",
                     ["D(samples, data) / D(noise, data)", "Fréchet distance", "diversity"],
                     ("quality", "fid", "diversity")),
              _table(runs, s, "digits", "Digits: mean over the repeats, per family (FID of real "
                     f"training digits {_mean(runs, 'real_fid'):.2f}, of independent Gaussian "
                     f"pixels {_mean(runs, 'baseline_fid'):.2f})",
                     ["FID / FID of Gaussian pixels", "FID"], ("quality", "fid"))]
    summary = [{kind: {k: v for k, v in run[kind].items() if k not in ("held_out", "real")}
                for kind in KINDS} for run in runs]
    for run in summary:
        for kind in KINDS:
            run[kind]["families"] = {f: {k: v for k, v in x.items() if k != "samples"}
                                     for f, x in run[kind]["families"].items()}
    return Result(metrics={"runs": summary}, tables=tables)


def _mean(runs: list[dict], key: str) -> float:
    return sum(r["digits"][key] for r in runs) / len(runs)


def _table(runs: list[dict], s: FamiliesSettings, kind: str, title: str, headers: list[str],
           keys: tuple) -> dict:
    rows = []
    for f in FAMILIES:
        of = [r[kind]["families"][f] for r in runs]
        nll = "" if of[0]["nll"] is None else f"{sum(x['nll'] for x in of) / len(of):.3f}"
        rows.append([f, *(f"{sum(x[k] for x in of) / len(of):.3f}" for k in keys), nll,
                     evaluations(s.T)[f]])
    return table(title + " (held-out negative log-likelihood: the flow's exact, the VAE's a "
                 "bound, the negative ELBO)", ["family", *headers, "held-out NLL (nats)",
                                               "network evaluations per sample"], rows)


def _plot(ctx: RunContext, run: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(FAMILIES), size=(3.6 * len(FAMILIES), 3.6))
    held_out = torch.tensor(run["points"]["held_out"])
    for ax, f in zip(axes, FAMILIES, strict=True):
        x = torch.tensor(run["points"]["families"][f]["samples"])
        ax.scatter(*held_out.T, s=3, color="0.7", label="data")
        ax.scatter(*x.T, s=3, color="C1", label="samples")
        ax.set(title=f, xlim=(-2, 2), ylim=(-2, 2), aspect="equal", xticks=[], yticks=[])
    axes[0].legend(fontsize=7, loc="lower left")
    ctx.save_figure(fig, "families", "Samples of each family (orange) over held-out SYNTHETIC "
                    "points (grey), repeat 0")
    rows = {"real": run["digits"]["real"],
            **{f: run["digits"]["families"][f]["samples"] for f in FAMILIES}}
    fig, axes = new_figure(nrows=len(rows), ncols=SHOWN, size=(SHOWN, len(rows) * 1.1))
    for i, (label, images) in enumerate(rows.items()):
        for j in range(SHOWN):
            axes[i][j].imshow(images[j], cmap="gray_r", vmin=-1, vmax=1)
            axes[i][j].set(xticks=[], yticks=[])
        axes[i][0].set_ylabel(label, fontsize=8)
    ctx.save_figure(fig, "digits", "Eight digits of each family and eight real held-out digits "
                    "(repeat 0)")
