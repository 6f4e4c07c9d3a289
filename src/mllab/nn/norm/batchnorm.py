r"""Batch normalization, from the "Batch normalization" lecture.

Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift", arXiv:1502.03167.

Feature normalization (:class:`mllab.data.Standardizer`) makes every input feature comparable
in scale; batch normalization does the same to the features :math:`z` *inside* the network,
with statistics of the current batch. For each feature (channel) :math:`c`, over the
:math:`N` values it takes in the batch (:math:`N = B` for ``(B, C)`` input, over the batch and
the pixels, :math:`N = B H W`, for ``(B, C, H, W)`` images):

.. math::
    \mu_c = \frac{1}{N}\sum_{n} z_{nc}, \qquad
    \sigma_c^2 = \frac{1}{N}\sum_{n} (z_{nc} - \mu_c)^2, \qquad
    \tilde{z}_{nc} = \frac{z_{nc} - \mu_c}{\sqrt{\sigma_c^2 + \epsilon}}, \qquad
    \hat{z}_{nc} = \gamma_c \tilde{z}_{nc} + \beta_c

with learnable :math:`\gamma = \mathbf{1}` and :math:`\beta = \mathbf{0}` at initialization
(element-wise products, not matrix products). Every output then depends on every example of
the batch. At test time a batch may hold a single example, so training also keeps moving
averages of the statistics,

.. math::
    \bar{\mu} \leftarrow (1 - p)\,\bar{\mu} + p\,\mu, \qquad
    \bar{\sigma}^2 \leftarrow (1 - p)\,\bar{\sigma}^2 + p\,\frac{N}{N-1}\sigma^2,

and evaluation normalizes with :math:`\bar{\mu}, \bar{\sigma}^2` instead of the batch's.

Differences from the course: the lecture writes :math:`\tilde{z} = (z - \mu)/\sigma` and leaves
the details open; here they are PyTorch's (``torch.nn.BatchNorm1d`` / ``BatchNorm2d``), so the
two are interchangeable:

- :math:`\epsilon = 10^{-5}` is added to the variance *inside* the square root;
- the batch is normalized with the *biased* variance (divide by :math:`N`), but the running
  variance is updated with the *unbiased* one (factor :math:`N/(N-1)`), so training needs
  :math:`N \ge 2` values per channel;
- :math:`p` = 0.1 is PyTorch's ``momentum``; ``momentum=None`` is PyTorch's cumulative
  average, :math:`p = 1/k` at the :math:`k`-th training batch;
- :math:`\bar{\mu}` starts at 0 and :math:`\bar{\sigma}^2` at 1.

:class:`BatchNorm` takes ``nn.BatchNorm1d``/``2d``'s arguments (``eps``, ``momentum``,
``affine``, ``track_running_stats``, in their order) and loads their state dicts as they are;
its own state dict names the affine parameters ``gamma`` and ``beta`` where PyTorch's has
``weight`` and ``bias`` (:data:`TORCH_PARAMETER_NAMES`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import is_real, require, require_int

__all__ = ["TORCH_PARAMETER_NAMES", "BatchNorm", "batch_norm_reference"]

TORCH_PARAMETER_NAMES: dict[str, str] = {"gamma": "weight", "beta": "bias"}
r"""mllab's names of the affine parameters → PyTorch's (``nn.BatchNorm*``, ``nn.LayerNorm``).

Every other entry of the state dict (``running_mean``, ``running_var``,
``num_batches_tracked``) has the same name in both. :class:`BatchNorm` loads PyTorch's names
itself (``bn.load_state_dict(tbn.state_dict())``, also inside a larger model); to copy a
:class:`BatchNorm` ``bn`` into an ``nn.BatchNorm2d`` ``tbn``::

    tbn.load_state_dict({TORCH_PARAMETER_NAMES.get(k, k): v for k, v in bn.state_dict().items()})
