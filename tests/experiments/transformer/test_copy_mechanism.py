"""The copy-mechanism experiment: its SYNTHETIC data, its scoring, its comparison rule on
hand-made metrics for every outcome, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.transformer.copy_mechanism import (
    CopySettings,
    encode,
    judge_copy,
    make_names,
    make_pairs,
    score,
    vocabulary,
)


def _run(name, seq, template=1.0, unk=0.0):
    return {"name_accuracy": name, "sequence_accuracy": seq, "template_accuracy": template,
            "unk_written": unk}


def _metrics(pointer_names, base_template=(0.99, 0.98, 1.0)):
    base = [_run(0.0, 0.0, t, 1.0) for t in base_template]
    ptr = [_run(v, v - 0.02) for v in pointer_names]
    return {"runs": {"pointer": ptr, "no-pointer": base}}


@pytest.mark.parametrize(("names", "outcomes", "verdict"), [
    ((0.95, 0.97, 0.96), ["held", "held", "held"], "reproduced"),
    ((0.02, 0.01, 0.03), ["contradicted", "within noise", "within noise"], "not reproduced"),
    ((0.9, 0.1, 0.5), ["within noise"] * 3, "inconclusive"),
])
def test_judge(names, outcomes, verdict):
    evidence = judge_copy(_metrics(names), CopySettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert "1.000" in evidence.demonstrations[0].shown  # the unk share never decides


def test_an_undertrained_baseline_makes_the_verdict_inconclusive():
    evidence = judge_copy(_metrics((0.95, 0.97, 0.96), base_template=(0.99, 0.5, 1.0)),
                          CopySettings())
    assert [c.outcome() for c in evidence.checks] == ["held"] * 3
    assert not evidence.preconditions[0].holds and evidence.verdict() == "inconclusive"


def test_test_names_never_occur_in_training_and_are_out_of_vocabulary():
    s = CopySettings()
    names = make_names(torch.Generator().manual_seed(0))
    assert len(set(names)) == len(names) == 70 ** 2
    train = make_pairs(200, names[:s.train_names], torch.Generator().manual_seed(1))
    test = make_pairs(200, names[s.train_names:2 * s.train_names],
                      torch.Generator().manual_seed(2))
    vocab = vocabulary()
    train_words = {w for g, r in train for w in g + r}
    test_oov = {w for g, _ in test for w in g if w not in vocab}
    assert test_oov and not test_oov & train_words
    assert all(w in vocab or w in g for g, r in test for w in r)  # replies copy from greetings


def test_encode_numbers_oov_words_per_greeting():
    vocab = vocabulary()
    V = len(vocab)
    pairs, oovs = encode([("hi i am zuko zuko".split(), "hello zuko zuko nice to meet you".split()),
                          ("hi i am kami lo".split(), "hello kami lo nice to meet you".split())],
                         vocab)
    assert oovs == [["zuko"], ["kami", "lo"]]
    assert pairs.src[0, 3:5].tolist() == [V, V] and pairs.src[1, 3:5].tolist() == [V, V + 1]
    assert pairs.tgt_out[1, :3].tolist() == [vocab["hello"], V, V + 1]


def test_score_by_hand():
    vocab = vocabulary()
    V = len(vocab)
    pairs, _ = encode([("hi i am zuko".split(), "hello zuko nice to meet you".split())] * 3,
                      vocab)
    right = pairs.tgt_out[0].tolist()
    unk = [3 if w >= V else w for w in right]
    wrong_tail = right[:2] + [vocab["hi"]] + right[3:]
    m = score(torch.tensor([right, unk, wrong_tail]), pairs, V)
    assert m["name_accuracy"] == pytest.approx(2 / 3)
    assert m["sequence_accuracy"] == pytest.approx(1 / 3)
    assert m["template_accuracy"] == pytest.approx(2 / 3)
    assert m["unk_written"] == pytest.approx(1 / 3)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("copy-mechanism")
    assert set(result["metrics"]["runs"]) == {"pointer", "no-pointer"}
    assert all(r["name_accuracy"] == 0 for r in result["metrics"]["runs"]["no-pointer"])
