"""Tests for mllab.pretraining.in_context_regression: the tasks (one w per sequence, y = w.x,
the noise, the generator decides everything), the interleaved prompt, the model's shapes and
causality (later pairs, and y_i itself, never change the prediction at x_i), least squares
against numpy's minimum-norm lstsq, k-nearest neighbours against scikit-learn, and a learning
test."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.in_context_regression import (
    InContextConfig,
    InContextRegressor,
    InContextState,
    in_context_step,
    interleave,
    least_squares_predictions,
    nearest_neighbour_predictions,
    sample_tasks,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_tasks_one_w_per_sequence_and_seeded():
    t = sample_tasks(7, 5, 3, generator=_gen())
    assert t.x.shape == (7, 5, 3) and t.y.shape == (7, 5) and t.w.shape == (7, 3)
    assert torch.allclose(t.y, (t.x @ t.w[:, :, None]).squeeze(-1), atol=1e-6)
    again = sample_tasks(7, 5, 3, generator=_gen())
    assert torch.equal(t.x, again.x) and torch.equal(t.w, again.w)
    noisy = sample_tasks(7, 5, 3, generator=_gen(), noise_std=0.5)
    residual = noisy.y - (noisy.x @ noisy.w[:, :, None]).squeeze(-1)
    assert torch.equal(noisy.x, t.x) and residual.abs().max() > 0.01
    big = sample_tasks(4000, 2, 3, generator=_gen(1))
    assert abs(float(big.w.std()) - 1) < 0.05 and abs(float(big.x.mean())) < 0.05
    with pytest.raises(ConfigError, match="noise_std"):
        sample_tasks(1, 1, 1, generator=_gen(), noise_std=-1.0)


def test_interleave():
    x = torch.arange(12.0).view(1, 2, 6)[:, :, :3].contiguous()  # (1, 2, 3)
    y = torch.tensor([[10.0, 20.0]])
    z = interleave(x, y)
    assert z.shape == (1, 4, 3)
    assert z[0].tolist() == [x[0, 0].tolist(), [10.0, 0, 0], x[0, 1].tolist(), [20.0, 0, 0]]


def _model(d=3, n=6):
    torch.manual_seed(0)
    return InContextRegressor(InContextConfig(d=d, max_pairs=n, d_model=16, num_heads=2,
                                              d_ff=32, num_layers=2))


@pytest.mark.parametrize(("B", "n"), [(1, 1), (4, 6), (2, 3)])
def test_shapes(B, n):
    t = sample_tasks(B, n, 3, generator=_gen())
    assert _model()(t.x, t.y).shape == (B, n)


def test_later_pairs_and_y_i_never_change_earlier_predictions():
    model = _model().eval()
    t = sample_tasks(3, 6, 3, generator=_gen())
    with torch.no_grad():
        before = model(t.x, t.y)
        for i in range(6):
            x, y = t.x.clone(), t.y.clone()
            x[:, i + 1:] = torch.randn(x[:, i + 1:].shape, generator=_gen(i))
            y[:, i:] = torch.randn(y[:, i:].shape, generator=_gen(10 + i))  # y_i too
            after = model(x, y)
            assert torch.allclose(after[:, :i + 1], before[:, :i + 1], atol=1e-6), i
            if i < 5:
                assert not torch.allclose(after[:, i + 1:], before[:, i + 1:], atol=1e-4)


def test_refusals():
    with pytest.raises(ConfigError, match="num_heads"):
        InContextConfig(d=3, max_pairs=4, d_model=10, num_heads=3)
    t = sample_tasks(1, 7, 3, generator=_gen())
    with pytest.raises(ConfigError, match="max_pairs"):
        _model()(t.x, t.y)


def test_least_squares_equals_numpy_minimum_norm_lstsq():
    t = sample_tasks(4, 8, 3, generator=_gen(), noise_std=0.3, dtype=torch.float64)
    pred = least_squares_predictions(t.x, t.y)
    x, y = t.x.numpy(), t.y.numpy()
    for b in range(4):
        assert pred[b, 0] == 0.0  # w_hat = 0 with no example
        for k in range(1, 8):
            w = np.linalg.lstsq(x[b, :k], y[b, :k], rcond=None)[0]  # minimum norm for k < d
            assert pred[b, k].item() == pytest.approx(float(x[b, k] @ w), abs=1e-8)
    clean = sample_tasks(2, 6, 3, generator=_gen(), dtype=torch.float64)
    err = least_squares_predictions(clean.x, clean.y) - clean.y
    assert err[:, 3:].abs().max() < 1e-8  # exact once k >= d without noise


def test_nearest_neighbours_equal_scikit_learn():
    neighbors = pytest.importorskip("sklearn.neighbors")
    t = sample_tasks(3, 9, 2, generator=_gen(4), dtype=torch.float64)
    pred = nearest_neighbour_predictions(t.x, t.y, neighbours=3)
    assert (pred[:, 0] == 0).all()
    for b in range(3):
        for k in range(1, 9):
            knn = neighbors.KNeighborsRegressor(n_neighbors=min(3, k))
            knn.fit(t.x[b, :k].numpy(), t.y[b, :k].numpy())
            expected = knn.predict(t.x[b, k:k + 1].numpy())[0]
            assert pred[b, k].item() == pytest.approx(expected, abs=1e-10)


def test_training_on_random_tasks_learns_in_context():
    d, n = 2, 6
    torch.manual_seed(0)
    model = InContextRegressor(InContextConfig(d=d, max_pairs=n, d_model=32, num_heads=2,
                                               d_ff=128, num_layers=2))
    state = InContextState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=3e-3),
                           generator=_gen(1))
    step = in_context_step(batch_size=64, n=n)
    first = sum(step(state)["train_loss"] for _ in range(5)) / 5
    for _ in range(600):  # past the plateau at "predict 0" (~400 steps)
        step(state)
    model.eval()
    t = sample_tasks(1000, n, d, generator=_gen(99))  # new tasks
    with torch.no_grad():
        err = ((model(t.x, t.y) - t.y) ** 2).mean(0) / d  # (n,)
    assert first > 0.7
    assert err[0] > 0.7  # no example: nothing better than guessing 0
    assert err[-2:].mean() < 0.5 * err[0]  # examples in the prompt help, weights frozen
