"""Pure helpers inside experiments: checked by hand, and a diverged trial stays diverged."""

import pytest
import torch

from mllab.experiments.classification import best_linear_accuracy, xor_clusters
from mllab.experiments.context import RunContext
from mllab.experiments.regression import least_squares, mse_hessian_max_eigenvalue
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.train import NonFiniteLossError, TrainConfig


def test_best_linear_accuracy_by_hand():
    corners = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert best_linear_accuracy(corners, torch.tensor([0, 0, 1, 1])) == 0.75  # XOR
    assert best_linear_accuracy(corners, torch.tensor([0, 1, 0, 1])) == 1.0  # x₁ > 0.5
    x, y = xor_clusters(20, 0.1, torch.Generator().manual_seed(0))
    assert x.shape == (80, 2) and y.bincount().tolist() == [40, 40]
    assert best_linear_accuracy(x, y) < 0.8


def test_least_squares_and_hessian_closed_forms():
    x = torch.tensor([[1.0], [2.0], [3.0]])
    theta, loss = least_squares(x, 2 * x[:, 0] + 1)
    torch.testing.assert_close(theta, torch.tensor([2.0, 1.0], dtype=torch.float64))
    assert loss == pytest.approx(0.0, abs=1e-20)
    # H = (2/N) AᵀA with A = [x 1]: [[28/3, 4], [4, 2]]
    h = torch.tensor([[28 / 3, 4.0], [4.0, 2.0]], dtype=torch.float64)
    assert mse_hessian_max_eigenvalue(x) == pytest.approx(torch.linalg.eigvalsh(h).max().item())


def test_diverged_trial_is_stored_and_raises_again_without_training(tmp_path):
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    y = 100 * x.sum(1)

    def attempt(ctx: RunContext) -> str:
        with ctx.trial("diverges") as t:
            model = LinearModel(2)
            calls = []

            def loss(pred, target):
                calls.append(1)
                return mse(pred, target)

            with pytest.raises(NonFiniteLossError) as info:
                t.fit(model, torch.optim.SGD(model.parameters(), lr=10.0), loss, (x, y), None,
                      TrainConfig(epochs=200))
        return str(info.value), len(calls)

    first, calls = attempt(RunContext(tmp_path, 0, quick=True, progress=False,
                                      checkpoint_seconds=5.0))
    assert calls > 0 and "non-finite" in first
    again, calls = attempt(RunContext(tmp_path, 0, quick=True, progress=False,
                                      checkpoint_seconds=5.0))
    assert again == first and calls == 0


def test_compare_separates_signal_from_noise():
    from mllab.experiments.cnn import compare

    assert compare([0.9, 0.91, 0.92], [0.8, 0.81, 0.82])[0] == "held"
    assert compare([0.8, 0.81, 0.82], [0.9, 0.91, 0.92])[0] == "contradicted"
    assert compare([0.90, 0.95, 0.85], [0.91, 0.86, 0.93])[0] == "within noise"
    outcome, diff, se = compare([0.9], [0.8])
    assert outcome == "held" and diff == pytest.approx(0.1) and se == 0.0
