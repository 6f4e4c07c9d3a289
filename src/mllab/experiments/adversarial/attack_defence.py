r"""``attack-defence``: passive defences (smoothing, compressing the input) help against an
attacker who does not know them and much less against one who does; adversarial training
buys robust accuracy at a cost in clean accuracy (the adversarial-attack lecture's defences,
homework 10; Xu et al., arXiv:1704.01155; Athalye et al., arXiv:1802.00420; Madry et al.,
arXiv:1706.06083).

**Data and networks.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`, split in halves per
repeat. A small CNN (:class:`mllab.gan.DigitsClassifier`) trained on one half twice, from the
same initial weights and batches: on the clean digits (``train_steps`` Adam updates of 64) and
by adversarial training (:func:`mllab.adversarial.adversarial_training_step`: PGD
:math:`L_\infty` ``eps``, 7 steps of ``eps`` / 4 from a random start, inside every update).

**Passive defences** before the clean network: :func:`~mllab.adversarial.mean_smoothing`
(3 × 3) and :func:`~mllab.adversarial.quantise` (``bits``). **Attacks**: PGD :math:`L_\infty`
``eps``, ``steps`` of ``eps`` / 4, on the other half's digits the clean network classifies
right:

- **non-adaptive**: crafted on the network alone, then fed through the defence;
- **adaptive**: crafted on defence and network together (through :func:`~mllab.adversarial.bpda`
  for quantisation, whose gradient is zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.adversarial import (
    AdversarialConfig,
    AdversarialState,
    adversarial_training_step,
    bpda,
    mean_smoothing,
    pgd,
    quantise,
)
from mllab.config import require
from mllab.experiments.adversarial import LECTURE
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.gan import DigitsClassifier, load_digit_images
from mllab.train import LoopConfig

DEFENCES = ("smoothing", "quantisation")


class Defended(nn.Module):
    r""":math:`f(D(x))`: a passive defence :math:`D` in front of the network."""

    def __init__(self, model: nn.Module, defence) -> None:
        super().__init__()
        self.model, self.defence = model, defence

    def forward(self, x: Tensor) -> Tensor:
        return self.model(self.defence(x))


@dataclass
class DefenceSettings(Settings):
    eps: float = 0.1
    """The L-infinity radius of the attacks and of adversarial training (> 0)."""
    steps: int = 20
    """PGD's steps when attacking (>= 1)."""
    bits: int = 2
    """Quantisation to 2^bits grey levels (>= 1): 4 levels, half a level 0.17 > eps."""
    train_steps: int = 1500
    """Adam updates of each network (>= 1)."""
    attacked: int = 300
    """Held-out digits attacked per repeat (>= 1)."""
    repeats: int = 5
    """Independent repeats: split, initialisation, batches (>= 1)."""
    defence_margin: float = 0.1
    """Least mean accuracy a passive defence restores against the non-adaptive attacker:
    ten points."""
    adaptive_margin: float = 0.1
    """Least mean accuracy the same defence loses to the adaptive attacker: ten points."""
    robust_margin: float = 0.1
    """Least mean gain in accuracy under attack by adversarial training: ten points."""
    cost_margin: float = 0.005
    """Least mean loss of clean accuracy by adversarial training: half a point."""

    def validate(self) -> None:
        require(self.eps > 0, "eps", "> 0", self.eps)
        for name in ("steps", "bits", "train_steps", "attacked", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("defence_margin", "adaptive_margin", "robust_margin", "cost_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> DefenceSettings:
        return cls(steps=5, train_steps=60, attacked=50, repeats=2)


def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).double().mean())


