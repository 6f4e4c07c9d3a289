r"""``meta-learning``: an initialisation learned by MAML (or first-order MAML) adapts to a new
task from K examples in k gradient steps better than a model trained on all the tasks at once
and then fine-tuned the same way (the Meta Learning lecture, homework 15; Finn, Abbeel and
Levine, arXiv:1703.03400, §5.1 and Fig. 2).

**Sinusoids** (the paper's regression, SYNTHETIC, :func:`mllab.meta.sinusoid_tasks`): an MLP
1 → 40 → 40 → 1 (ReLU, the paper's). K = ``k_shot`` support and as many query points per
task.

- **MAML** / **first-order MAML**: :func:`mllab.meta.meta_step` for ``meta_steps`` outer Adam
  updates of ``meta_batch`` tasks, one inner step of :math:`\alpha` = ``alpha_sinusoid``;
- **pre-trained** (the paper's baseline): the same network, the same number of Adam updates,
  each on the mean squared error over all the points of ``meta_batch`` fresh tasks (one model
  for all tasks).

**Digits** (few-shot classification, :func:`mllab.meta.few_shot_tasks`): 3-way K-shot tasks;
classes 0–5 for meta-training, 6–9, never seen, for meta-testing. An MLP 64 → 64 → 64 → 3.

- **MAML** / **first-order MAML** as above, with :math:`\alpha` = ``alpha_digits``;
- **pre-trained**: the same body with a 6-way head, trained by Adam for ``meta_steps`` updates
  of ``meta_batch`` × 3 × 2K examples of classes 0–5; for a test task its head is replaced by a
  3-way head of zeros and the whole network fine-tuned.

**Measured.** On ``test_tasks`` fresh tasks per repeat, the same for every method: from each
initialisation, ``eval_steps`` plain gradient steps of the same :math:`\alpha` on the support
set (:func:`mllab.meta.adapt`), then the query loss (MSE) or accuracy; after 1 step and after
``eval_steps``.

Differences from the paper: 1000 meta-updates rather than 70,000, meta-batches of 5 rather
than 25 (CPU budget); digits rather than Omniglot; Adam at 1e-3 for every outer loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.meta import LECTURE
from mllab.meta import MAMLConfig, MetaState, Task, adapt, few_shot_tasks, meta_step, sinusoid_tasks
from mllab.train import LoopConfig

METHODS = ("maml", "first-order", "pre-trained")
TRAIN_CLASSES, TEST_CLASSES, N_WAY = list(range(6)), [6, 7, 8, 9], 3


@dataclass
class MetaLearningSettings(Settings):
    meta_steps: int = 1000
    """Outer updates (and the pre-trained model's updates) per model (>= 1)."""
    meta_batch: int = 5
    """Tasks per outer update (>= 1)."""
    k_shot: int = 10
    """K: support examples per task (per class for the digits) (>= 1)."""
    k_query_digits: int = 5
    """Query examples per class of a digits task (>= 1)."""
    alpha_sinusoid: float = 0.01
    """Inner step size on the sinusoids (the paper's 0.01) (> 0)."""
    alpha_digits: float = 0.4
    """Inner step size on the digits (the paper's Omniglot 0.4) (> 0)."""
    eval_steps: int = 10
    """Gradient steps at test time (>= 1), the paper's Fig. 2: 1 and 10."""
    test_tasks: int = 100
    """Fresh tasks per repeat for the evaluation (>= 1)."""
    repeats: int = 3
    """Independent repeats: initialisations, tasks, splits (>= 1)."""
    sinusoid_margin: float = 0.3
    """Least mean log10(query MSE pre-trained / MAML) after one step: a factor 2."""
    digits_margin: float = 0.03
    """Least mean gain in query accuracy after ``eval_steps`` steps, MAML minus pre-trained:
    three points."""

    def validate(self) -> None:
        for name in ("meta_steps", "meta_batch", "k_shot", "k_query_digits", "eval_steps",
                     "test_tasks", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        for name in ("alpha_sinusoid", "alpha_digits"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("sinusoid_margin", "digits_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> MetaLearningSettings:
        return cls(meta_steps=20, meta_batch=2, k_shot=5, eval_steps=2, test_tasks=10,
                   repeats=2)


def mse(prediction: Tensor, y: Tensor) -> Tensor:
    return ((prediction - y) ** 2).mean()


def _sinusoid_net() -> nn.Module:
    return nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                         nn.Linear(40, 1))


def _digits_net(classes: int = N_WAY) -> nn.Module:
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                         nn.Linear(64, classes))


def pretrain_step(loss_fn):
    r"""The baseline's step: one Adam update on all the examples of a fresh meta-batch of
    tasks (support and query together), one model for all tasks."""

    def step(s: MetaState) -> dict:
        tasks = s.sample_tasks(s.generator)
        x = torch.cat([torch.cat([t.x_s, t.x_q]) for t in tasks])
        y = torch.cat([torch.cat([t.y_s, t.y_q]) for t in tasks])
        s.optimizer.zero_grad()
        loss = loss_fn(s.model(x), y)
        loss.backward()
        s.optimizer.step()
        return {"loss": loss.item()}

    return step


def evaluate(model: nn.Module, tasks: list[Task], loss_fn, alpha: float, steps: int,
             score) -> dict[str, float]:
    r"""Mean query ``score`` after 1 and after ``steps`` plain gradient steps of ``alpha`` on
    each task's support set, from ``model``'s parameters."""
    theta = {n: p.detach() for n, p in model.named_parameters()}
    out = {}
    for k in sorted({1, steps}):
        config = MAMLConfig(alpha=alpha, inner_steps=k, first_order=True)
        values = []
        for t in tasks:
            phi = {n: p.detach() for n, p in adapt(model, theta, t.x_s, t.y_s, loss_fn,
                                                     config).items()}
            with torch.no_grad():
                values.append(float(score(functional_call(model, phi, (t.x_q,)), t.y_q)))
        out[f"after_{k}"] = sum(values) / len(values)
    return out


def _accuracy(logits: Tensor, y: Tensor) -> Tensor:
    return (logits.argmax(1) == y).double().mean()


def _train(ctx: RunContext, s: MetaLearningSettings, name: str, model: nn.Module, sampler,
           loss_fn, alpha: float, method: str) -> None:
    with ctx.trial(name) as t:
        state = MetaState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
                          generator=ctx.generator(f"{name}/tasks"), sample_tasks=sampler)
        step = pretrain_step(loss_fn) if method == "pre-trained" else meta_step(
            MAMLConfig(alpha=alpha, first_order=method == "first-order"), loss_fn)
        t.run(step, state, LoopConfig(steps=s.meta_steps), fingerprint=s.to_dict())


def _initial(ctx: RunContext, name: str, build) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(name))
        return build()


