"""Payment rules R020–R032 on tiny literal tables."""

from __future__ import annotations

import pandas as pd
from rules_helpers import CREDIT, PROGRAMS, V1, V2, V3, cadre, payment, person, pid, run, tables

from riskmodel.config import load_config


def test_r020_duplicate_same_period_excludes_failed_and_other_periods():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        payments=[
            payment(1, day="2024-03-10", covered_period="2024-03"),
            payment(1, day="2024-03-25", covered_period="2024-03", payment_id="X2"),
            payment(2, day="2024-03-10", covered_period="2024-03"),
            payment(2, day="2024-03-20", covered_period="2024-03", status="退回", payment_id="X3"),
            payment(2, day="2024-04-10", covered_period="2024-04"),
        ],
    )
    evidence = run("R020", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["amount_at_risk"].iloc[0] == 480.0


def test_r021_exclusive_programs_overlap_only():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        payments=[
            payment(1, covered_period="2024-03"),
            payment(1, program="MZ02", amount=760.0, covered_period="2024-03"),
            payment(2, covered_period="2024-02"),  # sequential: 低保 then 特困
            payment(2, program="MZ02", amount=760.0, covered_period="2024-03"),
        ],
    )
    evidence = run("R021", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["amount_at_risk"].iloc[0] == 480.0


def test_r021_household_scope_names_the_person():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H1"), person(3, "H3")],
        payments=[
            payment(1, program="LY01", amount=2500.0, covered_period="2024Q1"),
            payment(1, program="RS01", amount=800.0, covered_period="2024-02"),
            payment(2, program="RS01", amount=800.0, covered_period="2024-03"),
            payment(3, program="RS01", amount=800.0, covered_period="2024-02"),
            payment(3, program="LY01", amount=2500.0, covered_period="2024Q2"),  # no overlap
        ],
    )
    evidence = run("R021", loaded).set_index("entity_id")
    assert sorted(evidence.index) == [pid(1), pid(2)]
    assert evidence.loc[pid(2), "related_ids"] == pid(1)
    assert evidence.loc[pid(1), "related_ids"] == ""


def test_r022_above_standard_tolerance_and_repetition():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2"), person(3, "H3")],
        programs=PROGRAMS,
        payments=[
            payment(1, amount=600.0),
            payment(1, amount=600.0, day="2024-04-10"),
            payment(2, amount=504.0),
            payment(2, amount=504.0, day="2024-04-10"),  # 5 %: not
            payment(3, amount=900.0),  # once: not
            payment(3, program="NY01", amount=1053.6, quantity=10.0),  # mu × rate
        ],
    )
    evidence = run("R022", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]
    assert evidence["amount_at_risk"].iloc[0] == 240.0
    assert len(run("R022", loaded, {"rules": {"R022": {"min_times": 1}}})) == 2


def test_r022_far_above_needs_both_the_ratio_and_the_repetition():
    import json

    days = ["2024-03-10", "2024-04-10", "2024-05-10"]
    loaded = tables(
        residents=[person(4, "H4"), person(5, "H5"), person(6, "H6")],
        programs=PROGRAMS,
        payments=[
            *[payment(4, amount=720.0, day=d) for d in days],  # 1.5x, 3 times: far above
            *[payment(5, amount=700.0, day=d) for d in days],  # 1.46x: above, not far
            *[payment(6, amount=1000.0, day=d) for d in days[:2]],  # 2.1x, twice: not far
        ],
    )
    evidence = run("R022", loaded).set_index("entity_id")
    far = {key: json.loads(value)["far_above"] for key, value in evidence["fields"].items()}
    assert far == {pid(4): True, pid(5): False, pid(6): False}
    assert "平均为标准的1.5倍" in evidence.loc[pid(4), "detail"]
    assert "倍" not in evidence.loc[pid(5), "detail"]
    looser = run("R022", loaded, {"rules": {"R022": {"far_times": 2}}}).set_index("entity_id")
    assert json.loads(looser.loc[pid(6), "fields"])["far_above"] is True


