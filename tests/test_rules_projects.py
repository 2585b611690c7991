"""Project and relationship rules R060–R072 on tiny literal tables."""

from __future__ import annotations

import pandas as pd
from rules_helpers import CREDIT, CREDIT2, CREDIT3, V1, V2, cadre, payment, person, pid, run, tables

TOWN_B_VILLAGE = "430421200201"


def project(pid_, amount, contractor=CREDIT, village=V1, **extra):
    row = {
        "project_id": pid_,
        "project_name": f"{pid_}道路硬化",
        "village_code": village,
        "budget": amount,
        "contract_amount": amount,
        "contractor_code": contractor,
        "contractor_name": f"{contractor[-2:]}建筑公司",
        "tender_date": "2024-03-01",
        "start_date": "2024-03-15",
        "acceptance_date": "2024-08-01",
    }
    row.update(extra)
    return row


def company(code, rep, **extra):
    row = {
        "credit_code": code,
        "name": f"{code[-2:]}建筑公司",
        "legal_rep_id": rep,
        "registered_date": "2015-01-01",
        "phone": f"0734{code[-4:]}",
        "address": f"地址{code}",
    }
    row.update(extra)
    return row


VILLAGES = [
    {"village_code": V1, "village_name": "一村", "town_code": "T1"},
    {"village_code": V2, "village_name": "二村", "town_code": "T1"},
    {"village_code": TOWN_B_VILLAGE, "village_name": "乙村", "town_code": "T2"},
]


def test_r060_graph_link_within_town_only():
    links = pd.DataFrame(
        {
            "official_id": [pid(9), pid(8)],
            "target_type": ["contractor", "contractor"],
            "target_id": [CREDIT, CREDIT2],
            "hops": [2, 2],
            "relations": ["配偶;法定代表人"] * 2,
            "path_text": ["村支书人9的配偶人7是甲公司的法定代表人"] * 2,
        }
    )
    loaded = tables(
        villages=VILLAGES,
        officials=[cadre(9, village=V2), cadre(8, village=TOWN_B_VILLAGE)],
        projects=[project("XM1", 500000.0), project("XM2", 500000.0, CREDIT2)],
    )
    evidence = run("R060", loaded, official_links=links)
    assert list(evidence["entity_id"]) == [CREDIT]
    assert evidence["entity_type"].iloc[0] == "company"
    assert "XM1" in evidence["related_ids"].iloc[0].split(";")
    assert evidence["official_id"].iloc[0] == pid(9)
    assert "配偶" in evidence["detail"].iloc[0]
    assert run(
        "R060", loaded, {"programs": {"thresholds": {"k_hops": 1}}}, official_links=links
    ).empty


def test_r060_is_skipped_without_official_links():
    from riskmodel.rules import RuleContext, get_rule
    from riskmodel.rules.runner import missing_inputs

    loaded = tables(projects=[project("XM1", 500000.0)])
    assert "official_links" in missing_inputs(get_rule("R060"), RuleContext(loaded))[0]
    empty = RuleContext(loaded, official_links=pd.DataFrame())
    assert "official_links" in missing_inputs(get_rule("R060"), empty)[0]


def test_r061_contractor_owned_by_cadre_relative_from_tables():
    kinship = pd.DataFrame(
        {
            "id_a": [pid(9), pid(7)],
            "id_b": [pid(7), pid(9)],
            "relation": ["兄弟姐妹"] * 2,
            "degree": [2, 2],
        }
    )
    loaded = tables(
        villages=VILLAGES,
        officials=[cadre(9, village=V1)],
        companies=[company(CREDIT, pid(7)), company(CREDIT2, pid(5))],
        company_people=[
            {"credit_code": CREDIT2, "id_number": pid(6), "role": "股东", "share_ratio": 0.5}
        ],
        projects=[
            project("XM1", 300000.0),
            project("XM2", 300000.0, CREDIT2),
            project("XM3", 300000.0, village=TOWN_B_VILLAGE),
        ],
    )
    evidence = run("R061", loaded, kinship=kinship)
    assert list(evidence["entity_id"]) == [CREDIT]
    assert evidence["official_id"].iloc[0] == pid(9)
    assert {"XM1", pid(7), pid(9)} <= set(evidence["related_ids"].iloc[0].split(";"))
    later = tables(
        villages=VILLAGES,
        officials=[cadre(9, village=V1, start="2024-06-01")],
        companies=[company(CREDIT, pid(7))],
        projects=[project("XM1", 300000.0)],
    )
    assert run("R061", later, kinship=kinship).empty


