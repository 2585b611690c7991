"""Charts with Chinese labels for the notebooks and the report (matplotlib).

Each function takes the run's tables and returns a :class:`matplotlib.figure.Figure`;
:func:`figure_png_base64` turns one into an inline image for the self-contained report.
"""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from riskmodel.report.fonts import use_cjk_font
from riskmodel.report.places import village_names

SEVERITY_ORDER = ("高", "中", "低")
TRIAGE_ORDER = ("线索移交", "督促整改", "数据纠错")
SEVERITY_COLOURS = {"高": "#c0392b", "中": "#e67e22", "低": "#7f8c8d"}
TRIAGE_COLOURS = {"线索移交": "#c0392b", "督促整改": "#e67e22", "数据纠错": "#95a5a6"}


def figure_png_base64(figure: Figure, dpi: int = 110) -> str:
    """The figure as a base64 PNG (for ``<img src="data:image/png;base64,…">``); closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def leads_by_severity_chart(leads: pd.DataFrame) -> Figure:
    """Stacked bars: leads per severity, split by triage class."""
    use_cjk_font()
    figure, axes = plt.subplots(figsize=(6, 3.2))
    if leads.empty:
        axes.text(0.5, 0.5, "本期无线索", ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return figure
    counts = (
        leads.pivot_table(index="severity", columns="triage", values="lead_id", aggfunc="count")
        .reindex(index=list(SEVERITY_ORDER))
        .fillna(0)
    )
    counts = counts[[c for c in TRIAGE_ORDER if c in counts.columns]]
    colours = [TRIAGE_COLOURS[c] for c in counts.columns]
    counts.plot(kind="bar", stacked=True, ax=axes, color=colours)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel("风险等级")
    axes.set_ylabel("线索数")
    axes.set_title("线索按风险等级与处置方式")
    axes.tick_params(axis="x", rotation=0)
    axes.legend(title="处置方式")
    return figure


def amount_by_village_chart(
    leads: pd.DataFrame, villages: pd.DataFrame | None, top: int = 15
) -> Figure:
    """Horizontal bars: amount at risk (万元) of the villages with most money at risk."""
    use_cjk_font()
    figure, axes = plt.subplots(figsize=(6, 0.3 * top + 1))
    totals = leads.groupby("village_code")["amount_at_risk"].sum().nlargest(top)[::-1]
    names = village_names(villages)
    labels = [names.get(code, code) for code in totals.index]
    axes.barh(labels, totals.to_numpy() / 10_000, color="#c0392b")
    axes.set_xlabel("涉及金额（万元）")
    axes.set_title("涉及金额最多的村")
    return figure


def heat_map_table(
    payments: pd.DataFrame, leads: pd.DataFrame, evidence: pd.DataFrame
) -> pd.DataFrame:
    """Village × program table of lead counts (a lead counts once for each program it touches).

    A lead touches the programs paid to its entity, to its related entities and to the
    entities of its evidence rows (matched on ``payments.id_number``); a lead touching no
    payment counts under ``其他``.
    """
    if leads.empty or "village_code" not in leads.columns:
        return pd.DataFrame()
    program_column = "program_name" if "program_name" in payments.columns else "program_code"
    members = [leads[["lead_id", "entity_id"]].rename(columns={"entity_id": "member"})]
    if "related_ids" in leads.columns:
        related = leads[["lead_id", "related_ids"]].assign(
            member=leads["related_ids"].fillna("").astype(str).str.split(";")
        )
        members.append(related[["lead_id", "member"]].explode("member"))
    if {"lead_id", "entity_id"} <= set(evidence.columns):
        members.append(evidence[["lead_id", "entity_id"]].rename(columns={"entity_id": "member"}))
    touched = pd.concat(members, ignore_index=True).dropna().drop_duplicates()
    # only the payments of the people the leads touch (a county pays millions)
    mine = payments["id_number"].isin(touched["member"].unique())
    paid = payments.loc[mine, ["id_number", program_column]].dropna().drop_duplicates()
    paid = paid.rename(columns={"id_number": "member", program_column: "program"})
    touched = touched.merge(paid, on="member", how="inner")[["lead_id", "program"]]
    joined = leads[["lead_id", "village_code"]].merge(touched, on="lead_id", how="left")
    joined["program"] = joined["program"].fillna("其他")
    return joined.pivot_table(
        index="village_code", columns="program", values="lead_id", aggfunc="nunique", fill_value=0
    )


def heat_map_chart(table: pd.DataFrame, villages: pd.DataFrame | None, top: int = 20) -> Figure:
    """Heat map of :func:`heat_map_table` for the ``top`` villages with most leads."""
    use_cjk_font()
    if table.empty:
        figure, axes = plt.subplots(figsize=(6, 2))
        axes.text(0.5, 0.5, "本期无线索", ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return figure
    table = table.loc[table.sum(axis=1).nlargest(top).index]
    table = table[table.sum().sort_values(ascending=False).index[:15]]
    names = village_names(villages)
    table.index = [names.get(code, code) for code in table.index]
    figure, axes = plt.subplots(figsize=(1 + 0.6 * table.shape[1], 1 + 0.35 * table.shape[0]))
    _annotated_heat_map(axes, table)
    axes.set_xlabel("补贴项目")
    axes.set_ylabel("村")
    axes.set_title("村 × 项目 线索分布")
    axes.tick_params(axis="x", rotation=45)
    return figure


def _annotated_heat_map(axes, table: pd.DataFrame) -> None:
    """Cells coloured by count (white → red), each labelled with its count, white grid lines
    between them, row and column labels on the axes."""
    values = table.to_numpy(dtype=float)
    rows, columns = values.shape
    mesh = axes.pcolormesh(values, cmap="Reds", edgecolors="white", linewidth=0.5)
    axes.set_xlim(0, columns)
    axes.set_ylim(rows, 0)  # the first row at the top
    dark = _relative_luminance(mesh.cmap(mesh.norm(values))) <= 0.408  # as seaborn chooses
    for row in range(rows):
        for column in range(columns):
            axes.text(
                column + 0.5,
                row + 0.5,
                f"{int(values[row, column])}",
                ha="center",
                va="center",
                color="white" if dark[row, column] else "black",
            )
    axes.set_xticks([column + 0.5 for column in range(columns)], [str(c) for c in table.columns])
    axes.set_yticks([row + 0.5 for row in range(rows)], [str(r) for r in table.index])
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)


def _relative_luminance(colours: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of RGBA colours (…, 4) with channels in 0–1."""
    rgb = colours[..., :3]
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def payments_over_time_chart(payments: pd.DataFrame, title: str) -> Figure:
    """Monthly totals (元) per program of ``payments`` (e.g. one village's or one person's)."""
    use_cjk_font()
    figure, axes = plt.subplots(figsize=(8, 3.5))
    if payments.empty:
        axes.text(0.5, 0.5, "无发放记录", ha="center", va="center", fontsize=14)
        axes.set_axis_off()
        return figure
    program_column = "program_name" if "program_name" in payments.columns else "program_code"
    monthly = (
        payments.assign(
            month=pd.to_datetime(payments["pay_date"]).dt.to_period("M").dt.to_timestamp()
        )
        .pivot_table(index="month", columns=program_column, values="amount", aggfunc="sum")
        .fillna(0)
    )
    monthly.plot(ax=axes, marker="o", markersize=3)
    axes.set_xlabel("发放月份")
    axes.set_ylabel("金额（元）")
    axes.set_title(title)
    axes.legend(title="补贴项目", fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return figure
