"""Auto-encoders: the linear one trained with MSE spans PCA's subspace (scikit-learn PCA,
principal angles by scipy); shapes; a conv auto-encoder learns to reconstruct."""

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from mllab.autoencoder import ConvAutoencoder, MLPAutoencoder, reconstruction_error
from mllab.config import ConfigError


def _digits(n: int = 400) -> np.ndarray:
    return load_digits().data[:n] / 16.0  # (n, 64) in [0, 1]


def test_linear_autoencoder_spans_the_pca_subspace():
    X, k = _digits(), 3
    x = torch.tensor(X)  # float64
    torch.manual_seed(0)
    ae = MLPAutoencoder(64, k).double()
    pca = PCA(k).fit(X)
    angle_at_init = subspace_angles(ae.decoder[0].weight.detach().numpy(), pca.components_.T)
    opt = torch.optim.LBFGS(ae.parameters(), lr=1, max_iter=400, tolerance_grad=1e-12,
                            tolerance_change=1e-15, history_size=20,
                            line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = reconstruction_error(x, ae(x)).mean()
        loss.backward()
        return loss

    opt.step(closure)
    # the decoder's columns span the k leading principal directions (Baldi & Hornik, 1989)
    angles = subspace_angles(ae.decoder[0].weight.detach().numpy(), pca.components_.T)
    assert angle_at_init.max() > 0.3
    assert angles.max() < 0.01  # radians
    # and its error is PCA's: the sum of the discarded variances
    pca_error = ((X - pca.inverse_transform(pca.transform(X))) ** 2).sum(1).mean()
    assert closure().item() == pytest.approx(pca_error, rel=1e-5)


@pytest.mark.parametrize("hidden", [(), (32,), (48, 24)])
@pytest.mark.parametrize("code_size", [1, 5])
def test_mlp_shapes(hidden, code_size):
    ae = MLPAutoencoder(64, code_size, hidden, activation="tanh")
    x = torch.randn(7, 64)
    assert ae.encode(x).shape == (7, code_size)
    assert ae(x).shape == (7, 64)
    assert len([m for m in ae.encoder if isinstance(m, torch.nn.Linear)]) == len(hidden) + 1


def test_conv_autoencoder_shapes_and_learns_digits():
    torch.manual_seed(0)
    x = torch.tensor(_digits(64), dtype=torch.float32).view(-1, 1, 8, 8)  # (B, 1, 8, 8)
    ae = ConvAutoencoder(code_size=8, channels=8)
    assert ae.encode(x).shape == (64, 8)
    assert ae(x).shape == x.shape
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    first = reconstruction_error(x, ae(x)).mean().item()
    for _ in range(150):
        opt.zero_grad()
        loss = reconstruction_error(x, ae(x)).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 0.3 * first


def test_reconstruction_error_by_hand():
    x, x_hat = torch.tensor([[1.0, 2.0], [0.0, 0.0]]), torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    assert reconstruction_error(x, x_hat).tolist() == [5.0, 25.0]


def test_configuration_is_validated():
    with pytest.raises(ConfigError, match="code_size"):
        MLPAutoencoder(64, 0)
    with pytest.raises(ConfigError, match="activation"):
        MLPAutoencoder(64, 2, (8,), activation="gelu")
    with pytest.raises(ConfigError, match="size"):
        ConvAutoencoder(4, size=6)
