r"""Forward + backward time of mllab's multi-head attention and encoder block against PyTorch's.

One training step's forward and backward (no optimizer), side by side in one process, on the
same input, weights and upstream gradient, at the sizes of issue 11: batch ``B = 32``,
``T = 128`` tokens, ``d = 256``, 8 heads, float32:

1. :class:`mllab.attention.MultiHeadAttention` (its default path: ``q_proj`` / ``k_proj`` /
   ``v_proj``, the fused ``F.scaled_dot_product_attention``, ``out_proj``) as self-attention
   against ``nn.MultiheadAttention(256, 8, batch_first=True)`` with the mllab weights copied in
   (``in_proj_weight = [W^q; W^k; W^v]``), called as ``mha(x, x, x, need_weights=False)``;
2. :class:`mllab.transformer.EncoderBlock` (post-LN, ReLU, ``d_ff = 1024 = 4d``, dropout 0)
   against ``nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.0, batch_first=True)`` with
   the weights copied;
3. for information only (no target): the same two with ``reference=True`` (explicit scores,
   softmax and weighted sum instead of the fused kernel) against the same PyTorch modules;
4. an A/A pair: ``nn.MultiheadAttention`` against a copy of itself (the noise floor).

Both contestants run in training mode (dropout 0), where autograd needs the graph: PyTorch's
inference "fast path" of ``nn.MultiheadAttention`` / ``nn.TransformerEncoderLayer`` does not
apply. A step sets the gradients of the parameters and of the input to ``None``, runs the
forward and calls ``out.backward(grad_out)`` with one fixed upstream gradient. Before timing
the script runs one step of each side from the same state and prints the largest absolute
difference of the outputs and of the gradients (input and every parameter, PyTorch's packed
``in_proj`` gradient compared with mllab's three stacked), in float64 (the same weights and
data cast) and in float32. The float64 check decides: it refuses to time a pair that differs
by more than ``--tolerance`` relative to the largest entry, so both sides compute the same
function. In float32 the two differ by rounding in a different order of operations, and a
ReLU input within rounding of 0 can flip, which moves single entries of the feed-forward
gradients by far more than the rest; those figures are printed for information.

Method (the shared ``benchmarks/timing.py``): warm up, pick per case a number of steps per
repeat that lasts about ``--repeat-ms``, then go round all cases for ``--repeats`` repeats,
the two sides of each case in turn with the order flipped every repeat, and take each side's
fastest repeat; "paired" is the median of the per-repeat ratios. The last line is
``ratio mllab/pytorch (attention, encoder block): <a>, <b>``, each the fastest mllab repeat
over the fastest PyTorch repeat; below 1 means mllab is faster. Targets: attention <= 1.0,
encoder block <= 1.05.

Usage::

    python benchmarks/attention.py [--threads 1] [--repeats 15] [--repeat-ms 300] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

from mllab.attention import MultiHeadAttention
from mllab.transformer import EncoderBlock
from timing import clocked, flipped, paired_median

SEED = 0
B, T, D, HEADS, D_FF = 32, 128, 256, 8, 1024
TARGETS = {"attention": 1.0, "encoder": 1.05}


class Contestant(NamedTuple):
    r"""One side of a comparison: a forward pass and the tensors its backward fills."""

    forward: Callable[[], Tensor]
    leaves: tuple[Tensor, ...]
    r"""The input, then the parameters in a fixed order (``.grad`` reset every step)."""
    grads: Callable[[], list[Tensor]]
    r"""The gradients after a step in one layout common to both sides (for the check)."""


class Case(NamedTuple):
    r"""A pair of contestants doing the same work on the same data."""

    label: str
    kind: str
    r"""``"attention"`` or ``"encoder"`` (default paths, with a target), ``"info"``, ``"A/A"``."""
    mllab: Contestant
    pytorch: Contestant
    grad_out: Tensor


def step(c: Contestant, grad_out: Tensor) -> Tensor:
    r"""One forward + backward; gradients are set to ``None`` first (as ``zero_grad`` does)."""
    for t in c.leaves:
        t.grad = None
    out = c.forward()
    out.backward(grad_out)
    return out


def copy_attention(ours: MultiHeadAttention, theirs: nn.MultiheadAttention) -> None:
    r"""mllab's ``W^q, W^k, W^v`` stacked by rows into ``in_proj_weight``; ``W^O`` as is."""
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight,
                                               ours.v_proj.weight]))  # (3d, d)
        theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias,
                                             ours.v_proj.bias]))  # (3d,)
        theirs.out_proj.load_state_dict(ours.out_proj.state_dict())


def attention_grads(m: MultiHeadAttention) -> list[Tensor]:
    r"""mllab's attention gradients in PyTorch's layout: packed in-projection, then ``W^O``."""
    return [torch.cat([m.q_proj.weight.grad, m.k_proj.weight.grad, m.v_proj.weight.grad]),
            torch.cat([m.q_proj.bias.grad, m.k_proj.bias.grad, m.v_proj.bias.grad]),
            m.out_proj.weight.grad, m.out_proj.bias.grad]


