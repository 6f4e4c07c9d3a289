r"""``attention-vs-cnn``: CNN is a restricted self-attention (Cordonnier et al.,
arXiv:1911.03584): with little data the CNN is better (its stronger model bias fits images),
with more data self-attention catches up (ViT's observation, arXiv:2010.11929).

Data: scikit-learn's digits (8×8 grey images, 1,797 in all). Each repeat draws its own split
(60% train, 20% validation, 20% test) and trains on ``n`` training images for every ``n`` in
``sizes``, ``0`` meaning all of them (1,079): the first ``n`` of a random permutation of the
training split drawn per repeat, so the subsets are nested (the split's own order is not
random enough: its first 50 images can miss whole classes). "All" is small here: the
lecture's and ViT's crossover needs millions of images, so on digits self-attention may only
close part of the gap, which is what the second check measures.

Models: a small CNN (:class:`mllab.nn.CNN`) on the images (pixels scaled to [-1, 1]), and
self-attention (:class:`mllab.transformer.EncoderClassifier`, learned positions, mean pooling)
on the same pixels cut into 2×2 patches (:func:`mllab.data.image_patches`, 16 tokens of 4
features). Every model gets the same budget of updates whatever ``n`` (``updates``), early
stopping on the whole validation split (``patience_updates``, best weights restored), Adam,
and is scored once on the whole test split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import image_patches, load_dataset
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, paired
from mllab.experiments.self_attention import LECTURE
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.nn import CNN, CNNConfig, num_parameters
from mllab.train import TrainConfig
from mllab.transformer.encoder_classifier import EncoderClassifier, EncoderClassifierConfig

MODELS = ("cnn", "self-attention")
r"""The two models compared."""


@dataclass
class AttentionCNNSettings(Settings):
    sizes: tuple[int, ...] = (50, 100, 250, 0)
    """Training-set sizes, increasing; 0 means the whole training split (1,079)."""
    patch: int = 2
    """Side of the square patches that become tokens (divides 8)."""
    d_model: int = 32
    """Size of the self-attention model's token vectors (a multiple of num_heads)."""
    num_heads: int = 4
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Hidden units of its feed-forward networks (>= 1)."""
    num_layers: int = 2
    """Encoder blocks (>= 1)."""
    channels: tuple[int, ...] = (16, 32)
    """Filters of the CNN's convolutional layers (as in cnn-vs-fc)."""
    hidden: int = 64
    """Fully connected units after the CNN's convolutions (>= 0)."""
    updates: int = 800
    """Most updates per model, at every size (>= 1), so that small sets are not undertrained."""
    patience_updates: int = 200
    """Early-stopping patience in updates (>= 1), turned into whole epochs per size."""
    batch_size: int = 32
    """Mini-batch size (>= 1); smaller sets use all their images in each batch."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: split, subsets, initialisations and batch order (>= 1)."""
    margin: float = 0.02
    """Noise allowance on accuracy differences (>= 0): two test points in a hundred, a
    difference below which neither model would be called better on 360 test images."""

    def validate(self) -> None:
        require(len(self.sizes) >= 2 and all(n >= 0 for n in self.sizes), "sizes",
                "two or more integers >= 0", self.sizes)
        real = [n if n else math.inf for n in self.sizes]
        require(real == sorted(real) and len(set(real)) == len(real), "sizes",
                "strictly increasing (0 = all last)", self.sizes)
        require(all(n == 0 or n >= 10 for n in self.sizes), "sizes",
                "at least 10 images each (or 0 = all)", self.sizes)
        require(self.patch in (1, 2, 4, 8), "patch", "one of 1, 2, 4, 8", self.patch)
        for name in ("num_heads", "d_ff", "num_layers", "updates", "patience_updates",
                     "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                "a positive multiple of num_heads", self.d_model)
        require(len(self.channels) >= 1 and min(self.channels) >= 1, "channels",
                "one or more integers >= 1", self.channels)
        require(self.hidden >= 0, "hidden", ">= 0", self.hidden)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0, "margin", ">= 0", self.margin)

    @classmethod
    def quick(cls) -> AttentionCNNSettings:
        return cls(sizes=(50, 0), updates=60, patience_updates=30, repeats=2)


