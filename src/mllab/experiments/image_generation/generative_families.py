r"""``generative-families``: the image-generation lecture's four families, VAE, flow, diffusion
and GAN, side by side on the same data: each learns to generate it; the VAE's samples are the
blurriest (they fall between the modes) where diffusion's are sharper, and diffusion pays
for it with a thousand network evaluations per sample where the others need one.

SYNTHETIC data, in the plane: the ring mixture of ``diffusion-steps`` (8 Gaussians of standard
deviation 0.1 on a circle of radius 1), ``train_size`` training points per repeat. The
families, each with its own objective, Adam and ``steps`` updates of 256 points (the GAN:
``gan_steps`` generator updates of 5 critic updates each):

- **VAE** (arXiv:1312.6114): MLP encoder and decoder 2 → 128 → 128 → 2, a 2-D latent, a
  Gaussian decoder of fixed standard deviation 0.1 (the data's within-mode spread); samples
  are the decoder's mean at :math:`z \sim \mathcal N(0, I)`;
- **flow** (RealNVP, arXiv:1605.08803): 6 affine couplings, exact log-likelihood;
- **diffusion** (DDPM, arXiv:2006.11239): an MLP denoiser, the linear schedule, T = 1000,
  Algorithm 2 in all T steps;
- **GAN**: WGAN-GP (arXiv:1704.00028) with the MLPs and Adam of ``mode-collapse``.

Measured on held-out data, as in ``diffusion-steps``: the energy distance of the samples
relative to that of the :math:`\mathcal N(0, I)` noise (0 is the data, 1 no better than noise),
the Fréchet distance of Gaussians fitted to the points, the diversity; the held-out negative
log-likelihood where the family gives one (the flow exactly, the VAE a bound: its negative
ELBO); the network evaluations per sample. Differences from the lecture: 2-D points, not
images (CPU budget).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.diffusion import DDPMState, MLPDenoiser, NoiseSchedule, ddpm_sample, ddpm_training_step
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.image_generation import LECTURE
from mllab.experiments.image_generation.diffusion_steps import diversity, ring, thinned
from mllab.experiments.image_generation.diffusion_training_one_shot import energy_distance
from mllab.gan import (
    GANState,
    GANStepConfig,
    MLPDiscriminator,
    MLPGANConfig,
    MLPGenerator,
    gan_step,
)
from mllab.generative import VAE, CouplingFlow, DensityState, density_step, flow_nll, vae_nll
from mllab.metrics import fid
from mllab.train import LoopConfig

FAMILIES = ("vae", "flow", "diffusion", "gan")
EVALUATIONS = {"vae": 1, "flow": 1, "diffusion": 1000, "gan": 1}
"""Network evaluations per sample: one pass, or Algorithm 2's T = 1000 steps."""
T, Z_DIM = 1000, 8


