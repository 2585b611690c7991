"""Leads: related findings grouped around one focal entity, triaged, ranked, diffed.

Grouping (``scoring.leads.grouping``). Every evidence row and detector finding is an *item*.

* ``entity`` (default): one lead per flagged entity (person, account, company, project,
  payee, village, official), naming its responsible official; then every official named by
  leads scoring at least ``bundle_min_score`` gets a *bundle* lead (his own lead, or a new one)
  listing those entities in ``related_ids`` and carrying their evidence rows, scored by
  noisy-OR of his own signals and the bundled leads (:func:`bundle_officials`). So the cadre,
  his relatives' welfare payments, the card he holds for others and his relative's company's
  contract are one case at the top of the list, while each entity keeps the lead a department
  needs to recover its money.
* ``official``: items are joined (union-find) through the entity they flag and the official
  they name — the bundled case *replaces* the entity leads.

Guards in both modes: village and program codes never join items; an identifier shared by more
than ``max_hub_items`` items (a collective account, a busy bookkeeper) does not join them; an
item that carries a mitigation (a possible harmless look-alike) joins others only through its
own entity and is never bundled: a look-alike neither drags a real case down nor rides on it.
Why ``entity`` is the default: on the synthetic county (benchmarks/bench_quality.py) the
official grouping chains most findings of a corrupt village into two or three leads, which
hides the individual recoveries and leaves the rest of the top 100 to weak leads.

Score. Noisy-OR over the distinct rule families and detectors of the lead (as in
:mod:`riskmodel.scoring`), plus the village context: a lead in a village whose own village-level
signals (shortfalls, invented-looking ledger, peer anomalies, complaints about the village)
score V gets a signal ``village_context_weight × V/100`` (:func:`village_context`).

Triage. 数据纠错 when every item is a data-quality rule; 线索移交 when a high-severity rule
fired without mitigation and an official is involved, or the score reaches
``scoring.leads.transfer_score``; else 督促整改 (compliance problems, low severity, look-alikes,
whose reasons start with 可能为合理情形 and quote the mitigation).

Stable id. ``L`` + 12 hex digits of sha1(focal entity type | focal id | family), family being
``official`` for an official's lead, ``data_quality`` for a data error, else the category of
the strongest rule: the same entity and finding keep the same id run after run.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.scoring import (
    combine,
    evidence_signals,
    finding_signals,
    learn_from_outcomes,
    outcome_verdicts,
    rule_catalogue,
    scoring_config,
    severity_band,
    source_families,
    source_titles,
    village_count,
)

LEAD_COLUMNS = [
    "lead_id",
    "rank",
    "entity_type",
    "entity_id",
    "entity_name",
    "village_code",
    "related_ids",
    "score",
    "severity",
    "triage",
    "rule_ids",
    "reasons",
    "amount_at_risk",
    "evidence_count",
    "status",
]
EVIDENCE_COLUMNS = [
    "lead_id",
    "rule_id",
    "source_table",
    "source_key",
    "fields",
    "entity_type",
    "entity_id",
    "amount_at_risk",
    "detail",
    "mitigation",
]
TRIAGE_DATA, TRIAGE_COMPLIANCE, TRIAGE_TRANSFER = "数据纠错", "督促整改", "线索移交"


def leads_config(config: dict[str, Any]) -> dict[str, Any]:
    """The ``scoring.leads`` section of ``config`` (packaged defaults when absent)."""
    return scoring_config(config)["leads"]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[column].astype("object").where(frame[column].notna(), "").astype("str")


def _items(
    evidence: pd.DataFrame | None, findings: pd.DataFrame | None, tables, config
) -> pd.DataFrame:
    """Evidence rows and detector findings in one frame with their signal strength."""
    catalogue = rule_catalogue()
    learned = None
    if "outcomes" in tables and len(tables["outcomes"]) and evidence is not None:
        learned = learn_from_outcomes(tables["outcomes"], evidence, config, catalogue)
    parts = []
    if evidence is not None and len(evidence):
        rows = evidence.reset_index(drop=True)
        signals = evidence_signals(rows, config, catalogue, learned, village_count(tables))
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": rows["rule_id"].astype(str),
                    "kind": "rule",
                    "entity_type": rows["entity_type"].astype(str),
                    "entity_id": rows["entity_id"].astype(str),
                    "entity_name": _text(rows, "entity_name"),
                    "village_code": _text(rows, "village_code"),
                    "official_id": _text(rows, "official_id"),
                    "related_ids": _text(rows, "related_ids"),
                    "source_table": _text(rows, "source_table"),
                    "source_key": _text(rows, "source_key"),
                    "fields": _text(rows, "fields"),
                    "detail": _text(rows, "detail"),
                    "mitigation": _text(rows, "mitigation"),
                    "amount_at_risk": pd.to_numeric(rows["amount_at_risk"], errors="coerce")
                    .fillna(0.0)
                    .astype(float),
                    "strength": signals["strength"].astype(float).to_numpy(),
                }
            )
        )
    if findings is not None and len(findings):
        rows = findings.reset_index(drop=True)
        signals = finding_signals(rows, config)
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": rows["detector_id"].astype(str),
                    "kind": "detector",
                    "entity_type": rows["entity_type"].astype(str),
                    "entity_id": rows["entity_id"].astype(str),
                    "entity_name": "",
                    "village_code": _text(rows, "village_code"),
                    "official_id": _text(rows, "official_id"),
                    "related_ids": _text(rows, "related_ids"),
                    "source_table": _text(rows, "source_table"),
                    "source_key": _text(rows, "source_key"),
                    "fields": _text(rows, "fields"),
                    "detail": _text(rows, "detail"),
                    "mitigation": _text(rows, "mitigation"),
                    "amount_at_risk": rows["amount_at_risk"].astype(float).fillna(0.0),
                    "strength": signals["strength"].astype(float).to_numpy(),
                }
            )
        )
    if not parts:
        return pd.DataFrame()
    items = pd.concat(parts, ignore_index=True)
    minimum = float(leads_config(config)["min_strength"])
    # a data error is a lead of its own (数据纠错), however faint as a disciplinary signal
    data_rules = set(leads_config(config)["data_quality_rules"]) | set(
        catalogue.loc[catalogue["category"] == "data_quality", "rule_id"]
    )
    keep = (items["strength"] >= minimum) | items["rule_id"].isin(data_rules)
    return items[keep].reset_index(drop=True)


def _non_joining_ids(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Village and program codes: identifiers that must never join two items."""
    codes: set[str] = set()
    for table, column in (
        ("villages", "village_code"),
        ("residents", "village_code"),
        ("programs", "program_code"),
        ("payments", "program_code"),
        ("payments", "program_name"),
        ("programs", "program_name"),
    ):
        frame = tables.get(table)
        if frame is not None and column in frame.columns:
            codes |= set(frame[column].dropna().astype(str).unique())
    return codes


