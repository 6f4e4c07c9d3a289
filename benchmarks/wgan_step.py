r"""A WGAN-GP training step through the general loop against the same step in a hand-written
loop.

Both train the same MLP generator and critic (:class:`mllab.gan.MLPGenerator`,
:class:`mllab.gan.MLPDiscriminator`) on the SYNTHETIC ring of 8 Gaussians, from the same
weights and the same ``torch.Generator``: per step, ``n_critic`` critic updates (a real batch
drawn with replacement, :math:`z`, :func:`mllab.gan.critic_loss` plus
:func:`mllab.gan.gradient_penalty`, WGAN-GP Eq. 3), then one generator update with the critic
fixed; two Adam optimizers. The loop side is :func:`mllab.gan.gan_step` under
:func:`mllab.train.run_loop` (no checkpoint folder); the hand side writes the same step out
inline, with the same random draws in the same order, the batch estimate of W taken every
step as ``gan_step`` does, and the same NaN/inf check before each optimizer step (the fused
kernel the loop's pre-step hook calls), so the ratio is the loop's own overhead: the step
function and state dataclass, the hook dispatch, the stop-signal and checkpoint-cadence
checks. Before any timing the two sides are checked to end with bitwise-equal weights.

Method (``benchmarks/timing.py``): warm up, then the sides in turn over ``--repeats`` repeats
of ``--steps`` steps (order flipped every repeat), each side's fastest repeat; an A/A pair
(the hand loop against itself) shows the noise floor. The last line is ``ratio loop/hand-written:
<min loop / min hand>``; below 1 means the loop is faster.

Usage::

    python benchmarks/wgan_step.py [--threads 1] [--steps 20] [--repeats 10] [--quick]
"""

from __future__ import annotations

import argparse
import copy
import statistics

import torch

from mllab.gan import (
    GANState,
    GANStepConfig,
    MLPDiscriminator,
    MLPGANConfig,
    MLPGenerator,
    critic_loss,
    gan_step,
    gradient_penalty,
    ring_centers,
    sample_mixture,
    wasserstein_generator_loss,
)
from mllab.train import LoopConfig, run_loop
from mllab.train.guard import FiniteGradients
from timing import clocked, fastest, interleave, ratios

SEED, Z_DIM, BATCH, N_CRITIC, GP = 0, 8, 256, 5, 10.0


def make_state(init: tuple, data: torch.Tensor) -> GANState:
    G, D = copy.deepcopy(init[0]), copy.deepcopy(init[1])
    adam = {"lr": 1e-4, "betas": (0.5, 0.9)}
    return GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), **adam),
                    opt_D=torch.optim.Adam(D.parameters(), **adam),
                    generator=torch.Generator().manual_seed(SEED), data=data)


def with_loop(s: GANState, steps: int) -> None:
    config = GANStepConfig(loss="wasserstein", batch_size=BATCH, z_dim=Z_DIM, d_steps=N_CRITIC,
                           gp_weight=GP, log_every=steps)
    run_loop(gan_step(config), s, LoopConfig(steps=steps))


def by_hand(s: GANState, steps: int) -> None:
    finite_G, finite_D = FiniteGradients(list(s.G.parameters())), FiniteGradients(
        list(s.D.parameters()))
    for _ in range(steps):
        s.G.train()
        s.D.train()
        for _ in range(N_CRITIC):  # 1. fix G, update the critic
            x = s.data[torch.randint(len(s.data), (BATCH,), generator=s.generator)]
            with torch.no_grad():
                fake = s.G(torch.randn(BATCH, Z_DIM, generator=s.generator))
            real_scores, fake_scores = s.D(x), s.D(fake)
            loss_D = critic_loss(real_scores, fake_scores) + gradient_penalty(
                s.D, x, fake, generator=s.generator, weight=GP)
            s.opt_D.zero_grad(set_to_none=True)
            loss_D.backward()
            if not finite_D():
                raise FloatingPointError("non-finite critic gradient")
            s.opt_D.step()
        (real_scores.mean() - fake_scores.mean()).item()  # the batch estimate of W
        torch.randint(len(s.data), (BATCH,), generator=s.generator)  # gan_step's label draw
        s.D.requires_grad_(False)  # 2. fix the critic, update G
        loss_G = wasserstein_generator_loss(s.D(s.G(torch.randn(BATCH, Z_DIM,
                                                                generator=s.generator))))
        s.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        if not finite_G():
            raise FloatingPointError("non-finite generator gradient")
        s.opt_G.step()
        s.D.requires_grad_(True)
        s.step += 1


SIDES = {"loop": with_loop, "hand": by_hand, "hand-again": by_hand}


def run_side(name: str, init: tuple, data: torch.Tensor, steps: int) -> tuple[float, GANState]:
    state = make_state(init, data)
    seconds, _ = clocked(lambda: SIDES[name](state, steps))
    return seconds, state


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--steps", type=int, default=20, help="generator steps per repeat")
    parser.add_argument("--width", type=int, default=128, help="hidden units per layer")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per side")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 repeats of 5 steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.steps = 3, 5
    for name in ("threads", "steps", "width", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    data, _ = sample_mixture(ring_centers(), 20000, 0.02,
                             generator=torch.Generator().manual_seed(1))
    torch.manual_seed(SEED)
    config = MLPGANConfig(data_dim=2, z_dim=Z_DIM, width=args.width, depth=2)
    init = (MLPGenerator(config), MLPDiscriminator(config))
    print(f"threads: {torch.get_num_threads()}   torch {torch.__version__}")
    print(f"WGAN-GP on the ring: MLP width {args.width} depth 2, batch {BATCH}, n_critic "
          f"{N_CRITIC}, lambda {GP:g}   steps per repeat: {args.steps}   repeats: {args.repeats}")
    a, b = run_side("loop", init, data, 3)[1], run_side("hand", init, data, 3)[1]
    same = all(torch.equal(p, q) for p, q in zip(
        [*a.G.state_dict().values(), *a.D.state_dict().values()],
        [*b.G.state_dict().values(), *b.D.state_dict().values()], strict=True))
    print(f"same weights after 3 steps (bitwise): {same}")
    if not same:
        raise SystemExit("the two sides compute different steps: nothing to time")
    interleave(list(SIDES), 2, lambda name: run_side(name, init, data, 2)[0])  # warm-up
    seconds = interleave(list(SIDES), args.repeats, lambda name: run_side(
        name, init, data, args.steps)[0] / args.steps)
    best = fastest(seconds)
    for name, secs in seconds.items():
        print(f"{name:>10}: min {1e3 * best[name]:7.3f} ms/step   (median "
              f"{1e3 * statistics.median(secs):.3f}, max {1e3 * max(secs):.3f})")
    paired = ratios(seconds["loop"], seconds["hand"])
    print(f"per-repeat ratios loop/hand: median {statistics.median(paired):.3f}")
    print(f"A/A, the noise floor (hand again / hand): {best['hand-again'] / best['hand']:.3f}")
    print(f"ratio loop/hand-written: {best['loop'] / best['hand']:.3f}")


if __name__ == "__main__":
    main()
