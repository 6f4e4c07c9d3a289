r"""``critic-mc-vs-td``: a critic :math:`V^\pi` learnt by Monte Carlo and by temporal difference
from the same episodes: both approach the true values as episodes accumulate; TD's estimates
vary less from one batch of episodes to the next (MC's returns sum many random steps, TD's
target one step and an estimate); and on the lecture's eight episodes the two disagree.

The MDP: the textbook's random walk (Sutton and Barto, 2nd ed., Example 6.2), SYNTHETIC: five
states A-E, start at C, a step left or right with probability 1/2 each, the episode ends off
either end, reward 1 off the right end and 0 otherwise, :math:`\gamma = 1`. Its true values
come from the Bellman equations :math:`V = R + P V`, a linear solve (1/6, ..., 5/6).

Per repeat and number of episodes :math:`N` in ``episode_counts``: ``datasets`` independent
batches of :math:`N` episodes, each estimated by every-visit MC (:func:`mllab.rl.mc_values`)
and batch TD(0) (:func:`mllab.rl.td_values`), unvisited states at the textbook's 0.5.
Measured over the batches, averaged over the five states: the **variance** of the estimates,
their squared **bias** and the **error** (mean squared, against the true values).

The lecture's example (demonstration): eight episodes, :math:`s_a, r = 0, s_b, r = 0` once,
:math:`s_b, r = 1` six times, :math:`s_b, r = 0` once: both give :math:`V(s_b) = 3/4`; MC
gives :math:`V(s_a) = 0`, the return that followed it, TD :math:`V(s_a) = 3/4`,
:math:`r + V(s_b)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.experiments.reinforcement_learning import LECTURE
from mllab.rl import mc_values, td_values

STATES, START, INITIAL = 5, 2, 0.5
CRITICS = {"mc": mc_values, "td": td_values}


def true_values() -> Tensor:
    r"""Solve :math:`(I - P) V = R` for the random walk: from state :math:`i`, half the time to
    :math:`i - 1` and half to :math:`i + 1`, off the ends to the terminal state; :math:`R_i`
    the expected reward of the step (1/2 from E, else 0)."""
    P = torch.zeros(STATES, STATES, dtype=torch.float64)
    for i in range(STATES):
        for j in (i - 1, i + 1):
            if 0 <= j < STATES:
                P[i, j] = 0.5
    R = torch.zeros(STATES, dtype=torch.float64)
    R[-1] = 0.5
    return torch.linalg.solve(torch.eye(STATES, dtype=torch.float64) - P, R)


def random_walk(g: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""One SYNTHETIC episode: ``(states (T,), rewards (T,))``."""
    s, states, rewards = START, [], []
    while 0 <= s < STATES:
        states.append(s)
        s += 1 if torch.rand((), generator=g) < 0.5 else -1
        rewards.append(1.0 if s == STATES else 0.0)
    return torch.tensor(states), torch.tensor(rewards, dtype=torch.float64)


def lecture_example() -> dict[str, list[float]]:
    r"""``V(s_a), V(s_b)`` of MC and TD on the lecture's eight episodes."""
    episodes = [(torch.tensor([0, 1]), torch.tensor([0.0, 0.0]))]
    episodes += [(torch.tensor([1]), torch.tensor([1.0]))] * 6
    episodes += [(torch.tensor([1]), torch.tensor([0.0]))]
    return {k: f(episodes, 2).tolist() for k, f in CRITICS.items()}


