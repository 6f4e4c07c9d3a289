"""Tests of ``mllab.data.FeatureSelector``: the same scores and choice as scikit-learn's
``SelectKBest`` with ``f_regression`` / ``f_classif``, a case where the informative columns are
known, constant features, saving through safetensors + JSON, and misuse."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from sklearn.feature_selection import SelectKBest, f_classif, f_regression

from mllab.config import ConfigError
from mllab.data import FeatureSelector


def _problem(seed: int, task: str, n: int = 80, c: int = 12):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, generator=g, dtype=torch.float64)
    w = torch.randn(c, generator=g, dtype=torch.float64) * (torch.rand(c, generator=g) < 0.5)
    signal = x @ w + 0.5 * torch.randn(n, generator=g, dtype=torch.float64)
    y = signal if task == "regression" else torch.bucketize(signal, torch.tensor([-0.5, 0.5]))
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("task, score_func", [("regression", f_regression),
                                              ("classification", f_classif)])
@pytest.mark.parametrize("k", [1, 5, 12])
def test_same_scores_and_choice_as_select_k_best(seed, task, score_func, k):
    x, y = _problem(seed, task)
    ours = FeatureSelector(k, task).fit(x, y)
    reference = SelectKBest(score_func, k=k).fit(x.numpy(), y.numpy())
    assert ours.scores.dtype == torch.float64 and ours.scores.shape == (12,)
    np.testing.assert_allclose(ours.scores.numpy(), reference.scores_, rtol=1e-12)
    assert ours.indices.dtype == torch.int64
    assert ours.indices.tolist() == np.flatnonzero(reference.get_support()).tolist()
    torch.testing.assert_close(ours.transform(x), x[:, reference.get_support()])


def test_the_known_informative_columns_are_chosen_in_column_order():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(300, 8, generator=g)
    y = 3 * x[:, 6] - 2 * x[:, 1] + x[:, 4] + 0.1 * torch.randn(300, generator=g)
    selector = FeatureSelector(3).fit(x, y)
    assert selector.indices.tolist() == [1, 4, 6]
    assert selector.scores[[1, 4, 6]].min() > 10 * selector.scores[[0, 2, 3, 5, 7]].max()
    assert selector.selected_names([f"f{i}" for i in range(8)]) == ("f1", "f4", "f6")
    assert selector.transform(x).shape == (300, 3)


def test_constant_features_score_lowest_without_warnings(recwarn):
    x, y = _problem(5, "classification", c=6)
    x[:, 2] = 1.5
    selector = FeatureSelector(5, "classification").fit(x, y)
    assert torch.isnan(selector.scores[2])  # f_classif: 0 / 0
    assert 2 not in selector.indices.tolist()
    assert FeatureSelector(5).fit(x, y.double()).scores[2] == 0  # f_regression: F = 0
    assert len(recwarn) == 0


def test_state_round_trips_through_safetensors_and_json(tmp_path):
    x, y = _problem(6, "regression")
    selector = FeatureSelector(4).fit(x, y)
    tensors, meta = selector.state()
    save_file(tensors, tmp_path / "selector.safetensors")
    (tmp_path / "selector.json").write_text(json.dumps(meta))
    loaded = FeatureSelector.from_state(load_file(tmp_path / "selector.safetensors"),
                                        json.loads((tmp_path / "selector.json").read_text()))
    assert torch.equal(loaded.indices, selector.indices)
    assert torch.equal(loaded.scores, selector.scores)
    assert (loaded.k, loaded.task) == (4, "regression")
    torch.testing.assert_close(loaded.transform(x), selector.transform(x))


@pytest.mark.parametrize("damage, match", [
    (lambda t, m: m.update(k=0), "^k must"),
    (lambda t, m: m.update(task="ranking"), "^task must"),
    (lambda t, m: t.update(indices=t["indices"].flip(0)), "increasing"),
    (lambda t, m: t.update(indices=t["indices"] + 100), "increasing"),
    (lambda t, m: t.update(scores=t["scores"].float()), "float64"),
    (lambda t, m: t.pop("indices"), "increasing"),
])
def test_a_damaged_state_is_refused(damage, match):
    x, y = _problem(7, "regression")
    tensors, meta = FeatureSelector(3).fit(x, y).state()
    damage(tensors, meta)
    with pytest.raises(ConfigError, match=match):
        FeatureSelector.from_state(tensors, meta)


def test_k_out_of_range_names_k_and_c():
    x, y = _problem(8, "regression")
    with pytest.raises(ConfigError, match=r"^k must be an integer in \[1, C=12\].*got 13"):
        FeatureSelector(13).fit(x, y)
    for k in (0, 2.0, True):
        with pytest.raises(ConfigError, match="^k must"):
            FeatureSelector(k)
    with pytest.raises(ConfigError, match="^task must"):
        FeatureSelector(3, "clustering")


def test_misuse():
    x, y = _problem(9, "regression")
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureSelector(2).transform(x)
    with pytest.raises(ValueError, match="integer class labels"):
        FeatureSelector(2, "classification").fit(x, y)
    with pytest.raises(ValueError, match=r"y must be a \(80,\) tensor"):
        FeatureSelector(2).fit(x, y[:-1])
    with pytest.raises(ValueError, match="shape"):
        FeatureSelector(2).fit(x, y).transform(x[:, :5])
