r"""The views series the regression experiments share: SYNTHETIC daily views of a channel, cut
into (previous k days -> next day) samples and split in time order."""

from __future__ import annotations

from mllab.data import channel_views, sliding_windows
from mllab.experiments.context import RunContext

MAX_WINDOW = 7
"""Every views model predicts the same days: those after the first ``MAX_WINDOW`` ones."""


def views_split(ctx: RunContext, days: int, k: int, valid_fraction: float, *,
                window_offset: int = MAX_WINDOW):
    r"""(previous ``k`` days -> next day) samples of the synthetic views series, split in
    time order into train and validation; all ``k`` share the same target days."""
    series = channel_views(days, generator=ctx.generator("views"))  # (T,)
    x, y = sliding_windows(series, k)  # (T-k, k), (T-k,)
    x, y = x[window_offset - k:], y[window_offset - k:]  # targets are series[offset:]
    n_train = round(len(x) * (1 - valid_fraction))
    return series, (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
