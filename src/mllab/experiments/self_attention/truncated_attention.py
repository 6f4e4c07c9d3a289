r"""``truncated-attention``: where the information a label needs is local, attention truncated
to a window around each token (the lecture's remedy for long inputs such as speech) is about
as accurate as full attention and computes a fraction of its scores.

Data: :func:`mllab.data.local_task` (SYNTHETIC): the label of token :math:`t` counts the marker
tokens within distance :math:`r` of it, so nothing farther away matters.

Models: :class:`mllab.transformer.EncoderClassifier` with a label per token and sinusoidal
positions, identical but for ``window``: ``None`` (full attention) or :math:`w = r` (truncated:
token :math:`t` attends to :math:`|t - j| \le w`). Adam, early stopping on the validation
split, one test score per repeat.

Cost, counted (a demonstration, never deciding): a self-attention layer computes one score
:math:`q^i \cdot k^j` and one weighted value :math:`\alpha_{i,j} v^j` per visible pair, each
:math:`d` multiply-adds, so

.. math::
    \mathrm{FLOPs} = 4\,d\,P, \qquad P_\text{full} = T^2, \qquad
    P_\text{window} = \sum_{i=0}^{T-1} \big(\min(T-1, i+w) - \max(0, i-w) + 1\big)
    = T(2w+1) - w(w+1) \quad (w < T),

(the projections :math:`W^q, W^k, W^v` and the feed-forward network cost the same in both).
The masked dense kernel used here (``mllab.attention.window_mask`` in
``F.scaled_dot_product_attention``) still computes all :math:`T^2` scores and then hides most of
them, so **it saves no time**: the saving is only realised by a kernel that computes the band
alone, and none is timed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require, require_int
from mllab.data import local_task
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, Precondition, paired
from mllab.experiments.self_attention import LECTURE
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.train import TrainConfig
from mllab.transformer.encoder_classifier import EncoderClassifier, EncoderClassifierConfig

MODELS = ("full", "truncated")
r"""Full attention, and attention truncated to the window."""

COST_LENGTHS = (32, 128, 512, 2048, 8192)
r"""Sequence lengths of the table of counted attention FLOPs."""


def attention_pairs(T: int, w: int | None) -> int:
    r"""Visible (query, key) pairs :math:`P`: :math:`T^2` for full attention (``w = None``),
    :math:`T(2w+1) - w(w+1)` for the window :math:`|i - j| \le w` (``w < T``)."""
    require_int("T", T, 1)
    if w is None or w >= T - 1:
        return T * T
    require_int("w", w, 0)
    return T * (2 * w + 1) - w * (w + 1)  # sum_i (min(T-1, i+w) - max(0, i-w) + 1)


def attention_flops(T: int, d: int, w: int | None) -> int:
    r"""Floating-point operations of one attention layer's scores and weighted sums:
    :math:`4 d P` (a multiply-add is two operations; :math:`QK^\top` and :math:`AV` each
    :math:`d` per pair)."""
    return 4 * d * attention_pairs(T, w)


@dataclass
class TruncatedSettings(Settings):
    T: int = 32
    """Sequence length (>= 2)."""
    vocab: int = 6
    """Vocabulary: the marker and vocab - 1 fillers (>= 2)."""
    radius: int = 2
    """Radius r of the information a label needs (>= 1); labels 0 .. 2r + 1."""
    window: int = 2
    """Truncation window w of the truncated model (>= 0); the radius of the task, known by
    construction, as speech's frames are known to matter locally."""
    n_train: int = 2000
    """Training sequences per repeat (>= 1)."""
    n_valid: int = 500
    """Validation sequences per repeat (>= 1)."""
    n_test: int = 1000
    """Test sequences per repeat (>= 1); accuracy is over all their tokens."""
    d_model: int = 32
    """Size of token vectors (a multiple of num_heads)."""
    num_heads: int = 2
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Hidden units of the feed-forward networks (>= 1)."""
    num_layers: int = 2
    """Encoder blocks (>= 1)."""
    epochs: int = 30
    """Most epochs per model; early stopping usually ends sooner (>= 1)."""
    patience: int = 5
    """Early-stopping patience in epochs (>= 1)."""
    batch_size: int = 64
    """Mini-batch size in sequences (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: data, initialisation and batch order (>= 1)."""
    tolerance: float = 0.02
    """m in "truncated is no worse than full by more than m" (>= 0): two tokens in a hundred,
    the accuracy one may trade for a cost that no longer grows as T squared."""
    learned_gain: float = 0.2
    """Precondition: truncated attention must beat always predicting the most frequent label
    by this much test accuracy (>= 0), or "as accurate as full" could mean "both failed"."""

    def validate(self) -> None:
        require(self.T >= 2, "T", ">= 2", self.T)
        require(self.vocab >= 2, "vocab", ">= 2", self.vocab)
        require(self.radius >= 1, "radius", ">= 1", self.radius)
        require(0 <= self.window < self.T - 1, "window", f"in [0, T - 2 = {self.T - 2}]",
                self.window)
        for name in ("n_train", "n_valid", "n_test", "num_heads", "d_ff", "num_layers",
                     "epochs", "patience", "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                "a positive multiple of num_heads", self.d_model)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.tolerance >= 0, "tolerance", ">= 0", self.tolerance)
        require(self.learned_gain >= 0, "learned_gain", ">= 0", self.learned_gain)

    @classmethod
    def quick(cls) -> TruncatedSettings:
        return cls(n_train=300, n_valid=200, n_test=300, epochs=8, patience=3, repeats=2)


def _model(s: TruncatedSettings, name: str) -> EncoderClassifier:
    return EncoderClassifier(EncoderClassifierConfig(
        num_classes=2 * s.radius + 2, vocab=s.vocab, d_model=s.d_model, num_heads=s.num_heads,
        d_ff=s.d_ff, num_layers=s.num_layers, max_len=s.T, positional="sinusoidal",
        window=None if name == "full" else s.window, pooling="none"))


def per_token_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Cross-entropy averaged over every token: logits ``(B, T, C)``, labels ``(B, T)``."""
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))  # (B*T, C)