def test_r022_farmland_by_quantity_times_rate():
    loaded = tables(
        residents=[person(1, "H1")],
        programs=PROGRAMS,
        payments=[
            payment(1, program="NY01", amount=2000.0, quantity=10.0),
            payment(1, program="NY01", amount=2000.0, quantity=10.0, day="2025-03-10"),
        ],
    )
    evidence = run("R022", loaded)
    assert evidence["amount_at_risk"].iloc[0] == round(2 * (2000 - 1053.6), 2)


def _village_rows(village, amount, people, months=4, start=0):
    return [
        payment(
            start + i,
            amount=amount,
            day=f"2024-0{m}-10",
            village=village,
            covered_period=f"2024-0{m}",
        )
        for i in range(people)
        for m in range(1, months + 1)
    ]


def test_r024_village_shortfall_against_peers():
    rows = (
        _village_rows(V1, 408.0, 5, start=0)  # 15 % short, 4 months
        + _village_rows(V2, 480.0, 5, start=10)
        + _village_rows(V3, 480.0, 5, start=20)
    )
    loaded = tables(
        programs=PROGRAMS,
        payments=rows,
        residents=[person(i, f"H{i}") for i in range(25)],
        officials=[cadre(900, village=V1)],
    )
    evidence = run("R024", loaded)
    assert list(evidence["entity_id"]) == [V1]
    assert evidence["entity_type"].iloc[0] == "village"
    assert evidence["amount_at_risk"].iloc[0] == 5 * 4 * 72.0
    assert pid(900) in evidence["related_ids"].iloc[0]
    assert run("R024", loaded, {"rules": {"R024": {"min_months": 5}}}).empty


def test_r024_shortfall_outside_band_is_not_skimming():
    rows = (
        _village_rows(V1, 470.0, 5, start=0)  # 2 %: inside tolerance
        + _village_rows(V2, 480.0, 5, start=10)
        + _village_rows(V3, 480.0, 5, start=20)
    )
    loaded = tables(
        programs=PROGRAMS, payments=rows, residents=[person(i, f"H{i}") for i in range(25)]
    )
    assert run("R024", loaded).empty


def test_r023_single_person_below_standard():
    rows = _village_rows(V1, 480.0, 5) + [
        payment(50, amount=400.0, day=f"2024-0{m}-11", covered_period=f"2024-0{m}")
        for m in range(1, 5)
    ]
    loaded = tables(
        programs=PROGRAMS,
        payments=rows,
        residents=[person(i, f"H{i}") for i in [0, 1, 2, 3, 4, 50]],
    )
    evidence = run("R023", loaded)
    assert list(evidence["entity_id"]) == [pid(50)]
    assert run("R023", loaded, {"rules": {"R023": {"min_times": 5}}}).empty


def _accounts(holder, number="6217000099"):
    return {"account_no": number, "holder_id_number": holder, "holder_name": "持卡人"}


def test_r025_shared_account_excludes_same_household():
    loaded = tables(
        residents=[
            person(1, "H1"),
            person(2, "H2"),
            person(3, "H3"),
            person(4, "H4"),
            person(5, "H4"),
            person(9, "H9"),
        ],
        officials=[cadre(9)],
        accounts=[_accounts(pid(9)), _accounts(pid(4), "6217000088")],
        payments=[
            payment(1, account_no="6217000099"),
            payment(2, account_no="6217000099"),
            payment(4, account_no="6217000088"),
            payment(5, account_no="6217000088", program="JY01", amount=1500.0),
        ],
    )
    evidence = run("R025", loaded)
    assert list(evidence["entity_id"]) == ["6217000099"]
    assert evidence["official_id"].iloc[0] == pid(9)
    assert {pid(1), pid(2)} <= set(evidence["related_ids"].iloc[0].split(";"))
    assert run("R025", loaded, {"rules": {"R025": {"min_households": 4}}}).empty


