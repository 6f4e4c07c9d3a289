r"""``diffusion-training-one-shot``: DDPM adds noise step by step,
:math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon_t`, but training never runs
those steps: :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon` draws
the same distribution in one step (DDPM, arXiv:2006.11239, Eq. 4), and training on it
(Algorithm 1) learns (the image-generation lecture's "noise is added in one step during
training").

SYNTHETIC data, in the plane: an equal mixture of ``modes`` Gaussians of standard deviation
``sigma`` on a ring of radius ``radius`` (:func:`mllab.gan.sample_mixture`); the linear
:math:`\beta` schedule of the paper (:math:`10^{-4}` to 0.02, T = 1000).

(a) **Demonstration** (float64): from the same :math:`x_0`, :math:`t` sequential noising
steps and one call of :func:`mllab.diffusion.q_sample` give :math:`x_t` of the same
distribution: per coordinate, the means and standard deviations of both agree with each
other and with the closed form (:math:`\sqrt{\bar\alpha_t}\,\mathbb{E}x_0`,
:math:`\sqrt{\bar\alpha_t \mathrm{Var}\,x_0 + 1 - \bar\alpha_t}`), the residual
:math:`(x_t - \sqrt{\bar\alpha_t} x_0)/\sqrt{1-\bar\alpha_t}` of the sequential chain has unit
standard deviation (the conditional :math:`q(x_t|x_0)`), and the 1-D Wasserstein distance
between the two is at the level of two independent one-shot draws.

(b) **Evidence**, per repeat: an :class:`mllab.diffusion.MLPDenoiser` trained by
:func:`mllab.diffusion.ddpm_training_step` (one-shot :math:`x_t` only) has an
:math:`\epsilon`-prediction loss, on the same fixed draws of :math:`(x_0, t, \epsilon)`,
well below its value at initialisation; and Algorithm 2's samples
(:func:`mllab.diffusion.ddpm_sample`) lie closer to held-out data than the
:math:`\mathcal N(0, I)` noise they start from, by the energy distance

.. math:: D(P, Q) = 2\,\mathbb E\lVert X - Y\rVert - \mathbb E\lVert X - X'\rVert
    - \mathbb E\lVert Y - Y'\rVert .

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
    ddpm_loss,
    ddpm_sample,
    ddpm_training_step,
    q_sample,
)
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence
from mllab.experiments.image_generation import LECTURE
from mllab.experiments.image_generation.plots import plot_one_shot
from mllab.gan import ring_centers, sample_mixture
from mllab.train import LoopConfig


@dataclass
class OneShotSettings(Settings):
    modes: int = 8
    """Gaussians of the ring mixture (>= 1)."""
    radius: float = 1.0
    """Radius of the ring (> 0): data of about unit scale, as DDPM assumes."""
    sigma: float = 0.1
    """Standard deviation of each Gaussian (> 0)."""
    T: int = 1000
    """Diffusion steps of the linear schedule (the paper's 1000) (>= 2)."""
    demo_steps: tuple[int, ...] = (1, 10, 100, 500, 1000)
    """Numbers of sequential noising steps t of the demonstration, increasing, in 1..T."""
    demo_size: int = 20000
    """Draws of x_0 in the demonstration (>= 2)."""
    train_size: int = 4096
    """Training examples x_0 (>= 1)."""
    steps: int = 3000
    """Training iterations of Algorithm 1 (>= 1)."""
    batch_size: int = 256
    """Examples per iteration (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    width: int = 128
    """Hidden units of the denoiser (>= 1)."""
    eval_size: int = 2048
    """Fixed (x_0, t, epsilon) draws on which the loss is measured before and after training;
    also the number of samples and of held-out data points for the energy distance (>= 2)."""
    repeats: int = 5
    """Independent repeats: data, initialisation, batches, sampling noise (>= 1)."""
    loss_margin: float = 0.25
    """Least relative drop 1 - L(trained)/L(init) that counts as 'well below' (in [0, 1)): a
    quarter of the loss at initialisation, far beyond the sampling error of a mean over
    eval_size draws (a few per cent)."""
    distance_margin: float = 0.5
    """How far below 1 the ratio D(samples, data)/D(noise, data) must lie (in [0, 1)): at
    least half the way from the starting noise to the data, so that a sampler that merely
    shrinks its noise a little does not count."""

    def validate(self) -> None:
        for name, least in (("modes", 1), ("T", 2), ("demo_size", 2), ("train_size", 1),
                            ("steps", 1), ("batch_size", 1), ("width", 1), ("eval_size", 2),
                            ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        for name in ("radius", "sigma", "lr"):
            require(getattr(self, name) > 0, name, "> 0", getattr(self, name))
        for name in ("loss_margin", "distance_margin"):
            require(0 <= getattr(self, name) < 1, name, "in [0, 1)", getattr(self, name))
        d = list(self.demo_steps)
        require(len(d) >= 1 and d == sorted(set(d)) and d[0] >= 1 and d[-1] <= self.T,
                "demo_steps", f"increasing integers in 1..T = {self.T}", self.demo_steps)

    @classmethod
    def quick(cls) -> OneShotSettings:
        return cls(demo_size=4000, steps=300, eval_size=256, repeats=2)


def schedule_of(s: OneShotSettings, dtype: torch.dtype = torch.float32) -> NoiseSchedule:
    r"""The paper's linear :math:`\beta` schedule with ``s.T`` steps."""
    return NoiseSchedule.make("linear", T=s.T).to(dtype)


def data_of(s: OneShotSettings, n: int, g: torch.Generator,
            dtype: torch.dtype = torch.float32) -> Tensor:
    r"""``n`` draws of the ring mixture, ``(n, 2)``."""
    return sample_mixture(ring_centers(s.modes, s.radius), n, s.sigma, generator=g,
                          dtype=dtype)[0]


def sequential_noising(schedule: NoiseSchedule, x: Tensor, start: int, stop: int,
                       g: torch.Generator) -> Tensor:
    r"""Steps :math:`s = ` ``start + 1``, ..., ``stop`` of
    :math:`x_s = \sqrt{1-\beta_s}\,x_{s-1} + \sqrt{\beta_s}\,\epsilon_s` from ``x``
    :math:`= x_{start}` (Eq. 2's forward process; step :math:`s` is index ``s - 1`` of the
    schedule)."""
    for i in range(start, stop):
        eps = torch.randn(x.shape, generator=g, dtype=x.dtype)
        x = (1 - schedule.beta[i]).sqrt() * x + schedule.beta[i].sqrt() * eps  # q(x_s|x_{s-1})
    return x


def wasserstein_1d(a: Tensor, b: Tensor) -> float:
    r"""The 1-D Wasserstein-1 distance of two samples of equal size: the mean gap of their
    sorted values."""
    return (a.sort().values - b.sort().values).abs().mean().item()


def energy_distance(x: Tensor, y: Tensor) -> float:
    r""":math:`2\,\mathbb E\lVert X-Y\rVert - \mathbb E\lVert X-X'\rVert - \mathbb E\lVert Y-Y'
    \rVert` (V-statistic, float64); 0 for equal distributions."""
    x, y = x.double(), y.double()
    return (2 * torch.cdist(x, y).mean() - torch.cdist(x, x).mean()
            - torch.cdist(y, y).mean()).item()


def one_shot_demo(s: OneShotSettings, g: torch.Generator) -> dict:
    r"""(a): for each t of ``demo_steps``, x_t by t sequential steps and by ``q_sample`` from
    the same x_0 (float64); moments, closed form, residual spread and W1 against the W1 of two
    independent one-shot draws."""
    schedule = schedule_of(s, torch.float64)
    x0 = data_of(s, s.demo_size, g, torch.float64)
    rows, x, done = [], x0, 0
    for t in s.demo_steps:
        x = sequential_noising(schedule, x, done, t, g)  # continue the same chain to step t
        done = t
        index = torch.full((len(x0),), t - 1, dtype=torch.long)  # step t is index t - 1
        one, other = (q_sample(schedule, x0, index, generator=g) for _ in range(2))
        ab = schedule.alpha_bar[t - 1].item()
        rows.append({
            "t": t, "alpha_bar": ab,
            "mean_sequential": x[:, 0].mean().item(), "mean_one_shot": one[:, 0].mean().item(),
            "mean_closed_form": ab ** 0.5 * x0[:, 0].mean().item(),
            "std_sequential": x[:, 0].std().item(), "std_one_shot": one[:, 0].std().item(),
            "std_closed_form": (ab * x0[:, 0].var().item() + 1 - ab) ** 0.5,
            "residual_std": ((x - ab ** 0.5 * x0) / (1 - ab) ** 0.5).std().item(),
            "w1": wasserstein_1d(x[:, 0], one[:, 0]),
            "w1_null": wasserstein_1d(other[:, 0], one[:, 0])})
    return {"rows": rows}


def _train(ctx: RunContext, s: OneShotSettings, r: int) -> dict:
    r"""One repeat: the loss on fixed draws at initialisation, training (Algorithm 1), the
    loss again, samples (Algorithm 2) and their energy distance to held-out data."""
    name = f"ddpm-r{r}"
    with ctx.trial(name) as t:
        schedule = schedule_of(s)
        model = MLPDenoiser(dim=2, T=s.T, width=s.width)
        eval_x0 = data_of(s, s.eval_size, ctx.generator(f"{name}/eval-data"))

        def fixed_loss() -> float:
            with torch.no_grad():  # the same (x_0, t, ε) before and after training
                return ddpm_loss(model.eval(), schedule, eval_x0,
                                 generator=ctx.generator(f"{name}/eval-draws")).item()

        loss_init = t.record("loss_init", fixed_loss)
        state = DDPMState(eps_model=model, optimizer=torch.optim.Adam(model.parameters(),
                                                                      lr=s.lr),
                          generator=ctx.generator(f"{name}/draws"),
                          data=data_of(s, s.train_size, ctx.generator(f"{name}/data")),
                          schedule=schedule)
        inner, every = ddpm_training_step(s.batch_size), max(1, s.steps // 50)

        def step(st: DDPMState) -> dict | None:
            line = inner(st)
            return line if st.step % every == 0 else None

        history = t.run(step, state, LoopConfig(steps=s.steps), fingerprint=s.to_dict()).history

        def evaluate() -> dict:
            g = ctx.generator(f"{name}/sampling")
            samples = ddpm_sample(model, schedule, (s.eval_size, 2), generator=g)
            noise = torch.randn(s.eval_size, 2, generator=g)  # what the sampler starts from
            held_out = data_of(s, s.eval_size, ctx.generator(f"{name}/held-out"))
            return {"loss_trained": fixed_loss(),
                    "d_samples": energy_distance(samples, held_out),
                    "d_noise": energy_distance(noise, held_out),
                    "samples": samples[:1000].tolist(), "held_out": held_out[:1000].tolist(),
                    "curve": [[line["step"] + 1, line["train_loss"]] for line in history]}

        return {"loss_init": loss_init, **t.record("evaluation", evaluate)}


def judge_one_shot(m: dict, s: OneShotSettings) -> Evidence:
    runs, rows = m["runs"], m["demo"]["rows"]
    checks = [
        Check("training on x_t drawn in one step learns: the epsilon-prediction loss ends well "
              "below its value at initialisation",
              "relative drop 1 - L(trained)/L(init) on the same fixed (x_0, t, epsilon) draws",
              [1 - r["loss_trained"] / r["loss_init"] for r in runs], margin=s.loss_margin,
              reason=f"{s.loss_margin:.0%} of the loss at initialisation, far beyond its "
                     f"sampling error (loss_margin)"),
        Check("the trained model's samples (Algorithm 2) lie closer to the data than the noise "
              "they start from", "energy distance to held-out data, samples / N(0, I) noise",
              [r["d_samples"] / r["d_noise"] for r in runs], margin=s.distance_margin,
              threshold=1.0, below=True,
              reason="at least half the way from the noise to the data (distance_margin)")]
    return Evidence(checks=checks, demonstrations=[
        Demonstration("x_t from q_sample (one step) has the distribution of t sequential "
                      "noising steps: same mean and spread as each other and as the closed "
                      "form", "first coordinate, sequential / one-shot / closed form: " +
                      "; ".join(f"t = {r['t']}: mean {r['mean_sequential']:+.4f} / "
                                f"{r['mean_one_shot']:+.4f} / {r['mean_closed_form']:+.4f}, "
                                f"std {r['std_sequential']:.4f} / {r['std_one_shot']:.4f} / "
                                f"{r['std_closed_form']:.4f}" for r in rows)),
        Demonstration("given x_0, the sequential chain's x_t - sqrt(alpha_bar_t) x_0 is "
                      "N(0, (1 - alpha_bar_t) I), as q(x_t | x_0) says",
                      "std of the standardised residual at t = " + ", ".join(
                          f"{r['t']}: {r['residual_std']:.4f}" for r in rows)),
        Demonstration("the W1 distance between sequential and one-shot x_t is at the level of "
                      "two independent one-shot draws (the noise floor)",
                      "W1 sequential vs one-shot (two one-shot draws) at t = " + ", ".join(
                          f"{r['t']}: {r['w1']:.4f} ({r['w1_null']:.4f})" for r in rows))])


@experiment(name="diffusion-training-one-shot", lecture=LECTURE, judge=judge_one_shot,
            claim="During training the noise is added in one step: x_t from q_sample has the "
                  "distribution of t sequential noising steps, and a denoiser trained on it "
                  "learns: its epsilon-prediction loss falls well below its value at "
                  "initialisation and its samples lie closer to the data than noise.")
def diffusion_training_one_shot(s: OneShotSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats + 1)
    with ctx.trial("one-shot-demo") as t:
        demo = t.record("demo", lambda: one_shot_demo(s, ctx.generator("demo")))
    runs = [_train(ctx, s, r) for r in range(s.repeats)]
    plot_one_shot(ctx, s, demo, torch.tensor(runs[0]["samples"]),
                  torch.tensor(runs[0]["held_out"]), [r["curve"] for r in runs])
    summary = [{k: v for k, v in r.items() if k not in ("samples", "held_out", "curve")}
               for r in runs]
    rows = [[i, f"{r['loss_init']:.4f}", f"{r['loss_trained']:.4f}", f"{r['d_samples']:.4f}",
             f"{r['d_noise']:.4f}"] for i, r in enumerate(summary)]
    demo_rows = [[r["t"], f"{r['alpha_bar']:.4f}", f"{r['std_sequential']:.4f}",
                  f"{r['std_one_shot']:.4f}", f"{r['std_closed_form']:.4f}",
                  f"{r['residual_std']:.4f}", f"{r['w1']:.4f}", f"{r['w1_null']:.4f}"]
                 for r in demo["rows"]]
    return Result(metrics={"runs": summary, "demo": demo}, tables=[
        table("x_t after t steps (first coordinate): sequential chain vs q_sample", [
            "t", "alpha_bar_t", "std sequential", "std one-shot", "std closed form",
            "residual std (1 = q(x_t|x_0))", "W1 seq. vs one-shot", "W1 one-shot vs one-shot"],
            demo_rows),
        table("Per repeat: the epsilon-prediction loss on fixed draws, and the energy distance "
              "to held-out data", ["repeat", "loss at init", "loss trained",
                                   "D(samples, data)", "D(noise, data)"], rows)])