def test_r062_near_tender_threshold_both_sides():
    loaded = tables(
        projects=[
            project("A", 89999.0),
            project("B", 90000.0),
            project("C", 99999.0),
            project("D", 100000.0),
        ]
    )
    assert sorted(run("R062", loaded)["entity_id"]) == ["B", "C"]


def test_r063_split_projects_same_contractor_and_village():
    loaded = tables(
        projects=[
            project("A", 60000.0, tender_date="2024-03-01"),
            project("B", 55000.0, tender_date="2024-04-15"),
            project("C", 60000.0, CREDIT2, tender_date="2024-03-01"),
            project("D", 60000.0, CREDIT2, tender_date="2024-09-01"),
        ]
    )
    evidence = run("R063", loaded)
    assert list(evidence["entity_id"]) == ["A"]
    assert "B" in evidence["related_ids"].iloc[0].split(";")


def _pp(project_id, amount, day, payee=CREDIT):
    return {
        "project_id": project_id,
        "pay_date": day,
        "amount": amount,
        "payee_code": payee,
        "payee_name": "收款单位",
    }


def test_r064_paid_before_acceptance_and_before_start():
    loaded = tables(
        projects=[
            project("A", 100000.0),
            project("B", 100000.0),
            project("C", 100000.0),
            project("D", 100000.0, acceptance_date=None),
        ],
        project_payments=[
            _pp("A", 90000.0, "2024-06-01"),  # 90 % before acceptance
            _pp("B", 80000.0, "2024-06-01"),
            _pp("B", 20000.0, "2024-09-01"),
            _pp("C", 10000.0, "2024-03-01"),  # before start
            _pp("D", 100000.0, "2024-06-01"),
        ],  # never accepted
    )
    assert sorted(run("R064", loaded)["entity_id"]) == ["A", "C", "D"]


def test_r065_paid_beyond_contract():
    loaded = tables(
        projects=[project("A", 100000.0), project("B", 100000.0)],
        project_payments=[_pp("A", 106000.0, "2024-09-01"), _pp("B", 105000.0, "2024-09-01")],
    )
    evidence = run("R065", loaded)
    assert list(evidence["entity_id"]) == ["A"]
    assert evidence["amount_at_risk"].iloc[0] == 6000.0


def test_r066_contractor_concentration():
    rows = [project(f"A{i}", 200000.0) for i in range(3)]
    rows += [project(f"B{i}", 100000.0, CREDIT2, village=V2) for i in range(2)]
    loaded = tables(villages=VILLAGES, projects=rows)
    evidence = run("R066", loaded)
    assert list(evidence["entity_id"]) == [CREDIT]
    assert evidence["entity_type"].iloc[0] == "company"
    assert run("R066", loaded, {"rules": {"R066": {"min_projects": 4}}}).empty


def test_r067_contractors_share_phone():
    loaded = tables(
        companies=[
            company(CREDIT, pid(1), phone="07341111"),
            company(CREDIT2, pid(2), phone="07341111"),
            company(CREDIT3, pid(3)),
        ],
        projects=[project("A", 1.0), project("B", 1.0, CREDIT2), project("C", 1.0, CREDIT3)],
    )
    assert sorted(run("R067", loaded)["entity_id"]) == [CREDIT, CREDIT2]


def test_r068_payee_not_contractor():
    loaded = tables(
        projects=[project("A", 100000.0)],
        project_payments=[
            _pp("A", 50000.0, "2024-06-01"),
            _pp("A", 50000.0, "2024-08-02", payee=CREDIT2),
        ],
    )
    evidence = run("R068", loaded)
    assert list(evidence["entity_id"]) == ["A"] and evidence["amount_at_risk"].iloc[0] == 50000.0


