"""Load a data folder: read, map, coerce, check and quarantine every table.

For every table, rows read = rows accepted + rows quarantined. A row is quarantined when
it cannot be used at all (see :func:`load_table`); a usable row with a suspect value is
accepted and listed in ``data_quality``. Blank rows inside a table are quarantined
(reason ``blank row``) so that line numbers and counts stay exact; blank rows after the
last filled row of a file (a sheet's formatted range, trailing separators) are not rows.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel import ids
from riskmodel.config import load_config
from riskmodel.io import coerce, identifiers, rows
from riskmodel.io.errors import DataError
from riskmodel.io.find import find_tables
from riskmodel.io.headers import (
    configured_aliases,
    describe_column,
    map_headers,
    normalise_header,
    unit_from_titles,
)
from riskmodel.io.readers import RawTable, read_file
from riskmodel.io.result import (
    DATA_QUALITY_COLUMNS,
    LoadResult,
    TableReport,
    empty_data_quality,
)
from riskmodel.schemas import TABLES, Table, get_table

ID_KINDS = ("id", "party", "credit")
CODE_KINDS = ("code", "account", *ID_KINDS)


@dataclass
class TableLoad:
    """One loaded table."""

    frame: pd.DataFrame
    quarantine: pd.DataFrame
    data_quality: pd.DataFrame
    report: TableReport


@dataclass
class _Checks:
    """Quarantine masks and data-quality findings collected while converting a table."""

    count: int
    masks: list[tuple[str, np.ndarray, Any]] = field(default_factory=list)
    """(count key, mask, reason text: a string or an object array per row)."""
    findings: list[pd.DataFrame] = field(default_factory=list)

    def quarantine(self, key: str, mask: np.ndarray, text: Any = None) -> None:
        if mask.any():
            self.masks.append((key, mask, key if text is None else text))

    def note_rows(self, where: np.ndarray, column: str, values: pd.Series, problem: Any) -> None:
        """List rows ``where`` (positions) with their (already masked) values."""
        self.findings.append(
            pd.DataFrame(
                {
                    "row": where,
                    "column": column,
                    "value": values.to_numpy(dtype=object),
                    "problem": problem,
                }
            )
        )

    def note(self, mask: np.ndarray, column: str, values: pd.Series, problem: Any) -> None:
        if mask.any():
            self.findings.append(
                pd.DataFrame(
                    {
                        "row": np.flatnonzero(mask),
                        "column": column,
                        "value": values[mask].to_numpy(dtype=object),
                        "problem": problem[mask] if isinstance(problem, np.ndarray) else problem,
                    }
                )
            )


def _settings(config: dict | str | Path | None) -> dict:
    if config is None or isinstance(config, str | Path):
        config = load_config(config)
    return config["loading"]


def _missing_words(settings: dict, key: str) -> frozenset[str]:
    return frozenset(settings[key])


def _required_problems(
    table: Table, present: dict[str, pd.Series], display: str, is_workbook: bool = False
) -> list[str]:
    problems = []
    for spec in table.required:
        names = spec if isinstance(spec, tuple) else (spec,)
        found = [n for n in names if n in present]
        described = " or ".join(describe_column(table, n) for n in names)
        if not found:
            problems.append(
                f"{display}: required column {described} is missing; rename the column in "
                "the header row to one of these names"
            )
        elif all((present[n] == "").all() for n in found) and len(present[found[0]]):
            problems.append(
                f"{display}: required column {described} is empty in every row; fill it in "
                "or export the column again"
                + (
                    " (cells with formulas whose results were never saved read as empty: "
                    "open the workbook in Excel/WPS and save it)"
                    if is_workbook
                    else ""
                )
            )
    return problems


def _convert(
    table: Table,
    raw: RawTable,
    settings: dict,
    display: str,
) -> tuple[pd.DataFrame, _Checks, list[str], list[str]]:
    """Clean, map and type the cells of ``raw``: (frame, checks, notes, original names)."""
    cleaned = {position: coerce.clean_text(raw.cells[position]) for position in raw.cells.columns}
    width = len(raw.headers)
    empty_cells = {position: rows.empty_cells(text) for position, text in cleaned.items()}
    blank_columns = {
        p for p in range(width) if not normalise_header(raw.headers[p]) and empty_cells[p].all()
    }
    header_map = map_headers(
        table,
        raw.headers,
        blank_columns,
        configured_aliases(settings),
        unit_from_titles(raw.titles),
        {p for p in range(width) if empty_cells[p].all()},
    )
    notes = list(header_map.notes)
    present = {name: cleaned[p] for name, p in header_map.canonical.items()}
    problems = _required_problems(table, present, display, raw.file_format != "csv")
    if problems:
        raise DataError("\n".join(problems), problems)
    count = len(raw.cells)
    checks = _Checks(count)
    kept = [p for p in range(width) if p not in blank_columns]
    if count:
        empty_columns = [header_map.names[p] for p in kept if empty_cells[p].all()]
        if empty_columns:
            notes.append(f"column(s) empty in every row: {', '.join(empty_columns)}")
    cells = pd.DataFrame({p: cleaned[p] for p in kept})
    blank = rows.blank_rows(cells)
    pattern = rows.totals_pattern(
        settings["totals_words"], settings["totals_prefixes"], settings["totals_count_units"]
    )
    totals, words = rows.totals_rows(cells, pattern, settings["totals_words"])
    totals &= ~blank
    checks.quarantine("blank row", blank)
    _quarantine_named(checks, "totals row", totals, words)
    header_text = {
        p: coerce.clean_text(pd.Series([str(raw.headers[p])], dtype="str")).iat[0]
        for p in header_map.canonical.values()
    }
    repeated = rows.header_rows(cells, header_text) & ~totals
    checks.quarantine("repeated header row", repeated)
    unusable = blank | totals | repeated
    duplicate, first_line = rows.duplicate_rows(cells, raw.lines, unusable)
    if duplicate.any():
        text = np.array([f"exact duplicate of line {n}" for n in first_line[duplicate]], object)
        if raw.sources:  # rows of several sheets: name the sheet of the first copy
            _, first = rows.duplicate_rows(cells, np.arange(count), unusable)
            sheets = np.repeat([s for s, _ in raw.sources], [n for _, n in raw.sources])
            text = text + np.array([f" ({sheets[i]})" for i in first[duplicate]], object)
        full = np.full(count, "", dtype=object)
        full[duplicate] = text
        checks.quarantine("exact duplicate", duplicate, full)
    unusable = unusable | duplicate

    required_any: list[tuple[str, ...]] = [
        spec if isinstance(spec, tuple) else (spec,) for spec in table.required
    ]
    required_single = {spec[0] for spec in required_any if len(spec) == 1}
    output: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if name not in header_map.canonical:
            continue
        text = present[name]
        empty = empty_cells[header_map.canonical[name]]
        required = name in required_single
        kind = column.kind
        if required and kind in CODE_KINDS:
            words = _missing_words(settings, "number_missing_words")
            placeholder = text.isin(words).to_numpy(dtype=bool)
            checks.quarantine(f"missing value: {name}", (empty | placeholder) & ~unusable)
            empty = empty | placeholder
        if kind in ("amount", "number"):
            values, bad = coerce.coerce_amount(
                text,
                _missing_words(settings, "number_missing_words"),
                header_map.factors.get(name, 1.0),
            )
            _unreadable(checks, name, kind, text, bad, required, unusable, np.isnan(values))
            output[name] = values
        elif kind == "ratio":
            values, bad, in_percent = coerce.coerce_ratio(
                text, name in header_map.percent, _missing_words(settings, "number_missing_words")
            )
            if in_percent and name not in header_map.percent:
                notes.append(f"{name}: values above 1 read as per cent (60 -> 0.6)")
            _unreadable(checks, name, kind, text, bad, required, unusable, np.isnan(values))
            checks.note(values > 1, name, text, "share above 100%")
            output[name] = values
        elif kind == "date":
            values, bad, month_only = coerce.coerce_date(
                text,
                _missing_words(settings, "date_missing_words"),
                (settings["excel_serial_min"], settings["excel_serial_max"]),
                (settings["date_year_min"], settings["date_year_max"]),
            )
            _unreadable(checks, name, kind, text, bad, required, unusable, np.isnat(values))
            if month_only.any():
                notes.append(
                    f"{name}: {int(month_only.sum())} value(s) give only a month; read as the 1st"
                )
            output[name] = values
        elif kind in CODE_KINDS:
            if kind == "id":
                checked = identifiers.check_resident_ids(text, settings["repair_lost_final_x"])
            elif kind == "party":
                checked = identifiers.check_parties(text, settings["repair_lost_final_x"])
            elif kind == "credit":
                checked = identifiers.check_credit_codes(text)
            else:
                checked = identifiers.check_plain_codes(text, is_account=kind == "account")
            values = checked.values
            damaged = checked.damaged
            if damaged.any():
                if required:
                    scientific = damaged & (checked.problem == "scientific_notation")
                    checks.quarantine(
                        f"damaged by Excel (scientific notation): {name}", scientific & ~unusable
                    )
                    checks.quarantine(
                        f"damaged by Excel (digits lost, ends in 000): {name}",
                        damaged & ~scientific & ~unusable,
                    )
                values = values.mask(damaged, "")
            suspect = (checked.problem != "") & ~empty & ~(damaged & required)
            if suspect.any():
                where = np.flatnonzero(suspect)
                masked = identifiers.mask_values(
                    text.iloc[where].reset_index(drop=True), kind, name
                )
                checks.note_rows(where, name, masked, _problem_texts(checked.problem[where]))
            output[name] = rows.blank_to_missing(values)
            if checked.is_valid is not None:
                output[f"is_valid_{name}"] = checked.is_valid & ~rows.empty_cells(values)
        else:
            if required:
                checks.note(empty, name, text, "missing value")
            output[name] = rows.blank_to_missing(text)
    any_specs = [spec for spec in required_any if len(spec) > 1]
    for spec in any_specs:
        empty = np.ones(count, dtype=bool)
        for name in spec:
            if name in present:
                empty &= empty_cells[header_map.canonical[name]]
        checks.quarantine(f"missing value: {' or '.join(spec)}", empty & ~unusable)

    frame = pd.DataFrame(
        {
            name: (
                pd.Series(values, dtype="str")
                if isinstance(values, pd.Series) and values.dtype != bool
                else values
            )
            for name, values in output.items()
        }
    )
    for name, position in zip(header_map.names, range(width), strict=True):
        if position in blank_columns or name in header_map.canonical:
            continue
        if name in frame.columns:
            continue
        frame[name] = rows.blank_to_missing(cleaned[position])
    frame.index = pd.RangeIndex(count)
    _relabel_footers(checks, cells, settings["footer_words"])
    return frame, checks, notes, header_map.names


def _relabel_footers(checks: _Checks, cells: pd.DataFrame, words: list[str]) -> None:
    """Quarantine a footer row (制表人：…, 审核人：…) under the one reason 'footer row
    (制表人)' instead of what its cells failed (missing ID, unreadable amount, ...)."""
    quarantined = np.zeros(checks.count, dtype=bool)
    for _key, mask, _text in checks.masks:
        quarantined |= mask
    for key, mask, _text in checks.masks:
        if key in ("blank row", "totals row", "repeated header row"):
            quarantined &= ~mask
    candidates = np.flatnonzero(quarantined)
    if not len(candidates):
        return
    take = pa.array(candidates)
    few = [_picked_text(cells[p], take) for p in cells.columns]
    found_words = np.array(
        rows.footer_rows([list(row) for row in zip(*few, strict=True)], words), object
    )
    found = found_words != ""
    if not found.any():
        return
    footer = np.zeros(checks.count, dtype=bool)
    footer[candidates[found]] = True
    word = np.full(checks.count, "", dtype=object)
    word[candidates] = found_words
    for _key, mask, _text in checks.masks:
        mask &= ~footer
    checks.masks = [entry for entry in checks.masks if entry[1].any()]
    _quarantine_named(checks, "footer row", footer, word)


