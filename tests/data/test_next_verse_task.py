"""Next-verse pairs: positives are true successors in the chapter, negatives are never A nor
its successor, classes near balanced, deterministic in the generator."""

import torch

from mllab.data.bible import english_verses
from mllab.data.next_verse_task import next_verse_pairs


def test_pairs_are_true_successors_or_other_verses():
    verses = english_verses()[:400]
    pairs = next_verse_pairs(verses, torch.Generator().manual_seed(0))
    index = {v.en: i for i, v in enumerate(verses)}
    crossing = sum(verses[i].chapter_key != verses[i + 1].chapter_key for i in range(399))
    assert len(pairs) == 399 - crossing
    for a, b, label in pairs:
        i, j = index[a], index[b]
        if label == 1:
            assert j == i + 1 and verses[i].chapter_key == verses[j].chapter_key
        else:
            assert j not in (i, i + 1)
    share = sum(label for *_, label in pairs) / len(pairs)
    assert 0.4 < share < 0.6
    assert pairs == next_verse_pairs(verses, torch.Generator().manual_seed(0))
    assert pairs != next_verse_pairs(verses, torch.Generator().manual_seed(1))
