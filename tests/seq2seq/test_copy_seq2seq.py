"""Tests for mllab.seq2seq.copy_seq2seq: distributions and attention are normalised and ignore
padding, greedy decoding equals the teacher-forced pass fed its own outputs, the loss at
initialisation and learning to copy an out-of-vocabulary word."""

from __future__ import annotations

import math

import pytest
import torch

from mllab.config import ConfigError
from mllab.seq2seq.copy_seq2seq import CopySeq2Seq, CopySeq2SeqConfig

V = 10


def _model(pointer: bool, seed: int = 0) -> CopySeq2Seq:
    torch.manual_seed(seed)
    return CopySeq2Seq(CopySeq2SeqConfig(vocab_size=V, d_embed=8, d_hidden=16, pointer=pointer))


def _batch():
    src = torch.tensor([[5, 10, 6, 11, 2], [7, 12, 2, 0, 0]])  # ids >= 10: OOV words
    src_len = torch.tensor([5, 3])
    tgt_in = torch.tensor([[1, 10, 4, 11], [1, 12, 4, 0]])
    return src, src_len, tgt_in, 13


@pytest.mark.parametrize("pointer", [True, False])
def test_distributions_and_attention_are_normalised_and_skip_padding(pointer):
    model = _model(pointer)
    src, src_len, tgt_in, n_ext = _batch()
    out = model(src, src_len, tgt_in, n_ext)
    assert out.P.shape == (2, 4, 13) and out.a.shape == (2, 4, 5)
    assert torch.allclose(out.P.sum(-1), torch.ones(2, 4), atol=1e-6)
    assert torch.allclose(out.a.sum(-1), torch.ones(2, 4), atol=1e-6)
    assert out.a[1, :, 3:].abs().max() == 0  # padding gets no attention
    if pointer:
        assert out.p_gen.shape == (2, 4) and out.P[..., V:].sum() > 0
    else:
        assert out.p_gen is None and out.P[..., V:].abs().max() == 0


@pytest.mark.parametrize("pointer", [True, False])
def test_padding_of_the_source_does_not_change_the_output(pointer):
    model = _model(pointer)
    src, src_len, tgt_in, n_ext = _batch()
    full = model(src, src_len, tgt_in, n_ext)
    alone = model(src[1:, :3], src_len[1:], tgt_in[1:], n_ext)
    assert torch.allclose(full.P[1], alone.P[0], atol=1e-6)


@pytest.mark.parametrize("pointer", [True, False])
def test_greedy_decoding_equals_teacher_forcing_on_its_own_outputs(pointer):
    model = _model(pointer, seed=3)
    src, src_len, _, n_ext = _batch()
    dec = model.greedy(src, src_len, n_ext, max_len=6)
    tgt_in = torch.cat([torch.full((2, 1), 1), dec.tokens[:, :-1]], 1)
    out = model(src, src_len, tgt_in, n_ext)
    L = dec.tokens.shape[1]
    first = out.P.argmax(-1)  # (B, L)
    for b in range(2):
        stop = next((i + 1 for i, w in enumerate(dec.tokens[b].tolist()) if w == 2), L)
        assert first[b, :stop].tolist() == dec.tokens[b, :stop].tolist()
        assert torch.allclose(out.a[b, :stop], dec.a[b, :stop], atol=1e-6)


def test_without_pointer_oov_targets_are_learned_as_unk():
    model = _model(False)
    assert model.targets(torch.tensor([[10, 4, 12, 0]])).tolist() == [[3, 4, 3, 0]]
    assert _model(True).targets(torch.tensor([[10, 4]])).tolist() == [[10, 4]]


def test_the_loss_at_initialisation_is_near_log_v():
    model = _model(False)
    src, src_len, tgt_in, n_ext = _batch()
    tgt_out = torch.tensor([[10, 4, 11, 2], [12, 4, 2, 0]])
    loss = model.loss(model(src, src_len, tgt_in, n_ext), tgt_out).item()
    assert abs(loss - math.log(V)) < 0.5


def test_the_pointer_learns_to_copy_an_unseen_word_and_the_baseline_cannot():
    g = torch.Generator().manual_seed(0)
    B, S = 32, 4
    src = torch.randint(4, V, (B, S), generator=g)
    k = torch.randint(0, S, (B,), generator=g)
    src[torch.arange(B), k] = V + torch.arange(B) % 3  # one OOV word per source, at k
    tgt_out = torch.stack([src[torch.arange(B), k], torch.full((B,), 2)], 1)  # the word, eos
    tgt_in = torch.cat([torch.full((B, 1), 1), tgt_out[:, :1]], 1)
    src_len = torch.full((B,), S)
    test_src = src.clone()
    test_src[torch.arange(B), k] = V + 5  # a word never seen in training
    copied = {}
    for pointer in (True, False):
        model = _model(pointer)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(100):
            opt.zero_grad()
            model.loss(model(src, src_len, tgt_in, V + 3), tgt_out).backward()
            opt.step()
        dec = model.greedy(test_src, src_len, V + 6, max_len=3)
        copied[pointer] = (dec.tokens[:, 0] == V + 5).float().mean().item()
    assert copied[True] > 0.9 and copied[False] == 0.0


def test_config_is_validated():
    with pytest.raises(ConfigError, match="d_hidden must be an even integer"):
        CopySeq2SeqConfig(vocab_size=V, d_hidden=15)
    with pytest.raises(ConfigError, match="pad, bos, eos, unk must be four different ids"):
        CopySeq2SeqConfig(vocab_size=V, unk=0)
    with pytest.raises(ConfigError, match="vocab_size must be an integer >= 4"):
        CopySeq2SeqConfig(vocab_size=3)


def test_padded_pairs_put_bos_and_eos_and_pad():
    from mllab.seq2seq.copy_seq2seq import PaddedPairs

    p = PaddedPairs.of([[5, 6, 7], [8]], [[4], [9, 10]], pad=0, bos=1, eos=2)
    assert p.src.tolist() == [[5, 6, 7], [8, 0, 0]] and p.src_len.tolist() == [3, 1]
    assert p.tgt_in.tolist() == [[1, 4, 0], [1, 9, 10]]
    assert p.tgt_out.tolist() == [[4, 2, 0], [9, 10, 2]] and p.tgt_len.tolist() == [2, 3]
    assert len(p) == 2 and p.take(torch.tensor([1])).tgt_out.tolist() == [[9, 10, 2]]


def test_the_training_step_lowers_the_loss_and_adds_the_weighted_penalty():
    from mllab.seq2seq.copy_seq2seq import PaddedPairs, Seq2SeqState, teacher_forcing_step
    from mllab.train import LoopConfig, run_loop

    g = torch.Generator().manual_seed(0)
    src = torch.randint(4, V, (32, 3), generator=g).tolist()
    data = PaddedPairs.of(src, [x[::-1] for x in src], pad=0, bos=1, eos=2)
    model = _model(False)
    seen = []

    def penalty(out, batch):
        seen.append(out.a.shape[0] == batch.src.shape[0] == 8)
        return out.a.sum() * 0.0 + 5.0

    state = Seq2SeqState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2),
                         generator=torch.Generator().manual_seed(1), data=data)
    run = run_loop(teacher_forcing_step(8, V, penalty=penalty, weight=0.5, log_every=10),
                   state, LoopConfig(steps=60))
    losses = [h["train_loss"] for h in run.history]
    assert len(losses) == 6 and losses[-1] < losses[0] and all(seen)
    assert run.history[0]["penalty"] == 5.0
