r"""SYNTHETIC stand-in for the course's HW1 data (2021): COVID-19 "tested positive" regression.

Nothing here is measured. HW1 asks for the percentage of people who tested positive in a US
state on a day, from the answers of a daily survey (the Delphi group's COVID-19 symptom
survey) on that day and the days before, and hands out ``covid.train.csv`` (2700 rows, with
the target) and ``covid.test.csv`` (893 rows, without it). Those files are not bundled here;
this module writes files of the same schema with numbers of the same scale:

- ``id``; 40 one-hot columns, one per US state (:data:`STATES`, two-letter codes);
- for each of ``days`` consecutive days the 18 survey features :data:`DAY_FEATURES`, in that
  order, the first day's without suffix and the later days' with pandas-style suffixes
  (``cli.1``, ..., ``tested_positive.2`` for 3 days), percentages in [0, 100];
- the target is the last day's ``tested_positive`` (omitted from a test file).

How the rows are generated. A row belongs to a state :math:`s` (uniform) and follows an
epidemic level :math:`\ell_d` (log-normal, a state part and a row part, drifting slowly over
the days, kept in [0.3, 2.6]). The four illness indicators follow the level,
:math:`\mathrm{cli}_d = 0.85\,\ell_d + \epsilon`, :math:`\mathrm{ili}_d = 0.9\,\ell_d + \epsilon`,
:math:`\mathrm{hh}_d = 26\,\ell_d + \epsilon`, :math:`\mathrm{nohh}_d = 21\,\ell_d + \epsilon`;
the 13 behaviour and mood features are a state mean, a row offset, a day wobble and a weak
pull of the level (e.g. ``worried_become_ill`` rises with it, ``restaurant`` falls), so they
correlate with the target without entering it. The target of day :math:`d` is

.. math::
    m_d &= 1 + 2\,\mathrm{cli}_d + 1.5\,\mathrm{ili}_d + 0.25\,\mathrm{hh\_cmnty\_cli}_d
        + 0.2\,\mathrm{nohh\_cmnty\_cli}_d, \\
    \mathrm{tp}_0 &= m_0 + \gamma_s + \varepsilon_0, \qquad
    \mathrm{tp}_d = \rho\,\mathrm{tp}_{d-1} + (1 - \rho)(m_d + \gamma_s) + \varepsilon_d
        \quad (d \ge 1),

with :math:`\rho = 0.8`, a state effect :math:`\gamma_s \sim \mathcal{N}(0, 1.5^2)` and
:math:`\varepsilon_d \sim \mathcal{N}(0, 0.9^2)`, clipped to [0, 100] (which almost never
bites: tp lies in about 5..40). The target is linear in the file's own columns plus noise, so
the best possible mean squared error is :math:`0.9^2 = 0.81`; a linear model or a small MLP
on standardized features gets near 1. Selecting ~15-20 features by ``f_regression`` keeps
the ``tested_positive`` and illness columns of all days and the most level-driven behaviours.

The "world" (state levels, state effects :math:`\gamma_s`, the states' behaviour means) is
drawn once from a constant seed; only the rows depend on ``seed``, and a test file
(``test=True``) draws from a stream of its own, so a training and a test file share one
relation but no rows.

Differences from the course: synthetic numbers, an explicit generating equation, and no
row-to-row time structure (each row's days are its own); errors fitted on these files are not
comparable with the homework's leaderboard.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch
from torch import Tensor

from mllab.config import is_int, require

__all__ = ["DAY_FEATURES", "STATES", "covid_like_rows", "write_covid_like_csv"]

STATES: tuple[str, ...] = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "FL", "GA", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "MD", "MA", "MI", "MN", "MS", "MO", "NE", "NV", "NJ", "NM", "NY", "NC",
    "OH", "OK", "OR", "PA", "RI", "SC", "TX", "UT", "VA", "WA", "WV", "WI",
)
"""The 40 states of HW1's files, in their column order."""

