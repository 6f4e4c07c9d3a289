"""A small float64 classifier of 1×6×6 images, shared by the attribution tests."""

import torch
from torch import nn


def small_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.Tanh(),
                         nn.Linear(16, 4)).double().eval()


def batch(B: int = 5):
    g = torch.Generator().manual_seed(1)
    return (torch.rand(B, 1, 6, 6, generator=g, dtype=torch.float64),
            torch.randint(4, (B,), generator=g))
