"""Tests for mllab.attention.masks: every mask by hand, shapes and combination."""

from __future__ import annotations

import pytest
import torch

from mllab.attention.masks import causal_mask, combine, padding_mask, torch_mask, window_mask
from mllab.config import ConfigError


def _rows(mask: torch.Tensor) -> list[str]:
    return ["".join("1" if x else "." for x in row) for row in mask.tolist()]


def test_padding_mask_by_hand():
    m = padding_mask(torch.tensor([2, 4, 1]), 4)
    assert m.shape == (3, 1, 1, 4) and m.dtype == torch.bool
    assert _rows(m[:, 0, 0]) == ["11..", "1111", "1..."]


def test_padding_mask_refuses_bad_lengths():
    with pytest.raises(ValueError, match="lengths must lie in"):
        padding_mask(torch.tensor([0, 2]), 3)
    with pytest.raises(ValueError, match="lengths must lie in"):
        padding_mask(torch.tensor([4]), 3)
    with pytest.raises(ValueError, match="shape"):
        padding_mask(torch.tensor([[1]]), 3)


def test_causal_mask_by_hand():
    assert _rows(causal_mask(4)) == ["1...", "11..", "111.", "1111"]


def test_causal_mask_with_a_cache_aligns_queries_to_the_last_keys():
    assert _rows(causal_mask(2, 5)) == ["1111.", "11111"]
    assert _rows(causal_mask(1, 3)) == ["111"]
    with pytest.raises(ConfigError, match="Tk must be an integer >= T = 3"):
        causal_mask(3, 2)


def test_window_mask_by_hand():
    assert _rows(window_mask(5, 1, 1)) == ["11...", "111..", ".111.", "..111", "...11"]
    assert _rows(window_mask(4, 2)) == ["1...", "11..", "111.", ".111"]
    with pytest.raises(ConfigError, match="left must be an integer >= 0"):
        window_mask(3, -1)


def test_window_with_everything_visible_is_all_true_and_causal_window_is_causal():
    assert bool(window_mask(6, 5, 5).all())
    assert torch.equal(window_mask(6, 5, 0), causal_mask(6))
    assert torch.equal(window_mask(6, 2, 3) & causal_mask(6), window_mask(6, 2, 0))


def test_combination_broadcasts_to_batch_heads_queries_keys():
    m = combine(padding_mask(torch.tensor([3, 2]), 4), causal_mask(4), None)
    assert m.shape == (2, 1, 4, 4)
    assert _rows(m[1, 0]) == ["1...", "11..", "11..", "11.."]
    assert _rows(m[0, 0]) == ["1...", "11..", "111.", "111."]
    assert combine(None, None) is None
    assert torch.equal(combine(causal_mask(3)), causal_mask(3))


def test_torch_convention_is_the_negation():
    assert torch.equal(torch_mask(causal_mask(3)), torch.ones(3, 3, dtype=torch.bool).triu(1))
    assert torch_mask(None) is None
