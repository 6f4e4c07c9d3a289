r"""A model of a table together with its preprocessing: the course's first homework end to end.

:meth:`TabularEstimator.fit` on training rows :math:`x \in \mathbb{R}^{N \times C}`, targets
:math:`y`:

1. **select** the :math:`k` features with the largest F statistic on the training rows
   (:class:`mllab.data.FeatureSelector`, scikit-learn's ``SelectKBest``), if asked;
2. **standardize** them with the training rows' :math:`\mu, \sigma`
   (:class:`mllab.data.Standardizer`);
3. **train** an :class:`mllab.nn.MLP` (in → hidden widths → 1 output, or K logits) with the
   :class:`Trainer`: mini-batches, the L2 penalty :math:`\frac{\lambda}{2}\sum w^2`, early
   stopping on the validation rows when given. The loss is the MSE (regression) or the
   cross-entropy (classification).

:meth:`~TabularEstimator.predict` applies 1–2 with the statistics of the training rows, then
the model. Anything fitted on data, scaling and selection included, is fitted on the training
rows alone, so cross-validation (:func:`mllab.train.cross_validate`) refits all of it inside
each fold.

:meth:`~TabularEstimator.save` writes ``estimator.safetensors`` (weights, :math:`\mu`,
:math:`\sigma`, the selected columns and their scores) and ``estimator.json`` (the config, the
feature names, the class labels); :meth:`~TabularEstimator.load` reads them back. Nothing is
ever unpickled.

Inputs may be any floating dtype: they are cast to float32, the model's precision.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from mllab.config import ConfigError, is_int, is_real, require
from mllab.data.feature_selection import FeatureSelector
from mllab.data.scaling import Standardizer
from mllab.losses import cross_entropy, mse
from mllab.nn.mlp import ACTIVATIONS, MLP, MLPConfig
from mllab.optim import Adagrad, Adam, GradientDescent, Momentum, RMSProp
from mllab.train.seed import derive_seed
from mllab.train.trainer import FitResult, LossFn, TrainConfig, Trainer

__all__ = ["OPTIMIZERS", "TASKS", "EstimatorConfig", "TabularEstimator", "TrainingParts"]

TASKS = ("regression", "classification")
OPTIMIZERS = {"adam": Adam, "sgd": GradientDescent, "momentum": Momentum, "adagrad": Adagrad,
              "rmsprop": RMSProp}
"""The course's optimizers by name (:mod:`mllab.optim`)."""
_FORMAT = "mllab-tabular-estimator-1"
_FLOAT32_MAX = torch.finfo(torch.float32).max


@dataclass
class EstimatorConfig:
    r"""What :class:`TabularEstimator` fits; validated on construction."""

    task: str = "regression"
    """``"regression"`` (MSE) or ``"classification"`` (cross-entropy over the labels seen)."""
    select: int | None = None
    """Keep the ``select`` features of the largest F statistic (>= 1); None keeps all."""
    hidden: tuple[int, ...] = (16, 8)
    """Widths of the hidden layers (each >= 1); ``()`` is the linear model. The default is
    the course's sample network for its first homework."""
    activation: str = "relu"
    """Hidden activation: one of :data:`mllab.nn.mlp.ACTIVATIONS`."""
    optimizer: str = "adam"
    """One of :data:`OPTIMIZERS`."""
    lr: float = 1e-3
    """Learning rate :math:`\\eta` (> 0)."""
    l2: float = 0.0
    """L2 penalty :math:`\\frac{\\lambda}{2}\\sum w^2` on the weights (>= 0), as the
    optimizers' ``weight_decay=λ``."""
    epochs: int = 300
    """Most passes over the training rows (>= 1)."""
    batch_size: int | None = 256
    """Rows per update (>= 1); None is full batch."""
    patience: int | None = None
    """Early stopping after this many epochs without a lower validation loss (>= 1), keeping
    the best weights; None trains all epochs. Needs validation rows."""

    def __post_init__(self) -> None:
        require(self.task in TASKS, "task", f"one of {', '.join(TASKS)}", self.task)
        require(self.select is None or (is_int(self.select) and self.select >= 1), "select",
                "an integer >= 1 or None", self.select)
        require(isinstance(self.hidden, tuple) and all(is_int(w) and w >= 1 for w in
                                                        self.hidden),
                "hidden", "a tuple of integers >= 1 (() for the linear model)", self.hidden)
        require(self.activation in ACTIVATIONS, "activation",
                f"one of {', '.join(ACTIVATIONS)}", self.activation)
        require(self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}",
                self.optimizer)
        require(is_real(self.lr) and math.isfinite(self.lr) and self.lr > 0, "lr",
                "a finite number > 0", self.lr)
        require(is_real(self.l2) and math.isfinite(self.l2) and self.l2 >= 0, "l2",
                "a finite number >= 0", self.l2)
        TrainConfig(epochs=self.epochs, batch_size=self.batch_size, patience=self.patience)


