r"""``in-context-learning``: a GPT-style model trained on prompts of examples of many random
linear tasks solves a *new* task from the examples in its prompt, with no weight update: its
error falls as the prompt holds more examples, close to least squares and below
nearest-neighbour regression (Garg et al., arXiv:2208.01066, Fig. 2).

Each repeat trains its own :class:`mllab.pretraining.in_context_regression.InContextRegressor`
(own initialisation and training tasks) on fresh tasks :math:`y = w^\top x`,
:math:`w, x \sim \mathcal N(0, I_d)` every step, then evaluates on ``eval_tasks`` new tasks
drawn from a generator training never used. At the position of :math:`x_{k+1}` every learner
has the same :math:`k` examples :math:`(x_1, y_1), \dots, (x_k, y_k)`; the error at :math:`k`
is the mean squared error divided by :math:`d` (the paper's normalisation: predicting 0
scores 1),

.. math:: e(k) = \frac{1}{d}\,\mathbb E\big[(\hat y_{k+1} - y_{k+1})^2\big],
    \qquad k = 0, \dots, K.

The learners: the trained model; least squares with the minimum-norm solution for
:math:`k < d` (exact once :math:`k \ge d`, as there is no noise); the mean :math:`y` of the 3
nearest examples (3-NN, the paper's). A repeat's summary of a curve is its mean over
:math:`k = 1 \dots K`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.self_supervised import LECTURE
from mllab.pretraining.in_context_regression import (
    InContextConfig,
    InContextRegressor,
    InContextState,
    in_context_step,
    least_squares_predictions,
    nearest_neighbour_predictions,
    sample_tasks,
)
from mllab.train import LoopConfig

LEARNERS = ("transformer", "least squares", "3-NN")


@dataclass
class InContextSettings(Settings):
    d: int = 3
    """Input dimension d (paper: 20; 3 so that a small model learns on a CPU in minutes)."""
    K: int = 8
    """Most examples in a prompt (the model reads K + 1 pairs); about 2.5 d, as the paper's
    prompts of 2d examples and more (>= 1)."""
    d_model: int = 32
    """Width of the Transformer (paper: 256)."""
    num_heads: int = 2
    """Attention heads."""
    d_ff: int = 128
    """Feed-forward hidden size (4 d_model)."""
    num_layers: int = 2
    """Causal blocks (paper: 12)."""
    steps: int = 1500
    """Training updates, each on fresh tasks (>= 1); a few minutes of a 2-core machine."""
    batch_size: int = 64
    """Tasks (prompts) per update."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    eval_tasks: int = 2000
    """New tasks each learner is evaluated on (>= 1)."""
    neighbours: int = 3
    """k of the nearest-neighbour learner (the paper's 3)."""
    repeats: int = 5
    """Independent repeats: initialisation, training tasks, evaluation tasks (>= 1)."""
    fall_margin: float = 0.25
    """The error with K examples must lie below the error with none, e(0) near 1, by more
    than a quarter of it: a smaller fall is not "error falls as k grows"."""
    knn_margin: float = 0.05
    """Noise allowance on mean-error differences with 3-NN: 2,000 tasks give each e(k) a
    standard error near 0.03, and their mean over k less."""
    close_to_ls: float = 0.15
    """"Close to least squares": the transformer's mean error over k = 1..K may exceed least
    squares' by at most 0.15 (15% of the error with no example), a choice made before the
    first run for a model much smaller and shorter trained than the paper's."""

    def validate(self) -> None:
        for name in ("d", "K", "d_model", "num_heads", "d_ff", "num_layers", "steps",
                     "batch_size", "eval_tasks", "neighbours", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("fall_margin", "knn_margin", "close_to_ls"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> InContextSettings:
        return cls(d=2, K=4, d_model=16, d_ff=64, num_layers=1, steps=60, batch_size=32,
                   eval_tasks=200, repeats=2)


def _mean_over_k(curve: list[float]) -> float:
    return sum(curve[1:]) / (len(curve) - 1)


def judge_in_context(m: dict, s: InContextSettings) -> Evidence:
    e = m["errors"]  # learner -> repeat -> e(0..K)
    tf = [_mean_over_k(c) for c in e["transformer"]]
    ls = [_mean_over_k(c) for c in e["least squares"]]
    knn = [_mean_over_k(c) for c in e["3-NN"]]
    return Evidence(checks=[
        Check("The error falls as the prompt holds more examples", "transformer's error e(0) "
              "minus e(K)", [c[0] - c[-1] for c in e["transformer"]], margin=s.fall_margin,
              reason="e(0) is near 1; a fall below a quarter of it is not a fall"),
        Check("The transformer learns in context better than nearest neighbours",
              "mean error over k = 1..K, 3-NN minus transformer", paired(knn, tf),
              margin=s.knn_margin, reason="2,000 new tasks: standard error near 0.03 per k"),
        Check("The transformer is close to least squares", "mean error over k = 1..K, "
              "transformer minus least squares", paired(tf, ls), margin=s.knn_margin,
              threshold=s.close_to_ls, below=True,
              reason=f"close means within {s.close_to_ls:g} (setting close_to_ls); "
                     f"{s.knn_margin:g} allows the evaluation noise")],
        notes=["final training loss (MSE / d) per repeat: "
               + ", ".join(f"{v:.3f}" for v in m["final_loss"])])


@experiment(name="in-context-learning", lecture=LECTURE, judge=judge_in_context,
            claim="A GPT-style model trained on prompts of examples of many random linear "
                  "tasks solves new tasks from k examples in its prompt with no weight "
                  "update: its error falls as k grows, close to least squares and below "
                  "nearest-neighbour regression.")
def in_context_learning(s: InContextSettings, ctx: RunContext) -> Result:
    n = s.K + 1
    errors: dict[str, list[list[float]]] = {k: [] for k in LEARNERS}
    final_loss, curves = [], []
    ctx.plan(trials=s.repeats)
    for r in range(s.repeats):
        with ctx.trial(f"icl-r{r}") as t:
            model = InContextRegressor(InContextConfig(
                d=s.d, max_pairs=n, d_model=s.d_model, num_heads=s.num_heads, d_ff=s.d_ff,
                num_layers=s.num_layers))
            state = InContextState(model=model, optimizer=torch.optim.Adam(
                model.parameters(), lr=s.lr), generator=ctx.generator(f"tasks/r{r}"))
            run = t.run(in_context_step(s.batch_size, n), state, LoopConfig(steps=s.steps),
                        fingerprint=s.to_dict())
        curves.append([(h["step"], h["train_loss"]) for h in run.history])
        last = run.history[-min(50, len(run.history)):]
        final_loss.append(sum(h["train_loss"] for h in last) / len(last))
        test = sample_tasks(s.eval_tasks, n, s.d, generator=ctx.generator(f"new-tasks/r{r}"))
        model.eval()
        with torch.no_grad():
            pred = {"transformer": model(test.x, test.y).double()}
        x, y = test.x.double(), test.y.double()
        pred["least squares"] = least_squares_predictions(x, y)
        pred["3-NN"] = nearest_neighbour_predictions(x, y, s.neighbours)
        for k in LEARNERS:
            errors[k].append((((pred[k] - y) ** 2).mean(0) / s.d).tolist())  # e(0..K)
    _plot(ctx, curves, errors, s)
    mean = {k: [sum(c[i] for c in errors[k]) / s.repeats for i in range(n)] for k in LEARNERS}
    rows = [[i, *[mean[k][i] for k in LEARNERS]] for i in range(n)]
    return Result(metrics={"errors": errors, "final_loss": final_loss}, tables=[
        table("Error e(k) on new tasks (MSE / d), mean over repeats",
              ["k examples", *LEARNERS], rows)])


def _plot(ctx: RunContext, curves: list, errors: dict, s: InContextSettings) -> None:
    from mllab.report import new_figure

    fig, (ax, bx) = new_figure(ncols=2, size=(10, 3.8))
    for c in curves:
        ax.plot([p[0] for p in c], [p[1] for p in c], color="tab:blue", alpha=0.5)
    ax.set(xlabel="step", ylabel="training loss (MSE / d)", title="Training on random tasks")
    ks = list(range(s.K + 1))
    for k, color in zip(LEARNERS, ("tab:blue", "tab:green", "tab:orange"), strict=True):
        for i, c in enumerate(errors[k]):
            bx.plot(ks, c, color=color, alpha=0.5, marker=".", label=k if i == 0 else None)
    bx.axvline(s.d, color="gray", ls=":", label="k = d")
    bx.set(xlabel="k examples in the prompt", ylabel="error on new tasks (MSE / d)",
           title="Learning in context", ylim=(0, 2.2))
    bx.legend(fontsize=8)
    ctx.save_figure(fig, "in_context", "Left: training loss per repeat. Right: error on new "
                    "tasks against the number of examples in the prompt, for the trained "
                    "model (weights frozen), least squares and 3-nearest-neighbours, one line "
                    "per repeat.")
