r"""The Transformer lecture: positional encoding, encoder and decoder blocks, the seq2seq model.

- :func:`sinusoidal_table`, :class:`SinusoidalPositionalEncoding`,
  :class:`LearnedPositionalEncoding`, :class:`NoPositionalEncoding`,
  :func:`positional_encoding` (by name);
- :class:`EncoderBlock` (post-LN or pre-LN), :class:`DecoderBlock` with
  :class:`DecoderBlockCache` for incremental decoding;
- :class:`Transformer` and :class:`TransformerConfig`: embeddings, N encoder and N decoder
  blocks, output projection; ``encode``, ``decode``, ``decode_step``.
"""

from mllab.transformer.decoder_block import DecoderBlock, DecoderBlockCache
from mllab.transformer.encoder_block import ACTIVATIONS, EncoderBlock
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
    "POSITIONAL_ENCODINGS",
    "DecoderBlock",
    "DecoderBlockCache",
    "EncoderBlock",
    "LearnedPositionalEncoding",
    "NoPositionalEncoding",
    "SinusoidalPositionalEncoding",
    "Transformer",
    "TransformerConfig",
    "positional_encoding",
    "sinusoidal_table",
]
