r"""``why-deep``: with the same number of parameters, a deep and narrow ReLU network fits a
complex, repetitive function better than a shallow and wide one, and has more linear pieces
(the "Why deep learning" lecture: deep is more efficient "for complex and repetitive
functions"; Montúfar et al., arXiv:1402.1869; Telgarsky, arXiv:1509.08101).

**The function.** SYNTHETIC: the tent map :math:`g(x) = 2x` for :math:`x \le \frac12`,
:math:`2 - 2x` above, composed :math:`L` times (``teeth_depth``),

.. math:: f = g^{L}: [0, 1] \to [0, 1], \qquad 2^{L} \text{ linear pieces},

sampled at ``points`` evenly spaced :math:`x`. The lecture's claim is about fitting the
function with a budget of parameters, so the measure is the training mean squared error on
those points.

**The networks.** Deep: ``deep_depth`` hidden layers of ``deep_width`` ReLUs. Shallow: one
hidden layer whose width makes its parameter count equal the deep one's (:math:`3n + 1 = P`;
the nearest integer): with the defaults deep 4 × 6 and shallow 48, :math:`P = 145` each. A
shallow network of :math:`n` ReLUs has at most :math:`n + 1` pieces on a line, a deep one
exponentially many in its depth (the constructed sawtooth of width 2 and depth :math:`L` has
:math:`2^L`, :func:`mllab.nn.sawtooth`). Both train by full-batch Adam (``lr``) for ``steps``
updates from PyTorch's default initialisation, one seed per repeat.

**Measured.** Per repeat: both networks' final training MSE, and their linear regions on
:math:`[0, 1]`, counted exactly (:func:`mllab.analysis.regions_on_line`). The constructed
sawtooth's :math:`2^L` regions for :math:`L = 1, \dots, 8` are a demonstration (a theorem the
run shows, not evidence).

Choices made before the first run: the sizes, five repeats, the margins and the precondition
below. **The first design was inconclusive because nothing learned**: with :math:`L = 6` (64
pieces) and Adam at 3e-3 for 5000 steps, both networks ended at the function's mean (MSE =
Var f in all five repeats at seed 0; the high frequencies of a 64-piece sawtooth are what
gradient descent fits last). The target and the optimizer's settings were then chosen by a
pilot on seed 100, looking only at whether the better network learned (the precondition):
:math:`L = 3` (8 pieces, 4 teeth) and Adam at 1e-2 for 10,000 steps. Not covered: the
lecture's remark that going deeper without end overfits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.analysis import regions_on_line
from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.why_deep import LECTURE
from mllab.losses import mse
from mllab.nn import MLP, MLPConfig, num_parameters, sawtooth
from mllab.train import TrainConfig

NETWORKS = ("deep", "shallow")
DEMONSTRATED_DEPTHS = range(1, 9)


@dataclass
class WhyDeepSettings(Settings):
    teeth_depth: int = 3
    """L: the target is the tent map composed L times, 2^L pieces (>= 1)."""
    points: int = 1024
    """Evenly spaced training points on [0, 1] (>= 2): 128 per piece for L = 3."""
    deep_depth: int = 4
    """Hidden layers of the deep network (>= 2)."""
    deep_width: int = 6
    """ReLUs per hidden layer of the deep network (>= 1)."""
    steps: int = 10000
    """Full-batch Adam updates per network (>= 1)."""
    lr: float = 1e-2
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: the initialisations (>= 1)."""
    loss_margin: float = 0.3
    """Least mean log10(MSE shallow / MSE deep): the deep network's error at most half the
    shallow one's (a factor 2; smaller differences move with the initialisation)."""
    regions_margin: float = 0.5
    """Least mean log2(regions deep / regions shallow): a factor of sqrt(2) more pieces."""
    learned_fraction: float = 0.5
    """Precondition: in every repeat the better network's MSE is below this fraction of the
    function's variance (what predicting its mean scores): training worked at all."""

    def validate(self) -> None:
        for name, least in (("teeth_depth", 1), ("points", 2), ("deep_depth", 2),
                            ("deep_width", 1), ("steps", 1), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.teeth_depth <= 16, "teeth_depth", "<= 16 (65,536 pieces)",
                self.teeth_depth)
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("loss_margin", "regions_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))
        require(0 < self.learned_fraction < 1, "learned_fraction", "in (0, 1)",
                self.learned_fraction)

    @classmethod
    def quick(cls) -> WhyDeepSettings:
        return cls(points=256, steps=300, repeats=2)


def tent_power(x: Tensor, L: int) -> Tensor:
    r""":math:`g^L(x)` with :math:`g(x) = 1 - |2x - 1|` (the tent map) on :math:`[0, 1]`."""
    for _ in range(L):
        x = 1 - (2 * x - 1).abs()
    return x


def shallow_width(deep: MLP) -> int:
    r"""The width :math:`n` of one hidden layer with as many parameters: :math:`3n + 1 = P`."""
    return max(1, round((num_parameters(deep) - 1) / 3))


def _networks(s: WhyDeepSettings) -> dict[str, MLP]:
    deep = MLP(MLPConfig(in_features=1, depth=s.deep_depth, width=s.deep_width))
    return {"deep": deep, "shallow": MLP(MLPConfig(in_features=1, depth=1,
                                                   width=shallow_width(deep)))}


def _regions(model: MLP) -> int:
    return regions_on_line(model.layers, torch.zeros(1), torch.ones(1))


def _repeat(ctx: RunContext, s: WhyDeepSettings, x: Tensor, y: Tensor, r: int) -> dict:
    out = {}
    for name in NETWORKS:
        with ctx.trial(f"{name}-r{r}") as t:
            model = _networks(s)[name]
            fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), mse, (x, y), None,
                        TrainConfig(epochs=s.steps), fingerprint=s.to_dict())
        model.eval()
        with torch.no_grad():
            fitted = model(x)
        out[name] = {"mse": float(((fitted - y) ** 2).mean()), "regions": _regions(model),
                     "parameters": num_parameters(model),
                     "curve": [h["train_loss"] for h in fit.history[:: max(1, s.steps // 200)]]}
        if r == 0:
            out[name]["fitted"] = fitted.tolist()
    return out


def judge_why_deep(m: dict, s: WhyDeepSettings) -> Evidence:
    runs = m["runs"]
    deep, shallow = ([r[n] for r in runs] for n in NETWORKS)
    checks = [
        Check("with the same number of parameters, the deep network fits the repetitive "
              "function better", "log10(training MSE shallow / deep)",
              paired([math.log10(b["mse"]) for b in shallow], [math.log10(a["mse"]) for a in deep]),
              margin=s.loss_margin, reason="a factor 2 (loss_margin)"),
        Check("the deep network has more linear pieces on [0, 1]",
              "log2(linear regions deep / shallow)",
              paired([math.log2(a["regions"]) for a in deep],
                     [math.log2(b["regions"]) for b in shallow]),
              margin=s.regions_margin, reason="a factor sqrt(2) (regions_margin)"),
    ]
    best = [min(a["mse"], b["mse"]) for a, b in zip(deep, shallow, strict=True)]
    bound = s.learned_fraction * m["variance"]
    return Evidence(
        checks=checks,
        preconditions=[Precondition(
            f"training worked: in every repeat the better network's MSE is below "
            f"{s.learned_fraction:g} × Var f", "best MSE per repeat " + ", ".join(
                f"{v:.2e}" for v in best) + f"; bound {bound:.2e}", all(v < bound for v in best))],
        demonstrations=[Demonstration(
            "the tent map composed L times, width 2 and 2L ReLUs, has 2^L linear pieces; one "
            "hidden layer of n ReLUs has at most n + 1",
            "regions counted on [0, 1]: " + ", ".join(
                f"L = {L}: {n}" for L, n in m["sawtooth_regions"].items()))],
        notes=[f"parameters: deep {deep[0]['parameters']}, shallow {shallow[0]['parameters']}; "
               f"the target has {2 ** s.teeth_depth} pieces"])


@experiment(name="why-deep", lecture=LECTURE, judge=judge_why_deep,
            claim="With the same number of parameters, a deep and narrow network fits a complex, "
                  "repetitive function better than a shallow and wide one, and has more linear "
                  "pieces.")
def why_deep_experiment(s: WhyDeepSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(NETWORKS))
    x = torch.linspace(0, 1, s.points).unsqueeze(1)  # (N, 1)
    y = tent_power(x, s.teeth_depth).squeeze(1)  # (N,)
    runs = [_repeat(ctx, s, x, y, r) for r in range(s.repeats)]
    sawtooth_regions = {L: regions_on_line(sawtooth(L), torch.zeros(1), torch.ones(1))
                        for L in DEMONSTRATED_DEPTHS}
    _plot(ctx, s, x, y, runs, sawtooth_regions)
    rows = [[r, *(f"{run[n]['mse']:.2e}" for n in NETWORKS),
             *(run[n]["regions"] for n in NETWORKS)] for r, run in enumerate(runs)]
    return Result(
        metrics={"runs": runs, "variance": float(y.var(unbiased=False)),
                 "sawtooth_regions": sawtooth_regions},
        tables=[table(f"Per repeat: training MSE and linear regions on [0, 1] (the target has "
                      f"{2 ** s.teeth_depth} pieces)",
                      ["repeat", "MSE deep", "MSE shallow", "regions deep", "regions shallow"],
                      rows)])


def _plot(ctx: RunContext, s: WhyDeepSettings, x: Tensor, y: Tensor, runs: list[dict],
          sawtooth_regions: dict[int, int]) -> None:
    from mllab.report import new_figure

    fig, (fits, curves, pieces) = new_figure(ncols=3, size=(15, 4))
    fits.plot(x.squeeze(1), y, color="black", lw=1, label=f"target g^{s.teeth_depth}")
    for name, colour in zip(NETWORKS, ("tab:blue", "tab:orange"), strict=True):
        run = runs[0][name]
        fits.plot(x.squeeze(1), run["fitted"], color=colour, lw=1,
                  label=f"{name} ({run['parameters']} parameters)")
        for r, rep in enumerate(runs):
            curves.plot(rep[name]["curve"], color=colour, alpha=0.5,
                        label=name if r == 0 else None)
    fits.set(xlabel="x", ylabel="f(x)", title="fits, repeat 0")
    curves.set(yscale="log", xlabel=f"update / {max(1, s.steps // 200)}",
               ylabel="training MSE", title="training loss, every repeat")
    L = list(sawtooth_regions)
    pieces.semilogy(L, list(sawtooth_regions.values()), "o-", label="deep sawtooth (2L ReLUs)")
    pieces.semilogy(L, [2 * d + 1 for d in L], "s--", label="one layer of 2L ReLUs (at most)")
    pieces.set(xlabel="L", ylabel="linear pieces on [0, 1]", title="pieces double per layer")
    for ax in (fits, curves, pieces):
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "why_deep", "Left: the SYNTHETIC sawtooth and both networks' fits "
                    "(equal parameter counts). Middle: training MSE over the updates. Right: "
                    "the constructed sawtooth's pieces double with each layer while one hidden "
                    "layer of as many ReLUs has at most one more piece than units")
