"""Village-ledger rules R040–R053 on tiny literal tables."""

from __future__ import annotations

import pandas as pd
from rules_helpers import V1, V2, cadre, pid, run, tables


def voucher(number, amount, day="2024-03-10", village=V1, **extra):
    row = {
        "voucher_id": str(number),
        "village_code": village,
        "date": day,
        "direction": "支出",
        "amount": amount,
        "method": "转账",
        "summary": "购买材料",
        "category": "管理费用",
        "counterparty_name": "某建材店",
        "counterparty_id": "",
        "counterparty_account": "",
        "handler": "张会计",
        "approver": "李书记",
    }
    row.update(extra)
    return row


def test_r040_cash_over_limit_both_sides():
    loaded = tables(
        ledger=[
            voucher(1, 1000.0, method="现金"),
            voucher(2, 1000.01, method="现金"),
            voucher(3, 5000.0, method="转账"),
        ]
    )
    evidence = run("R040", loaded)
    assert len(evidence) == 1
    assert evidence["amount_at_risk"].iloc[0] == 1000.01


def test_r041_split_under_threshold_within_window():
    loaded = tables(
        ledger=[
            voucher(1, 9500.0, "2024-03-01", counterparty_name="王某"),
            voucher(2, 9800.0, "2024-03-20", counterparty_name="王某"),
            voucher(3, 7900.0, "2024-03-01", counterparty_name="赵某"),  # under the band
            voucher(4, 9000.0, "2024-03-05", counterparty_name="赵某"),
            voucher(5, 9000.0, "2024-01-01", counterparty_name="钱某"),
            voucher(6, 9000.0, "2024-03-01", counterparty_name="钱某"),  # 60 days apart
        ]
    )
    evidence = run("R041", loaded)
    assert len(evidence) == 1
    assert "王某" in evidence["entity_id"].iloc[0]
    assert evidence["amount_at_risk"].iloc[0] == 19300.0
    assert len(run("R041", loaded, {"rules": {"R041": {"window_days": 70}}})) == 2


