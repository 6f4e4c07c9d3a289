"""The views series of the regression lecture: every window length predicts the same days."""

import pytest
import torch

from mllab.experiments.regression.views import MAX_WINDOW, views_split


@pytest.mark.parametrize("k", [1, 3, MAX_WINDOW])
def test_every_window_predicts_the_same_days_in_time_order(k):
    series, (x, y), (xv, yv) = views_split(torch.Generator().manual_seed(3), 100, k, 0.25)
    assert x.shape[1] == xv.shape[1] == k
    targets = series[MAX_WINDOW:]  # the first MAX_WINDOW days are never predicted
    assert y.tolist() + yv.tolist() == targets.tolist()
    assert len(yv) == round(len(targets) * 0.25)
    assert x[0].tolist() == series[MAX_WINDOW - k:MAX_WINDOW].tolist()  # the days before
