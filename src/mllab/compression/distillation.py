r"""Knowledge distillation: a student learns from a teacher's soft targets (Network
Compression lecture; Hinton, Vinyals and Dean, arXiv:1503.02531).

The teacher's logits :math:`z^t` softened at temperature :math:`T`,
:math:`p_i = \operatorname{softmax}(z^t / T)_i`, are the targets of the student's
:math:`q_i = \operatorname{softmax}(z^s / T)_i`; the soft loss is their KL divergence, scaled
by :math:`T^2` so that its gradients keep their size as :math:`T` changes (the paper's
Section 2: the gradient of the soft term scales as :math:`1/T^2`).

Differences from the paper: the paper writes the soft term as a cross-entropy; the KL
divergence used here differs from it by the teacher's entropy, a constant for the student,
so the gradients are the same and the loss is 0 when the student matches the teacher.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["distillation_loss", "soft_targets"]


def soft_targets(logits: Tensor, T: float) -> Tensor:
    r""":math:`\operatorname{softmax}(z / T)` over the last dimension; ``(B, V)`` -> ``(B, V)``."""
    if T <= 0:
        raise ValueError(f"T must be > 0, got {T!r}")
    return F.softmax(logits / T, dim=-1)


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, T: float,
                      labels: Tensor | None = None, alpha: float = 1.0) -> Tensor:
    r"""The distillation loss, averaged over the batch.

    .. math::
        L = \alpha\, T^2\, \frac{1}{B}\sum_b \sum_i p_{bi}\,(\log p_{bi} - \log q_{bi})
          + (1 - \alpha)\, \mathrm{CE}(z^s, y)

    with :math:`p = \operatorname{softmax}(z^t/T)` (the teacher, no gradient) and
    :math:`q = \operatorname{softmax}(z^s/T)`.

    Args:
        student_logits: ``(B, V)``.
        teacher_logits: ``(B, V)``; detached here.
        T: the temperature (> 0); 1 gives the plain softmax.
        labels: ``(B,)`` hard labels for the :math:`(1-\alpha)` term; needed when
            ``alpha < 1``.
        alpha: weight of the soft term, in [0, 1].
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    if alpha < 1.0 and labels is None:
        raise ValueError("labels are needed when alpha < 1")
    log_p = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    log_q = F.log_softmax(student_logits / T, dim=-1)
    soft = (log_p.exp() * (log_p - log_q)).sum(-1).mean() * T**2  # KL(p || q) T^2
    if alpha == 1.0:
        return soft
    return alpha * soft + (1.0 - alpha) * F.cross_entropy(student_logits, labels)
