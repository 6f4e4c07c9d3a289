r"""``positional-encoding``: self-attention alone ignores the order of its inputs; adding a
positional encoding (sinusoidal, arXiv:1706.03762 §3.5, or learned) lets it solve a task whose
label depends on the order.

Data: :func:`mllab.data.order_task` (SYNTHETIC): every sequence holds the tokens ``A`` and
``B`` once each among random fillers, and the label says whether ``A`` comes first. Both classes
have the same distribution of token multisets, so a model without positions and with mean
pooling (a function of the multiset) is right with probability exactly 1/2.

Models: :class:`mllab.transformer.EncoderClassifier` with mean pooling, identical but for
``positional`` (``"none"``, ``"sinusoidal"``, ``"learned"``), trained with Adam and early
stopping on the validation split, scored once on a test set, in each of ``repeats`` repeats
with their own data and initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.config import require
from mllab.data import order_task
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Demonstration, Evidence, paired
from mllab.experiments.self_attention import LECTURE
from mllab.losses import cross_entropy
from mllab.metrics import accuracy
from mllab.train import TrainConfig
from mllab.transformer.encoder_classifier import EncoderClassifier, EncoderClassifierConfig
from mllab.transformer.positional_encoding import sinusoidal_table

ENCODINGS = ("none", "sinusoidal", "learned")
r"""The positional encodings compared."""


@dataclass
class PositionalSettings(Settings):
    T: int = 12
    """Sequence length (>= 2)."""
    vocab: int = 10
    """Vocabulary: A, B and vocab - 2 fillers (>= 3)."""
    n_train: int = 2000
    """Training sequences per repeat (>= 1)."""
    n_valid: int = 500
    """Validation sequences per repeat, for early stopping (>= 1)."""
    n_test: int = 2000
    """Test sequences per repeat (>= 1)."""
    d_model: int = 32
    """Size of token vectors (a multiple of num_heads)."""
    num_heads: int = 2
    """Attention heads (>= 1)."""
    d_ff: int = 64
    """Hidden units of the feed-forward networks (>= 1)."""
    num_layers: int = 2
    """Encoder blocks (>= 1)."""
    epochs: int = 40
    """Most epochs per model; early stopping usually ends sooner (>= 1)."""
    patience: int = 8
    """Early-stopping patience in epochs (>= 1)."""
    batch_size: int = 64
    """Mini-batch size (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: data, initialisation and batch order (>= 1)."""
    margin: float = 0.1
    """Least gain in test accuracy from a positional encoding (>= 0): the claim is that it
    solves the task, not that it nudges the accuracy; 0.1 is far above the spread of an
    accuracy measured on 2,000 test sequences (standard error about 0.011 at 1/2)."""
    chance_tolerance: float = 0.05
    """How far above chance (1/2) the model without positions may score and still count as
    ignoring the order (>= 0): about four standard errors of an accuracy on 2,000 sequences."""

    def validate(self) -> None:
        require(self.T >= 2, "T", ">= 2", self.T)
        require(self.vocab >= 3, "vocab", ">= 3", self.vocab)
        for name in ("n_train", "n_valid", "n_test", "num_heads", "d_ff", "num_layers",
                     "epochs", "patience", "batch_size", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.d_model >= 1 and self.d_model % self.num_heads == 0, "d_model",
                "a positive multiple of num_heads", self.d_model)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.margin >= 0, "margin", ">= 0", self.margin)
        require(self.chance_tolerance >= 0, "chance_tolerance", ">= 0", self.chance_tolerance)

    @classmethod
    def quick(cls) -> PositionalSettings:
        return cls(n_train=400, n_valid=200, n_test=1000, epochs=10, patience=3, repeats=2)


def _model(s: PositionalSettings, positional: str) -> EncoderClassifier:
    return EncoderClassifier(EncoderClassifierConfig(
        num_classes=2, vocab=s.vocab, d_model=s.d_model, num_heads=s.num_heads, d_ff=s.d_ff,
        num_layers=s.num_layers, max_len=s.T, positional=positional, pooling="mean"))


def token_states(model: EncoderClassifier, x: torch.Tensor) -> torch.Tensor:
    r"""The encoder's output vectors :math:`h^{(N)}` ``(B, T, d)`` before pooling."""
    h = model.positional(model.embedding(x))  # (B, T, d)
    for block in model.blocks:
        h = block(h, None)
    return model.norm(h)


def equivariance_gap(model: EncoderClassifier, x: torch.Tensor,
                     generator: torch.Generator) -> float:
    r""":math:`\max |f(Px) - P f(x)|` over a batch, for one random permutation :math:`P` of the
    positions, computed in float64 on a copy of the model."""
    m = _copy64(model)
    perm = torch.randperm(x.shape[1], generator=generator)
    with torch.no_grad():
        return float((token_states(m, x[:, perm]) - token_states(m, x)[:, perm]).abs().max())


def _copy64(model: EncoderClassifier) -> EncoderClassifier:
    m = EncoderClassifier(model.config).double()
    m.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    return m.eval()


def judge_positional(m: dict, s: PositionalSettings) -> Evidence:
    runs = m["test_accuracy_runs"]
    reason = ("a positional encoding should solve the task, not nudge it: far above the "
              "sampling spread of the test accuracy (margin)")
    gaps = m["equivariance_gap"]
    return Evidence(
        checks=[
            Check("self-attention alone ignores the order (accuracy at chance)",
                  "test accuracy without positional encoding", runs["none"], margin=0.0,
                  threshold=0.5 + s.chance_tolerance, below=True,
                  reason="chance is 1/2 by construction; the tolerance above it "
                         "(chance_tolerance) is the threshold"),
            Check("sinusoidal positional encoding lets self-attention solve the task",
                  "test accuracy, sinusoidal minus none", paired(runs["sinusoidal"], runs["none"]),
                  margin=s.margin, reason=reason),
            Check("learned positional encoding lets self-attention solve the task",
                  "test accuracy, learned minus none", paired(runs["learned"], runs["none"]),
                  margin=s.margin, reason=reason)],
        demonstrations=[Demonstration(
            "without positions self-attention is permutation-equivariant: f(Px) = P f(x)",
            f"max |f(Px) - P f(x)| in float64 over a test batch, trained models: none "
            f"{max(gaps['none']):.2e}, sinusoidal {max(gaps['sinusoidal']):.2e}, learned "
            f"{max(gaps['learned']):.2e}")])


@experiment(name="positional-encoding", lecture=LECTURE, judge=judge_positional,
            claim="Self-attention alone ignores the order of its inputs; adding a positional "
                  "encoding (sinusoidal or learned) lets it solve a task whose label depends on "
                  "the order.")
def positional_encoding(s: PositionalSettings, ctx: RunContext) -> Result:
    accuracies: dict[str, list[float]] = {e: [] for e in ENCODINGS}
    gaps: dict[str, list[float]] = {e: [] for e in ENCODINGS}
    epochs_run: dict[str, list[int]] = {e: [] for e in ENCODINGS}
    learned_table = None
    ctx.plan(trials=s.repeats * len(ENCODINGS))
    for r in range(s.repeats):
        g = ctx.generator(f"data/r{r}")
        train, valid, test = (order_task(n, s.T, s.vocab, generator=g)
                              for n in (s.n_train, s.n_valid, s.n_test))
        for e in ENCODINGS:
            with ctx.trial(f"{e}-r{r}") as t:
                model = _model(s, e)
                fit = t.fit(model, torch.optim.Adam(model.parameters(), lr=s.lr), cross_entropy,
                            train, valid, TrainConfig(epochs=s.epochs, batch_size=s.batch_size,
                                                      patience=s.patience),
                            fingerprint=s.to_dict())
            model.eval()
            with torch.no_grad():
                accuracies[e].append(accuracy(model(test[0]), test[1]))
            gaps[e].append(equivariance_gap(model, test[0][:256], ctx.generator(f"perm/{e}{r}")))
            epochs_run[e].append(len(fit.history))
            if e == "learned" and r == 0:
                learned_table = model.positional.embedding.weight.detach().clone()
    mean = {e: sum(v) / len(v) for e, v in accuracies.items()}
    rows = [[e, mean[e], min(accuracies[e]), max(accuracies[e]), max(gaps[e]),
             sum(epochs_run[e]) / s.repeats] for e in ENCODINGS]
    _plot(ctx, s, accuracies, learned_table)
    return Result(
        metrics={"test_accuracy": mean, "test_accuracy_runs": accuracies,
                 "equivariance_gap": gaps},
        tables=[table("Order task (SYNTHETIC): test accuracy by positional encoding",
                      ["positional encoding", "mean accuracy", "min", "max",
                       "max |f(Px) - P f(x)|", "epochs (mean)"], rows)])


def _plot(ctx: RunContext, s: PositionalSettings, accuracies: dict, learned) -> None:
    from mllab.report import new_figure

    fig, axes = new_figure(ncols=2, size=(9, 3.4))
    for ax, pe, title in ((axes[0], sinusoidal_table(s.T, s.d_model), "sinusoidal (fixed)"),
                          (axes[1], learned, "learned (repeat 0, after training)")):
        image = ax.imshow(pe.numpy(), aspect="auto", cmap="RdBu_r")
        ax.set(xlabel="feature", ylabel="position", title=title)
        fig.colorbar(image, ax=ax)
    ctx.save_figure(fig, "encodings", "Positional encodings e^pos, one row per position")
    fig, ax = new_figure(size=(6, 3.6))
    for i, e in enumerate(ENCODINGS):
        ax.scatter([i] * len(accuracies[e]), accuracies[e], color="tab:blue", s=14)
        ax.plot([i - 0.2, i + 0.2], [sum(accuracies[e]) / len(accuracies[e])] * 2, color="k")
    ax.axhline(0.5, color="grey", linestyle=":", label="chance")
    ax.set_xticks(range(len(ENCODINGS)), ENCODINGS)
    ax.set(ylabel="test accuracy", title="Is A before B? (SYNTHETIC)")
    ax.legend()
    ctx.save_figure(fig, "accuracy", "Test accuracy per positional encoding (dots: repeats, "
                                     "bar: mean)")
