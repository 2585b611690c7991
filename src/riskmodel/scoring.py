"""Evidence + detector findings × configured precisions → 0–100 scores with contributions.

Design (domain-research.md §3.4, adopted with three changes, each said why)
---------------------------------------------------------------------------
* Every evidence row is a *signal* of strength ``s = p_r · q · m``: ``p_r`` the prior
  precision of its rule (probability that a hit is 属实/部分属实) from
  ``scoring.rule_precision[<rule id>]``, else ``scoring.severity_precision[<severity>]`` of the
  rule catalogue, else ``scoring.default_precision``; ``q`` the row's ``match_quality``; ``m`` =
  ``mitigation_factor`` when the row carries a mitigation (a harmless look-alike is *possible*,
  so the row keeps a small weight rather than vanishing) and ``official_factor`` when a
  responsible official is named (the commission acts on officials). A detector finding is a
  signal of strength ``p_d · anomaly`` with ``p_d`` from ``scoring.detector_precision``.
* Per entity, the rows of one rule count once (the strongest row: twelve monthly payments
  after one death are one fact, not twelve), and distinct rules and detectors combine by
  noisy-OR: ``score = 100 · (1 − Π (1 − s_r))``. Two independent rules outrank one strong rule,
  as analysts do. *Change 1*: the ``c_<rule>`` columns split the score additively in the
  log-odds-of-miss space, ``c_r = score · log(1 − s_r) / Σ log(1 − s_k)``, so the
  contributions sum exactly to the score and are the explanation.
* *Change 2*: roll-ups are signals too. A household receives its members' scores, a village its
  households', accounts', officials', projects' … scores, a town its villages', a program its
  payment-level evidence, each child as a signal of strength ``w · score/100`` (``w`` from
  ``scoring.rollup``), combined by the same noisy-OR over the ``max_children`` strongest
  children, so one village with five strong cases outranks one with thirty faint look-alikes.
* *Change 3*: when the ``outcomes`` table is present, ``p_r`` is replaced by the mean of a Beta
  posterior (prior ``Beta(k·p_r, k·(1−p_r))`` with ``k = outcomes.prior_strength``) updated by
  the verdicts (属实/部分属实 = success, 不属实/查无实据 = failure) of the entities it flagged.
* Money at risk (the largest per-rule sum, so overlapping rules on the same payments are not
  added twice) is the tie-breaker of the rank, and is shown in yuan.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

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
    "town",
)
SIGNAL_COLUMNS = [
    "source_id",
    "kind",
    "entity_type",
    "entity_id",
    "entity_name",
    "village_code",
    "strength",
    "amount_at_risk",
    "detail",
    "mitigation",
    "official_id",
    "program_code",
]


def scoring_config(config: dict[str, Any]) -> dict[str, Any]:
    """The ``scoring`` section of ``config`` (the packaged defaults when absent)."""
    if "scoring" in config:
        return config["scoring"]
    from riskmodel.config import load_defaults

    return load_defaults()["scoring"]


def rule_catalogue() -> pd.DataFrame:
    """``rule_id, title, category, severity, scheme`` of the rule registry (empty if absent)."""
    columns = ["rule_id", "title", "category", "severity", "scheme"]
    try:
        from riskmodel.rules.catalogue import RULES
    except ImportError:
        try:
            from riskmodel.rules import RULES  # type: ignore[attr-defined,no-redef]
        except ImportError:
            return pd.DataFrame(columns=columns)
    rules = RULES.values() if isinstance(RULES, dict) else RULES
    rows = [(r.id, r.title_zh, r.category, r.severity, getattr(r, "scheme", "")) for r in rules]
    return pd.DataFrame(rows, columns=columns)


def detector_titles() -> dict[str, str]:
    """Detector id → Chinese title."""
    from riskmodel.detectors import DETECTORS

    return {d.id: d.title_zh for d in DETECTORS.values()}


def source_titles(catalogue: pd.DataFrame | None = None) -> dict[str, str]:
    """Rule and detector id → Chinese title."""
    catalogue = rule_catalogue() if catalogue is None else catalogue
    titles = dict(zip(catalogue["rule_id"], catalogue["title"], strict=True))
    titles.update(detector_titles())
    return titles


def rule_precisions(
    rule_ids: pd.Series,
    config: dict[str, Any],
    catalogue: pd.DataFrame | None = None,
    learned: pd.DataFrame | None = None,
) -> pd.Series:
    """Prior (or learned) precision of each rule id: by id, else by severity, else default."""
    settings = scoring_config(config)
    catalogue = rule_catalogue() if catalogue is None else catalogue
    severity = dict(zip(catalogue["rule_id"], catalogue["severity"], strict=True))
    by_id = {k: float(v) for k, v in settings["rule_precision"].items() if k != "_open"}
    by_severity = settings["severity_precision"]
    default = float(settings["default_precision"])
    learned_map = (
        dict(zip(learned["rule_id"], learned["precision"], strict=True))
        if learned is not None and len(learned)
        else {}
    )

    def one(rule_id: str) -> float:
        if rule_id in learned_map:
            return float(learned_map[rule_id])
        if rule_id in by_id:
            return by_id[rule_id]
        if severity.get(rule_id) in by_severity:
            return float(by_severity[severity[rule_id]])
        return default

    unique = {rule_id: one(rule_id) for rule_id in pd.unique(rule_ids.astype(str))}
    return rule_ids.astype(str).map(unique).astype(float)


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype="str")
    return frame[column].astype("object").where(frame[column].notna(), "").astype("str")


def evidence_signals(
    evidence: pd.DataFrame,
    config: dict[str, Any],
    catalogue: pd.DataFrame | None = None,
    learned: pd.DataFrame | None = None,
    village_count: int = 0,
) -> pd.DataFrame:
    """One signal per evidence row (strength = precision × match quality × factors).

    With ``village_count`` (villages in the input), a rule that fires in most villages is
    damped by :func:`prevalence_factor`: what every village shows is a local practice (wages
    paid through the ledger, a cadre's relatives on the roll in a village of relatives), not a
    lead; the comparison with peers is what makes a finding informative.
    """
    settings = scoring_config(config)
    if evidence is None or not len(evidence):
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    precision = rule_precisions(evidence["rule_id"], config, catalogue, learned)
    precision = field_precisions(evidence, precision, config, learned)
    precision = precision * corroboration_factor(evidence, precision, config, catalogue, learned)
    precision = precision * prevalence_factor(evidence, village_count, config)
    quality = pd.to_numeric(evidence.get("match_quality", 1.0), errors="coerce")
    quality = pd.Series(quality, index=evidence.index).fillna(1.0).clip(0, 1)
    mitigation = _text_column(evidence, "mitigation")
    official = _text_column(evidence, "official_id")
    factor = np.where(mitigation != "", float(settings["mitigation_factor"]), 1.0)
    factor = factor * np.where(official != "", float(settings["official_factor"]), 1.0)
    strength = (precision * quality * factor).clip(0, float(settings["max_strength"]))
    signals = pd.DataFrame(
        {
            "source_id": evidence["rule_id"].astype(str),
            "kind": "rule",
            "entity_type": evidence["entity_type"].astype(str),
            "entity_id": evidence["entity_id"].astype(str),
            "entity_name": _text_column(evidence, "entity_name"),
            "village_code": _text_column(evidence, "village_code"),
            "strength": strength.astype(float),
            "amount_at_risk": pd.to_numeric(evidence.get("amount_at_risk", 0.0), errors="coerce"),
            "detail": _text_column(evidence, "detail"),
            "mitigation": mitigation,
            "official_id": official,
            "program_code": _evidence_programs(evidence),
        }
    )
    signals["amount_at_risk"] = signals["amount_at_risk"].fillna(0.0)
    return signals.reset_index(drop=True)


def _row_fields(evidence: pd.DataFrame, rule: str) -> dict[int, dict[str, Any]]:
    """Position → ``fields`` JSON (as a dict; empty when unreadable) of ``rule``'s rows."""
    positions = np.flatnonzero((evidence["rule_id"].astype(str) == rule).to_numpy(dtype=bool))
    if "fields" not in evidence.columns:
        return {int(position): {} for position in positions}
    texts = evidence["fields"].to_numpy(dtype=object)
    parsed: dict[int, dict[str, Any]] = {}
    for index in positions:
        text = texts[index]
        try:
            value = json.loads(text) if isinstance(text, str) and text else {}
        except ValueError:
            value = {}
        parsed[int(index)] = value if isinstance(value, dict) else {}
    return parsed


def field_precisions(
    evidence: pd.DataFrame,
    precision: pd.Series,
    config: dict[str, Any],
    learned: pd.DataFrame | None = None,
) -> pd.Series:
    """Per-row precision where a rule's rows differ in kind by a field of their evidence.

    ``scoring.field_precision.<rule> = {<field> = p}``: a row of that rule whose ``fields``
    JSON holds ``<field>`` true is worth ``p`` (R021: one person drawing both programs of an
    exclusive pair in the same months is a double payment of one need, as certain as R020; a
    household drawing one program each is a household-eligibility question). A precision
    learned from outcomes for the rule wins.
    """
    table = {
        rule: fields
        for rule, fields in scoring_config(config).get("field_precision", {}).items()
        if rule != "_open" and isinstance(fields, dict)
    }
    learned_rules = set(learned["rule_id"]) if learned is not None and len(learned) else set()
    values = precision.to_numpy(dtype=float, copy=True)
    for rule, fields in table.items():
        if rule in learned_rules:
            continue
        for position, row in _row_fields(evidence, rule).items():
            chosen = [float(p) for field, p in fields.items() if row.get(field) is True]
            if chosen:
                values[position] = max(chosen)
    return pd.Series(values, index=precision.index)


def corroboration_factor(
    evidence: pd.DataFrame,
    precision: pd.Series,
    config: dict[str, Any],
    catalogue: pd.DataFrame | None = None,
    learned: pd.DataFrame | None = None,
) -> pd.Series:
    """Scale of each row of a corroborating rule by the credibility of what corroborates it.

    ``scoring.corroboration.fields.<rule> = <field>``: the rule's rows list, in that ``fields``
    key (';'-separated), the rules whose findings corroborate them (R090: a complaint matching
    data findings on the person it names). Such a row is worth ``min(1, c / reference)`` of its
    precision, ``c`` the noisy-OR of the corroborating findings' strengths, one full weight per
    family and ``within_family_weight`` for the others (as in :func:`combine`). A finding's
    strength is its row's ``precision`` × match quality × ``mitigation_factor`` when it
    carries a mitigation, the strongest row per rule among those on the subject (its entity,
    its official or a related id; the rule's prior when none is found). So a complaint matched
    only by a cadre's relative on the welfare roll — common in a village of relatives — or by
    payments the rules themselves explain is not as strong as one matched by payments after
    death or a captured card. 1 for other rows.
    """
    settings = scoring_config(config)
    section = settings.get("corroboration", {})
    listed = {k: v for k, v in section.get("fields", {}).items() if k != "_open"}
    factor = np.ones(len(evidence))
    if not listed or not len(evidence):
        return pd.Series(factor, index=evidence.index)
    reference = float(section["reference"])
    within = float(settings["within_family_weight"])
    catalogue = rule_catalogue() if catalogue is None else catalogue
    families = source_families(config, catalogue)
    wanted: dict[int, tuple[str, list[str]]] = {}
    for rule, field in listed.items():
        for position, row in _row_fields(evidence, rule).items():
            named = [r for r in str(row.get(field, "") or "").split(";") if r and r != rule]
            if named:
                subject = str(evidence["entity_id"].iat[position])
                wanted[position] = (subject, named)
    if not wanted:
        return pd.Series(factor, index=evidence.index)
    strength = _finding_strengths(evidence, precision, settings)
    found = _strongest_on_subjects(
        evidence,
        strength,
        {subject for subject, _ in wanted.values()},
        {rule for _, named in wanted.values() for rule in named},
    )
    listed_rules = sorted({rule for _, named in wanted.values() for rule in named})
    priors = dict(
        zip(
            listed_rules,
            rule_precisions(pd.Series(listed_rules), config, catalogue, learned),
            strict=True,
        )
    )
    for position, (subject, named) in wanted.items():
        values = [found.get((subject, other), float(priors[other])) for other in named]
        ordered = sorted(zip(values, named, strict=True), reverse=True)
        seen: set[str] = set()
        miss = 1.0
        for value, other in ordered:
            family = families.get(other, other) or other
            miss *= 1.0 - (value if family not in seen else within * value)
            seen.add(family)
        factor[position] = min(1.0, (1.0 - miss) / max(reference, 1e-9))
    return pd.Series(factor, index=evidence.index)


def _finding_strengths(
    evidence: pd.DataFrame, precision: pd.Series, settings: dict[str, Any]
) -> np.ndarray:
    """precision × match quality × (mitigation_factor where mitigated) of each row."""
    quality = pd.to_numeric(evidence.get("match_quality", 1.0), errors="coerce")
    quality = pd.Series(quality, index=evidence.index).fillna(1.0).clip(0, 1).to_numpy()
    mitigated = (_text_column(evidence, "mitigation") != "").to_numpy(dtype=bool)
    factor = np.where(mitigated, float(settings["mitigation_factor"]), 1.0)
    return precision.to_numpy(dtype=float) * quality * factor


def _strongest_on_subjects(
    evidence: pd.DataFrame, strength: np.ndarray, subjects: set[str], rules: set[str]
) -> dict[tuple[str, str], float]:
    """(subject, rule) → strongest row of ``rule`` naming the subject as entity, official or
    related id."""
    chosen = evidence["rule_id"].astype(str).isin(list(rules)).to_numpy(dtype=bool)
    positions = np.flatnonzero(chosen)
    columns = [
        _text_column(evidence, c).to_numpy(dtype=object)
        for c in ("rule_id", "entity_id", "official_id", "related_ids")
    ]
    best: dict[tuple[str, str], float] = {}
    for position in positions:
        rule, entity, official, related = (column[position] for column in columns)
        named = {entity, official, *related.split(";")} & subjects
        for subject in named:
            key = (subject, rule)
            best[key] = max(best.get(key, 0.0), float(strength[position]))
    return best


def prevalence_factor(
    evidence: pd.DataFrame, village_count: int, config: dict[str, Any]
) -> pd.Series:
    """Damping of each row's rule by the share of villages in which the rule fires.

    1 up to ``prevalence.start`` (share of villages), falling linearly to ``prevalence.floor``
    when the rule fires in every village. Needs at least ``prevalence.min_villages``.
    """
    settings = scoring_config(config)["prevalence"]
    ones = pd.Series(1.0, index=evidence.index)
    if village_count < int(settings["min_villages"]) or "village_code" not in evidence.columns:
        return ones
    villages = _text_column(evidence, "village_code")
    share = evidence.assign(_village=villages)[villages != ""].groupby("rule_id")[
        "_village"
    ].nunique() / float(village_count)
    start, floor = float(settings["start"]), float(settings["floor"])
    excess = ((share - start) / max(1.0 - start, 1e-9)).clip(0, 1)
    factor = 1.0 - (1.0 - floor) * excess
    return evidence["rule_id"].map(factor).fillna(1.0).astype(float)


def village_count(tables: dict[str, pd.DataFrame]) -> int:
    """Number of villages in the input (villages table, else residents)."""
    for name in ("villages", "residents"):
        frame = tables.get(name)
        if frame is not None and "village_code" in frame.columns:
            return int(frame["village_code"].dropna().astype(str).nunique())
    return 0


def _evidence_programs(evidence: pd.DataFrame) -> pd.Series:
    """Program code named in each evidence row's ``fields`` JSON ('' when none)."""
    programs = pd.Series("", index=evidence.index, dtype="object")
    if "fields" not in evidence.columns:
        return programs.astype(str)
    for index, text in evidence["fields"].items():
        if not isinstance(text, str) or "program" not in text:
            continue
        try:
            fields = json.loads(text)
        except ValueError:
            continue
        if isinstance(fields, dict):
            value = fields.get("program_code") or fields.get("program")
            if isinstance(value, str):
                programs[index] = value
    return programs.astype(str)


def finding_signals(findings: pd.DataFrame | None, config: dict[str, Any]) -> pd.DataFrame:
    """One signal per detector finding (strength = detector precision × anomaly)."""
    settings = scoring_config(config)
    if findings is None or not len(findings):
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    precision = findings["detector_id"].map(settings["detector_precision"]).astype(float)
    precision = precision.fillna(float(settings["default_precision"]))
    mitigation = _text_column(findings, "mitigation")
    strength = (precision * findings["anomaly"].astype(float).clip(0, 1)).clip(
        0, float(settings["max_strength"])
    )
    return pd.DataFrame(
        {
            "source_id": findings["detector_id"].astype(str),
            "kind": "detector",
            "entity_type": findings["entity_type"].astype(str),
            "entity_id": findings["entity_id"].astype(str),
            "entity_name": "",
            "village_code": _text_column(findings, "village_code"),
            "strength": strength,
            "amount_at_risk": findings["amount_at_risk"].astype(float).fillna(0.0),
            "detail": _text_column(findings, "detail"),
            "mitigation": mitigation,
            "official_id": _text_column(findings, "official_id"),
            "program_code": _text_column(findings, "program_code"),
        }
    ).reset_index(drop=True)


def noisy_or(strengths: np.ndarray) -> float:
    """``1 − Π (1 − s)``."""
    return float(1.0 - np.prod(1.0 - np.clip(np.asarray(strengths, dtype=float), 0, 0.999)))


def source_families(
    config: dict[str, Any], catalogue: pd.DataFrame | None = None
) -> dict[str, str]:
    """Rule/detector id → family: ``scoring.families``, else the rule's scheme, else itself.

    Rules of one family read the same fact (a beneficiary related to a cadre shows up as
    kinship, as a shared household and as a graph path); they must not multiply as if they
    were independent witnesses.
    """
    catalogue = rule_catalogue() if catalogue is None else catalogue
    families = {
        rule: scheme
        for rule, scheme in zip(catalogue["rule_id"], catalogue["scheme"], strict=True)
        if scheme
    }
    for family, members in scoring_config(config)["families"].items():
        if family == "_open":
            continue
        families.update({member: family for member in members})
    return families


def combine(
    signals: pd.DataFrame,
    titles: dict[str, str],
    families: dict[str, str] | None = None,
    within_family: float = 1.0,
) -> pd.DataFrame:
    """Noisy-OR per entity over distinct sources, with additive contribution columns.

    Within a family (``families``) only the strongest source counts fully; the others count
    with weight ``within_family``.

    Returns
    -------
    DataFrame
        ``entity_type, entity_id, entity_name, village_code, score, amount_at_risk, reasons,
        sources`` and one ``c_<source>`` column per source.
    """
    if not len(signals):
        return pd.DataFrame(
            columns=[
                "entity_type",
                "entity_id",
                "entity_name",
                "village_code",
                "score",
                "amount_at_risk",
                "reasons",
                "sources",
            ]
        )
    signals = signals.astype({"strength": float, "amount_at_risk": float})
    for column in ("entity_name", "village_code", "detail", "mitigation"):
        signals[column] = signals[column].fillna("").astype(str)
    keys = ["entity_type", "entity_id", "source_id"]
    ordered = signals.sort_values("strength", ascending=False)
    best = ordered.drop_duplicates(keys).copy()
    amounts = signals.groupby(keys, sort=False)["amount_at_risk"].sum()
    best["amount_sum"] = amounts.reindex(pd.MultiIndex.from_frame(best[keys])).to_numpy()
    entity = ["entity_type", "entity_id"]
    family = best["source_id"].map(families or {}).fillna(best["source_id"])
    best = best.assign(_family=family.where(family != "", best["source_id"]))
    best = best.sort_values("strength", ascending=False, kind="stable")
    first = best.groupby([*entity, "_family"], sort=False).cumcount() == 0
    effective = best["strength"].where(first, within_family * best["strength"])
    best["log_miss"] = np.log1p(-effective.clip(0, 0.999))
    total_log = best.groupby(entity)["log_miss"].transform("sum")
    best["entity_score"] = 100.0 * (1.0 - np.exp(total_log))
    share = np.where(total_log < 0, best["log_miss"] / total_log.where(total_log < 0, -1), 0.0)
    best["contribution"] = best["entity_score"] * share
    contributions = best.pivot_table(
        index=entity, columns="source_id", values="contribution", aggfunc="sum", fill_value=0.0
    )
    contributions.columns = [f"c_{column}" for column in contributions.columns]
    best = best.sort_values(["contribution"], ascending=False)
    grouped = best.groupby(entity, sort=False)
    summary = grouped.agg(
        score=("entity_score", "first"),
        amount_at_risk=("amount_sum", "max"),
    )
    summary["sources"] = pd.Series(_sources_by_entity(best, entity)).reindex(summary.index)
    names = signals[signals["entity_name"] != ""].drop_duplicates(entity).set_index(entity)
    villages = signals[signals["village_code"] != ""].drop_duplicates(entity).set_index(entity)
    summary["entity_name"] = names["entity_name"].reindex(summary.index).fillna("")
    summary["village_code"] = villages["village_code"].reindex(summary.index).fillna("")
    summary["reasons"] = pd.Series(_reasons_by_entity(best, entity, titles)).reindex(summary.index)
    result = summary.join(contributions).reset_index()
    return result


def _sources_by_entity(best: pd.DataFrame, entity: list[str]) -> dict[tuple[str, str], str]:
    """Each entity's sources joined by ';' in the order of ``best`` (one pass, no groupby)."""
    joined: dict[tuple[str, str], list[str]] = {}
    columns = [best[c].tolist() for c in (*entity, "source_id")]
    for kind, entity_id, source in zip(*columns, strict=True):
        joined.setdefault((kind, entity_id), []).append(source)
    return {key: ";".join(sources) for key, sources in joined.items()}


def _reasons_by_entity(
    best: pd.DataFrame, entity: list[str], titles: dict[str, str], limit: int = 4
) -> dict[tuple[str, str], str]:
    """Chinese reasons per entity from its sources, strongest contribution first."""
    columns = [best[c].tolist() for c in (*entity, "source_id", "contribution", "detail")]
    mitigations = best["mitigation"].tolist()
    parts: dict[tuple[str, str], list[str]] = {}
    counts: dict[tuple[str, str], int] = {}
    for kind, entity_id, source, contribution, detail, mitigation in zip(
        *columns, mitigations, strict=True
    ):
        key = (kind, entity_id)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > limit:
            continue
        title = titles.get(source, source)
        text = f"{title}[{source}] 贡献{contribution:.0f}分：{detail}"
        if mitigation:
            text += f"（可能合理：{mitigation}）"
        parts.setdefault(key, []).append(text)
    return {
        key: "；".join(texts + ([f"另有{counts[key] - limit}项"] if counts[key] > limit else []))
        for key, texts in parts.items()
    }


def _reasons(rows: pd.DataFrame, titles: dict[str, str], limit: int = 4) -> str:
    parts = []
    for record in rows.head(limit).itertuples(index=False):
        title = titles.get(record.source_id, record.source_id)
        text = f"{title}[{record.source_id}] 贡献{record.contribution:.0f}分：{record.detail}"
        if record.mitigation:
            text += f"（可能合理：{record.mitigation}）"
        parts.append(text)
    if len(rows) > limit:
        parts.append(f"另有{len(rows) - limit}项")
    return "；".join(parts)


def _rollup_signals(
    children: pd.DataFrame,
    parent_type: str,
    parent_of: pd.Series,
    weight: float,
    max_children: int,
    label: str,
) -> pd.DataFrame:
    """Child scores as signals on their parents (the ``max_children`` strongest per parent)."""
    if not len(children) or weight <= 0:
        return pd.DataFrame(columns=SIGNAL_COLUMNS)
    parents = parent_of.reindex(children.index)
    usable = children.assign(parent=parents.to_numpy())
    usable = usable[usable["parent"].notna() & (usable["parent"].astype(str) != "")]
    usable = usable.sort_values("score", ascending=False).groupby("parent").head(max_children)
    return pd.DataFrame(
        {
            "source_id": label,
            "kind": "rollup",
            "entity_type": parent_type,
            "entity_id": usable["parent"].astype(str).to_numpy(),
            "entity_name": "",
            "village_code": usable.get("village_code", "").astype(str).to_numpy()
            if parent_type != "town"
            else "",
            "strength": (weight * usable["score"].to_numpy() / 100.0).clip(0, 0.97),
            "amount_at_risk": usable["amount_at_risk"].to_numpy(),
            "detail": (
                usable["entity_type"].astype(str)
                + " "
                + usable["entity_id"].astype(str).map(_mask)
                + " 得分"
                + usable["score"].round(0).astype(int).astype(str)
            ).to_numpy(),
            "mitigation": "",
            "official_id": "",
            "program_code": "",
        }
    )


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


def _households(tables: dict[str, pd.DataFrame]) -> pd.Series:
    residents = tables.get("residents")
    if residents is None or "household_id" not in residents.columns:
        return pd.Series(dtype=str)
    people = residents.dropna(subset=["household_id"]).drop_duplicates("id_number")
    return people.set_index("id_number")["household_id"].astype(str)


def _household_villages(tables: dict[str, pd.DataFrame]) -> pd.Series:
    residents = tables.get("residents")
    if residents is None or not {"household_id", "village_code"} <= set(residents.columns):
        return pd.Series(dtype=str)
    households = residents.dropna(subset=["household_id", "village_code"])
    return (
        households.drop_duplicates("household_id")
        .set_index("household_id")["village_code"]
        .astype(str)
    )


def _towns(tables: dict[str, pd.DataFrame], villages: pd.Index) -> pd.Series:
    frame = tables.get("villages")
    if frame is not None and "village_code" in frame.columns:
        for column in ("town_code", "town_name"):
            if column in frame.columns:
                towns = frame.drop_duplicates("village_code").set_index("village_code")[column]
                found = towns.reindex(villages)
                return found.where(found.notna(), pd.Series(villages.str[:9], index=villages))
    return pd.Series(villages.str[:9], index=villages)


def _payment_programs(
    tables: dict[str, pd.DataFrame], wanted: set[str] | None = None
) -> dict[str, str]:
    """Payment row key → program (only the keys in ``wanted`` when given)."""
    payments = tables.get("payments")
    if payments is None or "_key" not in payments.columns:
        return {}
    column = "program_code" if "program_code" in payments.columns else "program_name"
    if column not in payments.columns:
        return {}
    keys = payments["_key"].astype(str)
    values = payments[column]
    if wanted is not None:
        chosen = keys.isin(list(wanted)).to_numpy(dtype=bool)
        keys = keys[chosen]
        values = values[chosen]
    return dict(zip(keys, values.astype(str), strict=True))


def _payment_programs_known(payments: pd.DataFrame) -> bool:
    return "_key" in payments.columns and (
        "program_code" in payments.columns or "program_name" in payments.columns
    )


def _program_signals(signals: pd.DataFrame, evidence: pd.DataFrame | None, tables) -> pd.Series:
    """Program of each signal: named in fields/findings, else via the payment row keys."""
    programs = signals["program_code"].astype(str).copy()
    if evidence is not None and len(evidence) and "source_key" in evidence.columns:
        payments = tables.get("payments")
        if payments is None or not len(payments):
            return programs
        rule_rows = signals.index[signals["kind"] == "rule"]
        keys = evidence["source_key"].astype(str).to_numpy(dtype=object)
        tables_of = _text_column(evidence, "source_table").to_numpy(dtype=object)
        own = programs.loc[rule_rows].to_numpy(dtype=object)
        todo: list[tuple[Any, str]] = []
        for index, program, table, key in zip(rule_rows, own, tables_of, keys, strict=False):
            if program or table != "payments":
                continue
            todo.append((index, key.split(";")[0]))
        if todo:
            by_key = _payment_programs(tables, {first for _, first in todo})
            if by_key or _payment_programs_known(payments):
                for index, first in todo:
                    programs[index] = by_key.get(first, "")
    return programs


def score_all(
    evidence: pd.DataFrame,
    findings: pd.DataFrame | None,
    tables: dict[str, pd.DataFrame],
    config: dict[str, Any],
) -> dict[str, pd.DataFrame]:
    """Score every entity type that has evidence, findings or roll-ups.

    Returns
    -------
    dict
        entity type → frame ``entity_id, score (0–100), rank, reasons, amount_at_risk,
        entity_name, village_code, severity, sources`` and ``c_<rule or detector>`` columns.
        ``scores["village"]`` and ``scores["program"]`` list every village / program of the
        input (0 when nothing was found); ``scores["town"]`` rolls villages up. The precision
        used per rule is :func:`rule_precision_table`.
    """
    settings = scoring_config(config)
    catalogue = rule_catalogue()
    titles = source_titles(catalogue)
    titles.update({f"rollup_{kind}": f"下属{kind}风险汇总" for kind in ENTITY_TYPES})
    families = source_families(config, catalogue)
    within = float(settings["within_family_weight"])

    def merge(frame: pd.DataFrame, _titles: dict[str, str]) -> pd.DataFrame:
        return combine(frame, _titles, families, within)

    learned = None
    if "outcomes" in tables and len(tables["outcomes"]) and evidence is not None:
        learned = learn_from_outcomes(tables["outcomes"], evidence, config, catalogue)
    rule_signals = evidence_signals(evidence, config, catalogue, learned, village_count(tables))
    detector_signals = finding_signals(findings, config)
    signals = pd.concat([rule_signals, detector_signals], ignore_index=True)
    if len(signals):
        signals["program_code"] = _program_signals(
            signals.reset_index(drop=True),
            evidence.reset_index(drop=True) if evidence is not None else None,
            tables,
        )
    rollup = settings["rollup"]
    max_children = int(rollup["max_children"])
    # leaves: everything but households, villages, towns and programs
    leaves = merge(
        signals[~signals["entity_type"].isin(["household", "village", "program"])], titles
    )
    persons = leaves[leaves["entity_type"] == "person"].set_index("entity_id", drop=False)
    household_of = _households(tables)
    household_signals = _rollup_signals(
        persons,
        "household",
        household_of,
        float(rollup["household"]),
        max_children,
        "rollup_person",
    )
    household_village = _household_villages(tables)
    if len(household_signals):
        household_signals["village_code"] = (
            household_signals["entity_id"].map(household_village).fillna("").astype(str)
        )
    households = merge(
        pd.concat(
            [signals[signals["entity_type"] == "household"], household_signals], ignore_index=True
        ),
        titles,
    )
    # villages: own signals + households + every other leaf that is not a person
    village_children = pd.concat(
        [households, leaves[leaves["entity_type"] != "person"]], ignore_index=True
    )
    village_children = village_children.set_index(
        village_children["entity_type"] + ":" + village_children["entity_id"], drop=False
    )
    village_rollup = _rollup_signals(
        village_children,
        "village",
        village_children["village_code"],
        float(rollup["village"]),
        max_children,
        "rollup_entities",
    )
    # persons without a household in the register still count for their village
    # (object values: the Arrow-string isin walks a county's person ids in Python)
    orphans = persons[~persons.index.astype(object).isin(household_of.index.astype(object))]
    if len(orphans):
        village_rollup = pd.concat(
            [
                village_rollup,
                _rollup_signals(
                    orphans,
                    "village",
                    orphans["village_code"],
                    float(rollup["village"]),
                    max_children,
                    "rollup_entities",
                ),
            ],
            ignore_index=True,
        )
    villages = merge(
        pd.concat(
            [signals[signals["entity_type"] == "village"], village_rollup], ignore_index=True
        ),
        titles,
    )
    all_villages = _all_villages(tables, villages)
    villages = _complete(villages, "village", all_villages)
    village_frame = villages.set_index("entity_id", drop=False)
    town_of = _towns(tables, pd.Index(village_frame.index.astype(str)))
    towns = merge(
        _rollup_signals(
            village_frame, "town", town_of, float(rollup["town"]), max_children, "rollup_village"
        ),
        titles,
    )
    program_rows = signals[signals["program_code"] != ""].copy()
    program_rows["strength"] = program_rows["strength"] * float(rollup["program"])
    program_rows["entity_type"] = "program"
    program_rows["entity_id"] = program_rows["program_code"]
    program_rows["entity_name"] = ""
    programs = merge(
        pd.concat([signals[signals["entity_type"] == "program"], program_rows], ignore_index=True),
        titles,
    )
    programs = _complete(programs, "program", _all_programs(tables, programs))
    results: dict[str, pd.DataFrame] = {}
    frames = {
        kind: leaves[leaves["entity_type"] == kind]
        for kind in ENTITY_TYPES
        if kind not in ("household", "village", "program", "town")
    }
    frames.update(household=households, village=villages, program=programs, town=towns)
    for kind, frame in frames.items():
        if kind not in ("village", "program") and not len(frame):
            continue
        results[kind] = _finish(_with_place_names(frame, kind, tables), settings)
    return results


def _place_names(tables: dict[str, pd.DataFrame], kind: str) -> dict[str, str]:
    """Code → name of the villages (``乡镇 村名``), towns or programs of the input tables."""
    if kind == "program":
        for name in ("programs", "payments"):
            frame = tables.get(name)
            if frame is not None and {"program_code", "program_name"} <= set(frame.columns):
                named = frame[["program_code", "program_name"]].dropna().astype(str)
                return dict(zip(named["program_code"], named["program_name"], strict=True))
        return {}
    villages = tables.get("villages")
    if villages is None or "village_code" not in villages.columns:
        return {}
    villages = villages.astype({"village_code": str})
    if kind == "village" and "village_name" in villages.columns:
        town = villages.get("town_name", pd.Series("", index=villages.index)).fillna("")
        village = villages["village_name"].fillna("").astype(str)
        full = (town.astype(str) + " " + village).str.strip()
        return dict(zip(villages["village_code"], full, strict=True))
    if kind == "town" and "town_name" in villages.columns:
        code = villages["town_code"] if "town_code" in villages.columns else None
        codes = code.astype(str) if code is not None else villages["village_code"].str[:9]
        return dict(zip(codes, villages["town_name"].fillna("").astype(str), strict=True))
    return {}


def _with_place_names(
    frame: pd.DataFrame, kind: str, tables: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """A village, town or program is named by the input's own tables (else by its code),
    never by the name on one of its evidence rows (a ledger rule's row names a payee)."""
    if kind not in ("village", "town", "program") or not len(frame):
        return frame
    codes = frame["entity_id"].astype(str)
    found = codes.map(_place_names(tables, kind))
    return frame.assign(entity_name=found.where(found.notna() & (found != ""), codes).astype(str))


def _all_villages(tables, villages: pd.DataFrame) -> list[str]:
    codes = set(villages["entity_id"]) if len(villages) else set()
    for name in ("villages", "residents"):
        frame = tables.get(name)
        if frame is not None and "village_code" in frame.columns:
            codes |= {str(code) for code in frame["village_code"].dropna().unique()}
    return sorted(c for c in codes if c)


def _all_programs(tables, programs: pd.DataFrame) -> list[str]:
    codes = set(programs["entity_id"]) if len(programs) else set()
    for name in ("programs", "payments"):
        frame = tables.get(name)
        if frame is not None and "program_code" in frame.columns:
            codes |= {str(code) for code in frame["program_code"].dropna().unique()}
    return sorted(c for c in codes if c)


def _complete(frame: pd.DataFrame, kind: str, codes: list[str]) -> pd.DataFrame:
    missing = sorted(set(codes) - set(frame["entity_id"] if len(frame) else []))
    if not missing:
        return frame
    extra = pd.DataFrame(
        {
            "entity_type": kind,
            "entity_id": missing,
            "entity_name": "",
            "village_code": missing if kind == "village" else "",
            "score": 0.0,
            "amount_at_risk": 0.0,
            "reasons": "",
            "sources": "",
        }
    )
    return pd.concat([frame, extra], ignore_index=True)


def _finish(frame: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    frame = frame.copy()
    contribution = [c for c in frame.columns if c.startswith("c_")]
    frame[contribution] = frame[contribution].fillna(0.0).round(2)
    frame["score"] = frame["score"].astype(float).round(2)
    frame["amount_at_risk"] = frame["amount_at_risk"].astype(float).fillna(0.0).round(2)
    frame = frame.sort_values(
        ["score", "amount_at_risk", "entity_id"], ascending=[False, False, True]
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["severity"] = severity_band(frame["score"], settings)
    front = [
        "entity_id",
        "score",
        "rank",
        "reasons",
        "amount_at_risk",
        "severity",
        "entity_name",
        "village_code",
        "sources",
    ]
    return frame[front + contribution].reset_index(drop=True)


def severity_band(scores: pd.Series, settings: dict[str, Any]) -> pd.Series:
    """高 / 中 / 低 by the configured score bands."""
    bands = settings["bands"]
    return pd.Series(
        np.where(
            scores >= float(bands["high"]),
            "高",
            np.where(scores >= float(bands["medium"]), "中", "低"),
        ),
        index=scores.index,
    )


# ------------------------------------------------------------------ learning from outcomes


def outcome_verdicts(outcomes: pd.DataFrame, config: dict[str, Any]) -> pd.Series:
    """1.0 for confirmed (属实/部分属实), 0.0 for dismissed (不属实/查无实据), NaN otherwise."""
    settings = scoring_config(config)["outcomes"]
    verdict = outcomes["outcome"].astype(str).str.strip()
    return pd.Series(
        np.where(
            verdict.isin(settings["success"]),
            1.0,
            np.where(verdict.isin(settings["failure"]), 0.0, np.nan),
        ),
        index=outcomes.index,
    )


def learn_from_outcomes(
    outcomes: pd.DataFrame,
    evidence: pd.DataFrame,
    config: dict[str, Any],
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Beta posterior precision per rule from verification outcomes.

    Each outcome row is matched to the rules that flag its entity (``entity_type`` and
    ``entity_id``, or the official named in the evidence); a ``rule_ids`` column in the
    outcomes (written back from ``leads.csv``) wins when present.

    Returns
    -------
    DataFrame
        ``rule_id, prior, alpha, beta, confirmed, dismissed, precision, confirmed_amount,
        recovered_amount``.
    """
    columns = [
        "rule_id",
        "prior",
        "alpha",
        "beta",
        "confirmed",
        "dismissed",
        "precision",
        "confirmed_amount",
        "recovered_amount",
    ]
    if outcomes is None or not len(outcomes) or evidence is None or not len(evidence):
        return pd.DataFrame(columns=columns)
    outcomes = outcomes.assign(verdict_=outcome_verdicts(outcomes, config))
    outcomes = outcomes[outcomes["verdict_"].notna()]
    pairs = []
    if "rule_ids" in outcomes.columns:
        listed = outcomes[outcomes["rule_ids"].fillna("").astype(str) != ""]
        for record in listed.itertuples(index=False):
            for rule_id in str(record.rule_ids).split(";"):
                pairs.append((rule_id, record.verdict_, _recovered(record), 0.0))
        outcomes = outcomes[outcomes["rule_ids"].fillna("").astype(str) == ""]
    by_entity = evidence.groupby(["entity_type", "entity_id"])
    amounts = by_entity["amount_at_risk"].sum()
    rules_of = by_entity["rule_id"].unique()
    official = _text_column(evidence, "official_id")
    rules_of_official = (
        evidence[official != ""].groupby(official[official != ""])["rule_id"].unique()
    )
    for record in outcomes.itertuples(index=False):
        key = (str(record.entity_type), str(record.entity_id))
        rules = list(rules_of.get(key, []))
        amount = float(amounts.get(key, 0.0))
        if record.entity_type == "official":
            rules += list(rules_of_official.get(str(record.entity_id), []))
        for rule_id in dict.fromkeys(rules):
            pairs.append((rule_id, record.verdict_, _recovered(record), amount))
    if not pairs:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(pairs, columns=["rule_id", "verdict", "recovered", "amount"])
    table["confirmed_amount"] = table["amount"] * table["verdict"]
    summary = table.groupby("rule_id").agg(
        confirmed=("verdict", "sum"),
        total=("verdict", "size"),
        confirmed_amount=("confirmed_amount", "sum"),
        recovered_amount=("recovered", "sum"),
    )
    summary["dismissed"] = summary["total"] - summary["confirmed"]
    prior = rule_precisions(pd.Series(summary.index, index=summary.index), config, catalogue)
    strength = float(scoring_config(config)["outcomes"]["prior_strength"])
    summary["prior"] = prior
    summary["alpha"] = strength * prior + summary["confirmed"]
    summary["beta"] = strength * (1 - prior) + summary["dismissed"]
    summary["precision"] = summary["alpha"] / (summary["alpha"] + summary["beta"])
    return summary.reset_index()[columns]


def _recovered(record: Any) -> float:
    value = getattr(record, "recovered_amount", 0.0)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(number) else number


def rule_precision_table(
    evidence: pd.DataFrame, tables: dict[str, pd.DataFrame], config: dict[str, Any]
) -> pd.DataFrame:
    """Per rule: prior precision, the precision used (learned from ``outcomes`` if present),
    and, with outcomes, confirmed/dismissed counts, confirmed and recovered amounts."""
    catalogue = rule_catalogue()
    learned = None
    if "outcomes" in tables and len(tables["outcomes"]) and evidence is not None:
        learned = learn_from_outcomes(tables["outcomes"], evidence, config, catalogue)
    return _precision_table(evidence, config, catalogue, learned)


def _precision_table(evidence, config, catalogue, learned) -> pd.DataFrame:
    rule_ids = (
        pd.Series(sorted(evidence["rule_id"].astype(str).unique()))
        if evidence is not None and len(evidence)
        else pd.Series([], dtype=str)
    )
    table = pd.DataFrame({"rule_id": rule_ids})
    table["prior"] = rule_precisions(rule_ids, config, catalogue).to_numpy()
    table["precision"] = rule_precisions(rule_ids, config, catalogue, learned).to_numpy()
    if learned is not None and len(learned):
        extra = learned.set_index("rule_id")[
            ["confirmed", "dismissed", "confirmed_amount", "recovered_amount"]
        ]
        table = table.join(extra, on="rule_id")
    return table
