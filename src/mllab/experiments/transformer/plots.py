r"""Figures and tables of the Transformer lecture's experiments."""

from __future__ import annotations

from mllab.data.two_translations import OUTPUT_CLASSES
from mllab.experiments.base import table

_LABELS = {"at": "AT, two translations", "nat": "NAT, two translations",
           "nat_control": "NAT, one translation (control)"}


def at_vs_nat_tables(s, timing: dict, runs: dict, summary: dict) -> list[dict]:
    r"""``at-vs-nat``'s tables: decode times, output classes, the length predictor, examples."""
    time_rows = [[T, a * 1e3, n * 1e3, a / n] for T, a, n in
                 zip(timing["lengths"], timing["at_median"], timing["nat_median"], strict=True)]
    rows = [[_LABELS[name], *(f"{v[k][0]:.3f} ± {v[k][1]:.2g}" for k in OUTPUT_CLASSES)]
            for name, v in summary.items()]
    nat = runs["nat"]
    length_rows = [[r, run["length_accuracy"], run["predicted_length_kept"],
                    run["given_length_kept"]] for r, run in enumerate(nat)]
    examples = [[_LABELS[name], " ".join(map(str, [v for v in x if v])), " ".join(map(str, y))]
                for name in ("at", "nat") for x, y in runs[name][0]["examples"]]
    return [
        table(f"Decode wall time of {s.timing_batch} sources (median of {s.timing_rounds} "
              f"interleaved rounds, untrained models)",
              ["T", "AT ms (T steps)", "NAT ms (one pass)", "AT / NAT"], time_rows),
        table(f"Test outputs (mean ± sd over {s.repeats} repeats; SYNTHETIC task, "
              f"target words a(v) = v + 2, b(v) = v + {s.vocab + 2})",
              ["model", "exactly one translation", "mixed", "other"], rows),
        table("NAT length predictor, per repeat (two translations)",
              ["repeat", "length accuracy", "outputs of the predicted length",
               "outputs of the given length"], length_rows),
        table("Examples (repeat 0): source words and output target ids",
              ["model", "source", "output"], examples),
    ]


def plot_decode_time(ctx, timing: dict) -> None:
    r"""``at-vs-nat``: decode wall time of AT and NAT against the output length T."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6, 4))
    T = timing["lengths"]
    for name, color, label in (("at", "tab:red", "AT: T greedy steps"),
                               ("nat", "tab:blue", "NAT: one parallel pass")):
        for i, t in enumerate(T):
            ax.scatter([t] * len(timing[f"{name}_seconds"][i]),
                       [v * 1e3 for v in timing[f"{name}_seconds"][i]], color=color, s=8,
                       alpha=0.5)
        ax.plot(T, [v * 1e3 for v in timing[f"{name}_median"]], "o-", color=color, label=label)
    ax.set(xscale="log", yscale="log", xlabel="output length T", ylabel="decode time (ms)",
           title="Decode wall time vs output length")
    ax.legend()
    ctx.save_figure(fig, "timing", "Decode wall time against the output length T (dots: "
                    "rounds, line: median; wall clock on this machine)")


def plot_outcomes(ctx, runs: dict) -> None:
    r"""``at-vs-nat``: the classes of each model's test outputs, stacked."""
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 4))
    colors = {"exact": "tab:green", "mixed": "tab:orange", "other": "tab:gray"}
    for i, rs in enumerate(runs.values()):
        bottom = 0.0
        for k in OUTPUT_CLASSES:
            v = sum(r[k] for r in rs) / len(rs)
            ax.bar(i, v, bottom=bottom, color=colors[k], label=k if i == 0 else None)
            bottom += v
    ax.set_xticks(range(len(runs)), [_LABELS[n].replace(", ", "\n") for n in runs], fontsize=8)
    ax.set(ylabel="fraction of test outputs", ylim=(0, 1),
           title="Exactly one valid translation, mixed, or other")
    ax.legend()
    ctx.save_figure(fig, "outcomes", "Test outputs of each model (mean over repeats): exactly "
                    "one valid translation, a mix of the two, or other")
