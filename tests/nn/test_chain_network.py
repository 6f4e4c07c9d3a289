"""The lecture's y = w2·w1·x: the saddle point at the origin by hand."""


import torch

from mllab.analysis import gradient_and_hessian
from mllab.losses import mse
from mllab.nn import ChainNetwork


def test_chain_network_at_zero_is_the_lectures_saddle():
    # L = (1 - w1 w2)²: g = 0 and H = [[0, -2], [-2, 0]] at w1 = w2 = 0 (lecture, by hand)
    x, y = torch.ones(1, 1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    g, H = gradient_and_hessian(ChainNetwork(0.0, 0.0), mse, x, y)
    assert torch.equal(g, torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(H, torch.tensor([[0.0, -2.0], [-2.0, 0.0]], dtype=torch.float64))
    # away from it: L(0.5, 2) = 0, g = 0; H = 2 [w2, w1]ᵀ[w2, w1] there
    g, H = gradient_and_hessian(ChainNetwork(0.5, 2.0), mse, x, y)
    torch.testing.assert_close(g, torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(H, 2 * torch.tensor([[4.0, 1.0], [1.0, 0.25]],
                                                   dtype=torch.float64))
