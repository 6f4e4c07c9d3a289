r"""``feature-scaling``: full-batch gradient descent for linear regression on the raw features of
scikit-learn's diabetes data (``load_diabetes(scaled=False)``: age in years, blood pressure in
mm Hg, ...) versus the same features standardized, each with its largest safe learning rate:
standardizing rounds the error surface's contours, and far fewer updates reach the optimum."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mllab.analysis import gd_excess_loss, least_squares, mse_hessian, updates_to_reach
from mllab.config import require
from mllab.data import Standardizer, raw_diabetes
from mllab.experiments.adaptive_lr import LECTURE
from mllab.experiments.adaptive_lr.adaptive_lr import first_at_most
from mllab.experiments.adaptive_lr.plots import plot_feature_scaling
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.optim import GradientDescent
from mllab.train import TrainConfig


@dataclass
class FeatureScalingSettings(Settings):
    budget: int = 10000
    """Full-batch gradient-descent updates of each version (>= 10)."""
    lr_scale: float = 1.0
    """η = lr_scale / λ_max of each version's own loss Hessian (in (0, 2): stable)."""
    within: float = 0.01
    """Relative excess loss (L − L*)/L* that counts as converged (> 0)."""
    speedup: float = 10.0
    """Least ratio of updates (raw / standardized) that counts as 'far fewer' (> 1): an order
    of magnitude."""
    repeats: int = 5
    """Independent training splits (>= 1)."""
    feature: str = "bmi"
    """Feature whose weight, with the bias, spans the contour panels."""

    def validate(self) -> None:
        require(self.budget >= 10, "budget", ">= 10", self.budget)
        require(0 < self.lr_scale < 2, "lr_scale", "in (0, 2)", self.lr_scale)
        require(self.within > 0, "within", "> 0", self.within)
        require(self.speedup > 1, "speedup", "> 1", self.speedup)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        names = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
        require(self.feature in names, "feature", f"one of {', '.join(names)}", self.feature)

    @classmethod
    def quick(cls) -> FeatureScalingSettings:
        return cls(budget=1000, repeats=2)


def judge_feature_scaling(m: dict, s: FeatureScalingSettings) -> Evidence:
    raw, std = m["raw"], m["standardized"]
    reached = [u is not None for u in std["updates"]]
    ratios = [math.log10((r if r is not None else s.budget) / max(u, 1))
              for r, u in zip(raw["updates"], std["updates"], strict=True) if u is not None]
    return Evidence(
        checks=[Check("gradient descent on standardized features needs far fewer updates",
                      "log10(updates raw / updates standardized) to come within "
                      f"{s.within:.0%} of the least-squares loss (raw: at least the budget "
                      f"{s.budget} when it does not get there)", ratios, margin=0.0,
                      threshold=math.log10(s.speedup),
                      reason=f"'far fewer' is {s.speedup:g}× (speedup)")],
        preconditions=[Precondition(
            f"gradient descent on standardized features comes within {s.within:.0%} in the "
            f"budget of {s.budget} updates in every repeat",
            f"updates {std['updates']}", all(reached))],
        demonstrations=[
            Demonstration("standardizing makes the error surface's contours rounder: the "
                          "Hessian (2/N) AᵀA has a smaller condition number",
                          "condition numbers raw " + ", ".join(
                              f"{v:.3g}" for v in raw["condition_number"])
                          + "; standardized " + ", ".join(
                              f"{v:.3g}" for v in std["condition_number"])),
            Demonstration("gradient descent on a quadratic follows its closed form",
                          f"relative excess after {s.budget} updates, simulated vs closed form "
                          "(raw): " + ", ".join(
                              f"{a:.4g} vs {b:.4g}" for a, b in zip(
                                  raw["excess_at_budget"], raw["predicted_excess_at_budget"],
                                  strict=True)))])


@experiment(name="feature-scaling", lecture=LECTURE, judge=judge_feature_scaling,
            claim="Gradient descent on standardized features needs far fewer updates than on "
                  "raw features, each with its largest safe learning rate, because "
                  "standardizing makes the error surface's contours rounder.")
