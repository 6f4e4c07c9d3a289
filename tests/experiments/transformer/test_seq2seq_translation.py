"""The seq2seq-translation experiment: its judge on hand-made metrics for every outcome, its
data helpers, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.transformer.seq2seq_translation import (
    TranslationSettings,
    encode_pairs,
    judge_translation,
    pad_batch,
    shift_right,
    unigram_entropy,
)
from mllab.text import BOS_ID, EOS_ID, PAD_ID, CharTokenizer


def _metrics(transformer_greedy, beam_gain=(1.0, 1.2, 0.9), loss=2.0):
    rnn_greedy = [3.0, 3.2, 2.9]

    def beam(greedy):
        return [g + b for g, b in zip(greedy, beam_gain, strict=True)]

    return {
        "bleu": {"transformer": {"greedy": list(transformer_greedy),
                                 "beam": beam(transformer_greedy)},
                 "rnn": {"greedy": rnn_greedy, "beam": beam(rnn_greedy)}},
        "test_loss": {"transformer": [loss] * 3, "rnn": [loss + 0.1] * 3},
        "unigram_entropy": [4.5, 4.6, 4.4], "teaching_gap": 3e-14,
        "test_verses": 700, "train_verses": 6000, "tgt_vocab": 1800}


@pytest.mark.parametrize(("transformer_greedy", "outcome", "verdict"), [
    ((5.0, 5.5, 4.8), "held", "reproduced"),
    ((1.0, 1.4, 0.8), "contradicted", "not reproduced"),
    ((3.0, 4.5, 2.2), "within noise", "inconclusive"),
])
def test_judge(transformer_greedy, outcome, verdict):
    evidence = judge_translation(_metrics(transformer_greedy), TranslationSettings())
    assert [c.outcome() for c in evidence.checks] == [outcome, "held", "held"]
    assert evidence.verdict() == verdict
    assert "3.00e-14" in evidence.demonstrations[0].shown  # the identity never decides


def test_judge_beam_worse_than_greedy_is_not_reproduced():
    evidence = judge_translation(_metrics((5.0, 5.5, 4.8), beam_gain=(-2.0, -2.2, -1.9)),
                                 TranslationSettings())
    assert [c.outcome() for c in evidence.checks] == ["held", "contradicted", "contradicted"]
    assert evidence.verdict() == "not reproduced"


def test_judge_models_that_learned_nothing_are_inconclusive():
    evidence = judge_translation(_metrics((5.0, 5.5, 4.8), loss=4.5), TranslationSettings())
    assert not evidence.preconditions[0].holds
    assert evidence.verdict() == "inconclusive"


def test_padding_shifting_and_encoding():
    seqs, lengths = pad_batch([[5, 6, 7], [8]])
    assert seqs.tolist() == [[5, 6, 7], [8, PAD_ID, PAD_ID]] and lengths.tolist() == [3, 1]
    assert shift_right(torch.tensor([[5, 6, EOS_ID]])).tolist() == [[BOS_ID, 5, 6]]

    class Pair:
        en, ja = "ab", "天地"

    tok = CharTokenizer.train(["ab天地"])
    d = encode_pairs([Pair()], tok, tok)
    assert d["tgt"].tolist() == [tok.encode("天地") + [EOS_ID]]
    assert d["src"].tolist() == [tok.encode("ab")] and d["src_lengths"].tolist() == [2]


def test_unigram_entropy_by_hand():
    tgt = torch.tensor([[4, 4, 5, EOS_ID], [4, EOS_ID, PAD_ID, PAD_ID]])  # 4: 3/6, 5: 1/6, 2: 2/6
    p = torch.tensor([3 / 6, 1 / 6, 2 / 6], dtype=torch.float64)
    assert unigram_entropy(tgt) == pytest.approx(float(-(p * p.log()).sum()), rel=1e-12)


@pytest.mark.parametrize("override", [{"d_model": 30}, {"beam_width": 1}, {"margin": -1.0}])
def test_bad_settings(override):
    from mllab.experiments.base import SettingsError

    with pytest.raises(SettingsError):
        TranslationSettings(**override)


def test_quick_mode_writes_a_valid_run(quick_run):
    result = quick_run("seq2seq-translation")
    assert {"attention_maps.png", "bleu.png"} <= {f["file"] for f in result["figures"]}
    assert result["metrics"]["teaching_gap"] < 1e-9
