r"""``domain-adaptation``: a classifier trained on a labelled source domain loses accuracy on a
shifted target domain; domain adversarial training (DANN) with unlabelled target data wins
some of it back, and entropy minimisation on the target helps further (the domain-adaptation
lecture, homework 11; Ganin et al., arXiv:1505.07818).

**Domains.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`, split per repeat into a
source half and a target half. Source: the digits as they are, with labels. Target,
SYNTHETIC: the other half's digits on a noisy background, :math:`x^t = \max(x, b)` with
:math:`b_i \sim U[0, 0.6]` drawn per pixel and image (as MNIST-M puts MNIST on textures);
three quarters of them, unlabelled, for training, the last quarter's labels for the test
only.

**Methods** (the same :class:`mllab.domain_adaptation.DANN` network, 64 → 64 → 32 features,
the same initial weights and batches; :func:`mllab.domain_adaptation.dann_step`, Adam, ``steps``
updates):

- **source-only**: the domain weight 0 (the reversal layer passes no gradient back);
- **DANN**: :math:`\lambda_p = 2 / (1 + e^{-10p}) - 1`, the paper's schedule;
- **DANN + entropy**: plus :math:`\beta` = ``entropy_weight`` times the entropy of the target
  predictions ("predictions on the target should be concentrated").

Differences from the paper: digits, a small MLP, Adam without the paper's learning-rate
annealing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.domain_adaptation import DANN, DANNConfig, DANNState, DANNStepConfig, dann_step
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.domain_adaptation import LECTURE
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.gan import load_digit_images
from mllab.metrics import accuracy
from mllab.train import LoopConfig

METHODS = {"source-only": (0.0, 0.0), "dann": (1.0, 0.0), "dann-entropy": (1.0, None)}
r"""Method: (domain weight, entropy weight; None is ``entropy_weight``)."""


@dataclass
class DomainAdaptationSettings(Settings):
    background: float = 0.6
    """The target's background pixels are drawn from U[0, background] (in (0, 1])."""
    steps: int = 3000
    """Adam updates per method (>= 1)."""
    batch_size: int = 64
    """Source and target examples per update, each (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    entropy_weight: float = 0.1
    """beta of DANN + entropy (> 0)."""
    repeats: int = 5
    """Independent repeats: split, background, initialisation, batches (>= 1)."""
    dann_margin: float = 0.03
    """Least mean gain in target test accuracy, DANN minus source-only: three points."""
    entropy_margin: float = 0.01
    """Least mean gain, DANN + entropy minus DANN: one point."""
    least_shift: float = 0.1
    """Precondition: source-only loses at least this much accuracy from the source test data
    to the target's in every repeat (there is a shift to adapt to)."""

    def validate(self) -> None:
        require(0 < self.background <= 1, "background", "in (0, 1]", self.background)
        for name in ("steps", "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("lr", "entropy_weight"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("dann_margin", "entropy_margin", "least_shift"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> DomainAdaptationSettings:
        return cls(steps=150, repeats=2)


def noisy_background(x: Tensor, background: float, generator: torch.Generator) -> Tensor:
    r"""SYNTHETIC target images: :math:`\max(x, b)`, :math:`b \sim U[0, \text{background}]` per
    pixel; ``(N, 1, 8, 8)`` in and out."""
    return torch.maximum(x, background * torch.rand(x.shape, generator=generator))


def _domains(ctx: RunContext, s: DomainAdaptationSettings, r: int) -> dict[str, Tensor]:
    x, y = load_digit_images()
    x = ((x + 1) / 2).flatten(1)  # (N, 64), pixels in [0, 1]
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    half = len(x) // 2
    source, target = order[:half], order[half:]
    n_source_test, n_target_test = len(source) // 4, len(target) // 4
    x_t = noisy_background(x[target], s.background, ctx.generator(f"r{r}/background"))
    return {"x_source": x[source[n_source_test:]], "y_source": y[source[n_source_test:]],
            "x_source_test": x[source[:n_source_test]], "y_source_test": y[source[:n_source_test]],
            "x_target": x_t[n_target_test:], "x_target_test": x_t[:n_target_test],
            "y_target_test": y[target[:n_target_test]]}


def _scores(model: DANN, data: dict[str, Tensor], projection: bool) -> dict:
    r"""Source and target test accuracy; with ``projection``, both domains' test features
    projected on their two principal axes."""
    model.eval()
    with torch.no_grad():
        out = {"source": accuracy(model(data["x_source_test"])[0], data["y_source_test"]),
               "target": accuracy(model(data["x_target_test"])[0], data["y_target_test"])}
        if projection:
            f = torch.cat([model.features(data["x_source_test"]),
                           model.features(data["x_target_test"])])  # (N_s + N_t, 32)
            f = f - f.mean(0)
            _, _, V = torch.linalg.svd(f, full_matrices=False)
            out["projection"] = (f @ V[:2].T).tolist()  # (N_s + N_t, 2)
            out["n_source"] = len(data["x_source_test"])
    return out


def _repeat(ctx: RunContext, s: DomainAdaptationSettings, r: int) -> dict:
    data = _domains(ctx, s, r)
    out = {}
    for method, (domain_weight, entropy_weight) in METHODS.items():
        beta = s.entropy_weight if entropy_weight is None else entropy_weight
        with ctx.trial(f"{method}-r{r}") as t:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(ctx.seed_for(f"r{r}/init"))
                model = DANN(DANNConfig(in_features=64, features=32, hidden=64, classes=10))
            state = DANNState(model=model, opt=torch.optim.Adam(model.parameters(), lr=s.lr),
                              generator=ctx.generator(f"r{r}/batches"),
                              x_source=data["x_source"], y_source=data["y_source"],
                              x_target=data["x_target"])
            config = DANNStepConfig(total_steps=s.steps, batch_size=s.batch_size,
                                    domain_weight=domain_weight, entropy_weight=beta)
            t.run(dann_step(config), state, LoopConfig(steps=s.steps), fingerprint=s.to_dict())

            out[method] = t.record("accuracy", lambda m=model: _scores(m, data, r == 0))
    return out


def judge_domain_adaptation(m: dict, s: DomainAdaptationSettings) -> Evidence:
    runs = m["runs"]

    def target(method: str) -> list[float]:
        return [r[method]["target"] for r in runs]

    shift = [r["source-only"]["source"] - r["source-only"]["target"] for r in runs]
    return Evidence(
        checks=[
            Check("domain adversarial training with unlabelled target data raises the "
                  "accuracy on the target", "target test accuracy, DANN minus source-only",
                  paired(target("dann"), target("source-only")), margin=s.dann_margin,
                  reason="three points (dann_margin)"),
            Check("minimising the entropy of the target predictions helps further",
                  "target test accuracy, DANN + entropy minus DANN",
                  paired(target("dann-entropy"), target("dann")), margin=s.entropy_margin,
                  reason="one point (entropy_margin)")],
        preconditions=[Precondition(
            f"the target domain is shifted: source-only loses >= {s.least_shift:g} from the "
            "source to the target test data", "losses " + ", ".join(f"{v:.3f}" for v in shift),
            all(v >= s.least_shift for v in shift))])


@experiment(name="domain-adaptation", lecture=LECTURE, judge=judge_domain_adaptation,
            claim="A classifier trained on labelled source digits loses accuracy on a shifted "
                  "target domain; DANN with unlabelled target data wins some back, and "
                  "minimising the entropy of the target predictions helps further.")
def domain_adaptation_experiment(s: DomainAdaptationSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(METHODS))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs[0])
    rows = [[method, f"{sum(r[method]['source'] for r in runs) / len(runs):.3f}",
             f"{sum(r[method]['target'] for r in runs) / len(runs):.3f}"] for method in METHODS]
    return Result(metrics={"runs": runs}, tables=[table(
        "Mean test accuracy over the repeats", ["method", "source", "target (SYNTHETIC)"],
        rows)])


def _plot(ctx: RunContext, run: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(METHODS), size=(4 * len(METHODS), 4))
    for ax, method in zip(axes, METHODS, strict=True):
        points, n = torch.tensor(run[method]["projection"]), run[method]["n_source"]
        ax.scatter(*points[:n].T, s=4, alpha=0.5, label="source")
        ax.scatter(*points[n:].T, s=4, alpha=0.5, label="target")
        ax.set(title=f"{method}: features, 2 principal axes", xticks=[], yticks=[])
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "features", "The features of the source and the SYNTHETIC target test "
                    "images projected on their two principal axes, repeat 0: DANN brings the "
                    "two domains together")
