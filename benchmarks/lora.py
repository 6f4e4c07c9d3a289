r"""LoRA's forward + backward in mllab against the ``peft`` library's LoRA on the same base.

Work: the same frozen base model, adapted by :func:`mllab.peft.apply_lora` on one side and by
``peft.get_peft_model(base, LoraConfig(target_modules=..., r=8, lora_alpha=16,
lora_dropout=0.0))`` on the other (a deep copy of the same base; the adapter matrices copied
from mllab's, with :math:`B \ne 0` so that the update counts), float32, training mode:

- ``stack``: four ``nn.Linear(512, 512)`` with GELU between them, every layer adapted, on
  ``N = 256`` input rows: the adapters and their wrappers are a visible share of the work;
- ``bert``: :class:`mllab.pretraining.Bert` (``V = 4001``, ``d = 256``, 4 heads, ``d_ff =
  1024``, 2 blocks), ``q_proj`` and ``v_proj`` adapted (the paper's choice), on ``B = 16``
  sequences of ``T = 128`` tokens: the adapters are a small share of a real model.

A training step sets the gradients of ``A`` and ``B`` to ``None``, runs the forward and calls
``out.backward(grad_out)`` with one fixed upstream gradient (no optimizer: the base is frozen
and the adapters' update is the optimizers benchmark's business). Merged: after
``LoRALinear.merge`` and ``PeftModel.merge_adapter`` (:math:`W = W_0 + \frac{\alpha}{r} BA`,
wrappers kept) a forward pass under ``torch.inference_mode``, the use merging is for; each
side then costs its base plus its wrapper's bookkeeping.

Same values, checked before timing: in float64 (the same weights and data cast) the largest
difference of the outputs (unmerged and merged) and of every adapter gradient, relative to the
largest entry of ``peft``'s; the script refuses to time a pair above ``--tolerance``. The same
in float32 is printed for information.

Method (the shared ``benchmarks/timing.py``): warm up, pick per side a number of calls per
repeat that lasts about ``--repeat-ms``, then ``--repeats`` repeats going round every side of
every case, the order flipped every repeat; each side's fastest repeat, and "paired", the
median of the per-repeat ratios. An A/A pair (``peft``'s model against a deep copy of itself,
unmerged, each base) shows the run's noise floor. Target <= 1.0 for all four ratios; the last
line is ``ratio mllab/peft LoRA forward+backward (stack, bert): <a>, <b>``.

Usage::

    python benchmarks/lora.py [--threads 1] [--repeats 10] [--repeat-ms 300] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import statistics
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

import peft
from mllab.peft import LoRALinear, apply_lora
from mllab.pretraining import Bert, BertConfig
from timing import clocked, fastest, interleave, paired_median

SEED = 0
R, ALPHA = 8, 16.0
TARGET = 1.0


class Stack(nn.Module):
    r"""Four ``nn.Linear(C, C)`` with GELU between them."""

    def __init__(self, C: int = 512) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.fc4 = (nn.Linear(C, C) for _ in range(4))
        self.act = nn.GELU()

    def forward(self, x: Tensor) -> Tensor:
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.act(fc(x))
        return self.fc4(x)


class Case(NamedTuple):
    r"""One base adapted both ways, its input and upstream gradient."""

    ours: nn.Module
    theirs: peft.PeftModel
    targets: tuple[str, ...]
    x: Tensor
    grad_out: Tensor


def lora_pairs(case: Case) -> list[tuple[LoRALinear, nn.Module]]:
    r"""Each mllab adapter and ``peft``'s adapter of the same layer."""
    base = case.theirs.base_model.model
    return [(m, base.get_submodule(name)) for name, m in case.ours.named_modules()
            if isinstance(m, LoRALinear)]


def adapter_params(case: Case) -> tuple[list[Tensor], list[Tensor]]:
    r"""``[A, B, ...]`` of each side, in the same order."""
    pairs = lora_pairs(case)
    return ([p for m, _ in pairs for p in (m.A, m.B)],
            [p for _, m in pairs for p in (m.lora_A["default"].weight,
                                          m.lora_B["default"].weight)])


def build(label: str, dtype: torch.dtype) -> Case:
    r"""The base of ``label`` with seeded weights, adapted both ways, in ``dtype``."""
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    if label == "stack":
        base, targets = Stack(), ("fc1", "fc2", "fc3", "fc4")
        x = torch.randn(256, 512, generator=g)  # (N, C)
    else:
        base, targets = Bert(BertConfig(vocab=4001, d_model=256, num_heads=4, d_ff=1024,
                                        num_layers=2, max_len=128)), ("q_proj", "v_proj")
        x = torch.randint(0, 4001, (16, 128), generator=g)  # (B, T)
    base = base.to(dtype).train()
    if x.is_floating_point():
        x = x.to(dtype)
    theirs = peft.get_peft_model(copy.deepcopy(base), peft.LoraConfig(
        target_modules=list(targets), r=R, lora_alpha=ALPHA, lora_dropout=0.0))
    apply_lora(base, targets, r=R, alpha=ALPHA)
    case = Case(base, theirs, targets, x, torch.empty(0))
    with torch.no_grad():
        for ours, hf in lora_pairs(case):
            ours.B.normal_(0.0, 0.02, generator=g)
            hf.lora_A["default"].weight.copy_(ours.A)
            hf.lora_B["default"].weight.copy_(ours.B)
        out = base(x)
    grad_out = torch.randn(out.shape, generator=g).to(dtype)
    return case._replace(grad_out=grad_out)


