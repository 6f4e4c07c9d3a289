"""N-way K-shot tasks: the sizes, labels 0..N−1 that name one original class each, support and
query without overlap, only the given classes, and one-line refusals."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.meta import few_shot_tasks


def test_tasks_relabel_chosen_classes_without_overlap():
    y = torch.arange(10).repeat_interleave(20)  # (200,): 20 of each class
    x = torch.arange(200.0).unsqueeze(1)  # (200, 1): the example's index
    tasks = few_shot_tasks(x, y, [6, 7, 8, 9], torch.Generator().manual_seed(0), n=30, n_way=3,
                           k_shot=5, k_query=4)
    for t in tasks:
        assert t.x_s.shape == (15, 1) and t.x_q.shape == (12, 1)
        assert set(t.y_s.tolist()) == set(t.y_q.tolist()) == {0, 1, 2}
        support, query = t.x_s.long().squeeze(1), t.x_q.long().squeeze(1)
        assert not set(support.tolist()) & set(query.tolist())
        for label in range(3):  # one original class per label, the same in both sets
            original = y[torch.cat([support[t.y_s == label], query[t.y_q == label]])]
            assert len(set(original.tolist())) == 1 and original[0] >= 6
    assert len({tuple(t.y_s.tolist()) for t in tasks}) == 1  # labels in class order...
    assert len({tuple(y[t.x_s.long().squeeze(1)].tolist()) for t in tasks}) > 1  # ...classes vary


def test_refusals():
    y = torch.arange(3).repeat_interleave(4)
    x = torch.zeros(12, 1)
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ConfigError, match="n_way must be <= the 3 classes given"):
        few_shot_tasks(x, y, [0, 1, 2], g, n=1, n_way=4, k_shot=1, k_query=1)
    with pytest.raises(ConfigError, match="k_shot \\+ k_query must be <= the 4 examples"):
        few_shot_tasks(x, y, [0, 1, 2], g, n=1, n_way=2, k_shot=3, k_query=2)