def test_r026_institutional_account_is_a_lookalike():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2"), person(3, "H3")],
        accounts=[_accounts(CREDIT)],
        payments=[
            payment(i, program="MZ02", amount=760.0, account_no="6217000099") for i in (1, 2, 3)
        ],
    )
    assert run("R025", loaded).empty
    evidence = run("R026", loaded)
    assert list(evidence["entity_id"]) == ["6217000099"]
    assert "机构" in evidence["mitigation"].iloc[0]


def test_r026_all_digit_credit_code_of_a_public_institution():
    from rules_helpers import credit

    from riskmodel.rules.common import is_institution, valid_ids

    codes = pd.Series([credit(f"124304214525{i:05d}") for i in range(300)])
    look_like_ids = codes[valid_ids(codes)]  # check digit also right as a resident ID
    assert len(look_like_ids) > 5
    assert is_institution(look_like_ids, load_config()).all()
    assert not is_institution(pd.Series([pid(1), pid(2)]), load_config()).any()


def test_r027_holder_outside_household():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H1"), person(3, "H3"), person(8, "H8")],
        accounts=[_accounts(pid(8), "A1"), _accounts(pid(1), "A2")],
        payments=[payment(3, account_no="A1"), payment(2, account_no="A2")],
    )
    evidence = run("R027", loaded)
    assert list(evidence["entity_id"]) == [pid(3)]
    assert pid(8) in evidence["related_ids"].iloc[0]


def test_r028_account_held_by_cadre_or_relative():
    import pandas as pd

    kinship = pd.DataFrame(
        {
            "id_a": [pid(9), pid(7)],
            "id_b": [pid(7), pid(9)],
            "relation": ["配偶", "配偶"],
            "degree": [1, 1],
        }
    )
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2"), person(7, "H7"), person(9, "H9")],
        officials=[cadre(9)],
        accounts=[_accounts(pid(9), "A9"), _accounts(pid(7), "A7")],
        payments=[
            payment(1, account_no="A9"),
            payment(2, account_no="A7"),
            payment(9, account_no="A9"),
        ],
    )
    evidence = run("R028", loaded, kinship=kinship)
    assert sorted(evidence["entity_id"]) == ["A7", "A9"]
    assert set(evidence["official_id"]) == {pid(9)}
    # the detail counts the people and households of each account, not of all accounts
    assert all("1人、1户" in detail for detail in evidence["detail"])


def test_r029_by_household_paid_to_two_members():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H1"), person(3, "H3")],
        programs=PROGRAMS,
        payments=[
            payment(1, program="ZJ01", amount=30000.0),
            payment(2, program="ZJ01", amount=30000.0, day="2024-05-01"),
            payment(3, program="ZJ01", amount=30000.0),
        ],
    )
    evidence = run("R029", loaded)
    assert list(evidence["entity_id"]) == ["H1"]
    assert evidence["amount_at_risk"].iloc[0] == 30000.0


def test_r030_shared_phone_and_cadre_phone():
    loaded = tables(
        residents=[person(i, f"H{i}") for i in (1, 2, 3, 4, 9)],
        officials=[cadre(9, phone="13900000009")],
        accounts=[
            {"account_no": "A1", "holder_id_number": pid(1), "phone": "13800000000"},
            {"account_no": "A2", "holder_id_number": pid(2), "phone": "13800000000"},
            {"account_no": "A3", "holder_id_number": pid(3), "phone": "13800000001"},
            {"account_no": "A4", "holder_id_number": pid(4), "phone": "13900000009"},
        ],
    )
    evidence = run("R030", loaded)
    assert list(evidence["entity_id"]) == [pid(9)]
    assert len(run("R030", loaded, {"rules": {"R030": {"min_households": 2}}})) == 2


def test_r031_peer_outlier():
    rows = [payment(i, program="XC01", amount=3000.0 + i) for i in range(12)]
    rows.append(payment(40, program="XC01", amount=20000.0))
    loaded = tables(residents=[person(i, f"H{i}") for i in [*range(12), 40]], payments=rows)
    evidence = run("R031", loaded)
    assert list(evidence["entity_id"]) == [pid(40)]
    assert run("R031", loaded, {"rules": {"R031": {"min_peers": 14}}}).empty


