"""Shared rule frames: payment codes, resident lookups, person resolution, ID checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rules_helpers import V1, V2, bad_id, payment, person, pid, tables

from riskmodel.config import load_config
from riskmodel.entities import CROSSWALK_COLUMNS
from riskmodel.frames import isin, positions
from riskmodel.rules import RuleContext, common


def _context() -> RuleContext:
    loaded = tables(
        residents=[person(1, "H1"), person(2, "H1"), person(3, ""), person(4, "H4", V2)],
        payments=[
            payment(1),
            payment(2, village=""),
            payment(3),  # a resident without a household
            payment(500, household_id="H9"),  # not a resident, own household declared
            payment(501),  # not a resident, no household
            payment(1, id_number=bad_id(4), day="2024-04-10"),  # a typo of resident 4
            payment(2, status="失败"),
        ],
        deaths=[{"id_number": bad_id(1), "death_date": "2024-01-05"}],
    )
    keys = loaded["payments"]["_key"]
    deaths = loaded["deaths"]["_key"]
    crosswalk = pd.DataFrame(
        [
            ["payments", keys[0], "id_number", pid(1), pid(1), "exact_id", 1.0, ""],
            ["payments", keys[3], "id_number", pid(500), pid(500), "unmatched", 0.0, ""],
            ["payments", keys[5], "id_number", bad_id(4), pid(4), "fuzzy", 0.9, "swap"],
            ["deaths", deaths[0], "id_number", bad_id(1), pid(1), "fuzzy", 0.8, "swap"],
            ["deaths", keys[5], "name", bad_id(4), pid(2), "fuzzy", 0.5, "other column"],
        ],
        columns=CROSSWALK_COLUMNS,
    )
    return RuleContext(loaded, crosswalk=crosswalk)


def test_payment_codes_give_back_each_column_and_its_lookups():
    context, config = _context(), load_config()
    paid = common.payments(context, config)
    assert list(paid["household"]) == ["H1", "H1", f"P:{pid(3)}", "H9", f"P:{pid(501)}", "H4"]
    assert list(paid["person_id"])[-1] == pid(4)  # the crosswalk's resident
    for column in ("person_id", "household", "village_code", "account_no"):
        codes, values = common.payment_codes(context, config, column)
        assert list(values[codes]) == list(paid[column])
        for chosen in ([pid(4), pid(3)], ["H1", "H9"], ["", V1], ["nobody"]):
            expected = isin(paid[column], chosen)
            assert common.payments_in(context, config, column, chosen).tolist() == list(expected)
    rows = common.means_tested_rows(context, config)
    tested = common.means_tested_payments(context, config)
    assert list(paid["_key"].iloc[rows]) == list(tested["_key"])


def test_payment_residents_are_the_register_rows_of_the_resolved_people():
    context, config = _context(), load_config()
    paid = common.payments(context, config)
    people = common.resident_index(context).index
    expected = positions(paid["person_id"], people)
    assert common.payment_residents(context, config).tolist() == expected.tolist()
    assert common.resident_rows(context, paid["person_id"]).tolist() == expected.tolist()


def test_person_ids_take_only_their_own_table_and_column_from_the_crosswalk():
    context = _context()
    deaths = context.table("deaths")
    resolved = common.person_ids(context, "deaths", deaths, "id_number")
    assert resolved.to_dict("list") == {"person_id": [pid(1)], "method": ["fuzzy"], "score": [0.8]}
    paid = context.table("payments")
    resolved = common.person_ids(context, "payments", paid, "id_number")
    assert list(resolved["method"]) == [
        "exact_id",
        "exact_id",
        "exact_id",
        "unmatched",
        "unmatched",
        "fuzzy",
        "exact_id",
    ]
    assert resolved["person_id"].dtype == object and resolved["method"].dtype == object


def test_residents_keep_the_first_row_of_a_repeated_id():
    loaded = tables(residents=[person(1, "H1"), person(2, "H2"), person(1, "H3")])
    loaded["residents"].loc[2, "id_number"] = " " + pid(1).lower() + " "
    people = common.residents(RuleContext(loaded))
    assert list(people["person_id"]) == [pid(1), pid(2)]
    assert list(people["household_id"]) == ["H1", "H2"]


def test_resident_like_matches_check_digit_and_birth_date_tests():
    valid = [
        pid(123, birth=f"{year}{month}{days}")
        for year in ("1899", "1900", "2099", "2100", "1985")
        for month in ("00", "01", "12", "13")
        for days in ("00", "01", "31", "32")
    ]
    values = pd.Series([*valid, pid(8)[:17] + "0", "91430421MA4L00001X", "", "12345"])
    expected = common.valid_ids(values).to_numpy() & common.plausible_birth(values)
    assert common._resident_like(values).tolist() == expected.tolist()
    assert expected.sum() == 12  # 3 years × 2 months × 2 days in range


def test_is_institution_keeps_valid_resident_ids_out():
    config = load_config()
    values = pd.Series([pid(1), "124304214455667788", pid(2, birth="19991231"), "", None])
    flags = common.is_institution(values, config)
    assert not flags.iloc[0] and not flags.iloc[2] and not flags.iloc[3]
    assert flags.dtype == bool and len(flags) == len(values)
    assert np.array_equal(flags.to_numpy(), common.is_institution(values.astype(object), config))


def test_table_cuts_rows_dated_after_as_of_only_when_there_are_some():
    loaded = tables(payments=[payment(1, day="2024-03-10"), payment(2, day="2024-05-10")])
    late = RuleContext(loaded, as_of="2024-04-30").table("payments")
    assert list(late["_key"]) == [loaded["payments"]["_key"].iloc[0]]
    kept = RuleContext(loaded, as_of="2024-12-31").table("payments")
    pd.testing.assert_frame_equal(kept, loaded["payments"].reset_index(drop=True))


def test_payments_without_a_village_column_take_the_payees_register_village():
    context = _context()
    context.tables["payments"] = context.tables["payments"].drop(columns=["village_code"])
    paid = common.payments(context, load_config())
    # residents 1, 3 live in V1, resident 4 (through the crosswalk) in V2; 500/501 unknown
    assert list(paid["village_code"]) == [V1, V1, V1, "", "", V2]


def test_payments_with_blank_village_cells_take_the_payees_register_village():
    context = _context()
    payments = context.tables["payments"]
    payments["village_code"] = pd.Series(
        [V2, None, "", V1, "", "", V1], index=payments.index, dtype="str"
    )
    paid = common.payments(context, load_config())
    # a village given is kept (V2 for resident 1); blanks take the register's (V1 for 2 and
    # 3, V2 for 4 found through the crosswalk) or stay blank for a non-resident (501)
    assert list(paid["village_code"]) == [V2, V1, V1, V1, "", V2]
