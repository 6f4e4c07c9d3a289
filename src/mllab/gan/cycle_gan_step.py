r"""One step of CycleGAN training (Zhu et al., arXiv:1703.10593) for the general loop.

The lecture's algorithm for two unpaired domains :math:`X` and :math:`Y`: the GAN step of
:mod:`mllab.gan.gan_step` done twice, once per direction, with the cycle tying the two
generators together. Each step draws a batch :math:`x` of :math:`X` and, independently, a batch
:math:`y` of :math:`Y`, then

1. **fix G and F, update D_X and D_Y**: :math:`D_Y` learns to score the real :math:`y` high and
   :math:`G(x)` low, :math:`D_X` the real :math:`x` high and :math:`F(y)` low (one optimizer
   over both discriminators, the sum of their losses);
2. **fix D_X and D_Y, update G and F** (one optimizer over both generators) on Eq. (3),

.. math::
    \mathcal{L}(G, F) = \mathcal{L}_{GAN}(G, D_Y) + \mathcal{L}_{GAN}(F, D_X)
        + \lambda\, \mathcal{L}_{cyc}(G, F) + \lambda_{id}\, \mathcal{L}_{id}(G, F),

with :math:`\mathcal{L}_{cyc}` of Eq. (2) and :math:`\mathcal{L}_{id}` of §5.2
(:func:`~mllab.gan.cycle_gan.cycle_consistency_loss`, :func:`~mllab.gan.cycle_gan.identity_loss`).
:math:`\lambda = 0` is a plain GAN in each direction: nothing then asks :math:`G(x)` to keep
anything of :math:`x`, and the cycle term is only measured (without gradient), not trained on.

The adversarial losses are any of :data:`mllab.gan.gan_step.LOSSES` (the discriminator's loss
of real and generated scores, the generator's loss of its scores).

Differences from the paper: the paper's adversarial loss is least squares (LSGAN), which
:mod:`mllab.gan` does not have; the non-saturating loss of the GAN paper is the default here.
The paper updates :math:`D` on a history of the 50 last generated images and halves its loss;
here :math:`D` sees the current batch only (halving a loss only rescales Adam's first step
size, not its direction). The paper's identity weight is :math:`0.5\lambda`; here
:math:`\lambda_{id}` is its own weight (default 0, as in the paper's main experiments).
Batches come from the state's ``generator`` (uniformly, with replacement), so a killed run
resumes exactly, and two runs with the same generator draw the same batches whatever
:math:`\lambda`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_real, require, require_int
from mllab.gan.cycle_gan import CycleGAN, cycle_consistency_loss, identity_loss
from mllab.gan.gan_step import LOSSES, _fixed
from mllab.train.loop import LoopState, Step, transient

__all__ = ["CycleGANState", "CycleGANStepConfig", "cycle_gan_step", "draw_unpaired"]


@dataclass
class CycleGANStepConfig:
    r"""What one step of :func:`cycle_gan_step` does; validated."""

    loss: str = "non_saturating"
    """The adversarial loss of both directions: one of :data:`mllab.gan.gan_step.LOSSES`."""
    cycle_weight: float = 10.0
    r""":math:`\lambda` of Eq. (3) (>= 0): the paper's 10; 0 switches the cycle loss off."""
    identity_weight: float = 0.0
    r""":math:`\lambda_{id}` (>= 0): the weight of the identity loss (§5.2); 0 leaves it out."""
    batch_size: int = 64
    """Images of X and, independently, of Y per step (>= 1)."""
    log_every: int = 1
    """Return metrics every this many steps (>= 1); the others return None."""

    def __post_init__(self) -> None:
        require(self.loss in LOSSES, "loss", f"one of {', '.join(LOSSES)}", self.loss)
        for name in ("cycle_weight", "identity_weight"):
            value = getattr(self, name)
            require(is_real(value) and value >= 0, name, "a number >= 0", value)
        require_int("batch_size", self.batch_size, 1)
        require_int("log_every", self.log_every, 1)


