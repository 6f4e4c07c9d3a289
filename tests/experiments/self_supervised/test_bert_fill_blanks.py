"""The bert-fill-blanks experiment: its judge on hand-made metrics for every outcome, the
held-out blanks are all [MASK] at text positions, and its quick mode end to end."""

import pytest
import torch

from mllab.experiments.self_supervised.bert_fill_blanks import (
    FillBlanksSettings,
    _fill,
    judge_fill_blanks,
)
from mllab.pretraining import BertConfig
from mllab.pretraining.bert_pretraining import BertPretraining
from mllab.pretraining.pretraining_batches import bert_vocab, mask_id


def _metrics(bert, nsp):
    return {"runs": {"bert": list(bert), "unigram": [0.08, 0.081, 0.079],
                     "bigram": [0.20, 0.21, 0.205], "nsp": list(nsp)},
            "blanks": [20000] * 3, "nsp_pairs": [3000] * 3,
            "final_losses": [(3.0, 0.6)] * 3}


@pytest.mark.parametrize(("bert", "nsp", "outcomes", "verdict"), [
    ((0.30, 0.31, 0.305), (0.60, 0.62, 0.61), ["held"] * 3, "reproduced"),
    ((0.15, 0.16, 0.155), (0.60, 0.62, 0.61), ["held", "contradicted", "held"],
     "not reproduced"),
    ((0.30, 0.31, 0.305), (0.45, 0.56, 0.51), ["held", "held", "within noise"],
     "inconclusive"),
    ((0.085, 0.08, 0.082), (0.40, 0.41, 0.42), ["within noise", "contradicted",
                                                "contradicted"], "not reproduced"),
])
def test_judge(bert, nsp, outcomes, verdict):
    evidence = judge_fill_blanks(_metrics(bert, nsp), FillBlanksSettings())
    assert [c.outcome() for c in evidence.checks] == outcomes
    assert evidence.verdict() == verdict
    assert evidence.checks[2].threshold == 0.5


def test_held_out_blanks_are_all_mask_at_text_positions():
    s = FillBlanksSettings.quick()
    V_text = 30
    model = BertPretraining(BertConfig(vocab=bert_vocab(V_text), d_model=16, num_heads=2,
                                       d_ff=32, num_layers=1, max_len=s.max_len))
    pairs = [([5, 6, 7, 8], [9, 10], 0), ([11, 12, 13], [14, 15, 16], 1)] * 20
    fill = _fill(model, pairs, s, V_text, torch.Generator().manual_seed(0))
    tokens, chosen = torch.cat(fill["tokens"]), torch.cat(fill["chosen"])
    assert chosen.any() and (tokens[chosen] == mask_id(V_text)).all()
    guess = torch.cat(fill["guess"])
    assert (~torch.isin(guess, torch.tensor([0, 1, 2])) & (guess < V_text)).all()  # no
    # padding, [CLS], [SEP] or [MASK]
    assert torch.cat(fill["labels"]).shape == guess.shape


def test_quick_mode_writes_a_valid_run(quick_run):
    quick_run("bert-fill-blanks")
