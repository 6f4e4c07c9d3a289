"""SI by hand: on L = w^2 with SGD, omega = sum 4 eta w_t^2 and Omega = omega / (Delta^2 + xi)."""

import torch

from mllab.lifelong.synaptic_intelligence import si_importance, si_path_update


def test_path_integral_and_importance_by_hand():
    eta, w = 0.1, torch.tensor([1.0])
    omega, start, expected = {"w": torch.zeros(1)}, {"w": w.clone()}, 0.0
    for _ in range(3):
        g = 2 * w
        delta = -eta * g
        si_path_update(omega, {"w": g}, {"w": delta})
        expected += 4 * eta * w.item() ** 2
        w = w + delta
    assert omega["w"].item() == torch.tensor(expected).item()
    total = (w - start["w"]).item()  # 0.8^3 - 1
    importance = si_importance(omega, start, {"w": w}, xi=0.1)
    assert torch.isclose(importance["w"], torch.tensor([expected / (total**2 + 0.1)]))
    again = si_importance(omega, start, {"w": w}, xi=0.1, previous=importance)
    assert torch.isclose(again["w"], 2 * importance["w"])
    assert si_importance({"w": torch.tensor([-1.0])}, start, start)["w"].item() == 0.0
