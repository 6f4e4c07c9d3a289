"""Tests of ``mllab.text.char_tokenizer``: exact round trip on known characters, ids fixed by the
set of characters, the shared special ids, unknown characters to UNK, JSON save and load."""

import pytest

from mllab.config import ConfigError
from mllab.text.char_tokenizer import CharTokenizer
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID

TEXTS = ["元始に神天地を創造たまへり", "In the beginning God created the heavens.", "abc  \tz"]


def test_round_trip_on_known_characters():
    tok = CharTokenizer.train(TEXTS)
    for text in TEXTS + ["天地 God", ""]:
        assert tok.decode(tok.encode(text)) == text


def test_ids_depend_on_the_characters_only():
    a, b = CharTokenizer.train(TEXTS), CharTokenizer.train(reversed(TEXTS))
    assert a.chars == b.chars and a.encode(TEXTS[0]) == b.encode(TEXTS[0])
    assert a.chars == tuple(sorted(set("".join(TEXTS))))
    assert a.vocab_size == 4 + len(set("".join(TEXTS)))


def test_special_ids_and_unknown_characters():
    tok = CharTokenizer(["a", "b"])
    assert (tok.PAD, tok.BOS, tok.EOS, tok.UNK) == (PAD_ID, BOS_ID, EOS_ID, UNK_ID) == (0, 1, 2, 3)
    assert tok.encode("abx") == [4, 5, UNK_ID]
    assert tok.decode([BOS_ID, 4, UNK_ID, 5, EOS_ID, PAD_ID, PAD_ID]) == "a\u2047b"
    with pytest.raises(ConfigError, match="id"):
        tok.decode([6])


def test_min_count_leaves_rare_characters_unknown():
    tok = CharTokenizer.train(["aab"], min_count=2)
    assert tok.chars == ("a",) and tok.encode("ab") == [4, UNK_ID]


def test_json_save_and_load(tmp_path):
    tok = CharTokenizer.train(TEXTS)
    tok.save(tmp_path / "chars.json")
    again = CharTokenizer.load(tmp_path / "chars.json")
    assert again.chars == tok.chars and again.encode(TEXTS[0]) == tok.encode(TEXTS[0])
    with pytest.raises(ConfigError, match="format"):
        CharTokenizer.from_json('{"chars": ["a"]}')
    with pytest.raises(ConfigError, match="JSON"):
        CharTokenizer.from_json("not json")


@pytest.mark.parametrize("chars", [["ab"], ["a", "a"], [1]])
def test_bad_vocabulary(chars):
    with pytest.raises(ConfigError, match="chars"):
        CharTokenizer(chars)
