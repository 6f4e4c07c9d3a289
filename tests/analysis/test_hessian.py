"""Tests for mllab.analysis.hessian: g and H against autograd and closed forms, Hv, flat θ."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mllab.analysis import (
    epsilon_sharpness,
    flat_params,
    gradient_and_hessian,
    hvp,
    hvp_operator,
    loss_along_line,
    model_loss_fn,
    set_flat_params,
    top_hessian_eigenvalue,
)
from mllab.nn.norm import BatchNorm


def test_hessian_equals_autograd_functional_hessian(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    theta = flat_params(model)
    assert theta.shape == (13,)  # 2·3 + 3 + 3·1 + 1

    def f_ref(t: torch.Tensor) -> torch.Tensor:  # the loss written by hand, no functional_call
        W1, b1, W2, b2 = t[:6].view(3, 2), t[6:9], t[9:12].view(1, 3), t[12:]
        return ((torch.tanh(x @ W1.T + b1) @ W2.T + b2 - y) ** 2).mean()

    H_ref = torch.autograd.functional.hessian(f_ref, theta)
    g, H = gradient_and_hessian(model, loss_fn, x, y)
    torch.testing.assert_close(H, H_ref, rtol=0, atol=1e-10)
    assert H.dtype == torch.float64

    loss = loss_fn(model(x), y)
    g_ref = torch.cat([p.reshape(-1) for p in torch.autograd.grad(loss, model.parameters())])
    torch.testing.assert_close(g, g_ref, rtol=0, atol=1e-12)


def test_linear_model_mse_hessian_is_two_over_n_AtA() -> None:
    """L = (1/N)||A θ - y||², A = [X, 1]  ⇒  g = (2/N) Aᵀ(Aθ - y), H = (2/N) AᵀA."""
    gen = torch.Generator().manual_seed(3)
    N, C = 20, 4
    X = torch.randn(N, C, generator=gen, dtype=torch.float64)
    y = torch.randn(N, 1, generator=gen, dtype=torch.float64)
    model = nn.Linear(C, 1).double()
    set_flat_params(model, torch.randn(C + 1, generator=gen, dtype=torch.float64))
    A = torch.cat([X, torch.ones(N, 1, dtype=torch.float64)], dim=1)  # (N, C+1), weight then bias
    theta = flat_params(model)

    g, H = gradient_and_hessian(model, nn.functional.mse_loss, X, y)
    torch.testing.assert_close(H, 2 / N * A.T @ A, rtol=0, atol=1e-13)
    torch.testing.assert_close(g, 2 / N * A.T @ (A @ theta - y[:, 0]), rtol=0, atol=1e-13)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hvp_equals_H_times_v(mlp_problem, seed: int) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=4, seed=seed)
    _, H = gradient_and_hessian(model, loss_fn, x, y)
    v = torch.randn(H.shape[0], generator=torch.Generator().manual_seed(10 + seed),
                    dtype=torch.float64)
    torch.testing.assert_close(hvp(model, loss_fn, x, y, v), H @ v, rtol=0, atol=1e-12)
    matvec = hvp_operator(model, loss_fn, x, y)
    torch.testing.assert_close(matvec(2 * v), 2 * H @ v, rtol=0, atol=1e-12)


def test_hvp_rejects_wrong_length(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    with pytest.raises(ValueError, match=r"\(P,\) = \(13,\)"):
        hvp(model, loss_fn, x, y, torch.ones(12, dtype=torch.float64))


def test_flat_params_round_trip_and_order(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    theta = flat_params(model)
    assert not theta.requires_grad
    torch.testing.assert_close(theta[:6], model[0].weight.detach().reshape(-1), rtol=0, atol=0)
    torch.testing.assert_close(theta[-1:], model[2].bias.detach(), rtol=0, atol=0)

    theta_new = torch.arange(13, dtype=torch.float64)
    set_flat_params(model, theta_new)
    torch.testing.assert_close(flat_params(model), theta_new, rtol=0, atol=0)
    assert model[0].weight[1, 0].item() == 2.0  # row-major: weight (3, 2) holds 0..5
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="theta"):
        set_flat_params(model, torch.zeros(14, dtype=torch.float64))


def test_model_loss_fn_is_the_loss_and_leaves_the_model_alone(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    theta = flat_params(model)
    f = model_loss_fn(model, loss_fn, x, y)
    torch.testing.assert_close(f(theta), loss_fn(model(x), y), rtol=0, atol=0)

    theta_other = theta + 0.1
    value = f(theta_other)
    torch.testing.assert_close(flat_params(model), theta, rtol=0, atol=0)  # untouched
    set_flat_params(model, theta_other)
    torch.testing.assert_close(value, loss_fn(model(x), y), rtol=0, atol=1e-15)


def test_works_in_the_model_dtype(mlp_problem) -> None:
    model, loss_fn, x, y = mlp_problem(hidden=3)
    g64, H64 = gradient_and_hessian(model, loss_fn, x, y)
    model = model.float()
    g, H = gradient_and_hessian(model, loss_fn, x.float(), y.float())
    assert g.dtype == H.dtype == torch.float32
    torch.testing.assert_close(H, H64.float(), rtol=1e-4, atol=1e-5)
    v = torch.ones(13, dtype=torch.float64)  # cast to the model's dtype
    assert hvp(model, loss_fn, x.float(), y.float(), v).dtype == torch.float32


def _with(layer: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), layer, nn.Tanh(), nn.Linear(3, 1)).double()


ANALYSES = {  # every model-based analysis goes through model_loss_fn
    "gradient_and_hessian": lambda m, x, y: gradient_and_hessian(m, nn.functional.mse_loss,
                                                                 x, y),
    "hvp": lambda m, x, y: hvp(m, nn.functional.mse_loss, x, y,
                               torch.ones_like(flat_params(m))),
    "top_hessian_eigenvalue": lambda m, x, y: top_hessian_eigenvalue(
        m, nn.functional.mse_loss, x, y, iterations=3, generator=torch.Generator()),
    "epsilon_sharpness": lambda m, x, y: epsilon_sharpness(
        m, nn.functional.mse_loss, x, y, steps=2, generator=torch.Generator()),
    "loss_along_line": lambda m, x, y: loss_along_line(
        m, nn.functional.mse_loss, x, y, torch.ones_like(flat_params(m)),
        torch.tensor([0.0, 1.0], dtype=torch.float64)),
}


@pytest.mark.parametrize("analysis", ANALYSES)
@pytest.mark.parametrize(("layer", "refused"), [
    (lambda: nn.BatchNorm1d(3), r"'1' \(BatchNorm1d\) is in training mode: batch normalization "
                                r"would normalize with the batch's statistics"),
    (lambda: BatchNorm(3), r"'1' \(BatchNorm\) is in training mode: batch normalization"),
    (lambda: nn.Dropout(0.3), r"'1' \(Dropout\) is in training mode: dropout would draw a new "
                              r"mask"),
], ids=["nn.BatchNorm1d", "mllab.BatchNorm", "nn.Dropout"])
def test_a_model_in_training_mode_is_refused_with_the_call_to_make(analysis, layer, refused):
    model = _with(layer())
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = x[:, :1] * x[:, 1:]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=refused + r".*; call model\.eval\(\) first$"):
        ANALYSES[analysis](model, x, y)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())  # untouched
    ANALYSES[analysis](model.eval(), x, y)  # what the message asks for works


def test_in_eval_mode_the_gradient_is_autograd_s_and_untracked_batch_norm_is_allowed():
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y = x[:, :1] * x[:, 1:]
    for model in [_with(nn.BatchNorm1d(3)).eval(), _with(nn.Dropout(0.3)).eval(),
                  _with(nn.BatchNorm1d(3, track_running_stats=False)),  # training: batch stats
                  _with(nn.Dropout(0.0))]:
        g, _ = gradient_and_hessian(model, nn.functional.mse_loss, x, y)
        model.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        expected = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        torch.testing.assert_close(g, expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"'1' \(BatchNorm1d\), '4' \(Dropout\) are in "
                                         r"training mode: batch normalization .* and dropout"):
        model_loss_fn(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Tanh(),
                                    nn.Linear(3, 3), nn.Dropout(0.5)), nn.functional.mse_loss,
                      x, y)
