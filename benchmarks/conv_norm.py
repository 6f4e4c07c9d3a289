r"""Forward + backward time of mllab's CNN and BatchNorm against the same PyTorch modules.

One training step's forward and backward (no optimizer), side by side in one process, on the
same inputs, weights and upstream gradient:

1. :class:`mllab.nn.CNN` (its default path: ``nn.Conv2d`` / ``nn.ReLU`` / ``nn.MaxPool2d``
   inside an mllab ``forward``) against an ``nn.Sequential`` of ``nn.Conv2d``, ``nn.ReLU``,
   ``nn.MaxPool2d``, ``nn.Flatten`` and ``nn.Linear`` with the same shapes and the mllab
   network's weights copied in; ``CNNConfig()`` (16, 32 channels) on a digits-shaped batch
   ``(128, 1, 8, 8)``, and a larger ``CNNConfig(image_size=32, channels=(32, 64))`` on
   ``(128, 1, 32, 32)``;
2. :class:`mllab.nn.BatchNorm` (default path, ``F.batch_norm``) in training mode against
   ``nn.BatchNorm2d`` on ``(64, 32, 16, 16)`` and ``nn.BatchNorm1d`` on ``(256, 512)``;
3. for information only (no target): the lecture's :func:`mllab.nn.conv2d_reference` against
   ``F.conv2d`` on ``(64, 16, 16, 16)`` with 32 filters 3×3, padding 1, and
   ``BatchNorm(reference=True)`` against ``nn.BatchNorm2d`` on ``(64, 32, 16, 16)``.

A step sets the gradients of the step's leaves (parameters, and the input where it needs a
gradient: every case but the CNNs, whose input is data) to ``None``, runs the forward and
calls ``out.backward(grad_out)`` with one fixed upstream gradient. BatchNorm in training mode
also updates its running statistics and batch count, in both contestants. Before timing, the
script runs one step of each contestant from the same state and prints the largest absolute
difference of the outputs, of the gradients and (BatchNorm) of the running statistics: the
default paths are expected to agree exactly, the reference ones to rounding.

Method: warm up, pick per case a number of steps per repeat that lasts about ``--repeat-ms``,
then run the two contestants in turn for ``--repeats`` repeats (the order flips every repeat;
each repeat goes round all the cases) and take each one's fastest repeat: on a shared machine
other processes only ever add time. The last line is ``ratio mllab/pytorch (worst default
path): <max over the four default-path cases of min mllab / min PyTorch>``; below 1 means
mllab is faster.

Usage::

    python benchmarks/conv_norm.py [--threads 1] [--repeats 15] [--repeat-ms 200] [--quick]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.nn import CNN, TORCH_PARAMETER_NAMES, BatchNorm, CNNConfig, conv2d_reference
from timing import clocked, flipped, paired_median

SEED = 0
CNN_BATCH = 128
LARGE_CNN = CNNConfig(image_size=32, channels=(32, 64))


class Contestant(NamedTuple):
    r"""One side of a comparison: a forward pass and the tensors its backward fills."""

    forward: Callable[[], Tensor]
    leaves: tuple[Tensor, ...]
    r"""Parameters (and the input where it needs a gradient); ``.grad`` reset every step."""
    buffers: tuple[Tensor, ...] = ()
    r"""State the step updates besides gradients (BatchNorm's running statistics)."""


class Case(NamedTuple):
    r"""A pair of contestants doing the same work on the same data."""

    label: str
    mllab: Contestant
    pytorch: Contestant
    grad_out: Tensor
    default: bool
    r"""True for mllab's default paths (target ratio <= 1.05); False: information only."""


def step(c: Contestant, grad_out: Tensor) -> Tensor:
    r"""One forward + backward; gradients are set to ``None`` first (as ``zero_grad`` does)."""
    for t in c.leaves:
        t.grad = None
    out = c.forward()
    out.backward(grad_out)
    return out


def torch_cnn(config: CNNConfig) -> nn.Sequential:
    r"""The network :class:`CNN` builds, written directly with PyTorch modules."""
    k = config.kernel_size
    layers: list[nn.Module] = []
    c_in = config.in_channels
    for c_out in config.channels:
        layers += [nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.ReLU()]
        layers += [nn.MaxPool2d(2)] if config.pool else []
        c_in = c_out
    layers.append(nn.Flatten())
    n_in = config.flat_features
    if config.hidden > 0:
        layers += [nn.Linear(n_in, config.hidden), nn.ReLU()]
        n_in = config.hidden
    layers.append(nn.Linear(n_in, config.num_classes))
    return nn.Sequential(*layers)


def cnn_case(label: str, config: CNNConfig, g: torch.Generator) -> Case:
    r"""mllab's :class:`CNN` against :func:`torch_cnn` with the same weights."""
    torch.manual_seed(SEED)  # nn.Conv2d / nn.Linear initialise from the global generator
    ours, theirs = CNN(config), torch_cnn(config)
    with torch.no_grad():
        for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
            assert p_ours.shape == p_theirs.shape
            p_theirs.copy_(p_ours)
    size = config.image_size
    x = torch.randn(CNN_BATCH, config.in_channels, size, size, generator=g)  # (B, C, H, W)
    grad_out = torch.randn(CNN_BATCH, config.num_classes, generator=g)  # (B, K)
    return Case(label,
                Contestant(lambda: ours(x), tuple(ours.parameters())),
                Contestant(lambda: theirs(x), tuple(theirs.parameters())),
                grad_out, default=True)


def bn_case(label: str, shape: tuple[int, ...], g: torch.Generator, *,
            reference: bool = False) -> Case:
    r"""mllab's :class:`BatchNorm` against ``nn.BatchNorm1d`` / ``2d`` on input ``shape``."""
    C = shape[1]
    ours = BatchNorm(C, reference=reference)
    theirs = nn.BatchNorm2d(C) if len(shape) == 4 else nn.BatchNorm1d(C)
    with torch.no_grad():
        ours.gamma.copy_(1.0 + 0.1 * torch.randn(C, generator=g))  # (C,)
        ours.beta.copy_(0.1 * torch.randn(C, generator=g))  # (C,)
    theirs.load_state_dict({TORCH_PARAMETER_NAMES.get(k, k): v
                            for k, v in ours.state_dict().items()})
    x = (2.0 + 3.0 * torch.randn(shape, generator=g)).requires_grad_()  # (B, C[, H, W])
    grad_out = torch.randn(shape, generator=g)
    return Case(label,
                Contestant(lambda: ours(x), (x, ours.gamma, ours.beta),
                           (ours.running_mean, ours.running_var)),
                Contestant(lambda: theirs(x), (x, theirs.weight, theirs.bias),
                           (theirs.running_mean, theirs.running_var)),
                grad_out, default=not reference)


def conv_reference_case(g: torch.Generator) -> Case:
    r"""The lecture's :func:`conv2d_reference` against ``F.conv2d`` (information only)."""
    x = torch.randn(64, 16, 16, 16, generator=g).requires_grad_()  # (B, C_in, H, W)
    weight = (torch.randn(32, 16, 3, 3, generator=g) / 12.0).requires_grad_()  # (C_out, C_in, k, k)
    bias = (0.1 * torch.randn(32, generator=g)).requires_grad_()  # (C_out,)
    grad_out = torch.randn(64, 32, 16, 16, generator=g)  # (B, C_out, H, W)
    leaves = (x, weight, bias)
    return Case("conv2d_reference vs F.conv2d (64,16,16,16)->32, 3x3",
                Contestant(lambda: conv2d_reference(x, weight, bias, padding=1), leaves),
                Contestant(lambda: F.conv2d(x, weight, bias, padding=1), leaves),
                grad_out, default=False)


def build_cases(g: torch.Generator) -> list[Case]:
    r"""Every comparison, default paths first."""
    return [
        cnn_case("CNN CNNConfig() (16,32) on (128,1,8,8)", CNNConfig(), g),
        cnn_case("CNN (32,64) image 32 on (128,1,32,32)", LARGE_CNN, g),
        bn_case("BatchNorm vs BatchNorm2d (64,32,16,16)", (64, 32, 16, 16), g),
        bn_case("BatchNorm vs BatchNorm1d (256,512)", (256, 512), g),
        conv_reference_case(g),
        bn_case("BatchNorm(reference=True) vs 2d (64,32,16,16)", (64, 32, 16, 16), g,
                reference=True),
    ]


def max_diff(a: list[Tensor], b: list[Tensor]) -> float:
    r"""Largest absolute elementwise difference over pairs of tensors."""
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


def check_same(case: Case) -> tuple[float, float, float, float | None]:
    r"""One step of each side from the same state.

    Returns max |Δ| of the outputs, of the gradients, the latter relative to the largest
    gradient entry, and max |Δ| of the buffers (``None`` without buffers).
    """
    results = []
    for c in (case.mllab, case.pytorch):
        out = step(c, case.grad_out).detach()
        grads = [t.grad.clone() for t in c.leaves]
        results.append((out, grads, [b.clone() for b in c.buffers]))
    (out_m, grads_m, buf_m), (out_t, grads_t, buf_t) = results
    buffers = max_diff(buf_m, buf_t) if buf_m else None
    grads = max_diff(grads_m, grads_t)
    scale = max(g.abs().max().item() for g in grads_t)
    return max_diff([out_m], [out_t]), grads, grads / scale, buffers


def steps_per_repeat(case: Case, repeat_s: float) -> int:
    r"""Warm both sides up and return how many steps last about ``repeat_s`` seconds."""
    best = math.inf
    for c in (case.mllab, case.pytorch):
        for _ in range(3):
            step(c, case.grad_out)
        start = time.perf_counter()
        for _ in range(3):
            step(c, case.grad_out)
        best = min(best, (time.perf_counter() - start) / 3)
    return max(1, round(repeat_s / best))


def time_cases(cases: list[Case], steps: list[int], repeats: int
               ) -> list[dict[str, list[float]]]:
    r"""Seconds per step of each side of each case, one value per repeat.

    Repeats go round all the cases (the order of the two sides flips every repeat), so each
    case's samples spread over the whole run rather than one window of it: a burst of load
    from another process then costs a few samples of every case, not all of one.
    """
    per_step: list[dict[str, list[float]]] = [{"mllab": [], "pytorch": []} for _ in cases]
    for r in range(repeats):
        for case, n, times in zip(cases, steps, per_step, strict=True):
            for name in flipped(times, r):
                c = getattr(case, name)

                def run(c=c, n=n, case=case) -> None:
                    for _ in range(n):
                        step(c, case.grad_out)
                times[name].append(clocked(run)[0] / n)
    return per_step


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per contestant")
    parser.add_argument("--repeat-ms", type=float, default=200.0,
                        help="approximate length of one repeat (sets the steps per repeat)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms = 2, 5.0
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be >= 1")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(SEED)
    cases = build_cases(g)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   "
          f"repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    print("step: grads to None, forward, backward(fixed grad_out); no optimizer")

    print("same work (max |mllab - pytorch| after one step from the same state):")
    for case in cases:
        out, grads, relative, buffers = check_same(case)
        extra = "" if buffers is None else f"  running stats {buffers:.3g}"
        print(f"  {case.label:<52} output {out:.3g}  grads {grads:.3g} "
              f"(relative {relative:.2g}){extra}")

    print(f"{'case':<52} {'steps':>5} {'mllab ms':>9} {'torch ms':>9} {'ratio':>6} "
          f"{'median':>6}")
    steps = [steps_per_repeat(case, args.repeat_ms / 1e3) for case in cases]
    ratios: dict[str, float] = {}
    for case, n, per_step in zip(cases, steps, time_cases(cases, steps, args.repeats),
                                 strict=True):
        best_m, best_t = min(per_step["mllab"]), min(per_step["pytorch"])
        paired = paired_median(per_step["mllab"], per_step["pytorch"])
        ratios[case.label] = best_m / best_t
        tag = "" if case.default else "  (information)"
        print(f"{case.label:<52} {n:>5} {1e3 * best_m:>9.3f} {1e3 * best_t:>9.3f} "
              f"{best_m / best_t:>6.3f} {paired:>6.3f}{tag}")

    defaults = [case for case in cases if case.default]
    cnn = max(ratios[c.label] for c in defaults if c.label.startswith("CNN"))
    bn = max(ratios[c.label] for c in defaults if c.label.startswith("BatchNorm"))
    worst = max(cnn, bn)
    print("ratio = fastest mllab repeat / fastest PyTorch repeat; median = of per-repeat ratios")
    print(f"ratio mllab/pytorch (default CNN path, BatchNorm; worst shape each): "
          f"{cnn:.3f}, {bn:.3f}")
    print(f"target <= 1.05 on the default paths: {'met' if worst <= 1.05 else 'NOT met'}")
    print(f"ratio mllab/pytorch (worst default path): {worst:.3f}")


if __name__ == "__main__":
    main()
