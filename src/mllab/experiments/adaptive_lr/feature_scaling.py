r"""``feature-scaling``: full-batch gradient descent for linear regression on the raw features of
scikit-learn's diabetes data (``load_diabetes(scaled=False)``: age in years, blood pressure in
mm Hg, ...) versus the same features standardized, each with its largest safe learning rate:
standardizing rounds the error surface's contours, and far fewer updates reach the optimum."""

from __future__ import annotations

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
    """Least ratio of updates (raw / standardized) that counts as 'far fewer' (> 1)."""
    feature: str = "bmi"
    """Feature whose weight, with the bias, spans the contour panels."""

    def validate(self) -> None:
        require(self.budget >= 10, "budget", ">= 10", self.budget)
        require(0 < self.lr_scale < 2, "lr_scale", "in (0, 2)", self.lr_scale)
        require(self.within > 0, "within", "> 0", self.within)
        require(self.speedup > 1, "speedup", "> 1", self.speedup)
        names = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
        require(self.feature in names, "feature", f"one of {', '.join(names)}", self.feature)

    @classmethod
    def quick(cls) -> FeatureScalingSettings:
        return cls(budget=1000)


def judge_feature_scaling(m: dict, s: FeatureScalingSettings) -> tuple[str, str]:
    raw, std = m["raw"], m["standardized"]
    std_ok = std["updates"] is not None
    raw_count = raw["updates"] if raw["updates"] is not None else s.budget
    ratio = raw_count / max(std["updates"] or 1, 1) if std_ok else 0.0
    rounder = std["condition_number"] < raw["condition_number"]
    held = std_ok and ratio >= s.speedup and rounder
    raw_text = (f"{raw['updates']}" if raw["updates"] is not None
                else f"> {s.budget} (not within budget; closed form: {raw['predicted_updates']})")
    return ("reproduced" if held else "not reproduced"), (
        f"updates of gradient descent (η = {s.lr_scale:g}/λ_max) to come within "
        f"{s.within:.0%} of the least-squares loss: standardized {std['updates']} "
        f"({'reached' if std_ok else 'NOT reached'}; closed form {std['predicted_updates']}), "
        f"raw {raw_text}; ratio >= {ratio:.0f} ({'>=' if ratio >= s.speedup else '<'} "
        f"{s.speedup:g}); Hessian condition number raw {raw['condition_number']:.3g} vs "
        f"standardized {std['condition_number']:.3g} ({'rounder' if rounder else 'NOT rounder'}"
        f" contours). Simulated vs closed-form relative excess after {s.budget} updates: raw "
        f"{raw['excess_at_budget']:.4g} vs {raw['predicted_excess_at_budget']:.4g}")


@experiment(name="feature-scaling", lecture=LECTURE, judge=judge_feature_scaling,
            claim="Gradient descent on standardized features needs far fewer updates than on "
                  "raw features, each with its largest safe learning rate, because "
                  "standardizing makes the error surface's contours rounder.")
def feature_scaling(s: FeatureScalingSettings, ctx: RunContext) -> Result:
    x_raw, y, names = raw_diabetes(ctx.seed)
    versions = {"raw": x_raw, "standardized": Standardizer().fit_transform(x_raw)}
    j = names.index(s.feature)
    metrics, curves = {}, {}
    for name, x in versions.items():
        h = mse_hessian(x)
        lam = torch.linalg.eigvalsh(h)
        eta = s.lr_scale / lam.max().item()
        theta_star, loss_star = least_squares(x, y)
        with ctx.trial(name) as t:
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

        metrics[name] = {
            "eta": eta, "lambda_max": lam.max().item(), "lambda_min": lam.min().item(),
            "condition_number": (lam.max() / lam.min()).item(), "least_squares_mse": loss_star,
            "updates": first_at_most(relative, s.within),
            "predicted_updates": updates_to_reach(predicted, s.within * loss_star),
            "excess_at_budget": relative[-1].item(),
            "predicted_excess_at_budget": predicted(s.budget) / loss_star,
        }
        curves[name] = {"relative": relative, "predicted": predicted, "loss_star": loss_star,
                        "h": h, "theta_star": theta_star, "w": [h_["w"] for h_ in fit.history],
                        "b": [h_["b"] for h_ in fit.history]}
    plot_feature_scaling(ctx, s, metrics, curves, j)
    rows = [[n, v["condition_number"], v["eta"], v["updates"], v["predicted_updates"],
             v["excess_at_budget"]] for n, v in metrics.items()]
    return Result(metrics=metrics, tables=[table(
        f"Diabetes (training split), linear regression by full-batch gradient descent from 0, "
        f"η = {s.lr_scale:g}/λ_max", ["features", "Hessian condition number", "η",
                                      f"updates to within {s.within:.0%} (measured)",
                                      "updates (closed form)",
                                      f"(L − L*)/L* after {s.budget}"], rows)])