def _sinusoids(ctx: RunContext, s: MetaLearningSettings, r: int) -> dict:
    tests = sinusoid_tasks(ctx.generator(f"sinusoid-r{r}/test"), s.test_tasks, s.k_shot, 100)
    out = {}
    for method in METHODS:
        model = _initial(ctx, f"sinusoid-r{r}/init", _sinusoid_net)
        _train(ctx, s, f"sinusoid-{method}-r{r}", model,
               lambda g: sinusoid_tasks(g, s.meta_batch, s.k_shot, s.k_shot), mse,
               s.alpha_sinusoid, method)
        out[method] = evaluate(model, tests, mse, s.alpha_sinusoid, s.eval_steps, mse)
    return out


def _digits(ctx: RunContext, s: MetaLearningSettings, r: int) -> dict:
    split = load_dataset("digits", seed=ctx.seed_for(f"digits-r{r}/split"))
    x = torch.cat([split.x_train, split.x_valid, split.x_test])  # (1797, 64)
    y = torch.cat([split.y_train, split.y_valid, split.y_test])
    tests = few_shot_tasks(x, y, TEST_CLASSES, ctx.generator(f"digits-r{r}/test"),
                           s.test_tasks, N_WAY, s.k_shot, s.k_query_digits)
    out = {}
    for method in METHODS:
        if method == "pre-trained":  # a 6-way classifier of classes 0-5, the same body
            model = _initial(ctx, f"digits-r{r}/init", lambda: _digits_net(len(TRAIN_CLASSES)))

            def sampler(g):  # batches of the classes with their own labels
                idx = torch.isin(y, torch.tensor(TRAIN_CLASSES)).nonzero().squeeze(1)
                pick = idx[torch.randint(len(idx), (s.meta_batch * N_WAY * 2 * s.k_shot,),
                                         generator=g)]
                return [Task(x[pick], y[pick], x[pick[:0]], y[pick[:0]])]
        else:
            model = _initial(ctx, f"digits-r{r}/init", _digits_net)

            def sampler(g):
                return few_shot_tasks(x, y, TRAIN_CLASSES, g, s.meta_batch, N_WAY, s.k_shot,
                                      s.k_shot)
        _train(ctx, s, f"digits-{method}-r{r}", model, sampler, F.cross_entropy,
               s.alpha_digits, method)
        if method == "pre-trained":  # its head replaced by a 3-way head of zeros
            body = list(model.children())[:-1]
            head = nn.Linear(64, N_WAY)
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
            model = nn.Sequential(*body, head)
        out[method] = evaluate(model, tests, F.cross_entropy, s.alpha_digits, s.eval_steps,
                               _accuracy)
    return out


