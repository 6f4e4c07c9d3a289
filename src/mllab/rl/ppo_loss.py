r"""Off-policy corrections of the policy gradient: importance sampling and PPO (Schulman et al.,
arXiv:1707.06347).

Data collected by :math:`\theta'` can train :math:`\theta` if each sample is reweighted by
the importance weight :math:`p_\theta(a_t|s_t) / p_{\theta'}(a_t|s_t)`; the estimate is good
only while the two policies stay close:

.. math:: J^{\theta'}(\theta) = \hat{\mathbb E}_{(s_t, a_t) \sim \pi_{\theta'}}\big[
    r_t(\theta) \hat A_t\big].

PPO keeps them close. Its clipped surrogate (Eq. 7):

.. math:: L^{CLIP}(\theta) = \hat{\mathbb E}_t\big[\min\big(r_t(\theta) \hat A_t,\;
    \mathrm{clip}(r_t(\theta), 1 - \epsilon, 1 + \epsilon)\, \hat A_t\big)\big],
    \qquad r_t(\theta) = \frac{\pi_\theta(a_t|s_t)}{\pi_{\theta_\text{old}}(a_t|s_t)},

and its KL-penalised variant (Eq. 8):
:math:`L^{KLPEN}(\theta) = \hat{\mathbb E}_t[r_t(\theta) \hat A_t - \beta\,
\mathrm{KL}[\pi_{\theta_\text{old}}(\cdot|s_t), \pi_\theta(\cdot|s_t)]]`.
Both are objectives to maximise; the functions here return the losses, their negatives.
"""

from __future__ import annotations

from torch import Tensor

from mllab.config import require

__all__ = ["importance_sampling_loss", "importance_weights", "ppo_clip_loss", "ppo_kl_loss"]


def importance_weights(log_p_new: Tensor, log_p_old: Tensor) -> Tensor:
    r""":math:`r_t = \exp(\log \pi_\theta(a_t|s_t) - \log \pi_{\theta'}(a_t|s_t))`."""
    return (log_p_new - log_p_old).exp()


def importance_sampling_loss(ratio: Tensor, advantages: Tensor) -> Tensor:
    r""":math:`-J^{\theta'}(\theta) = -\hat{\mathbb E}_t[r_t(\theta) \hat A_t]`: nothing keeps
    :math:`\theta` near :math:`\theta'`."""
    return -(ratio * advantages).mean()


def ppo_clip_loss(ratio: Tensor, advantages: Tensor, clip: float = 0.2) -> Tensor:
    r""":math:`-L^{CLIP}`, Eq. 7, for ratios :math:`r_t` and advantages :math:`\hat A_t`."""
    require(clip > 0, "clip", "> 0", clip)
    clipped = ratio.clamp(1 - clip, 1 + clip)
    return -(ratio * advantages).minimum(clipped * advantages).mean()  # Eq. (7)


def ppo_kl_loss(ratio: Tensor, advantages: Tensor, kl: Tensor, beta: float) -> Tensor:
    r""":math:`-L^{KLPEN}`, Eq. 8, with ``kl`` the per-state
    :math:`\mathrm{KL}[\pi_{\theta_\text{old}}, \pi_\theta]`."""
    require(beta >= 0, "beta", ">= 0", beta)
    return -(ratio * advantages - beta * kl).mean()  # Eq. (8)
