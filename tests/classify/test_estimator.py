"""The classifiers as scikit-learn estimators: numpy in, numpy out, with the values tensors
give; ``cross_val_score``, ``clone`` and ``GridSearchCV`` work and give the scores computed
fold by fold by hand."""

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from mllab.classify import GaussianGenerativeClassifier, LogisticRegression, SoftmaxRegression
from mllab.metrics import accuracy

IRIS = load_iris()


def _iris(two_classes: bool):
    if not two_classes:
        return IRIS.data, IRIS.target
    keep = IRIS.target > 0  # versicolor and virginica: not linearly separable
    return IRIS.data[keep], IRIS.target[keep] - 1


# name: (make the classifier, two classes only)
CLASSIFIERS = {
    "logistic": (lambda: LogisticRegression(lr=0.1, epochs=300), True),
    "softmax": (lambda: SoftmaxRegression(lr=0.1, epochs=300), False),
    "gaussian-shared": (lambda: GaussianGenerativeClassifier("shared"), False),
    "gaussian-diagonal": (lambda: GaussianGenerativeClassifier("diagonal", reg=1e-3), False),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_cross_val_score_gives_the_fold_by_fold_accuracies_of_torch_fits(name, dtype):
    make, two = CLASSIFIERS[name]
    x, y = _iris(two)
    x = x.astype(dtype)
    scores = cross_val_score(make(), x, y, cv=5)
    by_hand = []
    for train, test in StratifiedKFold(5).split(x, y):  # what cv=5 means for a classifier
        clf = make().fit(torch.from_numpy(x[train]), torch.from_numpy(y[train]))
        by_hand.append(accuracy(clf.predict(torch.from_numpy(x[test])),
                                torch.from_numpy(y[test])))
    np.testing.assert_array_equal(scores, by_hand)
    assert scores.mean() > 0.8  # they learned something: the folds are not degenerate


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_numpy_inputs_give_numpy_outputs_equal_to_the_tensor_ones(name):
    make, two = CLASSIFIERS[name]
    x, y = _iris(two)
    x32 = x.astype(np.float32)
    from_numpy = make().fit(x32, y.astype(np.int32))
    from_torch = make().fit(torch.from_numpy(x32), torch.from_numpy(y))
    methods = ["predict", "predict_proba",
               "log_joint" if name.startswith("gaussian") else "decision_function"]
    for method in methods:
        out = getattr(from_numpy, method)(x32)
        ref = getattr(from_torch, method)(torch.from_numpy(x32))
        assert isinstance(out, np.ndarray) and torch.is_tensor(ref), method
        np.testing.assert_array_equal(out, ref.numpy(), err_msg=method)
    assert from_numpy.predict_proba(x32).dtype == np.float32
    assert from_numpy.predict(x.tolist()).dtype == np.int64  # lists too
    assert from_numpy.score(x32, y) == accuracy(from_torch.predict(torch.from_numpy(x32)),
                                                torch.from_numpy(y))


def test_parameters_are_the_constructor_s_and_clone_rebuilds_from_them():
    clf = SoftmaxRegression(3, lr=0.5, epochs=20)
    assert clf.get_params() == {"num_classes": 3, "lr": 0.5, "epochs": 20, "l2": 0.0}
    assert repr(clf) == "SoftmaxRegression(num_classes=3, lr=0.5, epochs=20, l2=0.0)"
    assert clf.set_params(lr=0.2, l2=0.1) is clf and clf.config.lr == 0.2 and clf.l2 == 0.1
    x, y = _iris(False)
    fitted = clf.fit(x, y)
    assert fitted is clf and clf.W.shape == (3, 4)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and copy.W is None
    assert all(is_classifier(make()) for make, _ in CLASSIFIERS.values())
    gaussian = GaussianGenerativeClassifier(reg=0)
    assert clone(gaussian).reg is gaussian.reg  # stored as given, as clone requires


def test_set_params_checks_like_the_constructor_and_keeps_the_old_values_on_refusal():
    clf = LogisticRegression(lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite float > 0, got -1"):
        clf.set_params(lr=-1, epochs=5)
    assert clf.get_params() == {"lr": 0.1, "epochs": 1000, "l2": 0.0}
    with pytest.raises(ValueError, match="has no parameter 'C'; valid parameters are lr, "
                                         "epochs, l2"):
        clf.set_params(C=1.0)
    with pytest.raises(ValueError, match="covariance must be one of"):
        GaussianGenerativeClassifier().set_params(covariance="full")


def test_grid_search_picks_the_setting_with_the_best_cross_validated_accuracy():
    x, y = _iris(False)
    grid = {"reg": [1e-4, 1.0, 10.0]}
    search = GridSearchCV(GaussianGenerativeClassifier("diagonal"), grid, cv=5).fit(x, y)
    means = [cross_val_score(GaussianGenerativeClassifier("diagonal", reg=r), x, y,
                             cv=5).mean() for r in grid["reg"]]
    assert search.best_score_ == pytest.approx(max(means), rel=1e-15)
    assert search.best_params_ == {"reg": grid["reg"][int(np.argmax(means))]}
    assert len(set(means)) > 1  # the choice mattered


def test_numpy_scalar_settings_as_a_grid_gives_them_act_as_python_numbers():
    x, y = _iris(True)
    for make in (lambda v: LogisticRegression(lr=v, epochs=50),
                 lambda v: SoftmaxRegression(lr=v, epochs=50, l2=v),
                 lambda v: GaussianGenerativeClassifier("separate", reg=v)):
        out = make(np.float32(0.5)).fit(x, y).predict_proba(x)
        np.testing.assert_array_equal(out, make(0.5).fit(x, y).predict_proba(x))
