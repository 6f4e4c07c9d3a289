"""The VAE: the closed-form KL against torch.distributions, reparameterisation (values, moments,
gradients), the log-likelihoods against torch.distributions, the ELBO as a bound that is tight
at the exact posterior of a linear Gaussian model, and a VAE whose ELBO rises."""

import math

import pytest
import torch
from torch.distributions import Bernoulli, MultivariateNormal, Normal, kl_divergence

from mllab.config import ConfigError
from mllab.generative import VAE, elbo, gaussian_kl, log_likelihood, reparameterize


def test_gaussian_kl_equals_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(7, 5, dtype=torch.float64, generator=g) * 2
    logvar = torch.randn(7, 5, dtype=torch.float64, generator=g)
    q = Normal(mu, torch.exp(0.5 * logvar))
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = kl_divergence(q, p).sum(-1)
    assert torch.allclose(gaussian_kl(mu, logvar), expected, rtol=1e-13, atol=1e-14)
    assert torch.equal(gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)), torch.zeros(3))


def test_reparameterisation_values_moments_and_gradients():
    mu = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    logvar = torch.tensor([0.0, math.log(0.25)], dtype=torch.float64, requires_grad=True)
    eps = torch.tensor([0.5, 2.0], dtype=torch.float64)
    z = reparameterize(mu, logvar, noise=eps)
    assert z.tolist() == pytest.approx([1.5, -1.0])
    z.sum().backward()
    assert mu.grad.tolist() == [1.0, 1.0]  # ∂z/∂μ = 1
    assert logvar.grad.tolist() == pytest.approx([0.25, 0.5])  # ∂z/∂logσ² = σε/2
    n = 200_000
    draws = reparameterize(mu.detach().expand(n, 2), logvar.detach().expand(n, 2),
                           generator=torch.Generator().manual_seed(1))
    assert draws.mean(0).tolist() == pytest.approx([1.0, -2.0], abs=0.01)
    assert draws.std(0).tolist() == pytest.approx([1.0, 0.5], rel=0.01)
    with pytest.raises(ValueError, match="generator"):
        reparameterize(mu, logvar)


def test_log_likelihoods_equal_torch_distributions():
    g = torch.Generator().manual_seed(2)
    x, out = torch.rand(4, 6, dtype=torch.float64, generator=g), \
        torch.randn(4, 6, dtype=torch.float64, generator=g)
    assert torch.allclose(log_likelihood(x, out, "gaussian", 0.3),
                          Normal(out, 0.3).log_prob(x).sum(1), rtol=1e-13)
    binary = (x > 0.5).double()
    assert torch.allclose(log_likelihood(binary, out, "bernoulli"),
                          Bernoulli(logits=out).log_prob(binary).sum(1), rtol=1e-13)
    with pytest.raises(ConfigError, match="likelihood"):
        log_likelihood(x, out, "poisson")


def test_elbo_is_a_bound_tight_at_the_exact_posterior_of_a_linear_gaussian_model():
    # p(z) = N(0, I), p(x|z) = N(Wz + b, s²I) with orthogonal columns of W: the posterior is
    # N(M⁻¹Wᵀ(x − b), s²M⁻¹), M = WᵀW + s²I diagonal, and p(x) = N(b, WWᵀ + s²I)
    g = torch.Generator().manual_seed(3)
    Q, _ = torch.linalg.qr(torch.randn(4, 2, dtype=torch.float64, generator=g))
    W, b, s = Q * torch.tensor([2.0, 0.7], dtype=torch.float64), \
        torch.randn(4, dtype=torch.float64, generator=g), 0.5
    x = torch.randn(4, dtype=torch.float64, generator=g)
    M = torch.diag(W.T @ W) + s**2
    mu, logvar = (W.T @ (x - b)) / M, torch.log(s**2 / M)
    log_px = MultivariateNormal(b, W @ W.T + s**2 * torch.eye(4, dtype=torch.float64)).log_prob(x)
    n = 400_000
    z = reparameterize(mu.expand(n, 2), logvar.expand(n, 2), generator=g)
    exact = elbo(x.expand(n, 4), z @ W.T + b, mu.expand(n, 2), logvar.expand(n, 2), scale=s)
    assert exact.elbo.mean().item() == pytest.approx(log_px.item(), abs=5e-3)
    worse = elbo(x.expand(n, 4), (z + 0.5) @ W.T + b, mu.expand(n, 2) + 0.5,
                 logvar.expand(n, 2), scale=s)  # a posterior shifted off the exact one
    assert worse.elbo.mean().item() < log_px.item() - 0.1
    assert torch.allclose(exact.elbo, exact.reconstruction - exact.kl)


def test_a_vae_s_elbo_rises_and_it_samples():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 2, generator=g) @ torch.tensor([[1.0, 0.5], [0.0, 0.3]]) + 1.0
    vae = VAE(2, latent=1, hidden=(32,), scale=0.3)
    opt = torch.optim.Adam(vae.parameters(), lr=3e-3)
    first = vae(x, generator=g).elbo.mean().item()
    for _ in range(150):
        loss = -vae(x, generator=g).elbo.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert -loss.item() > first + 5
    assert vae.sample(10, generator=g).shape == (10, 2)
    with pytest.raises(ConfigError, match="scale"):
        VAE(2, scale=0.0)
