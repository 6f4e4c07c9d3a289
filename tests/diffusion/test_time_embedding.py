"""The time embedding: the sinusoidal table of the Transformer at each step, then an MLP."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.diffusion import TimeEmbedding
from mllab.transformer.positional_encoding import sinusoidal_table


def test_embedding_is_the_mlp_of_the_sinusoidal_table():
    torch.manual_seed(0)
    emb = TimeEmbedding(T=100, dim=16)
    t = torch.tensor([0, 5, 99])
    assert torch.equal(emb(t), emb.mlp(sinusoidal_table(100, 16)[t]))
    assert emb(t).shape == (3, 16)
    assert "table" not in emb.state_dict()  # derived, not saved
    assert not torch.allclose(emb(t)[0], emb(t)[1])
    with pytest.raises(ConfigError, match="dim"):
        TimeEmbedding(10, 1)
