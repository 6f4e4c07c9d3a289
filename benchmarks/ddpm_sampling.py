r"""DDPM sampling (Algorithm 2): mllab's sampler against the same denoiser driven by
``diffusers``' ``DDPMScheduler`` loop.

Work: one :class:`mllab.diffusion.MLPDenoiser` (2-D points, width 128, depth 3; trained for
a few Adam steps on the SYNTHETIC ring of 8 Gaussians so that the chain stays at the data's
scale, eval mode, float32) draws a batch of ``--batch`` points in ``--steps`` steps of the
paper's linear schedule (:math:`\beta_t` from 1e-4 to 0.02), :math:`\sigma_t^2 =
\tilde\beta_t`. mllab: :func:`mllab.diffusion.ddpm_sample` with
:meth:`NoiseSchedule.from_betas` of diffusers' ``betas``. diffusers: ``DDPMScheduler(
num_train_timesteps=T, clip_sample=False, variance_type="fixed_small")`` (its name for
:math:`\tilde\beta_t`) in the loop of its ``DDPMPipeline``: :math:`x_T` from the generator,
``set_timesteps(T)``, then per step the denoiser and ``step(eps, t, x, generator=g)``. Both
under ``torch.no_grad``, from a generator of the same seed, which both draw in Algorithm 2's
order (:math:`x_T`, then :math:`z` at every step but the last): the same noise. The
schedules and the scheduler object are built before the clock.

Checked before any timing (the script refuses to time otherwise):

- float64 (decides): a float64 copy of the denoiser, diffusers' scheduler given float64
  tensors as in ``tests/diffusion/test_ddpm_sampling.py``, mllab a float64 schedule; the
  first 100 points of the batch; max :math:`|\Delta| \le 10^{-10}`.
- float32 (the timed setting): max :math:`|\Delta| \le 5 \cdot 10^{-4}`, on samples of
  about unit scale. Not bitwise, nor 1e-5: the two write Line 4 in different orders, and
  diffusers recovers :math:`\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1}` from a float32 ratio
  near 1. Printed beside it: each side's distance from a float64 run of the same float32
  noise, which says whose rounding it is.

Also printed: the same two loops with a free denoiser (it returns a fixed
:math:`\epsilon` tensor), the cost of the sampler alone.

Method (``benchmarks/timing.py``): one warm-up round, then the sides in turn over
``--repeats`` repeats of one whole sampling run (order flipped every repeat), each side's
fastest repeat and the median of the per-repeat ratios; an A/A pair (the diffusers loop
against itself) shows the noise floor. The last line is ``ratio mllab/diffusers: <min mllab /
min diffusers>``; below 1 means mllab is faster.

Usage::

    python benchmarks/ddpm_sampling.py [--threads 1] [--steps 1000] [--batch 1000]
                                       [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import gc
import statistics
from collections.abc import Callable

import torch
from diffusers import DDPMScheduler
from torch import Tensor, nn

from mllab.diffusion import MLPDenoiser, NoiseSchedule, ddpm_loss, ddpm_sample, sampler_step
from mllab.gan import ring_centers, sample_mixture
from timing import clocked, fastest, interleave, ratios

SEED, TRAIN_STEPS, CHECK_BATCH = 0, 100, 100
F64_ATOL, F32_ATOL = 1e-10, 5e-4


def trained_denoiser(T: int) -> MLPDenoiser:
    r"""An :class:`MLPDenoiser` after ``TRAIN_STEPS`` steps of Algorithm 1 on the ring."""
    g = torch.Generator().manual_seed(SEED)
    data, _ = sample_mixture(ring_centers(8, 1.0), 4096, 0.1, generator=g)  # (N, 2)
    torch.manual_seed(SEED)
    model = MLPDenoiser(dim=2, T=T)
    schedule, opt = NoiseSchedule.make("linear", T=T), torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(TRAIN_STEPS):
        loss = ddpm_loss(model, schedule, data[torch.randint(len(data), (256,), generator=g)],
                         generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


def make_scheduler(T: int, dtype: torch.dtype) -> DDPMScheduler:
    r"""diffusers' scheduler of the linear schedule; float64 tensors as the parity tests
    give it (its own formulas, the same :math:`\beta_t`)."""
    ref = DDPMScheduler(num_train_timesteps=T, beta_schedule="linear", clip_sample=False,
                        variance_type="fixed_small")
    if dtype == torch.float64:
        ref.betas = ref.betas.double()
        ref.alphas = 1.0 - ref.betas
        ref.alphas_cumprod = torch.cumprod(ref.alphas, dim=0)
        ref.one = torch.tensor(1.0, dtype=torch.float64)
    return ref


def with_mllab(model: nn.Module, schedule: NoiseSchedule, shape: tuple[int, int],
               dtype: torch.dtype) -> Tensor:
    return ddpm_sample(model, schedule, shape, dtype=dtype,
                       generator=torch.Generator().manual_seed(SEED))


@torch.no_grad()
def with_diffusers(model: nn.Module, ref: DDPMScheduler, shape: tuple[int, int],
                   dtype: torch.dtype) -> Tensor:
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(shape, generator=g, dtype=dtype)  # x_T, as DDPMPipeline's randn_tensor
    ref.set_timesteps(ref.config.num_train_timesteps)
    for t in ref.timesteps:
        eps_pred = model(x, torch.full((shape[0],), int(t)))
        x = ref.step(eps_pred, t, x, generator=g).prev_sample
    return x


@torch.no_grad()
def float64_run(model: nn.Module, schedule: NoiseSchedule, shape: tuple[int, int],
                rows: int) -> Tensor:
    r"""Algorithm 2 in float64 on the float32 draws of the timed runs, first ``rows`` points."""
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(shape, generator=g)[:rows].double()
    for t in reversed(range(schedule.T)):
        eps_pred = model(x, torch.full((rows,), t))
        z = torch.randn(shape, generator=g)[:rows].double() if t > 0 else None
        x = sampler_step(schedule, x, t, eps_pred, z)
    return x


class FreeDenoiser(nn.Module):
    r"""A denoiser that costs nothing: the same :math:`\epsilon` at every step."""

    def __init__(self, eps: Tensor) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, xt: Tensor, t: Tensor) -> Tensor:
        return self.eps


def check(model: MLPDenoiser, ref: DDPMScheduler, schedule: NoiseSchedule,
          shape: tuple[int, int]) -> None:
    r"""The float64 and float32 comparisons of the module docstring; raises if they fail."""
    model64, ref64 = copy.deepcopy(model).double(), make_scheduler(schedule.T, torch.float64)
    schedule64 = NoiseSchedule.from_betas(ref64.betas)
    small = (min(CHECK_BATCH, shape[0]), shape[1])
    gap64 = (with_mllab(model64, schedule64, small, torch.float64)
             - with_diffusers(model64, ref64, small, torch.float64)).abs().max().item()
    print(f"float64, {small[0]} points: max |mllab - diffusers| {gap64:.3g} "
          f"(must be <= {F64_ATOL:g})")
    ours, theirs = with_mllab(model, schedule, shape, torch.float32), \
        with_diffusers(model, ref, shape, torch.float32)
    gap32 = (ours - theirs).abs().max().item()
    print(f"float32, {shape[0]} points: max |mllab - diffusers| {gap32:.3g} (must be <= "
          f"{F32_ATOL:g}; samples up to {theirs.abs().max().item():.3g} in size)")
    truth = float64_run(model64, schedule64, shape, small[0])
    print(f"  distance from a float64 run of the same noise ({small[0]} points): mllab "
          f"{(ours[:small[0]].double() - truth).abs().max().item():.3g}, diffusers "
          f"{(theirs[:small[0]].double() - truth).abs().max().item():.3g}")
    if not (gap64 <= F64_ATOL and gap32 <= F32_ATOL):
        raise SystemExit("the two samplers compute different samples: nothing to time")


def timed(model: nn.Module, ref: DDPMScheduler, schedule: NoiseSchedule,
          shape: tuple[int, int], repeats: int) -> dict[str, list[float]]:
    r"""Seconds per sampling run of each side (and of the A/A copy), ``repeats`` each."""
    sides: dict[str, Callable[[], Tensor]] = {
        "mllab": lambda: with_mllab(model, schedule, shape, torch.float32),
        "diffusers": lambda: with_diffusers(model, ref, shape, torch.float32),
        "diffusers-again": lambda: with_diffusers(model, ref, shape, torch.float32)}
    interleave(list(sides), 1, lambda name: clocked(sides[name])[0])  # warm-up
    return interleave(list(sides), repeats, lambda name: clocked(sides[name])[0])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--steps", type=int, default=1000, help="diffusion steps T")
    parser.add_argument("--batch", type=int, default=1000, help="points per sampling run")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per side")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: T = 200, 64 points, 3 repeats")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.batch, args.repeats = 200, 64, 3
    for name in ("threads", "batch", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    if args.steps < 2:
        parser.error("--steps must be >= 2")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    T, shape = args.steps, (args.batch, 2)
    model, ref = trained_denoiser(T), make_scheduler(T, torch.float32)
    schedule = NoiseSchedule.from_betas(ref.betas, "beta_tilde")
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"DDPM sampling: MLPDenoiser width 128 depth 3, T = {T}, linear betas, sigma^2 = "
          f"beta_tilde, {args.batch} points, float32   repeats: {args.repeats}")
    check(model, ref, schedule, shape)
    gc.freeze()  # the imports' objects: out of every collection clocked() runs (not timed)
    seconds = timed(model, ref, schedule, shape, args.repeats)
    free = FreeDenoiser(torch.randn(shape, generator=torch.Generator().manual_seed(1)))
    alone = fastest(timed(free, ref, schedule, shape, args.repeats))
    best = fastest(seconds)
    for name, secs in seconds.items():
        print(f"{name:>15}: min {1e3 * best[name]:9.2f} ms per run, {1e6 * best[name] / T:7.1f}"
              f" us/step   (median {1e3 * statistics.median(secs):.2f}, max "
              f"{1e3 * max(secs):.2f})")
    print(f"the sampler alone (free denoiser): mllab {1e6 * alone['mllab'] / T:.1f} us/step, "
          f"diffusers {1e6 * alone['diffusers'] / T:.1f} us/step, ratio "
          f"{alone['mllab'] / alone['diffusers']:.3f}")
    paired = ratios(seconds["mllab"], seconds["diffusers"])
    print(f"per-repeat ratios mllab/diffusers: median {statistics.median(paired):.3f}")
    print(f"A/A, the noise floor (diffusers again / diffusers): "
          f"{best['diffusers-again'] / best['diffusers']:.3f}")
    print(f"ratio mllab/diffusers: {best['mllab'] / best['diffusers']:.3f}")


if __name__ == "__main__":
    main()
