"""A DANN run for ``tests/resume_runs.py`` to kill with SIGKILL and resume
(``test_dann_step.py``): source and target batches, the lambda schedule through the step
count, the entropy term, Adam.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mllab.domain_adaptation import DANN, DANNConfig, DANNState, DANNStepConfig, dann_step
from mllab.train import seed_everything


def run() -> tuple[DANNState, Callable]:
    seed_everything(9)
    g = torch.Generator().manual_seed(9)
    x_source = torch.randn(128, 8, generator=g)
    y_source = (x_source[:, 0] > 0).long()
    x_target = torch.randn(96, 8, generator=g) + 1.0
    model = DANN(DANNConfig(in_features=8, features=8, hidden=16, classes=2))
    state = DANNState(model=model, opt=torch.optim.Adam(model.parameters(), lr=1e-3),
                      generator=torch.Generator().manual_seed(10), x_source=x_source,
                      y_source=y_source, x_target=x_target)
    return state, dann_step(DANNStepConfig(total_steps=30, batch_size=16, entropy_weight=0.1))
