r"""Elastic weight consolidation (Life-long Learning lecture; Kirkpatrick et al.,
arXiv:1612.00796, Eq. 3).

.. math:: L(\theta) = L_B(\theta) + \sum_i \frac{\lambda}{2} F_i (\theta_i - \theta^*_{A,i})^2

with :math:`F` the diagonal of the Fisher information at :math:`\theta^*_A`, estimated from
task :math:`A`'s data as the mean of squared per-example gradients of the log-likelihood:

.. math:: F_i = \frac{1}{N}\sum_{n=1}^{N}
    \Big(\frac{\partial \log p_\theta(y_n \mid x_n)}{\partial \theta_i}\Big)^2

Differences from the paper: with ``generator`` given, :math:`y_n` is drawn from the model's
own :math:`p_\theta(\cdot \mid x_n)` (the Fisher itself); without, the data's labels are used
(the "empirical Fisher", the common implementation).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from mllab.lifelong.quadratic_penalty import Consolidation, snapshot

__all__ = ["ewc", "fisher_diagonal"]


def fisher_diagonal(model: nn.Module, x: Tensor, y: Tensor | None = None,
                    generator: torch.Generator | None = None) -> dict[str, Tensor]:
    r""":math:`F_i` for a classifier ``model`` (logits ``(B, V)``) on inputs ``x`` ``(N, ...)``.

    ``y`` ``(N,)``: the labels (empirical Fisher); ``None``: drawn from the model with
    ``generator`` (one label per example).
    """
    params = {n: p.detach() for n, p in model.named_parameters()}
    if y is None:
        if generator is None:
            raise ValueError("give the labels y or a generator to draw them from the model")
        with torch.no_grad():
            y = torch.multinomial(F.softmax(model(x), -1), 1, generator=generator).squeeze(1)

    def log_likelihood(p: dict[str, Tensor], xn: Tensor, yn: Tensor) -> Tensor:
        logits = functional_call(model, p, (xn.unsqueeze(0),))  # (1, V)
        return (F.log_softmax(logits, -1)[0] * yn).sum()  # yn one-hot: log p(y_n | x_n)

    with torch.no_grad():
        one_hot = F.one_hot(y, model(x[:1]).shape[-1]).to(x.dtype)  # (N, V)
    per_example = vmap(grad(log_likelihood), in_dims=(None, 0, 0))(params, x, one_hot)
    return {n: (g**2).mean(0) for n, g in per_example.items()}


def ewc(model: nn.Module, fisher: dict[str, Tensor], lam: float) -> Consolidation:
    r"""The EWC penalty :math:`\frac{\lambda}{2}\sum_i F_i(\theta_i - \theta^*_i)^2`, anchored
    at ``model``'s parameters now (:math:`\theta^*_A`)."""
    return Consolidation(snapshot(model), fisher, lam / 2)
