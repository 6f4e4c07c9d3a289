"""The MAML paper's sinusoid tasks: shapes, the ranges of A, phase and x, y = A sin(x − φ) on
both sets of a task, and the same generator giving the same tasks."""

import torch

from mllab.meta import sinusoid_tasks


def test_shapes_ranges_and_one_sinusoid_per_task():
    tasks = sinusoid_tasks(torch.Generator().manual_seed(0), n=50, k_support=10, k_query=7,
                           dtype=torch.float64)
    assert len(tasks) == 50
    for t in tasks:
        assert t.x_s.shape == t.y_s.shape == (10, 1) and t.x_q.shape == (7, 1)
        x, y = torch.cat([t.x_s, t.x_q]), torch.cat([t.y_s, t.y_q])
        assert x.abs().max() <= 5
        # recover A and phase from y = a sin x + b cos x, a = A cos φ, b = −A sin φ
        a, b = torch.linalg.lstsq(torch.cat([x.sin(), x.cos()], 1), y).solution.squeeze(1)
        A, phase = torch.hypot(a, b), torch.atan2(-b, a)
        assert 0.1 <= A <= 5 and 0 <= phase <= torch.pi
        assert torch.allclose(A * torch.sin(x - phase), y, atol=1e-10)


def test_the_same_generator_gives_the_same_tasks():
    a, b = (sinusoid_tasks(torch.Generator().manual_seed(3), 2, 3, 3) for _ in range(2))
    for s, t in zip(a, b, strict=True):
        assert torch.equal(s.x_q, t.x_q) and torch.equal(s.y_s, t.y_s)
