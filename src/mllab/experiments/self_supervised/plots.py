r"""Figures of the self-supervised experiments that fine-tune: training curves and scores
(``pretrain-vs-scratch``), accuracy against the trainable share (``adapters``)."""

from __future__ import annotations

from mllab.experiments.context import RunContext

_COLORS = {"pretrained": "tab:blue", "scratch": "tab:orange"}


def plot_pretrain_vs_scratch(ctx: RunContext, curves: dict, final: dict, baseline: dict,
                             metric: dict) -> None:
    from mllab.report import new_figure

    tasks = list(curves)
    fig, axes = new_figure(ncols=len(tasks), size=(3.4 * len(tasks), 3.4))
    for ax, task in zip(axes, tasks, strict=True):
        for arm, runs in curves[task].items():
            for r, curve in enumerate(runs):
                ax.plot([p[0] for p in curve], [p[1] for p in curve], color=_COLORS[arm],
                        alpha=0.6, marker=".", label=arm if r == 0 else None)
        base = sum(baseline[task]) / len(baseline[task])
        ax.axhline(base, color="k", lw=0.8, ls="--", label="baseline")
        ax.set(xlabel="fine-tuning step", ylabel=f"test {metric[task]}", title=task)
    axes[0].legend()
    ctx.save_figure(fig, "curves", "Test score during fine-tuning (first test examples along "
                    "the way, the whole test set at the end), every repeat; dashed: the "
                    "task's baseline (majority class; best fixed span for QA).")


def plot_adapters(ctx: RunContext, scores: dict, share: dict, baseline: dict,
                  metric: dict) -> None:
    from mllab.report import new_figure

    tasks = list(scores)
    fig, axes = new_figure(ncols=len(tasks), size=(4.2 * len(tasks), 3.6))
    axes = axes if len(tasks) > 1 else [axes]
    for ax, task in zip(axes, tasks, strict=True):
        for method, runs in scores[task].items():
            x = share[task][method]
            ax.scatter([x] * len(runs), runs, s=14)
            ax.annotate(method, (x, sum(runs) / len(runs)), fontsize=8,
                        xytext=(4, 0), textcoords="offset points")
        base = sum(baseline[task]) / len(baseline[task])
        ax.axhline(base, color="k", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set(xlabel="share of parameters trained", ylabel=f"test {metric[task]}",
               title=task)
    ctx.save_figure(fig, "accuracy_vs_share", "Test score against the share of trainable "
                    "parameters (log scale), one dot per repeat; dashed: the task's baseline.")
