"""Tests of ``mllab.data.load_csv``: values and names read back, pandas-style renaming of
repeated names, feature choice by name and pattern, and every refusal as one ``CSVError`` line
naming file, line and column."""

import os

import pytest
import torch

from mllab.config import ConfigError
from mllab.data import CSVError, Table, load_csv, train_valid_split
from mllab.data.csv_table import dedup_names


def _write(tmp_path, text: str, name: str = "t.csv", mode: str = "w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


SMALL = "id,a,b,a,y\n7,1,2,3,10\n8,4.5,-5e-1,6,20\n9,7,8,9,30\n"


def test_values_names_target_and_ids_read_back(tmp_path):
    table = load_csv(_write(tmp_path, SMALL), target="y")
    assert isinstance(table, Table)
    assert table.feature_names == ("a", "b", "a.1")
    assert table.target_name == "y"
    assert table.ids == ("7", "8", "9")
    assert table.x.dtype == torch.float32 and table.y.dtype == torch.float32
    torch.testing.assert_close(table.x, torch.tensor([[1, 2, 3], [4.5, -0.5, 6], [7, 8, 9.0]]))
    torch.testing.assert_close(table.y, torch.tensor([10.0, 20, 30]))
    assert table.path == tmp_path / "t.csv" and len(table) == 3


def test_without_target_or_id_column_every_column_is_a_feature(tmp_path):
    table = load_csv(_write(tmp_path, "p,q\n1,2\n\n3,4\n"), id_column="id")
    assert table.y is None and table.target_name is None
    assert table.feature_names == ("p", "q")
    assert table.ids == ("0", "1")  # no id column: row numbers; the blank line is skipped
    torch.testing.assert_close(table.x, torch.tensor([[1.0, 2], [3, 4]]))


@pytest.mark.parametrize("names, renamed", [
    (["a", "a", "a"], ["a", "a.1", "a.2"]),
    (["a", "a.1", "a"], ["a", "a.1", "a.1.1"]),  # pandas' own answer, odd as it looks
    (["a", "b", "a", "b", "a"], ["a", "b", "a.1", "b.1", "a.2"]),
    (["tested_positive", "cli", "tested_positive", "cli"],
     ["tested_positive", "cli", "tested_positive.1", "cli.1"]),
    (["x", "y"], ["x", "y"]),
])
def test_repeated_names_are_renamed_as_pandas_does(names, renamed):
    assert dedup_names(names) == renamed


def test_columns_and_drop_take_names_and_patterns(tmp_path):
    path = _write(tmp_path, "id,cli,ili,cli,tp,tp,y\n0,1,2,3,4,5,6\n1,7,8,9,10,11,12\n")
    assert load_csv(path, target="y", columns=["tp*", "cli"]).feature_names == (
        "tp", "tp.1", "cli")  # the order asked for, each pattern's matches in file order
    assert load_csv(path, target="y", drop="cli*").feature_names == ("ili", "tp", "tp.1")
    chosen = load_csv(path, target="y", columns=["*"], drop=["tp.1", "ili"])
    assert chosen.feature_names == ("cli", "cli.1", "tp")
    torch.testing.assert_close(chosen.x, torch.tensor([[1.0, 3, 4], [7, 9, 10]]))


def test_a_name_that_looks_like_a_pattern_is_taken_literally(tmp_path):
    path = _write(tmp_path, "a[1],a1,y\n1,2,3\n")
    assert load_csv(path, target="y", columns=["a[1]"]).feature_names == ("a[1]",)
    assert load_csv(path, target="y", columns=["a[1-9]"]).feature_names == ("a1",)


def test_a_test_file_is_read_with_the_training_features_in_their_order(tmp_path):
    train = load_csv(_write(tmp_path, "id,a,b,c,y\n0,1,2,3,4\n", "train.csv"), target="y")
    test = load_csv(_write(tmp_path, "id,c,a,b\n5,30,10,20\n", "test.csv"),
                    columns=train.feature_names)
    assert test.feature_names == train.feature_names
    torch.testing.assert_close(test.x, torch.tensor([[10.0, 20, 30]]))
    with pytest.raises(CSVError, match=r"test2\.csv': missing columns 'b' \(named in columns="):
        load_csv(_write(tmp_path, "id,c,a\n5,30,10\n", "test2.csv"), columns=train.feature_names)


def test_unknown_pattern_in_drop_and_target_as_feature_are_refused(tmp_path):
    path = _write(tmp_path, SMALL)
    with pytest.raises(CSVError, match=r"missing columns 'z\*' \(named in drop=\); feature "
                                       r"columns: 'a', 'b', 'a\.1'$"):
        load_csv(path, target="y", drop=["z*"])
    with pytest.raises(CSVError, match="the target and id columns are never features"):
        load_csv(path, target="y", columns=["a", "y"])
    with pytest.raises(CSVError, match="no feature columns left"):
        load_csv(path, target="y", drop=["a*", "b"])


def test_select_takes_rows_with_their_ids(tmp_path):
    table = load_csv(_write(tmp_path, SMALL), target="y")
    train_idx, valid_idx = train_valid_split(len(table), 0.34, seed=0)
    valid = table.select(valid_idx)
    assert valid.ids == tuple(table.ids[i] for i in valid_idx.tolist())
    torch.testing.assert_close(valid.y, table.y[valid_idx])
    assert valid.feature_names == table.feature_names


def _error(path, **kwargs) -> str:
    with pytest.raises(CSVError) as info:
        load_csv(path, **kwargs)
    assert isinstance(info.value, ConfigError)
    message = str(info.value)
    assert "\n" not in message and str(path.name) in message and len(message) < 300
    return message


@pytest.mark.parametrize("text, expected", [
    ("id,a,cli.1,y\n0,1,2,3\n1,4,abc,6\n", "line 3, column 'cli.1': 'abc' is not a number"),
    ("id,a,y\n0,1,2\n1,,3\n", "line 3, column 'a': is empty"),
    ("id,a,y\n0,1,2\n1, ,3\n", "line 3, column 'a': is empty"),
    ("id,a,y\n0,1,2\n\n1,2,nan\n", "line 4, column 'y': 'nan' is not finite"),
    ("id,a,y\n0,-inf,2\n", "line 2, column 'a': '-inf' is not finite"),
    ("id,a,y\n0,1e39,2\n", "line 2, column 'a': '1e39' is too large for float32"),
    ("id,a,y\n0,1,2\n1,2\n", "line 3 has 2 fields, the header has 3"),
    ("id,a,y\n0,1,2,4\n", "line 2 has 4 fields, the header has 3"),
    ("", "is empty (no header row)"),
    ("\n\n", "is empty (no header row)"),
    ("id,a,y\n", "has a header but no data rows"),
])
def test_bad_content_is_one_line_naming_line_and_column(tmp_path, text, expected):
    assert expected in _error(_write(tmp_path, text), target="y")


def test_a_quoted_newline_keeps_the_editor_line_numbers(tmp_path):
    path = _write(tmp_path, 'id,"a\nb",y\n0,1,2\n1,x,3\n')
    assert "line 4, column 'a\\nb': 'x' is not a number" in _error(path, target="y")


def test_unknown_target_lists_the_columns_shortened(tmp_path):
    header = ",".join(["id"] + [f"feature_{i}" for i in range(60)])
    path = _write(tmp_path, header + "\n" + ",".join(["0"] * 61) + "\n")
    message = _error(path, target="tested_positive")
    assert "no target column 'tested_positive'; columns: 'id', 'feature_0'" in message
    assert message.endswith("(61 in all)")


def test_files_that_cannot_be_read(tmp_path):
    assert "no such file" in _error(tmp_path / "nope.csv")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "is a folder" in _error(folder)
    bad = _write(tmp_path, b"id,a\n0,1\n1,\xff\n", mode="wb")
    assert "line 3 is not UTF-8 text (byte 0xff)" in _error(bad)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.csv"
        os.mkfifo(fifo)
        assert "is not a regular file" in _error(fifo)


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(tmp_path):
    path = _write(tmp_path, "\ufeffid,a,y\r\n0,1,2\r\n".encode(), mode="wb")
    table = load_csv(path, target="y")
    assert table.feature_names == ("a",) and table.ids == ("0",)


def test_bad_argument_types_are_refused(tmp_path):
    with pytest.raises(CSVError, match="columns must be column names or patterns"):
        load_csv(_write(tmp_path, SMALL), columns=[1, 2])
