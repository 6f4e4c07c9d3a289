"""The contextual-embeddings experiment: its judge on hand-made metrics for every outcome, the
sense rules on hand-made sentences, the cosine gap by hand, word vectors averaged over the
word's pieces, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.self_supervised.contextual_embeddings import (
    ContextualSettings,
    cosine_gap,
    judge_contextual,
    occurrences,
    sense_of,
)


def _metrics(trained, untrained):
    return {"gap_trained": list(trained), "gap_untrained": list(untrained),
            "same_word": {"right": {"mean": 0.7, "min": 0.2}},
            "counts": {"right": (40, 40)}}


@pytest.mark.parametrize(("trained", "untrained", "outcomes", "verdict"), [
    ((0.10, 0.12, 0.11), (0.03, 0.02, 0.025), ["held", "held"], "reproduced"),
    ((0.10, 0.12, 0.11), (0.15, 0.16, 0.17), ["held", "contradicted"], "not reproduced"),
    ((0.01, 0.03, 0.02), (0.0, 0.02, 0.01), ["within noise", "within noise"], "inconclusive"),
    ((-0.10, -0.12, -0.11), (0.0, 0.0, 0.0), ["contradicted", "contradicted"],
     "not reproduced"),
])
def test_judge(trained, untrained, outcomes, verdict):
    evidence = judge_contextual(_metrics(trained, untrained), ContextualSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert "right 0.700 (0.200)" in evidence.demonstrations[0].shown  # never decides


def test_sense_rules():
    assert sense_of("at his right hand".split(), 2) == 0
    assert sense_of("that which was right in his eyes".split(), 3) == 1
    assert sense_of("was left hand".split(), 1) is None  # both rules: left out
    assert sense_of("the right".split(), 1) is None  # neither
    assert sense_of("drew water from the well".split(), 4) == 0
    assert sense_of("it is well with you".split(), 2) == 1
    assert sense_of("you shall not lie".split(), 3) == 1
    assert sense_of("he will lie down".split(), 2) == 0


def test_occurrences_from_the_bible():
    found = occurrences(5)
    for w, (a, b) in found.items():
        assert len(a) == len(b) == 5
        for text, j in a + b:
            assert text.split()[j].lower().strip(".,;:!?'\"()") .startswith(w)


def test_cosine_gap_by_hand():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    g = cosine_gap(a, b)
    assert g["within_a"] == pytest.approx(1.0)
    assert g["within_b"] == pytest.approx(2 ** -0.5)
    assert g["across"] == pytest.approx((0 + 2 ** -0.5) / 2)
    assert g["gap"] == pytest.approx((1 + 2 ** -0.5) / 2 - 2 ** -0.5 / 2)


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("contextual-embeddings")


def test_word_vectors_average_the_pieces_of_the_word():
    from mllab.experiments.self_supervised.contextual_embeddings import word_vectors
    from mllab.pretraining import BertConfig
    from mllab.pretraining.bert_pretraining import BertPretraining
    from mllab.pretraining.bible_corpus import bible_corpus
    from mllab.pretraining.pretraining_batches import bert_vocab

    c = bible_corpus(seed=0, vocab_size=300, tokenizer_verses=800, max_train=800, max_test=3)
    tok = c.tokenizer
    # pieces never span whitespace: the verse's ids are its words' ids end to end
    for v in c.train[:200]:
        assert [i for t in v.en.split() for i in tok.encode(t)] == tok.encode(v.en)
    model = BertPretraining(BertConfig(vocab=bert_vocab(tok.vocab_size), d_model=16,
                                       num_heads=2, d_ff=32, num_layers=1, max_len=64))
    text = "and Yahweh said to him, sit at my right hand"
    h = word_vectors(model, tok, [(text, 8)], max_len=64)  # "right"
    ids = [1, *tok.encode(text), 2]
    pos = 1 + len(tok.encode("and Yahweh said to him, sit at my"))
    span = [pos + k for k, p in enumerate(tok.pieces("right")) if p != "\u2581"]
    assert "".join(tok.decode([ids[t]]) for t in span) == "right"
    model.eval()
    with torch.no_grad():
        expected = model.bert(torch.tensor([ids]))[0, span].mean(0)
    torch.testing.assert_close(h[0], expected)
