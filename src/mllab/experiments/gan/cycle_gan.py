r"""``cycle-gan``: unpaired translation with and without the cycle loss (the GAN lecture's
CycleGAN: "D only teaches G to produce something of domain Y, unrelated to its input; a second
generator that must recover the input keeps them related"; Zhu et al., arXiv:1703.10593).

**Data, unpaired.** Domain X: scikit-learn's 8×8 digits in :math:`[-1, 1]`. Domain Y:
SYNTHETIC, the digits' negatives (pixel :math:`16 - p`, i.e. :math:`y = -x`: light strokes on a
dark ground), made from the *other* half of the digits, so that no image of X has its
counterpart in Y. Per repeat the digits are split at random in halves; the X half gives
``held_out`` test digits and the rest for training; the Y half, negated, is all of domain Y.

**Translation.** A :class:`mllab.gan.CycleGAN` (residual translators G: X -> Y and
F: Y -> X, DCGAN discriminators D_X, D_Y) trained by :func:`mllab.gan.cycle_gan_step` for
``steps`` steps twice, from the same initial weights and the same batches: with the cycle loss
(:math:`\lambda` = ``cycle_weight``, the paper's 10) and without (:math:`\lambda = 0`: two
plain GANs). Adam :math:`\eta = 2 \cdot 10^{-4}`, :math:`\beta = (0.5, 0.999)`, the paper's.

**Measures** on the held-out X digits :math:`x` with labels :math:`c`:

- reconstruction error :math:`\frac1N\sum |F(G(x)) - x|` (mean absolute, per pixel);
- content kept: the accuracy against :math:`c` of a :class:`mllab.gan.DigitsClassifier`
  trained on the real, labelled Y digits, reading :math:`G(x)`;
- looks like Y: the mean :math:`P(Y \mid G(x))` of a second classifier trained to tell real
  X digits from real Y digits.

Differences from the paper: 8×8 images and small networks (:mod:`mllab.gan.cycle_gan`), the
non-saturating adversarial loss instead of least squares, no history buffer of generated
images, batches of 64 instead of 1, 1000 steps (about 110 passes over domain X) instead of
200 epochs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.experiments.gan import LECTURE
from mllab.gan import (
    LOSSES,
    CycleGAN,
    CycleGANConfig,
    CycleGANState,
    CycleGANStepConfig,
    DigitsClassifier,
    cycle_gan_step,
    load_digit_images,
    train_digits_classifier,
)
from mllab.metrics import accuracy
from mllab.train import LoopConfig

VARIANTS = ("no_cycle", "cycle")
"""Trained without the cycle loss (lambda = 0) and with it (lambda = cycle_weight)."""
SHOWN = 8
"""Held-out digits of repeat 0 shown in the figure."""


def to_domain_y(x: Tensor) -> Tensor:
    r"""The SYNTHETIC domain Y: a digit's negative, pixel :math:`16 - p`, i.e. :math:`-x`."""
    return -x


