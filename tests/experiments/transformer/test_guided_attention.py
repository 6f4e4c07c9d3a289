"""The guided-attention experiment: its SYNTHETIC data, the skip/repeat count, its comparison
rule on hand-made metrics for every outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.transformer.guided_attention import (
    SOUNDS,
    GuidedSettings,
    edit_operations,
    judge_guided,
    make_pairs,
    score,
    vocabulary,
)


def _run(errors, accuracy):
    return {"skipped": errors / 2, "repeated": errors / 2, "substituted": 0.5,
            "skipped_or_repeated": errors, "sequence_accuracy": accuracy, "guide_loss": 0.01}


def _metrics(guided_errors, guided_accuracy):
    free = [_run(e, a) for e, a in ((6.0, 0.7), (5.0, 0.72), (7.0, 0.68))]
    guided = [_run(e, a) for e, a in zip(guided_errors, guided_accuracy, strict=True)]
    return {"runs": {"unguided": free, "guided": guided}}


@pytest.mark.parametrize(("errors", "accuracy", "outcomes", "verdict"), [
    ((1.0, 0.5, 1.5), (0.9, 0.93, 0.91), ["held", "held"], "reproduced"),
    ((12.0, 11.0, 13.0), (0.3, 0.35, 0.32), ["contradicted", "contradicted"], "not reproduced"),
    ((1.0, 9.0, 6.0), (0.9, 0.6, 0.7), ["within noise", "within noise"], "inconclusive"),
])
def test_judge(errors, accuracy, outcomes, verdict):
    evidence = judge_guided(_metrics(errors, accuracy), GuidedSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert evidence.notes and "vs" in evidence.notes[0]


@pytest.mark.parametrize(("out", "ref", "ops"), [
    ([1, 2, 3], [1, 2, 3], (0, 0, 0)),
    ([1, 3], [1, 2, 3], (0, 1, 0)),  # 2 skipped
    ([1, 2, 2, 3], [1, 2, 3], (0, 0, 1)),  # 2 said twice
    ([1, 4, 3], [1, 2, 3], (1, 0, 0)),
    ([], [5, 6], (0, 2, 0)),
    ([5, 6, 6, 6], [5], (0, 0, 3)),
])
def test_edit_operations_by_hand(out, ref, ops):
    got = edit_operations(out, ref)
    assert (got["substituted"], got["skipped"], got["repeated"]) == ops


def test_the_sounds_follow_the_letters_in_order():
    s = GuidedSettings()
    vocab = vocabulary()
    words = {i: w for w, i in vocab.items()}
    pairs = make_pairs(50, s, vocab, torch.Generator().manual_seed(0))
    for b in range(len(pairs)):
        letters = [words[i] for i in pairs.src[b, :int(pairs.src_len[b])].tolist()]
        sounds = [words[i] for i in pairs.tgt_out[b, :int(pairs.tgt_len[b])].tolist()]
        assert s.min_len <= len(letters) <= s.max_len
        assert sounds == [x for c in letters for x in SOUNDS[c]] + ["<eos>"]
    real = pairs.src[:, 1:] != 0  # adjacent letter pairs inside a spelling
    same = (pairs.src[:, 1:] == pairs.src[:, :-1]) & real
    expected = s.p_repeat + (1 - s.p_repeat) / 8  # repeated, or drawn again by chance
    assert abs(same.sum() / real.sum() - expected) < 0.06


def test_score_by_hand():
    vocab = vocabulary()
    s = GuidedSettings(min_len=2, max_len=2)
    pairs = make_pairs(2, s, vocab, torch.Generator().manual_seed(3))
    refs = [pairs.tgt_out[b, :int(pairs.tgt_len[b])].tolist() for b in range(2)]
    n_ref = sum(len(r) - 1 for r in refs)
    skipped = refs[1][1:]  # its first sound skipped
    m = score(torch.nn.utils.rnn.pad_sequence([torch.tensor(refs[0]), torch.tensor(skipped)],
                                              batch_first=True), pairs)
    assert m["skipped"] == pytest.approx(100 / n_ref) and m["repeated"] == 0
    assert m["skipped_or_repeated"] == m["skipped"] and m["sequence_accuracy"] == 0.5


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("guided-attention")
    assert set(result["metrics"]["runs"]) == {"unguided", "guided"}
