r"""A student's own table: a numeric CSV file read into tensors (Lecture 1, HW1's data files).

The course's first homework hands out its data as CSV files (``covid.train.csv`` with the
target column, ``covid.test.csv`` without it). :func:`load_csv` reads such a file into a
:class:`Table`: a design matrix :math:`x \in \mathbb{R}^{N \times C}`, an optional target
:math:`y \in \mathbb{R}^N`, the feature names and the row ids.

The file is read with Python's :mod:`csv` module: a header row, then one row per sample, every
cell of a feature or target column a finite number. Header names are stripped of surrounding
spaces; an empty one becomes ``Unnamed: <i>`` (``i`` the 0-based column index) and repeated
names are renamed as pandas' ``read_csv`` renames them, ``a, a, a -> a, a.1, a.2``, so the
HW1 files' per-day columns read as ``tested_positive, tested_positive.1, tested_positive.2``.
Blank lines are skipped. Anything else that does not fit stops the read with one
:class:`CSVError` that names the file, the line (1-based as an editor counts, the header is
line 1) and the column.

Differences from the course: the sample code reads with ``pd.read_csv`` and keeps every column
but the first; here the id column is recognised by name and the features are chosen by name or
pattern, so a test file can be read with exactly the training table's features.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

import torch
from torch import Tensor

from mllab.config import ConfigError, shorten

__all__ = ["CSVError", "Table", "load_csv"]


class CSVError(ConfigError):
    r"""A CSV file that cannot be read as a numeric table; one line naming file, line, column."""


@dataclass(frozen=True, eq=False)
class Table:
    r"""A numeric table read from a CSV file. Shapes: ``x`` (N, C), ``y`` (N,)."""

    x: Tensor
    """Features, (N, C) float32, columns in the order of :attr:`feature_names`."""
    y: Tensor | None
    """Target, (N,) float32; ``None`` when no target column was asked for."""
    feature_names: tuple[str, ...]
    """Names of the C feature columns (pandas-style renamed duplicates)."""
    target_name: str | None
    """Name of the target column, or ``None``."""
    ids: tuple[str, ...]
    """Row ids: the id column's text when the file has one, else ``"0"`` .. ``"N-1"``."""
    path: Path
    """The file the table was read from."""

    def __len__(self) -> int:
        return self.x.shape[0]

    def select(self, indices: Tensor) -> Table:
        r"""The rows ``indices`` (an int64 tensor, e.g. from :func:`train_valid_split`)."""
        rows = indices.tolist()
        y = None if self.y is None else self.y[indices]
        return replace(self, x=self.x[indices], y=y, ids=tuple(self.ids[i] for i in rows))


def dedup_names(names: Sequence[str]) -> list[str]:
    r"""Rename repeated names as pandas' ``read_csv`` does: the :math:`k`-th repeat of ``a``
    becomes ``a.k``, and a made name already taken is renamed in turn, as pandas renames it
    (``a, a.1, a -> a, a.1, a.1.1``)."""
    counts: dict[str, int] = {}
    out = []
    for name in names:
        count = counts.get(name, 0)
        while count > 0:
            counts[name] = count + 1
            name = f"{name}.{count}"
            count = counts.get(name, 0)
        out.append(name)
        counts[name] = count + 1
    return out


def _listing(names: Sequence[str], limit: int = 100) -> str:
    r"""The names, comma separated, cut near ``limit`` characters with the total said."""
    text = ""
    for name in names:
        part = shorten(name, 30)
        if text and len(text) + len(part) > limit:
            return f"{text}, ... ({len(names)} in all)"
        text = f"{text}, {part}" if text else part
    return text


def _where(path: Path, limit: int = 80) -> str:
    r"""The quoted path for a message, its beginning cut when long so the file name stays."""
    text = repr(str(path))
    return text if len(text) <= limit else f"'...{text[-(limit - 4):]}"


