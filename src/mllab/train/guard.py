r"""The NaN/inf guard: no optimizer steps with a gradient that is not finite.

:func:`mllab.train.run_loop` registers :func:`finite_gradients_hook` as a pre-step hook
(``Optimizer.register_step_pre_hook``) on every optimizer of the state while it runs,
so an algorithm's own ``optimizer.step()`` calls are guarded without a line of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from mllab.train.state import LoopState


class NonFiniteLossError(RuntimeError):
    r"""The loss or a gradient became NaN/inf; training stopped before the optimizer step."""


class FiniteGradients:
    r"""Whether every gradient of some parameters is finite: one fused pass per (device,
    dtype), the kernel ``torch.amp.GradScaler`` uses, with scale 1 so the gradients stay as
    they are. Built once per set of parameters; calling it costs one sync per group."""

    def __init__(self, params: list[Tensor]) -> None:
        groups: dict[tuple, list[Tensor]] = {}
        for p in params:
            groups.setdefault((p.device, p.dtype), []).append(p)
        self.groups = [(ps, torch.zeros(1, device=d), torch.ones(1, device=d))
                       for (d, _), ps in groups.items()]

    def __call__(self) -> bool:
        found = 0.0
        for params, flag, one in self.groups:
            grads = [p.grad for p in params if p.grad is not None]
            if grads:
                flag.zero_()
                torch._amp_foreach_non_finite_check_and_unscale_(grads, flag, one)
                found += flag.item()
        return found == 0.0


def finite_gradients_hook(name: str, state: LoopState) -> Callable:
    r"""A pre-step hook for optimizer ``name`` that refuses non-finite gradients (built anew
    when ``add_param_group`` has added parameters)."""
    check: FiniteGradients | None = None
    groups_seen = 0

    def hook(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
        nonlocal check, groups_seen
        if groups_seen != len(optimizer.param_groups):
            groups_seen = len(optimizer.param_groups)
            check = FiniteGradients([p for g in optimizer.param_groups for p in g["params"]])
        if not check():
            raise NonFiniteLossError(
                f"non-finite gradient for {name!r} at step {state.step + 1}: training stopped "
                f"before the optimizer step; weights are those after step {state.step}")
    return hook


__all__ = ["FiniteGradients", "NonFiniteLossError", "finite_gradients_hook"]
