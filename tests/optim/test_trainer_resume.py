"""Every optimizer and schedule plugs into mllab's Trainer, checkpoints through safetensors +
JSON, and resumes exactly: interrupted-and-resumed training ends with bitwise-identical weights,
optimizer state and history."""

import json
import math

import pytest
import torch

from mllab.losses import mse
from mllab.nn import MLP, MLPConfig
from mllab.optim import (
    Adagrad,
    Adam,
    ExponentialDecay,
    GradientDescent,
    InverseSqrtDecay,
    Momentum,
    RMSProp,
    StepDecay,
    WarmupCosine,
    WarmupInverseSqrt,
)
from mllab.train import TrainConfig, Trainer, TrainingInterrupted, latest_checkpoint
from mllab.train.checkpoint import optimizer_from_files
from mllab.train.stop import graceful_stop, request_stop

EPOCHS, BATCH, N = 4, 8, 50  # 7 updates per epoch, 28 in all

OPTIMIZERS = {
    "GradientDescent": lambda p: GradientDescent(p, lr=0.05, weight_decay=0.01),
    "Momentum": lambda p: Momentum(p, lr=0.02, momentum=0.9),
    "Adagrad": lambda p: Adagrad(p, lr=0.05, weight_decay=0.01),
    "RMSProp": lambda p: RMSProp(p, lr=0.01, alpha=0.9),
    "Adam": lambda p: Adam(p, lr=0.01, weight_decay=0.01),
}

SCHEDULES = {  # name: (optimizer, schedule, scheduler_interval)
    "Momentum+WarmupCosine": ("Momentum", lambda o: WarmupCosine(o, 5, EPOCHS * 7, 1e-3), "step"),
    "RMSProp+WarmupInverseSqrt": ("RMSProp", lambda o: WarmupInverseSqrt(o, 6), "step"),
    "Adagrad+InverseSqrtDecay": ("Adagrad", InverseSqrtDecay, "step"),
    "Adam+StepDecay": ("Adam", lambda o: StepDecay(o, step_size=1, gamma=0.5), "epoch"),
    "GradientDescent+ExponentialDecay": ("GradientDescent",
                                         lambda o: ExponentialDecay(o, 0.9), "epoch"),
}


def _setup(directory, optimizer, schedule=None, interval="epoch", stop_at=None):
    """Dropout + mini-batches + the optimizer (+ schedule); stop requested at call ``stop_at``
    of the loss function."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(7)
    x = torch.randn(N, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(N, generator=g)
    model = MLP(MLPConfig(in_features=3, depth=2, width=16, dropout=0.2))
    opt = OPTIMIZERS[optimizer](model.parameters())
    sched = schedule(opt) if schedule is not None else None
    calls = {"n": 0}

    def loss_fn(pred, target):
        calls["n"] += 1
        if stop_at is not None and calls["n"] == stop_at:
            request_stop()
        return mse(pred, target)

    config = TrainConfig(epochs=EPOCHS, batch_size=BATCH, scheduler_interval=interval)
    trainer = Trainer(model, opt, loss_fn, config, generator=torch.Generator().manual_seed(3),
                      scheduler=sched, checkpoint_dir=directory, fingerprint={"opt": optimizer})
    return trainer, (x, y)


def _assert_same_run(reference, trainer, ref_fit, fit):
    for a, b in zip(reference.model.state_dict().values(), trainer.model.state_dict().values(),
                    strict=True):
        assert torch.equal(a, b)
    ref_state, state = reference.optimizer.state_dict(), trainer.optimizer.state_dict()
    assert ref_state["param_groups"] == state["param_groups"]
    assert ref_state["state"].keys() == state["state"].keys()
    for i, entries in ref_state["state"].items():
        assert entries.keys() == state["state"][i].keys()
        for name, value in entries.items():
            other = state["state"][i][name]
            assert torch.equal(value, other) if torch.is_tensor(value) else value == other
    assert fit.history == ref_fit.history
    assert fit.steps == ref_fit.steps == EPOCHS * 7
    assert math.isfinite(fit.history[-1]["train_loss"])


def _interrupt_and_resume(tmp_path, stop_at, **kw):
    reference, data = _setup(tmp_path / "ref", **kw)
    ref_fit = reference.fit(data, data)
    with graceful_stop():
        trainer, data = _setup(tmp_path / "run", stop_at=stop_at, **kw)
        with pytest.raises(TrainingInterrupted):
            trainer.fit(data, data)
    checkpoint = latest_checkpoint(tmp_path / "run")
    assert checkpoint is not None
    torch.manual_seed(12345)  # a fresh process would not share the global RNG state
    trainer, data = _setup(tmp_path / "run", **kw)
    fit = trainer.fit(data, data)
    _assert_same_run(reference, trainer, ref_fit, fit)
    return ref_fit, checkpoint


@pytest.mark.parametrize("stop_at", [3, 14])  # mid-epoch and at an epoch's end
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_interrupt_then_resume_is_bitwise_identical(tmp_path, optimizer, stop_at):
    ref_fit, checkpoint = _interrupt_and_resume(tmp_path, stop_at, optimizer=optimizer)
    assert ref_fit.history[-1]["train_loss"] < ref_fit.history[0]["train_loss"]  # it learns
    saved = checkpoint.state["fields"]["optimizer"]["state"]
    state = optimizer_from_files(checkpoint.tensors.get("optimizer", {}), saved)["state"]
    if optimizer != "GradientDescent":  # every other one keeps state per parameter
        assert len(state) == 6
    json.dumps(checkpoint.state)  # the non-tensor part went through JSON


@pytest.mark.parametrize("stop_at", [5, 15])
@pytest.mark.parametrize("case", list(SCHEDULES))
def test_schedule_inside_the_trainer_resumes_exactly(tmp_path, case, stop_at):
    optimizer, schedule, interval = SCHEDULES[case]
    ref_fit, _ = _interrupt_and_resume(tmp_path, stop_at, optimizer=optimizer,
                                       schedule=schedule, interval=interval)
    rates = [line["lr"] for line in ref_fit.history]
    assert len(set(rates)) == len(rates)  # the schedule did change the rate every epoch
