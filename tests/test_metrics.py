"""accuracy: by hand for labels and for logits."""

import pytest
import torch

from mllab.metrics import accuracy


def test_accuracy_by_hand():
    y = torch.tensor([0, 1, 2, 1])
    assert accuracy(torch.tensor([0, 1, 1, 1]), y) == 0.75
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    assert accuracy(logits, y) == 0.5
    with pytest.raises(ValueError, match="does not match"):
        accuracy(torch.zeros(3), y)
