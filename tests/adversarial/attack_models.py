"""A small float64 classifier of 1×6×6 images in [0, 1], shared by the attack tests."""

import torch
from torch import nn


def small_model(seed: int = 0, width: int = 6) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.AdaptiveAvgPool2d(3),
                          nn.Flatten(), nn.Linear(36, 5)).double().eval()
    return model


def batch(seed: int = 1, B: int = 8, W: int = 6):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(B, 1, W, W, generator=g, dtype=torch.float64)
    y = torch.randint(5, (B,), generator=g)
    return x, y
