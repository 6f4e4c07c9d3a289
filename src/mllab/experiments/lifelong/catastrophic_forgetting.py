r"""``catastrophic-forgetting``: a network trained on one task after another forgets the
first, and the regularisation-based remedies (EWC, MAS, SI) keep more of it while still
learning the new tasks (the Life-long Learning lecture, homework 14; Kirkpatrick et al.,
arXiv:1612.00796; Aljundi et al., arXiv:1711.09601; Zenke et al., arXiv:1703.04987).

**Tasks.** scikit-learn's digits, split at random per repeat into train / validation / test
(60/20/20, standardized), and ``tasks`` SYNTHETIC tasks made of them: task 1 the digits as
they are, each later task the same digits with their 64 pixels shuffled by a fixed random
permutation (the "permuted MNIST" protocol of the three papers): the same labels, inputs the
network must map anew.

**Training.** One MLP (64 → ``width`` → ``width`` → 10, ReLU; the same initial weights for
every method in a repeat) trains on the tasks in turn, ``steps`` SGD updates of ``batch_size``
each (:func:`mllab.lifelong.continual_step` on the general loop, the same batches for every
method). After each task it is scored on every task. The methods differ only in the penalty
of the later tasks:

- **fine-tuning**: none;
- **EWC**: :math:`\frac\lambda2\sum_i F_i(\theta_i - \theta^*_i)^2`, the empirical Fisher of
  each finished task, the penalties of several tasks summed
  (:meth:`~mllab.lifelong.Consolidation.merged`);
- **MAS**: :math:`\lambda\sum_i\Omega_i(\theta_i - \theta^*_i)^2`, :math:`\Omega` from the
  task's inputs, summed over tasks likewise;
- **SI**: :math:`c\sum_k\Omega_k(\theta_k - \tilde\theta_k)^2`, :math:`\Omega` accumulated from
  the path integral over the tasks (:math:`\xi = 0.1`), anchored at the last task's end;
- **multi-task** (the upper bound): all tasks' data at once for ``tasks × steps`` updates.

**The strengths** :math:`\lambda` (and :math:`c`) are hyperparameters: each is chosen per
method and repeat from ``strengths`` by the mean *validation* accuracy over all tasks after the
last, and the verdict reads the *test* accuracies, so that choosing does not flatter. A
strength whose training diverges is not chosen.

Differences from the papers: digits rather than MNIST, three tasks, a smaller network, a
shared output layer (domain-incremental, as permuted MNIST), and one strength grid for all
three methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.lifelong import LECTURE
from mllab.lifelong import (
    ContinualConfig,
    ContinualState,
    continual_step,
    ewc,
    fisher_diagonal,
    mas,
    mas_importance,
    si,
    si_importance,
    snapshot,
)
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import MLP, MLPConfig
from mllab.train import LoopConfig, NonFiniteLossError, run_loop

REMEDIES = ("ewc", "mas", "si")
METHODS = ("fine-tuning", *REMEDIES, "multi-task")


@dataclass
class ForgettingSettings(Settings):
    tasks: int = 3
    """Tasks in the sequence (>= 2): the digits, then permuted copies."""
    width: int = 100
    """ReLUs per hidden layer (>= 1)."""
    steps: int = 600
    """SGD updates per task (>= 1): about 18 passes over a task's 1078 training digits."""
    batch_size: int = 32
    """Examples per update (>= 1)."""
    lr: float = 0.05
    """SGD's learning rate (> 0)."""
    strengths: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
    """The grid each remedy's lambda (c for SI) is chosen from, on validation data (> 0)."""
    repeats: int = 5
    """Independent repeats: split, permutations, initialisation, batches (>= 1)."""
    forget_margin: float = 0.10
    """Least drop in fine-tuning's test accuracy on task 1 from after task 1 to after the last
    task: ten points, what "catastrophic" should at least mean."""
    remedy_margin: float = 0.03
    """Least gain of a remedy over fine-tuning in the mean test accuracy over all tasks after
    the last: three points (the split moves accuracies by a point or two)."""

    def validate(self) -> None:
        for name, least in (("tasks", 2), ("width", 1), ("steps", 1), ("batch_size", 1),
                            ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(len(self.strengths) >= 1 and all(v > 0 for v in self.strengths), "strengths",
                "one or more numbers > 0", self.strengths)
        for name in ("forget_margin", "remedy_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> ForgettingSettings:
        return cls(tasks=2, width=32, steps=40, strengths=(1.0,), repeats=2)


def permuted_tasks(x: Tensor, permutations: list[Tensor]) -> list[Tensor]:
    r"""The inputs ``(N, 64)`` of every task: ``x[:, π_k]`` for each permutation."""
    return [x[:, pi] for pi in permutations]


def _scores(model: nn.Module, xs: list[Tensor], y: Tensor) -> list[float]:
    model.eval()
    with torch.no_grad():
        return [accuracy(model(x), y) for x in xs]


def _penalty(method: str, model: nn.Module, x: Tensor, y: Tensor, strength: float,
             previous, omega: dict | None, start: dict | None):
    r"""The penalty for the next task after finishing one on ``(x, y)``: EWC and MAS sum the
    tasks' quadratics, SI accumulates its importance (returned with the penalty)."""
    if method == "ewc":
        new = ewc(model, fisher_diagonal(model, x, y), strength)
        return (new if previous is None else previous.merged(new)), None
    if method == "mas":
        new = mas(model, mas_importance(model, x), strength)
        return (new if previous is None else previous.merged(new)), None
    importance = si_importance(omega, start, snapshot(model),
                               previous=None if previous is None else previous.importance)
    return si(model, importance, strength), importance


def sequence(method: str, strength: float, init: dict, split, permutations: list[Tensor],
             s: ForgettingSettings, batches: list[torch.Generator],
             log: Callable[..., None] = lambda **line: None) -> dict:
    r"""Train ``method`` through the tasks; the accuracy matrices ``R[i][j]`` (after task i, on
    task j) on validation and test data, or ``diverged``; ``log`` gets a line per task."""
    model = MLP(MLPConfig(in_features=64, out_features=10, depth=2, width=s.width))
    model.load_state_dict(init)
    train = permuted_tasks(split.x_train, permutations)
    valid = permuted_tasks(split.x_valid, permutations)
    test = permuted_tasks(split.x_test, permutations)
    config = ContinualConfig(batch_size=s.batch_size)
    if method == "multi-task":
        tasks = [(torch.cat(train), split.y_train.repeat(len(train)), s.steps * len(train))]
    else:
        tasks = [(x, split.y_train, s.steps) for x in train]
    out: dict = {"valid": [], "test": [], "diverged": False}
    penalty = None
    for k, (x, y, steps) in enumerate(tasks):
        tracks_si = method == "si"
        state = ContinualState(
            model=model, optimizer=torch.optim.SGD(model.parameters(), lr=s.lr),
            generator=batches[k],
            omega={n: torch.zeros_like(p) for n, p in model.named_parameters()}
            if tracks_si else None, x=x, y=y, penalty=penalty)
        start = snapshot(model)
        try:
            run_loop(continual_step(config, cross_entropy), state, LoopConfig(steps=steps))
        except NonFiniteLossError:
            return {**out, "diverged": True}
        out["valid"].append(_scores(model, valid, split.y_valid))
        out["test"].append(_scores(model, test, split.y_test))
        log(task=k + 1, valid_accuracy=out["valid"][-1], test_accuracy=out["test"][-1])
        if method in REMEDIES and k < len(tasks) - 1:
            penalty, _ = _penalty(method, model, x, y, strength, penalty, state.omega, start)
    return out


def _mean_last(run: dict, key: str) -> float:
    return sum(run[key][-1]) / len(run[key][-1])


def _repeat(ctx: RunContext, s: ForgettingSettings, r: int) -> dict:
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"))
    g = ctx.generator(f"r{r}/tasks")
    permutations = [torch.arange(64)] + [torch.randperm(64, generator=g)
                                         for _ in range(s.tasks - 1)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))
        init = MLP(MLPConfig(in_features=64, out_features=10, depth=2, width=s.width)).state_dict()
    out = {}
    for method in METHODS:
        grid = s.strengths if method in REMEDIES else (0.0,)
        tried = {}
        for strength in grid:
            name = f"{method}-{strength:g}-r{r}" if method in REMEDIES else f"{method}-r{r}"
            with ctx.trial(name) as t:
                batches = [ctx.generator(f"r{r}/batches/task{k}") for k in range(s.tasks)]
                tried[strength] = t.record("accuracy", lambda m=method, v=strength, b=batches,
                                           n=name: sequence(m, v, init, split, permutations, s,
                                                            b, lambda **line: ctx.log(n, **line)))
        usable = {v: run for v, run in tried.items() if not run["diverged"]}
        chosen = max(usable, key=lambda v: _mean_last(usable[v], "valid")) if usable else None
        out[method] = {"strength": chosen, "grid": {f"{v:g}": (None if run["diverged"] else
                                                               _mean_last(run, "valid"))
                                                    for v, run in tried.items()},
                       **(usable[chosen] if usable else {"valid": [], "test": []})}
    return out


def judge_forgetting(m: dict, s: ForgettingSettings) -> Evidence:
    runs = m["runs"]

    def last_mean(r: dict, method: str) -> float:
        test = r[method]["test"]
        return sum(test[-1]) / len(test[-1]) if test else 0.0

    checks = [Check(
        "fine-tuning on later tasks forgets the first (catastrophic forgetting)",
        "test accuracy on task 1, after task 1 minus after the last task (fine-tuning)",
        [r["fine-tuning"]["test"][0][0] - r["fine-tuning"]["test"][-1][0] for r in runs],
        margin=s.forget_margin, reason="ten points (forget_margin)")]
    for method, name in zip(REMEDIES, ("EWC", "MAS", "SI"), strict=True):
        checks.append(Check(
            f"{name} keeps more of the earlier tasks while learning the new ones",
            f"mean test accuracy over all tasks after the last, {name} minus fine-tuning",
            paired([last_mean(r, method) for r in runs],
                   [last_mean(r, "fine-tuning") for r in runs]),
            margin=s.remedy_margin, reason="three points (remedy_margin)"))
    upper = [last_mean(r, "multi-task") for r in runs]
    return Evidence(checks=checks, notes=[
        "multi-task training (all tasks at once), the upper bound: mean test accuracy over the "
        "tasks " + ", ".join(f"{v:.3f}" for v in upper),
        "strengths chosen on validation data per repeat: " + "; ".join(
            f"{method}: " + ", ".join(f"{r[method]['strength']:g}" if r[method]["strength"]
                                      is not None else "all diverged" for r in runs)
            for method in REMEDIES)])


@experiment(name="catastrophic-forgetting", lecture=LECTURE, judge=judge_forgetting,
            claim="A network trained on one task after another forgets the first; EWC, MAS and "
                  "SI keep more of the earlier tasks while learning the new ones, below "
                  "multi-task training, the upper bound.")
def catastrophic_forgetting_experiment(s: ForgettingSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (2 + len(REMEDIES) * len(s.strengths)))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, s, runs[0])
    rows = []
    for r, run in enumerate(runs):
        for method in METHODS:
            test = run[method]["test"]
            rows.append([r, method, "" if run[method]["strength"] in (None, 0.0) else
                         f"{run[method]['strength']:g}",
                         f"{test[-1][0]:.3f}" if test else "diverged",
                         f"{sum(test[-1]) / len(test[-1]):.3f}" if test else "diverged"])
    return Result(metrics={"runs": runs}, tables=[table(
        "Per repeat and method: the strength chosen on validation data, test accuracy on task 1 "
        "and mean over all tasks after the last task",
        ["repeat", "method", "strength", "task 1", "all tasks"], rows)])


def _plot(ctx: RunContext, s: ForgettingSettings, run: dict) -> None:
    from mllab.report import new_figure

    methods = [m for m in METHODS if m != "multi-task"]
    fig, axes = new_figure(ncols=len(methods), size=(3.2 * len(methods), 3.2))
    for ax, method in zip(axes, methods, strict=True):
        R = run[method]["test"]
        if R:
            ax.imshow(R, vmin=0, vmax=1, cmap="viridis")
            for i, row in enumerate(R):
                for j, v in enumerate(row):
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if v < 0.6 else "black")
        ax.set(title=method, xlabel="task scored", ylabel="after training task",
               xticks=range(s.tasks), yticks=range(s.tasks),
               xticklabels=range(1, s.tasks + 1), yticklabels=range(1, s.tasks + 1))
    ctx.save_figure(fig, "accuracy_matrix", "Test accuracy after training each task (rows) on "
                    "every task (columns), repeat 0; the remedies at their chosen strength. "
                    "Tasks: the digits and SYNTHETIC pixel permutations of them")