_ILLNESS = ("cli", "ili", "hh_cmnty_cli", "nohh_cmnty_cli")
_ILLNESS_SCALE = (0.85, 0.9, 26.0, 21.0)  # feature = scale * level + noise
_ILLNESS_NOISE = (0.06, 0.06, 1.2, 1.2)
_BETA = (2.0, 1.5, 0.25, 0.2)  # weights of the illness features in m_d
_BETA0 = 1.0
_LEVEL_RANGE = (0.3, 2.6)  # the epidemic level's bounds (about 3 standard deviations)
_RHO = 0.8
_SIGMA = 0.9  # noise of tested_positive
_GAMMA_SD = 1.5  # state effect on tested_positive

# Behaviour and mood: (mean, state sd, row sd, pull of the level per unit of (level - 1)).
_BEHAVIOUR = {
    "wearing_mask": (91.0, 3.0, 2.5, 1.0),
    "travel_outside_state": (9.0, 2.5, 3.0, -1.5),
    "work_outside_home": (31.0, 2.0, 2.5, -0.5),
    "shop": (56.0, 2.0, 2.5, -1.0),
    "restaurant": (17.0, 2.5, 3.0, -1.5),
    "spent_time": (34.0, 2.5, 3.0, -1.5),
    "large_event": (9.0, 1.5, 2.0, -1.0),
    "public_transit": (3.0, 1.5, 1.5, 0.0),
    "anxious": (15.0, 1.0, 1.5, 1.2),
    "depressed": (13.0, 1.0, 1.5, 0.5),
    "felt_isolated": (21.0, 1.5, 2.0, 0.8),
    "worried_become_ill": (64.0, 3.0, 3.0, 4.0),
    "worried_finances": (37.0, 2.0, 2.5, 1.0),
}

DAY_FEATURES: tuple[str, ...] = (*_ILLNESS, *_BEHAVIOUR, "tested_positive")
"""The 18 survey features of one day, in HW1's order."""

_WORLD_SEED = 2**40 + 2021  # outside the rows' seed range [0, 2**33)
_TEST_STREAM = 2**32  # a test file's rows come from seed + 2**32
_DECIMALS = 6


def _world() -> dict[str, Tensor]:
    r"""The fixed world: per state a log-level, an effect :math:`\gamma_s` and behaviour means."""
    g = torch.Generator().manual_seed(_WORLD_SEED)
    S, F = len(STATES), len(_BEHAVIOUR)
    log_level = 0.25 * torch.randn(S, generator=g, dtype=torch.float64)  # (S,)
    gamma = _GAMMA_SD * torch.randn(S, generator=g, dtype=torch.float64)  # (S,)
    mean, state_sd = (torch.tensor([v[i] for v in _BEHAVIOUR.values()], dtype=torch.float64)
                      for i in (0, 1))
    behaviour = mean + state_sd * torch.randn(S, F, generator=g, dtype=torch.float64)  # (S, F)
    return {"log_level": log_level, "gamma": gamma, "behaviour": behaviour}


def _day_columns(days: int, test: bool) -> list[str]:
    names = [f"{f}.{d}" if d else f for d in range(days) for f in DAY_FEATURES]
    return names[:-1] if test else names


