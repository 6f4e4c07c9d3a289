"""Policy gradient's A_t, versions 0-3: by hand on a short episode, and the lecture's point
that without a baseline every A_t is positive when every reward is."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.rl import advantages, discounted_returns

R = torch.tensor([1.0, 0.0, 2.0, 3.0], dtype=torch.float64)


def test_discounted_returns_by_hand():
    g = 0.5
    expected = [1 + g * 0 + g**2 * 2 + g**3 * 3, 0 + g * 2 + g**2 * 3, 2 + g * 3, 3.0]
    assert discounted_returns(R, g).tolist() == pytest.approx(expected, rel=1e-15)
    assert discounted_returns(R, 1.0).tolist() == [6.0, 5.0, 5.0, 3.0]  # the cumulated reward
    assert discounted_returns(R, 0.0).tolist() == R.tolist()  # the immediate reward


def test_the_four_versions():
    assert advantages(R, 0).tolist() == R.tolist()
    assert advantages(R, 1).tolist() == [6.0, 5.0, 5.0, 3.0]
    assert torch.equal(advantages(R, 2, gamma=0.9), discounted_returns(R, 0.9))
    b = discounted_returns(R, 0.9).mean()
    v3 = advantages(R, 3, gamma=0.9, baseline=b)
    assert torch.equal(v3, discounted_returns(R, 0.9) - b)
    assert (v3 < 0).any() and (advantages(R, 2, gamma=0.9) >= 0).all()  # only b makes A < 0


def test_bad_version_and_gamma_name_the_range():
    with pytest.raises(ConfigError, match="version must be one of 0, 1, 2, 3"):
        advantages(R, 4)
    with pytest.raises(ConfigError, match=r"gamma must be in \[0, 1\]"):
        discounted_returns(R, 1.5)
