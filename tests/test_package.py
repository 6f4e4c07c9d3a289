"""The package itself: ``import mllab`` loads neither torch nor numpy, and ``mllab.<subpackage>``
imports the subpackage on first access."""

import subprocess
import sys

import pytest

import mllab


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_import_is_cheap_and_subpackages_load_on_first_access():
    out = _run("import sys, mllab\n"
               "print('torch' in sys.modules, 'numpy' in sys.modules)\n"
               "adam = mllab.optim.Adam\n"
               "print('torch' in sys.modules, adam.__module__)\n"
               "print(mllab.optim is sys.modules['mllab.optim'], hasattr(mllab, 'cli'))")
    assert out.splitlines() == ["False False", "True mllab.optim.adam", "True False"]


@pytest.mark.parametrize("name", mllab.SUBMODULES)
def test_every_listed_submodule_resolves_to_the_module(name):
    module = getattr(mllab, name)
    assert module.__name__ == f"mllab.{name}"
    assert name in dir(mllab)


def test_other_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="module 'mllab' has no attribute 'optimm'"):
        mllab.optimm  # noqa: B018
