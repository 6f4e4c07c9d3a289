r"""The entropy of the predictions on the target domain, to be minimised.

The domain-adaptation lecture: besides aligning the features, "predictions on the target
should be concentrated": an unlabelled target example whose class distribution is flat lies
near a decision boundary. Grandvalet and Bengio (NeurIPS 2004) minimise the mean entropy of
the predicted distribution:

.. math:: H = -\frac{1}{B}\sum_{b=1}^{B}\sum_{k=1}^{K} p_{bk} \log p_{bk},
          \qquad p_b = \operatorname{softmax}(\ell_b)

computed from the logits through ``log_softmax`` (finite where a probability underflows).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["prediction_entropy"]


def prediction_entropy(logits: Tensor) -> Tensor:
    r"""Mean entropy (nats) of ``softmax(logits)`` over the batch; ``logits`` ``(B, K)``."""
    log_p = F.log_softmax(logits, dim=1)  # (B, K)
    return -(log_p.exp() * log_p).sum(dim=1).mean()  # H = -mean_b sum_k p log p
