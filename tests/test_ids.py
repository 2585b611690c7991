import contextlib
import re
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodel.ids import (
    CREDIT_CHARSET,
    PROBLEMS,
    PROVINCE_CODES,
    IdError,
    check_digit,
    check_id,
    check_ids,
    credit_check_char,
    find_unmasked_identifiers,
    is_identifier_grouping,
    is_valid_credit_code,
    looks_like_credit_code,
    mask_account,
    mask_accounts,
    mask_id,
    mask_ids,
    normalise_id,
    pseudonymise,
    pseudonymise_series,
    redact_identifiers,
    replace_identifiers,
    upgrade_15_to_18,
)

TODAY = date(2024, 3, 5)


def make_id(region: str, birth: date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


# --- strategies ------------------------------------------------------------------------

regions = st.builds(
    lambda province, rest: f"{province:02d}{rest:04d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9999),
)
valid_ids = st.builds(make_id, regions, st.dates(date(1900, 1, 1), TODAY), st.integers(0, 999))
legacy_births = st.dates(date(1900, 1, 1), date(1999, 12, 31))
credit_bodies = st.text(alphabet=CREDIT_CHARSET, min_size=17, max_size=17)
garbage = st.one_of(
    st.text(max_size=25),
    st.text(alphabet="0123456789xX ５６Ｘ\u200b.E+-'=\"", max_size=22),
    st.none(),
    st.integers(-(10**19), 10**19),
    st.floats(allow_nan=True),
    st.booleans(),
)


# --- resident ID: known examples ------------------------------------------------------


def test_standard_examples_are_valid():
    # the two examples printed in GB 11643-1999
    first = check_id("11010519491231002X")
    assert first.is_valid and first.problem == ""
    assert first.birth_date == date(1949, 12, 31)
    assert first.gender == "女"
    assert first.region == "110105"
    second = check_id("440524188001010014")
    assert second.is_valid and second.gender == "男"
    assert second.birth_date == date(1880, 1, 1)


def test_check_digit_computed_by_hand():
    # 4*7+3*9+0*10+4*5+2*8+1*4+1*2+9*1+9*6+0*3+0*7+1*9+0*10+1*5+1*8+2*4+3*2 = 196;
    # 196 % 11 = 9 -> "10X98765432"[9] = "3"
    assert check_digit("43042119900101123") == "3"
    assert check_id("430421199001011233").is_valid
    assert check_id("430421199001011234").problem == "bad_check_digit"
    # a sum with remainder 2 gives X
    assert check_digit("11010519491231002") == "X"


def test_check_digit_rejects_bad_input():
    for bad in ("1234", "1101051949123100X", "１１０１０５１９４９１２３１００２", "a" * 17):
        with pytest.raises(IdError):
            check_digit(bad)


def test_birth_date_threshold_today_and_tomorrow():
    born_today = make_id("430421", TODAY, 123)
    born_tomorrow = make_id("430421", TODAY + timedelta(days=1), 123)
    assert check_id(born_today, today=TODAY).is_valid
    result = check_id(born_tomorrow, today=TODAY)
    assert not result.is_valid and result.problem == "future_birth_date"
    assert result.birth_date == TODAY + timedelta(days=1)
    frame = check_ids(pd.Series([born_today, born_tomorrow]), today=TODAY)
    assert frame["problem"].tolist() == ["", "future_birth_date"]


@pytest.mark.parametrize(
    ("digits8", "problem"),
    [
        ("20000229", ""),  # leap year
        ("19000229", "bad_birth_date"),  # 1900 is not a leap year
        ("19990229", "bad_birth_date"),
        ("19901301", "bad_birth_date"),
        ("19900100", "bad_birth_date"),
        ("19900431", "bad_birth_date"),
        ("19900430", ""),
        ("17991231", "bad_birth_date"),  # before MIN_BIRTH_YEAR
    ],
)
def test_birth_dates(digits8, problem):
    first17 = f"430421{digits8}123"
    value = first17 + check_digit(first17)
    assert check_id(value, today=TODAY).problem == problem
    assert check_ids(pd.Series([value]), today=TODAY)["problem"].iloc[0] == problem


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("000000", "bad_region"),
        ("990101", "bad_region"),
        ("830101", "bad_region"),
        ("100101", "bad_region"),
        ("820001", ""),
        ("110000", ""),
        ("650101", ""),
    ],
)
def test_region_codes(prefix, problem):
    value = make_id(prefix, date(1990, 1, 1), 1)
    assert check_id(value).problem == problem
    assert check_ids(pd.Series([value]))["problem"].iloc[0] == problem


