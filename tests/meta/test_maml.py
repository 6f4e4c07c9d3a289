"""MAML's meta-gradient against central finite differences in float64 (two inner steps, and
ANIL); first-order MAML equals MAML less alpha H g; ANIL leaves the body unadapted."""

import pytest
import torch
from torch import nn
from torch.func import functional_call, grad, jvp

from mllab.config import ConfigError
from mllab.meta.maml import MAMLConfig, Task, adapt, maml_loss


def mse(pred, y):
    return ((pred - y) ** 2).mean()


def _setup():
    torch.manual_seed(0)
    model = nn.Sequential()
    model.add_module("body", nn.Linear(1, 4))
    model.add_module("act", nn.Tanh())
    model.add_module("head", nn.Linear(4, 1))
    model = model.double()
    g = torch.Generator().manual_seed(1)
    tasks = []
    for _ in range(2):
        a = torch.rand(1, generator=g, dtype=torch.float64) + 0.5
        x = torch.randn(10, 1, generator=g, dtype=torch.float64)
        tasks.append(Task(x[:5], a * torch.sin(x[:5]), x[5:], a * torch.sin(x[5:])))
    return model, tasks


@pytest.mark.parametrize("adapt_names", [None, ("head.",)], ids=["maml", "anil"])
def test_meta_gradient_against_finite_differences(adapt_names):
    model, tasks = _setup()
    config = MAMLConfig(alpha=0.3, inner_steps=2, adapt=adapt_names)
    maml_loss(model, tasks, mse, config).backward()
    h = 1e-6
    for name, p in model.named_parameters():
        fd = torch.zeros_like(p)
        for i in range(p.numel()):
            with torch.no_grad():
                p.view(-1)[i] += h
                up = maml_loss(model, tasks, mse, config).item()
                p.view(-1)[i] -= 2 * h
                down = maml_loss(model, tasks, mse, config).item()
                p.view(-1)[i] += h
            fd.view(-1)[i] = (up - down) / (2 * h)
        assert torch.allclose(p.grad, fd, atol=1e-7), name


def test_first_order_is_maml_without_the_second_order_term():
    model, tasks = _setup()
    task = tasks[0]
    alpha = 0.3
    theta = {n: p.detach() for n, p in model.named_parameters()}
    full = grad(lambda t: maml_loss(model, [task], mse, MAMLConfig(alpha), t))(theta)
    first = grad(lambda t: maml_loss(model, [task], mse, MAMLConfig(alpha, first_order=True),
                                     t))(theta)
    phi = adapt(model, theta, task.x_s, task.y_s, mse, MAMLConfig(alpha))

    def query(t):
        return mse(functional_call(model, t, (task.x_q,)), task.y_q)

    def support(t):
        return mse(functional_call(model, t, (task.x_s,)), task.y_s)

    g_q = grad(query)(phi)
    _, H_g = jvp(grad(support), (theta,), (g_q,))  # Hessian-vector product H_s(theta) g_q
    for n in theta:
        assert torch.allclose(first[n], g_q[n], atol=1e-12)
        assert torch.allclose(full[n], g_q[n] - alpha * H_g[n], atol=1e-12)
        assert not torch.allclose(full[n], first[n], atol=1e-6)


def test_anil_adapts_the_head_only_and_config_ranges():
    model, tasks = _setup()
    theta = dict(model.named_parameters())
    phi = adapt(model, theta, tasks[0].x_s, tasks[0].y_s, mse, MAMLConfig(0.5, adapt=("head.",)))
    assert phi["body.weight"] is theta["body.weight"]
    assert not torch.equal(phi["head.weight"], theta["head.weight"])
    with pytest.raises(ValueError, match="no parameter"):
        adapt(model, theta, tasks[0].x_s, tasks[0].y_s, mse, MAMLConfig(adapt=("tail.",)))
    for bad in ({"alpha": 0.0}, {"inner_steps": 0}, {"adapt": ()}):
        with pytest.raises(ConfigError):
            MAMLConfig(**bad)
