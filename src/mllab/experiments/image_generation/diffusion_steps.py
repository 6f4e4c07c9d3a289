r"""``diffusion-steps``: a DDPM's samples get better with more denoising steps, and the noise
term :math:`\sigma_t z` of Algorithm 2 matters: with :math:`z = 0` at every step the samples
are worse and less diverse (the image-generation lecture; DDPM, arXiv:2006.11239, Algorithm
2; fewer steps by respacing, arXiv:2102.09672, §4).

SYNTHETIC data, in the plane: the ring mixture of ``diffusion-training-one-shot`` (8 Gaussians
of standard deviation 0.1 on a circle of radius 1). Per repeat one
:class:`mllab.diffusion.MLPDenoiser` is trained by Algorithm 1 with the paper's linear
schedule, :math:`T = 1000`. The same model then samples (Algorithm 2) with ``sampling_steps``
steps, each a respaced schedule on :func:`mllab.diffusion.leading_timesteps`
(:func:`mllab.diffusion.respace`), and once with all :math:`T` steps and :math:`z = 0`
(``add_noise=False``), every sampler from the same :math:`x_T`.

**Quality**: the energy distance to held-out data relative to that of the
:math:`\mathcal N(0, I)` noise the sampler starts from, :math:`D(\text{samples}, \text{data}) /
D(\text{noise}, \text{data})` (0 is the data, 1 is no better than the noise); the Fréchet
distance of Gaussians fitted to the points (FID with the coordinates as features) is shown.
**Diversity**: the mean distance between two samples over the same between two data points,
:math:`\mathbb E\lVert X - X'\rVert / \mathbb E\lVert Y - Y'\rVert` (1 is the data's spread).

Differences from the paper: 2-D data instead of images, an MLP instead of a U-Net, no EMA.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.diffusion import (
    DDPMState,
    MLPDenoiser,
    NoiseSchedule,
    Respaced,
    ddpm_sample,
    ddpm_training_step,
    leading_timesteps,
    respace,
)
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.image_generation import LECTURE
from mllab.experiments.image_generation.diffusion_training_one_shot import energy_distance
from mllab.gan import ring_centers, sample_mixture
from mllab.metrics import fid
from mllab.train import LoopConfig
from mllab.train.loop import LoopState, Step

T = 1000
"""Training steps of the diffusion (the paper's)."""
NOISELESS = "z=0"
"""The sampler with all T steps and z = 0 at every step."""


@dataclass
class StepsSettings(Settings):
    sampling_steps: tuple[int, ...] = (10, 50, 200, 1000)
    """Denoising steps S of the samplers, increasing, dividing T = 1000, the last T."""
    train_size: int = 4096
    """Training examples x_0 (>= 1)."""
    steps: int = 3000
    """Training iterations of Algorithm 1 (>= 1), as in diffusion-training-one-shot."""
    batch_size: int = 256
    """Examples per iteration (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    width: int = 128
    """Hidden units of the denoiser (>= 1)."""
    eval_size: int = 2048
    """Samples per sampler, and held-out data points (>= 2)."""
    repeats: int = 5
    """Independent repeats: data, initialisation, batches, sampling noise (>= 1)."""
    steps_margin: float = 0.05
    """Least mean gap in relative energy distance, fewest steps minus T steps: five per cent
    of the way from the noise to the data."""
    noise_margin: float = 0.05
    """Least mean gap in relative energy distance, z = 0 minus with z (T steps each): five
    per cent of the way from the noise to the data."""
    diversity_margin: float = 0.1
    """Least mean gap in diversity, with z minus z = 0: a tenth of the data's spread."""

    def validate(self) -> None:
        d = list(self.sampling_steps)
        require(len(d) >= 2 and d == sorted(set(d)) and d[-1] == T
                and all(T % n == 0 for n in d), "sampling_steps",
                f"two or more increasing divisors of T = {T}, the last T", self.sampling_steps)
        for name, least in (("train_size", 1), ("steps", 1), ("batch_size", 1), ("width", 1),
                            ("eval_size", 2), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("steps_margin", "noise_margin", "diversity_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> StepsSettings:
        return cls(steps=100, eval_size=128, repeats=2)


def ring(n: int, g: torch.Generator) -> Tensor:
    r"""``n`` draws of the SYNTHETIC ring mixture, ``(n, 2)``."""
    return sample_mixture(ring_centers(8, 1.0), n, 0.1, generator=g)[0]


def thinned(inner: Step, steps: int) -> Step:
    r"""``inner``, every step, returning its log line only every ``steps // 20`` steps."""
    every = max(1, steps // 20)

    def step(st: LoopState) -> dict | None:
        line = inner(st)
        return line if st.step % every == 0 else None

    return step


def diversity(x: Tensor, y: Tensor) -> float:
    r""":math:`\mathbb E\lVert X - X'\rVert / \mathbb E\lVert Y - Y'\rVert` (float64)."""
    x, y = x.double(), y.double()
    return (torch.cdist(x, x).mean() / torch.cdist(y, y).mean()).item()


def _measure(samples: Tensor, noise: Tensor, held_out: Tensor) -> dict:
    return {"quality": energy_distance(samples, held_out) / energy_distance(noise, held_out),
            "fid": fid(held_out, samples), "diversity": diversity(samples, held_out)}


def _repeat(ctx: RunContext, s: StepsSettings, r: int) -> dict:
    name = f"ddpm-r{r}"
    schedule = NoiseSchedule.make("linear", T=T)
    with ctx.trial(name) as t:
        model = MLPDenoiser(dim=2, T=T, width=s.width)
        state = DDPMState(eps_model=model, optimizer=torch.optim.Adam(model.parameters(),
                                                                      lr=s.lr),
                          generator=ctx.generator(f"{name}/draws"),
                          data=ring(s.train_size, ctx.generator(f"{name}/data")),
                          schedule=schedule)
        t.run(thinned(ddpm_training_step(s.batch_size), s.steps), state,
              LoopConfig(steps=s.steps), fingerprint=s.to_dict())

        def evaluate() -> dict:
            held_out = ring(s.eval_size, ctx.generator(f"{name}/held-out"))
            noise = torch.randn(s.eval_size, 2, generator=ctx.generator(f"{name}/noise"))
            samplers = {str(S): (Respaced(model, tau := leading_timesteps(T, S)),
                                 respace(schedule, tau), True) for S in s.sampling_steps}
            samplers[NOISELESS] = (model, schedule, False)
            out = {}
            for key, (eps_model, sched, add_noise) in samplers.items():
                x = ddpm_sample(eps_model, sched, (s.eval_size, 2), add_noise=add_noise,
                                generator=ctx.generator(f"{name}/sampling"))  # the same x_T
                out[key] = _measure(x, noise, held_out)
                out[key]["samples"] = x[:500].tolist() if r == 0 else None
            return {"samplers": out, "held_out": held_out[:500].tolist() if r == 0 else None}

        result = t.record("evaluation", evaluate)
    ctx.log(trial=name, **{f"quality_{k}": v["quality"] for k, v in result["samplers"].items()})
    return result


def judge_steps(m: dict, s: StepsSettings) -> Evidence:
    runs = m["runs"]
    fewest, full = str(s.sampling_steps[0]), str(T)

    def of(key: str, measure: str) -> list[float]:
        return [r["samplers"][key][measure] for r in runs]

    return Evidence(checks=[
        Check(f"more denoising steps give better samples ({fewest} against {full})",
              f"relative energy distance to the data, {fewest} steps minus {full}",
              paired(of(fewest, "quality"), of(full, "quality")), margin=s.steps_margin,
              reason="five per cent of the way from the noise to the data (steps_margin)"),
        Check("sampling with z = 0 at every step gives worse samples",
              f"relative energy distance to the data, z = 0 minus with z ({full} steps each)",
              paired(of(NOISELESS, "quality"), of(full, "quality")), margin=s.noise_margin,
              reason="five per cent of the way from the noise to the data (noise_margin)"),
        Check("and less diverse ones", f"diversity (mean distance between two samples over "
              f"the data's), with z minus z = 0 ({full} steps each)",
              paired(of(full, "diversity"), of(NOISELESS, "diversity")),
              margin=s.diversity_margin, reason="a tenth of the data's spread "
              "(diversity_margin)")])


@experiment(name="diffusion-steps", lecture=LECTURE, judge=judge_steps,
            claim="A DDPM's samples get better with more denoising steps; without the noise "
                  "term of the sampler (z = 0 at every step) they are worse and less diverse.")
def diffusion_steps_experiment(s: StepsSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    keys = [*map(str, s.sampling_steps), NOISELESS]
    _plot(ctx, runs, keys)
    rows = [[k, *(f"{sum(r['samplers'][k][m] for r in runs) / len(runs):.4f}"
                  for m in ("quality", "fid", "diversity")), T if k == NOISELESS else k]
            for k in keys]
    summary = [{"samplers": {k: {m: v for m, v in x.items() if m != "samples"}
                             for k, x in r["samplers"].items()}} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        "Mean over the repeats, per sampler (denoising steps, or all T with z = 0)",
        ["sampler", "D(samples, data) / D(noise, data)", "Fréchet distance",
         "diversity (1 = the data's)", "network evaluations per sample"], rows)])


def _plot(ctx: RunContext, runs: list[dict], keys: list[str]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(keys) + 1, size=(3.6 * (len(keys) + 1), 3.6))
    held_out = torch.tensor(runs[0]["held_out"])
    for ax, k in zip(axes, keys, strict=False):
        x = torch.tensor(runs[0]["samplers"][k]["samples"])
        ax.scatter(*held_out.T, s=3, color="0.7", label="data")
        ax.scatter(*x.T, s=3, color="C1", label="samples")
        ax.set(title=f"{k} steps" if k != NOISELESS else f"{T} steps, z = 0", xlim=(-2, 2),
               ylim=(-2, 2), aspect="equal", xticks=[], yticks=[])
    axes[0].legend(fontsize=7, loc="lower left")
    ax, steps = axes[-1], [int(k) for k in keys[:-1]]
    for j, r in enumerate(runs):
        ax.plot(steps, [r["samplers"][k]["quality"] for k in keys[:-1]], "o-", color="C0",
                alpha=0.7, label="with z" if j == 0 else None)
        ax.axhline(r["samplers"][NOISELESS]["quality"], color="C3", alpha=0.5, ls="--",
                   label=f"{T} steps, z = 0" if j == 0 else None)
    ax.set(xscale="log", xlabel="denoising steps", ylabel="D(samples, data) / D(noise, data)",
           ylim=(0, None))
    ax.legend(fontsize=7)
    ctx.save_figure(fig, "steps", "Samples of repeat 0 (orange) over held-out data (grey) for "
                    "each sampler, and the relative energy distance against the number of "
                    "denoising steps, every repeat (dashed: all steps with z = 0)")