@dataclass
class CycleGANSettings(Settings):
    steps: int = 1000
    """Steps of each CycleGAN (>= 1): what 10 CycleGANs afford in a few minutes on 2 cores
    (a one-repeat pilot at 1500 steps, seed 999, showed both variants translating, P(Y) near
    1, and took too long)."""
    width: int = 16
    """Channels inside the translators and C of the discriminators (>= 1)."""
    batch_size: int = 64
    """Images of X and of Y per step (>= 1)."""
    lr: float = 2e-4
    """Adam's learning rate, generators and discriminators (> 0): the paper's."""
    loss: str = "non_saturating"
    """The adversarial loss (one of mllab.gan's LOSSES): the GAN paper's practical choice."""
    cycle_weight: float = 10.0
    """lambda of the variant with the cycle loss (> 0): the paper's 10."""
    held_out: int = 300
    """Digits of the X half kept out of training and measured on (>= 1, <= 600)."""
    classifier_steps: int = 500
    """Adam steps of the Y classifier and of the domain classifier (>= 1)."""
    repeats: int = 5
    """Independent repeats: split, initialisation, batches, classifiers (>= 1)."""
    least_accuracy: float = 0.9
    """Held-out accuracy on real Y digits the Y classifier must reach for its reading of G(x)
    to mean anything (precondition)."""
    least_p_y: float = 0.5
    """Mean P(Y | G(x)) both variants must reach in every repeat (precondition): a G that
    does not translate at all would "lose the content" for the wrong reason."""
    reconstruction_margin: float = 0.05
    """Least mean gap in |F(G(x)) - x|, lambda = 0 minus lambda = 10: 0.05 of the pixel range
    of 2 is 0.4 of the digits' 16 grey levels, about the step between two of them."""
    content_margin: float = 0.1
    """Least mean gap in content accuracy, lambda = 10 minus lambda = 0: ten points, a digit
    class's worth of the test digits."""

    def validate(self) -> None:
        for name in ("steps", "width", "batch_size", "classifier_steps", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(1 <= self.held_out <= 600, "held_out", "in [1, 600]", self.held_out)
        require(self.loss in LOSSES, "loss", f"one of {', '.join(LOSSES)}", self.loss)
        for name in ("lr", "cycle_weight"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("least_accuracy", "least_p_y"):
            require(0 < getattr(self, name) < 1, name, "in (0, 1)", getattr(self, name))
        for name in ("reconstruction_margin", "content_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> CycleGANSettings:
        return cls(steps=40, width=8, batch_size=32, held_out=100, classifier_steps=60,
                   repeats=2)


def _split(ctx: RunContext, s: CycleGANSettings, r: int) -> dict[str, Tensor]:
    r"""Disjoint halves of the digits: X (training and held-out) and Y (negated)."""
    x, c = load_digit_images()
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    half_x, half_y = order[: len(x) // 2], order[len(x) // 2:]
    train, held = half_x[: len(half_x) - s.held_out], half_x[len(half_x) - s.held_out:]
    return {"x_train": x[train], "x_held": x[held], "c_held": c[held],
            "y": to_domain_y(x[half_y]), "c_y": c[half_y]}


def _classifiers(ctx: RunContext, s: CycleGANSettings, d: dict, r: int
                 ) -> tuple[DigitsClassifier, DigitsClassifier, float]:
    r"""The Y classifier (digit of a Y image) and the domain classifier (X = 0, Y = 1), and
    the Y classifier's accuracy on the held-out digits' true Y images."""
    with ctx.trial(f"classifiers-r{r}") as t:
        def train() -> tuple[DigitsClassifier, DigitsClassifier]:
            reader = train_digits_classifier(d["y"], d["c_y"], steps=s.classifier_steps,
                                             generator=ctx.generator(f"r{r}/y-classifier"))
            images = torch.cat([d["x_train"], d["y"]])
            domains = torch.cat([torch.zeros(len(d["x_train"])), torch.ones(len(d["y"]))])
            domain = train_digits_classifier(images, domains.long(), steps=s.classifier_steps,
                                             generator=ctx.generator(f"r{r}/domain"))
            return reader, domain

        reader, domain = t.train(train, {})
        with torch.no_grad():
            y_accuracy = accuracy(reader(to_domain_y(d["x_held"])), d["c_held"])
        ctx.log(t.name, y_accuracy=y_accuracy)
    return reader, domain, y_accuracy


def _train(ctx: RunContext, s: CycleGANSettings, d: dict, variant: str, r: int) -> CycleGAN:
    with ctx.trial(f"{variant.replace('_', '-')}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same for both variants
            model = CycleGAN(CycleGANConfig(width=s.width))
        adam = {"lr": s.lr, "betas": (0.5, 0.999)}
        state = CycleGANState(
            model=model,
            opt_G=torch.optim.Adam([*model.G.parameters(), *model.F.parameters()], **adam),
            opt_D=torch.optim.Adam([*model.D_X.parameters(), *model.D_Y.parameters()], **adam),
            generator=ctx.generator(f"r{r}/batches"), x=d["x_train"], y=d["y"])
        step = cycle_gan_step(CycleGANStepConfig(
            loss=s.loss, cycle_weight=s.cycle_weight if variant == "cycle" else 0.0,
            batch_size=s.batch_size, log_every=max(1, s.steps // 10)))
        t.run(step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict())
    return model.eval()


@torch.no_grad()
def _measure(model: CycleGAN, reader: DigitsClassifier, domain: DigitsClassifier,
             d: dict) -> dict:
    x = d["x_held"]
    G_x = model.G(x)
    return {"reconstruction": float((model.F(G_x) - x).abs().mean()),
            "content": accuracy(reader(G_x), d["c_held"]),
            "p_y": float(domain.probabilities(G_x)[:, 1].mean())}


def _repeat(ctx: RunContext, s: CycleGANSettings, r: int) -> dict:
    d = _split(ctx, s, r)
    reader, domain, y_accuracy = _classifiers(ctx, s, d, r)
    out = {"y_accuracy": y_accuracy}
    images = {"x": d["x_held"][:SHOWN]}
    for variant in VARIANTS:
        model = _train(ctx, s, d, variant, r)
        out[variant] = _measure(model, reader, domain, d)
        ctx.log(f"{variant.replace('_', '-')}-r{r}", **out[variant])
        with torch.no_grad():
            images[f"G_{variant}"] = model.G(images["x"])
            images[f"FG_{variant}"] = model.F(images[f"G_{variant}"])
    if r == 0:
        out["images"] = {k: v.squeeze(1).tolist() for k, v in images.items()}
    return out


def judge_cycle_gan(m: dict, s: CycleGANSettings) -> Evidence:
    runs = m["runs"]

    def v(variant: str, key: str) -> list[float]:
        return [r[variant][key] for r in runs]

    checks = [
        Check("with the cycle loss the input is recoverable from its translation, without it "
              "it need not be", "held-out mean |F(G(x)) - x| per pixel, lambda = 0 minus "
              f"lambda = {s.cycle_weight:g}",
              paired(v("no_cycle", "reconstruction"), v("cycle", "reconstruction")),
              margin=s.reconstruction_margin,
              reason="about one of the 16 grey levels (reconstruction_margin)"),
        Check("with the cycle loss G(x) keeps the input's digit, without it it need not",
              "accuracy of a classifier of real Y digits reading x's label in G(x), lambda = "
              f"{s.cycle_weight:g} minus lambda = 0",
              paired(v("cycle", "content"), v("no_cycle", "content")),
              margin=s.content_margin, reason="ten points (content_margin)"),
    ]
    lowest = min(r["y_accuracy"] for r in runs)
    least_p_y = min(min(v(variant, "p_y")) for variant in VARIANTS)
    preconditions = [
        Precondition(f"the Y classifier reads real held-out Y digits with accuracy >= "
                     f"{s.least_accuracy:g} in every repeat", f"lowest {lowest:.3f}",
                     lowest >= s.least_accuracy),
        Precondition(f"both generators translate into Y: mean P(Y | G(x)) >= {s.least_p_y:g} "
                     f"in every repeat, with and without the cycle loss",
                     f"lowest {least_p_y:.3f}", least_p_y >= s.least_p_y),
    ]
    return Evidence(checks=checks, preconditions=preconditions, notes=[
        "the translators are residual, tanh(x + r(x)), and convolutional (each output pixel "
        "sees a 7x7 patch): they start near the identity and a pixel-wise negation is the "
        "simplest map into Y, so a G trained without the cycle loss may keep the digit all "
        "the same; that outcome is a finding about this architecture, not a failure of the "
        "measurement"])


@experiment(name="cycle-gan", lecture=LECTURE, judge=judge_cycle_gan,
            claim="Without the cycle loss, G's outputs look like domain Y but need not keep "
                  "the input's digit; with the cycle loss the input is recoverable (F(G(x)) "
                  "close to x) and the content kept (a classifier of real Y digits reads the "
                  "input's label in G(x)).")
def cycle_gan_experiment(s: CycleGANSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (1 + len(VARIANTS)))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot_images(ctx, s, runs[0]["images"])
    _plot_measures(ctx, s, runs)
    rows = [[r, f"{run['y_accuracy']:.3f}",
             *[f"{run[v]['reconstruction']:.3f} / {run[v]['content']:.3f} / {run[v]['p_y']:.3f}"
               for v in VARIANTS]] for r, run in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        "Per repeat, on held-out X digits: |F(G(x)) - x| / content accuracy / P(Y | G(x))",
        ["repeat", "Y classifier on real Y", "lambda = 0",
         f"lambda = {s.cycle_weight:g}"], rows)])


def _plot_images(ctx: RunContext, s: CycleGANSettings, images: dict) -> None:
    from mllab.report import new_figure

    rows = [("x", "x (domain X)"), ("G_no_cycle", "G(x), lambda 0"),
            ("FG_no_cycle", "F(G(x)), lambda 0"), ("G_cycle", f"G(x), lambda {s.cycle_weight:g}"),
            ("FG_cycle", f"F(G(x)), lambda {s.cycle_weight:g}")]
    fig, axes = new_figure(nrows=len(rows), ncols=SHOWN, size=(SHOWN, len(rows) * 1.15))
    for i, (key, label) in enumerate(rows):
        for j in range(SHOWN):
            axes[i][j].imshow(images[key][j], cmap="gray_r", vmin=-1, vmax=1)
            axes[i][j].set_xticks([])
            axes[i][j].set_yticks([])
        axes[i][0].set_ylabel(label, fontsize=7)
    ctx.save_figure(fig, "translations", "Held-out digits of repeat 0: x, its translation G(x) "
                    "into the SYNTHETIC negated domain and back F(G(x)), trained without the "
                    "cycle loss and with it (same initial weights and batches)")


def _plot_measures(ctx: RunContext, s: CycleGANSettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    keys = (("reconstruction", "|F(G(x)) - x| (lower: recoverable)"),
            ("content", "content accuracy on G(x)"), ("p_y", "P(Y | G(x)) (looks like Y)"))
    fig, axes = new_figure(ncols=len(keys), size=(12, 3.6))
    for ax, (key, title) in zip(axes, keys, strict=True):
        for run in runs:
            ax.plot([0, 1], [run[v][key] for v in VARIANTS], "o-", color="tab:blue", alpha=0.6)
        ax.set_xticks([0, 1], ["lambda 0", f"lambda {s.cycle_weight:g}"])
        ax.set(title=title, xlim=(-0.3, 1.3))
        ax.ticklabel_format(axis="y", useOffset=False)
    axes[2].set_ylim(0, 1.05)  # a probability: its whole range
    ctx.save_figure(fig, "measures", "The measures on held-out digits, one line per repeat, "
                    "without and with the cycle loss")