def _quarantine_named(checks: _Checks, key: str, mask: np.ndarray, words: np.ndarray) -> None:
    """Quarantine ``mask`` as ``<key> (<word>)``: 'totals row (合计)', 'footer row (制表人)'."""
    if mask.any():
        text = np.full(len(mask), "", dtype=object)
        text[mask] = [f"{key} ({w})" for w in words[mask]]
        checks.quarantine(key, mask, text)


def _problem_texts(codes: np.ndarray) -> np.ndarray:
    """'bad_check_digit: check character does not match …' for each problem code."""
    texts = {c: f"{c}: {identifiers.PROBLEM_TEXT.get(c, c)}" for c in set(codes)}
    return pd.Series(codes, dtype=object).map(texts).to_numpy(dtype=object)


def _unreadable(
    checks: _Checks,
    name: str,
    kind: str,
    text: pd.Series,
    bad: np.ndarray,
    required: bool,
    unusable: np.ndarray,
    missing: np.ndarray | None = None,
) -> None:
    """Quarantine (required column) or note (optional) unreadable values; a required
    value that is empty or a 'no value' word (``-``, ``无``) is quarantined as missing."""
    if required:
        if missing is not None:
            checks.quarantine(f"missing value: {name}", missing & ~bad & ~unusable)
        checks.quarantine(f"unreadable {kind}: {name}", bad & ~unusable)
    else:
        checks.note(bad, name, text, f"unreadable {kind}, value ignored")


