r"""``ddpg-pendulum``: DDPG (Lillicrap et al., arXiv:1509.02971) carries Q-learning over to
continuous actions: on the pendulum, whose action is a torque in [-2, 2] that no
:math:`\arg\max_a` over a list can pick, it learns to swing the pendulum up and hold it.

gymnasium's ``Pendulum-v1`` (episodes of 200 steps, each reward
:math:`-(\vartheta^2 + 0.1\dot\vartheta^2 + 0.001u^2)`, so a return of 0 at best; hanging
still at the bottom costs about -2,000). :math:`\mu_\phi`: an MLP 3 → ``hidden`` → 1 (ReLU,
tanh scaled to the torque box taken from the environment); :math:`Q_\theta`: an MLP
4 → ``hidden`` → 1 on (state, torque); Adam (``lr``) for both; ``steps`` environment steps of
:func:`mllab.rl.ddpg_step`, the first ``learning_starts`` with uniform random torques, then
one update each on batches of ``batch_size`` from the replay memory, Gaussian exploration
noise (0.1 of the half-range), :math:`\tau` = 0.005, :math:`\gamma` = 0.99.

Measured per repeat, on the same ``eval_episodes`` fresh episodes (the same reset seeds for
the three policies): the **evaluation return**, the mean return of the deterministic policy
:math:`\mu_\phi(s)` at the end of training and at its initialisation, and of a random policy
(torques uniform over the box); the returns of the training episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.reinforcement_learning import LECTURE
from mllab.rl import (
    DDPGConfig,
    DDPGState,
    DeterministicActor,
    QCritic,
    between_episodes,
    ddpg_step,
    deterministic,
    evaluate,
    target_copy,
    uniform_action,
)
from mllab.train import LoopConfig

POLICIES = ("final", "start", "random")
"""The evaluated policies: DDPG's actor after training, the same actor at initialisation, and
uniform random torques."""


@dataclass
class DDPGSettings(Settings):
    steps: int = 15_000
    """Environment steps per learner (>= 2): 75 episodes. Sized by one pilot of the learning
    curve before the full run (seed 0, one repeat, 20,000 steps, 60 s; the margin was fixed
    before it): the training returns rose from about -1,400 to about -130 by step 4,000 and
    stayed near there to 20,000; 15,000 leaves slower repeats about four times that."""
    learning_starts: int = 1_000
    """Steps of uniform random torques before the first update (>= batch_size): 5 episodes."""
    batch_size: int = 128
    """Transitions per update (>= 1): half of TD3's 256, for a single CPU core."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden widths of actor and critic (each >= 1): a quarter of TD3's 256, for a single
    CPU core; the pendulum's state has three numbers."""
    lr: float = 1e-3
    """Adam's learning rate for actor and critic (> 0): TD3's."""
    eval_episodes: int = 20
    """Fresh episodes of each evaluated policy (>= 1)."""
    repeats: int = 5
    """Independent repeats: initial weights, exploration, batches, resets (>= 1)."""
    return_margin: float = 500.0
    """Least mean gain in evaluation return for "far above": 2.5 a step over the 200 steps,
    about half of the span from a random policy (near -1,200) to one that swings up and holds
    (above -200)."""

    def validate(self) -> None:
        require(self.steps >= 2, "steps", ">= 2", self.steps)
        for name in ("batch_size", "eval_episodes", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.learning_starts >= self.batch_size, "learning_starts",
                f">= batch_size ({self.batch_size})", self.learning_starts)
        require(len(self.hidden) >= 1 and all(h >= 1 for h in self.hidden), "hidden",
                "one or more widths >= 1", self.hidden)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.return_margin >= 0, "return_margin", ">= 0", self.return_margin)

    @classmethod
    def quick(cls) -> DDPGSettings:
        r"""A smoke test with a tiny budget (400 steps, two episodes): far too little to learn,
        so its verdict says nothing about DDPG."""
        return cls(steps=400, learning_starts=100, batch_size=32, eval_episodes=2, repeats=2)


