"""Identifiers: resident ID numbers, unified social credit codes, masking, pseudonyms.

Resident ID numbers follow GB 11643-1999: six digits of region code, eight of birth
date (YYYYMMDD), three of sequence (the last odd for men, even for women) and an
ISO 7064 MOD 11-2 check character (0-9 or X). Legacy 15-digit numbers (before 1999)
have a two-digit year and no check character; they are upgraded by inserting ``19``
and computing the check character.

Unified social credit codes follow GB 32100-2015: 18 characters from
``0-9A-HJ-NP-RTUWXY`` (no I, O, S, V, Z), the last a MOD 31 check character with
weights ``3**i mod 31``.

Masking keeps the region prefix and the last four characters of an ID
(``430421********1234``) and the first and last four digits of an account number
(``6228***********1234``); pseudonyms are keyed HMAC-SHA256 digests, stable across
runs for the same key (``P-3f9a0c1d2e4b``).

Examples
--------
>>> check_id("11010519491231002X").is_valid
True
>>> check_id("110105194912310021").problem
'bad_check_digit'
>>> mask_id("11010519491231002X")
'110105********002X'
"""

from __future__ import annotations

import hashlib
import hmac
import operator
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


class IdError(ValueError):
    """An identifier function was given input it cannot work with."""


# --- resident ID (GB 11643-1999) ------------------------------------------------------

#: First two digits of a real province-level division (GB/T 2260): 11–15 North,
#: 21–23 North-east, 31–37 East, 41–46 South-central, 50–54 South-west,
#: 61–65 North-west, 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
#: Earliest accepted birth year. The standard's own example (440524188001010014) is
#: born in 1880; whether an age is plausible is a question for the rules, not for ids.
MIN_BIRTH_YEAR = 1800

ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_WEIGHT_LIST = tuple(int(w) for w in ID_WEIGHTS)
_CHECK_CHARS = "10X98765432"

PROBLEMS = {
    "": "valid",
    "missing": "empty",
    "bad_length": "not 15 or 18 characters",
    "bad_chars": "characters other than digits and a final X",
    "bad_check_digit": "check character does not match (a typo, or a made-up number)",
    "bad_birth_date": "digits 7–14 are not a real date",
    "future_birth_date": "birth date after today",
    "bad_region": "first two digits are not a province code",
    "scientific_notation": "damaged by Excel into scientific notation (e.g. 4.30421E+17)",
    "legacy_15": "15-digit legacy number, upgraded to 18 (valid)",
}
"""Every ``problem`` code of :func:`check_id` with its meaning."""

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E[+]?[0-9]+")
_EXCEL_TEXT = re.compile(r'=?"(.*)"')
#: Digit groups joined by hyphens (an ID or account typed as ``430421-19650601-5412``).
_HYPHENATED = re.compile(r"[0-9]+(?:-[0-9]+)+[Xx]?")


@dataclass(frozen=True)
class IdCheck:
    """The result of checking one resident ID number."""

    normalised: str
    """Cleaned value: half-width, no spaces, upper-case X, 15 digits upgraded to 18."""
    is_valid: bool
    problem: str
    """One of :data:`PROBLEMS`; ``''`` when valid, ``'legacy_15'`` for an upgraded number."""
    birth_date: date | None
    gender: str | None
    """'男' or '女' (17th digit odd = 男), None when the number is unusable."""
    region: str
    """The six-digit region code ('' when unusable)."""


def normalise_id(value: Any) -> str:
    """Clean one identifier: full-width to half-width, strip spaces and zero-width
    characters, drop a leading apostrophe or an Excel ``="..."`` wrapper, upper-case.
    Hyphens between digit groups are dropped when the groups spell an ID or a card number
    (``430421-19650601-5412``; :func:`is_identifier_grouping`), so dates keep theirs.

    Missing values (None, NaN, NA) give ``''``.
    """
    if isinstance(value, str) and value.isascii() and value.isalnum():
        return value.upper()  # already clean: the common case, kept fast
    if value is None:
        return ""
    if not isinstance(value, str):
        if isinstance(value, bool | np.bool_):
            return str(value).upper()
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):
            pass
        value = str(value)
    text = unicodedata.normalize("NFKC", value).translate(_ZERO_WIDTH)
    text = "".join(text.split())
    match = _EXCEL_TEXT.fullmatch(text)
    if match:
        text = match.group(1)
    text = text.lstrip("'")
    if "-" in text and _HYPHENATED.fullmatch(text) and is_identifier_grouping(text.split("-")):
        text = text.replace("-", "")  # 430421-19650601-5412: an ID typed in groups
    return text.upper()