def _read_text(path: Path, where: str) -> str:
    if not path.exists():
        raise CSVError(f"{where}: no such file")
    if path.is_dir():
        raise CSVError(f"{where}: is a folder, not a CSV file")
    if not path.is_file():
        raise CSVError(f"{where}: is not a regular file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CSVError(f"{where}: cannot be read ({shorten(e.strerror or str(e), 60)})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise CSVError(f"{where}: line {line} is not UTF-8 text "
                       f"(byte 0x{data[e.start]:02x})") from None


def _read_rows(text: str, where: str) -> tuple[list[str], list[list[str]], list[int]]:
    r"""Header, data rows and each data row's line number (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote too
    header: list[str] | None = None
    rows, lines = [], []
    try:
        for row in reader:
            if not row:
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                raise CSVError(f"{where}: line {reader.line_num} has {len(row)} fields, "
                               f"the header has {len(header)}")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as e:
        raise CSVError(f"{where}: line {reader.line_num}: {shorten(str(e), 60)}") from None
    if header is None:
        raise CSVError(f"{where}: is empty (no header row)")
    if not rows:
        raise CSVError(f"{where}: has a header but no data rows")
    names = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(header)]
    return dedup_names(names), rows, lines


def _as_patterns(value: str | Sequence[str], name: str) -> tuple[str, ...]:
    patterns = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(p, str) for p in patterns):
        raise CSVError(f"{name} must be column names or patterns, got {shorten(value)}")
    return patterns


def _choose_features(names: Sequence[str], candidates: list[str], columns: tuple[str, ...] | None,
                     drop: tuple[str, ...], where: str) -> list[str]:
    r"""Features in the order of ``columns`` (each pattern's matches in file order), less
    ``drop``; an exact name wins over a pattern reading, and a name or pattern matching no
    feature column is an error."""
    chosen = candidates if columns is None else []
    for what, patterns in (("columns", columns or ()), ("drop", drop)):
        unmatched = []
        for pattern in patterns:
            exact = pattern in candidates  # a name such as 'a[1]' is itself, not a pattern
            hits = [pattern] if exact else [c for c in candidates if fnmatchcase(c, pattern)]
            if not hits:
                unmatched.append(pattern)
            if what == "columns":
                chosen += [c for c in hits if c not in chosen]
            else:
                chosen = [c for c in chosen if c not in hits]
        if unmatched:
            note = ""
            if any(fnmatchcase(n, p) for n in names if n not in candidates for p in unmatched):
                note = " (the target and id columns are never features)"
            raise CSVError(f"{where}: missing columns {_listing(unmatched, 60)} (named in "
                           f"{what}=){note}; feature columns: {_listing(candidates)}")
    if not chosen:
        raise CSVError(f"{where}: no feature columns left after drop={shorten(drop)}")
    return chosen


def _to_tensor(rows: list[list[str]], lines: list[int], cols: list[int], names: list[str],
               where: str) -> Tensor:
    r"""The cells ``cols`` of every row as a float64 (N, len(cols)) tensor, all finite in
    float32; the first bad cell stops it with its line and column."""
    try:
        values = [[float(row[j]) for j in cols] for row in rows]
    except ValueError:
        for row, line in zip(rows, lines, strict=True):
            for j in cols:
                try:
                    float(row[j])
                except ValueError:
                    cell = row[j].strip()
                    what = "is empty" if not cell else f"{shorten(cell, 30)} is not a number"
                    raise CSVError(f"{where}: line {line}, column {shorten(names[j])}: "
                                   f"{what}") from None
        raise
    x = torch.tensor(values, dtype=torch.float64).reshape(len(rows), len(cols))  # (N, C')
    bad = ~torch.isfinite(x.to(torch.float32))
    if bad.any():
        n, c = (int(i) for i in torch.nonzero(bad)[0])
        cell = shorten(rows[n][cols[c]].strip(), 30)
        what = "is not finite" if not torch.isfinite(x[n, c]) else "is too large for float32"
        raise CSVError(f"{where}: line {lines[n]}, column {shorten(names[cols[c]])}: "
                       f"{cell} {what}")
    return x


def load_csv(
    path: str | Path,
    target: str | None = None,
    drop: str | Sequence[str] = (),
    columns: str | Sequence[str] | None = None,
    id_column: str | None = "id",
) -> Table:
    r"""Read a numeric CSV file with a header row into a :class:`Table`.

    Column names are those of the header, repeats renamed as pandas does
    (``tested_positive, tested_positive.1, ...``). The target and id columns are never
    features; the features are every other column, or those named by ``columns``, less those
    named by ``drop``. Names may be shell-style patterns (``fnmatch``: ``"cli*"``,
    ``"tested_positive.?"``); each name or pattern must match at least one feature column.
    ``x``'s columns follow ``columns`` (each pattern's matches in file order), or the file's
    order when ``columns`` is ``None``. Passing ``columns=train.feature_names`` reads a test
    file with exactly the training features, in the training order, whatever its own order.

    Args:
        path: The CSV file, UTF-8 (a byte order mark is allowed).
        target: Name of the target column, or ``None`` for a file without one (a test file).
        drop: Feature names or patterns to leave out.
        columns: Feature names or patterns to keep; ``None`` keeps every feature column.
        id_column: Name of the id column, kept as text in ``ids`` when the file has it;
            ``None`` when no column is an id.

    Returns:
        The :class:`Table`, values read in float64 and stored as float32.

    Raises:
        CSVError: One line naming the file and, where it applies, line and column: a missing,
            unreadable or non-UTF-8 file, no header, no data rows, an unknown target or
            column, a row with the wrong number of fields, an empty, non-numeric or non-finite
            cell (``nan``, ``inf``, beyond float32).
    """
    path = Path(path)
    where = _where(path)
    drop_patterns = _as_patterns(drop, "drop")
    column_patterns = None if columns is None else _as_patterns(columns, "columns")
    names, rows, lines = _read_rows(_read_text(path, where), where)
    if target is not None and target not in names:
        raise CSVError(f"{where}: no target column {shorten(target)}; columns: {_listing(names)}")
    has_ids = id_column is not None and id_column in names
    candidates = [n for n in names if n != target and not (has_ids and n == id_column)]
    features = _choose_features(names, candidates, column_patterns, drop_patterns, where)
    cols = [names.index(f) for f in features] + ([names.index(target)] if target else [])
    values = _to_tensor(rows, lines, cols, names, where).to(torch.float32)  # (N, C + 1?)
    x = values[:, : len(features)].contiguous()  # (N, C)
    y = values[:, len(features)].contiguous() if target is not None else None  # (N,)
    if has_ids:
        j = names.index(id_column)
        ids = tuple(row[j].strip() for row in rows)
    else:
        ids = tuple(str(i) for i in range(len(rows)))
    return Table(x=x, y=y, feature_names=tuple(features), target_name=target, ids=ids,
                 path=path)
