r"""DDPM's noise schedule: :math:`\beta_t`, :math:`\alpha_t = 1 - \beta_t`,
:math:`\bar\alpha_t = \prod_{s \le t} \alpha_s` and the sampler's :math:`\sigma_t`.

Ho et al., "Denoising Diffusion Probabilistic Models", arXiv:2006.11239, §2 and §4:
the forward process adds Gaussian noise of variance :math:`\beta_t` at step :math:`t`,

.. math:: q(x_t \mid x_{t-1}) = \mathcal{N}(\sqrt{1-\beta_t}\, x_{t-1}, \beta_t I)
    \qquad \text{(Eq. 2)}

and the image-generation lecture's "noise is added in one step" is Eq. 4 with
:math:`\bar\alpha_t = \prod_{s=1}^t \alpha_s`. Two schedules:

- **linear** (the paper's): :math:`\beta_t` from :math:`10^{-4}` to :math:`0.02` over
  :math:`T = 1000` steps;
- **cosine** (Nichol & Dhariwal, arXiv:2102.09672, Eq. 17): :math:`\bar\alpha_t = f(t)/f(0)`,
  :math:`f(t) = \cos^2\!\big(\frac{t/T + s}{1 + s}\frac{\pi}{2}\big)`, :math:`s = 0.008`,
  :math:`\beta_t = 1 - \bar\alpha_t / \bar\alpha_{t-1}` clipped at 0.999.

The sampler's variance (§3.2): :math:`\sigma_t^2 = \beta_t` (``"beta"``) or the posterior's
:math:`\tilde\beta_t = \frac{1 - \bar\alpha_{t-1}}{1 - \bar\alpha_t}\beta_t` (``"beta_tilde"``,
Eq. 7); the paper found both similar. ``diffusers`` calls them ``fixed_large`` and
``fixed_small`` (its default).

Indices: the paper's :math:`t = 1..T` is index ``t - 1`` here (``0..T-1``), as in
``diffusers``; :math:`\bar\alpha_0 = 1` is the value "before the first step".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require, require_int

__all__ = ["SCHEDULES", "SIGMAS", "NoiseSchedule", "cosine_betas", "linear_betas"]

SCHEDULES = ("linear", "cosine")
SIGMAS = ("beta", "beta_tilde")


def linear_betas(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02,
                 dtype: torch.dtype = torch.float32) -> Tensor:
    r""":math:`\beta_1, \dots, \beta_T` evenly spaced from ``beta_1`` to ``beta_T``, ``(T,)``."""
    require_int("T", T, 1)
    require(0 < beta_1 <= beta_T < 1, "beta_1, beta_T", "0 < beta_1 <= beta_T < 1",
            (beta_1, beta_T))
    return torch.linspace(beta_1, beta_T, T, dtype=dtype)


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999,
                 dtype: torch.dtype = torch.float32) -> Tensor:
    r""":math:`\beta_t = \min(1 - f(t/T) / f((t-1)/T), 0.999)` with
    :math:`f(u) = \cos^2(\frac{u + s}{1 + s} \frac{\pi}{2})` (arXiv:2102.09672, Eq. 17),
    ``(T,)``."""
    require_int("T", T, 1)
    require(s >= 0 and 0 < max_beta < 1, "s, max_beta", "s >= 0 and 0 < max_beta < 1",
            (s, max_beta))

    def f(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - f((t + 1) / T) / f(t / T), max_beta) for t in range(T)]
    return torch.tensor(betas, dtype=torch.float64).to(dtype)


@dataclass
class NoiseSchedule:
    r"""The tensors of one schedule, each ``(T,)``, indexed by ``t = 0..T-1``."""

    beta: Tensor
    r""":math:`\beta_t`."""
    alpha: Tensor
    r""":math:`\alpha_t = 1 - \beta_t`."""
    alpha_bar: Tensor
    r""":math:`\bar\alpha_t = \prod_{s \le t} \alpha_s` (a cumulative product)."""
    alpha_bar_prev: Tensor
    r""":math:`\bar\alpha_{t-1}`, with :math:`\bar\alpha_{-1} = 1`."""
    sigma: Tensor
    r""":math:`\sigma_t` of the sampler: :math:`\sqrt{\beta_t}` or :math:`\sqrt{\tilde\beta_t}`."""

    @property
    def T(self) -> int:
        return len(self.beta)

    @classmethod
    def from_betas(cls, beta: Tensor, sigma: str = "beta_tilde") -> NoiseSchedule:
        r"""Everything from :math:`\beta_t`; ``sigma`` is ``"beta"`` or ``"beta_tilde"``."""
        require(sigma in SIGMAS, "sigma", f"one of {SIGMAS}", sigma)
        require(beta.ndim == 1 and len(beta) >= 1 and bool(((beta > 0) & (beta < 1)).all()),
                "beta", "a (T,) tensor in (0, 1)", beta)
        alpha = 1 - beta
        alpha_bar = torch.cumprod(alpha, dim=0)  # ᾱ_t = Π_{s<=t} α_s
        alpha_bar_prev = torch.cat([alpha_bar.new_ones(1), alpha_bar[:-1]])  # ᾱ_{t-1}
        if sigma == "beta":
            var = beta  # σ_t² = β_t
        else:
            var = (1 - alpha_bar_prev) / (1 - alpha_bar) * beta  # β̃_t, Eq. 7
        return cls(beta=beta, alpha=alpha, alpha_bar=alpha_bar, alpha_bar_prev=alpha_bar_prev,
                   sigma=var.sqrt())

    @classmethod
    def make(cls, kind: str = "linear", T: int = 1000, sigma: str = "beta_tilde",
             dtype: torch.dtype = torch.float32) -> NoiseSchedule:
        r"""The ``"linear"`` or ``"cosine"`` schedule of ``T`` steps with default constants."""
        require(kind in SCHEDULES, "kind", f"one of {SCHEDULES}", kind)
        beta = linear_betas(T, dtype=dtype) if kind == "linear" else cosine_betas(T, dtype=dtype)
        return cls.from_betas(beta, sigma)

    def to(self, dtype: torch.dtype | None = None,
           device: torch.device | str | None = None) -> NoiseSchedule:
        r"""The same schedule with every tensor cast (recomputed from nothing: a plain cast)."""
        return NoiseSchedule(**{k: v.to(device=device, dtype=dtype)
                                for k, v in vars(self).items()})