def judge_truncated(m: dict, s: TruncatedSettings) -> Evidence:
    runs, cost = m["test_accuracy_runs"], m["cost"]
    majority = m["majority_accuracy"]
    gain = paired(runs["truncated"], majority)
    return Evidence(
        checks=[Check(f"truncated attention is no worse than full by more than {s.tolerance}",
                      "per-token test accuracy, truncated minus full",
                      paired(runs["truncated"], runs["full"]), margin=0.0,
                      threshold=-s.tolerance,
                      reason="the tolerance m (tolerance) is the threshold: a small loss of "
                             "accuracy is the accepted price of the cheaper window")],
        preconditions=[Precondition(
            f"truncated attention learned the task (beats the most frequent label by "
            f"{s.learned_gain} in every repeat)",
            "gain per repeat " + ", ".join(f"{v:+.3f}" for v in gain),
            all(v >= s.learned_gain for v in gain))],
        demonstrations=[Demonstration(
            "attention FLOPs 4 d P: P = T^2 for full attention, T(2w+1) - w(w+1) for the "
            "window",
            f"at T = {s.T}, w = {s.window}, d = {s.d_model}: full {cost['full']:,}, truncated "
            f"{cost['truncated']:,} FLOPs per layer and sequence (ratio "
            f"{cost['truncated'] / cost['full']:.3f}); at T = {COST_LENGTHS[-1]} the ratio is "
            f"{attention_pairs(COST_LENGTHS[-1], s.window) / COST_LENGTHS[-1] ** 2:.5f}")],
        notes=["the masked dense kernel computes all T^2 scores and hides most, so it saves "
               "no time here; only a kernel computing the band alone would"])


