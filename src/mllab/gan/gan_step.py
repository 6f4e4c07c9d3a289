r"""One step of GAN training, written as the lecture's algorithm, for the general loop.

The lecture: initialise G and D, then repeat

1. **fix G, update D**: sample real data and generated data; train D to score the real high
   and the generated low;
2. **fix D, update G**: train G so that D scores its samples high (G and D stacked are one
   network whose last layers are frozen).

Goodfellow et al., arXiv:1406.2661, Algorithm 1 repeats step 1 ``k`` times per step 2; so does
WGAN (arXiv:1701.07875, Algorithm 1, :math:`n_{critic} = 5`). :func:`gan_step` takes a
:class:`GANStepConfig` choosing the losses:

===================  ==========================================  ===============================
``loss``             step 1 (D)                                  step 2 (G)
===================  ==========================================  ===============================
``minimax``          :func:`~mllab.gan.minimax.discriminator_loss` saturating :math:`\log(1-D)`
``non_saturating``   the same                                    :math:`-\log D(G(z))`
``wasserstein``      :func:`~mllab.gan.wasserstein_loss.critic_loss` :math:`-f(G(z))`
``hinge``            :func:`~mllab.gan.hinge_loss.hinge_discriminator_loss` :math:`-D(G(z))`
===================  ==========================================  ===============================

plus, for the critic, weight clipping to :math:`\pm c` after each update (``clip``) or the
gradient penalty :math:`\lambda` (``gp_weight``); spectral normalization lives in the
discriminator itself.

**Conditional GANs** (data with labels, G and D taking ``c``): generated samples get the labels
of the real batch they are compared with; with ``mismatched``, pairs of a real image and a
wrong label count as negatives too, as in GAN-CLS (Reed et al., arXiv:1605.05396, Algorithm 1):
the discriminator's negatives are the generated pairs and the mismatched pairs, half each.

Everything random (batches, :math:`z`, wrong labels, the penalty's :math:`\epsilon`) comes from
the state's ``generator``; the loop checkpoints it with the networks and optimizers, so a
killed run resumes exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mllab.config import is_real, require, require_int
from mllab.gan.gradient_penalty import gradient_penalty
from mllab.gan.hinge_loss import hinge_discriminator_loss, hinge_generator_loss
from mllab.gan.minimax import (
    discriminator_loss,
    non_saturating_generator_loss,
    saturating_generator_loss,
)
from mllab.gan.wasserstein_loss import critic_loss, wasserstein_generator_loss
from mllab.gan.weight_clipping import clip_weights
from mllab.train.loop import LoopState, Step, transient

__all__ = ["GANState", "GANStepConfig", "LOSSES", "draw_real", "draw_z", "gan_step"]

LOSSES = {
    "minimax": (discriminator_loss, saturating_generator_loss),
    "non_saturating": (discriminator_loss, non_saturating_generator_loss),
    "wasserstein": (critic_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}
r"""``loss`` name: (D's loss of real and negative scores, G's loss of generated scores)."""


@dataclass
class GANStepConfig:
    r"""What one step of :func:`gan_step` does; validated."""

    loss: str = "non_saturating"
    """One of :data:`LOSSES`."""
    batch_size: int = 64
    """Real and generated samples per update (>= 1)."""
    z_dim: int = 2
    """Numbers in z ~ N(0, I) (>= 1); the generator's input size."""
    d_steps: int = 1
    """k: discriminator updates per generator update (>= 1)."""
    clip: float | None = None
    """WGAN's weight clipping c (> 0): clip D's parameters to [-c, c] after each update."""
    gp_weight: float | None = None
    """WGAN-GP's lambda (> 0): add the gradient penalty to D's loss."""
    mismatched: bool = False
    """Conditional only: (real image, wrong label) pairs as further negatives (GAN-CLS)."""
    log_every: int = 1
    """Return metrics every this many steps (>= 1); the others return None."""

    def __post_init__(self) -> None:
        require(self.loss in LOSSES, "loss", f"one of {', '.join(LOSSES)}", self.loss)
        require_int("batch_size", self.batch_size, 1)
        require_int("z_dim", self.z_dim, 1)
        require_int("d_steps", self.d_steps, 1)
        require(self.clip is None or (is_real(self.clip) and self.clip > 0), "clip",
                "a number > 0 or None", self.clip)
        require(self.gp_weight is None or (is_real(self.gp_weight) and self.gp_weight > 0),
                "gp_weight", "a number > 0 or None", self.gp_weight)
        require_int("log_every", self.log_every, 1)


