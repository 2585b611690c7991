"""Leads: grouping around a cadre, guards against merging villages, triage, ids, status."""

from __future__ import annotations

import pandas as pd
import pytest

from riskmodel.config import load_config, override
from riskmodel.leads import EVIDENCE_COLUMNS, LEAD_COLUMNS, build_leads, mark_status
from riskmodel.scoring import score_all

CONFIG = override(
    load_config(),
    {
        "scoring": {
            "rule_precision": {"RA": 0.6, "RB": 0.5, "RC": 0.55, "RD": 0.5, "RQ": 0.3},
            "leads": {
                "data_quality_rules": ["RQ"],
                "high_severity_rules": ["RA", "RC"],
                "grouping": "official",
            },
        }
    },
)
CADRE = "430421197001011111"
WIFE = "430421197202022222"
BROTHER = "430421197303033333"
VILLAGER1 = "430421198001014444"
VILLAGER2 = "430421198102025555"
LOOKALIKE = "430421195005056666"
TYPO = "430421199009097777"
OTHER = "430421199101018888"
ACCOUNT = "6217000011112222333"
COMPANY = "91430421MA4L000001"
V1, V2 = "430421001001", "430421001002"


def ev(
    rule_id,
    entity_type,
    entity_id,
    *,
    official="",
    related="",
    mitigation="",
    amount=100.0,
    village=V1,
    key="payments.csv:2",
):
    return {
        "rule_id": rule_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "entity_name": "某",
        "village_code": village,
        "official_id": official,
        "related_ids": related,
        "source_table": "payments",
        "source_key": key,
        "amount_at_risk": amount,
        "match_quality": 1.0,
        "detail": f"{rule_id}触发",
        "mitigation": mitigation,
        "fields": "{}",
    }


def evidence_rows():
    return pd.DataFrame(
        [
            # the cadre's wife on aid, his card collecting for two villagers, his brother's firm
            ev("RA", "person", WIFE, official=CADRE, amount=5400.0),
            ev(
                "RC",
                "account",
                ACCOUNT,
                official=CADRE,
                related=f"{VILLAGER1};{VILLAGER2}",
                amount=8000.0,
                key="payments.csv:3;payments.csv:4",
            ),
            ev(
                "RD",
                "company",
                COMPANY,
                official=CADRE,
                related=BROTHER,
                amount=90000.0,
                key="projects.csv:2",
            ),
            # a look-alike in the same village: disabled relative drawing disability subsidy
            ev("RB", "person", LOOKALIKE, official=CADRE, mitigation="持有一级残疾证，可能合规"),
            # a mistyped ID: data error only
            ev("RQ", "person", TYPO, amount=450.0, village=V2),
            # an unrelated villager of the same village with one finding
            ev("RB", "person", OTHER, amount=300.0),
        ]
    )


def tables():
    return {
        "residents": pd.DataFrame(
            {
                "id_number": [CADRE, WIFE, VILLAGER1, VILLAGER2, LOOKALIKE, TYPO, OTHER],
                "household_id": ["H1", "H1", "H2", "H3", "H4", "H5", "H6"],
                "village_code": [V1, V1, V1, V1, V1, V2, V1],
                "name": list("甲乙丙丁戊己庚"),
            }
        ),
        "officials": pd.DataFrame(
            {
                "id_number": [CADRE],
                "name": ["王某"],
                "position": ["村支书"],
                "category": ["村干部"],
                "village_code": [V1],
            }
        ),
        "villages": pd.DataFrame({"village_code": [V1, V2], "village_name": ["甲村", "乙村"]}),
    }


def run(evidence=None, findings=None, extra=None, config=CONFIG):
    evidence = evidence_rows() if evidence is None else evidence
    data = {**tables(), **(extra or {})}
    scores = score_all(evidence, findings, data, config)
    return build_leads(evidence, findings, scores, data, config)


ENTITY_CONFIG = override(CONFIG, {"scoring": {"leads": {"grouping": "entity"}}})


def test_entity_grouping_keeps_one_lead_per_entity_and_bundles_the_official():
    leads, lead_evidence = run(config=ENTITY_CONFIG)
    by_entity = leads.set_index("entity_id")
    assert {WIFE, ACCOUNT, COMPANY, LOOKALIKE, TYPO, OTHER, CADRE} == set(by_entity.index)
    # each flagged entity names its responsible official
    assert CADRE in by_entity.loc[WIFE, "related_ids"].split(";")
    assert "责任人：村支书王某" in by_entity.loc[ACCOUNT, "reasons"]
    # the cadre's bundle lead lists the bundled entities, not the look-alike, and ranks first
    bundle = by_entity.loc[CADRE]
    assert bundle["entity_type"] == "official"
    assert {WIFE, ACCOUNT, COMPANY} <= set(bundle["related_ids"].split(";"))
    assert LOOKALIKE not in bundle["related_ids"]
    assert bundle["rank"] <= 2
    assert bundle["score"] > by_entity.loc[COMPANY, "score"]
    assert "名下关联线索3条" in bundle["reasons"]
    assert set(bundle["rule_ids"].split(";")) == {"RA", "RC", "RD"}
    # its evidence rows are the bundled entities' rows
    rows = lead_evidence[lead_evidence["lead_id"] == bundle["lead_id"]]
    assert set(rows["entity_id"]) == {WIFE, ACCOUNT, COMPANY}
    assert by_entity.loc[LOOKALIKE, "rank"] == len(leads)
    assert leads["lead_id"].is_unique