def cluster_items(items: pd.DataFrame, tables, config) -> np.ndarray:
    """Cluster label of each item (union-find over shared identifiers, with guards).

    ``scoring.leads.grouping``: ``official`` joins an item through its entity and the official
    it names (not through its other related ids, which would chain a village's cadres into
    one lead); ``entity`` keeps one lead per flagged entity and leaves the bundling to
    :func:`bundle_officials`.
    """
    settings = leads_config(config)
    mode = str(settings["grouping"])
    blocked = _non_joining_ids(tables) | {""}
    village_items = items["entity_type"].isin(["village", "program"]).to_numpy()
    if mode == "entity":
        # one lead per flagged entity; the official is named, bundled in his own lead
        village_items = np.zeros(len(items), dtype=bool)
        blocked = {""}
    mitigated = (items["mitigation"] != "").to_numpy()
    keys_per_item: list[list[str]] = []
    for position, record in enumerate(items.itertuples(index=False)):
        keys = [record.entity_id]
        if not mitigated[position] and mode == "official":
            keys.append(record.official_id)
        keys_per_item.append([k for k in dict.fromkeys(keys) if k not in blocked])
    counts: dict[str, int] = {}
    for keys in keys_per_item:
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    hub = int(settings["max_hub_items"])
    union = _UnionFind(len(items))
    first_item: dict[str, int] = {}
    entity_ids = items["entity_id"].tolist()
    for position, keys in enumerate(keys_per_item):
        own = entity_ids[position]
        for key in keys:
            if counts[key] > hub and key != own:
                continue
            if village_items[position] and key == own:
                # village-level items join through the officials they name, not the village
                continue
            if key in first_item:
                union.union(first_item[key], position)
            else:
                first_item[key] = position
    return np.array([union.find(i) for i in range(len(items))])


