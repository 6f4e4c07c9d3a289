r"""The original GAN objective: the lecture's :math:`V(G, D)`, the discriminator's loss, and the
saturating and non-saturating generator losses.

Goodfellow et al., "Generative Adversarial Nets", arXiv:1406.2661, Eq. (1):

.. math::
    \min_G \max_D V(G, D), \qquad
    V(G, D) = \mathbb{E}_{x \sim P_{data}}[\log D(x)]
            + \mathbb{E}_{z \sim P_z}[\log(1 - D(G(z)))]

The lecture: step 1 fixes G and trains D to give real data high scores and generated data low
scores (maximise :math:`V`, a binary classifier's negative cross-entropy); step 2 fixes D and
trains G to fool it. For a fixed G the best discriminator is
:math:`D^*(x) = P_{data}(x) / (P_{data}(x) + P_G(x))` (Proposition 1), and then

.. math:: \max_D V(G, D) = V(G, D^*) = -\log 4 + 2\,\mathrm{JSD}(P_{data} \,\|\, P_G)

(Theorem 1): training D estimates the JS divergence, which is why the lecture's problem with
JS (:math:`\log 2` for distributions that do not overlap) is the vanilla GAN's problem.

Every function takes the discriminator's **logits** :math:`\ell` with
:math:`D(x) = \sigma(\ell)`, so that :math:`\log D = -\mathrm{softplus}(-\ell)` and
:math:`\log(1 - D) = -\mathrm{softplus}(\ell)` stay finite where :math:`D` saturates at 0 or 1.

Differences from the paper: none in the values; the paper's §3 suggests the non-saturating
generator loss in practice, as here (:func:`non_saturating_generator_loss`).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["discriminator_loss", "non_saturating_generator_loss", "saturating_generator_loss",
           "value_function"]


def value_function(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r""":math:`V(G, D) = \frac1B\sum_i \log D(x_i) + \frac1B\sum_i \log(1 - D(G(z_i)))`
    (Eq. 1), estimated on a batch: the logits of D on real ``x`` and on generated ``G(z)``."""
    return -F.softplus(-real_logits).mean() - F.softplus(fake_logits).mean()  # Eq. (1)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""Step 1's loss, :math:`-V(G, D)`: binary cross-entropy with real as 1 and generated as 0,

    .. math:: L_D = -\frac1B\sum_i \log D(x_i) - \frac1B\sum_i \log(1 - D(G(z_i)))."""
    return -value_function(real_logits, fake_logits)


def saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""Step 2's loss as the minimax game writes it,
    :math:`L_G = \frac1B \sum_i \log(1 - D(G(z_i)))` (the part of :math:`V` that G changes).

    Its gradient vanishes where D confidently rejects the samples
    (:math:`\partial L_G / \partial \ell = -\sigma(\ell) \to 0` as :math:`\ell \to -\infty`),
    which is where a generator starts."""
    return -F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""The paper's practical alternative (§3): maximise :math:`\log D(G(z))` instead,

    .. math:: L_G = -\frac1B \sum_i \log D(G(z_i)),

    with the same fixed point but gradient :math:`\sigma(\ell) - 1 \to -1` where D rejects."""
    return F.softplus(-fake_logits).mean()
