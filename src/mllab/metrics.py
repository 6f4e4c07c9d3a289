r"""Classification accuracy, the share of examples whose predicted class is the label."""

from __future__ import annotations

from torch import Tensor


def accuracy(prediction: Tensor, y: Tensor) -> float:
    r""":math:`\frac1N \sum_n [\hat c_n = y_n]`, where :math:`\hat c_n` is ``prediction[n]``
    for class labels (N,) or :math:`\arg\max_k` of its row for scores or logits (N, K)."""
    predicted = prediction.argmax(1) if prediction.ndim == 2 else prediction
    if predicted.shape != y.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} does not match labels "
                         f"{tuple(y.shape)}")
    return (predicted == y).double().mean().item()
