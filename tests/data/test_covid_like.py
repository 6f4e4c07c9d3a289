"""Tests of the SYNTHETIC HW1-like table: the schema, byte-for-byte reproducible files, train
and test files that differ in rows but share one relation, values on HW1's scale, a target a
linear model learns to an MSE near the noise floor, and argument checks."""

import hashlib

import pytest
import torch

from mllab.config import ConfigError
from mllab.data import covid_like_rows, load_csv, write_covid_like_csv
from mllab.data.covid_like import DAY_FEATURES, STATES

TARGET = "tested_positive.2"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("covid")
    train = write_covid_like_csv(folder / "covid.train.csv", 1200, seed=0)
    test = write_covid_like_csv(folder / "covid.test.csv", 300, seed=0, test=True)
    return train, test


def test_schema_is_hw1s():
    assert len(STATES) == 40 == len(set(STATES)) and STATES[:3] == ("AL", "AK", "AZ")
    assert len(DAY_FEATURES) == 18
    assert DAY_FEATURES[:4] == ("cli", "ili", "hh_cmnty_cli", "nohh_cmnty_cli")
    assert DAY_FEATURES[-1] == "tested_positive"
    header, rows = covid_like_rows(5, days=3)
    assert len(header) == 1 + 40 + 3 * 18 == 95
    assert header[:2] == ["id", "AL"] and header[41:43] == ["cli", "ili"]
    assert header[41 + 18] == "cli.1" and header[-1] == TARGET
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4"]
    assert all(len(r) == 95 for r in rows)


@pytest.mark.parametrize("days", [1, 2, 5])
def test_days_set_the_columns_and_the_target(days):
    header, rows = covid_like_rows(3, days=days)
    assert len(header) == 41 + 18 * days
    assert header[-1] == ("tested_positive" if days == 1 else f"tested_positive.{days - 1}")
    test_header, _ = covid_like_rows(3, days=days, test=True)
    assert test_header == header[:-1]


def test_each_row_has_one_state():
    _, rows = covid_like_rows(200, seed=3)
    one_hot = torch.tensor([r[1:41] for r in rows])
    assert set(one_hot.unique().tolist()) == {0.0, 1.0}
    assert one_hot.sum(1).eq(1).all()
    assert one_hot.sum(0).gt(0).sum() >= 35  # the states are drawn uniformly


def test_files_are_byte_for_byte_reproducible(tmp_path):
    a = write_covid_like_csv(tmp_path / "a.csv", 50, seed=7)
    b = write_covid_like_csv(tmp_path / "b.csv", 50, seed=7)
    c = write_covid_like_csv(tmp_path / "c.csv", 50, seed=8)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    line = a.read_text().splitlines()[1]
    assert line.split(",")[0] == "0" and all(len(v.split(".")[1]) == 6
                                             for v in line.split(",")[1:])
    assert hashlib.sha256(a.read_bytes()).hexdigest() == hashlib.sha256(
        write_covid_like_csv(tmp_path / "d.csv", 50, seed=7).read_bytes()).hexdigest()


def test_rows_are_the_file(tmp_path):
    header, rows = covid_like_rows(20, seed=2)
    table = load_csv(write_covid_like_csv(tmp_path / "t.csv", 20, seed=2), target=TARGET)
    assert ["id", *table.feature_names, TARGET] == header
    expected = torch.tensor([r[1:] for r in rows], dtype=torch.float32)
    torch.testing.assert_close(table.x, expected[:, :-1], rtol=0, atol=0)
    torch.testing.assert_close(table.y, expected[:, -1], rtol=0, atol=0)


def test_round_trip_train_and_test_files(files):
    train_path, test_path = files
    train = load_csv(train_path, target=TARGET)
    assert train.x.shape == (1200, 93) and train.y.shape == (1200,)
    assert train.feature_names[0] == "AL" and "tested_positive.1" in train.feature_names
    assert TARGET not in train.feature_names and "id" not in train.feature_names
    with pytest.raises(ConfigError, match=r"no target column 'tested_positive\.2'"):
        load_csv(test_path, target=TARGET)
    test = load_csv(test_path, columns=train.feature_names)
    assert test.x.shape == (300, 93) and test.y is None
    assert test.feature_names == train.feature_names
    # the test rows come from their own stream: none equals a training row
    assert not (test.x[:, None, :] == train.x[None, :, :]).all(-1).any()
    with pytest.raises(ConfigError, match=r"missing columns 'extra'"):
        load_csv(test_path, columns=[*train.feature_names, "extra"])


def test_values_are_on_hw1s_scale(files):
    train = load_csv(files[0], target=TARGET)
    assert train.x.min() >= 0 and train.x.max() <= 100
    assert 3 < float(train.y.min()) and float(train.y.max()) < 45
    assert 12 < float(train.y.mean()) < 20 and 3 < float(train.y.std()) < 10
    j = train.feature_names.index("wearing_mask")
    assert 85 < float(train.x[:, j].mean()) < 97


def _valid_mse(x, y, n_train):
    x = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)  # bias column
    theta = torch.linalg.lstsq(x[:n_train], y[:n_train]).solution
    return float(((x[n_train:] @ theta - y[n_train:]) ** 2).mean())


def test_a_linear_model_reaches_the_noise_floor(files):
    train = load_csv(files[0], target=TARGET)
    x, y = train.x.double(), train.y.double()
    mse = _valid_mse(x, y, 1000)
    assert 0.6 < mse < 1.3  # the noise alone costs 0.81
    assert float(y[1000:].var()) > 20 * mse  # so the features carry nearly all of it


def test_the_relation_is_shared_across_seeds(tmp_path):
    a = load_csv(write_covid_like_csv(tmp_path / "a.csv", 800, seed=1), target=TARGET)
    b = load_csv(write_covid_like_csv(tmp_path / "b.csv", 400, seed=2), target=TARGET)
    x = torch.cat([a.x, b.x]).double()
    y = torch.cat([a.y, b.y]).double()
    assert _valid_mse(x, y, 800) < 1.3  # fitted on seed 1, validated on seed 2


def test_f_regression_ranks_the_illness_and_past_target_columns_first(files):
    from sklearn.feature_selection import f_regression

    train = load_csv(files[0], target=TARGET)
    scores, _ = f_regression(train.x.double().numpy(), train.y.double().numpy())
    best = {train.feature_names[i] for i in scores.argsort()[::-1][:14]}
    expected = {f"{f}{s}" for f in DAY_FEATURES[:4] for s in ("", ".1", ".2")}
    assert best == expected | {"tested_positive", "tested_positive.1"}


@pytest.mark.parametrize("kwargs, field", [
    ({"rows": 0}, "rows"), ({"rows": 2.0}, "rows"), ({"rows": True}, "rows"),
    ({"rows": 3, "days": 0}, "days"), ({"rows": 3, "days": 6}, "days"),
    ({"rows": 3, "seed": -1}, "seed"), ({"rows": 3, "seed": 2**32}, "seed"),
    ({"rows": 3, "test": 1}, "test"),
])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=rf"^{field} must be"):
        covid_like_rows(**kwargs)