@dataclass
class GANState(LoopState):
    r"""What GAN training changes as it trains, and the data it draws from."""

    G: nn.Module
    """The generator, called ``G(z, c)`` with ``c = None`` when unconditional."""
    D: nn.Module
    """The discriminator or critic, scores ``(B,)`` of ``D(x, c)`` (``c`` None likewise)."""
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer
    generator: torch.Generator
    """Draws batches, z, wrong labels and the penalty's epsilon."""
    data: Tensor = transient()
    """Real samples ``(N, ...)`` (not checkpointed)."""
    labels: Tensor | None = transient()
    """Their classes 0..K-1 ``(N,)`` for a conditional GAN, else None (not checkpointed);
    K is taken as the largest label + 1."""


def draw_real(s: GANState, batch_size: int) -> tuple[Tensor, Tensor | None]:
    r"""A batch of real samples drawn uniformly with replacement, and their labels."""
    i = torch.randint(len(s.data), (batch_size,), generator=s.generator)
    return s.data[i], (None if s.labels is None else s.labels[i])


def draw_z(s: GANState, batch_size: int, z_dim: int) -> Tensor:
    r""":math:`z \sim \mathcal{N}(0, I)`, ``(batch_size, z_dim)``, on the data's device."""
    return torch.randn(batch_size, z_dim, generator=s.generator).to(s.data.device)


def _wrong(c: Tensor, num_classes: int, generator: torch.Generator) -> Tensor:
    r"""A uniformly drawn label other than each of ``c``."""
    shift = torch.randint(1, num_classes, c.shape, generator=generator).to(c.device)
    return (c + shift) % num_classes


@contextmanager
def _fixed(module: nn.Module) -> Iterator[None]:
    r"""Hold ``module``'s parameters fixed (no gradients) inside the block."""
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags, strict=True):
            p.requires_grad_(flag)


def gan_step(config: GANStepConfig) -> Step:
    r"""The ``step`` of :func:`mllab.train.run_loop` for a :class:`GANState`: ``d_steps``
    updates of D, then one of G. Logs ``loss_D`` and ``loss_G`` (the last D update's and G's),
    ``gp`` where penalised, and ``w_estimate`` (the critic's batch estimate of W) for
    ``wasserstein``."""
    d_loss, g_loss = LOSSES[config.loss]
    B = config.batch_size

    def step(s: GANState) -> dict | None:
        s.G.train()
        s.D.train()
        # 1. fix G, update D (k steps)
        for _ in range(config.d_steps):
            x, c = draw_real(s, B)
            with torch.no_grad():
                fake = s.G(draw_z(s, B, config.z_dim), c)
            real_scores, fake_scores = s.D(x, c), s.D(fake, c)
            negatives = fake_scores
            if config.mismatched and c is not None:
                num_classes = int(s.labels.max()) + 1
                wrong = s.D(x, _wrong(c, num_classes, s.generator))
                negatives = torch.cat([fake_scores, wrong])  # GAN-CLS: half each
            loss_D = d_loss(real_scores, negatives)
            gp = None
            if config.gp_weight is not None:
                gp = gradient_penalty(lambda x_hat, c=c: s.D(x_hat, c), x, fake,
                                      generator=s.generator, weight=config.gp_weight)  # Eq. (3)
                loss_D = loss_D + gp
            s.opt_D.zero_grad(set_to_none=True)
            loss_D.backward()
            s.opt_D.step()
            if config.clip is not None:
                clip_weights(s.D, config.clip)
        w_estimate = (real_scores.mean() - fake_scores.mean()).item()
        # 2. fix D, update G
        _, c = draw_real(s, B)  # the classes to generate follow the data's
        with _fixed(s.D):
            loss_G = g_loss(s.D(s.G(draw_z(s, B, config.z_dim), c), c))
            s.opt_G.zero_grad(set_to_none=True)
            loss_G.backward()
            s.opt_G.step()
        if s.step % config.log_every != config.log_every - 1:
            return None
        line = {"loss_D": loss_D.item(), "loss_G": loss_G.item()}
        if gp is not None:
            line["gp"] = gp.item()
        if config.loss == "wasserstein":
            line["w_estimate"] = w_estimate
        return line

    return step