def _reason_texts(checks: _Checks, rows_out: np.ndarray) -> np.ndarray:
    reasons = np.full(len(rows_out), "", dtype=object)
    for _key, mask, text in checks.masks:
        selected = mask[rows_out]
        if not selected.any():
            continue
        value = text[rows_out][selected] if isinstance(text, np.ndarray) else text
        current = reasons[selected]
        reasons[selected] = np.where(current == "", value, current + "; " + value)
    return reasons


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        base = name or "column"
        if base in seen:
            seen[base] += 1
            base = f"{base}.{seen[base]}"
        else:
            seen[base] = 1
        unique.append(base)
    return unique


def load_table(
    path: str | Path,
    table: str | Table,
    config: dict | str | Path | None = None,
    data_dir: str | Path | None = None,
) -> TableLoad:
    """Load one file as ``table``.

    Quarantined (reason): ``blank row``; ``totals row (合计)``; ``footer row (制表人)``;
    ``repeated header row``; ``exact duplicate of line N``; ``wrong number of fields``;
    ``missing value: <column>`` (an empty required column; required free-text columns
    such as a name are accepted and listed in data_quality instead); ``unreadable
    amount|date|number|ratio: <column>`` in a required column; ``damaged by Excel
    (scientific notation | digits lost, ends in 000): <column>`` in a required identifier
    (an 18-digit number stored as a number in Excel keeps only 15 significant digits).
    In optional columns the same problems empty the value and are listed in data_quality.

    Raises
    ------
    DataError
        If the file cannot be read or lacks a required column.
    """
    started = time.perf_counter()
    table = get_table(table) if isinstance(table, str) else table
    path = Path(path)
    relative = path.relative_to(data_dir).as_posix() if data_dir else path.name
    settings = _settings(config)
    raw = read_file(path, table, settings, relative)
    read = raw.read
    frame, checks, notes, _names = _convert(table, raw, settings, relative)
    count = len(frame)
    quarantined = np.zeros(count, dtype=bool)
    for _key, mask, _text in checks.masks:
        quarantined |= mask
    original = _unique_names([str(h) for h in raw.headers])
    rows_out = np.flatnonzero(quarantined)
    files = _row_files(raw, relative)
    quarantine = pd.DataFrame(
        {
            "file": pd.Series(
                [relative] * len(rows_out) if files is None else files[rows_out], dtype="str"
            ),
            "line": raw.lines[rows_out],
            "reason": pd.Series(_reason_texts(checks, rows_out), dtype="str"),
        }
    )
    picked = pa.array(quarantined)
    for position, name in enumerate(original):
        if name in QUARANTINE_RESERVED:
            name = f"{name}.original"
        quarantine[name] = _picked(raw.cells[position], picked, rows_out)
    if raw.rejected:
        rejected = pd.DataFrame(
            [
                [relative, line, reason, *(cells + [""] * len(original))[: len(original)]]
                for line, reason, cells in raw.rejected
            ],
            columns=quarantine.columns,
        )
        quarantine = pd.concat([quarantine, rejected], ignore_index=True)
        quarantine = quarantine.sort_values("line", kind="stable").reset_index(drop=True)
    quarantine = quarantine.astype({c: "str" for c in quarantine.columns if c != "line"})
    raw.cells = raw.cells.iloc[:0]  # the accepted rows keep only the cleaned columns
    accepted = rows.keep_rows(frame, ~quarantined) if len(rows_out) else frame
    del frame
    _add_provenance(
        accepted, relative, raw.lines[~quarantined], None if files is None else files[~quarantined]
    )

    reasons: dict[str, int] = {}
    for key, mask, _text in checks.masks:
        reasons[key] = reasons.get(key, 0) + int(mask.sum())
    for _line, reason, _cells in raw.rejected:
        key = reason.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1

    data_quality = _data_quality(checks, quarantined, raw.lines, relative, table.name, files)
    report = TableReport(
        table=table.name,
        path=relative,
        file_format=raw.file_format,
        encoding=raw.encoding,
        sheet=raw.sheet,
        header_line=raw.header_line,
        read=read,
        accepted=len(accepted),
        quarantined=len(quarantine),
        reasons=dict(sorted(reasons.items(), key=lambda item: -item[1])),
        suspect_values=len(data_quality),
        notes=[ids.redact_identifiers(note) for note in (*raw.notes, *notes)],
        seconds=round(time.perf_counter() - started, 3),
    )
    return TableLoad(accepted, quarantine, data_quality, report)