def test_gender_from_seventeenth_digit():
    assert check_id(make_id("430421", date(1990, 1, 1), 121)).gender == "男"
    assert check_id(make_id("430421", date(1990, 1, 1), 120)).gender == "女"


@pytest.mark.parametrize(
    ("raw", "normalised", "problem"),
    [
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", ""),
        (" 110105 19491231002x ", "11010519491231002X", ""),
        ("11010519491231002x\u200b", "11010519491231002X", ""),
        ("\ufeff11010519491231002X\t", "11010519491231002X", ""),
        ("'11010519491231002X", "11010519491231002X", ""),
        ('="11010519491231002X"', "11010519491231002X", ""),
        ("4.30421E+17", "4.30421E+17", "scientific_notation"),
        ("4.30421199001011e+17", "4.30421199001011E+17", "scientific_notation"),
        ("430421900101123", "430421199001011233", "legacy_15"),
        ("430421900101123.0", "430421199001011233", "legacy_15"),
        ("43042119900101123", "43042119900101123", "bad_length"),
        ("4304211990010112345", "4304211990010112345", "bad_length"),
        ("4304211990010112X3", "4304211990010112X3", "bad_chars"),
        ("ABCDEFGHIJKLMNOPQR", "ABCDEFGHIJKLMNOPQR", "bad_chars"),
        ("", "", "missing"),
        ("   ", "", "missing"),
        (None, "", "missing"),
        (float("nan"), "", "missing"),
        (430421199001011233, "430421199001011233", ""),
    ],
)
def test_normalisation_and_problems(raw, normalised, problem):
    result = check_id(raw)
    assert result.normalised == normalised
    assert result.problem == problem
    assert result.is_valid == (problem in ("", "legacy_15"))
    assert problem in PROBLEMS


def test_legacy_upgrade_by_hand():
    assert upgrade_15_to_18("430421900101123") == "430421199001011233"
    assert check_id("430421900101123").birth_date == date(1990, 1, 1)
    with pytest.raises(IdError):
        upgrade_15_to_18("43042190010112")


# --- resident ID: properties ------------------------------------------------------------


@settings(deadline=None)
@given(valid_ids)
def test_generated_ids_are_valid(value):
    result = check_id(value, today=TODAY)
    assert result.is_valid, result
    assert result.problem == ""
    assert f"{result.birth_date:%Y%m%d}" == value[6:14]
    assert result.gender == ("男" if int(value[16]) % 2 else "女")
    assert check_id(value.lower(), today=TODAY).is_valid


@settings(deadline=None)
@given(valid_ids, st.integers(0, 17), st.data())
def test_any_single_change_fails(value, position, data):
    alphabet = "0123456789X" if position == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != value[position]]))
    changed = value[:position] + new + value[position + 1 :]
    assert not check_id(changed, today=TODAY).is_valid


@settings(deadline=None)
@given(valid_ids, st.integers(0, 16))
def test_any_adjacent_transposition_fails(value, position):
    a, b = value[position], value[position + 1]
    if a == b:
        return
    swapped = value[:position] + b + a + value[position + 2 :]
    assert not check_id(swapped, today=TODAY).is_valid


