"""Fine-tuning: the loss at initialisation is ln C (ln T for spans), the four heads' shapes,
spans stay inside the document, the step's evaluation cadence, and a tiny task is learned."""

import math

import pytest
import torch

from mllab.pretraining import Bert, BertConfig
from mllab.pretraining.fine_tuning import (
    FineTuningModel,
    FineTuningState,
    fine_tuning_loss,
    fine_tuning_step,
    predict,
    task_batch,
    task_scores,
)
from mllab.pretraining.masking import IGNORE_INDEX as X
from mllab.pretraining.task_inputs import TaskExample
from mllab.train import LoopConfig, run_loop


def _bert(seed=0):
    torch.manual_seed(seed)
    return Bert(BertConfig(vocab=20, d_model=16, num_heads=2, d_ff=32, num_layers=1,
                           max_len=16))


def _examples(kind, n, g):
    out = []
    for _ in range(n):
        ids = torch.randint(3, 20, (6,), generator=g).tolist()
        if kind == "token":
            out.append(TaskExample((1, *ids, 2), (0,) * 8, (X, *[int(i > 10) for i in ids], X)))
        elif kind == "span":
            out.append(TaskExample((1, 5, 2, *ids, 2), (0, 0, 0, *[1] * 7), (4, 5), "a"))
        else:
            out.append(TaskExample((1, *ids, 2), (0,) * 8, int(ids[0] > 10)))
    return out


@pytest.mark.parametrize(("kind", "expected"), [("sequence", math.log(3)),
                                                ("pair", math.log(3)),
                                                ("token", math.log(3)),
                                                ("span", math.log(10))])
def test_loss_at_init_is_that_of_uniform_guesses(kind, expected):
    model = FineTuningModel(_bert(), kind, num_classes=3)
    b = task_batch(_examples(kind, 16, torch.Generator().manual_seed(0)))
    out = model(b.tokens, b.segments, b.lengths)
    shape = {"span": (16, 10, 2), "token": (16, 8, 3)}.get(kind, (16, 3))
    assert out.shape == shape
    assert fine_tuning_loss(kind, out, b).item() == pytest.approx(expected, abs=0.1)


def test_token_loss_ignores_unlabelled_positions():
    model = FineTuningModel(_bert(), "token", num_classes=2)
    b = task_batch(_examples("token", 4, torch.Generator().manual_seed(1)))
    out = model(b.tokens, b.segments, b.lengths)
    keep = b.targets != X
    by_hand = torch.nn.functional.cross_entropy(out[keep], b.targets[keep])
    assert fine_tuning_loss("token", out, b).item() == pytest.approx(by_hand.item())


def test_predicted_spans_stay_inside_the_document():
    model = FineTuningModel(_bert(3), "span")
    exs = _examples("span", 32, torch.Generator().manual_seed(2))
    for (s, e), ex in zip(predict(model, exs, max_answer_len=3), exs, strict=True):
        assert 3 <= s <= e <= len(ex.tokens) - 2 and e - s < 3


def test_a_tiny_task_is_learned_and_evaluated_on_schedule():
    g = torch.Generator().manual_seed(4)
    train, test = _examples("sequence", 256, g), _examples("sequence", 128, g)
    model = FineTuningModel(_bert(), "sequence")
    state = FineTuningState(model=model, optimizer=torch.optim.Adam(model.parameters(), 3e-3),
                            generator=torch.Generator().manual_seed(5), examples=train)
    before = task_scores(model, test)["accuracy"]
    run = run_loop(fine_tuning_step(32, lambda m: task_scores(m, test), eval_every=40),
                   state, LoopConfig(steps=160))
    assert [h["step"] for h in run.history if "accuracy" in h] == [1, 41, 81, 121]
    assert task_scores(model, test)["accuracy"] > max(0.9, before + 0.2)
