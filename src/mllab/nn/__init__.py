r"""Lecture 1's models, from the linear model to a deep network with dropout.

- :class:`LinearModel`: :math:`y = b + \sum_j w_j x_j`;
- :func:`hard_sigmoid`: a ramp from 0 to :math:`c` as a sum of two ReLUs;
- :class:`SigmoidNetwork`: :math:`y = b + c^\top \sigma(b' + W x)`;
- :class:`ReLUNetwork`: :math:`y = b + c^\top \max(0, b' + W x)`;
- :class:`MLP` and :class:`MLPConfig`: several hidden layers with dropout.
"""

from mllab.nn.hard_sigmoid import hard_sigmoid
from mllab.nn.linear_model import LinearModel
from mllab.nn.mlp import ACTIVATIONS, MLP, MLPConfig
from mllab.nn.relu_network import ReLUNetwork
from mllab.nn.sigmoid_network import SigmoidNetwork

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "LinearModel",
    "MLPConfig",
    "ReLUNetwork",
    "SigmoidNetwork",
    "hard_sigmoid",
]
