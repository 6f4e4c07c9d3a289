r"""Feature disentanglement: a code in two parts, one per known factor, and the swap.

The auto-encoder lecture's voice-conversion example: one encoder keeps *what is said*
(content), another *who says it* (speaker); the decoder takes both. Once the parts are
disentangled, decoding the content of one utterance with the speaker part of another makes the
second speaker say the first one's words. Here the two parts are

.. math:: c = e_c(x) \in \mathbb{R}^{k_c} \ \text{(content)}, \qquad
    f = e_f(x) \in \mathbb{R}^{k_f} \ \text{(the other factor)}, \qquad
    \hat x = d([c; f]), \qquad \mathrm{swap}(a, b) = d([e_c(a); e_f(b)]).

Reconstruction alone does not tell the two parts apart; the factor's label :math:`y` (the
speaker, known for the training data) does, in three terms (the lecture's "adversarial
training": a speaker classifier on the content part, which the content encoder learns to
defeat, as in Chou et al., arXiv:1804.02812):

- a classifier :math:`g_f` on :math:`f` must predict :math:`y` (the factor part carries it);
- an adversary :math:`g_c` learns to predict :math:`y` from the content part,
  :math:`\mathrm{CE}(g_c(\mathrm{sg}[c]), y)` (trains :math:`g_c` only);
- the content encoder learns to leave the adversary guessing: the cross-entropy of
  :math:`g_c(c)` against the *uniform* distribution, :math:`-\frac1K\sum_j \log
  g_c(c)_j` (its lowest value, :math:`\ln K`, when :math:`g_c` says nothing), with
  :math:`g_c`'s weights held fixed (trains :math:`e_c` only).

.. math:: L = \frac1C\lVert x - \hat x \rVert^2 + \lambda_f\,\mathrm{CE}(g_f(f), y)
    + \lambda_c\,\big[\mathrm{CE}(g_c(\mathrm{sg}[c]), y)
    - \tfrac1K \textstyle\sum_j \log g_c(c)_j\big]

Differences from the course: the lecture's other route, instance normalisation in the content
encoder, is for sequences of frames; with one vector per example the adversary is used. The
encoder's target is the uniform distribution rather than the adversary's negated loss (a
gradient reversal, arXiv:1409.7495): maximising the adversary's cross-entropy is also won by
making it confidently *wrong*, which keeps :math:`y` in :math:`c` with its sign flipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from mllab.autoencoder.autoencoder import mlp_stack
from mllab.config import require, require_int

__all__ = ["DisentangleLoss", "DisentanglingAutoencoder"]


@dataclass(frozen=True)
class DisentangleLoss:
    r"""The total and its three terms (0-dim tensors)."""

    loss: Tensor
    reconstruction: Tensor
    factor: Tensor
    r""":math:`\mathrm{CE}(g_f(f), y)`: lower when the factor part carries :math:`y`."""
    adversary: Tensor
    r""":math:`\mathrm{CE}(g_c(\mathrm{sg}[c]), y)`: the adversary's loss; near :math:`\ln K`
    when the content part is free of :math:`y`."""
    confusion: Tensor
    r""":math:`-\frac1K \sum_j \log g_c(c)_j`: the content encoder's term (:math:`\ge \ln K`)."""


class DisentanglingAutoencoder(nn.Module):
    r"""Two MLP encoders (content :math:`k_c`, factor :math:`k_f`), one decoder of
    :math:`[c; f]`, a classifier of the factor on :math:`f` and an adversary on :math:`c`.

    Args:
        in_features: :math:`C`.
        content_size, factor_size: :math:`k_c`, :math:`k_f`.
        num_factors: the number of values the known factor takes (classes of :math:`y`).
        hidden: hidden widths of each encoder (reversed in the decoder).
    """

    def __init__(self, in_features: int, content_size: int, factor_size: int,
                 num_factors: int, hidden: Sequence[int] = (64,),
                 activation: str = "relu") -> None:
        super().__init__()
        for name, v in (("in_features", in_features), ("content_size", content_size),
                        ("factor_size", factor_size)):
            require_int(name, v, 1)
        require_int("num_factors", num_factors, 2)
        self.content_size, self.factor_size = content_size, factor_size
        self.content_encoder = mlp_stack([in_features, *hidden, content_size], activation)
        self.factor_encoder = mlp_stack([in_features, *hidden, factor_size], activation)
        self.decoder = mlp_stack([content_size + factor_size, *reversed(hidden), in_features],
                                 activation)
        self.factor_head = nn.Linear(factor_size, num_factors)
        self.adversary = mlp_stack([content_size, 32, num_factors], activation)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(c, f)``: the content ``(B, k_c)`` and factor ``(B, k_f)`` parts."""
        return self.content_encoder(x), self.factor_encoder(x)

    def decode(self, c: Tensor, f: Tensor) -> Tensor:
        r""":math:`d([c; f])`: ``(B, k_c), (B, k_f) -> (B, C)``."""
        return self.decoder(torch.cat([c, f], dim=1))  # (B, k_c + k_f) -> (B, C)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(*self.encode(x))

    def swap(self, x_content: Tensor, x_factor: Tensor) -> Tensor:
        r""":math:`d([e_c(a); e_f(b)])`: the content of ``x_content`` with the factor of
        ``x_factor`` (row by row)."""
        return self.decode(self.content_encoder(x_content), self.factor_encoder(x_factor))

    def loss(self, x: Tensor, y: Tensor, factor_weight: float = 1.0,
             adversary_weight: float = 1.0) -> DisentangleLoss:
        r""":math:`L` of the module docstring for a batch ``x`` ``(B, C)`` with factor labels
        ``y`` ``(B,)``."""
        require(factor_weight >= 0 and adversary_weight >= 0, "weights", ">= 0",
                (factor_weight, adversary_weight))
        c, f = self.encode(x)
        rec = F.mse_loss(self.decode(c, f), x)
        factor = F.cross_entropy(self.factor_head(f), y)
        adversary = F.cross_entropy(self.adversary(c.detach()), y)  # trains g_c
        fixed = {k: v.detach() for k, v in self.adversary.named_parameters()}
        logits = functional_call(self.adversary, fixed, (c,))  # (B, K), g_c held fixed
        confusion = -torch.log_softmax(logits, dim=1).mean()  # CE to uniform; trains e_c
        return DisentangleLoss(
            loss=rec + factor_weight * factor + adversary_weight * (adversary + confusion),
            reconstruction=rec, factor=factor, adversary=adversary, confusion=confusion)
