"""The teacher-student step on the general loop: one step by hand (the same batch, the loss of
Hinton et al. and Adam's update), the teacher untouched, a student that learns to match its
teacher, the config's ranges, and a run killed with SIGKILL and resumed that ends bitwise
identical."""

import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mllab.compression import DistillationConfig, distillation_step
from mllab.config import ConfigError
from mllab.train import LoopConfig, run_loop

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]
import distillation_runs  # noqa: E402

import resume_runs  # noqa: E402

RUN_FILE = Path(distillation_runs.__file__)


def test_one_step_by_hand_and_the_teacher_stays_fixed():
    state, step = distillation_runs.run()
    student, teacher = copy.deepcopy(state.student), copy.deepcopy(state.teacher)
    opt = torch.optim.Adam(student.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(7)
    idx = torch.randint(len(state.x), (16,), generator=g)
    x, y = state.x[idx], state.y[idx]
    p = F.softmax(teacher(x).detach() / 4, dim=-1)
    log_q = F.log_softmax(student(x) / 4, dim=-1)
    soft = (p * (p.log() - log_q)).sum(-1).mean() * 16  # KL(p || q) T^2
    loss = 0.7 * soft + 0.3 * F.cross_entropy(student(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    line = step(state)
    assert line["loss"] == pytest.approx(loss.item(), rel=1e-6)
    for a, b in zip(state.student.parameters(), student.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-7)
    for a, b in zip(state.teacher.parameters(), teacher.parameters(), strict=True):
        assert torch.equal(a, b)


def test_the_student_learns_its_teacher():
    state, step = distillation_runs.run()
    with torch.no_grad():
        target = F.softmax(state.teacher(state.x) / 4, dim=-1)

    def gap():
        with torch.no_grad():
            return (F.softmax(state.student(state.x) / 4, dim=-1) - target).abs().mean().item()

    before = gap()
    run_loop(distillation_step(DistillationConfig(T=4.0, alpha=1.0, batch_size=32)), state,
             LoopConfig(steps=300))
    assert gap() < 0.5 * before


def test_config_ranges():
    with pytest.raises(ConfigError, match="T must be a number > 0"):
        DistillationConfig(T=0)
    with pytest.raises(ConfigError, match=r"alpha must be a number in \[0, 1\]"):
        DistillationConfig(alpha=1.5)
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 1"):
        DistillationConfig(batch_size=0)
    with pytest.raises(ConfigError, match="log_every must be an integer >= 1"):
        DistillationConfig(log_every=0)


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(RUN_FILE, tmp_path, steps=30)
