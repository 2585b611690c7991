"""Complaint rules: complaints corroborated by data findings, repeated complaints."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.rules import common
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]
COMPLAINT_RULES = ("R090", "R091", "R092")


EXPLAINED = "相互印证的数据疑点均有合理解释（见各条规则的说明），举报所涉事项可能合规，需核实"


def _complaints(context: RuleContext, config: Config) -> pd.DataFrame:
    table = context.table("complaints")
    subject_id = (
        common.clean_ids(table["subject_id_number"])
        if "subject_id_number" in table
        else pd.Series("", index=table.index)
    )
    name = (
        common.normalise_names(table["subject_name"])
        if "subject_name" in table
        else pd.Series("", index=table.index)
    )
    village = (
        table["village_code"].astype("str").fillna("")
        if "village_code" in table
        else pd.Series("", index=table.index)
    )
    frame = table.assign(subject_id=subject_id, subject_norm=name, village_code=village)
    index = common.cadre_name_index(context, config).drop_duplicates(["village_code", "name_norm"])
    lookup = index.set_index(["village_code", "name_norm"])["official_id"]
    keys = pd.MultiIndex.from_arrays([frame["village_code"], frame["subject_norm"]])
    by_name = pd.Series(lookup.reindex(keys).to_numpy(), index=frame.index).fillna("")
    frame["subject"] = frame["subject_id"].where(frame["subject_id"] != "", by_name)
    return frame


def _corroboration(context: RuleContext, config: Config, min_village_rules: int) -> pd.DataFrame:
    """Complaints with the rules that corroborate them (``direct``: the subject itself)."""
    evidence = context.evidence if context.evidence is not None else empty_evidence()
    frame = _complaints(context, config)
    evidence = evidence[~evidence["rule_id"].isin(COMPLAINT_RULES)]
    if frame.empty or evidence.empty:
        return frame.iloc[0:0].assign(rules="", direct=False, amount=0.0, explained=False)
    # a finding that carries a mitigation may well be legitimate
    evidence = evidence.assign(explained=evidence["mitigation"].astype("str") != "")
    related = evidence.assign(id=evidence["related_ids"].str.split(";")).explode("id")
    columns = ["rule_id", "amount_at_risk", "explained"]
    ids = pd.concat(
        [
            evidence[["entity_id", *columns]].rename(columns={"entity_id": "id"}),
            evidence[["official_id", *columns]].rename(columns={"official_id": "id"}),
            related[["id", *columns]],
        ],
        ignore_index=True,
    )
    ids = ids[ids["id"].astype("str") != ""]
    per_id = ids.groupby("id").agg(
        rules=("rule_id", common.collapse),
        amount=("amount_at_risk", "sum"),
        explained=("explained", "all"),
    )
    per_village = (
        evidence[evidence["village_code"] != ""]
        .groupby("village_code")
        .agg(rules=("rule_id", common.collapse), n_rules=("rule_id", "nunique"))
    )
    direct = frame["subject"].map(per_id["rules"]).fillna("").astype("str")
    village = frame["village_code"].map(per_village["rules"]).fillna("").astype("str")
    n_rules = frame["village_code"].map(per_village["n_rules"]).fillna(0)
    frame = frame.assign(
        direct=(direct != "").to_numpy(),
        rules=np.where(direct != "", direct, village),
        amount=np.where(direct != "", frame["subject"].map(per_id["amount"]).fillna(0.0), 0.0),
        explained=(direct != "").to_numpy()
        & frame["subject"].map(per_id["explained"]).fillna(False).astype(bool).to_numpy(),
        village_ok=((village != "") & (n_rules >= min_village_rules)).to_numpy(),
    )
    return frame


def _complaint_evidence(
    context: RuleContext, config: Config, frame: pd.DataFrame, mitigation: str | np.ndarray
) -> pd.DataFrame:
    if frame.empty:
        return empty_evidence()
    frame = frame.copy()
    frame["entity"] = frame["subject"].where(frame["subject"] != "", frame["village_code"])
    officials = set(common.officials(context, config)["official_id"])
    frame["entity_type"] = np.where(
        frame["subject"] == "",
        "village",
        np.where(frame["subject"].isin(officials), "official", "person"),
    )
    frame["official"] = frame["subject"].where(frame["subject"].isin(officials), "")
    frame["name"] = frame["subject_name"].astype("str") if "subject_name" in frame else ""
    frame["keys"] = frame["_key"]
    frame["category_text"] = frame["category"].astype("str") if "category" in frame else ""
    frame["mitigation"] = mitigation
    frame["quality"] = np.where(frame["direct"], 1.0, 0.5)
    frame["detail"] = [
        f"信访件{r.complaint_id}（{r.category_text}）反映的"
        + (f"{r.name}" if r.subject else f"{r.village_code}村")
        + ("同时命中数据规则" if r.direct else "所在村另有数据疑点，命中规则")
        + f"{r.rules}"
        for r in frame.itertuples()
    ]
    return build_evidence(
        frame,
        entity_type=frame["entity_type"],
        entity_id="entity",
        entity_name="name",
        village_code="village_code",
        official_id="official",
        related_ids="village_code",
        source_table="complaints",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="quality",
        detail="detail",
        mitigation="mitigation",
        fields=["complaint_id", "rules"],
    )


def complaint_corroborated(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A complaint whose subject (a person or cadre) also has data findings.

    Runs after every other rule and reads their evidence (``context.evidence``). The subject
    is the complaint's ID number, else the cadre of that village with the subject's name; it
    corroborates when it is the entity, the official or a related id of another rule's
    finding.

    Why
    ---
    A villager's report and an independent data finding corroborate each other (零陵: the
    voucher case started with a villager reading the platform).

    Exclusions
    ----------
    Complaints whose subject has no finding (a village-level match is R092, low severity);
    findings of the complaint rules themselves. Mitigation when every corroborating finding
    carries a mitigation itself (a look-alike: the report may concern a legitimate benefit).

    Evidence
    --------
    One row per complaint: the subject as entity, the corroborating rules in the detail,
    their money at risk as amount at risk.
    """
    frame = _corroboration(context, config, 1)
    return _complaint_evidence(
        context,
        config,
        frame[frame["direct"]],
        np.where(frame.loc[frame["direct"], "explained"], EXPLAINED, ""),
    )


