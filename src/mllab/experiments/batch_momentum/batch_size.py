r"""``batch-size``: on scikit-learn's digits, (a) the wall time of one update and of one epoch
for batch sizes 1, 10, 100, 1000 and full batch (the lecture: with parallel computation a
larger batch needs about as long per update, so an epoch takes less time); then (b) the
validation and test accuracy and (c) the sharpness (top Hessian eigenvalue of the training
loss, Keskar et al. 2017, arXiv:1609.04836) of the minima reached by small and large batches.

Protocol: a one-hidden-layer ReLU network, plain SGD with the same learning rate for both
batch sizes and, for each repeat, the same initial weights. The small batch runs
``small_epochs`` epochs and the large batch makes the SAME NUMBER OF UPDATES (so many more
epochs; with equal epochs full batch would simply be undertrained, cf. Hoffer et al. 2017,
arXiv:1705.08741). Every run must reach ``converged_accuracy`` on the training data (a
precondition: otherwise the verdict is inconclusive). Each of ``repeats`` repeats draws its
own split; (b) and (c) are paired differences per repeat. Timing runs in its own pass
through the Trainer (no checkpoints, no validation) on fresh networks, stored with
``t.record``; it is never part of a checkpoint. Times are wall-clock: they differ between
runs and machines, unlike everything else in a run. mllab runs use one thread by default, so
"parallel" here means vectorized work inside one core.

Differences from the course: the lecture times MNIST on a GPU, where an update of batch
1000 costs about as much as one of batch 1; on one CPU thread the update's time grows with
the batch (less than proportionally), which the table shows. The lecture's large-batch runs
are not full batch; here "large" is full batch by default (``large_batch``).
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.analysis import epsilon_sharpness, top_hessian_eigenvalue
from mllab.config import require
from mllab.data import load_dataset, updates_per_epoch
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.batch_momentum import LECTURE
from mllab.experiments.batch_momentum.plots import plot_batch_minima, plot_batch_timing
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.losses import cross_entropy
from mllab.metrics import accuracy, mean_and_spread
from mllab.nn import MLP, MLPConfig
from mllab.train import TrainConfig, Trainer, derive_seed


@dataclass
class BatchSizeSettings(Settings):
    timed_batch_sizes: tuple[int, ...] = (1, 10, 100, 1000)
    """Batch sizes whose update and epoch are timed, increasing (each >= 1); full batch is
    always timed after them."""
    timing_rounds: int = 7
    """Rounds of timing: each round times one epoch of every batch size in turn (the order
    flips every round), after one untimed round that warms up (>= 2)."""
    width: int = 32
    """Hidden ReLU units of the network 64 → width → 10 (>= 1)."""
    lr: float = 0.1
    """SGD learning rate, the same for every batch size (> 0)."""
    small_batch: int = 10
    """The small batch size (>= 1)."""
    large_batch: int | None = None
    """The large batch size (> small_batch); None means full batch."""
    small_epochs: int = 30
    """Epochs of each small-batch run; the large-batch run makes as many updates (>= 1)."""
    repeats: int = 5
    """Independent repeats (data split, initialisation shared by both batch sizes, batch
    orders) (>= 1)."""
    converged_accuracy: float = 0.99
    """Training accuracy every run must reach for (b) and (c) to be judged, in (0, 1]."""
    accuracy_margin: float = 0.0
    """Noise allowance on the accuracy differences (>= 0): the claim is a direction."""
    lanczos_iterations: int = 20
    """Lanczos steps (Hessian-vector products) for the top Hessian eigenvalue (>= 2)."""
    sharpness_eps: float = 1e-3
    """Box size of Keskar's ε-sharpness, reported for information (> 0)."""
    timing_tolerance: float = 0.1
    """Timing noise allowance: epoch times within this fraction of each other count as equal
    (>= 0); repeated timings of the same work on this shared 2-core machine differ by 3–10%
    (the benchmarks' A/A pairs)."""

    def validate(self) -> None:
        sizes = list(self.timed_batch_sizes)
        require(len(sizes) >= 2 and min(sizes) >= 1 and sizes == sorted(set(sizes)),
                "timed_batch_sizes", "two or more increasing integers >= 1", self.timed_batch_sizes)
        for name, least in (("timing_rounds", 2), ("width", 1), ("small_batch", 1),
                            ("small_epochs", 1), ("repeats", 1), ("lanczos_iterations", 2)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.large_batch is None or self.large_batch > self.small_batch, "large_batch",
                "None (full batch) or > small_batch", self.large_batch)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(0 < self.converged_accuracy <= 1, "converged_accuracy", "in (0, 1]",
                self.converged_accuracy)
        require(self.sharpness_eps > 0, "sharpness_eps", "> 0", self.sharpness_eps)
        require(self.timing_tolerance >= 0, "timing_tolerance", ">= 0", self.timing_tolerance)
        require(self.accuracy_margin >= 0, "accuracy_margin", ">= 0", self.accuracy_margin)

    @classmethod
    def quick(cls) -> BatchSizeSettings:
        return cls(timing_rounds=3, small_epochs=8, repeats=2)