def _official_names(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    officials = tables.get("officials")
    if officials is None or "id_number" not in officials.columns:
        return {}
    names = {}
    for record in officials.drop_duplicates("id_number").itertuples(index=False):
        position = getattr(record, "position", "") or getattr(record, "category", "") or ""
        name = getattr(record, "name", "") or ""
        names[str(record.id_number)] = f"{position}{name}" if position else str(name)
    return names


def _mask(value: str) -> str:
    try:
        from riskmodel.ids import mask_account, mask_id
    except ImportError:  # pragma: no cover - ids lands with the foundation
        return value[:4] + "****" if len(value) > 8 else value
    if len(value) == 18 and value[:17].isdigit():
        return mask_id(value)
    if len(value) >= 12 and value.isdigit():
        return mask_account(value)
    return value


def build_leads(
    evidence: pd.DataFrame | None,
    findings: pd.DataFrame | None,
    scores: dict[str, pd.DataFrame] | None,
    tables: dict[str, pd.DataFrame],
    config: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Group evidence and findings into ranked, triaged leads with stable ids.

    Returns
    -------
    (leads, lead_evidence)
        ``leads`` with ``LEAD_COLUMNS`` (CONTRACT §3), best first, ``status`` = ``new``;
        ``lead_evidence`` with ``EVIDENCE_COLUMNS``. Leads dismissed earlier (outcome 不属实)
        whose rules and amount are unchanged are left out and listed in
        ``leads.attrs["suppressed"]`` (a list of dicts).
    """
    settings = leads_config(config)
    mode = str(settings["grouping"])
    items = _items(evidence, findings, tables, config)
    if not len(items):
        return pd.DataFrame(columns=LEAD_COLUMNS), pd.DataFrame(columns=EVIDENCE_COLUMNS)
    items["cluster"] = cluster_items(items, tables, config)
    catalogue = rule_catalogue()
    titles = source_titles(catalogue)
    category = dict(zip(catalogue["rule_id"], catalogue["category"], strict=True))
    severity = dict(zip(catalogue["rule_id"], catalogue["severity"], strict=True))
    data_rules = set(settings["data_quality_rules"]) | {
        rule for rule, cat in category.items() if cat == "data_quality"
    }
    high_rules = set(settings["high_severity_rules"]) | {
        rule for rule, sev in severity.items() if sev == "高"
    }
    official_names = _official_names(tables)
    entity_scores = _entity_score_lookup(scores)
    lead_signals = items.assign(
        source_id=items["rule_id"],
        entity_type="lead",
        entity_id=items["cluster"].astype(str),
        program_code="",
    )
    combined = combine(
        lead_signals,
        titles,
        source_families(config, catalogue),
        float(scoring_config(config)["within_family_weight"]),
    ).set_index("entity_id")
    context = village_context(items, titles, config)
    context_weight = float(settings["village_context_weight"])
    transfer_score = float(settings["transfer_score"])
    transfer_min = float(settings["transfer_min_score"])
    max_related = int(settings["max_related"])
    summaries = combined[["score", "sources", "reasons"]].to_dict("index")
    ordered = items.assign(_position=np.arange(len(items))).sort_values(
        ["cluster", "strength", "_position"], ascending=[True, False, True], kind="stable"
    )
    rows = []
    for cluster, records in itertools.groupby(
        ordered.itertuples(index=False), key=lambda record: record.cluster
    ):
        group = list(records)
        summary = summaries[str(cluster)]
        focal_type, focal_id, focal_name, official = _focal_records(group, entity_scores, mode)
        unmitigated = [r for r in group if not r.mitigation]
        is_data = all(r.rule_id in data_rules for r in group)
        involves_official = bool(official) or any(r.official_id for r in unmitigated)
        score = float(summary["score"])
        own_score = score
        village = _mode([r.village_code for r in group if r.village_code])
        context_note = ""
        if unmitigated and focal_type != "village" and village in context.index:
            boost = context_weight * float(context[village]) / 100.0
            score = 100.0 * (1.0 - (1.0 - score / 100.0) * (1.0 - boost))
            if boost >= 0.05:
                context_note = f"（所在村村级异常得分{context[village]:.0f}，作为旁证加权）"
        if is_data:
            triage = TRIAGE_DATA
        elif score >= transfer_score or (
            involves_official
            and any(r.rule_id in high_rules for r in unmitigated)
            and score >= transfer_min
        ):
            triage = TRIAGE_TRANSFER
        else:
            triage = TRIAGE_COMPLIANCE
        if focal_type == "official":
            family = "official"
        elif is_data:
            family = "data_quality"
        else:
            family = category.get(group[0].rule_id, "detector")
        lead_id = "L" + hashlib.sha1(f"{focal_type}|{focal_id}|{family}".encode()).hexdigest()[:12]
        related = _related_records(group, focal_id, official, max_related)
        responsible = ""
        if official:
            responsible = f"责任人：{official_names.get(official, '干部')}（{_mask(official)}）。"
        lookalike = "" if unmitigated else "可能为合理情形，建议核实后销号："
        rows.append(
            {
                "lead_id": lead_id,
                "entity_type": focal_type,
                "entity_id": focal_id,
                "entity_name": focal_name,
                "village_code": village,
                "related_ids": ";".join(related),
                "score": round(score, 2),
                "triage": triage,
                "rule_ids": ";".join(dict.fromkeys(str(summary["sources"]).split(";"))),
                "reasons": lookalike + responsible + str(summary["reasons"]) + context_note,
                "amount_at_risk": round(_records_amount(group), 2),
                "evidence_count": len(group),
                "status": "new",
                "_cluster": cluster,
                "_own_score": own_score,
            }
        )
    leads = pd.DataFrame(rows)
    bundled: dict[str, list[Any]] = {}
    if mode == "entity":
        leads, bundled = bundle_officials(
            leads, items, settings, official_names, high_rules, context
        )
    leads = _dedupe_ids(leads)
    leads["severity"] = severity_band(leads["score"], scoring_config(config))
    leads = leads.sort_values(
        ["score", "amount_at_risk", "lead_id"], ascending=[False, False, True]
    ).reset_index(drop=True)
    suppressed = pd.DataFrame(columns=LEAD_COLUMNS)
    if "outcomes" in tables and len(tables["outcomes"]):
        keep = ~dismissed_unchanged(leads, tables["outcomes"], config)
        suppressed = leads[~keep]
        leads = leads[keep].reset_index(drop=True)
    leads["rank"] = np.arange(1, len(leads) + 1)
    cluster_to_lead = dict(zip(leads["_cluster"], leads["lead_id"], strict=True))
    lead_evidence = items.assign(lead_id=items["cluster"].map(cluster_to_lead))
    lead_evidence = lead_evidence[lead_evidence["lead_id"].notna()]
    kept = set(leads["lead_id"])
    copies = [
        items[items["cluster"].isin(clusters)].assign(lead_id=lead_id)
        for lead_id, clusters in bundled.items()
        if lead_id in kept
    ]
    lead_evidence = pd.concat([lead_evidence, *copies], ignore_index=True)
    order = {lead: rank for lead, rank in zip(leads["lead_id"], leads["rank"], strict=True)}
    lead_evidence = lead_evidence.assign(_order=lead_evidence["lead_id"].map(order))
    lead_evidence = lead_evidence.sort_values(["_order", "strength"], ascending=[True, False])
    result = leads[LEAD_COLUMNS].reset_index(drop=True)
    result.attrs["suppressed"] = suppressed[
        ["lead_id", "entity_type", "entity_id", "rule_ids", "amount_at_risk", "score"]
    ].to_dict("records")
    return result, lead_evidence[EVIDENCE_COLUMNS].reset_index(drop=True)


def village_context(items: pd.DataFrame, titles: dict[str, str], config) -> pd.Series:
    """Village code → score (0–100) of the village's own village-level evidence and findings.

    Only village-level signals count (systematic shortfalls, invented-looking ledgers, peer
    anomalies, complaints about the village), never the roll-up of its people, so a lead is not
    its own witness. A finding in a village that is anomalous on its own is more credible:
    ``scoring.leads.village_context_weight`` × this score is a signal on every non-look-alike
    lead of the village.
    """
    village_items = items[(items["entity_type"] == "village") & (items["mitigation"] == "")]
    if not len(village_items):
        return pd.Series(dtype=float)
    signals = village_items.assign(source_id=village_items["rule_id"], program_code="")
    settings = scoring_config(config)
    scored = combine(
        signals, titles, source_families(config), float(settings["within_family_weight"])
    )
    return scored.set_index("entity_id")["score"].astype(float)


def bundle_officials(
    leads: pd.DataFrame,
    items: pd.DataFrame,
    settings: dict[str, Any],
    official_names: dict[str, str],
    high_rules: set[str],
    context: pd.Series | None = None,
) -> tuple[pd.DataFrame, dict[str, list[Any]]]:
    """Bundle, per responsible official, the leads that name him (``grouping = "entity"``).

    The official's own lead (or a new one when he has no evidence of his own) lists the
    bundled entities in ``related_ids`` and its score adds their scores as signals of
    strength ``official_bundle_weight · score/100`` (the ``bundle_max_leads`` strongest of
    those scoring at least ``bundle_min_score``: faint leads do not make a case),
    combined by noisy-OR: one cadre whose relatives, cards and contracts are all flagged is
    one case at the top of the list, while each flagged entity keeps its own lead.

    The bundled leads count with their own score, before the village context
    (:func:`village_context`): the official's lead takes the context of his village once,
    instead of once more inside every bundled lead of that village.

    Returns the leads and, per bundle lead id, the clusters whose evidence it bundles.
    """
    weight = float(settings["official_bundle_weight"])
    named = items[(items["official_id"] != "") & (items["mitigation"] == "")]
    if weight <= 0 or not len(named) or not len(leads):
        return leads, {}
    leads = leads.copy()
    by_cluster = leads.set_index("_cluster")
    limit = int(settings["bundle_max_leads"])
    max_related = int(settings["max_related"])
    bundles: dict[str, list[Any]] = {}
    new_rows = []
    # village- and program-level leads stay the village's: they name the head, not his case
    personal = ~by_cluster["entity_type"].isin(["village", "program"])
    own_score = by_cluster["_own_score"] if "_own_score" in by_cluster else by_cluster["score"]
    by_cluster = by_cluster.assign(_bundle_score=own_score.astype(float))
    strong = by_cluster["_bundle_score"] >= float(settings["bundle_min_score"])
    eligible = set(by_cluster.index[strong & personal])
    pairs = named[["official_id", "cluster"]].drop_duplicates()
    pairs = pairs[pairs["cluster"].isin(eligible)]
    focal_of = by_cluster["entity_id"].to_dict()
    own_leads: dict[str, Any] = {}  # official → index of his own lead (the first one)
    officials = leads.loc[leads["entity_type"] == "official", "entity_id"]
    for index, entity_id in zip(officials.index, officials.tolist(), strict=True):
        own_leads.setdefault(entity_id, index)
    for official, group in pairs.groupby("official_id"):
        clusters = [c for c in group["cluster"] if focal_of.get(c) != official]
        if not clusters:
            continue
        children = by_cluster.loc[clusters].sort_values("_bundle_score", ascending=False)
        minimum = float(settings["bundle_min_score"])
        children = children[children["_bundle_score"] >= minimum].head(limit)
        if not len(children):
            continue
        clusters = list(children.index)
        rollup = 1.0 - float(np.prod(1.0 - weight * children["_bundle_score"].to_numpy() / 100.0))
        child_ids = [str(x) for x in children["entity_id"]]
        bundle_text = (
            f"名下关联线索{len(clusters)}条（"
            + "、".join(_mask(x) for x in child_ids[:5])
            + ("等" if len(child_ids) > 5 else "")
            + "）"
        )
        child_rules = ";".join(dict.fromkeys(";".join(children["rule_ids"]).split(";")))
        if official in own_leads:
            index = own_leads[official]
            score = 100.0 * (1.0 - (1.0 - leads.at[index, "score"] / 100.0) * (1.0 - rollup))
            related = leads.at[index, "related_ids"].split(";") + child_ids
            leads.at[index, "score"] = round(score, 2)
            leads.at[index, "related_ids"] = ";".join(
                [x for x in dict.fromkeys(related) if x and x != official][:max_related]
            )
            leads.at[index, "reasons"] = f"{leads.at[index, 'reasons']}；{bundle_text}"
            if score >= float(settings["transfer_score"]):
                leads.at[index, "triage"] = TRIAGE_TRANSFER
            bundles[leads.at[index, "lead_id"]] = clusters
            continue
        villages = children.loc[children["village_code"] != "", "village_code"]
        home = villages.mode().iloc[0] if len(villages) else ""
        boost = 0.0
        if context is not None and home in context.index:
            boost = float(settings["village_context_weight"]) * float(context[home]) / 100.0
        score = 100.0 * (1.0 - (1.0 - rollup) * (1.0 - boost))
        high = any(rule in high_rules for rule in child_rules.split(";"))
        transfer = score >= float(settings["transfer_score"]) or (
            high and score >= float(settings["transfer_min_score"])
        )
        lead_id = "L" + hashlib.sha1(f"official|{official}|official".encode()).hexdigest()[:12]
        new_rows.append(
            {
                "lead_id": lead_id,
                "entity_type": "official",
                "entity_id": official,
                "entity_name": official_names.get(official, ""),
                "village_code": home,
                "related_ids": ";".join(child_ids[:max_related]),
                "score": round(score, 2),
                "triage": TRIAGE_TRANSFER if transfer else TRIAGE_COMPLIANCE,
                "rule_ids": child_rules,
                "reasons": (
                    f"责任人：{official_names.get(official, '干部')}（{_mask(official)}）。"
                    + bundle_text
                ),
                "amount_at_risk": round(float(children["amount_at_risk"].sum()), 2),
                "evidence_count": int(children["evidence_count"].sum()),
                "status": "new",
                "_cluster": f"bundle:{official}",
            }
        )
        bundles[lead_id] = clusters
    if new_rows:
        leads = pd.concat([leads, pd.DataFrame(new_rows)], ignore_index=True)
    return leads, bundles


def _entity_score_lookup(scores: dict[str, pd.DataFrame] | None) -> dict[tuple[str, str], float]:
    lookup: dict[tuple[str, str], float] = {}
    for kind, frame in (scores or {}).items():
        if isinstance(frame, pd.DataFrame) and {"entity_id", "score"} <= set(frame.columns):
            for entity_id, score in zip(frame["entity_id"], frame["score"], strict=True):
                lookup[(kind, str(entity_id))] = float(score)
    return lookup


def _focal(
    group: pd.DataFrame, entity_scores: dict[tuple[str, str], float], mode: str = "official"
) -> tuple[str, str, str, str]:
    """(entity_type, entity_id, entity_name, responsible official id) of a lead."""
    unmitigated = group[group["mitigation"] == ""]
    pool = unmitigated if len(unmitigated) else group
    # a look-alike-only lead is about the beneficiary, not about the official it mentions
    named = unmitigated[unmitigated["official_id"] != ""]
    official_items = unmitigated[unmitigated["entity_type"] == "official"]
    if mode == "entity" and not len(official_items):
        named_weight = named.groupby("official_id")["strength"].sum().sort_values()
        responsible = str(named_weight.index[-1]) if len(named_weight) else ""
        focal_type, focal_id, focal_name, _ = _focal(pool.assign(official_id=""), entity_scores)
        return focal_type, focal_id, focal_name, responsible
    candidates = pd.concat(
        [
            named[["official_id", "strength"]].rename(columns={"official_id": "id"}),
            official_items[["entity_id", "strength"]].rename(columns={"entity_id": "id"}),
        ]
    )
    if mode == "entity":
        candidates = official_items[["entity_id", "strength"]].rename(columns={"entity_id": "id"})
    names = group[group["entity_name"] != ""].drop_duplicates("entity_id")
    name_of = dict(zip(names["entity_id"], names["entity_name"], strict=True))
    if len(candidates):
        weight = candidates.groupby("id")["strength"].sum().sort_values(ascending=False)
        official = str(weight.index[0])
        return "official", official, name_of.get(official, ""), official
    ranked = pool.assign(
        _entity_score=[
            entity_scores.get((t, i), 0.0)
            for t, i in zip(pool["entity_type"], pool["entity_id"], strict=True)
        ]
    ).sort_values(["strength", "_entity_score"], ascending=False)
    top = ranked.iloc[0]
    return str(top["entity_type"]), str(top["entity_id"]), str(top["entity_name"]), ""


def _mode(values: list[str]) -> str:
    """Most frequent value (ties: the smallest), '' for none."""
    if not values:
        return ""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return min(counts, key=lambda value: (-counts[value], value))


def _focal_records(
    group: list[Any], entity_scores: dict[tuple[str, str], float], mode: str
) -> tuple[str, str, str, str]:
    """:func:`_focal` on a cluster's records, sorted by strength (strongest first)."""
    unmitigated = [r for r in group if not r.mitigation]
    pool = unmitigated or group
    names: dict[str, str] = {}
    for record in group:
        if record.entity_name and record.entity_id not in names:
            names[record.entity_id] = record.entity_name
    named: dict[str, float] = {}
    for record in unmitigated:
        if record.official_id:
            named[record.official_id] = named.get(record.official_id, 0.0) + record.strength
    own: dict[str, float] = {}
    for record in unmitigated:
        if record.entity_type == "official":
            own[record.entity_id] = own.get(record.entity_id, 0.0) + record.strength
    if mode == "entity":
        candidates = own
        responsible = max(named, key=lambda k: (named[k], k)) if named else ""
    else:
        candidates = dict(named)
        for key, value in own.items():
            candidates[key] = candidates.get(key, 0.0) + value
        responsible = ""
    if candidates:
        official = max(candidates, key=lambda k: (candidates[k], k))
        return "official", official, names.get(official, ""), official
    top = max(
        pool,
        key=lambda r: (r.strength, entity_scores.get((r.entity_type, r.entity_id), 0.0)),
    )
    return str(top.entity_type), str(top.entity_id), names.get(top.entity_id, ""), responsible


def _related_records(group: list[Any], focal_id: str, official: str, limit: int) -> list[str]:
    """:func:`_related_ids` on a cluster's records, sorted by strength."""
    pool = [r for r in group if not r.mitigation] or group
    ids: list[str] = [official] if official and official != focal_id else []
    for record in pool:
        ids.append(record.entity_id)
        if record.official_id:
            ids.append(record.official_id)
        ids.extend(x for x in record.related_ids.split(";") if x)
    return [x for x in dict.fromkeys(ids) if x and x != focal_id][:limit]


def _records_amount(group: list[Any]) -> float:
    """:func:`_lead_amount` on a cluster's records."""
    per_rule: dict[tuple[str, str, str], float] = {}
    for record in group:
        key = (record.entity_type, record.entity_id, record.rule_id)
        per_rule[key] = per_rule.get(key, 0.0) + float(record.amount_at_risk)
    per_entity: dict[tuple[str, str], float] = {}
    for (kind, entity, _), amount in per_rule.items():
        per_entity[(kind, entity)] = max(per_entity.get((kind, entity), 0.0), amount)
    return float(sum(per_entity.values()))


def _related_ids(group: pd.DataFrame, focal_id: str, official: str, limit: int) -> list[str]:
    unmitigated = group[group["mitigation"] == ""]
    pool = unmitigated if len(unmitigated) else group
    ids: list[str] = []
    if official and official != focal_id:
        ids.append(official)
    ordered = pool.sort_values("strength", ascending=False)
    for record in ordered.itertuples(index=False):
        ids.append(record.entity_id)
        if record.official_id:
            ids.append(record.official_id)
        ids.extend(x for x in record.related_ids.split(";") if x)
    unique = [x for x in dict.fromkeys(ids) if x and x != focal_id]
    return unique[:limit]


def _lead_amount(group: pd.DataFrame) -> float:
    """Per entity the largest per-rule sum, summed over the lead's entities."""
    per_rule = group.groupby(["entity_type", "entity_id", "rule_id"])["amount_at_risk"].sum()
    return float(per_rule.groupby(level=[0, 1]).max().sum())


def _dedupe_ids(leads: pd.DataFrame) -> pd.DataFrame:
    duplicated = leads["lead_id"].duplicated(keep=False)
    if duplicated.any():
        order = leads.groupby("lead_id").cumcount()
        leads.loc[duplicated & (order > 0), "lead_id"] = (
            leads["lead_id"] + "-" + order.astype(str)
        )[duplicated & (order > 0)]
    return leads


def dismissed_unchanged(
    leads: pd.DataFrame, outcomes: pd.DataFrame, config: dict[str, Any]
) -> pd.Series:
    """True for leads dismissed (不属实) earlier whose evidence has not changed.

    An outcome row matches a lead by ``lead_id``, else by focal ``entity_type`` + ``entity_id``.
    The evidence changed when the outcome records the lead's ``rule_ids`` or
    ``amount_at_risk`` (written back from leads.csv) and they differ now; without those
    columns a dismissed lead stays suppressed.
    """
    dismissed_words = scoring_config(config)["outcomes"]["dismissed"]
    verdicts = outcomes["outcome"].astype(str).str.strip()
    dismissed = outcomes[verdicts.isin(dismissed_words)]
    result = pd.Series(False, index=leads.index)
    if not len(dismissed):
        return result
    by_lead = {
        str(r["lead_id"]): r for _, r in dismissed.iterrows() if str(r.get("lead_id", "")) != ""
    }
    by_entity = {(str(r["entity_type"]), str(r["entity_id"])): r for _, r in dismissed.iterrows()}
    for index, lead in leads.iterrows():
        record = by_lead.get(str(lead["lead_id"]))
        if record is None:
            record = by_entity.get((str(lead["entity_type"]), str(lead["entity_id"])))
        if record is None:
            continue
        changed = False
        if "rule_ids" in record and isinstance(record["rule_ids"], str) and record["rule_ids"]:
            changed |= set(record["rule_ids"].split(";")) != set(lead["rule_ids"].split(";"))
        if "amount_at_risk" in record and pd.notna(record["amount_at_risk"]):
            previous = float(record["amount_at_risk"])
            changed |= abs(previous - float(lead["amount_at_risk"])) > 0.01 * max(previous, 1.0)
        result[index] = not changed
    return result


def mark_status(
    leads: pd.DataFrame, previous_leads: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark each lead ``new`` or ``persisting`` against the previous run's leads.

    Returns
    -------
    (leads_with_status, resolved)
        ``resolved``: the previous leads whose ``lead_id`` no longer appears, with
        ``status = "resolved"``.
    """
    marked = leads.copy()
    if previous_leads is None or not len(previous_leads):
        marked["status"] = "new"
        return marked, pd.DataFrame(columns=leads.columns)
    earlier = set(previous_leads["lead_id"].astype(str))
    marked["status"] = np.where(marked["lead_id"].astype(str).isin(earlier), "persisting", "new")
    current = set(marked["lead_id"].astype(str))
    resolved = previous_leads[~previous_leads["lead_id"].astype(str).isin(current)].copy()
    resolved["status"] = "resolved"
    return marked, resolved.reset_index(drop=True)


def outcome_report(
    evidence: pd.DataFrame, tables: dict[str, pd.DataFrame], config: dict[str, Any]
) -> pd.DataFrame:
    """Precision and amounts per rule learned from ``outcomes`` (empty without outcomes)."""
    outcomes = tables.get("outcomes")
    if outcomes is None or not len(outcomes):
        return pd.DataFrame()
    report = learn_from_outcomes(outcomes, evidence, config)
    verdicts = outcome_verdicts(outcomes, config)
    report.attrs["verified"] = int(verdicts.notna().sum())
    return report


def total_amount_at_risk(leads: pd.DataFrame, evidence: pd.DataFrame | None) -> float:
    """Money at risk over a whole run, each finding counted once.

    A finding can sit in an entity's lead and in its official's bundle, so summing the leads'
    ``amount_at_risk`` counts it twice; this sums the evidence rows distinct by rule and
    source rows instead (the leads' sum when no evidence is given).
    """
    if evidence is None or not {"rule_id", "source_key", "amount_at_risk"} <= set(evidence):
        return float(leads["amount_at_risk"].sum()) if len(leads) else 0.0
    keys = ["rule_id", "source_table", "source_key", "entity_id"]
    distinct = evidence.drop_duplicates([k for k in keys if k in evidence.columns])
    return float(pd.to_numeric(distinct["amount_at_risk"], errors="coerce").fillna(0.0).sum())