def complaint_village_findings(
    context: RuleContext, config: Config, params: Params
) -> pd.DataFrame:
    """A complaint about a village that has findings of other rules (weak corroboration).

    Complaints whose subject has no finding of its own, but whose village has findings of at
    least ``min_village_rules`` distinct rules.

    Why
    ---
    Worth reading together with the village's findings, but the match is only by place.

    Exclusions
    ----------
    Complaints corroborated directly (R090); villages with fewer distinct rules.

    Evidence
    --------
    One row per complaint, with a mitigation text saying the link is the village only.
    """
    frame = _corroboration(context, config, int(params["min_village_rules"]))
    frame = frame[~frame["direct"] & frame["village_ok"]]
    return _complaint_evidence(context, config, frame, "仅所在村有其他数据疑点，未直接指向被反映人")


def repeat_complaint(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Several complaints about the same subject (二次/三次投诉).

    Complaints grouped by subject (ID, else cadre matched by name in the village, else name
    and village); at least ``min_complaints``.

    Why
    ---
    Repeat complaints mean the first answer did not settle the matter (桑植 counts them).

    Exclusions
    ----------
    Complaints without any subject or village.

    Evidence
    --------
    One row per subject with the number of complaints.
    """
    frame = _complaints(context, config)
    if frame.empty:
        return empty_evidence()
    frame["entity"] = frame["subject"].where(
        frame["subject"] != "",
        np.where(
            frame["subject_norm"] != "",
            "名:" + frame["village_code"] + ":" + frame["subject_norm"],
            frame["village_code"],
        ),
    )
    frame = frame[frame["entity"].astype("str").str.strip(":名") != ""]
    officials = set(common.officials(context, config)["official_id"])
    found = frame.groupby("entity", as_index=False).agg(
        count=("complaint_id", "size"),
        keys=("_key", common.collapse),
        village_code=("village_code", "first"),
        name=("subject_name", "first") if "subject_name" in frame else ("entity", "first"),
        subject=("subject", "first"),
    )
    found = found[found["count"] >= int(params["min_complaints"])]
    if found.empty:
        return empty_evidence()
    found["entity_type"] = np.where(
        found["entity"].isin(officials),
        "official",
        np.where(
            found["subject"] != "",
            "person",
            np.where(found["entity"] == found["village_code"], "village", "person"),
        ),
    )
    found["detail"] = [
        f"{r.name or r.village_code}被重复举报{r.count}次" for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type=found["entity_type"],
        entity_id="entity",
        entity_name="name",
        village_code="village_code",
        source_table="complaints",
        source_key="keys",
        amount_at_risk=0.0,
        detail="detail",
        fields=["count"],
    )
