r"""``anomaly-detection``: where normal data is plentiful and anomalies are rare and of unknown
kinds, a binary classifier cannot be trained ("one-class" learning); an auto-encoder trained
on normal data only rebuilds normal inputs well and anomalies badly, so its reconstruction
error tells them apart (the auto-encoder lecture's anomaly detection).

Data: scikit-learn's digits, pixels scaled to [0, 1]; ``normal_classes`` are the normal data,
the other digits the anomalies. Each repeat draws its own split; every model sees only the
normal images of the training part (no anomaly, no label). The held-out test part, normal and
anomalous images together, is scored by

- the auto-encoder's reconstruction error :math:`\lVert x - d(e(x)) \rVert^2`
  (:func:`mllab.autoencoder.reconstruction_score`; a ReLU
  :class:`mllab.autoencoder.MLPAutoencoder` with a code of ``code_size``);
- PCA's reconstruction error with as many components
  (:func:`mllab.autoencoder.pca_reconstruction_score`), the linear auto-encoder's optimum;
- the distance to the ``knn``-th nearest normal training image
  (:func:`mllab.autoencoder.knn_distance_score`);

each judged by its ROC AUC (:func:`mllab.metrics.roc_auc`, anomalies the positives).

Evidence: the auto-encoder's AUC is well above chance, and above PCA's (the non-linear code is
what the auto-encoder adds). The kNN baseline is reported beside them as a comparison, for
information: the lecture makes no claim about it.

Differences from the course: the lecture's example is faces (normal) against other images;
digits of some classes against the others stand in for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mllab.autoencoder import (
    MLPAutoencoder,
    knn_distance_score,
    pca_reconstruction_score,
    reconstruction_score,
)
from mllab.config import require
from mllab.experiments.autoencoder import LECTURE
from mllab.experiments.autoencoder.autoencoder_vs_pca import digits_images, train_autoencoder
from mllab.experiments.autoencoder.plots import plot_scores
from mllab.experiments.base import Result, Settings, experiment, table
from mllab.experiments.context import RunContext
from mllab.experiments.evidence import Check, Evidence, Precondition, paired
from mllab.metrics import roc_auc

SCORES = ("autoencoder", "pca", "knn")
"""The anomaly scores compared, in the order of the tables."""


@dataclass
class AnomalySettings(Settings):
    normal_classes: tuple[int, ...] = (0, 1, 2, 3, 4)
    """The digits that are normal data (the others are anomalies): one to nine of 0..9."""
    code_size: int = 8
    """The auto-encoder's code size, and PCA's number of components (in 1..64)."""
    hidden: tuple[int, ...] = (128, 64)
    """Hidden widths of the auto-encoder's encoder (the decoder mirrors them)."""
    knn: int = 5
    """k of the k-nearest-neighbour distance baseline (>= 1)."""
    epochs: int = 200
    """Training epochs of the auto-encoder (>= 1)."""
    batch_size: int = 64
    """Images per update (>= 1)."""
    lr: float = 3e-3
    """Adam's learning rate (> 0)."""
    repeats: int = 5
    """Independent repeats: data split, initialisation, batch order (>= 1)."""
    chance_margin: float = 0.15
    """Least AUC above 0.5 that counts as 'well above chance' (in [0, 0.5)): an AUC of 0.65
    ranks an anomaly above a normal image in two pairs of three, far outside the sampling
    spread of an AUC on ~360 held-out images (about 0.03)."""
    pca_margin: float = 0.02
    """Least AUC gain over PCA that counts as 'better' (>= 0): two points of AUC, below the
    sampling spread of one AUC on ~360 held-out images, so smaller gains count as none."""

    def validate(self) -> None:
        for name, least in (("knn", 1), ("epochs", 1), ("batch_size", 1), ("repeats", 1)):
            require(getattr(self, name) >= least, name, f">= {least}", getattr(self, name))
        require(self.lr > 0, "lr", "> 0", self.lr)
        require(1 <= self.code_size <= 64, "code_size", "in 1..64", self.code_size)
        c = self.normal_classes
        require(1 <= len(c) <= 9 and len(set(c)) == len(c) and all(0 <= d <= 9 for d in c),
                "normal_classes", "one to nine distinct digits of 0..9", c)
        require(all(w >= 1 for w in self.hidden) and len(self.hidden) >= 1, "hidden",
                "one or more widths >= 1", self.hidden)
        require(0 <= self.chance_margin < 0.5, "chance_margin", "in [0, 0.5)",
                self.chance_margin)
        require(self.pca_margin >= 0, "pca_margin", ">= 0", self.pca_margin)

    @classmethod
    def quick(cls) -> AnomalySettings:
        return cls(epochs=30, repeats=2)


