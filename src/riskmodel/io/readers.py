"""Read one file (CSV, XLSX/XLS, Parquet) into raw text cells with source line numbers.

Every reader returns a :class:`RawTable`: the header cells, a frame of text cells (one
column per position, ``''`` for empty, never a float: ID numbers must not pass through
one), the 1-based source line of each row (header = line 1 when it is the first line;
for XLSX the sheet row), and rows rejected while parsing (a CSV line with the wrong
number of fields). Title rows above the header are skipped (and kept in ``titles``: they
may declare the unit): the header is the row among the first ``header_scan_rows`` that
names the most columns of the table. A CSV row missing only its trailing empty cells is
padded. In a workbook, merged cells are filled from their first cell, a header merged
down over two rows is read as one, and every visible sheet with the table's header is
read (one sheet per month; ``sources`` then names the sheet of each row).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from riskmodel.io.cells import column_text, series_text
from riskmodel.io.encoding import Encoding, detect_encoding
from riskmodel.io.errors import DataError
from riskmodel.io.headers import (
    AliasMap,
    alias_index,
    configured_aliases,
    count_matches,
    match_header,
    normalise_header,
)
from riskmodel.io.rows import may_contain, text_series
from riskmodel.schemas import Table

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
PARQUET_MAGIC = b"PAR1"


@dataclass
class RawTable:
    """Raw text cells of one file."""

    headers: list[str]
    cells: pd.DataFrame
    """Columns 0..n-1 (positions), ``str`` dtype, ``''`` for empty cells."""
    lines: np.ndarray
    """1-based source line (sheet row for XLSX) of each row of ``cells``."""
    header_line: int
    file_format: str
    encoding: str = ""
    sheet: str = ""
    rejected: list[tuple[int, str, list[str]]] = field(default_factory=list)
    """(line, reason, cells) of rows that could not be split into the header's columns."""
    notes: list[str] = field(default_factory=list)
    titles: list[list[str]] = field(default_factory=list)
    """The title rows skipped above the header (``单位：万元`` may declare the unit)."""
    sources: list[tuple[str, int]] = field(default_factory=list)
    """(sheet, rows) when the rows come from several sheets, in order; empty otherwise."""

    @property
    def read(self) -> int:
        """Data rows read (rows in ``cells`` plus rejected rows)."""
        return len(self.cells) + len(self.rejected)


