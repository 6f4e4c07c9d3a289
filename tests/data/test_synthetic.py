"""Tests of the SYNTHETIC generators ``kinked_curve`` and ``channel_views`` and of
``sliding_windows``: seeding, shapes, the kinks, the weekly period and the holiday outlier."""

import pytest
import torch

from mllab.data import channel_views, kinked_curve, sliding_windows, xor_clusters


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _autocorrelation(v: torch.Tensor, lag: int) -> float:
    v = v - v.mean()
    return float((v[lag:] * v[:-lag]).sum() / (v * v).sum())


def _dips(views: torch.Tensor, ratio: float = 0.6) -> list[int]:
    """Days whose views fall below ``ratio`` times the median of the same weekday +-1, 2 weeks."""
    days = []
    for t in range(len(views)):
        same_weekday = [views[s] for s in (t - 14, t - 7, t + 7, t + 14) if 0 <= s < len(views)]
        if views[t] < ratio * torch.stack(same_weekday).median():
            days.append(t)
    return days


# ----------------------------------------------------------------------------- kinked_curve


def test_kinked_curve_is_seeded():
    x1, y1 = kinked_curve(50, generator=_gen(0))
    x2, y2 = kinked_curve(50, generator=_gen(0))
    x3, y3 = kinked_curve(50, generator=_gen(1))
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3) and not torch.equal(y1, y3)


@pytest.mark.parametrize("n", [1, 7, 200])
def test_kinked_curve_shapes_sorted_and_in_range(n):
    x, y = kinked_curve(n, generator=_gen(n), x_range=(-2.0, 5.0))
    assert x.shape == (n, 1) and y.shape == (n,)
    assert torch.all(x[1:, 0] >= x[:-1, 0])
    assert x.min() >= -2.0 and x.max() <= 5.0


def test_kinked_curve_is_a_smooth_part_plus_a_sum_of_relus():
    x, y = kinked_curve(400, generator=_gen(2), noise=0.0)
    x = x[:, 0].double()
    target = y.double() - 0.5 * torch.sin(2 * x)  # remove the smooth part
    line = torch.stack([torch.ones_like(x), x], dim=1)
    relus = torch.stack([torch.relu(x - b) for b in (-1.5, 0.0, 1.5)], dim=1)

    def rms_residual(design: torch.Tensor) -> float:
        coef = torch.linalg.lstsq(design, target.unsqueeze(1)).solution
        return float((design @ coef - target.unsqueeze(1)).pow(2).mean().sqrt())

    assert rms_residual(line) > 0.2  # not a straight line: it has kinks
    assert rms_residual(torch.cat([line, relus], dim=1)) < 1e-5  # exactly 3 ReLU kinks


def test_kinked_curve_noise_has_the_requested_std():
    x0, y0 = kinked_curve(20000, generator=_gen(3), noise=0.0)
    x1, y1 = kinked_curve(20000, generator=_gen(3), noise=0.3)
    assert torch.equal(x0, x1)  # same inputs, only the noise differs
    assert abs(float((y1 - y0).std()) - 0.3) < 0.01


def test_kinked_curve_validates_arguments():
    with pytest.raises(ValueError, match="n"):
        kinked_curve(0, generator=_gen(0))
    with pytest.raises(ValueError, match="noise"):
        kinked_curve(5, generator=_gen(0), noise=-1.0)
    with pytest.raises(ValueError, match="x_range"):
        kinked_curve(5, generator=_gen(0), x_range=(1.0, 1.0))


# ---------------------------------------------------------------------------- channel_views


def test_channel_views_is_seeded():
    a = channel_views(120, generator=_gen(0))
    assert torch.equal(a, channel_views(120, generator=_gen(0)))
    assert not torch.equal(a, channel_views(120, generator=_gen(1)))


@pytest.mark.parametrize("seed", range(5))
def test_channel_views_realistic_range_with_weekly_period(seed):
    views = channel_views(365, generator=_gen(seed))
    assert views.shape == (365,)
    assert views.min() > 1.0 and views.max() < 8.0
    assert 4.0 < float(views.median()) < 7.0
    assert _autocorrelation(views, 7) > _autocorrelation(views, 3) + 0.3
    assert _autocorrelation(views, 7) > 0.5


