r"""Figures of the image-generation lecture's experiments."""

from __future__ import annotations


def plot_one_shot(ctx, s, demo: dict, samples, data, losses: list[list[float]]) -> None:
    r"""``diffusion-training-one-shot``: the spread of x_t both ways; the training loss; the
    samples beside the data."""
    from mllab.report import new_figure

    fig, (left, middle, right) = new_figure(ncols=3, size=(14, 4))
    steps = [row["t"] for row in demo["rows"]]
    left.plot(steps, [row["std_sequential"] for row in demo["rows"]], "o-",
              label="t sequential steps")
    left.plot(steps, [row["std_one_shot"] for row in demo["rows"]], "s--",
              label="q_sample, one step")
    left.plot(steps, [row["std_closed_form"] for row in demo["rows"]], "k:",
              label="closed form")
    left.set(xlabel="t", ylabel="std of x_t (first coordinate)", xscale="log",
             title="x_t: one step vs t steps")
    left.legend()
    for i, curve in enumerate(losses):
        middle.plot([c[0] for c in curve], [c[1] for c in curve], alpha=0.6,
                    label=f"repeat {i}")
    middle.set(xlabel="training step", ylabel="epsilon-prediction loss (batch)",
               title="Training on one-shot x_t")
    middle.legend()
    right.plot(data[:, 0], data[:, 1], ".", ms=2, alpha=0.4, label="data (held out)")
    right.plot(samples[:, 0], samples[:, 1], ".", ms=2, alpha=0.4, label="DDPM samples")
    right.set(xlim=(-2, 2), ylim=(-2, 2), aspect="equal", title="Samples (repeat 0)")
    right.legend()
    ctx.save_figure(fig, "one_shot", "The spread of x_t from t sequential noising steps and "
                    "from q_sample; the training loss; samples beside held-out data")
