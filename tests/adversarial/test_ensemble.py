"""The ensemble: weighted logits by hand, one member is that member, and an attack on the
ensemble raises every member's loss."""

import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mllab.adversarial import Ensemble, pgd
from mllab.config import ConfigError

sys.path.insert(0, str(Path(__file__).parent))
from attack_models import batch, small_model  # noqa: E402


def test_weighted_logits_and_a_single_member():
    m1, m2 = small_model(0), small_model(1)
    x, _ = batch()
    ens = Ensemble([m1, m2], weights=[0.25, 0.75])
    assert torch.allclose(ens(x), 0.25 * m1(x) + 0.75 * m2(x))
    assert torch.equal(Ensemble([m1])(x), m1(x))
    with pytest.raises(ConfigError, match="weights"):
        Ensemble([m1, m2], weights=[0.5, 0.6])


def test_attacking_the_ensemble_raises_each_members_loss():
    members = [small_model(s) for s in range(3)]
    x0, y = batch(B=32)
    x = pgd(Ensemble(members), x0, y, 0.2, 0.05, 10)
    for m in members:
        assert F.cross_entropy(m(x), y) > F.cross_entropy(m(x0), y)