def _train(ctx: RunContext, s: DefenceSettings, x: Tensor, y: Tensor, name: str,
           adversarial: bool, r: int) -> nn.Module:
    with ctx.trial(f"{name}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))
            model = DigitsClassifier()
        state = AdversarialState(model=model,
                                 optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
                                 generator=ctx.generator(f"r{r}/batches"), x=x, y=y)
        # clean training: the same step with a vanishing ball, so batches and updates match
        config = AdversarialConfig(eps=s.eps, alpha=s.eps / 4, steps=7) if adversarial else \
            AdversarialConfig(eps=1e-12, alpha=1e-12, steps=1, random_start=False)
        t.run(adversarial_training_step(config), state, LoopConfig(steps=s.train_steps),
              fingerprint=s.to_dict())
    return model.eval()


def _repeat(ctx: RunContext, s: DefenceSettings, r: int) -> dict:
    x, y = load_digit_images()
    x = (x + 1) / 2  # (N, 1, 8, 8), pixels in [0, 1]
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    train, held = order[: len(x) // 2], order[len(x) // 2:]
    clean = _train(ctx, s, x[train], y[train], "clean", False, r)
    robust = _train(ctx, s, x[train], y[train], "adversarial", True, r)
    right = held[clean(x[held]).argmax(1) == y[held]][:s.attacked]
    x0, y0 = x[right], y[right]
    defences = {"smoothing": (mean_smoothing, mean_smoothing),
                "quantisation": (lambda v: quantise(v, s.bits),
                                 bpda(lambda v: quantise(v, s.bits)))}
    x_plain = pgd(clean, x0, y0, s.eps, s.eps / 4, s.steps)
    out = {"undefended": _accuracy(clean, x_plain, y0), "defences": {}}
    for name, (defence, differentiable) in defences.items():
        defended = Defended(clean, defence)
        x_adaptive = pgd(Defended(clean, differentiable), x0, y0, s.eps, s.eps / 4, s.steps)
        out["defences"][name] = {"clean": _accuracy(defended, x0, y0),
                                 "non_adaptive": _accuracy(defended, x_plain, y0),
                                 "adaptive": _accuracy(defended, x_adaptive, y0)}
    x_robust = pgd(robust, x0, y0, s.eps, s.eps / 4, s.steps)
    out["adversarial_training"] = {
        "clean_accuracy": _accuracy(robust, x[held], y[held]),
        "standard_clean_accuracy": _accuracy(clean, x[held], y[held]),
        "under_attack": _accuracy(robust, x_robust, y0)}
    ctx.log(f"defences-r{r}", **{k: v for k, v in out.items() if k != "defences"})
    return out


def judge_defence(m: dict, s: DefenceSettings) -> Evidence:
    runs = m["runs"]

    def defence(r: dict, name: str, key: str) -> float:
        return r["defences"][name][key]

    def mean_over(r: dict, key: str) -> float:
        return sum(defence(r, d, key) for d in DEFENCES) / len(DEFENCES)

    checks = [Check(
        f"{name} helps against an attacker who does not know it",
        f"accuracy under the non-adaptive attack, with {name} minus without",
        paired([defence(r, name, "non_adaptive") for r in runs],
               [r["undefended"] for r in runs]),
        margin=s.defence_margin, reason="ten points (defence_margin)") for name in DEFENCES]
    checks += [
        Check("the passive defences help much less against an attacker who knows them",
              "accuracy with the defence, non-adaptive minus adaptive attack (both defences "
              "averaged)", paired([mean_over(r, "non_adaptive") for r in runs],
                                  [mean_over(r, "adaptive") for r in runs]),
              margin=s.adaptive_margin, reason="ten points (adaptive_margin)"),
        Check("adversarial training makes the network robust",
              "accuracy under attack, adversarially trained minus clean-trained",
              paired([r["adversarial_training"]["under_attack"] for r in runs],
                     [r["undefended"] for r in runs]),
              margin=s.robust_margin, reason="ten points (robust_margin)"),
        Check("at a cost in clean accuracy",
              "clean held-out accuracy, clean-trained minus adversarially trained",
              paired([r["adversarial_training"]["standard_clean_accuracy"] for r in runs],
                     [r["adversarial_training"]["clean_accuracy"] for r in runs]),
              margin=s.cost_margin, reason="half a point (cost_margin)"),
    ]
    return Evidence(checks=checks)


@experiment(name="attack-defence", lecture=LECTURE, judge=judge_defence,
            claim="Passive defences (smoothing, input quantisation) help against an attacker "
                  "who does not know them and much less against one who does; adversarial "
                  "training makes a network robust at a cost in clean accuracy.")
def attack_defence_experiment(s: DefenceSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * 2)
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    n = len(runs)
    rows = [["none", "", f"{sum(r['undefended'] for r in runs) / n:.3f}", ""]]
    for name in DEFENCES:
        v = [r["defences"][name] for r in runs]
        rows.append([name, f"{sum(d['clean'] for d in v) / n:.3f}",
                     f"{sum(d['non_adaptive'] for d in v) / n:.3f}",
                     f"{sum(d['adaptive'] for d in v) / n:.3f}"])
    a = [r["adversarial_training"] for r in runs]
    rows.append(["adversarial training", f"{sum(d['clean_accuracy'] for d in a) / n:.3f} "
                 "(all held-out)", f"{sum(d['under_attack'] for d in a) / n:.3f}", ""])
    _plot(ctx, rows)
    return Result(metrics={"runs": runs}, tables=[table(
        f"Mean over repeats: accuracy on digits the clean network had right, PGD L-infinity "
        f"{s.eps:g}", ["defence", "clean", "non-adaptive attack", "adaptive attack"], rows)])


def _plot(ctx: RunContext, rows: list[list[str]]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    names = [r[0] for r in rows]
    for j, (label, colour) in enumerate((("non-adaptive attack", "tab:blue"),
                                         ("adaptive attack", "tab:red"))):
        values = [float(r[2 + j]) if r[2 + j] else 0.0 for r in rows]
        ax.bar([i + 0.4 * j for i in range(len(rows))], values, width=0.4, color=colour,
               label=label)
    ax.set(xticks=[i + 0.2 for i in range(len(rows))], xticklabels=names,
           ylabel="accuracy under attack", title="Defences")
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "defences", "Accuracy under PGD of each defence, against an attacker "
                    "who does not know it and one who does (mean over repeats)")