def train_step(model: nn.Module, params: list[Tensor], x: Tensor, grad_out: Tensor
               ) -> Callable[[], Tensor]:
    r"""Gradients of ``params`` set to ``None``, the forward, ``out.backward(grad_out)``."""

    def step() -> Tensor:
        for p in params:
            p.grad = None
        out = model(x)
        out.backward(grad_out)
        return out.detach()

    return step


def inference(model: nn.Module, x: Tensor) -> Callable[[], Tensor]:
    def forward() -> Tensor:
        with torch.inference_mode():
            return model(x)

    return forward


def merge(case: Case) -> None:
    for ours, _ in lora_pairs(case):
        ours.merge()
    case.theirs.merge_adapter()


def relative_diff(a: list[Tensor], b: list[Tensor]) -> float:
    r"""Largest ``|a - b|`` over pairs of tensors, relative to the largest ``|b|``."""
    diff = max((x - y).abs().max().item() for x, y in zip(a, b, strict=True))
    return diff / max(y.abs().max().item() for y in b)


def check(case: Case) -> tuple[float, float, float]:
    r"""Relative differences mllab against peft: unmerged outputs, adapter gradients, merged
    outputs (``case`` is left merged)."""
    ours_p, theirs_p = adapter_params(case)
    out = train_step(case.ours, ours_p, case.x, case.grad_out)()
    expected = train_step(case.theirs, theirs_p, case.x, case.grad_out)()
    d_out = relative_diff([out], [expected])
    d_grad = relative_diff([p.grad for p in ours_p], [p.grad for p in theirs_p])
    merge(case)
    d_merged = relative_diff([inference(case.ours, case.x)()], [expected])
    return d_out, d_grad, d_merged


def calls_per_repeat(fn: Callable[[], object], repeat_s: float) -> int:
    r"""Warm ``fn`` up and return how many calls last about ``repeat_s`` seconds."""
    fn()
    seconds = min(clocked(fn)[0] for _ in range(2))
    return max(1, round(repeat_s / seconds))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per side")
    parser.add_argument("--repeat-ms", type=float, default=300.0,
                        help="approximate length of one repeat")
    parser.add_argument("--tolerance", type=float, default=1e-10,
                        help="largest relative float64 difference allowed before timing")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 short repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.repeat_ms = 2, 5.0
    if min(args.threads, args.repeats) < 1:
        parser.error("--threads and --repeats must be >= 1")
    if not args.repeat_ms > 0:
        parser.error("--repeat-ms must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   peft "
          f"{peft.__version__}   repeats: {args.repeats} of ~{args.repeat_ms:g} ms   "
          f"r={R} alpha={ALPHA:g}")
    labels = ("stack", "bert")
    sides: dict[tuple[str, str], Callable[[], Tensor]] = {}
    for label in labels:
        for dtype, decides in ((torch.float64, True), (torch.float32, False)):
            d = check(build(label, dtype))
            print(f"{label:<5} {str(dtype)[6:]:>7}: mllab vs peft, relative: outputs {d[0]:.1e}, "
                  f"adapter gradients {d[1]:.1e}, merged outputs {d[2]:.1e}")
            if decides and max(d) > args.tolerance:
                raise SystemExit(f"{label}: mllab's LoRA differs from peft's in float64")
        case, merged = build(label, torch.float32), build(label, torch.float32)
        merge(merged)
        ours_p, theirs_p = adapter_params(case)
        again = copy.deepcopy(case.theirs)
        again_p = adapter_params(case._replace(theirs=again))[1]
        sides[label, "mllab"] = train_step(case.ours, ours_p, case.x, case.grad_out)
        sides[label, "peft"] = train_step(case.theirs, theirs_p, case.x, case.grad_out)
        sides[label, "peft again"] = train_step(again, again_p, case.x, case.grad_out)
        sides[label, "mllab merged"] = inference(merged.ours, case.x)
        sides[label, "peft merged"] = inference(merged.theirs, case.x)
    repeat_s = args.repeat_ms / 1e3
    n_calls = {key: calls_per_repeat(fn, repeat_s) for key, fn in sides.items()}

    def measure(key: tuple[str, str]) -> float:
        fn, n = sides[key], n_calls[key]

        def run() -> None:
            for _ in range(n):
                fn()
        return clocked(run)[0] / n

    seconds = interleave(list(sides), args.repeats, measure)
    best = fastest(seconds)
    print(f"{'base':<5} {'side':<13} {'calls':>5} {'ms / call':>10} {'median':>9}")
    for (label, name), values in seconds.items():
        print(f"{label:<5} {name:<13} {n_calls[label, name]:>5} {1e3 * best[label, name]:>10.3f} "
              f"{1e3 * statistics.median(values):>9.3f}")
    ratio = {}
    for label in labels:
        for mode, ours, theirs in (("forward+backward", "mllab", "peft"),
                                   ("merged forward", "mllab merged", "peft merged")):
            r = best[label, ours] / best[label, theirs]
            paired = paired_median(seconds[label, ours], seconds[label, theirs])
            print(f"{label}: {mode} mllab/peft {r:.3f} (paired {paired:.3f}); target <= "
                  f"{TARGET:g}: {'met' if r <= TARGET else 'NOT met'}")
            if ours == "mllab":
                ratio[label] = r
        print(f"{label}: A/A, the noise floor (peft again / peft): "
              f"{best[label, 'peft again'] / best[label, 'peft']:.3f}")
    print("ratio mllab/peft LoRA forward+backward (stack, bert): "
          f"{', '.join(f'{ratio[label]:.3f}' for label in labels)}")


if __name__ == "__main__":
    main()
