"""Complaint rules R090–R091 and the runner's second pass."""

from __future__ import annotations

from rules_helpers import V1, V2, cadre, payment, person, pid, run, tables

from riskmodel.config import load_config
from riskmodel.rules import RuleContext, run_rules
from riskmodel.rules.evidence import build_evidence


def complaint(number, village=V1, **extra):
    row = {
        "complaint_id": f"C{number}",
        "received_date": "2024-05-01",
        "village_code": village,
        "subject_name": "",
        "subject_id_number": "",
        "category": "优亲厚友",
        "summary": "反映村干部问题",
    }
    row.update(extra)
    return row


def _evidence(rows):
    import pandas as pd

    frame = pd.DataFrame(rows)
    return build_evidence(
        frame,
        rule_id=frame["rule_id"].iloc[0],
        entity_type="person",
        entity_id="entity_id",
        village_code="village_code",
        official_id="official_id",
        source_table="payments",
        source_key="entity_id",
        detail="entity_id",
    ).assign(rule_id=frame["rule_id"].to_numpy())


def test_r090_subject_with_findings_by_id_and_by_name():
    evidence = _evidence(
        [
            {"rule_id": "R007", "entity_id": pid(1), "village_code": V1, "official_id": pid(9)},
            {"rule_id": "R001", "entity_id": pid(2), "village_code": V2, "official_id": ""},
        ]
    )
    loaded = tables(
        officials=[cadre(9, name="王书记")],
        complaints=[
            complaint(1, subject_name="王书记"),  # cadre by name
            complaint(2, village=V2, subject_id_number=pid(2)),
            complaint(3, village=V2, subject_name="无关"),  # village has 1 rule only
            complaint(4, village="430421999999"),
        ],
    )
    found = run("R090", loaded, evidence=evidence)
    assert sorted(found["entity_id"]) == sorted([pid(9), pid(2)])
    assert set(found["match_quality"]) == {1.0}


def test_r090_mitigated_when_every_corroborating_finding_is_explained():
    rows = [
        {"rule_id": "R008", "entity_id": pid(1), "village_code": V1, "official_id": pid(9)},
        {"rule_id": "R044", "entity_id": pid(9), "village_code": V1, "official_id": pid(9)},
    ]
    loaded = tables(
        officials=[cadre(9, name="王书记")],
        complaints=[complaint(1, subject_id_number=pid(9))],
    )
    explained = _evidence(rows).assign(mitigation=["符合条件", "常规开支"])
    found = run("R090", loaded, evidence=explained)
    assert list(found["entity_id"]) == [pid(9)]
    assert "合理解释" in found["mitigation"].iloc[0]
    # one finding without an explanation: the complaint is corroborated plainly
    partly = _evidence(rows).assign(mitigation=["符合条件", ""])
    assert run("R090", loaded, evidence=partly)["mitigation"].tolist() == [""]


def test_r092_village_only_corroboration_threshold():
    evidence = _evidence(
        [
            {"rule_id": "R001", "entity_id": pid(2), "village_code": V2, "official_id": ""},
        ]
    )
    loaded = tables(complaints=[complaint(3, village=V2, subject_name="无关")])
    assert run("R090", loaded, evidence=evidence).empty
    assert run("R092", loaded, evidence=evidence).empty  # V2 has findings of one rule only
    loose = run("R092", loaded, {"rules": {"R092": {"min_village_rules": 1}}}, evidence=evidence)
    assert list(loose["entity_id"]) == [V2]
    assert loose["mitigation"].iloc[0] != "" and loose["match_quality"].iloc[0] == 0.5


def test_r090_runs_last_and_reads_other_rules():
    loaded = tables(
        residents=[person(1, "H1"), person(9, "H9")],
        officials=[cadre(9, category="公务员")],
        payments=[payment(9)],
        complaints=[complaint(1, subject_id_number=pid(9))],
    )
    result = run_rules(RuleContext(loaded), load_config(), only=["R090", "R003"])
    assert list(result.status["rule_id"]) == ["R003", "R090"]
    corroborated = result.evidence[result.evidence["rule_id"] == "R090"]
    assert list(corroborated["entity_id"]) == [pid(9)]


def test_r091_repeat_complaints():
    loaded = tables(
        officials=[cadre(9, name="王书记")],
        complaints=[
            complaint(1, subject_name="王书记"),
            complaint(2, subject_name="王书记"),
            complaint(3, subject_name="李某"),
        ],
    )
    found = run("R091", loaded)
    assert list(found["entity_id"]) == [pid(9)]
    assert run("R091", loaded, {"rules": {"R091": {"min_complaints": 3}}}).empty
