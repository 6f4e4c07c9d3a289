r"""Sequence to sequence beyond the Transformer: the RNN baseline and the lecture's training tips.

- :class:`RNNSeq2Seq`, :class:`RNNSeq2SeqConfig`: encoder RNN, decoder RNN started from the
  encoder's final state, optional Luong attention (dot or additive) over the encoder outputs;
  teacher-forced ``forward`` and a ``step_function`` for :mod:`mllab.decoding`.
- :func:`scheduled_sampling_logits` (arXiv:1506.03099): each decoder input the gold token with
  probability :math:`\epsilon_i`, else the model's own previous output; the decay schedules
  :class:`LinearDecay`, :class:`ExponentialDecay`, :class:`InverseSigmoidDecay`;
  :func:`step_from_forward` for a model with only a teacher-forced forward.
"""

from mllab.seq2seq.rnn_seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig
from mllab.seq2seq.scheduled_sampling import (
    ExponentialDecay,
    InverseSigmoidDecay,
    LinearDecay,
    scheduled_sampling_logits,
    step_from_forward,
)

__all__ = ["ExponentialDecay", "InverseSigmoidDecay", "LinearDecay", "RNNSeq2Seq",
           "RNNSeq2SeqConfig", "scheduled_sampling_logits", "step_from_forward"]
