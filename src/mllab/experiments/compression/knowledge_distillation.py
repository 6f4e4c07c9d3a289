r"""``knowledge-distillation``: a small student learns more from a large teacher's soft
targets than from the labels alone (the Network Compression lecture, homework 13; Hinton,
Vinyals and Dean, arXiv:1503.02531).

**Data.** scikit-learn's digits, split per repeat into train / validation / test (60/20/20,
standardized).

**Teacher.** An MLP 64 → ``teacher_width`` → ``teacher_width`` → 10 (ReLU), trained on the
labels by Adam for ``teacher_epochs`` epochs of ``batch_size``.

**Students.** One hidden layer of each of ``student_widths`` ReLUs (hundreds of parameters
against the teacher's tens of thousands), each trained twice from the same initial weights
and on the same batches by :func:`mllab.compression.distillation_step` on the general loop
(Adam, ``student_steps`` updates):

- **labels**: :math:`\alpha = 0`, the plain cross-entropy with the labels;
- **distilled**: :math:`\alpha` = ``alpha`` of the soft term
  :math:`T^2\,\mathrm{KL}(\mathrm{softmax}(z^t/T) \| \mathrm{softmax}(z^s/T))` and
  :math:`1 - \alpha` of the labels, at each :math:`T` of ``temperatures``; the temperature is
  chosen per student and repeat by the *validation* accuracy, and the verdict reads the
  *test* accuracy.

Differences from the paper: digits rather than MNIST, an MLP teacher of two layers rather than
two of 1200 units with dropout, and no data augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mllab.compression import DistillationConfig, DistillationState, distillation_step
from mllab.config import require
from mllab.data import load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.compression import LECTURE
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import MLP, MLPConfig, num_parameters
from mllab.train import LoopConfig, TrainConfig


@dataclass
class DistillationSettings(Settings):
    teacher_width: int = 256
    """ReLUs per hidden layer of the teacher (>= 1)."""
    teacher_epochs: int = 60
    """The teacher's passes over the training digits (>= 1)."""
    student_widths: tuple[int, ...] = (4, 8, 16)
    """Hidden ReLUs of each student (each >= 1)."""
    student_steps: int = 3000
    """Adam updates per student (>= 1)."""
    batch_size: int = 64
    """Examples per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate, teacher and students (> 0)."""
    temperatures: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    """The grid T is chosen from on validation data (each > 0)."""
    alpha: float = 0.9
    """Weight of the soft term in the distilled students' loss (in (0, 1])."""
    repeats: int = 5
    """Independent repeats: split, initialisations, batches (>= 1)."""
    margin: float = 0.01
    """Least mean gain in test accuracy, distilled minus labels (averaged over the students):
    one point, about four of the 360 test digits."""
    least_teacher_accuracy: float = 0.95
    """Precondition: the teacher's test accuracy in every repeat (a teacher worth learning
    from)."""

    def validate(self) -> None:
        for name in ("teacher_width", "teacher_epochs", "student_steps", "batch_size",
                     "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(len(self.student_widths) >= 1 and all(w >= 1 for w in self.student_widths),
                "student_widths", "one or more integers >= 1", self.student_widths)
        require(len(self.temperatures) >= 1 and all(T > 0 for T in self.temperatures),
                "temperatures", "one or more numbers > 0", self.temperatures)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 < self.alpha <= 1, "alpha", "in (0, 1]", self.alpha)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(0 < self.least_teacher_accuracy < 1, "least_teacher_accuracy", "in (0, 1)",
                self.least_teacher_accuracy)

    @classmethod
    def quick(cls) -> DistillationSettings:
        return cls(teacher_width=64, teacher_epochs=5, student_widths=(8,), student_steps=100,
                   temperatures=(4.0,), repeats=2)


def _scores(model: nn.Module, split) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        return {"valid": accuracy(model(split.x_valid), split.y_valid),
                "test": accuracy(model(split.x_test), split.y_test)}


