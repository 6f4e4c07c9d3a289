r"""The special token ids every tokenizer of :mod:`mllab.text` shares.

A sequence model needs four symbols besides the text's own: padding to batch sequences of
different lengths, the start token the decoder is fed first (BOS), the end token it emits to
stop (EOS) and a stand-in for anything outside the vocabulary (UNK). Both
:class:`~mllab.text.char_tokenizer.CharTokenizer` and
:class:`~mllab.text.sentencepiece_tokenizer.SentencePieceTokenizer` give them the same ids, so a
model, a loss (``ignore_index=PAD_ID``) and a decoder (``bos=BOS_ID, eos=EOS_ID``) never depend
on which tokenizer made the ids.
"""

PAD_ID = 0
"""Padding; ignored by the loss."""
BOS_ID = 1
"""Beginning of sequence: the decoder's first input."""
EOS_ID = 2
"""End of sequence: the decoder stops after emitting it."""
UNK_ID = 3
"""Unknown: any symbol outside the vocabulary."""
SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<s>", "</s>", "<unk>")
"""The names of ids 0..3, in id order (sentencepiece's own names)."""
UNK_TEXT = "\u2047"
"""What the character tokenizer decodes UNK to: sentencepiece's ``⁇`` (which sentencepiece
itself writes with a space either side)."""
