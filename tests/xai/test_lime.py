"""LIME against closed forms: on a linear model its tabular weights are the coefficients, and
its superpixel weights are each superpixel's share w·(x − baseline) of the score; the
weighted ridge fit equals weighted least squares by numpy; grid segments by hand."""

import numpy as np
import torch

from mllab.xai import grid_segments, lime_image, lime_tabular, weighted_ridge


def test_tabular_weights_recover_a_linear_models_coefficients():
    lin = torch.nn.Linear(4, 3).double()
    x = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
    w = lime_tabular(lin, x, 2, torch.tensor([1.0, 2.0, 0.5, 3.0], dtype=torch.float64),
                     generator=torch.Generator().manual_seed(0), samples=200)
    assert torch.allclose(w, lin.weight[2].detach(), atol=1e-10)


def test_image_weights_are_each_superpixels_contribution():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(1, 6, 6, generator=g, dtype=torch.float64)
    f = lambda z: torch.stack([(z * W).sum(dim=(1, 2, 3)), -(z * W).sum(dim=(1, 2, 3))], 1)  # noqa: E731
    x = torch.rand(1, 6, 6, generator=g, dtype=torch.float64)
    seg = grid_segments(6, 6, 3)
    w = lime_image(f, x, 0, seg, generator=torch.Generator().manual_seed(1), samples=300,
                   baseline=0.25)
    expected = torch.stack([((x - 0.25) * W)[:, seg == m].sum() for m in range(4)])
    assert torch.allclose(w, expected, atol=1e-10)


def test_weighted_ridge_is_weighted_least_squares():
    g = torch.Generator().manual_seed(0)
    Z = torch.randn(30, 3, generator=g, dtype=torch.float64)
    y = torch.randn(30, generator=g, dtype=torch.float64)
    pi = torch.rand(30, generator=g, dtype=torch.float64)
    w, b = weighted_ridge(Z, y, pi)
    A = np.hstack([Z.numpy(), np.ones((30, 1))]) * np.sqrt(pi.numpy())[:, None]
    theta = np.linalg.lstsq(A, y.numpy() * np.sqrt(pi.numpy()), rcond=None)[0]
    assert np.allclose(np.append(w.numpy(), b.item()), theta, atol=1e-12)
    shrunk, _ = weighted_ridge(Z, y, pi, rho=10.0)
    assert shrunk.norm() < w.norm()


def test_grid_segments():
    assert torch.equal(grid_segments(4, 5, 2), torch.tensor([[0, 0, 1, 1, 2], [0, 0, 1, 1, 2],
                                                             [3, 3, 4, 4, 5], [3, 3, 4, 4, 5]]))
