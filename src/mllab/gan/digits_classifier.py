r"""A small CNN trained on the digits (or Fashion-MNIST): the stand-in for Inception in IS and
FID.

The Inception Score and FID (Salimans et al., arXiv:1606.03498; Heusel et al.,
arXiv:1706.08500) use an Inception-v3 network trained on ImageNet: its class probabilities
:math:`p(y|x)` for IS and its 2048 pool features for FID. Nothing downloads here, and
Inception knows nothing of 8×8 digits anyway, so mllab trains its own classifier on the same
data and uses its probabilities and its penultimate features; the numbers are therefore *not*
comparable with published IS/FID values, only with each other.

.. code-block:: text

    x (B, 1, S, S) --conv3 16, ReLU, maxpool--> (B, 16, S/2, S/2) --conv3 32, ReLU, maxpool-->
    (B, 32, S/4, S/4) --flatten, linear 64, ReLU--> features (B, 64) --linear--> logits (B, 10)

with S = 8 for the digits and 28 for Fashion-MNIST.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require, require_int

__all__ = ["DigitsClassifier", "train_digits_classifier"]


class DigitsClassifier(nn.Module):
    r"""Logits ``(B, classes)`` of images ``(B, 1, S, S)``; :meth:`features` are the
    penultimate activations ``(B, features)`` that FID compares."""

    def __init__(self, classes: int = 10, features: int = 64, image_size: int = 8) -> None:
        super().__init__()
        require_int("classes", classes, 2)
        require_int("features", features, 1)
        require_int("image_size", image_size, 4)
        require(image_size % 4 == 0, "image_size", "a multiple of 4", image_size)
        s = image_size // 4
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * s * s, features), nn.ReLU())  # (B, 32·s·s) in
        self.out = nn.Linear(features, classes)

    def features(self, x: Tensor) -> Tensor:
        return self.body(x)  # (B, features)

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x))  # (B, classes)

    @torch.no_grad()
    def probabilities(self, x: Tensor) -> Tensor:
        r""":math:`p(y|x)`, ``(B, classes)``, in evaluation mode."""
        self.eval()
        return F.softmax(self(x), dim=1)


def train_digits_classifier(x: Tensor, y: Tensor, *, generator: torch.Generator,
                            steps: int = 400, batch_size: int = 64, lr: float = 3e-3
                            ) -> DigitsClassifier:
    r"""A :class:`DigitsClassifier` trained by Adam on cross-entropy for ``steps`` mini-batches
    drawn with replacement from ``(x, y)`` (images ``(N, 1, S, S)``); initialised and fed from
    ``generator`` only.
    Returned in evaluation mode."""
    require_int("steps", steps, 0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
        model = DigitsClassifier(classes=int(y.max()) + 1, image_size=x.shape[-1])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        i = torch.randint(len(x), (batch_size,), generator=generator)
        loss = F.cross_entropy(model(x[i]), y[i])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()
