r"""``policy-gradient-versions``: the lecture's versions of :math:`A_t` on a task whose reward
comes late (CartPole: +1 for every step the pole stays up, so what an action causes shows
only in the steps after it): the immediate reward (version 0) cannot tell a good action from a
bad one, the cumulated and discounted returns (versions 1, 2) can; and when every reward is
positive a baseline (version 3) lowers the variance of the gradient estimate, since without
one every sampled action's probability is raised.

gymnasium's ``CartPole-v1`` (episodes end at 500 steps). The actor: an MLP 4 → 32 (tanh) → 2
action logits, the same initial weights for the four versions within a repeat; Adam
(``lr``); ``updates`` updates of :func:`mllab.rl.policy_gradient_step` on 5 whole episodes
each; :math:`\gamma` = 0.99; version 3's baseline the batch's mean :math:`G'_t`.

Measured per version and repeat: the **evaluation return**, the mean return of
``eval_episodes`` fresh episodes of the final actor (actions sampled, as in training); the
learning curve. Per repeat, at the initial actor: the **gradient variance**, the total
variance (summed over the parameters) of the gradient estimate from ``variance_batches``
batches of 5 episodes, each batch weighted by version 2 and by version 3 (the same episodes:
a paired comparison).
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
    VERSIONS,
    PolicyGradientConfig,
    PolicyGradientState,
    collect_episode,
    episode_weights,
    evaluate,
    policy_gradient_loss,
    policy_gradient_step,
    sampled,
)
from mllab.train import LoopConfig, episode_seed

EPISODES = 5
r"""Episodes per update (and per batch of the variance estimate)."""
LABELS = {0: "v0: r_t", 1: "v1: G_t", 2: "v2: G'_t (γ = 0.99)", 3: "v3: G'_t − b"}


@dataclass
class VersionsSettings(Settings):
    updates: int = 60
    """Updates per learner (>= 1), 300 episodes."""
    lr: float = 1e-2
    """Adam's learning rate (> 0)."""
    eval_episodes: int = 50
    """Fresh episodes of each final actor (>= 1): a mean over many, not a lucky few."""
    variance_batches: int = 100
    """Batches of 5 episodes for each gradient-variance estimate (>= 2)."""
    repeats: int = 5
    """Independent repeats: initial weights, actions, resets (>= 1)."""
    return_margin: float = 50.0
    """Least mean gap in evaluation return for "learns more": a tenth of the 500 a perfect
    actor scores."""
    baseline_margin: float = 25.0
    """Least mean gap in evaluation return, version 3 minus version 2: a twentieth of 500."""
    variance_margin: float = 0.1
    """How far below 0 the log10 ratio of the gradient variances (with / without the
    baseline) must lie: about a fifth lower (10^-0.1 = 0.79)."""

    def validate(self) -> None:
        for name, least in (("updates", 1), ("eval_episodes", 1), ("variance_batches", 2),
                            ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("return_margin", "baseline_margin", "variance_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> VersionsSettings:
        return cls(updates=4, eval_episodes=5, variance_batches=5, repeats=2)


def _actor(ctx: RunContext, r: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for every version
        return nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 2))


def _gradient(actor: nn.Module, episodes, weights) -> torch.Tensor:
    actor.zero_grad(set_to_none=True)
    policy_gradient_loss(actor, episodes, weights).backward()
    return torch.cat([p.grad.flatten() for p in actor.parameters()])  # (parameters,)


def gradient_variances(actor: nn.Module, env, *, batches: int, seed: int,
                       generator: torch.Generator) -> dict[str, float]:
    r"""Total variance of the gradient estimate over ``batches`` batches of 5 episodes of
    ``actor``, weighted by version 2 and by version 3 on the same episodes."""
    grads = {2: [], 3: []}
    for b in range(batches):
        episodes = [collect_episode(actor, env, seed=episode_seed(seed, b * EPISODES + i),
                                    generator=generator) for i in range(EPISODES)]
        for version in grads:
            weights = episode_weights(episodes, PolicyGradientConfig(version=version, seed=seed))
            grads[version].append(_gradient(actor, episodes, weights))
    return {f"v{v}": torch.stack(g).var(0).sum().item() for v, g in grads.items()}


def _learn(ctx: RunContext, s: VersionsSettings, version: int, r: int, env) -> dict:
    name = f"v{version}-r{r}"
    actor = _actor(ctx, r)
    state = PolicyGradientState(policy=actor, optimizer=torch.optim.Adam(actor.parameters(),
                                                                         lr=s.lr),
                                generator=ctx.generator(f"{name}/actions"), env=env)
    config = PolicyGradientConfig(version=version, seed=ctx.seed_for(f"{name}/episodes"),
                                  episodes=EPISODES)
    with ctx.trial(name) as t:
        t.run(policy_gradient_step(config), state, LoopConfig(steps=s.updates),
              fingerprint=s.to_dict())
    evaluation = evaluate(sampled(actor, ctx.generator(f"{name}/evaluation")), env,
                          seed=ctx.seed_for(f"{name}/evaluation"), episodes=s.eval_episodes)
    return {"eval_return": evaluation.mean().item(),
            "eval_sd": evaluation.std().item() if len(evaluation) > 1 else 0.0,
            "returns": state.returns}


def _repeat(ctx: RunContext, s: VersionsSettings, r: int) -> dict:
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    with ctx.trial(f"variance-r{r}") as t:
        variance = t.record("variances", lambda: gradient_variances(
            _actor(ctx, r), env, batches=s.variance_batches,
            seed=ctx.seed_for(f"r{r}/variance"), generator=ctx.generator(f"r{r}/variance")))
    ctx.log(trial=f"variance-r{r}", **variance)
    out = {"variance": variance, "versions": {}}
    for version in VERSIONS:
        out["versions"][f"v{version}"] = _learn(ctx, s, version, r, env)
    return out


def judge_versions(m: dict, s: VersionsSettings) -> Evidence:
    runs = m["runs"]

    def ret(v: int) -> list[float]:
        return [r["versions"][f"v{v}"]["eval_return"] for r in runs]

    log_ratio = [torch.tensor(r["variance"]["v3"] / r["variance"]["v2"]).log10().item()
                 for r in runs]
    return Evidence(checks=[
        Check("with the reward delayed, the cumulated return (version 1) learns more than the "
              "immediate reward (version 0)", "evaluation return, version 1 minus version 0",
              paired(ret(1), ret(0)), margin=s.return_margin,
              reason="a tenth of a perfect actor's 500 (return_margin)"),
        Check("the discounted return (version 2) learns more than the immediate reward",
              "evaluation return, version 2 minus version 0", paired(ret(2), ret(0)),
              margin=s.return_margin, reason="a tenth of a perfect actor's 500 (return_margin)"),
        Check("when every reward is positive, a baseline lowers the gradient's variance",
              "log10 of the gradient's total variance, version 3 / version 2, same episodes",
              log_ratio, threshold=0.0, below=True, margin=s.variance_margin,
              reason="about a fifth lower (variance_margin)"),
        Check("with a baseline the actor learns more in the same episodes",
              "evaluation return, version 3 minus version 2", paired(ret(3), ret(2)),
              margin=s.baseline_margin, reason="a twentieth of 500 (baseline_margin)"),
    ])


@experiment(name="policy-gradient-versions", lecture=LECTURE, judge=judge_versions,
            claim="On CartPole, whose reward comes late, weighing an action by the return that "
                  "follows it (versions 1, 2) learns where the immediate reward (version 0) "
                  "cannot; with every reward positive, a baseline (version 3) lowers the "
                  "gradient's variance and learns more.")
def policy_gradient_versions_experiment(s: VersionsSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (len(VERSIONS) + 1))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs)
    def mean(values) -> float:
        values = list(values)
        return sum(values) / len(values)

    rows = [[LABELS[v], f"{mean(r['versions'][f'v{v}']['eval_return'] for r in runs):.1f}",
             f"{mean(r['versions'][f'v{v}']['eval_sd'] for r in runs):.1f}",
             f"{mean(r['variance'][f'v{v}'] for r in runs):.4g}" if v in (2, 3) else ""]
            for v in VERSIONS]
    summary = [{"variance": r["variance"],
                "versions": {k: {key: x for key, x in v.items() if key != "returns"}
                             for k, v in r["versions"].items()}} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        f"Mean over the repeats ({s.eval_episodes} evaluation episodes per actor)",
        ["A_t", "evaluation return", "its sd over episodes",
         "gradient variance at the initial actor"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    for v in VERSIONS:
        curves = torch.tensor([r["versions"][f"v{v}"]["returns"] for r in runs])  # (R, E)
        per_update = curves.view(len(runs), -1, EPISODES).mean(2)  # (R, updates)
        mean = per_update.mean(0)
        ax.plot(range(1, len(mean) + 1), mean, label=LABELS[v])
        if len(runs) > 1:
            sd = per_update.std(0)
            ax.fill_between(range(1, len(mean) + 1), mean - sd, mean + sd, alpha=0.15)
    ax.set(xlabel="update (5 episodes each)", ylabel="episode return (mean ± sd over repeats)",
           title="CartPole-v1: the four versions of A_t")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning", "Learning curves of the four versions (mean and sd over "
                    "the repeats)")
