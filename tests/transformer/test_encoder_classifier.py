"""Tests for mllab.transformer.encoder_classifier: the blocks it stacks, the truncation window's
receptive field, padding, permutation equivariance without positions, and the refusals."""

from __future__ import annotations

import pytest
import torch

from mllab.config import ConfigError
from mllab.transformer import EncoderBlock
from mllab.transformer.encoder_classifier import EncoderClassifier, EncoderClassifierConfig

f64 = torch.float64


def _model(seed: int = 0, **kw) -> EncoderClassifier:
    torch.manual_seed(seed)
    settings = {"num_classes": 3, "vocab": 9, "d_model": 8, "num_heads": 2, "d_ff": 16,
                "num_layers": 2, "max_len": 40} | kw
    return EncoderClassifier(EncoderClassifierConfig(**settings)).double().eval()


def test_it_is_embedding_plus_encoding_then_the_blocks_then_a_linear_layer():
    model = _model(positional="learned")
    x = torch.randint(0, 9, (2, 7))
    h = model.embedding(x) + model.positional.embedding(torch.arange(7))
    for block in model.blocks:
        assert isinstance(block, EncoderBlock)
        h = block(h)
    assert (model(x) - model.classifier(h)).abs().max() < 1e-12


def test_feature_vectors_and_mean_pooling():
    model = _model(vocab=None, in_features=5, pooling="mean")
    x = torch.randn(4, 6, 5, dtype=f64)
    assert model(x).shape == (4, 3)
    assert _model()(torch.randint(0, 9, (4, 6))).shape == (4, 6, 3)


@pytest.mark.parametrize("pooling", ["none", "mean"])
def test_padding_changes_nothing_for_the_real_tokens(pooling):
    model = _model(pooling=pooling, norm_first=True)
    short = torch.randint(0, 9, (1, 4))
    padded = torch.cat([short, torch.randint(0, 9, (1, 3))], dim=1)  # 3 junk tokens
    alone, batched = model(short), model(padded, torch.tensor([4]))
    if pooling == "none":
        batched = batched[:, :4]
    assert (alone - batched).abs().max() < 1e-12


@pytest.mark.parametrize("window", [0, 1, 2])
def test_a_truncated_window_bounds_the_receptive_field(window):
    model = _model(window=window)  # 2 layers: token t sees t - 2w .. t + 2w
    x = torch.randint(0, 9, (1, 20))
    far = x.clone()
    far[0, 10 + 2 * window + 1] = (far[0, 10 + 2 * window + 1] + 1) % 9  # just outside
    near = x.clone()
    near[0, 10 + 2 * window] = (near[0, 10 + 2 * window] + 1) % 9  # at the edge
    assert (model(x)[0, 10] - model(far)[0, 10]).abs().max() < 1e-12
    assert (model(x)[0, 10] - model(near)[0, 10]).abs().max() > 1e-6


def test_without_positions_labels_follow_a_permutation_of_the_tokens():
    model = _model(positional="none")
    x, order = torch.randint(0, 9, (2, 8)), torch.randperm(8)
    assert (model(x)[:, order] - model(x[:, order])).abs().max() < 1e-12
    pooled = _model(positional="none", pooling="mean")
    assert (pooled(x) - pooled(x[:, order])).abs().max() < 1e-12
    assert (_model()(x)[:, order] - _model()(x[:, order])).abs().max() > 1e-6


@pytest.mark.parametrize(("kw", "message"), [
    ({"vocab": None}, "exactly one of vocab and in_features"),
    ({"in_features": 4}, "exactly one of vocab and in_features"),
    ({"window": -1}, "window"),
    ({"pooling": "max"}, "pooling must be one of 'none', 'mean'"),
    ({"num_heads": 3}, "num_heads"),
    ({"positional": "rotary"}, "positional"),
])
def test_refusals(kw, message):
    with pytest.raises(ConfigError, match=message):
        EncoderClassifierConfig(**({"num_classes": 2, "vocab": 5} | kw))
