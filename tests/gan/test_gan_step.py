"""The GAN step: k updates of D then one of G, D fixed while G learns, clipping and the
penalty where asked, mismatched labels as negatives, a generator that learns the data, the
config's ranges, and a run killed with SIGKILL and resumed that ends bitwise identical to an
uninterrupted one."""

import sys
from pathlib import Path

import pytest
import torch

from mllab.config import ConfigError
from mllab.gan.gan_step import GANState, GANStepConfig, gan_step
from mllab.gan.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from mllab.train import LoopConfig, run_loop

sys.path.insert(0, str(Path(__file__).parents[1]))
import resume_runs  # noqa: E402

RUN_FILE = Path(__file__).parent / "gan_runs.py"


def _state(num_classes: int = 0, lr: float = 1e-3, n: int = 256) -> GANState:
    torch.manual_seed(0)
    config = MLPGANConfig(width=16, depth=2, num_classes=num_classes)
    G, D = MLPGenerator(config), MLPDiscriminator(config)
    g = torch.Generator().manual_seed(0)
    data = torch.randn(n, 2, generator=g) * 0.2 + torch.tensor([2.0, -1.0])
    labels = torch.randint(num_classes, (n,), generator=g) if num_classes else None
    return GANState(G=G, D=D, opt_G=torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.9)),
                    opt_D=torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.9)),
                    generator=torch.Generator().manual_seed(1), data=data, labels=labels)


def test_k_discriminator_updates_then_one_generator_update_with_d_fixed():
    s = _state()
    order, grads = [], {}

    def after_D(*args):
        order.append("D")
        grads["D"] = [p.grad.clone() for p in s.D.parameters()]

    def before_G(*args):  # G's backward left D's gradients as D's last update left them
        same = all(torch.equal(p.grad, g)
                   for p, g in zip(s.D.parameters(), grads["D"], strict=True))
        order.append("D untouched" if same else "D touched")

    s.opt_D.register_step_post_hook(after_D)
    s.opt_G.register_step_pre_hook(before_G)
    s.opt_G.register_step_post_hook(lambda *a: order.append("G"))
    D_before = [p.detach().clone() for p in s.D.parameters()]
    line = gan_step(GANStepConfig(d_steps=3))(s)
    assert order == ["D", "D", "D", "D untouched", "G"]
    assert set(line) == {"loss_D", "loss_G"}
    assert all(p.requires_grad for p in s.D.parameters())  # unfixed again afterwards
    assert any(not torch.equal(p, q) for p, q in zip(s.D.parameters(), D_before, strict=True))


def test_clipping_and_the_penalty_where_asked():
    s = _state()
    line = gan_step(GANStepConfig(loss="wasserstein", clip=0.01))(s)
    assert all(p.abs().max() <= 0.01 for p in s.D.parameters())
    assert set(line) == {"loss_D", "loss_G", "w_estimate"}
    line = gan_step(GANStepConfig(loss="wasserstein", gp_weight=10.0))(_state())
    assert set(line) == {"loss_D", "loss_G", "gp", "w_estimate"} and line["gp"] >= 0


def test_mismatched_pairs_are_negatives_with_wrong_labels():
    s = _state(num_classes=4)
    calls = []
    forward = s.D.forward

    def recording(x, c=None):
        calls.append((x.detach().clone(), c.clone()))
        return forward(x, c)

    s.D.forward = recording
    gan_step(GANStepConfig(batch_size=32, mismatched=True))(s)
    (x_real, c_real), _, (x_wrong, c_wrong), _ = calls  # real, generated, mismatched, G's
    assert torch.equal(x_real, x_wrong) and (c_real != c_wrong).all()
    assert c_wrong.min() >= 0 and c_wrong.max() < 4


@pytest.mark.parametrize("loss", ["non_saturating", "hinge"])
def test_the_generator_learns_the_data(loss):
    s = _state(lr=5e-3)
    start = s.G(torch.randn(512, 2, generator=torch.Generator().manual_seed(2))).mean(0)
    target = s.data.mean(0)
    run_loop(gan_step(GANStepConfig(loss=loss, batch_size=64, log_every=50)), s,
             LoopConfig(steps=300))
    with torch.no_grad():
        end = s.G(torch.randn(512, 2, generator=torch.Generator().manual_seed(2))).mean(0)
    assert (end - target).norm() < 0.3 * (start - target).norm()


def test_config_ranges():
    with pytest.raises(ConfigError, match="loss must be one of minimax, non_saturating"):
        GANStepConfig(loss="lsgan")
    with pytest.raises(ConfigError, match="d_steps must be an integer >= 1"):
        GANStepConfig(d_steps=0)
    with pytest.raises(ConfigError, match="gp_weight must be a number > 0 or None"):
        GANStepConfig(gp_weight=-1.0)


def test_a_run_killed_with_sigkill_and_resumed_is_bitwise_identical(tmp_path):
    resume_runs.assert_resume_is_bitwise(RUN_FILE, tmp_path, steps=24)
