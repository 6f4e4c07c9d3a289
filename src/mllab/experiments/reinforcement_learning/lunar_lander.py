r"""``lunar-lander``: the homework's environment (homework 12): policy gradient with a baseline
(version 3 of :math:`A_t`, the "medium" level) against advantage actor-critic (the "boss"
level); the actor-critic ends with the higher return.

gymnasium's ``LunarLander-v3`` (``gymnasium[box2d]``; 8 numbers observed, 4 actions, episodes
cut at 1000 steps; 200 counts as solved). Both learners are one
:class:`mllab.rl.ActorCritic` (a shared trunk of two tanh layers of 64, a policy head and a
value head; the same initial weights for both within a repeat), Adam (``lr``),
:math:`\gamma` = 0.99, ``updates`` updates on 5 whole episodes each:

- **policy gradient**, :func:`mllab.rl.policy_gradient_step` of version 3 on the network's
  trunk and policy head: :math:`A_t = G'_t - b` with :math:`b` the batch's mean return;
- **actor-critic**, :func:`mllab.rl.actor_critic_step` with the paper's 5-step TD target
  (A2C, arXiv:1602.01783), as in ``actor-critic``.

Measured per learner and repeat: the **final return**, the mean over ``eval_episodes`` fresh
episodes of the final actor (actions sampled; the same starts for both), with its spread over
those episodes; a random policy on the same starts as the floor. The settings were fixed
before the first run, from the ``actor-critic`` experiment's; this experiment was not piloted.
A figure draws one landing of each final actor: its path in the plane of the pad.
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
    ActorCritic,
    ActorCriticConfig,
    ActorCriticState,
    PolicyGradientConfig,
    PolicyGradientState,
    actor_critic_step,
    evaluate,
    policy_gradient_step,
    sampled,
)
from mllab.train import LoopConfig, episode_seed

LEARNERS = {"policy-gradient": "policy gradient, version 3", "actor-critic": "actor-critic (A2C)"}
SOLVED, MAX_STEPS = 200.0, 1000


@dataclass
class LunarLanderSettings(Settings):
    updates: int = 100
    """Updates per learner on 5 episodes each (>= 1): 500 episodes."""
    lr: float = 3e-3
    """Adam's learning rate, both learners (> 0), as in ``actor-critic``."""
    eval_episodes: int = 100
    """Fresh episodes of each final actor (>= 1): the homework's 100."""
    repeats: int = 5
    """Independent repeats: initial weights, actions, resets (>= 1)."""
    return_margin: float = 20.0
    """Least mean gap in final return, actor-critic minus policy gradient: a tenth of the 200
    that counts as solved."""

    def validate(self) -> None:
        for name in ("updates", "eval_episodes", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.return_margin >= 0, "return_margin", ">= 0", self.return_margin)

    @classmethod
    def quick(cls) -> LunarLanderSettings:
        return cls(updates=2, eval_episodes=3, repeats=2)


@torch.no_grad()
def landing(act, env, *, seed: int) -> list[list[float]]:
    r"""One episode's path: the lander's :math:`(x, y)` from its start until it ends."""
    obs, _ = env.reset(seed=seed)
    path = [obs[:2].tolist()]
    for _ in range(MAX_STEPS):
        obs, _, terminated, truncated, _ = env.step(act(torch.as_tensor(obs)))
        path.append(obs[:2].tolist())
        if terminated or truncated:
            break
    return path


def _learn(ctx: RunContext, s: LunarLanderSettings, learner: str, r: int, env) -> dict:
    name = f"{learner}-r{r}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for both learners
        net = ActorCritic(8, 4, hidden=64)
    seed, generator = ctx.seed_for(f"{name}/episodes"), ctx.generator(f"{name}/actions")
    if learner == "policy-gradient":
        actor = nn.Sequential(net.trunk, net.policy)  # the value head is left out
        state = PolicyGradientState(policy=actor, optimizer=torch.optim.Adam(
            actor.parameters(), lr=s.lr), generator=generator, env=env)
        step = policy_gradient_step(PolicyGradientConfig(version=3, seed=seed,
                                                         max_steps=MAX_STEPS))
    else:
        state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=s.lr),
                                 generator=generator, env=env)
        step = actor_critic_step(ActorCriticConfig(critic="td", n=5, seed=seed,
                                                   max_steps=MAX_STEPS))
    with ctx.trial(name) as t:
        t.run(step, state, LoopConfig(steps=s.updates), fingerprint=s.to_dict())
    act = sampled(net.logits, ctx.generator(f"{name}/evaluation"))
    returns = evaluate(act, env, seed=ctx.seed_for(f"r{r}/evaluation"),
                       episodes=s.eval_episodes, max_steps=MAX_STEPS)
    return {"final_return": returns.mean().item(), "final_sd": returns.std().item()
            if s.eval_episodes > 1 else 0.0, "returns": state.returns,
            "landing": landing(act, env, seed=episode_seed(ctx.seed_for(f"r{r}/evaluation"),
                                                           0))}


