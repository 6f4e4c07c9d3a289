"""What a run offers its experiment: seeded generators, trials that train once (fit or any
algorithm's run), restore a finished trial without training, and keep a diverged one diverged."""

import json
from dataclasses import dataclass

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from mllab.experiments.context import RunContext
from mllab.experiments.progress import TrialProgress
from mllab.losses import mse
from mllab.nn import LinearModel
from mllab.train import LoopConfig, LoopState, NonFiniteLossError, TrainConfig


def _ctx(tmp_path) -> RunContext:
    return RunContext(tmp_path, 0, quick=True, progress=TrialProgress("t", bar=False),
                      checkpoint_seconds=5.0)


def test_diverged_trial_is_stored_and_raises_again_without_training(tmp_path):
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    y = 100 * x.sum(1)

    def attempt(ctx: RunContext) -> str:
        with ctx.trial("diverges") as t:
            model = LinearModel(2)
            calls = []

            def loss(pred, target):
                calls.append(1)
                return mse(pred, target)

            with pytest.raises(NonFiniteLossError) as info:
                t.fit(model, torch.optim.SGD(model.parameters(), lr=10.0), loss, (x, y), None,
                      TrainConfig(epochs=200))
        return str(info.value), len(calls)

    first, calls = attempt(_ctx(tmp_path))
    assert calls > 0 and "non-finite" in first
    again, calls = attempt(_ctx(tmp_path))
    assert again == first and calls == 0


@dataclass
class Walk(LoopState):
    net: nn.Module
    optimizer: torch.optim.Optimizer


def _run_walk(ctx: RunContext, calls: list) -> tuple[Walk, list]:
    with ctx.trial("walk") as t:
        net = nn.Linear(2, 1)
        state = Walk(net=net, optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
        x = torch.randn(8, 2, generator=ctx.generator("x"))

        def step(s: Walk) -> dict:
            calls.append(1)
            loss = s.net(x).square().mean()
            s.optimizer.zero_grad()
            loss.backward()
            s.optimizer.step()
            return {"loss": loss.item()}

        result = t.run(step, state, LoopConfig(steps=6), fingerprint={"case": 1})
        after = torch.rand(1).item()  # the code after training starts from the same RNG
    return state, result.history, after


def test_a_finished_run_trial_restores_without_training(tmp_path):
    calls = []
    ctx = _ctx(tmp_path)
    state, history, after = _run_walk(ctx, calls)
    ctx.close()
    assert len(calls) == 6 and len(history) == 6
    weights = load_file(tmp_path / "trials/walk/net.safetensors")
    assert all(torch.equal(weights[k], v) for k, v in state.net.state_dict().items())
    logged = (tmp_path / "metrics.jsonl").read_text()
    ctx = _ctx(tmp_path)  # a resumed run executes the experiment again from the top
    again, history_again, after_again = _run_walk(ctx, calls := [])
    ctx.close()
    assert calls == [] and history_again == history and after_again == after
    assert torch.equal(again.net.weight, state.net.weight)
    assert (tmp_path / "metrics.jsonl").read_text() == logged  # rebuilt identically
    assert [json.loads(line)["trial"] for line in logged.splitlines()] == ["walk"] * 6


def test_a_trial_trains_once(tmp_path):
    ctx = _ctx(tmp_path)
    with ctx.trial("twice") as t:
        model = LinearModel(1)
        data = (torch.zeros(4, 1), torch.zeros(4))
        t.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), mse, data, None,
              TrainConfig(epochs=1))
        with pytest.raises(RuntimeError, match="already trained"):
            t.fit(model, torch.optim.SGD(model.parameters(), lr=0.1), mse, data, None,
                  TrainConfig(epochs=1))
    with pytest.raises(ValueError, match="invalid or used twice"):
        ctx.trial("twice")
    ctx.close()


def test_generators_are_seeded_by_name(tmp_path):
    ctx = _ctx(tmp_path)
    a, b = ctx.generator("a"), ctx.generator("a")
    assert torch.equal(torch.rand(3, generator=a), torch.rand(3, generator=b))
    assert not torch.equal(torch.rand(3, generator=ctx.generator("b")),
                           torch.rand(3, generator=ctx.generator("a")))
    ctx.close()
