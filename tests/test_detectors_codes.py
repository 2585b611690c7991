"""Detectors' integer-code helpers give what the pandas string operations they replace give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodel.detectors.features import (
    _combined_codes,
    _household_codes,
    _month_codes,
    key_codes,
    payee_window_keys,
)
from riskmodel.frames import distinct_per_group


def _strings(rng: np.random.Generator, size: int, kinds: int, missing: float) -> pd.Series:
    values = np.array([f"v{k:03d}" for k in rng.integers(0, kinds, size)], dtype=object)
    values[rng.random(size) < missing] = None
    values[rng.random(size) < missing] = ""
    return pd.Series(values, dtype="str")


def test_combined_codes_number_groups_as_a_multi_key_groupby():
    rng = np.random.default_rng(1)
    village, program = _strings(rng, 3000, 20, 0.05), _strings(rng, 3000, 7, 0.05)
    dates = pd.Series(
        pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, 3000), "D")
    )
    dates[rng.random(3000) < 0.05] = pd.NaT
    amount = rng.normal(100.0, 20.0, 3000)
    (v, villages), (p, programs) = key_codes(village, sort=True), key_codes(program, sort=True)
    m, months = _month_codes(dates)
    group, keyed = _combined_codes([v, p, m], [len(villages), len(programs), len(months)])
    rows = np.flatnonzero(group >= 0)
    ours = pd.Series(amount[rows]).groupby(group[rows]).sum()
    frame = pd.DataFrame({"v": village, "p": program, "m": dates.dt.to_period("M"), "a": amount})
    theirs = frame.groupby(["v", "p", "m"])["a"].sum()
    assert ours.tolist() == theirs.tolist()
    assert list(villages[keyed[0]]) == theirs.index.get_level_values(0).tolist()
    assert list(programs[keyed[1]]) == theirs.index.get_level_values(1).tolist()
    assert list(months[keyed[2]]) == theirs.index.get_level_values(2).tolist()


def test_household_codes_count_the_households_the_filled_strings_count():
    rng = np.random.default_rng(2)
    size = 4000
    household = _strings(rng, size, 300, 0.05)
    person = _strings(rng, size, 900, 0.02)
    account = rng.integers(0, 200, size)
    unknown = (household.isna() | (household == "")).to_numpy(dtype=bool)
    register = np.array([f"v{k:03d}" for k in rng.integers(250, 400, unknown.sum())], dtype=object)
    register[rng.random(len(register)) < 0.3] = np.nan
    filled = household.where(~unknown, pd.Series(np.nan, index=household.index, dtype=object))
    filled[unknown] = register
    expected = filled.where(filled.notna(), person)
    for fix, fill in ((unknown, register), (household.isna().to_numpy(dtype=bool), None)):
        strings = expected if fill is not None else household.where(household.notna(), person)
        codes = _household_codes(household, person, fix, fill)
        theirs = pd.DataFrame({"a": account, "h": strings}).groupby("a")["h"].nunique()
        assert (
            distinct_per_group(account, codes, 200).tolist()
            == theirs.reindex(range(200), fill_value=0).tolist()
        )
        assert ((codes >= 0) == strings.notna().to_numpy()).all()


def test_payee_window_keys_take_keys_by_row_position():
    events = pd.DataFrame(
        {
            "payee": ["a", "b", "a", "a"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-03-01"]),
            "_row": [3, 1, 0, 2],
        }
    )
    windows = pd.DataFrame({"payee": ["a"], "first_seen": pd.to_datetime(["2024-01-01"])})
    keys = pd.Series(["k0", "k1", "k2", "k3"], dtype="str")
    assert payee_window_keys(events, windows, 30, keys) == {"a": "k3;k0"}
    with_keys = events.assign(_key=["k3", "k1", "k0", "k2"]).drop(columns="_row")
    assert payee_window_keys(with_keys, windows, 30) == {"a": "k3;k0"}
