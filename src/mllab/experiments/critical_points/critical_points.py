r"""``critical-points``: where the gradient of a small network's loss vanishes, the point is
almost never a local minimum, and a higher minimum ratio goes with a lower loss; at a saddle
point gradient descent stalls while a step along an eigenvector of a negative eigenvalue lowers
the loss. See the lecture package's docstring for the protocol and its differences from the
course."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.analysis import (
    classify_critical_point,
    escape_direction,
    escape_step,
    flat_params,
    gradient_and_hessian,
    minimize_gradient_norm,
    model_loss_fn,
    set_flat_params,
)
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.critical_points import LECTURE
from mllab.experiments.critical_points.plots import plot_demo, plot_study
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition
from mllab.losses import mse
from mllab.metrics import spearman
from mllab.nn import MLP, ChainNetwork, MLPConfig
from mllab.train import TrainConfig


@dataclass
class CriticalPointSettings(Settings):
    repeats: int = 5
    """Independent studies (data split, pretraining lengths, initialisations) (>= 1)."""
    networks: int = 40
    """Networks trained and driven to a critical point in each study (>= 3)."""
    width: int = 3
    """Hidden tanh units; the network has 12·width + 1 parameters (>= 1)."""
    min_pretrain_steps: int = 10
    """Fewest full-batch Adam steps before the gradient-norm search (>= 1)."""
    max_pretrain_steps: int = 1000
    """Most pretraining steps; each network's count is drawn log-uniformly from
    [min_pretrain_steps, max_pretrain_steps], so that the networks stop at different stages."""
    pretrain_lr: float = 0.01
    """Adam's learning rate while pretraining (> 0)."""
    search_steps: int = 400
    """Most Levenberg–Marquardt proposals when minimizing ||g||² (>= 1)."""
    grad_tol: float = 1e-4
    """A point is kept as critical when ||g|| < grad_tol (> 0)."""
    eig_tol: float = 1e-4
    """Eigenvalues within ±eig_tol count as zero: neither positive nor negative (>= 0)."""
    rare_share: float = 0.1
    """"Rarely": below this share of a study's kept points have no eigenvalue < -eig_tol
    (in (0, 1)); one in ten, a share the lecture's figure stays well below."""
    permutations: int = 10000
    """Random relabellings for each study's correlation p-value, for information (>= 100)."""
    min_points: int = 8
    """Each study must keep at least this many critical points, or the checks cannot decide
    (>= 3)."""
    demo_steps: int = 100
    """Gradient-descent steps of the saddle-point demonstration (>= 1)."""
    demo_lr: float = 0.1
    """Learning rate of the demonstration's gradient descent (> 0)."""
    escape_length: float = 1.0
    """Length of the step along the negative-curvature eigenvector at w1 = w2 = 0 (> 0)."""
    found_escape_length: float = 0.1
    """Length of the escape step at the lowest-loss saddle found by the study (> 0)."""

    def validate(self) -> None:
        for name, least in (("repeats", 1), ("networks", 3), ("width", 1),
                            ("max_pretrain_steps", 1), ("search_steps", 1),
                            ("permutations", 100), ("min_points", 3), ("demo_steps", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        for name in ("pretrain_lr", "grad_tol", "demo_lr", "escape_length",
                     "found_escape_length"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        require(self.max_pretrain_steps >= self.min_pretrain_steps, "max_pretrain_steps",
                ">= min_pretrain_steps", self.max_pretrain_steps)
        require(self.eig_tol >= 0, "eig_tol", ">= 0", self.eig_tol)
        require(0 < self.rare_share < 1, "rare_share", "in (0, 1)", self.rare_share)

    @classmethod
    def quick(cls) -> CriticalPointSettings:
        return cls(repeats=2, networks=16, max_pretrain_steps=300, search_steps=150,
                   permutations=2000)


def judge_critical_points(m: dict, s: CriticalPointSettings) -> Evidence:
    studies, demo = m["studies"], m["saddle_demo"]
    kept = [st["kept"] for st in studies]
    return Evidence(
        checks=[
            Check("where the gradient vanishes the point is almost never a local minimum",
                  f"share of a study's critical points with no eigenvalue below -{s.eig_tol:g}",
                  [st["share_no_negative"] for st in studies], margin=0.0,
                  threshold=s.rare_share, below=True,
                  reason=f"'rarely' is set at {s.rare_share:.0%} (rare_share)"),
            Check("points with a higher minimum ratio have a lower loss",
                  "Spearman correlation of minimum ratio with training loss, per study",
                  [st["spearman"] for st in studies], margin=0.0, below=True,
                  reason="the claim is a direction (below 0)"),
        ],
        preconditions=[Precondition(
            f"every study keeps at least {s.min_points} critical points (||g|| < "
            f"{s.grad_tol:g})", f"kept {kept} of {s.networks} each", min(kept) >= s.min_points)],
        demonstrations=[
            Demonstration("at w1 = w2 = 0 the gradient of (1 - w1 w2)² is zero, so gradient "
                          "descent cannot move",
                          f"||g|| = {demo['grad_norm']:.3g}; the loss changed by "
                          f"{demo['gd_loss_change']:.3g} in {s.demo_steps} steps"),
            Demonstration("H there has eigenvalues ±2; a step along the eigenvector of -2 lowers "
                          "the loss (second-order Taylor expansion)",
                          f"eigenvalues {demo['eigenvalues']}; loss {demo['escape_before']:.4g} "
                          f"-> {demo['escape_after']:.4g} after a step of "
                          f"{s.escape_length:g}")],
        notes=["permutation p-values of the per-study correlations: "
               + ", ".join(f"{st['p_value']:.2g}" for st in studies)])


@experiment(name="critical-points", lecture=LECTURE, judge=judge_critical_points,
            claim="Where the gradient of a network's loss vanishes, the point is almost never a "
                  "local minimum (the minimum ratio rarely reaches 1), and points with a higher "
                  "minimum ratio have a lower loss; at a saddle point gradient descent stalls, "
                  "but a step along an eigenvector of a negative eigenvalue lowers the loss.")
def critical_points(s: CriticalPointSettings, ctx: RunContext) -> Result:
    studies, points = [], []
    ctx.plan(trials=s.repeats * (s.networks + 1) + 2)  # + the two saddle demonstrations
    for r in range(s.repeats):
        split = load_dataset("diabetes", seed=ctx.seed_for(f"split/r{r}"), dtype=torch.float64)
        x, y = split.x_train, split.y_train
        y = (y - y.mean()) / y.std()  # standardized target, training statistics
        steps = pretraining_steps(s.networks, s.min_pretrain_steps, s.max_pretrain_steps,
                                  ctx.generator(f"pretraining/r{r}"))
        starts = [_pretrain(ctx, s, f"net-r{r}-{i:03d}", k, x, y) for i, k in enumerate(steps)]
        with ctx.trial(f"gradient-norm-search-r{r}") as t:
            found = t.record("points", lambda a=(starts, steps, x, y): _search(s, *a))
        kept = [p for p in found if p["kind"] != "not critical"]
        studies.append(_summarize(ctx, s, found, kept, r))
        if r == 0:
            escape = _found_saddle_escape(ctx, s, kept, x, y)
        points += [{"repeat": r, **{k: v for k, v in p.items() if k != "theta"}} for p in found]
    demo, curves = _saddle_demo(ctx, s)
    plot_study(ctx, s, points, studies)
    plot_demo(ctx, s, curves)
    metrics = {"studies": studies, "found_saddle_escape": escape, "saddle_demo": demo,
               "points": points}
    return Result(metrics=metrics, tables=_tables(s, studies, points, demo, escape))


def pretraining_steps(n: int, least: int, most: int, generator: torch.Generator) -> list[int]:
    r"""``n`` numbers of pretraining steps, log-uniform on
    :math:`[\text{least}, \text{most}]`: :math:`k = \mathrm{round}(\text{least}\,
    (\text{most}/\text{least})^u)`, :math:`u \sim \mathcal U(0, 1)`."""
    u = torch.rand(n, generator=generator, dtype=torch.float64)  # (n,)
    return [min(most, max(least, round(least * (most / least) ** v))) for v in u.tolist()]


def _network(s: CriticalPointSettings, in_features: int) -> MLP:
    return MLP(MLPConfig(in_features, 1, depth=1, width=s.width, activation="tanh")).double()


def _pretrain(ctx: RunContext, s: CriticalPointSettings, name: str, k: int, x: Tensor,
              y: Tensor) -> Tensor:
    r"""Train one network for ``k`` full-batch Adam steps; return its parameters ``(P,)``."""
    with ctx.trial(name) as t:
        model = _network(s, x.shape[1])
        t.fit(model, torch.optim.Adam(model.parameters(), lr=s.pretrain_lr), mse, (x, y), None,
              TrainConfig(epochs=k), fingerprint=s.to_dict())
    return flat_params(model)


def _search(s: CriticalPointSettings, starts: list[Tensor], steps: list[int], x: Tensor,
            y: Tensor) -> list[dict]:
    r"""Minimize ||g||² from every start, then classify each end point by its exact Hessian."""
    model = _network(s, x.shape[1])
    f = model_loss_fn(model, mse, x, y)
    with torch.no_grad():
        before = [float(f(theta)) for theta in starts]
    ends, used = minimize_gradient_norm(f, torch.stack(starts), steps=s.search_steps)
    points = []
    for i, theta in enumerate(ends):
        set_flat_params(model, theta)
        g, H = gradient_and_hessian(model, mse, x, y)
        cp = classify_critical_point(g, H, grad_tol=s.grad_tol, eig_tol=s.eig_tol)
        lam = cp.eigenvalues
        with torch.no_grad():
            loss = float(f(theta))
        points.append({"pretrain_steps": steps[i], "loss_before_search": before[i],
                       "search_steps": used[i], "loss": loss, "grad_norm": cp.grad_norm,
                       "kind": cp.kind, "minimum_ratio": cp.minimum_ratio,
                       "negative": int((lam < -s.eig_tol).sum()),
                       "zero": int((lam.abs() <= s.eig_tol).sum()),
                       "lambda_min": float(lam[0]), "lambda_max": float(lam[-1]),
                       "theta": theta.tolist()})
    return points


def _summarize(ctx: RunContext, s: CriticalPointSettings, points: list[dict],
               kept: list[dict], r: int) -> dict:
    n = len(kept)
    ratios = torch.tensor([p["minimum_ratio"] for p in kept], dtype=torch.float64)
    losses = torch.tensor([p["loss"] for p in kept], dtype=torch.float64)
    rho, p_value = (spearman(ratios, losses, permutations=s.permutations,
                             generator=ctx.generator(f"permutations/r{r}"))
                    if n >= 3 else (math.nan, math.nan))
    no_negative = sum(p["negative"] == 0 for p in kept)
    return {
        "networks": len(points), "kept": n,
        "kinds": {kind: sum(p["kind"] == kind for p in points)
                  for kind in ("local minimum", "saddle point", "local maximum",
                               "not critical")},
        "ratio_one": sum(p["minimum_ratio"] == 1.0 for p in kept),
        "no_negative": no_negative, "share_no_negative": no_negative / n if n else math.nan,
        "ratio_min": float(ratios.min()) if n else math.nan,
        "ratio_max": float(ratios.max()) if n else math.nan,
        "spearman": rho, "p_value": p_value,
        "pearson": float(torch.corrcoef(torch.stack([ratios, losses]))[0, 1]) if n >= 3
        else math.nan,
        "parameters": len(points[0]["theta"]),
    }


def _found_saddle_escape(ctx: RunContext, s: CriticalPointSettings, kept: list[dict],
                         x: Tensor, y: Tensor) -> dict | None:
    r"""Escape step at the lowest-loss kept point with a negative eigenvalue (information)."""
    saddles = [p for p in kept if p["negative"] > 0]
    if not saddles:
        return None
    point = min(saddles, key=lambda p: p["loss"])
    ctx.plan(trials=1)
    with ctx.trial("found-saddle-escape") as t:
        def escape() -> dict:
            model = _network(s, x.shape[1])
            set_flat_params(model, torch.tensor(point["theta"], dtype=torch.float64))
            before, after = escape_step(model, mse, x, y, s.found_escape_length)
            return {"loss": point["loss"], "lambda_min": point["lambda_min"],
                    "grad_norm": point["grad_norm"], "escape_before": before,
                    "escape_after": after}

        return t.record("escape", escape)


def _saddle_demo(ctx: RunContext, s: CriticalPointSettings) -> tuple[dict, dict]:
    r"""The lecture's y = w2·w1·x with (x, ŷ) = (1, 1), from exactly w1 = w2 = 0."""
    x = torch.ones(1, 1, dtype=torch.float64)
    y = torch.ones(1, dtype=torch.float64)
    config = TrainConfig(epochs=s.demo_steps)
    with ctx.trial("saddle-gradient-descent") as t:
        model = ChainNetwork(0.0, 0.0)
        g, H = gradient_and_hessian(model, mse, x, y)
        cp = classify_critical_point(g, H, grad_tol=s.grad_tol, eig_tol=s.eig_tol)
        lam, u = escape_direction(H)
        fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.demo_lr), mse, (x, y),
                    None, config, fingerprint=s.to_dict())
    with torch.no_grad():
        gd_loss = mse(model(x), y).item()
    stalled = [h["train_loss"] for h in fit.history] + [gd_loss]  # loss after 0..N steps
    saddle = flat_params(model)
    with ctx.trial("escaped-gradient-descent") as t:
        before, after = escape_step(model, mse, x, y, s.escape_length)
        escaped_at = flat_params(model)
        path = [saddle.tolist(), escaped_at.tolist()]
        fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.demo_lr), mse, (x, y),
                    None, config, fingerprint=s.to_dict(),
                    extra_metrics=lambda m: {"w1": m.w1.item(), "w2": m.w2.item()})
    path += [[h["w1"], h["w2"]] for h in fit.history]
    with torch.no_grad():
        final_loss = mse(model(x), y).item()
    demo = {"grad_norm": cp.grad_norm, "eigenvalues": cp.eigenvalues.tolist(),
            "kind": cp.kind, "lambda_min": lam, "u": u.tolist(),
            "gd_final_params": saddle.tolist(), "gd_loss_change": gd_loss - 1.0,
            "escape_before": before, "escape_after": after,
            "escaped_params": escaped_at.tolist(), "loss_after_escape_and_gd": final_loss}
    curves = {"stalled": stalled,
              "escaped": [h["train_loss"] for h in fit.history] + [final_loss],
              "path": path, "u": u.tolist()}
    return demo, curves


