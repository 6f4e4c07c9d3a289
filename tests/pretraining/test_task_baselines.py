"""The baselines by hand: the majority label, and the best fixed span found on training."""

import pytest

from mllab.pretraining.masking import IGNORE_INDEX as X
from mllab.pretraining.task_baselines import fixed_span_baseline, majority_baseline
from mllab.pretraining.task_inputs import TaskExample


def _class(y):
    return TaskExample((1, 5, 2), (0, 0, 0), y)


def test_majority_of_classes_and_of_word_labels():
    train = [_class(2), _class(2), _class(0)]
    assert majority_baseline(train, [_class(2), _class(1), _class(0), _class(2)]) == 0.5
    words = [TaskExample((1, 5, 6, 2), (0,) * 4, (X, 0, 3, X)),
             TaskExample((1, 5, 2), (0,) * 3, (X, 0, X))]
    assert majority_baseline(words, words) == pytest.approx(2 / 3)


def test_fixed_span_is_the_best_training_offset():
    decode = lambda ids: " ".join(f"w{i}" for i in ids)  # noqa: E731
    # [CLS] q [SEP] d0 d1 d2 [SEP]: the answer is always the document's second piece
    exs = [TaskExample((1, 9, 2, 10 + k, 20 + k, 30 + k, 2), (0, 0, 0, 1, 1, 1, 1), (4, 4),
                       f"w{20 + k}") for k in range(3)]
    got = fixed_span_baseline(exs, exs, decode)
    assert (got["offset"], got["length"], got["exact_match"], got["f1"]) == (1, 1, 1.0, 1.0)
