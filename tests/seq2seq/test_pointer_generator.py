"""Tests for mllab.seq2seq.pointer_generator: Eqs. (8)-(9) of arXiv:1704.04368 by hand, their
limits (p_gen = 1 and p_gen = 0), normalisation, finite differences in float64, and the loss."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.seq2seq.pointer_generator import (
    GenerationProbability,
    final_distribution,
    generation_probability,
    pointer_nll,
    to_vocab,
)

f64 = torch.float64


def _inputs(B=2, T=3, S=5, V=6, n_oov=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    p_vocab = torch.softmax(torch.randn(B, T, V, generator=g, dtype=f64), -1)
    a = torch.softmax(torch.randn(B, T, S, generator=g, dtype=f64), -1)
    src_ext = torch.randint(0, V + n_oov, (B, S), generator=g)
    p_gen = torch.rand(B, T, generator=g, dtype=f64)
    return p_vocab, a, src_ext, p_gen, V + n_oov


def test_p_gen_one_gives_the_vocabulary_softmax():
    p_vocab, a, src_ext, _, n_ext = _inputs()
    P = final_distribution(p_vocab, a, src_ext, torch.ones(2, 3, dtype=f64), n_ext)
    V = p_vocab.shape[-1]
    assert torch.equal(P[..., :V], p_vocab) and torch.equal(P[..., V:], torch.zeros(2, 3, 2,
                                                                                     dtype=f64))


def test_p_gen_zero_scatters_the_attention_onto_the_source_ids():
    p_vocab = torch.full((1, 2, 4), 0.25, dtype=f64)  # V = 4
    a = torch.tensor([[[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25]]], dtype=f64)
    src_ext = torch.tensor([[2, 5, 2, 4]])  # word 2 twice; 4 and 5 out of vocabulary
    P = final_distribution(p_vocab, a, src_ext, torch.zeros(1, 2, dtype=f64), 6)
    expected = torch.tensor([[[0, 0, 0.1 + 0.3, 0, 0.4, 0.2],
                              [0, 0, 0.5 + 0.25, 0, 0.25, 0.0]]], dtype=f64)
    assert torch.allclose(P, expected, atol=0, rtol=1e-15)


def test_the_mixture_by_hand():
    p_vocab = torch.tensor([[[0.5, 0.3, 0.2]]], dtype=f64)  # V = 3
    a = torch.tensor([[[0.6, 0.4]]], dtype=f64)
    src_ext = torch.tensor([[1, 3]])  # word 1, then an OOV word (id 3)
    P = final_distribution(p_vocab, a, src_ext, torch.tensor([[0.7]], dtype=f64), 4)
    expected = [0.7 * 0.5, 0.7 * 0.3 + 0.3 * 0.6, 0.7 * 0.2, 0.3 * 0.4]  # Eq. (9)
    assert torch.allclose(P[0, 0], torch.tensor(expected, dtype=f64))


def test_the_result_sums_to_one_and_is_non_negative():
    p_vocab, a, src_ext, p_gen, n_ext = _inputs(B=3, T=4, S=7, V=9, n_oov=3, seed=1)
    P = final_distribution(p_vocab, a, src_ext, p_gen, n_ext)
    assert P.shape == (3, 4, 12) and bool((P >= 0).all())
    assert torch.allclose(P.sum(-1), torch.ones(3, 4, dtype=f64), atol=1e-14)


def test_finite_difference_gradients_in_float64():
    p_vocab, a, src_ext, p_gen, n_ext = _inputs()
    p_vocab, a, p_gen = (x.clone().requires_grad_() for x in (p_vocab, a, p_gen))
    assert torch.autograd.gradcheck(
        lambda pv, aa, pg: final_distribution(pv, aa, src_ext, pg, n_ext), (p_vocab, a, p_gen))
    target = torch.tensor([[0, 6, 7], [2, 1, 7]])
    assert torch.autograd.gradcheck(
        lambda pv, aa, pg: pointer_nll(final_distribution(pv, aa, src_ext, pg, n_ext), target),
        (p_vocab, a, p_gen))


def test_generation_probability_by_hand_and_its_gradients():
    h, s, x = (torch.tensor([1.0, -2.0], dtype=f64), torch.tensor([0.5], dtype=f64),
               torch.tensor([3.0, 0.0, 1.0], dtype=f64))
    w_h, w_s, w_x = (torch.tensor([0.5, 0.25], dtype=f64), torch.tensor([2.0], dtype=f64),
                     torch.tensor([0.1, 9.0, -0.2], dtype=f64))
    b = torch.tensor(0.3, dtype=f64)
    z = (0.5 - 0.5) + 1.0 + (0.3 - 0.2) + 0.3  # Eq. (8) by hand
    assert generation_probability(h, s, x, w_h, w_s, w_x, b).item() == pytest.approx(
        1 / (1 + math.exp(-z)), rel=1e-15)
    args = tuple(v.clone().requires_grad_() for v in (h, s, x, w_h, w_s, w_x, b))
    assert torch.autograd.gradcheck(generation_probability, args)


def test_the_module_computes_eq_8_with_its_parameters():
    m = GenerationProbability(4, 3, 2, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    h, s, x = torch.randn(2, 5, 4, generator=g), torch.randn(2, 5, 3, generator=g), torch.randn(
        2, 5, 2, generator=g)
    expected = torch.sigmoid(h @ m.w_h + s @ m.w_s + x @ m.w_x + m.b)
    assert m(h, s, x).shape == (2, 5) and torch.allclose(m(h, s, x), expected)
    assert m(h, s, x).min() > 0 and m(h, s, x).max() < 1
    with pytest.raises(ConfigError, match="d_s must be an integer >= 1"):
        GenerationProbability(4, 0, 2)


def test_the_loss_by_hand_on_a_tiny_example():
    P = torch.tensor([[[0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]]], dtype=f64)
    target = torch.tensor([[2, 0, 1]])
    assert pointer_nll(P, target).item() == pytest.approx(
        -(math.log(0.3) + math.log(0.1) + math.log(0.2)) / 3, rel=1e-14)
    target_padded = torch.tensor([[2, 0, 1]]).masked_fill(torch.tensor([[False, False, True]]), 1)
    assert pointer_nll(P, target_padded, ignore_index=1).item() == pytest.approx(
        -(math.log(0.3) + math.log(0.1)) / 2, rel=1e-14)


def test_an_oov_word_the_source_lacks_costs_a_large_finite_loss():
    P = final_distribution(torch.tensor([[[0.5, 0.5, 0.0]]]), torch.tensor([[[1.0]]]),
                           torch.tensor([[0]]), torch.tensor([[0.5]]), 5)
    loss = pointer_nll(P, torch.tensor([[4]]))  # id 4: out of vocabulary, not in the source
    assert math.isfinite(loss.item()) and loss.item() > 80


def test_shapes_are_checked():
    p_vocab, a, src_ext, p_gen, _ = _inputs()
    with pytest.raises(ValueError, match="n_extended must be >= V"):
        final_distribution(p_vocab, a, src_ext, p_gen, 3)
    with pytest.raises(ValueError, match="src_ext"):
        final_distribution(p_vocab, a, src_ext[:, :2], p_gen, 8)


def test_to_vocab_reads_oov_ids_as_unk():
    assert to_vocab(torch.tensor([0, 5, 6, 9]), 6, 3).tolist() == [0, 5, 3, 3]