def check_digit(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits of an ID.

    Raises
    ------
    IdError
        If ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdError("check_digit needs exactly 17 digits")
    total = sum(map(operator.mul, map(int, first17), _ID_WEIGHT_LIST))
    return _CHECK_CHARS[total % 11]


def upgrade_15_to_18(value: str) -> str:
    """Upgrade a legacy 15-digit ID: insert ``19`` before the year, append the check digit.

    Raises
    ------
    IdError
        If the cleaned value is not exactly 15 digits.
    """
    text = normalise_id(value)
    if len(text) != 15 or not text.isascii() or not text.isdigit():
        raise IdError("upgrade_15_to_18 needs exactly 15 digits")
    first17 = text[:6] + "19" + text[6:]
    return first17 + check_digit(first17)


def _parse_date(digits8: str) -> date | None:
    year, month, day = int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8])
    if year < MIN_BIRTH_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _strip_float_suffix(text: str) -> str:
    # A 15-digit number read as a float and written back ("430421900101123.0") is exact:
    # floats hold 15 digits without loss, so the suffix can be dropped safely.
    if text.endswith(".0") and len(text) == 17 and text[:15].isdigit():
        return text[:15]
    return text


def check_id(value: Any, *, today: date | None = None) -> IdCheck:
    """Check one resident ID number (GB 11643-1999).

    Problems are reported in this order: missing, scientific_notation, bad_chars,
    bad_length, bad_region, bad_birth_date, future_birth_date, bad_check_digit.
    The birth date and gender are derived whenever the date digits form a real date,
    even when the check character is wrong (a typo elsewhere leaves them informative).

    Parameters
    ----------
    value
        The raw value (any type; non-strings are converted with ``str``).
    today
        Reference date for ``future_birth_date`` (default: today).
    """
    today = today or date.today()
    text = _strip_float_suffix(normalise_id(value))
    if not text:
        return IdCheck("", False, "missing", None, None, "")
    if _SCIENTIFIC.fullmatch(text):
        return IdCheck(text, False, "scientific_notation", None, None, "")
    body = text[:-1] if text.endswith("X") else text
    if not (body.isascii() and body.isdigit()) and body:
        return IdCheck(text, False, "bad_chars", None, None, "")
    if len(text) == 15 and text.isdigit():
        text = upgrade_15_to_18(text)
        legacy = True
    elif len(text) == 18:
        legacy = False
    else:
        return IdCheck(text, False, "bad_length" if body else "bad_chars", None, None, "")
    region = text[:6]
    birth = _parse_date(text[6:14])
    gender = None if birth is None else ("男" if int(text[16]) % 2 == 1 else "女")
    if int(text[:2]) not in PROVINCE_CODES:
        problem = "bad_region"
    elif birth is None:
        problem = "bad_birth_date"
    elif birth > today:
        problem = "future_birth_date"
    elif check_digit(text[:17]) != text[17]:
        problem = "bad_check_digit"
    else:
        problem = "legacy_15" if legacy else ""
    return IdCheck(text, problem in ("", "legacy_15"), problem, birth, gender, region)


def _as_arrow(strings: pd.Series) -> pa.LargeStringArray:
    array = pa.array(strings, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


#: The check characters as ASCII codes, indexed by the weighted digit sum mod 11.
CHECK_BYTES = np.frombuffer(_CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def check_bytes(digits17: np.ndarray) -> np.ndarray:
    """GB 11643 check characters (ASCII codes) of an (n, 17) matrix of digit values."""
    return CHECK_BYTES[(digits17.astype(np.int64) @ ID_WEIGHTS) % 11]


def id_bytes(values: pd.Series) -> np.ndarray:
    """IDs of 18 ASCII characters each (as matched by the ID pattern) as rows of 18 bytes,
    read from Arrow's buffer without a Python string per row."""
    return _byte_matrix(_as_arrow(pd.Series(values, dtype=object)), 18)


def _byte_matrix(array: pa.LargeStringArray, width: int) -> np.ndarray:
    """View an arrow array whose strings all have ``width`` bytes as uint8 rows."""
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
    start = int(offsets[array.offset])
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)
    return data[start : start + len(array) * width].reshape(len(array), width)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)
