"""Derived frames shared by several rules: people, programs, officials, kin, accounts.

Each builder is cached on the context, so 40 rules join the 3 M payment rows once.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.frames import (
    distinct_by_row,
    filter_rows,
    group_sizes_by_row,
    isin,
    positions,
    take_mapped,
)
from riskmodel.ids import check_bytes, id_bytes
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import MAX_KEYS

_ID_RE = r"^[0-9]{17}[0-9X]$"  # ASCII only: the bytes are read as 18 per ID

RELATION_DEGREE = {
    "配偶": 1,
    "夫": 1,
    "妻": 1,
    "丈夫": 1,
    "妻子": 1,
    "父母": 1,
    "父亲": 1,
    "母亲": 1,
    "父": 1,
    "母": 1,
    "子女": 1,
    "子": 1,
    "女": 1,
    "儿子": 1,
    "女儿": 1,
    "同户": 1,
    "兄弟姐妹": 2,
    "兄": 2,
    "弟": 2,
    "姐": 2,
    "妹": 2,
    "姐姐": 2,
    "妹妹": 2,
    "哥哥": 2,
    "弟弟": 2,
    "儿媳": 2,
    "女婿": 2,
    "公婆": 2,
    "岳父母": 2,
    "公公": 2,
    "婆婆": 2,
    "岳父": 2,
    "岳母": 2,
    "祖孙": 2,
    "祖父母": 2,
    "外祖父母": 2,
    "孙子女": 2,
    "外孙子女": 2,
    "嫂": 2,
    "弟媳": 2,
    "姐夫": 2,
    "妹夫": 2,
}


# --------------------------------------------------------------------------- text helpers
def normalise_names(names: pd.Series) -> pd.Series:
    """Names for comparison: NFKC (full-width → half-width), no spaces or middle dots."""
    text = names.astype("str").fillna("")
    unique = pd.Series(text.unique())
    cleaned = unique.map(
        lambda value: re.sub(r"[\s·•.．]", "", unicodedata.normalize("NFKC", value))
    )
    return text.map(dict(zip(unique, cleaned, strict=True))).astype("str")


def as_object(values: pd.Series) -> pd.Series:
    """Values as Python objects with '' for missing (fast hashing for joins and lookups)."""
    return values.astype("object").where(values.notna(), "")


def as_text(values: pd.Series) -> pd.Series:
    """Values as ``str`` with '' for missing, whatever the input dtype (float NaN included)."""
    return values.astype("object").where(values.notna(), "").astype("str")


def clean_ids(values: pd.Series) -> pd.Series:
    """ID-like values as stripped upper-case text ('' for missing), object dtype.

    Identifier columns are kept as Python objects: joins, ``map`` and ``isin`` on millions of
    rows are several times faster on object hash tables than on Arrow-backed strings.
    """
    codes, unique = pd.factorize(values, use_na_sentinel=False)
    if len(unique) < len(values):  # clean each distinct value once (IDs repeat monthly)
        cleaned = clean_ids(pd.Series(unique, dtype=values.dtype)).to_numpy(dtype=object)
        return pd.Series(cleaned[codes], index=values.index, dtype=object, name=values.name)
    return _clean_text(values)


def _clean_text(values: pd.Series) -> pd.Series:
    """:func:`clean_ids` row by row (for values that rarely repeat)."""
    text = values.astype("str").fillna("").str.strip().str.upper()
    return text.astype("object")


def valid_ids(values: pd.Series) -> pd.Series:
    """GB 11643 check-digit validity of 18-character ID numbers (vectorised).

    Each distinct raw value is cleaned and checked once (a county pays the same IDs monthly).
    """
    codes, raw = pd.factorize(values, use_na_sentinel=False)
    if len(raw) < len(values):
        checked = valid_ids(pd.Series(raw, dtype=values.dtype)).to_numpy(dtype=bool)
        return pd.Series(checked[codes], index=values.index, dtype=bool)
    text = clean_ids(values)
    unique = pd.Series(text.unique(), dtype="object")
    result = _check_digit_valid(unique)
    return (
        pd.Series(result, index=pd.Index(unique))
        .reindex(text.to_numpy())
        .set_axis(text.index)
        .astype(bool)
    )


def _check_digit_valid(unique: pd.Series) -> np.ndarray:
    """:func:`valid_ids` of clean ID texts (object Series), without cleaning them again."""
    shaped = pd.Series(unique, dtype="str").str.match(_ID_RE).fillna(False).to_numpy(dtype=bool)
    result = np.zeros(len(unique), dtype=bool)
    if shaped.any():
        result[shaped] = _check_digit_right(id_bytes(unique[shaped]))
    return result


def _check_digit_right(raw: np.ndarray) -> np.ndarray:
    """Whether the 18th byte of each row of 18 ID bytes is the GB 11643 check character."""
    return check_bytes(raw[:, :17].astype(np.int64) - 48) == raw[:, 17]


def plausible_birth(values: pd.Series) -> np.ndarray:
    """Whether characters 7–14 of each value read as a birth date between 1900 and 2099."""
    text = values.astype("str").fillna("")
    year = pd.to_numeric(text.str[6:10], errors="coerce")
    month = pd.to_numeric(text.str[10:12], errors="coerce")
    days = pd.to_numeric(text.str[12:14], errors="coerce")
    return (year.between(1900, 2099) & month.between(1, 12) & days.between(1, 31)).to_numpy(
        dtype=bool
    )


def is_institution(values: pd.Series, config: dict[str, Any]) -> pd.Series:
    """Whether a holder/party ID is an institution's credit code (not a resident ID).

    A value is an institution when it has the shape of a credit code
    (``institution_holder_pattern``), its GB 32100 check character is right, and it is not a
    valid resident ID (check digit and birth date) — an all-digit credit code such as
    ``1243042145…`` of a public institution is not a person.
    """
    from riskmodel.ids import check_ids, is_valid_credit_code

    text = clean_ids(values)
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    unique = pd.Series(distinct.to_numpy(dtype=object))
    pattern = config["programs"]["institution_holder_pattern"]
    shaped = pd.Series(unique, dtype="str").str.match(pattern).fillna(False).astype(bool)
    shaped.loc[shaped] = ~_resident_like(unique[shaped])  # a person's ID
    credit = shaped.copy()
    credit.loc[shaped] = unique[shaped].map(is_valid_credit_code).astype(bool)
    if credit.any():
        resident = check_ids(unique[credit].reset_index(drop=True))["is_valid"].to_numpy(bool)
        credit.loc[credit] = ~resident
    return pd.Series(credit.to_numpy(dtype=bool)[codes], index=text.index, name=text.name)


def _resident_like(values: pd.Series) -> np.ndarray:
    """``valid_ids(values) & plausible_birth(values)`` for clean ASCII values (credit-code
    shaped): the birth date is read from the digits of the valid IDs only."""
    shaped = pd.Series(values, dtype="str").str.match(_ID_RE).fillna(False)
    person = shaped.to_numpy(dtype=bool, copy=True)
    if person.any():
        raw = id_bytes(values[person])
        digits = raw[:, 6:14].astype(np.int64) - 48
        year = digits[:, :4] @ np.array([1000, 100, 10, 1])
        month = digits[:, 4:6] @ np.array([10, 1])
        days = digits[:, 6:8] @ np.array([10, 1])
        plausible = (year >= 1900) & (year <= 2099) & (month >= 1) & (month <= 12)
        person[person] = _check_digit_right(raw) & plausible & (days >= 1) & (days <= 31)
    return person


def is_round(amounts: pd.Series, unit: float) -> pd.Series:
    """Whether each amount is a positive multiple of ``unit`` yuan."""
    values = amounts.to_numpy(dtype="float64")
    return pd.Series(
        (values > 0) & (np.abs(np.round(values / unit) * unit - values) < 0.005),
        index=amounts.index,
    )


def month_start(dates: pd.Series) -> pd.Series:
    """First day of each date's month (vectorised; NaT stays NaT)."""
    values = pd.to_datetime(dates, errors="coerce").to_numpy(dtype="datetime64[ns]")
    return pd.Series(values.astype("datetime64[M]").astype("datetime64[ns]"), index=dates.index)