def time_batch_sizes(model: nn.Module, loss_fn, x: Tensor, y: Tensor,
                     batch_sizes: list[int | None], *, lr: float, rounds: int,
                     generator: torch.Generator) -> dict:
    r"""Wall time of one epoch of SGD through the :class:`~mllab.train.Trainer` (no
    checkpoints, no validation) for each batch size (``None``: full batch), interleaved.

    Every batch size trains its own copy of ``model``; each of ``rounds`` rounds times one
    epoch of every batch size in turn, the order flipped every round, after one untimed round
    that warms up. Wall-clock times: evidence about this machine, not about the seed.

    Returns:
        ``{"round_seconds": [[...] per batch size], "epoch_seconds": medians,
        "update_seconds": medians over the updates, "updates_per_epoch": [...]}``.
    """
    n = len(x)
    nets = [copy.deepcopy(model) for _ in batch_sizes]
    optimizers = [torch.optim.SGD(net.parameters(), lr=lr) for net in nets]
    seconds: list[list[float]] = [[] for _ in batch_sizes]
    for r in range(rounds + 1):  # round 0 warms up
        order = list(range(len(batch_sizes)))
        for i in order if r % 2 else order[::-1]:
            trainer = Trainer(nets[i], optimizers[i], loss_fn,
                              TrainConfig(epochs=1, batch_size=batch_sizes[i]),
                              generator=generator)
            begin = time.perf_counter()
            trainer.fit((x, y))
            if r:
                seconds[i].append(time.perf_counter() - begin)
    medians = [statistics.median(t) for t in seconds]
    steps = [updates_per_epoch(n, b) for b in batch_sizes]
    return {"round_seconds": seconds, "epoch_seconds": medians,
            "update_seconds": [m / k for m, k in zip(medians, steps, strict=True)],
            "updates_per_epoch": steps}


