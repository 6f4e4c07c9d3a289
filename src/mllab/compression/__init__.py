r"""Network compression: the lecture's four ways to a small network (homework 13).

- knowledge distillation: :func:`distillation_loss` (soft targets at temperature :math:`T`,
  :math:`T^2` scaling; arXiv:1503.02531) and :func:`soft_targets`, trained by
  :func:`distillation_step` on the general loop;
- architecture design: :class:`DepthwiseConv2d`, :class:`PointwiseConv2d`,
  :class:`DepthwiseSeparableConv2d` with :func:`separable_conv_params` against
  :func:`standard_conv_params`;
- pruning: :func:`magnitude_mask` (unstructured), :func:`structured_mask` (channels by
  :math:`L_p` norm), masks that stay applied while training (:func:`apply_mask`), and
  :func:`lottery_ticket`, iterative pruning with rewinding (arXiv:1803.03635);
- parameter quantisation: :func:`quantize` (per-tensor affine, 1 to 8 bits),
  :func:`quantize_model` and :func:`size_on_disk` of the packed bits.
"""

from mllab.compression.distillation import distillation_loss, soft_targets
from mllab.compression.distillation_step import (
    DistillationConfig,
    DistillationState,
    distillation_step,
)
from mllab.compression.lottery_ticket import lottery_ticket, prunable_layers
from mllab.compression.magnitude_pruning import (
    Mask,
    apply_mask,
    get_mask,
    magnitude_mask,
    remove_mask,
    sparsity,
    structured_mask,
)
from mllab.compression.quantization import (
    QuantizedTensor,
    dequantize,
    dequantize_model,
    pack_bits,
    quantize,
    quantize_model,
    size_on_disk,
    unpack_bits,
)
from mllab.compression.separable_conv import (
    DepthwiseConv2d,
    DepthwiseSeparableConv2d,
    PointwiseConv2d,
    separable_conv_params,
    standard_conv_params,
)

__all__ = [
    "DepthwiseConv2d", "DepthwiseSeparableConv2d", "DistillationConfig", "DistillationState",
    "Mask", "PointwiseConv2d", "QuantizedTensor", "apply_mask", "dequantize", "dequantize_model",
    "distillation_loss", "distillation_step",
    "get_mask", "lottery_ticket", "magnitude_mask", "pack_bits", "prunable_layers", "quantize",
    "quantize_model", "remove_mask", "separable_conv_params", "size_on_disk", "soft_targets",
    "sparsity", "standard_conv_params", "structured_mask", "unpack_bits",
]
