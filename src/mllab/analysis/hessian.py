r"""The gradient and the Hessian of a model's loss with respect to all its parameters.

Lecture "When gradient is small: local minimum and saddle point" (類神經網路訓練不起來怎麼辦
(一)). Around a point :math:`\theta'` the loss is approximated by its second-order Taylor series

.. math:: L(\theta) \approx L(\theta') + (\theta - \theta')^\top g
    + \tfrac{1}{2} (\theta - \theta')^\top H (\theta - \theta'),
    \qquad g_i = \frac{\partial L(\theta')}{\partial \theta_i},\quad
    H_{ij} = \frac{\partial^2 L(\theta')}{\partial \theta_i \partial \theta_j}.

Every parameter tensor of the model is flattened and concatenated, in ``model.parameters()``
order, into one vector :math:`\theta \in \mathbb{R}^P`; :math:`g` is then ``(P,)`` and :math:`H`
``(P, P)``. The loss is written as a pure function of :math:`\theta` with
``torch.func.functional_call`` so that ``torch.func`` can differentiate it twice.

Differences from the course: none in the math. The course writes :math:`H` by hand for a
two-parameter network; here it is computed exactly for any model by forward-over-reverse
automatic differentiation (``jacfwd`` of ``grad``), and :func:`hvp` gives :math:`Hv` without
forming :math:`H` (needed for models whose :math:`P \times P` matrix would not fit in memory).

Models with batch normalization or dropout must be in ``eval()`` mode: in training mode a
batch normalization updates its running statistics in place and dropout draws a new mask at
every call, so the loss is not a function of :math:`\theta` alone (and ``torch.func``
transforms refuse both, with messages about in-place operations and vmap randomness).
:func:`model_loss_fn`, on which every model-based function of :mod:`mllab.analysis` is built,
refuses such a model with a ``ValueError`` that says to call ``model.eval()``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call, jacfwd, jacrev, jvp

__all__ = [
    "flat_params",
    "gradient_and_hessian",
    "hvp",
    "hvp_operator",
    "model_loss_fn",
    "set_flat_params",
]

LossFn = Callable[[Tensor, Tensor], Tensor]


def flat_params(model: nn.Module) -> Tensor:
    r"""All parameters of ``model`` as one detached vector :math:`\theta`, shape ``(P,)``.

    The order is ``model.parameters()``; :func:`set_flat_params` and :func:`model_loss_fn`
    use the same order.
    """
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])  # (P,)


def set_flat_params(model: nn.Module, theta: Tensor) -> None:
    r"""Copy the vector :math:`\theta` (``(P,)``, as from :func:`flat_params`) into ``model``.

    Raises:
        ValueError: if ``theta`` is not a vector of length P.
    """
    params = list(model.parameters())
    _check_vector(theta, sum(p.numel() for p in params), "theta")
    with torch.no_grad():
        for p, piece in zip(params, theta.split([p.numel() for p in params]), strict=True):
            p.copy_(piece.view_as(p))


def model_loss_fn(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor
                  ) -> Callable[[Tensor], Tensor]:
    r"""The loss as a pure function of the flat parameters: :math:`f(\theta) = L(\theta)`.

    .. math:: f(\theta) = \mathrm{loss\_fn}\big(\mathrm{model}_\theta(x),\ y\big)

    :math:`\theta` (``(P,)``) is split back into the shapes of ``model.parameters()`` and passed
    to ``torch.func.functional_call``; the model's own parameters are never modified, and its
    buffers are used as they are.

    Args:
        model: the function set; its parameter names and shapes are read now.
        loss_fn: ``loss_fn(prediction, y)`` returning a scalar.
        x: inputs, passed as ``model(x)``.
        y: targets.

    Returns:
        ``f`` mapping a ``(P,)`` tensor to the scalar loss.

    Raises:
        ValueError: a batch normalization that tracks running statistics, or a dropout with
            :math:`p > 0`, is in training mode (call ``model.eval()``).
    """
    _require_eval_mode(model)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [shape.numel() for shape in shapes]

    def f(theta: Tensor) -> Tensor:
        pieces = theta.split(sizes)
        params = {n: t.view(s) for n, t, s in zip(names, pieces, shapes, strict=True)}
        return loss_fn(functional_call(model, params, (x,)), y)

    return f


def gradient_and_hessian(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor
                         ) -> tuple[Tensor, Tensor]:
    r"""Gradient :math:`g` and exact Hessian :math:`H` of the loss at the model's parameters.

    .. math:: g = \nabla L(\theta'), \qquad H = \nabla^2 L(\theta') = \frac{\partial g}{\partial
        \theta}\Big|_{\theta'}

    :math:`H` is the forward-mode Jacobian of the reverse-mode gradient (what
    ``torch.func.hessian`` computes); :math:`g` comes out of the same pass as an auxiliary
    output. Both are in the model's dtype (use float64 for eigenvalue analysis).
    The gradient is taken with ``jacrev``, not ``grad``: ``jacfwd`` over ``grad`` fails on
    ``F.mse_loss`` ("ZeroTensors are immutable") in torch 2.x.

    Returns:
        ``(g, H)`` of shapes ``(P,)`` and ``(P, P)``.
    """
    f = model_loss_fn(model, loss_fn, x, y)
    grad_f = jacrev(f)

    def g_with_aux(theta: Tensor) -> tuple[Tensor, Tensor]:
        g = grad_f(theta)  # (P,)
        return g, g

    H, g = jacfwd(g_with_aux, has_aux=True)(flat_params(model))  # (P, P), (P,)
    return g, H


def hvp_operator(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor
                 ) -> Callable[[Tensor], Tensor]:
    r"""The map :math:`v \mapsto Hv` at the model's current parameters, :math:`H` never formed.

    .. math:: Hv = \frac{d}{dt} \nabla L(\theta' + t v) \Big|_{t=0}

    computed as the forward-mode derivative (``torch.func.jvp``) of the reverse-mode gradient,
    at the cost of about two gradient evaluations. The parameters :math:`\theta'` are read once,
    now; ``v`` is cast to their dtype and device.
    """
    grad_f = jacrev(model_loss_fn(model, loss_fn, x, y))
    theta = flat_params(model)  # (P,)

    def matvec(v: Tensor) -> Tensor:
        _check_vector(v, theta.numel(), "v")
        return jvp(grad_f, (theta,), (v.to(theta),))[1]  # (P,)  Hv

    return matvec


def hvp(model: nn.Module, loss_fn: LossFn, x: Tensor, y: Tensor, v: Tensor) -> Tensor:
    r"""Hessian-vector product :math:`Hv` (``(P,)``) at the model's parameters, without :math:`H`.

    .. math:: Hv = \frac{d}{dt} \nabla L(\theta' + t v) \Big|_{t=0}

    For many products at the same point, build the map once with :func:`hvp_operator`.
    """
    return hvp_operator(model, loss_fn, x, y)(v)


def _dropout_in_training(m: nn.Module) -> bool:
    return m.training and isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0


def _running_stats_in_training(m: nn.Module) -> bool:
    r"""Any module with running statistics (``nn.BatchNorm*``, :class:`mllab.nn.BatchNorm`, a
    tracking ``nn.InstanceNorm*``) in training mode."""
    return m.training and getattr(m, "running_mean", None) is not None


def _require_eval_mode(model: nn.Module) -> None:
    r"""Raise ``ValueError`` naming every submodule of ``model`` that would change between two
    evaluations of the loss: running statistics or dropout in training mode."""
    norms = [(n, m) for n, m in model.named_modules() if _running_stats_in_training(m)]
    dropouts = [(n, m) for n, m in model.named_modules() if _dropout_in_training(m)]
    if not norms and not dropouts:
        return
    found = [f"'{n}' ({type(m).__name__})" if n else f"the model ({type(m).__name__})"
             for n, m in norms + dropouts]
    reasons = (["batch normalization would normalize with the batch's statistics and update "
                "its running ones"] if norms else []) + \
              (["dropout would draw a new mask at every evaluation"] if dropouts else [])
    raise ValueError(f"{', '.join(found)} {'is' if len(found) == 1 else 'are'} in training "
                     f"mode: {' and '.join(reasons)}, so the loss is not a function of the "
                     "parameters alone (torch.func refuses it); call model.eval() first")


def _check_vector(v: Tensor, P: int, name: str) -> None:
    r"""Raise ``ValueError`` unless ``v`` is a tensor of shape ``(P,)``."""
    if not isinstance(v, Tensor) or v.shape != (P,):
        shape = tuple(v.shape) if isinstance(v, Tensor) else type(v).__name__
        raise ValueError(f"{name} must be a vector of shape (P,) = ({P},), got {shape}")
