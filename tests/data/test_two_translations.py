"""Tests for mllab.data.two_translations: every target is exactly one of the two translations,
chosen about half the time each, the lengths in range; the output classes by hand."""

import torch

from mllab.data.two_translations import classify_outputs, translations, two_translation_pairs


def test_translations_by_hand():
    a, b = translations(torch.tensor([[1, 3, 0]]), 3)
    assert a.tolist() == [[3, 5, 0]] and b.tolist() == [[6, 8, 0]]


def test_pairs_have_two_translations_chosen_per_sentence():
    d = two_translation_pairs(400, 5, 3, 6, torch.Generator().manual_seed(0))
    a, b = translations(d["src"], 5)
    is_a, is_b = (d["tgt"] == a).all(1), (d["tgt"] == b).all(1)
    assert bool((is_a ^ is_b).all())  # every target is exactly one of them, never a mix
    assert 0.4 < is_b.double().mean().item() < 0.6
    assert d["lengths"].min() == 3 and d["lengths"].max() == 6
    assert bool(((d["src"] > 0).sum(1) == d["lengths"]).all())
    one = two_translation_pairs(50, 5, 3, 6, torch.Generator().manual_seed(0), two_modes=False)
    assert torch.equal(one["tgt"], translations(one["src"], 5)[0])


def test_the_same_generator_state_gives_the_same_pairs():
    first = two_translation_pairs(20, 4, 2, 5, torch.Generator().manual_seed(3))
    again = two_translation_pairs(20, 4, 2, 5, torch.Generator().manual_seed(3))
    assert all(torch.equal(first[k], again[k]) for k in first)


def test_classify_by_hand():
    src = torch.tensor([[1, 2, 0], [1, 2, 0], [1, 2, 0], [3, 1, 2], [3, 1, 2], [1, 2, 0]])
    # K = 3: a(v) = v + 2, b(v) = v + 5
    outputs = [[3, 4], [6, 7], [3, 7], [5, 3], [5, 3, 4], [3]]
    assert classify_outputs(outputs, src, 3) == ["exact", "exact", "mixed", "other", "exact",
                                                 "other"]
