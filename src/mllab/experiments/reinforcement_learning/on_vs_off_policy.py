r"""``on-vs-off-policy``: data collected by one policy used once (on-policy) or reused for
several epochs with importance sampling, alone or with PPO's clip (arXiv:1707.06347): reuse
reaches a return in fewer environment steps, and without the clip the learner drifts far from
the policy that collected the data, which costs it.

gymnasium's ``CartPole-v1``. Three learners of :func:`mllab.rl.ppo_step`, the same in
everything but how a batch is used: one :class:`mllab.rl.ActorCritic` (a shared trunk of two
tanh layers of 64; the same initial weights for the three within a repeat), Adam (``lr``),
batches of at least ``rollout_steps`` steps of whole episodes, GAE's advantages
(:math:`\gamma = 0.98`, :math:`\lambda = 0.8`, RL-Zoo's CartPole values), :math:`c_V` = 0.5:

- **once**: one update on the whole batch, :math:`r_t = 1` (the on-policy policy gradient);
- **importance**: ``epochs`` passes of minibatches of 64, the importance-sampling objective
  :math:`\hat{\mathbb E}_t[r_t \hat A_t]` alone;
- **clip**: the same passes on PPO's clipped surrogate (Eq. 7, :math:`\epsilon` = 0.2).

Measured per learner and repeat, over ``batches`` batches: the **steps to reach** a batch
whose mean episode return is at least ``target`` (a learner that never does counts
``batches`` × ``rollout_steps``, the fewest steps any learner can take, which understates its
gap); the **drift**, the mean over its updates of
:math:`\mathrm{KL}[\pi_{\theta_\text{old}} \| \pi_\theta]` on the batch's states after the
update; the **evaluation return**, the mean of ``eval_episodes`` fresh episodes of the final
actor acting greedily. The settings are stated choices made before the first full run: a
pilot of the clip learner alone (seed 0, 60,000 steps) reached a batch of 500 at about 43,000
steps (batch 70); the other learners were not piloted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.reinforcement_learning import LECTURE
from mllab.rl import ActorCritic, ActorCriticState, PPOConfig, evaluate, greedy, ppo_step
from mllab.train import LoopConfig

LEARNERS = {"once": "used once", "importance": "reused, importance sampling",
            "clip": "reused, PPO's clip"}


@dataclass
class OnVsOffPolicySettings(Settings):
    batches: int = 100
    """Batches per learner (>= 1): beyond the 70 a pilot clip learner took to reach 500."""
    rollout_steps: int = 512
    """Environment steps per batch at least (>= 1)."""
    epochs: int = 10
    """Passes over each batch when it is reused (>= 2), PPO's usual 10."""
    lr: float = 1e-3
    """Adam's learning rate, every learner (> 0)."""
    target: float = 200.0
    """The return to reach (> 0): CartPole-v0's solved level, the batch's mean episode return."""
    eval_episodes: int = 100
    """Fresh episodes of each final actor (>= 1)."""
    repeats: int = 5
    """Independent repeats: initial weights, actions, minibatches, resets (>= 1)."""
    steps_margin: float = 5_000.0
    """Least mean gain in steps to reach the target, once minus clip: ten batches."""
    drift_margin: float = 0.3
    """Least mean log10 of the drift, importance sampling alone over the clip: a factor of 2."""
    return_margin: float = 25.0
    """Least mean gap in evaluation return, clip minus importance sampling alone: a twentieth
    of 500."""

    def validate(self) -> None:
        for name in ("batches", "rollout_steps", "eval_episodes", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.epochs >= 2, "epochs", ">= 2", self.epochs)
        for name in ("lr", "target"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("steps_margin", "drift_margin", "return_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> OnVsOffPolicySettings:
        return cls(batches=4, rollout_steps=256, epochs=2, eval_episodes=5, repeats=2)


def steps_to_reach(curve: list[dict], target: float, least: int) -> tuple[int, bool]:
    r"""The environment steps after the first batch whose mean return reaches ``target``;
    ``least`` and False if none does."""
    for point in curve:
        if point["episode_return"] >= target:
            return point["steps"], True
    return least, False


def _learn(ctx: RunContext, s: OnVsOffPolicySettings, learner: str, r: int, env) -> dict:
    name = f"{learner}-r{r}"
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for every learner
        net = ActorCritic(4, 2, hidden=64)
    state = ActorCriticState(net=net, optimizer=torch.optim.Adam(net.parameters(), lr=s.lr),
                     generator=ctx.generator(f"{name}/draws"), env=env)
    once = learner == "once"
    config = PPOConfig(seed=ctx.seed_for(f"{name}/episodes"),
                       objective="importance" if learner == "importance" else "clip",
                       rollout_steps=s.rollout_steps, epochs=1 if once else s.epochs,
                       minibatch_size=s.rollout_steps + 500 if once else 64, gamma=0.98,
                       lam=0.8)  # once: one minibatch holds the batch (episodes <= 500 steps)
    with ctx.trial(name) as t:
        history = t.run(ppo_step(config), state, LoopConfig(steps=s.batches),
                        fingerprint=s.to_dict()).history
    evaluation = evaluate(greedy(net.logits), env, seed=ctx.seed_for(f"r{r}/evaluation"),
                          episodes=s.eval_episodes)
    curve = [{k: h[k] for k in ("steps", "episode_return", "kl", "clip_fraction")}
             for h in history]
    steps, reached = steps_to_reach(curve, s.target, s.batches * s.rollout_steps)
    return {"eval_return": evaluation.mean().item(), "steps_to_reach": steps,
            "reached": reached, "drift": sum(p["kl"] for p in curve) / len(curve),
            "curve": curve}


def judge_on_vs_off_policy(m: dict, s: OnVsOffPolicySettings) -> Evidence:
    runs = m["runs"]

    def of(learner: str, key: str) -> list[float]:
        return [float(r[learner][key]) for r in runs]

    reached = {k: int(sum(of(k, "reached"))) for k in LEARNERS}
    return Evidence(checks=[
        Check("reusing each batch with PPO's clip reaches the return in fewer environment "
              "steps than using it once", "steps to reach the target, once minus clip",
              paired(of("once", "steps_to_reach"), of("clip", "steps_to_reach")),
              margin=s.steps_margin, reason="ten batches (steps_margin)"),
        Check("without the clip the learner drifts far from the policy that collected the data",
              "log10 of the mean KL[old || new] after an update, importance sampling alone / "
              "clip", [math.log10(a / b) for a, b in zip(of("importance", "drift"),
                                                         of("clip", "drift"), strict=True)],
              margin=s.drift_margin, reason="a factor of 2 (drift_margin)"),
        Check("and the drift costs it: the clipped learner ends better",
              "evaluation return, clip minus importance sampling alone",
              paired(of("clip", "eval_return"), of("importance", "eval_return")),
              margin=s.return_margin, reason="a twentieth of 500 (return_margin)"),
    ], notes=[f"reached {s.target:g} within the budget: " + ", ".join(
        f"{LEARNERS[k]} {reached[k]}" for k in LEARNERS) + f" of {len(runs)} (a learner that "
        f"never does counts {s.batches * s.rollout_steps} steps, the fewest any can take)"])


@experiment(name="on-vs-off-policy", lecture=LECTURE, judge=judge_on_vs_off_policy,
            claim="On CartPole, reusing each batch of experience for several epochs with "
                  "PPO's clip reaches a return in fewer environment steps than using it once; "
                  "with importance sampling alone the learner drifts far from the policy that "
                  "collected the data and ends worse.")
def on_vs_off_policy_experiment(s: OnVsOffPolicySettings, ctx: RunContext) -> Result:
    import gymnasium as gym

    ctx.plan(trials=s.repeats * len(LEARNERS))
    env = gym.make("CartPole-v1")
    runs = [{k: _learn(ctx, s, k, r, env) for k in LEARNERS} for r in range(s.repeats)]
    _plot(ctx, runs, s)
    def mean(k: str, key: str) -> float:
        return sum(float(r[k][key]) for r in runs) / len(runs)

    rows = [[LEARNERS[k], f"{mean(k, 'steps_to_reach'):.0f}",
             f"{sum(r[k]['reached'] for r in runs)}/{len(runs)}", f"{mean(k, 'drift'):.4f}",
             f"{mean(k, 'eval_return'):.1f}"] for k in LEARNERS]
    return Result(metrics={"runs": runs}, tables=[table(
        "Over the repeats (means)", ["learner", f"steps to reach {s.target:g}", "reached",
                                     "KL[old || new] after an update", "evaluation return"],
        rows)])


def _plot(ctx: RunContext, runs: list[dict], s: OnVsOffPolicySettings) -> None:
    from mllab.report import new_figure

    fig, (left, right) = new_figure(ncols=2, size=(10, 4))
    for i, k in enumerate(LEARNERS):
        for r in runs:
            steps = [p["steps"] for p in r[k]["curve"]]
            label = LEARNERS[k] if r is runs[0] else None
            left.plot(steps, [p["episode_return"] for p in r[k]["curve"]], color=f"C{i}",
                      alpha=0.6, linewidth=0.8, label=label)
            right.plot(steps, [max(p["kl"], 1e-8) for p in r[k]["curve"]], color=f"C{i}",
                       alpha=0.6, linewidth=0.8, label=label)
    left.axhline(s.target, color="0.5", linestyle="--", linewidth=0.8)
    left.set(xlabel="environment steps", ylabel="mean episode return of the batch",
             title="CartPole-v1: one line per repeat")
    right.set(xlabel="environment steps", ylabel="KL[old || new] after the update",
              yscale="log", title="How far each update moves the learner")
    left.legend(fontsize=8)
    ctx.save_figure(fig, "learning", "Returns and drift against environment steps, each repeat "
                    f"(dashed: {s.target:g})")