"""


def _check_p(p: float, name: str = "p (the running-statistics momentum)") -> None:
    require(is_real(p) and 0.0 < p <= 1.0, name, "in (0, 1]", p)


def check_eps(eps: float) -> None:
    require(is_real(eps) and eps > 0.0 and math.isfinite(eps), "eps", "a finite number > 0",
            eps)


def _check_input(z: Tensor, num_features: int | None) -> None:
    r"""``z`` is ``(B, C, ...)`` with ``C = num_features`` (any ``C`` for ``None``)."""
    if z.ndim < 2 or num_features not in (None, z.shape[1]):
        features = "C" if num_features is None else f"C = {num_features}"
        raise ValueError(
            f"z must have shape (B, C) or (B, C, H, W) with {features} features, "
            f"got {tuple(z.shape)}"
        )


def batch_norm_reference(
    z: Tensor,
    gamma: Tensor | None,
    beta: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    *,
    training: bool,
    p: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    r"""Batch normalization written from the lecture with plain tensor operations.

    Training mode normalizes with the batch's statistics and updates the running ones in place:

    .. math::
        \tilde{z} = \frac{z - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        \hat{z} = \gamma \odot \tilde{z} + \beta, \qquad
        \bar{\mu} \leftarrow (1-p)\bar{\mu} + p\mu, \qquad
        \bar{\sigma}^2 \leftarrow (1-p)\bar{\sigma}^2 + p\tfrac{N}{N-1}\sigma^2

    with :math:`\mu, \sigma^2` (biased) per channel over dims (0,) of ``(B, C)`` input or
    (0, 2, 3) of ``(B, C, H, W)`` input (in general every dim but 1). Evaluation mode uses
    :math:`\bar{\mu}, \bar{\sigma}^2` in place of :math:`\mu, \sigma^2` and changes nothing.
    Equals ``F.batch_norm(z, running_mean, running_var, gamma, beta, training, p, eps)``.

    Args:
        z: Features, shape ``(B, C)`` or ``(B, C, H, W)``.
        gamma: Scale :math:`\gamma`, shape ``(C,)``; ``None``: 1.
        beta: Shift :math:`\beta`, shape ``(C,)``; ``None``: 0.
        running_mean: :math:`\bar{\mu}`, shape ``(C,)``; updated in place when training;
            ``None`` (with ``running_var``): none kept, ``training`` must be True.
        running_var: :math:`\bar{\sigma}^2`, shape ``(C,)``; updated in place when training.
        training: Use (and track) the batch's statistics; otherwise the running ones.
        p: Momentum of the running statistics, in (0, 1].
        eps: :math:`\epsilon > 0`, added to the variance inside the square root.

    Returns:
        :math:`\hat{z}`, the same shape as ``z``.

    Raises:
        ValueError: for ``p`` or ``eps`` out of range, a ``z`` whose dim 1 is not ``C``, or
            training with a single value per channel.
    """
    _check_p(p)
    check_eps(eps)
    _check_input(z, next((t.shape[0] for t in (running_mean, gamma) if t is not None), None))
    C = z.shape[1]
    if running_mean is None and not training:
        raise ValueError("evaluation needs running statistics: pass running_mean and "
                         "running_var, or training=True")
    shape = (1, C) + (1,) * (z.ndim - 2)  # (1, C) or (1, C, 1, 1): broadcasts over B, H, W
    if training:
        dims = (0, *range(2, z.ndim))  # (0,) or (0, 2, 3): every dim but the channel
        N = z.numel() // C  # values per channel: B or B·H·W
        if N < 2:
            raise ValueError(
                f"training needs more than 1 value per channel, got z of shape {tuple(z.shape)}"
            )
        mu = z.mean(dim=dims)  # (C,)
        sigma2 = z.var(dim=dims, correction=0)  # (C,)  biased: 1/N Σ (z − μ)²
        if running_mean is not None:
            with torch.no_grad():
                running_mean.mul_(1 - p).add_(p * mu)  # μ̄ ← (1 − p) μ̄ + p μ
                running_var.mul_(1 - p).add_(p * sigma2 * N / (N - 1))  # unbiased σ² here
    else:
        mu, sigma2 = running_mean, running_var  # (C,), (C,)  μ̄, σ̄²
    z_tilde = (z - mu.view(shape)) / torch.sqrt(sigma2.view(shape) + eps)  # (z − μ)/√(σ² + ε)
    z_hat = z_tilde if gamma is None else gamma.view(shape) * z_tilde  # γ ⊙ z̃
    return z_hat if beta is None else z_hat + beta.view(shape)  # ẑ = γ ⊙ z̃ + β


def _load_torch_names(module: nn.Module, state_dict: dict, prefix: str, *args: object) -> None:
    r"""A load-state-dict pre-hook: PyTorch's ``weight``, ``bias`` become ``gamma``, ``beta``."""
    for ours, torch_name in TORCH_PARAMETER_NAMES.items():
        if prefix + torch_name in state_dict and prefix + ours not in state_dict:
            state_dict[prefix + ours] = state_dict.pop(prefix + torch_name)


class BatchNorm(nn.Module):
    r"""Batch normalization :math:`\hat{z} = \gamma \odot (z - \mu)/\sqrt{\sigma^2+\epsilon}+\beta`.

    One module for ``(B, C)`` features (like ``nn.BatchNorm1d``) and ``(B, C, H, W)`` images
    (like ``nn.BatchNorm2d``, one :math:`\mu, \sigma^2, \gamma, \beta` per channel). By default
    ``forward`` calls the fused ``F.batch_norm``; ``reference=True`` calls
    :func:`batch_norm_reference` instead, for teaching. Both give the same outputs, gradients and
    running statistics.

    ``train()`` mode normalizes with the batch's statistics and updates the running ones;
    ``eval()`` mode normalizes with the running statistics, so an example's output does not
    depend on the rest of its batch. Without running statistics (``track_running_stats=False``)
    both modes normalize with the batch's, as PyTorch does.

    State dict: parameters ``gamma`` (PyTorch's ``weight``), ones, and ``beta`` (``bias``),
    zeros, shape ``(C,)`` (absent when ``affine=False``); buffers ``running_mean`` (zeros),
    ``running_var`` (ones), shape ``(C,)``, and ``num_batches_tracked``, a 0-dim int64 count of
    training batches (absent when ``track_running_stats=False``). ``load_state_dict`` takes
    PyTorch's names too, so an ``nn.BatchNorm1d``/``2d`` state dict loads as it is (see
    :data:`TORCH_PARAMETER_NAMES` for the other direction).

    Args:
        num_features: Number of features (channels) :math:`C`, an integer >= 1.
        eps: :math:`\epsilon > 0`, added to the variance inside the square root.
        momentum: :math:`p \in (0, 1]`, the weight of the batch in the running statistics, or
            ``None`` for their cumulative average (:math:`p = 1/k` at the :math:`k`-th batch).
        affine: Learn :math:`\gamma, \beta`; otherwise :math:`\gamma = 1, \beta = 0`.
        track_running_stats: Keep :math:`\bar{\mu}, \bar{\sigma}^2` for evaluation.
        device: Device of the parameters and buffers.
        dtype: Floating-point dtype of the parameters and running statistics.
        p: The same as ``momentum`` (give one of the two).
        reference: Use the lecture's :func:`batch_norm_reference` instead of ``F.batch_norm``.

    Shapes:
        input ``(B, C)`` or ``(B, C, H, W)``; output the same shape.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        p: float | None = None,
        reference: bool = False,
    ) -> None:
        super().__init__()
        require_int("num_features", num_features, 1)
        if p is not None:
            require(momentum == 0.1, "momentum", "left at its default when p is given",
                    momentum)
            _check_p(p)
            momentum = p
        elif momentum is not None:
            _check_p(momentum, "momentum")
        check_eps(eps)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.reference = reference
        factory = {"device": device, "dtype": dtype}
        if self.affine:
            self.gamma = nn.Parameter(torch.ones(num_features, **factory))  # (C,)
            self.beta = nn.Parameter(torch.zeros(num_features, **factory))  # (C,)
        else:
            self.register_parameter("gamma", None)
            self.register_parameter("beta", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))  # μ̄
            self.register_buffer("running_var", torch.ones(num_features, **factory))  # σ̄²
            self.register_buffer(
                "num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device)
            )
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.register_load_state_dict_pre_hook(_load_torch_names)

    @property
    def p(self) -> float | None:
        r"""The course's name of ``momentum``."""
        return self.momentum

    def reset_running_stats(self) -> None:
        r"""Set :math:`\bar{\mu} = 0`, :math:`\bar{\sigma}^2 = 1` and the batch count to 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        r"""Reset the running statistics and set :math:`\gamma = 1`, :math:`\beta = 0`."""
        self.reset_running_stats()
        if self.affine:
            with torch.no_grad():
                self.gamma.fill_(1.0)
                self.beta.zero_()

    def forward(self, z: Tensor) -> Tensor:
        r"""Normalize ``z`` of shape ``(B, C)`` or ``(B, C, H, W)``; :math:`\hat{z}`, same shape."""
        _check_input(z, self.num_features)
        p = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if p is None:  # the cumulative average: p = 1/k at the k-th batch
                p = 1.0 / float(self.num_batches_tracked)
        p = 1.0 if p is None else p  # (unused: no running statistics to update)
        batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats  # PyTorch's rule
        mean, var = (self.running_mean, self.running_var) if track else (None, None)
        if self.reference:
            return batch_norm_reference(z, self.gamma, self.beta, mean, var,
                                        training=batch_stats, p=p, eps=self.eps)
        return F.batch_norm(z, mean, var, self.gamma, self.beta, batch_stats, p, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}, "
                f"reference={self.reference}")