@settings(deadline=None)
@given(regions, legacy_births, st.integers(0, 999))
def test_legacy_upgrade_round_trips(region, birth, sequence):
    full = make_id(region, birth, sequence)
    legacy = full[:6] + full[8:17]
    assert upgrade_15_to_18(legacy) == full
    result = check_id(legacy, today=TODAY)
    assert result.normalised == full
    assert result.problem == "legacy_15" and result.is_valid
    assert result.birth_date == birth


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.one_of(
            valid_ids,
            valid_ids.map(lambda v: v[:6] + v[8:17]),
            valid_ids.map(lambda v: v[:10] + "9" + v[11:]),
            valid_ids.map(lambda v: v[:17] + "X"),
            valid_ids.map(lambda v: v.lower()),
            garbage,
        ),
        max_size=30,
    )
)
def test_check_ids_agrees_with_check_id(values):
    series = pd.Series(values, dtype=object)
    frame = check_ids(series, today=TODAY)
    assert list(frame.index) == list(series.index)
    for position, value in enumerate(values):
        expected = check_id(value, today=TODAY)
        row = frame.iloc[position]
        assert row["normalised"] == expected.normalised
        assert bool(row["is_valid"]) == expected.is_valid
        assert row["problem"] == expected.problem
        if expected.birth_date is None:
            assert pd.isna(row["birth_date"])
        else:
            assert row["birth_date"].date() == expected.birth_date
        assert (row["gender"] if isinstance(row["gender"], str) else None) == expected.gender
        assert row["region"] == expected.region


@settings(deadline=None)
@given(garbage)
def test_no_foreign_exception_on_arbitrary_input(value):
    check_id(value)
    mask_id(value)
    mask_account(value)
    pseudonymise(value, "key")
    is_valid_credit_code(value)
    if isinstance(value, str):
        redact_identifiers(value)
        find_unmasked_identifiers(value)
        for function in (check_digit, credit_check_char, upgrade_15_to_18):
            with contextlib.suppress(IdError):
                function(value)


def test_check_ids_dtypes_index_and_mixed_input():
    series = pd.Series(
        ["11010519491231002X", None, 430421199001011233, "４３０４２１９００１０１１２３", 1.5],
        index=[10, 20, 30, 40, 50],
        dtype=object,
    )
    frame = check_ids(series)
    assert list(frame.index) == [10, 20, 30, 40, 50]
    assert frame["is_valid"].dtype == bool
    assert frame["is_valid"].tolist() == [True, False, True, True, False]
    assert frame["problem"].tolist() == ["", "missing", "", "legacy_15", "bad_chars"]
    assert frame["normalised"].iloc[3] == "430421199001011233"
    assert pd.api.types.is_datetime64_any_dtype(frame["birth_date"])
    assert frame["gender"].iloc[0] == "女" and pd.isna(frame["gender"].iloc[1])
    # an integer column (IDs read as numbers by a spreadsheet tool)
    numbers = pd.Series([430421199001011233, 110105194912310021], dtype="int64")
    assert check_ids(numbers)["problem"].tolist() == ["", "bad_check_digit"]
    assert check_ids(pd.Series([], dtype="str")).shape == (0, 6)


def test_check_ids_on_chunked_and_sliced_arrow_strings():
    first = pd.Series(["11010519491231002X", "440524188001010014"], dtype="str")
    second = pd.Series(["110105194912310021", "11010519491231002X"], dtype="str")
    joined = pd.concat([first, second], ignore_index=True)  # two arrow chunks
    assert check_ids(joined)["problem"].tolist() == ["", "", "bad_check_digit", ""]
    assert check_ids(joined[1:])["problem"].tolist() == ["", "bad_check_digit", ""]
    for dtype in ("string[python]", "category", object):
        values = pd.Series(["11010519491231002X", "430421900101123", None], dtype=dtype)
        assert check_ids(values)["problem"].tolist() == ["", "legacy_15", "missing"]


def test_check_ids_is_fast():
    rng = np.random.default_rng(1)
    base = [
        make_id("430421", date(1950, 1, 1) + timedelta(days=int(d)), int(s))
        for d, s in zip(rng.integers(0, 25000, 2000), rng.integers(0, 999, 2000), strict=True)
    ]
    series = pd.Series(np.array(base, dtype=object)[rng.integers(0, 2000, 300_000)], dtype="str")
    started = time.perf_counter()
    frame = check_ids(series)
    elapsed = time.perf_counter() - started
    assert frame["is_valid"].all()
    assert elapsed < 3.0, f"check_ids took {elapsed:.2f}s for 300,000 IDs"


