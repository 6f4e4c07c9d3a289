r"""``attention-vs-window``: sequence labelling whose label needs a token far away; a fully
connected network over a window of neighbours cannot use what lies outside its window, and
self-attention, which looks at every token, can.

The lecture's first way to label each vector of a sequence is a fully connected network on
the vector and its neighbours ("consider a window"); a window that covers the whole sequence
would need a huge network and a fixed length, so it proposes self-attention instead. Here the
task is :func:`mllab.data.long_range_task` (SYNTHETIC): one cue token of class :math:`c` at a
random position :math:`p`, and every label :math:`y_t = (f_t + c) \bmod K` needs it. Positions
farther than ``window`` from the cue are out of the window network's reach; by construction
its best accuracy there is :math:`1/K` (shown as a demonstration). Both networks train with
Adam for the same epochs on the same sequences in each of ``repeats`` repeats (data,
initialisation and batch order drawn anew), and are scored on fresh test sequences.

Differences from the course: the lecture's vectors are acoustic frames with phoneme labels; the
tokens here are one-hot symbols of a synthetic task built so that the label depends on one far
token. The window network sees :math:`2w + 1` one-hot tokens (positions outside the sequence
hold an extra padding symbol).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mllab.config import require
from mllab.data import accuracy_by_distance, long_range_task, long_range_vocab
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.self_attention import LECTURE
from mllab.losses import cross_entropy
from mllab.nn import MLP, MLPConfig, num_parameters
from mllab.train import TrainConfig
from mllab.transformer import EncoderClassifier, EncoderClassifierConfig

MODELS = ("window network", "self-attention")


@dataclass
class WindowSettings(Settings):
    length: int = 32
    """Tokens per sequence T (>= 2)."""
    classes: int = 4
    """Classes K of every label (>= 2); chance accuracy is 1/K."""
    window: int = 2
    """The window network sees tokens t - window .. t + window (>= 0, < length - 1)."""
    window_width: int = 64
    """Hidden units of each of the window network's two hidden layers (>= 1)."""
    d_model: int = 32
    """Self-attention's token vector size d (a multiple of num_heads)."""
    num_heads: int = 2
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Hidden units of the encoder block's feed-forward network (>= 1)."""
    num_layers: int = 1
    """Encoder blocks (>= 1)."""
    train_sequences: int = 2000
    """Training sequences per repeat (>= 1)."""
    test_sequences: int = 500
    """Test sequences per repeat (>= 1)."""
    epochs: int = 8
    """Epochs of Adam for both networks (>= 1)."""
    batch_size: int = 64
    """Sequences per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate for both networks (> 0)."""
    repeats: int = 5
    """Independent repeats: data, initialisation, batch order (>= 1)."""
    margin: float = 0.1
    """Noise allowance on accuracy differences (>= 0): out of reach the window network is at
    chance (1/K = 0.25 for K = 4) and the claim is that self-attention is far above it; a gap
    below 0.1 counts as none."""

    def validate(self) -> None:
        for name, least in (("length", 2), ("classes", 2), ("window", 0), ("window_width", 1),
                            ("num_heads", 1), ("d_ff", 1), ("num_layers", 1),
                            ("train_sequences", 1), ("test_sequences", 1), ("epochs", 1),
                            ("batch_size", 1), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.window < self.length - 1, "window", f"< length - 1 = {self.length - 1} "
                "(some positions must lie out of reach)", self.window)
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                f"a positive multiple of num_heads = {self.num_heads}", self.d_model)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> WindowSettings:
        return cls(length=16, train_sequences=800, test_sequences=200, repeats=2)


class WindowNetwork(nn.Module):
    r"""The lecture's "consider a window": a fully connected network on the one-hot tokens
    around each position,

    .. math:: z_t = \mathrm{MLP}\big([\mathrm{onehot}(x_{t-w}); \dots;
        \mathrm{onehot}(x_{t+w})]\big),

    the same network at every position; positions outside the sequence hold a padding symbol
    (id ``vocab``)."""

    def __init__(self, vocab: int, classes: int, window: int, width: int) -> None:
        super().__init__()
        self.vocab, self.window = vocab, window
        self.mlp = MLP(MLPConfig(in_features=(2 * window + 1) * (vocab + 1),
                                 out_features=classes, depth=2, width=width))

    def forward(self, x: Tensor) -> Tensor:
        r"""Logits ``(B, T, K)`` for token ids ``x`` ``(B, T)``."""
        w = self.window
        padded = F.pad(x, (w, w), value=self.vocab)  # (B, T + 2w)
        one_hot = F.one_hot(padded, self.vocab + 1).float()  # (B, T + 2w, V + 1)
        windows = one_hot.unfold(1, 2 * w + 1, 1).transpose(2, 3)  # (B, T, 2w + 1, V + 1)
        return self.mlp(windows.flatten(2))  # (B, T, (2w + 1)(V + 1)) -> (B, T, K)


def token_cross_entropy(logits: Tensor, y: Tensor) -> Tensor:
    r"""Cross-entropy averaged over every position of every sequence: logits ``(B, T, K)``,
    labels ``(B, T)``."""
    return cross_entropy(logits.flatten(0, 1), y.flatten())  # (B T, K) against (B T,)


