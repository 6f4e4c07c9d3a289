"""The lottery-ticket procedure: (1-p)^r of each layer survives, the survivors are rewound to
theta_0 (or to a late state), each round prunes by magnitude among the survivors."""

import torch
from torch import nn

from mllab.compression.lottery_ticket import lottery_ticket, prunable_layers
from mllab.compression.magnitude_pruning import get_mask, magnitude_mask


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 20), nn.ReLU(), nn.Linear(20, 3))


def _train(steps=5):
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 8, generator=g), torch.randint(3, (64,), generator=g)

    def train(model):
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return train


def test_survivors_are_rewound_and_the_share_is_one_minus_p_to_the_r():
    model = _model()
    theta_0 = [p.detach().clone() for p in (model[0].weight, model[2].weight, model[0].bias)]
    trained = []
    history = lottery_ticket(model, lambda m: (_train()(m), trained.append(
        {n: l.weight.detach().clone() for n, l in prunable_layers(m).items()})), 3, 0.2)
    assert len(history) == 3
    for (name, layer), w0 in zip(prunable_layers(model).items(), theta_0, strict=False):
        m = get_mask(layer)
        assert int(m.sum()) == round(0.8 * round(0.8 * round(0.8 * m.numel())))
        assert torch.equal(layer.weight, w0 * m)  # rewound survivors
        # round 2's mask: magnitude pruning of round 2's trained weights among round 1's
        pruned = magnitude_mask(trained[1][name], 0.2, history[0][name])
        assert torch.equal(history[1][name], pruned)
    assert torch.equal(model[0].bias, theta_0[2])


def test_late_rewinding_goes_to_the_given_state():
    model = _model()
    _train(2)(model)
    late = {k: v.clone() for k, v in model.state_dict().items()}
    lottery_ticket(model, _train(), 1, 0.5, rewind=late)  # a plain state_dict
    assert torch.equal(model[2].bias, late["2.bias"])
    assert torch.equal(model[0].weight, late["0.weight"] * get_mask(model[0]))