def sniff_format(path: Path) -> str:
    """'csv', 'xlsx', 'xls' or 'parquet' from the file's first bytes (its suffix only when
    the bytes say nothing, i.e. plain text)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    return "csv"


def read_file(path: Path, table: Table, settings: dict, display: str | None = None) -> RawTable:
    """Read ``path`` as table ``table`` whatever its suffix claims.

    Raises
    ------
    DataError
        If the file is empty, damaged or not a table; the message names the file and the fix.
    """
    display = display or path.name
    if path.stat().st_size == 0:
        raise DataError(
            f"{display}: the file is empty (0 bytes); export the table again or remove the file"
        )
    actual = sniff_format(path)
    suffix = path.suffix.lower()
    claimed = (
        "csv"
        if suffix in CSV_SUFFIXES
        else "parquet"
        if suffix in PARQUET_SUFFIXES
        else "xlsx"
        if suffix in EXCEL_SUFFIXES
        else actual
    )
    notes: list[str] = []
    if actual in ("xlsx", "xls") and claimed == "csv":
        notes.append(f"the file is named {suffix} but is an Excel workbook: read it as {actual}")
    elif actual == "csv" and claimed != "csv":
        if suffix == ".xls" and _looks_like_html(path):
            raise DataError(
                f"{display}: this .xls file is a web page (HTML), not a workbook; open it in "
                "Excel/WPS and save it as .xlsx"
            )
        notes.append(f"the file is named {suffix} but holds plain text: read it as CSV")
    elif actual == "parquet" and claimed != "parquet":
        notes.append(f"the file is named {suffix} but is Parquet: read it as Parquet")
    elif claimed == "parquet" and actual != "parquet":
        raise DataError(
            f"{display}: not a valid Parquet file (missing PAR1 header); write it again"
        )
    if actual in ("xlsx", "xls"):
        raw = read_excel(path, table, settings, display)
    elif actual == "parquet":
        raw = read_parquet(path, display)
    else:
        raw = read_csv(path, table, settings, display)
    raw.notes[:0] = notes
    return raw


def _looks_like_html(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(2048).lower()
    return b"<html" in head or b"<table" in head or b"<!doctype" in head


def find_header(
    rows: list[list[str]], table: Table, scan: int, aliases: AliasMap | None = None
) -> tuple[int, int]:
    """Return (index of the header row, number of columns it names) among ``rows[:scan]``.

    The header is the row naming most columns of the table (earliest on ties); when no
    row names any, the first non-empty row. ``aliases``: extra spellings per column
    (``loading.header_aliases``; default: the packaged ones).
    """
    index = alias_index(table, aliases)
    best, best_score = -1, 0
    for position, row in enumerate(rows[:scan]):
        score = count_matches(row, index)
        if score > best_score:
            best, best_score = position, score
    if best >= 0:
        return best, best_score
    for position, row in enumerate(rows[:scan]):
        if any(normalise_header(cell) for cell in row):
            return position, 0
    return -1, 0


def _text_frame(columns: list) -> pd.DataFrame:
    return pd.DataFrame(
        {position: pd.Series(values, dtype="str") for position, values in enumerate(columns)}
    ).fillna("")


def _trim_trailing_blank(cells: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop blank rows after the last row holding a value (a sheet's formatted used range,
    trailing separators of a CSV): they are not rows of the table."""
    if cells.empty:
        return cells, lines
    if any(cells[position].iat[-1].strip() for position in cells.columns):
        return cells, lines
    filled = np.zeros(len(cells), dtype=bool)
    for position in cells.columns:
        filled |= (cells[position].str.strip() != "").to_numpy(dtype=bool)
    last = np.flatnonzero(filled)
    end = int(last[-1]) + 1 if len(last) else 0
    if end == len(cells):
        return cells, lines
    return cells.iloc[:end].reset_index(drop=True), lines[:end]


# --- CSV -------------------------------------------------------------------------