QUARANTINE_RESERVED = ("file", "line", "reason")


def _picked_text(cells: pd.Series, take: pa.Array) -> list[str]:
    """The text of a few rows (positions ``take``) of a column, '' for missing."""
    arrow = rows.arrow_column(cells)
    if arrow is None:
        return cells.iloc[take.to_numpy()].fillna("").astype(str).tolist()
    return [value or "" for value in arrow.take(take).to_pylist()]


def _picked(cells: pd.Series, picked: pa.BooleanArray, rows_out: np.ndarray) -> np.ndarray:
    """The raw text of the quarantined rows (an Arrow filter: no copy of the column)."""
    arrow = rows.arrow_column(cells)
    if arrow is None:
        return cells.iloc[rows_out].to_numpy(dtype=object)
    return arrow.filter(picked).to_numpy(zero_copy_only=False)


def _row_files(raw: RawTable, relative: str) -> np.ndarray | None:
    """``<file>#<sheet>`` per row when the rows come from several sheets, else None."""
    if not raw.sources:
        return None
    names = [f"{relative}#{sheet}" for sheet, _ in raw.sources]
    return np.repeat(np.array(names, dtype=object), [count for _, count in raw.sources])


def _add_provenance(
    frame: pd.DataFrame, relative: str, lines: np.ndarray, files: np.ndarray | None = None
) -> None:
    """Add ``_file``, ``_line`` and ``_key`` (``"<_file>:<_line>"``), built in Arrow;
    ``files`` gives the file of each row (``payments.xlsx#1月``) when they differ."""
    if files is None:
        name = pa.scalar(relative, pa.large_string())
        file_column = pa.repeat(name, len(lines))
    else:
        name = file_column = pa.array(files, pa.large_string())
    line_text = pc.cast(pa.array(lines, pa.int64()), pa.large_string())
    key = pc.binary_join_element_wise(name, line_text, pa.scalar(":", pa.large_string()))
    frame["_file"] = rows.text_series(file_column, frame.index)
    frame["_line"] = pd.Series(lines, index=frame.index, dtype="int64")
    frame["_key"] = rows.text_series(key, frame.index)