def judge_meta_learning(m: dict, s: MetaLearningSettings) -> Evidence:
    runs = m["runs"]
    last = f"after_{s.eval_steps}"

    def sinusoid_ratio(method: str) -> list[float]:
        return [math.log10(r["sinusoid"]["pre-trained"]["after_1"]
                           / r["sinusoid"][method]["after_1"]) for r in runs]

    checks = [
        Check("on a new sinusoid, MAML's initialisation adapts from K examples in one step "
              "better than a model pre-trained on all tasks",
              "log10(query MSE after 1 step, pre-trained / MAML)", sinusoid_ratio("maml"),
              margin=s.sinusoid_margin, reason="a factor 2 (sinusoid_margin)"),
        Check("so does first-order MAML's", "log10(query MSE after 1 step, pre-trained / "
              "first-order MAML)", sinusoid_ratio("first-order"), margin=s.sinusoid_margin,
              reason="a factor 2 (sinusoid_margin)"),
        Check("on digit classes never seen, MAML adapts better than a pre-trained classifier "
              "fine-tuned the same way", f"query accuracy after {s.eval_steps} steps, MAML "
              "minus pre-trained",
              paired([r["digits"]["maml"][last] for r in runs],
                     [r["digits"]["pre-trained"][last] for r in runs]),
              margin=s.digits_margin, reason="three points (digits_margin)"),
    ]
    return Evidence(checks=checks, notes=[
        "first-order MAML on the digits, query accuracy after "
        f"{s.eval_steps} steps: " + ", ".join(f"{r['digits']['first-order'][last]:.3f}"
                                              for r in runs)])


@experiment(name="meta-learning", lecture=LECTURE, judge=judge_meta_learning,
            claim="An initialisation learned by MAML (or first-order MAML) adapts to a new task "
                  "from K examples in a few gradient steps better than a model trained on all "
                  "tasks at once and fine-tuned the same way.")
def meta_learning_experiment(s: MetaLearningSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * 2 * len(METHODS))
    runs = [{"sinusoid": _sinusoids(ctx, s, r), "digits": _digits(ctx, s, r)}
            for r in range(s.repeats)]
    rows = []
    for family, unit in (("sinusoid", "MSE"), ("digits", "accuracy")):
        for method in METHODS:
            for k in sorted({1, s.eval_steps}):
                v = [r[family][method][f"after_{k}"] for r in runs]
                rows.append([family, method, k, unit, f"{sum(v) / len(v):.4f}"])
    _plot(ctx, s, runs)
    return Result(metrics={"runs": runs}, tables=[table(
        f"Query loss or accuracy on {s.test_tasks} new tasks after k gradient steps on K = "
        f"{s.k_shot} examples (mean over repeats)",
        ["tasks", "initialisation", "k", "measure", "mean"], rows)])


def _plot(ctx: RunContext, s: MetaLearningSettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, (left, right) = new_figure(ncols=2, size=(10, 4))
    steps = sorted({1, s.eval_steps})
    for method, colour in zip(METHODS, ("tab:blue", "tab:green", "tab:orange"), strict=True):
        for ax, family in ((left, "sinusoid"), (right, "digits")):
            for i, r in enumerate(runs):
                ax.plot(steps, [r[family][method][f"after_{k}"] for k in steps], "o-",
                        color=colour, alpha=0.6, label=method if i == 0 else None)
    left.set(yscale="log", xlabel="gradient steps at test", ylabel="query MSE",
             title=f"sinusoids, K = {s.k_shot}")
    right.set(xlabel="gradient steps at test", ylabel="query accuracy",
              title=f"digits 6-9, {N_WAY}-way {s.k_shot}-shot")
    for ax in (left, right):
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "adaptation", "Query loss (SYNTHETIC sinusoids) and accuracy (unseen "
                    "digit classes) of each initialisation after 1 and k gradient steps on the "
                    "K support examples, every repeat")
