"""Row-level checks that need no column types: blank rows, totals rows, exact duplicates."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def blank_rows(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty."""
    blank = np.ones(len(cells), dtype=bool)
    for position in cells.columns:
        blank &= (cells[position] == "").to_numpy(dtype=bool)
    return blank


def totals_pattern(words: list[str], prefixes: list[str]) -> str:
    """Regex for a totals cell (``合计``, ``合 计``, ``本页小计：``), spaces anywhere."""

    def spaced(word: str) -> str:
        return r"\s*".join(re.escape(ch) for ch in word)

    prefix = "|".join(spaced(p) for p in prefixes)
    word = "|".join(spaced(w) for w in words)
    return rf"^\s*(?:{prefix})?\s*(?:{word})\s*[:：]?\s*$"


def totals_rows(
    cells: pd.DataFrame, pattern: str, words: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows holding a totals word as a whole cell, and which word each holds ('' if none).

    Cells are first screened for the last character of a totals word (a fast literal
    search); only those few go through the full pattern.
    """
    found = np.zeros(len(cells), dtype=bool)
    word = np.full(len(cells), "", dtype=object)
    finals = sorted({w[-1] for w in words})
    for position in cells.columns:
        column = cells[position]
        screened = np.zeros(len(cells), dtype=bool)
        for final in finals:
            screened |= column.str.contains(final, regex=False).to_numpy(dtype=bool)
        if not screened.any():
            continue
        where = np.flatnonzero(screened)
        candidates = column.iloc[where]
        hit = candidates.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)
        rows = where[hit & ~found[where]]
        if len(rows):
            word[rows] = column.iloc[rows].str.replace(r"\s+", "", regex=True).to_numpy(object)
            found[rows] = True
    return found, word


def duplicate_rows(cells: pd.DataFrame, lines: np.ndarray, skip: np.ndarray) -> tuple:
    """Exact duplicates of an earlier row (all cells equal), ignoring rows in ``skip``.

    Returns
    -------
    duplicate, first_line
        The mask of later copies and, for each, the line of its first occurrence (0
        elsewhere).
    """
    count = len(cells)
    duplicate = np.zeros(count, dtype=bool)
    first_line = np.zeros(count, dtype=np.int64)
    if count == 0 or len(cells.columns) == 0:
        return duplicate, first_line
    # Narrow the candidates column by column: a row whose cells so far are unique
    # cannot be a duplicate, so a unique column (a serial number) ends the search early.
    candidates = np.flatnonzero(~skip)
    combined = np.zeros(len(candidates), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position in cells.columns:
            if len(candidates) == 0:
                return duplicate, first_line
            codes, _ = pd.factorize(cells[position].iloc[candidates])
            mixed = pd.util.hash_array(codes.astype(np.int64))
            combined = combined * np.uint64(0x100000001B3) ^ mixed
            shared = pd.Series(combined).duplicated(keep=False).to_numpy()
            candidates, combined = candidates[shared], combined[shared]
    keyed = pd.Series(combined)
    later = keyed.duplicated(keep="first").to_numpy()
    if not later.any():
        return duplicate, first_line
    duplicate[candidates[later]] = True
    firsts = pd.Series(lines[candidates[~later]], index=keyed[~later].to_numpy())
    first_line[candidates[later]] = firsts.reindex(keyed[later].to_numpy()).to_numpy()
    return duplicate, first_line
