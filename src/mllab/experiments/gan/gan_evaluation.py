r"""``gan-evaluation``: the Inception Score and FID rank known cases correctly, and FID rewards
a generator that copies its training data, which only a nearest-neighbour check exposes (the
GAN lecture's "evaluation of generation": quality and diversity, IS, FID, and "what if the
generator just memorises the training data"; Salimans et al., arXiv:1606.03498; Heusel et al.,
arXiv:1706.08500).

Data: scikit-learn's 8×8 digits (``data = "fashion-mnist"``: Fashion-MNIST's 28×28 test
split where Debian's package is installed, :func:`mllab.gan.load_gan_images`), split at random
in each repeat into a *training* half (what a generator would learn from, and the FID
reference) and a *held-out* half. The stand-in for Inception is
:class:`mllab.gan.DigitsClassifier` trained on the training half (Inception cannot be
downloaded here and knows nothing of 8×8 digits): its :math:`p(y|x)` gives IS, its 64
penultimate features give FID against the training half. No generator is trained: each case is
a known "generator" of ``sample_size`` images,

- **real**: held-out images (what a perfect generator would produce);
- **collapsed**: held-out images of one class only, drawn with replacement (one mode: high
  quality, no diversity);
- **blurred**: the held-out images blurred by the 3×3 binomial kernel
  :math:`\frac1{16}[1, 2, 1]^T[1, 2, 1]`, applied ``blur_passes`` times (diverse, low quality);
- **copies**: images of the training half itself (a generator that memorised its data).

The copying check: each sample's nearest-neighbour distance to the training half
(:func:`mllab.metrics.nearest_neighbour_distances`), exactly 0 for a copy, against the same
for the held-out real images.

Differences from the papers: features and probabilities from a small classifier trained here,
so the numbers compare only with each other, never with published IS/FID; IS on one split
(the paper uses 10 of 5000 samples each; 8×8 digits give a few hundred per case).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition
from mllab.experiments.gan import LECTURE
from mllab.experiments.gan.plots import plot_evaluation
from mllab.gan import load_gan_images, require_image_data, train_digits_classifier
from mllab.metrics import accuracy, fid, inception_score, nearest_neighbour_distances

CASES = ("real", "collapsed", "blurred", "copies")


@dataclass
class GANEvaluationSettings(Settings):
    data: str = "digits"
    """The images: one of :data:`mllab.gan.IMAGE_DATA` (Fashion-MNIST only where installed)."""
    sample_size: int = 500
    """Images per case (>= 2, <= 898, the smaller half of the digits)."""
    classifier_steps: int = 600
    """Adam steps of the stand-in classifier (>= 1)."""
    blur_passes: int = 2
    """Passes of the 3×3 binomial blur (>= 1): two passes spread a stroke over 5×5 pixels,
    most of a digit's 8×8."""
    repeats: int = 5
    """Independent repeats: split, classifier, draws (>= 1)."""
    least_accuracy: float = 0.9
    """Held-out accuracy the stand-in classifier must reach for its IS/FID to mean anything
    (precondition)."""
    fid_ratio_margin: float = 0.5
    """FID of a worse case must exceed real's by this factor above 1 (1.5 times): FID of real
    held-out images is itself above 0 by sampling, so a ratio, not a difference."""
    is_margin: float = 0.5
    """Least drop in IS (between 1 and 10) from real to a worse case: half a class's worth."""
    copy_margin: float = 0.25
    """FID of the copies must lie below real's by this factor below 1 (at most 0.75 times)."""
    nn_margin: float = 0.5
    """The copies' median nearest-neighbour distance to the training half must be below half
    the held-out images' (a copier's is 0, an honest generator's about the held-out one)."""

    def validate(self) -> None:
        require_image_data(self.data)
        require(2 <= self.sample_size <= 898, "sample_size", "in [2, 898]", self.sample_size)
        for name in ("classifier_steps", "blur_passes", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(0 < self.least_accuracy < 1, "least_accuracy", "in (0, 1)", self.least_accuracy)
        for name in ("fid_ratio_margin", "is_margin", "copy_margin", "nn_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))
        require(self.copy_margin < 1 and self.nn_margin < 1, "copy_margin and nn_margin",
                "< 1", (self.copy_margin, self.nn_margin))

    @classmethod
    def quick(cls) -> GANEvaluationSettings:
        return cls(sample_size=300, classifier_steps=250, repeats=2)


def blur(x: Tensor, passes: int) -> Tensor:
    r"""``passes`` convolutions of images ``(B, 1, H, W)`` with
    :math:`\frac1{16}[1, 2, 1]^T[1, 2, 1]`, edges replicated (the sum of each image is kept
    away from the border)."""
    k = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype)
    kernel = (torch.outer(k, k) / 16).view(1, 1, 3, 3)  # (1, 1, 3, 3)
    for _ in range(passes):
        x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)
    return x


def make_cases(x_train: Tensor, x_held: Tensor, y_held: Tensor, s: GANEvaluationSettings,
               g: torch.Generator) -> dict[str, Tensor]:
    r"""The four known "generators", ``sample_size`` images each."""
    n = s.sample_size
    held = x_held[torch.randperm(len(x_held), generator=g)[:n]]
    one = int(torch.randint(10, (1,), generator=g))
    of_one = x_held[y_held == one]
    return {
        "real": held,
        "collapsed": of_one[torch.randint(len(of_one), (n,), generator=g)],
        "blurred": blur(held, s.blur_passes),
        "copies": x_train[torch.randperm(len(x_train), generator=g)[:n]],
    }


