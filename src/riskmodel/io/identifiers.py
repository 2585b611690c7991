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
    codes, uniques = pd.factorize(text.fillna(""))
    return codes, pd.Series(uniques).astype("str")


def _normalise(uniques: pd.Series) -> pd.Series:
    """ids.normalise_id on the distinct values that need it; strip an exact float suffix."""
    digits = uniques.str.fullmatch(r"[0-9]*").to_numpy(dtype=bool)
    if digits.all():
        return uniques  # the common case: nothing to change, no copy
    clean = uniques.str.fullmatch(r"[0-9A-Za-z]*").to_numpy(dtype=bool)
    normal = uniques.copy()
    if not clean.all():
        normal[~clean] = [ids.normalise_id(v) for v in uniques[~clean]]
    return _drop_float_suffix(normal.str.upper())


def _drop_float_suffix(values: pd.Series) -> pd.Series:
    """'430421100201.0' -> '430421100201' (an exact float written back as text)."""
    dotted = values.str.contains(".", regex=False).to_numpy(dtype=bool)
    if not dotted.any():
        return values
    values = values.copy()
    values[dotted] = values[dotted].str.replace(r"^([0-9]{1,15})\.0+$", r"\1", regex=True)
    return values


def check_resident_ids(text: pd.Series, repair_lost_x: bool = True) -> IdentifierColumn:
    """Check resident ID numbers (kind ``id``): 15-digit numbers upgraded, lost final X
    restored when the check character says X, problems from :func:`ids.check_ids`."""
    codes, uniques = _distinct(text)
    checked = ids.check_ids(uniques)
    normal = checked["normalised"].fillna("")
    valid = checked["is_valid"].to_numpy(dtype=bool).copy()
    problem = checked["problem"].fillna("").to_numpy(dtype=object).copy()
    problem[problem == "missing"] = ""
    if repair_lost_x:
        short = (problem == "bad_length") & normal.str.fullmatch(r"[0-9]{17}").to_numpy(bool)
        for position in np.flatnonzero(short):
            first17 = normal.iat[position]
            if ids.check_id(first17 + "X").is_valid:
                normal.iat[position] = first17 + "X"
                valid[position] = True
                problem[position] = "lost_final_x"
    lost = (problem == "bad_check_digit") & normal.str.fullmatch(r"[0-9]{15}000").to_numpy(bool)
    problem[lost] = "excel_digits_lost"
    valid[lost] = False
    damaged = np.isin(problem, DAMAGE_PROBLEMS)
    return IdentifierColumn(
        values=pd.Series(normal.to_numpy(dtype=object)[codes], index=text.index, dtype="str"),
        is_valid=valid[codes],
        problem=problem[codes],
        damaged=damaged[codes],
    )


def check_credit_codes(text: pd.Series) -> IdentifierColumn:
    """Check unified social credit codes (kind ``credit``)."""
    codes, uniques = _distinct(text)
    normal = _normalise(uniques)
    valid = np.array([ids.is_valid_credit_code(v) for v in normal], dtype=bool)
    damaged = normal.str.fullmatch(SCIENTIFIC).to_numpy(dtype=bool)
    empty = (normal == "").to_numpy(dtype=bool)
    problem = np.where(
        damaged, "scientific_notation", np.where(valid | empty, "", "bad_credit_code")
    ).astype(object)
    return IdentifierColumn(
        values=pd.Series(normal.to_numpy(dtype=object)[codes], index=text.index, dtype="str"),
        is_valid=valid[codes],
        problem=problem[codes],
        damaged=damaged[codes],
    )


def check_parties(text: pd.Series, repair_lost_x: bool = True) -> IdentifierColumn:
    """Check a column holding a resident ID or a credit code (kind ``party``: account
    holders and payees, where an institution's collective account has a credit code)."""
    people = check_resident_ids(text, repair_lost_x)
    shaped = people.values.str.fullmatch(CREDIT_SHAPE).to_numpy(dtype=bool) & ~people.is_valid
    if shaped.any():
        credit = check_credit_codes(people.values[shaped])
        people.is_valid[shaped] = credit.is_valid
        id_like = people.values[shaped].str.fullmatch(r"[0-9]{17}[0-9X]").to_numpy(dtype=bool)
        people.problem[shaped] = np.where(
            credit.is_valid, "", np.where(id_like, people.problem[shaped], "bad_credit_code")
        )
    return people


def check_plain_codes(text: pd.Series, is_account: bool = False) -> IdentifierColumn:
    """Accounts and codes; scientific notation is marked as damaged.

    Accounts are normalised like IDs (half-width, no spaces, no Excel ``="..."``
    wrapper, upper-case); codes only to half-width, keeping their case and inner spaces.
    Both drop an exact float suffix (``430421100201.0``). Works on the whole column with
    vectorised string operations (these columns are often unique per row).
    """
    text = text.reset_index(drop=True)
    if not isinstance(text.dtype, pd.StringDtype):
        text = text.astype("str")
    if text.hasnans:
        text = text.fillna("")
    if is_account:
        normal = _normalise(text)
    else:
        wide = ~pc.string_is_ascii(pa.array(text)).to_numpy(zero_copy_only=False)
        normal = text
        if wide.any():
            normal = text.copy()
            normal[wide] = text[wide].str.translate(FULLWIDTH).str.strip()
        normal = _drop_float_suffix(normal)
    damaged = _scientific(normal)
    problem = np.where(damaged, "scientific_notation", "").astype(object)
    return IdentifierColumn(values=normal, is_valid=None, problem=problem, damaged=damaged)


def _scientific(values: pd.Series) -> np.ndarray:
    """Values in scientific notation (screened by a literal 'E' first)."""
    screened = values.str.contains("E", regex=False).to_numpy(dtype=bool) | values.str.contains(
        "e", regex=False
    ).to_numpy(dtype=bool)
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