def yuan(value: float) -> str:
    """Amount for Chinese detail text: 12,345.60元."""
    return f"{value:,.2f}元"


def day(value: Any) -> str:
    """Date for detail text (YYYY-MM-DD, '未知' when missing)."""
    return "未知" if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def keys_of(frame: pd.DataFrame) -> pd.Series:
    """The provenance keys of ``frame`` (``_key``)."""
    return frame["_key"].astype("str").astype("object")


def collapse(values: pd.Series, limit: int = 200) -> str:
    """Join the distinct values of a group with ';' (sorted, capped)."""
    from riskmodel.rules.evidence import join_ids

    return join_ids(values, limit)


# --------------------------------------------------------------------------- joins
def inner_join(left: pd.DataFrame, right: pd.DataFrame, **keys: Any) -> pd.DataFrame:
    """``left.merge(right, **keys)`` (inner) copying only the left rows whose key occurs in
    ``right``: the same rows in the same order, without copying a wide payments frame."""
    left_on = keys.get("on", keys.get("left_on"))
    right_on = keys.get("on", keys.get("right_on"))
    return left[isin(left[left_on], right[right_on])].merge(right, **keys)


# --------------------------------------------------------------------------- groups
_KEY_LIMIT = 1 << 62


def group_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Integer group of each row by ``columns`` (-1 where a key is missing, as ``groupby``
    drops such rows)."""
    return combined_codes([pd.factorize(frame[column])[0] for column in columns])


def combined_codes(codes: list[np.ndarray]) -> np.ndarray:
    """Integer group of each row by several integer codes (−1 where any code is −1),
    numbered by first sight of each combination, as factorizing column by column would."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    missing = np.zeros(len(codes[0]), dtype=bool)
    size = 1  # key < size
    for code in codes:
        missing |= code < 0
        radix = int(code.max(initial=-1)) + 2
        if size * radix >= _KEY_LIMIT:  # renumber before the mixed-radix key could overflow
            key, seen = pd.factorize(key)
            size = len(seen)
        key = key * radix + (code + 1)
        size *= radix
    key, _ = pd.factorize(key)
    return np.where(missing, -1, key)