def _random(ctx: RunContext, s: LunarLanderSettings, r: int, env) -> float:
    g = ctx.generator(f"random-r{r}/actions")
    act = lambda obs: int(torch.randint(4, (), generator=g))  # noqa: E731
    return evaluate(act, env, seed=ctx.seed_for(f"r{r}/evaluation"), episodes=s.eval_episodes,
                    max_steps=MAX_STEPS).mean().item()


def judge_lunar_lander(m: dict, s: LunarLanderSettings) -> Evidence:
    runs = m["runs"]

    def of(learner: str) -> list[float]:
        return [r[learner]["final_return"] for r in runs]

    mean = {k: sum(of(k)) / len(runs) for k in LEARNERS}
    floor = sum(r["random"] for r in runs) / len(runs)
    return Evidence(checks=[
        Check("actor-critic ends with a higher return than policy gradient with a baseline",
              "final return over fresh episodes, actor-critic minus policy gradient",
              paired(of("actor-critic"), of("policy-gradient")), margin=s.return_margin,
              reason="a tenth of the 200 that counts as solved (return_margin)"),
    ], notes=[f"mean final return: policy gradient {mean['policy-gradient']:.1f}, "
              f"actor-critic {mean['actor-critic']:.1f}, a random policy {floor:.1f}; "
              f"{SOLVED:g} counts as solved"])


@experiment(name="lunar-lander", lecture=LECTURE, judge=judge_lunar_lander,
            claim="On the homework's LunarLander, advantage actor-critic ends with a higher "
                  "return over 100 fresh episodes than policy gradient with a baseline "
                  "(version 3).")
def lunar_lander_experiment(s: LunarLanderSettings, ctx: RunContext) -> Result:
    import gymnasium as gym

    ctx.plan(trials=s.repeats * len(LEARNERS))
    env = gym.make("LunarLander-v3")
    runs = [{**{k: _learn(ctx, s, k, r, env) for k in LEARNERS}, "random": _random(ctx, s, r, env)}
            for r in range(s.repeats)]
    _plot(ctx, runs)
    rows = [[r, *(f"{x[k]['final_return']:.1f} ± {x[k]['final_sd']:.1f}" for k in LEARNERS),
             f"{x['random']:.1f}"] for r, x in enumerate(runs)]
    summary = [{**{k: {key: v for key, v in x[k].items() if key not in ("returns", "landing")}
                   for k in LEARNERS}, "random": x["random"]} for x in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        f"Final return over {s.eval_episodes} fresh episodes (mean ± sd over the episodes)",
        ["repeat", *LEARNERS.values(), "random policy"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    for i, k in enumerate(LEARNERS):
        for r in runs:
            ax.plot(r[k]["returns"], color=f"C{i}", alpha=0.5, linewidth=0.6,
                    label=LEARNERS[k] if r is runs[0] else None)
    ax.axhline(SOLVED, color="0.5", linestyle="--", linewidth=0.8)
    ax.set(xlabel="episode", ylabel="episode return", title="LunarLander-v3: one line per repeat")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning", f"Episode returns while learning, each repeat (dashed: "
                    f"{SOLVED:g}, solved)")
    fig, ax = new_figure(size=(6, 4))
    for i, k in enumerate(LEARNERS):
        path = torch.tensor(runs[0][k]["landing"])  # (steps, 2): x, y
        ax.plot(path[:, 0], path[:, 1], color=f"C{i}", label=LEARNERS[k])
        ax.plot(path[-1, 0], path[-1, 1], "o", color=f"C{i}")
    ax.plot([-0.2, 0.2], [0, 0], color="k", linewidth=3, label="landing pad")
    ax.set(xlabel="x", ylabel="y", title="One landing of each final actor (repeat 0)")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "landing", "The lander's path from its start to the episode's end "
                    "(dot), repeat 0, first evaluation start")
