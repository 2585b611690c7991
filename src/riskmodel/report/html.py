"""``report.html``: one self-contained file for the leadership (no network needed).

Charts are inline base64 PNGs, the CJK font is an embedded subset (``@font-face`` with a
data URL) so Chinese shows on a machine without any CJK font, the only script is inline.
Sections: the county at a glance (leads by severity and triage, amount at risk, village ×
program heat map), the ranked leads with their reasons, relationship views of the top cases,
village and program scores, and what the run read.
"""

from __future__ import annotations

import html
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodel.leads import total_amount_at_risk
from riskmodel.report import charts
from riskmodel.report.fonts import FONT_FAMILY, font_face_css
from riskmodel.report.identifiers import identifier_mode, protect_frame, protect_text
from riskmodel.report.workbook import ENTITY_TYPES_ZH, HEADERS, STATUS_ZH

LEAD_COLUMNS = (
    "rank",
    "severity",
    "score",
    "entity_type",
    "entity_name",
    "entity_id",
    "village_code",
    "triage",
    "rule_ids",
    "reasons",
    "amount_at_risk",
    "status",
)
TEXT_COLUMNS = {"reasons", "detail", "mitigation", "fields"}
CASE_EVIDENCE_COLUMNS = (
    "rule_id",
    "entity_id",
    "detail",
    "amount_at_risk",
    "source_table",
    "source_key",
)
CSS = """
body{font-family:'%s',sans-serif;margin:0;color:#222;background:#f7f7f5}
header{background:#8e1b1b;color:#fff;padding:18px 32px}
header h1{margin:0 0 6px 0;font-size:26px}
main{padding:16px 32px;max-width:1400px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 20px;margin:16px 0}
.kpis{display:flex;gap:16px;flex-wrap:wrap}
.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 18px;min-width:140px}
.kpi b{display:block;font-size:24px}
.sev-高{color:#c0392b;font-weight:bold}.sev-中{color:#d35400}.sev-低{color:#7f8c8d}
table{border-collapse:collapse;font-size:13px;width:100%%}
th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left;white-space:nowrap}
td.text{white-space:normal;min-width:320px}
th{background:#f0e6e6;position:sticky;top:0}
td.num{text-align:right;white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts img{max-width:100%%}
.filters button{margin-right:6px;padding:3px 12px;font-family:inherit}
.case{display:flex;gap:16px;flex-wrap:wrap;border-top:1px solid #eee;padding-top:8px}
.note{color:#666;font-size:12px}
"""
SCRIPT = """
(function(){
  var rows=document.querySelectorAll('#leads tbody tr');
  var label=document.getElementById('lead-count');
  function show(sev){
    var n=0;
    rows.forEach(function(r){var ok=(sev==='全部'||r.dataset.severity===sev);
      r.style.display=ok?'':'none'; if(ok){n++;}});
    label.textContent='当前显示 '+n+' 条线索（'+sev+'）';
  }
  document.querySelectorAll('.filters button').forEach(function(b){
    b.addEventListener('click',function(){show(b.dataset.severity);});});
  show('全部');
  document.body.dataset.ready='yes';
  if(document.fonts){document.fonts.ready.then(function(){
    document.body.dataset.cjkFont=document.fonts.check("16px %s","线索")?'loaded':'missing';});}
})();
"""


