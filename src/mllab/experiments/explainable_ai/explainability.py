r"""``explainability``: attributions find the pixels a classifier's decision rests on (removing
the most-attributed pixels first drops its confidence faster than removing random ones);
SmoothGrad's maps are less noisy than plain saliency's; a probing classifier reads the class
from each layer (the explainable-AI lecture, homework 9; Simonyan et al., arXiv:1312.6034;
Smilkov et al., arXiv:1706.03825; Sundararajan et al., arXiv:1703.01365).

**Data and network.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`, split in halves per
repeat; a small CNN (:class:`mllab.gan.DigitsClassifier`) trained on one half; ``explained``
correctly classified digits of the other half are explained, for their true class.

**Attributions** (:mod:`mllab.xai`): the saliency :math:`|\partial y_c / \partial x|`,
SmoothGrad (``n`` = 25 copies, :math:`\sigma` = ``sigma``), integrated gradients (black
baseline, 50 Gauss-Legendre points), and a random order as the control.

**Deletion test.** Pixels are set to 0 (the background) in the order of decreasing
attribution, ``deletion_step`` at a time up to half the image; the measure is the mean
probability of the true class over those steps (lower: the decision fell faster).

**Noise.** For each digit, the map of :math:`x` and of :math:`x + \mathcal{N}(0,`
``jitter``:math:`^2)`: their Pearson correlation, averaged (higher: a steadier map).

**Probing.** A logistic-regression probe (:func:`mllab.xai.train_probe`) on each layer's output
of the training half, scored on the other half: shown, not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.explainable_ai import LECTURE
from mllab.gan import load_digit_images, train_digits_classifier
from mllab.xai import (
    integrated_gradients,
    layer_outputs,
    probe_accuracy,
    saliency,
    smoothgrad,
    train_probe,
)

METHODS = ("saliency", "smoothgrad", "integrated_gradients", "random")
LAYERS = {"body.2": "conv 1 + pool", "body.5": "conv 2 + pool", "body.8": "hidden (64)"}


@dataclass
class ExplainabilitySettings(Settings):
    classifier_steps: int = 600
    """Adam steps of the explained network (>= 1)."""
    explained: int = 100
    """Correctly classified held-out digits explained per repeat (>= 1)."""
    sigma: float = 0.15
    """SmoothGrad's noise, of the pixel range [0, 1] (the paper's 10-20%) (> 0)."""
    jitter: float = 0.02
    """The small input noise the maps' steadiness is measured under (> 0)."""
    deletion_step: int = 4
    """Pixels removed per step of the deletion test (>= 1, <= 32)."""
    repeats: int = 5
    """Independent repeats: split, network, noise (>= 1)."""
    deletion_margin: float = 0.05
    """Least mean drop of the deletion measure below the random order's: five points of
    probability."""
    noise_margin: float = 0.05
    """Least mean gain in the maps' correlation, SmoothGrad minus saliency."""

    def validate(self) -> None:
        for name in ("classifier_steps", "explained", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(1 <= self.deletion_step <= 32, "deletion_step", "in [1, 32]",
                self.deletion_step)
        for name in ("sigma", "jitter"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("deletion_margin", "noise_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> ExplainabilitySettings:
        return cls(classifier_steps=150, explained=20, repeats=2)


def deletion_curve(f, x: Tensor, y: Tensor, attribution: Tensor, step: int) -> list[float]:
    r"""The mean probability of class ``y`` as the most-attributed pixels of ``x``
    ``(B, 1, 8, 8)`` are set to 0, ``step`` more at a time, up to half the pixels."""
    order = attribution.flatten(1).argsort(dim=1, descending=True)  # (B, 64)
    x = x.flatten(1).clone()  # (B, 64)
    curve = []
    for k in range(step, 33, step):
        x.scatter_(1, order[:, k - step:k], 0.0)
        with torch.no_grad():
            p = F.softmax(f(x.view(-1, 1, 8, 8)), dim=1)  # (B, 10)
        curve.append(float(p.gather(1, y[:, None]).mean()))
    return curve


def _maps(f, x: Tensor, y: Tensor, s: ExplainabilitySettings, g: torch.Generator
          ) -> dict[str, Tensor]:
    r"""Every method's map of ``x`` for class ``y``; integrated gradients signed (their
    magnitude ranks the pixels)."""
    return {"saliency": saliency(f, x, y),
            "smoothgrad": smoothgrad(f, x, y, sigma=s.sigma, generator=g),
            "integrated_gradients": integrated_gradients(f, x, y),
            "random": torch.rand(x.shape, generator=g)}


def _correlation(a: Tensor, b: Tensor) -> float:
    r"""The mean over examples of the Pearson correlation of two maps ``(B, ...)``."""
    a, b = a.flatten(1), b.flatten(1)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return float(((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)).mean())


def _repeat(ctx: RunContext, s: ExplainabilitySettings, r: int) -> dict:
    def compute() -> dict:
        x, y = load_digit_images()
        x = (x + 1) / 2  # pixels in [0, 1]
        order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
        train, held = order[: len(x) // 2], order[len(x) // 2:]
        net = train_digits_classifier(x[train], y[train], steps=s.classifier_steps,
                                      generator=ctx.generator(f"r{r}/classifier"))
        with torch.no_grad():
            right = held[net(x[held]).argmax(1) == y[held]]
        x0, y0 = x[right[:s.explained]], y[right[:s.explained]]
        g = ctx.generator(f"r{r}/noise")
        maps = _maps(net, x0, y0, s, g)
        jittered = (x0 + s.jitter * torch.randn(x0.shape, generator=g)).clamp(0, 1)
        again = _maps(net, jittered, y0, s, g)
        with torch.no_grad():
            score = net(x0).gather(1, y0[:, None]).squeeze(1) - net(
                torch.zeros_like(x0)).gather(1, y0[:, None]).squeeze(1)
        completeness = float(((maps["integrated_gradients"].flatten(1).sum(1) - score).abs()
                              / score.abs()).max())  # relative to f_c(x) - f_c(baseline)
        net.eval()
        with torch.no_grad():
            h_train = layer_outputs(net, x[train], list(LAYERS))
            h_held = layer_outputs(net, x[held], list(LAYERS))
        probes = {name: probe_accuracy(train_probe(h_train[name], y[train], 10), h_held[name],
                                       y[held]) for name in LAYERS}
        out = {"deletion": {m: deletion_curve(net, x0, y0, maps[m].abs(), s.deletion_step)
                            for m in METHODS},
               "steadiness": {m: _correlation(maps[m].abs(), again[m].abs()) for m in METHODS},
               "completeness_error": completeness, "probes": probes}
        if r == 0:
            out["maps"] = {"x": x0[:5].squeeze(1).tolist(),
                           **{m: maps[m][:5].abs().squeeze(1).tolist() for m in METHODS[:3]}}
        ctx.log(f"explain-r{r}", steadiness=out["steadiness"], probes=probes)
        return out

    with ctx.trial(f"explain-r{r}") as t:
        return t.record("explanations", compute)


def _area(curve: list[float]) -> float:
    return sum(curve) / len(curve)


def judge_explainability(m: dict, s: ExplainabilitySettings) -> Evidence:
    runs = m["runs"]
    names = {"saliency": "the saliency map", "smoothgrad": "SmoothGrad",
             "integrated_gradients": "integrated gradients"}
    checks = [Check(
        f"removing the pixels {label} points at first drops the prediction faster than "
        "removing random ones", f"mean true-class probability over the deletion, random order "
        f"minus {label}", paired([_area(r["deletion"]["random"]) for r in runs],
                                 [_area(r["deletion"][m]) for r in runs]),
        margin=s.deletion_margin, reason="five points of probability (deletion_margin)")
        for m, label in names.items()]
    checks.append(Check(
        "SmoothGrad's maps are less noisy: steadier under a small change of the input",
        "correlation of the maps of x and of x plus noise, SmoothGrad minus saliency",
        paired([r["steadiness"]["smoothgrad"] for r in runs],
               [r["steadiness"]["saliency"] for r in runs]),
        margin=s.noise_margin, reason="0.05 of correlation (noise_margin)"))
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "integrated gradients are complete: the attributions sum to f_c(x) − f_c(baseline)",
        "largest |sum − difference| / |difference| per repeat (50 Gauss-Legendre points on "
        "a piecewise-linear network): " + ", ".join(
            f"{r['completeness_error']:.2e}" for r in runs))], notes=[
        "probing accuracy by layer (held-out digits), per repeat: " + "; ".join(
            f"{LAYERS[k]}: " + ", ".join(f"{r['probes'][k]:.3f}" for r in runs)
            for k in LAYERS)])


@experiment(name="explainability", lecture=LECTURE, judge=judge_explainability,
            claim="Saliency, SmoothGrad and integrated gradients point at the pixels a digits "
                  "classifier's decision rests on (deleting them first drops it faster than "
                  "deleting random ones); SmoothGrad's maps are less noisy; a probe reads the "
                  "class from each layer.")
def explainability_experiment(s: ExplainabilitySettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, s, runs)
    rows = [[m, f"{sum(_area(r['deletion'][m]) for r in runs) / len(runs):.3f}",
             f"{sum(r['steadiness'][m] for r in runs) / len(runs):.3f}"] for m in METHODS]
    return Result(metrics={"runs": runs}, tables=[table(
        "Mean over repeats: true-class probability over the deletion (lower: the pixels "
        "mattered) and the maps' steadiness under small input noise",
        ["attribution", "deletion measure", "steadiness"], rows)])


def _plot(ctx: RunContext, s: ExplainabilitySettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    removed = list(range(s.deletion_step, 33, s.deletion_step))
    for m in METHODS:
        mean = [sum(r["deletion"][m][i] for r in runs) / len(runs) for i in range(len(removed))]
        ax.plot(removed, mean, "o-", label=m)
    ax.set(xlabel="pixels removed (of 64)", ylabel="true-class probability",
           title="Deletion test, mean over repeats")
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "deletion", "The true class's probability as the most-attributed "
                    "pixels are removed first, against a random order")
    maps = runs[0]["maps"]
    fig, axes = new_figure(nrows=4, ncols=len(maps["x"]), size=(1.6 * len(maps["x"]), 6.5))
    for j in range(len(maps["x"])):
        for i, key in enumerate(("x", "saliency", "smoothgrad", "integrated_gradients")):
            axes[i][j].imshow(maps[key][j], cmap="gray" if i == 0 else "hot")
            axes[i][j].set(xticks=[], yticks=[], title=key if j == 0 else "")
    ctx.save_figure(fig, "maps", "Digits and their attribution maps, repeat 0")
