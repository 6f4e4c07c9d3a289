"""Adversarial training on the general loop: one step by hand (the same batch, PGD from the
same random start, the mixed loss and SGD's update), a network trained so being more robust to
PGD than one trained on clean data, the config's ranges, and a run killed with SIGKILL and
resumed that ends bitwise identical."""

import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mllab.adversarial import AdversarialConfig, adversarial_training_step, pgd
from mllab.config import ConfigError
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import adversarial_runs  # noqa: E402

import resume_runs  # noqa: E402

RUN_FILE = Path(adversarial_runs.__file__)


def test_one_step_by_hand():
    state, step = adversarial_runs.run()
    model = copy.deepcopy(state.model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(8)
    idx = torch.randint(len(state.x), (32,), generator=g)
    x, y = state.x[idx], state.y[idx]
    x_adv = pgd(model, x, y, 0.1, 0.025, 3, generator=g)
    assert (x_adv - x).abs().max() <= 0.1 + 1e-6 and 0 <= x_adv.min() and x_adv.max() <= 1
    adversarial = F.cross_entropy(model(x_adv), y)
    loss = 0.5 * adversarial + 0.5 * F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    line = step(state)
    assert line["loss"] == pytest.approx(adversarial.item(), rel=1e-6)
    for a, b in zip(state.model.parameters(), model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_adversarial_training_is_more_robust_to_pgd():
    def robust_accuracy(eps_train):
        state, _ = adversarial_runs.run()
        if eps_train:
            step = adversarial_training_step(AdversarialConfig(eps=eps_train, alpha=0.05,
                                                               steps=3, batch_size=32))
        else:  # clean training: the same step with a vanishing ball
            step = adversarial_training_step(AdversarialConfig(eps=1e-9, alpha=1e-9, steps=1,
                                                               random_start=False,
                                                               batch_size=32))
        run_loop(step, state, LoopConfig(steps=200))
        x_adv = pgd(state.model, state.x, state.y, 0.2, 0.05, 10)
        return (state.model(x_adv).argmax(1) == state.y).float().mean().item()

    assert robust_accuracy(0.2) > robust_accuracy(0.0) + 0.2  # measured: 0.36 against 0.04


def test_config_ranges():
    with pytest.raises(ConfigError, match="eps must be a number > 0"):
        AdversarialConfig(eps=0)
    with pytest.raises(ConfigError, match="norm must be one of inf, 2"):
        AdversarialConfig(norm="1")
    with pytest.raises(ConfigError, match=r"mix must be a number in \[0, 1\)"):
        AdversarialConfig(mix=1.0)


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(RUN_FILE, tmp_path, steps=30)