def _repeat(ctx: RunContext, s: GANEvaluationSettings, r: int) -> dict:
    x, y = load_gan_images(s.data)
    g = ctx.generator(f"r{r}/split")
    order = torch.randperm(len(x), generator=g)
    train, held = order[: len(x) // 2], order[len(x) // 2:]
    net = train_digits_classifier(x[train], y[train], steps=s.classifier_steps,
                                  generator=ctx.generator(f"r{r}/classifier"))
    with torch.no_grad():
        reference = net.features(x[train])  # (N_train, 64)
        out = {"accuracy": accuracy(net(x[held]), y[held]), "cases": {}}
        cases = make_cases(x[train], x[held], y[held], s, ctx.generator(f"r{r}/cases"))
        for name, images in cases.items():
            nn_train = nearest_neighbour_distances(images, x[train])
            out["cases"][name] = {
                "fid": fid(reference, net.features(images)),
                "is": inception_score(net.probabilities(images))[0],
                "nn_train_median": float(nn_train.median())}
    if r == 0:
        out["images"] = {name: images[:8].squeeze(1).tolist() for name, images in cases.items()}
    return out


def judge_gan_evaluation(m: dict, s: GANEvaluationSettings) -> Evidence:
    runs = m["runs"]

    def v(case: str, key: str) -> list[float]:
        return [r["cases"][case][key] for r in runs]

    def ratio(case: str) -> list[float]:
        return [a / b for a, b in zip(v(case, "fid"), v("real", "fid"), strict=True)]

    def drop(case: str) -> list[float]:
        return [a - b for a, b in zip(v("real", "is"), v(case, "is"), strict=True)]

    fid_reason = f"FID of real images is above 0 by sampling: a factor {1 + s.fid_ratio_margin:g}"
    checks = [
        Check("FID ranks a collapsed generator (one mode) below real data",
              "FID collapsed / FID real held-out", ratio("collapsed"), threshold=1.0,
              margin=s.fid_ratio_margin, reason=fid_reason + " (fid_ratio_margin)"),
        Check("FID ranks a blurred generator below real data", "FID blurred / FID real held-out",
              ratio("blurred"), threshold=1.0, margin=s.fid_ratio_margin,
              reason=fid_reason + " (fid_ratio_margin)"),
        Check("IS ranks a collapsed generator (no diversity) below real data",
              "IS real held-out minus IS collapsed", drop("collapsed"), margin=s.is_margin,
              reason="half a class's worth of IS (is_margin)"),
        Check("IS ranks a blurred generator (low quality) below real data",
              "IS real held-out minus IS blurred", drop("blurred"), margin=s.is_margin,
              reason="half a class's worth of IS (is_margin)"),
        Check("a generator that copies its training data gets an FID better than real "
              "held-out data (near zero): FID cannot see copying",
              "FID copies / FID real held-out", ratio("copies"), threshold=1.0, below=True,
              margin=s.copy_margin, reason="a quarter below real's FID (copy_margin)"),
        Check("nearest-neighbour distances to the training set expose the copies",
              "median nearest-neighbour distance to the training half, copies / real held-out",
              [a / b for a, b in zip(v("copies", "nn_train_median"),
                                     v("real", "nn_train_median"), strict=True)],
              threshold=1.0, below=True, margin=s.nn_margin,
              reason="half the held-out images' distance (nn_margin)"),
    ]
    lowest = min(r["accuracy"] for r in runs)
    return Evidence(checks=checks, preconditions=[Precondition(
        f"the stand-in for Inception classifies held-out digits with accuracy >= "
        f"{s.least_accuracy:g} in every repeat", f"lowest {lowest:.3f}",
        lowest >= s.least_accuracy)], notes=[
        "IS and FID here come from a small classifier trained on the digits (Inception cannot "
        "be downloaded, nor does it know 8x8 digits): they compare the cases with each other, "
        "not with published values"])


@experiment(name="gan-evaluation", lecture=LECTURE, judge=judge_gan_evaluation,
            claim="IS and FID rank known cases correctly: real held-out images above a "
                  "collapsed (one-mode) and a blurred generator; but a generator that copies "
                  "its training images gets an FID near zero, and only nearest-neighbour "
                  "distances to the training set expose it.")
def gan_evaluation_experiment(s: GANEvaluationSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    runs = []
    for r in range(s.repeats):
        with ctx.trial(f"r{r}") as t:
            runs.append(t.record("scores", lambda r=r: _repeat(ctx, s, r)))
        ctx.log(trial=f"r{r}", accuracy=runs[-1]["accuracy"],
                **{f"{c}_{k}": runs[-1]["cases"][c][k] for c in CASES for k in ("is", "fid")})
    plot_evaluation(ctx, runs, CASES)
    rows = [[r, f"{run['accuracy']:.3f}", *(f"{run['cases'][c]['is']:.2f} / "
                                            f"{run['cases'][c]['fid']:.2f} / "
                                            f"{run['cases'][c]['nn_train_median']:.2f}"
                                            for c in CASES)] for r, run in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        "Per repeat: the stand-in classifier's held-out accuracy, then IS / FID / median "
        "nearest-neighbour distance to the training half of each case",
        ["repeat", "accuracy", *CASES], rows)])
