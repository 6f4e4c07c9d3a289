"""Tests for mllab.nn.cnn: shapes, parameter count, parity with the lecture's conv, learning."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.data import load_dataset
from mllab.losses import cross_entropy
from mllab.nn.cnn import CNN, CNNConfig, num_parameters
from mllab.nn.conv import conv2d_reference, max_pool2d_reference


@pytest.mark.parametrize(
    ("config", "B"),
    [
        (CNNConfig(), 5),
        (CNNConfig(channels=(4,), hidden=0), 1),
        (CNNConfig(channels=(8, 8, 8), kernel_size=5, hidden=16, dropout=0.5), 3),  # 8→4→2→1
        (CNNConfig(channels=(6, 12), pool=False, num_classes=3), 2),
        (CNNConfig(in_channels=3, image_size=7, channels=(4, 4)), 4),  # 7→3→1 (floor)
        (CNNConfig(in_channels=2, image_size=16, channels=(4, 8, 16, 32), kernel_size=1), 2),
    ],
)
def test_output_shape_for_images_and_flattened_input(config: CNNConfig, B: int) -> None:
    torch.manual_seed(0)
    model = CNN(config).eval()
    C, S = config.in_channels, config.image_size
    x = torch.randn(B, C, S, S)
    y = model(x)
    assert y.shape == (B, config.num_classes)
    torch.testing.assert_close(model(x.reshape(B, C * S * S)), y, rtol=0, atol=0)
    last_map = model.features(x)
    assert last_map.shape == (B, config.channels[-1], config.final_size, config.final_size)
    assert last_map.flatten(1).shape[1] == config.flat_features


def test_flattened_digits_are_row_major_images() -> None:
    """load_dataset("digits") rows reshape to sklearn's 8×8 images, so (B, 64) input is valid."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.as_tensor(digits.data).reshape(-1, 1, 8, 8)  # (N, 1, 8, 8)
    assert torch.equal(images[:, 0], torch.as_tensor(digits.images))


def test_parameter_count_by_hand() -> None:
    # conv 1→16, 3×3: 16·1·9 + 16 = 160;  conv 16→32: 32·16·9 + 32 = 4,640
    # 8×8 → 4×4 → 2×2, flatten 32·2·2 = 128;  FC 128→64: 128·64 + 64 = 8,256;  FC 64→10: 650
    assert num_parameters(CNN(CNNConfig())) == 160 + 4640 + 8256 + 650 == 13706
    # no pooling, no hidden layer: flatten 32·8·8 = 2,048;  FC 2,048→10: 20,490
    assert num_parameters(CNN(CNNConfig(pool=False, hidden=0))) == 160 + 4640 + 20490
    model = CNN(CNNConfig())
    model.features[0].requires_grad_(False)
    assert num_parameters(model, trainable_only=True) == 13706 - 160


def test_layers_are_the_fast_kernels_with_size_keeping_padding() -> None:
    model = CNN(CNNConfig(channels=(4, 8, 8), kernel_size=5))
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(m.in_channels, m.out_channels) for m in convs] == [(1, 4), (4, 8), (8, 8)]
    assert all(m.padding == (2, 2) and m.kernel_size == (5, 5) for m in convs)
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 3
    model = CNN(CNNConfig(pool=False, hidden=0))
    assert not any(isinstance(m, nn.MaxPool2d) for m in model.modules())
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 1


def _reference_forward(model: CNN, x: Tensor) -> Tensor:
    """The same network, with the lecture's convolution and pooling and hand-written FC layers."""
    k = model.config.kernel_size
    h = x
    for m in model.features:
        if isinstance(m, nn.Conv2d):
            h = conv2d_reference(h, m.weight, m.bias, padding=k // 2).clamp(min=0)
        elif isinstance(m, nn.MaxPool2d):
            h = max_pool2d_reference(h, 2)
    h = h.flatten(1)  # (B, C_L*H_L*W_L)
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    for i, m in enumerate(linears):
        h = h @ m.weight.T + m.bias
        if i < len(linears) - 1:
            h = h.clamp(min=0)
    return h


@pytest.mark.parametrize(
    "config",
    [CNNConfig(), CNNConfig(channels=(3, 5, 7), kernel_size=5, hidden=0), CNNConfig(pool=False)],
)
def test_equals_the_lecture_convolution_float64(config: CNNConfig) -> None:
    torch.manual_seed(0)
    model = CNN(config).double().eval()
    x = torch.randn(6, 64, dtype=torch.float64)
    expected = _reference_forward(model, x.reshape(6, 1, 8, 8))
    torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-12)


def test_dropout_only_in_train_mode() -> None:
    torch.manual_seed(0)
    model = CNN(CNNConfig(dropout=0.5))
    x = torch.randn(4, 64)
    assert not torch.equal(model(x), model(x))
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"in_channels": 0}, "in_channels"),
        ({"image_size": 0}, "image_size"),
        ({"channels": ()}, "channels"),
        ({"channels": (16, 0)}, "channels"),
        ({"channels": 16}, "channels"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": 4}, "kernel_size"),
        ({"pool": 1}, "pool"),
        ({"channels": (4, 4, 4, 4)}, "channels"),  # 8→4→2→1→0
        ({"hidden": -1}, "hidden"),
        ({"num_classes": 1}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.5}, "dropout"),
    ],
)
def test_config_validation_names_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} must"):
        CNNConfig(**kwargs)


def test_pooling_message_gives_the_allowed_depth() -> None:
    with pytest.raises(ValueError, match=r"at most 3 entries when pool=True and image_size=8"):
        CNNConfig(channels=(4, 4, 4, 4))
    assert CNNConfig(channels=(4, 4, 4)).final_size == 1  # the boundary is accepted
    assert CNNConfig(channels=(4, 4, 4, 4), pool=False).final_size == 8
    assert CNNConfig(channels=[4, 8]).channels == (4, 8)


def test_loss_at_init_is_about_ln_10() -> None:
    torch.manual_seed(0)
    model = CNN(CNNConfig())
    x, y = torch.randn(512, 64), torch.randint(0, 10, (512,))
    with torch.no_grad():
        loss = cross_entropy(model(x), y).item()
    assert abs(loss - math.log(10)) < 0.1


def test_overfits_a_batch_of_real_digits() -> None:
    torch.manual_seed(0)
    split = load_dataset("digits", seed=0)
    x, y = split.x_train[:64], split.y_train[:64]  # (64, 64) flattened, standardized
    model = CNN(CNNConfig())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_init = cross_entropy(model(x), y).item()
    # One thread: 8×8 maps gain nothing from more, and on a machine whose cores are busy the
    # OpenMP barriers of 2 threads were measured at ~0.3 s a step instead of ~1.5 ms.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(60):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        logits = model(x)
    assert loss_init > 2.0
    assert cross_entropy(logits, y).item() < 0.02
    assert torch.equal(logits.argmax(dim=1), y)
