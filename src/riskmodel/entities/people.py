"""Resolving the people named in every table to residents of the register.

Each table column that names a person is declared once in ``PERSON_REFERENCES`` (which
columns carry the ID, name, village, household and phone). Resolution:

1. **Exact ID**: the (normalised) ID number is in the register → ``exact_id``, score 1.
2. **Fuzzy**: every other reference (ID missing, invalid, or valid but unknown) is matched
   by the generic engine against the register with the declared ``PERSON_COMPARISONS``
   (ID typo levels, name incl. traditional characters and homophones, birth date and sex
   from the ID, village, household, phone) and ``PERSON_BLOCKING``; links above the
   configured threshold are ``fuzzy`` with their score and the reason spelled out.
3. Otherwise ``unmatched``: the record keeps its own ID (a ghost candidate).

A fuzzy link is also a data-quality finding (:func:`data_quality_findings`): the ID in the
source row is most likely a typo of the linked resident's ID, not a ghost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.entities.comparisons import Comparison
from riskmodel.entities.engine import link_records
from riskmodel.entities.normalise import (
    birth_from_id,
    date_array,
    digits_array,
    empty_array,
    gender_from_id,
    name_arrays,
    normalised_array,
    text_array,
)
from riskmodel.frames import first_occurrences

CROSSWALK_COLUMNS = [
    "source_table",
    "source_key",
    "column",
    "raw_value",
    "person_id",
    "method",
    "score",
    "reason",
]

# table columns that name a person: the ID column and, where the table has them, the
# columns that describe the same person
PERSON_REFERENCES: tuple[dict[str, str], ...] = (
    {
        "table": "payments",
        "id": "id_number",
        "name": "name",
        "village": "village_code",
        "household": "household_id",
    },
    {
        "table": "officials",
        "id": "id_number",
        "name": "name",
        "village": "village_code",
        "phone": "phone",
    },
    {"table": "accounts", "id": "holder_id_number", "name": "holder_name", "phone": "phone"},
    {"table": "relatives", "id": "id_number_a"},
    {"table": "relatives", "id": "id_number_b"},
    {"table": "filings", "id": "official_id_number"},
    {"table": "filings", "id": "id_number"},
    {"table": "company_people", "id": "id_number", "name": "name"},
    {"table": "companies", "id": "legal_rep_id", "name": "legal_rep_name", "phone": "phone"},
    {"table": "deaths", "id": "id_number", "name": "name"},
    {"table": "vehicles", "id": "id_number"},
    {"table": "properties", "id": "id_number"},
    {
        "table": "complaints",
        "id": "subject_id_number",
        "name": "subject_name",
        "village": "village_code",
    },
    {
        "table": "ledger",
        "id": "counterparty_id",
        "name": "counterparty_name",
        "village": "village_code",
    },
    {"table": "bids", "id": "manager_id"},
)

PERSON_COMPARISONS: tuple[Comparison, ...] = (
    Comparison("id", "id_digits", "id_number", label="身份证号"),
    Comparison("name", "chinese_name", "name_key", label="姓名"),
    Comparison("birth_date", "digits", "birth", label="出生日期"),
    Comparison("gender", "exact", "gender", label="性别"),
    Comparison("village", "exact", "village_code", label="所在村"),
    Comparison("household", "exact", "household_id", label="户编号"),
    Comparison("phone", "exact", "phone", label="电话"),
)

PERSON_BLOCKING: tuple[dict[str, Any], ...] = (
    {"variants": "id_number", "check_char": True},
    {"columns": ["pinyin", "village_code"]},
    {"columns": ["pinyin", "birth"]},
    {"columns": ["pinyin", "household_id"]},
    {"columns": ["phone"], "max_block": 20},
)

_EXACT = {"method": "exact_id", "reason": "身份证号与户籍一致"}


@dataclass(frozen=True)
class _Source:
    """One declared person reference: its table, the rows that name someone (positions)
    and their normalised ID numbers."""

    reference: Mapping[str, str]
    table: pd.DataFrame
    rows: np.ndarray
    ids: pa.Array

    def column(self, role: str) -> pd.Series | None:
        """The table column of ``role`` (name, village, …) on the referencing rows."""
        name = self.reference.get(role)
        if not name or name not in self.table.columns:
            return None
        return self.table[name].iloc[self.rows]


def _id_array(ids: pd.Series) -> pa.Array:
    return pc.utf8_upper(text_array(ids, len(ids), strip=True))


def _filled(values: pa.Array, ids: pa.Array, derive) -> pa.Array:
    """``values`` with the empty entries derived from the ID numbers of the same rows."""
    missing = pc.equal(values, "").to_numpy(zero_copy_only=False)
    if not missing.any():
        return values
    rows = np.flatnonzero(missing)
    derived = derive(pd.Series(pd.array(ids.take(rows), dtype="str")))
    return pc.replace_with_mask(values, missing, text_array(derived, len(rows)))


def _person_columns(
    ids: pd.Series,
    names: pd.Series | None,
    village: pd.Series | None,
    household: pd.Series | None,
    phone: pd.Series | None,
    birth: pd.Series | None = None,
    gender: pd.Series | None = None,
    from_id: bool = False,
) -> dict[str, pa.Array]:
    """The comparable fields of a set of person records, as Arrow strings.

    ``from_id``: fill birth date and sex from the ID number. Done for the register only: on
    a reference they would repeat the evidence of the (possibly mistyped) ID comparison.
    """
    length = len(ids)
    id_text = _id_array(ids)
    name, pinyin, name_key = name_arrays(names, length)
    birth_text = date_array(birth) if birth is not None else empty_array(length)
    gender_text = text_array(gender, length, strip=True)
    known = pc.is_in(gender_text, value_set=pa.array(["男", "女"], type=gender_text.type))
    gender_text = pc.if_else(known, gender_text, pa.scalar("", type=gender_text.type))
    if from_id:
        birth_text = _filled(birth_text, id_text, birth_from_id)
        gender_text = _filled(gender_text, id_text, gender_from_id)
    return {
        "id_number": id_text,
        "name": name,
        "pinyin": pinyin,
        "name_key": name_key,
        "birth": birth_text,
        "gender": gender_text,
        "village_code": text_array(village, length, strip=True),
        "household_id": text_array(household, length, strip=True),
        "phone": digits_array(phone, length),
    }


def _string_frame(columns: Mapping[str, pa.Array]) -> pd.DataFrame:
    """A frame of ``str`` columns straight from Arrow arrays (no Python strings)."""
    return pd.DataFrame({name: pd.array(array, dtype="str") for name, array in columns.items()})


def _first_rows(ids: pd.Series) -> np.ndarray:
    """Positions of the first row of each non-empty value, in order."""
    encoded = pc.dictionary_encode(text_array(ids, len(ids)))
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    first = np.flatnonzero(first_occurrences(codes))
    empty = pc.equal(encoded.dictionary, "").to_numpy(zero_copy_only=False)
    return first[~empty[codes[first]]]


def register_frame(residents: pd.DataFrame) -> pd.DataFrame:
    """The register side of resolution: one row per resident ID."""
    rows = _first_rows(residents["id_number"])

    def column(name: str) -> pd.Series | None:
        return residents[name].iloc[rows] if name in residents.columns else None

    columns = _person_columns(
        residents["id_number"].iloc[rows],
        column("name"),
        column("village_code"),
        column("household_id"),
        column("phone"),
        column("birth_date"),
        column("gender"),
        from_id=True,
    )
    return _string_frame(columns)


def _sources(tables: Mapping[str, pd.DataFrame]) -> list[_Source]:
    """Every declared person reference present in ``tables`` with its referencing rows:
    those with an ID number or a name (ledger: not a firm's or unit's credit code)."""
    sources = []
    for reference in PERSON_REFERENCES:
        table = tables.get(reference["table"])
        if table is None or reference["id"] not in table.columns or table.empty:
            continue
        ids = _id_array(table[reference["id"]])
        named = pc.not_equal(ids, "").to_numpy(zero_copy_only=False)
        nameless = np.flatnonzero(~named)
        if len(nameless) and reference.get("name") in table.columns:
            names = normalised_array(table[reference["name"]].iloc[nameless])
            named[nameless] = pc.not_equal(names, "").to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(named)
        if reference["table"] == "ledger":
            rows = rows[_looks_like_person(ids.take(rows))]
        sources.append(_Source(reference, table, rows, ids.take(rows)))
    return sources


def _looks_like_person(ids: pa.Array) -> np.ndarray:
    """Resident-ID-shaped values (or empty): excludes credit codes of firms and units."""
    from riskmodel.ids import is_valid_credit_code

    shaped = pc.match_substring_regex(ids, r"^[0-9]{17}[0-9X]$").to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(shaped)
    candidates = ids.take(rows)
    undated = birth_from_id(pd.Series(pd.array(candidates, dtype="str"))) == ""
    codes = pc.unique(candidates.filter(pa.array(undated.to_numpy(dtype=bool))))
    credit = [value for value in codes.to_pylist() if is_valid_credit_code(value)]
    is_credit = pc.is_in(ids, value_set=pa.array(credit, type=ids.type))
    empty = pc.equal(ids, "").to_numpy(zero_copy_only=False)
    return empty | (shaped & ~is_credit.to_numpy(zero_copy_only=False))


def _pending_frame(sources: list[_Source], pending: np.ndarray) -> pd.DataFrame:
    """The comparable fields of the references without an exact ID match, in order."""
    parts: list[dict[str, pa.Array]] = []
    start = 0
    for source in sources:
        stop = start + len(source.rows)
        chosen = pending[start:stop]
        start = stop
        if not chosen.any():
            continue
        subset = _Source(source.reference, source.table, source.rows[chosen], source.ids)
        parts.append(
            _person_columns(
                subset.column("id"),
                subset.column("name"),
                subset.column("village"),
                subset.column("household"),
                subset.column("phone"),
            )
        )
    return _string_frame({name: pa.concat_arrays([p[name] for p in parts]) for name in parts[0]})


def _source_columns(sources: list[_Source]) -> dict[str, pa.Array]:
    """``source_table``, ``column``, ``source_key`` and ``raw_value`` of every reference."""
    which = np.repeat(np.arange(len(sources)), [len(s.rows) for s in sources])
    keys, raw = [], []
    for source in sources:
        table, rows = source.table, source.rows
        if "_key" in table:
            key = table["_key"].iloc[rows].astype(str)
        else:
            key = pd.Series([f"{source.reference['table']}:{i + 2}" for i in rows], dtype=str)
        keys.append(pa.array(key.array).cast(pa.large_string()))
        raw.append(text_array(table[source.reference["id"]].iloc[rows], len(rows)))
    tables = pa.array([s.reference["table"] for s in sources], type=pa.large_string())
    columns = pa.array([s.reference["id"] for s in sources], type=pa.large_string())
    return {
        "source_table": tables.take(which),
        "column": columns.take(which),
        "source_key": pa.concat_arrays([k.combine_chunks() for k in map(pa.chunked_array, keys)]),
        "raw_value": pa.concat_arrays(raw),
    }


def entity_settings(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``entities`` settings of a full configuration (packaged defaults if None)."""
    if config is None or "entities" not in config:
        from riskmodel.config import load_config

        config = load_config()
    return config["entities"]


