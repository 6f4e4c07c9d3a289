r"""Magnitude pruning: remove the weights (or whole channels) of smallest size (Network
Compression lecture; Han et al., arXiv:1506.02626).

- **unstructured**: of the :math:`n` weights still alive, the :math:`\mathrm{round}(a\,n)`
  with the smallest :math:`|w_i|` are set to zero;
- **structured**: along dimension ``dim`` (0: output channels / neurons), the
  :math:`\mathrm{round}(a\,n)` slices with the smallest :math:`L_p` norm
  :math:`\lVert w_{c,\cdot}\rVert_p` go, so the layer really becomes smaller.

A mask stays applied while training: :func:`apply_mask` makes the module's weight a
parametrization :math:`w = w_{\text{orig}} \odot m`, so every forward sees the pruned weight
and the gradient reaching :math:`w_{\text{orig}}` is zero where :math:`m = 0`. The mask is a
buffer, so it is part of the ``state_dict`` (and of a checkpoint).

Differences from ``torch.nn.utils.prune``: the same masks (``l1_unstructured``,
``ln_structured``, and their repetition over the surviving weights), through
``torch.nn.utils.parametrize`` instead of a forward pre-hook.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

__all__ = ["Mask", "apply_mask", "get_mask", "magnitude_mask", "remove_mask",
           "sparsity", "structured_mask"]


def _count(amount: float, n: int) -> int:
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount must be in [0, 1], got {amount!r}")
    return round(amount * n)


def magnitude_mask(w: Tensor, amount: float, mask: Tensor | None = None) -> Tensor:
    r"""Unstructured mask: zero the :math:`\mathrm{round}(a\,n)` smallest :math:`|w_i|` among
    the :math:`n` entries ``mask`` keeps (all when ``None``); same shape as ``w``."""
    mask = torch.ones_like(w) if mask is None else mask.clone()
    alive = mask.flatten().nonzero().squeeze(1)  # (n,)
    k = _count(amount, alive.numel())
    if k:
        drop = torch.topk(w.detach().abs().flatten()[alive], k, largest=False).indices
        mask.view(-1)[alive[drop]] = 0
    return mask


def structured_mask(w: Tensor, amount: float, p: float = 2, dim: int = 0) -> Tensor:
    r"""Structured mask: zero the :math:`\mathrm{round}(a\,n)` slices along ``dim`` of smallest
    :math:`L_p` norm (the norm over all other dimensions); same shape as ``w``."""
    dims = [d for d in range(w.dim()) if d != dim % w.dim()]
    norms = torch.linalg.vector_norm(w.detach(), ord=p, dim=dims)  # (n,)
    keep = norms.numel() - _count(amount, norms.numel())
    kept = torch.zeros_like(norms)
    kept[torch.topk(norms, keep).indices] = 1
    shape = [1] * w.dim()
    shape[dim] = -1
    return kept.view(shape).expand_as(w).clone()  # broadcast over the other dimensions


class Mask(nn.Module):
    r"""The parametrization :math:`w = w_{\text{orig}} \odot m`."""

    def __init__(self, mask: Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.detach().clone())

    def forward(self, w: Tensor) -> Tensor:
        return w * self.mask


def get_mask(module: nn.Module, name: str = "weight") -> Tensor | None:
    r"""The mask applied to ``module.<name>``, or ``None``."""
    if not parametrize.is_parametrized(module, name):
        return None
    return next(p.mask for p in module.parametrizations[name] if isinstance(p, Mask))


def apply_mask(module: nn.Module, mask: Tensor, name: str = "weight") -> None:
    r"""Keep ``module.<name>`` multiplied by ``mask`` from now on (replacing an earlier mask;
    the masks that are passed already include the earlier ones)."""
    old = get_mask(module, name)
    if old is not None:
        old.copy_(mask)
        return
    parametrize.register_parametrization(module, name, Mask(mask))


def remove_mask(module: nn.Module, name: str = "weight") -> None:
    r"""Make the pruning permanent: ``module.<name>`` becomes the masked tensor itself.

    A deep copy of a masked module shares torch's generated ``Parametrized...`` class with the
    original, and removing a parametrization deletes the property from that class; so the
    module first gets a class of its own, and the original keeps its mask."""
    cls = type(module)
    module.__class__ = type(cls.__name__, cls.__bases__, {
        k: v for k, v in vars(cls).items() if k not in ("__dict__", "__weakref__")})
    parametrize.remove_parametrizations(module, name, leave_parametrized=True)


def sparsity(module: nn.Module) -> float:
    r"""Share of zero entries over all weights of ``module`` (parameters named ``weight``)."""
    weights = [m.weight for m in module.modules() if isinstance(getattr(m, "weight", None),
                                                                Tensor)]
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / max(1, sum(w.numel() for w in weights))
