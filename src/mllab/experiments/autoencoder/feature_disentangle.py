r"""``feature-disentangle``: a code in two parts, content and style, and the swap
:math:`d([e_c(a); e_f(b)])` that decodes the digit of :math:`a` in the style of :math:`b` (the
auto-encoder lecture's feature disentanglement, its voice-conversion example: the words of
one speaker said in the voice of another; Chou et al., arXiv:1804.02812). The lecture's point:
reconstruction alone does not tell the two parts apart, the adversary on the content part does.

**Data.** scikit-learn's 8×8 digits, pixels in :math:`[0, 1]`; every image is put into one of
four SYNTHETIC styles drawn at random (independent of the digit), the style being the known
factor :math:`y`: ``plain`` (as is), ``faint`` (:math:`x/2`), ``grey-background``
(:math:`0.4 + 0.6x`) and ``thick`` (strokes dilated by a 2 × 2 maximum). The digit stays
readable in each. Each repeat splits the images 60 / 40 into training and test images.

**Models.** Per repeat two :class:`mllab.autoencoder.DisentanglingAutoencoder` (content
:math:`k_c = 16`, factor :math:`k_f = 2`, one hidden layer of 128) from the same initial
weights and the same batches, trained on the training images with the style as :math:`y`:

- **adversary**: the factor classifier on :math:`f` and the adversary on :math:`c`
  (:math:`\lambda_f = \lambda_c = 1`);
- **no adversary**: the same with :math:`\lambda_c = 0` (the factor classifier kept), so the
  only difference is the adversarial term.

**Measures.** Two CNNs (:class:`mllab.gan.DigitsClassifier`) trained once per repeat on the
styled training images, one for the digit and one for the style; their accuracies on the test
images are preconditions. On ``pairs`` test pairs :math:`(a, b)` with different digits and
different styles, the swap (clamped to :math:`[0, 1]`) is judged: *style taken* = the style
classifier says :math:`b`'s style, *digit kept* = the digit classifier says :math:`a`'s digit,
*both right* = both at once.

**Checks.** With the adversary, style taken and digit kept lie far above chance (1/4, 1/10);
the both-right rate with the adversary exceeds that without it. A precondition: the baseline
is a working auto-encoder (its own reconstructions keep digit and style).

Differences from the course: images and a class label for the style instead of utterances and
speakers; the adversary's target is the uniform distribution (see the component).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from mllab.autoencoder import DisentanglingAutoencoder
from mllab.config import require
from mllab.experiments.autoencoder import LECTURE
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.gan import load_digit_images, train_digits_classifier
from mllab.metrics import accuracy
from mllab.train import LoopConfig, LoopState, transient


def faint(x: Tensor) -> Tensor:
    r"""SYNTHETIC: strokes at half intensity, :math:`x / 2`."""
    return 0.5 * x


def grey_background(x: Tensor) -> Tensor:
    r"""SYNTHETIC: the black level lifted, :math:`0.4 + 0.6x` (the strokes stay white)."""
    return 0.4 + 0.6 * x


def thick(x: Tensor) -> Tensor:
    r"""SYNTHETIC: strokes dilated by one pixel right and down, :math:`\max` over each pixel's
    2 × 2 neighbourhood up and to the left; ``(N, 1, 8, 8)``."""
    return F.max_pool2d(F.pad(x, (1, 0, 1, 0)), 2, stride=1)


STYLES = {"plain": lambda x: x, "faint": faint, "grey-background": grey_background,
          "thick": thick}
"""The SYNTHETIC styles, the known factor y (its index in this dict)."""
VARIANTS = {"adversary": 1.0, "no-adversary": 0.0}
r"""Variant: :math:`\lambda_c`, the weight of the adversarial term."""
STYLE_CHANCE, DIGIT_CHANCE = 1 / len(STYLES), 0.1
SHOWN = 8
"""Pairs in the figure."""


def apply_styles(x: Tensor, style: Tensor) -> Tensor:
    r"""Each image ``x[n]`` ``(N, 1, 8, 8)`` in the style ``style[n]`` (an index into
    :data:`STYLES`)."""
    out = torch.empty_like(x)
    for k, f in enumerate(STYLES.values()):
        out[style == k] = f(x[style == k])
    return out


@dataclass
class DisentangleSettings(Settings):
    content_size: int = 16
    """k_c (>= 1): room for an 8x8 digit's shape (PCA keeps most of a digit in 16 numbers)."""
    factor_size: int = 2
    """k_f (>= 1): the smallest code in which a linear head separates four styles; a small
    factor part leaves little room for the digit, so the decoder must take it from c."""
    hidden: int = 128
    """Width of each encoder's hidden layer (and the decoder's) (>= 1)."""
    steps: int = 3000
    """Adam updates per auto-encoder (>= 1): about 350 passes over the training images."""
    batch_size: int = 128
    """Images per update (>= 1)."""
    lr: float = 1e-3
    """Adam's learning rate (> 0)."""
    factor_weight: float = 1.0
    """lambda_f, both variants (>= 0): the component's default."""
    adversary_weight: float = 1.0
    """lambda_c of the adversary variant (> 0): the component's default, the weight at which
    its own test disentangles."""
    classifier_steps: int = 800
    """Adam steps of each judging classifier (>= 1)."""
    pairs: int = 1000
    """Test pairs (a, b) judged per repeat (>= SHOWN): one pair is 0.1 points."""
    repeats: int = 5
    """Independent repeats: split, styles, initialisation, batches, classifiers, pairs."""
    least_classifier_accuracy: float = 0.9
    """Precondition: each classifier's test accuracy on real styled images, every repeat."""
    least_reconstruction: float = 0.7
    """Precondition: the baseline's own reconstructions d(e(a)) of test images keep digit and
    style (both right) at least this often, every repeat: it is a working auto-encoder."""
    least_share: float = 0.5
    """'Far above chance' means more than this share of the way from chance to 1 (in
    (0, 1)): style taken above 0.625 (chance 0.25), digit kept above 0.55 (chance 0.1);
    contradicted below chance."""
    margin: float = 0.1
    """Least mean gain of the both-right rate, adversary minus no adversary: ten points, a
    clear effect against the 1-2 points of pair sampling (1000 pairs per repeat)."""

    def validate(self) -> None:
        for name in ("content_size", "factor_size", "hidden", "steps", "batch_size",
                     "classifier_steps", "repeats"):
            require(getattr(self, name) >= 1, name, ">= 1", getattr(self, name))
        require(self.pairs >= SHOWN, "pairs", f">= {SHOWN}", self.pairs)
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(self.factor_weight >= 0, "factor_weight", ">= 0", self.factor_weight)
        require(self.adversary_weight > 0, "adversary_weight", "> 0", self.adversary_weight)
        for name in ("least_classifier_accuracy", "least_reconstruction", "least_share"):
            require(0 < getattr(self, name) < 1, name, "in (0, 1)", getattr(self, name))
        require(0 <= self.margin < 1, "margin", "in [0, 1)", self.margin)

    @classmethod
    def quick(cls) -> DisentangleSettings:
        return cls(steps=150, classifier_steps=100, pairs=200, repeats=2)


