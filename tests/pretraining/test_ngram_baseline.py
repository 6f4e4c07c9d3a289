"""Tests for mllab.pretraining.ngram_baseline: counts, the unigram guess, the bigram scores
against the formula by hand with add-alpha smoothing, a neighbour's term left out when it is
[MASK], ties to the smallest id, special ids never guessed, and refusals."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.ngram_baseline import NgramBaseline

# ids: 0 pad, 1 [CLS], 2 [SEP], 3..6 words, 7 [MASK]
SEQS = [[1, 3, 4, 2], [1, 3, 4, 5, 2], [1, 5, 4, 2], [1, 6, 6, 2]]
V, MASK = 8, 7


def _model(alpha=0.5):
    return NgramBaseline(SEQS, V, excluded=(0, 1, 2, MASK), alpha=alpha)


def test_counts_and_unigram_guess():
    m = _model()
    assert m.unigram.tolist() == [0, 4, 4, 2, 3, 2, 2, 0]
    assert m.bigram[3, 4] == 2 and m.bigram[4, 2] == 2 and m.bigram[6, 6] == 1
    assert m.bigram.sum() == sum(len(s) - 1 for s in SEQS)
    assert m.unigram_guess() == 4  # 1 and 2 are more frequent but special


def test_bigram_scores_by_hand():
    m, a = _model(), 0.5
    seen = [(x, y) for s in SEQS for x, y in zip(s[:-1], s[1:], strict=True)]
    c = {(l, r): seen.count((l, r)) for l in range(V) for r in range(V)}
    c_row = {l: sum(c[(l, r)] for r in range(V)) for l in range(V)}

    def logp(r, l):  # log P(r | l)
        return math.log((c[(l, r)] + a) / (c_row[l] + a * V))

    scores = m.bigram_scores(3, 2)  # [3] _ [2]
    for x in (3, 4, 5, 6):
        assert scores[x].item() == pytest.approx(logp(x, 3) + logp(2, x), abs=1e-12)
    assert torch.isinf(scores[[0, 1, 2, MASK]]).all()
    assert int(torch.argmax(scores)) == 4  # "3 4" and "4 2" were both seen
    left_only = m.bigram_scores(1, None)  # [CLS] _ : 3 seen twice
    assert left_only[5].item() == pytest.approx(logp(5, 1), abs=1e-12)
    assert int(torch.argmax(left_only)) == 3


def test_guesses_skip_masked_neighbours_and_ties_go_to_the_smallest_id():
    m = _model()
    tokens = torch.tensor([[1, MASK, 4, 2], [1, MASK, MASK, 2]])
    chosen = torch.tensor([[False, True, False, False], [False, True, True, False]])
    guesses = m.bigram_guesses(tokens, chosen, MASK)
    # row 0: P(x | [CLS]) P(4 | x) is highest for 3; row 1, position 1: left [CLS] only -> 3;
    # position 2: right [SEP] only, P([SEP] | x) = (2 + .5) / (3 + 4) for 4, 1.5 / 6 for 5, 6
    assert guesses.tolist() == [3, 3, 4]
    tie = NgramBaseline([[3, 4], [4, 3]], 5, excluded=(0,))
    assert int(torch.argmax(tie.bigram_scores(None, None))) == 3  # c(3) = c(4): smaller id


def test_refusals():
    with pytest.raises(ConfigError, match="alpha"):
        NgramBaseline(SEQS, V, alpha=0)
    with pytest.raises(ConfigError, match="sequences"):
        NgramBaseline([[1, 9]], V)
