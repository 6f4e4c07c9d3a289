"""Four algorithms of the second half of the course, tiny, on the general loop: the shapes that
``test_loop.py`` kills with SIGKILL and resumes.

- ``gan``: two networks, two optimizers, alternating updates (fix G, update D; fix D, update G);
- ``diffusion``: t and ε drawn inside the step, an LR schedule, an EMA of the weights;
- ``dqn``: a non-serializable environment, a growing replay buffer, ε-greedy actions from a
  numpy generator, a target network copied every K steps, checkpoints at episode ends only;
- ``maml``: an inner loop of SGD steps on each task inside one meta-update, a running baseline.

Run as a script: ``python loop_shapes.py SHAPE DIR STEPS`` trains into ``DIR/checkpoints``
(a checkpoint after every step or episode), resuming from there, and writes the final state to
``DIR/final.safetensors`` and the logged lines to ``DIR/history.json``. ``LOOP_SHAPES_SLEEP``
(seconds) slows each step down so that a test can kill the process half-way.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import Tensor, nn
from torch.func import functional_call

from mllab.train import LoopConfig, LoopState, episode_seed, run_loop, seed_everything, transient

SEED = 3


def mlp(n_in: int, n_out: int, width: int = 8) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, width), nn.Tanh(), nn.Linear(width, n_out))


# ------------------------------------------------------------------------------ GAN
@dataclass
class GANState(LoopState):
    G: nn.Module
    D: nn.Module
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    generator: torch.Generator
    data: Tensor = transient()


def gan() -> GANState:
    G, D = mlp(2, 2), mlp(2, 1)
    data = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)) * 0.3 + 2.0
    return GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), lr=1e-2),
                    opt_D=torch.optim.Adam(D.parameters(), lr=1e-2),
                    generator=torch.Generator().manual_seed(SEED), data=data)


def gan_step(s: GANState) -> dict | None:
    bce = nn.functional.binary_cross_entropy_with_logits
    x = s.data[torch.randint(len(s.data), (16,), generator=s.generator)]
    z = torch.randn(16, 2, generator=s.generator)
    # 1. fix G, update D
    fake = s.G(z).detach()
    loss_D = bce(s.D(x), torch.ones(16, 1)) + bce(s.D(fake), torch.zeros(16, 1))
    s.opt_D.zero_grad()
    loss_D.backward()
    s.opt_D.step()
    # 2. fix D, update G
    loss_G = bce(s.D(s.G(z)), torch.ones(16, 1))
    s.opt_G.zero_grad()
    loss_G.backward()
    s.opt_G.step()
    return {"loss_D": loss_D.item(), "loss_G": loss_G.item()} if s.step % 5 == 4 else None


# ------------------------------------------------------------------------------ diffusion
@dataclass
class DiffusionState(LoopState):
    eps_model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    ema: dict = field(default_factory=dict)
    """An exponential moving average of the weights: a dict of tensors."""
    alpha_bar: Tensor = transient()
    data: Tensor = transient()


def diffusion() -> DiffusionState:
    model = mlp(3, 2, width=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    beta = torch.linspace(1e-3, 0.2, 20)
    return DiffusionState(
        eps_model=model, optimizer=opt,
        scheduler=torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.7),
        generator=torch.Generator().manual_seed(SEED),
        ema={k: v.detach().clone() for k, v in model.state_dict().items()},
        alpha_bar=torch.cumprod(1 - beta, 0), data=torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))


def diffusion_step(s: DiffusionState) -> dict | None:
    x0 = s.data[torch.randint(len(s.data), (32,), generator=s.generator)]  # (B, 2)
    t = torch.randint(len(s.alpha_bar), (32,), generator=s.generator)  # (B,)
    eps = torch.randn(32, 2, generator=s.generator)  # (B, 2)
    ab = s.alpha_bar[t].unsqueeze(1)  # (B, 1)
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    eps_pred = s.eps_model(torch.cat([xt, t.unsqueeze(1) / len(s.alpha_bar)], 1))
    loss = (eps_pred - eps).square().mean()
    s.optimizer.zero_grad()
    loss.backward()
    s.optimizer.step()
    s.scheduler.step()
    with torch.no_grad():
        for k, v in s.eps_model.state_dict().items():
            s.ema[k].mul_(0.9).add_(v, alpha=0.1)
    return {"loss": loss.item(), "lr": s.scheduler.get_last_lr()[0]}


# ------------------------------------------------------------------------------ DQN
class Corridor:
    """A toy environment in gymnasium's API that cannot be serialized: positions 0..6, move
    left (0) or right (1), reward 1 at the right end; the environment's own random number
    generator, seeded by ``reset(seed=...)``, picks the start and flips 20% of the moves."""

    def reset(self, *, seed: int) -> tuple[np.ndarray, dict]:
        self.np_random = np.random.default_rng(seed)
        self.position, self.t = int(self.np_random.integers(0, 4)), 0
        return self._obs(), {}

    def _obs(self) -> np.ndarray:
        return np.eye(7, dtype=np.float32)[self.position]

    def step(self, action: int):
        move = 1 if action == 1 else -1
        if self.np_random.random() < 0.2:
            move = -move
        self.position, self.t = min(max(self.position + move, 0), 6), self.t + 1
        terminated = self.position == 6
        return self._obs(), float(terminated) - 0.01, terminated, self.t >= 12, {}


@dataclass
class DQNState(LoopState):
    q: nn.Module
    target: nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    rng: np.random.Generator
    """ε-greedy exploration."""
    episode: int = 0
    episode_return: float = 0.0
    obs: Tensor | None = None
    """None between episodes: a checkpoint may be taken only then."""
    buffer_obs: Tensor = field(default_factory=lambda: torch.empty(0, 7))
    buffer_action: Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.int64))
    buffer_reward: Tensor = field(default_factory=lambda: torch.empty(0))
    buffer_next: Tensor = field(default_factory=lambda: torch.empty(0, 7))
    buffer_done: Tensor = field(default_factory=lambda: torch.empty(0))
    env: Corridor = transient()


def dqn() -> DQNState:
    q = mlp(7, 2)
    target = mlp(7, 2)
    target.load_state_dict(q.state_dict())
    return DQNState(q=q, target=target, optimizer=torch.optim.Adam(q.parameters(), lr=1e-2),
                    generator=torch.Generator().manual_seed(SEED),
                    rng=np.random.default_rng(SEED), env=Corridor())


def dqn_boundary(s: DQNState) -> bool:
    return s.obs is None


def dqn_step(s: DQNState) -> dict | None:
    # 1. act ε-greedily in the environment (a new episode starts from its derived reset seed)
    if s.obs is None:
        s.obs = torch.from_numpy(s.env.reset(seed=episode_seed(SEED, s.episode))[0])
    if s.rng.random() < 0.3:
        action = int(s.rng.integers(2))
    else:
        with torch.no_grad():
            action = int(s.q(s.obs).argmax())
    obs, reward, terminated, truncated, _ = s.env.step(action)
    obs = torch.from_numpy(obs)
    # 2. store the transition in the replay buffer
    s.buffer_obs = torch.cat([s.buffer_obs, s.obs[None]])
    s.buffer_action = torch.cat([s.buffer_action, torch.tensor([action])])
    s.buffer_reward = torch.cat([s.buffer_reward, torch.tensor([reward])])
    s.buffer_next = torch.cat([s.buffer_next, obs[None]])
    s.buffer_done = torch.cat([s.buffer_done, torch.tensor([float(terminated)])])
    s.episode_return += reward
    # 3. a TD update on a sampled batch; the target network is copied every 10 steps
    if len(s.buffer_obs) >= 8:
        i = torch.randint(len(s.buffer_obs), (8,), generator=s.generator)
        with torch.no_grad():
            target = s.buffer_reward[i] + 0.9 * (1 - s.buffer_done[i]) * \
                s.target(s.buffer_next[i]).amax(1)
        q = s.q(s.buffer_obs[i]).gather(1, s.buffer_action[i, None]).squeeze(1)
        loss = (q - target).square().mean()
        s.optimizer.zero_grad()
        loss.backward()
        s.optimizer.step()
    if (s.step + 1) % 10 == 0:
        s.target.load_state_dict(s.q.state_dict())
    s.obs = obs
    if not (terminated or truncated):
        return None
    line = {"episode": s.episode, "return": s.episode_return}
    s.obs, s.episode, s.episode_return = None, s.episode + 1, 0.0
    return line


# ------------------------------------------------------------------------------ MAML
@dataclass
class MAMLState(LoopState):
    model: nn.Module
    meta_optimizer: torch.optim.Optimizer
    generator: torch.Generator
    baseline: float = 0.0
    """A running mean of the meta-loss (a plain float)."""


def maml() -> MAMLState:
    model = mlp(1, 1, width=16)
    return MAMLState(model=model, meta_optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
                     generator=torch.Generator().manual_seed(SEED))


def maml_step(s: MAMLState, tasks: int = 3, inner_steps: int = 2, alpha: float = 0.1) -> dict:
    params = dict(s.model.named_parameters())
    meta_loss = torch.zeros(())
    for _ in range(tasks):
        amplitude, phase = torch.rand(2, generator=s.generator) * torch.tensor([2.0, 3.0])
        x = torch.rand(20, 1, generator=s.generator) * 10 - 5  # (20, 1)
        y = amplitude * torch.sin(x + phase)
        support, query = slice(0, 10), slice(10, 20)
        fast = params
        for _ in range(inner_steps):  # the inner loop: SGD on the task's support set
            loss = (functional_call(s.model, fast, (x[support],)) - y[support]).square().mean()
            grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
            fast = {n: w - alpha * g for (n, w), g in zip(fast.items(), grads, strict=True)}
        meta_loss = meta_loss + (functional_call(s.model, fast, (x[query],))
                                 - y[query]).square().mean()
    s.meta_optimizer.zero_grad()
    (meta_loss / tasks).backward()
    s.meta_optimizer.step()
    s.baseline = 0.9 * s.baseline + 0.1 * meta_loss.item() / tasks
    return {"meta_loss": meta_loss.item() / tasks, "baseline": s.baseline}


SHAPES = {"gan": (gan, gan_step, None), "diffusion": (diffusion, diffusion_step, None),
          "dqn": (dqn, dqn_step, dqn_boundary), "maml": (maml, maml_step, None)}


def final_tensors(state: LoopState) -> dict[str, Tensor]:
    """Every tensor the state ends with, modules' and optimizers' included, by name."""
    out = {}
    for name, value in vars(state).items():
        if isinstance(value, nn.Module):
            out.update({f"{name}.{k}": v for k, v in value.state_dict().items()})
        elif isinstance(value, torch.optim.Optimizer):
            for i, entries in value.state_dict()["state"].items():
                out.update({f"{name}.{i}.{k}": torch.as_tensor(v) for k, v in entries.items()})
        elif isinstance(value, torch.Generator):
            out[name] = value.get_state()
        elif torch.is_tensor(value):
            out[name] = value
        elif isinstance(value, dict):
            out.update({f"{name}.{k}": v for k, v in value.items() if torch.is_tensor(v)})
    out["global_rng"] = torch.get_rng_state()
    return {k: v.detach().clone().contiguous() for k, v in out.items()}


def train(shape: str, directory: Path, steps: int, *, sleep: float = 0.0) -> LoopState:
    """Build the shape (seeded as a fresh process would be), run it, resuming from
    ``directory/checkpoints``; return the final state."""
    make, step, boundary = SHAPES[shape]
    seed_everything(SEED)
    state = make()

    def slow_step(s):
        time.sleep(sleep)
        return step(s)

    result = run_loop(slow_step if sleep else step, state,
                      LoopConfig(steps=steps, checkpoint_seconds=0, keep_checkpoints=3),
                      checkpoint_dir=directory / "checkpoints", boundary=boundary,
                      fingerprint={"shape": shape})
    save_file(final_tensors(state), directory / "final.safetensors")
    (directory / "history.json").write_text(json.dumps(result.history))
    return state


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]),
          sleep=float(os.environ.get("LOOP_SHAPES_SLEEP", "0")))
