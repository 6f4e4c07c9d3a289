"""The punctuation task: labels from the marks after each word, marks gone from the input."""

from mllab.data.punctuation_task import (
    PUNCTUATION_CLASSES,
    punctuation_example,
    punctuation_examples,
)


def test_labels_come_from_the_marks_and_the_marks_leave_the_input():
    words, labels = punctuation_example('He said, “Come here; now!” Then: rest. Ok? — go')
    assert words == ["He", "said", "“Come", "here", "now”", "Then", "rest", "Ok", "—", "go"]
    names = [PUNCTUATION_CLASSES[k] for k in labels]
    assert names == ["none", "comma", "none", "colon", "stop", "colon", "stop", "stop", "none",
                     "none"]
    assert not any(c in w for w in words for c in ",.;:!?")


def test_a_word_of_marks_only_is_left_out_and_empty_texts_dropped():
    assert punctuation_example("yes . no") == (["yes", "no"], [0, 0])
    assert punctuation_examples(["...", "In the beginning."]) == [(["In", "the", "beginning"],
                                                                    [0, 0, 2])]
