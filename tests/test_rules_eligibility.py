"""Eligibility rules R001–R016 on tiny literal tables."""

from __future__ import annotations

import pandas as pd
from rules_helpers import (
    CREDIT,
    CREDIT2,
    PROGRAMS,
    V1,
    V2,
    bad_id,
    cadre,
    payment,
    person,
    pid,
    run,
    tables,
)


def _crosswalk(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "source_table",
            "source_key",
            "column",
            "raw_value",
            "person_id",
            "method",
            "score",
            "reason",
        ],
    )


def test_r001_deceased_paid_fires_beyond_grace_and_not_within():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        payments=[
            payment(1, day="2024-01-10", covered_period="2024-01"),
            payment(1, day="2024-03-10", covered_period="2024-03"),  # month after death: fires
            payment(1, day="2024-04-10", covered_period="2024-04"),
            payment(2, day="2024-02-10"),  # no covered period, +5 days
        ],
        deaths=[
            {"id_number": pid(1), "death_date": "2024-02-15", "source": "火化"},
            {"id_number": pid(2), "death_date": "2024-02-05"},
        ],
        programs=PROGRAMS,
    )
    evidence = run("R001", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["amount_at_risk"].iloc[0] == 960.0
    assert "死亡" in evidence["detail"].iloc[0]


def test_r001_grace_days_threshold_both_sides():
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[payment(1, day="2024-03-30")],
        deaths=[{"id_number": pid(1), "death_date": "2024-02-15"}],
    )
    # paid 44 days after death: grace 43 → fires; grace 44 → within grace (look-alike)
    changes = {"programs": {"thresholds": {"death_grace_days": 43}}}
    assert len(run("R001", loaded, changes)) == 1
    changes = {"programs": {"thresholds": {"death_grace_days": 44}}}
    assert len(run("R001", loaded, changes)) == 0
    assert len(run("R002", loaded, changes)) == 1


def test_r002_death_month_payment_is_a_lookalike_with_mitigation():
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[payment(1, day="2024-02-20", covered_period="2024-02")],
        deaths=[{"id_number": pid(1), "death_date": "2024-02-15"}],
    )
    assert run("R001", loaded).empty
    evidence = run("R002", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["mitigation"].iloc[0] != ""


def test_r001_as_of_ignores_later_payments():
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[payment(1, day="2024-06-10", covered_period="2024-06")],
        deaths=[{"id_number": pid(1), "death_date": "2024-02-15"}],
    )
    assert len(run("R001", loaded)) == 1
    assert run("R001", loaded, as_of="2024-05-31").empty