def _generate(rows: int, days: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
    r"""States (N,) int64 and day features (N, days, 18) float64 of ``rows`` rows."""
    world = _world()
    N, F = rows, len(_BEHAVIOUR)
    s = torch.randint(len(STATES), (N,), generator=g)  # (N,)
    log_level = world["log_level"][s] + 0.25 * torch.randn(N, generator=g, dtype=torch.float64)
    drift = 0.03 * torch.randn(N, days, generator=g, dtype=torch.float64)
    level = torch.exp(log_level[:, None] + drift.cumsum(1)).clamp(*_LEVEL_RANGE)  # (N, days)
    eps = torch.randn(N, days, len(_ILLNESS), generator=g, dtype=torch.float64)
    illness = (torch.tensor(_ILLNESS_SCALE, dtype=torch.float64) * level[..., None]
               + torch.tensor(_ILLNESS_NOISE, dtype=torch.float64) * eps)  # (N, days, 4)
    illness = illness.clamp(0.0, 100.0)
    row_sd, pull = (torch.tensor([v[i] for v in _BEHAVIOUR.values()], dtype=torch.float64)
                    for i in (2, 3))
    offset = row_sd * torch.randn(N, 1, F, generator=g, dtype=torch.float64)  # (N, 1, F)
    wobble = 0.3 * row_sd * torch.randn(N, days, F, generator=g, dtype=torch.float64)
    behaviour = (world["behaviour"][s][:, None, :] + offset + wobble
                 + pull * (level[..., None] - 1.0)).clamp(0.0, 100.0)  # (N, days, F)
    m = _BETA0 + illness @ torch.tensor(_BETA, dtype=torch.float64)  # (N, days)
    gamma = world["gamma"][s]  # (N,)
    noise = _SIGMA * torch.randn(N, days, generator=g, dtype=torch.float64)
    tp = torch.empty(N, days, dtype=torch.float64)
    tp[:, 0] = m[:, 0] + gamma + noise[:, 0]
    for d in range(1, days):
        tp[:, d] = _RHO * tp[:, d - 1] + (1 - _RHO) * (m[:, d] + gamma) + noise[:, d]
    tp = tp.clamp(0.0, 100.0)
    return s, torch.cat([illness, behaviour, tp[..., None]], dim=2)  # (N, days, 18)


def covid_like_rows(
    rows: int, *, days: int = 3, seed: int = 0, test: bool = False
) -> tuple[list[str], list[list[str | float]]]:
    r"""SYNTHETIC HW1-like table: the header and ``rows`` rows (id text, then numbers).

    Args:
        rows: Number of rows N, at least 1.
        days: Number of consecutive days per row, 1..5 (HW1: 3).
        seed: Seed of the rows, in :math:`[0, 2^{32})`; the world is the same for every seed.
        test: Leave out the target (the last day's ``tested_positive``) and draw the rows from
            the test stream, as HW1's ``covid.test.csv``.

    Returns:
        ``(header, rows)``: ``id``, the 40 states, ``days`` x 18 features (less the target
        when ``test``); each row is ``[str(id), *values]`` with values rounded to 6 decimals
        and ids ``"0"`` .. ``"N-1"``.
    """
    require(is_int(rows) and rows >= 1, "rows", "an integer >= 1", rows)
    require(is_int(days) and 1 <= days <= 5, "days", "an integer in 1..5", days)
    require(is_int(seed) and 0 <= seed < 2**32, "seed", "an integer in [0, 2**32)", seed)
    require(isinstance(test, bool), "test", "True or False", test)
    g = torch.Generator().manual_seed(seed + (_TEST_STREAM if test else 0))
    s, features = _generate(rows, days, g)
    one_hot = torch.nn.functional.one_hot(s, len(STATES)).to(torch.float64)  # (N, 40)
    values = torch.cat([one_hot, features.reshape(rows, -1)], dim=1)  # (N, 40 + days * 18)
    if test:
        values = values[:, :-1]
    header = ["id", *STATES, *_day_columns(days, test)]
    table: list[list[str | float]] = [
        [str(i), *(round(v, _DECIMALS) for v in row)] for i, row in enumerate(values.tolist())
    ]
    return header, table


def write_covid_like_csv(
    path: str | Path, rows: int = 2700, *, days: int = 3, seed: int = 0, test: bool = False
) -> Path:
    r"""Write :func:`covid_like_rows` to ``path`` as CSV, values with 6 decimals, ``\n`` line
    ends, so a file is byte-for-byte the same for the same arguments. Written to a temporary
    file beside it, then renamed: an interrupted write leaves no partial table. Returns the
    path."""
    header, table = covid_like_rows(rows, days=days, seed=seed, test=test)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows([row[0], *(f"{v:.{_DECIMALS}f}" for v in row[1:])]
                             for row in table)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
