r"""What an adapter saves: the share of parameters trained and the bytes stored per task.

The adapters lecture's argument: with full fine-tuning every task keeps its own copy of the
whole model; with an adapter the base model is stored once and each task keeps only the
parameters it trained (the adapter and the task head). For a model with parameters
:math:`\theta` of which :math:`\theta_T` receive gradients,

.. math:: \mathrm{share} = \frac{|\theta_T|}{|\theta|}, \qquad
          \mathrm{bytes\ per\ task} = \sum_{p \in \theta_T} \mathrm{numel}(p)\,
          \mathrm{element\_size}(p)

(:math:`|\theta|` counts the added adapter parameters too; a tied weight counts once). For
full fine-tuning the share is 1 and the bytes are the whole model's.
"""

from __future__ import annotations

from torch import nn

__all__ = ["bytes_per_task", "parameter_count", "trainable_share"]


def _unique(model: nn.Module) -> list[nn.Parameter]:
    return list({id(p): p for p in model.parameters()}.values())


def parameter_count(model: nn.Module, trainable: bool | None = None) -> int:
    r"""How many numbers ``model`` holds: all (``None``), those with ``requires_grad``
    (``True``), or the frozen ones (``False``)."""
    return sum(p.numel() for p in _unique(model)
               if trainable is None or p.requires_grad == trainable)


def trainable_share(model: nn.Module) -> float:
    r""":math:`|\theta_T| / |\theta|`."""
    return parameter_count(model, True) / parameter_count(model)


def bytes_per_task(model: nn.Module) -> int:
    r"""Bytes of the trainable parameters: what a task must store beside the shared base."""
    return sum(p.numel() * p.element_size() for p in _unique(model) if p.requires_grad)