def test_channel_views_dip_on_friday_and_saturday():
    views = channel_views(700, generator=_gen(4), trend_per_day=0.0)
    weekday = torch.arange(700) % 7  # day 0 is a Monday
    fri_sat = views[(weekday == 4) | (weekday == 5)].mean()
    mon_thu = views[weekday <= 3].mean()
    assert fri_sat < mon_thu - 1.0


def test_channel_views_trend():
    views = channel_views(364, generator=_gen(5), trend_per_day=0.01)
    assert views[-28:].mean() - views[:28].mean() > 2.5  # about 0.01 * 336 = 3.4


@pytest.mark.parametrize("seed", range(5))
def test_channel_views_has_exactly_one_holiday_outlier(seed):
    views = channel_views(365, generator=_gen(seed), holiday_day=100)
    assert _dips(views) == [100]
    assert int(views.argmin()) == 100


def test_drawn_holiday_is_one_deterministic_day():
    views = channel_views(200, generator=_gen(6))
    dips = _dips(views)
    assert len(dips) == 1
    assert _dips(channel_views(200, generator=_gen(6))) == dips


def test_holiday_factor_one_means_no_outlier():
    assert _dips(channel_views(365, generator=_gen(7), holiday_factor=1.0)) == []


def test_channel_views_stay_positive_under_extreme_settings():
    views = channel_views(
        200, generator=_gen(8), base=0.5, weekly_amplitude=3.0, trend_per_day=-0.05, noise=2.0
    )
    assert torch.all(views > 0)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"days": 0}, "days"),
        ({"base": 0.0}, "base"),
        ({"noise": -0.1}, "noise"),
        ({"holiday_day": 30}, "holiday_day"),
        ({"holiday_factor": 0.0}, "holiday_factor"),
        ({"weekly_amplitude": -1.0}, "weekly_amplitude"),
    ],
)
def test_channel_views_validates_arguments(kwargs, named):
    args = {"days": 30, **kwargs}
    with pytest.raises(ValueError, match=named):
        channel_views(args.pop("days"), generator=_gen(0), **args)


# -------------------------------------------------------------------------- sliding_windows


def test_sliding_windows_by_hand():
    series = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    x, y = sliding_windows(series, 2)
    assert torch.equal(x, torch.tensor([[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]))
    assert torch.equal(y, torch.tensor([3.0, 4.0, 5.0]))
    x, y = sliding_windows(series, 4)
    assert torch.equal(x, torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
    assert torch.equal(y, torch.tensor([5.0]))


@pytest.mark.parametrize(("n", "k"), [(2, 1), (10, 1), (10, 7), (56, 28)])
def test_sliding_windows_shapes_and_rows(n, k):
    series = torch.arange(n, dtype=torch.float32) ** 2
    x, y = sliding_windows(series, k)
    assert x.shape == (n - k, k) and y.shape == (n - k,)
    for t in range(n - k):
        assert torch.equal(x[t], series[t : t + k]) and y[t] == series[t + k]


def test_sliding_windows_returns_copies():
    series = torch.arange(6.0)
    x, y = sliding_windows(series, 3)
    x[0, 0] = -1.0
    y[0] = -1.0
    assert torch.equal(series, torch.arange(6.0))


@pytest.mark.parametrize("k", [0, -1, 5, 6])
def test_sliding_windows_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must satisfy"):
        sliding_windows(torch.arange(5.0), k)


def test_sliding_windows_rejects_2d_series():
    with pytest.raises(ValueError, match="shape"):
        sliding_windows(torch.zeros(4, 2), 1)


def test_xor_clusters_sit_at_the_corners_with_xor_labels():
    x, y = xor_clusters(200, 0.05, torch.Generator().manual_seed(1))
    assert x.shape == (800, 2) and y.shape == (800,) and y.bincount().tolist() == [400, 400]
    corners = x.round()  # spread 0.05: every point rounds to its own corner
    assert torch.equal(y, (corners[:, 0] != corners[:, 1]).long())
    again, _ = xor_clusters(200, 0.05, torch.Generator().manual_seed(1))
    assert torch.equal(x, again)
