r"""Iterative magnitude pruning with rewinding: the lottery-ticket procedure (Network
Compression lecture; Frankle and Carbin, arXiv:1803.03635, Section 1 "Identifying winning
tickets").

1. Initialise :math:`f(x; \theta_0)` and keep :math:`\theta_0`;
2. train for :math:`j` iterations, reaching :math:`\theta_j`;
3. prune :math:`p\%` of the surviving weights of each layer by magnitude, giving the mask
   :math:`m`;
4. reset the surviving weights to their values in :math:`\theta_0` (rewinding), giving
   :math:`f(x; m \odot \theta_0)`; repeat 2–4 for ``rounds`` rounds.

After :math:`r` rounds a share :math:`1 - (1-p)^r` of each layer's weights is pruned.

Differences from the paper: rewinding to a later :math:`\theta_k` (Frankle et al.,
arXiv:1903.01611) is the ``rewind`` argument: a ``state_dict`` taken after :math:`k` steps.
The caller's ``train`` does step 2; the masks stay applied while it trains.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from mllab.compression.magnitude_pruning import apply_mask, get_mask, magnitude_mask

__all__ = ["lottery_ticket", "prunable_layers"]


def prunable_layers(model: nn.Module) -> dict[str, nn.Module]:
    r"""The ``nn.Linear`` and ``nn.Conv*d`` layers of ``model``, by name: those pruned."""
    kinds = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    return {n: m for n, m in model.named_modules() if isinstance(m, kinds)}


def _weights_only(state: dict[str, Tensor], keys: set[str]) -> dict[str, Tensor]:
    r"""``state`` without masks, a plain ``<layer>.weight`` renamed to the masked layer's
    ``<layer>.parametrizations.weight.original``."""
    out = {}
    for k, v in state.items():
        masked = k.removesuffix("weight") + "parametrizations.weight.original"
        if not k.endswith(".mask"):
            out[masked if k not in keys and masked in keys else k] = v.detach().clone()
    return out


def lottery_ticket(model: nn.Module, train: Callable[[nn.Module], None], rounds: int,
                   amount: float, rewind: dict[str, Tensor] | None = None,
                   layers: dict[str, nn.Module] | None = None) -> list[dict[str, Tensor]]:
    r"""Prune ``model`` in place by ``rounds`` rounds of train, prune, rewind.

    Args:
        model: at its initialisation :math:`\theta_0` (unless ``rewind`` is given).
        train: trains ``model`` in place (step 2); called ``rounds`` times.
        rounds: number of prune-and-rewind rounds (>= 1).
        amount: share :math:`p` of the surviving weights pruned per round, in [0, 1].
        rewind: a ``state_dict`` of ``model`` to rewind to (late rewinding); ``None`` rewinds
            to the weights ``model`` has now.
        layers: the layers to prune; all linear and convolution layers by default.

    Returns:
        The masks after each round, ``{layer name: mask}``; ``model`` ends rewound with the
        last masks applied, ready to be trained as the ticket.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    layers = prunable_layers(model) if layers is None else layers
    for layer in layers.values():  # 1. masks of ones, so the state's keys stay fixed
        if get_mask(layer) is None:
            apply_mask(layer, torch.ones_like(layer.weight))
    keys = set(model.state_dict())
    theta_0 = _weights_only(model.state_dict() if rewind is None else rewind, keys)
    history = []
    for _ in range(rounds):
        train(model)  # 2. train
        masks = {n: magnitude_mask(m.weight, amount, get_mask(m)) for n, m in layers.items()}
        with torch.no_grad():  # 4. rewind the weights, keep the masks
            model.load_state_dict(theta_0, strict=False)
        for n, m in layers.items():  # 3. prune
            apply_mask(m, masks[n])
        history.append({n: mask.clone() for n, mask in masks.items()})
    return history
