r"""Lecture 1's models, from the linear model to a deep network with dropout.

- :class:`LinearModel`: :math:`y = b + \sum_j w_j x_j`;
- :func:`hard_sigmoid`: a ramp from 0 to :math:`c` as a sum of two ReLUs;
- :class:`SigmoidNetwork`: :math:`y = b + c^\top \sigma(b' + W x)`;
- :class:`ReLUNetwork`: :math:`y = b + c^\top \max(0, b' + W x)`;
- :class:`MLP` and :class:`MLPConfig`: several hidden layers with dropout;
- :class:`ChainNetwork`: :math:`y = w_2 w_1 x`, a saddle point at the origin;
- :class:`BackpropMLP`: backpropagation written from the chain rule, no autograd;
- :func:`conv2d_reference`, :func:`max_pool2d_reference` (the lecture's convolution and
  pooling) and :class:`CNN` (``nn.Conv2d``) for 8×8 digits;
- :class:`BatchNorm`, :class:`LayerNorm` (``mllab.nn.norm``): the fused kernels by default,
  the lecture's versions (``batch_norm_reference``, ``layer_norm_reference``) beside them;
- :func:`sawtooth`: the tent map composed :math:`L` times, :math:`2^L` pieces at width 2.
"""

from mllab.nn.backprop import BackpropMLP, Cache, Gradients
from mllab.nn.chain_network import ChainNetwork
from mllab.nn.cnn import CNN, CNNConfig, num_parameters
from mllab.nn.conv import (
    conv2d_reference,
    conv_output_size,
    conv_params,
    fully_connected_params,
    max_pool2d_reference,
    receptive_field,
)
from mllab.nn.hard_sigmoid import hard_sigmoid
from mllab.nn.linear_model import LinearModel
from mllab.nn.mlp import ACTIVATIONS, MLP, MLPConfig
from mllab.nn.norm import (
    TORCH_PARAMETER_NAMES,
    BatchNorm,
    LayerNorm,
    batch_norm_reference,
    layer_norm_reference,
)
from mllab.nn.relu_network import ReLUNetwork
from mllab.nn.sawtooth import sawtooth
from mllab.nn.sigmoid_network import SigmoidNetwork

__all__ = [
    "ACTIVATIONS",
    "CNN",
    "BackpropMLP",
    "CNNConfig",
    "Cache",
    "ChainNetwork",
    "Gradients",
    "conv2d_reference",
    "conv_output_size",
    "conv_params",
    "fully_connected_params",
    "max_pool2d_reference",
    "num_parameters",
    "receptive_field",
    "TORCH_PARAMETER_NAMES",
    "BatchNorm",
    "LayerNorm",
    "batch_norm_reference",
    "layer_norm_reference",
    "MLP",
    "LinearModel",
    "MLPConfig",
    "ReLUNetwork",
    "SigmoidNetwork",
    "hard_sigmoid",
    "sawtooth",
]
