r"""The Self-attention lecture: scores, masks, self-attention in matrix form, multi-head attention.

- :func:`dot_product_scores` (:math:`q \cdot k / \sqrt{d_k}`), :func:`additive_scores` and
  :class:`AdditiveScore` (:math:`w^\top \tanh(W[q; k])`);
- masks with True = may attend: :func:`padding_mask`, :func:`causal_mask`,
  :func:`window_mask`, :func:`combine`, and :func:`torch_mask` for PyTorch's convention;
- :func:`reference` (the lecture's :math:`Q, K, V, A, A', O`), :func:`attention_weights`,
  :func:`attention` (the fused kernel by default) and :class:`SelfAttention`;
- :class:`MultiHeadAttention` with :class:`KVCache` for incremental decoding.
"""

from mllab.attention.masks import causal_mask, combine, padding_mask, torch_mask, window_mask
from mllab.attention.multi_head import KVCache, MultiHeadAttention
from mllab.attention.scores import AdditiveScore, additive_scores, dot_product_scores
from mllab.attention.self_attention import (
    LectureMatrices,
    SelfAttention,
    attention,
    attention_weights,
    reference,
)

__all__ = [
    "AdditiveScore",
    "KVCache",
    "LectureMatrices",
    "MultiHeadAttention",
    "SelfAttention",
    "additive_scores",
    "attention",
    "attention_weights",
    "causal_mask",
    "combine",
    "dot_product_scores",
    "padding_mask",
    "reference",
    "torch_mask",
    "window_mask",
]
