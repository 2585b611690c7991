"""The catalogue as a whole: ids, docs, config, tests, runner behaviour, generated docs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from rules_helpers import PROGRAMS, payment, person, pid, tables

from riskmodel.config import ConfigError, load_config, override
from riskmodel.rules import EVIDENCE_COLUMNS, RULES, RuleContext, get_rule, run_rules
from riskmodel.rules.docs import catalogue_markdown
from riskmodel.rules.evidence import EvidenceError, validate_evidence
from riskmodel.rules.registry import CATEGORIES, DOC_SECTIONS, SCHEMES, Rule
from riskmodel.schemas import get_table

TESTS = Path(__file__).parent


def test_ids_are_unique_ordered_and_at_least_40():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) >= 40
    assert ids == sorted(ids)


def test_every_rule_is_documented():
    for rule in RULES:
        for section in DOC_SECTIONS:
            assert len(rule.doc.get(section, "")) > 20, (rule.id, section)


def test_every_rule_is_configured_and_every_config_table_is_a_rule():
    config = load_config()
    assert set(config["rules"]) == {rule.id for rule in RULES}
    for rule in RULES:
        assert {"enabled", "severity"} <= set(config["rules"][rule.id]), rule.id
        for name in rule.params:
            key = name if "." in name else f"rules.{rule.id}.{name}"
            node = config
            for part in key.split("."):
                assert part in node, f"{rule.id}: {key} is not configured"
                node = node[part]
        own = set(config["rules"][rule.id]) - {"enabled", "severity"}
        assert own == {p for p in rule.params if "." not in p}, rule.id


def test_every_rule_has_a_test():
    text = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.glob("test_rules_*.py"))
    tested = set(re.findall(r"def test_(r\d{3})_", text))
    missing = [rule.id for rule in RULES if rule.id.lower() not in tested]
    assert not missing, f"rules without a test: {missing}"


def test_required_columns_exist_in_the_schemas():
    for rule in RULES:
        for item in (*rule.requires, *rule.optional):
            table, _, column = item.partition(".")
            declared = get_table(table)
            if column:
                assert column in declared.column_names, (rule.id, item)


def test_every_scheme_is_targeted_and_categories_are_known():
    assert {rule.scheme for rule in RULES if rule.scheme} == set(SCHEMES)
    assert {rule.category for rule in RULES} == set(CATEGORIES)


def test_unknown_rule_is_a_clear_error():
    with pytest.raises(KeyError, match="no rule named 'R999'"):
        get_rule("R999")
    with pytest.raises(ConfigError, match=r"rules\.R001\.grace"):
        override(load_config(), {"rules": {"R001": {"grace": 3}}})


def test_bad_declaration_is_rejected():
    with pytest.raises(ValueError, match="category"):
        Rule("R900", "x", "x", "nonsense", "高", lambda c, k, p: None, ())
    with pytest.raises(ValueError, match="R001"):
        Rule("X1", "x", "x", "payments", "高", lambda c, k, p: None, ())


def _small():
    return tables(
        residents=[person(1, "H1")],
        payments=[payment(1), payment(1, day="2024-03-11")],
        programs=PROGRAMS,
    )


def test_runner_reports_skipped_with_the_missing_column_and_times_rules():
    run = run_rules(RuleContext(_small()), load_config())
    status = run.status.set_index("rule_id")
    assert status.loc["R001", "status"] == "skipped"
    assert "deaths.id_number" in status.loc["R001", "reason"]
    assert status.loc["R060", "status"] == "skipped"
    assert "official_links" in status.loc["R060", "reason"]
    assert status.loc["R020", "status"] == "ran"
    assert status.loc["R020", "findings"] == 1
    assert (status["seconds"] >= 0).all()
    assert tuple(run.evidence.columns) == EVIDENCE_COLUMNS
    assert set(status["status"]) <= {"ran", "skipped", "failed"}
    assert not (status["status"] == "failed").any(), status[status["status"] == "failed"]


def test_a_failing_rule_is_reported_not_fatal(monkeypatch):
    import riskmodel.rules.catalogue as catalogue

    def broken(context, config, params):
        raise RuntimeError("boom")

    rule = get_rule("R020")
    monkeypatch.setitem(
        catalogue.RULES_BY_ID,
        "R020",
        Rule(
            rule.id,
            rule.title_zh,
            rule.title_en,
            rule.category,
            rule.severity,
            broken,
            rule.requires,
            doc=rule.doc,
        ),
    )
    run = run_rules(RuleContext(_small()), load_config(), only=["R020", "R032"])
    status = run.status.set_index("rule_id")
    assert status.loc["R020", "status"] == "failed"
    assert "boom" in status.loc["R020", "reason"]
    assert status.loc["R032", "status"] == "ran"


def test_disabled_rule_and_severity_override():
    config = override(load_config(), {"rules": {"R020": {"enabled": False, "severity": "低"}}})
    status = run_rules(RuleContext(_small()), config, only=["R020"]).status.iloc[0]
    assert status["status"] == "skipped" and "disabled" in status["reason"]
    assert status["severity"] == "低"


def test_evidence_validation_names_problems():
    bad = pd.DataFrame({column: ["x"] for column in EVIDENCE_COLUMNS})
    bad["amount_at_risk"] = 0.0
    bad["match_quality"] = 2.0
    bad["entity_type"] = "alien"
    with pytest.raises(EvidenceError, match=r"unknown entity_type.*match_quality"):
        validate_evidence(bad)
    with pytest.raises(EvidenceError, match="columns"):
        validate_evidence(bad.drop(columns=["fields"]))


def test_generated_docs_are_current():
    page = catalogue_markdown(load_config())
    for rule in RULES:
        assert f"## {rule.id} {rule.title_zh}" in page
    committed = TESTS.parent / "docs" / "rules.md"
    assert committed.read_text(encoding="utf-8") == page, (
        "run: riskmodel rules --markdown docs/rules.md"
    )


def test_rules_command_prints_the_catalogue(capsys, tmp_path):
    import argparse

    from riskmodel.rules import rules_command

    assert rules_command(argparse.Namespace(markdown=None, config=None)) == 0
    assert "R001" in capsys.readouterr().out
    target = tmp_path / "rules.md"
    assert rules_command(argparse.Namespace(markdown=str(target), config=None)) == 0
    assert "R092" in target.read_text(encoding="utf-8")


def test_ids_in_evidence_are_the_rule_ids():
    run = run_rules(RuleContext(_small()), load_config(), only=["R020"])
    assert set(run.evidence["rule_id"]) == {"R020"}
    assert run.evidence["entity_id"].iloc[0] == pid(1)


def test_header_only_tables_and_empty_columns_count_as_absent():
    loaded = _small()
    loaded["payments"]["account_no"] = pd.Series(pd.NA, index=loaded["payments"].index, dtype="str")
    loaded["deaths"] = pd.DataFrame({"id_number": pd.Series([], dtype="str"), "_key": []})
    context = RuleContext(loaded)
    assert not context.has("deaths") and not context.has("payments.account_no")
    assert context.has("payments") and context.has("payments.amount")
    status = run_rules(context, load_config()).status.set_index("rule_id")
    assert status.loc["R001", "status"] == "skipped"  # deaths has no rows
    assert "deaths.id_number（全空）" in status.loc["R001", "reason"]
    assert status.loc["R025", "status"] == "skipped"  # no account number in any row
    assert "payments.account_no（全空）" in status.loc["R025", "reason"]
    assert status.loc["R020", "status"] == "ran"