# --- unified social credit code ---------------------------------------------------------


def test_known_credit_code():
    # the example printed in many registration guides
    assert is_valid_credit_code("91350100M000100Y43")
    assert credit_check_char("91350100M000100Y4") == "3"
    assert is_valid_credit_code(" 91350100m000100y43 ")
    assert not is_valid_credit_code("91350100M000100Y44")
    assert not is_valid_credit_code("91350100M000100Y4")
    assert not is_valid_credit_code("91350100I000100Y43")  # I is not in the charset
    assert not is_valid_credit_code(None)


def test_all_digit_credit_codes_are_not_accounts():
    body = "91430421284767368"
    code = body + credit_check_char(body)
    assert code.isdigit() and looks_like_credit_code(code)
    assert find_unmasked_identifiers(f"中标单位 {code}") == []
    # the same digits with a wrong check character are account-looking
    wrong = body + ("1" if code[-1] != "1" else "2")
    assert not looks_like_credit_code(wrong)
    assert find_unmasked_identifiers(f"中标单位 {wrong}") == [wrong]
    # a valid code with an unknown registration prefix is not trusted as one
    odd = "14430421284767368"
    assert not looks_like_credit_code(odd + credit_check_char(odd))
    assert looks_like_credit_code("91350100M000100Y43")


def test_credit_check_char_rejects_bad_input():
    for bad in ("9135", "91350100I000100Y4", "91350100O000100Y4"):
        with pytest.raises(IdError):
            credit_check_char(bad)


@settings(deadline=None)
@given(credit_bodies)
def test_generated_credit_codes_are_valid(body):
    assert is_valid_credit_code(body + credit_check_char(body))


@settings(deadline=None)
@given(credit_bodies, st.integers(0, 17), st.data())
def test_credit_code_single_change_fails(body, position, data):
    code = body + credit_check_char(body)
    new = data.draw(st.sampled_from([c for c in CREDIT_CHARSET if c != code[position]]))
    assert not is_valid_credit_code(code[:position] + new + code[position + 1 :])


@settings(deadline=None)
@given(credit_bodies, st.integers(0, 16))
def test_credit_code_transposition_fails(body, position):
    code = body + credit_check_char(body)
    a, b = code[position], code[position + 1]
    if a == b:
        return
    assert not is_valid_credit_code(code[:position] + b + a + code[position + 2 :])


# --- masking and pseudonyms -----------------------------------------------------------


def test_mask_examples():
    assert mask_id("430421199001011234") == "430421********1234"
    assert mask_id("43042119900101123x") == "430421********123X"
    assert mask_id("430421900101123") == "430421*****1123"
    assert mask_id("1234567890") == "******7890"
    assert mask_id("1234567") == "*******"
    assert mask_id(None) == ""
    assert mask_account("6228480012345678901") == "6228***********8901"
    assert mask_account("6228480012345678") == "6228********5678"
    assert mask_account("622848001234567") == "***********4567"
    assert mask_account("622848001234") == "********1234"
    assert mask_account("62284800123") == "*******0123"
    assert mask_account("6228") == "****"


