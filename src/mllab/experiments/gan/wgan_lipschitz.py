r"""``wgan-lipschitz``: the Wasserstein critic must be 1-Lipschitz. Unconstrained, its slope
grows without bound as it trains; weight clipping, the gradient penalty and spectral
normalization keep it bounded; and the penalty trains a better generator than clipping (the
GAN lecture's WGAN; Arjovsky et al., arXiv:1701.07875; Gulrajani et al., arXiv:1704.00028,
§3 and Figure 1, the comparison the 2022 homework report asks for; Miyato et al.,
arXiv:1802.05957).

SYNTHETIC, in the plane: the ring of 8 Gaussians of ``mode-collapse`` (radius 2,
:math:`\sigma = 0.02`). Four WGANs (the critic loss
:math:`\mathbb{E}[D(\tilde x)] - \mathbb{E}[D(x)]`, the generator loss
:math:`-\mathbb{E}[D(\tilde x)]`, :math:`n_{critic} = 5`) train from the same initial weights
of the same MLPs with the same Adam and differ only in how the critic is held Lipschitz:

- **none**: not at all;
- **clipping**: every critic parameter clipped to :math:`[-c, c]` after each update;
- **gradient penalty**: :math:`\lambda\, \mathbb{E}_{\hat x}(\|\nabla_{\hat x} D(\hat x)\|_2
  - 1)^2` (Eq. 3);
- **spectral norm**: every critic layer divided by its largest singular value.

Every ``eval_every`` steps, on fixed draws, the critic's **slope**
:math:`\max_{\hat x} \|\nabla_{\hat x} D(\hat x)\|_2` over points :math:`\hat x` between real
and generated samples (an estimate from below of its Lipschitz constant, where the penalty
looks), its batch estimate of :math:`W`, and the generator's samples: modes covered
(:func:`mllab.gan.mode_coverage`) and the Fréchet distance of Gaussians fitted to the points
(FID with the coordinates as features).

Differences from the papers: small networks and few steps (CPU budget); one Adam
(:math:`\eta = 10^{-3}`, :math:`\beta = (0.5, 0.9)`, as in ``mode-collapse``) for all four,
where the WGAN paper trains the clipped critic with RMSProp, so that only the constraint
differs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from mllab.config import require
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.gan import LECTURE
from mllab.gan import (
    GANState,
    GANStepConfig,
    MLPDiscriminator,
    MLPGANConfig,
    MLPGenerator,
    gan_step,
    interpolate,
    mode_coverage,
    ring_centers,
    sample_mixture,
)
from mllab.metrics import fid
from mllab.train import LoopConfig

SIGMA = 0.02
"""The ring's standard deviation."""
METHODS = ("none", "clipping", "gradient-penalty", "spectral-norm")
CONSTRAINED = METHODS[1:]


