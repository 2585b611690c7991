"""One generic builder: tables + crosswalk + kinship → a typed ``networkx.MultiGraph``.

Node ids are ``"<kind>:<identifier>"`` (``person:<id_number>``, ``household:<id>``,
``village:<code>``, ``account:<no>``, ``company:<credit code>``, ``project:<id>``, ...).
Every node has ``kind`` and ``name`` (labels of node kinds: ``graph.graph["node_kinds"]``);
every edge's key in the multigraph is its kind, and it carries ``source_table``,
``source_keys`` (row keys, ``;``-separated, at most ``graph.max_source_keys``) and ``rows``
(how many source rows it stands for).
Aggregated edges (``receives``, ``paid_into``, ledger payments) are one edge per pair.
Labels of edge kinds live once in ``graph.graph["edge_kinds"]`` (kind → label_zh,
label_zh_reverse, source kind) instead of on millions of edges; an edge whose two ends are of
the same node kind records its declared direction in ``from_node``. Repeated attribute values
share one Python object, which keeps a county graph within memory.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from riskmodel.entities.normalise import birth_from_id, normalise_names
from riskmodel.frames import first_occurrences, isin, positions
from riskmodel.graph.kinds import EDGE_KINDS, NODE_KINDS, validate_kinds


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small containers are made.

    A county graph holds tens of millions of dicts and tuples: every full collection walks
    all of them, and creating them triggers one after another (building and unpickling the
    graph spent about half their time in the collector). Nothing made here is cyclic garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def graph_settings(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``graph`` settings of a full configuration (packaged defaults if None)."""
    if config is None or "graph" not in config:
        from riskmodel.config import load_config

        config = load_config()
    return config["graph"]


_MISSING_TEXT = ("nan", "NaT", "None", "<NA>")
_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array behind a pyarrow-backed string column, None for any other column."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pa.chunked_array(pa.array(values.array))
    return None


