r"""Feature standardization (Lecture 1, "feature normalization").

Each feature (column) :math:`c` of a design matrix :math:`x \in \mathbb{R}^{N \times C}` is
shifted and scaled with statistics of the *training* split only,

.. math:: \tilde{x}_{nc} = \frac{x_{nc} - \mu_c}{\sigma_c}, \qquad
    \mu_c = \frac{1}{N}\sum_{n} x_{nc}, \qquad
    \sigma_c = \sqrt{\frac{1}{N}\sum_{n} (x_{nc} - \mu_c)^2},

so that gradient descent sees features on comparable scales. The validation and test splits are
transformed with the same :math:`\mu, \sigma`; fitting on them would leak information.

Differences from the course: none in the formula. Like scikit-learn's ``StandardScaler``, a
(numerically) constant feature gets :math:`\sigma_c = 1` instead of 0, so it maps to 0 rather
than NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["Standardizer"]


def _check_2d(x: Tensor, name: str = "x") -> None:
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (N, C), got {tuple(x.shape)}")


class Standardizer:
    r"""Per-feature standardization :math:`\tilde{x} = (x - \mu) / \sigma`.

    Attributes:
        mu: Per-feature mean :math:`\mu`, shape (C,); ``None`` before :meth:`fit`.
        sigma: Per-feature population standard deviation :math:`\sigma` (``unbiased=False``),
            with constant features set to 1, shape (C,); ``None`` before :meth:`fit`.
    """

    def __init__(self) -> None:
        self.mu: Tensor | None = None
        self.sigma: Tensor | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return self.mu is not None and self.sigma is not None

    def fit(self, x: Tensor) -> Standardizer:
        r"""Compute :math:`\mu` and :math:`\sigma` per feature from the training inputs.

        A feature counts as constant when :math:`\sigma_c \le 10\,\epsilon\,\max(1, |\mu_c|)`
        (:math:`\epsilon` the machine epsilon of ``x.dtype``); its :math:`\sigma_c` is set to 1.

        Args:
            x: Training inputs, shape (N, C), floating point, N >= 1.

        Returns:
            ``self``, fitted.
        """
        _check_2d(x)
        if x.shape[0] == 0:
            raise ValueError("x must have at least one row (N >= 1) to fit a Standardizer")
        if not x.is_floating_point():
            raise ValueError(f"x must be floating point, got {x.dtype}")
        mu = x.mean(dim=0)  # (C,)
        sigma = x.std(dim=0, correction=0)  # (C,)  population std, unbiased=False
        tol = 10 * torch.finfo(x.dtype).eps * mu.abs().clamp_min(1.0)
        sigma = torch.where(sigma <= tol, torch.ones_like(sigma), sigma)
        self.mu, self.sigma = mu, sigma
        return self

    def _stats_like(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, sigma = self.mu, self.sigma
        if mu is None or sigma is None:
            raise RuntimeError("Standardizer is not fitted; call fit(x_train) first")
        _check_2d(x)
        if x.shape[1] != mu.shape[0]:
            raise ValueError(
                f"x has {x.shape[1]} features but the Standardizer was fitted on {mu.shape[0]}"
            )
        return mu.to(x), sigma.to(x)

    def transform(self, x: Tensor) -> Tensor:
        r"""Standardize with the fitted statistics: :math:`\tilde{x} = (x - \mu)/\sigma`.

        Args:
            x: Inputs, shape (N, C), any split.

        Returns:
            Standardized inputs, shape (N, C), same dtype as ``x``.
        """
        mu, sigma = self._stats_like(x)
        return (x - mu) / sigma

    def inverse_transform(self, x_tilde: Tensor) -> Tensor:
        r"""Undo :meth:`transform`: :math:`x = \tilde{x}\,\sigma + \mu`.

        Args:
            x_tilde: Standardized inputs, shape (N, C).

        Returns:
            Inputs on the original scale, shape (N, C).
        """
        mu, sigma = self._stats_like(x_tilde)
        return x_tilde * sigma + mu

    def fit_transform(self, x: Tensor) -> Tensor:
        """Fit on ``x`` and return ``transform(x)``.

        Args:
            x: Training inputs, shape (N, C).

        Returns:
            Standardized training inputs, shape (N, C).
        """
        return self.fit(x).transform(x)

    def __repr__(self) -> str:
        num_features = None if self.mu is None else self.mu.shape[0]
        return f"Standardizer(fitted={self.is_fitted}, num_features={num_features})"
