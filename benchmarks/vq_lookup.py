r"""VQ-VAE's nearest-codebook lookup: :func:`mllab.autoencoder.nearest_code` against a
``torch.cdist`` + ``argmin`` baseline.

Work: :math:`k = \arg\min_j \lVert z_e - e_j \rVert` (arXiv:1711.00937, Eq. 2) for ``--n``
vectors of dimension ``--dim`` against a codebook of ``--codes`` entries, float32, both drawn
from :math:`\mathcal N(0, I)` (a codebook at the encoder's scale). mllab expands
:math:`\lVert z \rVert^2 - 2 z^\top e_j + \lVert e_j \rVert^2` with one ``torch.addmm`` and
adds the row norms; the baseline is ``torch.cdist(z_e, codebook).argmin(1)``, which for more
than 25 rows also goes through a matrix product (its ``use_mm_for_euclid_dist_if_necessary``
mode: the same expansion, padded into one ``mm``), then a clamp and a square root. The same
kernel family, then: the ratio is for information.

Checked before any timing (the script refuses to time otherwise): the two index tensors are
equal (``torch.equal``). Rounding could split a near-tie between two codes differently, so
also printed: how many indices of each side differ from the exact ``argmin`` of float64
distances computed without the expansion (``compute_mode="donot_use_mm_for_euclid_dist"``),
and the smallest float64 gap between a vector's nearest and second-nearest squared distance,
beside the float32 error of ``cdist``'s squared distances: a gap above twice that error
cannot be split by rounding; a smaller one can, and then equality is observed, not assured.

Method (``benchmarks/timing.py``): warm up, then the sides in turn over ``--repeats`` repeats
of ``--number`` calls (order flipped every repeat), each side's fastest repeat and the median
of the per-repeat ratios; an A/A pair (the baseline against itself) shows the noise floor.
Also printed: each side's minor page faults per call (``getrusage``), the memory of its
``(N, K)`` distance buffers that the C allocator handed back to the system between calls and
the next call touched anew; they depend on what else the process allocates. The
last line is ``ratio mllab/cdist: <min mllab / min cdist>``; below 1 means mllab is faster.

Usage::

    python benchmarks/vq_lookup.py [--threads 1] [--n 4096] [--dim 64] [--codes 512]
                                   [--number 20] [--repeats 15] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics

import torch
from torch import Tensor

from mllab.autoencoder import nearest_code
from timing import clocked, fastest, interleave, ratios

SEED = 0


def cdist_argmin(z_e: Tensor, codebook: Tensor) -> Tensor:
    r"""The baseline: Euclidean distances by ``torch.cdist``, then the ``argmin``."""
    return torch.cdist(z_e, codebook).argmin(1)


SIDES = {"mllab": nearest_code, "cdist": cdist_argmin, "cdist-again": cdist_argmin}


def check(z_e: Tensor, codebook: Tensor) -> None:
    r"""Equal indices, and how close the nearest ties come (module docstring)."""
    ours, theirs = nearest_code(z_e, codebook), cdist_argmin(z_e, codebook)
    d64 = torch.cdist(z_e.double(), codebook.double(),
                      compute_mode="donot_use_mm_for_euclid_dist").square()  # (N, K)
    exact = d64.argmin(1)
    top2 = d64.topk(2, dim=1, largest=False).values  # (N, 2)
    gap = (top2[:, 1] - top2[:, 0]).min().item()
    error = (torch.cdist(z_e, codebook).double().square() - d64).abs().max().item()
    same = torch.equal(ours, theirs)
    print(f"indices equal (torch.equal): {same}   differing from the float64 argmin: mllab "
          f"{(ours != exact).sum().item()}, cdist {(theirs != exact).sum().item()} of "
          f"{len(exact)}")
    print(f"smallest float64 gap nearest/second-nearest squared distance: {gap:.3g}   "
          f"max float32 error of cdist's squared distances: {error:.3g} (gap / twice it: "
          f"{gap / (2 * error):.2f})")
    if not same:
        raise SystemExit("the two lookups choose different codes: nothing to time")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--n", type=int, default=4096, help="vectors z_e to quantise")
    parser.add_argument("--dim", type=int, default=64, help="dimension D of a vector")
    parser.add_argument("--codes", type=int, default=512, help="codebook entries K")
    parser.add_argument("--number", type=int, default=20, help="calls per timed repeat")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per side")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats of 5 calls")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.number = 3, 5
    for name in ("threads", "n", "dim", "number", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.codes < 2:
        parser.error("--codes must be >= 2")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(SEED)
    z_e = torch.randn(args.n, args.dim, generator=g)  # (N, D)
    codebook = torch.randn(args.codes, args.dim, generator=g)  # (K, D)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"VQ lookup: {args.n} vectors of D = {args.dim} against K = {args.codes} codes, "
          f"float32   calls per repeat: {args.number}   repeats: {args.repeats}")
    check(z_e, codebook)
    gc.freeze()  # the imports' objects: out of every collection clocked() runs (not timed)

    faults: dict[str, list[float]] = {name: [] for name in SIDES}

    def measure(name: str) -> float:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        seconds, _ = clocked(lambda: [SIDES[name](z_e, codebook) for _ in range(args.number)])
        faults[name].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
                            / args.number)
        return seconds / args.number

    interleave(list(SIDES), 2, measure)  # warm-up
    for v in faults.values():
        v.clear()
    seconds = interleave(list(SIDES), args.repeats, measure)
    best = fastest(seconds)
    for name, secs in seconds.items():
        print(f"{name:>11}: min {1e3 * best[name]:7.3f} ms per lookup   (median "
              f"{1e3 * statistics.median(secs):.3f}, max {1e3 * max(secs):.3f})")
    print("minor page faults per lookup (median over repeats): " + ", ".join(
        f"{name} {statistics.median(v):.0f}" for name, v in faults.items()))
    paired = ratios(seconds["mllab"], seconds["cdist"])
    print(f"per-repeat ratios mllab/cdist: median {statistics.median(paired):.3f}")
    print(f"A/A, the noise floor (cdist again / cdist): {best['cdist-again'] / best['cdist']:.3f}")
    print(f"ratio mllab/cdist: {best['mllab'] / best['cdist']:.3f}")


if __name__ == "__main__":
    main()
