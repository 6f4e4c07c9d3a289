r"""Model-agnostic meta-learning (Meta Learning lecture; Finn, Abbeel and Levine,
arXiv:1703.03400, Algorithm 1), first-order MAML (the paper's Section 5.2) and ANIL.

For each task :math:`\mathcal{T}_i` with support set (training examples) and query set (test
examples), the inner loop takes :math:`k` gradient steps from the shared initialisation
:math:`\theta`:

.. math:: \phi_i^{(0)} = \theta, \qquad
    \phi_i^{(j+1)} = \phi_i^{(j)} - \alpha \nabla_\phi L^{\text{sup}}_i(\phi_i^{(j)})

and the outer loop minimises the query loss after adaptation,
:math:`L(\theta) = \frac{1}{n}\sum_i L^{\text{qry}}_i(\phi_i^{(k)}(\theta))`. Its gradient
(one inner step) is

.. math:: \nabla_\theta L = \frac{1}{n}\sum_i \big(I - \alpha \nabla^2 L^{\text{sup}}_i(\theta)\big)
    \nabla L^{\text{qry}}_i(\phi_i)

**MAML** keeps the Hessian term: the inner gradients are taken with ``torch.func.grad`` inside
the outer graph, so autograd differentiates through them (second order). **First-order MAML**
detaches the inner gradients, which drops the :math:`\alpha \nabla^2 L^{\text{sup}}` term:
:math:`\nabla_\theta L \approx \frac{1}{n}\sum_i \nabla L^{\text{qry}}_i(\phi_i)`. **ANIL**
(Raghu et al., arXiv:1909.09157) adapts only the head in the inner loop (``adapt``: the names
of the parameters the inner loop changes); the body is learned by the outer loop only.

Differences from the paper: the outer step is the caller's optimizer (the paper's
:math:`\beta` step is plain SGD); the meta-batch is averaged rather than summed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor, nn
from torch.func import functional_call, grad

from mllab.config import is_int, is_real, require

__all__ = ["MAMLConfig", "Task", "adapt", "maml_loss"]

Loss = Callable[[Tensor, Tensor], Tensor]


@dataclass
class Task:
    r"""One task: support set ``(x_s, y_s)`` for the inner loop, query set ``(x_q, y_q)``."""

    x_s: Tensor
    y_s: Tensor
    x_q: Tensor
    y_q: Tensor


@dataclass
class MAMLConfig:
    r"""The inner loop of MAML, first-order MAML and ANIL; validated."""

    alpha: float = 0.01
    r"""Inner-loop step size :math:`\alpha` (> 0)."""
    inner_steps: int = 1
    """Gradient steps :math:`k` on the support set (>= 1)."""
    first_order: bool = False
    """Detach the inner gradients (first-order MAML): no second-order term."""
    adapt: tuple[str, ...] | None = None
    """Prefixes of the parameter names the inner loop adapts (ANIL: the head's, e.g.
    ``("head.",)``); ``None`` adapts all (MAML)."""

    def __post_init__(self) -> None:
        require(is_real(self.alpha) and self.alpha > 0, "alpha", "a number > 0", self.alpha)
        require(is_int(self.inner_steps) and self.inner_steps >= 1, "inner_steps",
                "an integer >= 1", self.inner_steps)
        require(self.adapt is None or (isinstance(self.adapt, tuple) and len(self.adapt) > 0),
                "adapt", "None or a non-empty tuple of name prefixes", self.adapt)


def adapt(model: nn.Module, params: dict[str, Tensor], x: Tensor, y: Tensor, loss_fn: Loss,
          config: MAMLConfig) -> dict[str, Tensor]:
    r"""The inner loop: :math:`k` steps :math:`\phi \leftarrow \phi - \alpha\nabla_\phi
    L^{\text{sup}}(\phi)` from ``params`` on ``(x, y)``; returns all parameters, the
    non-adapted ones unchanged."""
    names = [n for n in params if config.adapt is None or n.startswith(config.adapt)]
    if not names:
        raise ValueError(f"no parameter name starts with {config.adapt}")
    fixed = {n: p for n, p in params.items() if n not in names}

    def support_loss(fast: dict[str, Tensor]) -> Tensor:
        return loss_fn(functional_call(model, {**fixed, **fast}, (x,)), y)

    phi = {n: params[n] for n in names}
    for _ in range(config.inner_steps):
        g = grad(support_loss)(phi)
        if config.first_order:
            g = {n: v.detach() for n, v in g.items()}  # drops the second-order term
        phi = {n: phi[n] - config.alpha * g[n] for n in names}
    return {**fixed, **phi}


def maml_loss(model: nn.Module, tasks: list[Task], loss_fn: Loss, config: MAMLConfig,
              params: dict[str, Tensor] | None = None) -> Tensor:
    r"""The meta-objective :math:`\frac{1}{n}\sum_i L^{\text{qry}}_i(\phi_i(\theta))`;
    ``backward()`` gives the (first-order) MAML meta-gradient in ``model``'s ``.grad``.

    Args:
        model: the network; its parameters are :math:`\theta` unless ``params`` is given.
        tasks: the meta-batch.
        loss_fn: ``loss_fn(prediction, target)``, a scalar (mean over the set).
        config: inner step size and steps, first order or not, what is adapted.
        params: :math:`\theta` as a dict (for ``torch.func`` transforms of this function).
    """
    theta = dict(model.named_parameters()) if params is None else params
    total = 0.0
    for task in tasks:
        phi = adapt(model, theta, task.x_s, task.y_s, loss_fn, config)
        total = total + loss_fn(functional_call(model, phi, (task.x_q,)), task.y_q)
    return total / len(tasks)