def test_columns_are_the_contract():
    leads, lead_evidence = run()
    assert list(leads.columns) == LEAD_COLUMNS
    assert list(lead_evidence.columns) == EVIDENCE_COLUMNS
    assert leads["rank"].tolist() == list(range(1, len(leads) + 1))
    assert set(lead_evidence["lead_id"]) == set(leads["lead_id"])


def test_cadre_case_is_one_lead_around_the_official():
    leads, lead_evidence = run()
    top = leads.iloc[0]
    assert (top["entity_type"], top["entity_id"]) == ("official", CADRE)
    related = set(top["related_ids"].split(";"))
    assert {WIFE, ACCOUNT, COMPANY, VILLAGER1, VILLAGER2, BROTHER} <= related
    assert LOOKALIKE not in related  # the look-alike does not ride on the real case
    assert set(top["rule_ids"].split(";")) == {"RA", "RC", "RD"}
    assert top["triage"] == "线索移交"
    assert top["severity"] == "高"
    assert top["evidence_count"] == 3
    assert top["amount_at_risk"] == pytest.approx(5400 + 8000 + 90000)
    assert "责任人：村支书王某" in top["reasons"]
    assert CADRE not in top["reasons"]  # identifiers are masked in the reasons
    rows = lead_evidence[lead_evidence["lead_id"] == top["lead_id"]]
    assert set(rows["source_key"]) == {
        "payments.csv:2",
        "payments.csv:3;payments.csv:4",
        "projects.csv:2",
    }


def test_lookalike_and_data_error_rank_low_with_their_triage():
    leads, _ = run()
    by_entity = leads.set_index("entity_id")
    lookalike = by_entity.loc[LOOKALIKE]
    assert lookalike["triage"] == "督促整改"
    assert lookalike["rank"] == len(leads)
    assert lookalike["reasons"].startswith("可能为合理情形")
    assert "残疾证" in lookalike["reasons"]
    assert by_entity.loc[TYPO, "triage"] == "数据纠错"
    assert by_entity.loc[OTHER, "triage"] == "督促整改"
    # people of one village are not merged through the village
    assert len(leads) == 4


def test_village_finding_names_the_head_and_does_not_swallow_the_village():
    findings = pd.DataFrame(
        {
            "detector_id": ["D_SHORTFALL"],
            "entity_type": ["village"],
            "entity_id": [V2],
            "village_code": [V2],
            "anomaly": [1.0],
            "amount_at_risk": [6000.0],
            "detail": ["少发"],
            "top_features": ["payment_ratio"],
            "official_id": [""],
            "related_ids": ["DB"],
            "program_code": ["DB"],
            "source_table": ["payments"],
            "source_key": [""],
            "mitigation": [""],
            "fields": ["{}"],
        }
    )
    leads, _ = run(findings=findings)
    village_leads = leads[leads["entity_id"] == V2]
    assert len(village_leads) == 1
    assert village_leads.iloc[0]["rule_ids"] == "D_SHORTFALL"
    # the data error in the same village stays its own lead
    assert (leads["entity_id"] == TYPO).sum() == 1


def test_lead_ids_are_stable_across_runs_and_row_order():
    first, _ = run()
    shuffled = evidence_rows().sample(frac=1.0, random_state=3).reset_index(drop=True)
    second, _ = run(evidence=shuffled)
    assert dict(zip(first["entity_id"], first["lead_id"], strict=True)) == dict(
        zip(second["entity_id"], second["lead_id"], strict=True)
    )
    assert first["lead_id"].is_unique


def test_mark_status_new_persisting_resolved():
    leads, _ = run()
    previous = leads.iloc[[0, 1]].copy()
    gone = previous.iloc[[1]].assign(lead_id="Lgone")
    previous = pd.concat([previous.iloc[[0]], gone])
    marked, resolved = mark_status(leads, previous)
    assert marked.loc[0, "status"] == "persisting"
    assert (marked.loc[1:, "status"] == "new").all()
    assert resolved["lead_id"].tolist() == ["Lgone"]
    assert resolved["status"].tolist() == ["resolved"]
    fresh, none = mark_status(leads, None)
    assert (fresh["status"] == "new").all() and none.empty


