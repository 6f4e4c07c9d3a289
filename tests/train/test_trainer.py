"""The Trainer: gradient descent as defined, penalties, guards, early stopping, exact resume."""

import dataclasses
import math
import pydoc

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from mllab.losses import mse
from mllab.nn import MLP, LinearModel, MLPConfig
from mllab.train import (
    CheckpointError,
    NonFiniteLossError,
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    latest_checkpoint,
)
from mllab.train.stop import graceful_stop, request_stop


def _data(n=40, c=3, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, generator=g, dtype=dtype)
    y = x @ torch.tensor([1.0, -2.0, 0.5], dtype=dtype)[:c] + 0.3 \
        + 0.1 * torch.randn(n, generator=g, dtype=dtype)
    return x, y


def _trainer(model, config, **kw):
    opt = kw.pop("optimizer", None) or torch.optim.SGD(model.parameters(), lr=0.1)
    return Trainer(model, opt, mse, config, generator=torch.Generator().manual_seed(1), **kw)


def test_full_batch_gd_matches_hand_computation_and_closed_form():
    x, y = _data()
    model = LinearModel(3).double()
    with torch.no_grad():
        model.linear.weight.zero_()
        model.linear.bias.zero_()
    w, b = torch.zeros(3, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    eta = 0.1
    for _ in range(5):  # θ ← θ − η ∇L by hand, L = mean (b + w·x − y)²
        r = b + x @ w - y
        w, b = w - eta * 2 * x.T @ r / len(x), b - eta * 2 * r.mean()
    _trainer(model, TrainConfig(epochs=5)).fit((x, y))
    torch.testing.assert_close(model.linear.weight[0].detach(), w, rtol=0, atol=1e-12)
    torch.testing.assert_close(model.linear.bias[0].detach(), b, rtol=0, atol=1e-12)
    fit = _trainer(model, TrainConfig(epochs=3000)).fit((x, y))
    a = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
    theta = torch.linalg.lstsq(a, y.unsqueeze(1)).solution.squeeze(1)
    torch.testing.assert_close(model.linear.weight[0].detach(), theta[:3], atol=1e-8, rtol=0)
    assert fit.steps == 3000


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"), [(None, 1), (1, 40), (16, 3),
                                                              (100, 1)])
def test_updates_per_epoch(batch_size, steps_per_epoch):
    x, y = _data()
    fit = _trainer(LinearModel(3).double(), TrainConfig(epochs=2, batch_size=batch_size)).fit(
        (x, y), (x, y))
    assert fit.steps == 2 * steps_per_epoch
    assert [h["epoch"] for h in fit.history] == [1, 2]
    assert all("valid_loss" in h for h in fit.history)


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.5), (0.3, 0.0), (0.3, 0.5)])
def test_one_penalised_step_is_the_data_gradient_plus_the_penalty_s_exactly(l1, l2):
    """One full-batch step of SGD (η = 0.1): w ← w − η(∇L + λ₁ sign(w) + λ₂ w) for weights,
    b ← b − η ∇L for biases."""
    x, y = _data()
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=3, depth=1, width=4)).double()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    grads = torch.autograd.grad(mse(model(x), y), list(model.parameters()))
    _trainer(model, TrainConfig(epochs=1, l1=l1, l2=l2)).fit((x, y))
    for (name, p), g in zip(model.named_parameters(), grads, strict=True):
        w = before[name]
        step = g + (l1 * w.sign() + l2 * w if name.endswith("weight") else 0)
        torch.testing.assert_close(p.detach(), w - 0.1 * step, rtol=0, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_l2_equals_weight_decay_on_the_weights_alone(optimizer):
    """One L2 convention: TrainConfig(l2=λ) trains exactly as torch.optim's weight_decay=λ
    on a parameter group of the weights (biases in a group without decay)."""
    x, y = _data()
    lam, runs = 0.3, []
    for l2 in (lam, 0.0):
        torch.manual_seed(0)
        model = MLP(MLPConfig(in_features=3, depth=2, width=(5, 4))).double()
        weights = [p for p in model.parameters() if p.ndim >= 2]
        biases = [p for p in model.parameters() if p.ndim < 2]
        opt = getattr(torch.optim, optimizer)(
            [{"params": weights, "weight_decay": lam - l2}, {"params": biases}], lr=0.05)
        _trainer(model, TrainConfig(epochs=3, batch_size=16, l2=l2), optimizer=opt).fit((x, y))
        runs.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(runs[0], runs[1], rtol=0, atol=1e-14)


def test_float_inputs_of_another_dtype_are_refused_in_one_line():
    x, y = _data()  # float64
    model = MLP(MLPConfig(in_features=3))  # float32
    with pytest.raises(ValueError, match=r"train inputs are torch.float64 but the model's "
                                         r"parameters are torch.float32") as e:
        _trainer(model, TrainConfig(epochs=1)).fit((x, y))
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="valid inputs"):
        _trainer(model, TrainConfig(epochs=1)).fit((x.float(), y.float()), valid=(x, y))


