"""The four downstream tasks over a small corpus: their kinds and sizes, Bible test examples
only from held-out chapters, the baseline is that of the examples, same generator same task."""

from functools import lru_cache

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.bible_corpus import bible_corpus
from mllab.pretraining.downstream_tasks import TASKS, downstream_task
from mllab.pretraining.task_baselines import majority_baseline


@lru_cache(maxsize=1)
def _corpus():
    return bible_corpus(seed=0, vocab_size=200, tokenizer_verses=500)


def _task(name, seed=0):
    return downstream_task(name, _corpus(), generator=torch.Generator().manual_seed(seed),
                           max_len=48, train_size=300, test_size=100)


@pytest.mark.parametrize("name", list(TASKS))
def test_each_task_has_its_kind_its_sizes_and_its_baseline(name):
    task = _task(name)
    assert task.kind == TASKS[name] and task.metric == ("f1" if name == "genealogy-qa"
                                                        else "accuracy")
    assert 0 < len(task.test) <= 100 and 0 < len(task.train) <= 300
    assert all(len(ex.tokens) <= 48 for ex in task.train + task.test)
    if name != "genealogy-qa":
        assert task.baseline == majority_baseline(task.train, task.test)
    assert 0.0 <= task.baseline < 1.0
    again = _task(name)
    assert again.test == task.test and again.train == task.train


def test_bible_test_examples_come_from_held_out_chapters():
    tok, c = _corpus().tokenizer, _corpus()
    held_out = {tuple(tok.encode(v.en)) for v in c.test}
    seen = {tuple(tok.encode(v.en)) for v in c.train}
    qa = _task("genealogy-qa")
    for ex in qa.test:  # the document after [CLS] question [SEP], before the last [SEP]
        doc = ex.tokens[ex.segments.index(1):-1]
        assert any(v[:len(doc)] == doc for v in held_out)
        assert not any(v[:len(doc)] == doc for v in seen if len(v) == len(doc))
    pairs = _task("next-verse")
    for ex in pairs.test:
        a = ex.tokens[1:ex.segments.index(1) - 1]
        assert any(v[:len(a)] == a for v in held_out)


def test_unknown_task_refused():
    with pytest.raises(ConfigError, match="name"):
        _task("translation")
