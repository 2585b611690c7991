"""Identifier columns: resident IDs, parties (ID or credit code), credit codes, codes."""

import numpy as np
import pandas as pd

from riskmodel import ids
from riskmodel.io.identifiers import (
    check_credit_codes,
    check_parties,
    check_plain_codes,
    check_resident_ids,
)

FIRST17 = "43042119600101011"
ID_OK = FIRST17 + ids.check_digit(FIRST17)
ID_BAD = FIRST17 + ("0" if ids.check_digit(FIRST17) != "0" else "1")
CREDIT_BODY = "91430421MA4L0ABC1"
CREDIT_OK = CREDIT_BODY + ids.credit_check_char(CREDIT_BODY)
CREDIT_BAD = CREDIT_BODY + ("0" if CREDIT_OK[-1] != "0" else "1")


def series(*values):
    return pd.Series(values, dtype="str")


def test_resident_ids_normalised_checked_and_damage_flagged():
    checked = check_resident_ids(series(ID_OK.lower(), ID_BAD, "4.30421E+17", "", ID_OK))
    assert checked.values.tolist()[:2] == [ID_OK.upper(), ID_BAD]
    assert checked.is_valid.tolist() == [True, False, False, False, True]
    assert checked.problem.tolist() == ["", "bad_check_digit", "scientific_notation", "", ""]
    assert checked.damaged.tolist() == [False, False, True, False, False]


def test_lost_x_is_restored_only_when_the_check_says_x():
    with_x = next(
        f"43042119600101{n:03d}" + "X"
        for n in range(1000)
        if ids.check_digit(f"43042119600101{n:03d}") == "X"
    )
    without = next(
        f"43042119600101{n:03d}"
        for n in range(1000)
        if ids.check_digit(f"43042119600101{n:03d}") != "X"
    )
    checked = check_resident_ids(series(with_x[:17], without))
    assert checked.values.tolist() == [with_x, without]
    assert checked.problem.tolist() == ["lost_final_x", "bad_length"]
    off = check_resident_ids(series(with_x[:17]), repair_lost_x=False)
    assert off.problem.tolist() == ["bad_length"] and not off.is_valid.any()


def test_parties_accept_ids_and_credit_codes():
    checked = check_parties(series(ID_OK, CREDIT_OK, CREDIT_BAD, ID_BAD))
    assert checked.is_valid.tolist() == [True, True, False, False]
    assert checked.problem.tolist() == ["", "", "bad_credit_code", "bad_check_digit"]


def test_credit_codes():
    checked = check_credit_codes(series(CREDIT_OK, CREDIT_BAD, "", "9.1E+17"))
    assert checked.is_valid.tolist() == [True, False, False, False]
    assert checked.problem.tolist() == ["", "bad_credit_code", "", "scientific_notation"]


def test_plain_codes_keep_case_drop_exact_float_suffix_and_flag_damage():
    checked = check_plain_codes(series("430421100201.0", "ｐ01", "hh 01", "6.22848E+18", "1.5"))
    assert checked.values.tolist() == ["430421100201", "p01", "hh 01", "6.22848E+18", "1.5"]
    assert checked.damaged.tolist() == [False, False, False, True, False]
    assert checked.is_valid is None


def test_accounts_are_cleaned_like_ids():
    checked = check_plain_codes(series("6228 4800 1234 5678", "'6228480012345678"), True)
    assert checked.values.tolist() == ["6228480012345678", "6228480012345678"]
    assert not np.any(checked.damaged)


def test_mixed_columns_normalise_only_the_rows_that_need_it():
    accounts = check_plain_codes(series("6228480012345678", "'6228480012345679", "", "62.0"), True)
    assert accounts.values.tolist() == ["6228480012345678", "6228480012345679", "", "62"]
    codes = check_plain_codes(series("记-001", "ｐ01", "记-001", "ｐ01", "1.0e+3"))
    assert codes.values.tolist() == ["记-001", "p01", "记-001", "p01", "1.0e+3"]
    assert codes.problem.tolist() == [""] * 4 + ["scientific_notation"]
    unchanged = check_resident_ids(series(ID_OK, ID_BAD, ID_OK))
    assert unchanged.values.tolist() == [ID_OK, ID_BAD, ID_OK]
    assert unchanged.is_valid.tolist() == [True, False, True]


def test_a_sixteen_digit_float_written_as_text_keeps_its_digits():
    from riskmodel.io.identifiers import _drop_float_suffix

    values = pd.Series(["4304211012010001.0", "4304211012010000.0", "430421100201.0", "12.5"])
    # 16 digits not ending in 0: exact (Excel keeps 15); ending in 0 may be rounded: kept
    # as written, for the checks to flag
    assert _drop_float_suffix(values).tolist() == [
        "4304211012010001",
        "4304211012010000.0",
        "430421100201",
        "12.5",
    ]