def feature_scaling(s: FeatureScalingSettings, ctx: RunContext) -> Result:
    keys = ("eta", "lambda_max", "lambda_min", "condition_number", "least_squares_mse",
            "updates", "predicted_updates", "excess_at_budget", "predicted_excess_at_budget")
    metrics = {name: {k: [] for k in keys} for name in ("raw", "standardized")}
    ctx.plan(trials=s.repeats * len(metrics))
    for r in range(s.repeats):
        curves, j = _repeat(s, ctx, r, metrics)
        if r == 0:
            plot_feature_scaling(ctx, s, {n: {k: v[0] for k, v in m.items()}
                                          for n, m in metrics.items()}, curves, j)
    rows = [[n, r, v["condition_number"][r], v["eta"][r], v["updates"][r],
             v["predicted_updates"][r], v["excess_at_budget"][r]]
            for r in range(s.repeats) for n, v in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        f"Diabetes (training split of each repeat), linear regression by full-batch gradient "
        f"descent from 0, η = {s.lr_scale:g}/λ_max",
        ["features", "repeat", "Hessian condition number", "η",
         f"updates to within {s.within:.0%} (measured)", "updates (closed form)",
         f"(L − L*)/L* after {s.budget}"], rows)])


def _repeat(s: FeatureScalingSettings, ctx: RunContext, r: int,
            metrics: dict) -> tuple[dict, int]:
    r"""One repeat: both versions on one training split; appends to ``metrics`` and returns
    what the figures need (the curves, the feature's column)."""
    x_raw, y, names = raw_diabetes(ctx.seed_for(f"split/r{r}"))
    versions = {"raw": x_raw, "standardized": Standardizer().fit_transform(x_raw)}
    j = names.index(s.feature)
    curves: dict = {}
    for name, x in versions.items():
        h = mse_hessian(x)
        lam = torch.linalg.eigvalsh(h)
        eta = s.lr_scale / lam.max().item()
        theta_star, loss_star = least_squares(x, y)
        with ctx.trial(f"{name}-r{r}") as t:
            model = LinearModel(x.shape[1]).double()
            with torch.no_grad():  # start from w = b = 0
                model.linear.weight.zero_()
                model.linear.bias.zero_()
            fit = t.fit(model, GradientDescent(model.parameters(), lr=eta), mse, (x, y), None,
                        TrainConfig(epochs=s.budget), fingerprint=s.to_dict(),
                        extra_metrics=lambda m, x=x: {
                            "loss": mse(m(x), y).item(), "w": m.linear.weight[0, j].item(),
                            "b": m.linear.bias.item()})
        losses = torch.tensor([y.square().mean().item()]  # L(θ⁰ = 0) = mean(y²)
                              + [h_["loss"] for h_ in fit.history], dtype=torch.float64)
        relative = (losses - loss_star) / loss_star  # (budget+1,): after 0, 1, ... updates

        def predicted(t_: int, h=h, eta=eta, theta_star=theta_star) -> float:
            return gd_excess_loss(h, -theta_star, eta, t_)

        values = {
            "eta": eta, "lambda_max": lam.max().item(), "lambda_min": lam.min().item(),
            "condition_number": (lam.max() / lam.min()).item(), "least_squares_mse": loss_star,
            "updates": first_at_most(relative, s.within),
            "predicted_updates": updates_to_reach(predicted, s.within * loss_star),
            "excess_at_budget": relative[-1].item(),
            "predicted_excess_at_budget": predicted(s.budget) / loss_star,
        }
        for key, value in values.items():
            metrics[name][key].append(value)
        curves[name] = {"relative": relative, "predicted": predicted, "loss_star": loss_star,
                        "h": h, "theta_star": theta_star, "w": [h_["w"] for h_ in fit.history],
                        "b": [h_["b"] for h_ in fit.history]}
    return curves, j