_PROBLEM_LABELS = list(PROBLEMS)
_PROBLEM_CODE = {label: code for code, label in enumerate(_PROBLEM_LABELS)}
_GENDER_LABELS = ["男", "女"]
_GENDER_CODE = {None: -1, "男": 0, "女": 1}
#: problem codes for which the first six characters are a region code
_HAS_REGION = np.array(
    [
        label
        in ("", "legacy_15", "bad_region", "bad_birth_date", "future_birth_date", "bad_check_digit")
        for label in _PROBLEM_LABELS
    ]
)
_PROVINCE_OK = np.zeros(100, dtype=bool)
_PROVINCE_OK[sorted(PROVINCE_CODES)] = True


def _decode(codes: np.ndarray, labels: list[str], index: pd.Index) -> pd.Series:
    """Integer codes (-1 = missing) to a ``str`` Series, without Python objects per row."""
    dictionary = pa.array(labels, type=pa.large_string())
    decoded = pc.take(dictionary, pa.array(codes, mask=codes < 0))
    return pd.Series(decoded, index=index, dtype=_STR)


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int16)


def _check_clean_ids(columns: np.ndarray, today: date) -> tuple[np.ndarray, ...]:
    """The numpy path of :func:`check_ids`: ``columns`` is (18, n) ASCII codes of IDs made
    of 17 digits and a digit or X."""
    digits = columns[:17] - np.uint8(48)  # uint8 0–9

    def number(first: int, last: int) -> np.ndarray:
        value = digits[first].astype(np.int16)
        for row in range(first + 1, last):
            value = value * 10 + digits[row]
        return value

    total = np.zeros(columns.shape[1], dtype=np.int16)
    for row, weight in enumerate(ID_WEIGHTS.tolist()):
        total += digits[row] * np.int16(weight)
    last = columns[17]
    check_value = np.where(last == ord("X"), np.int16(10), last.astype(np.int16) - 48)
    # MOD 11-2: the check value c satisfies (sum of weighted digits + c) % 11 == 1
    check_ok = (total + check_value) % 11 == 1
    region_ok = _PROVINCE_OK[number(0, 2)]
    year, month, day = number(6, 10), number(10, 12), number(12, 14)
    month_ok = (month >= 1) & (month <= 12) & (year >= MIN_BIRTH_YEAR)
    safe_month = np.where(month_ok, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_length = _DAYS_IN_MONTH[safe_month] + ((safe_month == 2) & leap)
    date_ok = month_ok & (day >= 1) & (day <= month_length)
    month_start = (np.where(month_ok, year, 2000).astype(np.int32) - 1970) * 12 + safe_month - 1
    dates = month_start.astype("datetime64[M]").astype("datetime64[D]") + (
        np.where(date_ok, day, 1) - 1
    )
    dates[~date_ok] = np.datetime64("NaT")
    future = date_ok & (dates > np.datetime64(today, "D"))
    problem = np.full(columns.shape[1], _PROBLEM_CODE[""], dtype=np.int8)
    # assigned from the last-reported problem to the first, so the first one wins
    problem[~check_ok] = _PROBLEM_CODE["bad_check_digit"]
    problem[future] = _PROBLEM_CODE["future_birth_date"]
    problem[~date_ok] = _PROBLEM_CODE["bad_birth_date"]
    problem[~region_ok] = _PROBLEM_CODE["bad_region"]
    gender = np.where(date_ok, digits[16] % 2 == 0, -1).astype(np.int8)
    return problem, dates, gender


def check_ids(values: pd.Series, *, today: date | None = None) -> pd.DataFrame:
    """Check many resident ID numbers at once (vectorised; same results as :func:`check_id`).

    Clean 18-character values take a numpy path; the rest (legacy, dirty, missing)
    are checked one distinct value at a time with :func:`check_id`.

    Returns
    -------
    DataFrame
        Same index as ``values``; columns ``normalised`` (str), ``is_valid`` (bool),
        ``problem`` (str), ``birth_date`` (datetime64, NaT when unknown),
        ``gender`` (str, missing when unknown), ``region`` (str).
    """
    today = today or date.today()
    count = len(values)
    problem = np.full(count, _PROBLEM_CODE["missing"], dtype=np.int8)
    birth = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    gender = np.full(count, -1, dtype=np.int8)

    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    array = _as_arrow(text)
    # fast rows: exactly 18 bytes, 17 ASCII digits and a digit or upper-case X; every
    # other row (legacy, dirty, lower-case x, missing) goes the slow way
    byte_length = pc.fill_null(pc.binary_length(array), 0).to_numpy(zero_copy_only=False)
    fast = byte_length == 18
    if fast.any():
        candidates = array if fast.all() else array.filter(pa.array(fast))
        columns = np.ascontiguousarray(_byte_matrix(candidates, 18).T)
        body_ok = ((columns[:17] >= 48) & (columns[:17] <= 57)).all(axis=0)
        last = columns[17]
        clean = body_ok & (((last >= 48) & (last <= 57)) | (last == ord("X")))
        results = _check_clean_ids(columns[:, clean] if not clean.all() else columns, today)
        if fast.all() and clean.all():
            problem, birth, gender = results
        else:
            positions = np.flatnonzero(fast)[clean]
            problem[positions], birth[positions], gender[positions] = results
            fast = np.zeros(count, dtype=bool)
            fast[positions] = True
    normalised_array = array

    slow = ~fast
    if slow.any():
        originals = values[slow].to_numpy(dtype=object)
        cache: dict[Any, IdCheck] = {}
        results = []
        for original in originals:
            try:
                key = (type(original), original)
                hash(key)
            except TypeError:
                key = None
            result = cache.get(key) if key is not None else None
            if result is None:
                result = check_id(original, today=today)
                if key is not None and not (isinstance(original, float) and original != original):
                    cache[key] = result
            results.append(result)
        # put the slow rows' values in place through arrow (no Python object per fast row)
        slow_values = pa.array([r.normalised for r in results], type=pa.large_string())
        order = np.arange(count)
        order[slow] = count + np.arange(len(results))
        normalised_array = pa.concat_arrays([array, slow_values]).take(pa.array(order))
        problem[slow] = [_PROBLEM_CODE[r.problem] for r in results]
        birth[slow] = [
            np.datetime64(r.birth_date, "D") if r.birth_date else np.datetime64("NaT")
            for r in results
        ]
        gender[slow] = [_GENDER_CODE[r.gender] for r in results]

    index = values.index
    normalised = pd.Series(normalised_array, index=index, dtype=_STR)
    return pd.DataFrame(
        {
            "normalised": normalised,
            "is_valid": pd.Series(
                (problem == _PROBLEM_CODE[""]) | (problem == _PROBLEM_CODE["legacy_15"]),
                index=index,
            ),
            "problem": _decode(problem, _PROBLEM_LABELS, index),
            "birth_date": pd.Series(birth.astype("datetime64[s]"), index=index),
            "gender": _decode(gender, _GENDER_LABELS, index),
            "region": normalised.str.slice(0, 6).where(_HAS_REGION[problem], ""),
        }
    )


# --- unified social credit code (GB 32100-2015) --------------------------------------

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CHARSET)}


