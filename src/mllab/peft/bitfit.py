r"""BitFit: fine-tune only the biases, the adapters lecture.

Ben Zaken et al., "BitFit: Simple Parameter-efficient Fine-tuning for Transformer-based Masked
Language-models", arXiv:2106.10199. Every weight matrix stays frozen; only the bias terms
:math:`b` of the model (and the new task head, which is trained whole) receive gradients, a
fraction of a percent of the parameters. Nothing is added, so at initialisation the model is
unchanged.
"""

from __future__ import annotations

from torch import nn

from mllab.config import require

__all__ = ["bitfit"]


def bitfit(model: nn.Module, keep: tuple[str, ...] = ()) -> list[str]:
    r"""Freeze every parameter of ``model`` except its biases and those under the modules named
    in ``keep`` (e.g. the task head); return the names of the trainable parameters.

    Biases are the parameters named ``bias`` (``nn.Linear``, ``nn.LayerNorm``, ...).
    """
    modules = dict(model.named_modules())
    missing = [k for k in keep if k not in modules]
    require(not missing, "keep", "names of submodules of the model", missing)
    trainable = []
    for name, p in model.named_parameters():
        train = name.split(".")[-1] == "bias" or any(name.startswith(k + ".") for k in keep)
        p.requires_grad_(train)
        if train:
            trainable.append(name)
    return trainable
