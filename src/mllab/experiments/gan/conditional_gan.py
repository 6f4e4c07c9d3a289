r"""``conditional-gan``: a conditional GAN generates digits of the class it is asked for, and
(real image, wrong label) pairs as further negatives for the discriminator (GAN-CLS) make its
samples match their condition more often (the GAN lecture's "conditional generation": the
discriminator judges both realness and whether :math:`x` matches :math:`c`; Mirza and
Osindero, arXiv:1411.1784; Reed et al., arXiv:1605.05396, Algorithm 1; Miyato and Koyama,
arXiv:1802.05637).

**Data.** scikit-learn's 8×8 digits, split at random in each repeat into a *training* half,
the only images the GANs and the judge classifier learn from, and a *test* half, on which the
judge's own accuracy is measured (a precondition: it must recognise real digits first).

**Networks.** :class:`mllab.gan.DCGANGenerator` with the class embedding concatenated to
:math:`z` and :class:`mllab.gan.DCGANDiscriminator` with the projection head
:math:`D(x, c) = \psi(\phi(x)) + e(c)^\top \phi(x)`. Per repeat, two GANs from the same
initial weights and the same seed for the batches, :func:`mllab.gan.gan_step` with the
non-saturating loss, ``steps`` updates of Adam (:math:`\eta = 2 \cdot 10^{-4}`,
:math:`\beta = (0.5, 0.999)`, DCGAN's, arXiv:1511.06434 §4):

- **plain**: the discriminator's negatives are the generated pairs :math:`(G(z, c), c)` only
  (the projection cGAN as Miyato and Koyama train it);
- **GAN-CLS**: half the negatives are generated pairs, half are a real image with a wrong
  label (``mismatched=True``).

**The judge.** :class:`mllab.gan.DigitsClassifier` trained on the training half. Each GAN
generates ``samples_per_class`` digits of every class from one fixed draw of :math:`z` (the
same for both); the *condition accuracy* is the share the judge assigns to the requested
class (chance: 0.1).

**Checks.** (1) The plain cGAN's condition accuracy lies far above chance: the plain form,
not GAN-CLS, because it is the weaker one (if it holds, conditioning works without the extra
negatives) and the standard one for class labels with a projection discriminator. (2) GAN-CLS
leaves fewer mismatched samples than the plain cGAN, as a ratio: near an accuracy of 1 a
difference of accuracies has no room left, a ratio of the mistakes does.

Differences from the papers: class labels rather than text (GAN-CLS conditions on sentence
embeddings), digits and small networks (CPU budget). GAN-CLS draws its wrong labels from the
same random stream as the batches, so the two GANs see the same first batch and different
ones afterwards; their trajectories part after the first update in any case (GAN training is
chaotic), and the pairing keeps the split, the initial weights, the judge and :math:`z`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition
from mllab.experiments.gan import LECTURE
from mllab.gan import (
    DCGANConfig,
    DCGANDiscriminator,
    DCGANGenerator,
    DigitsClassifier,
    GANState,
    GANStepConfig,
    gan_step,
    load_digit_images,
    train_digits_classifier,
)
from mllab.metrics import accuracy
from mllab.train import LoopConfig

VARIANTS = {"plain": False, "cls": True}
r"""Variant: whether (real image, wrong label) pairs are negatives too."""
LABELS = {"plain": "plain cGAN", "cls": "GAN-CLS (+ mismatched pairs)"}
CLASSES = 10
CHANCE = 1 / CLASSES
BETAS = (0.5, 0.999)
r"""Adam's betas, DCGAN's (arXiv:1511.06434 §4)."""
SHOWN = 8
r"""Generated digits per class in the figure."""


@dataclass
class ConditionalGANSettings(Settings):
    steps: int = 1200
    """Generator updates per GAN (>= 1): ten GANs in a few minutes on one CPU thread, about
    85 passes over the training half."""
    batch_size: int = 64
    """Real and generated digits per update (>= 1)."""
    lr: float = 2e-4
    """Adam's learning rate, G and D (> 0): DCGAN's."""
    z_dim: int = 16
    """Numbers in z (>= 1)."""
    width: int = 32
    """Channels of the networks' 4x4 stage; the 2x2 stage has twice as many (>= 1)."""
    embedding_dim: int = 8
    """Size of the generator's class embedding (>= 1)."""
    classifier_steps: int = 600
    """Adam steps of the judge classifier (>= 1)."""
    samples_per_class: int = 500
    """Generated digits per class and GAN (>= 8, the figure shows 8): 5000 per GAN, so that
    one mismatch is 0.02%."""
    repeats: int = 5
    """Independent repeats: split, initialisation, batches, judge, z (>= 1)."""
    least_accuracy: float = 0.9
    """Test accuracy on real digits the judge must reach in every repeat for its verdict on
    the samples to mean anything (precondition)."""
    least_condition_accuracy: float = 0.4
    """The plain cGAN's condition accuracy must lie above this (in (0.1, 1)), four times
    chance: a generator whose samples the judge recognises as the requested class four times
    in ten has learnt the conditions. The claim is contradicted when it lies below chance
    (0.1), what a generator that ignores its condition scores whatever it draws."""
    mismatch_margin: float = 0.25
    """GAN-CLS must leave at most 1 - margin (0.75) times the plain cGAN's mismatches: a
    quarter fewer. With about 1.5% of 5000 samples mismatched, the count noise of the two
    counts alone moves their ratio by about 0.16."""

    def validate(self) -> None:
        for name in ("steps", "batch_size", "z_dim", "width", "embedding_dim",
                     "classifier_steps", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.samples_per_class >= SHOWN, "samples_per_class", f">= {SHOWN}",
                self.samples_per_class)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 < self.least_accuracy < 1, "least_accuracy", "in (0, 1)", self.least_accuracy)
        require(CHANCE < self.least_condition_accuracy < 1, "least_condition_accuracy",
                f"in ({CHANCE:g}, 1)", self.least_condition_accuracy)
        require(0 <= self.mismatch_margin < 1, "mismatch_margin", "in [0, 1)",
                self.mismatch_margin)

    @classmethod
    def quick(cls) -> ConditionalGANSettings:
        return cls(steps=50, classifier_steps=150, samples_per_class=50, repeats=2)


