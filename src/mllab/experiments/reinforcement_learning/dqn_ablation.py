r"""``dqn-ablation``: DQN's two stabilisers, the replay memory and the target network (Mnih et
al., arXiv:1312.5602 and Nature 2015, whose ablation this follows): on CartPole, DQN with both
learns better than with either removed, and much better than with neither.

gymnasium's ``CartPole-v1``. :math:`Q_\theta`: an MLP 4 → 64 → 64 → 2 (ReLU), the same
initial weights for the four variants within a repeat; Adam (``lr``); ``steps`` environment
steps of :func:`mllab.rl.dqn_step`, one update each after ``learning_starts``, on batches of
64 from a memory of the latest 10,000 transitions (without replay: the latest 64, in
order), the target refreshed every 500 steps (without it: :math:`Q_\theta` bootstraps
itself), :math:`\epsilon` from 1 to 0.05 over ``explore_steps``, :math:`\gamma` = 0.99.

Measured per variant and repeat: the **evaluation return**, the mean return of
``eval_episodes`` fresh episodes of the greedy policy :math:`\arg\max_a Q_\theta(s, a)`
(at most 500 steps each); the returns of the training episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.reinforcement_learning import LECTURE
from mllab.rl import (
    DQNConfig,
    DQNState,
    between_episodes,
    dqn_step,
    evaluate,
    greedy,
    target_copy,
)
from mllab.train import LoopConfig

VARIANTS = {"dqn": (True, True), "no-target": (True, False), "no-replay": (False, True),
            "neither": (False, False)}
r"""Variant: (replay memory, target network)."""


@dataclass
class DQNSettings(Settings):
    steps: int = 20_000
    """Environment steps per learner (>= 2)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    learning_starts: int = 1_000
    """Steps before the first update (>= 64, a batch)."""
    explore_steps: int = 10_000
    r"""Steps over which :math:`\epsilon` falls from 1 to 0.05 (>= 1)."""
    eval_episodes: int = 20
    """Fresh greedy episodes of each final Q (>= 1)."""
    repeats: int = 5
    """Independent repeats: initial weights, exploration, batches, resets (>= 1)."""
    return_margin: float = 50.0
    """Least mean gap in evaluation return for "better": a tenth of a perfect policy's 500."""
    target_margin: float = 25.0
    """Least mean gap, DQN minus DQN without the target network: a twentieth of 500 (the
    paper's gain from the target network is the smaller one)."""

    def validate(self) -> None:
        require(self.steps >= 2, "steps", ">= 2", self.steps)
        require(self.learning_starts >= 64, "learning_starts", ">= 64", self.learning_starts)
        for name in ("explore_steps", "eval_episodes", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("return_margin", "target_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> DQNSettings:
        return cls(steps=300, learning_starts=100, explore_steps=200, eval_episodes=2,
                   repeats=2)


def _learn(ctx: RunContext, s: DQNSettings, variant: str, r: int, env) -> dict:
    name = f"{variant}-r{r}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for every variant
        q = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 2))
    state = DQNState(q=q, target=target_copy(q), optimizer=torch.optim.Adam(q.parameters(),
                                                                            lr=s.lr),
                     generator=ctx.generator(f"{name}/draws"), env=env)
    replay, target = VARIANTS[variant]
    config = DQNConfig(seed=ctx.seed_for(f"{name}/episodes"), replay=replay, target=target,
                       learning_starts=s.learning_starts, explore_steps=s.explore_steps)
    with ctx.trial(name) as t:
        t.run(dqn_step(config), state, LoopConfig(steps=s.steps), fingerprint=s.to_dict(),
              boundary=between_episodes)
    evaluation = evaluate(greedy(q), env, seed=ctx.seed_for(f"{name}/evaluation"),
                          episodes=s.eval_episodes)
    return {"eval_return": evaluation.mean().item(), "returns": state.returns}


def judge_dqn(m: dict, s: DQNSettings) -> Evidence:
    runs = m["runs"]

    def ret(variant: str) -> list[float]:
        return [r[variant]["eval_return"] for r in runs]

    reason = "a tenth of a perfect policy's 500 (return_margin)"
    return Evidence(checks=[
        Check("DQN with replay and a target network beats DQN with neither",
              "evaluation return, DQN minus neither", paired(ret("dqn"), ret("neither")),
              margin=s.return_margin, reason=reason),
        Check("the replay memory helps", "evaluation return, DQN minus DQN without replay",
              paired(ret("dqn"), ret("no-replay")), margin=s.return_margin, reason=reason),
        Check("the target network helps",
              "evaluation return, DQN minus DQN without the target network",
              paired(ret("dqn"), ret("no-target")), margin=s.target_margin,
              reason="a twentieth of 500 (target_margin)"),
    ])


@experiment(name="dqn-ablation", lecture=LECTURE, judge=judge_dqn,
            claim="On CartPole, DQN with a replay memory and a target network learns better "
                  "than with either removed, and better than with neither.")
def dqn_ablation_experiment(s: DQNSettings, ctx: RunContext) -> Result:
    import gymnasium as gym

    ctx.plan(trials=s.repeats * len(VARIANTS))
    env = gym.make("CartPole-v1")
    runs = []
    for r in range(s.repeats):
        runs.append({v: _learn(ctx, s, v, r, env) for v in VARIANTS})
        ctx.log(trial=f"r{r}", **{f"eval_{v}": x["eval_return"] for v, x in runs[-1].items()})
    _plot(ctx, runs)
    rows = []
    for v, (replay, target) in VARIANTS.items():
        final = torch.tensor([r[v]["eval_return"] for r in runs])
        rows.append([v, "yes" if replay else "no", "yes" if target else "no",
                     f"{final.mean():.1f}", f"{final.std():.1f}" if len(runs) > 1 else ""])
    summary = [{v: {"eval_return": x["eval_return"], "episodes": len(x["returns"])}
                for v, x in r.items()} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        f"Evaluation return ({s.eval_episodes} greedy episodes per learner) over the repeats",
        ["variant", "replay", "target network", "mean", "sd across seeds"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    for i, v in enumerate(VARIANTS):
        for r in runs:
            returns = torch.tensor(r[v]["returns"])
            ax.plot(returns.cumsum(0), returns, color=f"C{i}", alpha=0.5, linewidth=0.8,
                    label=v if r is runs[0] else None)
    ax.set(xlabel="environment steps", ylabel="training episode return",
           title="CartPole-v1: DQN and its ablations, one line per repeat")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning", "Training episode returns against environment steps for "
                    "each variant and repeat (exploration included)")
