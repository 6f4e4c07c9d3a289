r"""Guided attention: a penalty that pushes the attention matrix towards the diagonal.

Transformer lecture, tips for generation ("guided attention": in speech synthesis and
recognition the alignment of input and output is monotonic, and attention that skips or
repeats input is a failure). Tachibana, Uenoyama and Aihara, "Efficiently Trainable
Text-to-Speech System Based on Deep Convolutional Networks with Guided Attention",
arXiv:1710.08969, §4.1.

For an attention matrix :math:`A \in \mathbb{R}^{N \times T}` between :math:`N` input positions
and :math:`T` output positions, the penalty weights

.. math:: W_{nt} = 1 - \exp\Big(-\frac{(n/N - t/T)^2}{2 g^2}\Big)

are near 0 on the diagonal :math:`n/N = t/T` and near 1 far from it, and the loss is

.. math:: \mathcal{L}_{att}(A) = \mathbb{E}_{nt}[A_{nt} W_{nt}],

the mean over the real positions; the paper uses :math:`g = 0.2`.

Conventions here: attention comes as the decoder makes it, ``a`` of shape ``(B, T, N)`` (row
:math:`t` is output step :math:`t`'s distribution over the :math:`N` source positions), so
``a[b, t, n]`` is the paper's :math:`A_{nt}`. Positions count from 0, so the diagonal starts at
:math:`(0, 0)` and :math:`W = 0` there. In a padded batch each example uses its own lengths
:math:`N_b, T_b`, and the mean runs over the :math:`\sum_b N_b T_b` real entries (padding
rows and columns neither count in the sum nor in the number of entries).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mllab.config import is_real, require

__all__ = ["GuidedAttentionLoss", "guide_weights", "guided_attention_loss"]


def _check_g(g: float) -> None:
    require(is_real(g) and 0 < g < float("inf"), "g", "a finite number > 0 (the paper: 0.2)", g)


def guide_weights(T: int, N: int, g: float = 0.2, *, tgt_len: Tensor | None = None,
                  src_len: Tensor | None = None) -> Tensor:
    r"""The weights :math:`W_{nt} = 1 - \exp(-(n/N - t/T)^2 / (2g^2))`, laid out ``(T, N)``.

    Args:
        T: Output positions (rows).
        N: Input positions (columns).
        g: Width of the band around the diagonal (> 0).
        tgt_len: Optional real output lengths :math:`T_b`, ``(B,)``, each in ``[1, T]``.
        src_len: Optional real input lengths :math:`N_b`, ``(B,)``, each in ``[1, N]``.

    Returns:
        ``(T, N)`` without lengths, else ``(B, T, N)`` with each example's own :math:`T_b, N_b`
        and 0 on its padding.
    """
    _check_g(g)
    if (tgt_len is None) != (src_len is None):
        raise ValueError("give both tgt_len and src_len, or neither")
    if tgt_len is None:
        tgt_len, src_len = torch.tensor([T]), torch.tensor([N])
        squeeze = True
    else:
        squeeze = False
        for name, lengths, most in (("tgt_len", tgt_len, T), ("src_len", src_len, N)):
            if lengths.ndim != 1 or bool((lengths < 1).any()) or bool((lengths > most).any()):
                raise ValueError(f"{name} must have shape (B,) with values in [1, {most}], "
                                 f"got {lengths.tolist()}")
    t = torch.arange(T, dtype=torch.float64)[None, :, None]  # (1, T, 1)
    n = torch.arange(N, dtype=torch.float64)[None, None, :]  # (1, 1, N)
    T_b = tgt_len.to(torch.float64)[:, None, None]  # (B, 1, 1)
    N_b = src_len.to(torch.float64)[:, None, None]  # (B, 1, 1)
    W = 1 - torch.exp(-(n / N_b - t / T_b) ** 2 / (2 * g * g))  # (B, T, N)
    real = (t < T_b) & (n < N_b)  # (B, T, N)
    W = W * real
    return W[0] if squeeze else W


def guided_attention_loss(a: Tensor, g: float = 0.2, *, tgt_len: Tensor | None = None,
                          src_len: Tensor | None = None) -> Tensor:
    r""":math:`\mathcal{L}_{att} = \mathbb{E}_{nt}[A_{nt} W_{nt}]` over the real positions.

    Args:
        a: Attention, ``(B, T, N)`` (rows: output steps; columns: input positions).
        g: Width of the band around the diagonal (> 0; the paper: 0.2).
        tgt_len: Real output lengths ``(B,)``; ``None``: all ``T``.
        src_len: Real input lengths ``(B,)``; ``None``: all ``N``.

    Returns:
        The loss, a scalar of ``a``'s dtype.
    """
    B, T, N = a.shape
    device = a.device
    tgt_len = torch.full((B,), T, device=device) if tgt_len is None else tgt_len
    src_len = torch.full((B,), N, device=device) if src_len is None else src_len
    W = guide_weights(T, N, g, tgt_len=tgt_len.cpu(), src_len=src_len.cpu())  # (B, T, N)
    entries = (tgt_len.to(torch.float64) * src_len.to(torch.float64)).sum()
    return (a * W.to(device=device, dtype=a.dtype)).sum() / entries.to(device=device,
                                                                         dtype=a.dtype)


class GuidedAttentionLoss(nn.Module):
    r""":func:`guided_attention_loss` with its width :math:`g` fixed (validated on
    construction).

    Args:
        g: Width of the band around the diagonal (> 0; the paper: 0.2).
    """

    def __init__(self, g: float = 0.2) -> None:
        super().__init__()
        _check_g(g)
        self.g = g

    def forward(self, a: Tensor, tgt_len: Tensor | None = None,
                src_len: Tensor | None = None) -> Tensor:
        return guided_attention_loss(a, self.g, tgt_len=tgt_len, src_len=src_len)

    def extra_repr(self) -> str:
        return f"g={self.g}"