def _student(ctx: RunContext, s: DistillationSettings, split, teacher: nn.Module, init: dict,
             width: int, name: str, T: float, alpha: float, r: int) -> dict:
    with ctx.trial(name) as t:
        student = MLP(MLPConfig(in_features=64, out_features=10, depth=1, width=width))
        student.load_state_dict(init)
        state = DistillationState(
            student=student, optimizer=torch.optim.Adam(student.parameters(), lr=s.lr),
            generator=ctx.generator(f"r{r}/width{width}/batches"), teacher=teacher,
            x=split.x_train, y=split.y_train)
        config = DistillationConfig(T=T, alpha=alpha, batch_size=s.batch_size,
                                    log_every=max(1, s.student_steps // 20))
        t.run(distillation_step(config), state, LoopConfig(steps=s.student_steps),
              fingerprint=s.to_dict())
        return t.record("accuracy", lambda: _scores(student, split))


def _repeat(ctx: RunContext, s: DistillationSettings, r: int) -> dict:
    split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"))
    with ctx.trial(f"teacher-r{r}") as t:
        teacher = MLP(MLPConfig(in_features=64, out_features=10, depth=2, width=s.teacher_width))
        t.fit(teacher, torch.optim.Adam(teacher.parameters(), lr=s.lr), cross_entropy,
              (split.x_train, split.y_train), None,
              TrainConfig(epochs=s.teacher_epochs, batch_size=s.batch_size),
              fingerprint=s.to_dict())
        teacher_scores = t.record("accuracy", lambda: _scores(teacher, split))
    out = {"teacher": {**teacher_scores, "parameters": num_parameters(teacher)}, "students": {}}
    for width in s.student_widths:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/width{width}/init"))
            model = MLP(MLPConfig(in_features=64, out_features=10, depth=1, width=width))
        init = model.state_dict()
        labels = _student(ctx, s, split, teacher, init, width, f"labels-w{width}-r{r}", 1.0,
                          0.0, r)
        distilled = {f"{T:g}": _student(ctx, s, split, teacher, init, width,
                                        f"distilled-T{T:g}-w{width}-r{r}", T, s.alpha, r)
                     for T in s.temperatures}
        chosen = max(distilled, key=lambda T: distilled[T]["valid"])
        out["students"][str(width)] = {"parameters": num_parameters(model), "labels": labels,
                                       "distilled": distilled, "T": chosen}
    return out


def judge_distillation(m: dict, s: DistillationSettings) -> Evidence:
    runs = m["runs"]

    def mean_test(r: dict, kind: str) -> float:
        students = r["students"].values()
        return sum(st["labels"]["test"] if kind == "labels" else
                   st["distilled"][st["T"]]["test"] for st in students) / len(students)

    teacher = [r["teacher"]["test"] for r in runs]
    return Evidence(
        checks=[Check("a small student learns more from the teacher's soft targets than from "
                      "the labels", "test accuracy, distilled (T chosen on validation) minus "
                      "labels only, averaged over the student sizes",
                      paired([mean_test(r, "distilled") for r in runs],
                             [mean_test(r, "labels") for r in runs]),
                      margin=s.margin, reason="one point, about four test digits (margin)")],
        preconditions=[Precondition(
            f"the teacher is worth learning from: test accuracy >= "
            f"{s.least_teacher_accuracy:g} in every repeat",
            "teacher test accuracy " + ", ".join(f"{v:.3f}" for v in teacher),
            all(v >= s.least_teacher_accuracy for v in teacher))],
        notes=["temperatures chosen on validation data (per repeat, by student width): " +
               "; ".join(f"width {w}: " + ", ".join(r["students"][w]["T"] for r in runs)
                         for w in runs[0]["students"])])


@experiment(name="knowledge-distillation", lecture=LECTURE, judge=judge_distillation,
            claim="A small student trained on a large teacher's soft targets (temperature T) "
                  "reaches a higher test accuracy than the same student trained on the labels.")
def knowledge_distillation_experiment(s: DistillationSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (1 + len(s.student_widths) * (1 + len(s.temperatures))))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs)
    rows = []
    for w in runs[0]["students"]:
        labels = [r["students"][w]["labels"]["test"] for r in runs]
        distilled = [r["students"][w]["distilled"][r["students"][w]["T"]]["test"] for r in runs]
        rows.append([w, runs[0]["students"][w]["parameters"], f"{sum(labels) / len(runs):.3f}",
                     f"{sum(distilled) / len(runs):.3f}"])
    teacher = sum(r["teacher"]["test"] for r in runs) / len(runs)
    rows.append(["teacher", runs[0]["teacher"]["parameters"], f"{teacher:.3f}", ""])
    return Result(metrics={"runs": runs}, tables=[table(
        "Mean test accuracy over the repeats by student size",
        ["hidden units", "parameters", "labels only", "distilled (T on validation)"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    widths = list(runs[0]["students"])
    params = [runs[0]["students"][w]["parameters"] for w in widths]
    for kind, colour in (("labels", "tab:blue"), ("distilled", "tab:orange")):
        for r, run in enumerate(runs):
            acc = [run["students"][w]["labels"]["test"] if kind == "labels" else
                   run["students"][w]["distilled"][run["students"][w]["T"]]["test"]
                   for w in widths]
            ax.plot(params, acc, "o-", color=colour, alpha=0.5,
                    label=("labels only" if kind == "labels" else "distilled")
                    if r == 0 else None)
    ax.axhline(sum(r["teacher"]["test"] for r in runs) / len(runs), color="grey", ls=":",
               label=f"teacher ({runs[0]['teacher']['parameters']} parameters)")
    ax.set(xscale="log", xlabel="student parameters", ylabel="test accuracy",
           title="Students on the digits, every repeat")
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "accuracy_vs_parameters", "Test accuracy against the student's "
                    "parameter count, trained on the labels or distilled from the teacher")