def test_r003_official_on_aid_within_term_only():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        officials=[
            cadre(1, category="公务员", start="2023-01-01", end="2024-02-28"),
            cadre(2, category="教师", start="2024-06-01"),
        ],
        payments=[
            payment(1, day="2024-02-10"),
            payment(1, day="2024-03-10"),
            payment(2, day="2024-03-10"),  # before term
            payment(1, program="MZ03", amount=50.0),
        ],  # not means-tested
        programs=PROGRAMS,
    )
    evidence = run("R003", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["amount_at_risk"].iloc[0] == 480.0
    assert evidence["official_id"].iloc[0] == pid(1)


def test_r004_official_household_on_aid():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H1", relation="配偶"), person(3, "H3")],
        officials=[cadre(2, category="事业人员")],
        payments=[payment(1), payment(3)],
    )
    evidence = run("R004", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["official_id"].iloc[0] == pid(2)


def test_r005_vehicle_owner_excludes_motorbikes_and_deregistered():
    loaded = tables(
        residents=[
            person(1, "H1"),
            person(2, "H1"),
            person(3, "H3"),
            person(4, "H4"),
            person(5, "H5"),
        ],
        vehicles=[
            {
                "id_number": pid(2),
                "plate": "湘D12345",
                "vehicle_type": "小型轿车",
                "register_date": "2023-01-01",
            },
            {
                "id_number": pid(3),
                "plate": "湘D22222",
                "vehicle_type": "普通二轮摩托车",
                "register_date": "2023-01-01",
            },
            {
                "id_number": pid(4),
                "plate": "湘D33333",
                "vehicle_type": "小型轿车",
                "register_date": "2023-01-01",
                "deregistered_date": "2024-01-01",
            },
            {
                "id_number": pid(5),
                "plate": "湘D44444",
                "vehicle_type": "小型轿车",
                "register_date": "2024-05-01",
            },
        ],
        payments=[payment(1), payment(3), payment(4), payment(5)],
    )
    evidence = run("R005", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert "***" in evidence["detail"].iloc[0]


def test_r006_company_owner_excludes_closed_company():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        companies=[
            {
                "credit_code": CREDIT,
                "name": "甲公司",
                "legal_rep_id": pid(1),
                "registered_date": "2020-01-01",
            },
            {
                "credit_code": CREDIT2,
                "name": "乙公司",
                "legal_rep_id": pid(2),
                "registered_date": "2020-01-01",
                "status": "注销",
                "status_date": "2023-01-01",
            },
        ],
        payments=[payment(1), payment(2)],
    )
    evidence = run("R006", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert CREDIT in evidence["related_ids"].iloc[0]


KIN = pd.DataFrame(
    {
        "id_a": [pid(9), pid(1), pid(9), pid(2), pid(9), pid(3)],
        "id_b": [pid(1), pid(9), pid(2), pid(9), pid(3), pid(9)],
        "relation": ["兄弟姐妹", "兄弟姐妹", "子女", "父母", "堂兄弟", "堂兄弟"],
        "degree": [2, 2, 1, 1, 3, 3],
    }
)


def _kin_tables(**extra):
    rows = dict(
        residents=[
            person(1, "H1"),
            person(2, "H2", disability="一级"),
            person(3, "H3"),
            person(9, "H9"),
        ],
        officials=[cadre(9, village=V1, start="2021-01-01")],
        payments=[payment(1), payment(2, program="CL01", amount=70.0), payment(3), payment(2)],
        programs=PROGRAMS,
    )
    rows.update(extra)
    return tables(**rows)


def test_r007_cadre_relative_on_aid_degree_threshold_and_disability_exclusion():
    evidence = run("R007", _kin_tables(), kinship=KIN)
    # pid(1): sibling (2) fires; pid(3): degree 3 excluded; pid(2) dibao fires, disability not
    assert sorted(evidence["entity_id"]) == sorted([pid(1), pid(2)])
    assert set(evidence["official_id"]) == {pid(9)}
    wider = run("R007", _kin_tables(), {"programs": {"relative_max_degree": 3}}, kinship=KIN)
    assert pid(3) in set(wider["entity_id"])


def test_r007_other_village_cadre_and_filing_mitigation():
    loaded = _kin_tables(officials=[cadre(9, village=V2)])
    assert run("R007", loaded, kinship=KIN).empty
    assert (
        len(run("R007", loaded, {"rules": {"R007": {"same_village_only": False}}}, kinship=KIN))
        == 2
    )
    filed = _kin_tables(
        filings=[
            {
                "id_number": pid(1),
                "official_id_number": pid(9),
                "relation": "兄弟姐妹",
                "filed_date": "2021-02-01",
            }
        ]
    )
    evidence = run("R007", filed, kinship=KIN)
    assert "备案" in evidence.set_index("entity_id").loc[pid(1), "mitigation"]


def test_r008_severely_disabled_relative_is_a_lookalike():
    evidence = run("R008", _kin_tables(), kinship=KIN)
    assert list(evidence["entity_id"]) == [pid(2)]
    assert "残疾" in evidence["mitigation"].iloc[0]


def test_r009_cadre_relative_with_car():
    loaded = _kin_tables(
        vehicles=[
            {
                "id_number": pid(1),
                "plate": "湘D1",
                "vehicle_type": "小型轿车",
                "register_date": "2020-01-01",
            }
        ]
    )
    evidence = run("R009", loaded, kinship=KIN)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert run("R009", _kin_tables(), kinship=KIN).empty


def test_r010_ghost_vs_mistyped_and_invalid():
    ghost = pid(500)
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[
            payment(1),
            payment(500),
            payment(1, id_number=bad_id(1), day="2024-04-10"),
            payment(1, id_number=bad_id(7), day="2024-04-10"),
        ],
    )
    evidence = run("R010", loaded)
    assert list(evidence["entity_id"]) == [ghost]
    # with a crosswalk that resolved the typo, R011 names the resident
    keys = loaded["payments"]["_key"]
    crosswalk = _crosswalk(
        [
            ["payments", keys[0], "id_number", pid(1), pid(1), "exact_id", 1.0, ""],
            ["payments", keys[1], "id_number", ghost, ghost, "unmatched", 0.0, ""],
            ["payments", keys[2], "id_number", bad_id(1), pid(1), "fuzzy", 0.9, "swap"],
            ["payments", keys[3], "id_number", bad_id(7), bad_id(7), "unmatched", 0.0, ""],
        ]
    )
    assert list(run("R010", loaded, crosswalk=crosswalk)["entity_id"]) == [ghost]
    assert list(run("R012", loaded, crosswalk=crosswalk)["entity_id"]) == [bad_id(7)]


def test_r011_mistyped_id_names_the_resident_not_a_ghost():
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[payment(1), payment(1, id_number=bad_id(1), day="2024-04-10")],
    )
    keys = loaded["payments"]["_key"]
    crosswalk = _crosswalk(
        [
            ["payments", keys[0], "id_number", pid(1), pid(1), "exact_id", 1.0, ""],
            ["payments", keys[1], "id_number", bad_id(1), pid(1), "fuzzy", 0.9, "swap"],
        ]
    )
    typo = run("R011", loaded, crosswalk=crosswalk)
    assert list(typo["entity_id"]) == [pid(1)]
    assert bad_id(1) in typo["related_ids"].iloc[0]
    assert typo["mitigation"].iloc[0] != ""
    assert run("R010", loaded, crosswalk=crosswalk).empty
    assert run("R012", loaded, crosswalk=crosswalk).empty
    assert run("R011", loaded).empty  # without a crosswalk nothing is resolved by fuzziness