@dataclass
class CycleGANState(LoopState):
    r"""What CycleGAN training changes, and the two domains' unpaired images."""

    model: CycleGAN
    """G: X -> Y, F: Y -> X, D_X and D_Y."""
    opt_G: torch.optim.Optimizer
    """Over the parameters of G and F together."""
    opt_D: torch.optim.Optimizer
    """Over the parameters of D_X and D_Y together."""
    generator: torch.Generator
    """Draws the batches of X and of Y."""
    x: Tensor = transient()
    """Images of domain X ``(N, C, H, W)`` (not checkpointed)."""
    y: Tensor = transient()
    """Images of domain Y ``(N', C, H, W)``, unpaired with X (not checkpointed)."""


def draw_unpaired(s: CycleGANState, batch_size: int) -> tuple[Tensor, Tensor]:
    r"""A batch of X, then an independent batch of Y, each drawn uniformly with replacement
    (in that order, from ``s.generator``)."""
    i = torch.randint(len(s.x), (batch_size,), generator=s.generator).to(s.x.device)
    j = torch.randint(len(s.y), (batch_size,), generator=s.generator).to(s.y.device)
    return s.x[i], s.y[j]


def cycle_gan_step(config: CycleGANStepConfig) -> Step:
    r"""The ``step`` of :func:`mllab.train.run_loop` for a :class:`CycleGANState`: one update
    of D_X and D_Y, then one of G and F. Logs ``loss_D_X``, ``loss_D_Y``, ``loss_G`` and
    ``loss_F`` (the adversarial terms), ``loss_cyc`` (measured even when :math:`\lambda = 0`),
    ``loss_id`` where weighted, and ``loss`` (Eq. 3, what G and F descended)."""
    d_loss, g_loss = LOSSES[config.loss]
    lam, lam_id = config.cycle_weight, config.identity_weight

    def step(s: CycleGANState) -> dict | None:
        m = s.model
        m.train()
        x, y = draw_unpaired(s, config.batch_size)
        # 1. fix G and F, update D_X and D_Y
        with torch.no_grad():
            fake_y, fake_x = m.G(x), m.F(y)  # G(x) in Y, F(y) in X
        loss_D_Y = d_loss(m.D_Y(y), m.D_Y(fake_y))
        loss_D_X = d_loss(m.D_X(x), m.D_X(fake_x))
        s.opt_D.zero_grad(set_to_none=True)
        (loss_D_X + loss_D_Y).backward()
        s.opt_D.step()
        # 2. fix D_X and D_Y, update G and F with L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda L_cyc
        #    (+ lambda_id L_id)  (Eq. 3)
        with _fixed(m.D_X), _fixed(m.D_Y):
            fake_y, fake_x = m.G(x), m.F(y)
            loss_G, loss_F = g_loss(m.D_Y(fake_y)), g_loss(m.D_X(fake_x))
            loss = loss_G + loss_F
            with torch.set_grad_enabled(lam > 0):  # lambda = 0: measured, not trained on
                loss_cyc = cycle_consistency_loss(x, m.F(fake_y), y, m.G(fake_x))  # Eq. (2)
            if lam > 0:
                loss = loss + lam * loss_cyc
            loss_id = identity_loss(x, m.F(x), y, m.G(y)) if lam_id > 0 else None  # §5.2
            if loss_id is not None:
                loss = loss + lam_id * loss_id
            s.opt_G.zero_grad(set_to_none=True)
            loss.backward()
            s.opt_G.step()
        if s.step % config.log_every != config.log_every - 1:
            return None
        line = {"loss_D_X": loss_D_X.item(), "loss_D_Y": loss_D_Y.item(),
                "loss_G": loss_G.item(), "loss_F": loss_F.item(), "loss_cyc": loss_cyc.item(),
                "loss": loss.item()}
        if loss_id is not None:
            line["loss_id"] = loss_id.item()
        return line

    return step