def torch_attention_grads(m: nn.MultiheadAttention) -> list[Tensor]:
    r"""``nn.MultiheadAttention``'s gradients in the order of :func:`attention_grads`."""
    return [m.in_proj_weight.grad, m.in_proj_bias.grad, m.out_proj.weight.grad,
            m.out_proj.bias.grad]


def data(g: torch.Generator, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    r"""The input ``x`` (a leaf needing its gradient) and ``grad_out``, both ``(B, T, d)``;
    drawn in float32 and then cast, so both precisions hold the same values."""
    x = torch.randn(B, T, D, generator=g).to(dtype).requires_grad_()  # (B, T, d)
    return x, torch.randn(B, T, D, generator=g).to(dtype)  # (B, T, d)


def attention_case(label: str, kind: str, g: torch.Generator, dtype: torch.dtype, *,
                   reference: bool = False) -> Case:
    r"""mllab's self-attention against ``nn.MultiheadAttention`` with the same weights."""
    torch.manual_seed(SEED)  # nn.Linear initialises from the global generator
    ours = MultiHeadAttention(D, HEADS, reference=reference).to(dtype)
    theirs = nn.MultiheadAttention(D, HEADS, batch_first=True).to(dtype)
    copy_attention(ours, theirs)
    x, grad_out = data(g, dtype)
    return Case(label, kind,
                Contestant(lambda: ours(x), (x, *ours.parameters()),
                           lambda: [x.grad, *attention_grads(ours)]),
                Contestant(lambda: theirs(x, x, x, need_weights=False)[0],
                           (x, *theirs.parameters()),
                           lambda: [x.grad, *torch_attention_grads(theirs)]),
                grad_out)


def same_as_aa(g: torch.Generator, dtype: torch.dtype) -> Case:
    r"""``nn.MultiheadAttention`` against a deep copy of itself: the noise floor."""
    torch.manual_seed(SEED)
    a = nn.MultiheadAttention(D, HEADS, batch_first=True).to(dtype)
    b = copy.deepcopy(a)
    x, grad_out = data(g, dtype)
    return Case("A/A nn.MultiheadAttention / itself", "A/A",
                Contestant(lambda: a(x, x, x, need_weights=False)[0], (x, *a.parameters()),
                           lambda: [x.grad, *torch_attention_grads(a)]),
                Contestant(lambda: b(x, x, x, need_weights=False)[0], (x, *b.parameters()),
                           lambda: [x.grad, *torch_attention_grads(b)]),
                grad_out)


def encoder_case(label: str, kind: str, g: torch.Generator, dtype: torch.dtype, *,
                 reference: bool = False) -> Case:
    r"""mllab's :class:`EncoderBlock` against ``nn.TransformerEncoderLayer``, same weights."""
    torch.manual_seed(SEED)
    ours = EncoderBlock(D, HEADS, D_FF, reference=reference)
    theirs = nn.TransformerEncoderLayer(D, HEADS, D_FF, dropout=0.0, batch_first=True)
    with torch.no_grad():  # LayerNorm parameters away from (1, 0), so that a swap would show
        for p in (*ours.norm1.parameters(), *ours.norm2.parameters()):
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    ours, theirs = ours.to(dtype), theirs.to(dtype)
    copy_attention(ours.self_attn, theirs.self_attn)
    theirs.linear1.load_state_dict(ours.ffn[0].state_dict())
    theirs.linear2.load_state_dict(ours.ffn[3].state_dict())
    theirs.norm1.load_state_dict(ours.norm1.state_dict())
    theirs.norm2.load_state_dict(ours.norm2.state_dict())
    x, grad_out = data(g, dtype)

    def ours_grads() -> list[Tensor]:
        return [x.grad, *attention_grads(ours.self_attn),
                *(p.grad for m in (ours.ffn[0], ours.ffn[3], ours.norm1, ours.norm2)
                  for p in m.parameters())]

    def theirs_grads() -> list[Tensor]:
        return [x.grad, *torch_attention_grads(theirs.self_attn),
                *(p.grad for m in (theirs.linear1, theirs.linear2, theirs.norm1, theirs.norm2)
                  for p in m.parameters())]

    return Case(label, kind,
                Contestant(lambda: ours(x), (x, *ours.parameters()), ours_grads),
                Contestant(lambda: theirs(x), (x, *theirs.parameters()), theirs_grads),
                grad_out)


def build_cases(dtype: torch.dtype = torch.float32) -> list[Case]:
    r"""Every comparison, default paths first; the same weights and data in every ``dtype``."""
    g = torch.Generator().manual_seed(SEED)
    return [
        attention_case("MultiHeadAttention vs nn.MultiheadAttention", "attention", g, dtype),
        encoder_case("EncoderBlock vs nn.TransformerEncoderLayer", "encoder", g, dtype),
        attention_case("MultiHeadAttention(reference=True) vs nn.MHA", "info", g, dtype,
                       reference=True),
        encoder_case("EncoderBlock(reference=True) vs nn.TEL", "info", g, dtype,
                     reference=True),
        same_as_aa(g, dtype),
    ]


def max_diff(a: list[Tensor], b: list[Tensor]) -> float:
    r"""Largest absolute elementwise difference over pairs of tensors."""
    return max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))


