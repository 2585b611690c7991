import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from riskmodel.frames import isin

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
