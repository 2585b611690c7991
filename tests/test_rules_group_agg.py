"""group_agg: the collapse / masked-sum aggregations on codes equal pandas' per-group calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from riskmodel.rules import common
from riskmodel.rules.common import Joined, MaskedSum, group_agg

VALUES = np.array(["a", "b", "", "nan", "10", "9", "Z", "ä", "路", None, np.nan], dtype=object)


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 3000
    return pd.DataFrame(
        {
            "g": rng.choice(np.array(["v1", "v2", None, "v10"], dtype=object), n),
            "h": rng.integers(0, 20, n),
            "o": pd.Series(rng.choice(VALUES, n), dtype=object),
            "s": pd.Series(rng.choice(VALUES, n)).astype("str"),
            "i": rng.integers(0, 300, n),
            "m": rng.random(n) < 0.3,
            "a": rng.random(n) * 1000,
        }
    )


KWARGS = [{}, {"as_index": False}, {"sort": False}, {"dropna": False, "as_index": False}]


@pytest.mark.parametrize("kw", KWARGS)
@pytest.mark.parametrize("by", ["g", ["g", "h"]])
def test_collapse_matches_per_group_calls(frame: pd.DataFrame, kw: dict, by: object) -> None:
    mask = frame["m"]
    expected = frame.groupby(by, **kw).agg(
        o=("o", common.collapse),
        n=("a", "sum"),
        s=("s", common.collapse),
        i=("i", lambda v: common.collapse(v, 3)),
        k=("s", lambda v: common.collapse(v[mask[v.index]], 5)),
        t=("a", lambda v: float(v[mask[v.index]].sum())),
    )
    spec = {
        "o": ("o", common.collapse),
        "n": ("a", "sum"),
        "s": ("s", common.collapse),
        "i": ("i", Joined(3)),
        "k": ("s", Joined(5, "m")),
        "t": ("a", MaskedSum("m")),
    }
    assert_frame_equal(group_agg(frame, by, spec, **kw), expected, check_exact=True)


def test_empty_frame(frame: pd.DataFrame) -> None:
    empty = frame.iloc[:0]
    expected = empty.groupby("g", as_index=False).agg(k=("s", common.collapse), n=("a", "size"))
    spec = {"k": ("s", common.collapse), "n": ("a", "size")}
    assert_frame_equal(group_agg(empty, "g", spec, as_index=False), expected)


def test_collapse_edge_values_written_as_join_ids_does() -> None:
    frame = pd.DataFrame(
        {
            "g": [1, 1, 1, 1, 2, 2, 2],
            "v": pd.Series([None, "None", pd.NA, "<NA>", 1, "1", 1.0], dtype=object),
        }
    )
    expected = frame.groupby("g").agg(v=("v", common.collapse))
    assert_frame_equal(group_agg(frame, "g", {"v": ("v", common.collapse)}), expected)


def test_masked_sum_skips_missing_amounts_as_series_sum_does(frame: pd.DataFrame) -> None:
    frame = frame.assign(a=frame["a"].where(np.random.default_rng(1).random(len(frame)) > 0.1))
    mask = frame["m"]
    expected = frame.groupby("g").agg(t=("a", lambda v: float(v[mask[v.index]].sum())))
    got = group_agg(frame, "g", {"t": ("a", MaskedSum("m"))})
    assert got["t"].notna().all()
    assert_frame_equal(got, expected, check_exact=True)
