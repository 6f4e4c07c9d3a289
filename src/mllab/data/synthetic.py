r"""SYNTHETIC data for Lecture 1 (regression): a kinked curve and a YouTube-channel view series.

Everything here is generated, not measured. The lecture's running example predicts tomorrow's
views of a YouTube channel from the previous days' views; that series is not public, so
:func:`channel_views` produces a look-alike with the features the lecture points at (a weekly
cycle with a dip late in the week, a slow trend, noise, one holiday outlier such as the
Lunar New Year). :func:`kinked_curve` gives a 1-D target with a few kinks, the lecture's
argument that a constant plus a sum of hard sigmoids (each a difference of two ReLUs) can
approximate any piecewise-linear curve. :func:`sliding_windows` turns a series into
(previous :math:`k` days :math:`\to` next day) regression samples.

Differences from the course: the numbers are synthetic, so no loss value fitted on them is
comparable with the errors the lecture reports on the real channel's views.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["channel_views", "kinked_curve", "sliding_windows", "xor_clusters"]

# Kinks of the piecewise-linear part: f(x) = 0.5 x + sum_j c_j ReLU(x - b_j).
_KINK_LOCATIONS = (-1.5, 0.0, 1.5)
_KINK_SLOPE_CHANGES = (1.0, -2.0, 1.5)

# Mean-zero weekly profile, Monday .. Sunday (day 0 is a Monday); the dip is on Fri / Sat.
_WEEKLY_PROFILE = (0.5, 0.6, 0.5, 0.3, -0.8, -1.0, -0.1)

# Views are clipped from below at this many thousands so that they stay positive.
_MIN_VIEWS = 0.01


def _kinked_mean(x: Tensor) -> Tensor:
    r"""Noise-free target of :func:`kinked_curve`.

    .. math:: f(x) = 0.5 \sin(2x) + 0.5 x + \sum_{j=1}^{3} c_j\, \mathrm{ReLU}(x - b_j),
        \quad b = (-1.5, 0, 1.5),\ c = (1, -2, 1.5)
    """
    f = 0.5 * torch.sin(2.0 * x) + 0.5 * x
    for b_j, c_j in zip(_KINK_LOCATIONS, _KINK_SLOPE_CHANGES, strict=True):
        f = f + c_j * torch.relu(x - b_j)  # slope changes by c_j at x = b_j
    return f


def kinked_curve(
    n: int,
    *,
    generator: torch.Generator,
    noise: float = 0.1,
    x_range: tuple[float, float] = (-3.0, 3.0),
) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC 1-D regression data: a smooth curve with three kinks plus Gaussian noise.

    .. math:: x_n \sim \mathcal{U}(x_\text{lo}, x_\text{hi}), \qquad
        y_n = 0.5 \sin(2 x_n) + 0.5 x_n + \sum_{j=1}^{3} c_j\, \mathrm{ReLU}(x_n - b_j)
        + \varepsilon_n, \quad \varepsilon_n \sim \mathcal{N}(0, \text{noise}^2),

    with kinks at :math:`b = (-1.5, 0, 1.5)` and slope changes :math:`c = (1, -2, 1.5)`.
    The piecewise-linear part is exactly a sum of ReLUs, the lecture's building block.

    Args:
        n: Number of samples, n >= 1.
        generator: Source of the inputs and the noise.
        noise: Standard deviation of the Gaussian noise, >= 0.
        x_range: ``(lo, hi)`` with lo < hi.

    Returns:
        ``(x, y)``: inputs sorted ascending, shape (n, 1), and targets, shape (n,); float32.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    lo, hi = x_range
    if not lo < hi:
        raise ValueError(f"x_range must be (lo, hi) with lo < hi, got {x_range}")
    u = torch.rand(n, generator=generator)  # (n,)
    x = torch.sort(lo + (hi - lo) * u).values  # (n,)
    eps = noise * torch.randn(n, generator=generator)  # (n,)
    y = _kinked_mean(x) + eps
    return x.unsqueeze(1), y  # (n, 1), (n,)


def channel_views(
    days: int,
    *,
    generator: torch.Generator,
    base: float = 5.0,
    weekly_amplitude: float = 1.0,
    trend_per_day: float = 0.004,
    noise: float = 0.15,
    holiday_day: int | None = None,
    holiday_factor: float = 0.35,
) -> Tensor:
    r"""SYNTHETIC daily views of a YouTube channel, in thousands (not the lecture's real data).

    Day :math:`t = 0, \dots, T-1` (day 0 a Monday) gets

    .. math:: v_t = \max\bigl(0.01,\ \rho_t\,(\text{base} + \text{trend}\cdot t
        + A\, s_{t \bmod 7} + \varepsilon_t)\bigr),
        \quad \varepsilon_t \sim \mathcal{N}(0, \text{noise}^2),

    with the mean-zero weekly profile :math:`s = (0.5, 0.6, 0.5, 0.3, -0.8, -1.0, -0.1)`
    (Mon..Sun: fewer views on Friday and Saturday, as in the lecture's figure), amplitude
    :math:`A` = ``weekly_amplitude``, and :math:`\rho_t` = ``holiday_factor`` on the single
    holiday (a Lunar-New-Year-like dip) and 1 elsewhere. With the defaults the series lies
    around 3--7 thousand views per day for a year, the holiday near 1.5 thousand.

    Args:
        days: Length T of the series, >= 1.
        generator: Source of the noise (and of the holiday when ``holiday_day`` is None).
        base: Level on day 0 in thousands, > 0.
        weekly_amplitude: Scale A of the weekly cycle, >= 0.
        trend_per_day: Change of the level per day in thousands (may be negative).
        noise: Standard deviation of the daily Gaussian noise in thousands, >= 0.
        holiday_day: Index of the holiday in [0, T); None draws it uniformly from the
            generator.
        holiday_factor: Multiplier of the holiday's views, in (0, 1]; 1 means no outlier.

    Returns:
        Views in thousands, shape (T,), float32, all positive.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if base <= 0:
        raise ValueError(f"base must be > 0, got {base}")
    if weekly_amplitude < 0:
        raise ValueError(f"weekly_amplitude must be >= 0, got {weekly_amplitude}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if not 0 < holiday_factor <= 1:
        raise ValueError(f"holiday_factor must be in (0, 1], got {holiday_factor}")
    if holiday_day is not None and not 0 <= holiday_day < days:
        raise ValueError(f"holiday_day must be in [0, {days}) or None, got {holiday_day}")
    t = torch.arange(days)  # (T,)
    weekly = torch.tensor(_WEEKLY_PROFILE)[t % 7]  # (T,)
    eps = noise * torch.randn(days, generator=generator)  # (T,)
    views = base + trend_per_day * t + weekly_amplitude * weekly + eps
    if holiday_day is None:
        holiday_day = int(torch.randint(days, (1,), generator=generator))
    views[holiday_day] = views[holiday_day] * holiday_factor
    return views.clamp_min(_MIN_VIEWS)


def sliding_windows(series: Tensor, k: int) -> tuple[Tensor, Tensor]:
    r"""Turn a series into (previous :math:`k` values :math:`\to` next value) samples.

    .. math:: X_{t} = (v_t, \dots, v_{t+k-1}), \qquad y_t = v_{t+k},
        \qquad t = 0, \dots, N-k-1

    so row :math:`t` of ``X`` holds the features :math:`x_1..x_k` of the lecture's model
    :math:`y = b + \sum_{j=1}^{k} w_j x_j` (with :math:`x_k` the most recent day).

    Args:
        series: Values :math:`v`, shape (N,).
        k: Window length, 1 <= k < N.

    Returns:
        ``(X, y)`` with shapes (N - k, k) and (N - k,), new contiguous tensors.
    """
    if series.ndim != 1:
        raise ValueError(f"series must have shape (N,), got {tuple(series.shape)}")
    n = series.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must satisfy 1 <= k < len(series) = {n}, got {k}")
    x = series.unfold(0, k, 1)[:-1].clone()  # (N - k, k): row t is series[t : t + k]
    y = series[k:].clone()  # (N - k,)
    return x, y


def xor_clusters(per_cluster: int, spread: float, generator: torch.Generator
                 ) -> tuple[Tensor, Tensor]:
    r"""SYNTHETIC XOR-like data: Gaussian clusters at (0,0), (1,1) (class 0) and (0,1),
    (1,0) (class 1). Returns x (4·per_cluster, 2) and y (4·per_cluster,) in {0, 1}."""
    corners = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([0, 0, 1, 1])
    noise = spread * torch.randn(4, per_cluster, 2, generator=generator)  # (4, n, 2)
    x = (corners[:, None, :] + noise).reshape(-1, 2)  # (4n, 2)
    return x, labels.repeat_interleave(per_cluster)
