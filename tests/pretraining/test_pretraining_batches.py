"""Tests for mllab.pretraining.pretraining_batches: the layout [CLS] A [SEP] B [SEP] with its
segments, padding and lengths written out by hand, truncation of the longer sentence, specials
and padding never chosen (even when a text token equals a special id), the 80-10-10 outcomes
only at chosen positions, determinism in the generator, and the refusals."""

from __future__ import annotations

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.next_sentence import IS_NEXT, NOT_NEXT, sentence_pairs
from mllab.pretraining.pretraining_batches import (
    CLS_ID,
    SEP_ID,
    bert_vocab,
    mask_id,
    pack_pair,
    pretraining_batch,
)
from mllab.text.special_tokens import BOS_ID, EOS_ID, PAD_ID

V_TEXT = 20


def test_special_ids_are_the_tokenizers():
    assert (CLS_ID, SEP_ID) == (BOS_ID, EOS_ID) == (1, 2)
    assert mask_id(V_TEXT) == 20 and bert_vocab(V_TEXT) == 21


def test_layout_by_hand_without_masking():
    pairs = [([5, 6, 7], [8, 9], IS_NEXT), ([10], [11], NOT_NEXT)]
    g = torch.Generator().manual_seed(0)
    b = pretraining_batch(pairs, max_len=16, text_vocab=V_TEXT, generator=g, p=1.0,
                          p_mask=0.0, p_random=0.0)  # every text token chosen, none changed
    assert b.original.tolist() == [[1, 5, 6, 7, 2, 8, 9, 2],
                                   [1, 10, 2, 11, 2, 0, 0, 0]]
    assert b.segments.tolist() == [[0, 0, 0, 0, 0, 1, 1, 1],
                                   [0, 0, 0, 1, 1, 0, 0, 0]]
    assert b.lengths.tolist() == [8, 5]
    assert b.nsp_labels.tolist() == [0, 1]
    assert torch.equal(b.tokens, b.original)
    X = IGNORE_INDEX
    assert b.mlm_labels.tolist() == [[X, 5, 6, 7, X, 8, 9, X],
                                     [X, 10, X, 11, X, X, X, X]]


def test_truncation_drops_from_the_longer_sentence_end():
    ids, seg = pack_pair([5, 6, 7, 8, 9], [10, 11], max_len=8)  # 5 + 2 > 8 - 3
    assert ids == [1, 5, 6, 7, 2, 10, 11, 2]
    assert seg == [0, 0, 0, 0, 0, 1, 1, 1]
    ids, _ = pack_pair([5, 6], [7, 8, 9, 10], max_len=7)
    assert ids == [1, 5, 6, 2, 7, 8, 2]
    ids, _ = pack_pair([5, 6, 7], [8, 9, 10], max_len=7)  # equal: A first, then B
    assert ids == [1, 5, 6, 2, 8, 9, 2]


def _corpus_batch(seed: int, p_mask: float = 0.8, p_random: float = 0.1):
    g = torch.Generator().manual_seed(100)
    # text tokens include ids 0..3 on purpose: positions, not ids, say what is special
    sentences = [torch.randint(0, V_TEXT, (int(n),), generator=g).tolist()
                 for n in torch.randint(1, 12, (60,), generator=g)]
    pairs = sentence_pairs(sentences, torch.Generator().manual_seed(1))
    return pretraining_batch(pairs, max_len=16, text_vocab=V_TEXT,
                             generator=torch.Generator().manual_seed(seed), p=0.5,
                             p_mask=p_mask, p_random=p_random)


def test_specials_and_padding_are_never_chosen():
    b = _corpus_batch(0)
    T = b.tokens.shape[1]
    for row in range(len(b.lengths)):
        n = int(b.lengths[row])
        sep_a = int((b.segments[row, :n] == 0).sum()) - 1
        special = {0, sep_a, n - 1} | set(range(n, T))
        assert not any(bool(b.chosen[row, t]) for t in special)
        assert b.original[row, 0] == CLS_ID and b.original[row, sep_a] == SEP_ID
        assert b.original[row, n - 1] == SEP_ID and (b.original[row, n:] == PAD_ID).all()
        assert torch.equal(b.tokens[row, list(special)], b.original[row, list(special)])
    assert b.chosen.any()
    assert (b.original[b.chosen] <= 3).any()  # a text token equal to a special id, chosen
    assert torch.equal(b.chosen, b.mlm_labels != IGNORE_INDEX)
    assert torch.equal(b.mlm_labels[b.chosen], b.original[b.chosen])
    assert torch.equal(b.tokens[~b.chosen], b.original[~b.chosen])


def test_all_mask_and_all_random_outcomes():
    masked = _corpus_batch(0, p_mask=1.0, p_random=0.0)
    assert (masked.tokens[masked.chosen] == mask_id(V_TEXT)).all()
    rand = _corpus_batch(0, p_mask=0.0, p_random=1.0)
    assert (rand.tokens[rand.chosen] < V_TEXT).all()  # never [MASK]
    assert (rand.tokens[rand.chosen] != rand.original[rand.chosen]).any()


def test_same_generator_same_batch_other_seed_other_masking():
    a, b, c = _corpus_batch(0), _corpus_batch(0), _corpus_batch(1)
    for name in ("tokens", "original", "segments", "lengths", "mlm_labels", "chosen",
                 "nsp_labels"):
        assert torch.equal(getattr(a, name), getattr(b, name))
    assert torch.equal(a.original, c.original) and not torch.equal(a.chosen, c.chosen)


def test_refusals():
    g = torch.Generator()
    with pytest.raises(ConfigError, match="max_len"):
        pack_pair([5], [6], max_len=4)
    with pytest.raises(ConfigError, match="non-empty"):
        pack_pair([], [6], max_len=8)
    with pytest.raises(ConfigError, match="pairs"):
        pretraining_batch([], max_len=8, text_vocab=V_TEXT, generator=g)
