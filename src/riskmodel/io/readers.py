"""Read one file (CSV, XLSX/XLS, Parquet) into raw text cells with source line numbers.

Every reader returns a :class:`RawTable`: the header cells, a frame of text cells (one
column per position, ``''`` for empty, never a float: ID numbers must not pass through
one), the 1-based source line of each row (header = line 1 when it is the first line;
for XLSX the sheet row), and rows rejected while parsing (a CSV line with the wrong
number of fields). Title rows above the header are skipped: the header is the row among
the first ``header_scan_rows`` that names the most columns of the table.
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
from riskmodel.io.headers import count_matches, normalise_header
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


def find_header(rows: list[list[str]], table: Table, scan: int) -> tuple[int, int]:
    """Return (index of the header row, number of columns it names) among ``rows[:scan]``.

    The header is the row naming most columns of the table (earliest on ties); when no
    row names any, the first non-empty row.
    """
    from riskmodel.io.headers import alias_index

    index = alias_index(table)
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
    choice = None
    for delimiter in settings["csv_delimiters"]:
        rows = _head_rows(text, delimiter, scan)
        position, score = find_header([cells for _, cells in rows], table, scan)
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

    try:
        arrow = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=header_line,
                encoding="utf8" if encoding.name in ("utf-8", "utf-8-sig") else encoding.name,
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
    """The csv module: exact physical lines, rows with the wrong number of fields rejected."""
    width = len(headers)
    columns: list[list[str]] = [[] for _ in range(width)]
    lines: list[int] = []
    rejected: list[tuple[int, str, list[str]]] = []
    with path.open(encoding=encoding.name, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous_end = 0
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if previous_end <= header_line:
                continue
            if len(record) != width:
                extra = record[width:]
                if len(record) > width and not any(cell.strip() for cell in extra):
                    record = record[:width]
                elif not any(cell.strip() for cell in record):
                    record = [""] * width
                else:
                    rejected.append(
                        (
                            start,
                            f"wrong number of fields: expected {width}, found {len(record)}"
                            + (" (the file looks truncated)" if len(record) < width else ""),
                            record,
                        )
                    )
                    continue
            for position, cell in enumerate(record):
                columns[position].append(cell)
            lines.append(start)
    return _text_frame(columns), np.asarray(lines, dtype=np.int64), rejected


# --- Excel -----------------------------------------------------------------------


def read_excel(path: Path, table: Table, settings: dict, display: str) -> RawTable:
    """Read the sheet named after the table, else the first visible sheet, with calamine."""
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
    wanted = {normalise_header(n) for n in (table.name, *table.chinese_names)}
    named = [s for s in visible if normalise_header(s.name) in wanted]
    if named:
        chosen = named[0]
    elif visible:
        chosen = visible[0]
    else:
        raise DataError(f"{display}: the workbook has no visible worksheet; unhide the data sheet")
    if hidden:
        notes.append(f"hidden sheet(s) skipped: {', '.join(hidden)}")
    others = [s.name for s in visible if s.name != chosen.name]
    if others:
        notes.append(f"read sheet '{chosen.name}'; other sheets ignored: {', '.join(others)}")
    try:
        rows = workbook.get_sheet_by_name(chosen.name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise DataError(
            f"{display}: sheet '{chosen.name}' cannot be read ({type(exc).__name__}); open "
            "the workbook in Excel/WPS and save it again"
        ) from None
    finally:
        workbook.close()
    scan = settings["header_scan_rows"]
    head = [[str(c) if type(c) is str else _head_cell(c) for c in row] for row in rows[:scan]]
    position, _ = find_header(head, table, scan)
    if position < 0:
        raise DataError(
            f"{display}: sheet '{chosen.name}' is empty; put the table on the first sheet "
            "with the column names in the first row"
        )
    if position > 0:
        notes.append(f"header found on row {position + 1}; rows above it skipped")
    headers = head[position]
    body = rows[position + 1 :]
    width = len(headers)
    columns = [column_text([row[i] if i < len(row) else "" for row in body]) for i in range(width)]
    cells = _text_frame(columns)
    lines = np.arange(position + 2, position + 2 + len(body), dtype=np.int64)
    cells, lines = _trim_trailing_blank(cells, lines)
    return RawTable(
        headers=headers,
        cells=cells,
        lines=lines,
        header_line=position + 1,
        file_format="xlsx" if path.suffix.lower() != ".xls" else "xls",
        sheet=chosen.name,
        notes=notes,
    )


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
