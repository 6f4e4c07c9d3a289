"""Encoding the four cases: layouts, segments, a word's label on its last piece, the answer's
span decodes to the answer, truncation and dropping."""

from functools import lru_cache

from mllab.data.bible import english_verses
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.pretraining_batches import CLS_ID, SEP_ID
from mllab.pretraining.task_inputs import encode_pair, encode_sequence, encode_span, encode_words
from mllab.text.sentencepiece_tokenizer import SentencePieceTokenizer


@lru_cache(maxsize=1)
def _tok():
    return SentencePieceTokenizer.train([v.en for v in english_verses()[:1500]], 300, seed=0)


def test_sequence_and_pair_layouts():
    tok = _tok()
    ex = encode_sequence(tok, "In the beginning God created", 2, max_len=6)
    assert ex.tokens[0] == CLS_ID and ex.tokens[-1] == SEP_ID and len(ex.tokens) == 6
    assert ex.tokens[1:-1] == tuple(tok.encode("In the beginning God created")[:4])
    assert ex.segments == (0,) * 6 and ex.target == 2
    pair = encode_pair(tok, "In the beginning", "God created", 1, max_len=64)
    a, b = tok.encode("In the beginning"), tok.encode("God created")
    assert pair.tokens == (CLS_ID, *a, SEP_ID, *b, SEP_ID)
    assert pair.segments == (0,) * (len(a) + 2) + (1,) * (len(b) + 1) and pair.target == 1


def test_a_words_label_sits_on_its_last_piece():
    tok = _tok()
    words, labels = ["Jehoshaphat", "reigned", "well"], [0, 1, 2]
    ex = encode_words(tok, words, labels, max_len=64)
    pieces = [tok.encode(w) for w in words]
    assert ex.tokens == (CLS_ID, *[i for p in pieces for i in p], SEP_ID)
    assert len(ex.target) == len(ex.tokens)
    ends = [sum(len(p) for p in pieces[:k + 1]) for k in range(3)]  # last piece of each word
    assert [ex.target[e] for e in ends] == labels
    assert sum(t != IGNORE_INDEX for t in ex.target) == 3
    short = encode_words(tok, words, labels, max_len=len(pieces[0]) + 2)
    assert [t for t in short.target if t != IGNORE_INDEX] == [0]  # whole words only


def test_the_span_decodes_to_the_answer_and_misfits_are_dropped():
    tok = _tok()
    context = "Joshua the son of Nun, the servant of Yahweh, died."
    ex = encode_span(tok, "Whose son was Joshua?", context, "Nun", 4, max_len=64)
    s, e = ex.target
    assert tok.decode(list(ex.tokens[s:e + 1])) == "Nun"
    assert ex.segments[s] == 1 and ex.tokens.index(SEP_ID) < s and ex.answer == "Nun"
    q = len(tok.encode("Whose son was Joshua?"))
    assert encode_span(tok, "Whose son was Joshua?", context, "Nun", 4, max_len=q + 5) is None