def test_r012_invalid_unresolved_id():
    loaded = tables(
        residents=[person(1, "H1")], payments=[payment(1), payment(7, id_number=bad_id(7))]
    )
    assert list(run("R012", loaded)["entity_id"]) == [bad_id(7)]


def test_r013_out_of_area_min_payments():
    loaded = tables(
        residents=[person(1, "H1", village=V1)],
        payments=[payment(1, village=V2), payment(1, village=V2, day="2024-04-10")],
    )
    assert list(run("R013", loaded)["entity_id"]) == [pid(1)]
    assert run("R013", loaded, {"rules": {"R013": {"min_payments": 3}}}).empty


def test_r014_paid_after_exit_grace():
    loaded = tables(
        residents=[
            person(1, "H1", exit_date="2024-01-31"),
            person(2, "H2", exit_date="2024-03-01"),
        ],
        payments=[payment(1, day="2024-03-10"), payment(2, day="2024-03-10")],
    )
    evidence = run("R014", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]


def test_r015_age_outside_range():
    loaded = tables(
        residents=[
            person(1, "H1", birth_date="1950-01-01"),
            person(2, "H2", birth_date="1980-01-01"),
        ],
        payments=[
            payment(1, program="LY01", amount=2500.0),
            payment(2, program="LY01", amount=2500.0),
        ],
    )
    assert list(run("R015", loaded)["entity_id"]) == [pid(1)]


def test_r016_disability_subsidy_without_disability():
    loaded = tables(
        residents=[person(1, "H1", disability=""), person(2, "H2", disability="三级")],
        payments=[
            payment(1, program="CL01", amount=70.0),
            payment(2, program="CL01", amount=70.0),
            payment(1),
        ],
    )
    assert list(run("R016", loaded)["entity_id"]) == [pid(1)]
