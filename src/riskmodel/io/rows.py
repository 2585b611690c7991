"""Row-level checks that need no column types: blank rows, totals rows, exact duplicates.

Also the Arrow primitives the loader uses on big text columns: the bytes of a ``str``
column are screened in one pass (``may_contain``, ``all_ascii``) before any per-row
work, and empty cells are found from the value offsets without reading the text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

TEXT_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)
"""pandas' default ``str`` dtype (Arrow-backed, NaN for missing)."""


def arrow_chunks(values: pd.Series) -> list[pa.Array] | None:
    """The Arrow chunks behind a ``str`` Series (no copy); None for any other dtype."""
    if not isinstance(values.dtype, pd.StringDtype) or values.dtype.storage != "pyarrow":
        return None
    array = pa.array(values.array)
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def text_series(chunks: pa.Array | pa.ChunkedArray | list, index: pd.Index | None = None):
    """A ``str`` Series over Arrow string chunks (no copy of large strings)."""
    if isinstance(chunks, list):
        chunks = pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.large_string())
    return pd.Series(ArrowStringArray(chunks, dtype=TEXT_DTYPE), index=index, copy=False)


def arrow_column(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow column behind a ``str`` Series (no copy); None for any other dtype."""
    chunks = arrow_chunks(values)
    if chunks is None:
        return None
    return pa.chunked_array(chunks, type=chunks[0].type if chunks else pa.large_string())


MAX_SLICES = 256
"""Most runs of kept rows :func:`keep_rows` cuts as slices instead of copying."""


def keep_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` with a fresh RangeIndex.

    When the dropped rows are few (a handful quarantined out of millions), each ``str``
    column is made of zero-copy slices around them instead of a copy of its text.
    """
    bounds = np.flatnonzero(np.diff(np.concatenate([[False], keep, [False]]).astype(np.int8)))
    if len(bounds) // 2 > MAX_SLICES:
        return frame[keep].reset_index(drop=True)
    runs = list(zip(bounds[::2].tolist(), bounds[1::2].tolist(), strict=True))
    columns = {}
    for name in frame.columns:
        column = frame[name]
        arrow = arrow_column(column)
        if arrow is None:
            columns[name] = column[keep].reset_index(drop=True)
            continue
        pieces = [chunk for start, end in runs for chunk in arrow.slice(start, end - start).chunks]
        columns[name] = text_series(pa.chunked_array(pieces, type=arrow.type))
    return pd.DataFrame(columns, index=pd.RangeIndex(int(keep.sum())))


def value_offsets(chunk: pa.Array) -> np.ndarray:
    """The ``len(chunk) + 1`` value offsets of a string chunk (no copy)."""
    kind = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    buffer = chunk.buffers()[1]
    if buffer is None:
        return np.zeros(len(chunk) + 1, dtype=kind)
    start = chunk.offset * np.dtype(kind).itemsize
    return np.frombuffer(buffer, dtype=kind, count=len(chunk) + 1, offset=start)


def _value_bytes(chunk: pa.Array) -> bytes:
    """Every value of ``chunk`` back to back as UTF-8 (null slots included)."""
    bounds = value_offsets(chunk)
    data = chunk.buffers()[2]
    if data is None or bounds[-1] == bounds[0]:
        return b""
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])].tobytes()


def may_contain(values: pd.Series, *needles: str) -> bool:
    """False when no value contains any of ``needles``; True may be a false alarm (a
    non-string column, or bytes of two values that only together spell an ASCII needle)."""
    chunks = arrow_chunks(values)
    if chunks is None:
        return True
    encoded = [needle.encode("utf-8") for needle in needles]
    for chunk in chunks:
        data = _value_bytes(chunk)
        if any(needle in data for needle in encoded):
            return True
    return False


def all_ascii(values: pd.Series) -> bool:
    """True only when every value is ASCII (False may be a false alarm)."""
    chunks = arrow_chunks(values)
    return chunks is not None and all(_value_bytes(chunk).isascii() for chunk in chunks)


def all_digits(values: pd.Series) -> bool:
    """True only when every value is empty or ASCII digits (False may be a false alarm)."""
    chunks = arrow_chunks(values)
    if chunks is None:
        return False
    for chunk in chunks:
        data = _value_bytes(chunk)
        if data and not (data.isascii() and data.isdigit()):
            return False
    return True


