r"""Backpropagation: the gradient of a deep network by the chain rule, by hand.

Lecture "Backpropagation". Gradient descent needs :math:`\partial L / \partial w` for millions
of weights; backpropagation computes all of them at the cost of about two forward passes. With
:math:`z = \dots + w\,a + \dots` the pre-activation that weight :math:`w` feeds, the chain rule
splits each partial derivative in two,

.. math::
    \frac{\partial C}{\partial w} = \frac{\partial z}{\partial w}\,\frac{\partial C}{\partial z},
    \qquad
    \underbrace{\frac{\partial z}{\partial w} = a}_{\text{forward pass}},
    \qquad
    \underbrace{\frac{\partial C}{\partial z}
        = \sigma'(z)\Big[w_3 \frac{\partial C}{\partial z'} + w_4 \frac{\partial C}{\partial z''}
        \Big]}_{\text{backward pass}}

The forward pass records every :math:`a` (the input that each weight multiplies); the backward
pass starts from :math:`\partial C / \partial z` at the output and runs the network in
reverse: a layer whose "activation" is multiplication by :math:`\sigma'(z)` (an amplifier
with a gain fixed by the forward pass) and whose weights are the transposed forward weights.

In matrix form, for a batch stacked as rows (``a^{(l)}`` of shape ``(B, C_l)``), with
:math:`W^{(l)}` of shape ``(C_{l-1}, C_l)`` and :math:`\delta^{(l)} = \partial C/\partial z^{(l)}`:

.. math::
    z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}, \quad a^{(l)} = \sigma(z^{(l)}), \qquad
    \frac{\partial C}{\partial W^{(l)}} = a^{(l-1)\top} \delta^{(l)}, \quad
    \frac{\partial C}{\partial b^{(l)}} = \sum_n \delta^{(l)}_n, \quad
    \delta^{(l-1)} = \sigma'(z^{(l-1)}) \odot \big(\delta^{(l)} W^{(l)\top}\big)

Differences from the course: the course's total loss is the sum
:math:`L(\theta) = \sum_n C^n(\theta)`; here :math:`C` is the *mean* over the batch (as in
:mod:`mllab.losses` and PyTorch), so every gradient carries a factor :math:`1/B` (and
:math:`1/(B K)` for the mean squared error over ``K`` outputs). The course draws a weight
:math:`w` from neuron to neuron; the weight matrix here is stored ``(C_in, C_out)`` so the
batch-first product reads :math:`a W`, and the course's :math:`\partial C/\partial z \cdot W`
becomes :math:`\delta W^\top`. Nothing here uses autograd: :meth:`BackpropMLP.backward` runs
under ``torch.no_grad()`` and the tests compare it with ``torch.autograd``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import is_int, require
from mllab.losses import cross_entropy, mse

__all__ = [
    "BackpropMLP",
    "Cache",
    "Gradients",
    "cross_entropy_delta",
    "mse_delta",
    "relu_prime",
    "sigmoid_prime",
    "softmax",
]

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "relu")
HEADS: tuple[str, ...] = ("cross_entropy", "mse")


def softmax(z: Tensor) -> Tensor:
    r"""Softmax over the last dimension, shifted by the maximum so that nothing overflows.

    .. math:: y'_i = \frac{e^{z_i}}{\sum_j e^{z_j}} = \frac{e^{z_i - m}}{\sum_j e^{z_j - m}},
        \qquad m = \max_j z_j
    """
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))  # (B, K)
    return e / e.sum(dim=-1, keepdim=True)  # (B, K)


def sigmoid_prime(a: Tensor) -> Tensor:
    r"""Derivative of the sigmoid from its *output* :math:`a = \sigma(z)`, kept by the forward pass.

    .. math:: \sigma'(z) = \sigma(z)\,\big(1 - \sigma(z)\big) = a (1 - a)
    """
    return a * (1.0 - a)


def relu_prime(z: Tensor) -> Tensor:
    r"""Derivative of the ReLU from the pre-activation :math:`z`.

    .. math:: \frac{d}{dz}\max(0, z) = \mathbb{1}[z > 0]

    At :math:`z = 0` the ReLU has no derivative; 0 is taken there, as PyTorch does.
    """
    return (z > 0).to(z.dtype)


def cross_entropy_delta(z: Tensor, y: Tensor) -> Tensor:
    r"""Start of the backward pass for softmax followed by the batch-mean cross-entropy.

    With :math:`C = -\frac{1}{B}\sum_n \ln \mathrm{softmax}(z_n)_{y_n}` and
    :math:`\hat y_n` the one-hot label,

    .. math::
        \frac{\partial C}{\partial z_n} = \frac{1}{B}\big(\mathrm{softmax}(z_n) - \hat y_n\big)

    Args:
        z: output-layer pre-activations (logits), shape ``(B, K)``.
        y: class indices in :math:`\{0, \dots, K-1\}`, integer tensor of shape ``(B,)``.

    Returns:
        :math:`\partial C / \partial z`, shape ``(B, K)``.
    """
    B, K = z.shape
    y_hat = torch.nn.functional.one_hot(y.long(), K).to(z.dtype)  # (B, K)
    return (softmax(z) - y_hat) / B  # Eq.: (softmax(z) − ŷ) / B


def mse_delta(z: Tensor, y: Tensor) -> Tensor:
    r"""Start of the backward pass for the mean squared error over all :math:`N = BK` outputs.

    .. math:: C = \frac{1}{N}\sum_{n,k}(z_{nk} - y_{nk})^2, \qquad
        \frac{\partial C}{\partial z_{nk}} = \frac{2}{N}(z_{nk} - y_{nk})

    Args:
        z: network outputs, shape ``(B, K)``.
        y: targets, shape ``(B, K)``, or ``(B,)`` when ``K == 1``.

    Returns:
        :math:`\partial C / \partial z`, shape ``(B, K)``.
    """
    y = y.reshape(z.shape)  # (B, K)
    return 2.0 * (z - y) / z.numel()  # Eq.: 2(z − y) / N


@dataclass
class Cache:
    r"""What the forward pass records for the backward pass.

    For :math:`L` layers, ``a`` holds :math:`a^{(0)} = x, a^{(1)}, \dots, a^{(L)}` and ``z``
    holds :math:`z^{(1)}, \dots, z^{(L)}` (list index ``i`` is layer ``i + 1``). The output
    layer has no activation, so :math:`a^{(L)} = z^{(L)}` (logits, or the regression output).
    """

    a: list[Tensor]
    r"""Activations :math:`a^{(0)}, \dots, a^{(L)}`, each ``(B, C_l)``; ``a[0]`` is the input."""

    z: list[Tensor]
    r"""Pre-activations :math:`z^{(1)}, \dots, z^{(L)}`, each ``(B, C_l)``."""

    @property
    def output(self) -> Tensor:
        r"""The network's output :math:`z^{(L)}`, shape ``(B, K)``."""
        return self.z[-1]


