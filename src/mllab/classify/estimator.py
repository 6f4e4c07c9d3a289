r"""What makes the classifiers of :mod:`mllab.classify` scikit-learn estimators.

The classifiers take what a scikit-learn user passes: numpy arrays (or anything
``numpy.asarray`` reads) as well as tensors, features of any floating dtype and integer labels
:math:`0, \dots, K-1`. They follow scikit-learn's estimator conventions far enough for its
model-selection tools (``cross_val_score``, ``GridSearchCV``, ``clone``, pipelines):

- every constructor argument is stored unchanged as the attribute of the same name, so that
  :meth:`Classifier.get_params` and :meth:`Classifier.set_params` read and write them, and
  ``sklearn.base.clone`` rebuilds the classifier from them;
- ``fit(x, y)`` returns the classifier; ``predict`` gives the labels, ``score`` the accuracy;
- outputs follow the input: a tensor in gives a tensor out, a numpy array in gives a numpy
  array out, with the same values (the computation is the same float64 one).

Why not inherit ``sklearn.base.BaseEstimator`` and ``ClassifierMixin``: importing
``sklearn.base`` takes about 0.8 s (it loads scipy), which every ``mllab`` command would pay,
since the experiments import these classifiers; the library imports scikit-learn only where it
reads its data sets. The only piece of scikit-learn these classes need is the estimator *tags*
(``cross_val_score`` asks whether an estimator is a classifier, to stratify its folds);
:meth:`Classifier.__sklearn_tags__` takes them from scikit-learn's own ``ClassifierMixin``
when scikit-learn asks, so they are exactly a scikit-learn classifier's.

Differences from scikit-learn's conventions: the fitted parameters (``w``, ``W``, ``mu``, ...)
are named as in the course, without the trailing underscore, and exist (as ``None``) before
``fit``; labels must already be :math:`0, \dots, K-1` (there is no ``classes_`` mapping).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor

from mllab.classify._checks import as_tensor, check_labels
from mllab.metrics import accuracy

__all__ = ["Classifier", "follows_input"]

C = TypeVar("C", bound="Classifier")
F = TypeVar("F", bound=Callable[..., Tensor])


def follows_input(method: F) -> F:
    r"""Wrap ``method(self, x) -> Tensor``: a numpy ``x`` reaches it as a tensor (sharing its
    memory), and the result goes back as a numpy array."""

    @functools.wraps(method)
    def wrapper(self: Any, x: Any) -> Any:
        out = method(self, as_tensor(x))
        return out if torch.is_tensor(x) else out.numpy()

    return wrapper  # type: ignore[return-value]


@functools.cache
def _sklearn_classifier() -> type:
    r"""The simplest scikit-learn classifier class, whose tags are a classifier's."""
    from sklearn.base import BaseEstimator, ClassifierMixin  # lazy: only scikit-learn asks

    class SklearnClassifier(ClassifierMixin, BaseEstimator):
        pass

    return SklearnClassifier


class Classifier:
    r"""Base of the classifiers: scikit-learn's parameter protocol, accuracy and tags.

    A subclass stores each constructor argument as the attribute of the same name and checks
    them in :meth:`validate` (called by the constructor and by :meth:`set_params`), implements
    ``fit(x, y)`` returning ``self`` and ``predict(x)``.
    """

    def validate(self) -> None:
        r"""Check the constructor arguments (held as attributes); raise ``ValueError``."""

    @classmethod
    def param_names(cls) -> list[str]:
        r"""The constructor's argument names, in order."""
        params = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in params if p.name != "self"
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        r"""The constructor arguments, ``{name: value}`` (``deep`` is accepted and unused:
        no argument is itself an estimator)."""
        return {name: getattr(self, name) for name in self.param_names()}

    def set_params(self: C, **params: Any) -> C:
        r"""Change constructor arguments (checked as the constructor checks them); ``self``."""
        valid = self.param_names()
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter {unknown[0]!r}; valid "
                             f"parameters are {', '.join(valid)}")
        old = self.get_params()
        for name, value in params.items():
            setattr(self, name, value)
        try:
            self.validate()
        except ValueError:
            for name, value in old.items():
                setattr(self, name, value)
            raise
        return self

    def predict(self, x: Any) -> Any:
        r"""Class labels, shape (N,); implemented by each classifier."""
        raise NotImplementedError

    def score(self, x: Any, y: Any) -> float:
        r"""Accuracy, the fraction of the :math:`N` examples whose predicted label is ``y``'s,
        :math:`\frac{1}{N}\sum_n [f(x^n) = \hat y^n]` (scikit-learn's ``score`` for
        classifiers)."""
        predicted = torch.as_tensor(self.predict(x))  # (N,)
        return accuracy(predicted, check_labels(y, predicted.shape[0]))

    def __sklearn_tags__(self) -> Any:
        r"""scikit-learn's tags of a classifier, as ``ClassifierMixin`` and ``BaseEstimator``
        give them (a new object each call, as scikit-learn's own)."""
        return _sklearn_classifier()().__sklearn_tags__()

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