@dataclass
class LipschitzSettings(Settings):
    steps: int = 1000
    """Generator updates per GAN (>= 1), as in ``mode-collapse``."""
    eval_every: int = 100
    """Generator steps between two measurements (>= 1, <= steps)."""
    width: int = 128
    """Hidden units per layer of G and D (>= 1)."""
    z_dim: int = 8
    """Numbers in z (>= 1)."""
    batch_size: int = 256
    """Real and generated samples per update (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate, G and D, every method (> 0)."""
    n_critic: int = 5
    """Critic updates per generator update (the papers' 5) (>= 1)."""
    clip: float = 0.01
    """Weight clipping's c (the WGAN paper's 0.01) (> 0)."""
    gp_weight: float = 10.0
    """The gradient penalty's lambda (the WGAN-GP paper's 10) (> 0)."""
    data_size: int = 20000
    """Real samples each GAN draws its batches from (>= 2)."""
    eval_size: int = 2500
    """Generated samples per measurement (>= 2)."""
    repeats: int = 5
    """Independent repeats: data, initialisation, batches (>= 1)."""
    growth_margin: float = 1.0
    """Least mean growth of the unconstrained critic's slope, log10 from its first measurement
    to its last: tenfold."""
    bound_margin: float = 1.0
    """Least mean gap in the critic's log10 slope at the end, unconstrained minus a
    constrained one: tenfold."""
    quality_margin: float = 1.0
    """Least mean gap in ring modes covered at the end (of 8), gradient penalty minus
    clipping: one whole mode."""

    def validate(self) -> None:
        for name, least in (("steps", 1), ("eval_every", 1), ("width", 1), ("z_dim", 1),
                            ("batch_size", 1), ("n_critic", 1), ("data_size", 2),
                            ("eval_size", 2), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.eval_every <= self.steps, "eval_every", f"<= steps = {self.steps}",
                self.eval_every)
        for name in ("lr", "clip", "gp_weight"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("growth_margin", "bound_margin", "quality_margin"):
            require(getattr(self, name) >= 0, name, ">= 0", getattr(self, name))

    @classmethod
    def quick(cls) -> LipschitzSettings:
        return cls(steps=20, eval_every=10, width=32, batch_size=64, n_critic=2,
                   data_size=4000, eval_size=1000, repeats=2)


def critic_slope(D: torch.nn.Module, real: Tensor, fake: Tensor,
                 generator: torch.Generator) -> float:
    r""":math:`\max_i \|\nabla_{\hat x} D(\hat x_i)\|_2` over :math:`\hat x_i = \epsilon_i x_i +
    (1 - \epsilon_i)\tilde x_i`, :math:`\epsilon_i \sim U[0, 1]`: how steep the critic is
    between the two distributions (a lower bound on its Lipschitz constant)."""
    x_hat = interpolate(real, fake, torch.rand(len(real), generator=generator))
    x_hat.requires_grad_(True)
    D.eval()  # spectral norm: no power iteration while measuring
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat)
    D.train()
    return grad.norm(dim=1).max().item()


def _train(ctx: RunContext, s: LipschitzSettings, method: str, r: int) -> dict:
    name = f"{method}-r{r}"
    centers = ring_centers()
    with ctx.trial(name) as t:
        data, _ = sample_mixture(centers, s.data_size, SIGMA,
                                 generator=ctx.generator(f"r{r}/data"))
        g_eval = ctx.generator(f"r{r}/eval")
        real_eval, _ = sample_mixture(centers, s.eval_size, SIGMA, generator=g_eval)
        z_eval = torch.randn(s.eval_size, s.z_dim, generator=g_eval)
        config = MLPGANConfig(data_dim=2, z_dim=s.z_dim, width=s.width, depth=2)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for all four
            G, D = MLPGenerator(config), MLPDiscriminator(
                config, spectral_norm=method == "spectral-norm",
                generator=ctx.generator(f"{name}/power-iteration"))
        adam = {"lr": s.lr, "betas": (0.5, 0.9)}
        state = GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), **adam),
                         opt_D=torch.optim.Adam(D.parameters(), **adam),
                         generator=ctx.generator(f"r{r}/draws"), data=data)
        inner = gan_step(GANStepConfig(
            loss="wasserstein", batch_size=s.batch_size, z_dim=s.z_dim, d_steps=s.n_critic,
            clip=s.clip if method == "clipping" else None,
            gp_weight=s.gp_weight if method == "gradient-penalty" else None,
            log_every=s.eval_every))

        def step(st: GANState) -> dict | None:
            line = inner(st)
            if line is None:
                return None
            with torch.no_grad():
                st.G.eval()
                fake = st.G(z_eval)
                st.G.train()
            slope = critic_slope(st.D, real_eval, fake, torch.Generator().manual_seed(st.step))
            return {**line, "slope": slope, "fid": fid(real_eval, fake),
                    "modes": mode_coverage(fake, centers, SIGMA, min_count=10).modes_covered}

        history = t.run(step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict()).history
        return t.record("curve", lambda: {
            "curve": [{k: h[k] for k in ("step", "slope", "w_estimate", "fid", "modes")}
                      for h in history],
            "weights": torch.cat([p.detach().flatten() for n, p in D.named_parameters()
                                  if n.endswith("weight")]).tolist()
            if r == 0 and method in ("clipping", "gradient-penalty") else None})


