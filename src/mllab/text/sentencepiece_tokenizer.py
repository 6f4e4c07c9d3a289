r"""Subword units trained locally with ``sentencepiece``, as the course's translation homework
tokenises its text.

The model is a **unigram** language model over subword pieces (Kudo 2018, arXiv:1804.10959;
sentencepiece's default and the homework's choice): starting from a large seed vocabulary it
repeatedly drops the pieces whose removal lowers the likelihood

.. math:: \mathcal{L} = \sum_{s} \log \sum_{\mathbf{x} \in S(s)} \prod_i p(x_i)

of the training sentences least, until ``vocab_size`` pieces remain; a text is then segmented
into its most probable sequence of pieces (Viterbi).

Training runs in memory (``sentence_iterator=``, ``model_writer=io.BytesIO()``): no file is
written. It is deterministic: one thread, no shuffling or sampling of the input, and
sentencepiece's random generator seeded with ``seed``, so the same texts give byte-identical
model protos. ``character_coverage=1.0`` by default puts every character of the training texts
into the vocabulary (``vocab_size`` must then exceed their number plus four); other characters
encode to ``UNK_ID``.

Text is normalised before segmentation by sentencepiece's ``nmt_nfkc`` rule (NFKC, runs of
whitespace collapsed, leading and trailing whitespace removed), so
``decode(encode(s)) == normalize(s)``, which equals ``s`` for text already normal.

Saved as the serialized model proto (sentencepiece's own format), never pickled.

Differences from the course: the homework trains one joint model on both languages with 8,000
pieces; the experiments here train one small model per language on the training split only.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from mllab.config import ConfigError, is_real, require, require_int
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID

__all__ = ["SentencePieceTokenizer"]

_WORD_START = "\u2581"  # sentencepiece's visible space, "▁"


class SentencePieceTokenizer:
    r"""A trained sentencepiece model behind the tokenizer interface of :mod:`mllab.text`.

    Build one with :meth:`train` or :meth:`from_bytes` / :meth:`load`.
    """

    PAD = PAD_ID
    BOS = BOS_ID
    EOS = EOS_ID
    UNK = UNK_ID

    def __init__(self, model_proto: bytes) -> None:
        import sentencepiece as spm

        try:
            self._sp = spm.SentencePieceProcessor(model_proto=bytes(model_proto))
        except (RuntimeError, TypeError, OSError) as err:
            raise ConfigError(f"model_proto must be a sentencepiece model, got an error: "
                              f"{err}") from None
        specials = tuple(self._sp.id_to_piece(i) for i in range(len(SPECIAL_TOKENS)))
        require((self._sp.pad_id(), self._sp.bos_id(), self._sp.eos_id(), self._sp.unk_id())
                == (PAD_ID, BOS_ID, EOS_ID, UNK_ID) and specials == SPECIAL_TOKENS,
                "model_proto", f"a model with special pieces {SPECIAL_TOKENS} at ids 0..3",
                specials)
        self.model_proto = bytes(model_proto)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, *, seed: int = 0,
              character_coverage: float = 1.0) -> SentencePieceTokenizer:
        r"""A unigram model of ``vocab_size`` pieces trained on ``texts``, in memory.

        Args:
            texts: The training sentences, one string each.
            vocab_size: V, including the four special pieces; at least 8, and at most what the
                texts allow (sentencepiece's limit is reported as a ``ConfigError``).
            seed: Seed of sentencepiece's random generator.
            character_coverage: Fraction of the training characters the vocabulary must cover,
                in (0, 1].

        Raises:
            ConfigError: A bad argument, or a ``vocab_size`` the texts cannot give.
        """
        import sentencepiece as spm

        require_int("vocab_size", vocab_size, 8)
        require_int("seed", seed, 0)
        require(is_real(character_coverage) and 0.0 < character_coverage <= 1.0,
                "character_coverage", "a number in (0, 1]", character_coverage)
        texts = [t for t in texts if t.strip()]
        require(len(texts) > 0, "texts", "at least one non-blank sentence", texts)
        spm.set_random_generator_seed(seed)
        writer = io.BytesIO()
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=iter(texts), model_writer=writer, vocab_size=vocab_size,
                model_type="unigram", character_coverage=character_coverage,
                pad_id=PAD_ID, bos_id=BOS_ID, eos_id=EOS_ID, unk_id=UNK_ID,
                num_threads=1, shuffle_input_sentence=False, input_sentence_size=0,
                normalization_rule_name="nmt_nfkc", minloglevel=2,
            )
        except RuntimeError as err:
            reason = str(err).split("] ")[-1]
            raise ConfigError(f"vocab_size must suit the training texts, got {vocab_size}: "
                              f"{reason}") from None
        return cls(writer.getvalue())

    @property
    def vocab_size(self) -> int:
        r"""V: the number of pieces, the four special ones included."""
        return self._sp.vocab_size()

    def normalize(self, text: str) -> str:
        r"""``text`` as sentencepiece normalises it before segmentation (``nmt_nfkc``)."""
        return self._sp.normalize(text).replace(_WORD_START, " ").strip()

    def encode(self, text: str) -> list[int]:
        r"""The ids of the most probable segmentation of ``normalize(text)``."""
        return list(self._sp.encode(text))

    def pieces(self, text: str) -> list[str]:
        r"""The pieces of ``text``, as strings (``▁`` marks the start of a word)."""
        return list(self._sp.encode(text, out_type=str))

    def decode(self, ids: Iterable[int]) -> str:
        r"""The text of ``ids``; PAD, BOS and EOS are skipped and UNK is written `` ⁇ ``.

        Raises:
            ConfigError: An id outside ``[0, vocab_size)``.
        """
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < self.vocab_size]
        require(not bad, "id", f"in [0, {self.vocab_size})", bad)
        return self._sp.decode(ids)

    @classmethod
    def from_bytes(cls, model_proto: bytes) -> SentencePieceTokenizer:
        r"""The tokenizer whose serialized model proto is ``model_proto``."""
        return cls(model_proto)

    def save(self, path: str | Path) -> None:
        r"""Write the serialized model proto to ``path``."""
        Path(path).write_bytes(self.model_proto)

    @classmethod
    def load(cls, path: str | Path) -> SentencePieceTokenizer:
        r"""Read a tokenizer :meth:`save` wrote."""
        return cls(Path(path).read_bytes())
