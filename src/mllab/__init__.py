r"""mllab: the machine-learning course as software.

Machine learning is looking for a function: (1) a set of functions (``mllab.nn``), (2) the
goodness of a function (``mllab.losses``), (3) picking the best one (``mllab.optim``,
``mllab.train``). Every lecture claim is an experiment in ``mllab.experiments`` that
``mllab run NAME`` executes and judges from measured numbers.

Importing ``mllab`` is cheap (it loads neither torch nor numpy): the library's subpackages load
at first use, so ``import mllab`` then ``mllab.optim.Adam`` works without ``import
mllab.optim``. The experiments and the CLI are not among them (``import mllab.experiments``).
"""

from importlib import import_module as _import_module
from types import ModuleType as _ModuleType

__version__ = "0.1.0"

SUBMODULES = ("adversarial", "analysis", "attention", "autoencoder", "classify", "compression",
              "config", "data", "decoding", "diffusion", "domain_adaptation", "gan", "generative",
              "lifelong", "losses", "meta", "metrics", "nn", "optim", "peft", "pretraining",
              "report", "seq2seq", "text", "train", "transformer", "xai")
"""The library's subpackages and modules that ``mllab.<name>`` imports on first access."""


def __getattr__(name: str) -> _ModuleType:
    if name in SUBMODULES:
        return _import_module(f"{__name__}.{name}")  # also sets the attribute
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *SUBMODULES})
