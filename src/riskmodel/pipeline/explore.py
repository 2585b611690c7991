"""The analyst's exploration notebook: one village or one person, its payments over time,
its relationship graph, its leads and their evidence.

Identifiers are shown per the privacy setting; the person is picked by the full ID number
from the data (the run folder holds masked ones, matched by masking the same way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
from matplotlib.figure import Figure

from riskmodel.config import load_config
from riskmodel.report.charts import payments_over_time_chart, village_names
from riskmodel.report.fonts import use_cjk_font
from riskmodel.report.identifiers import protect_frame, protect_text


@dataclass
class View:
    """What the exploration notebook looks at."""

    title: str
    config: dict[str, Any]
    payments: pd.DataFrame
    leads: pd.DataFrame
    evidence: pd.DataFrame
    graph: nx.Graph = field(default_factory=nx.Graph)


def _read_run(run_dir: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    run = Path(run_dir)
    if not (run / "leads.csv").exists():
        return pd.DataFrame(), pd.DataFrame()
    leads = pd.read_csv(run / "leads.csv", dtype=str, encoding="utf-8-sig")
    evidence = pd.read_csv(run / "evidence.csv", dtype=str, encoding="utf-8-sig")
    return leads, evidence


def _person_graph(tables: dict[str, pd.DataFrame], person_id: str) -> nx.Graph:
    """The person, their household, the accounts paid to them and who else those pay."""
    graph = nx.Graph()
    residents = tables["residents"]
    payments = tables["payments"]
    graph.add_node(person_id, kind="person")
    me = residents[residents["id_number"] == person_id]
    if len(me):
        household = me["household_id"].iloc[0]
        for member in residents.loc[residents["household_id"] == household, "id_number"]:
            if member != person_id:
                graph.add_edge(person_id, member, label="同户")
    if "account_no" in payments.columns:
        accounts = payments.loc[payments["id_number"] == person_id, "account_no"].dropna().unique()
        for account in accounts:
            graph.add_edge(person_id, f"卡 {account}", label="收款")
            others = payments.loc[payments["account_no"] == account, "id_number"].unique()
            for other in others[:20]:
                if other != person_id:
                    graph.add_edge(f"卡 {account}", other, label="同卡收款")
    return graph


def open_view(
    data_dir: str, run_dir: str, config_path: str = "", village_code: str = "", person_id: str = ""
) -> View:
    """Load the data and the run, and select one person (``person_id``) or one village.

    Without either, the village with most money at risk in the run is taken.
    """
    from riskmodel.io import load_folder

    config = load_config(config_path or None)
    tables = load_folder(data_dir, config=config).tables
    payments = tables["payments"]
    leads, evidence = _read_run(run_dir)
    names = village_names(tables.get("villages"))
    if person_id:
        shown_id = protect_text(person_id, config)
        chosen = payments[payments["id_number"] == person_id]
        if len(leads):
            related = leads["related_ids"].fillna("").str.split(";").map(set)
            hit = (leads["entity_id"] == shown_id) | related.map(lambda ids: shown_id in ids)
            leads = leads[hit]
        title = f"个人 {shown_id}"
        graph = _person_graph(tables, person_id)
    else:
        if not village_code and len(leads):
            amounts = pd.to_numeric(leads["amount_at_risk"], errors="coerce")
            village_code = str(leads.assign(a=amounts).groupby("village_code")["a"].sum().idxmax())
        if not village_code:
            village_code = str(payments["village_code"].mode().iloc[0])
        chosen = payments[payments.get("village_code") == village_code]
        leads = leads[leads["village_code"] == village_code] if len(leads) else leads
        title = f"村 {names.get(village_code, village_code)}（{village_code}）"
        graph = nx.Graph()
        top = leads.head(1)
        if len(top) and top["entity_type"].iloc[0] in {"person", "official"}:
            graph = _person_graph(tables, str(top["entity_id"].iloc[0]))
    if len(evidence) and len(leads):
        evidence = evidence[evidence["lead_id"].isin(leads["lead_id"])]
    elif len(evidence):
        evidence = evidence.iloc[0:0]
    return View(title, config, chosen, leads, evidence, graph)


def payments_chart(view: View) -> Figure:
    """Monthly amounts per program of the chosen village or person."""
    return payments_over_time_chart(view.payments, f"{view.title} 发放金额（按月）")


def ego_graph_chart(view: View) -> Figure:
    """The relationship graph of the chosen person (or the village's top lead)."""
    use_cjk_font()
    figure, axes = plt.subplots(figsize=(7, 5))
    axes.set_axis_off()
    if view.graph.number_of_nodes() == 0:
        axes.text(0.5, 0.5, "无关系图（未选人员，或该村首条线索不是个人）", ha="center")
        return figure
    layout = nx.spring_layout(view.graph, seed=1)
    labels = {node: protect_text(str(node), view.config) for node in view.graph.nodes}
    nx.draw_networkx(
        view.graph,
        layout,
        ax=axes,
        labels=labels,
        node_color="#e67e22",
        font_size=8,
        font_family=use_cjk_font(),
        node_size=300,
    )
    edge_labels = nx.get_edge_attributes(view.graph, "label")
    nx.draw_networkx_edge_labels(
        view.graph,
        layout,
        edge_labels=edge_labels,
        ax=axes,
        font_size=7,
        font_family=use_cjk_font(),
    )
    axes.set_title(f"{view.title} 关系图")
    return figure


def leads_table(view: View) -> pd.DataFrame:
    """The leads of the chosen village or person (identifiers per the privacy setting)."""
    return protect_frame(view.leads, view.config)


def evidence_table(view: View) -> pd.DataFrame:
    """The evidence rows behind those leads."""
    return protect_frame(view.evidence, view.config)