def test_gradient_clipping_bounds_the_step():
    x, y = _data()
    y = y * 1000
    model = LinearModel(3).double()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    _trainer(model, TrainConfig(epochs=1, clip_grad_norm=0.5)).fit((x, y))
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert (after - before).norm().item() == pytest.approx(0.1 * 0.5, rel=1e-9)


def test_non_finite_guard_stops_before_the_step(tmp_path):
    x, y = _data()
    model = LinearModel(3).double()
    opt = torch.optim.SGD(model.parameters(), lr=1e3)  # diverges
    trainer = _trainer(model, TrainConfig(epochs=500, checkpoint_seconds=0), optimizer=opt,
                       checkpoint_dir=tmp_path)
    with pytest.raises(NonFiniteLossError, match=r"non-finite (loss|gradient).* at step \d+"):
        trainer.fit((x, y))
    assert all(torch.isfinite(p).all() for p in model.parameters())
    ck = latest_checkpoint(tmp_path)
    assert all(torch.isfinite(t).all() for t in ck.tensors["model"].values())


def test_early_stopping_restores_the_best_weights():
    x, y = _data(n=30, c=3)
    xv, yv = _data(n=30, c=3, seed=5)
    yv = yv + 5 * torch.randn(30, generator=torch.Generator().manual_seed(9), dtype=yv.dtype)
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=3, depth=2, width=64)).double()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    trainer = _trainer(model, TrainConfig(epochs=2000, patience=10), optimizer=opt)
    fit = trainer.fit((x, y), (xv, yv))
    assert fit.stopped_early and len(fit.history) < 2000
    best = min(h["valid_loss"] for h in fit.history)
    assert fit.history[fit.best_epoch - 1]["valid_loss"] == best
    assert trainer.evaluate(xv, yv) == pytest.approx(best, rel=1e-12)
    assert len(fit.history) == fit.best_epoch + 10


def _resume_setup(tmp_path, *, stop_at: int | None, batch_size: int | None = 8):
    """Dropout + Adam + StepLR + mini-batches: every piece of state resume must carry."""
    torch.manual_seed(0)
    x, y = _data(n=50, dtype=torch.float32)
    model = MLP(MLPConfig(in_features=3, depth=2, width=16, dropout=0.3))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    calls = {"n": 0}

    def loss_fn(pred, target):
        calls["n"] += 1
        if stop_at is not None and calls["n"] == stop_at:
            request_stop()
        return mse(pred, target)

    trainer = Trainer(model, opt, loss_fn, TrainConfig(epochs=6, batch_size=batch_size),
                      generator=torch.Generator().manual_seed(3), scheduler=sched,
                      checkpoint_dir=tmp_path, fingerprint={"case": 1})
    return trainer, (x, y)


