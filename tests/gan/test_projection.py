"""Conditioning: the projection discriminator's Eq. (3) by hand, the concatenated embedding, and
labels refused or required."""

import pytest
import torch

from mllab.gan.projection import ConcatEmbedding, ProjectionHead


def test_projection_is_psi_plus_embedding_dot_features():
    head = ProjectionHead(3, num_classes=2)
    with torch.no_grad():
        head.psi.weight.copy_(torch.tensor([[1.0, 0.0, -1.0]]))
        head.psi.bias.fill_(0.5)
        head.embedding.weight.copy_(torch.tensor([[1.0, 1.0, 1.0], [0.0, 2.0, 0.0]]))
    phi = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    out = head(phi, torch.tensor([0, 1]))
    # psi = 1 - 3 + 0.5 = -1.5; e(0).phi = 6, e(1).phi = 4
    assert out.tolist() == [4.5, 2.5]


def test_unconditional_head_and_labels_refused_or_required():
    head = ProjectionHead(3, num_classes=0)
    assert head(torch.ones(4, 3)).shape == (4,)
    with pytest.raises(ValueError, match="unconditional"):
        head(torch.ones(4, 3), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="conditional on 2 classes"):
        ProjectionHead(3, num_classes=2)(torch.ones(4, 3))


def test_concat_embedding_appends_the_class_vector():
    cond = ConcatEmbedding(num_classes=3, dim=5)
    z, c = torch.randn(4, 2), torch.tensor([0, 2, 1, 2])
    out = cond(z, c)
    assert out.shape == (4, 7) and torch.equal(out[:, :2], z)
    assert torch.equal(out[1, 2:], out[3, 2:])  # same class, same embedding
    assert torch.equal(ConcatEmbedding(0, 5)(z), z)
    with pytest.raises(ValueError, match="pass their labels"):
        cond(z)
