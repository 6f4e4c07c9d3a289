"""Tests for mllab.nn.norm's batch normalization: parity with nn.BatchNorm1d/2d, invariants."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.nn.norm import TORCH_PARAMETER_NAMES, BatchNorm, batch_norm_reference

TOL = {"rtol": 0.0, "atol": 1e-10}
TORCH_BN = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d}


def _shape(ndim: int, B: int, C: int) -> tuple[int, ...]:
    return {2: (B, C), 3: (B, C, 5), 4: (B, C, 3, 4)}[ndim]


def _to_torch(state: dict[str, Tensor]) -> dict[str, Tensor]:
    return {TORCH_PARAMETER_NAMES.get(k, k): v for k, v in state.items()}


def _pair(C: int, ndim: int, reference: bool, seed: int = 0) -> tuple[BatchNorm, nn.Module]:
    """A float64 BatchNorm with random γ, β and the nn.BatchNorm holding the same state."""
    g = torch.Generator().manual_seed(seed)
    bn = BatchNorm(C, reference=reference, dtype=torch.float64)
    with torch.no_grad():
        bn.gamma.copy_(1 + 0.5 * torch.randn(C, generator=g, dtype=torch.float64))
        bn.beta.copy_(torch.randn(C, generator=g, dtype=torch.float64))
    tbn = TORCH_BN[ndim](C, momentum=0.1, eps=1e-5, dtype=torch.float64)
    tbn.load_state_dict(_to_torch(bn.state_dict()))
    return bn, tbn


def _batch(shape: tuple[int, ...], g: torch.Generator, shift: float, scale: float) -> Tensor:
    C = shape[1]
    center = shift + torch.randn(C, generator=g, dtype=torch.float64)
    center = center.view((1, C) + (1,) * (len(shape) - 2))  # (1, C) or (1, C, 1, 1)
    return center + scale * torch.randn(shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_matches_torch_over_train_and_eval_steps(ndim: int, reference: bool) -> None:
    """Outputs, gradients (z, γ, β) and running statistics equal nn.BatchNorm* at every step."""
    C = 4
    bn, tbn = _pair(C, ndim, reference)
    g = torch.Generator().manual_seed(1)
    steps = [  # (mode, batch size, shift, scale): batches drawn from different distributions
        ("train", 8, 0.0, 1.0),
        ("train", 5, 3.0, 2.0),
        ("eval", 3, -1.0, 0.5),
        ("train", 16, -2.0, 4.0),
        ("eval", 1, 1.0, 1.0),
        ("train", 2, 0.5, 0.1),
        ("eval", 7, 0.0, 3.0),
    ]
    for mode, B, shift, scale in steps:
        bn.train(mode == "train")
        tbn.train(mode == "train")
        z = _batch(_shape(ndim, B, C), g, shift, scale)
        z_ours, z_torch = z.clone().requires_grad_(), z.clone().requires_grad_()
        out, expected = bn(z_ours), tbn(z_torch)
        torch.testing.assert_close(out, expected, **TOL)

        upstream = torch.randn(out.shape, generator=g, dtype=torch.float64)
        (out * upstream).sum().backward()
        (expected * upstream).sum().backward()
        torch.testing.assert_close(z_ours.grad, z_torch.grad, **TOL)
        torch.testing.assert_close(bn.gamma.grad, tbn.weight.grad, **TOL)
        torch.testing.assert_close(bn.beta.grad, tbn.bias.grad, **TOL)
        torch.testing.assert_close(bn.running_mean, tbn.running_mean, **TOL)
        torch.testing.assert_close(bn.running_var, tbn.running_var, **TOL)
        assert bn.num_batches_tracked.item() == tbn.num_batches_tracked.item()

        with torch.no_grad():  # an SGD step on both, so that γ and β move between steps
            for ours, theirs in ((bn.gamma, tbn.weight), (bn.beta, tbn.bias)):
                ours -= 0.1 * ours.grad
                theirs -= 0.1 * theirs.grad
                ours.grad, theirs.grad = None, None
    assert bn.num_batches_tracked.item() == 4
    assert bn.running_mean.abs().max() > 0.1  # the statistics did move


@pytest.mark.parametrize("ndim", [2, 4])
def test_reference_function_equals_fused_kernel(ndim: int) -> None:
    g = torch.Generator().manual_seed(2)
    C = 3
    gamma = torch.randn(C, generator=g, dtype=torch.float64, requires_grad=True)
    beta = torch.randn(C, generator=g, dtype=torch.float64, requires_grad=True)
    mean_ref, var_ref = torch.randn(C, dtype=torch.float64), torch.rand(C, dtype=torch.float64)
    mean_fused, var_fused = mean_ref.clone(), var_ref.clone()
    for training in (True, True, False):
        z = _batch(_shape(ndim, 6, C), g, shift=2.0, scale=3.0).requires_grad_()
        out_ref = batch_norm_reference(
            z, gamma, beta, mean_ref, var_ref, training=training, p=0.3, eps=1e-3
        )
        out_fused = F.batch_norm(z, mean_fused, var_fused, gamma, beta, training, 0.3, 1e-3)
        torch.testing.assert_close(out_ref, out_fused, **TOL)
        grads_ref = torch.autograd.grad(out_ref.square().sum(), (z, gamma, beta))
        grads_fused = torch.autograd.grad(out_fused.square().sum(), (z, gamma, beta))
        for a, b in zip(grads_ref, grads_fused, strict=True):
            torch.testing.assert_close(a, b, **TOL)
        torch.testing.assert_close(mean_ref, mean_fused, **TOL)
        torch.testing.assert_close(var_ref, var_fused, **TOL)


@pytest.mark.parametrize("reference", [False, True])
def test_running_statistics_follow_the_lecture_formula(reference: bool) -> None:
    """μ̄ ← (1−p)μ̄ + pμ and σ̄² ← (1−p)σ̄² + p·N/(N−1)·σ², from μ̄ = 0, σ̄² = 1."""
    g = torch.Generator().manual_seed(3)
    bn = BatchNorm(3, p=0.25, reference=reference, dtype=torch.float64)
    z1 = _batch((10, 3, 2, 2), g, shift=5.0, scale=2.0)  # N = 10·2·2 = 40 values per channel
    z2 = _batch((6, 3, 2, 2), g, shift=-5.0, scale=0.5)  # N = 24
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for z in (z1, z2):
        bn(z)
        N = z.shape[0] * z.shape[2] * z.shape[3]
        mu = z.mean(dim=(0, 2, 3))
        sigma2 = ((z - mu.view(1, 3, 1, 1)) ** 2).sum(dim=(0, 2, 3)) / N
        mean = 0.75 * mean + 0.25 * mu
        var = 0.75 * var + 0.25 * sigma2 * N / (N - 1)
        torch.testing.assert_close(bn.running_mean, mean, rtol=0, atol=1e-12)
        torch.testing.assert_close(bn.running_var, var, rtol=0, atol=1e-12)


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("ndim", [2, 4])
def test_init_gives_zero_mean_unit_variance_per_feature(ndim: int, reference: bool) -> None:
    bn = BatchNorm(4, reference=reference, dtype=torch.float64)
    assert torch.equal(bn.gamma, torch.ones(4, dtype=torch.float64))
    assert torch.equal(bn.beta, torch.zeros(4, dtype=torch.float64))
    assert torch.equal(bn.running_mean, torch.zeros(4, dtype=torch.float64))
    assert torch.equal(bn.running_var, torch.ones(4, dtype=torch.float64))
    z = _batch(_shape(ndim, 32, 4), torch.Generator().manual_seed(4), shift=10.0, scale=3.0)
    dims = (0,) if ndim == 2 else (0, 2, 3)
    z_hat = bn(z)
    sigma2 = z.var(dim=dims, correction=0)
    torch.testing.assert_close(z_hat.mean(dim=dims), torch.zeros(4, dtype=torch.float64),
                               rtol=0, atol=1e-12)
    # the biased variance of z̃ is σ²/(σ² + ε): 1 up to ε
    var_hat = z_hat.var(dim=dims, correction=0)
    torch.testing.assert_close(var_hat, sigma2 / (sigma2 + 1e-5), rtol=0, atol=1e-12)
    torch.testing.assert_close(var_hat, torch.ones(4, dtype=torch.float64), rtol=0, atol=1e-5)


@pytest.mark.parametrize("reference", [False, True])
def test_eval_output_uses_running_statistics_and_changes_nothing(reference: bool) -> None:
    g = torch.Generator().manual_seed(5)
    bn, _ = _pair(3, 4, reference)
    for _ in range(3):
        bn(_batch((8, 3, 4, 4), g, shift=2.0, scale=2.0))
    bn.eval()
    state = {k: v.clone() for k, v in bn.state_dict().items()}
    z = _batch((5, 3, 4, 4), g, shift=-1.0, scale=1.0)
    view = (1, 3, 1, 1)
    expected = (z - bn.running_mean.view(view)) / torch.sqrt(bn.running_var.view(view) + 1e-5)
    expected = bn.gamma.view(view) * expected + bn.beta.view(view)
    torch.testing.assert_close(bn(z), expected, rtol=0, atol=1e-12)
    for k, v in bn.state_dict().items():
        assert torch.equal(v, state[k]), k


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("ndim", [2, 4])
def test_example_depends_on_batch_in_train_mode_only(ndim: int, reference: bool) -> None:
    g = torch.Generator().manual_seed(6)
    bn, _ = _pair(3, ndim, reference)
    for _ in range(3):  # move the running statistics away from (0, 1)
        bn(_batch(_shape(ndim, 8, 3), g, shift=1.0, scale=2.0))
    x = _batch(_shape(ndim, 1, 3), g, shift=1.0, scale=2.0)
    batch_a = torch.cat([x, _batch(_shape(ndim, 7, 3), g, shift=0.0, scale=1.0)])
    batch_b = torch.cat([x, _batch(_shape(ndim, 4, 3), g, shift=5.0, scale=3.0)])

    bn.eval()
    alone = bn(x)
    torch.testing.assert_close(bn(batch_a)[:1], alone, rtol=0, atol=1e-12)
    torch.testing.assert_close(bn(batch_b)[:1], alone, rtol=0, atol=1e-12)

    bn.train()
    out_a, out_b = bn(batch_a)[:1], bn(batch_b)[:1]
    assert (out_a - out_b).abs().max() > 0.1


def test_state_dict_round_trip_with_torch() -> None:
    bn, tbn = _pair(3, 4, reference=False)
    assert set(bn.state_dict()) == {
        "gamma", "beta", "running_mean", "running_var", "num_batches_tracked"
    }
    g = torch.Generator().manual_seed(7)
    tbn.train()
    for _ in range(2):
        tbn(_batch((4, 3, 2, 2), g, shift=1.0, scale=2.0))
    fresh = BatchNorm(3, dtype=torch.float64)
    fresh.load_state_dict(tbn.state_dict())  # PyTorch's names load as they are
    assert torch.equal(fresh.gamma, tbn.weight) and torch.equal(fresh.beta, tbn.bias)
    assert torch.equal(fresh.running_var, tbn.running_var)
    assert fresh.num_batches_tracked.item() == 2
    z = _batch((3, 3, 2, 2), g, shift=0.0, scale=1.0)
    torch.testing.assert_close(fresh.eval()(z), tbn.eval()(z), rtol=0, atol=0)


def test_reset_restores_init() -> None:
    bn, _ = _pair(2, 2, reference=False)
    bn(torch.randn(4, 2, dtype=torch.float64))
    bn.reset_parameters()
    assert torch.equal(bn.gamma, torch.ones(2, dtype=torch.float64))
    assert torch.equal(bn.beta, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(bn.running_mean, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(bn.running_var, torch.ones(2, dtype=torch.float64))
    assert bn.num_batches_tracked.item() == 0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"num_features": 0}, "num_features"),
        ({"num_features": -2}, "num_features"),
        ({"num_features": 2.0}, "num_features"),
        ({"num_features": True}, "num_features"),
        ({"num_features": 3, "p": 0.0}, "p"),
        ({"num_features": 3, "p": -0.1}, "p"),
        ({"num_features": 3, "p": 1.5}, "p"),
        ({"num_features": 3, "p": float("nan")}, "p"),
        ({"num_features": 3, "eps": 0.0}, "eps"),
        ({"num_features": 3, "eps": -1e-5}, "eps"),
        ({"num_features": 3, "eps": float("inf")}, "eps"),
    ],
)
def test_constructor_validation_names_the_argument(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} "):
        BatchNorm(**kwargs)


def test_p_equal_to_one_is_allowed() -> None:
    bn = BatchNorm(2, p=1.0, dtype=torch.float64)
    z = torch.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=torch.float64)
    bn(z)
    torch.testing.assert_close(bn.running_mean, torch.tensor([2.0, 4.0], dtype=torch.float64))
    torch.testing.assert_close(bn.running_var, torch.tensor([2.0, 8.0], dtype=torch.float64))


@pytest.mark.parametrize(("p", "eps", "name"), [(0.0, 1e-5, "p"), (0.1, 0.0, "eps")])
def test_reference_function_validation(p: float, eps: float, name: str) -> None:
    z = torch.randn(4, 2)
    with pytest.raises(ValueError, match=rf"^{name} "):
        batch_norm_reference(
            z, torch.ones(2), torch.zeros(2), torch.zeros(2), torch.ones(2),
            training=True, p=p, eps=eps,
        )


@pytest.mark.parametrize("reference", [False, True])
def test_bad_input_shapes(reference: bool) -> None:
    bn = BatchNorm(3, reference=reference)
    with pytest.raises(ValueError, match="C = 3"):
        bn(torch.randn(4, 5))
    with pytest.raises(ValueError, match="C = 3"):
        bn(torch.randn(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(torch.randn(1, 3))
    bn.eval()
    assert bn(torch.randn(1, 3)).shape == (1, 3)  # a single example is fine in evaluation


TORCH_ARGUMENTS = [  # (ndim, nn.BatchNorm*'s keyword arguments)
    (2, {}),
    (4, {"momentum": 0.3, "eps": 1e-3}),
    (3, {"momentum": None}),  # the cumulative average
    (2, {"affine": False}),
    (4, {"track_running_stats": False}),
]


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize(("ndim", "kwargs"), TORCH_ARGUMENTS,
                         ids=[str(kw) for _, kw in TORCH_ARGUMENTS])
def test_takes_torch_s_arguments_and_loads_a_trained_torch_state_dict(ndim, kwargs, reference):
    C, g = 3, torch.Generator().manual_seed(8)
    tbn = TORCH_BN[ndim](C, dtype=torch.float64, **kwargs)
    for _ in range(3):  # train it: running statistics, γ and β all move
        out = tbn(_batch(_shape(ndim, 6, C), g, shift=2.0, scale=3.0))
        if tbn.affine:
            out.square().sum().backward()
            with torch.no_grad():
                for q in (tbn.weight, tbn.bias):
                    q -= 0.05 * q.grad
                    q.grad = None
    bn = BatchNorm(C, dtype=torch.float64, reference=reference, **kwargs)
    bn.load_state_dict(tbn.state_dict())  # PyTorch's names, strict
    assert len(bn.state_dict()) == len(tbn.state_dict())
    for mode in ("train", "eval", "train", "train", "eval"):
        bn.train(mode == "train")
        tbn.train(mode == "train")
        z = _batch(_shape(ndim, 5, C), g, shift=-1.0, scale=2.0)
        torch.testing.assert_close(bn(z), tbn(z), **TOL)
        if tbn.track_running_stats:
            torch.testing.assert_close(bn.running_mean, tbn.running_mean, **TOL)
            torch.testing.assert_close(bn.running_var, tbn.running_var, **TOL)
            assert bn.num_batches_tracked.item() == tbn.num_batches_tracked.item()
    if tbn.track_running_stats:
        assert tbn.num_batches_tracked.item() == 6
        assert tbn.running_mean.abs().max() > 0.1
    else:
        assert bn.running_mean is None and "running_mean" not in bn.state_dict()
    if tbn.affine:
        torch.testing.assert_close(bn.gamma, tbn.weight, rtol=0, atol=0)
    else:
        assert bn.gamma is None and set(bn.state_dict()) == set(tbn.state_dict())


def test_a_torch_model_s_state_dict_loads_into_the_same_model_built_with_mllab_s():
    torch.manual_seed(0)
    theirs = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 1))
    theirs(torch.randn(8, 4))  # running statistics of one batch
    ours = nn.Sequential(nn.Linear(4, 3), BatchNorm(3), nn.ReLU(), nn.Linear(3, 1))
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(5, 4)
    torch.testing.assert_close(ours.eval()(x), theirs.eval()(x), rtol=0, atol=0)
    assert torch.equal(ours[1].gamma, theirs[1].weight)


def test_torch_s_positional_order_and_the_course_s_p():
    a = BatchNorm(3, 1e-3, 0.3, False, True)
    assert (a.eps, a.momentum, a.p, a.affine, a.track_running_stats) == (1e-3, 0.3, 0.3, False,
                                                                         True)
    assert BatchNorm(3, p=0.25).momentum == 0.25
    assert "momentum=0.3, affine=False, track_running_stats=True" in repr(a)
    with pytest.raises(ValueError, match=r"^momentum must be left at its default when p is "
                                         r"given, got 0.2"):
        BatchNorm(3, momentum=0.2, p=0.25)
    with pytest.raises(ValueError, match=r"^momentum must be in \(0, 1\], got 1.5"):
        BatchNorm(3, momentum=1.5)