def test_r069_shell_company():
    loaded = tables(
        companies=[
            company(CREDIT, pid(1), registered_date="2024-01-01"),
            company(CREDIT2, pid(2), registered_date="2023-01-01"),
        ],
        projects=[project("A", 1.0), project("B", 1.0, CREDIT2)],
    )
    assert list(run("R069", loaded)["entity_id"]) == ["A"]
    assert run("R069", loaded, {"rules": {"R069": {"max_age_days": 59}}}).empty


def test_r070_beneficiary_linked_in_graph():
    links = pd.DataFrame(
        {
            "official_id": [pid(9), pid(9)],
            "target_type": ["beneficiary"] * 2,
            "target_id": [pid(1), pid(2)],
            "hops": [2, 4],
            "relations": ["x"] * 2,
            "path_text": ["人9—共用账户—人1"] * 2,
        }
    )
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        officials=[cadre(9)],
        payments=[payment(1), payment(2)],
    )
    evidence = run("R070", loaded, official_links=links)
    assert list(evidence["entity_id"]) == [pid(1)]


def test_r071_payee_linked_in_graph():
    links = pd.DataFrame(
        {
            "official_id": [pid(9)],
            "target_type": ["payee"],
            "target_id": [pid(1)],
            "hops": [1],
            "relations": ["配偶"],
            "path_text": ["人9的配偶人1"],
        }
    )
    loaded = tables(
        ledger=[
            {
                "voucher_id": "1",
                "village_code": V1,
                "date": "2024-03-01",
                "direction": "支出",
                "amount": 800.0,
                "counterparty_name": "人1",
                "counterparty_id": pid(1),
            }
        ]
    )
    evidence = run("R071", loaded, official_links=links)
    assert list(evidence["entity_id"]) == [pid(1)]


def test_r071_wages_and_small_claims_of_the_linked_payee_do_not_count():
    links = pd.DataFrame(
        {
            "official_id": [pid(9)],
            "target_type": ["payee"],
            "target_id": [pid(1)],
            "hops": [1],
            "relations": ["配偶"],
            "path_text": ["人9的配偶人1"],
        }
    )

    def row(number, amount, summary):
        return {
            "voucher_id": str(number),
            "village_code": V1,
            "date": "2024-03-01",
            "direction": "支出",
            "amount": amount,
            "summary": summary,
            "counterparty_name": "人1",
            "counterparty_id": pid(1),
        }

    honest = [
        row(1, 2100.0, "发放村干部基本报酬"),
        row(2, 800.0, "公益岗保洁员工资"),
        row(3, 300.0, "差旅费报销"),
    ]
    assert run("R071", tables(ledger=honest), official_links=links).empty
    evidence = run("R071", tables(ledger=[*honest, row(4, 5000.0, "劳务费")]), official_links=links)
    assert evidence["amount_at_risk"].tolist() == [5000.0]
    assert "常见情形" in evidence["mitigation"].iloc[0]  # a relative paid for labour
    evidence = run(
        "R071",
        tables(ledger=[*honest, row(4, 5000.0, "劳务费"), row(5, 3000.0, "购材料")]),
        official_links=links,
    )
    assert evidence["amount_at_risk"].tolist() == [8000.0]
    assert evidence["mitigation"].tolist() == [""]


def test_r072_cadre_relatives_over_represented():
    kin_ids = [1, 2, 3]
    kinship = pd.DataFrame(
        {
            "id_a": [pid(900)] * 3,
            "id_b": [pid(i) for i in kin_ids],
            "relation": ["子女"] * 3,
            "degree": [1] * 3,
        }
    )
    people = list(range(1, 9)) + list(range(20, 120))
    rows = [payment(i, village=V1 if i < 9 else V2) for i in people]
    loaded = tables(
        residents=[person(i, f"H{i}", village=V1 if i < 9 else V2) for i in people],
        officials=[cadre(900)],
        payments=rows,
    )
    evidence = run("R072", loaded, kinship=kinship)
    assert list(evidence["entity_id"]) == [V1]
    assert run("R072", loaded, {"rules": {"R072": {"min_relatives": 4}}}, kinship=kinship).empty
