"""The four families of generative-families on both kinds of data: each trains in a trial,
samples the data's shape, and gives a held-out negative log-likelihood exactly where it has
one; a finished trial restored from its checkpoint samples the same."""

import pytest
import torch

from mllab.experiments.context import RunContext
from mllab.experiments.image_generation.families import (
    FAMILIES,
    Budget,
    evaluations,
    train_family,
)
from mllab.experiments.progress import TrialProgress

DATA = {"points": torch.randn(64, 2, generator=torch.Generator().manual_seed(0)),
        "digits": torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1}


def _trained(tmp_path, family, data):
    ctx = RunContext(tmp_path, 0, quick=True, progress=TrialProgress("t", bar=False),
                     checkpoint_seconds=5.0)
    with ctx.trial(family) as t:
        return train_family(t, family, data, Budget(steps=3, gan_steps=2, lr=1e-3, T=10),
                            generator=ctx.generator("draws"), nll_generator=ctx.generator("n"),
                            fingerprint={})


@pytest.mark.parametrize("kind", DATA)
@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_samples_the_data_shape(tmp_path, family, kind):
    data = DATA[kind]
    trained = _trained(tmp_path, family, data)
    with torch.no_grad():
        x = trained.sample(5, torch.Generator().manual_seed(2))
        again = _trained(tmp_path, family, data).sample(5, torch.Generator().manual_seed(2))
        assert x.shape == (5, *data.shape[1:]) and torch.isfinite(x).all()
        assert torch.equal(x, again)  # restored from the finished trial's checkpoint
        if family in ("vae", "flow"):
            nll = trained.nll(data[:7])
            assert nll.shape == (7,) and torch.isfinite(nll).all()
        else:
            assert trained.nll is None


def test_only_diffusion_pays_T_evaluations():
    assert evaluations(1000) == {"vae": 1, "flow": 1, "diffusion": 1000, "gan": 1}
