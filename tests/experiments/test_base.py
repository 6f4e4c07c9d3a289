"""The experiment contract: settings that parse ``--set`` values by their type and refuse bad
ones in one line, and a registry that refuses a name twice."""

from dataclasses import dataclass

import pytest

from mllab.config import require
from mllab.experiments.base import REGISTRY, Result, Settings, SettingsError, experiment
from mllab.experiments.evidence import Evidence


@dataclass
class Example(Settings):
    epochs: int = 5
    """Epochs (>= 1)."""
    lr: float = 0.1
    """Rate (> 0)."""
    sizes: tuple[int, ...] = (1, 2)
    """Sizes."""
    batch: int | None = None
    """Batch size or None."""
    shuffle: bool = True
    """Shuffle."""

    def validate(self) -> None:
        require(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        require(self.lr > 0, "lr", "> 0", self.lr)


def test_overrides_are_parsed_by_the_field_type():
    s = Example().with_overrides(["epochs=7", "lr=1e-3", "sizes=3,4,5", "batch=none",
                                  "shuffle=off"])
    assert (s.epochs, s.lr, s.sizes, s.batch, s.shuffle) == (7, 1e-3, (3, 4, 5), None, False)
    assert Example().with_overrides(["batch=16"]).batch == 16
    assert Example.from_dict(Example().to_dict()) == Example()
    assert Example.from_dict({"sizes": [9]}).sizes == (9,)


@pytest.mark.parametrize(("pair", "message"), [
    ("epochs=0", "setting epochs must be >= 1, got 0"),
    ("lr=-1", "setting lr must be > 0, got -1.0"),
    ("epochs=many", "setting epochs expects int, got 'many'"),
    ("shuffle=maybe", "setting shuffle expects true or false"),
    ("bogus=1", "unknown setting 'bogus'; valid settings: epochs, lr, sizes, batch, shuffle"),
    ("epochs", "--set expects KEY=VALUE"),
])
def test_bad_overrides_are_one_settings_error(pair, message):
    with pytest.raises(SettingsError, match="^" + message.replace("(", r"\(")) as info:
        Example().with_overrides([pair])
    assert "\n" not in str(info.value)


def test_a_name_registers_once():
    def judge(m, s):
        return Evidence(checks=[])

    @experiment(name="twice-registered", lecture="Test", claim="c", judge=judge)
    def first(s: Example, ctx) -> Result:
        return Result(metrics={})

    try:
        assert REGISTRY["twice-registered"].settings is Example
        with pytest.raises(ValueError, match="registered twice"):
            experiment(name="twice-registered", lecture="Test", claim="c", judge=judge)(first)
    finally:
        del REGISTRY["twice-registered"]