@dataclass(kw_only=True)
class DisentangleState(LoopState):
    r"""What training the disentangling auto-encoder changes; the data are fixed."""

    model: DisentanglingAutoencoder
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    """Draws the batches."""
    x: Tensor = transient()
    """Training images ``(N, 64)``."""
    y: Tensor = transient()
    """Their styles ``(N,)``."""


def disentangle_step(s: DisentangleSettings, adversary_weight: float):
    r"""One Adam update of :math:`L` (the component's loss) on a batch drawn with replacement."""
    every = max(1, s.steps // 10)

    def step(state: DisentangleState) -> dict | None:
        i = torch.randint(len(state.x), (s.batch_size,), generator=state.generator)
        L = state.model.loss(state.x[i], state.y[i], s.factor_weight, adversary_weight)
        state.optimizer.zero_grad(set_to_none=True)
        L.loss.backward()
        state.optimizer.step()
        if state.step % every == 0 or state.step == s.steps - 1:
            return {k: getattr(L, k).item() for k in ("loss", "reconstruction", "factor",
                                                      "adversary", "confusion")}
        return None

    return step


def _train(ctx: RunContext, s: DisentangleSettings, variant: str, r: int, x: Tensor,
           y: Tensor) -> DisentanglingAutoencoder:
    with ctx.trial(f"{variant}-r{r}") as t:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(ctx.seed_for(f"r{r}/init"))  # the same weights for both variants
            model = DisentanglingAutoencoder(64, s.content_size, s.factor_size, len(STYLES),
                                             hidden=(s.hidden,))
        state = DisentangleState(model=model, optimizer=torch.optim.Adam(model.parameters(),
                                                                         lr=s.lr),
                                 generator=ctx.generator(f"r{r}/batches"), x=x, y=y)
        weight = s.adversary_weight if VARIANTS[variant] else 0.0
        t.run(disentangle_step(s, weight), state, LoopConfig(steps=s.steps),
              fingerprint=s.to_dict())
    return model.eval()


def _style_probe(model: DisentanglingAutoencoder, x_train, y_train, x_test, y_test) -> float:
    r"""Style left in the content part: a logistic regression on :math:`c`, test accuracy."""
    from sklearn.linear_model import LogisticRegression

    with torch.no_grad():
        c_train, c_test = model.encode(x_train)[0].numpy(), model.encode(x_test)[0].numpy()
    probe = LogisticRegression(max_iter=2000).fit(c_train, y_train.numpy())
    return float(probe.score(c_test, y_test.numpy()))


def _repeat(ctx: RunContext, s: DisentangleSettings, r: int) -> dict:
    x, digit = load_digit_images()
    x = (x + 1) / 2  # (N, 1, 8, 8), pixels in [0, 1]
    style = torch.randint(len(STYLES), (len(x),), generator=ctx.generator(f"r{r}/styles"))
    x = apply_styles(x, style)
    order = torch.randperm(len(x), generator=ctx.generator(f"r{r}/split"))
    train, test = order[: int(0.6 * len(x))], order[int(0.6 * len(x)):]
    models = {v: _train(ctx, s, v, r, x[train].flatten(1), style[train]) for v in VARIANTS}

    def evaluate() -> dict:
        g = ctx.generator(f"r{r}/classifiers")
        judges = {"digit": train_digits_classifier(x[train], digit[train], generator=g,
                                                   steps=s.classifier_steps),
                  "style": train_digits_classifier(x[train], style[train], generator=g,
                                                   steps=s.classifier_steps)}
        labels = {"digit": digit, "style": style}
        gp = ctx.generator(f"r{r}/pairs")
        i, j = test[torch.randint(len(test), (2, 4 * s.pairs), generator=gp)]
        keep = (digit[i] != digit[j]) & (style[i] != style[j])
        a, b = i[keep][: s.pairs], j[keep][: s.pairs]
        with torch.no_grad():
            out = {f"{k}_classifier": accuracy(f(x[test]), labels[k][test])
                   for k, f in judges.items()}
            out["pairs"] = len(a)

            def said(k: str, images: Tensor) -> Tensor:
                return judges[k](images.clamp(0, 1).view(-1, 1, 8, 8)).argmax(1)

            for v, m in models.items():
                swap = m.swap(x[a].flatten(1), x[b].flatten(1))  # (P, 64)
                rec = m(x[test].flatten(1))  # (N_test, 64)
                took, kept = said("style", swap) == style[b], said("digit", swap) == digit[a]
                rebuilt = (said("style", rec) == style[test]) & (said("digit", rec)
                                                                  == digit[test])
                out[v] = {"style": float(took.double().mean()),
                          "digit": float(kept.double().mean()),
                          "both": float((took & kept).double().mean()),
                          "reconstruction": float(rebuilt.double().mean()),
                          "probe": _style_probe(m, x[train].flatten(1), style[train],
                                                x[test].flatten(1), style[test])}
                if r == 0:
                    out[v]["images"] = swap[:SHOWN].clamp(0, 1).view(SHOWN, 8, 8).tolist()
            if r == 0:
                out["a"], out["b"] = x[a[:SHOWN], 0].tolist(), x[b[:SHOWN], 0].tolist()
        return out

    with ctx.trial(f"measure-r{r}") as t:
        out = t.record("swap", evaluate)
    ctx.log(trial=f"measure-r{r}", digit_classifier=out["digit_classifier"],
            style_classifier=out["style_classifier"],
            **{f"{v}_{k}": out[v][k] for v in VARIANTS for k in ("style", "digit", "both")})
    return out


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def judge_disentangle(m: dict, s: DisentangleSettings) -> Evidence:
    runs = m["runs"]
    checks = []
    for key, chance, words in (
            ("style", STYLE_CHANCE, "the decoded output takes the style of the second example"),
            ("digit", DIGIT_CHANCE, "the decoded output keeps the digit of the first example")):
        least = chance + s.least_share * (1 - chance)
        checks.append(Check(
            f"swapping the factor part of the code between two examples: {words}, far above "
            f"chance", f"{'style taken' if key == 'style' else 'digit kept'} by the swap "
            f"d([e_c(a); e_f(b)]) with the adversary (its classifier's answer)",
            [r["adversary"][key] for r in runs], threshold=(least + chance) / 2,
            margin=(least - chance) / 2, reason=f"held above {least:.3g} (least_share of the way "
            f"from chance to 1), contradicted below chance {chance:.3g}"))
    checks.append(Check(
        "the adversarial term on the content part is what disentangles: with it the swap gets "
        "both the style of b and the digit of a right more often than without it",
        "both-right rate of the swap, adversary minus no adversary (same initial weights)",
        paired([r["adversary"]["both"] for r in runs], [r["no-adversary"]["both"] for r in runs]),
        margin=s.margin, reason="ten points (margin)"))
    lowest = {k: min(r[f"{k}_classifier"] for r in runs) for k in ("digit", "style")}
    rebuilt = min(r["no-adversary"]["reconstruction"] for r in runs)
    pre = [Precondition(f"the {k} classifier's test accuracy on real styled digits >= "
                        f"{s.least_classifier_accuracy:g} in every repeat", f"lowest {v:.3f}",
                        v >= s.least_classifier_accuracy) for k, v in lowest.items()]
    pre.append(Precondition(
        f"the baseline is a working auto-encoder: its reconstructions of test images keep digit "
        f"and style in >= {s.least_reconstruction:g} of them in every repeat",
        f"lowest {rebuilt:.3f}", rebuilt >= s.least_reconstruction))
    notes = [f"{v}: mean over repeats style taken {_mean(r[v]['style'] for r in runs):.3f}, "
             f"digit kept {_mean(r[v]['digit'] for r in runs):.3f}, both "
             f"{_mean(r[v]['both'] for r in runs):.3f}; reconstructions right "
             f"{_mean(r[v]['reconstruction'] for r in runs):.3f}; style left in c (linear "
             f"probe, chance {STYLE_CHANCE:g}) {_mean(r[v]['probe'] for r in runs):.3f}"
             for v in VARIANTS]
    return Evidence(checks=checks, preconditions=pre, notes=notes + [
        "the styles are SYNTHETIC; both classifiers learn from the training images only"])


@experiment(name="feature-disentangle", lecture=LECTURE, judge=judge_disentangle,
            claim="Swapping the factor part of the code between two examples makes the decoded "
                  "output take the style from the second example and keep the digit of the "
                  "first (SYNTHETIC styles of the digits); the adversary on the content part "
                  "is what makes it work.")
def feature_disentangle_experiment(s: DisentangleSettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats * (len(VARIANTS) + 1))
    runs = [_repeat(ctx, s, r) for r in range(s.repeats)]
    _plot(ctx, runs[0])
    rows = [[r, f"{run['digit_classifier']:.3f}", f"{run['style_classifier']:.3f}",
             *(f"{run[v]['style']:.3f} / {run[v]['digit']:.3f} / {run[v]['both']:.3f}"
               for v in VARIANTS)] for r, run in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        "Per repeat: the classifiers' test accuracy, and each variant's swap judged: style "
        "taken / digit kept / both right", ["repeat", "digit classifier", "style classifier",
                                            "adversary", "no adversary"], rows)])


def _plot(ctx: RunContext, run: dict) -> None:
    from mllab.report import new_figure

    rows = [("a (digit)", run["a"]), ("b (style)", run["b"]),
            ("swap, adversary", run["adversary"]["images"]),
            ("swap, no adversary", run["no-adversary"]["images"])]
    fig, axes = new_figure(ncols=SHOWN, nrows=len(rows), size=(1.2 * SHOWN + 1, 1.3 * len(rows)))
    for k, (label, images) in enumerate(rows):
        for n in range(SHOWN):
            ax = axes[k, n]
            ax.imshow(images[n], cmap="gray", vmin=0, vmax=1)
            ax.set(xticks=[], yticks=[])
        axes[k, 0].set_ylabel(label, fontsize=7)
    ctx.save_figure(fig, "swaps", "Test pairs (repeat 0): a, b, and d([e_c(a); e_f(b)]) with and "
                    "without the adversary; the swap should show a's digit in b's SYNTHETIC style")
