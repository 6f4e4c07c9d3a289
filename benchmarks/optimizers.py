r"""Step time of :mod:`mllab.optim`'s optimizers against ``torch.optim``'s multi-tensor ones.

Each mllab optimizer runs beside the ``torch.optim`` implementation of the same algorithm,
created with ``foreach=True`` (its multi-tensor path), on the same work:

| mllab | torch.optim |
|---|---|
| ``GradientDescent(lr)`` | ``SGD(lr)`` |
| ``Momentum(lr, momentum=0.9)`` | ``SGD(lr, momentum=0.9)`` |
| ``Adagrad(lr)`` | ``Adagrad(lr)`` |
| ``Adam(lr)`` | ``Adam(lr)`` |
| ``RMSProp(lr, alpha=0.9)`` | ``RMSprop(lr, alpha=0.9)`` (for information: torch starts its
  mean square from zero, the course from :math:`(g^0)^2`; the work per step is the same) |
| ``A/A SGD``: ``torch.optim.SGD(lr)`` | ``SGD(lr)``, the same: the noise floor of the method |

Models: ``--layers`` square ``nn.Linear(width, width)`` layers (float32) of about 1M
(width 500) and 10M (width 1580) parameters. Their gradients are set once, to fixed random
values, so a step is the optimizer's work alone. Both optimizers of a pair start from the same
weights; after the warm-up steps the script prints how far apart their weights are (they
should agree to float32 rounding; RMSProp excepted).

Method: warm up (the lazily created state exists and momentum is past its first step), then
over ``--repeats`` repeats time 10 (~1M) or 3 (~10M) calls of ``optimizer.step()`` for each,
the order flipping every repeat, and keep each one's fastest repeat: on a shared machine other
processes only ever add time. Columns: each one's fastest repeat in ms per step, ``ratio``
(mllab / torch of those), ``paired`` (the median over repeats of the per-repeat ratio) and the
largest weight difference after the warm-up. The last line is the worst of the ratios
mllab / torch of the four targeted algorithms over both sizes: ``ratio mllab/torch (worst of
SGD, momentum, Adagrad, Adam): <ratio>``; below 1 means mllab is faster.

Usage::

    python benchmarks/optimizers.py [--threads 1] [--repeats 30] [--layers 4] [--quick]
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from mllab.optim import Adagrad, Adam, GradientDescent, Momentum, RMSProp
from timing import clocked, fastest, interleave, paired_median

MakeOptimizer = Callable[[list[nn.Parameter]], torch.optim.Optimizer]
SEED = 0
SIZES = {"~1M": 500, "~10M": 1580}  # width of the square layers
STEPS = {"~1M": 10, "~10M": 3}  # optimizer steps per timed repeat


@dataclass
class Pair:
    r"""An mllab optimizer and the ``torch.optim`` one that computes the same algorithm."""

    name: str
    mllab: MakeOptimizer
    torch: MakeOptimizer
    targeted: bool = True
    same_values: bool = True


PAIRS = [
    Pair("SGD", lambda p: GradientDescent(p, lr=1e-3),
         lambda p: torch.optim.SGD(p, lr=1e-3, foreach=True)),
    Pair("momentum", lambda p: Momentum(p, lr=1e-3, momentum=0.9),
         lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, foreach=True)),
    Pair("Adagrad", lambda p: Adagrad(p, lr=1e-2),
         lambda p: torch.optim.Adagrad(p, lr=1e-2, foreach=True)),
    Pair("Adam", lambda p: Adam(p, lr=1e-3),
         lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True)),
    Pair("RMSProp", lambda p: RMSProp(p, lr=1e-3, alpha=0.9),
         lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, foreach=True),
         targeted=False, same_values=False),
    Pair("A/A SGD", lambda p: torch.optim.SGD(p, lr=1e-3, foreach=True),
         lambda p: torch.optim.SGD(p, lr=1e-3, foreach=True), targeted=False),
]


def make_params(width: int, layers: int) -> list[nn.Parameter]:
    r"""The parameters of ``layers`` ``nn.Linear(width, width)``, with fixed random gradients."""
    torch.manual_seed(SEED)
    model = nn.Sequential(*(nn.Linear(width, width) for _ in range(layers)))
    params = list(model.parameters())
    g = torch.Generator().manual_seed(SEED + 1)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g)
    return params


def clone_params(params: list[nn.Parameter]) -> list[nn.Parameter]:
    r"""Independent copies of ``params`` and of their gradients."""
    out = []
    for p in params:
        q = nn.Parameter(p.detach().clone())
        q.grad = p.grad.clone()
        out.append(q)
    return out


def time_steps(optimizer: torch.optim.Optimizer, steps: int) -> float:
    r"""Seconds for ``steps`` calls of ``optimizer.step()``."""
    def run() -> None:
        for _ in range(steps):
            optimizer.step()
    return clocked(run, collect=False)[0]


def run_pair(pair: Pair, width: int, layers: int, steps: int, repeats: int,
             warmup: int) -> dict[str, float]:
    r"""Time one pair on one model size; return per-step minima, paired median, agreement."""
    base = make_params(width, layers)
    params = {"mllab": clone_params(base), "torch": clone_params(base)}  # allocated alike
    del base
    opts = {"mllab": pair.mllab(params["mllab"]), "torch": pair.torch(params["torch"])}
    for _ in range(warmup):
        for opt in opts.values():
            opt.step()
    diff = max((a - b).abs().max().item()
               for a, b in zip(params["mllab"], params["torch"], strict=True))
    gc.collect()
    times = interleave(("mllab", "torch"), repeats,
                       lambda name: time_steps(opts[name], steps) / steps)
    return {**fastest(times), "paired": paired_median(times["mllab"], times["torch"]),
            "diff": diff}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=30, help="timed repeats per optimizer")
    parser.add_argument("--layers", type=int, default=4, help="square linear layers per model")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats of 2 steps")
    args = parser.parse_args(argv)
    for name in ("threads", "repeats", "layers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"repeats: {3 if args.quick else args.repeats} (fastest kept), order flipped "
          "every repeat; torch.optim with foreach=True")
    print(f"{'model':>6} {'optimizer':>9} {'mllab ms':>9} {'torch ms':>9} {'ratio':>6} "
          f"{'paired':>6} {'max|Δθ|':>8}")
    worst = 0.0
    for size, width in SIZES.items():
        n = args.layers * (width * width + width)
        steps = 2 if args.quick else STEPS[size]
        for pair in PAIRS:
            res = run_pair(pair, width, args.layers, steps, 3 if args.quick else args.repeats,
                           warmup=3)
            ratio = res["mllab"] / res["torch"]
            if pair.targeted:
                worst = max(worst, ratio)
            diff = f"{res['diff']:8.1e}" if pair.same_values else "   (n/a)"
            print(f"{size:>6} {pair.name:>9} {1e3 * res['mllab']:9.3f} "
                  f"{1e3 * res['torch']:9.3f} {ratio:6.3f} {res['paired']:6.3f} {diff}")
        print(f"       ({size}: {args.layers} x Linear({width}, {width}), {n:,} parameters, "
              f"{steps} steps per repeat)")
    print(f"ratio mllab/torch (worst of SGD, momentum, Adagrad, Adam): {worst:.3f}")


if __name__ == "__main__":
    main()
