r"""The self-supervised lectures: BERT and GPT.

- :class:`Bert` and :class:`BertConfig`: token, position and segment embeddings, post-LN
  encoder blocks, the ``[CLS]`` pooler;
- :func:`mask_tokens` (15% chosen; 80% ``[MASK]``, 10% random, 10% unchanged) and
  :func:`sentence_pairs` (next-sentence prediction);
- heads: :class:`MaskedLMHead`, :class:`NextSentenceHead`, and the four downstream cases
  :class:`SequenceClassifierHead`, :class:`TokenClassifierHead`, :class:`SpanHead` with
  :func:`best_span` and :func:`windows` for extractive QA;
- pre-training: :func:`pretraining_batch` (``[CLS] A [SEP] B [SEP]``, segments, masking),
  :class:`BertPretraining` with :func:`pretraining_loss` (MLM + NSP) and
  :func:`pretraining_step` for the general loop;
- fine-tuning (import from the modules): :mod:`~mllab.pretraining.pretrain_recipe` (one
  pre-training recipe and the held-out blank accuracy), :mod:`~mllab.pretraining.task_inputs`
  (the four cases' layouts), :mod:`~mllab.pretraining.fine_tuning` (head, loss, step, scores),
  :mod:`~mllab.pretraining.downstream_tasks` and :mod:`~mllab.pretraining.task_baselines`,
  :mod:`~mllab.pretraining.squad_metrics` (exact match, token F1);
- :class:`GPT` and :class:`GPTConfig`: causal pre-LN blocks, tied output layer, generation with
  a key/value cache through ``mllab.decoding``; its training on the next token in
  :mod:`mllab.pretraining.next_token`, and the count-based baseline it must beat,
  :class:`mllab.pretraining.ngram_lm.NgramLM` (interpolated Kneser-Ney, n = 1..3);
- in-context learning: :mod:`mllab.pretraining.in_context_regression` (random linear tasks, a
  causal model reading x1, y1, x2, y2, ..., least squares and nearest-neighbour learners).
"""

from mllab.pretraining.bert import Bert, BertConfig
from mllab.pretraining.bert_heads import (
    MaskedLMHead,
    NextSentenceHead,
    SequenceClassifierHead,
    SpanHead,
    TokenClassifierHead,
)
from mllab.pretraining.bert_pretraining import (
    BertPretraining,
    BertPretrainingState,
    PretrainingLoss,
    pretraining_loss,
    pretraining_step,
)
from mllab.pretraining.extractive_qa import best_span, windows
from mllab.pretraining.gpt import GPT, GPTConfig
from mllab.pretraining.masking import IGNORE_INDEX, MaskedTokens, mask_tokens
from mllab.pretraining.next_sentence import IS_NEXT, NOT_NEXT, sentence_pairs
from mllab.pretraining.pretraining_batches import (
    CLS_ID,
    SEP_ID,
    PretrainingBatch,
    bert_vocab,
    mask_id,
    pack_pair,
    pretraining_batch,
)

__all__ = ["GPT", "IGNORE_INDEX", "IS_NEXT", "NOT_NEXT", "Bert", "BertConfig", "GPTConfig",
           "MaskedLMHead", "MaskedTokens", "NextSentenceHead", "SequenceClassifierHead",
           "SpanHead", "TokenClassifierHead", "best_span", "mask_tokens", "sentence_pairs",
           "windows", "BertPretraining", "BertPretrainingState", "PretrainingLoss",
           "pretraining_loss", "pretraining_step", "CLS_ID", "SEP_ID", "PretrainingBatch",
           "bert_vocab", "mask_id", "pack_pair", "pretraining_batch"]
