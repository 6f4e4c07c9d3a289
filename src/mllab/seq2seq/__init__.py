r"""Sequence to sequence beyond the Transformer: the RNN baseline and the lecture's training tips.

- :class:`RNNSeq2Seq`, :class:`RNNSeq2SeqConfig`: encoder RNN, decoder RNN started from the
  encoder's final state, optional Luong attention (dot or additive) over the encoder outputs;
  teacher-forced ``forward`` and a ``step_function`` for :mod:`mllab.decoding`.
- :func:`scheduled_sampling_logits` (arXiv:1506.03099): each decoder input the gold token with
  probability :math:`\epsilon_i`, else the model's own previous output; the decay schedules
  :class:`LinearDecay`, :class:`ExponentialDecay`, :class:`InverseSigmoidDecay`;
  :func:`step_from_forward` for a model with only a teacher-forced forward.
- Copy mechanism (arXiv:1704.04368): :func:`final_distribution` (Eq. 9 over the extended
  vocabulary), :func:`generation_probability` and :class:`GenerationProbability` (Eq. 8),
  :func:`pointer_nll`, :func:`to_vocab`; :class:`CopySeq2Seq` (an attention GRU
  encoder-decoder with ``pointer: bool``) with :class:`CopySeq2SeqConfig`,
  :class:`PaddedPairs`, :class:`Seq2SeqState` and :func:`teacher_forcing_step`.
- Guided attention (arXiv:1710.08969): :func:`guide_weights`, :func:`guided_attention_loss`,
  :class:`GuidedAttentionLoss`.
"""

from mllab.seq2seq.copy_seq2seq import (
    CopySeq2Seq,
    CopySeq2SeqConfig,
    PaddedPairs,
    Seq2SeqState,
    teacher_forcing_step,
)
from mllab.seq2seq.guided_attention import (
    GuidedAttentionLoss,
    guide_weights,
    guided_attention_loss,
)
from mllab.seq2seq.pointer_generator import (
    GenerationProbability,
    final_distribution,
    generation_probability,
    pointer_nll,
    to_vocab,
)
from mllab.seq2seq.rnn_seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.seq2seq.scheduled_sampling import (
    ExponentialDecay,
    InverseSigmoidDecay,
    LinearDecay,
    scheduled_sampling_logits,
    step_from_forward,
)

__all__ = ["ExponentialDecay", "InverseSigmoidDecay", "LinearDecay", "RNNSeq2Seq",
           "RNNSeq2SeqConfig", "scheduled_sampling_logits", "step_from_forward",
           # copy mechanism and guided attention
           "CopySeq2Seq", "CopySeq2SeqConfig", "GenerationProbability", "GuidedAttentionLoss",
           "PaddedPairs", "Seq2SeqState", "final_distribution", "generation_probability",
           "guide_weights", "guided_attention_loss", "pointer_nll", "teacher_forcing_step",
           "to_vocab"]
