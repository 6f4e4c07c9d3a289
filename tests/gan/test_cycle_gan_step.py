"""The CycleGAN step: one step equals the same computation written out by hand (same draws,
float64), the discriminators stay fixed while the generators learn, a cycle weight of 0 leaves
only the adversarial terms in the generators' gradients, the config's ranges, a translation
that learns, and a run killed with SIGKILL and resumed that ends bitwise identical to an
uninterrupted one."""

import copy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mllab.config import ConfigError
from mllab.gan.cycle_gan import CycleGAN, CycleGANConfig
from mllab.gan.cycle_gan_step import (
    CycleGANState,
    CycleGANStepConfig,
    cycle_gan_step,
    draw_unpaired,
)
from mllab.train import LoopConfig, run_loop

sys.path.insert(0, str(Path(__file__).parents[1]))
import resume_runs  # noqa: E402

RUN_FILE = Path(__file__).parent / "cycle_gan_runs.py"


def _state(dtype: torch.dtype = torch.float64, lr: float = 1e-2, seed: int = 0) -> CycleGANState:
    torch.manual_seed(seed)
    model = CycleGAN(CycleGANConfig(width=4)).to(dtype)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(40, 1, 8, 8, generator=g, dtype=dtype) * 0.8 - 0.9  # dark, in [-0.9, -0.1]
    y = torch.rand(30, 1, 8, 8, generator=g, dtype=dtype) * 0.8 + 0.1  # bright: another domain
    adam = {"lr": lr, "betas": (0.5, 0.999)}
    return CycleGANState(
        model=model, opt_G=torch.optim.Adam([*model.G.parameters(), *model.F.parameters()],
                                            **adam),
        opt_D=torch.optim.Adam([*model.D_X.parameters(), *model.D_Y.parameters()], **adam),
        generator=torch.Generator().manual_seed(seed + 1), x=x, y=y)


def _losses(loss: str):
    r"""The adversarial losses written out: (D's of real and fake scores, G's of fake scores)."""
    if loss == "non_saturating":  # -log sigma(real) - log(1 - sigma(fake)); -log sigma(fake)
        return (lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean(),
                lambda f: F.softplus(-f).mean())
    return (lambda r, f: (1 - r).clamp(min=0).mean() + (1 + f).clamp(min=0).mean(),
            lambda f: -f.mean())  # hinge


def _by_hand(s: CycleGANState, loss: str, lam: float, lam_id: float, B: int) -> dict:
    r"""One CycleGAN step as the paper writes it, on ``s`` (a copy): gradients by autograd of
    the written-out objectives, each optimizer stepped with them."""
    d_loss, g_loss = _losses(loss)
    m = s.model
    x = s.x[torch.randint(len(s.x), (B,), generator=s.generator)]
    y = s.y[torch.randint(len(s.y), (B,), generator=s.generator)]
    d_params = [*m.D_X.parameters(), *m.D_Y.parameters()]
    g_params = [*m.G.parameters(), *m.F.parameters()]
    fake_y, fake_x = m.G(x).detach(), m.F(y).detach()
    L_D_Y, L_D_X = d_loss(m.D_Y(y), m.D_Y(fake_y)), d_loss(m.D_X(x), m.D_X(fake_x))
    for p, g in zip(d_params, torch.autograd.grad(L_D_X + L_D_Y, d_params), strict=True):
        p.grad = g
    s.opt_D.step()
    fake_y, fake_x = m.G(x), m.F(y)
    L_G, L_F = g_loss(m.D_Y(fake_y)), g_loss(m.D_X(fake_x))
    L_cyc = (m.F(fake_y) - x).abs().mean() + (m.G(fake_x) - y).abs().mean()  # Eq. (2)
    L_id = (m.G(y) - y).abs().mean() + (m.F(x) - x).abs().mean()
    total = L_G + L_F + lam * L_cyc + lam_id * L_id  # Eq. (3)
    for p, g in zip(g_params, torch.autograd.grad(total, g_params), strict=True):
        p.grad = g
    s.opt_G.step()
    return {"loss_D_X": L_D_X.item(), "loss_D_Y": L_D_Y.item(), "loss_G": L_G.item(),
            "loss_F": L_F.item(), "loss_cyc": L_cyc.item(), "loss": total.item(),
            **({"loss_id": L_id.item()} if lam_id else {})}


@pytest.mark.parametrize(("loss", "lam", "lam_id"), [
    ("non_saturating", 10.0, 0.0), ("non_saturating", 0.0, 0.0), ("hinge", 10.0, 5.0),
])
def test_two_steps_equal_the_computation_by_hand(loss, lam, lam_id):
    s = _state()
    hand = copy.deepcopy(s)
    step = cycle_gan_step(CycleGANStepConfig(loss=loss, cycle_weight=lam, identity_weight=lam_id,
                                             batch_size=8))
    for k in range(2):  # the second step also checks Adam's state after the first
        s.step = hand.step = k
        line = step(s)
        expected = _by_hand(hand, loss, lam, lam_id, 8)
        assert line.keys() == expected.keys()
        for key, value in expected.items():
            assert line[key] == pytest.approx(value, abs=1e-12), key
        for (name, p), q in zip(s.model.named_parameters(), hand.model.parameters(),
                                strict=True):
            assert torch.allclose(p, q, rtol=0, atol=1e-12), name
    assert torch.equal(s.generator.get_state(), hand.generator.get_state())  # same draws