@experiment(name="truncated-attention", lecture=LECTURE, judge=judge_truncated,
            claim="Where the information is local, attention truncated to a window is about as "
                  "accurate as full attention and computes far fewer scores.")
def truncated_attention(s: TruncatedSettings, ctx: RunContext) -> Result:
    runs: dict[str, list[float]] = {name: [] for name in MODELS}
    majority: list[float] = []
    ctx.plan(trials=s.repeats * len(MODELS))
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        train, valid, test = (local_task(n, s.T, s.vocab, s.radius, generator=g)
                              for n in (s.n_train, s.n_valid, s.n_test))
        most = torch.bincount(train[1].flatten()).argmax()
        majority.append((test[1] == most).double().mean().item())
        for name in MODELS:
            with ctx.trial(f"{name}-r{r}") as t:
                model = _model(s, name)
                t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr),
                      per_token_cross_entropy, train, valid,
                      TrainConfig(epochs=s.epochs, batch_size=s.batch_size, patience=s.patience),
                      fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                logits = model(test[0])  # (B, T, C)
            runs[name].append(accuracy(logits.reshape(-1, logits.shape[-1]),
                                       test[1].reshape(-1)))
    cost = {"full": attention_flops(s.T, s.d_model, None),
            "truncated": attention_flops(s.T, s.d_model, s.window)}
    sweep = [[T, attention_flops(T, s.d_model, None), attention_flops(T, s.d_model, s.window),
              attention_pairs(T, s.window) / T ** 2] for T in COST_LENGTHS]
    mean = {name: sum(v) / len(v) for name, v in runs.items()}
    _plot(ctx, s, runs, majority)
    return Result(
        metrics={"test_accuracy": mean, "test_accuracy_runs": runs,
                 "majority_accuracy": majority, "cost": cost},
        tables=[table("Local task (SYNTHETIC): per-token test accuracy",
                      ["attention", "mean accuracy", "min", "max", "FLOPs per layer"],
                      [[n, mean[n], min(runs[n]), max(runs[n]), cost[n]] for n in MODELS]),
                table(f"Counted attention FLOPs per layer and sequence (d = {s.d_model}, "
                      f"w = {s.window}); the masked dense kernel does the full count",
                      ["T", "full", "truncated", "ratio"], sweep)])


def _plot(ctx: RunContext, s: TruncatedSettings, runs: dict, majority: list[float]) -> None:
    from mllab.report import new_figure

    fig, (ax, bx) = new_figure(ncols=2, size=(10, 3.6))
    for i, name in enumerate(MODELS):
        ax.scatter([i] * len(runs[name]), runs[name], color="tab:blue", s=14)
        ax.plot([i - 0.2, i + 0.2], [sum(runs[name]) / len(runs[name])] * 2, color="k")
    ax.axhline(sum(majority) / len(majority), color="grey", linestyle=":",
               label="most frequent label")
    ax.set_xticks(range(len(MODELS)), ["full", f"truncated (w = {s.window})"])
    ax.set(ylabel="per-token test accuracy", title="Local counting task (SYNTHETIC)")
    ax.legend()
    lengths = list(COST_LENGTHS)
    bx.loglog(lengths, [attention_flops(T, s.d_model, None) for T in lengths], marker="o",
              label="full: 4 d T²")
    bx.loglog(lengths, [attention_flops(T, s.d_model, s.window) for T in lengths], marker="o",
              label=f"truncated: 4 d (T(2w+1) - w(w+1)), w = {s.window}")
    bx.set(xlabel="T", ylabel="attention FLOPs per layer", title="Counted cost")
    bx.legend(fontsize=8)
    ctx.save_figure(fig, "accuracy_and_cost", "Left: per-token test accuracy (dots: repeats, "
                    "bar: mean). Right: counted attention FLOPs against T")