def _str_series(array: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """An Arrow string array as a ``str`` Series, without a Python object per value."""
    return pd.Series(ArrowStringArray(pa.chunked_array(array), dtype=_STR), index=index)


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text, '' where missing (also for 'nan', 'None', ... spelled out)."""
    array = _arrow_strings(values)
    if array is None:
        text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
        return text.where(~text.isin(list(_MISSING_TEXT)), "")
    array = pc.utf8_trim_whitespace(array.fill_null(""))
    missing = pc.is_in(array, value_set=pa.array(_MISSING_TEXT, type=array.type))
    if pc.any(missing).as_py():  # else no copy
        array = pc.if_else(missing, pa.scalar("", type=array.type), array)
    return _str_series(array, values.index)


def _joined(table: pd.DataFrame, columns: Sequence[str]) -> pd.Series | None:
    """The identifier made of ``columns`` (joined with ':'), '' where all are missing."""
    if not set(columns) <= set(table.columns):
        return None
    parts = [_text(table[c]) for c in columns]
    if len(parts) == 1:
        return parts[0]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + ":" + part
    empty = np.logical_and.reduce([(p == "").to_numpy() for p in parts])
    return joined.where(~empty, "")


def _is_company_code(values: pd.Series) -> np.ndarray:
    """True where a party value is not resident-ID shaped (a credit code or other code)."""
    shaped = values.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).to_numpy(dtype=bool)
    dated = (birth_from_id(values) != "").to_numpy(dtype=bool)
    return ~(shaped & dated)


def _resolved_people(
    table_name: str,
    table: pd.DataFrame,
    column: str,
    crosswalk: pd.DataFrame | None,
    memo: dict | None = None,
) -> pd.Series:
    """``column`` of ``table`` mapped to resolved person ids via the crosswalk."""
    if memo is not None:
        key = (table_name, column)
        if key not in memo:
            memo[key] = _resolved_people(table_name, table, column, crosswalk)
        return memo[key]
    own = _text(table[column])
    if crosswalk is None or crosswalk.empty or "_key" not in table.columns:
        return own
    chosen = (crosswalk["source_table"] == table_name) & (crosswalk["column"] == column)
    links = crosswalk[["source_key", "person_id"]][chosen.to_numpy(dtype=bool)]
    if links.empty:
        return own
    person_ids = _arrow_strings(links["person_id"].astype("str"))
    table_keys, link_keys = table["_key"].astype(str), links["source_key"].astype(str)
    if _same_rows(_arrow_strings(table_keys), _arrow_strings(link_keys)):
        # the crosswalk lists the rows: each row's own link, or its key's first
        if distinct_row_keys(table):
            found = np.arange(len(table), dtype=np.int64)
        else:
            found = _first_positions(_arrow_strings(table_keys))
    else:
        found = positions(table_keys, link_keys)
    person = pc.take(person_ids, pa.array(found, mask=found < 0))
    resolved = pc.fill_null(pc.not_equal(person, ""), False)
    own_ids = _arrow_strings(own).cast(person.type)
    return _str_series(pc.if_else(resolved, person, own_ids), table.index)


def _same_rows(left: pa.ChunkedArray, right: pa.ChunkedArray) -> bool:
    """Whether two string arrays hold the same values row for row (no missing values)."""
    if len(left) != len(right) or left.null_count or right.null_count:
        return False
    return bool(pc.all(pc.equal(left, right.cast(left.type))).as_py())


def distinct_row_keys(table: pd.DataFrame) -> bool:
    """Whether every row of a loaded table has its own ``_key``, told from the integer
    ``_file``/``_line`` pairs where each key is ``"<_file>:<_line>"`` (no key is hashed);
    False when that cannot be told so."""
    if not {"_key", "_file", "_line"} <= set(table.columns):
        return False
    keys, files = _arrow_strings(table["_key"]), _arrow_strings(table["_file"])
    line = table["_line"]
    if keys is None or files is None or not pd.api.types.is_integer_dtype(line.dtype):
        return False
    if keys.null_count or files.null_count or line.isna().any():
        return False
    lines = line.to_numpy(dtype=np.int64)
    if not len(lines):
        return True
    text = pc.cast(pa.array(lines), keys.type)
    built = pc.binary_join_element_wise(files.cast(keys.type), text, pa.scalar(":", keys.type))
    if not pc.all(pc.equal(built, keys)).as_py():  # an integer line has no ':'
        return False
    if pc.all(pc.equal(files, files[0])).as_py():
        pairs = lines
    else:
        codes = files.combine_chunks().dictionary_encode().indices.to_numpy(zero_copy_only=False)
        span = int(lines.max()) - int(lines.min()) + 1
        pairs = codes.astype(np.int64) * span + (lines - lines.min())
    if bool(np.all(pairs[1:] > pairs[:-1])):  # rows in file and line order
        return True
    return len(np.unique(pairs)) == len(pairs)


def _first_positions(values: pa.ChunkedArray) -> np.ndarray:
    """For each value, the position of its first occurrence (``positions(values, values)``
    with one hash instead of two)."""
    encoded = values.combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if len(encoded.dictionary) == len(codes):
        return np.arange(len(codes), dtype=np.int64)
    return np.flatnonzero(first_occurrences(codes))[codes]


def _officials_by_name(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """(village_code + '|' + normalised name) → official id, only where unique."""
    officials = tables.get("officials")
    if officials is None or not {"name", "village_code", "id_number"} <= set(officials.columns):
        return pd.Series(dtype=object)
    key = _text(officials["village_code"]) + "|" + normalise_names(officials["name"])
    ids = _text(officials["id_number"])
    frame = pd.DataFrame({"key": key.to_numpy(), "id": ids.to_numpy()}).drop_duplicates()
    frame = frame[~frame["key"].duplicated(keep=False)]
    return pd.Series(frame["id"].to_numpy(), index=frame["key"].to_numpy())


def _node_ids(
    reference: Mapping[str, Any],
    table_name: str,
    table: pd.DataFrame,
    crosswalk: pd.DataFrame | None,
    officials_by_name: pd.Series,
    memo: dict | None = None,
) -> pd.Series | None:
    """Node ids (``kind:value``) of one end of an edge for every row; '' where missing."""
    value = _node_values(reference, table_name, table, crosswalk, officials_by_name, memo)
    return None if value is None else _prefixed(reference["kind"], value)


def _node_values(
    reference: Mapping[str, Any],
    table_name: str,
    table: pd.DataFrame,
    crosswalk: pd.DataFrame | None,
    officials_by_name: pd.Series,
    memo: dict | None = None,
) -> pd.Series | None:
    """The identifiers of :func:`_node_ids` before the ``kind:`` prefix."""
    columns = list(reference["columns"])
    kind = reference["kind"]
    if not set(columns) <= set(table.columns):
        return None
    if reference.get("by_name_in"):
        scope = reference["by_name_in"]
        if scope not in table.columns:
            return None
        key = _text(table[scope]) + "|" + normalise_names(table[columns[0]])
        value = key.map(officials_by_name).fillna("").astype(str)
    elif kind in ("person", "party") and len(columns) == 1 and not reference.get("resolved"):
        value = _resolved_people(table_name, table, columns[0], crosswalk, memo)
    else:
        value = _joined(table, columns)
    return value


def _prefixed(kind: str, value: pd.Series) -> pd.Series:
    """``kind:value`` (a party is a company or a person by its value); '' where no value."""
    array = _arrow_strings(value.astype("str"))
    if kind == "party":
        company = pa.array(_is_company_code(value), type=pa.bool_())
        prefix = pc.if_else(company, "company:", "person:").cast(array.type)
    else:
        prefix = pa.scalar(f"{kind}:", type=array.type)
    ids = pc.binary_join_element_wise(prefix, array, pa.scalar("", type=array.type))
    empty = pc.equal(array, pa.scalar("", type=array.type))
    if pc.any(empty).as_py():  # else no copy
        ids = pc.if_else(empty, pa.scalar("", type=array.type), ids)
    return _str_series(ids, value.index)


def _scalar(value: Any) -> Any:
    """A GraphML/GEXF-safe scalar, or None to drop the attribute."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, pd.Timestamp | np.datetime64):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    text = str(value)
    return text if text != "" else None


def _native_column(values: pd.Series) -> list[Any]:
    """A column as a list of GraphML/GEXF-safe Python scalars, ``None`` where empty.

    Strings share one object per distinct value (millions of edges repeat a few values).
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        values = values.dt.strftime("%Y-%m-%d")
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return [bool(v) for v in values.to_numpy()]
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.astype(np.int64).tolist()
    if pd.api.types.is_float_dtype(values):
        array = values.to_numpy(dtype=float)
        return [None if v != v else v for v in array.tolist()]
    if _arrow_strings(values) is not None:  # codes straight from Arrow, no object column
        codes, distinct = _encoded(values)
        uniques = distinct.to_pylist()
    else:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    shared = [_scalar(u) for u in uniques] + [None]  # code -1 (missing) is the last
    return [shared[c] for c in codes.tolist()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as attribute dicts of scalars, empty values left out."""
    names = list(frame.columns)
    arrays = [_native_column(frame[name]) for name in names]
    return [
        {name: value for name, value in zip(names, row, strict=True) if value is not None}
        for row in zip(*arrays, strict=True)
    ]


def _encoded(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Integer codes (in order of first appearance, -1 where missing) and the distinct values."""
    array = _arrow_strings(values.astype("str")).combine_chunks()
    encoded = array.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def _distinct_counts(group: np.ndarray, keys: np.ndarray, count: int) -> np.ndarray:
    """For each group 0..count-1, how many distinct non-negative ``keys`` it has."""
    present = keys >= 0
    span = int(keys.max()) + 1 if present.any() else 1
    pairs = pd.unique(group[present].astype(np.int64) * span + keys[present])
    return np.bincount(pairs // span, minlength=count)


def _aggregate(
    ends: tuple[np.ndarray, pa.Array, np.ndarray, pa.Array],
    keys: pa.ChunkedArray,
    table: pd.DataFrame,
    picked: np.ndarray,
    spec: Mapping[str, Sequence[str]],
    limit: int,
) -> pd.DataFrame:
    """One edge per (u, v) with the declared aggregations (grouped on integer codes).

    ``ends`` are the codes of both ends of the ``picked`` rows of ``table`` and the node ids
    the codes number; edges come in the order their pair first appears.
    """
    u_codes, u_ids, v_codes, v_ids = ends
    width = max(len(v_ids), 1)
    group, pairs = pd.factorize(u_codes * width + v_codes)
    count = len(pairs)
    result = pd.DataFrame(
        {
            "u": _str_series(u_ids.take(pa.array(pairs // width))),
            "v": _str_series(v_ids.take(pa.array(pairs % width))),
            "rows": np.bincount(group, minlength=count),
        }
    )
    for attribute, (column, how) in spec.items():
        if column not in table.columns:
            continue
        values = table[column].iloc[picked]
        if how == "size":
            present = values.notna().to_numpy(dtype=float)
            result[attribute] = np.bincount(group, weights=present, minlength=count)
            result[attribute] = result[attribute].astype(np.int64)
        elif how == "sum":
            numbers = pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy(dtype=float)
            result[attribute] = np.bincount(group, weights=numbers, minlength=count)
        elif how in ("nunique", "months"):
            if how == "months":
                dates = pd.to_datetime(values, errors="coerce")
                months = (dates.dt.year * 12 + dates.dt.month).to_numpy(dtype=float)
                codes = np.where(np.isnan(months), -1, months).astype(np.int64)
            else:
                codes = pd.factorize(values)[0].astype(np.int64)
            result[attribute] = _distinct_counts(group, codes, count)
        else:  # min, max
            frame = pd.DataFrame({"g": group, "x": values.to_numpy()})
            extreme = getattr(frame.groupby("g")["x"], how)().reindex(range(count))
            result[attribute] = extreme.to_numpy()
    result["source_keys"] = _str_series(_joined_keys(group, keys, picked, count, limit))
    return result


def _joined_keys(
    group: np.ndarray, keys: pa.ChunkedArray, rows: np.ndarray, count: int, limit: int
) -> pa.Array:
    """For each group 0..count-1, the first ``limit`` keys of its rows joined with ';'.

    ``group[i]`` is the group of row ``rows[i]`` of ``keys``; every group has rows.
    """
    order = np.argsort(group, kind="stable")
    sizes = np.bincount(group, minlength=count)
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(len(order)) - np.repeat(starts, sizes)
    kept = order[rank < limit]
    offsets = np.concatenate([[0], np.cumsum(np.minimum(sizes, limit))]).astype(np.int64)
    values = keys.take(pa.array(rows[kept])).combine_chunks()
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), values)
    return pc.binary_join(lists, pa.scalar(";", type=values.type))


def _where_mask(table: pd.DataFrame, where: Mapping[str, Any] | None) -> np.ndarray | None:
    """Rows of ``table`` the declared ``where`` keeps (None: all rows)."""
    if not where:
        return None
    if where["column"] not in table.columns:
        return np.zeros(len(table), dtype=bool) if "contains" in where else None
    text = _text(table[where["column"]])
    if "contains" in where:
        mask = np.zeros(len(table), dtype=bool)
        for word in where["contains"]:
            mask |= text.str.contains(word, regex=False).to_numpy()
    else:
        mask = np.ones(len(table), dtype=bool)
    for word in where.get("not_contains", []):
        mask &= ~text.str.contains(word, regex=False).to_numpy()
    return mask


def _rows_kept(where: np.ndarray | None, rows: np.ndarray | None) -> np.ndarray | None:
    """Rows both masks keep (None: all rows); the numbering of keyless rows counts them."""
    if rows is None:
        return where
    return rows if where is None else where & rows


def _row_keys(table_name: str, table: pd.DataFrame, where: np.ndarray | None) -> pa.ChunkedArray:
    """The source key of every row of ``table`` as Arrow strings."""
    if "source_key" in table.columns:  # derived tables (kinship) carry their own keys
        return _arrow_strings(table["source_key"].astype(str))
    if "_key" in table.columns:
        return _arrow_strings(table["_key"].astype(str))
    # no key column: the row's position among the rows the declared filter keeps
    number = np.arange(len(table)) if where is None else np.cumsum(where) - 1
    return pa.chunked_array([pa.array([f"{table_name}:{i}" for i in number.tolist()])])


def _kept_rows(u: pa.ChunkedArray, v: pa.ChunkedArray, undirected: bool) -> np.ndarray:
    """Rows with two different ends (``u < v`` for an undirected kind)."""
    empty = pa.scalar("", type=u.type)
    keep = pc.and_(pc.not_equal(u, empty), pc.not_equal(v, empty))
    keep = pc.and_(keep, pc.less(u, v) if undirected else pc.not_equal(u, v))
    return keep.fill_null(False).to_numpy(zero_copy_only=False)


def _same_kind(declaration: Mapping[str, Any], u: pd.Series, v: pd.Series) -> np.ndarray:
    """Where both ends of the edges have the same node kind."""
    kinds = (declaration["source"]["kind"], declaration["target"]["kind"])
    if "party" not in kinds:  # every end of a declared kind starts with that kind
        return np.full(len(u), kinds[0] == kinds[1])
    return (_node_kind(u) == _node_kind(v)).to_numpy(dtype=bool)


def edge_frame(
    declaration: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    crosswalk: pd.DataFrame | None,
    settings: Mapping[str, Any],
    officials_by_name: pd.Series | None = None,
    memo: dict | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """The edges of one declared kind as a DataFrame (``u``, ``v``, attributes).

    ``memo`` (a dict shared across calls) keeps resolved person columns of the full tables;
    ``rows`` (a mask) gives the edges of those rows of the table alone, as if it held no other.
    """
    table_name = declaration["table"]
    table = tables.get(table_name)
    empty = pd.DataFrame(columns=["u", "v"])
    if table is None or table.empty or (rows is not None and not rows.any()):
        return empty
    if officials_by_name is None:
        officials_by_name = _officials_by_name(tables)
    if "aggregate" in declaration and _distinct_kinds(declaration):
        return _aggregated_edges(
            declaration, table, crosswalk, settings, officials_by_name, memo, rows
        )
    # node ids on the whole table (resolved person columns are shared across kinds), then
    # the declared row filter; rows are then picked by position. Ends of one node kind are
    # prefixed once picked (one prefix keeps the values' order and (in)equality)
    late = "aggregate" not in declaration and _one_kind(declaration)
    ends = _node_values if late else _node_ids
    u = ends(declaration["source"], table_name, table, crosswalk, officials_by_name, memo)
    v = ends(declaration["target"], table_name, table, crosswalk, officials_by_name, memo)
    if u is None or v is None:
        return empty
    u_ids, v_ids = _arrow_strings(u.astype("str")), _arrow_strings(v.astype("str"))
    where = _rows_kept(_where_mask(table, declaration.get("where")), rows)
    keep = _kept_rows(u_ids, v_ids, bool(declaration.get("undirected")))
    picked = np.flatnonzero(keep if where is None else keep & where)
    keys = _row_keys(table_name, table, where)
    limit = int(settings["max_source_keys"])
    if "aggregate" in declaration:
        u_codes, u_unique = _encoded(u)
        v_codes, v_unique = _encoded(v)
        ends = (u_codes[picked], u_unique, v_codes[picked], v_unique)
        edges = _aggregate(ends, keys, table, picked, declaration["aggregate"], limit)
    else:
        taken = pa.array(picked)
        u_taken, v_taken = _str_series(u_ids.take(taken)), _str_series(v_ids.take(taken))
        if late:
            kind = declaration["source"]["kind"]
            u_taken, v_taken = _prefixed(kind, u_taken), _prefixed(kind, v_taken)
        edges = pd.DataFrame(
            {
                "u": u_taken,
                "v": v_taken,
                "source_keys": _str_series(keys.take(taken)),
                "rows": np.ones(len(picked), dtype=np.int64),
            }
        )
        for attribute, column in declaration.get("attributes", {}).items():
            if column in table.columns:
                edges[attribute] = _assigned(table[column].iloc[picked])
    edges["source_table"] = (
        _assigned(table["source_table"].iloc[picked])
        if "source_table" in table.columns and "aggregate" not in declaration
        else table_name
    )
    if not declaration.get("undirected"):
        # a MultiGraph does not keep the declared direction; it is needed only where both
        # ends have the same node kind (elsewhere the kinds tell the direction)
        edges["from_node"] = edges["u"].where(_same_kind(declaration, edges["u"], edges["v"]), "")
    return edges


def _one_kind(declaration: Mapping[str, Any]) -> bool:
    """Whether both ends are of one node kind (not ``party``: a person or a company)."""
    source, target = declaration["source"]["kind"], declaration["target"]["kind"]
    return source == target != "party"


def _prefixes(kind: str) -> set[str]:
    return {"person", "company"} if kind == "party" else {kind}


def _distinct_kinds(declaration: Mapping[str, Any]) -> bool:
    """Whether the two ends can never be the same node (no two node kinds in common)."""
    source, target = declaration["source"]["kind"], declaration["target"]["kind"]
    return not declaration.get("undirected") and not _prefixes(source) & _prefixes(target)


def _aggregated_edges(
    declaration: Mapping[str, Any],
    table: pd.DataFrame,
    crosswalk: pd.DataFrame | None,
    settings: Mapping[str, Any],
    officials_by_name: pd.Series,
    memo: dict | None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`edge_frame` of an aggregated kind whose ends are of different node kinds: the
    rows' identifiers are numbered as they are and only the distinct ones are prefixed
    (``kind:`` is one-to-one, so the numbering is that of the node ids)."""
    table_name = declaration["table"]
    ends = []
    for side in ("source", "target"):
        reference = declaration[side]
        value = _node_values(reference, table_name, table, crosswalk, officials_by_name, memo)
        if value is None:
            return pd.DataFrame(columns=["u", "v"])
        codes, distinct = _encoded(value)
        ids = _arrow_strings(_prefixed(reference["kind"], _str_series(distinct)))
        present = pc.not_equal(distinct, pa.scalar("", type=distinct.type))
        present = np.append(present.to_numpy(zero_copy_only=False), False)  # code -1
        ends.append((codes, ids.combine_chunks(), present[codes]))
    (u_codes, u_ids, u_present), (v_codes, v_ids, v_present) = ends
    keep = u_present & v_present  # two ends of different kinds always differ
    where = _rows_kept(_where_mask(table, declaration.get("where")), rows)
    picked = np.flatnonzero(keep if where is None else keep & where)
    keys = _row_keys(table_name, table, where)
    limit = int(settings["max_source_keys"])
    pairs = (u_codes[picked], u_ids, v_codes[picked], v_ids)
    edges = _aggregate(pairs, keys, table, picked, declaration["aggregate"], limit)
    edges["source_table"] = table_name
    edges["from_node"] = edges["u"].where(_same_kind(declaration, edges["u"], edges["v"]), "")
    return edges


def _node_kind(node_ids: pd.Series) -> pd.Series:
    """The kind part of node ids (before the first ':'); one Arrow split, not a regex."""
    ids = _arrow_strings(node_ids.astype("str"))
    kinds = pc.list_element(pc.split_pattern(ids, ":", max_splits=1), 0)
    return _str_series(kinds, node_ids.index)


def _assigned(values: pd.Series) -> Any:
    """What ``frame[name] = values.to_numpy()`` stores, without the object round trip for
    Arrow strings (an object array of strings and NaN is read back as ``str``)."""
    if _arrow_strings(values) is not None and values.notna().any():
        return values.array
    return values.to_numpy()


def _source_nodes(kind: str, source: Mapping[str, Any], table: pd.DataFrame) -> pd.DataFrame | None:
    """The nodes one source table declares: first row of each identifier, empty ones left out."""
    value = _joined(table, source["key"])
    if value is None:
        return None
    # ``kind:`` is one-to-one: the first row of each value is that of its node
    codes, distinct = _encoded(value)
    if len(distinct) == len(codes):
        first = np.ones(len(codes), dtype=bool)
    else:
        first = first_occurrences(codes)
    rows = np.flatnonzero(first & (value != "").to_numpy(dtype=bool))
    node = _prefixed(kind, value.iloc[rows])
    nodes = pd.DataFrame({"node": node.array}, index=table.index[rows])
    if source.get("name") in table:
        nodes["name"] = _text(table[source["name"]].iloc[rows]).array
    else:
        nodes["name"] = ""
    for attribute in source.get("attributes", []):
        if attribute in table.columns:
            nodes[attribute] = _assigned(table[attribute].iloc[rows])
    if source.get("flag"):
        nodes[source["flag"]] = True
    return nodes


def _outer_join(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``left.merge(right, on="node", how="outer", suffixes=("", "_extra"))`` for frames of
    distinct nodes: the union of the nodes sorted, each side's rows looked up by position."""
    ends = [_arrow_strings(frame["node"]).cast(pa.large_string()) for frame in (left, right)]
    both = pa.chunked_array([*ends[0].chunks, *ends[1].chunks], type=pa.large_string())
    if both.null_count:
        union = pc.unique(both)
        nodes = _str_series(union.take(pc.sort_indices(union)))
        found = [positions(nodes, side["node"]) for side in (left, right)]
    else:
        nodes, found = _sorted_union(both.combine_chunks(), len(left))
    joined = {}
    for (side, suffix), rows in zip(((left, ""), (right, "_extra")), found, strict=True):
        for name in side.columns:
            if name == "node":
                joined.setdefault("node", nodes.array)
                continue
            label = f"{name}{suffix}" if suffix and name in left.columns else name
            joined[label] = pd.api.extensions.take(side[name].array, rows, allow_fill=True)
    return pd.DataFrame(joined)


def _sorted_union(both: pa.Array, split: int) -> tuple[pd.Series, list[np.ndarray]]:
    """The distinct values of ``both`` sorted, and for each the row of ``both[:split]`` and
    of ``both[split:]`` holding it (-1 where none); both parts hold distinct values. One hash:
    the first part's codes are its rows, the second part's codes name its new values."""
    encoded = both.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    order = pc.sort_indices(encoded.dictionary).to_numpy(zero_copy_only=False).astype(np.int64)
    right_row = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    right_row[codes[split:]] = np.arange(len(both) - split)
    left_row = np.where(order < split, order, -1)
    nodes = _str_series(encoded.dictionary.take(pa.array(order)))
    return nodes, [left_row, right_row[order]]


def node_frame(declaration: Mapping[str, Any], tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The nodes of one declared kind from all its source tables."""
    parts = []
    for source in declaration["sources"]:
        table = tables.get(source["table"])
        if table is None or table.empty:
            continue
        nodes = _source_nodes(declaration["kind"], source, table)
        if nodes is not None:
            parts.append(nodes)
    if not parts:
        return pd.DataFrame(columns=["node", "name"])
    nodes = parts[0]
    for more in parts[1:]:
        # later sources add their attributes to nodes already known and add new nodes
        nodes = _outer_join(nodes, more)
        for column in [c for c in nodes.columns if c.endswith("_extra")]:
            base = column[: -len("_extra")]
            nodes[base] = nodes[base].where(
                nodes[base].notna() & (nodes[base] != ""), nodes[column]
            )
            nodes = nodes.drop(columns=column)
    nodes["kind"] = declaration["kind"]
    return nodes


def factorized(columns: Sequence[pd.Series]) -> tuple[np.ndarray, pa.Array]:
    """One factorisation of string columns laid end to end: codes in order of first
    appearance (-1 where missing) and the distinct values, hashed once in Arrow."""
    arrays = [_arrow_strings(c.astype("str")).cast(pa.large_string()) for c in columns]
    chunks = [chunk for array in arrays for chunk in array.chunks if len(chunk)]
    if not chunks:
        return np.array([], dtype=np.int64), pa.array([], pa.large_string())
    # chunk by chunk (no combined copy): every chunk's codes number the final dictionary
    encoded = pa.chunked_array(chunks, type=pa.large_string()).dictionary_encode()
    codes = [chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
    return np.concatenate(codes).astype(np.int64), encoded.chunks[-1].dictionary


def _shared_codes(*columns: pd.Series) -> list[np.ndarray]:
    """Integer codes of string columns in one numbering shared by all of them."""
    codes, _ = factorized(columns)
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1])


def _folded(
    edges: pd.DataFrame, target: pd.DataFrame, carry: Mapping[str, str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """``target`` with the ``carry`` attributes of the ``edges`` that join the same two nodes
    (either way round), and which ``edges`` those are. Edges are one per pair (aggregated)."""
    tu, tv, eu, ev = _shared_codes(target["u"], target["v"], edges["u"], edges["v"])
    width = int(max(tu.max(initial=0), tv.max(initial=0), eu.max(initial=0), ev.max(initial=0)))
    width += 1
    forward_keys, backward_keys = tu * width + tv, tv * width + tu
    edge_keys = eu * width + ev
    hit = np.isin(edge_keys, np.concatenate([forward_keys, backward_keys]))
    carried = pd.Index(edge_keys[hit])
    forward_rows = carried.get_indexer(forward_keys)
    backward_rows = carried.get_indexer(backward_keys)
    folded = target.reset_index(drop=True)
    for attribute, column in carry.items():
        values = edges[column].array[hit]
        forward = pd.Series(pd.api.extensions.take(values, forward_rows, allow_fill=True))
        backward = pd.Series(pd.api.extensions.take(values, backward_rows, allow_fill=True))
        folded[attribute] = forward.fillna(backward)
    return folded, hit


def _fold_duplicates(frames: list[tuple[Mapping[str, Any], pd.DataFrame]]):
    """Apply ``fold_into``: an edge whose two ends already share an edge of the named kind is
    not added; its ``carry`` attributes are copied onto that edge instead (a beneficiary paid
    into his own account: the ``holds_account`` edge carries the amount)."""
    by_kind: dict[str, list[int]] = {}
    for position, (declaration, _) in enumerate(frames):
        by_kind.setdefault(declaration["kind"], []).append(position)
    result = list(frames)
    for position, (declaration, edges) in enumerate(frames):
        fold = declaration.get("fold_into")
        if not fold or edges.empty:
            continue
        for target_position in by_kind.get(fold["kind"], []):
            target_declaration, target = result[target_position]
            if target.empty:
                continue
            folded, hit = _folded(edges, target, fold.get("carry", {}))
            result[target_position] = (target_declaration, folded)
            edges = edges[~hit]
        result[position] = (declaration, edges)
    return result


def kinship_for_graph(kinship: pd.DataFrame | None, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Kinship rows the graph carries: degree ≤ ``graph.kinship_max_degree``."""
    if kinship is None or kinship.empty:
        return pd.DataFrame(columns=["id_a", "id_b", "relation", "degree"])
    return kinship[_carried_kinship(kinship, settings)]


def _carried_kinship(kinship: pd.DataFrame, settings: Mapping[str, Any]) -> np.ndarray:
    """Which rows of a non-empty kinship table :func:`kinship_for_graph` keeps."""
    keep = kinship["degree"].astype(int) <= int(settings["kinship_max_degree"])
    keep &= ~kinship["relation"].isin(list(settings["kinship_exclude"]))
    return keep.to_numpy(dtype=bool)


def _add_edges(graph: nx.MultiGraph, kind: str, edges: pd.DataFrame) -> None:
    """Add one kind's edge frame to the graph (attribute dicts of scalars)."""
    if edges.empty:
        return
    attributes = _records(edges.drop(columns=["u", "v"]))
    us = edges["u"].to_numpy(dtype=object)
    vs = edges["v"].to_numpy(dtype=object)
    if type(graph) is not nx.MultiGraph:
        graph.add_edges_from(zip(us, vs, [kind] * len(edges), attributes, strict=True))
        return
    _insert_edges(graph, kind, us, vs, attributes)


def _insert_edges(
    graph: nx.MultiGraph, kind: str, us: np.ndarray, vs: np.ndarray, attributes: list[dict]
) -> None:
    """What ``graph.add_edges_from((u, v, kind, data), ...)`` does, written straight into the
    adjacency dicts (networkx spends three view lookups and an ``add_edge`` call per edge):
    nodes, neighbours and keys are inserted in the same order, a repeated edge of the same
    kind has its attributes updated. ``attributes`` are fresh dicts, stored as they are."""
    if (us == None).any() or (vs == None).any():  # noqa: E711 (elementwise on object arrays)
        raise ValueError("None cannot be a node")
    adjacency = graph._adj
    nodes = graph._node
    for u, v, data in zip(us.tolist(), vs.tolist(), attributes, strict=True):
        if u not in adjacency:
            adjacency[u] = {}
            nodes[u] = {}
        if v not in adjacency:
            adjacency[v] = {}
            nodes[v] = {}
        neighbours = adjacency[u]
        if v in neighbours:
            keyed = neighbours[v]
            if kind in keyed:
                keyed[kind].update(data)
            else:
                keyed[kind] = data
        else:
            keyed = {kind: data}
            neighbours[v] = keyed
            adjacency[v][u] = keyed
    nx._clear_cache(graph)


def build_graph(
    tables: Mapping[str, pd.DataFrame],
    crosswalk: pd.DataFrame | None = None,
    kinship: pd.DataFrame | None = None,
    config: Mapping[str, Any] | None = None,
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> nx.MultiGraph:
    """Build the typed relationship graph from the declared node and edge kinds.

    Parameters
    ----------
    tables : mapping
        Loaded tables by canonical name.
    crosswalk : DataFrame, optional
        From :func:`riskmodel.entities.resolve_people`; person references are resolved
        through it (a mistyped ID in a payment lands on the resident).
    kinship : DataFrame, optional
        From :func:`riskmodel.kinship.derive_kinship` (``relative_of`` edges).
    config : mapping, optional
        Full configuration (``graph`` settings).

    Returns
    -------
    networkx.MultiGraph
        Edge keys are edge kinds; see the module docstring for attributes.
    """
    with paused_gc():
        return _build_graph(tables, crosswalk, kinship, config, node_kinds, edge_kinds)


def _build_graph(
    tables: Mapping[str, pd.DataFrame],
    crosswalk: pd.DataFrame | None,
    kinship: pd.DataFrame | None,
    config: Mapping[str, Any] | None,
    node_kinds: Sequence[Mapping[str, Any]],
    edge_kinds: Sequence[Mapping[str, Any]],
) -> nx.MultiGraph:
    validate_kinds(node_kinds, edge_kinds)
    graph = empty_graph(node_kinds, edge_kinds)
    available, carried = _with_kinship(tables, kinship, config)
    for _kind, nodes in _node_frames(available, node_kinds):
        add_nodes(graph, nodes)
    for kind, edges in _edge_frames(available, crosswalk, config, edge_kinds, carried):
        _add_edges(graph, kind, edges)
        del edges
    _fill_node_kinds(graph)
    return graph


def graph_meta(
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> dict[str, Any]:
    """The graph-level attributes: labels of node kinds and of edge kinds (both directions)."""
    return {
        "node_kinds": {n["kind"]: n["label_zh"] for n in node_kinds},
        "edge_kinds": {
            e["kind"]: {
                "label_zh": e["label_zh"],
                "label_zh_reverse": e.get("label_zh_reverse", e["label_zh"]),
                "source_kind": e["source"]["kind"],
            }
            for e in edge_kinds
        },
    }


def empty_graph(
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> nx.MultiGraph:
    """A graph with no nodes, carrying the labels of the declared kinds."""
    graph = nx.MultiGraph()
    graph.graph.update(graph_meta(node_kinds, edge_kinds))
    return graph


def add_nodes(graph: nx.MultiGraph, nodes: pd.DataFrame) -> None:
    """Add a node frame (``node``, ``kind``, ``name``, attributes) to ``graph``."""
    if nodes.empty:
        return
    attributes = _records(nodes.drop(columns=["node"]))
    graph.add_nodes_from(zip(nodes["node"].to_numpy(), attributes, strict=True))


def _fill_node_kinds(graph: nx.MultiGraph) -> None:
    """Nodes only known from edges (a ghost payee, an undeclared company) get their kind."""
    for node, data in graph.nodes(data=True):
        if "kind" not in data:
            data["kind"] = node.split(":", 1)[0]


def _with_kinship(
    tables: Mapping[str, pd.DataFrame],
    kinship: pd.DataFrame | None,
    config: Mapping[str, Any] | None,
) -> tuple[dict[str, pd.DataFrame], dict[str, np.ndarray]]:
    """The tables plus ``kinship``, and the rows of those tables the graph carries (the
    kinship rows of :func:`kinship_for_graph`, picked with each edge's rows: one copy)."""
    available = dict(tables)
    if kinship is None or kinship.empty:
        available["kinship"] = kinship_for_graph(kinship, graph_settings(config))
        return available, {}
    available["kinship"] = kinship
    return available, {"kinship": _carried_kinship(kinship, graph_settings(config))}


def _node_frames(
    available: Mapping[str, pd.DataFrame], node_kinds: Sequence[Mapping[str, Any]]
) -> Iterator[tuple[str, pd.DataFrame]]:
    for declaration in node_kinds:
        nodes = node_frame(declaration, available)
        if not nodes.empty:
            yield declaration["kind"], nodes


def _edge_frames(
    available: Mapping[str, pd.DataFrame],
    crosswalk: pd.DataFrame | None,
    config: Mapping[str, Any] | None,
    edge_kinds: Sequence[Mapping[str, Any]],
    carried: Mapping[str, np.ndarray] | None = None,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The edge frame of every declared kind, in declared order, one at a time (of the rows
    ``carried`` names where it names a table's rows).

    Kinds coupled to others (shared phones, folded payments) are computed together first;
    every other kind is computed only when its turn comes, so a caller that adds and frees
    each frame keeps the peak low.
    """
    settings = graph_settings(config)
    officials_by_name = _officials_by_name(available)
    memo: dict = {}
    carried = carried or {}

    def frame_of(declaration: Mapping[str, Any]) -> pd.DataFrame:
        rows = carried.get(declaration["table"])
        return edge_frame(
            declaration, available, crosswalk, settings, officials_by_name, memo, rows=rows
        )

    folded_targets = {e["fold_into"]["kind"] for e in edge_kinds if e.get("fold_into")}
    coupled = [
        i
        for i, e in enumerate(edge_kinds)
        if e.get("shared_only") or e.get("fold_into") or e["kind"] in folded_targets
    ]
    frames: dict[int, pd.DataFrame] = {i: frame_of(edge_kinds[i]) for i in coupled}
    shared = [i for i in coupled if edge_kinds[i].get("shared_only")]
    ends = [frames[i][["u", "v"]] for i in shared if not frames[i].empty]
    if ends:
        users = pd.concat(ends).drop_duplicates().groupby("v")["u"].size()
        kept = set(users[users >= 2].index)
        for i in shared:
            if not frames[i].empty:
                frames[i] = frames[i][isin(frames[i]["v"], kept)]
    folded = _fold_duplicates([(edge_kinds[i], frames[i]) for i in coupled])
    frames = {i: edges for i, (_, edges) in zip(coupled, folded, strict=True)}
    for position, declaration in enumerate(edge_kinds):
        edges = frames.pop(position) if position in frames else frame_of(declaration)
        yield declaration["kind"], edges
        del edges


def graph_tables(
    tables: Mapping[str, pd.DataFrame],
    crosswalk: pd.DataFrame | None = None,
    kinship: pd.DataFrame | None = None,
    config: Mapping[str, Any] | None = None,
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The relationship graph as tables: node frames and edge frames by kind.

    The same nodes and edges :func:`build_graph` puts into a ``networkx`` graph, without the
    Python objects per node and edge: a stage function from tables to tables (Parquet in the
    job, a distributed engine at province scale). :func:`graph_from_tables` makes the
    ``networkx`` graph of them; :class:`riskmodel.graph.tables.TableGraph` answers path and
    neighbourhood queries on them directly.

    Returns
    -------
    (nodes, edges)
        ``nodes[kind]``: ``node``, ``kind``, ``name`` and the declared attributes;
        ``edges[kind]``: ``u``, ``v``, ``source_table``, ``source_keys``, ``rows``,
        ``from_node`` (where both ends share a node kind) and the declared attributes.
        Kinds without rows are left out.
    """
    validate_kinds(node_kinds, edge_kinds)
    available, carried = _with_kinship(tables, kinship, config)
    parts: dict[str, list[pd.DataFrame]] = {}
    # node frames in a second thread while the edge frames are made (both mostly in Arrow,
    # which runs without the GIL); both only read the tables
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-nodes") as pool:
        made = pool.submit(lambda: dict(_node_frames(available, node_kinds)))
        for kind, frame in _edge_frames(available, crosswalk, config, edge_kinds, carried):
            if not frame.empty:  # several declarations may share a kind (phones of many tables)
                parts.setdefault(kind, []).append(frame)
        nodes = made.result()
    edges = {
        kind: frames[0].reset_index(drop=True)
        if len(frames) == 1
        else pd.concat(frames, ignore_index=True)
        for kind, frames in parts.items()
    }
    return nodes, edges


def graph_from_tables(
    nodes: Mapping[str, pd.DataFrame],
    edges: Mapping[str, pd.DataFrame],
    node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
    edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
) -> nx.MultiGraph:
    """The ``networkx`` graph of :func:`graph_tables` output (or of any subset of its rows).

    Edge kinds are added in declared order, as :func:`build_graph` adds them; columns that
    are empty throughout a frame (as after a Parquet round trip) are not attributes.
    """
    with paused_gc():
        graph = empty_graph(node_kinds, edge_kinds)
        for frame in nodes.values():
            add_nodes(graph, frame)
        order = [e["kind"] for e in edge_kinds]
        for kind in sorted(edges, key=lambda k: order.index(k) if k in order else len(order)):
            _add_edges(graph, kind, edges[kind])
        _fill_node_kinds(graph)
        return graph


def job_edge_kinds(config: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The edge kinds the scheduled job builds (``graph.job_graph``: paths or full)."""
    settings = graph_settings(config)
    if settings.get("job_graph", "full") == "full":
        return list(EDGE_KINDS)
    wanted = set(settings["paths"]["edge_kinds"]) | set(settings["paths"]["target_edge_kinds"])
    return [kind for kind in EDGE_KINDS if kind["kind"] in wanted]