def _models(s: AttentionCNNSettings) -> dict:
    T, features = (8 // s.patch) ** 2, s.patch ** 2
    return {
        "cnn": lambda: CNN(CNNConfig(channels=s.channels, hidden=s.hidden, pool=True)),
        "self-attention": lambda: EncoderClassifier(EncoderClassifierConfig(
            num_classes=10, in_features=features, d_model=s.d_model, num_heads=s.num_heads,
            d_ff=s.d_ff, num_layers=s.num_layers, max_len=T, positional="learned",
            pooling="mean")),
    }


def _gaps(runs: dict, sizes: list[str]) -> dict[str, list[float]]:
    r"""CNN minus self-attention test accuracy per repeat, at each size."""
    return {n: paired(runs["cnn"][n], runs["self-attention"][n]) for n in sizes}


def judge_attention_cnn(m: dict, s: AttentionCNNSettings) -> Evidence:
    runs, sizes = m["test_accuracy_runs"], m["sizes"]
    gap = _gaps(runs, sizes)
    small, large = sizes[0], sizes[-1]
    return Evidence(
        checks=[
            Check("with little data the CNN is better (more model bias)",
                  f"test accuracy, CNN minus self-attention, at {small} training images",
                  gap[small], margin=s.margin, reason="two test points in a hundred (margin)"),
            Check("with more data self-attention catches up (the gap shrinks)",
                  f"(CNN minus self-attention) at {small} images minus the same at {large}",
                  paired(gap[small], gap[large]), margin=s.margin,
                  reason="two test points in a hundred (margin)")],
        notes=[f"CNN minus self-attention at {n} images, per repeat: "
               + ", ".join(f"{v:+.4f}" for v in gap[n]) for n in sizes]
        + [f"'all' is the whole digits training split, {sizes[-1]} images: small, so the "
           "catching up is measured, not a crossover"])


@experiment(name="attention-vs-cnn", lecture=LECTURE, judge=judge_attention_cnn,
            claim="CNN is a restricted self-attention: with little data the CNN is better "
                  "(more model bias); with more data self-attention catches up.")
def attention_vs_cnn(s: AttentionCNNSettings, ctx: RunContext) -> Result:
    runs: dict[str, dict[str, list[float]]] = {name: {} for name in MODELS}
    parameters: dict[str, int] = {}
    ctx.plan(trials=s.repeats * len(s.sizes) * len(MODELS))
    for r in range(s.repeats):
        raw = load_dataset("digits", seed=ctx.seed_for(f"split/r{r}"), standardize=False)
        order = torch.randperm(len(raw.x_train), generator=ctx.generator(f"subsets/r{r}"))
        for n in s.sizes:
            n = n or len(raw.x_train)
            train, valid, test = _data(raw, order[:n], s.patch)
            steps = math.ceil(n / s.batch_size)  # updates per epoch
            config = TrainConfig(epochs=math.ceil(s.updates / steps), batch_size=s.batch_size,
                                 patience=math.ceil(s.patience_updates / steps))
            for name, build in _models(s).items():
                x = {"cnn": 0, "self-attention": 1}[name]
                with ctx.trial(f"{name}-n{n}-r{r}") as t:
                    model = build()
                    t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
                          (train[x], train[2]), (valid[x], valid[2]), config,
                          fingerprint=s.to_dict())
                model.eval()
                with torch.no_grad():
                    acc = accuracy(model(test[x]), test[2])
                runs[name].setdefault(str(n), []).append(acc)
                parameters[name] = num_parameters(model)
    sizes = list(runs["cnn"])
    mean = {name: {n: sum(v) / len(v) for n, v in runs[name].items()} for name in MODELS}
    rows = [[n, mean["cnn"][n], mean["self-attention"][n],
             mean["cnn"][n] - mean["self-attention"][n]] for n in sizes]
    _plot(ctx, runs, sizes)
    return Result(
        metrics={"sizes": sizes, "test_accuracy": mean, "test_accuracy_runs": runs,
                 "parameters": parameters},
        tables=[table(f"Digits test accuracy by training-set size (CNN {parameters['cnn']:,} "
                      f"parameters, self-attention {parameters['self-attention']:,})",
                      ["training images", "CNN", "self-attention", "CNN minus attention"],
                      rows)])


def _data(raw, subset: torch.Tensor, p: int) -> tuple:
    r"""``(images, patches, labels)`` of the training images ``subset``, and of the validation
    and test splits. Pixels (0 .. 16 in digits) are scaled by the fixed map
    :math:`x / 8 - 1` to :math:`[-1, 1]`: statistics of 50 images would give the pixels that
    are always black there a variance of zero."""

    def views(x, y):
        x = x / 8.0 - 1.0  # (N, 64), in [-1, 1]
        return x, image_patches(x.reshape(-1, 8, 8), p), y  # (N, 64), (N, T, p*p), (N,)

    return (views(raw.x_train[subset], raw.y_train[subset]), views(raw.x_valid, raw.y_valid),
            views(raw.x_test, raw.y_test))


def _plot(ctx: RunContext, runs: dict, sizes: list[str]) -> None:
    from mllab.report import new_figure

    fig, ax = new_figure(size=(6.5, 3.8))
    x = [int(n) for n in sizes]
    for name, color in zip(MODELS, ("tab:orange", "tab:blue"), strict=True):
        for n in sizes:
            ax.scatter([int(n)] * len(runs[name][n]), runs[name][n], color=color, s=10,
                       alpha=0.6)
        ax.plot(x, [sum(runs[name][n]) / len(runs[name][n]) for n in sizes], color=color,
                marker="o", label=name)
    ax.set_xscale("log")
    ax.set(xlabel="training images (log scale; the largest is all of digits' training split)",
           ylabel="test accuracy", title="Digits: CNN vs self-attention on 2×2 patches")
    ax.legend()
    ctx.save_figure(fig, "accuracy", "Test accuracy against training-set size (dots: repeats, "
                                     "line: mean)")