def test_dismissed_lead_is_suppressed_unless_its_evidence_changed():
    leads, _ = run()
    other = leads.set_index("entity_id").loc[OTHER]
    unchanged = pd.DataFrame(
        {
            "lead_id": [other["lead_id"]],
            "entity_type": ["person"],
            "entity_id": [OTHER],
            "outcome": ["不属实"],
            "rule_ids": ["RB"],
            "amount_at_risk": [300.0],
        }
    )
    kept, _ = run(extra={"outcomes": unchanged})
    assert OTHER not in set(kept["entity_id"])
    assert [row["entity_id"] for row in kept.attrs["suppressed"]] == [OTHER]
    changed = unchanged.assign(amount_at_risk=100.0)
    again, _ = run(extra={"outcomes": changed})
    assert OTHER in set(again["entity_id"])
    confirmed = unchanged.assign(outcome="属实")
    still, _ = run(extra={"outcomes": confirmed})
    assert OTHER in set(still["entity_id"])


def test_no_evidence_gives_empty_frames_with_columns():
    empty = evidence_rows().iloc[0:0]
    leads, lead_evidence = build_leads(empty, None, {}, tables(), CONFIG)
    assert leads.empty and list(leads.columns) == LEAD_COLUMNS
    assert lead_evidence.empty and list(lead_evidence.columns) == EVIDENCE_COLUMNS


def test_village_context_lifts_leads_of_an_anomalous_village_only():
    findings = pd.DataFrame(
        {
            "detector_id": ["D_SHORTFALL"],
            "entity_type": ["village"],
            "entity_id": [V1],
            "village_code": [V1],
            "anomaly": [1.0],
            "amount_at_risk": [6000.0],
            "detail": ["少发"],
            "top_features": [""],
            "official_id": [""],
            "related_ids": [""],
            "program_code": ["DB"],
            "source_table": ["payments"],
            "source_key": [""],
            "mitigation": [""],
            "fields": ["{}"],
        }
    )
    plain, _ = run(config=ENTITY_CONFIG)
    lifted, _ = run(findings=findings, config=ENTITY_CONFIG)
    before = plain.set_index("entity_id")
    after = lifted.set_index("entity_id")
    assert after.loc[OTHER, "score"] > before.loc[OTHER, "score"]  # same village V1
    assert "旁证" in after.loc[OTHER, "reasons"]
    assert after.loc[TYPO, "score"] == before.loc[TYPO, "score"]  # village V2 is quiet
    assert after.loc[LOOKALIKE, "score"] == before.loc[LOOKALIKE, "score"]  # look-alike


def test_bundle_takes_the_village_context_once_not_once_per_bundled_lead():
    shortfall = pd.DataFrame(
        {
            "detector_id": ["D_SHORTFALL"],
            "entity_type": ["village"],
            "entity_id": [V1],
            "village_code": [V1],
            "anomaly": [1.0],
            "amount_at_risk": [6000.0],
            "detail": ["少发"],
            "top_features": [""],
            "official_id": [""],
            "related_ids": [""],
            "program_code": ["DB"],
            "source_table": ["payments"],
            "source_key": [""],
            "mitigation": [""],
            "fields": ["{}"],
        }
    )
    plain, _ = run(config=ENTITY_CONFIG)
    lifted, _ = run(findings=shortfall, config=ENTITY_CONFIG)
    before = plain.set_index("entity_id").loc[CADRE, "score"] / 100.0
    after = lifted.set_index("entity_id").loc[CADRE, "score"] / 100.0
    boost = 0.5 * 0.65  # village_context_weight × the village's own score (D_SHORTFALL 0.65)
    assert after == pytest.approx(1.0 - (1.0 - before) * (1.0 - boost), abs=1e-3)


def test_data_quality_finding_becomes_a_data_correction_lead_however_faint():
    evidence = pd.DataFrame(
        {
            "rule_id": ["R011"],
            "entity_type": ["person"],
            "entity_id": ["430421199001011234"],
            "entity_name": ["李小清"],
            "village_code": ["430421102204"],
            "official_id": [""],
            "related_ids": [""],
            "source_table": ["payments"],
            "source_key": ["补贴发放明细.csv:12"],
            "amount_at_risk": [0.0],
            "match_quality": [0.9],
            "detail": ["身份证号录入有误"],
            "mitigation": ["身份证号录入错误，属数据纠错"],
            "fields": ["{}"],
        }
    )
    config = load_config()
    tables: dict[str, pd.DataFrame] = {}
    scores = score_all(evidence, None, tables, config)
    leads, _ = build_leads(evidence, None, scores, tables, config)
    row = leads[leads["rule_ids"].str.contains("R011")]
    assert len(row) == 1
    assert row["triage"].iloc[0] == "数据纠错"


def test_total_amount_at_risk_counts_a_finding_once_across_lead_and_bundle():
    from riskmodel.leads import total_amount_at_risk

    leads = pd.DataFrame({"lead_id": ["L1", "L2"], "amount_at_risk": [500.0, 800.0]})
    evidence = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L2"],
            "rule_id": ["R001", "R001", "R040"],
            "source_table": ["payments", "payments", "ledger"],
            "source_key": ["a.csv:2", "a.csv:2", "b.csv:9"],
            "entity_id": ["P1", "P1", "V1"],
            "amount_at_risk": [500.0, 500.0, 300.0],
        }
    )
    assert total_amount_at_risk(leads, evidence) == 800.0
    assert total_amount_at_risk(leads, None) == 1300.0
