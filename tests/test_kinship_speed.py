"""Vectorised kinship helpers give what the pandas operations they replace give."""

import numpy as np
import pandas as pd

from riskmodel.kinship import _genders, _join_rows


def test_join_rows_in_merge_order():
    rng = np.random.default_rng(0)
    for _ in range(200):
        left = rng.integers(0, 8, rng.integers(0, 40))
        right = rng.integers(0, 8, rng.integers(0, 40))
        merged = pd.DataFrame({"key": left, "li": np.arange(len(left))}).merge(
            pd.DataFrame({"key": right, "ri": np.arange(len(right))}), on="key"
        )
        rows = _join_rows(left, right)
        assert rows[0].tolist() == merged["li"].tolist()
        assert rows[1].tolist() == merged["ri"].tolist()


def test_genders_from_column_then_id():
    frame = pd.DataFrame(
        {
            "id_number": pd.Series(
                ["11010119900101001X", None, "110101199001010021", "abc", "110101199001010031"],
                dtype=object,
            ),
            "gender": [" 男", None, 1, "女 ", np.nan],
        }
    )
    assert _genders(frame, "id_number").tolist() == ["男", "", "女", "女", "男"]
    assert _genders(frame[["id_number"]], "id_number").tolist() == ["男", "", "女", "", "男"]