@dataclass
class CriticSettings(Settings):
    episode_counts: tuple[int, ...] = (5, 20, 100)
    """Episodes per batch, increasing (each >= 1, two or more)."""
    datasets: int = 50
    """Independent batches per count and repeat, over which variance and bias are taken
    (>= 2)."""
    repeats: int = 10
    """Independent repeats of the whole measurement (>= 1)."""
    variance_margin: float = 0.1
    """How far below 0 log10(variance TD / variance MC) must lie at the fewest episodes:
    about a fifth lower (10^-0.1 = 0.79)."""
    error_margin: float = 0.3
    """How far below 0 log10(error at the most episodes / at the fewest) must lie for each
    critic: half the error or less (10^-0.3 = 0.5)."""

    def validate(self) -> None:
        c = self.episode_counts
        require(len(c) >= 2 and all(n >= 1 for n in c) and list(c) == sorted(set(c)),
                "episode_counts", "two or more increasing counts >= 1", c)
        require(self.datasets >= 2, "datasets", ">= 2", self.datasets)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        for name in ("variance_margin", "error_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> CriticSettings:
        return cls(episode_counts=(5, 20), datasets=10, repeats=2)


def _measure(estimates: Tensor, truth: Tensor) -> dict[str, float]:
    r"""Over the batches ``(datasets, states)``: variance, squared bias and mean squared error,
    each averaged over the states."""
    return {"variance": estimates.var(0).mean().item(),
            "bias2": (estimates.mean(0) - truth).square().mean().item(),
            "error": (estimates - truth).square().mean().item()}


def _repeat(ctx: RunContext, s: CriticSettings, r: int, truth: Tensor) -> dict:
    def measure() -> dict:
        g, out = ctx.generator(f"r{r}/episodes"), {}
        for n in s.episode_counts:
            batches = [[random_walk(g) for _ in range(n)] for _ in range(s.datasets)]
            out[str(n)] = {k: _measure(torch.stack([f(b, STATES, initial=INITIAL)
                                                    for b in batches]), truth)
                           for k, f in CRITICS.items()}
        return out

    with ctx.trial(f"r{r}") as t:
        out = t.record("critics", measure)
    first = out[str(s.episode_counts[0])]
    ctx.log(trial=f"r{r}", variance_mc=first["mc"]["variance"], variance_td=first["td"]["variance"])
    return out


def judge_critics(m: dict, s: CriticSettings) -> Evidence:
    runs, few, many = m["runs"], str(s.episode_counts[0]), str(s.episode_counts[-1])

    def log_ratio(a: tuple[str, str, str], b: tuple[str, str, str]) -> list[float]:
        return [torch.tensor(r[a[0]][a[1]][a[2]] / r[b[0]][b[1]][b[2]]).log10().item()
                for r in runs]

    checks = [Check(f"TD's estimates vary less than MC's ({few} episodes)",
                    "log10 of the estimates' variance over batches, TD / MC",
                    log_ratio((few, "td", "variance"), (few, "mc", "variance")), below=True,
                    margin=s.variance_margin, reason="about a fifth lower (variance_margin)")]
    checks += [Check(f"{k.upper()}'s estimates approach the true values as episodes accumulate",
                     f"log10 of the mean squared error, {many} / {few} episodes",
                     log_ratio((many, k, "error"), (few, k, "error")), below=True,
                     margin=s.error_margin, reason="half the error or less (error_margin)")
               for k in CRITICS]
    example = m["lecture_example"]
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "the lecture's eight episodes: V(s_b) = 3/4 for both; V(s_a) = 0 by MC, 3/4 by TD",
        f"MC V(s_a), V(s_b) = {example['mc'][0]:.4g}, {example['mc'][1]:.4g}; "
        f"TD = {example['td'][0]:.4g}, {example['td'][1]:.4g}")])


@experiment(name="critic-mc-vs-td", lecture=LECTURE, judge=judge_critics,
            claim="A critic learnt by MC or by TD from the same episodes approaches the true "
                  "values as episodes accumulate; TD's estimates vary less than MC's; on the "
                  "lecture's eight episodes the two disagree.")
def critic_mc_vs_td_experiment(s: CriticSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    truth = true_values()
    runs = [_repeat(ctx, s, r, truth) for r in range(s.repeats)]
    _plot(ctx, s, runs)
    rows = [[n, k.upper(), *(f"{sum(r[str(n)][k][q] for r in runs) / len(runs):.5f}"
                             for q in ("variance", "bias2", "error"))]
            for n in s.episode_counts for k in CRITICS]
    return Result(metrics={"runs": runs, "true_values": truth.tolist(),
                           "lecture_example": lecture_example()}, tables=[table(
        "Mean over the repeats (variance and squared bias over the batches, averaged over "
        "the five states)", ["episodes", "critic", "variance", "bias²", "mean squared error"],
        rows)])


def _plot(ctx: RunContext, s: CriticSettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(11, 3.8))
    for ax, q, label in zip(axes, ("variance", "bias2"), ("variance", "squared bias"),
                            strict=True):
        for k in CRITICS:
            ax.plot(s.episode_counts, [sum(r[str(n)][k][q] for r in runs) / len(runs)
                                       for n in s.episode_counts], "o-", label=k.upper())
        ax.set(xscale="log", yscale="log", xlabel="episodes per batch",
               title=f"{label} of V's estimates (mean over states and repeats)")
        ax.legend()
    ctx.save_figure(fig, "bias-variance", "Variance and squared bias of the MC and TD critics "
                    "on the SYNTHETIC random walk, against the episodes per batch")
