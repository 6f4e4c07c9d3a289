r"""What the optimizers of :mod:`mllab.optim` share (not public API).

Every optimizer here is a ``torch.optim.Optimizer`` whose :meth:`step` visits each parameter
group once, collects the parameters that have a gradient, and hands whole lists of tensors to
the group's update, written with multi-tensor ops (``torch._foreach_*``): one call updates every
tensor of the group. Nothing groups tensors by device and dtype first; the ``_foreach`` ops
accept mixed lists and fall back to one kernel per tensor where they must.

State is created lazily, at a parameter's first update, like ``torch.optim`` does; its entries
are tensors shaped like the parameter or plain Python numbers, so that
:func:`mllab.train.checkpoint.save_checkpoint` can write tensors to safetensors and the rest
to JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer

from mllab.config import is_real, require


def check_nonnegative(name: str, value: float) -> None:
    r"""A hyperparameter that must be a finite number >= 0 (a learning rate, ``eps``, ...)."""
    require(is_real(value) and math.isfinite(value) and value >= 0, name,
            "a finite number >= 0", value)


def check_unit_interval(name: str, value: float) -> None:
    r"""A decay coefficient in :math:`[0, 1)` (momentum :math:`\lambda`, :math:`\alpha`,
    :math:`\beta`)."""
    require(is_real(value) and 0 <= value < 1, name, "in [0, 1)", value)


def l2_gradient(g: list[Tensor], theta: list[Tensor], weight_decay: float) -> list[Tensor]:
    r"""The gradient of :math:`L(\theta) + \frac{\lambda}{2}\lVert\theta\rVert^2`.

    .. math:: g \leftarrow g + \lambda \theta

    Returns new tensors (the ``.grad`` of each parameter is left as it is), or ``g`` itself
    when :math:`\lambda = 0`.
    """
    if weight_decay == 0:
        return g
    return torch._foreach_add(g, theta, alpha=weight_decay)  # g + λθ


def sqrt_plus_eps(x: list[Tensor], eps: float | list[float], out: list[Tensor] | None = None,
                  *, per_tensor_root: bool | None = None) -> list[Tensor]:
    r"""The denominator of the adaptive methods, :math:`\sqrt{x} + \epsilon`, into ``out``.

    With ``out`` buffers reused from step to step, a step allocates nothing. The root is the
    one operation not written as a ``_foreach`` call on CPU: ``torch._foreach_sqrt`` returns new
    tensors (its ``out`` overload allocates and copies), and a copy followed by
    ``_foreach_sqrt_`` costs one more pass over memory, while on CPU a ``_foreach`` op is itself
    a loop over one kernel per tensor. Elsewhere (CUDA's fused multi-tensor kernels) it is
    the copy and the in-place root (``per_tensor_root`` forces either way; both give the same
    values on any device). ``eps`` may be one number per tensor.
    """
    if out is None:
        out = [torch.empty_like(t, memory_format=torch.preserve_format) for t in x]
    if per_tensor_root is None:
        per_tensor_root = x[0].is_cpu
    if per_tensor_root:
        for xi, oi in zip(x, out, strict=True):
            torch.sqrt(xi, out=oi)  # √x
    else:
        torch._foreach_copy_(out, x)
        torch._foreach_sqrt_(out)  # √x
    torch._foreach_add_(out, eps)  # √x + ε
    return out


def lazy_state(optimizer: Optimizer, theta: list[Tensor], key: str,
               init: Callable[[int], Tensor] | None = None) -> list[Tensor]:
    r"""The state tensor ``key`` of each parameter, created at first use.

    Args:
        optimizer: whose ``state`` holds the tensors.
        theta: the parameters.
        key: the state entry's name.
        init: ``init(i)`` gives the first value for ``theta[i]``'s entry; zeros by default.
    """
    out = []
    for i, p in enumerate(theta):
        s = optimizer.state[p]
        if key not in s:
            s[key] = (torch.zeros_like(p, memory_format=torch.preserve_format) if init is None
                      else init(i))
        out.append(s[key])
    return out


class ForeachOptimizer(Optimizer):
    r"""Base of the course's optimizers: closure handling and one update per param group.

    Subclasses implement :meth:`update`, which receives the group and the parameters that have
    a gradient with those gradients, in the group's order.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float,
                 weight_decay: float, **defaults: Any) -> None:
        check_nonnegative("lr", lr)
        check_nonnegative("weight_decay", weight_decay)
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay, **defaults})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        r"""One update of every parameter that has a gradient.

        Args:
            closure: optional; re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or ``None``.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            theta, g = [], []
            for p in group["params"]:
                if p.grad is not None:
                    if p.grad.is_sparse:
                        raise RuntimeError(f"{type(self).__name__} does not support sparse "
                                           "gradients")
                    theta.append(p)
                    g.append(p.grad)
            if theta:
                self.update(group, theta, g)
        return loss

    def scratch(self, theta: list[Tensor]) -> list[Tensor]:
        r"""A work tensor like each parameter, made once and reused every step.

        Not part of the state (never saved): it only spares the update an allocation per
        step, which for large tensors costs as much as several passes over them (fresh pages
        from the operating system).
        """
        buffers = self.__dict__.setdefault("_scratch", {})
        out = []
        for p in theta:
            if p not in buffers:
                buffers[p] = torch.empty_like(p, memory_format=torch.preserve_format)
            out.append(buffers[p])
        return out

    def update(self, group: dict[str, Any], theta: list[Tensor], g: list[Tensor]) -> None:
        r"""Update ``theta`` in place from its gradients ``g`` (both lists, same order)."""
        raise NotImplementedError