def check_same(case: Case) -> tuple[float, float, float, float]:
    r"""One step of each side from the same state.

    Returns max |Δ| of the outputs and of the gradients, each also relative to the largest
    entry of PyTorch's output or gradients.
    """
    results = []
    for c in (case.mllab, case.pytorch):
        out = step(c, case.grad_out).detach()
        results.append((out, [t.clone() for t in c.grads()]))
    (out_m, grads_m), (out_t, grads_t) = results
    out, grads = max_diff([out_m], [out_t]), max_diff(grads_m, grads_t)
    out_scale = out_t.abs().max().item()
    grad_scale = max(t.abs().max().item() for t in grads_t)
    return out, out / out_scale, grads, grads / grad_scale


def steps_per_repeat(case: Case, repeat_s: float) -> int:
    r"""Warm both sides up and return how many steps last about ``repeat_s`` seconds."""
    best = math.inf
    for c in (case.mllab, case.pytorch):
        for _ in range(2):
            step(c, case.grad_out)
        start = time.perf_counter()
        for _ in range(2):
            step(c, case.grad_out)
        best = min(best, (time.perf_counter() - start) / 2)
    return max(1, round(repeat_s / best))


def time_cases(cases: list[Case], steps: list[int], repeats: int
               ) -> list[dict[str, list[float]]]:
    r"""Seconds per step of each side of each case, one value per repeat.

    Repeats go round all the cases (the two sides' order flips every repeat), so a burst of
    load from another process costs a few samples of every case rather than all of one.
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
    parser.add_argument("--repeat-ms", type=float, default=300.0,
                        help="approximate length of one repeat (sets the steps per repeat)")
    parser.add_argument("--tolerance", type=float, default=1e-10,
                        help="largest relative difference (float64) a pair may show")
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
    cases = build_cases(torch.float32)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   "
          f"repeats: {args.repeats} of ~{args.repeat_ms:g} ms")
    print(f"sizes: B={B} T={T} d={D} heads={HEADS} d_ff={D_FF}, float32, training mode, "
          f"dropout 0; step: grads to None, forward, backward(fixed grad_out)")

    print("same work (max |mllab - pytorch| after one step from the same state; relative to "
          "the largest entry): float64 decides, float32 (timed) for information")
    for case64, case in zip(build_cases(torch.float64), cases, strict=True):
        out, out_rel, grads, grads_rel = check_same(case64)
        out32, _, grads32, grads32_rel = check_same(case)
        print(f"  {case.label:<48} float64: output {out:.2g}, grads {grads:.2g} "
              f"({grads_rel:.1g});  float32: output {out32:.2g}, grads {grads32:.2g} "
              f"({grads32_rel:.1g})")
        if max(out_rel, grads_rel) > args.tolerance:
            raise SystemExit(f"{case.label}: the two sides compute different things")

    steps = [steps_per_repeat(case, args.repeat_ms / 1e3) for case in cases]
    print(f"{'case':<48} {'steps':>5} {'mllab ms':>9} {'torch ms':>9} {'ratio':>6} "
          f"{'paired':>6}")
    ratios: dict[str, float] = {}
    for case, n, per_step in zip(cases, steps, time_cases(cases, steps, args.repeats),
                                 strict=True):
        best_m, best_t = min(per_step["mllab"]), min(per_step["pytorch"])
        paired = paired_median(per_step["mllab"], per_step["pytorch"])
        tag = {"info": "  (information)", "A/A": "  (noise floor)"}.get(case.kind, "")
        if case.kind in TARGETS:
            ratios[case.kind] = best_m / best_t
        print(f"{case.label:<48} {n:>5} {1e3 * best_m:>9.3f} {1e3 * best_t:>9.3f} "
              f"{best_m / best_t:>6.3f} {paired:>6.3f}{tag}")
        spread = [1e3 * v for v in per_step["mllab"]]
        print(f"{'':<48} mllab ms median {statistics.median(spread):.3f}, "
              f"max {max(spread):.3f}")

    print("ratio = fastest mllab repeat / fastest PyTorch repeat; paired = median of the "
          "per-repeat ratios")
    for kind, target in TARGETS.items():
        verdict = "met" if ratios[kind] <= target else "NOT met"
        print(f"target {kind} <= {target:g}: {verdict} ({ratios[kind]:.3f})")
    print(f"ratio mllab/pytorch (attention, encoder block): {ratios['attention']:.3f}, "
          f"{ratios['encoder']:.3f}")


if __name__ == "__main__":
    main()