def _tables(s: CriticalPointSettings, studies: list[dict], points: list[dict], demo: dict,
            found: dict | None) -> list[dict]:
    kinds = [[r, *st["kinds"].values(), st["ratio_one"], st["no_negative"],
              st["share_no_negative"], st["spearman"]] for r, st in enumerate(studies)]
    kept = [p for p in points if p["kind"] != "not critical"]
    bins = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0),
            (1.0, 1.01)]
    rows = []
    for lo, hi in bins:
        inside = [p for p in kept if lo <= p["minimum_ratio"] < hi]
        if inside:
            label = "1" if lo == 1.0 else f"[{lo:.1f}, {hi:.1f})"
            rows.append([label, len(inside), sum(p["loss"] for p in inside) / len(inside),
                         min(p["loss"] for p in inside), max(p["loss"] for p in inside)])
    demo_rows = [
        ["w1 = w2 = 0: ||g||", demo["grad_norm"]],
        ["w1 = w2 = 0: eigenvalues of H", ", ".join(f"{v:g}" for v in demo["eigenvalues"])],
        [f"loss change after {s.demo_steps} GD steps (lr {s.demo_lr:g})",
         demo["gd_loss_change"]],
        ["loss before escape step", demo["escape_before"]],
        [f"loss after escape step (length {s.escape_length:g})", demo["escape_after"]],
        [f"loss after escape + {s.demo_steps} GD steps", demo["loss_after_escape_and_gd"]],
    ]
    if found is not None:
        demo_rows += [
            ["found saddle of study 0 (lowest loss): λ_min, ||g||",
             f"{found['lambda_min']:.3g}, {found['grad_norm']:.2g}"],
            [f"found saddle: loss before / after escape step {s.found_escape_length:g}",
             f"{found['escape_before']:.6f} / {found['escape_after']:.6f}"],
        ]
    return [
        table(f"Points reached by minimizing ||g||², per study ({s.networks} networks each)",
              ["study", *studies[0]["kinds"], "minimum ratio = 1",
               f"no eigenvalue < -{s.eig_tol:g}", "share", "Spearman ρ"], kinds),
        table("Training loss by minimum ratio (kept critical points of every study)",
              ["minimum ratio", "points", "mean loss", "min loss", "max loss"], rows),
        table("Saddle-point demonstration", ["quantity", "value"], demo_rows),
    ]
