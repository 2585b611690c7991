import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from riskmodel.frames import filter_rows, isin, mapped, positions

texts = st.lists(st.sampled_from(["", "a", "b", "张伟", "4304", "X"]), max_size=30)


@given(texts, texts)
def test_isin_matches_pandas_on_strings(values, candidates):
    for dtype in ("str", object):
        series = pd.Series(values, dtype=dtype)
        expected = series.isin(candidates).to_numpy(dtype=bool)
        for given_candidates in (
            candidates,
            set(candidates),
            pd.Index(candidates, dtype=dtype),
            pd.Series(candidates, dtype="str"),
            np.asarray(candidates, dtype=object),
        ):
            assert (isin(series, given_candidates) == expected).all()


def test_missing_values_are_never_members_of_strings():
    values = pd.Series(["a", None, "b"], dtype="str")
    assert isin(values, ["a", "c"]).tolist() == [True, False, False]
    assert isin(values, []).tolist() == [False, False, False]


def test_non_strings_fall_back_to_pandas():
    assert isin(pd.Series([1, 2, 3]), [2, 5]).tolist() == [False, True, False]
    assert isin(pd.Series(["a", 1], dtype=object), [1]).tolist() == [False, True]
    assert isin(pd.Index(["x", "y"]), {"y"}).tolist() == [False, True]


@given(texts, st.lists(st.sampled_from(["a", "b", "张伟", "X", ""]), max_size=8, unique=True))
def test_positions_and_mapped_match_pandas(values, keys):
    mapping = pd.Series(range(len(keys)), index=pd.Index(keys, dtype="str"))
    for dtype in ("str", object):
        series = pd.Series(values, dtype=dtype)
        expected = mapping.index.get_indexer(series.astype("str"))
        assert (positions(series, mapping.index) == expected).all()
        got = mapped(series, mapping)
        assert got.astype(object).where(got.notna(), None).tolist() == (
            series.map(mapping).astype(object).where(series.map(mapping).notna(), None).tolist()
        )


def test_positions_of_missing_and_non_string_values():
    assert positions(pd.Series(["a", None], dtype="str"), ["b", "a"]).tolist() == [1, -1]
    assert positions(pd.Series([3, 1]), [1, 2, 3]).tolist() == [2, 0]
    assert positions(pd.Series([3, 1]), [1, 1, 3]).tolist() == [2, 0]
    assert mapped(pd.Series(["x", "y"]), pd.Series(["X"], index=["x"])).tolist()[0] == "X"


def test_mapped_keeps_dates_and_numbers():
    dates = pd.Series(pd.to_datetime(["2024-01-31", "2023-05-01"]), index=["a", "b"])
    got = mapped(pd.Series(["b", "z", "a"], dtype="str"), dates)
    assert got.dtype.kind == "M"
    assert got.iloc[0] == pd.Timestamp("2023-05-01") and pd.isna(got.iloc[1])
    amounts = mapped(pd.Series(["a", "q"]), pd.Series([1.5, 2.0], index=["a", "b"]))
    assert amounts.iloc[0] == 1.5 and pd.isna(amounts.iloc[1])
    assert mapped(pd.Series(["a"]), pd.Series([], dtype=float)).isna().all()


@given(texts, st.lists(st.booleans(), max_size=30))
def test_filter_rows_matches_boolean_indexing(values, flags):
    keep = np.resize(np.array(flags or [True], dtype=bool), len(values))
    frame = pd.DataFrame(
        {
            "text": pd.Series(values, dtype="str"),
            "ids": pd.Series(values, dtype=object),
            "amount": np.arange(len(values), dtype="float64"),
            "when": pd.to_datetime(np.arange(len(values)), unit="D"),
        },
        index=np.arange(len(values)) * 2,
    )
    expected = frame[keep].reset_index(drop=True)
    pd.testing.assert_frame_equal(filter_rows(frame, keep), expected)


def test_group_code_helpers_hold_when_every_key_is_missing() -> None:
    from riskmodel.frames import distinct_by_row, group_sizes_by_row, take_codes

    missing = np.array([-1, -1, -1])
    assert take_codes(np.array([], dtype=bool), missing, False).tolist() == [False] * 3
    assert take_codes(np.array([7, 8]), np.array([1, -1, 0]), -1).tolist() == [8, -1, 7]
    assert group_sizes_by_row(missing).tolist() == [0, 0, 0]
    assert distinct_by_row(missing, np.array([0, 1, 2])).tolist() == [0, 0, 0]
    groups, values = np.array([0, 0, 1, -1, 1]), np.array([3, 3, -1, 2, 4])
    assert group_sizes_by_row(groups).tolist() == [2, 2, 2, 0, 2]
    assert distinct_by_row(groups, values).tolist() == [1, 1, 1, 0, 1]


def test_first_occurrences_mark_each_codes_first_row() -> None:
    from riskmodel.frames import first_occurrences

    values = pd.Series(["b", "a", "b", None, "c", "a", None])
    codes, _ = pd.factorize(values)
    assert first_occurrences(codes).tolist() == [True, True, False, False, True, False, False]
    expected = ~values.duplicated() & values.notna()
    assert first_occurrences(codes).tolist() == expected.tolist()
    assert first_occurrences(np.array([], dtype=np.int64)).tolist() == []
