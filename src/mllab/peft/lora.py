r"""LoRA: a frozen weight plus a trainable low-rank update, the adapters lecture.

Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", arXiv:2106.09685, §4.1. A
linear layer :math:`W_0 \in \mathbb{R}^{d_{out} \times d_{in}}` stays frozen; the change it
would learn is written as the product of two thin matrices:

.. math::
    h = W_0 x + b + \frac{\alpha}{r} B A x, \qquad
    A \in \mathbb{R}^{r \times d_{in}},\ B \in \mathbb{R}^{d_{out} \times r},\ r \ll d

:math:`A` starts random (Kaiming-uniform, as ``nn.Linear`` and ``peft`` initialise it) and
:math:`B = 0`, so at initialisation the layer computes exactly :math:`W_0 x + b`. For inference
the update can be *merged*, :math:`W = W_0 + \frac{\alpha}{r} B A`, which costs nothing extra
per token, and *unmerged* again to go back to training or to switch tasks.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from mllab.config import require, require_int

__all__ = ["LoRALinear", "apply_lora"]


class LoRALinear(nn.Module):
    r""":math:`W_0 x + b + \frac{\alpha}{r} B A \,\mathrm{dropout}(x)` around a frozen
    ``nn.Linear``.

    Args:
        base: The layer to adapt; its weight and bias are frozen (``requires_grad = False``).
        r: Rank :math:`r` of the update (>= 1).
        alpha: :math:`\alpha`; the update is scaled by :math:`\alpha / r`.
        dropout: Dropout on the update's input in training mode (LoRA's GPT-2 runs: 0.1).
    """

    def __init__(self, base: nn.Linear, r: int = 8, alpha: float = 16.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        require(isinstance(base, nn.Linear), "base", "an nn.Linear", type(base).__name__)
        require_int("r", r, 1)
        require(alpha > 0, "alpha", "> 0", alpha)
        require(0.0 <= dropout < 1.0, "dropout", "a float in [0, 1)", dropout)
        self.base, self.r, self.alpha = base, r, alpha
        self.scaling = alpha / r  # α / r
        base.requires_grad_(False)
        w = base.weight
        self.A = nn.Parameter(torch.empty(r, base.in_features, dtype=w.dtype, device=w.device))
        self.B = nn.Parameter(torch.zeros(base.out_features, r, dtype=w.dtype, device=w.device))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    def delta_weight(self) -> Tensor:
        r""":math:`\frac{\alpha}{r} B A`, shape ``(d_out, d_in)``."""
        return self.scaling * (self.B @ self.A)

    def forward(self, x: Tensor) -> Tensor:
        h = self.base(x)  # W_0 x + b (W_0 + ΔW once merged)
        if self.merged:
            return h
        u = self.dropout(x) @ self.A.T * self.scaling  # (..., r): α/r A x, scaled while thin
        return h + u @ self.B.T  # + B (α/r A x)

    @torch.no_grad()
    def merge(self) -> None:
        r""":math:`W_0 \leftarrow W_0 + \frac{\alpha}{r} B A`: one matrix for inference."""
        require(not self.merged, "merge", "called on an unmerged layer", "merged already")
        self.base.weight += self.delta_weight()
        self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        r""":math:`W_0 \leftarrow W_0 - \frac{\alpha}{r} B A`: back to the frozen weight."""
        require(self.merged, "unmerge", "called on a merged layer", "not merged")
        self.base.weight -= self.delta_weight()
        self.merged = False


def apply_lora(model: nn.Module, targets: tuple[str, ...], r: int = 8, alpha: float = 16.0,
               dropout: float = 0.0) -> list[str]:
    r"""Freeze ``model`` and wrap every ``nn.Linear`` whose name ends with one of ``targets``
    (e.g. ``("q_proj", "v_proj")``, the paper's choice) in a :class:`LoRALinear`.

    Returns:
        The names of the wrapped layers; refuses targets that match no ``nn.Linear``.
    """
    model.requires_grad_(False)
    names = [n for n, m in model.named_modules()
             if isinstance(m, nn.Linear) and n.split(".")[-1] in targets]
    require(bool(names), "targets", "names of nn.Linear layers of the model", targets)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    return names
