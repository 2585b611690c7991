"""Row keys told distinct from ``_file``/``_line`` resolve people as hashing the keys does."""

import numpy as np
import pandas as pd
import pyarrow as pa

from riskmodel.graph.build import _first_positions, _resolved_people, distinct_row_keys
from riskmodel.graph.queries import _paid_people

_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _table(files: list[str], lines: list[int], keys: list[str] | None = None) -> pd.DataFrame:
    keys = keys if keys is not None else [f"{f}:{n}" for f, n in zip(files, lines, strict=True)]
    return pd.DataFrame(
        {
            "_file": pd.Series(files, dtype=_STR),
            "_line": pd.Series(lines, dtype="int64"),
            "_key": pd.Series(keys, dtype=_STR),
            "id_number": pd.Series([f"own{i}" for i in range(len(files))], dtype=_STR),
        }
    )


def test_distinct_row_keys():
    assert distinct_row_keys(_table(["a.csv"] * 3, [2, 3, 4]))
    assert distinct_row_keys(_table(["a.csv"] * 3, [4, 2, 3]))
    assert distinct_row_keys(_table(["b.csv", "a.csv", "b.csv"], [2, 2, 3]))
    assert not distinct_row_keys(_table(["a.csv"] * 3, [2, 3, 2]))
    assert not distinct_row_keys(_table(["a.csv", "b.csv", "a.csv"], [2, 2, 2]))
    # keys that are not "<_file>:<_line>" are not told from the lines
    assert not distinct_row_keys(_table(["a.csv"] * 2, [2, 3], ["k", "k"]))
    assert not distinct_row_keys(_table(["a.csv"] * 2, [2, 3]).drop(columns="_line"))
    assert distinct_row_keys(_table([], []))


def _crosswalk(keys: list[str], people: list[str]) -> pd.DataFrame:
    size = len(keys)
    return pd.DataFrame(
        {
            "source_table": pd.Series(["payments"] * size, dtype=_STR),
            "source_key": pd.Series(keys, dtype=_STR),
            "column": pd.Series(["id_number"] * size, dtype=_STR),
            "person_id": pd.Series(people, dtype=_STR),
        }
    )


def test_resolved_people_by_lines_or_by_hashing():
    for files, lines in ((["a.csv"] * 4, [2, 3, 4, 5]), (["a.csv"] * 4, [2, 3, 2, 5])):
        table = _table(files, lines)
        crosswalk = _crosswalk(table["_key"].tolist(), ["p1", "", "p3", "p4"])
        resolved = _resolved_people("payments", table, "id_number", crosswalk).tolist()
        found = _first_positions(pa.chunked_array([pa.array(table["_key"].tolist())]))
        expected = [
            ["p1", "", "p3", "p4"][row] or f"own{i}" for i, row in enumerate(found.tolist())
        ]
        assert resolved == expected
    assert resolved[2] == "p1"  # a repeated key resolves as its first row


def test_paid_people_by_lines_or_by_hashing():
    for lines, expected in (
        ([2, 3, 4], ["person:p1", "person:p3", "person:own1"]),
        ([2, 3, 2], ["person:p1", "person:own1"]),
    ):
        table = _table(["a.csv"] * 3, lines)
        crosswalk = _crosswalk(table["_key"].tolist(), ["p1", "", "p3"])
        assert sorted(_paid_people(table, crosswalk).to_pylist()) == sorted(expected)