@dataclass
class Gradients:
    r"""Partial derivatives of the cost :math:`C`, one entry per layer (index ``i``: layer i+1)."""

    dC_dW: list[Tensor]
    r""":math:`\partial C / \partial W^{(l)}`, each of shape ``(C_{l-1}, C_l)`` like the weight."""

    dC_db: list[Tensor]
    r""":math:`\partial C / \partial b^{(l)}`, each of shape ``(C_l,)``."""

    dC_dz: list[Tensor]
    r""":math:`\delta^{(l)} = \partial C/\partial z^{(l)}`, each ``(B, C_l)``: the backward pass."""


class BackpropMLP:
    r"""A fully connected network whose gradient is computed by hand with backpropagation.

    Weights are plain tensors (no ``nn.Module``, no autograd). Initialisation follows
    ``nn.Linear``: every :math:`W^{(l)}` and :math:`b^{(l)}` entry is drawn from
    :math:`\mathcal{U}(-1/\sqrt{C_{l-1}}, 1/\sqrt{C_{l-1}})`.

    Args:
        sizes: layer widths :math:`(C_0, C_1, \dots, C_L)`: input features, hidden widths,
            outputs; at least two entries, each >= 1.
        activation: hidden activation :math:`\sigma`, ``"sigmoid"`` or ``"relu"``.
        loss: ``"cross_entropy"`` (softmax + cross-entropy over ``C_L`` classes) or ``"mse"``.
        generator: source of the initial weights.
        dtype: floating dtype of the weights.

    Raises:
        ValueError: on invalid ``sizes``, ``activation`` or ``loss``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        loss: str = "cross_entropy",
        *,
        generator: torch.Generator,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        sizes = tuple(sizes)
        require(len(sizes) >= 2 and all(is_int(c) and c >= 1 for c in sizes), "sizes",
                ">= 2 integers, each >= 1", sizes)
        require(activation in ACTIVATIONS, "activation", f"one of {list(ACTIVATIONS)}",
                activation)
        require(loss in HEADS, "loss", f"one of {list(HEADS)}", loss)
        self.sizes = sizes
        self.activation = activation
        self.loss_name = loss
        self.W: list[Tensor] = []
        self.b: list[Tensor] = []
        for C_in, C_out in zip(sizes[:-1], sizes[1:], strict=True):
            bound = 1.0 / math.sqrt(C_in)
            W = torch.rand(C_in, C_out, generator=generator, dtype=dtype)  # (C_in, C_out)
            b = torch.rand(C_out, generator=generator, dtype=dtype)  # (C_out,)
            self.W.append((2.0 * W - 1.0) * bound)
            self.b.append((2.0 * b - 1.0) * bound)

    @property
    def num_layers(self) -> int:
        r"""Number of weight layers :math:`L` (hidden layers + the output layer)."""
        return len(self.W)

    def _sigma(self, z: Tensor) -> Tensor:
        return torch.sigmoid(z) if self.activation == "sigmoid" else torch.clamp(z, min=0.0)

    def forward(self, x: Tensor) -> Cache:
        r"""Forward pass, recording every pre-activation :math:`z` and activation :math:`a`.

        .. math:: z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}, \qquad a^{(l)} = \sigma(z^{(l)})

        Args:
            x: inputs, shape ``(B, C_0)``.

        Returns:
            The :class:`Cache` of every :math:`z` and :math:`a`; ``cache.output`` is
            :math:`z^{(L)}`, shape ``(B, C_L)``.
        """
        a, z = [x], []
        for i, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            z_l = a[-1] @ W + b  # (B, C_l)  z = a W + b
            z.append(z_l)
            a.append(z_l if i == self.num_layers - 1 else self._sigma(z_l))  # a = σ(z)
        return Cache(a=a, z=z)

    def loss(self, cache: Cache, target: Tensor) -> Tensor:
        r"""The cost :math:`C` of the recorded output: batch-mean cross-entropy or MSE."""
        if self.loss_name == "cross_entropy":
            return cross_entropy(cache.output, target)
        return mse(cache.output, target.reshape(cache.output.shape))

    def output_delta(self, z: Tensor, target: Tensor) -> Tensor:
        r""":math:`\delta^{(L)} = \partial C / \partial z^{(L)}` for this network's loss."""
        if self.loss_name == "cross_entropy":
            return cross_entropy_delta(z, target)
        return mse_delta(z, target)

    def _sigma_prime(self, cache: Cache, i: int) -> Tensor:
        r""":math:`\sigma'(z)` of list index ``i``, from the values the forward pass kept."""
        if self.activation == "sigmoid":
            return sigmoid_prime(cache.a[i + 1])  # σ'(z) = a(1 − a)
        return relu_prime(cache.z[i])  # 1[z > 0]

    def backward(self, cache: Cache, target: Tensor) -> Gradients:
        r"""Backward pass: every gradient by the chain rule, from the output layer to the input.

        .. math::
            \delta^{(L)} = \frac{\partial C}{\partial z^{(L)}}, \qquad
            \frac{\partial C}{\partial W^{(l)}} = a^{(l-1)\top}\delta^{(l)}, \qquad
            \frac{\partial C}{\partial b^{(l)}} = \sum_n \delta^{(l)}_n, \qquad
            \delta^{(l-1)} = \sigma'(z^{(l-1)}) \odot \big(\delta^{(l)} W^{(l)\top}\big)

        Args:
            cache: the forward pass of the batch.
            target: class indices ``(B,)`` for cross-entropy; targets ``(B, C_L)`` (or ``(B,)``
                when ``C_L == 1``) for MSE.

        Returns:
            The :class:`Gradients`, shaped like the weights.
        """
        L = self.num_layers
        dC_dW: list[Tensor] = [torch.empty(0)] * L
        dC_db: list[Tensor] = [torch.empty(0)] * L
        dC_dz: list[Tensor] = [torch.empty(0)] * L
        with torch.no_grad():
            delta = self.output_delta(cache.output, target)  # (B, C_L)  ∂C/∂z^(L)
            for i in reversed(range(L)):
                dC_dz[i] = delta
                dC_dW[i] = cache.a[i].T @ delta  # (C_in, C_out)  Eq.: a^(l-1)ᵀ δ^(l)
                dC_db[i] = delta.sum(dim=0)  # (C_out,)  Eq.: Σ_n δ^(l)_n
                if i > 0:
                    # Eq.: δ^(l-1) = σ'(z^(l-1)) ⊙ (δ^(l) W^(l)ᵀ), the network run in reverse
                    delta = self._sigma_prime(cache, i - 1) * (delta @ self.W[i].T)  # (B, C_in)
        return Gradients(dC_dW=dC_dW, dC_db=dC_db, dC_dz=dC_dz)

    def step(self, grads: Gradients, eta: float) -> None:
        r"""One gradient-descent update in place: :math:`\theta \leftarrow \theta - \eta\,g`."""
        with torch.no_grad():
            for W, b, g_W, g_b in zip(self.W, self.b, grads.dC_dW, grads.dC_db, strict=True):
                W -= eta * g_W  # W ← W − η ∂C/∂W
                b -= eta * g_b  # b ← b − η ∂C/∂b
