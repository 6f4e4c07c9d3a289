r"""A character tokenizer: one id per character seen in training, for the synthetic tasks and as
the baseline of subword units.

The vocabulary is the four special ids of :mod:`mllab.text.special_tokens` followed by the
characters of the training texts (those seen at least ``min_count`` times), in code-point order,
so the ids are a function of the set of characters alone, whatever the order of the texts.
``decode(encode(s)) == s`` for every string made of known characters; any other character
encodes to ``UNK_ID``.

Saved as JSON (the character list), never pickled.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mllab.config import ConfigError, is_int, require
from mllab.text.special_tokens import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    UNK_TEXT,
)

__all__ = ["CharTokenizer"]

_FORMAT = "mllab.char_tokenizer/1"


class CharTokenizer:
    r"""Characters to ids and back; ids 0..3 are PAD, BOS, EOS, UNK.

    Args:
        chars: The vocabulary's characters, each a string of length one, distinct; they get
            ids 4, 5, ... in the order given.
    """

    PAD = PAD_ID
    BOS = BOS_ID
    EOS = EOS_ID
    UNK = UNK_ID

    def __init__(self, chars: Iterable[str]) -> None:
        chars = tuple(chars)
        bad = [c for c in chars if not (isinstance(c, str) and len(c) == 1)]
        require(not bad and len(set(chars)) == len(chars), "chars",
                "distinct strings of length one", bad or chars)
        self.chars = chars
        self._id = {c: i for i, c in enumerate(chars, start=len(SPECIAL_TOKENS))}

    @classmethod
    def train(cls, texts: Iterable[str], min_count: int = 1) -> CharTokenizer:
        r"""The characters of ``texts`` seen at least ``min_count`` times, in code-point order."""
        require(is_int(min_count) and min_count >= 1, "min_count", "an integer >= 1", min_count)
        counts = Counter(c for text in texts for c in text)
        return cls(sorted(c for c, n in counts.items() if n >= min_count))

    @property
    def vocab_size(self) -> int:
        r"""V: the four special ids plus one per character."""
        return len(SPECIAL_TOKENS) + len(self.chars)

    def encode(self, text: str) -> list[int]:
        r"""One id per character of ``text``; unknown characters become ``UNK_ID``."""
        return [self._id.get(c, UNK_ID) for c in text]

    def decode(self, ids: Iterable[int]) -> str:
        r"""The characters of ``ids``; PAD, BOS and EOS are skipped and UNK is written ``⁇``.

        Raises:
            ConfigError: An id outside ``[0, vocab_size)``.
        """
        out = []
        for i in ids:
            i = int(i)
            require(0 <= i < self.vocab_size, "id", f"in [0, {self.vocab_size})", i)
            if i == UNK_ID:
                out.append(UNK_TEXT)
            elif i >= len(SPECIAL_TOKENS):
                out.append(self.chars[i - len(SPECIAL_TOKENS)])
        return "".join(out)

    def to_json(self) -> str:
        r"""The vocabulary as a JSON document (format name and character list)."""
        return json.dumps({"format": _FORMAT, "chars": list(self.chars)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CharTokenizer:
        r"""The tokenizer :meth:`to_json` wrote.

        Raises:
            ConfigError: Not such a document.
        """
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"a char tokenizer must be JSON, got an error: {err}") from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise ConfigError(f"a char tokenizer's JSON must have format {_FORMAT!r}")
        return cls(doc.get("chars", ()))

    def save(self, path: str | Path) -> None:
        r"""Write :meth:`to_json` to ``path`` (UTF-8)."""
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> CharTokenizer:
        r"""Read a tokenizer :meth:`save` wrote."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