def test_r032_many_accounts():
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2")],
        payments=[payment(1, account_no=f"A{i}", day=f"2024-0{i}-10") for i in (1, 2, 3)]
        + [payment(2, account_no="B", day="2024-01-10"), payment(2, account_no="C")],
    )
    assert list(run("R032", loaded)["entity_id"]) == [pid(1)]
    assert len(run("R032", loaded, {"rules": {"R032": {"min_accounts": 2}}})) == 2


_ = V2


def test_group_helpers_match_pandas_groupby_with_missing_keys():
    """``group_sizes``/``group_nunique`` give groupby's transform, 0 where a key is missing."""
    import numpy as np

    from riskmodel.rules.common import group_nunique, group_sizes

    frame = pd.DataFrame(
        {
            "a": pd.Series(["x", None, "x", "y", "y", "x"], dtype="str"),
            "b": [1.0, 1.0, 1.0, np.nan, 2.0, 2.0],
            "v": pd.Series(["p", "q", None, "r", "r", "p"], dtype=object),
        }
    )
    grouped = frame.groupby(["a", "b"])
    sizes = grouped["v"].transform("size").fillna(0).astype(int)
    distinct = grouped["v"].transform("nunique").fillna(0).astype(int)
    assert group_sizes(frame, ["a", "b"]).tolist() == sizes.tolist() == [2, 0, 2, 0, 1, 1]
    assert group_nunique(frame, ["a", "b"], "v").tolist() == distinct.tolist()
    where = np.array([True, True, False, True, True, True])
    cut = frame[where].groupby(["a", "b"])["v"].transform("nunique")
    expected = cut.reindex(frame.index).fillna(0).astype(int).tolist()
    assert group_nunique(frame, ["a", "b"], "v", where=where).tolist() == expected


def test_group_codes_number_groups_by_first_sight(monkeypatch):
    """``group_codes`` numbers the key combinations by first sight (-1 where a key is
    missing) as factorizing column by column does, also when the combined key is renumbered
    on the way (a small limit forces it)."""
    import numpy as np

    from riskmodel.rules import common

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "a": pd.Series(rng.choice(["x", "y", "z", None], 200), dtype="str"),
            "b": pd.Series(rng.choice(["p", "q", None], 200), dtype=object),
            "c": rng.integers(0, 5, 200),
        }
    )
    columns = ["a", "b", "c"]
    key = np.zeros(len(frame), dtype=np.int64)
    for column in columns:
        codes, unique = pd.factorize(frame[column])
        key, _ = pd.factorize(key * (len(unique) + 1) + codes)
    expected = np.where(frame[["a", "b"]].isna().any(axis=1), -1, key)
    groups = frame.groupby(columns, sort=False).ngroup()
    assert (groups.notna() == (expected >= 0)).all()
    assert common.group_codes(frame, columns).tolist() == expected.tolist()
    monkeypatch.setattr(common, "_KEY_LIMIT", 6)
    assert common.group_codes(frame, columns).tolist() == expected.tolist()


def test_inner_join_keeps_the_rows_and_order_of_merge():
    from riskmodel.rules.common import inner_join

    left = pd.DataFrame({"k": ["b", "a", "c", "b", ""], "n": range(5)})
    right = pd.DataFrame({"key": ["b", "b", "a", ""], "m": [1, 2, 3, 4]})
    expected = left.merge(right, left_on="k", right_on="key")
    pd.testing.assert_frame_equal(inner_join(left, right, left_on="k", right_on="key"), expected)
    same = right.rename(columns={"key": "k"})
    pd.testing.assert_frame_equal(inner_join(left, same, on="k"), left.merge(same, on="k"))


