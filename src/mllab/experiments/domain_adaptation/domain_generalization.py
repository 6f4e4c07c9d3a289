r"""``domain-generalization``: with no target data at all, training on several source domains
generalises to an unseen domain better than training on one (the domain-adaptation lecture's
closing case, "domain generalization": the training data come from many domains, the test
domain is unknown).

**Domains**, all SYNTHETIC transforms of scikit-learn's 8×8 digits (pixels in
:math:`[0, 1]`), named so: ``clean`` (the digits as they are), ``inverted``
(:math:`1 - x`), ``noisy-background`` (:math:`\max(x, b)`, :math:`b_i \sim U[0, 0.6]`, as in
``domain-adaptation``), ``thick`` (strokes dilated by a 2 × 2 maximum) and ``shifted`` (moved
one pixel right and one down, zeros filling in).

**Protocol** (leave one domain out, as on PACS), per repeat: the digits split 60 / 40 into
training and test images. The **single-source** network trains on the clean training images.
For each transform in turn held out as the unseen domain, a **multi-source** network trains on
the same training images, each put once into one of the four other domains (clean and the
three seen transforms) drawn at random: the same digits and the same number of them, only the
variety of domains differs. Every network (an MLP 64 → 128 → 128 → 10, the same initial
weights, Adam, ``epochs`` epochs of 64) is tested on the test images under the held-out
transform.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.domain_adaptation import LECTURE
from mllab.experiments.domain_adaptation.domain_adaptation import noisy_background
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.gan import load_digit_images
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig


def inverted(x: Tensor, generator: torch.Generator) -> Tensor:
    r"""SYNTHETIC: :math:`1 - x`, white digits become dark on white."""
    return 1 - x


def thick(x: Tensor, generator: torch.Generator) -> Tensor:
    r"""SYNTHETIC: strokes dilated by one pixel right and down, :math:`\max` over each pixel's
    2 × 2 neighbourhood up and to the left; ``(N, 1, 8, 8)``."""
    return F.max_pool2d(F.pad(x, (1, 0, 1, 0)), 2, stride=1)


def shifted(x: Tensor, generator: torch.Generator) -> Tensor:
    r"""SYNTHETIC: moved one pixel right and one down, zeros filling in; ``(N, 1, 8, 8)``."""
    return F.pad(x, (1, 0, 1, 0))[..., :8, :8]


TRANSFORMS = {"inverted": inverted,
              "noisy-background": lambda x, g: noisy_background(x, 0.6, g),
              "thick": thick, "shifted": shifted}
"""The SYNTHETIC transforms; each is held out in turn as the unseen domain."""
DOMAINS = {"clean": lambda x, g: x, **TRANSFORMS}


@dataclass
class GeneralizationSettings(Settings):
    epochs: int = 40
    """Passes over the training images per network (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: split, domains drawn, initialisation, batches (>= 1)."""
    margin: float = 0.03
    """Least mean gain in accuracy on the unseen domain, multi-source minus single-source:
    three points."""
    least_shift: float = 0.1
    """Precondition: the single-source network loses at least this much accuracy, from the
    clean test images to the unseen domains (averaged), in every repeat."""

    def validate(self) -> None:
        for name in ("epochs", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("margin", "least_shift"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> GeneralizationSettings:
        return cls(epochs=3, repeats=2)


def _train(ctx: RunContext, s: GeneralizationSettings, name: str, r: int, x: Tensor,
           y: Tensor) -> MLP:
    with ctx.trial(f"{name}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))
            model = MLP(MLPConfig(in_features=64, out_features=10, depth=2, width=128))
        t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
              (x.flatten(1), y), None, TrainConfig(epochs=s.epochs, batch_size=64),
              fingerprint=s.to_dict())
    return model.eval()


def _repeat(ctx: RunContext, s: GeneralizationSettings, r: int) -> dict:
    x, y = load_digit_images()
    x = (x + 1) / 2  # (N, 1, 8, 8), pixels in [0, 1]
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    n_train = int(0.6 * len(x))
    x_train, y_train, x_test, y_test = x[order[:n_train]], y[order[:n_train]], x[
        order[n_train:]], y[order[n_train:]]
    g = ctx.generator(f"r{r}/domains")
    train_as = {name: f(x_train, g) for name, f in DOMAINS.items()}
    test_as = {name: f(x_test, g) for name, f in DOMAINS.items()}
    which = torch.randint(4, (n_train,), generator=g)  # each image's domain among the four seen

    def test(model: MLP, domain: str) -> float:
        with torch.no_grad():
            return accuracy(model(test_as[domain].flatten(1)), y_test)

    single = _train(ctx, s, "single-source", r, train_as["clean"], y_train)
    out = {"single": {d: test(single, d) for d in DOMAINS}, "multi": {}}
    for unseen in TRANSFORMS:
        seen = [d for d in DOMAINS if d != unseen]
        x_multi = torch.stack([train_as[seen[k]][i] for i, k in enumerate(which.tolist())])
        multi = _train(ctx, s, f"multi-source-without-{unseen}", r, x_multi, y_train)
        out["multi"][unseen] = {"unseen": test(multi, unseen), "clean": test(multi, "clean")}
    ctx.log(f"single-source-r{r}", **{f"unseen_{d}": out["single"][d] for d in TRANSFORMS})
    ctx.log(f"multi-source-r{r}", **{f"unseen_{d}": v["unseen"] for d, v in out["multi"].items()})
    return out


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def judge_generalization(m: dict, s: GeneralizationSettings) -> Evidence:
    runs = m["runs"]
    single = [_mean(r["single"][d] for d in TRANSFORMS) for r in runs]
    multi = [_mean(r["multi"][d]["unseen"] for d in TRANSFORMS) for r in runs]
    shift = [r["single"]["clean"] - u for r, u in zip(runs, single, strict=True)]
    return Evidence(
        checks=[Check(
            "training on several source domains generalises to an unseen domain better than "
            "training on one", "accuracy on the held-out domain, multi-source minus "
            "single-source (the four held-out domains averaged)", paired(multi, single),
            margin=s.margin, reason="three points (margin)")],
        preconditions=[Precondition(
            f"the unseen domains are shifted: the single-source network loses >= "
            f"{s.least_shift:g} from the clean test images to them",
            "losses " + ", ".join(f"{v:.3f}" for v in shift),
            all(v >= s.least_shift for v in shift))])


@experiment(name="domain-generalization", lecture=LECTURE, judge=judge_generalization,
            claim="With no target data, a network trained on several SYNTHETIC source domains "
                  "of the digits is more accurate on a domain it has never seen than one "
                  "trained on the clean digits alone (leave one domain out).")
def domain_generalization_experiment(s: GeneralizationSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (1 + len(TRANSFORMS)))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs)
    rows = [[d, f"{_mean(r['single'][d] for r in runs):.3f}",
             f"{_mean(r['multi'][d]['unseen'] for r in runs):.3f}",
             f"{_mean(r['multi'][d]['clean'] for r in runs):.3f}"] for d in TRANSFORMS]
    rows.append(["clean (seen by both)", f"{_mean(r['single']['clean'] for r in runs):.3f}",
                 "", ""])
    return Result(metrics={"runs": runs}, tables=[table(
        "Mean test accuracy over the repeats", ["held-out domain (SYNTHETIC)", "single-source",
                                                 "multi-source", "multi-source on clean"],
        rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    x, _ = load_digit_images()
    digit = (x[:1] + 1) / 2  # (1, 1, 8, 8)
    g = torch.Generator().manual_seed(0)
    fig, axes = new_figure(ncols=len(DOMAINS) + 1, size=(2.2 * len(DOMAINS) + 5, 3))
    for ax, (name, f) in zip(axes[:-1], DOMAINS.items(), strict=True):
        ax.imshow(f(digit, g)[0, 0], cmap="gray", vmin=0, vmax=1)
        ax.set(title=name, xticks=[], yticks=[])
    ax = axes[-1]
    for k, d in enumerate(TRANSFORMS):
        for c, (label, values) in enumerate((
                ("single-source", [r["single"][d] for r in runs]),
                ("multi-source", [r["multi"][d]["unseen"] for r in runs]))):
            offset = 0.3 * c - 0.15
            ax.bar(k + offset, _mean(values), 0.3, color=f"C{c}", label=label if k == 0 else None)
            ax.scatter([k + offset] * len(values), values, s=8, color="k", zorder=3)
    ax.set(xticks=range(len(TRANSFORMS)), xticklabels=list(TRANSFORMS), ylim=(0, 1),
           ylabel="accuracy on the held-out domain")
    ax.tick_params(axis="x", labelsize=7, labelrotation=20)
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "domains", "The SYNTHETIC domains (one digit), and the accuracy on each "
                    "held-out domain of the single-source and the multi-source networks (bars: "
                    "mean, dots: repeats)")
