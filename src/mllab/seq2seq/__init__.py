r"""Sequence to sequence beyond the Transformer: the RNN baseline and the lecture's training tips.

- :class:`RNNSeq2Seq`, :class:`RNNSeq2SeqConfig`: encoder RNN, decoder RNN started from the
  encoder's final state, optional Luong attention (dot or additive) over the encoder outputs;
  teacher-forced ``forward`` and a ``step_function`` for :mod:`mllab.decoding`.
"""

from mllab.seq2seq.rnn_seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig

__all__ = ["RNNSeq2Seq", "RNNSeq2SeqConfig"]
