"""``leads.xlsx``: the workbook handed to an inspection team (summary, leads, evidence).

Chinese headers, a frozen header row, filters, column widths fitted to the content, amounts
as money; ID and account numbers follow the privacy setting (masked by default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from riskmodel.leads import total_amount_at_risk
from riskmodel.report.identifiers import identifier_mode, protect_frame

# canonical column → Chinese header (columns not listed keep their name)
HEADERS: dict[str, str] = {
    "lead_id": "线索编号",
    "rank": "排名",
    "entity_type": "对象类型",
    "entity_id": "对象标识",
    "entity_name": "对象名称",
    "village_code": "村代码",
    "village_name": "村",
    "town_name": "乡镇",
    "related_ids": "关联对象",
    "score": "风险分值",
    "severity": "风险等级",
    "triage": "建议处置",
    "rule_ids": "触发规则",
    "reasons": "疑点描述",
    "amount_at_risk": "涉及金额（元）",
    "evidence_count": "证据条数",
    "status": "本期状态",
    "rule_id": "规则编号",
    "source_table": "来源表",
    "source_key": "来源行",
    "fields": "触发字段",
    "detail": "疑点说明",
    "mitigation": "可能的合理解释",
    "official_id": "相关公职人员",
    "match_quality": "匹配质量",
    "entity": "对象",
}
ENTITY_TYPES_ZH = {
    "person": "个人",
    "household": "家庭户",
    "official": "公职人员",
    "account": "账户",
    "payee": "收款方",
    "company": "企业",
    "project": "项目",
    "village": "村",
    "program": "补贴项目",
}
STATUS_ZH = {"new": "新增", "persisting": "持续"}
MONEY_COLUMNS = {"amount_at_risk", "amount", "budget", "contract_amount"}
MAX_ROWS = 1_048_575
MAX_WIDTH = 60


def _width(series: pd.Series, header: str) -> float:
    sample = [*series.head(200).astype(str).tolist(), header]
    # a CJK character is about two Latin characters wide
    return min(MAX_WIDTH, max(sum(2 if ord(c) > 0x2E80 else 1 for c in s) for s in sample) + 2)


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, table: pd.DataFrame, formats: dict[str, Any]
) -> None:
    sheet = book.add_worksheet(name)
    table = table.head(MAX_ROWS)
    headers = [HEADERS.get(column, column) for column in table.columns]
    sheet.write_row(0, 0, headers, formats["header"])
    for index, column in enumerate(table.columns):
        series = table[column]
        cell_format = formats["money"] if column in MONEY_COLUMNS else formats["wrap"]
        if column == "score":
            cell_format = formats["score"]
        values = series.astype(object).where(series.notna(), None).tolist()
        if pd.api.types.is_datetime64_any_dtype(series):
            values = [v.strftime("%Y-%m-%d") if v is not None else None for v in values]
        sheet.write_column(1, index, values, cell_format)
        width = 40 if column in {"reasons", "detail", "fields", "mitigation"} else None
        sheet.set_column(index, index, width or _width(series, headers[index]))
    sheet.freeze_panes(1, 0)
    if len(table.columns):
        sheet.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)


def readable_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """Leads with Chinese entity types and statuses (for people, not for machines)."""
    shown = leads.copy()
    if "entity_type" in shown.columns:
        shown["entity_type"] = shown["entity_type"].map(lambda v: ENTITY_TYPES_ZH.get(v, v))
    if "status" in shown.columns:
        shown["status"] = shown["status"].map(lambda v: STATUS_ZH.get(v, v))
    return shown


def summary_table(
    leads: pd.DataFrame,
    run_info: dict[str, Any],
    config: dict[str, Any],
    evidence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of the summary sheet: run facts, then counts by severity, triage and status."""
    rows: list[tuple[str, Any]] = [(key, value) for key, value in run_info.items()]
    rows.append(
        (
            "证件号与账号显示方式",
            {"full": "完整", "masked": "脱敏", "pseudonymised": "假名化"}[identifier_mode(config)],
        )
    )
    rows.append(("线索总数", len(leads)))
    if "amount_at_risk" in leads.columns:
        total = total_amount_at_risk(leads, evidence)
        rows.append(("涉及金额合计（元，每项疑点只计一次）", round(total, 2)))
    for column, label in (("severity", "风险等级"), ("triage", "建议处置"), ("status", "本期状态")):
        if column in leads.columns:
            for value, count in leads[column].value_counts().items():
                rows.append((f"{label}：{STATUS_ZH.get(value, value)}", int(count)))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def write_workbook(
    path: str | Path,
    leads: pd.DataFrame,
    evidence: pd.DataFrame,
    config: dict[str, Any],
    run_info: dict[str, Any] | None = None,
) -> Path:
    """Write the inspection workbook to ``path``; return it.

    Parameters
    ----------
    leads, evidence
        ``leads.csv`` and ``evidence.csv`` of the run (CONTRACT §3).
    config
        The run's configuration: ``[privacy]`` decides how identifiers are shown.
    run_info
        Facts for the summary sheet (Chinese label → value), e.g. period and theme.
    """
    path = Path(path)
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "nan_inf_to_errors": True})
    formats = {
        "header": book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
        ),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "score": book.add_format({"num_format": "0.0"}),
        "wrap": book.add_format({"valign": "top"}),
    }
    summary = summary_table(leads, run_info or {}, config, evidence)
    _write_sheet(book, "汇总", summary, formats)
    _write_sheet(book, "线索清单", readable_leads(protect_frame(leads, config)), formats)
    _write_sheet(book, "证据明细", protect_frame(evidence, config), formats)
    book.close()
    return path
