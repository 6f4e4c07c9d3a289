r"""``q-learning-vs-sarsa``: on the cliff, SARSA learns the safe path and Q-learning the
optimal one along the edge, while Q-learning's online returns during learning are the lower
(Sutton and Barto, *Reinforcement Learning: An Introduction*, 2nd ed., Example 6.6: its
exploration keeps walking it off the cliff).

gymnasium's ``CliffWalking-v1``: a 4×12 grid, start at the bottom left, goal at the bottom
right, the cells between them a cliff (reward -100 and back to the start); every move
costs -1. Both learners (:func:`mllab.rl.td_control_step`) with the textbook's settings:
:math:`\epsilon = 0.1`-greedy, :math:`\alpha = 0.5`, :math:`\gamma = 1`, ``episodes`` = 500,
:math:`Q = 0` at the start; ``repeats`` independent pairs, each episode's reset seed derived
from the run's seed.

Measured per repeat: the **online return**, the mean return of the episodes while learning,
over the last half of them (the textbook's figure compares the two after their first
episodes); the **greedy path** from the start (:math:`\arg\max_a Q`, at most 100 moves), its
length and its **clearance**, the fewest rows between it and the cliff over its cells above
the cliff (0: along the edge, as the optimal path of 13 moves), -1 for a path that does not
reach the goal (no path to the goal is no safe path: it counts against the claim).

One pilot run of each learner at seed 0 (500 episodes, these settings) was seen before the
checks were written; the settings are the textbook's and were not changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.reinforcement_learning import LECTURE
from mllab.rl import METHODS, TDControlConfig, TDControlState, greedy_path, td_control_step
from mllab.train import LoopConfig

ROWS, COLS = 4, 12
START, GOAL = 36, 47
SHORTEST = 13
r"""Moves of the optimal path: up, 11 right along the edge, down."""
LABELS = {"sarsa": "SARSA", "q_learning": "Q-learning"}


@dataclass
class CliffSettings(Settings):
    episodes: int = 500
    """Episodes of learning per learner (>= 2), the textbook's."""
    epsilon: float = 0.1
    r""":math:`\epsilon` of the :math:`\epsilon`-greedy behaviour (in [0, 1]), the textbook's."""
    alpha: float = 0.5
    r"""Step size :math:`\alpha` (in (0, 1]), the textbook's."""
    repeats: int = 10
    """Independent pairs of learners (>= 1)."""
    return_margin: float = 5.0
    """Least mean gap in online return, SARSA minus Q-learning: five moves' cost (the
    textbook's gap is about 25)."""

    def validate(self) -> None:
        require(self.episodes >= 2, "episodes", ">= 2", self.episodes)
        require(self.repeats >= 1, "repeats", ">= 1", self.repeats)
        require(0 <= self.epsilon <= 1, "epsilon", "in [0, 1]", self.epsilon)
        require(0 < self.alpha <= 1, "alpha", "in (0, 1]", self.alpha)
        require(self.return_margin >= 0, "return_margin", ">= 0", self.return_margin)

    @classmethod
    def quick(cls) -> CliffSettings:
        return cls(episodes=100, repeats=2)


