"""Modes covered and high-quality share by hand: a collapsed generator, samples between the
modes, the mixture itself (whose high-quality share is P(chi2_2 <= 9) = 1 - exp(-4.5)), and
min_count."""

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.gan.gaussian_mixture import ring_centers, sample_mixture
from mllab.gan.mode_coverage import mode_coverage

CENTERS = ring_centers(8, radius=2.0)


def test_a_collapsed_generator_covers_one_mode_with_full_quality():
    samples = CENTERS[3].repeat(100, 1) + 0.01
    m = mode_coverage(samples, CENTERS, sigma=0.02)
    assert m.modes_covered == 1 and m.high_quality == 1.0
    assert m.counts == (0, 0, 0, 100, 0, 0, 0, 0)


def test_samples_between_the_modes_are_low_quality():
    midpoints = (CENTERS + CENTERS.roll(1, 0)) / 2
    m = mode_coverage(midpoints, CENTERS, sigma=0.02)
    assert m.modes_covered == 0 and m.high_quality == 0.0


def test_the_mixture_itself_covers_every_mode_with_the_chi2_share():
    x, _ = sample_mixture(CENTERS, 20000, 0.02, generator=torch.Generator().manual_seed(0))
    m = mode_coverage(x, CENTERS, sigma=0.02)
    assert m.modes_covered == 8
    expected = 1 - math.exp(-4.5)  # |eps|^2 ~ chi2 with 2 degrees of freedom
    assert abs(m.high_quality - expected) < 4 * math.sqrt(expected * (1 - expected) / 20000)


def test_min_count_and_bad_settings():
    samples = torch.cat([CENTERS[0].repeat(5, 1), CENTERS[1].repeat(1, 1)])
    assert mode_coverage(samples, CENTERS, 0.02).modes_covered == 2
    assert mode_coverage(samples, CENTERS, 0.02, min_count=2).modes_covered == 1
    with pytest.raises(ConfigError, match="sigma must be a number > 0"):
        mode_coverage(samples, CENTERS, 0.0)
    with pytest.raises(ValueError, match="at least one sample"):
        mode_coverage(samples[:0], CENTERS, 0.02)