def test_r042_handler_is_payee_names_the_cadre():
    loaded = tables(
        officials=[cadre(9, name="张会计")],
        ledger=[
            voucher(1, 3000.0, counterparty_name="张会计", method="现金"),
            voucher(2, 400.0, counterparty_name="张会计"),  # below min amount
            voucher(3, 3000.0, counterparty_name="王某"),
        ],
    )
    evidence = run("R042", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert evidence["entity_type"].iloc[0] == "official"
    assert evidence["amount_at_risk"].iloc[0] == 3000.0


def test_r043_approver_is_payee():
    loaded = tables(
        ledger=[
            voucher(1, 2000.0, counterparty_name="李书记"),
            voucher(2, 2000.0, counterparty_name="王某"),
        ]
    )
    evidence = run("R043", loaded)
    assert len(evidence) == 1 and evidence["entity_type"].iloc[0] == "payee"
    assert evidence["mitigation"].iloc[0] == ""


def test_r042_namesake_villager_is_not_the_handler():
    loaded = tables(
        officials=[cadre(9, name="张会计")],
        ledger=[
            voucher(1, 3000.0, counterparty_name="张会计", counterparty_id=pid(9)),
            voucher(2, 3000.0, counterparty_name="张会计", counterparty_id=pid(8)),  # namesake
        ],
    )
    evidence = run("R042", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert evidence["amount_at_risk"].iloc[0] == 3000.0


def test_r043_own_small_expense_claim_is_normal():
    loaded = tables(
        ledger=[
            voucher(1, 900.0, counterparty_name="李书记", summary="差旅费报销"),
            voucher(2, 2000.0, counterparty_name="李书记", summary="差旅费报销"),
        ]
    )
    evidence = run("R043", loaded)
    assert evidence["amount_at_risk"].tolist() == [2000.0]
    loose = run("R043", loaded, {"rules": {"R043": {"reimbursement_max": 0.0}}})
    assert loose["amount_at_risk"].tolist() == [2900.0]
    # a larger claim stays a finding, with a mitigation (the signer should not approve it)
    assert "可能为正常报销" in evidence["mitigation"].iloc[0]
    assert "审批" in evidence["mitigation"].iloc[0]
    assert "不应由本人审批" in loose["mitigation"].iloc[0]
    # more claims than claims_max, or any non-claim payment: no mitigation
    strict = {"rules": {"R043": {"reimbursement_max": 0.0, "claims_max": 1}}}
    assert run("R043", loaded, strict)["mitigation"].iloc[0] == ""


def test_r043_mixed_claim_and_other_payment_has_no_mitigation():
    loaded = tables(
        ledger=[
            voucher(1, 2000.0, counterparty_name="李书记", summary="差旅费报销"),
            voucher(2, 2000.0, counterparty_name="李书记", summary="办公用品"),
        ]
    )
    evidence = run("R043", loaded)
    assert evidence["amount_at_risk"].tolist() == [4000.0]
    assert evidence["mitigation"].iloc[0] == ""


def test_r044_payee_is_cadre_excluding_wages_and_other_villages():
    loaded = tables(
        officials=[cadre(9, name="刘主任")],
        ledger=[
            voucher(1, 2000.0, counterparty_name="刘主任", counterparty_id=pid(9)),
            voucher(
                2, 2000.0, counterparty_name="刘主任", counterparty_id=pid(9), summary="3月误工补贴"
            ),
            voucher(3, 2000.0, counterparty_name="刘主任", counterparty_id=pid(9), village=V2),
        ],
    )
    evidence = run("R044", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert evidence["amount_at_risk"].iloc[0] == 2000.0


def test_r044_small_expense_claims_are_normal_large_ones_are_not():
    loaded = tables(
        officials=[cadre(9, name="刘主任")],
        ledger=[
            voucher(1, 180.0, counterparty_id=pid(9), summary="差旅费报销"),
            voucher(2, 1000.0, counterparty_id=pid(9), summary="补记3月差旅费报销"),
            voucher(3, 1000.01, counterparty_id=pid(9), summary="差旅费报销"),
        ],
    )
    evidence = run("R044", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert evidence["amount_at_risk"].iloc[0] == 1000.01
    strict = run("R044", loaded, {"rules": {"R044": {"reimbursement_keywords": []}}})
    assert strict["amount_at_risk"].iloc[0] == 2180.01


SIBLING = pd.DataFrame(
    {
        "id_a": [pid(9), pid(1)],
        "id_b": [pid(1), pid(9)],
        "relation": ["兄弟姐妹", "兄弟姐妹"],
        "degree": [2, 2],
    }
)


def test_r044_relative_paid_for_chores_carries_a_mitigation():
    chores = [
        voucher(1, 1350.0, counterparty_id=pid(1), summary="环境卫生保洁费"),
        voucher(2, 500.0, counterparty_id=pid(1), summary="困难群众慰问金"),
    ]
    loaded = tables(officials=[cadre(9)], ledger=chores)
    evidence = run("R044", loaded, kinship=SIBLING)
    assert evidence["amount_at_risk"].tolist() == [1850.0]
    assert "常见情形" in evidence["mitigation"].iloc[0]
    # a purchase paid to the relative, or any payment to the cadre himself: no mitigation
    for extra in (
        voucher(3, 4000.0, counterparty_id=pid(1), summary="购材料"),
        voucher(4, 1350.0, counterparty_id=pid(9), summary="环境卫生保洁费"),
    ):
        loaded = tables(officials=[cadre(9)], ledger=[*chores, extra])
        evidence = run("R044", loaded, kinship=SIBLING)
        assert evidence["mitigation"].tolist() == [""]


def _peer_ledgers(odd_village_amounts, normal_amounts, villages=6):
    rows = []
    codes = [f"43042110030{i}" for i in range(villages)]
    for index, code in enumerate(codes):
        amounts = odd_village_amounts if index == 0 else normal_amounts
        for n, amount in enumerate(amounts):
            rows.append(voucher(n, amount, f"2024-{n % 12 + 1:02d}-10", village=code))
    return codes, rows


def test_r045_round_share_against_peers_excludes_wages():
    normal = [123.45 + 7.3 * i for i in range(40)]
    codes, rows = _peer_ledgers([500.0 * (i % 5 + 1) for i in range(40)], normal)
    evidence = run("R045", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [codes[0]]
    wages = [dict(r, summary="公益岗工资") if r["village_code"] == codes[0] else r for r in rows]
    assert run("R045", tables(ledger=wages)).empty


def test_r046_year_end_surge():
    rows = []
    codes = [f"43042110030{i}" for i in range(6)]
    for index, code in enumerate(codes):
        for month in range(1, 13):
            amount = 2000.0 if month < 12 else (40000.0 if index == 0 else 2500.0)
            rows.append(voucher(month, amount, f"2024-{month:02d}-15", village=code))
    evidence = run("R046", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [codes[0]]
    assert evidence["amount_at_risk"].iloc[0] == 38000.0
    assert run("R046", tables(ledger=rows), {"rules": {"R046": {"min_ratio": 25.0}}}).empty


def test_r047_benford_needs_enough_entries():
    import numpy as np

    rng = np.random.default_rng(1)
    benford_like = list(np.round(10 ** rng.uniform(1, 5, 300), 2))
    codes, rows = _peer_ledgers(
        [float(x) for x in rng.uniform(700, 999, 300).round(2)], [float(x) for x in benford_like]
    )
    evidence = run("R047", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [codes[0]]
    assert run("R047", tables(ledger=rows), {"rules": {"R047": {"min_entries": 301}}}).empty


def test_r048_closing_rate_and_gap():
    rows = [voucher(m, 100.0, f"2024-{m:02d}-05") for m in range(1, 13)]
    rows += [
        voucher(m, 100.0, f"2024-{m:02d}-05", village=V2) for m in (1, 2, 3, 4, 5, 9, 10, 11, 12)
    ]
    evidence = run("R048", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [V2]
    assert run(
        "R048", tables(ledger=rows), {"rules": {"R048": {"min_rate": 0.7, "max_gap_months": 4}}}
    ).empty


def test_r049_voucher_booked_after_month_closed():
    rows = [
        voucher(1, 100.0, "2024-01-10"),
        voucher(2, 100.0, "2024-02-20"),
        voucher(3, 900.0, "2024-01-15"),  # booked after February vouchers: late
        voucher(1, 100.0, "2024-01-10", village=V2),
        voucher(2, 100.0, "2024-02-05", village=V2),
        voucher(3, 100.0, "2024-01-30", village=V2),
    ]  # within 15-day tolerance
    evidence = run("R049", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [V1]
    assert evidence["amount_at_risk"].iloc[0] == 900.0
    assert run("R049", tables(ledger=rows), {"rules": {"R049": {"tolerance_days": 20}}}).empty


def test_r050_management_fee_income():
    rows = [
        voucher(1, 300.0, direction="收入", summary="收取低保户管理费"),
        voucher(2, 300.0, direction="收入", summary="收取低保户管理费"),
        voucher(3, 900.0, direction="收入", summary="收取管理费", village=V2, day="2024-05-01"),
        voucher(4, 5000.0, direction="支出", summary="支付管理费"),
    ]
    evidence = run("R050", tables(ledger=rows))
    assert sorted(evidence["entity_id"]) == [V1, V2]
    assert len(run("R050", tables(ledger=rows), {"rules": {"R050": {"min_amount": 700.0}}})) == 1


def test_r051_round_transfers_into_cadre_account():
    loaded = tables(
        officials=[cadre(9)],
        accounts=[{"account_no": "A9", "holder_id_number": pid(9)}],
        ledger=[
            voucher(1, 2000.0, counterparty_account="A9", summary="往来款"),
            voucher(2, 3000.0, counterparty_account="A9", summary="往来款"),
            voucher(3, 1234.5, counterparty_account="A9", summary="往来款"),
            voucher(4, 2000.0, counterparty_account="A9", summary="工资"),
        ],
    )
    evidence = run("R051", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert evidence["amount_at_risk"].iloc[0] == 5000.0
    assert run("R051", loaded, {"rules": {"R051": {"min_transfers": 3}}}).empty


def test_r051_small_round_expense_claims_do_not_count():
    claims = [
        voucher(n, amount, counterparty_account="A9", summary="差旅费报销")
        for n, amount in enumerate([100.0, 500.0, 1000.0])
    ]
    loaded = tables(
        officials=[cadre(9)],
        accounts=[{"account_no": "A9", "holder_id_number": pid(9)}],
        ledger=claims,
    )
    assert run("R051", loaded).empty
    large = [*claims, voucher(9, 5000.0, counterparty_account="A9", summary="差旅费报销")]
    loaded = tables(
        officials=[cadre(9)],
        accounts=[{"account_no": "A9", "holder_id_number": pid(9)}],
        ledger=large,
    )
    assert (
        run("R051", loaded, {"rules": {"R051": {"min_transfers": 1}}})["amount_at_risk"].iloc[0]
        == 5000.0
    )


def test_r052_white_slips_against_peers():
    rows = []
    codes = [f"43042110030{i}" for i in range(6)]
    for index, code in enumerate(codes):
        for n in range(10):
            slip = n < (6 if index == 0 else 1)
            rows.append(
                voucher(
                    n,
                    500.0,
                    village=code,
                    invoice_no="" if slip else f"N{n}",
                    attachment_count=0 if slip else 2,
                )
            )
    rows.append(voucher(99, 150.0, village=codes[1], invoice_no="", attachment_count=0))
    evidence = run("R052", tables(ledger=rows))
    assert list(evidence["entity_id"]) == [codes[0]]
    assert evidence["amount_at_risk"].iloc[0] == 3000.0
    assert run("R052", tables(ledger=rows), {"rules": {"R052": {"min_vouchers": 7}}}).empty


def test_r053_duplicate_reimbursement():
    rows = [
        voucher(1, 1888.0, "2024-03-01"),
        voucher(2, 1888.0, "2024-03-20"),
        voucher(3, 1888.0, "2024-09-01"),
        voucher(4, 999.0, "2024-03-01"),
    ]
    evidence = run("R053", tables(ledger=rows))
    assert len(evidence) == 1 and evidence["amount_at_risk"].iloc[0] == 1888.0