def credit_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a code.

    Raises
    ------
    IdError
        If ``first17`` is not 17 characters of the code's character set.
    """
    text = normalise_id(first17)
    if len(text) != 17 or any(ch not in _CREDIT_VALUE for ch in text):
        raise IdError("credit_check_char needs 17 characters from 0-9A-HJ-NP-RTUWXY")
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(text, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


#: Registration authority + organisation type (the first two characters), GB 32100-2015.
CREDIT_PREFIXES = frozenset(
    {"11", "12", "13", "19", "21", "29", "31", "32", "33", "34", "35", "39"}
    | {"41", "49", "51", "52", "53", "59", "61", "62", "69", "71", "72", "79"}
    | {"81", "89", "91", "92", "93", "A1", "A9", "N1", "N2", "N3", "N9", "Y1"}
)


def looks_like_credit_code(value: Any) -> bool:
    """A valid credit code whose prefix is a real registration authority and organisation
    type and whose characters 3–4 are a province code (stricter than
    :func:`is_valid_credit_code`; used to tell all-digit credit codes from accounts)."""
    text = normalise_id(value)
    return (
        is_valid_credit_code(text)
        and text[:2] in CREDIT_PREFIXES
        and text[2:4].isdigit()
        and int(text[2:4]) in PROVINCE_CODES
    )


def is_valid_credit_code(value: Any) -> bool:
    """True when ``value`` is an 18-character unified social credit code with a correct
    check character (after the same cleaning as ID numbers)."""
    text = normalise_id(value)
    if len(text) != 18 or any(ch not in _CREDIT_VALUE for ch in text):
        return False
    return credit_check_char(text[:17]) == text[17]


# --- masking and pseudonyms ---------------------------------------------------------


def _kept_ends(length: int, long_from: int, head: int) -> tuple[int, int]:
    if length >= long_from:
        return head, 4
    if length >= 8:
        return 0, 4
    return 0, 0


def _mask(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def mask_id(value: Any) -> str:
    """Mask an ID number: keep the first 6 and last 4 characters (``430421********1234``).

    Values of 8–14 characters keep only the last 4, shorter ones are masked entirely, so
    that at most about half of any value shows; missing values give ``''``.
    """
    text = normalise_id(value)
    return _mask(text, *_kept_ends(len(text), 15, 6))


def mask_account(value: Any) -> str:
    """Mask an account number: keep the last 4, and the first 4 when it has 16 or more
    characters (card numbers: ``6228***********1234``); shorter than 8 characters is
    masked entirely."""
    text = normalise_id(value)
    return _mask(text, *_kept_ends(len(text), 16, 4))


def mask_phone(value: Any) -> str:
    """Mask a phone number: an 11-digit mobile keeps 3 + 4 (``138****1234``), others as
    :func:`mask_account`."""
    text = normalise_id(value)
    if len(text) == 11:
        return _mask(text, 3, 4)
    return mask_account(text)


def normalise_ids(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_id` (``str`` Series; missing values stay missing)."""
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    clean = text.str.fullmatch(r"[0-9A-Za-z]*").fillna(True)
    upper = text.str.upper()  # ASCII upper-casing is the same in pyarrow and Python
    if not clean.all():
        dirty = ~clean & text.notna()
        upper[dirty] = [normalise_id(v) for v in text[dirty]]
    return upper


