r"""The views series the regression experiments share: SYNTHETIC daily views of a channel, cut
into (previous k days -> next day) samples and split in time order."""

from __future__ import annotations

import torch

from mllab.data import channel_views, sliding_windows

MAX_WINDOW = 7
"""Every views model predicts the same days: those after the first ``MAX_WINDOW`` ones."""


def views_split(generator: torch.Generator, days: int, k: int, valid_fraction: float, *,
                window_offset: int = MAX_WINDOW):
    r"""(previous ``k`` days -> next day) samples of a synthetic views series drawn with
    ``generator``, split in time order into train and validation; all ``k`` share the same
    target days (for generators seeded alike)."""
    series = channel_views(days, generator=generator)  # (T,)
    x, y = sliding_windows(series, k)  # (T-k, k), (T-k,)
    x, y = x[window_offset - k:], y[window_offset - k:]  # targets are series[offset:]
    n_train = round(len(x) * (1 - valid_fraction))
    return series, (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