def _build(name: str, s: WindowSettings) -> nn.Module:
    vocab = long_range_vocab(s.classes)
    if name == "window network":
        return WindowNetwork(vocab, s.classes, s.window, s.window_width)
    return EncoderClassifier(EncoderClassifierConfig(
        s.classes, vocab=vocab, d_model=s.d_model, num_heads=s.num_heads, d_ff=s.d_ff,
        num_layers=s.num_layers, max_len=s.length))


def judge_window(m: dict, s: WindowSettings) -> Evidence:
    far, near, chance = m["far_accuracy_runs"], m["near_accuracy_runs"], m["chance"]
    window, attention = far["window network"], far["self-attention"]
    reason = f"out of reach the window network is at chance ({chance:g}); a gap below " \
             f"{s.margin:g} counts as none (margin)"
    return Evidence(
        checks=[Check("self-attention can use what lies outside the window",
                      f"test accuracy on positions farther than {s.window} from their cue, "
                      f"self-attention minus window network", paired(attention, window),
                      margin=s.margin, reason=reason),
                Check("a window network uses what lies inside its window, not outside it",
                      f"window network test accuracy, positions within {s.window} of the cue "
                      f"minus positions farther", paired(near["window network"], window),
                      margin=s.margin, reason=reason)],
        demonstrations=[Demonstration(
            f"out of its window's reach the label is independent of what the window network "
            f"sees, so no such network can beat 1/K = {chance:g} there (by construction)",
            "window network's accuracy farther than the window, per repeat: "
            + ", ".join(f"{v:.4f}" for v in window))],
        notes=[f"parameters: window network {m['parameters']['window network']:,}, "
               f"self-attention {m['parameters']['self-attention']:,}",
               "self-attention's accuracy farther than the window, per repeat: "
               + ", ".join(f"{v:.4f}" for v in attention)])


@experiment(name="attention-vs-window", lecture=LECTURE, judge=judge_window,
            claim="A fully connected network over a window of neighbours cannot use what lies "
                  "outside its window; self-attention, which considers the whole sequence, "
                  "can.")
def attention_vs_window(s: WindowSettings, ctx: RunContext) -> Result:
    far: dict[str, list[float]] = {n: [] for n in MODELS}
    near: dict[str, list[float]] = {n: [] for n in MODELS}
    curves: dict[str, list[list[float]]] = {n: [] for n in MODELS}
    parameters = {}
    ctx.plan(trials=s.repeats * len(MODELS))
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        train = long_range_task(s.train_sequences, s.length, s.classes, generator=g)
        test = long_range_task(s.test_sequences, s.length, s.classes, generator=g)
        for name in MODELS:
            with ctx.trial(f"{name.replace(' ', '-')}-r{r}") as t:
                model = _build(name, s)
                t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), token_cross_entropy,
                      (train.x, train.y), None,
                      TrainConfig(epochs=s.epochs, batch_size=s.batch_size),
                      fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                predicted = model(test.x).argmax(-1)  # (N, T)
            correct = predicted == test.y
            reach = test.distance <= s.window
            near[name].append(correct[reach].double().mean().item())
            far[name].append(correct[~reach].double().mean().item())
            curves[name].append(_finite(accuracy_by_distance(predicted, test.y, test.distance,
                                                             s.length - 1)))
            parameters[name] = num_parameters(model)
    _plot_by_distance(ctx, s, curves)
    mean = {n: (sum(near[n]) / s.repeats, sum(far[n]) / s.repeats) for n in MODELS}
    return Result(
        metrics={"far_accuracy_runs": far, "near_accuracy_runs": near, "chance": 1 / s.classes,
                 "accuracy_by_distance_runs": curves, "parameters": parameters},
        tables=[table(f"Test accuracy (mean over {s.repeats} repeats; SYNTHETIC long-range "
                      f"task, T = {s.length}, K = {s.classes})",
                      ["network", "parameters", f"within {s.window} of the cue",
                       f"farther than {s.window}"],
                      [[n, parameters[n], *mean[n]] for n in MODELS])])


def _finite(values: list[float]) -> list[float | None]:
    r"""NaN (no position at that distance) as ``None``, so that equal runs compare equal."""
    return [v if v == v else None for v in values]


def _plot_by_distance(ctx: RunContext, s: WindowSettings, curves: dict) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(7, 3.8))
    for name, color in zip(MODELS, ("tab:orange", "tab:blue"), strict=True):
        for run in curves[name]:
            ax.plot(range(len(run)), [float("nan") if v is None else v for v in run],
                    color=color, alpha=0.25, lw=0.8)
        mean = [sum(v for v in col if v is not None) / max(1, sum(v is not None for v in col))
                for col in zip(*curves[name], strict=True)]
        ax.plot(range(len(mean)), mean, color=color, lw=2, label=name)
    ax.axvline(s.window + 0.5, color="k", ls="--", lw=1, label=f"window edge (w = {s.window})")
    ax.axhline(1 / s.classes, color="gray", ls=":", lw=1, label=f"chance 1/K = {1 / s.classes:g}")
    ax.set(xlabel="distance |t − p| from the cue", ylabel="test accuracy", ylim=(0, 1.05),
           title="Labels that need a far token: window network vs self-attention")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "accuracy_by_distance", "Test accuracy by distance from the cue (thin: "
                    "repeats, thick: mean); the window network sees the cue only left of the "
                    "dashed line")
