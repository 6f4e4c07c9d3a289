r"""Probing hidden representations: what a linear classifier reads from a layer.

The explainable-AI lecture: to ask whether a hidden layer encodes some property (a word's
part of speech, a digit's class), train a simple classifier (a *probe*) on that layer's
outputs and measure its accuracy on held-out examples; a simple probe, so that it reads
what is there rather than computing it itself (Alain and Bengio, arXiv:1610.01644).

:func:`layer_outputs` collects chosen submodules' outputs with forward hooks;
:func:`train_probe` fits a softmax regression by full-batch L-BFGS on cross-entropy with an
L2 penalty, on standardised features; :func:`probe_accuracy` scores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import is_real, require, require_int

__all__ = ["Probe", "layer_outputs", "probe_accuracy", "train_probe"]


@torch.no_grad()
def layer_outputs(model: nn.Module, x: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
    r"""The outputs of the named submodules (``model.named_modules()`` names) on ``x``,
    each flattened to ``(B, features)``; the model runs once, in its current mode."""
    modules = dict(model.named_modules())
    missing = [name for name in layers if name not in modules]
    require(not missing, "layers", "names of submodules of the model", missing)
    out: dict[str, Tensor] = {}
    hooks = [modules[name].register_forward_hook(
        lambda _m, _i, o, name=name: out.__setitem__(name, o.reshape(o.shape[0], -1)))
        for name in layers]  # (B, features)
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return out


@dataclass
class Probe:
    r"""A softmax-regression probe on standardised features."""

    mean: Tensor
    std: Tensor
    linear: nn.Linear

    def logits(self, h: Tensor) -> Tensor:
        return self.linear((h - self.mean) / self.std)  # (B, K)


def train_probe(h: Tensor, y: Tensor, classes: int, *, weight_decay: float = 1e-3,
                steps: int = 100) -> Probe:
    r"""A :class:`Probe` fitted on features ``h`` ``(N, C)`` and labels ``y`` ``(N,)``:
    :math:`\min_{W, b} e(y, W\tilde h + b) + \frac{\lambda}{2}\lVert W \rVert^2` by L-BFGS,
    from zero weights (deterministic)."""
    require_int("classes", classes, 2)
    require_int("steps", steps, 1)
    require(is_real(weight_decay) and weight_decay >= 0, "weight_decay", "a number >= 0",
            weight_decay)
    h = h.detach()
    mean, std = h.mean(0), h.std(0).clamp_min(1e-8)
    linear = nn.Linear(h.shape[1], classes).to(h.dtype).to(h.device)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    probe = Probe(mean, std, linear)
    opt = torch.optim.LBFGS(linear.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(probe.logits(h), y)
        loss = loss + 0.5 * weight_decay * linear.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return probe


@torch.no_grad()
def probe_accuracy(probe: Probe, h: Tensor, y: Tensor) -> float:
    r"""The share of ``y`` that ``probe`` predicts from ``h``."""
    return (probe.logits(h).argmax(1) == y).float().mean().item()