def test_the_discriminators_are_fixed_while_the_generators_learn():
    s = _state()
    grads = {}

    def after_D(*args):
        grads["D"] = [p.grad.clone() for p in (*s.model.D_X.parameters(),
                                                *s.model.D_Y.parameters())]

    def before_G(*args):  # G and F's backward left D's gradients as D's update left them
        now = [p.grad for p in (*s.model.D_X.parameters(), *s.model.D_Y.parameters())]
        grads["same"] = all(torch.equal(p, q) for p, q in zip(now, grads["D"], strict=True))
        grads["G"] = [p.grad is not None for p in (*s.model.G.parameters(),
                                                   *s.model.F.parameters())]

    s.opt_D.register_step_post_hook(after_D)
    s.opt_G.register_step_pre_hook(before_G)
    cycle_gan_step(CycleGANStepConfig(batch_size=8))(s)
    assert grads["same"] and all(grads["G"])
    assert all(p.requires_grad for p in s.model.parameters())  # unfixed again afterwards


def _generator_grads(lam: float) -> list[torch.Tensor]:
    s = _state()
    grads = []
    s.opt_G.register_step_pre_hook(lambda *a: grads.extend(
        p.grad.clone() for p in (*s.model.G.parameters(), *s.model.F.parameters())))
    cycle_gan_step(CycleGANStepConfig(cycle_weight=lam, batch_size=8))(s)
    return grads


def _adversarial_grads() -> list[torch.Tensor]:
    r"""The gradients of L_GAN(G, D_Y) + L_GAN(F, D_X) alone, after the same D update."""
    s = _state()
    m = s.model
    x, y = draw_unpaired(s, 8)
    d_loss, g_loss = _losses("non_saturating")
    with torch.no_grad():
        fake_y, fake_x = m.G(x), m.F(y)
    s.opt_D.zero_grad()
    (d_loss(m.D_Y(y), m.D_Y(fake_y)) + d_loss(m.D_X(x), m.D_X(fake_x))).backward()
    s.opt_D.step()
    params = [*m.G.parameters(), *m.F.parameters()]
    return list(torch.autograd.grad(g_loss(m.D_Y(m.G(x))) + g_loss(m.D_X(m.F(y))), params))


def test_a_cycle_weight_of_zero_leaves_no_cycle_term_in_the_gradients():
    adversarial = _adversarial_grads()
    without, with_cycle = _generator_grads(0.0), _generator_grads(10.0)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-12)
               for a, b in zip(without, adversarial, strict=True))
    assert any((a - b).abs().max() > 1e-6 for a, b in zip(with_cycle, adversarial, strict=True))
    line = cycle_gan_step(CycleGANStepConfig(cycle_weight=0.0, batch_size=8))(_state())
    assert line["loss_cyc"] > 0  # measured all the same
    assert line["loss"] == pytest.approx(line["loss_G"] + line["loss_F"], abs=1e-12)


def test_config_ranges():
    with pytest.raises(ConfigError, match="loss must be one of minimax, non_saturating"):
        CycleGANStepConfig(loss="least_squares")
    with pytest.raises(ConfigError, match="cycle_weight must be a number >= 0, got -1.0"):
        CycleGANStepConfig(cycle_weight=-1.0)
    with pytest.raises(ConfigError, match="identity_weight must be a number >= 0, got True"):
        CycleGANStepConfig(identity_weight=True)
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 1, got 0"):
        CycleGANStepConfig(batch_size=0)
    with pytest.raises(ConfigError, match="log_every must be an integer >= 1"):
        CycleGANStepConfig(log_every=0)
    assert CycleGANStepConfig().cycle_weight == 10.0  # the paper's lambda


def test_log_every():
    s = _state()
    step = cycle_gan_step(CycleGANStepConfig(batch_size=4, log_every=3))
    lines = []
    for k in range(6):
        s.step = k
        lines.append(step(s))
    assert [line is not None for line in lines] == [False, False, True] * 2


def test_the_generator_learns_to_translate_into_the_other_domain():
    s = _state(dtype=torch.float32, lr=3e-3)
    x = s.x[:16]
    with torch.no_grad():
        start = (s.model.G(x).mean() - s.y.mean()).abs()
    run_loop(cycle_gan_step(CycleGANStepConfig(batch_size=16, log_every=50)), s,
             LoopConfig(steps=150))
    with torch.no_grad():
        end = (s.model.G(x).mean() - s.y.mean()).abs()
    assert end < 0.5 * start


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(RUN_FILE, tmp_path, steps=24)