def _head_text(path: Path, encoding: Encoding, limit: int = 1 << 18) -> str:
    with path.open("rb") as handle:
        head = handle.read(limit)
    decoder = codecs.getincrementaldecoder(encoding.name)("replace")
    text = decoder.decode(head, final=len(head) < limit)
    if len(head) >= limit and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _head_rows(text: str, delimiter: str, scan: int) -> list[tuple[int, list[str]]]:
    """(physical end line, cells) of the first ``scan`` records of ``text``."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            rows.append((reader.line_num, record))
            if len(rows) >= scan:
                break
    except csv.Error:
        pass
    return rows


def read_csv(path: Path, table: Table, settings: dict, display: str) -> RawTable:
    """Read a CSV file: every cell as text, title rows skipped, lines kept."""
    encoding = detect_encoding(path, settings["encoding_chunk_bytes"])
    notes = [encoding.note] if encoding.note else []
    text = _head_text(path, encoding)
    if not text.strip("\ufeff \r\n\t,;|"):
        raise DataError(
            f"{display}: the file holds no header row and no data; export the table again "
            "or remove the file"
        )
    scan = settings["header_scan_rows"]
    aliases = configured_aliases(settings)
    choice = None
    for delimiter in settings["csv_delimiters"]:
        rows = _head_rows(text, delimiter, scan)
        position, score = find_header([cells for _, cells in rows], table, scan, aliases)
        if position < 0:
            continue
        width = len(rows[position][1])
        key = (score, width > 1)
        if choice is None or key > choice[0]:
            choice = (key, delimiter, rows, position)
    if choice is None:
        raise DataError(f"{display}: no header row found; the first row must name the columns")
    _, delimiter, rows, position = choice
    header_end_line = rows[position][0]
    headers = rows[position][1]
    if delimiter != ",":
        notes.append(f"fields separated by {delimiter!r}")
    if position > 0:
        notes.append(f"header found on line {header_end_line}; rows above it skipped")
    raw = _read_csv_fast(path, encoding, delimiter, headers, header_end_line)
    if raw is None:
        raw = _read_csv_python(path, encoding, delimiter, headers, header_end_line)
    cells, lines, rejected = raw
    cells, lines = _trim_trailing_blank(cells, lines)
    return RawTable(
        headers=headers,
        cells=cells,
        lines=lines,
        header_line=header_end_line,
        file_format="csv",
        encoding=encoding.name,
        rejected=rejected,
        notes=notes,
        titles=[cells for _, cells in rows[:position]],
    )


def _read_csv_fast(
    path: Path, encoding: Encoding, delimiter: str, headers: list[str], header_line: int
) -> tuple[pd.DataFrame, np.ndarray, list] | None:
    """pyarrow's parser; None when a row has the wrong number of fields or a cell holds a
    line break (then the csv module reads the file, keeping exact physical lines)."""
    if encoding.errors != "strict":
        return None
    names = [f"c{i}" for i in range(len(headers))]
    invalid: list[int] = []

    def on_invalid(row: object) -> str:
        invalid.append(1)
        return "skip"

    utf8 = encoding.name in ("utf-8", "utf-8-sig") or encoding.utf8 is not None
    source = pa.BufferReader(encoding.utf8) if encoding.utf8 is not None else path
    try:
        arrow = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=header_line,
                encoding="utf8" if utf8 else encoding.name,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                ignore_empty_lines=False,
                newlines_in_values=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, ValueError):
        return None
    if invalid:
        return None
    columns = [text_series(arrow.column(name)) for name in names]
    if any(may_contain(column, "\n") for column in columns):
        return None  # a quoted line break: the slow path keeps physical line numbers
    cells = pd.DataFrame(dict(enumerate(columns)))
    lines = np.arange(header_line + 1, header_line + 1 + len(cells), dtype=np.int64)
    return cells, lines, []


def _read_csv_python(
    path: Path, encoding: Encoding, delimiter: str, headers: list[str], header_line: int
) -> tuple[pd.DataFrame, np.ndarray, list]:
    """The csv module: exact physical lines, rows with the wrong number of fields rejected.

    A short row is padded with empty cells (Excel drops the trailing separators of rows
    whose last cells are empty), except the last filled row of a file that does not end
    with a line break: it is rejected as truncated.
    """
    width = len(headers)
    columns: list[list[str]] = [[] for _ in range(width)]
    lines: list[int] = []
    rejected: list[tuple[int, str, list[str]]] = []
    short: tuple[int, int, list[str]] | None = None
    """(row, line, cells) of the latest short row, if no filled row followed it yet."""
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous_end = 0
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if previous_end <= header_line:
                continue
            filled = any(cell.strip() for cell in record)
            if filled:
                short = None
            if len(record) > width:
                if any(cell.strip() for cell in record[width:]):
                    rejected.append(
                        (
                            start,
                            f"wrong number of fields: expected {width}, found {len(record)}",
                            record,
                        )
                    )
                    continue
                record = record[:width]
            elif len(record) < width:
                if filled:
                    short = (len(lines), start, record)
                record = record + [""] * (width - len(record))
            for position, cell in enumerate(record):
                columns[position].append(cell)
            lines.append(start)
    if short is not None and not _ends_with_line_break(path):
        row, line, record = short
        for column in columns:
            del column[row]
        del lines[row]
        reason = f"wrong number of fields: expected {width}, found {len(record)}"
        rejected.append((line, reason + " (the file looks truncated)", record))
    return _text_frame(columns), np.asarray(lines, dtype=np.int64), rejected


def _ends_with_line_break(path: Path) -> bool:
    """The file's last character is a line break (UTF-8, GB18030 or UTF-16 bytes)."""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 2))
        tail = handle.read()
    return tail.strip(b"\x00").endswith((b"\n", b"\r"))


# --- Excel -----------------------------------------------------------------------


Merged = list[tuple[tuple[int, int], tuple[int, int]]]
"""Merged cell ranges of a sheet: ((first row, first column), (last row, last column)), 0-based."""


@dataclass
class _Sheet:
    """Where the header of one worksheet is."""

    name: str
    first: int
    """0-based row of the header's first row."""
    last: int
    """0-based row of the header's last row (a header of two rows merged down)."""
    headers: list[str]
    score: int
    titles: list[list[str]]


