"""Faster graph building gives what the slower pandas route gives."""

import pandas as pd

from riskmodel.graph.build import _outer_join


def test_outer_join_as_merge():
    left = pd.DataFrame(
        {"node": pd.Series(["p:3", "p:1", "p:2"], dtype="str"), "name": ["c", "a", ""]}
    )
    right = pd.DataFrame(
        {
            "node": pd.Series(["p:4", "p:2", "p:0"], dtype="str"),
            "name": ["d", "b", "z"],
            "flag": [True, True, True],
        }
    )
    expected = left.merge(right, on="node", how="outer", suffixes=("", "_extra"))
    joined = _outer_join(left, right)
    assert joined["node"].tolist() == expected["node"].tolist()
    assert joined["name"].fillna("?").tolist() == expected["name"].fillna("?").tolist()
    assert joined["name_extra"].fillna("?").tolist() == expected["name_extra"].fillna("?").tolist()
    assert joined["flag"].fillna("?").tolist() == expected["flag"].fillna("?").tolist()
