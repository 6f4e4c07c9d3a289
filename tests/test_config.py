"""The one validation helper every configuration uses: one message shape for every refusal."""

import pytest

from mllab.config import ConfigError, is_int, is_real, require, require_int
from mllab.nn import MLPConfig
from mllab.train import LoopConfig, TrainConfig


def test_require_names_the_field_the_range_and_the_value():
    require(True, "lr", "> 0", -1)
    with pytest.raises(ConfigError, match=r"^lr must be > 0, got -1$"):
        require(False, "lr", "> 0", -1)
    with pytest.raises(ConfigError, match=r"^width must be an integer >= 1, got 2.5$"):
        require_int("width", 2.5, 1)
    require_int("width", 3, 1)
    assert issubclass(ConfigError, ValueError)


def test_numbers_and_bools_are_told_apart():
    assert is_real(1) and is_real(0.5) and not is_real(True) and not is_real("1")
    assert is_int(3) and not is_int(True) and not is_int(3.0)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: TrainConfig(epochs=0), "epochs must be >= 1, got 0"),
    (lambda: LoopConfig(steps=1, keep_checkpoints=0), "keep_checkpoints must be an integer"),
    (lambda: MLPConfig(in_features=True), "in_features must be an integer >= 1, got True"),
    (lambda: MLPConfig(in_features=2, dropout=1.0), "dropout must be a float in"),
])
def test_every_config_refuses_the_same_way(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
