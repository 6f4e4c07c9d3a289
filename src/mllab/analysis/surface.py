r"""Error surfaces: the loss along a line and on a plane through the current parameters.

The course draws error surfaces (the loss as a function of two parameters) to show local minima,
saddle points and ravines. For a model with many parameters the surface is a slice:

.. math:: f(\alpha) = L(\theta + \alpha d), \qquad
    f(\alpha, \beta) = L(\theta + \alpha d_1 + \beta d_2).

With a plain Gaussian direction the slice depends on the scale of the weights (a ReLU network
with its weights of one layer scaled by 10 and the next by 1/10 computes the same function but
looks 10 times flatter). Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"
(arXiv:1712.09913) remove this by *filter normalization*: each filter (row) :math:`d_i` of the
random direction gets the norm of the matching filter :math:`\theta_i` of the weights,

.. math:: d_i \leftarrow \frac{d_i}{\lVert d_i \rVert} \lVert \theta_i \rVert.

Differences from the paper: none for weights. For 1-D parameters (biases, normalization scales
and shifts) the direction is zero, as in the paper's code with its default
``ignore='biasbn'``: those parameters stay at their current value along the slice. The loss is
evaluated with ``torch.func.functional_call`` on :math:`\theta + \alpha d`, so the model's own
parameters are never modified (and hence are the same afterwards). Points are evaluated one
at a time (no ``vmap``) so that any model and loss work, dropout included.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from mllab.analysis.hessian import flat_params, model_loss_fn

__all__ = ["filter_normalized_direction", "loss_along_line", "loss_on_plane"]

LossFn = Callable[[Tensor, Tensor], Tensor]


def filter_normalized_direction(model: nn.Module, *, generator: torch.Generator) -> Tensor:
    r"""A random flat direction :math:`d` (``(P,)``) with filter-wise norms of the weights.

    For each parameter of two or more dimensions, seen as rows
    :math:`\theta_i` = ``p[i]`` (an output neuron of a linear layer, an output filter of a
    convolution), a Gaussian :math:`d_i` is drawn and rescaled:

    .. math:: d_i \leftarrow \frac{d_i}{\lVert d_i \rVert} \lVert \theta_i \rVert

    so that :math:`\lVert d_i \rVert = \lVert \theta_i \rVert`. For 1-D parameters (biases,
    norm scales) :math:`d` is zero. The order is that of :func:`mllab.analysis.flat_params`.

    Args:
        model: the network whose parameters set the filter norms.
        generator: draws the Gaussian direction (on the generator's device).

    Returns:
        :math:`d`, shape ``(P,)``, in the parameters' dtype.
    """
    pieces = []
    for p in model.parameters():
        theta = p.detach()
        if theta.ndim <= 1:
            pieces.append(torch.zeros_like(theta).reshape(-1))
            continue
        rows = theta.reshape(theta.shape[0], -1)  # (C_out, rest)
        d = torch.randn(rows.shape, generator=generator, dtype=theta.dtype,
                        device=generator.device).to(theta.device)  # (C_out, rest)
        d_norm = torch.linalg.vector_norm(d, dim=1, keepdim=True)  # (C_out, 1)
        theta_norm = torch.linalg.vector_norm(rows, dim=1, keepdim=True)  # (C_out, 1)
        d = d / d_norm.clamp_min(torch.finfo(d.dtype).tiny) * theta_norm  # d_i/||d_i|| ||θ_i||
        pieces.append(d.reshape(-1))
    return torch.cat(pieces)  # (P,)


def loss_along_line(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor, direction: Tensor,
                    alphas: Tensor) -> Tensor:
    r"""The loss along the line :math:`f(\alpha) = L(\theta + \alpha d)` through the parameters.

    Args:
        model: its current parameters are :math:`\theta` (left unchanged).
        loss_fn: ``loss_fn(model(x), y)`` is the scalar loss.
        x: inputs.
        y: targets.
        direction: :math:`d`, shape ``(P,)``.
        alphas: the :math:`\alpha` values, shape ``(A,)``.

    Returns:
        The losses, shape ``(A,)``, in the parameters' dtype.
    """
    theta = flat_params(model)  # (P,)
    d = _check_direction(direction, theta, "direction")
    f = model_loss_fn(model, loss_fn, x, y)
    with torch.no_grad():
        losses = [f(theta + alpha * d) for alpha in alphas.reshape(-1).tolist()]  # L(θ + α d)
    return torch.stack(losses) if losses else theta.new_empty(0)  # (A,)


def loss_on_plane(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor, d1: Tensor,
                  d2: Tensor, alphas: Tensor, betas: Tensor) -> Tensor:
    r"""The loss on the plane :math:`f(\alpha, \beta) = L(\theta + \alpha d_1 + \beta d_2)`.

    Args:
        model: its current parameters are :math:`\theta` (left unchanged).
        loss_fn: ``loss_fn(model(x), y)`` is the scalar loss.
        x: inputs.
        y: targets.
        d1: :math:`d_1`, shape ``(P,)``.
        d2: :math:`d_2`, shape ``(P,)``.
        alphas: the :math:`\alpha` values, shape ``(A,)`` (rows of the result).
        betas: the :math:`\beta` values, shape ``(B,)`` (columns of the result).

    Returns:
        The losses, shape ``(A, B)``: entry ``[i, j]`` is at ``alphas[i]``, ``betas[j]``.
    """
    theta = flat_params(model)  # (P,)
    d1 = _check_direction(d1, theta, "d1")
    d2 = _check_direction(d2, theta, "d2")
    f = model_loss_fn(model, loss_fn, x, y)
    surface = theta.new_empty(alphas.numel(), betas.numel())  # (A, B)
    with torch.no_grad():
        for i, alpha in enumerate(alphas.reshape(-1).tolist()):
            for j, beta in enumerate(betas.reshape(-1).tolist()):
                surface[i, j] = f(theta + alpha * d1 + beta * d2)  # L(θ + α d1 + β d2)
    return surface


def _check_direction(d: Tensor, theta: Tensor, name: str) -> Tensor:
    r"""Return ``d`` in the dtype and device of :math:`\theta` after checking its shape ``(P,)``."""
    if not isinstance(d, Tensor) or d.shape != theta.shape:
        shape = tuple(d.shape) if isinstance(d, Tensor) else type(d).__name__
        raise ValueError(f"{name} must have shape (P,) = {tuple(theta.shape)}, got {shape}")
    return d.to(theta)
