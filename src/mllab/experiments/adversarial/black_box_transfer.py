r"""``black-box-transfer``: without the target network's parameters, examples crafted on proxy
networks trained on the same data transfer to it, and an attack on an ensemble of proxies
transfers best (the adversarial-attack lecture's black-box attack, homework 10; Papernot et
al., arXiv:1602.02697; Liu et al., arXiv:1611.02770).

**Data and networks.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`, split in halves per
repeat; every network is trained on the same half (``epochs`` of Adam): three proxies of
different architectures (a CNN, :class:`mllab.gan.DigitsClassifier`; an MLP of one hidden layer
of 128 ReLUs; an MLP of two hidden layers of 64 tanh units) and the **black box**, of yet
another architecture (an MLP of two hidden layers of 256 ReLUs), never differentiated.

**Attacks.** PGD :math:`L_\infty` (``eps``, ``steps`` of :math:`\varepsilon / 4`) on each
proxy alone and on the :class:`~mllab.adversarial.Ensemble` of the three (equal weights on the
logits), from the other half's digits that the black box classifies correctly; the measure is
the black box's accuracy on the examples (1 before the attack).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mllab.adversarial import Ensemble, pgd
from mllab.config import require
from mllab.experiments.adversarial import LECTURE
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.gan import DigitsClassifier, load_digit_images
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig

NETWORKS = {
    "cnn": lambda: DigitsClassifier(),
    "mlp-128": lambda: nn.Sequential(nn.Flatten(), MLP(MLPConfig(64, 10, depth=1, width=128))),
    "mlp-tanh": lambda: nn.Sequential(nn.Flatten(), MLP(MLPConfig(64, 10, depth=2, width=64,
                                                                   activation="tanh"))),
    "black-box": lambda: nn.Sequential(nn.Flatten(), MLP(MLPConfig(64, 10, depth=2, width=256))),
}
PROXIES = ("cnn", "mlp-128", "mlp-tanh")


@dataclass
class TransferSettings(Settings):
    eps: float = 0.1
    """The L-infinity radius (> 0): 25 levels of an 8-bit pixel, as adversarial-attack's."""
    steps: int = 20
    """PGD's steps (>= 1)."""
    epochs: int = 40
    """Training epochs of every network (>= 1)."""
    attacked: int = 300
    """Held-out digits attacked per repeat (>= 1), all classified right by the black box."""
    repeats: int = 5
    """Independent repeats: split, networks (>= 1)."""
    least_transfer: float = 0.1
    """The accuracy the black box must lose under a single proxy's attack: ten points (the
    claim's threshold; below it by more than ``noise_margin`` contradicts the claim)."""
    noise_margin: float = 0.02
    """Noise allowance around ``least_transfer``: two points (the 300 attacked digits' sampling
    error is about that)."""
    ensemble_margin: float = 0.03
    """Least mean gap, the black box's accuracy under the best single proxy's attack minus
    under the ensemble's: three points."""

    def validate(self) -> None:
        require(self.eps > 0, "eps", "> 0", self.eps)
        for name in ("steps", "epochs", "attacked", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("least_transfer", "noise_margin", "ensemble_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> TransferSettings:
        return cls(steps=5, epochs=3, attacked=50, repeats=2)


def _repeat(ctx: RunContext, s: TransferSettings, r: int) -> dict:
    x, y = load_digit_images()
    x = (x + 1) / 2  # (N, 1, 8, 8), pixels in [0, 1]
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    train, held = order[: len(x) // 2], order[len(x) // 2:]
    nets = {}
    for name, build in NETWORKS.items():
        with ctx.trial(f"{name}-r{r}") as t:
            model = build()
            t.fit(model, torch.optim.Adam(model.parameters(), lr=1e-3), cross_entropy,
                  (x[train], y[train]), None, TrainConfig(epochs=s.epochs, batch_size=64),
                  fingerprint=s.to_dict())
        nets[name] = model.eval()
    black_box = nets["black-box"]
    with torch.no_grad():
        clean = float((black_box(x[held]).argmax(1) == y[held]).double().mean())
        right = held[black_box(x[held]).argmax(1) == y[held]][:s.attacked]
    x0, y0 = x[right], y[right]
    crafted_on = {**{p: nets[p] for p in PROXIES},
                  "ensemble": Ensemble([nets[p] for p in PROXIES])}
    out = {"clean": clean, "black_box": {}, "white_box": {}}
    for name, proxy in crafted_on.items():
        x_adv = pgd(proxy, x0, y0, s.eps, s.eps / 4, s.steps)
        with torch.no_grad():
            out["black_box"][name] = float((black_box(x_adv).argmax(1) == y0).double().mean())
            out["white_box"][name] = float((proxy(x_adv).argmax(1) == y0).double().mean())
    ctx.log(f"black-box-r{r}", **out["black_box"])
    return out


def judge_transfer(m: dict, s: TransferSettings) -> Evidence:
    runs = m["runs"]
    single = [sum(r["black_box"][p] for p in PROXIES) / len(PROXIES) for r in runs]
    best_single = [min(r["black_box"][p] for p in PROXIES) for r in runs]
    return Evidence(checks=[
        Check("examples crafted on a proxy network transfer to the black box",
              "black-box accuracy lost under a single proxy's attack (from 1, mean of the "
              "three proxies)", [1 - v for v in single], threshold=s.least_transfer,
              margin=s.noise_margin, reason="at least ten points (least_transfer), two points "
              "of noise (noise_margin)"),
        Check("an attack on an ensemble of proxies transfers better than on any one of them",
              "black-box accuracy, under the best single proxy's attack minus under the "
              "ensemble's", paired(best_single, [r["black_box"]["ensemble"] for r in runs]),
              margin=s.ensemble_margin, reason="three points (ensemble_margin)")],
        notes=["white-box accuracy (each attack on its own proxy), mean over repeats: " +
               ", ".join(f"{p} {sum(r['white_box'][p] for r in runs) / len(runs):.3f}"
                         for p in (*PROXIES, "ensemble"))])


@experiment(name="black-box-transfer", lecture=LECTURE, judge=judge_transfer,
            claim="Examples crafted on proxy networks of other architectures transfer to a "
                  "black-box network trained on the same data; an attack on an ensemble of "
                  "proxies lowers its accuracy most.")
def black_box_transfer_experiment(s: TransferSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(NETWORKS))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs)
    rows = [[name, f"{sum(r['black_box'][name] for r in runs) / len(runs):.3f}",
             f"{sum(r['white_box'][name] for r in runs) / len(runs):.3f}"]
            for name in (*PROXIES, "ensemble")]
    return Result(metrics={"runs": runs}, tables=[table(
        f"Mean over repeats: accuracy under PGD L-infinity {s.eps:g} crafted on each proxy",
        ["crafted on", "black box", "the proxy itself (white box)"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    names = (*PROXIES, "ensemble")
    for i, r in enumerate(runs):
        ax.plot(range(len(names)), [r["black_box"][n] for n in names], "o-", alpha=0.6,
                label=f"repeat {i}")
    ax.set(xticks=range(len(names)), xticklabels=names, ylabel="black-box accuracy",
           title="Transferred attacks")
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "transfer", "The black box's accuracy on examples crafted on each "
                    "proxy and on their ensemble")