def group_sizes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Rows in each row's group (``groupby(columns).transform("size")``; 0 where a key is
    missing), on integer codes instead of hashing the string keys again."""
    return group_sizes_by_row(group_codes(frame, columns))


def group_nunique(
    frame: pd.DataFrame, columns: list[str], value: str, where: np.ndarray | None = None
) -> np.ndarray:
    """Distinct non-missing ``value`` per group of ``columns``
    (``groupby(columns)[value].transform("nunique")``; 0 where a key is missing). With
    ``where``: as if the frame were cut to those rows first (0 on the others)."""
    groups = group_codes(frame, columns)
    if where is not None:
        groups = np.where(where, groups, -1)
    return distinct_by_row(groups, pd.factorize(frame[value])[0])


class Joined:
    """An ``agg`` spec function for :func:`group_agg`: ``collapse`` with ``limit``,
    only over the rows where the ``where`` column is true (all rows without one)."""

    def __init__(self, limit: int = MAX_KEYS, where: str | None = None) -> None:
        self.limit, self.where = limit, where


class MaskedSum:
    """An ``agg`` spec function for :func:`group_agg`: the sum over the rows where the
    ``where`` column is true (as ``float(v[mask].sum())`` per group, same float order)."""

    def __init__(self, where: str) -> None:
        self.where = where


def _masked_sums(groups: np.ndarray, values: pd.Series, count: int) -> np.ndarray:
    """Per group code, ``numpy.sum`` of its values in row order (rows coded −1 left out;
    missing values count as 0, as ``Series.sum`` skips NaN, in the same float order)."""
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    numbers = np.where(np.isnan(numbers), 0.0, numbers)
    kept = np.flatnonzero(groups >= 0)
    order = kept[np.argsort(groups[kept], kind="stable")]
    sorted_values = numbers[order]
    bounds = np.searchsorted(groups[order], np.arange(count + 1))
    return np.array(
        [float(sorted_values[a:b].sum()) for a, b in pairwise(bounds.tolist())],
        dtype="float64",
    )


def joined_by_group(
    groups: np.ndarray, values: pd.Series, count: int, limit: int = MAX_KEYS
) -> list[str]:
    """``collapse`` of ``values`` per group code (0 … count−1; −1 rows are left out):
    distinct (group, value) pairs found on integer codes, one join per group."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    objects = np.asarray(uniques, dtype=object)
    missing = pd.isna(objects)
    # as join_ids: None, '' and 'nan' (NaN) left out, other values by their text
    usable = np.ones(len(objects), dtype=bool)
    usable[missing] = [v is not None and str(v) not in ("", "nan") for v in objects[missing]]
    plain = not usable[missing].any()  # a missing value written out (pd.NA) needs merging
    if plain and pd.api.types.infer_dtype(objects[~missing], skipna=False) in ("string", "empty"):
        text = objects  # already text: no Python pass over every value
        usable &= (text != "") & (text != "nan")
        keep = (groups >= 0) & usable[codes]
    else:  # numbers or mixed (1 and "1" one value, 1 and 1.0 two): row by row, as join_ids
        rows = np.asarray(values, dtype=object)
        strings = [str(v) for v in rows]
        keep = (groups >= 0) & np.array(
            [v is not None and t not in ("", "nan") for v, t in zip(rows, strings, strict=True)],
            dtype=bool,
        )
        codes, text = pd.factorize(np.array(strings, dtype=object))
        text = np.asarray(text, dtype=object)
    width = np.int64(max(len(text), 1))
    pairs = pd.unique(groups[keep].astype(np.int64) * width + codes[keep])
    pairs = pairs[np.argsort(pairs // width, kind="stable")]
    bounds = np.searchsorted(pairs // width, np.arange(count + 1))
    labels = text[pairs % width].tolist()
    out = []
    for start, end in pairwise(bounds.tolist()):
        parts = sorted(labels[start:end])
        if end - start > limit:
            out.append(";".join(parts[:limit]) + f";…+{end - start - limit}")
        else:
            out.append(";".join(parts))
    return out


def group_agg(
    frame: pd.DataFrame, by: str | list[str], spec: dict[str, Any], **kw: Any
) -> pd.DataFrame:
    """``frame.groupby(by, **kw).agg(**spec)`` with the ``collapse`` / :class:`Joined`
    entries computed on group codes instead of one Python call per group (same result)."""
    grouped = frame.groupby(by, **kw)
    joined = {
        name: how
        for name, how in spec.items()
        if how[1] is collapse or isinstance(how[1], Joined | MaskedSum)
    }
    if not joined:
        return grouped.agg(**spec)
    plain = {name: how for name, how in spec.items() if name not in joined}
    keys = [by] if isinstance(by, str) else list(by)
    spare = next(c for c in frame.columns if c not in keys)
    out = grouped.agg(**(plain or {"_size": (spare, "size")}))
    groups = grouped.ngroup().to_numpy(dtype="float64", na_value=-1).astype(np.int64)
    for name, (column, how) in joined.items():
        if isinstance(how, MaskedSum):
            rows = np.where(frame[how.where].to_numpy(bool), groups, -1)
            out[name] = _masked_sums(rows, frame[column], len(out))
            continue
        how = how if isinstance(how, Joined) else Joined()
        rows = (
            groups if how.where is None else np.where(frame[how.where].to_numpy(bool), groups, -1)
        )
        text = joined_by_group(rows, frame[column], len(out), how.limit)
        out[name] = pd.Series(text, index=out.index, dtype="str")
    return out[[c for c in out.columns if c not in spec and c != "_size"] + list(spec)]


# --------------------------------------------------------------------------- people
_METHODS = np.array(["unmatched", "exact_id"], dtype=object)


def person_ids(context: RuleContext, table: str, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Resolved person of ``frame[column]``: columns ``person_id``, ``method``, ``score``.

    The raw ID is its own person (``exact_id`` when it is a resident, else ``unmatched``);
    crosswalk rows of ``(table, column)`` that say otherwise (fuzzy matches, unmatched IDs,
    other persons) override it by source key. Only those rows are looked up, so a county's
    millions of exact matches cost one hash lookup each.
    """
    return _resolve_people(context, table, frame, column)[0]


def _resolve_people(
    context: RuleContext, table: str, frame: pd.DataFrame, column: str
) -> tuple[pd.DataFrame, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """:func:`person_ids`, the row of each resolved person in :func:`resident_index` (-1 for
    none) and the person IDs as codes into values (a value may repeat), found from the
    distinct raw IDs instead of the millions of rows."""
    if column in frame.columns:  # each distinct ID cleaned and looked up once
        codes, unique = pd.factorize(frame[column], use_na_sentinel=False)
        # distinct already: clean_ids would hash them again to find none repeated
        cleaned = _clean_text(pd.Series(unique, dtype=frame[column].dtype))
        values = cleaned.to_numpy(dtype=object)
        raw = values[codes]
        found = resident_rows(context, cleaned)[codes]
    else:
        codes = np.zeros(len(frame), dtype=np.intp)
        values = np.array([""], dtype=object)
        raw = values[codes]
        found = np.full(len(frame), _resident_row(context, ""), dtype=np.int64)
    is_known = found >= 0
    person = raw.copy()
    method = _METHODS[is_known.astype(np.int8)]
    score = np.where(is_known, 1.0, 0.0)
    special = _crosswalk_overrides(context, table, column)
    hit = np.zeros(len(frame), dtype=bool)
    if special is not None and len(special):
        # the keys as Arrow text: positions() would convert Python objects back to Arrow
        position = positions(frame["_key"].astype("str"), special["source_key"])
        hit = position >= 0
    if hit.any():
        rows = special.iloc[position[hit]]
        chosen = clean_ids(rows["person_id"]).to_numpy()
        chosen = np.where(chosen == "", raw[hit], chosen)
        person[hit] = chosen
        method[hit] = rows["method"].astype("object").to_numpy()
        score[hit] = pd.to_numeric(rows["score"], errors="coerce").fillna(0.0).to_numpy()
        found = found.copy()
        found[hit] = resident_rows(context, chosen.astype(object))
        codes = codes.copy()
        codes[hit] = len(values) + np.arange(int(hit.sum()))
        values = np.concatenate([values, chosen.astype(object)])
    result = pd.DataFrame(
        {
            "person_id": pd.Series(person, index=frame.index, dtype=object, copy=False),
            "method": pd.Series(method, index=frame.index, dtype=object, copy=False),
            "score": score,
        },
        index=frame.index,
    )
    return result, found, (codes, values)


def _resident_row(context: RuleContext, person: str) -> int:
    """Row of ``person`` in :func:`resident_index` (-1 when absent)."""
    return int(resident_rows(context, np.array([person], dtype=object))[0])


def _crosswalk_overrides(context: RuleContext, table: str, column: str) -> pd.DataFrame | None:
    """Crosswalk rows of ``(table, column)`` that resolve the raw ID differently from itself
    (fuzzy, unmatched, upgraded), first row per source key; None without a crosswalk."""
    crosswalk = context.crosswalk
    if crosswalk is None or not len(crosswalk):
        return None
    differing = context.cached("crosswalk_differing", lambda: _crosswalk_differing(crosswalk))
    # a missing table or column keeps a row, as a missing comparison did before
    candidate = (differing["source_table"] == table) & (differing["column"] == column)
    chosen = differing[candidate.fillna(True).to_numpy(dtype=bool)]
    if not len(chosen):
        return chosen
    return chosen[
        (chosen["method"] != "exact_id")
        | (clean_ids(chosen["person_id"]).to_numpy() != clean_ids(chosen["raw_value"]).to_numpy())
    ].drop_duplicates("source_key")


def _crosswalk_differing(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk rows whose method or raw text differs from an exact match on itself
    (a cheap test on the raw text: equal text is equal once cleaned), scanned once for all
    tables, so only the few candidate rows of a county's millions are copied and cleaned."""
    differs = (crosswalk["method"] != "exact_id") | (
        crosswalk["person_id"].astype("str") != crosswalk["raw_value"].astype("str")
    )
    # a missing comparison may still be chosen (a missing table, column or text)
    return crosswalk[differs.fillna(True).to_numpy(dtype=bool)]


RESIDENT_COLUMNS = (
    "id_number",
    "name",
    "household_id",
    "relation",
    "village_code",
    "birth_date",
    "disability",
    "exit_date",
    "enroll_date",
    "household_type",
    "_key",
)


def residents(context: RuleContext) -> pd.DataFrame:
    """Residents with a clean ``person_id`` (first row per ID)."""

    def build() -> pd.DataFrame:
        table = context.table("residents")
        if table.empty:
            return pd.DataFrame(columns=["person_id", "household_id", "name", "village_code"])
        keep = [c for c in RESIDENT_COLUMNS if c in table.columns]
        # a register repeats few IDs: each row is cleaned (clean_ids' result, without hashing)
        frame = table[keep].assign(person_id=_clean_text(table["id_number"]))
        coded = {}
        for column in ("household_id", "village_code"):
            if column in frame:
                frame[column], coded[column] = _as_coded_objects(frame[column])
        repeated = frame["person_id"].duplicated().to_numpy(dtype=bool)
        for column, (codes, values) in coded.items():
            kept = (codes[~repeated] if repeated.any() else codes, values)
            context.cached(f"resident_codes:{column}", lambda kept=kept: _compact(*kept))
        return (frame[~repeated] if repeated.any() else frame).reset_index(drop=True)

    return context.cached("residents", build)


def _compact(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes as 32-bit integers when the values allow (half the memory of a county's rows)."""
    small = len(values) < np.iinfo(np.int32).max
    return (codes.astype(np.int32) if small else codes), values


def resident_codes(context: RuleContext, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`residents`' ``household_id`` or ``village_code`` as codes into its distinct
    values (coded from Arrow while building, so no Python objects are hashed)."""
    people = residents(context)

    def build() -> tuple[np.ndarray, np.ndarray]:
        codes, values = pd.factorize(people[column], use_na_sentinel=False)
        return _compact(codes, np.asarray(values, dtype=object))

    return context.cached(f"resident_codes:{column}", build)


def resident_index(context: RuleContext) -> pd.DataFrame:
    """Residents indexed by ``person_id`` (for lookups)."""
    return context.cached("resident_index", lambda: residents(context).set_index("person_id"))


def resident_rows(context: RuleContext, ids: pd.Series | np.ndarray) -> np.ndarray:
    """Row of each ID in :func:`resident_index` (-1 when absent), through the index's own
    hash table: built on the first lookup, each later one hashes only the IDs looked up."""
    index = resident_index(context).index
    if not len(index) or not index.is_unique:
        return positions(pd.Series(ids), index)
    return index.get_indexer(ids).astype(np.int64, copy=False)


def household_map(context: RuleContext) -> pd.Series:
    """person_id → household_id from the residents register."""

    def build() -> pd.Series:
        people = residents(context)
        if "household_id" not in people:
            return pd.Series(dtype="str")
        return resident_index(context)["household_id"]

    return context.cached("household_map", build)


def household_of(context: RuleContext, ids: pd.Series) -> pd.Series:
    """Household of each person ID; ``P:<id>`` for people not in the register."""
    found = as_object(take_mapped(household_map(context), resident_rows(context, ids), ids.index))
    missing = (found == "").to_numpy(dtype=bool)
    if missing.any():  # only the few outside the register get their own pseudo-household
        found = found.copy()
        found[missing] = ("P:" + ids[missing].astype("str")).to_numpy(dtype=object)
    return found


# --------------------------------------------------------------------------- kinship
def kinship(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Kinship pairs ``id_a, id_b, relation, degree`` whose ``id_a`` is an official.

    The context's kinship when given; else ``riskmodel.kinship.derive_kinship`` when that
    module exists; else the ``relatives`` and ``filings`` tables with degrees by relation.
    Every rule asks "is this person a relative of an official", so only pairs starting at an
    official are kept (a county's full kinship has millions of pairs).
    """

    def build() -> pd.DataFrame:
        if context.kinship is not None:
            pairs = context.kinship
        else:
            pairs = None
            try:
                from riskmodel.kinship import derive_kinship
            except ImportError:
                derive_kinship = None
            if derive_kinship is not None and context.has("residents"):
                pairs = derive_kinship(
                    context.table("residents"),
                    context.tables.get("relatives"),
                    context.tables.get("filings"),
                )
            if pairs is None:
                pairs = _declared_kinship(context)
        chosen = officials(context, config)["official_id"].unique()
        pairs = pairs[isin(pairs["id_a"], chosen)]
        pairs = pairs.assign(
            id_a=clean_ids(pairs["id_a"]),
            id_b=clean_ids(pairs["id_b"]),
            degree=pd.to_numeric(pairs["degree"], errors="coerce").fillna(3).astype(int),
        )
        if "relation" not in pairs:
            pairs["relation"] = ""
        return pairs[["id_a", "id_b", "relation", "degree"]].drop_duplicates(["id_a", "id_b"])

    return context.cached("kinship", build)


def _declared_kinship(context: RuleContext) -> pd.DataFrame:
    parts = []
    relatives = context.table("relatives")
    if not relatives.empty:
        parts.append(
            pd.DataFrame(
                {
                    "id_a": relatives["id_number_a"],
                    "id_b": relatives["id_number_b"],
                    "relation": relatives["relation"].astype("str"),
                }
            )
        )
    filings = context.table("filings")
    if not filings.empty:
        parts.append(
            pd.DataFrame(
                {
                    "id_a": filings["official_id_number"],
                    "id_b": filings["id_number"],
                    "relation": filings["relation"].astype("str") if "relation" in filings else "",
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["id_a", "id_b", "relation", "degree"])
    pairs = pd.concat(parts, ignore_index=True)
    pairs["degree"] = pairs["relation"].map(RELATION_DEGREE).fillna(3).astype(int)
    swapped = pairs.rename(columns={"id_a": "id_b", "id_b": "id_a"})
    return pd.concat([pairs, swapped], ignore_index=True)


# --------------------------------------------------------------------------- officials
def officials(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Officials with ``official_id``, ``is_cadre``, ``is_public_employee``, term dates."""

    def build() -> pd.DataFrame:
        table = context.table("officials")
        if table.empty:  # typed empty columns: a mask of no rows selects no rows
            text = pd.Series([], dtype="str")
            return pd.DataFrame(
                {
                    **{c: text for c in ("official_id", "name", "category", "village_code")},
                    "start_date": pd.Series([], dtype="datetime64[ns]"),
                    "end_date": pd.Series([], dtype="datetime64[ns]"),
                    "is_cadre": pd.Series([], dtype=bool),
                    "is_public_employee": pd.Series([], dtype=bool),
                    **{c: text for c in ("name_norm", "phone", "_key")},
                }
            )
        settings = config["programs"]
        category = table["category"].astype("str").fillna("")
        cadre = _contains_any(category, settings["cadre_categories"])
        public = _contains_any(category, settings["public_employee_categories"]) & ~cadre
        frame = table.assign(
            official_id=clean_ids(table["id_number"]),
            is_cadre=cadre,
            is_public_employee=public,
            name_norm=normalise_names(table["name"]),
        )
        for column in ("start_date", "end_date"):
            if column not in frame:
                frame[column] = pd.NaT
        if "village_code" not in frame:
            frame["village_code"] = ""
        frame["village_code"] = frame["village_code"].astype("str").fillna("")
        return frame

    return context.cached("officials", build)


def _contains_any(values: pd.Series, words: list[str]) -> pd.Series:
    if not words:
        return pd.Series(False, index=values.index)
    pattern = "|".join(re.escape(w) for w in words)
    return values.str.contains(pattern, regex=True).fillna(False).astype(bool)


def ledger_text(frame: pd.DataFrame) -> pd.Series:
    """``summary|category`` of ledger rows ('' where both are absent)."""
    parts = [frame[c].astype("str").fillna("") for c in ("summary", "category") if c in frame]
    if not parts:
        return pd.Series("", index=frame.index)
    text = parts[0]
    for part in parts[1:]:
        text = text + "|" + part
    return text


def drop_wages_and_claims(rows: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Ledger rows without wages (``wage_keywords``) and small expense claims.

    A claim is a row matching ``reimbursement_keywords`` (差旅费) up to ``reimbursement_max``.
    """
    if rows.empty:
        return rows
    text = ledger_text(rows)
    wages = _contains_any(text, list(params["wage_keywords"]))
    claims = _contains_any(text, list(params["reimbursement_keywords"])) & (
        rows["amount"] <= float(params["reimbursement_max"])
    )
    return rows[~(wages | claims)]


def active_on(start: pd.Series, end: pd.Series, dates: pd.Series) -> pd.Series:
    """Whether a term ``[start, end]`` (open ends allowed) covers each date."""
    start = pd.to_datetime(start, errors="coerce")
    end = pd.to_datetime(end, errors="coerce")
    dates = pd.to_datetime(dates, errors="coerce")
    return ((start.isna() | (start <= dates)) & (end.isna() | (end >= dates))).fillna(False)


def cadre_relatives(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Relatives of village cadres: ``person_id, cadre_id, relation, degree`` plus the cadre's
    ``cadre_name, cadre_village, cadre_start, cadre_end`` (one row per relative × cadre term)."""

    def build() -> pd.DataFrame:
        cadres = officials(context, config)
        cadres = cadres[cadres["is_cadre"]]
        pairs = kinship(context, config)
        limit = int(config["programs"]["relative_max_degree"])
        pairs = pairs[(pairs["degree"] <= limit) & pairs["id_a"].isin(cadres["official_id"])]
        pairs = pairs[pairs["id_a"] != pairs["id_b"]]
        merged = pairs.merge(
            cadres[["official_id", "name", "village_code", "start_date", "end_date"]],
            left_on="id_a",
            right_on="official_id",
        )
        return pd.DataFrame(
            {
                "person_id": merged["id_b"],
                "cadre_id": merged["id_a"],
                "relation": merged["relation"].astype("str"),
                "degree": merged["degree"],
                "cadre_name": merged["name"].astype("str"),
                "cadre_village": merged["village_code"].astype("str"),
                "cadre_start": merged["start_date"],
                "cadre_end": merged["end_date"],
            }
        )

    return context.cached("cadre_relatives", build)


def village_towns(context: RuleContext) -> pd.Series:
    """village_code → town (town_code, else town_name, else the first 9 digits of the code)."""

    def build() -> pd.Series:
        villages = context.table("villages")
        if villages.empty:
            return pd.Series(dtype="str")
        if "town_code" in villages:
            town = villages["town_code"].astype("str")
        elif "town_name" in villages:
            town = villages["town_name"].astype("str")
        else:
            town = villages["village_code"].astype("str").str[:9]
        return (
            pd.Series(town.to_numpy(), index=villages["village_code"].astype("str"))
            .groupby(level=0)
            .first()
        )

    return context.cached("village_towns", build)


def town_of(context: RuleContext, codes: pd.Series) -> pd.Series:
    """Town of each village code (falls back to the first 9 digits)."""
    towns = village_towns(context)
    codes = codes.astype("str").fillna("")
    mapped = codes.map(towns).astype("object")
    return mapped.where(mapped.notna(), codes.str[:9]).astype("str")


# --------------------------------------------------------------------------- programs
def _program_key(frame: pd.DataFrame) -> pd.Series:
    code = frame["program_code"].astype("str").fillna("") if "program_code" in frame else None
    name = frame["program_name"].astype("str").fillna("") if "program_name" in frame else None
    if code is None:
        return name
    if name is None:
        return code
    return code.where(code != "", name)


PROGRAM_COLUMNS = [
    "program_key",
    "program_code",
    "program_name",
    "family",
    "means_tested",
    "wage",
    "unit",
    "period",
    "period_months",
    "standard",
    "standard_kind",
    "age_min",
    "age_max",
    "by_household",
    "standards",
]


def _declared_by_payment_key(declared: pd.DataFrame, seen: pd.DataFrame) -> pd.DataFrame:
    """The county's program rows indexed by the payments' program keys: matched by the key,
    else by code, else by name (payments that carry codes and a programs table that lists
    only names, or the other way round)."""
    by_key = declared.drop_duplicates("program_key").set_index("program_key")
    keys = seen["program_key"].astype("str")
    matched = keys.where(keys.isin(by_key.index))  # the declared key of each payment key
    for column in ("program_code", "program_name"):
        if column in declared and column in seen:
            values = declared[column].astype("str").fillna("")
            lookup = pd.Series(declared["program_key"].to_numpy(), index=values.to_numpy())
            lookup = lookup[(lookup.index != "") & ~lookup.index.duplicated()]
            matched = matched.fillna(seen[column].astype("str").map(lookup))
    found = matched.notna().to_numpy()
    picked = by_key.loc[matched[found].to_numpy()]
    return picked.set_axis(pd.Index(keys[found].to_numpy(), name="program_key"))


def program_table(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """One row per program key seen in payments: family and settings.

    Columns: ``program_key, program_code, program_name, family, means_tested, wage, unit,
    period, period_months, standard, standard_kind, age_min, age_max, by_household``.
    """

    def build() -> pd.DataFrame:
        payments = context.table("payments")
        if not len(payments.columns):
            return pd.DataFrame()
        seen = pd.DataFrame({"program_key": _program_key(payments)})
        seen["program_code"] = (
            payments["program_code"].astype("str") if "program_code" in payments else ""
        )
        seen["program_name"] = (
            payments["program_name"].astype("str") if "program_name" in payments else ""
        )
        seen = seen.fillna("").drop_duplicates("program_key").reset_index(drop=True)
        catalogue = {k: v for k, v in config["programs"]["catalogue"].items() if k != "_open"}
        declared = context.table("programs")
        if not declared.empty:
            declared = declared.assign(program_key=_program_key(declared))
            declared_by_key = _declared_by_payment_key(declared, seen)
            if "program_name" in declared:
                names = declared_by_key["program_name"].astype("str")
                filled = seen["program_key"].map(names)
                seen["program_name"] = seen["program_name"].where(
                    seen["program_name"] != "", filled.fillna("")
                )
        else:
            declared_by_key = pd.DataFrame()
        months = config["programs"]["period_months"]
        packaged = bool(config["programs"].get("packaged_standards", False))
        rows = []
        for record in seen.itertuples(index=False):
            family = _family_of(str(record.program_code), str(record.program_name), catalogue)
            settings = catalogue.get(family, {})
            unit = settings.get("unit", "人")
            period = settings.get("period", "")
            standard = float(settings.get("standard", 0.0) or 0.0) if packaged else 0.0
            if record.program_key in declared_by_key.index:
                row = declared_by_key.loc[record.program_key]
                value = pd.to_numeric(row.get("standard_amount"), errors="coerce")
                if pd.notna(value) and value > 0:
                    standard = float(value)
                if isinstance(row.get("unit"), str) and row.get("unit"):
                    unit = row.get("unit")
                if isinstance(row.get("period"), str) and row.get("period"):
                    period = row.get("period")
            rows.append(
                {
                    "program_key": record.program_key,
                    "program_code": record.program_code,
                    "program_name": record.program_name or settings.get("name", ""),
                    "family": family,
                    "means_tested": bool(settings.get("means_tested", False)),
                    "wage": bool(settings.get("wage", False)),
                    "unit": unit,
                    "period": period,
                    "period_months": float(months.get(period, np.nan)),
                    "standard": standard,
                    "standard_kind": settings.get("standard_kind", "max"),
                    "age_min": float(settings.get("age_min", 0)),
                    "age_max": float(settings.get("age_max", 200)),
                    "by_household": bool(settings.get("by_household", unit == "户")),
                    "standards": settings.get("standards", []),
                }
            )
        return pd.DataFrame(rows, columns=PROGRAM_COLUMNS)

    return context.cached("program_table", build)


def _family_of(code: str, name: str, catalogue: dict[str, dict[str, Any]]) -> str:
    for family, settings in catalogue.items():
        if code and code in settings.get("codes", []):
            return family
    for family, settings in catalogue.items():
        if any(word and word in name for word in settings.get("keywords", [])):
            return family
    return ""


_PERIOD_PATTERNS = (
    (re.compile(r"^(\d{4})[-/年.]?(\d{1,2})月?$"), "month"),
    (re.compile(r"^(\d{4})\s*(?:[Qq]|年?第?)([1-4])(?:季度?)?$"), "quarter"),
    (re.compile(r"^(\d{4})年?(春|秋)季?学期$"), "term"),
    (re.compile(r"^(\d{4})年?(上|下)半年$"), "half"),
    (re.compile(r"^(\d{4})年?(?:度)?$"), "year"),
)


def parse_period(text: str) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    """Start month, end month and number of months of a ``covered_period`` spelling.

    ``2024-03`` / ``2024年3月``, ``2024Q1`` / ``2024年第1季度``, ``2024春季学期`` (Mar–Aug) /
    ``2024秋季学期`` (Sep–Feb), ``2024上半年``, ``2024``; anything else gives NaT.
    """
    value = str(text).strip()
    for pattern, kind in _PERIOD_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "month":
            month = int(match.group(2))
            if not 1 <= month <= 12:
                break
            start = pd.Timestamp(year, month, 1)
            return start, start, 1.0
        if kind == "quarter":
            start = pd.Timestamp(year, 3 * int(match.group(2)) - 2, 1)
            return start, start + pd.DateOffset(months=2), 3.0
        if kind == "term":
            start = pd.Timestamp(year, 3 if match.group(2) == "春" else 9, 1)
            return start, start + pd.DateOffset(months=5), 6.0
        if kind == "half":
            start = pd.Timestamp(year, 1 if match.group(2) == "上" else 7, 1)
            return start, start + pd.DateOffset(months=5), 6.0
        start = pd.Timestamp(year, 1, 1)
        return start, pd.Timestamp(year, 12, 1), 12.0
    return pd.NaT, pd.NaT, np.nan


PAYMENT_COLUMNS = (
    "program_code",
    "program_name",
    "id_number",
    "name",
    "account_no",
    "amount",
    "pay_date",
    "village_code",
    "household_id",
    "covered_period",
    "quantity",
    "status",
    "_key",
)
"""The payment columns the rules read (the others are dropped before any filtering)."""


def payments(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Successful payments (not failed or returned, an amount above 0) with person,
    household, program family and expected amount.

    Added columns: ``person_id, method, match_score, household, program_key, family,
    means_tested, wage, unit, standard, standard_kind, expected, pay_month, covered_start,
    covered_end, covered_months``. ``expected`` = standard × quantity (for 亩) ×
    covered months ÷ period months; NaN when no standard is known.
    """

    def build() -> pd.DataFrame:
        table = context.table("payments")
        if not len(table.columns):
            return table
        table = table[[c for c in PAYMENT_COLUMNS if c in table.columns]]
        failed = config["programs"]["failed_statuses"]
        paid = pd.to_numeric(table["amount"], errors="coerce").to_numpy(dtype="float64") > 0
        if "status" in table:
            paid &= ~isin(table["status"].astype("str"), failed)
        if not paid.all():  # failed or returned payments, and rows of 0 (nothing paid)
            table = filter_rows(table, paid)
        resolved, found, people_codes = _resolve_people(context, "payments", table, "id_number")
        context.cached("payment_residents", lambda: found)
        context.cached("payment_codes:person_id", lambda: _compact(*people_codes))
        frame = table.assign(
            person_id=resolved["person_id"],  # same index: no alignment, no copy
            method=resolved["method"],
            match_score=resolved["score"].to_numpy(),
            program_key=_program_key(table),
            pay_date=pd.to_datetime(table["pay_date"], errors="coerce"),
            amount=pd.to_numeric(table["amount"], errors="coerce").astype("float64"),
        )
        frame["household"], household_codes = _payment_households(context, frame, found)
        context.cached("payment_codes:household", lambda: _compact(*household_codes))
        # where a payment names no village: the payee's register village (rows found above)
        people = resident_index(context)
        if "village_code" not in frame:
            frame["village_code"] = (
                take_mapped(people["village_code"], found, frame.index)
                if "village_code" in people
                else ""
            )
        elif "village_code" in people:
            given = frame["village_code"]
            blank = given.isna().to_numpy(dtype=bool) | (given.astype("str") == "").to_numpy(bool)
            if blank.any():
                register = take_mapped(people["village_code"], found, frame.index)
                frame["village_code"] = given.astype(object).where(~blank, register)
        for column in ("village_code", "account_no"):
            if column in frame:
                frame[column], coded = _as_coded_objects(frame[column])
                context.cached(f"payment_codes:{column}", lambda coded=coded: _compact(*coded))
        programs = program_table(context, config).drop(
            columns=["program_code", "program_name", "standards"]
        )
        programs["program_key"] = programs["program_key"].astype("object")
        frame = _join_programs(frame.reset_index(drop=True), programs)
        frame["means_tested"] = frame["means_tested"].fillna(False).astype(bool)
        frame["wage"] = frame["wage"].fillna(False).astype(bool)
        frame["pay_month"] = month_start(frame["pay_date"])
        if "covered_period" in frame:
            codes, unique = pd.factorize(frame["covered_period"])  # missing: -1, i.e. NaT
            parsed = [parse_period(value) for value in unique]
            starts = pd.to_datetime([p[0] for p in parsed] + [pd.NaT]).to_numpy("datetime64[ns]")
            ends = pd.to_datetime([p[1] for p in parsed] + [pd.NaT]).to_numpy("datetime64[ns]")
            months = np.array([p[2] for p in parsed] + [np.nan], dtype="float64")
            frame["covered_start"] = starts[codes]
            frame["covered_end"] = ends[codes]
            frame["covered_months"] = months[codes]
        else:
            frame["covered_start"] = pd.NaT
            frame["covered_end"] = pd.NaT
            frame["covered_months"] = np.nan
        frame["standard"] = _standard_over_time(frame, program_table(context, config))
        units = pd.Series(1.0, index=frame.index)
        if "quantity" in frame:
            quantity = pd.to_numeric(frame["quantity"], errors="coerce")
            units = units.where(~(frame["unit"] == "亩"), quantity)
        periods = (frame["covered_months"] / frame["period_months"]).where(
            frame["covered_months"].notna() & frame["period_months"].notna()
        )
        periods = periods.where(periods >= 1, 1.0).fillna(1.0)
        expected = frame["standard"] * units * periods
        frame["expected"] = expected.where(frame["standard"] > 0)
        names = program_table(context, config).set_index("program_key")["program_name"]
        declared = frame.get("program_name")
        if declared is None or (declared.fillna("") == "").any():  # tested before converting
            declared = None if declared is None else as_object(declared)
            named = as_object(frame["program_key"].map(names))
            frame["program_name"] = (
                named if declared is None else declared.where(declared != "", named)
            )
        return frame

    return context.cached("payments", build)


def _payment_households(
    context: RuleContext, frame: pd.DataFrame, found: np.ndarray
) -> tuple[pd.Series, tuple[np.ndarray, np.ndarray]]:
    """The register household of each payment's person (``found``: rows of
    :func:`resident_index`), else the payment's ``household_id``, else ``P:<person_id>``, and
    the households as codes into values (a value may repeat): taken from the register's
    distinct households, only the rows outside it are converted and hashed."""
    households = household_map(context)
    hit = (found >= 0) if len(households) else np.zeros(len(frame), dtype=bool)
    codes = np.full(len(frame), -1, dtype=np.intp)
    values = np.array([], dtype=object)
    if len(households):
        registered, values = resident_codes(context, "household_id")
        codes[hit] = registered[found[hit]]
    # outside the register, or an empty register household: the payment's own, else P:<id>
    other = ~hit
    if (values == "").any():
        other |= hit & (codes == int(np.flatnonzero(values == "")[0]))
    if other.any():
        own = np.full(int(other.sum()), "", dtype=object)
        if "household_id" in frame:
            declared = frame["household_id"][~hit].astype("str")
            own[~hit[other]] = as_object(declared).to_numpy(dtype=object)
        missing = own == ""
        own[missing] = ("P:" + frame["person_id"][other][missing]).to_numpy(dtype=object)
        local, distinct = pd.factorize(own)
        codes[other] = len(values) + local
        values = np.concatenate([values, np.asarray(distinct, dtype=object)])
    household = pd.Series(values[codes], index=frame.index, dtype=object, copy=False)
    return household, (codes, values)


def _as_coded_objects(values: pd.Series) -> tuple[pd.Series, tuple[np.ndarray, np.ndarray]]:
    """:func:`as_object` of ``values`` and its codes into distinct values: each distinct
    value becomes one Python object, shared by its rows."""
    codes, distinct = pd.factorize(values)  # missing: -1, i.e. ''
    objects = np.asarray(distinct, dtype=object)
    if (codes < 0).any():
        empty = np.flatnonzero(objects == "")
        if len(empty):
            codes = np.where(codes < 0, empty[0], codes)
        else:
            objects = np.append(objects, "")
            codes = np.where(codes < 0, len(objects) - 1, codes)
    column = pd.Series(
        objects[codes], index=values.index, dtype=object, name=values.name, copy=False
    )
    return column, (codes, objects)


def payment_residents(context: RuleContext, config: dict[str, Any]) -> np.ndarray:
    """Row in :func:`resident_index` of each payment's person (-1 for none), found once: the
    payments frame has a RangeIndex, so a row of it (or of a cut of it) is its index label."""
    paid = payments(context, config)  # finds them while building
    people = resident_index(context).index
    return context.cached("payment_residents", lambda: positions(paid["person_id"], people))


def payment_codes(
    context: RuleContext, config: dict[str, Any], column: str
) -> tuple[np.ndarray, np.ndarray]:
    """The payments' ``column`` as integer codes into values (``values[codes]`` is the
    column; a value may repeat), factorized once per context instead of hashing millions of
    Python objects again in every join."""

    def build() -> tuple[np.ndarray, np.ndarray]:
        codes, values = pd.factorize(payments(context, config)[column], use_na_sentinel=False)
        return _compact(codes, np.asarray(values, dtype=object))

    payments(context, config)  # codes the person IDs while building
    return context.cached(f"payment_codes:{column}", build)


def payments_in(
    context: RuleContext,
    config: dict[str, Any],
    column: str,
    candidates: Any,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """``isin(payments[column], candidates)`` (at ``rows`` of the payments, all by default),
    tested once per distinct value."""
    codes, values = payment_codes(context, config, column)
    found = isin(pd.Series(values, dtype=object), candidates)[codes]
    return found if rows is None else found[rows]


def means_tested_rows(context: RuleContext, config: dict[str, Any]) -> np.ndarray:
    """Row of each :func:`means_tested_payments` row in :func:`payments`."""
    return context.cached(
        "means_tested_rows",
        lambda: np.flatnonzero(payments(context, config)["means_tested"].to_numpy(dtype=bool)),
    )


def resident_values(context: RuleContext, config: dict[str, Any], column: str) -> pd.Series:
    """``mapped(payments["person_id"], resident_index[column])`` from the rows found once."""
    paid = payments(context, config)
    found = payment_residents(context, config)
    return take_mapped(resident_index(context)[column], found, paid.index)


def _join_programs(frame: pd.DataFrame, programs: pd.DataFrame) -> pd.DataFrame:
    """``frame.merge(programs, on="program_key", how="left")`` for a one-row-per-key
    ``programs``, without copying the millions of payment rows: each program column is
    looked up by position."""
    position = positions(frame["program_key"], programs["program_key"])
    hit = position >= 0
    rows = np.where(hit, position, 0)
    settings = programs.drop(columns="program_key")
    if not len(programs):
        return frame.assign(
            **{c: pd.Series(np.nan, index=frame.index, dtype=object) for c in settings}
        )
    taken = settings.iloc[rows].set_axis(frame.index)  # one take per block, not per column
    return frame.assign(**{c: taken[c] if hit.all() else taken[c].where(hit) for c in taken})


def _standard_over_time(frame: pd.DataFrame, programs: pd.DataFrame) -> pd.Series:
    """The standard of each payment, after configured changes (``standards``) by month."""
    standard = frame["standard"].astype("float64").copy()
    changed = programs[programs["standards"].map(lambda v: isinstance(v, list) and len(v) > 0)]
    if changed.empty:
        return standard
    month = frame["covered_start"].fillna(frame["pay_month"])
    for family, changes in changed.drop_duplicates("family")[["family", "standards"]].itertuples(
        index=False
    ):
        rows = frame["family"] == family
        for change in sorted(changes, key=lambda c: c["from"]):
            since = pd.Timestamp(change["from"])
            standard = standard.where(~(rows & (month >= since)), float(change["amount"]))
    return standard


def means_tested_payments(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """The payments of means-tested programs."""
    return context.cached(
        "means_tested_payments",
        lambda: payments(context, config).query("means_tested").reset_index(drop=True),
    )


# --------------------------------------------------------------------------- accounts
def account_holders(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """account_no → ``holder_id, holder_name, holder_is_institution`` (accounts table, else
    officials' declared accounts)."""

    def build() -> pd.DataFrame:
        parts = []
        accounts = context.table("accounts")
        if not accounts.empty:
            parts.append(
                pd.DataFrame(
                    {
                        "account_no": accounts["account_no"].astype("str"),
                        "holder_id": clean_ids(accounts["holder_id_number"]),
                        "holder_name": accounts["holder_name"].astype("str")
                        if "holder_name" in accounts
                        else "",
                        "holder_phone": accounts["phone"].astype("str")
                        if "phone" in accounts
                        else "",
                    }
                )
            )
        table = context.table("officials")
        if not table.empty and "account_no" in table:
            declared = table[table["account_no"].astype("str").fillna("") != ""]
            parts.append(
                pd.DataFrame(
                    {
                        "account_no": declared["account_no"].astype("str"),
                        "holder_id": clean_ids(declared["id_number"]),
                        "holder_name": declared["name"].astype("str"),
                        "holder_phone": "",
                    }
                )
            )
        if not parts:
            return pd.DataFrame(
                columns=[
                    "account_no",
                    "holder_id",
                    "holder_name",
                    "holder_phone",
                    "holder_is_institution",
                ]
            )
        holders = pd.concat(parts, ignore_index=True).drop_duplicates("account_no")
        holders["holder_is_institution"] = is_institution(holders["holder_id"], config)
        return holders.reset_index(drop=True)

    return context.cached("account_holders", build)


def ledger(context: RuleContext) -> pd.DataFrame:
    """Ledger with ``is_expense``, ``is_income``, numeric amount, ``month`` and payee keys."""

    def build() -> pd.DataFrame:
        table = context.table("ledger")
        if table.empty:
            return table
        direction = table["direction"].astype("str").fillna("")
        frame = table.assign(
            amount=pd.to_numeric(table["amount"], errors="coerce").astype("float64"),
            date=pd.to_datetime(table["date"], errors="coerce"),
            is_expense=direction.str.contains("支|出|借方").fillna(False).astype(bool),
            is_income=direction.str.contains("收|入|贷方").fillna(False).astype(bool)
            & ~direction.str.contains("支出").fillna(False).astype(bool),
            village_code=table["village_code"].astype("str"),
        )
        frame["month"] = month_start(frame["date"])
        payee_id = clean_ids(frame["counterparty_id"]) if "counterparty_id" in frame else ""
        payee_name = (
            normalise_names(frame["counterparty_name"]) if "counterparty_name" in frame else ""
        )
        frame["payee_id"] = payee_id
        frame["payee_name"] = payee_name
        for column in (
            "counterparty_name",
            "handler",
            "approver",
            "summary",
            "category",
            "method",
            "counterparty_account",
        ):
            if column in frame:
                frame[column] = frame[column].astype("str").fillna("")
        by_name = np.where(
            frame["payee_name"].astype("str") != "",
            "名:" + frame["village_code"] + ":" + frame["payee_name"].astype("str"),
            "",
        )
        frame["payee_key"] = np.where(frame["payee_id"] != "", frame["payee_id"], by_name)
        return frame

    return context.cached("ledger", build)


def cadre_name_index(context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Officials keyed by (village_code, normalised name) for matching ledger signatures."""
    frame = officials(context, config)
    return frame[["village_code", "name_norm", "official_id", "start_date", "end_date", "is_cadre"]]
