"""An adversarial-training run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_adversarial_training.py``): PGD with random starts inside every step, an MLP on a few
hundred digits scaled to [0, 1], SGD with momentum.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from sklearn.datasets import load_digits
from torch import nn

from mllab.adversarial import AdversarialConfig, AdversarialState, adversarial_training_step
from mllab.train import seed_everything


def digits01(n: int = 300) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The first ``n`` digits as ``(n, 64)`` pixels in [0, 1] and their labels."""
    bunch = load_digits()
    x = torch.as_tensor(bunch.data[:n], dtype=torch.float32) / 16  # (n, 64)
    return x, torch.as_tensor(bunch.target[:n])


def run() -> tuple[AdversarialState, Callable]:
    seed_everything(8)
    x, y = digits01()
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    state = AdversarialState(
        model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        generator=torch.Generator().manual_seed(8), x=x, y=y)
    return state, adversarial_training_step(AdversarialConfig(eps=0.1, steps=3, mix=0.5,
                                                              batch_size=32))
