"""Scoring: noisy-OR over distinct rules, contributions, mitigation, roll-ups, outcomes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from riskmodel.config import load_config, override
from riskmodel.scoring import (
    learn_from_outcomes,
    noisy_or,
    rule_precision_table,
    score_all,
)

CONFIG = override(
    load_config(),
    {"scoring": {"rule_precision": {"RX01": 0.6, "RX02": 0.5, "RX03": 0.3, "RX09": 0.05}}},
)
P1 = "430421199001011234"
P2 = "430421199202022345"
P3 = "430421199303033456"
V1, V2, V3 = "430421001001", "430421001002", "430421002001"


def row(
    rule_id,
    entity_id,
    *,
    entity_type="person",
    village=V1,
    amount=100.0,
    quality=1.0,
    mitigation="",
    official="",
    related="",
    source_key="payments.csv:2",
    fields=None,
):
    return {
        "rule_id": rule_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "entity_name": "张三",
        "village_code": village,
        "official_id": official,
        "related_ids": related,
        "source_table": "payments",
        "source_key": source_key,
        "amount_at_risk": amount,
        "match_quality": quality,
        "detail": f"{rule_id} 触发",
        "mitigation": mitigation,
        "fields": json.dumps(fields or {}),
    }


def tables():
    residents = pd.DataFrame(
        {
            "id_number": [P1, P2, P3],
            "name": ["张三", "李四", "王五"],
            "household_id": ["H1", "H1", "H2"],
            "village_code": [V1, V1, V2],
        }
    )
    villages = pd.DataFrame(
        {
            "village_code": [V1, V2, V3],
            "village_name": ["甲村", "乙村", "丙村"],
            "town_code": ["T1", "T1", "T2"],
        }
    )
    payments = pd.DataFrame(
        {
            "_key": ["payments.csv:2", "payments.csv:3"],
            "program_code": ["DB", "TK"],
            "id_number": [P1, P3],
            "amount": [450.0, 600.0],
        }
    )
    return {"residents": residents, "villages": villages, "payments": payments}


def test_noisy_or():
    assert noisy_or([0.6, 0.5]) == pytest.approx(0.8)
    assert noisy_or([]) == 0.0


def test_distinct_rules_combine_and_repeated_rows_of_one_rule_do_not():
    evidence = pd.DataFrame(
        [
            row("RX01", P1),
            row("RX01", P1, source_key="payments.csv:3"),
            row("RX02", P1),
            row("RX01", P3, village=V2),
        ]
    )
    persons = score_all(evidence, None, tables(), CONFIG)["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(80.0)
    assert persons.loc[P3, "score"] == pytest.approx(60.0)
    # contributions are the score's parts: they add up to it
    contributions = persons.filter(like="c_")
    assert contributions.sum(axis=1).loc[P1] == pytest.approx(80.0, abs=0.05)
    assert persons.loc[P1, "c_RX01"] > persons.loc[P1, "c_RX02"] > 0
    assert persons.loc[P3, "c_RX02"] == 0
    # money at risk: per rule summed over rows, the largest rule counts
    assert persons.loc[P1, "amount_at_risk"] == pytest.approx(200.0)
    assert persons.loc[P1, "rank"] == 1
    assert "RX01" in persons.loc[P1, "reasons"]


def test_match_quality_and_mitigation_lower_the_score():
    evidence = pd.DataFrame(
        [
            row("RX01", P1),
            row("RX01", P2, quality=0.5),
            row("RX01", P3, village=V2, mitigation="死亡当月发放"),
        ]
    )
    persons = score_all(evidence, None, tables(), CONFIG)["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(60.0)
    assert persons.loc[P2, "score"] == pytest.approx(30.0)
    assert persons.loc[P3, "score"] == pytest.approx(60.0 * 0.2)
    assert "可能合理" in persons.loc[P3, "reasons"]


def test_official_named_raises_strength_up_to_the_cap():
    evidence = pd.DataFrame([row("RX01", P1, official=P2), row("RX01", P3, village=V2)])
    persons = score_all(evidence, None, tables(), CONFIG)["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(69.0)
    assert persons.loc[P3, "score"] == pytest.approx(60.0)


def test_unknown_rule_gets_the_default_precision():
    evidence = pd.DataFrame([row("R999", P1)])
    persons = score_all(evidence, None, tables(), CONFIG)["person"]
    assert persons["score"].iloc[0] == pytest.approx(100 * CONFIG["scoring"]["default_precision"])


def test_rollups_persons_household_village_town_and_program():
    evidence = pd.DataFrame([row("RX01", P1), row("RX02", P2), row("RX09", P3, village=V2)])
    scores = score_all(evidence, None, tables(), CONFIG)
    households = scores["household"].set_index("entity_id")
    assert households.loc["H1", "score"] > households.loc["H2", "score"] > 0
    villages = scores["village"].set_index("entity_id")
    assert set(villages.index) == {V1, V2, V3}  # every village, even the clean one
    assert villages.loc[V1, "score"] > villages.loc[V2, "score"] > villages.loc[V3, "score"] == 0
    assert villages.loc[V1, "rank"] == 1
    towns = scores["town"].set_index("entity_id")
    assert towns.loc["T1", "score"] > 0
    programs = scores["program"].set_index("entity_id")
    # RX01 and RX02 rows point at payments.csv:2, a DB payment
    assert programs.loc["DB", "score"] > 0
    assert programs.loc["TK", "score"] == 0


def test_villages_towns_and_programs_carry_their_own_names():
    # a village-level finding whose evidence names a payee must not name the village
    evidence = pd.DataFrame([row("RX01", V1, entity_type="village"), row("RX02", P1)]).assign(
        entity_name=["未注明收款方", "张三"]
    )
    more = tables()
    more["villages"] = more["villages"].assign(town_name=["甲镇", "甲镇", "乙镇"])
    more["payments"] = more["payments"].assign(program_name=["低保", "特困"])
    scores = score_all(evidence, None, more, CONFIG)
    villages = scores["village"].set_index("entity_id")["entity_name"]
    assert villages.to_dict() == {V1: "甲镇 甲村", V2: "甲镇 乙村", V3: "乙镇 丙村"}
    towns = scores["town"].set_index("entity_id")["entity_name"]
    assert towns.to_dict() == {"T1": "甲镇", "T2": "乙镇"}
    programs = scores["program"].set_index("entity_id")["entity_name"]
    assert programs.to_dict() == {"DB": "低保", "TK": "特困"}
    assert scores["person"].set_index("entity_id").loc[P1, "entity_name"] == "张三"


def test_detector_findings_score_with_their_precision():
    findings = pd.DataFrame(
        {
            "detector_id": ["D_SHORTFALL"],
            "entity_type": ["village"],
            "entity_id": [V3],
            "village_code": [V3],
            "anomaly": [1.0],
            "amount_at_risk": [5400.0],
            "detail": ["少发"],
            "top_features": [""],
            "program_code": ["DB"],
        }
    )
    scores = score_all(pd.DataFrame([row("RX09", P1)]), findings, tables(), CONFIG)
    villages = scores["village"].set_index("entity_id")
    assert villages.loc[V3, "score"] == pytest.approx(65.0)
    assert villages.loc[V3, "c_D_SHORTFALL"] == pytest.approx(65.0)
    assert villages.loc[V3, "rank"] == 1
    assert scores["program"].set_index("entity_id").loc["DB", "score"] > 0


def test_outcomes_update_the_rule_precision():
    evidence = pd.DataFrame(
        [row("RX01", P1, amount=900.0), row("RX01", P2), row("RX01", P3, village=V2)]
    )
    outcomes = pd.DataFrame(
        {
            "lead_id": ["a", "b", "c"],
            "entity_type": ["person"] * 3,
            "entity_id": [P1, P2, P3],
            "outcome": ["属实", "不属实", "查无实据"],
        }
    )
    learned = learn_from_outcomes(outcomes, evidence, CONFIG).set_index("rule_id")
    # Beta(6, 4) + 1 success + 2 failures = Beta(7, 6)
    assert learned.loc["RX01", "precision"] == pytest.approx(7 / 13)
    assert learned.loc["RX01", "confirmed"] == 1
    assert learned.loc["RX01", "dismissed"] == 2
    assert learned.loc["RX01", "confirmed_amount"] == pytest.approx(900.0)
    with_outcomes = {**tables(), "outcomes": outcomes}
    persons = score_all(evidence, None, with_outcomes, CONFIG)["person"]
    assert persons["score"].max() == pytest.approx(100 * 7 / 13, abs=0.01)
    table = rule_precision_table(evidence, with_outcomes, CONFIG).set_index("rule_id")
    assert table.loc["RX01", "prior"] == pytest.approx(0.6)
    assert table.loc["RX01", "precision"] == pytest.approx(7 / 13)


def test_pending_outcomes_do_not_count():
    evidence = pd.DataFrame([row("RX01", P1)])
    outcomes = pd.DataFrame({"entity_type": ["person"], "entity_id": [P1], "outcome": ["核查中"]})
    assert learn_from_outcomes(outcomes, evidence, CONFIG).empty


def test_empty_evidence_still_lists_villages_and_programs():
    scores = score_all(pd.DataFrame(columns=list(row("x", "y"))), None, tables(), CONFIG)
    assert set(scores["village"]["entity_id"]) == {V1, V2, V3}
    assert (scores["village"]["score"] == 0).all()
    assert set(scores["program"]["entity_id"]) == {"DB", "TK"}


def test_rules_of_one_family_do_not_multiply():
    config = override(
        CONFIG, {"scoring": {"families": {"kin": ["RX01", "RX02"]}, "within_family_weight": 0.25}}
    )
    evidence = pd.DataFrame([row("RX01", P1), row("RX02", P1), row("RX03", P1)])
    persons = score_all(evidence, None, tables(), config)["person"].set_index("entity_id")
    # kin family: 1 - (1-0.6)(1-0.25*0.5) = 0.65; with RX03: 1 - 0.35*0.7 = 0.755
    assert persons.loc[P1, "score"] == pytest.approx(75.5)
    assert persons.loc[P1, "c_RX02"] < persons.loc[P1, "c_RX03"]


def test_a_rule_firing_in_every_village_is_damped():
    villages = [f"4304210010{n:02d}" for n in range(10)]
    people = [f"4304211990010{n:04d}1" for n in range(10)]
    data = {
        "residents": pd.DataFrame(
            {"id_number": people, "household_id": people, "village_code": villages}
        ),
        "villages": pd.DataFrame({"village_code": villages, "village_name": villages}),
    }
    everywhere = [row("RX01", p, village=v) for p, v in zip(people, villages, strict=True)]
    in_two = [row("RX02", p, village=v) for p, v in zip(people[:2], villages[:2], strict=True)]
    persons = score_all(pd.DataFrame(everywhere + in_two), None, data, CONFIG)["person"]
    by_id = persons.set_index("entity_id")
    floor = CONFIG["scoring"]["prevalence"]["floor"]
    assert by_id.loc[people[5], "c_RX01"] == pytest.approx(100 * 0.6 * floor)
    assert by_id.loc[people[0], "c_RX02"] > by_id.loc[people[0], "c_RX01"]


def test_one_persons_exclusive_programs_weigh_like_a_duplicate_payment_not_a_households():
    # R021 (prior 0.3): same person on 特困 and 低保 in the same months -> field precision 0.55
    evidence = pd.DataFrame(
        [
            row("R021", P1, fields={"same_person": True, "months": 7}),
            row("R021", P3, village=V2, fields={"same_person": False, "months": 12}),
        ]
    )
    persons = score_all(evidence, None, tables(), load_config())["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(55.0)
    assert persons.loc[P3, "score"] == pytest.approx(30.0)


def test_far_above_standard_month_after_month_weighs_like_a_duplicate_payment():
    # R022 (prior 0.35): payments averaging 1.5x the standard, 3+ times -> field precision 0.55
    evidence = pd.DataFrame(
        [
            row("R022", P1, fields={"far_above": True, "ratio": 2.7, "count": 4}),
            row("R022", P3, village=V2, fields={"far_above": False, "ratio": 1.2, "count": 4}),
        ]
    )
    persons = score_all(evidence, None, tables(), load_config())["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(55.0)
    assert persons.loc[P3, "score"] == pytest.approx(35.0)


def test_field_precision_is_configurable_and_needs_the_field_true():
    config = override(CONFIG, {"scoring": {"field_precision": {"RX03": {"flagged": 0.9}}}})
    evidence = pd.DataFrame(
        [
            row("RX03", P1, fields={"flagged": True}),
            row("RX03", P2, fields={"flagged": "yes"}),
            row("RX03", P3, village=V2),
        ]
    )
    persons = score_all(evidence, None, tables(), config)["person"].set_index("entity_id")
    assert persons.loc[P1, "score"] == pytest.approx(90.0)
    assert persons.loc[P2, "score"] == pytest.approx(30.0)
    assert persons.loc[P3, "score"] == pytest.approx(30.0)


def test_a_complaint_weighs_as_much_as_the_findings_that_corroborate_it():
    # R090 (prior 0.5), reference 0.5: kin-only corroboration R007 + R070 (one family, 0.3 each)
    # gives c = 1 - 0.7 × (1 - 0.25 × 0.3) = 0.3525 -> factor 0.705; R001 + R024 (0.6 + 0.6,
    # two families) gives c = 0.84 -> factor 1 (capped); no list -> unchanged
    evidence = pd.DataFrame(
        [
            row("R090", P1, entity_type="official", fields={"rules": "R007;R070"}),
            row("R090", P2, entity_type="official", fields={"rules": "R001;R024"}),
            row("R090", P3, entity_type="official", village=V2, fields={}),
        ]
    )
    officials = score_all(evidence, None, tables(), load_config())["official"]
    officials = officials.set_index("entity_id")
    assert officials.loc[P1, "score"] == pytest.approx(50.0 * 0.3525 / 0.5, abs=0.01)
    assert officials.loc[P2, "score"] == pytest.approx(50.0)
    assert officials.loc[P3, "score"] == pytest.approx(50.0)


def test_a_complaint_corroborated_only_by_explained_findings_weighs_little():
    # the same corroborating rules (R044 0.35, R071 0.3, one family) on two officials' relatives;
    # on P1 they carry mitigations (× 0.2), on P3 they do not
    corroborated = {"rules": "R044;R071"}
    evidence = pd.DataFrame(
        [
            row("R090", P1, entity_type="official", fields=corroborated),
            row("R044", P2, official=P1, mitigation="按劳取酬"),
            row("R071", P2, official=P1, mitigation="按劳取酬"),
            row("R090", P3, entity_type="official", village=V2, fields=corroborated),
            row("R044", P2, official=P3, related=P3, village=V2),
            row("R071", P2, official=P3, village=V2),
        ]
    )
    officials = score_all(evidence, None, tables(), load_config())["official"]
    officials = officials.set_index("entity_id")
    explained = 1 - (1 - 0.07) * (1 - 0.25 * 0.06)
    plain = 1 - (1 - 0.35) * (1 - 0.25 * 0.3)
    assert officials.loc[P1, "score"] == pytest.approx(50.0 * explained / 0.5, abs=0.01)
    assert officials.loc[P3, "score"] == pytest.approx(50.0 * plain / 0.5, abs=0.01)