def _learn(ctx: RunContext, s: DDPGSettings, r: int, env) -> dict:
    name = f"ddpg-r{r}"
    low, high = torch.as_tensor(env.action_space.low), torch.as_tensor(env.action_space.high)
    obs, actions = env.observation_space.shape[0], len(low)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(ctx.seed_for(f"r{r}/init"))
        actor = DeterministicActor(obs, low, high, s.hidden)
        critic = QCritic(obs, actions, s.hidden)
    state = DDPGState(actor=actor, critic=critic, actor_target=target_copy(actor),
                      critic_target=target_copy(critic),
                      actor_optimizer=torch.optim.Adam(actor.parameters(), lr=s.lr),
                      critic_optimizer=torch.optim.Adam(critic.parameters(), lr=s.lr),
                      generator=ctx.generator(f"{name}/draws"), env=env)
    config = DDPGConfig(seed=ctx.seed_for(f"{name}/episodes"), batch_size=s.batch_size,
                        learning_starts=s.learning_starts)
    seed = ctx.seed_for(f"r{r}/evaluation")  # the same starts for the three policies

    def score(act) -> float:
        return evaluate(act, env, seed=seed, episodes=s.eval_episodes).mean().item()

    with ctx.trial(name) as t:
        start = t.record("start", lambda: score(deterministic(actor)))
        t.run(ddpg_step(config), state, LoopConfig(steps=s.steps), fingerprint=s.to_dict(),
              boundary=between_episodes)
    g = ctx.generator(f"r{r}/random")
    return {"final": score(deterministic(actor)), "start": start,
            "random": score(lambda _: uniform_action(low, high, g).numpy()),
            "returns": state.returns}


def judge_ddpg(m: dict, s: DDPGSettings) -> Evidence:
    runs = m["runs"]

    def ret(policy: str) -> list[float]:
        return [r[policy] for r in runs]

    reason = ("2.5 a step over 200 steps, about half of the span from a random policy to one "
              "that swings up and holds (return_margin)")
    return Evidence(checks=[
        Check("DDPG learns to swing the pendulum up: far above a random policy",
              "evaluation return, DDPG after training minus uniform random torques",
              paired(ret("final"), ret("random")), margin=s.return_margin, reason=reason),
        Check("and far above its own policy at the start of training",
              "evaluation return, DDPG after training minus the same actor at initialisation",
              paired(ret("final"), ret("start")), margin=s.return_margin, reason=reason),
    ])


@experiment(name="ddpg-pendulum", lecture=LECTURE, judge=judge_ddpg,
            claim="With continuous actions, DDPG learns to swing the pendulum up: at the end of "
                  "training its mean return over fresh evaluation episodes is far above a "
                  "random policy's, and above its own at the start of training.")
def ddpg_pendulum_experiment(s: DDPGSettings, ctx: RunContext) -> Result:
    import gymnasium as gym

    ctx.plan(trials=s.repeats)
    env = gym.make("Pendulum-v1")
    runs = []
    for r in range(s.repeats):
        runs.append(_learn(ctx, s, r, env))
        ctx.log(trial=f"r{r}", **{f"eval_{p}": runs[-1][p] for p in POLICIES})
    _plot(ctx, runs)
    rows = []
    for p in POLICIES:
        x = torch.tensor([r[p] for r in runs])
        rows.append([p, f"{x.mean():.1f}", f"{x.std():.1f}" if len(runs) > 1 else ""])
    title = f"Evaluation return ({s.eval_episodes} fresh episodes per policy) over the repeats"
    if ctx.quick:
        title += " (quick mode: a tiny budget, too short to learn)"
    summary = [{**{p: r[p] for p in POLICIES}, "episodes": len(r["returns"])} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        title, ["policy", "mean", "sd across seeds"], rows)])


def _plot(ctx: RunContext, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    for i, r in enumerate(runs):
        returns = torch.tensor(r["returns"])
        ax.plot(200 * torch.arange(1, len(returns) + 1), returns, color=f"C{i}", alpha=0.7,
                linewidth=0.9, label=f"repeat {i}: evaluated {r['final']:.0f}")
    random = sum(r["random"] for r in runs) / len(runs)
    ax.axhline(random, color="grey", linestyle="--", linewidth=1,
               label=f"random policy, evaluated {random:.0f}")
    ax.set(xlabel="environment steps", ylabel="training episode return",
           title="Pendulum-v1: DDPG, one line per repeat")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning", "Training episode returns (exploration noise included) "
                    "against environment steps for each repeat; the dashed line is the random "
                    "policy's mean evaluation return")