def empty_cells(values: pd.Series) -> np.ndarray:
    """``values == ''`` as a bool array (missing values are not empty)."""
    chunks = arrow_chunks(values)
    if chunks is None:
        return (values == "").to_numpy(dtype=bool)
    parts = []
    for chunk in chunks:
        empty = np.diff(value_offsets(chunk)) == 0
        if chunk.null_count:
            empty &= chunk.is_valid().to_numpy(zero_copy_only=False)
        parts.append(empty)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def contains(values: pd.Series, *needles: str) -> np.ndarray:
    """Values containing any of the literal ``needles`` (bool array), screened by
    :func:`may_contain` first."""
    found = np.zeros(len(values), dtype=bool)
    if not may_contain(values, *needles):
        return found
    for needle in needles:
        found |= values.str.contains(needle, regex=False).to_numpy(dtype=bool, na_value=False)
    return found


def blank_to_missing(text: pd.Series) -> pd.Series:
    """'' -> missing; the column itself when it has no empty cell (no copy).

    An empty Arrow value is turned into a null by its validity bit alone (its text is
    already zero bytes long), so the values are not copied either.
    """
    empty = empty_cells(text)
    if not empty.any():
        return text
    chunks = arrow_chunks(text)
    if chunks is None:
        return text.mask(empty, None)
    nulled, start = [], 0
    for chunk in chunks:
        count = len(chunk)
        valid = ~empty[start : start + count]
        start += count
        if chunk.null_count:
            valid &= chunk.is_valid().to_numpy(zero_copy_only=False)
        bits = np.concatenate([np.zeros(chunk.offset, dtype=bool), valid])
        nulled.append(
            pa.Array.from_buffers(
                chunk.type,
                count,
                [pa.array(bits).buffers()[1], *chunk.buffers()[1:]],
                offset=chunk.offset,
            )
        )
    return text_series(nulled, text.index)


def blank_rows(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty."""
    blank = np.ones(len(cells), dtype=bool)
    for position in cells.columns:
        blank &= empty_cells(cells[position])
    return blank


def _spaced(word: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in word)


def totals_pattern(words: list[str], prefixes: list[str], units: list[str] = ()) -> str:
    """Regex for a totals cell (``合计``, ``合 计``, ``本页小计：``), spaces anywhere; with
    ``units``, a count after the word is allowed too (``合计：3人``, ``合计(3户)``)."""
    prefix = "|".join(_spaced(p) for p in prefixes)
    word = "|".join(_spaced(w) for w in words)
    count = ""
    if units:
        unit = "|".join(re.escape(u) for u in units)
        count = rf"(?:[(（]?\s*\d[\d,.]*\s*(?:{unit})?\s*[)）]?\s*)?"
    return rf"^\s*(?:{prefix})?\s*(?:{word})\s*[:：]?\s*{count}$"


def totals_rows(
    cells: pd.DataFrame, pattern: str, words: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows holding a totals word as a whole cell, and which word each holds ('' if none).

    Cells are first screened for the last character of a totals word (one pass over a
    column's bytes, then a literal search per cell); only those few go through the full
    pattern.
    """
    found = np.zeros(len(cells), dtype=bool)
    word = np.full(len(cells), "", dtype=object)
    finals = sorted({w[-1] for w in words})
    for position in cells.columns:
        column = cells[position]
        screened = contains(column, *finals)
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


def footer_rows(cells: list[list[str]], words: list[str]) -> list[str]:
    """For each row of ``cells``, the footer word of its first filled cell ('' when the row
    is not a footer): a footer row's every filled cell starts with a footer word
    (``制表人：张三``, ``审核人：``, ``制表日期：…``).

    Rows are Python lists: meant for the few rows already found unusable.
    """
    pattern = re.compile(rf"^\s*({'|'.join(_spaced(w) for w in words)})(?:\s*[:：]|\s+|$)")
    found = []
    for row in cells:
        filled = [cell for cell in row if cell]
        matches = [pattern.match(cell) for cell in filled]
        footer = bool(filled) and all(matches)
        found.append("".join(matches[0][1].split()) if footer else "")
    return found


def header_rows(cells: pd.DataFrame, header: dict[int, str]) -> np.ndarray:
    """Rows repeating the header: the cell of every position of ``header`` (position ->
    header text) equals it (monthly exports pasted one under another)."""
    candidates = np.arange(len(cells))
    for position, text in header.items():
        if not len(candidates) or not text:
            return np.zeros(len(cells), dtype=bool)
        column = cells[position].iloc[candidates]
        candidates = candidates[(column == text).to_numpy(dtype=bool, na_value=False)]
    repeated = np.zeros(len(cells), dtype=bool)
    repeated[candidates] = bool(header)
    return repeated


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
            codes = _codes(cells[position], candidates)
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


def _codes(column: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Integer codes of ``column`` at ``rows`` (equal codes = equal values): the whole
    column is factorized when most rows are wanted, sparing a copy of the text."""
    if len(rows) * 2 > len(column):
        return pd.factorize(column)[0][rows]
    return pd.factorize(column.iloc[rows])[0]