@dataclass
class TrainingParts:
    r"""What :meth:`TabularEstimator.prepare` hands to a :class:`Trainer` (or to a run's
    trial): the model to train and its data, preprocessed."""

    model: MLP
    optimizer: torch.optim.Optimizer
    loss_fn: LossFn
    train: tuple[Tensor, Tensor]
    valid: tuple[Tensor, Tensor] | None
    config: TrainConfig


class TabularEstimator:
    r"""Feature selection, standardization and an MLP, fitted together on a table.

    Args:
        config: what to fit.
        seed: seeds the initial weights and the batch order (nothing else is random).
        feature_names: the names of the C input columns, kept with the model (checked by
            whoever reads a test table for it); default ``x0, x1, ...``.
        device: where the model trains and predicts (preprocessing stays on the CPU;
            predictions come back to it).

    Attributes (after :meth:`fit` or :meth:`prepare`):
        selector: the fitted :class:`FeatureSelector`, or None.
        scaler: the fitted :class:`Standardizer`.
        model: the :class:`MLP`.
        classes: the sorted class labels seen in training (classification), else None.
    """

    def __init__(self, config: EstimatorConfig | None = None, *, seed: int = 0,
                 feature_names: tuple[str, ...] | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.config, self.seed = config or EstimatorConfig(), seed
        self.device = torch.device(device)
        self.feature_names = feature_names
        self.selector: FeatureSelector | None = None
        self.scaler: Standardizer | None = None
        self.model: MLP | None = None
        self.classes: Tensor | None = None

    # ----------------------------------------------------------------- fitting
    def prepare(self, x: Tensor, y: Tensor,
                valid: tuple[Tensor, Tensor] | None = None) -> TrainingParts:
        r"""Steps 1–2 on the training rows, and a freshly initialised model for step 3."""
        c = self.config
        x, y = _rows(x, y)
        names = self.feature_names or tuple(f"x{j}" for j in range(x.shape[1]))
        require(len(names) == x.shape[1], "feature_names", f"{x.shape[1]} names (one per "
                f"column of x)", len(names))
        self.feature_names = tuple(names)
        require(c.patience is None or valid is not None, "patience",
                "None when no validation rows are given", c.patience)
        if c.task == "regression":  # the MSE of the first steps is about the mean of y²
            targets = y if valid is None else torch.cat([y, _rows(*valid)[1]])
            if float(targets.double().square().sum()) > _FLOAT32_MAX:
                raise ConfigError(f"target values up to {targets.abs().max().item():g} are too "
                                  f"large: their squared errors overflow float32; rescale the "
                                  f"target (divide it by a power of 10, say)")
        if c.task == "classification":
            self.classes = torch.unique(y)  # (K,) sorted
            require(len(self.classes) >= 2, "task", "regression, or a target with >= 2 "
                    "classes", f"classification of {len(self.classes)} class")
        self.selector = None
        if c.select is not None:
            require(c.select <= x.shape[1], "select", f"an integer in [1, {x.shape[1]}] (the "
                    f"number of features)", c.select)
            labels = y if self.classes is None else torch.searchsorted(self.classes, y)
            self.selector = FeatureSelector(c.select, c.task).fit(x, labels)
        self.scaler = Standardizer().fit(self._selected(x))
        out = 1 if self.classes is None else len(self.classes)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, "init"))
            self.model = MLP(MLPConfig(self.scaler.mu.shape[0], out, depth=len(c.hidden),
                                       width=c.hidden, activation=c.activation)).to(self.device)
        optimizer = OPTIMIZERS[c.optimizer](self.model.parameters(), lr=c.lr)
        loss_fn = mse if self.classes is None else cross_entropy
        valid = None if valid is None else self._inputs_and_targets(*valid)
        config = TrainConfig(epochs=c.epochs, batch_size=c.batch_size, l2=c.l2,
                             patience=c.patience)
        return TrainingParts(self.model, optimizer, loss_fn, self._inputs_and_targets(x, y),
                             valid, config)

    def fit(self, x: Tensor, y: Tensor, valid: tuple[Tensor, Tensor] | None = None,
            **trainer_options) -> FitResult:
        r"""Fit steps 1–3 on ``(x, y)`` (``valid`` for early stopping and the validation
        loss); ``trainer_options`` go to :class:`Trainer` (``checkpoint_dir``, ``on_log``,
        ``progress``, ...)."""
        p = self.prepare(x, y, valid)
        generator = torch.Generator().manual_seed(derive_seed(self.seed, "batches"))
        trainer = Trainer(p.model, p.optimizer, p.loss_fn, p.config, generator=generator,
                          **trainer_options)
        return trainer.fit(p.train, p.valid)

    # ----------------------------------------------------------------- using the model
    def _selected(self, x: Tensor) -> Tensor:
        return x if self.selector is None else self.selector.transform(x)

    def transform(self, x: Tensor) -> Tensor:
        r"""Steps 1–2 with the training rows' statistics: (N, C) → (N, k), float32."""
        self._check_fitted()
        x = _inputs(x, len(self.feature_names))
        return self.scaler.transform(self._selected(x))

    def _inputs_and_targets(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        x, y = _rows(x, y)
        if self.classes is None:
            return self.transform(x).to(self.device), y.to(self.device)
        index = torch.searchsorted(self.classes, y).clamp_max(len(self.classes) - 1)
        unknown = self.classes[index] != y
        if unknown.any():
            shown = ", ".join(f"{v:g}" for v in self.classes[:10].tolist())
            more = f", ... ({len(self.classes)} in all)" if len(self.classes) > 10 else ""
            raise ConfigError(f"target value {y[unknown][0].item():g} was not seen in training "
                              f"(classes: {shown}{more})")
        return self.transform(x).to(self.device), index.to(self.device)

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        r"""Predictions for rows ``x`` (N, C): values (N,) for regression; class labels (N,)
        (the target's own values) for classification."""
        model = self._check_fitted()
        model.eval()
        out = model(self.transform(x).to(self.device)).cpu()  # (N,) or (N, K)
        return out if self.classes is None else self.classes[out.argmax(dim=1)]

    @torch.no_grad()
    def loss(self, x: Tensor, y: Tensor) -> float:
        r"""The training loss (MSE or cross-entropy, without the penalty) on rows ``(x, y)``."""
        model = self._check_fitted()
        model.eval()
        x, target = self._inputs_and_targets(x, y)
        out = model(x)
        return (mse(out, target) if self.classes is None else cross_entropy(out, target)).item()

    def _check_fitted(self) -> MLP:
        if self.model is None:
            raise RuntimeError("the estimator is not fitted; call fit(x, y) first")
        return self.model

    # ----------------------------------------------------------------- files
    def save(self, folder: Path) -> None:
        r"""Write ``estimator.safetensors`` and ``estimator.json`` into ``folder``."""
        model = self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {f"model.{k}": v.detach().cpu().contiguous()
                   for k, v in model.state_dict().items()}
        tensors |= {"scaler.mu": self.scaler.mu, "scaler.sigma": self.scaler.sigma}
        if self.selector is not None:
            tensors |= {f"selector.{k}": v for k, v in self.selector.state()[0].items()}
        if self.classes is not None:
            tensors["classes"] = self.classes
        meta = {"format": _FORMAT, "config": asdict(self.config), "seed": self.seed,
                "feature_names": list(self.feature_names)}
        for name, write in (("estimator.safetensors", lambda f: save_file(tensors, f)),
                            ("estimator.json", lambda f: f.write_text(json.dumps(meta,
                                                                                 indent=1)))):
            tmp = folder / f"{name}.tmp"
            write(tmp)
            tmp.replace(folder / name)

    @classmethod
    def load(cls, folder: Path) -> TabularEstimator:
        r"""Read an estimator written by :meth:`save`; :class:`ConfigError` in one line if the
        files are missing, damaged or of another kind."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / "estimator.json").read_text())
            if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
                raise ValueError("not an mllab estimator")
            config = meta["config"]
            config = EstimatorConfig(**{**config, "hidden": tuple(config["hidden"])})
            tensors = load_file(folder / "estimator.safetensors")
            est = cls(config, seed=meta["seed"], feature_names=tuple(meta["feature_names"]))
            est.scaler = Standardizer()
            est.scaler.mu, est.scaler.sigma = tensors["scaler.mu"], tensors["scaler.sigma"]
            if config.select is not None:
                est.selector = FeatureSelector.from_state(
                    {k.removeprefix("selector."): v for k, v in tensors.items()
                     if k.startswith("selector.")}, {"k": config.select, "task": config.task})
            est.classes = tensors.get("classes")
            out = 1 if est.classes is None else len(est.classes)
            est.model = MLP(MLPConfig(len(est.scaler.mu), out, depth=len(config.hidden),
                                      width=config.hidden, activation=config.activation))
            est.model.load_state_dict({k.removeprefix("model."): v for k, v in tensors.items()
                                       if k.startswith("model.")})
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
            raise ConfigError(f"{folder} holds no readable estimator "
                              f"({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
        return est


def _inputs(x: Tensor, columns: int) -> Tensor:
    if not (isinstance(x, Tensor) and x.ndim == 2 and x.is_floating_point()):
        raise ConfigError(f"x must be a floating-point tensor of shape (N, C), got "
                          f"{getattr(x, 'dtype', type(x).__name__)} of shape "
                          f"{tuple(getattr(x, 'shape', ()))}")
    if x.shape[1] != columns:
        raise ConfigError(f"x has {x.shape[1]} columns, the estimator was fitted on {columns}")
    return x.float()


def _rows(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    x = _inputs(x, x.shape[1] if isinstance(x, Tensor) and x.ndim == 2 else -1)
    if not (isinstance(y, Tensor) and y.shape == (len(x),)):
        raise ConfigError(f"y must be a tensor of shape ({len(x)},), got "
                          f"{tuple(getattr(y, 'shape', ()))}")
    return x, y.float()