def test_id_cleaning_per_distinct_value_matches_row_by_row():
    """Repeated IDs take the cached path of ``clean_ids``/``valid_ids``: same values."""
    from riskmodel.rules.common import clean_ids, valid_ids

    values = pd.Series([f" {pid(1).lower()}", pid(1), None, pid(2), "12345", pid(2)], dtype="str")
    once = pd.Series(values.unique(), dtype="str")  # distinct: the row-by-row path
    cleaned = clean_ids(values)
    assert cleaned.dtype == object and cleaned.name == values.name
    assert cleaned.tolist() == [pid(1), pid(1), "", pid(2), "12345", pid(2)]
    assert clean_ids(once).tolist() == [pid(1), pid(1), "", pid(2), "12345"]
    assert valid_ids(values).tolist() == [True, True, False, True, False, True]
    assert valid_ids(values).tolist() == valid_ids(values.astype(object)).tolist()


def test_r020_r029_fall_back_to_the_pay_month_when_no_period_is_filled_in():
    # an export whose covered_period column is there but empty on every row
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H2"), person(3, "H2")],
        payments=[
            payment(1, day="2024-03-10", covered_period=None),
            payment(1, day="2024-03-25", covered_period=None, payment_id="X2"),
            payment(1, day="2024-04-10", covered_period=None, payment_id="X3"),
            payment(1, day="2024-05-10", covered_period=None, payment_id="X4"),
            payment(2, day="2024-06-10", covered_period=None, payment_id="X5"),
        ],
    )
    loaded["payments"]["covered_period"] = pd.Series(
        pd.NA, index=loaded["payments"].index, dtype="str"
    )
    evidence = run("R020", loaded)
    assert list(evidence["entity_id"]) == [pid(1)]  # March twice: 4 payments in 3 months
    assert evidence["amount_at_risk"].iloc[0] == 480.0
    assert run("R029", loaded).empty  # one member of H2 paid


def test_r020_a_row_of_zero_is_no_second_payment():
    loaded = tables(
        residents=[person(1, "H1")],
        payments=[
            payment(1, day="2024-03-10", covered_period="2024-03"),
            payment(1, amount=0.0, day="2024-03-25", covered_period="2024-03", payment_id="Z"),
        ],
    )
    assert run("R020", loaded).empty
    loaded["payments"].loc[1, "amount"] = 480.0  # a real second payment does count
    assert list(run("R020", loaded)["entity_id"]) == [pid(1)]


def test_r022_reads_the_countys_standard_by_name_and_never_guesses_one():
    payments = [
        payment(1, amount=700.0),
        payment(1, amount=700.0, day="2024-04-10"),
        payment(2, amount=560.0),  # above the packaged guess (450), below the county's 600
        payment(2, amount=560.0, day="2024-04-10"),
    ]
    residents = [person(1, "H1"), person(2, "H2")]
    # payments carry codes, the programs table only names: matched by name
    by_name = [{k: v for k, v in row.items() if k != "program_code"} for row in PROGRAMS]
    by_name[0]["standard_amount"] = 600.0
    loaded = tables(residents=residents, programs=by_name, payments=payments)
    assert list(run("R022", loaded)["entity_id"]) == [pid(1)]
    # no programs table: no standard is known, nothing is flagged against a guessed one
    assert run("R022", tables(residents=residents, payments=payments)).empty
    # unless the office chooses the packaged standards
    packaged = {"programs": {"packaged_standards": True}}
    flagged = run("R022", tables(residents=residents, payments=payments), packaged)
    assert set(flagged["entity_id"]) == {pid(1), pid(2)}


def test_r020_without_periods_a_missed_month_paid_late_is_no_duplicate():
    def months(*days):
        return [
            payment(1, day=day, covered_period="", payment_id=f"C{n}") for n, day in enumerate(days)
        ]

    residents = [person(1, "H1")]
    # December paid, January missed, February paid twice (January's arrears): 3 in 3 months
    late = tables(residents=residents, payments=months("2023-12-10", "2024-02-10", "2024-02-25"))
    assert run("R020", late).empty
    # every month paid and February twice: 4 payments in 3 months
    double = months("2023-12-10", "2024-01-10", "2024-02-10", "2024-02-25")
    assert list(run("R020", tables(residents=residents, payments=double))["entity_id"]) == [pid(1)]
