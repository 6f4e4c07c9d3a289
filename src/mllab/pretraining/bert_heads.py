r"""What sits on top of BERT: the two pre-training heads and the lecture's four downstream uses.

Devlin et al., arXiv:1810.04805, §3.1 and Fig. 4. Pre-training:

- **masked LM**: every token's vector through a dense layer, GELU and layer normalization,
  then the output layer *tied* to the token embedding, :math:`z_t = E_{tok}\,
  \mathrm{LN}(\mathrm{GELU}(W h_t + b)) + c`;
- **next-sentence prediction**: the pooled ``[CLS]`` vector through a linear layer to two
  classes (B follows A, or not).

Fine-tuning, as the lecture lists the four cases:

1. a sequence in, a class out (sentiment): :class:`SequenceClassifierHead` on the pooled vector;
2. a sequence in, a label per token out (part of speech): :class:`TokenClassifierHead`;
3. two sequences in, a class out (does the premise entail the hypothesis): the pair
   ``[CLS] A [SEP] B [SEP]`` with segments 0 and 1, then :class:`SequenceClassifierHead`;
4. extractive QA, the answer a span ``s .. e`` of the document: :class:`SpanHead` gives start and
   end scores per token (``mllab.pretraining.extractive_qa`` picks the best span).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from mllab.pretraining.bert import Bert

__all__ = ["MaskedLMHead", "NextSentenceHead", "SequenceClassifierHead", "SpanHead",
           "TokenClassifierHead"]


class MaskedLMHead(nn.Module):
    r""":math:`E_{tok}\, \mathrm{LN}(\mathrm{GELU}(W h + b)) + c`, tied to ``bert``'s embedding."""

    def __init__(self, bert: Bert) -> None:
        super().__init__()
        d = bert.config.d_model
        self.transform = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.LayerNorm(d))
        self.embedding = bert.token_embedding  # shared, not a copy
        self.bias = nn.Parameter(bert.token_embedding.weight.new_zeros(bert.config.vocab))

    def forward(self, h: Tensor) -> Tensor:
        r"""Logits over the vocabulary ``(B, T, V)`` (or ``(M, V)``) from BERT's vectors ``h``
        ``(B, T, d)`` (or ``(M, d)``)."""
        return F.linear(self.transform(h), self.embedding.weight, self.bias)  # E_tok LN(..) + c


class NextSentenceHead(nn.Linear):
    r"""Two logits (index 0: B follows A; 1: B is a random sentence) from the pooled vector."""

    def __init__(self, bert: Bert) -> None:
        super().__init__(bert.config.d_model, 2)


class SequenceClassifierHead(nn.Module):
    r"""Class logits ``(B, C)`` from the pooled ``[CLS]`` vector (cases 1 and 3)."""

    def __init__(self, bert: Bert, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(bert.config.d_model, num_classes)

    def forward(self, pooled: Tensor) -> Tensor:
        return self.linear(self.dropout(pooled))


class TokenClassifierHead(SequenceClassifierHead):
    r"""Label logits ``(B, T, C)`` from every token's vector ``(B, T, d)`` (case 2)."""


class SpanHead(nn.Module):
    r"""Start and end scores per token (case 4): one linear layer to two numbers per token, the
    lecture's orange and blue vectors dotted with every output vector."""

    def __init__(self, bert: Bert) -> None:
        super().__init__()
        self.linear = nn.Linear(bert.config.d_model, 2)

    def forward(self, h: Tensor) -> tuple[Tensor, Tensor]:
        r"""``(start, end)`` logits, each ``(B, T)``, from ``h`` ``(B, T, d)``."""
        start, end = self.linear(h).unbind(dim=-1)  # (B, T) each
        return start, end