def _data_quality(
    checks: _Checks,
    quarantined: np.ndarray,
    lines: np.ndarray,
    relative: str,
    table: str,
    files: np.ndarray | None = None,
) -> pd.DataFrame:
    if not checks.findings:
        return empty_data_quality()
    findings = pd.concat(checks.findings, ignore_index=True)
    findings = findings[~quarantined[findings["row"].to_numpy()]]
    findings = findings.sort_values(["row", "column"], kind="stable")
    result = pd.DataFrame(
        {
            "file": relative if files is None else files[findings["row"].to_numpy()],
            "line": lines[findings["row"].to_numpy()],
            "table": table,
            "column": findings["column"].to_numpy(dtype=object),
            "value": findings["value"].to_numpy(dtype=object),
            "problem": findings["problem"].to_numpy(dtype=object),
        }
    )
    return result.astype({c: "str" for c in DATA_QUALITY_COLUMNS if c != "line"})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_files(
    files: dict[str, Path], order: list[str], settings: dict, folder: Path
) -> Iterator[tuple[str, TableLoad | DataError, str]]:
    """``(table, loaded or the DataError it raised, sha256)`` per table in ``order``.

    With ``loading.parallel_files`` above 1 and a folder of at least
    ``loading.parallel_min_bytes``, that many files load at once in threads, the largest
    first (the parsers and Arrow kernels release the GIL: a county's exports load about a
    third faster on two cores); the results come in ``order`` all the same. The files'
    digests are computed in a thread of their own meanwhile.
    """

    workers = int(settings["parallel_files"])
    total = sum(files[name].stat().st_size for name in order)
    largest_first = sorted(order, key=lambda name: -files[name].stat().st_size)
    side_by_side = workers > 1 and len(order) > 1 and total >= int(settings["parallel_min_bytes"])
    # the digests are computed beside the parsing (hashlib releases the GIL), in the order
    # the files are parsed, so a file waits only for its own digest
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hashing:
        loading_order = largest_first if side_by_side else order
        digests = {name: hashing.submit(_sha256, files[name]) for name in loading_order}

        def load_one(name: str) -> tuple[str, TableLoad | DataError, str]:
            path = files[name]
            try:
                loaded: TableLoad | DataError = load_table(
                    path, name, {"loading": settings}, folder
                )
            except DataError as exc:
                loaded = exc
            return name, loaded, digests[name].result()

        if not side_by_side:
            yield from (load_one(name) for name in order)
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="load") as pool:
            futures = {name: pool.submit(load_one, name) for name in largest_first}
            for name in order:
                yield futures[name].result()


