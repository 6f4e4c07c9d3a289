"""Tests of ``mllab.text.sentencepiece_tokenizer``: round trip on normalised text (English and
Japanese Bible verses), byte-identical training for the same texts and seed, the shared special
ids, unknown characters to UNK, saving the model proto, the vocabulary size checked."""

import pytest
import sentencepiece as spm

from mllab.config import ConfigError
from mllab.data.bible import bible_pairs
from mllab.text.sentencepiece_tokenizer import SentencePieceTokenizer
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID


@pytest.fixture(scope="module")
def verses():
    pairs = bible_pairs()[:1500]
    return [p.en for p in pairs], [p.ja for p in pairs]


@pytest.fixture(scope="module")
def en_tok(verses):
    return SentencePieceTokenizer.train(verses[0], vocab_size=300, seed=0)


def test_round_trip_on_normalised_text(verses, en_tok):
    ja_tok = SentencePieceTokenizer.train(verses[1], vocab_size=2000, seed=0)
    for tok, texts in ((en_tok, verses[0]), (ja_tok, verses[1])):
        for text in texts[::50]:
            assert tok.decode(tok.encode(text)) == tok.normalize(text)
    assert en_tok.normalize("  In   the\tbeginning ") == "In the beginning"
    assert en_tok.decode(en_tok.encode("  In   the\tbeginning ")) == "In the beginning"


def test_training_is_deterministic(verses, en_tok):
    again = SentencePieceTokenizer.train(verses[0], vocab_size=300, seed=0)
    assert again.model_proto == en_tok.model_proto
    assert again.encode(verses[0][7]) == en_tok.encode(verses[0][7])


def test_special_ids_match_the_shared_ones(en_tok):
    assert (en_tok.PAD, en_tok.BOS, en_tok.EOS, en_tok.UNK) == (PAD_ID, BOS_ID, EOS_ID, UNK_ID)
    sp = spm.SentencePieceProcessor(model_proto=en_tok.model_proto)
    assert (sp.pad_id(), sp.bos_id(), sp.eos_id(), sp.unk_id()) == (0, 1, 2, 3)
    assert en_tok.vocab_size == 300
    ids = en_tok.encode("God")
    assert en_tok.decode([BOS_ID, *ids, EOS_ID, PAD_ID]) == "God"
    assert all(4 <= i < 300 for i in en_tok.encode("In the beginning God created"))


def test_unknown_characters_become_unk(en_tok):
    ids = en_tok.encode("God 天")
    assert ids[-1] == UNK_ID and UNK_ID not in en_tok.encode("God")
    with pytest.raises(ConfigError, match="id"):
        en_tok.decode([300])


def test_pieces_are_subwords_of_the_text(en_tok):
    text = "In the beginning God created the heavens and the earth."
    assert "".join(en_tok.pieces(text)).replace("\u2581", " ").strip() == text
    assert len(en_tok.encode(text)) < len(text)


def test_save_and_load_the_model_proto(tmp_path, en_tok):
    en_tok.save(tmp_path / "en.model")
    again = SentencePieceTokenizer.load(tmp_path / "en.model")
    assert again.model_proto == en_tok.model_proto
    assert SentencePieceTokenizer.from_bytes(en_tok.model_proto).encode("God") == en_tok.encode(
        "God")
    with pytest.raises(ConfigError, match="model_proto"):
        SentencePieceTokenizer(b"not a model")


@pytest.mark.parametrize("vocab_size", [7, 1.5, 100_000])
def test_vocab_size_checked(verses, vocab_size):
    with pytest.raises(ConfigError, match="vocab_size"):
        SentencePieceTokenizer.train(verses[0][:100], vocab_size=vocab_size)
