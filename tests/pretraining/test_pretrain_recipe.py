"""The pre-training recipe: parts that train on the general loop, the recipe's refusals, and
the held-out blank accuracy by hand (a model trained on a one-token corpus fills every blank)."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.pretraining.pretrain_recipe import (
    PretrainRecipe,
    masked_lm_accuracy,
    pretraining_parts,
)
from mllab.train import run_loop


def _recipe(**kw):
    return PretrainRecipe(**{"d_model": 16, "num_heads": 2, "d_ff": 32, "num_layers": 1,
                             "max_len": 16, "batch_size": 16, **kw})


def test_a_one_token_corpus_is_learned_and_its_blanks_filled():
    ids = [[7] * 5 for _ in range(30)]
    torch.manual_seed(0)
    model, state, step, config = pretraining_parts(
        _recipe(steps=60, lr=1e-2), ids, 12, pairs_generator=torch.Generator().manual_seed(1),
        batches_generator=torch.Generator().manual_seed(2))
    assert model.bert.config.vocab == 13 and len(state.pairs) == 29
    g = torch.Generator().manual_seed(3)
    before = masked_lm_accuracy(model, ids, 12, 16, g)
    run = run_loop(step, state, config)
    assert run.steps == 60 and run.history[-1]["mlm_loss"] < run.history[0]["mlm_loss"]
    assert before < 0.5
    assert masked_lm_accuracy(model, ids, 12, 16, torch.Generator().manual_seed(3)) == 1.0


def test_refusals():
    with pytest.raises(ConfigError, match="lr"):
        _recipe(lr=0.0)
    with pytest.raises(ConfigError, match="max_len"):
        _recipe(max_len=4)
