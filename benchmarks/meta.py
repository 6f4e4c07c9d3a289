r"""One MAML meta-update of :func:`mllab.meta.meta_step` against the same computation written
directly with ``torch.func`` in this script.

The work is the MAML paper's sinusoid regression (arXiv:1703.03400, §5.1): an MLP 1 → 40 → 40
→ 1 (ReLU), a meta-batch of 25 tasks with K = 10 support and 10 query points each
(:func:`mllab.meta.sinusoid_tasks`, drawn once before the clock starts, so that neither side
pays for sampling), one inner step of :math:`\alpha = 0.01` kept in the outer graph (second
order), the mean query MSE, one Adam step (:math:`\eta = 10^{-3}`). The hand side: per task,
``torch.func.grad`` of the support loss through ``functional_call``,
:math:`\phi = \theta - \alpha\nabla`, the query loss at :math:`\phi`; their mean, backward,
``optimizer.step()``. Before any timing one update of each, from the same weights, is checked
to give bitwise-equal parameters.

Method (``benchmarks/timing.py``): warm up, then the sides in turn over ``--repeats`` repeats
of ``--updates`` updates (order flipped every repeat), each side's fastest repeat; an A/A pair
(the hand side against itself) shows the noise floor. The last line is ``ratio
mllab/torch.func: <min mllab / min hand>``; below 1 means mllab is faster.

Usage::

    python benchmarks/meta.py [--threads 1] [--updates 10] [--repeats 15] [--quick]
"""

from __future__ import annotations

import argparse
import copy

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad

from mllab.meta import MAMLConfig, MetaState, Task, meta_step, sinusoid_tasks
from timing import clocked, interleave, report

ALPHA, TASKS, K, LR = 0.01, 25, 10, 1e-3


def mse(prediction: Tensor, y: Tensor) -> Tensor:
    return ((prediction - y) ** 2).mean()


def with_mllab(model: nn.Module, tasks: list[Task]):
    state = MetaState(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=LR),
                      generator=torch.Generator(), sample_tasks=lambda g: tasks)
    step = meta_step(MAMLConfig(alpha=ALPHA, inner_steps=1), mse)
    return lambda: step(state)


def by_hand(model: nn.Module, tasks: list[Task]):
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def update() -> None:
        theta = dict(model.named_parameters())
        optimizer.zero_grad()
        total = 0.0
        for task in tasks:
            def support(p: dict[str, Tensor], task: Task = task) -> Tensor:
                return mse(functional_call(model, p, (task.x_s,)), task.y_s)

            g = grad(support)(theta)  # inside the outer graph: second order
            phi = {n: theta[n] - ALPHA * g[n] for n in theta}
            total = total + mse(functional_call(model, phi, (task.x_q,)), task.y_q)
        loss = total / len(tasks)
        loss.backward()
        optimizer.step()

    return update


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--updates", type=int, default=10, help="meta-updates per repeat")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per side")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats of 2")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.updates = 3, 2
    for name in ("threads", "updates", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    init = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(),
                         nn.Linear(40, 1))
    tasks = sinusoid_tasks(torch.Generator().manual_seed(0), n=TASKS, k_support=K, k_query=K)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"MAML, second order, 1 inner step of {ALPHA}: MLP 1-40-40-1, {TASKS} tasks of K = {K} "
          f"support and {K} query points, Adam {LR}   {args.updates} updates x "
          f"{args.repeats} repeats")
    a, b = copy.deepcopy(init), copy.deepcopy(init)
    with_mllab(a, tasks)()
    by_hand(b, tasks)()
    same = all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    print(f"bitwise-equal parameters after one update: {same}")
    if not same:
        raise SystemExit("the two updates differ: nothing to time")
    sides = {"mllab": with_mllab(copy.deepcopy(init), tasks),
             "torch.func": by_hand(copy.deepcopy(init), tasks),
             "torch.func-again": by_hand(copy.deepcopy(init), tasks)}

    def measure(name: str) -> float:
        return clocked(lambda: [sides[name]() for _ in range(args.updates)])[0] / args.updates

    interleave(list(sides), 2, measure)  # warm-up
    seconds = interleave(list(sides), args.repeats, measure)
    report(seconds, "torch.func", "ms per update")

if __name__ == "__main__":
    main()