def read_excel(path: Path, table: Table, settings: dict, display: str) -> RawTable:
    """Read the sheet named after the table, else the visible sheet whose header names most
    columns (with every other sheet having the same header: one sheet per month), with
    calamine. Merged cells are filled from their first cell."""
    import python_calamine as calamine

    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
        sheets = list(workbook.sheets_metadata)
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        raise DataError(
            f"{display}: the workbook is damaged or truncated ({type(exc).__name__}); open it "
            "in Excel/WPS and save it again, or export the table again"
        ) from None
    notes: list[str] = []
    visible = [
        s
        for s in sheets
        if str(s.visible).endswith(".Visible") and str(s.typ).endswith("WorkSheet")
    ]
    hidden = [s.name for s in sheets if s not in visible]
    if hidden:
        notes.append(f"hidden sheet(s) skipped: {', '.join(hidden)}")
    if not visible:
        workbook.close()
        raise DataError(f"{display}: the workbook has no visible worksheet; unhide the data sheet")
    scan = settings["header_scan_rows"]
    aliases = configured_aliases(settings)
    wanted = {normalise_header(n) for n in (table.name, *table.chinese_names)}
    named = [s for s in visible if normalise_header(s.name) in wanted]
    try:
        if named or len(visible) == 1:
            chosen = [(named or visible)[0].name]
        else:
            names = [s.name for s in visible]
            chosen = _data_sheets(workbook, names, table, scan, aliases, display)
        parts = [_read_sheet(workbook, name, table, scan, aliases, display) for name in chosen]
    finally:
        workbook.close()
    others = [s.name for s in visible if s.name not in chosen]
    if len(chosen) > 1:
        notes.append(f"read sheets {', '.join(chosen)} (same header) as one table")
    if others:
        notes.append(f"read sheet '{chosen[0]}'; other sheets ignored: {', '.join(others)}")
    sheet, _, _ = parts[0]
    if sheet.first > 0:
        notes.append(f"header found on row {sheet.first + 1}; rows above it skipped")
    if sheet.last > sheet.first:
        notes.append(f"header of rows {sheet.first + 1}-{sheet.last + 1} read as one row")
    return RawTable(
        headers=sheet.headers,
        cells=pd.concat([cells for _, cells, _ in parts], ignore_index=True)
        if len(parts) > 1
        else parts[0][1],
        lines=np.concatenate([lines for _, _, lines in parts]),
        header_line=sheet.last + 1,
        file_format="xlsx" if path.suffix.lower() != ".xls" else "xls",
        sheet=", ".join(chosen),
        notes=notes,
        titles=sheet.titles,
        sources=[(p.name, len(cells)) for p, cells, _ in parts] if len(parts) > 1 else [],
    )


def _sheet_rows(workbook, name: str, display: str, rows: int | None = None) -> tuple[list, Merged]:
    """The cells (all rows, or the first ``rows``) and merged ranges of one sheet."""
    try:
        sheet = workbook.get_sheet_by_name(name)
        if rows is None:
            cells = sheet.to_python(skip_empty_area=False)
        else:
            cells = sheet.to_python(skip_empty_area=False, nrows=rows)
        merged = list(sheet.merged_cell_ranges or [])
    except Exception as exc:
        raise DataError(
            f"{display}: sheet '{name}' cannot be read ({type(exc).__name__}); open "
            "the workbook in Excel/WPS and save it again"
        ) from None
    return cells, merged


def _data_sheets(
    workbook, names: list[str], table: Table, scan: int, aliases: AliasMap | None, display: str
) -> list[str]:
    """The visible sheets holding the table: the one whose header names most columns
    (the first sheet when none names any), and every other with the same header."""
    found = []
    for name in names:
        head, merged = _sheet_rows(workbook, name, display, scan)
        found.append(_locate_header(name, head, merged, table, scan, aliases))
    scored = [sheet for sheet in found if sheet is not None and sheet.score > 0]
    if not scored:
        return names[:1]
    best = max(scored, key=lambda sheet: sheet.score)  # the earliest on ties
    same = [normalise_header(h) for h in best.headers]
    return [
        sheet.name
        for sheet in scored
        if sheet is best or [normalise_header(h) for h in sheet.headers] == same
    ]


