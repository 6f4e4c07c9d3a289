"""The JS divergence: against scipy, log 2 for disjoint supports in 1-D and 2-D whatever the
distance (the lecture's argument), 0 for equal distributions, histograms of samples."""

import math

import pytest
import torch
from scipy.spatial.distance import jensenshannon

from mllab.gan.js_divergence import LOG_2, histogram, js_divergence, kl_divergence

f64 = torch.float64


def test_against_scipy():
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        p, q = torch.rand(7, generator=g, dtype=f64), torch.rand(7, generator=g, dtype=f64)
        p, q = p / p.sum(), q / q.sum()
        assert math.isclose(js_divergence(p, q).item(), jensenshannon(p, q) ** 2, rel_tol=1e-10)


def test_kl_by_hand_and_its_infinity():
    p, q = torch.tensor([0.5, 0.5, 0.0]), torch.tensor([0.25, 0.25, 0.5])
    assert math.isclose(kl_divergence(p, q).item(), math.log(2), rel_tol=1e-12)
    assert kl_divergence(q, p).item() == math.inf


def test_disjoint_supports_give_log_2_at_every_distance_in_1d():
    edges = torch.linspace(-1, 11, 121, dtype=f64)
    a = torch.linspace(0, 1, 500, dtype=f64)[:, None]  # uniform-ish on [0, 1]
    values = [js_divergence(histogram(a, [edges]), histogram(a + shift, [edges])).item()
              for shift in (1.5, 3.0, 6.0, 9.0)]
    assert values == pytest.approx([LOG_2] * 4, abs=1e-12)
    overlapping = js_divergence(histogram(a, [edges]), histogram(a + 0.5, [edges])).item()
    assert 0 < overlapping < LOG_2 - 0.1


def test_disjoint_supports_give_log_2_in_2d_and_equal_ones_zero():
    edges = [torch.linspace(-3, 3, 13), torch.linspace(-3, 3, 13)]
    g = torch.Generator().manual_seed(1)
    x = torch.rand(400, 2, generator=g) - 2.5  # in [-2.5, -1.5]^2
    p, q = histogram(x, edges), histogram(x + 3, edges)  # in [0.5, 1.5]^2
    assert p.shape == (12, 12) and math.isclose(float(p.sum()), 1.0)
    assert js_divergence(p, q).item() == pytest.approx(LOG_2, abs=1e-12)
    assert js_divergence(p, p).item() == 0.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one shape"):
        js_divergence(torch.ones(2) / 2, torch.ones(3) / 3)
    with pytest.raises(ValueError, match="probability distribution"):
        js_divergence(torch.tensor([0.5, 0.6]), torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        histogram(torch.zeros(5), [torch.arange(3.0), torch.arange(3.0)])
