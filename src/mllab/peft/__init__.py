r"""The adapters lecture: fine-tune a few parameters per task and keep the big model frozen.

- :func:`bitfit`: only the biases train (arXiv:2106.10199);
- :class:`HoulsbyAdapter` and :func:`insert_houlsby_adapters`: a bottleneck after the
  feed-forward (arXiv:1902.00751);
- :class:`AdapterBias` and :func:`insert_adapter_bias`: a token-dependent shift of the
  feed-forward's output (arXiv:2205.00305);
- :class:`PrefixAttention` and :func:`insert_prefixes`: trainable keys and values before the
  tokens' own (arXiv:2101.00190);
- :class:`LoRALinear` and :func:`apply_lora`: :math:`W_0 x + \frac{\alpha}{r} B A x`, merged
  and unmerged (arXiv:2106.09685);
- :mod:`mllab.peft.trainable`: the share of parameters trained and the bytes stored per task.
"""

from mllab.peft.adapter_bias import AdapterBias, insert_adapter_bias
from mllab.peft.bitfit import bitfit
from mllab.peft.houlsby_adapter import HoulsbyAdapter, insert_houlsby_adapters
from mllab.peft.lora import LoRALinear, apply_lora
from mllab.peft.prefix_tuning import PrefixAttention, insert_prefixes

__all__ = ["AdapterBias", "HoulsbyAdapter", "LoRALinear", "PrefixAttention", "apply_lora",
           "bitfit", "insert_adapter_bias", "insert_houlsby_adapters", "insert_prefixes"]
