r"""The WGAN critic and generator losses (Arjovsky, Chintala and Bottou, arXiv:1701.07875).

The lecture: replace the JS divergence by the Wasserstein (earth mover's) distance, which by
Kantorovich–Rubinstein duality is (Eq. 2 of the paper)

.. math::
    W(P_{data}, P_G) = \max_{\|f\|_L \le 1}
        \mathbb{E}_{x \sim P_{data}}[f(x)] - \mathbb{E}_{x \sim P_G}[f(x)],

a maximum over 1-Lipschitz functions :math:`f` ("D must be smooth enough"). The critic
:math:`f` (no sigmoid: its outputs are scores, not probabilities) ascends that difference;
the generator descends the estimate, whose only part it changes is
:math:`-\mathbb{E}_z[f(G(z))]`. Without a constraint on :math:`f` the maximum is infinite for
distributions that do not overlap: the critic's scores grow without bound. The constraint
comes from :func:`~mllab.gan.weight_clipping.clip_weights`,
:func:`~mllab.gan.gradient_penalty.gradient_penalty` or
:func:`~mllab.gan.spectral_norm.spectral_norm`.
"""

from __future__ import annotations

from torch import Tensor

__all__ = ["critic_loss", "wasserstein_estimate", "wasserstein_generator_loss"]


def wasserstein_estimate(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r""":math:`\frac1B\sum_i f(x_i) - \frac1B\sum_i f(G(z_i))`: the critic's estimate of
    :math:`W(P_{data}, P_G)` on a batch (a lower bound when :math:`f` is 1-Lipschitz)."""
    return real_scores.mean() - fake_scores.mean()  # Eq. (2)


def critic_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    r"""The critic minimises :math:`L_f = \frac1B\sum_i f(G(z_i)) - \frac1B\sum_i f(x_i)`,
    the negative estimate."""
    return -wasserstein_estimate(real_scores, fake_scores)


def wasserstein_generator_loss(fake_scores: Tensor) -> Tensor:
    r"""The generator minimises :math:`L_G = -\frac1B\sum_i f(G(z_i))` (Algorithm 1, line 11)."""
    return -fake_scores.mean()