def judge_anomaly(m: dict, s: AnomalySettings) -> Evidence:
    runs = m["runs"]
    auc = {name: [r["auc"][name] for r in runs] for name in SCORES}
    mean = {name: sum(v) / len(v) for name, v in auc.items()}
    anomalous_seen = max(r["anomalies_in_training"] for r in runs)
    return Evidence(
        checks=[
            Check("an auto-encoder trained on normal data only detects anomalies by its "
                  "reconstruction error", "ROC AUC of the auto-encoder's reconstruction error",
                  auc["autoencoder"], margin=s.chance_margin, threshold=0.5,
                  reason=f"AUC {0.5 + s.chance_margin:g} or more is 'well above chance', far "
                         f"outside an AUC's sampling spread (chance_margin)"),
            Check(f"its non-linear code does better than PCA with as many components "
                  f"({s.code_size})", "ROC AUC, auto-encoder minus PCA reconstruction error",
                  paired(auc["autoencoder"], auc["pca"]), margin=s.pca_margin,
                  reason="below one AUC's sampling spread (pca_margin)")],
        preconditions=[Precondition(
            "one-class training: no anomaly (and no label) among the training images",
            f"anomalous training images: {anomalous_seen}", anomalous_seen == 0)],
        notes=[f"for information (no claim of the lecture): mean AUC of the kNN distance "
               f"baseline (k = {s.knn}) {mean['knn']:.3f} against the auto-encoder's "
               f"{mean['autoencoder']:.3f} and PCA's {mean['pca']:.3f}; auto-encoder minus kNN "
               f"per repeat: " + ", ".join(f"{d:+.3f}" for d in paired(auc["autoencoder"],
                                                                      auc["knn"]))])


@experiment(name="anomaly-detection", lecture=LECTURE, judge=judge_anomaly,
            claim="Trained on normal data only, an auto-encoder detects anomalies by its "
                  "reconstruction error (ROC AUC well above chance) and does better than PCA's "
                  "reconstruction error; a kNN distance baseline is reported beside them.")
def anomaly_detection(s: AnomalySettings, ctx: RunContext) -> Result:
    ctx.plan(trials=s.repeats)
    runs = []
    normal = torch.tensor(s.normal_classes)
    for r in range(s.repeats):
        x_train, y_train, x_test, y_test = digits_images(ctx.seed_for(f"split/r{r}"))
        seen = torch.isin(y_train, normal)  # one-class: normal images only, no labels
        x_normal = x_train[seen]
        is_anomaly = ~torch.isin(y_test, normal)
        model = train_autoencoder(ctx, s, f"autoencoder-r{r}",
                                  MLPAutoencoder(64, s.code_size, s.hidden), x_normal)
        scores = {"autoencoder": reconstruction_score(model, x_test),
                  "pca": pca_reconstruction_score(x_normal, x_test, s.code_size),
                  "knn": knn_distance_score(x_normal, x_test, s.knn)}
        runs.append({"auc": {name: roc_auc(v, is_anomaly) for name, v in scores.items()},
                     "anomalies_in_training": int((~torch.isin(y_train[seen], normal)).sum()),
                     "normal_test": int((~is_anomaly).sum()), "anomalous_test":
                         int(is_anomaly.sum()), "normal_train": len(x_normal)})
    plot_scores(ctx, runs)
    rows = [[r, run["normal_train"], run["normal_test"], run["anomalous_test"],
             *(f"{run['auc'][name]:.3f}" for name in SCORES)] for r, run in enumerate(runs)]
    return Result(metrics={"runs": runs}, tables=[table(
        f"ROC AUC of each anomaly score, every repeat (normal digits {s.normal_classes})", [
            "repeat", "normal training images", "normal test images", "anomalous test images",
            "AUC auto-encoder", "AUC PCA", f"AUC kNN (k = {s.knn})"], rows)])