def judge_lipschitz(m: dict, s: LipschitzSettings) -> Evidence:
    runs = m["runs"]

    def log_slope(r: dict, method: str, at: int = -1) -> float:
        return math.log10(r[method]["curve"][at]["slope"])

    checks = [Check(
        "an unconstrained critic grows steeper without bound as it trains",
        "log10 of the unconstrained critic's slope, last measurement minus first",
        paired([log_slope(r, "none") for r in runs], [log_slope(r, "none", 0) for r in runs]),
        margin=s.growth_margin, reason="tenfold (growth_margin)")]
    checks += [Check(
        f"{method.replace('-', ' ')} keeps the critic bounded",
        f"log10 of the critic's slope at the end, unconstrained minus {method}",
        paired([log_slope(r, "none") for r in runs], [log_slope(r, method) for r in runs]),
        margin=s.bound_margin, reason="tenfold (bound_margin)") for method in CONSTRAINED]
    checks.append(Check(
        "the gradient penalty trains a better generator than weight clipping",
        "ring modes covered at the end (of 8), gradient penalty minus clipping",
        paired([r["gradient-penalty"]["curve"][-1]["modes"] for r in runs],
               [r["clipping"]["curve"][-1]["modes"] for r in runs]),
        margin=s.quality_margin, reason="one whole mode (quality_margin)"))
    return Evidence(checks=checks, notes=[
        "the slope is the largest gradient norm of the critic at points between real and "
        "generated samples: a lower bound on its Lipschitz constant, measured where the "
        "penalty acts"])


@experiment(name="wgan-lipschitz", lecture=LECTURE, judge=judge_lipschitz,
            claim="An unconstrained Wasserstein critic grows steeper without bound; weight "
                  "clipping, the gradient penalty and spectral normalization keep it bounded, "
                  "and the gradient penalty trains a better generator than clipping.")
def wgan_lipschitz_experiment(s: LipschitzSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * len(METHODS))
    runs = [{method: _train(ctx, s, method, r) for method in METHODS} for r in range(s.repeats)]
    _plot(ctx, s, runs)
    rows = []
    for method in METHODS:
        last = [r[method]["curve"][-1] for r in runs]
        cells = []
        for key, form in (("slope", ".3g"), ("modes", ".1f"), ("fid", ".3f")):
            values = torch.tensor([float(x[key]) for x in last], dtype=torch.float64)
            spread = values.std().item() if len(values) > 1 else 0.0
            cells.append(f"{values.mean().item():{form}} ± {spread:{form}}")
        rows.append([method, *cells])
    return Result(metrics={"runs": runs}, tables=[table(
        "At the end of training, mean ± standard deviation over the repeats (the spread is "
        "the stability across seeds)", ["critic constraint", "slope", "modes covered (of 8)",
                                        "Fréchet distance"], rows)])


def _plot(ctx: RunContext, s: LipschitzSettings, runs: list[dict]) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=4, size=(20, 4))
    for k, method in enumerate(METHODS):
        for j, run in enumerate(runs):
            curve = run[method]["curve"]
            steps = [p["step"] + 1 for p in curve]
            axes[0].plot(steps, [p["slope"] for p in curve], color=f"C{k}", alpha=0.7,
                         label=method if j == 0 else None)
            axes[1].plot(steps, [p["modes"] for p in curve], color=f"C{k}", alpha=0.7,
                         label=method if j == 0 else None)
    axes[0].set(yscale="log", xlabel="generator step", ylabel="critic slope (max gradient norm)")
    axes[1].set(xlabel="generator step", ylabel="ring modes covered (of 8)", ylim=(-0.3, 8.3))
    for ax, method, k in ((axes[2], "clipping", 1), (axes[3], "gradient-penalty", 2)):
        ax.hist(runs[0][method]["weights"], bins=60, color=f"C{k}", label=method)
        ax.set(xlabel="critic weight", ylabel="count", yscale="log",
               title=f"{method}: critic weights at the end, repeat 0")
        ax.locator_params(axis="x", nbins=5)
    for ax in axes:
        ax.legend(fontsize=7)
    ctx.save_figure(fig, "lipschitz", "The critic's slope (log scale) and the ring modes covered "
                    "during training, every repeat; the critic's weights at the end under "
                    f"clipping (piled at ±c = ±{s.clip:g}) and under the gradient penalty "
                    "(WGAN-GP's Figure 1b)")
