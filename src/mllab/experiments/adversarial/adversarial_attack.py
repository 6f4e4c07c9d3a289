r"""``adversarial-attack``: perturbations too small to change a digit for a person make a
trained network wrong; the iterative attack is stronger than one FGSM step; a targeted attack
reaches the class it aims at (the adversarial-attack lecture, homework 10; Goodfellow et al.,
arXiv:1412.6572; Kurakin et al., arXiv:1607.02533; Madry et al., arXiv:1706.06083).

**Data and network.** scikit-learn's 8×8 digits, pixels scaled to :math:`[0, 1]`, split in
halves per repeat; the attacked network is a small CNN (:class:`mllab.gan.DigitsClassifier`)
trained on one half; the attacks run on the other half's correctly classified digits
(``attacked`` of them).

**Attacks** (white box, :mod:`mllab.adversarial`), for each :math:`\varepsilon` of the grids:

- **FGSM** (:math:`L_\infty`): one step :math:`x = x^0 - \varepsilon\,\mathrm{sign}(\nabla_x L)`;
- **PGD** :math:`L_\infty` and :math:`L_2`: ``steps`` steps of :math:`\alpha = \varepsilon / 4`
  projected back into the ball and :math:`[0, 1]`, from :math:`x^0` (iterative FGSM);
- **targeted PGD** (:math:`L_\infty`): the lecture's :math:`L(x) = -e(y, \hat y) +
  e(y^{target}, \hat y)` with :math:`y^{target} = y + 1 \bmod 10`.

The checks read ``eps_inf`` and ``eps_2``, fixed before the first run: :math:`\varepsilon =
0.1` of the pixel range in :math:`L_\infty` (a 25-level change of an 8-bit pixel) and
:math:`\varepsilon = 1` in :math:`L_2` (one pixel changed fully, or all 64 by an eighth).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.adversarial import fgsm, pgd
from mllab.config import require
from mllab.experiments.adversarial import LECTURE
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.gan import load_digit_images, train_digits_classifier

ATTACKS = ("fgsm", "pgd_inf", "pgd_2", "targeted")


@dataclass
class AttackSettings(Settings):
    eps_inf: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    """L-infinity radii (each > 0); the checks read ``eps_check_inf``."""
    eps_2: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0)
    """L2 radii (each > 0); the checks read ``eps_check_2``."""
    eps_check_inf: float = 0.1
    """The L-infinity radius the checks read (one of ``eps_inf``)."""
    eps_check_2: float = 1.0
    """The L2 radius the checks read (one of ``eps_2``)."""
    steps: int = 20
    """PGD's steps (>= 1); alpha = eps / 4, so that the ball's far side is reachable."""
    classifier_steps: int = 600
    """Adam steps of the attacked network (>= 1)."""
    attacked: int = 300
    """Correctly classified held-out digits attacked per repeat (>= 1)."""
    repeats: int = 5
    """Independent repeats: split, network, digits attacked (>= 1)."""
    least_accuracy: float = 0.9
    """Precondition: the network's clean held-out accuracy in every repeat."""
    least_drop: float = 0.3
    """The accuracy the attacks must cost at the checked radii: 30 points (the claim's
    threshold; below it by more than ``noise_margin`` contradicts the claim)."""
    noise_margin: float = 0.03
    """Noise allowance around ``least_drop``: three points (300 attacked digits)."""
    iterative_margin: float = 0.05
    """Least mean gap in accuracy, FGSM minus PGD at the checked L-infinity radius: 5 points."""
    target_margin: float = 0.1
    """The targeted attack's success rate must exceed one half by this: 60% of the digits."""

    def validate(self) -> None:
        for name in ("eps_inf", "eps_2"):
            values = getattr(self, name)
            require(len(values) >= 1 and all(v > 0 for v in values), name,
                    "one or more numbers > 0", values)
        require(self.eps_check_inf in self.eps_inf, "eps_check_inf",
                f"one of eps_inf {self.eps_inf}", self.eps_check_inf)
        require(self.eps_check_2 in self.eps_2, "eps_check_2", f"one of eps_2 {self.eps_2}",
                self.eps_check_2)
        for name in ("steps", "classifier_steps", "attacked", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(0 < self.least_accuracy < 1, "least_accuracy", "in (0, 1)", self.least_accuracy)
        for name in ("least_drop", "noise_margin", "iterative_margin", "target_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> AttackSettings:
        return cls(eps_inf=(0.1,), eps_2=(1.0,), steps=5, classifier_steps=150, attacked=50,
                   repeats=2)


def _attacks(model: nn.Module, x: Tensor, y: Tensor, s: AttackSettings) -> dict[str, dict]:
    r"""Each attack at each radius: the adversarial examples ``(B, 1, 8, 8)``."""
    target = (y + 1) % 10
    out: dict[str, dict] = {name: {} for name in ATTACKS}
    for eps in s.eps_inf:
        out["fgsm"][eps] = fgsm(model, x, y, eps)
        out["pgd_inf"][eps] = pgd(model, x, y, eps, eps / 4, s.steps)
        out["targeted"][eps] = pgd(model, x, y, eps, eps / 4, s.steps, target=target)
    for eps in s.eps_2:
        out["pgd_2"][eps] = pgd(model, x, y, eps, eps / 4, s.steps, norm="2")
    return out


def _repeat(ctx: RunContext, s: AttackSettings, r: int) -> dict:
    with ctx.trial(f"attacks-r{r}") as t:
        def compute() -> dict:
            x, y = load_digit_images()
            x = (x + 1) / 2  # pixels in [0, 1]
            order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
            train, held = order[: len(x) // 2], order[len(x) // 2:]
            model = train_digits_classifier(x[train], y[train], steps=s.classifier_steps,
                                            generator=ctx.generator(f"r{r}/classifier"))
            with torch.no_grad():
                right = model(x[held]).argmax(1) == y[held]
            clean = float(right.double().mean())
            chosen = held[right][:s.attacked]
            x0, y0 = x[chosen], y[chosen]
            out: dict = {"clean_accuracy": clean, "attacks": {}}
            adversarial = _attacks(model, x0, y0, s)
            for name, by_eps in adversarial.items():
                out["attacks"][name] = {}
                for eps, x_adv in by_eps.items():
                    with torch.no_grad():
                        pred = model(x_adv).argmax(1)
                    delta = (x_adv - x0).flatten(1)  # (B, 64)
                    out["attacks"][name][f"{eps:g}"] = {
                        "accuracy": float((pred == y0).double().mean()),
                        "target_rate": float((pred == (y0 + 1) % 10).double().mean()),
                        "linf": float(delta.abs().max(1).values.max()),
                        "l2": float(delta.norm(dim=1).max())}
            ctx.log(f"attacks-r{r}", clean_accuracy=clean, accuracy={
                name: {eps: v["accuracy"] for eps, v in by_eps.items()}
                for name, by_eps in out["attacks"].items()})
            if r == 0:
                out["images"] = {"x0": x0[:6].squeeze(1).tolist(),
                                 "pgd_inf": adversarial["pgd_inf"][s.eps_check_inf][:6]
                                 .squeeze(1).tolist(), "eps": f"{s.eps_check_inf:g}"}
            return out

        return t.record("attacks", compute)


def judge_attack(m: dict, s: AttackSettings) -> Evidence:
    runs = m["runs"]
    e_inf, e_2 = f"{s.eps_check_inf:g}", f"{s.eps_check_2:g}"

    def acc(r: dict, attack: str, eps: str) -> float:
        return r["attacks"][attack][eps]["accuracy"]

    checks = [
        Check(f"a perturbation of at most {e_inf} per pixel (L-infinity) makes the network "
              "wrong on many of the digits it had right", "accuracy lost, PGD L-infinity (from 1)",
              [1 - acc(r, "pgd_inf", e_inf) for r in runs], threshold=s.least_drop,
              margin=s.noise_margin, reason="at least 30 points (least_drop), three of noise "
              "(noise_margin)"),
        Check(f"so does one of L2 norm at most {e_2}", "accuracy lost, PGD L2 (from 1)",
              [1 - acc(r, "pgd_2", e_2) for r in runs], threshold=s.least_drop,
              margin=s.noise_margin, reason="at least 30 points (least_drop), three of noise "
              "(noise_margin)"),
        Check("the iterative attack is stronger than one FGSM step",
              f"accuracy under FGSM minus under PGD, L-infinity {e_inf}",
              paired([acc(r, "fgsm", e_inf) for r in runs],
                     [acc(r, "pgd_inf", e_inf) for r in runs]),
              margin=s.iterative_margin, reason="5 points (iterative_margin)"),
        Check("a targeted attack reaches the class it aims at",
              f"share classified as y + 1 mod 10 under targeted PGD, L-infinity {e_inf}",
              [r["attacks"]["targeted"][e_inf]["target_rate"] for r in runs], threshold=0.5,
              margin=s.target_margin, reason="60% of the digits (target_margin)"),
    ]
    clean = [r["clean_accuracy"] for r in runs]
    worst = max(r["attacks"][a][f"{eps:g}"]["linf"] / eps for r in runs
                for a, grid in (("fgsm", s.eps_inf), ("pgd_inf", s.eps_inf)) for eps in grid)
    worst_2 = max(r["attacks"]["pgd_2"][f"{eps:g}"]["l2"] / eps for r in runs
                  for eps in s.eps_2)
    return Evidence(
        checks=checks,
        preconditions=[Precondition(
            f"the attacked network classifies held-out digits with accuracy >= "
            f"{s.least_accuracy:g}", "clean accuracy " + ", ".join(f"{v:.3f}" for v in clean),
            all(v >= s.least_accuracy for v in clean))],
        demonstrations=[Demonstration(
            "every example stays inside its ball d(x0, x) <= eps (and the pixel range)",
            f"largest |x - x0|_inf / eps {worst:.6f}, largest |x - x0|_2 / eps {worst_2:.6f}")])


@experiment(name="adversarial-attack", lecture=LECTURE, judge=judge_attack,
            claim="Perturbations too small to change a digit for a person (L-infinity or L2) "
                  "make a trained network wrong; the iterative attack is stronger than one "
                  "FGSM step; a targeted attack reaches the class it aims at.")
def adversarial_attack_experiment(s: AttackSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, s, runs)
    rows = []
    for attack in ATTACKS:
        for eps in (s.eps_2 if attack == "pgd_2" else s.eps_inf):
            v = [r["attacks"][attack][f"{eps:g}"] for r in runs]
            rows.append([attack, f"{eps:g}", f"{sum(x['accuracy'] for x in v) / len(v):.3f}",
                         f"{sum(x['target_rate'] for x in v) / len(v):.3f}"])
    return Result(metrics={"runs": runs}, tables=[table(
        "Mean over repeats: accuracy on attacked digits (all right before the attack) and the "
        "share classified as y + 1", ["attack", "eps", "accuracy", "as y + 1"], rows)])


def _plot(ctx: RunContext, s: AttackSettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, (linf, l2) = new_figure(ncols=2, size=(10, 4))
    for attack, ax, grid in (("fgsm", linf, s.eps_inf), ("pgd_inf", linf, s.eps_inf),
                             ("targeted", linf, s.eps_inf), ("pgd_2", l2, s.eps_2)):
        mean = [sum(r["attacks"][attack][f"{e:g}"]["accuracy"] for r in runs) / len(runs)
                for e in grid]
        ax.plot(grid, mean, "o-", label=attack)
    linf.set(xlabel="eps (L-infinity)", ylabel="accuracy", title="L-infinity attacks")
    l2.set(xlabel="eps (L2)", ylabel="accuracy", title="L2 attack")
    for ax in (linf, l2):
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "accuracy_vs_eps", "Accuracy on digits the network had right, "
                    "against the radius of the attack (mean over repeats)")
    images = runs[0]["images"]
    fig, axes = new_figure(nrows=3, ncols=len(images["x0"]), size=(1.6 * len(images["x0"]), 5))
    for j, x0 in enumerate(images["x0"]):
        x = torch.tensor(images["pgd_inf"][j])
        for i, (img, title) in enumerate(((torch.tensor(x0), "x0"),
                                          (x - torch.tensor(x0), "x - x0"), (x, "x"))):
            axes[i][j].imshow(img, cmap="gray" if i != 1 else "coolwarm",
                              **({"vmin": 0, "vmax": 1} if i != 1 else {}))
            axes[i][j].set(xticks=[], yticks=[], title=title if j == 0 else "")
    ctx.save_figure(fig, "examples", f"Digits x0, the PGD perturbation x - x0 (L-infinity "
                    f"{images['eps']}) and the adversarial x, repeat 0")
