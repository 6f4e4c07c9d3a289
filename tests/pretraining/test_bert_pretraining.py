"""Tests for mllab.pretraining.bert_pretraining: the joint loss equals F.cross_entropy written
out by hand (log-softmax gathered at the chosen positions), the empty-mask case, the heads are
those of mllab.pretraining (tied embedding), a tiny model's loss falls on the general loop,
and the same seed gives the same run."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mllab.pretraining import BertConfig
from mllab.pretraining.bert_pretraining import (
    BertPretraining,
    BertPretrainingState,
    pretraining_loss,
    pretraining_step,
)
from mllab.pretraining.masking import IGNORE_INDEX
from mllab.pretraining.next_sentence import sentence_pairs
from mllab.pretraining.pretraining_batches import bert_vocab
from mllab.train import LoopConfig, run_loop

V_TEXT = 12


def test_loss_equals_hand_computation():
    g = torch.Generator().manual_seed(0)
    B, T, V = 3, 5, 7
    mlm_logits = torch.randn(B, T, V, generator=g, dtype=torch.float64)
    nsp_logits = torch.randn(B, 2, generator=g, dtype=torch.float64)
    labels = torch.full((B, T), IGNORE_INDEX)
    chosen = [(0, 1, 4), (0, 3, 0), (2, 2, 6)]  # (b, t, original token)
    for b, t, x in chosen:
        labels[b, t] = x
    y = torch.tensor([0, 1, 1])
    L = pretraining_loss(mlm_logits, labels, nsp_logits, y)
    logp = torch.log_softmax(mlm_logits, dim=-1)
    l_mlm = -sum(logp[b, t, x] for b, t, x in chosen) / len(chosen)
    l_nsp = -torch.log_softmax(nsp_logits, dim=-1)[torch.arange(B), y].mean()
    torch.testing.assert_close(L.mlm, l_mlm, rtol=0, atol=1e-12)
    torch.testing.assert_close(L.nsp, l_nsp, rtol=0, atol=1e-12)
    torch.testing.assert_close(L.loss, l_mlm + l_nsp, rtol=0, atol=1e-12)
    picked = torch.stack([mlm_logits[b, t] for b, t, _ in chosen])
    torch.testing.assert_close(L.mlm, F.cross_entropy(picked, torch.tensor([4, 0, 6])))


def test_no_chosen_position_gives_zero_mlm_loss_with_a_gradient():
    mlm_logits = torch.randn(2, 4, 6, requires_grad=True)
    L = pretraining_loss(mlm_logits, torch.full((2, 4), IGNORE_INDEX), torch.zeros(2, 2),
                         torch.tensor([0, 1]))
    assert L.mlm.item() == 0.0 and torch.isclose(L.loss, torch.log(torch.tensor(2.0)))
    L.loss.backward()
    assert mlm_logits.grad is not None and (mlm_logits.grad == 0).all()


def test_heads_and_shapes():
    model = BertPretraining(BertConfig(vocab=bert_vocab(V_TEXT), d_model=16, num_heads=2,
                                       d_ff=32, num_layers=1, max_len=16))
    assert model.mlm.embedding is model.bert.token_embedding  # tied
    tokens = torch.randint(0, V_TEXT, (3, 9))
    mlm_logits, nsp_logits = model(tokens, torch.zeros_like(tokens), torch.tensor([9, 7, 5]))
    assert mlm_logits.shape == (3, 9, V_TEXT + 1) and nsp_logits.shape == (3, 2)
    chosen = torch.rand(3, 9, generator=torch.Generator().manual_seed(0)) < 0.3
    only, nsp_again = model(tokens, torch.zeros_like(tokens), torch.tensor([9, 7, 5]), chosen)
    torch.testing.assert_close(only, mlm_logits[chosen])
    torch.testing.assert_close(nsp_again, nsp_logits)


def test_bert_initialisation():
    torch.manual_seed(0)
    config = BertConfig(vocab=bert_vocab(V_TEXT), d_model=64, num_heads=2, d_ff=64,
                        num_layers=1, max_len=16)
    model = BertPretraining(config)
    w = model.bert.token_embedding.weight
    assert abs(w.std().item() - 0.02) < 0.002 and model.nsp.bias.abs().max() == 0
    assert BertPretraining(config, init_std=None).bert.token_embedding.weight.std() > 0.5


def test_tied_weight_stored_once_and_loaded_back(tmp_path):
    from safetensors.torch import load_file, save_file

    config = BertConfig(vocab=bert_vocab(V_TEXT), d_model=16, num_heads=2, d_ff=32,
                        num_layers=1, max_len=16)
    model = BertPretraining(config)
    state = model.state_dict()
    assert "mlm.embedding.weight" not in state and "bert.token_embedding.weight" in state
    save_file(state, tmp_path / "m.safetensors")
    other = BertPretraining(config)
    other.load_state_dict(load_file(tmp_path / "m.safetensors"))  # strict
    assert other.mlm.embedding is other.bert.token_embedding
    assert torch.equal(other.mlm.embedding.weight, model.bert.token_embedding.weight)


def _tiny_run(seed: int, steps: int):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    # a corpus with structure: sentence i repeats one id, so its other tokens give a masked one
    sentences = [[4 + i % (V_TEXT - 4)] * 5 for i in range(40)]
    pairs = sentence_pairs(sentences, torch.Generator().manual_seed(seed))
    model = BertPretraining(BertConfig(vocab=bert_vocab(V_TEXT), d_model=32, num_heads=2,
                                       d_ff=64, num_layers=1, max_len=16))
    state = BertPretrainingState(model=model, optimizer=torch.optim.Adam(model.parameters(),
                                                                         lr=1e-2),
                                 generator=g, pairs=pairs)
    result = run_loop(pretraining_step(batch_size=32, max_len=16, text_vocab=V_TEXT), state,
                      LoopConfig(steps=steps))
    return result, model


def test_tiny_model_loss_falls_on_the_general_loop():
    result, _ = _tiny_run(0, 60)
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 60 and result.steps == 60
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    mlm0 = result.history[0]["mlm_loss"]
    assert abs(mlm0 - torch.log(torch.tensor(V_TEXT + 1.0)).item()) < 0.3  # about ln V at init
    assert last < 0.5 * first


def test_same_seed_same_run():
    a, ma = _tiny_run(1, 5)
    b, mb = _tiny_run(1, 5)
    assert [h["train_loss"] for h in a.history] == [h["train_loss"] for h in b.history]
    for (_, p), (_, q) in zip(ma.state_dict().items(), mb.state_dict().items(), strict=True):
        assert torch.equal(p, q)
