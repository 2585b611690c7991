"""Normalise and check identifier columns with :mod:`riskmodel.ids`.

Each function takes cleaned text and returns an :class:`IdentifierColumn`: the normalised
values, a validity flag where the kind has one, a problem code per row ('' when fine)
and the rows damaged by Excel (a number stored in scientific notation: its digits are
lost and cannot be recovered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel import ids
from riskmodel.io import rows
from riskmodel.io.coerce import FULLWIDTH

SCIENTIFIC = r"[0-9](?:\.[0-9]+)?[eE][+]?[0-9]+"
CREDIT_SHAPE = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
PROBLEM_TEXT = {
    **ids.PROBLEMS,
    "lost_final_x": "17 digits whose check character is X: the final X was lost, restored",
    "bad_credit_code": "not a valid unified social credit code (GB 32100)",
    "excel_digits_lost": "18 digits ending in 000 with a wrong check character: stored as a "
    "number by Excel, the last digits were lost",
}
DAMAGE_PROBLEMS = ("scientific_notation", "excel_digits_lost")


@dataclass
class IdentifierColumn:
    """Normalised identifiers of one column."""

    values: pd.Series
    """Normalised text ('' -> missing)."""
    is_valid: np.ndarray | None
    """Validity per row (None for kinds without a check: accounts and codes)."""
    problem: np.ndarray
    """Problem code per row ('' when fine or empty)."""
    damaged: np.ndarray
    """Rows whose value Excel turned into scientific notation."""


def _distinct(text: pd.Series) -> tuple[np.ndarray, pd.Series]:
    codes, uniques = pd.factorize(text.fillna("") if text.hasnans else text)
    return codes, pd.Series(uniques).astype("str")


def _spread(text: pd.Series, codes: np.ndarray, uniques: pd.Series, normal: pd.Series):
    """The normalised value of every row: ``text`` itself when normalising changed no
    value (no copy), else the distinct values taken by ``codes`` in Arrow."""
    if text.dtype == rows.TEXT_DTYPE and not text.hasnans and _unchanged(normal, uniques):
        return text.rename(None)
    chunks = rows.arrow_chunks(normal)
    if chunks is None or not chunks:
        return pd.Series(normal.to_numpy(dtype=object)[codes], index=text.index, dtype="str")
    taken = pa.chunked_array(chunks).take(pa.array(codes))
    return rows.text_series(taken, text.index)


def _unchanged(normal: pd.Series, uniques: pd.Series) -> bool:
    if len(normal) != len(uniques):
        return False
    same = normal.reset_index(drop=True) == uniques.reset_index(drop=True)
    return bool(same.all())


def _normalise(values: pd.Series) -> pd.Series:
    """ids.normalise_id on the values that need it; strip an exact float suffix.

    Values of digits only are left as they are (the common case: screened on the
    column's bytes, no copy); only the others are normalised.
    """
    if rows.all_digits(values):
        return values
    digits = values.str.fullmatch(r"[0-9]*").to_numpy(dtype=bool)
    if digits.all():
        return values
    rest = values[~digits]
    clean = rest.str.fullmatch(r"[0-9A-Za-z]*").to_numpy(dtype=bool)
    if not clean.all():
        rest = rest.copy()
        rest[~clean] = [ids.normalise_id(v) for v in rest[~clean]]
    rest = _drop_float_suffix(rest.str.upper())
    normal = values.copy()
    normal[~digits] = rest.to_numpy(dtype=object)
    return normal


def _drop_float_suffix(values: pd.Series) -> pd.Series:
    """'430421100201.0' -> '430421100201' (an exact float written back as text): up to 15
    digits, or 16 below 2^53 not ending in 0 (digits Excel could not have rounded)."""
    dotted = rows.contains(values, ".")
    if not dotted.any():
        return values
    values = values.copy()
    values[dotted] = values[dotted].str.replace(
        r"^([0-9]{1,15}|[1-8][0-9]{14}[1-9])\.0+$", r"\1", regex=True
    )
    return values


def _matching(values: pd.Series, among: np.ndarray, pattern: str) -> np.ndarray:
    """Rows in ``among`` whose value fully matches ``pattern`` (only those are matched)."""
    found = among.copy()
    if found.any():
        found[found] = values[found].str.fullmatch(pattern).to_numpy(dtype=bool)
    return found


def _check_distinct_ids(
    uniques: pd.Series, repair_lost_x: bool
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(normalised, is_valid, problem, damaged) of distinct resident ID values."""
    checked = ids.check_ids(uniques)
    normal = checked["normalised"].fillna("")
    valid = checked["is_valid"].to_numpy(dtype=bool).copy()
    problem = checked["problem"].fillna("").to_numpy(dtype=object).copy()
    problem[problem == "missing"] = ""
    if repair_lost_x:
        short = _matching(normal, problem == "bad_length", r"[0-9]{17}")
        for position in np.flatnonzero(short):
            first17 = normal.iat[position]
            if ids.check_id(first17 + "X").is_valid:
                normal.iat[position] = first17 + "X"
                valid[position] = True
                problem[position] = "lost_final_x"
    lost = _matching(normal, problem == "bad_check_digit", r"[0-9]{15}000")
    problem[lost] = "excel_digits_lost"
    valid[lost] = False
    return normal, valid, problem, np.isin(problem, DAMAGE_PROBLEMS)


def check_resident_ids(text: pd.Series, repair_lost_x: bool = True) -> IdentifierColumn:
    """Check resident ID numbers (kind ``id``): 15-digit numbers upgraded, lost final X
    restored when the check character says X, problems from :func:`ids.check_ids`.
    Each distinct value is checked once."""
    codes, uniques = _distinct(text)
    normal, valid, problem, damaged = _check_distinct_ids(uniques, repair_lost_x)
    return IdentifierColumn(
        values=_spread(text, codes, uniques, normal),
        is_valid=valid[codes],
        problem=problem[codes],
        damaged=damaged[codes],
    )


def _check_distinct_credit_codes(
    uniques: pd.Series,
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """(normalised, is_valid, problem, damaged) of distinct credit code values."""
    normal = _normalise(uniques)
    valid = np.array([ids.is_valid_credit_code(v) for v in normal], dtype=bool)
    damaged = normal.str.fullmatch(SCIENTIFIC).to_numpy(dtype=bool)
    empty = (normal == "").to_numpy(dtype=bool)
    problem = np.where(
        damaged, "scientific_notation", np.where(valid | empty, "", "bad_credit_code")
    ).astype(object)
    return normal, valid, problem, damaged


def check_credit_codes(text: pd.Series) -> IdentifierColumn:
    """Check unified social credit codes (kind ``credit``)."""
    codes, uniques = _distinct(text)
    normal, valid, problem, damaged = _check_distinct_credit_codes(uniques)
    return IdentifierColumn(
        values=_spread(text, codes, uniques, normal),
        is_valid=valid[codes],
        problem=problem[codes],
        damaged=damaged[codes],
    )


def check_parties(text: pd.Series, repair_lost_x: bool = True) -> IdentifierColumn:
    """Check a column holding a resident ID or a credit code (kind ``party``: account
    holders and payees, where an institution's collective account has a credit code)."""
    codes, uniques = _distinct(text)
    normal, valid, problem, damaged = _check_distinct_ids(uniques, repair_lost_x)
    shaped = normal.str.fullmatch(CREDIT_SHAPE).to_numpy(dtype=bool) & ~valid
    if shaped.any():
        _, credit_valid, _, _ = _check_distinct_credit_codes(normal[shaped])
        valid[shaped] = credit_valid
        id_like = normal[shaped].str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool)
        problem[shaped] = np.where(
            credit_valid, "", np.where(id_like, problem[shaped], "bad_credit_code")
        )
    return IdentifierColumn(
        values=_spread(text, codes, uniques, normal),
        is_valid=valid[codes],
        problem=problem[codes],
        damaged=damaged[codes],
    )


def check_plain_codes(text: pd.Series, is_account: bool = False) -> IdentifierColumn:
    """Accounts and codes; scientific notation is marked as damaged.

    Accounts are normalised like IDs (half-width, no spaces, no Excel ``="..."``
    wrapper, upper-case); codes only to half-width, keeping their case and inner spaces.
    Both drop an exact float suffix (``430421100201.0``). Works on the whole column
    (these columns are often unique per row): one pass over the column's bytes rules out
    most checks, the rest are vectorised string operations on the rows they concern.
    """
    text = text.reset_index(drop=True)
    if not isinstance(text.dtype, pd.StringDtype):
        text = text.astype("str")
    if text.hasnans:
        text = text.fillna("")
    if is_account:
        normal = _normalise(text)
    else:
        normal = text
        if not rows.all_ascii(text):
            wide = ~pc.string_is_ascii(pa.array(text)).to_numpy(zero_copy_only=False)
            if wide.any():
                normal = text.copy()
                normal[wide] = _halfwidth_distinct(text[wide])
        normal = _drop_float_suffix(normal)
    damaged = _scientific(normal)
    problem = np.full(len(normal), "", dtype=object)
    problem[damaged] = "scientific_notation"
    return IdentifierColumn(values=normal, is_valid=None, problem=problem, damaged=damaged)


def _halfwidth_distinct(values: pd.Series) -> np.ndarray:
    """Half-width, stripped ``values`` (each distinct value translated once)."""
    codes, uniques = _distinct(values)
    return uniques.str.translate(FULLWIDTH).str.strip().to_numpy(dtype=object)[codes]


def _scientific(values: pd.Series) -> np.ndarray:
    """Values in scientific notation (screened by a literal 'E' first)."""
    screened = rows.contains(values, "E", "e")
    damaged = np.zeros(len(values), dtype=bool)
    if screened.any():
        damaged[screened] = values[screened].str.fullmatch(SCIENTIFIC).to_numpy(dtype=bool)
    return damaged


def mask_values(values: pd.Series, kind: str, column: str) -> pd.Series:
    """Mask personal identifiers for data_quality.csv (IDs, accounts, phones)."""
    if kind in ("id", "party"):
        return ids.mask_ids(values)
    if kind == "account" or "phone" in column:
        return ids.mask_accounts(values)
    return values