def _mask_series(values: pd.Series, long_from: int, head: int) -> pd.Series:
    text = normalise_ids(values)
    lengths = text.str.len()
    result = text.copy()
    for length in lengths.dropna().unique():
        length = int(length)
        keep_head, keep_tail = _kept_ends(length, long_from, head)
        rows = lengths == length
        result[rows] = text[rows].str.slice_replace(
            keep_head, length - keep_tail, "*" * (length - keep_head - keep_tail)
        )
    return result


def mask_ids(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id`; missing values stay missing."""
    return _mask_series(values, 15, 6)


def mask_accounts(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_account`; missing values stay missing."""
    return _mask_series(values, 16, 4)


def pseudonymise(value: Any, key: str) -> str:
    """Replace an identifier by a keyed, stable pseudonym: ``'P-'`` + 12 hex characters
    of HMAC-SHA256(key, cleaned value). Missing values give ``''``. A 15-digit legacy ID
    (province prefix, real birth date) is upgraded to 18 characters first, so both forms
    of one person's number get the same pseudonym.

    The same value under the same key always gives the same pseudonym, so leads can be
    matched across runs; without the key the value cannot be recovered by enumeration.

    Raises
    ------
    IdError
        If ``key`` is empty.
    """
    if not key:
        raise IdError("pseudonymise needs a non-empty key")
    text = normalise_id(value)
    if not text:
        return ""
    if len(text) == 15 and text.isascii() and text.isdigit() and _looks_like_person_id(text):
        text = upgrade_15_to_18(text)  # the legacy and the 18-digit form: one pseudonym
    digest = hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()
    return "P-" + digest[:12]


def pseudonymise_series(values: pd.Series, key: str) -> pd.Series:
    """Vectorised :func:`pseudonymise` (one digest per distinct value); missing stays missing."""
    text = values if isinstance(values.dtype, pd.StringDtype) else values.astype("str")
    distinct = text.dropna().unique()
    mapping = {v: pseudonymise(v, key) for v in distinct}
    return text.map(mapping).astype("str")


# --- identifiers inside free text ---------------------------------------------------

#: Full-width digits and X, read as ASCII when scanning free text.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_HAS_FULL_WIDTH = re.compile("[０-９Ｘｘ]")

#: Where a number may start: not glued to a letter or digit (an escaped ``\\n``/``\\t``
#: before it is fine), not the hex of a pseudonym (``P-123456789012``).
_NUMBER_START = r"(?:(?<![0-9A-Za-z])|(?<=\\[nrt]))(?<!P-)"
#: Digit groups joined by one kind of separator, a single space or hyphen, with at least
#: 15 digits in all (``430421 19650601 5412``, ``6217-9990-6823-6662-452``).
_GROUPED_NUMBER = r"(?=(?:[0-9][ -]?){14}[0-9])[0-9]+(?P<sep>[ -])[0-9]+(?:(?P=sep)[0-9]+)*[Xx]?"
#: A candidate identifier in free text: a run of 12 or more digits, or digit groups as
#: above (an ID may end in X), not part of a longer letter/digit token (credit codes, hashes).
_TEXT_NUMBER = re.compile(
    _NUMBER_START + r"(?:" + _GROUPED_NUMBER + r"|[0-9]{12,}[Xx]?)(?![0-9A-Za-z])"
)


def _is_fraction(text: str, start: int) -> bool:
    """True when the number at ``start`` follows ``<digit>.``: the fraction of a decimal."""
    return start >= 2 and text[start - 1] == "." and text[start - 2].isdigit()


def _is_checked_id(token: str) -> bool:
    """An 18-character ID with a province prefix, a real birth date and a correct check
    character (a number that is this by chance is rare enough to be masked anyway)."""
    return (
        len(token) == 18 and _looks_like_person_id(token) and check_digit(token[:17]) == token[17]
    )


def _touches_mask(text: str, match: re.Match[str]) -> bool:
    """True when a ``*`` is right before or after the match: digit groups glued to a masked
    number (``1000 0000 0000 0000**********0000``) are what is left of it, not a number."""
    start, end = match.start(), match.end()
    return (start > 0 and text[start - 1] == "*") or (end < len(text) and text[end] == "*")


def _number_segments(match: re.Match[str]) -> list[tuple[str, str]]:
    """Split a :data:`_TEXT_NUMBER` match into (original text, candidate token) pieces.

    The token is the upper-case number to judge ('' for separators and short groups): the
    whole match when it is one run or a grouping of an ID or card number
    (:func:`is_identifier_grouping`); otherwise the longest such groupings inside it and
    the single groups of 12+ digits.
    """
    raw = match.group(0)
    separator = match.group("sep")
    if separator is None:
        return [(raw, raw.upper())]
    groups = raw.split(separator)
    if is_identifier_grouping(groups):
        return [(raw, "".join(groups).upper())]
    segments: list[tuple[str, str]] = []
    start = 0
    while start < len(groups):
        if start:
            segments.append((separator, ""))
        for end in range(len(groups), start + 1, -1):
            if is_identifier_grouping(groups[start:end]):
                window = groups[start:end]
                segments.append((separator.join(window), "".join(window).upper()))
                start = end
                break
        else:
            group = groups[start]
            segments.append((group, group.upper() if len(group) >= 12 else ""))
            start += 1
    return segments


def _looks_like_person_id(token: str) -> bool:
    """18 characters or 15 digits with a province prefix and a real birth date."""
    if len(token) == 18 and (token[:17].isdigit()) and (token[17].isdigit() or token[17] == "X"):
        birth_digits = token[6:14]
    elif len(token) == 15 and token.isdigit():
        birth_digits = "19" + token[6:12]
    else:
        return False
    return int(token[:2]) in PROVINCE_CODES and _parse_date(birth_digits) is not None


def is_identifier_grouping(groups: list[str]) -> bool:
    """True when digit groups (split at single spaces or hyphens) spell an ID or a card number.

    An ID: 18 characters (the last may be X) or 15 digits with a province prefix and a real
    birth date, in at most six groups of 3 or more characters but the last
    (``430421 19650601 5412``, ``430421-650601-541``, ``4304 2119 6506 0154 12``).
    A card number: 16–19 digits in groups of four, the last of 1–4 (``6217 9990 6823 6662 452``).
    Dates, phone numbers, amounts and lists of short numbers are neither.
    """
    if len(groups) < 2 or not all(groups):
        return False
    joined = "".join(groups).upper()
    body = joined[:-1] if joined.endswith("X") else joined
    if not (body.isascii() and body.isdigit()):
        return False
    if (
        len(joined) in (15, 18)
        and len(groups) <= 6
        and all(len(group) >= 3 for group in groups[:-1])
        and _looks_like_person_id(joined)
    ):
        return True
    return (
        joined.isdigit()
        and 16 <= len(joined) <= 19
        and all(len(group) == 4 for group in groups[:-1])
        and len(groups[-1]) <= 4
        and not all(_YEAR.fullmatch(group) for group in groups)  # 2021 2022 2023 2024
    )


_YEAR = re.compile(r"(?:19|20)[0-9]{2}")


def _is_division_code(token: str) -> bool:
    # a 12-digit statistical division (village) code: province prefix, not an account
    return len(token) == 12 and int(token[:2]) in PROVINCE_CODES


#: Not followed by X: ``430421100201X`` is masked as an ID fragment, so it cannot vouch
#: for a household number (the scan of the masked text would no longer see it).
_DIVISION_CODE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9Xx])")


def division_codes_in(text: str) -> set[str]:
    """The stand-alone 12-digit village (division) codes with a province prefix in ``text``."""
    if not isinstance(text, str):
        return set()
    return {code for code in _DIVISION_CODE.findall(text) if _is_division_code(code)}


def is_household_number(token: str, division_codes: Collection[str]) -> bool:
    """True for a household number: a known 12-digit village code followed by 2–5 digits
    (the usual 户编号; the synthetic county uses village code + 4 digits)."""
    return (
        14 <= len(token) <= 17
        and token.isascii()
        and token.isdigit()
        and token[:12] in division_codes
    )


def replace_identifiers(
    text: str,
    replace_id: Callable[[str], str],
    replace_account: Callable[[str], str],
    division_codes: Collection[str] = (),
) -> str:
    """Replace every ID- or account-looking number in ``text``.

    A run of 12 or more digits (optionally ending in X), or an ID or card number typed in
    groups with single spaces or hyphens (``430421 19650601 5412``,
    ``6217-9990-6823-6662-452``; :func:`is_identifier_grouping`), is replaced by
    ``replace_id(token)`` when it looks like a resident ID (15/18 characters, province
    prefix, real birth date, or ending in X), by ``replace_account(token)`` otherwise
    — except a 12-digit run with a province prefix (a village code), a household number
    (:func:`is_household_number`) built on a village code found in the text or given in
    ``division_codes``, and an all-digit credit code (:func:`looks_like_credit_code`).
    The token passed on is the upper-case number without separators.

    A number glued to letters or digits (hashes, ``9143042171081317X7``), the fraction of
    a decimal (``0.30000000000000004``) and a pseudonym's hex (``P-123456789012``) are
    left alone; so are dates, phone numbers and amounts.
    """
    if not isinstance(text, str) or not text:
        return text
    if not text.isascii() and _HAS_FULL_WIDTH.search(text):
        text = text.translate(_FULL_WIDTH_DIGITS)
    known: list[set[str]] = []  # the village codes, found once when first needed

    def replace(original: str, token: str) -> str:
        if not token:
            return original
        if token.endswith("X") or _looks_like_person_id(token):
            return replace_id(token)
        if _is_division_code(token):
            return original
        if 14 <= len(token) <= 17:
            if not known:
                known.append(division_codes_in(text) | set(division_codes))
            if is_household_number(token, known[0]):
                return original
        if len(token) == 18 and looks_like_credit_code(token):
            return original  # an all-digit credit code (a company, not a person)
        return replace_account(token)

    def substitute(match: re.Match[str]) -> str:
        segments = _number_segments(match)
        if _is_fraction(text, match.start()):  # 0.30000000000000004: only a real ID counts
            segments = [(o, t if _is_checked_id(t) else "") for o, t in segments]
        return "".join(replace(original, token) for original, token in segments)

    return _TEXT_NUMBER.sub(substitute, text)


def redact_identifiers(text: str, division_codes: Collection[str] = ()) -> str:
    """Mask every ID- or account-looking number inside free text (logs, errors, notebooks).

    Full-width digits are read as ASCII digits. Runs of 12+ digits are masked (IDs as
    :func:`mask_id`, others as :func:`mask_account`); village codes and household numbers
    are kept (see :func:`replace_identifiers`). Deliberately broader than
    :func:`find_unmasked_identifiers`: redacting a harmless number costs little, leaking
    an ID costs much.

    >>> redact_identifiers("付款给 11010519491231002X, 卡号 6228480012345678901")
    '付款给 110105********002X, 卡号 6228***********8901'
    """
    return replace_identifiers(text, mask_id, mask_account, division_codes)


#: Candidate tokens for the leak scan: as in free text (:data:`_TEXT_NUMBER`); the scan
#: then keeps only IDs with a correct check character and accounts of 16–19 digits.
_SCAN_NUMBER = _TEXT_NUMBER


def find_unmasked_identifiers(
    text: str, division_codes: Collection[str] = (), allow: Collection[str] = ()
) -> list[str]:
    """Return the unmasked identifiers found in ``text`` (raw values: mask before showing).

    Heuristic, chosen so that a clean run folder gives no false positives (full-width
    digits are read as ASCII digits):

    * a resident ID is an 18-character token (17 digits + digit or X) with a province
      prefix, a real birth date and a correct check character;
    * an account is a run of 16–19 digits;
    * an ID or account typed in groups with single spaces or hyphens
      (``430421 19650601 5412``, ``6217 9990 6823 6662 452``) counts as its digits;
    * a token counts only when it is not part of a longer letter/digit token (hashes,
      hex ids, base64 stay silent), and an account-looking run right after ``<digit>.``
      is the fraction of a float (``0.30000000000000004``), not an account;
    * an 18-digit unified social credit code (:func:`looks_like_credit_code`; older
      organisation codes are all digits) is a company, not an account;
    * a household number — a 12-digit village code that also stands alone in the text
      (or is given in ``division_codes``) followed by 2–5 digits — is not an account;
    * 12-digit village codes, 11-digit phones, 15-digit legacy IDs (outputs carry the
      upgraded 18-digit form), masked values (``430421********1234``) and the values in
      ``allow`` are never flagged.
    """
    if not isinstance(text, str):
        return []
    if not text.isascii() and _HAS_FULL_WIDTH.search(text):
        text = text.translate(_FULL_WIDTH_DIGITS)
    codes: set[str] | None = None
    found: list[str] = []
    tokens = (
        (token, _is_fraction(text, match.start()))
        for match in _SCAN_NUMBER.finditer(text)
        if not (match.group("sep") and _touches_mask(text, match))
        for _original, token in _number_segments(match)
        if 15 <= len(token) <= 19
    )
    for token, is_fraction in tokens:
        if token in allow:
            continue
        if _is_checked_id(token):
            found.append(token)
            continue
        if len(token) == 18 and looks_like_credit_code(token):
            continue  # an all-digit credit code (a company, not a person)
        if token.isdigit() and 16 <= len(token) <= 19 and not is_fraction:
            if codes is None:
                codes = division_codes_in(text) | set(division_codes)
            if not is_household_number(token, codes):
                found.append(token)
    return found
