r"""Figures of the auto-encoder lecture's experiments."""

from __future__ import annotations


def plot_error_by_code(ctx, s, runs: list[dict]) -> None:
    r"""``autoencoder-vs-pca``: held-out reconstruction error against the code size, every
    repeat, for PCA, the linear and the non-linear auto-encoder."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    for key, label, style in (("pca", "PCA", "k-"), ("linear", "linear AE", "b--"),
                              ("nonlinear", "non-linear AE", "r-")):
        for i, run in enumerate(runs):
            ax.plot(s.code_sizes, [row[key] for row in run["by_code"]], style,
                    marker="o", ms=3, alpha=0.6, label=label if i == 0 else None)
    ax.set(xlabel="code size k", ylabel="held-out squared error per image", xscale="log",
           title="Reconstruction error against the code size")
    ax.set_xticks(list(s.code_sizes), [str(k) for k in s.code_sizes])
    ax.legend()
    ctx.save_figure(fig, "error_by_code", "Held-out reconstruction error of digits against "
                    "the code size; one line per repeat")


def plot_scores(ctx, runs: list[dict]) -> None:
    r"""``anomaly-detection``: the ROC AUC of each score, every repeat."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    names = ("autoencoder", "pca", "knn")
    for j, name in enumerate(names):
        values = [run["auc"][name] for run in runs]
        ax.plot([j] * len(values), values, "o", alpha=0.7)
    ax.axhline(0.5, color="grey", ls=":", lw=1, label="chance")
    ax.set_xticks(range(len(names)), ["auto-encoder", "PCA", "kNN distance"])
    ax.set(ylabel="ROC AUC (anomaly vs normal)", ylim=(0.4, 1.0),
           title="Anomaly scores on held-out digits")
    ax.legend()
    ctx.save_figure(fig, "auc", "ROC AUC of each anomaly score; one point per repeat")