def _e(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _money(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return _e(value)


def _table(frame: pd.DataFrame, table_id: str = "", row_attr: str | None = None) -> str:
    head = "".join(f"<th>{_e(HEADERS.get(c, c))}</th>" for c in frame.columns)
    body = []
    for record in frame.itertuples(index=False):
        values = dict(zip(frame.columns, record, strict=True))
        attr = f' data-severity="{_e(values.get(row_attr))}"' if row_attr else ""
        cells = []
        for column, value in values.items():
            if column in {"amount_at_risk", "amount"}:
                cells.append(f'<td class="num">{_money(value)}</td>')
            elif column == "score":
                cells.append(f'<td class="num">{_e(round(float(value), 1))}</td>')
            elif column in TEXT_COLUMNS:
                cells.append(f'<td class="text">{_e(value)}</td>')
            elif column == "severity":
                cells.append(f'<td class="sev-{_e(value)}">{_e(value)}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append(f"<tr{attr}>{''.join(cells)}</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _short_keys(keys: Any, limit: int = 3) -> str:
    """``a;b;c;d;e`` → ``a；b；c 等 5 行`` (the evidence file has them all)."""
    parts = [k for k in str(keys or "").split(";") if k]
    if len(parts) <= limit:
        return "；".join(parts)
    return "；".join(parts[:limit]) + f" 等 {len(parts)} 行"


def _img(figure: Any, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{charts.figure_png_base64(figure)}">'


def relationship_svg(center: str, center_label: str, neighbours: list[tuple[str, str]]) -> str:
    """An inline SVG star: the lead's entity in the middle, its related entities around it.

    ``neighbours`` holds ``(label, edge label)`` pairs; labels are shown as given (mask
    them before calling).
    """
    width, height, radius = 520, 360, 130
    cx, cy = width / 2, height / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(center_label)} 关系图">'
    ]
    count = max(len(neighbours), 1)
    for index, (label, edge) in enumerate(neighbours):
        angle = 2 * math.pi * index / count - math.pi / 2
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        parts.append(
            f'<line x1="{cx:.0f}" y1="{cy:.0f}" x2="{x:.0f}" y2="{y:.0f}" '
            'stroke="#999" stroke-width="1.5"/>'
        )
        mx, my = (cx + x) / 2, (cy + y) / 2
        parts.append(
            f'<text x="{mx:.0f}" y="{my:.0f}" font-size="10" fill="#8e1b1b" '
            f'text-anchor="middle">{_e(edge)}</text>'
        )
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="7" fill="#e67e22"/>')
        parts.append(
            f'<text x="{x:.0f}" y="{y + 20:.0f}" font-size="11" '
            f'text-anchor="middle">{_e(label)}</text>'
        )
    parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="12" fill="#c0392b"/>')
    parts.append(
        f'<text x="{cx:.0f}" y="{cy - 18:.0f}" font-size="13" font-weight="bold" '
        f'text-anchor="middle">{_e(center_label)}</text>'
    )
    parts.append("</svg>")
    del center
    return "".join(parts)


KIND_COLOURS = {
    "person": "#e67e22",
    "household": "#16a085",
    "account": "#2980b9",
    "company": "#8e44ad",
    "project": "#2c3e50",
    "village": "#7f8c8d",
    "program": "#27ae60",
}
# lead entity type → graph node kind (officials are people in the graph)
NODE_KIND_OF = {"official": "person", "payee": "person"}


TOP_CASES = 5
"""Leads whose relationship views the report draws."""


def case_centres(leads: pd.DataFrame, top_cases: int = TOP_CASES) -> list[str]:
    """Graph nodes of the leads whose relationship views the report draws (the top cases)."""
    if not len(leads) or not {"entity_type", "entity_id"} <= set(leads.columns):
        return []
    ranked = leads.sort_values("rank") if "rank" in leads.columns else leads
    return [
        f"{NODE_KIND_OF.get(str(kind), str(kind))}:{entity}"
        for kind, entity in zip(
            ranked["entity_type"].head(top_cases), ranked["entity_id"].head(top_cases), strict=True
        )
    ]


def graph_svg(graph: Any, lead: pd.Series, config: dict[str, Any], max_nodes: int = 25) -> str:
    """An inline SVG of the lead entity's ego network (2 hops) in the relationship graph.

    Returns ``""`` when the entity is not a node of ``graph``. Labels are the graph's
    display names (no full identifiers) passed once more through the privacy setting.
    """
    import networkx as nx

    from riskmodel.graph import ego_network
    from riskmodel.graph.queries import display_name, edge_label

    kind = NODE_KIND_OF.get(str(lead["entity_type"]), str(lead["entity_type"]))
    centre = f"{kind}:{lead['entity_id']}"
    if graph is None or centre not in graph:
        return ""
    ego = ego_network(graph, centre, radius=2, config=config, max_nodes=max_nodes)
    layout = nx.spring_layout(nx.Graph(ego), seed=1, k=1.2)
    width, height, margin = 640, 420, 60
    xs = [p[0] for p in layout.values()] or [0]
    ys = [p[1] for p in layout.values()] or [0]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1

    def place(node: str) -> tuple[float, float]:
        x, y = layout[node]
        return (
            margin + (x - min(xs)) / span_x * (width - 2 * margin),
            margin / 2 + (y - min(ys)) / span_y * (height - margin),
        )

    related = {
        f"{k}:{v}"
        for v in str(lead.get("related_ids") or "").split(";")
        if v
        for k in ("person", "account", "company", "household", "project")
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" class="ego">'
    ]
    drawn: set[tuple[str, str]] = set()
    for a, b, key in ego.edges(keys=True):
        if (a, b) in drawn or (b, a) in drawn:
            continue
        drawn.add((a, b))
        (x1, y1), (x2, y2) = place(a), place(b)
        label = edge_label(ego, a, b, key)
        parts.append(
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" '
            'stroke="#aaa" stroke-width="1.2"/>'
        )
        parts.append(
            f'<text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2:.0f}" font-size="9" '
            f'fill="#8e1b1b" text-anchor="middle">{_e(label)}</text>'
        )
    for node, data in ego.nodes(data=True):
        x, y = place(node)
        colour = KIND_COLOURS.get(data.get("kind", ""), "#95a5a6")
        radius = 11 if node == centre else 7
        stroke = ' stroke="#c0392b" stroke-width="3"' if node in related else ""
        if node == centre:
            colour = "#c0392b"
        label = protect_text(display_name(graph, node), config)
        parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{radius}" fill="{colour}"{stroke}/>')
        parts.append(
            f'<text x="{x:.0f}" y="{y + radius + 11:.0f}" font-size="10" '
            f'text-anchor="middle">{_e(label[:24])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _case_view(lead: pd.Series, evidence: pd.DataFrame, graph: Any, config: dict[str, Any]) -> str:
    """One top case: its relationship view and its evidence rows."""
    fragment = graph_svg(graph, lead, config) if graph is not None else ""
    if not fragment:
        related = [r for r in str(lead.get("related_ids") or "").split(";") if r]
        neighbours = [(protect_text(r, config), "关联") for r in related[:12]]
        label = f"{lead.get('entity_name') or ''} {protect_text(str(lead['entity_id']), config)}"
        fragment = relationship_svg(str(lead["entity_id"]), label.strip(), neighbours)
    rows = evidence[evidence["lead_id"] == lead["lead_id"]].head(20) if len(evidence) else evidence
    rows = rows[[c for c in CASE_EVIDENCE_COLUMNS if c in rows.columns]].copy()
    if "source_key" in rows.columns:
        rows["source_key"] = rows["source_key"].map(_short_keys)
    shown = protect_frame(rows, config)
    kind = ENTITY_TYPES_ZH.get(lead["entity_type"], lead["entity_type"])
    reasons = protect_text(str(lead.get("reasons", "")), config)
    title = (
        f"第 {_e(lead.get('rank'))} 名 · {_e(kind)} "
        f"{_e(lead.get('entity_name'))} · 分值 {_e(round(float(lead['score']), 1))} · "
        f"涉及金额 {_money(lead.get('amount_at_risk'))} 元"
    )
    return (
        f'<div class="case"><div><h3>{title}</h3><p>{_e(reasons)}</p>'
        f"{fragment}</div><div style='flex:1;min-width:400px'>{_table(shown)}</div></div>"
    )


def write_report(
    path: str | Path,
    leads: pd.DataFrame,
    evidence: pd.DataFrame,
    config: dict[str, Any],
    *,
    payments: pd.DataFrame | None = None,
    villages: pd.DataFrame | None = None,
    scores: dict[str, pd.DataFrame] | None = None,
    run_info: dict[str, Any] | None = None,
    rule_status: pd.DataFrame | None = None,
    graph: Any = None,
    top_leads: int = 200,
    top_cases: int = TOP_CASES,
) -> Path:
    """Write the self-contained HTML report to ``path``; return it.

    Parameters
    ----------
    leads, evidence
        The run's leads and evidence (CONTRACT §3).
    config
        The run's configuration (privacy setting).
    payments, villages
        For the village × program heat map and village names (optional).
    scores
        ``{"villages": …, "programs": …}`` score tables (optional).
    run_info
        Chinese label → value shown in the header (period, theme, data folder, …).
    rule_status
        The rule runner's status table (ran/skipped/failed) for the closing section.
    graph
        The relationship graph, for the relationship views of the top cases.
    """
    run_info = dict(run_info or {})
    names = charts.village_names(villages)
    leads = leads.sort_values("rank") if "rank" in leads.columns else leads
    total_amount = total_amount_at_risk(leads, evidence)
    severity_counts = leads["severity"].value_counts() if len(leads) else pd.Series(dtype=int)
    kpis = [("线索总数", f"{len(leads):,}"), ("涉及金额（万元）", f"{total_amount / 10_000:,.2f}")]
    kpis += [(f"{s}风险", f"{int(severity_counts.get(s, 0)):,}") for s in charts.SEVERITY_ORDER]
    if "status" in leads.columns:
        kpis.append(("本期新增", f"{int((leads['status'] == 'new').sum()):,}"))

    figures = [_img(charts.leads_by_severity_chart(leads), "线索按风险等级与处置方式")]
    if len(leads) and "village_code" in leads.columns:
        figures.append(_img(charts.amount_by_village_chart(leads, villages), "涉及金额最多的村"))
    if payments is not None and len(leads) and "id_number" in payments.columns:
        heat = charts.heat_map_table(payments, leads, evidence)
        figures.append(_img(charts.heat_map_chart(heat, villages), "村 × 项目 线索分布"))

    shown = leads.head(top_leads).copy()
    columns = [c for c in LEAD_COLUMNS if c in shown.columns]
    shown = protect_frame(shown[columns], config)
    if "entity_type" in shown.columns:
        shown["entity_type"] = shown["entity_type"].map(lambda v: ENTITY_TYPES_ZH.get(v, v))
    if "status" in shown.columns:
        shown["status"] = shown["status"].map(lambda v: STATUS_ZH.get(v, v))
    if "village_code" in shown.columns and names:
        shown["village_code"] = shown["village_code"].map(lambda v: names.get(v, v))
        shown = shown.rename(columns={"village_code": "village_name"})
    buttons = "".join(
        f'<button data-severity="{s}">{s}</button>' for s in ("全部", *charts.SEVERITY_ORDER)
    )
    cases = "".join(
        _case_view(lead, evidence, graph, config) for _, lead in leads.head(top_cases).iterrows()
    )
    score_sections = ""
    for key, title in (("villages", "村风险排名"), ("programs", "补贴项目风险排名")):
        table = (scores or {}).get(key)
        if table is not None and len(table):
            keep = [
                c
                for c in ("rank", "entity_id", "village_code", "program_code", "score", "reasons")
                if c in table.columns
            ]
            ranked = protect_frame(
                table.sort_values("score", ascending=False).head(20)[keep], config
            )
            score_sections += f"<h3>{title}</h3>{_table(ranked)}"
    status_section = ""
    if rule_status is not None and len(rule_status):
        counts = rule_status["status"].value_counts()
        status_section = (
            f"<p>规则：运行 {int(counts.get('ran', 0))} 条，因缺少数据跳过 "
            f"{int(counts.get('skipped', 0))} 条，出错 {int(counts.get('failed', 0))} 条。</p>"
        )
        status_columns = [
            c
            for c in ("rule_id", "title", "status", "reason", "findings")
            if c in rule_status.columns
        ]
        status_section += _table(rule_status[status_columns])
    mode = {"full": "完整显示", "masked": "已脱敏", "pseudonymised": "已假名化"}[
        identifier_mode(config)
    ]
    run_info.setdefault("生成时间", datetime.now().strftime("%Y-%m-%d %H:%M"))
    run_info["证件号与账号"] = mode
    theme = run_info.pop("专题", "")
    info = " · ".join(f"{_e(k)}：{_e(v)}" for k, v in run_info.items())
    theme_line = f"<p>本期专题（一季一专题）：{_e(theme)}</p>" if theme else ""

    body = f"""
<header><h1>补贴资金风险线索报告</h1><div>{info}</div>{theme_line}</header>
<main>
<section id="overview"><h2>总体情况</h2>
<div class="kpis">{"".join(f'<div class="kpi">{_e(k)}<b>{_e(v)}</b></div>' for k, v in kpis)}</div>
<div class="charts">{"".join(figures)}</div></section>
<section id="ranking"><h2>线索排名</h2>
<p class="note">线索是需要人工核实的疑点提示，不是结论。</p>
<div class="filters">{buttons}</div><p id="lead-count">共 {len(shown)} 条线索</p>
{_table(shown, "leads", row_attr="severity")}</section>
<section id="cases"><h2>重点线索关系图</h2>{cases or "<p>本期无线索</p>"}</section>
<section id="scores"><h2>村与项目</h2>{score_sections or "<p>无评分</p>"}</section>
<section id="run"><h2>本次运行</h2>{status_section}</section>
</main>"""
    css = font_face_css(body + SCRIPT) + CSS % FONT_FAMILY
    document = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>补贴资金风险线索报告</title><style>{css}</style></head>"
        f"<body>{body}<script>{SCRIPT % FONT_FAMILY}</script></body></html>"
    )
    path = Path(path)
    path.write_text(document, encoding="utf-8")
    return path
