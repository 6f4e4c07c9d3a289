r"""FID of :func:`mllab.metrics.fid` against torchmetrics' ``FrechetInceptionDistance`` on the
same features.

Both sides get the same two feature matrices ``(N, C)`` float64 (Gaussian features with a
random covariance, the fake side shifted and rescaled; as a stand-in classifier's penultimate
layer would give): torchmetrics through ``FrechetInceptionDistance(feature=Identity)`` (no
Inception weights, nothing downloads), ``update`` with the real and the fake features then
``compute``; mllab fits the Gaussians (:func:`mllab.metrics.gaussian_fit`) and takes the
Fréchet distance (two symmetric eigendecompositions, where torchmetrics takes the eigenvalues
of the non-symmetric :math:`\Sigma_1\Sigma_2`). Before any timing the two values are checked
equal to 1e-6 relative. The metric object is built before the clock starts.

Method (``benchmarks/timing.py``): warm up, then the sides in turn over ``--repeats`` repeats
(order flipped every repeat), each side's fastest repeat; an A/A pair (torchmetrics against
itself) shows the noise floor. The last line is ``ratio mllab/torchmetrics: <min mllab / min
torchmetrics>``; below 1 means mllab is faster.

Usage::

    python benchmarks/fid.py [--threads 1] [--n 2000] [--features 64] [--repeats 15] [--quick]
"""

from __future__ import annotations

import argparse
import statistics

import torch
from torch import Tensor, nn
from torchmetrics.image.fid import FrechetInceptionDistance

from mllab.metrics import fid
from timing import clocked, fastest, interleave, ratios

SEED = 0


class Identity(nn.Module):
    r"""The "feature extractor" that hands torchmetrics the features themselves."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: Tensor) -> Tensor:
        return x


def make_features(n: int, c: int) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(SEED)
    mix = torch.randn(c, c, generator=g, dtype=torch.float64) / c**0.5
    real = torch.randn(n, c, generator=g, dtype=torch.float64) @ mix  # (N, C)
    fake = 1.2 * torch.randn(n, c, generator=g, dtype=torch.float64) @ mix + 0.1  # (N, C)
    return real, fake


def with_torchmetrics(real: Tensor, fake: Tensor) -> float:
    metric = FrechetInceptionDistance(feature=Identity(real.shape[1]))
    seconds, value = clocked(lambda: _update_compute(metric, real, fake))
    return seconds, value


def _update_compute(metric: FrechetInceptionDistance, real: Tensor, fake: Tensor) -> float:
    metric.update(real, real=True)
    metric.update(fake, real=False)
    return float(metric.compute())


def with_mllab(real: Tensor, fake: Tensor) -> tuple[float, float]:
    return clocked(lambda: fid(real, fake))


SIDES = {"mllab": with_mllab, "torchmetrics": with_torchmetrics,
         "torchmetrics-again": with_torchmetrics}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--n", type=int, default=2000, help="samples per side")
    parser.add_argument("--features", type=int, default=64, help="features per sample")
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats per side")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 3
    for name in ("threads", "repeats", "features"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.n < 2:
        parser.error("--n must be >= 2")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    real, fake = make_features(args.n, args.features)
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"features: {args.n} real and {args.n} fake, {args.features} each, float64   "
          f"repeats: {args.repeats}")
    ours, theirs = with_mllab(real, fake)[1], with_torchmetrics(real, fake)[1]
    relative = abs(ours - theirs) / abs(theirs)
    print(f"FID mllab {ours:.10g}   torchmetrics {theirs:.10g}   relative difference "
          f"{relative:.3g} (must be <= 1e-6)")
    if not relative <= 1e-6:
        raise SystemExit("the two FIDs differ: nothing to time")
    interleave(list(SIDES), 2, lambda name: SIDES[name](real, fake)[0])  # warm-up
    seconds = interleave(list(SIDES), args.repeats, lambda name: SIDES[name](real, fake)[0])
    best = fastest(seconds)
    for name, secs in seconds.items():
        print(f"{name:>18}: min {1e3 * best[name]:8.3f} ms   (median "
              f"{1e3 * statistics.median(secs):.3f}, max {1e3 * max(secs):.3f})")
    paired = ratios(seconds["mllab"], seconds["torchmetrics"])
    print(f"per-repeat ratios mllab/torchmetrics: median {statistics.median(paired):.3f}")
    print(f"A/A, the noise floor (torchmetrics again / torchmetrics): "
          f"{best['torchmetrics-again'] / best['torchmetrics']:.3f}")
    print(f"ratio mllab/torchmetrics: {best['mllab'] / best['torchmetrics']:.3f}")


if __name__ == "__main__":
    main()