def clearance(path: list[int]) -> int:
    r"""The fewest rows between the path and the cliff over its cells above the cliff
    (columns 1-10, rows 0-2; row 2 borders the cliff: 0); -1 if the path does not end at the
    goal."""
    if path[-1] != GOAL:
        return -1
    return min(ROWS - 2 - cell // COLS for cell in path
               if 1 <= cell % COLS <= COLS - 2 and cell // COLS < ROWS - 1)


def _learn(ctx: RunContext, s: CliffSettings, method: str, r: int) -> dict:
    import gymnasium as gym

    name = f"{method}-r{r}"
    env = gym.make("CliffWalking-v1")
    state = TDControlState(Q=torch.zeros(ROWS * COLS, 4, dtype=torch.float64),
                           generator=ctx.generator(f"{name}/exploration"), env=env)
    config = TDControlConfig(method=method, seed=ctx.seed_for(f"{name}/episodes"),
                             alpha=s.alpha, epsilon=s.epsilon, gamma=1.0)
    with ctx.trial(name) as t:
        t.run(td_control_step(config), state, LoopConfig(steps=s.episodes),
              fingerprint=s.to_dict())
    path = greedy_path(state.Q, env, seed=0)
    half = state.returns[len(state.returns) // 2:]
    return {"online_return": sum(half) / len(half), "returns": state.returns,
            "path": path, "length": len(path) - 1, "reaches_goal": path[-1] == GOAL,
            "clearance": clearance(path)}


def judge_cliff(m: dict, s: CliffSettings) -> Evidence:
    runs = m["runs"]

    def of(method: str, key: str) -> list[float]:
        return [float(r[method][key]) for r in runs]

    return Evidence(checks=[
        Check("Q-learning's online returns during learning are lower than SARSA's",
              "mean return over the last half of the episodes, SARSA minus Q-learning",
              paired(of("sarsa", "online_return"), of("q_learning", "online_return")),
              margin=s.return_margin, reason="five moves' cost; the textbook's gap is about 25 "
              "(return_margin)"),
        Check("Q-learning learns the optimal path, along the edge of the cliff",
              "moves of Q-learning's greedy path from the start", of("q_learning", "length"),
              threshold=SHORTEST + 1, below=True, margin=0.5,
              reason="moves are whole: the shortest path has 13, any other at least 15"),
        Check("SARSA learns the safe path, away from the cliff",
              "rows between SARSA's greedy path and the cliff", of("sarsa", "clearance"),
              margin=0.5, reason="rows are whole: the optimal path's 0 against at least 1 "
              "(-1: the greedy path does not reach the goal)"),
    ], notes=[f"greedy paths that reach the goal: SARSA {sum(of('sarsa', 'reaches_goal')):.0f}"
              f", Q-learning {sum(of('q_learning', 'reaches_goal')):.0f} of {len(runs)}"])


@experiment(name="q-learning-vs-sarsa", lecture=LECTURE, judge=judge_cliff,
            claim="On the cliff, SARSA learns the safe path and Q-learning the optimal one "
                  "along the edge, and Q-learning's online returns while learning are lower "
                  "(the textbook's Example 6.6).")
def q_learning_vs_sarsa_experiment(s: CliffSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(METHODS))
    runs = []
    for r in range(s.repeats):
        runs.append({method: _learn(ctx, s, method, r) for method in METHODS})
        ctx.log(trial=f"r{r}", **{f"online_return_{k}": v["online_return"]
                                  for k, v in runs[-1].items()})
    _plot(ctx, runs)
    rows = [[LABELS[k], f"{sum(r[k]['online_return'] for r in runs) / len(runs):.1f}",
             f"{sum(r[k]['length'] for r in runs) / len(runs):.1f}",
             f"{sum(r[k]['clearance'] for r in runs) / len(runs):.1f}",
             f"{sum(r[k]['reaches_goal'] for r in runs)}/{len(runs)}"] for k in METHODS]
    summary = [{k: {key: v for key, v in x.items() if key not in ("returns", "path")}
                for k, x in r.items()} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        "Mean over the repeats", ["learner", "online return (last half)", "greedy path moves",
                                  "rows from the cliff", "greedy path reaches the goal"],
        rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, (ax, grid) = new_figure(ncols=2, size=(12, 3.8))
    for k in METHODS:
        mean = torch.tensor([r[k]["returns"] for r in runs]).mean(0)  # (episodes,)
        window = min(10, len(mean))
        smooth = mean.unfold(0, window, 1).mean(1)  # (episodes - window + 1,)
        ax.plot(range(window, len(mean) + 1), smooth, label=LABELS[k])
    ax.set(xlabel="episode", ylabel="return (mean over repeats, 10-episode average)",
           ylim=(-120, 0), title="Online returns while learning")
    ax.legend()
    grid.add_patch(_rectangle(1, COLS - 1))
    for k, offset in zip(METHODS, (-0.1, 0.1), strict=True):
        cells = runs[0][k]["path"][:40]
        grid.plot([c % COLS for c in cells], [c // COLS + offset for c in cells], "-o",
                  markersize=3, label=f"{LABELS[k]} greedy path")
    grid.set(xlim=(-0.5, COLS - 0.5), ylim=(ROWS - 0.5, -0.5), aspect="equal",
             title="Greedy paths, repeat 0 (start S, goal G, the cliff grey)")
    grid.text(0, ROWS - 1, "S", ha="center", va="center")
    grid.text(COLS - 1, ROWS - 1, "G", ha="center", va="center")
    grid.legend(fontsize=7, loc="upper right")
    ctx.save_figure(fig, "cliff", "Online returns of both learners and their greedy paths "
                    "after learning (CliffWalking-v1)")


def _rectangle(first: int, last: int):
    from matplotlib.patches import Rectangle

    return Rectangle((first - 0.5, ROWS - 1.5), last - first, 1, color="0.8")
