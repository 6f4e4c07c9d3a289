"""TabularEstimator: preprocessing fitted on the training rows alone, parity with scikit-learn's
least squares, save/load without pickle, classification labels, clear errors."""

import json

import pytest
import torch
from sklearn.feature_selection import SelectKBest, f_regression
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

from mllab.config import ConfigError
from mllab.train import EstimatorConfig, TabularEstimator


def _regression(n=200, c=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, generator=g) * torch.arange(1, c + 1) + 3.0
    y = x[:, 0] - 0.5 * x[:, 2] + 0.1 * torch.randn(n, generator=g)
    return x, y


def test_scaling_and_selection_are_fitted_on_the_training_rows_alone():
    x, y = _regression()
    est = TabularEstimator(EstimatorConfig(select=3, epochs=1))
    est.fit(x[:150], y[:150])
    expected = SelectKBest(f_regression, k=3).fit(x[:150].numpy(), y[:150].numpy())
    assert est.selector.indices.tolist() == expected.get_support(indices=True).tolist()
    scaler = StandardScaler().fit(x[:150, est.selector.indices].numpy())
    torch.testing.assert_close(est.scaler.mu, torch.tensor(scaler.mean_, dtype=torch.float32))
    torch.testing.assert_close(est.scaler.sigma, torch.tensor(scaler.scale_,
                                                              dtype=torch.float32))
    torch.testing.assert_close(est.transform(x[150:]),
                               torch.tensor(scaler.transform(x[150:, est.selector.indices]
                                                             .numpy()), dtype=torch.float32))


def test_the_linear_model_by_full_batch_gradient_descent_predicts_as_least_squares():
    x, y = _regression()
    config = EstimatorConfig(hidden=(), optimizer="sgd", lr=0.3, epochs=500, batch_size=None)
    est = TabularEstimator(config)
    est.fit(x, y)
    reference = LinearRegression().fit(x.double().numpy(), y.double().numpy())
    torch.testing.assert_close(est.predict(x).double(),
                               torch.tensor(reference.predict(x.double().numpy())),
                               atol=1e-3, rtol=0)


def test_save_and_load_give_the_same_predictions_from_safetensors_and_json(tmp_path):
    x, y = _regression()
    est = TabularEstimator(EstimatorConfig(select=4, hidden=(5, 3), epochs=3), seed=7,
                           feature_names=tuple(f"f{j}" for j in range(6)))
    est.fit(x[:150], y[:150], valid=(x[150:], y[150:]))
    est.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["estimator.json",
                                                                       "estimator.safetensors"]
    loaded = TabularEstimator.load(tmp_path / "model")
    assert loaded.feature_names == est.feature_names and loaded.config == est.config
    assert torch.equal(loaded.predict(x), est.predict(x))


def test_a_damaged_or_foreign_folder_is_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match="holds no readable estimator"):
        TabularEstimator.load(tmp_path)
    (tmp_path / "estimator.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ConfigError, match="not an mllab estimator") as e:
        TabularEstimator.load(tmp_path)
    assert "\n" not in str(e.value)


def test_classification_predicts_the_target_s_own_labels():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 2, generator=g)
    labels = torch.tensor([3.0, 7.0])[(x[:, 0] + x[:, 1] > 0).long()]
    est = TabularEstimator(EstimatorConfig(task="classification", hidden=(8,), lr=1e-2,
                                           epochs=60, batch_size=32))
    est.fit(x, labels)
    assert est.classes.tolist() == [3.0, 7.0]
    assert set(est.predict(x).tolist()) <= {3.0, 7.0}
    assert (est.predict(x) == labels).float().mean() > 0.95
    with pytest.raises(ConfigError, match="target value 5 was not seen in training"):
        est.loss(x[:2], torch.tensor([3.0, 5.0]))


def test_float64_rows_are_cast_and_give_the_float32_predictions():
    x, y = _regression()
    est = TabularEstimator(EstimatorConfig(epochs=2))
    est.fit(x.double(), y.double())
    assert torch.equal(est.predict(x.double()), est.predict(x))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"task": "ranking"}, "task must be one of regression, classification"),
    ({"hidden": (16, 0)}, "hidden must be a tuple of integers >= 1"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of adam"),
    ({"lr": 0.0}, "lr must be a finite number > 0"),
    ({"epochs": 0}, "epochs must be >= 1"),
])
def test_config_names_the_bad_field(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        EstimatorConfig(**kwargs)


def test_fit_refuses_what_it_cannot_do_in_one_line():
    x, y = _regression()
    with pytest.raises(ConfigError, match="patience must be None when no validation rows"):
        TabularEstimator(EstimatorConfig(patience=3)).fit(x, y)
    with pytest.raises(ConfigError, match=r"select must be an integer in \[1, 6\]"):
        TabularEstimator(EstimatorConfig(select=9)).fit(x, y)
    with pytest.raises(ConfigError, match="x has 5 columns, the estimator was fitted on 6"):
        est = TabularEstimator(EstimatorConfig(epochs=1))
        est.fit(x, y)
        est.predict(x[:, :5])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU here")
def test_on_a_gpu_the_estimator_trains_and_predicts_as_on_the_cpu():
    x, y = _regression()
    config = EstimatorConfig(hidden=(8,), epochs=5, batch_size=32)
    cpu, gpu = (TabularEstimator(config, device=d) for d in ("cpu", "cuda"))
    cpu.fit(x, y)
    gpu.fit(x, y)
    assert gpu.predict(x).device.type == "cpu"
    torch.testing.assert_close(gpu.predict(x), cpu.predict(x), rtol=1e-4, atol=1e-4)