@dataclass
class FamiliesSettings(Settings):
    train_size: int = 4096
    """Training points per repeat (>= 2)."""
    steps: int = 3000
    """Updates of the VAE, the flow and the denoiser (>= 1), as in diffusion-steps."""
    gan_steps: int = 1000
    """Generator updates of the GAN, 5 critic updates each (>= 1), as in mode-collapse."""
    lr: float = 1e-3
    """Adam's learning rate, every family (> 0)."""
    eval_size: int = 2048
    """Samples per family, and held-out points (>= 2)."""
    repeats: int = 5
    """Independent repeats: data, initialisations, batches, sampling noise (>= 1)."""
    generates_margin: float = 0.5
    """How far below 1 each family's relative energy distance must lie: at least half the way
    from the noise to the data, as in diffusion-training-one-shot."""
    blur_margin: float = 0.05
    """Least mean gap in relative energy distance, VAE minus diffusion: five per cent of the
    way from the noise to the data."""

    def validate(self) -> None:
        for name, least in (("train_size", 2), ("steps", 1), ("gan_steps", 1),
                            ("eval_size", 2), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        for name in ("generates_margin", "blur_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))

    @classmethod
    def quick(cls) -> FamiliesSettings:
        return cls(steps=100, gan_steps=20, eval_size=128, repeats=2)


def _train(ctx: RunContext, s: FamiliesSettings, family: str, r: int, data):
    r"""One family trained on ``data``; returns ``sample(n, generator)`` and its held-out
    negative log-likelihood function (None where the family gives none)."""
    name, g = f"{family}-r{r}", ctx.generator(f"{family}-r{r}/draws")
    with ctx.trial(name) as t:
        if family in ("vae", "flow"):
            model = VAE(2, latent=2, hidden=(128, 128), scale=0.1) if family == "vae" \
                else CouplingFlow(2, layers=6, hidden=64)
            objective = vae_nll if family == "vae" else flow_nll
            state = DensityState(model=model, generator=g, data=data,
                                 optimizer=torch.optim.Adam(model.parameters(), lr=s.lr))
            t.run(thinned(density_step(objective, 256), s.steps), state,
                  LoopConfig(steps=s.steps), fingerprint=s.to_dict())
            model.eval()
            return model.sample, lambda x: objective(model, x, ctx.generator(f"{name}/nll"))
        if family == "diffusion":
            model, schedule = MLPDenoiser(dim=2, T=T, width=128), NoiseSchedule.make("linear", T=T)
            state = DDPMState(eps_model=model, generator=g, data=data, schedule=schedule,
                              optimizer=torch.optim.Adam(model.parameters(), lr=s.lr))
            t.run(thinned(ddpm_training_step(256), s.steps), state,
                  LoopConfig(steps=s.steps), fingerprint=s.to_dict())
            return (lambda n, generator: ddpm_sample(model, schedule, (n, 2),
                                                     generator=generator)), None
        config = MLPGANConfig(data_dim=2, z_dim=Z_DIM, width=128, depth=2)
        G, D = MLPGenerator(config), MLPDiscriminator(config)
        adam = {"lr": s.lr, "betas": (0.5, 0.9)}
        state = GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), **adam),
                         opt_D=torch.optim.Adam(D.parameters(), **adam), generator=g, data=data)
        t.run(gan_step(GANStepConfig(loss="wasserstein", batch_size=256, z_dim=Z_DIM, d_steps=5,
                                     gp_weight=10.0, log_every=max(1, s.gan_steps // 20))), state,
              LoopConfig(steps=s.gan_steps), fingerprint=s.to_dict())
        G.eval()
        return (lambda n, generator: G(torch.randn(n, Z_DIM, generator=generator)).detach()), None


def _repeat(ctx: RunContext, s: FamiliesSettings, r: int) -> dict:
    data = ring(s.train_size, ctx.generator(f"r{r}/data"))
    held_out = ring(s.eval_size, ctx.generator(f"r{r}/held-out"))
    noise = torch.randn(s.eval_size, 2, generator=ctx.generator(f"r{r}/noise"))
    out = {}
    for family in FAMILIES:
        sample, nll = _train(ctx, s, family, r, data)
        with torch.no_grad():
            x = sample(s.eval_size, generator=ctx.generator(f"{family}-r{r}/sampling"))
            nll_value = None if nll is None else nll(held_out).mean().item()
        out[family] = {
            "nll": nll_value,
            "quality": energy_distance(x, held_out) / energy_distance(noise, held_out),
            "fid": fid(held_out, x), "diversity": diversity(x, held_out),
            "samples": x[:500].tolist() if r == 0 else None}
    ctx.log(trial=f"families-r{r}", **{f"quality_{f}": v["quality"] for f, v in out.items()})
    return {"families": out, "held_out": held_out[:500].tolist() if r == 0 else None}


def judge_families(m: dict, s: FamiliesSettings) -> Evidence:
    runs = m["runs"]

    def quality(family: str) -> list[float]:
        return [r["families"][family]["quality"] for r in runs]

    checks = [Check(f"the {family} learns to generate the data",
                    "energy distance to held-out data, samples / N(0, I) noise",
                    quality(family), threshold=1.0, below=True, margin=s.generates_margin,
                    reason="at least half the way from the noise to the data "
                           "(generates_margin)") for family in FAMILIES]
    checks.append(Check("the VAE's samples are blurrier than diffusion's",
                        "relative energy distance to the data, VAE minus diffusion",
                        paired(quality("vae"), quality("diffusion")), margin=s.blur_margin,
                        reason="five per cent of the way from the noise to the data "
                               "(blur_margin)"))
    return Evidence(checks=checks, demonstrations=[Demonstration(
        "diffusion samples in T network evaluations, the other families in one",
        ", ".join(f"{f}: {n}" for f, n in EVALUATIONS.items()))])


@experiment(name="generative-families", lecture=LECTURE, judge=judge_families,
            claim="VAE, flow, diffusion and GAN all learn to generate the same SYNTHETIC 2-D "
                  "data; the VAE's samples are blurrier than diffusion's, which cost T network "
                  "evaluations per sample where the others need one.")
def generative_families_experiment(s: FamiliesSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(FAMILIES))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs[0])
    rows = []
    for f in FAMILIES:
        mean = {k: sum(r["families"][f][k] for r in runs) / len(runs)
                for k in ("quality", "fid", "diversity")}
        nll = runs[0]["families"][f]["nll"]
        nll = "" if nll is None else f"{sum(r['families'][f]['nll'] for r in runs) / len(runs):.3f}"
        rows.append([f, f"{mean['quality']:.3f}", f"{mean['fid']:.3f}",
                     f"{mean['diversity']:.3f}", nll, EVALUATIONS[f]])
    summary = [{"families": {f: {k: v for k, v in x.items() if k != "samples"}
                             for f, x in r["families"].items()}} for r in runs]
    return Result(metrics={"runs": summary}, tables=[table(
        "Mean over the repeats, per family (negative log-likelihood: the flow's exact, the "
        "VAE's a bound, the negative ELBO)", ["family", "D(samples, data) / D(noise, data)",
                                              "Fréchet distance", "diversity",
                                              "held-out NLL (nats)",
                                              "network evaluations per sample"], rows)])


def _plot(ctx: RunContext, run: dict) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=len(FAMILIES), size=(3.6 * len(FAMILIES), 3.6))
    held_out = torch.tensor(run["held_out"])
    for ax, f in zip(axes, FAMILIES, strict=True):
        x = torch.tensor(run["families"][f]["samples"])
        ax.scatter(*held_out.T, s=3, color="0.7", label="data")
        ax.scatter(*x.T, s=3, color="C1", label="samples")
        ax.set(title=f, xlim=(-2, 2), ylim=(-2, 2), aspect="equal", xticks=[], yticks=[])
    axes[0].legend(fontsize=7, loc="lower left")
    ctx.save_figure(fig, "families", "Samples of each family (orange) over held-out SYNTHETIC "
                    "data (grey), repeat 0")