@settings(deadline=None)
@given(st.one_of(valid_ids, st.text(max_size=30)))
def test_masking_never_reveals_the_middle(value):
    text = normalise_id(value)
    masked_id, masked_account = mask_id(value), mask_account(value)
    assert len(masked_id) == len(text) == len(masked_account)
    for masked, head_from in ((masked_id, 15), (masked_account, 16)):
        head = (6 if masked is masked_id else 4) if len(text) >= head_from else 0
        tail = 4 if len(text) >= 8 else 0
        assert set(masked[head : len(text) - tail]) <= {"*"}
        assert masked[:head] == text[:head]
        assert masked[len(text) - tail :] == text[len(text) - tail :]
        # never more than 10 characters shown, and at most half of a short value
        assert head + tail <= min(10, max(len(text) // 2, 0)) or len(text) >= 15
    if len(text) == 18:
        assert find_unmasked_identifiers(masked_id) == []


@settings(deadline=None)
@given(st.lists(st.one_of(valid_ids, st.text(max_size=22), st.none()), max_size=20))
def test_vectorised_masks_agree(values):
    series = pd.Series(values, dtype=object)
    ids, accounts = mask_ids(series), mask_accounts(series)
    for position, value in enumerate(values):
        if value is None:
            assert pd.isna(ids.iloc[position]) and pd.isna(accounts.iloc[position])
        else:
            assert ids.iloc[position] == mask_id(value)
            assert accounts.iloc[position] == mask_account(value)


def test_pseudonymise_is_keyed_and_stable():
    first = pseudonymise("11010519491231002X", "office-key")
    assert re.fullmatch(r"P-[0-9a-f]{12}", first)
    assert pseudonymise("11010519491231002x", "office-key") == first  # same after cleaning
    assert pseudonymise("１１０１０５１９４９１２３１００２Ｘ", "office-key") == first
    assert pseudonymise("11010519491231002X", "other-key") != first
    assert pseudonymise("440524188001010014", "office-key") != first
    assert pseudonymise(None, "office-key") == ""
    with pytest.raises(IdError):
        pseudonymise("11010519491231002X", "")
    series = pseudonymise_series(pd.Series(["11010519491231002X", None]), "office-key")
    assert series.iloc[0] == first and pd.isna(series.iloc[1])


# --- identifiers in free text ------------------------------------------------------------


def test_redact_examples():
    text = "付款给 11010519491231002X, 卡号6228480012345678901; 村 430421100201, 电话13812345678"
    redacted = redact_identifiers(text)
    assert "110105********002X" in redacted
    assert "6228***********8901" in redacted
    assert "430421100201" in redacted  # village code kept
    assert "13812345678" in redacted  # 11 digits: not an ID or an account
    assert "11010519491231002X" not in redacted
    assert redact_identifiers("legacy 430421900101123 end") == "legacy 430421*****1123 end"
    assert redact_identifiers("account 991234567890 end") == "account ********7890 end"
    full_width = redact_identifiers("身份证１１０１０５１９４９１２３１００２Ｘ。")
    assert full_width == "身份证110105********002X。"


def test_find_unmasked_identifiers_heuristic():
    valid = "430421199001011233"
    assert find_unmasked_identifiers(f"身份证{valid}号") == [valid]
    assert find_unmasked_identifiers("账号:6228480012345678") == ["6228480012345678"]
    assert find_unmasked_identifiers('{"id": "11010519491231002x"}') == ["11010519491231002X"]
    assert find_unmasked_identifiers("１１０１０５１９４９１２３１００２Ｘ") == [
        "11010519491231002X"
    ]
    silent = [
        "village 430421100201 and 430421100202",  # village codes
        "score 0.30000000000000004 and 1.2345678901234567e-05",  # float fractions
        "sha256 3a5f1234567890123456789b0c and L-1234567890123456789a",  # longer tokens
        "masked 430421********1234 and 6228***********8901",
        "phone 13812345678, legacy 430421900101123",
        "short 123456789012345",  # 15 digits: not an account by this heuristic
        "12345678901234567890",  # 20 digits: too long for an account
        "43042119900101123X",  # 18 chars ending in X with a wrong check character
    ]
    for text in silent:
        assert find_unmasked_identifiers(text) == [], text
    # an ID is flagged even after "1." (numbered list), accounts there are float fractions
    assert find_unmasked_identifiers(f"1.{valid}") == [valid]
    assert find_unmasked_identifiers("1.6228480012345678") == []


def test_household_numbers_are_not_accounts():
    village, household = "430421100201", "4304211002010023"
    # alone, a 16-digit household number cannot be told from an account: flagged
    assert find_unmasked_identifiers(f"户 {household}") == [household]
    assert redact_identifiers(f"户 {household}") == "户 4304********0023"
    # with its village code in the same text (or given), it is a household number
    assert find_unmasked_identifiers(f"{village},{household}") == []
    assert find_unmasked_identifiers(household, division_codes={village}) == []
    assert redact_identifiers(f"村{village} 户{household}") == f"村{village} 户{household}"
    assert redact_identifiers(household, division_codes={village}) == household
    # an account in the same text is still an account
    assert find_unmasked_identifiers(f"{village},{household},6228480012345678") == [
        "6228480012345678"
    ]
    assert find_unmasked_identifiers("6228480012345678", allow={"6228480012345678"}) == []
    # a village code ending in X is masked as an ID fragment: it does not vouch for a household
    assert find_unmasked_identifiers(f"{household}:{village}X") == [household]
    assert redact_identifiers(f"{household}:{village}X") == "4304********0023:*********201X"


@settings(deadline=None)
@given(
    st.lists(
        st.one_of(
            valid_ids,
            st.integers(10**15, 10**19 - 1).map(str),
            st.sampled_from(["430421100201", "4304211002010023"]),
            st.text(max_size=8),
            st.sampled_from([" ", "，", ";", ".", "账号", "1.", "x", "X"]),
        ),
        max_size=12,
    )
)
def test_redacted_text_has_nothing_left_to_find(parts):
    text = "".join(parts)
    assert find_unmasked_identifiers(redact_identifiers(text)) == []


# --- identifiers typed in groups (spaces, hyphens) ------------------------------------------

SPACED_ID = "430421 19650601 5412"  # 430421196506015412, correct check character
CARD = "6217999068236662452"
SPACED_CARD = "6217 9990 6823 6662 452"


def test_identifier_groupings():
    assert check_id("430421196506015412").is_valid
    for groups in (
        ["430421", "19650601", "5412"],  # 6 + 8 + 4
        ["430421", "19650601", "541x"],  # final x: a typo of the check character
        ["4304", "2119", "6506", "0154", "12"],  # in fours, like a card
        ["430", "421", "1965", "0601", "5412"],
        ["430421", "650601", "541"],  # legacy 15 digits
        ["6217", "9990", "6823", "6662", "452"],  # card of 19 digits
        ["6228", "4800", "1234", "5678"],  # card of 16 digits
    ):
        assert is_identifier_grouping(groups), groups
    for groups in (
        ["2024", "05", "01"],  # a date
        ["138", "1234", "5678"],  # a mobile phone
        ["0734", "8123456"],  # a landline
        ["1", "234", "567", "890", "123", "456"],  # an amount in thousands
        ["2021", "2022", "2023", "2024"],  # years
        ["6228", "4800", "1234", "567"],  # 15 digits: too short for a card
        ["6217", "9990", "6823", "6662", "4521"],  # 20 digits: too long
        ["62179", "990", "6823", "6662", "452"],  # not in fours
        ["430421", "19651301", "5412"],  # month 13: no ID
        ["990421", "19650601", "5412"],  # no province 99
        ["430421196506015412"],  # one group is no grouping
        ["430421", "", "19650601", "5412"],
    ):
        assert not is_identifier_grouping(groups), groups


def test_normalise_id_joins_hyphenated_identifiers_only():
    assert normalise_id("430421-19650601-5412") == "430421196506015412"
    assert normalise_id("430421-19650601-541x") == "43042119650601541X"
    assert normalise_id("6217-9990-6823-6662-452") == CARD
    assert normalise_id(SPACED_ID) == "430421196506015412"
    assert normalise_id(SPACED_CARD) == CARD
    for kept in ("2024-05-01", "2024-05-01-2024-06-30", "138-1234-5678", "0734-8123456", "-5"):
        assert normalise_id(kept) == kept
    assert check_id("430421-19650601-5412").is_valid
    assert mask_id("430421-19650601-5412") == "430421********5412"
    assert pseudonymise("430421-19650601-5412", "k") == pseudonymise("430421196506015412", "k")


def test_redact_identifiers_typed_in_groups():
    text = (
        f"身份证 {SPACED_ID} 账户 {SPACED_CARD}，另 430421-19650601-5412、6217-9990-6823-6662-452"
    )
    redacted = redact_identifiers(text)
    assert redacted == (
        "身份证 430421********5412 账户 6217***********2452，"
        "另 430421********5412、6217***********2452"
    )
    assert find_unmasked_identifiers(text) == [
        "430421196506015412",
        CARD,
        "430421196506015412",
        CARD,
    ]
    assert find_unmasked_identifiers(redacted) == []
    # a grouped number next to other numbers: the grouping inside is still found
    assert redact_identifiers(f"{SPACED_CARD} 2024") == "6217***********2452 2024"
    assert redact_identifiers(f"第 3 {SPACED_CARD}") == "第 3 6217***********2452"
    assert redact_identifiers("430421196506015412 1") == "430421********5412 1"
    two = redact_identifiers("430421196506015412 430421196506015413")
    assert two == "430421********5412 430421********5413"
    # full-width digits with spaces
    assert redact_identifiers("４３０４２１ １９６５０６０１ ５４１２") == "430421********5412"
    # legacy 15 digits in groups
    assert redact_identifiers("430421 650601 541") == "430421*****1541"


def test_ordinary_numbers_in_text_are_left_alone():
    for text in (
        "日期 2024-05-01 至 2024-06-30，时间 2024-05-01 12:00:00",
        "电话 138-1234-5678 / 138 1234 5678 / 0734-8123456",
        "金额 1 234 567.89 元，共 12 345 户",
        "年度 2021 2022 2023 2024",
        "村 430421103202 户 4304211032020080",  # village code and its household number
        '"ratio": 0.30000000000000004, "share": 0.123456789012345678',
        "信用代码 9143042171081317X7 与 914304217108131006",  # credit codes
        "P-123456789012 和 P-430421196506",  # pseudonyms whose hex is all digits
        "sha256 3a5f1234567890123456789b0c",
        "masked 430421********5412 and 6217***********2452",
    ):
        assert redact_identifiers(text) == text, text
        assert find_unmasked_identifiers(text) == [], text
    # a pseudonymiser sees no identifier in them either
    seen: list[str] = []
    replace_identifiers(
        "0.30000000000000004 9143042171081317X7 P-123456789012",
        seen.append,
        seen.append,
    )
    assert seen == []


def test_escaped_newline_before_an_identifier():
    # JSON text: "\n" is a backslash and an n, and the number after it still counts
    assert find_unmasked_identifiers('"a\\n430421196506015412"') == ["430421196506015412"]
    assert redact_identifiers('"a\\n430421196506015412"') == '"a\\n430421********5412"'
    assert redact_identifiers("abc430421196506015412") == "abc430421196506015412"


def test_pseudonymise_gives_a_legacy_id_the_pseudonym_of_its_18_digit_form():
    upgraded = upgrade_15_to_18("430421650601541")
    assert pseudonymise("430421650601541", "k") == pseudonymise(upgraded, "k")
    assert pseudonymise("430421 650601 541", "k") == pseudonymise(upgraded, "k")
    # 15 digits that are no legacy ID (no province, no date): pseudonymised as they are
    for other in ("990421650601541", "430421651301541", "123456789012345"):
        assert pseudonymise(other, "k") != pseudonymise(upgrade_15_to_18(other), "k")


@settings(deadline=None, max_examples=300)
@given(
    st.lists(
        st.one_of(
            valid_ids,
            valid_ids.map(lambda v: f"{v[:6]} {v[6:14]} {v[14:]}"),
            valid_ids.map(lambda v: f"{v[:6]}-{v[6:14]}-{v[14:]}"),
            st.integers(10**15, 10**19 - 1).map(
                lambda n: " ".join(str(n)[i : i + 4] for i in range(0, len(str(n)), 4))
            ),
            st.integers(0, 9999).map(str),
            st.sampled_from([" ", "-", "，", ".", "P-", "\\n", "2024-05-01"]),
        ),
        max_size=10,
    )
)
def test_redacted_grouped_text_has_nothing_left_to_find(parts):
    text = "".join(parts)
    assert find_unmasked_identifiers(redact_identifiers(text)) == []