def _train_gan(ctx: RunContext, s: ConditionalGANSettings, x: Tensor, y: Tensor, variant: str,
               r: int) -> nn.Module:
    r"""One conditional GAN on the training half; returns its generator."""
    with ctx.trial(f"{variant}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for both variants
            config = DCGANConfig(z_dim=s.z_dim, width=s.width, num_classes=CLASSES,
                                 embedding_dim=s.embedding_dim)
            G, D = DCGANGenerator(config), DCGANDiscriminator(config)
        state = GANState(G=G, D=D,
                         opt_G=torch.optim.Adam(G.parameters(), lr=s.lr, betas=BETAS),
                         opt_D=torch.optim.Adam(D.parameters(), lr=s.lr, betas=BETAS),
                         generator=ctx.generator(f"r{r}/batches"), data=x, labels=y)
        step = gan_step(GANStepConfig(loss="non_saturating", batch_size=s.batch_size,
                                      z_dim=s.z_dim, mismatched=VARIANTS[variant],
                                      log_every=max(1, s.steps // 10)))
        t.run(step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict())
    return G.eval()


def conditioned_samples(G: nn.Module, z: Tensor, per_class: int) -> tuple[Tensor, Tensor]:
    r"""``per_class`` samples of each class from ``z`` ``(CLASSES * per_class, z_dim)``:
    ``(images (N, 1, 8, 8), requested classes (N,))``, class-major."""
    c = torch.arange(CLASSES).repeat_interleave(per_class)  # (N,)
    with torch.no_grad():
        return G.eval()(z, c), c


def _judge_samples(judge: DigitsClassifier, G: nn.Module, z: Tensor, per_class: int,
                   shown: int = 0) -> dict:
    r"""The judge on one generator's samples: mismatches overall and per requested class, and
    the first ``shown`` samples of each class as pixels."""
    x, c = conditioned_samples(G, z, per_class)
    with torch.no_grad():
        right = judge(x).argmax(1) == c  # (N,)
    out = {"n": len(c), "mismatches": int((~right).sum()),
           "accuracy": float(right.double().mean()),
           "per_class": right.view(CLASSES, per_class).double().mean(1).tolist()}
    if shown:
        out["images"] = x.view(CLASSES, per_class, 8, 8)[:, :shown].tolist()  # (10, shown, 8, 8)
    return out


def _repeat(ctx: RunContext, s: ConditionalGANSettings, r: int) -> dict:
    x, y = load_digit_images()
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    train, test = order[: len(x) // 2], order[len(x) // 2:]
    generators = {v: _train_gan(ctx, s, x[train], y[train], v, r) for v in VARIANTS}

    def evaluate() -> dict:
        judge = train_digits_classifier(x[train], y[train], steps=s.classifier_steps,
                                        generator=ctx.generator(f"r{r}/judge"))
        z = torch.randn(CLASSES * s.samples_per_class, s.z_dim,
                        generator=ctx.generator(f"r{r}/z"))
        with torch.no_grad():
            out = {"judge_accuracy": accuracy(judge(x[test]), y[test])}
        shown = SHOWN if r == 0 else 0  # the figure's digits, from repeat 0
        return out | {v: _judge_samples(judge, G, z, s.samples_per_class, shown)
                      for v, G in generators.items()}

    with ctx.trial(f"judge-r{r}") as t:
        out = t.record("condition", evaluate)
    ctx.log(trial=f"judge-r{r}", judge_accuracy=out["judge_accuracy"],
            **{f"{v}_condition_accuracy": out[v]["accuracy"] for v in VARIANTS})
    return out


def mismatch_ratio(run: dict) -> float:
    r"""GAN-CLS's mismatches over the plain cGAN's, one pseudo-count on each side so that a
    GAN without mistakes does not divide by zero: :math:`(k_{cls} + 1) / (k_{plain} + 1)`."""
    return (run["cls"]["mismatches"] + 1) / (run["plain"]["mismatches"] + 1)


def judge_conditional_gan(m: dict, s: ConditionalGANSettings) -> Evidence:
    runs = m["runs"]
    least = s.least_condition_accuracy
    checks = [
        Check("a conditional GAN generates digits of the requested class: a classifier trained "
              "on real digits recognises the class in its samples far above chance",
              "condition accuracy of the plain cGAN's samples (the judge's class = the "
              "requested one)", [r["plain"]["accuracy"] for r in runs],
              threshold=(least + CHANCE) / 2, margin=(least - CHANCE) / 2,
              reason=f"held above {least:g} (least_condition_accuracy), contradicted below "
                     f"chance, {CHANCE:g}"),
        Check("adding (real image, wrong label) pairs as negatives for the discriminator "
              "(GAN-CLS) makes the samples match their condition more often",
              "samples the judge assigns to another class, GAN-CLS / plain cGAN (+1 each)",
              [mismatch_ratio(r) for r in runs], threshold=1.0, below=True,
              margin=s.mismatch_margin, reason="a quarter fewer mismatches; count noise "
              "alone moves the ratio by about 0.16 (mismatch_margin)"),
    ]
    lowest = min(r["judge_accuracy"] for r in runs)
    n = len(runs)
    means = {v: sum(r[v]["accuracy"] for r in runs) / n for v in VARIANTS}
    return Evidence(checks=checks, preconditions=[Precondition(
        f"the judge classifier recognises real test digits with accuracy >= "
        f"{s.least_accuracy:g} in every repeat", f"lowest {lowest:.3f}",
        lowest >= s.least_accuracy)], notes=[
        f"mean condition accuracy: plain cGAN {means['plain']:.4f}, GAN-CLS {means['cls']:.4f}; "
        f"the judge on real test digits {sum(r['judge_accuracy'] for r in runs) / n:.4f} (a "
        "mismatch may be the judge's mistake or the GAN's; generated digits can score above "
        "real ones by being more typical: diversity within a class is not measured here)",
        "the judge is trained on the same training half as the GANs; the test half is used "
        "only for its own accuracy"])


@experiment(name="conditional-gan", lecture=LECTURE, judge=judge_conditional_gan,
            claim="A conditional GAN generates digits of the requested class: a separate "
                  "classifier trained on real digits recognises the requested class in its "
                  "samples far above chance (10%); adding (real image, wrong label) pairs as "
                  "negatives for the discriminator (GAN-CLS) makes the samples match their "
                  "condition more often.")
def conditional_gan_experiment(s: ConditionalGANSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (len(VARIANTS) + 1))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot_accuracy(ctx, runs)
    _plot_samples(ctx, {v: runs[0][v]["images"] for v in VARIANTS})
    rows = [[r, f"{run['judge_accuracy']:.3f}",
             *(f"{run[v]['accuracy']:.4f} ({run[v]['mismatches']} of {run[v]['n']})"
               for v in VARIANTS), f"{mismatch_ratio(run):.3f}"] for r, run in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        "Per repeat: the judge's accuracy on real test digits, each GAN's condition accuracy "
        "(mismatched samples), and the mismatch ratio GAN-CLS / plain (+1 each)",
        ["repeat", "judge, real digits", LABELS["plain"], LABELS["cls"], "ratio"], rows)])


def _plot_accuracy(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, (left, right) = new_figure(ncols=2, size=(11, 4))
    for j, (v, colour) in enumerate(zip(VARIANTS, ("tab:blue", "tab:red"), strict=True)):
        left.plot([j] * len(runs), [r[v]["accuracy"] for r in runs], "o", color=colour,
                  alpha=0.7)
        per_class = [sum(r[v]["per_class"][k] for r in runs) / len(runs)
                     for k in range(CLASSES)]
        right.bar([k + 0.4 * j - 0.2 for k in range(CLASSES)], per_class, width=0.4,
                  color=colour, label=LABELS[v])
    for r in runs:  # the pairs of one repeat
        left.plot([0, 1], [r["plain"]["accuracy"], r["cls"]["accuracy"]], color="grey", lw=0.5)
    left.plot([2] * len(runs), [r["judge_accuracy"] for r in runs], "o", color="grey")
    left.axhline(CHANCE, color="grey", ls=":", lw=1)
    left.set_xticks(range(3), [LABELS["plain"], "GAN-CLS", "real test digits"])
    left.set(ylim=(0, 1.02), ylabel="judge's accuracy", title="Condition accuracy per repeat "
             "(dotted: chance)")
    right.set_xticks(range(CLASSES))
    right.set(xlabel="requested class", ylabel="condition accuracy", ylim=(0, 1.15),
              title="Per class, mean over repeats")
    right.legend(fontsize=7, loc="upper center", ncol=2)
    ctx.save_figure(fig, "condition_accuracy", "Share of generated digits the judge classifier "
                    "assigns to the requested class, per repeat and per class, for both GANs; "
                    "beside them the judge's accuracy on real test digits")


def _plot_samples(ctx: RunContext, images: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(VARIANTS), size=(9, 5.2))
    for ax, v in zip(axes, VARIANTS, strict=True):
        x = torch.tensor(images[v])  # (class, sample, H, W)
        grid = torch.nn.functional.pad(x, (0, 1, 0, 1), value=-0.6)  # a light line between
        grid = grid.permute(0, 2, 1, 3).reshape(CLASSES * 9, SHOWN * 9)  # (class·9, sample·9)
        ax.imshow(grid, cmap="gray_r", vmin=-1, vmax=1)
        ax.set_yticks([4 + 9 * k for k in range(CLASSES)], range(CLASSES))
        ax.set_xticks([])
        ax.set(ylabel="requested class", title=LABELS[v])
    ctx.save_figure(fig, "samples", "The first eight generated digits of each requested class "
                    "(rows), the same z for both GANs (repeat 0)")
