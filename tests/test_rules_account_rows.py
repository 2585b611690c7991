"""The account rows' holder households and same-household flags, against plain lookups."""

from __future__ import annotations

import numpy as np
from rules_helpers import payment, person, pid, tables

from riskmodel.config import load_config
from riskmodel.rules import RuleContext, common
from riskmodel.rules import payments as rules_payments


def _loaded() -> dict:
    return tables(
        residents=[
            person(1, "H1"),
            person(2, "H1"),
            person(3, ""),  # registered without a household: P:<id>
            person(4, "H4"),
        ],
        accounts=[
            {"account_no": "A1", "holder_id_number": pid(2), "holder_name": "二"},
            {"account_no": "A2", "holder_id_number": pid(3), "holder_name": "三"},
            {"account_no": "A3", "holder_id_number": pid(7), "holder_name": "七"},
            {"account_no": "A4", "holder_id_number": pid(8), "holder_name": "八"},
            {"account_no": "A5", "holder_id_number": "", "holder_name": ""},
        ],
        payments=[
            payment(1, account_no="A1"),
            payment(3, account_no="A2"),
            payment(4, account_no="A2"),
            payment(7, account_no="A3"),  # holder outside the register, paid himself
            payment(4, account_no="A4"),  # holder outside the register and unpaid
            payment(4, account_no="A5"),
            payment(1, account_no="A9"),  # no holder known
        ],
    )


def test_holder_households_match_a_lookup_of_household_of():
    config = load_config()
    context = RuleContext(_loaded())
    holders = common.account_holders(context, config)
    households = rules_payments._payment_codes(context, config, "household")[1]
    expected = households.get_indexer(
        common.household_of(context, holders["holder_id"]).to_numpy(dtype=object)
    )
    rows = common.resident_rows(context, holders["holder_id"].to_numpy(dtype=object))
    found = rules_payments._holder_households(context, config, holders["holder_id"], rows)
    np.testing.assert_array_equal(found, expected)
    assert (found >= 0).sum() == 3  # H1, P:<3>, P:<7>


def test_account_rows_same_household():
    config = load_config()
    rows = rules_payments._account_rows(RuleContext(_loaded()), config)
    keys = rows["account_no"] + ":" + rows["person_id"]
    same = dict(zip(keys, rows["same_household"], strict=True))
    assert same["A1:" + pid(1)]  # the holder's household member
    assert same["A2:" + pid(3)]  # the holder himself, with no register household
    assert not same["A2:" + pid(4)]
    assert same["A3:" + pid(7)]  # the holder himself, outside the register
    assert not same["A4:" + pid(4)]
    assert same["A5:" + pid(4)] and same["A9:" + pid(1)]  # no holder