_FIELDS = [
    "id_number",
    "name",
    "pinyin",
    "name_key",
    "birth",
    "gender",
    "village_code",
    "household_id",
    "phone",
]


def resolve_people(
    tables: Mapping[str, pd.DataFrame], config: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """Resolve every person reference of every table to a resident ID.

    Parameters
    ----------
    tables : mapping of table name → DataFrame
        Loaded tables; ``residents`` is the register.
    config : mapping, optional
        Full configuration (``entities`` settings: weights, prior, threshold, margin).

    Returns
    -------
    DataFrame
        The crosswalk: ``source_table``, ``source_key``, ``column``, ``raw_value``,
        ``person_id`` (the resident's ID; the raw value when unmatched), ``method``
        (``exact_id`` | ``fuzzy`` | ``unmatched``), ``score`` (0–1), ``reason`` (Chinese;
        ID numbers masked).
    """
    settings = entity_settings(config)
    sources = _sources(tables)
    if not sum(len(source.rows) for source in sources):
        return pd.DataFrame({c: pd.Series(dtype=str) for c in CROSSWALK_COLUMNS})
    register = register_frame(tables["residents"])
    ids = pa.concat_arrays([source.ids for source in sources])
    known = _combined_ids(register["id_number"])
    pending = ~pc.is_in(ids, value_set=known).to_numpy(zero_copy_only=False)
    # every pending reference → its distinct record (0 = exact ID, k ≥ 1 = outcome row k - 1)
    record = np.zeros(len(ids), dtype=np.int64)
    outcome = pd.DataFrame(columns=["person_id", "method", "score", "reason"])
    if pending.any():
        references = _pending_frame(sources, pending)
        distinct = references.drop_duplicates(_FIELDS).reset_index(drop=True)
        links = link_records(
            distinct,
            register,
            PERSON_COMPARISONS,
            PERSON_BLOCKING,
            settings["weights"],
            prior=float(settings["prior"]),
            threshold=float(settings["threshold"]),
            margin=float(settings["margin"]),
        )
        outcome = _outcomes(distinct, register, links)
        record[pending] = references.groupby(_FIELDS, sort=False).ngroup().to_numpy() + 1
    columns = _source_columns(sources)
    columns["person_id"] = ids
    if pending.any():
        person = pa.array(outcome["person_id"].to_numpy(dtype=object), type=pa.large_string())
        columns["person_id"] = pc.replace_with_mask(ids, pending, person.take(record[pending] - 1))
    for column in ("method", "reason"):
        values = [_EXACT[column], *outcome[column].to_numpy(dtype=object)]
        columns[column] = pa.array(values, type=pa.large_string()).take(record)
    crosswalk = _string_frame(columns)
    scores = np.concatenate([[1.0], outcome["score"].to_numpy(dtype=float)])
    crosswalk["score"] = scores[record]
    return crosswalk[CROSSWALK_COLUMNS]


def _combined_ids(ids: pd.Series) -> pa.Array:
    array = pa.array(ids.array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _outcomes(distinct: pd.DataFrame, register: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """person_id, method, score, reason for every distinct pending record."""
    from riskmodel.ids import mask_id

    outcome = distinct.copy()
    outcome["person_id"] = outcome["id_number"]
    outcome["method"] = "unmatched"
    outcome["score"] = 0.0
    outcome["reason"] = np.where(
        outcome["id_number"] == "",
        "无身份证号，未找到可靠匹配",
        "户籍中无此身份证号，未找到可靠匹配",
    )
    if links.empty:
        return outcome
    rows = links["left"].to_numpy()
    target = register["id_number"].to_numpy()[links["right"].to_numpy()]
    best_score = links["probability"].to_numpy()
    linked = links["is_link"].to_numpy()
    ambiguous = links["ambiguous"].to_numpy()
    reasons = links["reason"].to_numpy()
    outcome.loc[rows, "score"] = best_score
    masked = np.array([mask_id(t) for t in target[linked]], dtype=object)
    outcome.loc[rows[linked], "person_id"] = target[linked]
    outcome.loc[rows[linked], "method"] = "fuzzy"
    outcome.loc[rows[linked], "reason"] = [
        f"匹配户籍人员 {m}：{r}" for m, r in zip(masked, reasons[linked], strict=True)
    ]
    weak = ~linked & ~ambiguous
    outcome.loc[rows[weak], "reason"] = [
        f"最接近的户籍人员匹配度不足（{p:.2f}）：{r}"
        for p, r in zip(best_score[weak], reasons[weak], strict=True)
    ]
    outcome.loc[rows[ambiguous], "reason"] = "多个户籍人员同样接近，未自动关联"
    return outcome


def attach_person_ids(
    frame: pd.DataFrame, crosswalk: pd.DataFrame, table: str, column: str = "id_number"
) -> pd.DataFrame:
    """Return ``frame`` with a ``person_id`` column from the crosswalk.

    Rows are matched on ``_key``; rows without a crosswalk entry keep their own ``column``
    value.
    """
    result = frame.copy()
    own = (
        frame[column].astype(object).where(frame[column].notna(), "").astype(str)
        if column in frame
        else pd.Series("", index=frame.index)
    )
    if "_key" not in frame.columns or crosswalk.empty:
        result["person_id"] = own
        return result
    links = crosswalk[(crosswalk["source_table"] == table) & (crosswalk["column"] == column)]
    mapping = links.drop_duplicates("source_key").set_index("source_key")["person_id"]
    person = frame["_key"].astype(str).map(mapping)
    result["person_id"] = person.where(person.notna(), own).astype(str)
    return result


def data_quality_findings(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Fuzzy links as data-quality rows: ``file``, ``line``, ``table``, ``column``, ``value``,
    ``problem`` (the linked ID masked)."""
    from riskmodel.ids import mask_id

    fuzzy = crosswalk[crosswalk["method"] == "fuzzy"]
    file_line = fuzzy["source_key"].str.rsplit(":", n=1, expand=True)
    if fuzzy.empty:
        return pd.DataFrame(columns=["file", "line", "table", "column", "value", "problem"])
    return pd.DataFrame(
        {
            "file": file_line[0].to_numpy(),
            "line": pd.to_numeric(file_line[1], errors="coerce").to_numpy(),
            "table": fuzzy["source_table"].to_numpy(),
            "column": fuzzy["column"].to_numpy(),
            "value": fuzzy["raw_value"].to_numpy(),
            "problem": [
                f"证件号疑似录入错误，应为户籍人员 {mask_id(p)}（{r.split('：', 1)[-1]}；"
                f"匹配度 {s:.2f}）"
                for p, r, s in zip(fuzzy["person_id"], fuzzy["reason"], fuzzy["score"], strict=True)
            ],
        }
    )