def judge_batch_size(m: dict, s: BatchSizeSettings) -> Evidence:
    timing, runs = m["timing"], m["runs"]
    labels, rounds = timing["batch_sizes"], timing["round_seconds"]
    small, large = runs["small"], runs["large"]
    sb, lb = small[0]["label"], large[0]["label"]

    def of(key: str, runs: list[dict]) -> list[float]:
        return [run[key] for run in runs]

    checks = [Check(f"an epoch of batch {b} takes less time than one of batch {a}",
                    f"log(epoch time of {a} / epoch time of {b}), per timing round (wall clock "
                    f"on this machine)", [math.log(x / y) for x, y in zip(ta, tb, strict=True)],
                    margin=math.log(1 + s.timing_tolerance),
                    reason=f"{s.timing_tolerance:.0%} is this machine's timing noise "
                           f"(timing_tolerance)")
              for a, ta, b, tb in zip(labels, rounds, labels[1:], rounds[1:], strict=False)]
    checks += [
        Check(f"small batches reach a better {part} accuracy", f"{part} accuracy, batch {sb} "
              f"minus batch {lb} (same initialisation, same number of updates)",
              paired(of(f"{part}_accuracy", small), of(f"{part}_accuracy", large)),
              margin=s.accuracy_margin,
              reason="the claim is a direction (accuracy_margin)")
        for part in ("validation", "test")]
    checks.append(Check(
        "the minima large batches reach are sharper", f"top Hessian eigenvalue of the training "
        f"loss, batch {lb} minus batch {sb}",
        paired(of("lambda_max", large), of("lambda_max", small)),
        margin=0.0,
        reason="the claim is a direction"))
    lowest = min(r["train_accuracy"] for r in small + large)
    return Evidence(checks=checks, preconditions=[Precondition(
        f"every run reaches training accuracy {s.converged_accuracy:g} (minima, not "
        f"unfinished runs)", f"lowest {lowest:.4f}", lowest >= s.converged_accuracy)],
        notes=["times are wall clock on this machine: they vary between machines and runs, "
               "unlike every other number here; epoch medians "
               + ", ".join(f"{b}: {t * 1e3:.3g} ms" for b, t in
                           zip(labels, timing["epoch_seconds"], strict=True))])


@experiment(name="batch-size", lecture=LECTURE, judge=judge_batch_size,
            claim="With parallel computation a larger batch takes less time per epoch; yet small "
                  "batches reach better validation and test accuracy, and the minima that large "
                  "batches reach are sharper.")
def batch_size(s: BatchSizeSettings, ctx: RunContext) -> Result:
    sizes: list[int | None] = [*s.timed_batch_sizes, None]
    timing_split = load_dataset("digits", seed=ctx.seed_for("split/timing"))
    n = len(timing_split.x_train)
    ctx.plan(trials=1 + 2 * s.repeats)  # the timing, then a small and a large batch per repeat
    with ctx.trial("timing") as t:
        timing = t.record("seconds", lambda: time_batch_sizes(
            _batch_network(s), cross_entropy, timing_split.x_train, timing_split.y_train,
            sizes, lr=s.lr, rounds=s.timing_rounds, generator=ctx.generator("timing-batches")))
    timing["batch_sizes"] = [_batch_label(b, n) for b in sizes]
    updates = s.small_epochs * updates_per_epoch(n, s.small_batch)
    plan = {"small": (s.small_batch, s.small_epochs),
            "large": (s.large_batch, math.ceil(updates / updates_per_epoch(n, s.large_batch)))}
    runs: dict[str, list[dict]] = {"small": [], "large": []}
    curves: dict[str, list[list[float]]] = {"small": [], "large": []}
    for r in range(s.repeats):
        split = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"))
        init = _initial_weights(ctx, s, r)
        for which, (batch, epochs) in plan.items():
            name = f"batch-{'full' if batch is None else batch}-r{r}"
            run, curve = _train_batch(ctx, s, name, init, batch, epochs, split)
            runs[which].append({"label": _batch_label(batch, n), **run})
            curves[which].append(curve)
    summary = {which: _summarize_runs(rs, _batch_label(plan[which][0], n), updates)
               for which, rs in runs.items()}
    plot_batch_timing(ctx, timing)
    plot_batch_minima(ctx, s, summary, runs, curves, plan, n)
    return Result(metrics={"timing": timing, "summary": summary, "runs": runs},
                  tables=_batch_tables(s, timing, summary, runs))


def _batch_label(batch: int | None, n: int) -> str:
    return f"full ({n})" if batch is None else str(batch)


def _batch_network(s: BatchSizeSettings) -> nn.Module:

    return MLP(MLPConfig(in_features=64, out_features=10, depth=1, width=s.width,
                         activation="relu"))


