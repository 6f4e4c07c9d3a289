r"""PGD under the L-infinity norm, 10 steps, of :func:`mllab.adversarial.pgd` against
torchattacks' ``PGD`` on the same model and the same batch.

Both attack the same :class:`mllab.gan.DigitsClassifier` (the small CNN of the adversarial
experiments, its initial weights from ``--seed``, in eval mode, float32) on the same batch of
scikit-learn's 8×8 digits scaled to :math:`[0, 1]`: :math:`\varepsilon = 0.1`, steps of
:math:`\alpha = 0.025`, 10 steps, no random start (so both are deterministic), untargeted.
Before any timing the two adversarial batches are checked identical (``torch.equal``).

Method (``benchmarks/timing.py``): warm up, then the sides in turn over ``--repeats`` repeats
(order flipped every repeat), each side's fastest repeat; an A/A pair (torchattacks against
itself) shows the noise floor. The last line is ``ratio mllab/torchattacks: <min mllab / min
torchattacks>``; below 1 means mllab is faster.

Usage::

    python benchmarks/attacks.py [--threads 1] [--batch 256] [--repeats 15] [--quick]
"""

from __future__ import annotations

import argparse

import torch
import torchattacks

from mllab.adversarial import pgd
from mllab.gan import DigitsClassifier, load_digit_images
from timing import clocked, interleave, report

EPS, ALPHA, STEPS = 0.1, 0.025, 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--batch", type=int, default=256, help="digits attacked at once")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per side")
    parser.add_argument("--seed", type=int, default=0, help="the classifier's initial weights")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 3
    for name in ("threads", "batch", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = DigitsClassifier().eval()
    x, y = load_digit_images()
    x0, y0 = ((x[: args.batch] + 1) / 2), y[: args.batch]  # (B, 1, 8, 8), pixels in [0, 1]
    attack = torchattacks.PGD(model, eps=EPS, alpha=ALPHA, steps=STEPS, random_start=False)
    sides = {"mllab": lambda: pgd(model, x0, y0, EPS, ALPHA, STEPS),
             "torchattacks": lambda: attack(x0, y0),
             "torchattacks-again": lambda: attack(x0, y0)}
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}   torchattacks "
          f"{torchattacks.__version__}")
    print(f"PGD L-inf eps {EPS}, alpha {ALPHA}, {STEPS} steps, no random start, on "
          f"{len(x0)} digits (DigitsClassifier, float32)   repeats: {args.repeats}")
    ours, theirs = sides["mllab"](), sides["torchattacks"]()
    print(f"identical adversarial examples: {torch.equal(ours, theirs)} (max difference "
          f"{(ours - theirs).abs().max().item():.3g})")
    if not torch.equal(ours, theirs):
        raise SystemExit("the two attacks differ: nothing to time")
    interleave(list(sides), 2, lambda name: clocked(sides[name])[0])  # warm-up
    seconds = interleave(list(sides), args.repeats, lambda name: clocked(sides[name])[0])
    report(seconds, "torchattacks", "ms")

if __name__ == "__main__":
    main()
