r"""The Transformer lecture: positional encoding, encoder and decoder blocks, the seq2seq model.

- :func:`sinusoidal_table`, :class:`SinusoidalPositionalEncoding`,
  :class:`LearnedPositionalEncoding`, :class:`NoPositionalEncoding`,
  :func:`positional_encoding` (by name);
- :class:`EncoderBlock` (post-LN or pre-LN), :class:`DecoderBlock` with
  :class:`DecoderBlockCache` for incremental decoding;
- :class:`EncoderClassifier` and :class:`EncoderClassifierConfig`: encoder blocks with a
  classifier per token or per sequence, full or truncated attention (the Self-attention lecture);
- :class:`Transformer` and :class:`TransformerConfig`: embeddings, N encoder and N decoder
  blocks, output projection; ``encode``, ``decode``, ``decode_step``.
"""

from mllab.transformer.decoder_block import DecoderBlock, DecoderBlockCache
from mllab.transformer.encoder_block import ACTIVATIONS, EncoderBlock
from mllab.transformer.encoder_classifier import (
    POOLINGS,
    EncoderClassifier,
    EncoderClassifierConfig,
)
from mllab.transformer.encoder_decoder import Transformer, TransformerConfig
from mllab.transformer.positional_encoding import (
    POSITIONAL_ENCODINGS,
    LearnedPositionalEncoding,
    NoPositionalEncoding,
    SinusoidalPositionalEncoding,
    positional_encoding,
    sinusoidal_table,
)

__all__ = [
    "ACTIVATIONS",
    "POOLINGS",
    "POSITIONAL_ENCODINGS",
    "DecoderBlock",
    "DecoderBlockCache",
    "EncoderBlock",
    "EncoderClassifier",
    "EncoderClassifierConfig",
    "LearnedPositionalEncoding",
    "NoPositionalEncoding",
    "SinusoidalPositionalEncoding",
    "Transformer",
    "TransformerConfig",
    "positional_encoding",
    "sinusoidal_table",
]
