"""Tests for mllab.losses: parity with torch.nn.functional, stability, shape errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.losses import (
    LOSSES,
    binary_cross_entropy,
    cross_entropy,
    logsumexp,
    mae,
    mse,
)

TOL = {torch.float32: 1e-6, torch.float64: 1e-12}
DTYPES = [torch.float32, torch.float64]


def _close(actual: Tensor, expected: Tensor, dtype: torch.dtype) -> None:
    torch.testing.assert_close(actual, expected, rtol=TOL[dtype], atol=TOL[dtype])


def _values_and_grads(fn, *inputs: Tensor) -> tuple[Tensor, list[Tensor]]:
    """Evaluate ``fn`` on fresh leaf copies of ``inputs``; return the loss and d loss / d input.

    Integer inputs get no gradient (``None`` in the list).
    """
    leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in inputs]
    loss = fn(*leaves)
    loss.backward()
    return loss.detach(), [t.grad for t in leaves]


def _assert_parity(ours, reference, dtype: torch.dtype, *inputs: Tensor) -> None:
    loss, grads = _values_and_grads(ours, *inputs)
    loss_ref, grads_ref = _values_and_grads(reference, *inputs)
    assert loss.shape == ()
    assert loss.dtype == dtype
    assert torch.isfinite(loss)
    _close(loss, loss_ref, dtype)
    for g, g_ref in zip(grads, grads_ref, strict=True):
        if g_ref is None:
            assert g is None
        else:
            assert torch.isfinite(g).all()
            _close(g, g_ref, dtype)


# --- regression -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("ours", "reference"), [(mae, F.l1_loss), (mse, F.mse_loss)])
@pytest.mark.parametrize("pred_shape", ["(B,)", "(B, 1)"])
def test_regression_parity(ours, reference, dtype, pred_shape) -> None:
    g = torch.Generator().manual_seed(0)
    B = 17
    y = torch.randn(B, generator=g, dtype=dtype)
    y_pred = torch.randn(B, generator=g, dtype=dtype) * 3
    y_pred[0] = y[0]  # |e| at 0: both use sign(0) = 0
    if pred_shape == "(B, 1)":
        y_pred = y_pred.unsqueeze(1)

    def ref(a: Tensor, b: Tensor) -> Tensor:
        return reference(a.reshape(b.shape), b)

    _assert_parity(ours, ref, dtype, y_pred, y)


def test_regression_by_hand() -> None:
    y_pred = torch.tensor([1.0, 2.0, 4.0])
    y = torch.tensor([1.0, 0.0, 1.0])
    assert mae(y_pred, y).item() == pytest.approx((0 + 2 + 3) / 3)
    assert mse(y_pred, y).item() == pytest.approx((0 + 4 + 9) / 3)


@pytest.mark.parametrize("loss", [mae, mse])
@pytest.mark.parametrize(
    ("pred_shape", "y_shape"),
    [((4, 1), (5,)), ((4, 2), (4,)), ((4,), (4, 1)), ((1, 4), (4,)), ((4, 4), (4,))],
)
def test_regression_shape_mismatch_raises(loss, pred_shape, y_shape) -> None:
    with pytest.raises(ValueError, match=r"y_pred has shape .* but y has shape"):
        loss(torch.zeros(pred_shape), torch.zeros(y_shape))


# --- classification ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_cross_entropy_parity(dtype, scale) -> None:
    g = torch.Generator().manual_seed(1)
    B, C = 13, 7
    logits = torch.randn(B, C, generator=g, dtype=dtype) * scale
    target = torch.randint(0, C, (B,), generator=g)
    _assert_parity(cross_entropy, F.cross_entropy, dtype, logits, target)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_extreme_logits(dtype) -> None:
    logits = torch.tensor(
        [[100.0, -100.0, 0.0], [-100.0, 100.0, 100.0], [-100.0, -100.0, -100.0], [100.0] * 3],
        dtype=dtype,
    )
    target = torch.tensor([1, 0, 2, 1])  # mostly wrong and confident: large but finite loss
    _assert_parity(cross_entropy, F.cross_entropy, dtype, logits, target)


def test_cross_entropy_at_uniform_logits_is_log_C() -> None:
    B, C = 5, 10
    loss = cross_entropy(torch.zeros(B, C, dtype=torch.float64), torch.arange(B))
    assert loss.item() == pytest.approx(math.log(C), abs=1e-12)


def test_cross_entropy_shape_and_dtype_errors() -> None:
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="shape"):
        cross_entropy(torch.zeros(4), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="integer"):
        cross_entropy(torch.zeros(4, 3), torch.zeros(4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_matches_torch(dtype) -> None:
    z = torch.tensor([[1000.0, 999.0, -5.0], [-1000.0, -1001.0, -1002.0]], dtype=dtype)
    _close(logsumexp(z, dim=1), torch.logsumexp(z, dim=1), dtype)
    _close(logsumexp(z, dim=0), torch.logsumexp(z, dim=0), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("soft", [False, True])
def test_binary_cross_entropy_parity(dtype, soft) -> None:
    g = torch.Generator().manual_seed(2)
    B = 19
    logits = torch.randn(B, generator=g, dtype=dtype) * 4
    logits[0] = 0.0  # the kink of max(z, 0) and |z|: gradient must still be σ(0) - y
    if soft:
        target = torch.rand(B, generator=g, dtype=dtype)
    else:
        target = torch.randint(0, 2, (B,), generator=g).to(dtype)
    _assert_parity(binary_cross_entropy, F.binary_cross_entropy_with_logits, dtype, logits, target)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_extreme_logits(dtype) -> None:
    logits = torch.tensor([100.0, -100.0, 100.0, -100.0, 0.0], dtype=dtype)
    target = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    _assert_parity(binary_cross_entropy, F.binary_cross_entropy_with_logits, dtype, logits, target)


def test_binary_cross_entropy_shape_error() -> None:
    with pytest.raises(ValueError, match="logits has shape"):
        binary_cross_entropy(torch.zeros(4, 1), torch.zeros(4))


def test_losses_registry() -> None:
    assert LOSSES == {
        "mae": mae,
        "mse": mse,
        "cross_entropy": cross_entropy,
        "binary_cross_entropy": binary_cross_entropy,
    }
