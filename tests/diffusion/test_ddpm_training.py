"""Algorithm 1: the loss by hand from the same draws, a denoiser that learns on the general
loop, and a run killed with SIGKILL and resumed that ends bitwise identical."""

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.diffusion import (
    MLPDenoiser,
    NoiseSchedule,
    ddpm_loss,
    ddpm_training_step,
    epsilon_loss,
)
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import ddpm_runs  # noqa: E402

import resume_runs  # noqa: E402

RUN_FILE = Path(ddpm_runs.__file__)


def test_loss_is_lines_3_to_5_of_algorithm_1_by_hand():
    torch.manual_seed(0)
    s = NoiseSchedule.make("linear", T=100, dtype=torch.float64)
    model = MLPDenoiser(dim=3, T=100, width=16, depth=1).double()
    x0 = torch.randn(10, 3, dtype=torch.float64)
    loss = ddpm_loss(model, s, x0, generator=torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    t = torch.randint(0, 100, (10,), generator=g)
    eps = torch.randn(10, 3, generator=g, dtype=torch.float64)
    ab = s.alpha_bar[t][:, None]
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    expected = ((eps - model(xt, t)) ** 2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-14)
    assert epsilon_loss(eps, eps).item() == 0.0


def test_a_denoiser_learns_on_the_general_loop():
    state = ddpm_runs.make_state()
    # at initialisation ε_θ ≈ 0, so the loss ≈ E[ε²] = 1
    result = run_loop(ddpm_training_step(batch_size=64), state, LoopConfig(steps=300))
    first = result.history[0]["train_loss"]
    last = sum(h["train_loss"] for h in result.history[-20:]) / 20
    assert 0.7 < first < 1.5
    assert last < 0.6 * first
    with pytest.raises(ConfigError, match="batch_size"):
        ddpm_training_step(0)


def test_killed_and_resumed_training_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(RUN_FILE, tmp_path, steps=40)