def _initial_weights(ctx: RunContext, s: BatchSizeSettings, r: int) -> dict:
    r"""The initial weights of repeat ``r``, shared by its small- and large-batch runs."""

    with torch.random.fork_rng():
        torch.manual_seed(derive_seed(ctx.seed, f"init-{r}"))
        return _batch_network(s).state_dict()


def _train_batch(ctx: RunContext, s: BatchSizeSettings, name: str, init: dict,
                 batch: int | None, epochs: int, split) -> tuple[dict, list[float]]:
    r"""Train one network with SGD, then measure its accuracy and sharpness."""

    x, y = split.x_train, split.y_train
    with ctx.trial(name) as t:
        model = _batch_network(s)
        model.load_state_dict(init)
        fit = t.fit(model, torch.optim.SGD(model.parameters(), lr=s.lr), cross_entropy, (x, y),
                    (split.x_valid, split.y_valid), TrainConfig(epochs=epochs, batch_size=batch),
                    fingerprint=s.to_dict())
        model.eval()

        def evaluate() -> dict:
            with torch.no_grad():
                acc = {part: accuracy(model(xs), ys)
                       for part, xs, ys in (("train", x, y),
                                            ("valid", split.x_valid, split.y_valid),
                                            ("test", split.x_test, split.y_test))}
                train_loss = cross_entropy(model(x), y).item()
            return {
                "epochs": epochs, "updates": fit.steps, "train_loss": train_loss,
                "train_accuracy": acc["train"], "validation_accuracy": acc["valid"],
                "test_accuracy": acc["test"],
                "lambda_max": top_hessian_eigenvalue(
                    model, cross_entropy, x, y, iterations=s.lanczos_iterations,
                    generator=ctx.generator(f"{name}/lanczos")),
                "epsilon_sharpness": epsilon_sharpness(
                    model, cross_entropy, x, y, eps=s.sharpness_eps,
                    generator=ctx.generator(f"{name}/epsilon")),
            }

        run = t.record("evaluation", evaluate)
    return run, [h["train_loss"] for h in fit.history]


def _summarize_runs(runs: list[dict], label: str, updates: int) -> dict:
    keys = ("train_loss", "train_accuracy", "validation_accuracy", "test_accuracy", "lambda_max",
            "epsilon_sharpness")
    return {"label": label, "updates": updates, "epochs": runs[0]["epochs"],
            **{k: mean_and_spread([r[k] for r in runs]) for k in keys},
            "lambda_max_per_loss": mean_and_spread([r["lambda_max"] / r["train_loss"]
                                                    for r in runs])}


def _batch_tables(s: BatchSizeSettings, timing: dict, summary: dict, runs: dict) -> list[dict]:
    time_rows = [[b, u, e * 1e3, t * 1e3] for b, u, e, t in zip(
        timing["batch_sizes"], timing["updates_per_epoch"], timing["epoch_seconds"],
        timing["update_seconds"], strict=True)]
    keys = ("train_loss", "train_accuracy", "validation_accuracy", "test_accuracy", "lambda_max",
            "epsilon_sharpness")
    summary_rows = [[v["label"], v["epochs"], v["updates"],
                     *(f"{v[k][0]:.4g} ± {v[k][1]:.2g}" for k in keys)]
                    for v in summary.values()]
    run_rows = [[summary[which]["label"], r, *(run[k] for k in keys)]
                for which in ("small", "large") for r, run in enumerate(runs[which])]
    columns = ["train loss", "train accuracy", "valid accuracy", "test accuracy",
               "λ_max(H)", "ε-sharpness (%)"]
    return [
        table(f"Wall time with one hidden layer of {s.width} units (median of "
              f"{s.timing_rounds} interleaved rounds)",
              ["batch size", "updates per epoch", "ms per epoch", "ms per update"], time_rows),
        table(f"Minima reached (mean ± sd over {s.repeats} repeats, SGD lr {s.lr:g}, same "
              f"number of updates)", ["batch size", "epochs", "updates", *columns],
              summary_rows),
        table("Every run", ["batch size", "repeat", *columns], run_rows),
    ]
