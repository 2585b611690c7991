"""Tiny literal tables for the rule tests (owned by the rules catalogue)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from riskmodel.config import load_config, override
from riskmodel.rules import RuleContext, get_rule
from riskmodel.rules.evidence import validate_evidence
from riskmodel.rules.runner import missing_inputs, run_rule
from riskmodel.schemas import get_table

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def pid(number: int, birth: str = "19700101", region: str = "430421") -> str:
    """A valid 18-character resident ID number (GB 11643 check digit)."""
    first17 = f"{region}{birth}{number % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def bad_id(number: int) -> str:
    """The ID of ``pid(number)`` with a wrong check digit."""
    good = pid(number)
    return good[:17] + ("0" if good[17] != "0" else "1")


def credit(body: str) -> str:
    """A unified social credit code with a correct check character (17-character body)."""
    from riskmodel.ids import credit_check_char

    return body + credit_check_char(body)


CREDIT = credit("91430421MA4L00001")
CREDIT2 = credit("91430421MA4L00002")
CREDIT3 = credit("91430421MA4L00003")
V1, V2, V3 = "430421100201", "430421100202", "430421100203"


def frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows of ``table`` as the loader would give them: typed columns and provenance."""
    declared = get_table(table)
    data = pd.DataFrame(rows)
    for column in data.columns:
        try:
            kind = declared.column(column).kind
        except KeyError:
            continue
        if kind == "date":
            data[column] = pd.to_datetime(data[column])
        elif kind in ("amount", "number", "ratio"):
            data[column] = pd.to_numeric(data[column]).astype("float64")
        else:
            data[column] = (
                data[column].astype("object").where(data[column].notna(), "").astype("str")
            )
    data["_file"] = f"{table}.csv"
    data["_line"] = range(2, len(data) + 2)
    data["_key"] = data["_file"] + ":" + data["_line"].astype(str)
    return data


def tables(**rows: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """``tables(payments=[...], residents=[...])`` → loaded-table dict."""
    return {name: frame(name, value) for name, value in rows.items()}


def run(
    rule_id: str,
    loaded: dict[str, pd.DataFrame],
    changes: dict[str, Any] | None = None,
    **context: Any,
) -> pd.DataFrame:
    """Run one rule on literal tables and return its validated evidence."""
    config = load_config()
    if changes:
        config = override(config, changes)
    rule = get_rule(rule_id)
    ctx = RuleContext(loaded, **context)
    missing = missing_inputs(rule, ctx)
    assert not missing, f"{rule_id} would be skipped: {missing}"
    return validate_evidence(run_rule(rule, ctx, config))


def person(number: int, household: str, village: str = V1, **extra: Any) -> dict[str, Any]:
    """A resident row."""
    row = {
        "id_number": pid(number),
        "name": f"人{number}",
        "household_id": household,
        "village_code": village,
        "relation": "户主",
    }
    row.update(extra)
    return row


def payment(
    number: int,
    program: str = "MZ01",
    amount: float = 480.0,
    day: str = "2024-03-10",
    village: str = V1,
    **extra: Any,
) -> dict[str, Any]:
    """A payment row for resident ``number``."""
    row = {
        "payment_id": f"P{number}-{day}-{program}-{amount}",
        "program_code": program,
        "program_name": PROGRAM_NAMES.get(program, program),
        "id_number": pid(number),
        "name": f"人{number}",
        "amount": amount,
        "pay_date": day,
        "village_code": village,
        "account_no": f"6217{number:08d}",
    }
    row.update(extra)
    return row


PROGRAM_NAMES = {
    "MZ01": "农村最低生活保障金",
    "MZ02": "特困人员救助供养金",
    "CL01": "困难残疾人生活补贴",
    "LY01": "生态护林员补助",
    "RS01": "乡村公益性岗位补贴",
    "NY01": "耕地地力保护补贴",
    "JY01": "雨露计划教育资助",
    "ZJ01": "农村危房改造补助",
    "MZ03": "高龄津贴(80-89岁)",
}

PROGRAMS = [
    {
        "program_code": "MZ01",
        "program_name": "农村最低生活保障金",
        "standard_amount": 480.0,
        "period": "月",
        "unit": "人",
    },
    {
        "program_code": "MZ02",
        "program_name": "特困人员救助供养金",
        "standard_amount": 760.0,
        "period": "月",
        "unit": "人",
    },
    {
        "program_code": "CL01",
        "program_name": "困难残疾人生活补贴",
        "standard_amount": 70.0,
        "period": "月",
        "unit": "人",
    },
    {
        "program_code": "NY01",
        "program_name": "耕地地力保护补贴",
        "standard_amount": 105.36,
        "period": "年",
        "unit": "亩",
    },
    {
        "program_code": "ZJ01",
        "program_name": "农村危房改造补助",
        "standard_amount": 30000.0,
        "period": "一次性",
        "unit": "户",
    },
]


def cadre(
    number: int,
    village: str = V1,
    start: str = "2021-01-01",
    end: Any = None,
    category: str = "村干部",
    **extra: Any,
) -> dict[str, Any]:
    """An officials row."""
    row = {
        "id_number": pid(number),
        "name": f"人{number}",
        "category": category,
        "position": "党支部书记",
        "village_code": village,
        "start_date": start,
        "end_date": end,
    }
    row.update(extra)
    return row
