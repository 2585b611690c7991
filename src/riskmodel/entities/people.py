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
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.entities.comparisons import Comparison
from riskmodel.entities.engine import link_records
from riskmodel.entities.normalise import (
    birth_from_id,
    date_text,
    digits_only,
    gender_from_id,
    normalise_names,
    pinyin_keys,
)
from riskmodel.frames import isin

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

_METHOD_TEXT = {"exact_id": "身份证号与户籍一致"}


def _person_frame(
    ids: pd.Series,
    names: pd.Series | None,
    village: pd.Series | None,
    household: pd.Series | None,
    phone: pd.Series | None,
    birth: pd.Series | None = None,
    gender: pd.Series | None = None,
    from_id: bool = False,
) -> pd.DataFrame:
    """The comparable fields of a set of person records.

    ``from_id``: fill birth date and sex from the ID number. Done for the register only: on
    a reference they would repeat the evidence of the (possibly mistyped) ID comparison.
    """
    index = ids.index
    empty = pd.Series("", index=index, dtype=object)

    def text(values: pd.Series | None) -> pd.Series:
        if values is None:
            return empty
        return values.astype(object).where(values.notna(), "").astype(str).str.strip()

    id_text = text(ids).str.upper()
    name = normalise_names(names) if names is not None else empty
    pinyin = pinyin_keys(name)
    birth_text = date_text(birth) if birth is not None else empty
    gender_text = text(gender).where(text(gender).isin(["男", "女"]), "")
    if from_id:
        birth_text = birth_text.where(birth_text != "", birth_from_id(id_text))
        gender_text = gender_text.where(gender_text != "", gender_from_id(id_text))
    return pd.DataFrame(
        {
            "id_number": id_text,
            "name": name,
            "pinyin": pinyin,
            "name_key": name + "|" + pinyin,
            "birth": birth_text,
            "gender": gender_text,
            "village_code": text(village),
            "household_id": text(household),
            "phone": digits_only(phone) if phone is not None else empty,
        },
        index=index,
    )


def register_frame(residents: pd.DataFrame) -> pd.DataFrame:
    """The register side of resolution: one row per resident ID."""
    residents = residents[residents["id_number"].notna() & (residents["id_number"] != "")]
    residents = residents.drop_duplicates("id_number")

    def column(name: str) -> pd.Series | None:
        return residents.get(name)

    frame = _person_frame(
        residents["id_number"],
        column("name"),
        column("village_code"),
        column("household_id"),
        column("phone"),
        column("birth_date"),
        column("gender"),
        from_id=True,
    )
    return frame.reset_index(drop=True)


def _references(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """All person references of all tables, one row per (table, row, column)."""
    parts = []
    for reference in PERSON_REFERENCES:
        table = tables.get(reference["table"])
        if table is None or reference["id"] not in table.columns or table.empty:
            continue

        def column(role: str, table=table, reference=reference) -> pd.Series | None:
            name = reference.get(role)
            return table[name] if name and name in table.columns else None

        frame = _person_frame(
            table[reference["id"]],
            column("name"),
            column("village"),
            column("household"),
            column("phone"),
        )
        frame["source_table"] = reference["table"]
        frame["column"] = reference["id"]
        frame["source_key"] = (
            table["_key"].astype(str)
            if "_key" in table
            else pd.Series(
                [f"{reference['table']}:{i + 2}" for i in range(len(table))], index=table.index
            )
        )
        frame["raw_value"] = (
            table[reference["id"]]
            .astype(object)
            .where(table[reference["id"]].notna(), "")
            .astype(str)
        )
        frame = frame[(frame["id_number"] != "") | (frame["name"] != "")]
        if reference["table"] == "ledger":
            frame = frame[_looks_like_person(frame["id_number"])]
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["source_table", "column", "source_key", "raw_value"])
    return pd.concat(parts, ignore_index=True)


def _looks_like_person(ids: pd.Series) -> pd.Series:
    """Resident-ID-shaped values (or empty): excludes credit codes of firms and units."""
    from riskmodel.ids import is_valid_credit_code

    shaped = ids.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False)
    codes = ids[shaped.to_numpy() & (birth_from_id(ids) == "").to_numpy()]
    credit = {value: is_valid_credit_code(value) for value in pd.unique(codes)}
    is_credit = ids.map(lambda value: credit.get(value, False)).astype(bool)
    return (ids == "") | (shaped & ~is_credit)


def entity_settings(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``entities`` settings of a full configuration (packaged defaults if None)."""
    if config is None or "entities" not in config:
        from riskmodel.config import load_config

        config = load_config()
    return config["entities"]


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
    references = _references(tables)
    if references.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in CROSSWALK_COLUMNS})
    register = register_frame(tables["residents"])
    known = pd.Index(register["id_number"])
    exact = isin(references["id_number"], known)

    crosswalk = pd.DataFrame(
        {
            "source_table": references["source_table"].to_numpy(),
            "source_key": references["source_key"].to_numpy(),
            "column": references["column"].to_numpy(),
            "raw_value": references["raw_value"].to_numpy(),
            "person_id": references["id_number"].to_numpy(),
            "method": np.where(exact, "exact_id", "unmatched"),
            "score": np.where(exact, 1.0, 0.0),
            "reason": np.where(exact, _METHOD_TEXT["exact_id"], ""),
        }
    )
    pending = references[~exact]
    if not pending.empty:
        fields = [
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
        distinct = pending[fields].drop_duplicates().reset_index(drop=True)
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
        merged = pending[fields].merge(outcome, on=fields, how="left")
        rows = np.flatnonzero(~exact)
        crosswalk.loc[rows, "person_id"] = merged["person_id"].to_numpy()
        crosswalk.loc[rows, "method"] = merged["method"].to_numpy()
        crosswalk.loc[rows, "score"] = merged["score"].to_numpy()
        crosswalk.loc[rows, "reason"] = merged["reason"].to_numpy()
    crosswalk["score"] = crosswalk["score"].astype(float)
    for column in CROSSWALK_COLUMNS:
        if column != "score":
            crosswalk[column] = crosswalk[column].astype(str)
    return crosswalk[CROSSWALK_COLUMNS]


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
