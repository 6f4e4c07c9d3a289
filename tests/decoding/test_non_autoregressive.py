"""Tests for mllab.decoding.non_autoregressive: the predicted length is the length classifier's
argmax and the output has exactly that length (or the one given); the tokens are the argmax of
one decoder pass; the AT score equals the teacher-forced log-probability by hand; noisy
parallel decoding keeps the best-scored candidate; bad lengths are refused."""

from __future__ import annotations

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.non_autoregressive import (
    nat_decode,
    noisy_parallel_decode,
    sequence_log_prob,
)
from mllab.transformer import (
    NATConfig,
    NonAutoregressiveTransformer,
    Transformer,
    TransformerConfig,
)

BOS, EOS, PAD = 1, 2, 0


def _nat(seed: int = 0) -> NonAutoregressiveTransformer:
    torch.manual_seed(seed)
    return NonAutoregressiveTransformer(NATConfig(
        src_vocab=9, tgt_vocab=7, d_model=16, num_heads=2, d_ff=32, max_len=10)).eval()


def _at(seed: int = 1) -> Transformer:
    torch.manual_seed(seed)
    return Transformer(TransformerConfig(src_vocab=9, tgt_vocab=7, d_model=16, num_heads=2,
                                         d_ff=32, max_len=16)).eval()


def _src():
    g = torch.Generator().manual_seed(5)
    src = torch.randint(3, 9, (4, 6), generator=g)
    S = torch.tensor([6, 3, 5, 1])
    return src.masked_fill(torch.arange(6)[None, :] >= S[:, None], PAD), S


def test_predicted_length_is_the_argmax_and_the_output_has_exactly_it():
    model = _nat()
    with torch.no_grad():  # make the predicted lengths differ between the sources
        model.length_predictor.weight.mul_(30.0)
    src, S = _src()
    out = nat_decode(model, src, S)
    expected = model.predict_length(model.encode(src, S), S).argmax(-1) + 1
    assert torch.equal(out.lengths, expected) and len(set(expected.tolist())) > 1
    assert out.tokens.shape == (4, int(expected.max()))
    for b in range(4):
        assert (out.tokens[b, int(out.lengths[b]):] == PAD).all()


@pytest.mark.parametrize("length", [1, 7, torch.tensor([2, 9, 4, 1])],
                         ids=["one", "seven", "per-row"])
def test_a_given_length_is_the_output_length(length):
    model = _nat()
    src, S = _src()
    out = nat_decode(model, src, S, length=length, pad=PAD)
    lengths = torch.full((4,), length) if isinstance(length, int) else length
    assert torch.equal(out.lengths, lengths)
    assert out.tokens.shape == (4, int(lengths.max()))
    logits, _ = model(src, lengths, S)  # the forward pass given the lengths
    for b in range(4):
        T = int(lengths[b])
        assert torch.equal(out.tokens[b, :T], logits[b, :T].argmax(-1))
        assert (out.tokens[b, T:] == PAD).all()


def test_every_position_comes_from_one_decoder_pass():
    model = _nat()
    src, S = _src()
    calls = []
    hooks = [b.register_forward_hook(lambda *a: calls.append(1)) for b in model.decoder]
    nat_decode(model, src, S, length=8)
    for h in hooks:
        h.remove()
    assert len(calls) == len(model.decoder)  # once per block, for all 8 positions


def test_bad_lengths_are_refused():
    model = _nat()
    src, S = _src()
    for bad in (0, 11, torch.tensor([1, 2]), torch.tensor([1.0, 2.0, 3.0, 4.0]),
                torch.tensor([1, 2, 0, 3])):
        with pytest.raises(ConfigError, match="length"):
            nat_decode(model, src, S, length=bad)


def test_sequence_log_prob_equals_the_teacher_forced_sum_by_hand():
    at = _at()
    src, S = _src()
    tokens = torch.tensor([[3, 4, 5], [6, 0, 0], [4, 4, 0], [5, 6, 3]])
    lengths = torch.tensor([3, 1, 2, 3])
    step_fn, state = at.step_function(src, S)
    got = sequence_log_prob(step_fn, state, tokens, lengths, BOS, EOS)
    for b in range(4):
        y = [*tokens[b, : int(lengths[b])].tolist(), EOS]
        tgt_in = torch.tensor([[BOS, *y[:-1]]])
        logp = at(src[b : b + 1, : int(S[b])], tgt_in).log_softmax(-1)[0]  # full recomputation
        expected = sum(logp[t, y[t]].item() for t in range(len(y)))
        assert abs(got[b].item() - expected) < 1e-4


def test_noisy_parallel_decoding_keeps_the_best_scored_candidate():
    model, at = _nat(), _at()
    src, S = _src()
    l = 3  # noqa: E741
    out = noisy_parallel_decode(model, src, at.step_function, bos=BOS, eos=EOS, candidates=l,
                                src_lengths=S)
    top = model.predict_length(model.encode(src, S), S).topk(l, -1).indices + 1  # (B, l)
    for b in range(4):
        scores, outputs = [], []
        for j in range(l):
            one = nat_decode(model, src[b : b + 1], S[b : b + 1], length=int(top[b, j]))
            step_fn, state = at.step_function(src[b : b + 1], S[b : b + 1])
            scores.append(sequence_log_prob(step_fn, state, one.tokens, one.lengths, BOS,
                                            EOS).item())
            outputs.append(one.tokens[0].tolist())
        best = max(range(l), key=lambda j: scores[j])
        assert int(out.lengths[b]) == int(top[b, best])
        assert out.tokens[b, : int(out.lengths[b])].tolist() == outputs[best]
        assert abs(out.scores[b].item() - scores[best]) < 1e-4


def test_noisy_parallel_decoding_with_one_candidate_is_nat_decoding():
    model, at = _nat(), _at()
    src, S = _src()
    one = noisy_parallel_decode(model, src, at.step_function, bos=BOS, eos=EOS, candidates=1,
                                src_lengths=S)
    plain = nat_decode(model, src, S)
    assert torch.equal(one.lengths, plain.lengths) and torch.equal(one.tokens, plain.tokens)
    with pytest.raises(ConfigError, match="candidates"):
        noisy_parallel_decode(model, src, at.step_function, bos=BOS, eos=EOS, candidates=11)
