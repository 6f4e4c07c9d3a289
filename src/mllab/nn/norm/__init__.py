r"""Normalization layers of the "Batch normalization" lecture, from the inputs to the layers.

- :class:`Standardizer` (re-exported from :mod:`mllab.data`): feature normalization of the
  inputs, :math:`\tilde{x} = (x - \mu)/\sigma` with training-set statistics, the lecture's
  first normalization;
- :func:`batch_norm_reference` and :class:`BatchNorm`: the same inside the network, per feature
  over the batch, :math:`\hat{z} = \gamma \odot (z - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta`,
  with running statistics for evaluation;
- :func:`layer_norm_reference` and :class:`LayerNorm`: per example over its features, as in
  the Transformer;
- :data:`TORCH_PARAMETER_NAMES`: ``gamma`` ↔ ``weight``, ``beta`` ↔ ``bias``, to load state
  dicts from and to ``nn.BatchNorm*`` / ``nn.LayerNorm`` (:class:`BatchNorm` takes
  ``nn.BatchNorm*``'s arguments and loads its state dicts as they are).

The modules call PyTorch's fused kernels by default and the ``*_reference`` functions, written
from the lecture, with ``reference=True``; the tests prove the two equal.
"""

from mllab.data.scaling import Standardizer
from mllab.nn.norm.batchnorm import TORCH_PARAMETER_NAMES, BatchNorm, batch_norm_reference
from mllab.nn.norm.layernorm import LayerNorm, layer_norm_reference

__all__ = [
    "TORCH_PARAMETER_NAMES",
    "BatchNorm",
    "LayerNorm",
    "Standardizer",
    "batch_norm_reference",
    "layer_norm_reference",
]
