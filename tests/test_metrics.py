"""accuracy: by hand for labels and for logits; ROC AUC against the pairwise definition."""

import pytest
import torch

from mllab.metrics import accuracy, roc_auc


def test_accuracy_by_hand():
    y = torch.tensor([0, 1, 2, 1])
    assert accuracy(torch.tensor([0, 1, 1, 1]), y) == 0.75
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    assert accuracy(logits, y) == 0.5
    with pytest.raises(ValueError, match="does not match"):
        accuracy(torch.zeros(3), y)


def _auc_by_pairs(scores: torch.Tensor, labels: torch.Tensor) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = (pos[:, None] > neg[None, :]).double() + 0.5 * (pos[:, None] == neg[None, :]).double()
    return wins.mean().item()  # P(s+ > s-) + P(s+ = s-)/2


def test_roc_auc_is_the_probability_a_positive_outscores_a_negative():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 6, (200,), generator=g).double()  # many ties
    labels = (torch.rand(200, generator=g) < 0.3 + 0.1 * scores).long()
    assert roc_auc(scores, labels) == pytest.approx(_auc_by_pairs(scores, labels), abs=1e-12)
    assert roc_auc(torch.tensor([0.1, 0.2, 0.9]), torch.tensor([0, 0, 1])) == 1.0
    assert roc_auc(torch.tensor([0.9, 0.2, 0.1]), torch.tensor([0, 0, 1])) == 0.0
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_auc(torch.rand(4), torch.ones(4))
    with pytest.raises(ValueError, match="must both be"):
        roc_auc(torch.rand(4), torch.ones(3))
