"""Evidence rows: the one output format of every rule (docs/architecture.md, "Evidence")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

EVIDENCE_COLUMNS = (
    "rule_id",
    "entity_type",
    "entity_id",
    "entity_name",
    "village_code",
    "official_id",
    "related_ids",
    "source_table",
    "source_key",
    "amount_at_risk",
    "match_quality",
    "detail",
    "mitigation",
    "fields",
)
ENTITY_TYPES = (
    "person",
    "household",
    "official",
    "account",
    "payee",
    "company",
    "project",
    "village",
    "program",
)
_TEXT_COLUMNS = tuple(c for c in EVIDENCE_COLUMNS if c not in ("amount_at_risk", "match_quality"))
MAX_KEYS = 200
"""At most this many source keys are listed in one evidence row (the rest are counted)."""


class EvidenceError(ValueError):
    """An evidence frame does not conform to the evidence columns."""


def empty_evidence() -> pd.DataFrame:
    """An evidence frame with no rows and the right columns and dtypes."""
    frame = pd.DataFrame({column: pd.Series([], dtype="str") for column in _TEXT_COLUMNS})
    frame["amount_at_risk"] = pd.Series([], dtype="float64")
    frame["match_quality"] = pd.Series([], dtype="float64")
    return frame[list(EVIDENCE_COLUMNS)]


def _text(values: Any, length: int) -> pd.Series:
    if isinstance(values, pd.Series):
        series = values.reset_index(drop=True)
    elif isinstance(values, str) or values is None or np.isscalar(values):
        series = pd.Series([values] * length, dtype="object")
    else:
        series = pd.Series(list(values), dtype="object")
    return series.astype("object").where(series.notna(), "").astype("str")


def build_evidence(
    rows: pd.DataFrame,
    *,
    rule_id: str = "",
    entity_type: str | pd.Series,
    entity_id: str,
    source_table: str,
    source_key: str,
    detail: str,
    entity_name: str | None = None,
    village_code: str | None = None,
    official_id: str | None = None,
    related_ids: str | None = None,
    amount_at_risk: str | float | None = None,
    match_quality: str | float | None = 1.0,
    mitigation: str | None = None,
    fields: Sequence[str] = (),
) -> pd.DataFrame:
    """Turn a frame of findings into evidence rows.

    Each keyword names a column of ``rows`` (``entity_id="person_id"``); ``entity_type`` and
    ``source_table`` are literal values; ``amount_at_risk`` and ``match_quality`` may be a column
    name or a number; the other optional keywords may be omitted (empty). ``fields`` lists the
    columns of ``rows`` written as JSON into ``fields``.
    """
    length = len(rows)
    if length == 0:
        return empty_evidence()
    rows = rows.reset_index(drop=True)

    def column(name: str | None) -> pd.Series:
        if name is None:
            return pd.Series([""] * length, dtype="str")
        return _text(rows[name], length)

    def number(value: str | float | None, default: float) -> pd.Series:
        if value is None:
            return pd.Series(np.full(length, default), dtype="float64")
        if isinstance(value, str):
            return pd.to_numeric(rows[value], errors="coerce").fillna(default).astype("float64")
        return pd.Series(np.full(length, float(value)), dtype="float64")

    evidence = pd.DataFrame(
        {
            "rule_id": pd.Series([rule_id] * length, dtype="str"),
            "entity_type": _text(entity_type, length),
            "entity_id": column(entity_id),
            "entity_name": column(entity_name),
            "village_code": column(village_code),
            "official_id": column(official_id),
            "related_ids": column(related_ids),
            "source_table": pd.Series([source_table] * length, dtype="str"),
            "source_key": column(source_key),
            "amount_at_risk": number(amount_at_risk, 0.0).round(2),
            "match_quality": number(match_quality, 1.0).clip(0.0, 1.0),
            "detail": column(detail),
            "mitigation": column(mitigation),
            "fields": pd.Series(fields_json(rows, fields), dtype="str"),
        }
    )
    return evidence[list(EVIDENCE_COLUMNS)]


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else round(float(value), 4)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT:
        return None
    return value


def fields_json(rows: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """One JSON object per row with the values of ``fields`` (dates as ISO strings)."""
    if not fields:
        return ["{}"] * len(rows)
    columns = [rows[name].tolist() for name in fields]
    return [
        json.dumps(
            {name: _plain(value) for name, value in zip(fields, values, strict=True)},
            ensure_ascii=False,
            default=str,
        )
        for values in zip(*columns, strict=True)
    ]


def join_ids(values: Iterable[Any], limit: int = MAX_KEYS) -> str:
    """Join distinct non-empty values with ``;`` (sorted, at most ``limit`` then ``…+N``)."""
    unique = sorted({str(v) for v in values if v is not None and str(v) not in ("", "nan")})
    if len(unique) > limit:
        return ";".join(unique[:limit]) + f";…+{len(unique) - limit}"
    return ";".join(unique)


def validate_evidence(evidence: pd.DataFrame) -> pd.DataFrame:
    """Check that ``evidence`` has exactly the evidence columns and valid values.

    Raises
    ------
    EvidenceError
        Naming every problem found (columns, entity types, ranges).
    """
    problems: list[str] = []
    if tuple(evidence.columns) != EVIDENCE_COLUMNS:
        problems.append(f"columns {list(evidence.columns)} != {list(EVIDENCE_COLUMNS)}")
    else:
        bad_types = set(evidence["entity_type"]) - set(ENTITY_TYPES)
        if bad_types:
            problems.append(f"unknown entity_type {sorted(bad_types)}")
        if (evidence["entity_id"] == "").any():
            problems.append("empty entity_id")
        quality = evidence["match_quality"]
        if quality.isna().any() or (quality < 0).any() or (quality > 1).any():
            problems.append("match_quality outside 0–1")
        if evidence["amount_at_risk"].isna().any():
            problems.append("amount_at_risk has missing values")
        if (evidence["detail"] == "").any():
            problems.append("empty detail")
    if problems:
        raise EvidenceError("; ".join(problems))
    return evidence
