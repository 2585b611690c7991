"""Run the catalogue: check what each rule needs, time it, never let one rule stop the run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import EVIDENCE_COLUMNS, empty_evidence, validate_evidence
from riskmodel.rules.registry import Rule, effective_severity, is_enabled, param_value

LINK_COLUMNS = ("official_id", "target_type", "target_id", "hops", "path_text")
STATUS_COLUMNS = (
    "rule_id",
    "title",
    "category",
    "status",
    "reason",
    "findings",
    "seconds",
    "severity",
)


@dataclass
class RuleRun:
    """Result of ``run_rules``: all evidence rows and one status row per rule."""

    evidence: pd.DataFrame
    status: pd.DataFrame


def missing_inputs(rule: Rule, context: RuleContext) -> list[str]:
    """The ``table`` / ``table.column`` items ``rule`` needs that the context lacks."""
    missing = [
        item if _absent(context, item) else f"{item}（全空）"
        for item in rule.requires
        if not context.has(item)
    ]
    if rule.graph:
        links = context.official_links
        if links is None or not set(LINK_COLUMNS) <= set(links.columns):
            missing.append("official_links（关系图谱路径）")
    return missing


def _absent(context: RuleContext, item: str) -> bool:
    """Whether the table or column is not there at all (rather than there but empty)."""
    name, _, column = item.partition(".")
    frame = context.tables.get(name)
    return frame is None or (bool(column) and column not in frame.columns)


def rule_params(rule: Rule, config: dict[str, Any]) -> dict[str, Any]:
    """The rule's parameters resolved from ``config``."""
    return {name: param_value(rule, name, config) for name in rule.params}


def run_rule(rule: Rule, context: RuleContext, config: dict[str, Any]) -> pd.DataFrame:
    """Run one rule (no availability check) and return its validated evidence."""
    evidence = rule.func(context, config, rule_params(rule, config))
    if evidence is None or evidence.empty:
        return empty_evidence()
    evidence = evidence.assign(rule_id=rule.id)[list(EVIDENCE_COLUMNS)]
    return validate_evidence(evidence.reset_index(drop=True))


def run_rules(
    context: RuleContext,
    config: dict[str, Any],
    only: list[str] | None = None,
    earlier: pd.DataFrame | None = None,
) -> RuleRun:
    """Run every enabled rule whose tables and columns are present.

    Rules that read other rules' evidence (complaint corroboration) run last, with
    ``context.evidence`` set to everything found before them (``earlier`` included).

    Parameters
    ----------
    context
        Tables and derived inputs.
    config
        Merged configuration (``riskmodel.config.load_config()``).
    only
        Rule ids to run (default: all); an unknown id raises ``KeyError``.
    earlier
        Evidence of rules run before, over the same context (the job runs the rules in two
        stages): seen by the rules that read evidence, not returned.
    """
    from riskmodel.rules.catalogue import RULES, get_rule

    chosen = [get_rule(rule_id) for rule_id in only] if only else list(RULES)
    ordered = [r for r in chosen if not r.reads_evidence] + [r for r in chosen if r.reads_evidence]
    pieces: list[pd.DataFrame] = []
    status: list[dict[str, Any]] = []
    for rule in ordered:
        started = time.perf_counter()
        row = {
            "rule_id": rule.id,
            "title": rule.title_zh,
            "category": rule.category,
            "status": "ran",
            "reason": "",
            "findings": 0,
            "seconds": 0.0,
            "severity": effective_severity(rule, config),
        }
        if not is_enabled(rule, config):
            row.update(status="skipped", reason=f"disabled in configuration (rules.{rule.id})")
        elif missing := missing_inputs(rule, context):
            row.update(status="skipped", reason="missing " + ", ".join(missing))
        else:
            if rule.reads_evidence:
                seen = [earlier, *pieces] if earlier is not None and len(earlier) else pieces
                context.evidence = pd.concat(seen, ignore_index=True) if seen else empty_evidence()
            try:
                evidence = run_rule(rule, context, config)
            except Exception as error:  # a failing rule is reported, never fatal
                row.update(status="failed", reason=f"{type(error).__name__}: {error}")
            else:
                row["findings"] = len(evidence)
                if len(evidence):
                    pieces.append(evidence)
        row["seconds"] = round(time.perf_counter() - started, 3)
        status.append(row)
    evidence = pd.concat(pieces, ignore_index=True) if pieces else empty_evidence()
    return RuleRun(evidence=evidence, status=pd.DataFrame(status, columns=list(STATUS_COLUMNS)))
