"""Density training on the general loop: one step is the update by hand, both objectives
learn, and a run killed with SIGKILL and resumed ends bitwise identical."""

import copy
import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.generative import density_step, flow_nll, vae_nll
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import density_runs  # noqa: E402

import resume_runs  # noqa: E402


@pytest.mark.parametrize(("kind", "objective"), [("vae", vae_nll), ("flow", flow_nll)])
def test_one_step_is_the_update_by_hand(kind, objective):
    state = density_runs.make_state(kind)
    model = copy.deepcopy(state.model)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(density_runs.SEED)
    x = state.data[torch.randint(len(state.data), (32,), generator=g)]
    if kind == "vae":
        mu, logvar = model.encode(x)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
        log_p = -0.5 * (((x - model.decode(z)) / 0.5) ** 2
                        + torch.log(torch.tensor(2 * torch.pi * 0.25))).sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        loss = (kl - log_p).mean()  # -ELBO
    else:
        loss = -model.log_prob(x).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()

    line = density_step(objective, 32)(state)
    assert line["train_loss"] == pytest.approx(loss.item(), rel=1e-6)
    for p, q in zip(state.model.parameters(), model.parameters(), strict=True):
        assert torch.allclose(p, q, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("kind", "objective"), [("vae", vae_nll), ("flow", flow_nll)])
def test_both_objectives_learn(kind, objective):
    state = density_runs.make_state(kind)
    with torch.no_grad():
        before = objective(state.model, state.data, torch.Generator().manual_seed(9)).mean()
    run_loop(density_step(objective, 32), state, LoopConfig(steps=300))
    with torch.no_grad():
        after = objective(state.model, state.data, torch.Generator().manual_seed(9)).mean()
    assert after < before - 1.0


def test_bad_batch_size_names_the_range():
    with pytest.raises(ConfigError, match="batch_size"):
        density_step(flow_nll, 0)


def test_killed_and_resumed_training_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(Path(density_runs.__file__), tmp_path, steps=40)
