r"""The hinge loss of GANs (Lim and Ye, "Geometric GAN", arXiv:1705.02894; used with spectral
normalization by Miyato et al., arXiv:1802.05957, Eq. (17) and by the projection
discriminator, arXiv:1802.05637).

.. math::
    L_D = \mathbb{E}_{x \sim P_{data}}[\max(0, 1 - D(x))]
        + \mathbb{E}_{z}[\max(0, 1 + D(G(z)))], \qquad
    L_G = -\mathbb{E}_z[D(G(z))]

The discriminator is a margin classifier (an SVM's loss on the scores): a real sample scored
above 1 or a generated one below -1 no longer moves it. The generator's loss is the
Wasserstein generator's.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["hinge_discriminator_loss", "hinge_generator_loss"]


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r""":math:`L_D = \frac1B\sum_i \max(0, 1 - D(x_i)) + \frac1B\sum_i \max(0, 1 + D(G(z_i)))`."""
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


def hinge_generator_loss(fake_scores: Tensor) -> Tensor:
    r""":math:`L_G = -\frac1B\sum_i D(G(z_i))`."""
    return -fake_scores.mean()