def _read_sheet(
    workbook, name: str, table: Table, scan: int, aliases: AliasMap | None, display: str
) -> tuple[_Sheet, pd.DataFrame, np.ndarray]:
    """(header, text cells, sheet rows) of one worksheet."""
    rows, merged = _sheet_rows(workbook, name, display)
    sheet = _locate_header(name, rows[:scan], merged, table, scan, aliases)
    if sheet is None:
        raise DataError(
            f"{display}: sheet '{name}' is empty; put the table on the first sheet "
            "with the column names in the first row"
        )
    _fill_merged(rows, [m for m in merged if m[0][0] > sheet.last])
    body = rows[sheet.last + 1 :]
    width = len(sheet.headers)
    columns = [column_text([row[i] if i < len(row) else "" for row in body]) for i in range(width)]
    cells = _text_frame(columns)
    lines = np.arange(sheet.last + 2, sheet.last + 2 + len(body), dtype=np.int64)
    cells, lines = _trim_trailing_blank(cells, lines)
    return sheet, cells, lines


def _fill_merged(rows: list[list], merged: Merged) -> None:
    """Give every cell of a merged range the value of its first cell (in place)."""
    for (top, left), (bottom, right) in merged:
        if top >= len(rows):
            continue
        value = rows[top][left] if left < len(rows[top]) else ""
        for row in rows[top : bottom + 1]:
            for column in range(left, min(right + 1, len(row))):
                row[column] = value


def _locate_header(
    name: str, rows: list[list], merged: Merged, table: Table, scan: int, aliases: AliasMap | None
) -> _Sheet | None:
    """Find the header among the first ``scan`` rows; cells merged down over two header
    rows make one header of them (see :func:`_combine_header`)."""
    head = [[str(c) if type(c) is str else _head_cell(c) for c in row] for row in rows[:scan]]
    filled = [list(row) for row in head]
    _fill_merged(filled, [m for m in merged if m[0][0] < len(filled)])
    position, score = find_header(filled, table, scan, aliases)
    if position < 0:
        return None
    first, last = position, position
    for (top, _), (bottom, _) in merged:
        if bottom > top and top <= position <= bottom:
            first, last = min(first, top), max(last, min(bottom, len(head) - 1))
    headers = head[position]
    if last > first:
        headers = _combine_header(head[first : last + 1], filled[first : last + 1], table, aliases)
        score = count_matches(headers, alias_index(table, aliases))
    return _Sheet(name, first, last, headers, score, head[:first])


def _combine_header(
    rows: list[list[str]], filled: list[list[str]], table: Table, aliases: AliasMap | None
) -> list[str]:
    """One header from several rows: per column, its lowest non-empty cell, preceded by the
    start of the group label merged above it when that names a column (发放信息 + 日期 ->
    发放日期)."""
    index = alias_index(table, aliases)
    width = max(len(row) for row in rows)
    headers = []
    for column in range(width):
        cells = [row[column] if column < len(row) else "" for row in rows]
        levels = [level for level, cell in enumerate(cells) if cell.strip()]
        if not levels:
            headers.append("")
            continue
        lowest = levels[-1]
        cell = cells[lowest].strip()
        above = [filled[level][column].strip() for level in range(lowest)]
        label = next((text for text in reversed(above) if text and text != cell), "")
        combined = (label[:size] + cell for size in range(len(label), 0, -1))
        headers.append(next((c for c in combined if match_header(c, index)[0]), cell))
    return headers


def _head_cell(value: object) -> str:
    from riskmodel.io.cells import cell_text

    return cell_text(value)


# --- Parquet ---------------------------------------------------------------------


def read_parquet(path: Path, display: str) -> RawTable:
    """Read a Parquet file; typed columns are turned into text like an export would."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise DataError(
            f"{display}: the Parquet file cannot be read ({type(exc).__name__}); write it again"
        ) from None
    headers = [str(c) for c in frame.columns]
    cells = pd.DataFrame(
        {position: series_text(frame.iloc[:, position]) for position in range(len(headers))}
    ).reset_index(drop=True)
    lines = np.arange(2, 2 + len(cells), dtype=np.int64)
    return RawTable(headers=headers, cells=cells, lines=lines, header_line=1, file_format="parquet")
