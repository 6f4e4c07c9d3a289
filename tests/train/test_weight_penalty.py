"""L1/L2 on the weights, never the biases, with the (λ/2) of the one L2 convention (the
Trainer's steps with them, against torch.optim's weight_decay, are in test_trainer.py)."""

import torch

from mllab.nn import MLP, MLPConfig
from mllab.train import weight_penalty


def test_l1_l2_penalise_weights_not_biases():
    torch.manual_seed(0)
    model = MLP(MLPConfig(in_features=3, depth=1, width=4)).double()
    weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
    expected = 0.1 * sum(w.abs().sum() for w in weights) + 0.2 / 2 * sum(w.square().sum()
                                                                          for w in weights)
    torch.testing.assert_close(weight_penalty(model, 0.1, 0.2), expected)
