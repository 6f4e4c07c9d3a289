"""Tests for mllab.nn.MLP and MLPConfig: layout, dropout, validation, hand computation."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig


@pytest.mark.parametrize("depth", [0, 1, 3])
@pytest.mark.parametrize("out_features", [1, 4])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_shape(depth: int, out_features: int, activation: str) -> None:
    torch.manual_seed(0)
    B, C = 7, 5
    config = MLPConfig(C, out_features, depth=depth, width=8, activation=activation, dropout=0.2)
    y = MLP(config)(torch.randn(B, C))
    assert y.shape == ((B,) if out_features == 1 else (B, out_features))


@pytest.mark.parametrize("depth", [0, 1, 2, 5])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_layer_layout(depth: int, dropout: float) -> None:
    config = MLPConfig(3, 2, depth=depth, width=6, activation="tanh", dropout=dropout)
    modules = list(MLP(config).modules())
    linears = [m for m in modules if isinstance(m, nn.Linear)]
    assert len(linears) == depth + 1
    assert sum(isinstance(m, nn.Tanh) for m in modules) == depth
    assert sum(isinstance(m, nn.Dropout) for m in modules) == (depth if dropout > 0 else 0)
    widths = [(m.in_features, m.out_features) for m in linears]
    expected = [(3, 6)] + [(6, 6)] * (depth - 1) + [(6, 2)] if depth > 0 else [(3, 2)]
    assert widths == expected


def test_equals_hand_computation_float64() -> None:
    torch.manual_seed(0)
    config = MLPConfig(in_features=3, out_features=2, depth=2, width=4, activation="tanh")
    model = MLP(config).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    W1, W2, W3 = (m.weight.tolist() for m in model.modules() if isinstance(m, nn.Linear))
    b1, b2, b3 = (m.bias.tolist() for m in model.modules() if isinstance(m, nn.Linear))

    def layer(W: list, b: list, a: list) -> list:
        return [b[i] + sum(W[i][j] * a[j] for j in range(len(a))) for i in range(len(b))]

    y_hand = []
    for x_n in x.tolist():
        a1 = [math.tanh(r) for r in layer(W1, b1, x_n)]
        a2 = [math.tanh(r) for r in layer(W2, b2, a1)]
        y_hand.append(layer(W3, b3, a2))
    expected = torch.tensor(y_hand, dtype=torch.float64)
    torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-13)


def test_dropout_only_in_train_mode() -> None:
    torch.manual_seed(0)
    model = MLP(MLPConfig(4, depth=2, width=64, dropout=0.5))
    x = torch.randn(8, 4)
    model.eval()
    y_eval = model(x)
    torch.testing.assert_close(model(x), y_eval, rtol=0, atol=0)
    model.train()
    y_train_1, y_train_2 = model(x), model(x)
    assert not torch.equal(y_train_1, y_train_2)
    assert not torch.equal(y_train_1, y_eval)


def test_eval_with_dropout_equals_same_weights_without_dropout() -> None:
    """Inverted dropout: evaluation needs no rescaling of the weights."""
    torch.manual_seed(0)
    with_dropout = MLP(MLPConfig(4, depth=2, width=16, dropout=0.5)).eval()
    without = MLP(MLPConfig(4, depth=2, width=16, dropout=0.0))
    linears_from = [m for m in with_dropout.modules() if isinstance(m, nn.Linear)]
    linears_to = [m for m in without.modules() if isinstance(m, nn.Linear)]
    for m_from, m_to in zip(linears_from, linears_to, strict=True):
        m_to.load_state_dict(m_from.state_dict())
    x = torch.randn(8, 4)
    torch.testing.assert_close(with_dropout(x), without(x), rtol=0, atol=0)
    without.train()  # no dropout layers: train mode changes nothing
    torch.testing.assert_close(without(x), with_dropout(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("in_features", 0),
        ("in_features", 2.0),
        ("out_features", 0),
        ("depth", -1),
        ("depth", True),
        ("width", 0),
        ("activation", "gelu"),
        ("dropout", 1.0),
        ("dropout", -0.1),
        ("dropout", float("nan")),
    ],
)
def test_config_validation_names_the_field(field: str, value: object) -> None:
    kwargs = {"in_features": 3, field: value}
    with pytest.raises(ValueError, match=rf"^{field} must be"):
        MLPConfig(**kwargs)


def test_config_accepts_boundaries() -> None:
    config = MLPConfig(1, out_features=1, depth=0, width=1, activation="sigmoid", dropout=0.0)
    assert config.depth == 0
    assert MLPConfig(1, dropout=0.99).dropout == 0.99


def test_classifier_starts_near_log_C_and_overfits_a_batch() -> None:
    torch.manual_seed(0)
    B, C_in, V = 32, 10, 5
    x = torch.randn(B, C_in)
    target = torch.randint(0, V, (B,))
    model = MLP(MLPConfig(C_in, V, depth=2, width=32))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_init = cross_entropy(model(x), target).item()
    for _ in range(100):
        optimizer.zero_grad()
        loss = cross_entropy(model(x), target)
        loss.backward()
        optimizer.step()
    assert abs(loss_init - math.log(V)) < 0.3
    assert cross_entropy(model(x), target).item() < 0.05


def test_per_layer_widths_build_the_course_s_sample_network() -> None:
    """in→16→8→1, the sample network of the first homework: the layers' shapes, the
    parameter count (C·16 + 16 + 16·8 + 8 + 8 + 1) and the same output as nn.Sequential."""
    C = 93
    model = MLP(MLPConfig(C, depth=2, width=(16, 8)))
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(C, 16), (16, 8), (8, 1)]
    assert sum(p.numel() for p in model.parameters()) == C * 16 + 16 + 16 * 8 + 8 + 8 + 1
    reference = nn.Sequential(nn.Linear(C, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
                              nn.Linear(8, 1))
    reference.load_state_dict({k.removeprefix("layers."): v
                               for k, v in model.state_dict().items()})
    x = torch.randn(4, C)
    torch.testing.assert_close(model(x), reference(x).squeeze(-1), rtol=0, atol=0)
    assert MLPConfig(C, depth=3, width=5).widths == (5, 5, 5)


@pytest.mark.parametrize("width", [(16,), (16, 8, 4), (16, 0)])
def test_per_layer_widths_need_one_positive_width_per_layer(width) -> None:
    with pytest.raises(ValueError, match="width"):
        MLPConfig(3, depth=2, width=width)
