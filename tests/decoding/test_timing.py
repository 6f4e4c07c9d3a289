"""Tests for mllab.decoding.timing: every round times every length of both decoders, AT makes
exactly T greedy steps (one step-function call per token) and NAT one decoder pass, and an AT
model that stops early is refused."""

import pytest
import torch

from mllab.decoding.timing import time_at_and_nat
from mllab.transformer import (
    NATConfig,
    NonAutoregressiveTransformer,
    Transformer,
    TransformerConfig,
)

BOS, EOS = 1, 2


def _models(never_eos: bool = True):
    torch.manual_seed(0)
    at = Transformer(TransformerConfig(src_vocab=6, tgt_vocab=6, d_model=8, num_heads=2,
                                       d_ff=16, max_len=20, num_encoder_layers=1,
                                       num_decoder_layers=1)).eval()
    nat = NonAutoregressiveTransformer(NATConfig(src_vocab=6, tgt_vocab=6, d_model=8,
                                                 num_heads=2, d_ff=16, max_len=20,
                                                 num_encoder_layers=1,
                                                 num_decoder_layers=1)).eval()
    with torch.no_grad():
        at.output.weight[EOS] = 0.0
        at.output.bias[EOS] = -1e4 if never_eos else 1e4
    return at, nat


def test_every_round_times_every_length_and_counts_the_steps():
    at, nat = _models()
    sources = {T: torch.randint(1, 6, (3, T)) for T in (2, 5)}
    steps, passes = [], []
    at.decoder[0].register_forward_hook(lambda *a: steps.append(1))
    nat.decoder[0].register_forward_hook(lambda *a: passes.append(1))
    out = time_at_and_nat(at, nat, sources, bos=BOS, eos=EOS, rounds=3)
    assert out["lengths"] == [2, 5]
    for key in ("at_seconds", "nat_seconds"):
        assert [len(v) for v in out[key]] == [3, 3] and min(map(min, out[key])) > 0
    assert out["at_median"] == [sorted(v)[1] for v in out["at_seconds"]]
    assert len(steps) == 4 * (2 + 5)  # 4 rounds (warm-up included), T decoder steps each
    assert len(passes) == 4 * 2  # one pass per length and round


def test_an_at_model_that_stops_early_is_refused():
    at, nat = _models(never_eos=False)
    with pytest.raises(RuntimeError, match="instead of"):
        time_at_and_nat(at, nat, {4: torch.randint(1, 6, (2, 4))}, bos=BOS, eos=EOS, rounds=1)