@pytest.mark.parametrize("stop_at", [3, 7, 14, 40])  # mid-epoch and at an epoch's end
def test_interrupt_then_resume_is_bitwise_identical(tmp_path, stop_at):
    reference, data = _resume_setup(tmp_path / "ref", stop_at=None)
    ref_fit = reference.fit(data, data)
    with graceful_stop():
        trainer, data = _resume_setup(tmp_path / "run", stop_at=stop_at)
        with pytest.raises(TrainingInterrupted):
            trainer.fit(data, data)
    torch.manual_seed(12345)  # a fresh process would not share the global RNG state
    trainer, data = _resume_setup(tmp_path / "run", stop_at=None)
    fit = trainer.fit(data, data)
    for a, b in zip(reference.model.state_dict().values(),
                    trainer.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert fit.history == ref_fit.history
    assert fit.steps == ref_fit.steps == 6 * 7
    assert not math.isnan(fit.history[-1]["train_loss"])


def test_a_data_loader_over_tensors_trains_and_resumes_as_its_tensors_do(tmp_path):
    """Interrupted while fed a DataLoader (batch size from the loader), resumed from tensors
    (batch size from the config): the same fit as one on the tensors, bitwise."""
    reference, (x, y) = _resume_setup(tmp_path / "ref", stop_at=None)
    ref_fit = reference.fit((x, y), (x, y))
    with graceful_stop():
        trainer, _ = _resume_setup(tmp_path / "run", stop_at=9, batch_size=None)
        with pytest.raises(TrainingInterrupted):
            trainer.fit(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True),
                        DataLoader(TensorDataset(x, y), batch_size=64))
    torch.manual_seed(12345)
    trainer, _ = _resume_setup(tmp_path / "run", stop_at=None)
    fit = trainer.fit((x, y), TensorDataset(x, y))
    for a, b in zip(reference.model.state_dict().values(),
                    trainer.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert fit.history == ref_fit.history and fit.steps == 6 * 7


def test_a_loader_that_cannot_resume_exactly_is_refused_with_what_is_accepted():
    x, y = _data()
    trainer = _trainer(LinearModel(3).double(), TrainConfig(epochs=1))
    with pytest.raises(TypeError, match=r"train: got a DataLoader with shuffle=False; the "
                                        r"Trainer accepts \(x, y\) tensors, a TensorDataset"):
        trainer.fit(DataLoader(TensorDataset(x, y), batch_size=8))
    with pytest.raises(ValueError, match=r"batch_size must be None or the DataLoader's batch "
                                         r"size 8, got 16"):
        _trainer(LinearModel(3).double(), TrainConfig(epochs=1, batch_size=16)).fit(
            DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True))


def test_help_shows_every_config_field_s_documentation():
    text = pydoc.render_doc(TrainConfig, renderer=pydoc.plaintext)
    for f in dataclasses.fields(TrainConfig):
        assert f"    {f.name}: " in text, f.name
    assert "passes over the training data (>= 1)" in text
    assert "stop after this many epochs without a lower validation loss" in text
    assert "least wall time between checkpoints" in text


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="scheduler_interval"):
        TrainConfig(scheduler_interval="batch")


def test_a_checkpoint_folder_reused_for_other_data_is_refused(tmp_path):
    """The same model, settings and folder, fitted on other columns of the same table: the
    second fit must not continue from the first one's weights."""
    g = torch.Generator().manual_seed(4)
    table = torch.randn(60, 6, generator=g, dtype=torch.float64)
    y = table[:, 0] - table[:, 5]

    def fit(columns):
        torch.manual_seed(0)
        trainer = _trainer(LinearModel(2).double(), TrainConfig(epochs=5, checkpoint_seconds=0),
                           checkpoint_dir=tmp_path)
        return trainer.fit((table[:, columns], y))

    first = fit([4, 5])
    assert fit([4, 5]).history == first.history  # the same fit again: restored, not refit
    with pytest.raises(CheckpointError, match=r"was written with data\.x='float64\[60, 2\] "
                                              r"sha256:[0-9a-f]{16}', but this run has "
                                              r"data\.x='float64\[60, 2\] sha256:"):
        fit([0, 1])


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    x, y = _data()
    _trainer(MLP(MLPConfig(in_features=3, width=4)).double(),
             TrainConfig(epochs=2, checkpoint_seconds=0), checkpoint_dir=tmp_path).fit((x, y))
    with pytest.raises(CheckpointError, match=r"step-2: model differs: 'layers.0.weight' has "
                                              r"shape \(4, 3\) in the checkpoint, \(5, 3\) now"):
        _trainer(MLP(MLPConfig(in_features=3, width=5)).double(),
                 TrainConfig(epochs=2, checkpoint_seconds=0), checkpoint_dir=tmp_path).fit((x, y))


def test_a_changed_learning_rate_is_refused_not_replaced_by_the_checkpoint_s(tmp_path):
    x, y = _data()

    def fit(lr):
        model = LinearModel(3).double()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        trainer = _trainer(model, TrainConfig(epochs=2, checkpoint_seconds=0),
                           optimizer=optimizer, checkpoint_dir=tmp_path)
        return trainer.fit((x, y)), optimizer

    fit(0.1)
    with pytest.raises(CheckpointError, match=r"step-2 was taken with lr=0.1 \(optimizer param "
                                              r"group 0\), this run has lr=0.01"):
        fit(0.01)
    assert fit(0.1)[0].steps == 2  # the same settings resume
