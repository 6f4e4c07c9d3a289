"""Tests for mllab.pretraining.extractive_qa: the best span against brute-force enumeration
(s <= e, the length limit, document tokens only), and the windows' coverage."""

from __future__ import annotations

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.extractive_qa import best_span, windows


def _brute_force(start, end, allowed, L):
    best = (None, None, float("-inf"))
    for s in range(len(start)):
        for e in range(s, min(s + L, len(start))):
            if allowed[s] and allowed[e] and start[s] + end[e] > best[2]:
                best = (s, e, float(start[s] + end[e]))
    return best


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("L", [1, 3, 30])
def test_best_span_equals_brute_force(seed, L):
    g = torch.Generator().manual_seed(seed)
    start, end = torch.randn(4, 12, generator=g, dtype=torch.float64), torch.randn(
        4, 12, generator=g, dtype=torch.float64)
    allowed = torch.ones(4, 12, dtype=torch.bool)
    allowed[:, :4] = False  # [CLS] question [SEP]
    allowed[1, 9:] = False  # padding
    s, e, score = best_span(start, end, allowed, L)
    for b in range(4):
        assert (int(s[b]), int(e[b]), float(score[b])) == _brute_force(start[b], end[b],
                                                                      allowed[b], L)


def test_the_end_never_comes_before_the_start():
    start = torch.tensor([[0.0, 0.0, 5.0, 0.0]])
    end = torch.tensor([[0.0, 4.0, 0.0, 1.0]])  # the best end alone lies before the best start
    s, e, score = best_span(start, end, torch.ones(1, 4, dtype=torch.bool), 4)
    assert (int(s), int(e), float(score)) == (2, 3, 6.0)


@pytest.mark.parametrize(("length", "size", "stride"), [(5, 8, 4), (20, 8, 3), (17, 6, 6),
                                                        (9, 4, 1)])
def test_windows_cover_the_document_and_hold_every_short_answer(length, size, stride):
    spans = windows(length, size, stride)
    assert spans[0][0] == 0 and spans[-1][1] == length
    assert all(e - b == min(size, length) for b, e in spans)
    covered = {t for b, e in spans for t in range(b, e)}
    assert covered == set(range(length))
    longest = size - stride + 1
    for s in range(length - longest + 1):  # every answer of that length fits in one window
        assert any(b <= s and s + longest <= e for b, e in spans)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: windows(10, 4, 5), "stride must be an integer in"),
    (lambda: windows(0, 4, 2), "length must be an integer >= 1"),
    (lambda: best_span(torch.zeros(1, 3), torch.zeros(1, 3), torch.ones(1, 3, dtype=torch.bool),
                       0), "max_answer_len must be an integer >= 1"),
    (lambda: best_span(torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(1, 3, dtype=torch.bool),
                       2), "allowed must be at least one document token"),
])
def test_refusals(call, message):
    with pytest.raises(ConfigError, match=message):
        call()