def _tables_without_rows(result: LoadResult) -> list[str]:
    """Errors for a required table with no accepted row (none read, or every row
    quarantined: nothing to score); notes for such an optional table (treated as absent)."""
    errors = []
    for table in TABLES:
        report = result.reports.get(table.name)
        if report is None or report.accepted:
            continue
        ranked = sorted(report.reasons.items(), key=lambda item: -item[1])[:3]
        common = "; ".join(f"{reason} ({count:,})" for reason, count in ranked)
        what = (
            f"{report.read:,} row(s) read, all quarantined: {common}"
            if report.read
            else "no data row below the header"
        )
        if table.is_required_table:
            errors.append(f"{report.path}: required table {table.name} has no usable row ({what})")
        elif report.read:
            result.notes.append(
                f"{report.path}: no row of {table.name} accepted ({what}); "
                "the table is treated as absent"
            )
    return errors


def load_folder(
    data_dir: str | Path,
    config: dict | str | Path | None = None,
    progress: bool = False,
    strict: bool = True,
) -> LoadResult:
    """Load every table found in ``data_dir``.

    Parameters
    ----------
    data_dir
        The folder of exports (one file per table, see CONTRACT §1).
    config
        A loaded configuration, a path to a user TOML file, or None for the defaults.
    progress
        Show a progress bar when the folder is large (``loading.progress_min_bytes``).
    strict
        Raise on fatal problems (default). With False, fatal problems are collected in
        ``LoadResult.errors`` and the readable tables are still returned.

    Raises
    ------
    DataError
        A required table (``residents``, ``payments``) or column is missing, or a file
        cannot be read; the message names every such file and its fix.
    """
    folder = Path(data_dir)
    settings = _settings(config)
    found = find_tables(folder, settings.get("file_names"))
    errors = list(found.errors)
    for table in TABLES:
        if table.is_required_table and table.name not in found.files:
            ambiguous = any(table.name in e for e in found.errors)
            if not ambiguous:
                errors.append(
                    f"{folder}: required table {table.name} is missing; add a file named "
                    f"{table.name}.csv or {table.chinese_names[0]}.xlsx (or .csv/.parquet)"
                )
    result = LoadResult({}, {}, empty_data_quality(), [], {}, notes=list(found.notes))
    result.unknown_files = [p.relative_to(folder).as_posix() for p in found.unknown]
    order = [t.name for t in TABLES if t.name in found.files]
    total_bytes = sum(found.files[name].stat().st_size for name in order)
    bar = None
    if progress and total_bytes >= settings["progress_min_bytes"]:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("loading", total=total_bytes)
    qualities = []
    try:
        for name, loaded, digest in _load_files(found.files, order, settings, folder):
            path = found.files[name]
            if bar is not None:
                bar.update(task, description=f"loaded {path.name}")
                bar.advance(task, path.stat().st_size)
            if isinstance(loaded, DataError):
                errors.extend(ids.redact_identifiers(problem) for problem in loaded.problems)
                continue
            result.tables[name] = loaded.frame
            result.quarantine[name] = loaded.quarantine
            result.reports[name] = loaded.report
            qualities.append(loaded.data_quality)
            report = loaded.report
            result.inputs.append(
                {
                    "table": name,
                    "path": report.path,
                    "sha256": digest,
                    "read": report.read,
                    "accepted": report.accepted,
                    "quarantined": report.quarantined,
                }
            )
    finally:
        if bar is not None:
            bar.stop()
    if qualities:
        result.data_quality = pd.concat(qualities, ignore_index=True)
    errors.extend(_tables_without_rows(result))
    result.errors = errors
    if errors and strict:
        raise DataError(
            f"the data folder {folder} cannot be scored:\n" + "\n".join(f"- {e}" for e in errors),
            errors,
        )
    return result
